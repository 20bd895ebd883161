/* [MS-TURN] pseudo-TLS: an A/V Edge listening for TURN on TCP 443 takes,
 * before any TURN message, a handshake that looks like the start of TLS
 * (RFC 2246) to a firewall or web proxy inspecting that port: a ClientHello
 * from the client, a ServerHello and a ServerHelloDone in one record from
 * the server, after which both speak MS-TURN in the 2.1 frames with no
 * encryption. The server MUST support it; a client sends it first or not
 * at all, and sends nothing else until the server's answer came.
 *
 * The records are fixed apart from the random values and the server's
 * session id: a TLS 1.0 ClientHello with no session id, the one cipher
 * suite 0x0018 (TLS_DH_anon_WITH_RC4_128_MD5) and null compression; a
 * ServerHello with a 32-byte session id, that suite and null compression,
 * then ServerHelloDone (the byte layout libnice's Office Communicator mode
 * sends and expects). */
#ifndef SYNTH_TURN_PSEUDO_TLS_H
#define SYNTH_TURN_PSEUDO_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PSEUDO_TLS_CLIENT_HELLO_LEN 50
#define PSEUDO_TLS_SERVER_HELLO_LEN 83

/* The TLS record type of a handshake (22): what a pseudo-TLS connection
 * opens with. No [MS-TURN] 2.1 frame starts so (0x02 or 0x03), nor a STUN
 * message (its first two bits are zero). */
#define PSEUDO_TLS_RECORD_HANDSHAKE 0x16

/* The client's record, its random from OpenSSL's generator. */
void pseudo_tls_client_hello(uint8_t out[PSEUDO_TLS_CLIENT_HELLO_LEN]);
/* The server's answer (ServerHello and ServerHelloDone in one record), its
 * random and session id fresh. */
void pseudo_tls_server_hello(uint8_t out[PSEUDO_TLS_SERVER_HELLO_LEN]);

/* Checks the first len bytes of what the peer sent against the record it
 * must send: 0 when they hold it whole, SYNTH_EINCOMPLETE when they are a
 * correct beginning (wait for more), SYNTH_EPARSE at the first byte that
 * differs, with *bad_at its offset (for the error's text). */
int pseudo_tls_check_client_hello(const uint8_t *buf, size_t len, size_t *bad_at);
int pseudo_tls_check_server_hello(const uint8_t *buf, size_t len, size_t *bad_at);

#endif
