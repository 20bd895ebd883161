/* SIP transport connections over UDP, TCP and TLS on a libevent loop
 * (RFC 3261 section 18; keep-alive RFC 5626 4.4.1). One struct sip_conn is
 * one socket: a client's connection to its registrar, a connection a server
 * accepted, or a UDP socket. Received bytes are framed and parsed here and
 * handed up as whole messages. */
#ifndef SYNTH_SIP_TRANSPORT_H
#define SYNTH_SIP_TRANSPORT_H

#include "synth/base/err.h"
#include "synth/config/target.h"
#include "synth/sip/msg.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct sip_conn;

struct sip_addr_storage {
    struct sockaddr_storage ss;
    socklen_t len;
};

struct sip_conn_handlers {
    /* Client connections: the socket is connected (and the TLS handshake
     * verified). err != 0 on failure; the conn is then unusable, free it. */
    void (*connected)(struct sip_conn *c, int err, void *arg);
    /* One parsed message; src is the sender (the datagram's source). */
    void (*recv)(struct sip_conn *c, const struct sip_msg *msg,
                 const struct sip_addr_storage *src, void *arg);
    /* The connection failed or the peer closed it (streams only). */
    void (*closed)(struct sip_conn *c, int err, void *arg);
};

struct sip_conn_opts {
    enum sip_transport transport;
    struct sip_addr_storage remote;
    SSL_CTX *ssl_ctx;          /* TLS only */
    const char *server_name;   /* TLS: SNI and verified name; NULL = no name check */
    uint32_t connect_timeout_ms;
    uint32_t keepalive_ms;     /* TCP/TLS: double-CRLF interval, 0 = off */
    int dscp;                  /* -1 = leave the default */
};

/* Opens a client connection. For UDP the socket is ready at once (connected
 * is still called, from the loop). Caller frees with sip_conn_free. */
int sip_conn_connect(struct sip_conn **out, struct event_base *base,
                     const struct sip_conn_opts *o, const struct sip_conn_handlers *h,
                     void *arg, struct synth_error *err);

/* Wraps an accepted stream socket (server role); ssl_ctx non-NULL for TLS. */
int sip_conn_accept(struct sip_conn **out, struct event_base *base, int fd,
                    enum sip_transport transport, SSL_CTX *ssl_ctx,
                    const struct sip_conn_handlers *h, void *arg);

/* Binds a UDP socket (server role, or a bound client). */
int sip_conn_udp_bind(struct sip_conn **out, struct event_base *base,
                      const struct sip_addr_storage *local,
                      const struct sip_conn_handlers *h, void *arg, struct synth_error *err);

/* Sends one message. For UDP it goes to `to` if given, else to the
 * connected remote. Streams queue in the bufferevent. */
int sip_conn_send(struct sip_conn *c, const char *buf, size_t len,
                  const struct sip_addr_storage *to);

/* Frees now, or after the handler that is running returns. Closes the socket. */
void sip_conn_free(struct sip_conn *c);

enum sip_transport sip_conn_transport(const struct sip_conn *c);
/* Local address as "host" and port, for Via and Contact. */
void sip_conn_local(const struct sip_conn *c, char *host, size_t size, uint16_t *port);
/* Client streams: the keep-alive pongs (CRLF, RFC 5626 4.4.1) received. */
uint32_t sip_conn_pongs(const struct sip_conn *c);
/* Stable identifier of this connection within its process (lab routing). */
uint64_t sip_conn_id(const struct sip_conn *c);
void sip_conn_set_arg(struct sip_conn *c, void *arg);
/* TLS: the peer certificate chain (NULL if none or not TLS). Not owned. */
SSL *sip_conn_ssl(const struct sip_conn *c);

/* Host:port → address (numeric or name; blocking resolver: call outside
 * the load loop, at start-up). */
int sip_addr_resolve(struct sip_addr_storage *out, const char *host, uint16_t port,
                     struct synth_error *err);
void sip_addr_format(const struct sip_addr_storage *a, char *out, size_t size); /* "1.2.3.4:5060", "[::1]:5061" */
bool sip_addr_equal(const struct sip_addr_storage *a, const struct sip_addr_storage *b);

#endif
