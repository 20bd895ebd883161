/* Configuration of the embedded lab: its listeners, users, certificates and
 * the fault knobs that reproduce field failures. From YAML (`synth lab
 * --config`) and from `--fault KEY=VALUE`; see docs/lab.md. */
#ifndef SYNTH_LAB_CONFIG_H
#define SYNTH_LAB_CONFIG_H

#include "synth/base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LAB_SAN_MAX 8
#define LAB_NAME_MAX 256
/* RFC 5280 appendix A: ub-common-name. */
#define LAB_CERT_CN_MAX 65

struct lab_cert_spec {
    char cn[LAB_NAME_MAX];           /* Subject CN */
    char san[LAB_SAN_MAX][LAB_NAME_MAX]; /* DNS names in subjectAltName */
    unsigned san_count;
};

/* Fault knobs. Zero means "no fault". */
struct lab_faults {
    uint16_t register_reject;     /* 403 or 503: reject every REGISTER with it */
    uint32_t register_retry_after_s; /* Retry-After on a 503 */
    uint32_t answer_delay_ms;     /* UM: ring this long before 200 OK */
    bool never_answer;            /* UM: ring forever (caller must CANCEL) */
    uint32_t bye_after_ms;        /* UM: send BYE this long after answering */
    /* UM media (issue #3), each reproducing a field failure: */
    bool um_no_media;             /* answer with SDP but send no RTP */
    bool um_wrong_key;            /* send SRTP with another key than the answer gave */
    bool um_deaf;                 /* cannot decrypt what the caller sends (one-way audio) */
    bool um_port_outside_range;   /* answer from a port outside the server audio range */
    bool um_dscp_set;             /* mark the UM's media with um_dscp instead of 46 */
    uint8_t um_dscp;
    uint32_t um_stop_media_after_ms; /* stop sending media this long after answering */
    bool um_ice_silent;           /* answer with ICE candidates, never answer a check (issue #4) */
    /* The field's UM certificate failure: issue the UM certificate with this
     * Subject CN, its FQDN only in the SAN. "" = no fault. */
    char um_cert_cn[LAB_CERT_CN_MAX];
    /* UCWA web side (issue #5): */
    uint32_t proxy_idle_timeout_s; /* reverse proxy idle/read timeout; 0 = the healthy 1800 s */
    uint32_t ucwa_app_expiry_s;    /* delete an application idle this long; 0 = never */
    uint32_t ucwa_token_expiry_s;  /* OAuth token lifetime; 0 = 8 hours */
    /* auth: ntlm ([MS-SIPAE]): */
    uint32_t ntlm_sa_lifetime_s;   /* an established SA lasts this long; 0 = 8 hours */
    bool ntlm_bad_request_signature; /* the requests it relays to a client carry a broken rspauth */
    bool ucwa_redirect;            /* users homed on a second pool: the user resource redirects */
    bool web_ports_swapped;        /* the internal and external web sites swap their ports */
    /* The A/V Edge (TURN relay): */
    uint16_t turn_refuse_allocate; /* 486 or 508: answer every Allocate with it */
    bool turn_drop_relayed;        /* allocations succeed, relayed data is dropped */
    /* Capacity (issue #6): the Front End answers new INVITEs beyond this many
     * per second (sliding window) with 503 and Retry-After. 0 = no limit. */
    uint32_t max_call_rate;
    /* A middlebox on the SIP TLS path (issue #5, tcp_idle_relay.h) in front
     * of the Front End's and the Edge's TLS listeners: */
    uint32_t sip_idle_timeout_s;   /* cut a client connection idle this long; 0 = no middlebox */
    uint8_t sip_idle_cut;          /* how: 0 fin, 1 rst, 2 drop (enum tcp_idle_cut) */
    /* The Front End's MRAS answers users' SERVICE with 403 and an
     * ms-diagnostics of the MRAS range (the UM still gets its credentials). */
    bool mras_refuse_users;
    bool mras_silent_users;        /* ... or never answers them (a client's MRAS deadline) */
    bool mras_empty_users;         /* ... or answers 200 without credentials */
};

#define LAB_TURN_TEXT_MAX 128

/* How the lab Front End authenticates (`auth:`): Digest (RFC 7616), or
 * NTLM per [MS-SIPAE] as a Skype for Business pool does. */
enum lab_auth { LAB_AUTH_DIGEST, LAB_AUTH_NTLM };

