/* A SIP user agent: one synthetic user's connection to its registrar or
 * outbound proxy, its client transactions (RFC 3261 17.1) and the requests
 * that arrive for it. Steps (register, call, ...) drive it; it owns no
 * dialog logic beyond matching. */
#ifndef SYNTH_SIP_UA_H
#define SYNTH_SIP_UA_H

#include "synth/sip/build.h"
#include "synth/sip/transport.h"

#include <stdbool.h>
#include <stdint.h>

struct sip_ua;
struct sip_ctrans;

/* A response to a request (provisional or final), or err != 0: a timeout
 * (SYNTH_ETIMEDOUT, Timer B/F) or a transport failure. After a final
 * response or an error the transaction is gone. */
typedef void(sip_resp_h)(int err, const struct sip_msg *msg, void *arg);

/* A request from the far end (BYE, OPTIONS, re-INVITE); the handler answers
 * with sip_ua_reply. Returns true if it answered. */
typedef bool(sip_req_h)(struct sip_ua *ua, const struct sip_msg *msg, void *arg);

/* The connection went away (closed by peer, failed). */
typedef void(sip_ua_closed_h)(int err, void *arg);

struct sip_timers {
    uint32_t t1_ms; /* RFC 3261 T1: RTT estimate, 500 ms */
    uint32_t t2_ms; /* 4 s */
};

struct sip_ua_opts {
    struct sip_conn_opts conn;
    struct sip_timers timers;
    const char *contact_user; /* user part of our Contact */
};

/* Creates the UA and starts connecting; connected_h fires when usable. */
int sip_ua_new(struct sip_ua **out, struct event_base *base, const struct sip_ua_opts *o,
               void (*connected_h)(int err, void *arg), sip_ua_closed_h *closed_h, void *arg,
               struct synth_error *err);
/* Drops every transaction silently and closes the connection. */
void sip_ua_free(struct sip_ua *ua);

bool sip_ua_is_connected(const struct sip_ua *ua);
struct sip_conn *sip_ua_conn(struct sip_ua *ua);
/* Our Contact URI ("<sip:user@host:port;transport=tls>"). */
const char *sip_ua_contact(const struct sip_ua *ua);
/* Our address on the connection ("192.0.2.1" or "2001:db8::1", no brackets)
 * and port, as read once when it opened: no system call. "" and 0 before. */
const char *sip_ua_local(const struct sip_ua *ua, uint16_t *port);

/* Who gets out-of-transaction requests and stray 2xx retransmissions. */
void sip_ua_set_request_handler(struct sip_ua *ua, sip_req_h *h, void *arg);

/* Sends a request as a client transaction. The UA writes Via (with a new
 * branch, returned in branch_out if not NULL) and the rest of the spec.
 * INVITE follows 17.1.1 (ACK for non-2xx sent here), others 17.1.2. */
int sip_ua_request(struct sip_ua *ua, struct sip_request_spec *spec, sip_resp_h *h, void *arg,
                   struct sip_ctrans **out);
/* Sends a request outside any transaction (ACK for 2xx). */
int sip_ua_send_stateless(struct sip_ua *ua, struct sip_request_spec *spec);
/* CANCEL for a pending INVITE (RFC 3261 9.1); its response goes to h. */
int sip_ua_cancel(struct sip_ua *ua, struct sip_ctrans *invite, sip_resp_h *h, void *arg);
/* Forgets a transaction without calling its handler (the step gave up). */
void sip_ua_abandon(struct sip_ua *ua, struct sip_ctrans *t);

/* Message authentication on this connection ([MS-SIPAE] signs every
 * request and response once NTLM has made an SA): sign gets each request
 * as built (the INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER of any step)
 * and writes the header lines to add, each ending in CRLF, or nothing;
 * non-zero stops the send with that error. verify gets each response of a
 * transaction before its handler: non-zero ends the transaction with that
 * error instead (SYNTH_EAUTH: a signature that fails); and each request
 * received before the request handler: non-zero answers it 403 (an ACK not
 * at all) and drops it. NULL: none. signing, when set, says whether sign
 * may add anything now: sign needs the request parsed, and a user with no
 * SA would have every request parsed for nothing. */
struct sip_ua_auth {
    int (*sign)(const struct sip_msg *req, struct sbuf *out, void *arg);
    bool (*signing)(void *arg);
    int (*verify)(const struct sip_msg *resp, void *arg);
    void *arg;
};
void sip_ua_set_auth(struct sip_ua *ua, const struct sip_ua_auth *auth);

/* Answers a request received by the request handler. */
int sip_ua_reply(struct sip_ua *ua, const struct sip_msg *req, uint16_t status,
                 const char *extra);

/* The last message sent and received, for the traces of failed calls. */
typedef void(sip_trace_h)(bool sent, const char *buf, size_t len, void *arg);
void sip_ua_set_trace(struct sip_ua *ua, sip_trace_h *h, void *arg);

#endif