struct lab_config {
    char domain[LAB_NAME_MAX];       /* SIP domain, default "lab.synth.test" */
    char listen_host[64];            /* default "127.0.0.1" */
    uint16_t udp_port, tcp_port, tls_port; /* Front End; 0 = ephemeral */
    uint16_t um_port;                /* UM TLS port; 0 = ephemeral */
    uint16_t edge_port;              /* Edge access proxy TLS port; 0 = ephemeral */
    uint32_t user_count;             /* users user0001..userNNNN, default 100 */
    char password[128];              /* every lab user's password, default "synth-lab" */
    enum lab_auth auth;              /* default digest */
    struct lab_cert_spec fe_cert;    /* default CN=fe.<domain>, SAN fe.<domain> */
    struct lab_cert_spec um_cert;    /* default CN=um.<domain>, SAN um.<domain> */
    struct lab_cert_spec edge_cert;  /* default CN=sip.<domain>, SAN sip.<domain> */
    uint32_t um_max_message_ms;      /* UM hangs up after this, default 60000 */
    /* How long the UM waits for an ICE pair before it hangs up a call that
     * has no media, default 3000: shorter than a client's usual first-media
     * deadline, so the caller sees the field's BYE from the UM side. */
    uint32_t um_media_timeout_ms;
    uint32_t register_max_expires_s; /* the registrar grants at most this; 0 = 3600 */
    uint16_t um_media_first, um_media_last; /* UM media ports, default 49152-57500 (SfB audio) */
    char um_greeting[1024];          /* WAV the UM plays; "" = a generated voice */
    char um_record_dir[1024];        /* the UM keeps what callers say here as WAV; "" = not */
    uint16_t turn_port;              /* TURN relay, UDP and TCP; 0 = ephemeral */
    uint16_t turn_relay_first, turn_relay_last; /* relayed ports, default 61000-65535 */
    char turn_realm[LAB_TURN_TEXT_MAX];    /* default: the domain */
    char turn_user[LAB_TURN_TEXT_MAX];     /* the static credential, default "synth-turn" */
    char turn_password[LAB_TURN_TEXT_MAX]; /* default "synth-turn-lab" */
    uint32_t turn_user_quota;        /* allocations at once per user; 0 = no quota */
    uint32_t turn_nonce_lifetime_ms; /* 0 = the lab's nonce lifetime (5 min) */
    bool turn_msturn; /* turn_dialect: ms-turn: the relay (and the UM) speak [MS-TURN] */
    /* turn_pool_redirect: the Edge clients are sent to (the target, MRAS)
     * is a pool's first, which sends every Allocate on to the relay. */
    bool turn_pool_redirect;
    bool ice_msice2;  /* ice_dialect: ms-ice2: the UM answers and checks in [MS-ICE2] */
    /* turn_credentials: mras: the lab's target gives users no TURN
     * password: each asks the Front End's MRAS (media.turn.credentials). */
    bool turn_mras_credentials;
    /* The longest MRAS grant, minutes (`mras_max_duration`, a whole number
     * of minutes); 0 = 480, what a pool grants. */
    uint32_t mras_max_duration_min;
    /* threads: one: every server on one thread and loop (the default);
     * per-server: the UM, the relay and the Front End each on its own. */
    bool threads_per_server;
    struct lab_faults faults;
};

/* Fills the defaults. */
void lab_config_defaults(struct lab_config *c);

/* Reads a lab YAML file over the defaults; "file:line: key: what" on error. */
int lab_config_load(struct lab_config *c, const char *path, struct synth_error *err);
/* The same from memory (tests, fuzzing); name stands for the file in messages. */
int lab_config_load_buffer(struct lab_config *c, const char *name, const char *buf, size_t len,
                           struct synth_error *err);

/* Applies one "KEY=VALUE" fault knob (the keys of the `faults:` section:
 * register_reject, register_retry_after_s, answer_delay_ms, never_answer,
 * bye_after_ms, um_no_media, um_wrong_key, um_deaf, um_port_outside_range, um_dscp,
 * um_stop_media_after_ms, um_cert_cn, proxy_idle_timeout_s, ucwa_app_expiry_s,
 * ucwa_token_expiry_s, ucwa_redirect, turn_refuse_allocate, turn_drop_relayed,
 * max_call_rate, web_ports_swapped, sip_idle_timeout_s, sip_idle_cut, mras_refuse_users,
 * mras_silent_users, mras_empty_users, ntlm_sa_lifetime_s, ntlm_bad_request_signature). Errors name the
 * key and the accepted values; a flag also takes 1 or 0. */
int lab_config_set_fault(struct lab_config *c, const char *key_value, struct synth_error *err);

#endif
