/* The target: a deployment as synth sees it (SIP domain, registrar, voicemail
 * URI, users). Loaded from YAML; see docs/configuration.md. */
#ifndef SYNTH_CONFIG_TARGET_H
#define SYNTH_CONFIG_TARGET_H

#include "media/port_range.h"
#include "synth/base/err.h"
#include "synth/config/access_path.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TARGET_NAME_MAX 128
#define TARGET_HOST_MAX 256
#define TARGET_URI_MAX 256
#define TARGET_PATH_MAX 1024
/* Largest user list one target may hold; a capacity test beyond it splits across machines. */
#define TARGET_USERS_MAX 1000000
/* Audio codecs a target may list: every one synth has. */
#define TARGET_CODECS_MAX 3

enum sip_transport {
    SIP_TRANSPORT_UDP,
    SIP_TRANSPORT_TCP,
    SIP_TRANSPORT_TLS,
};

const char *sip_transport_name(enum sip_transport t); /* "udp", "tcp", "tls" */

struct target_tls {
    char server_name[TARGET_HOST_MAX]; /* SNI and hostname check; "" = the host */
    char ca_file[TARGET_PATH_MAX];     /* "" = the system trust store */
    char client_cert[TARGET_PATH_MAX]; /* PEM, for mutual TLS; "" = none */
    char client_key[TARGET_PATH_MAX];
    bool verify; /* default true; false only when the file says `verify: false` */
};

/* How users answer this endpoint's challenges (`auth:`): Digest (RFC 3261
 * 22), NTLM ([MS-SIPAE], what Skype for Business offers), or auto: Digest
 * when offered, else NTLM. */
enum target_auth { TARGET_AUTH_AUTO, TARGET_AUTH_DIGEST, TARGET_AUTH_NTLM };

const char *target_auth_name(enum target_auth a); /* "auto", "digest", "ntlm" */

struct target_endpoint {
    char host[TARGET_HOST_MAX];
    /* An IP literal to connect to instead of resolving host (one pool
     * member, or the address DNS discovery found); "" = resolve host. */
    char address[64];
    uint16_t port; /* default 5060 udp/tcp, 5061 tls */
    enum sip_transport transport;
    struct target_tls tls;
    enum target_auth auth; /* default auto */
};

/* Whether calls use SRTP (SDES, RFC 4568): SfB's default is required. */
enum target_srtp {
    TARGET_SRTP_REQUIRED, /* offer RTP/SAVP; an answer without SRTP fails the call */
    TARGET_SRTP_OPTIONAL, /* offer RTP/AVP with a=crypto; accept either */
    TARGET_SRTP_OFF,      /* plain RTP (RTP/AVP, no keys) */
};

const char *target_srtp_name(enum target_srtp s); /* "required", "optional", "off" */

/* The media relay (the A/V Edge's TURN, RFC 8656) calls may take: media:
 * turn: in the target. No host (an empty or absent section) means no relay
 * candidates. The host is an address: the loop makes no DNS lookups. */
#define TARGET_TURN_SECRET_MAX 256
/* Where the relay's credentials come from (`credentials:`): the file's
 * username and password, or each user's own from the Front End's Media
 * Relay Authentication Service ([MS-AVEDGEA] 3.1.5.1), as a real Skype for
 * Business client gets them (synth/steps/mras_creds.h). */
enum target_turn_creds { TARGET_TURN_CREDS_STATIC, TARGET_TURN_CREDS_MRAS };
/* The location a MRAS request names (`location:`): auto is internet for
 * users through the Edge and intranet for the others. */
enum target_turn_location {
    TARGET_TURN_LOCATION_AUTO,
    TARGET_TURN_LOCATION_INTERNET,
    TARGET_TURN_LOCATION_INTRANET,
};
/* A MRAS answer is waited for this long by default (mras_timeout). */
#define TARGET_MRAS_TIMEOUT_MS 5000
struct target_turn {
    char host[64];          /* "" with credentials: mras: the relay the answer names */
    uint16_t port;          /* default 3478 (with mras and no host: the answer's) */
    bool tcp;               /* transport: udp (default) or tcp */
    char username[TARGET_NAME_MAX];
    char password[TARGET_TURN_SECRET_MAX]; /* resolved env:/file: secret; never logged */
    char realm[TARGET_NAME_MAX]; /* optional: the server's 401 names it anyway */
    bool ms_turn; /* edge.turn: ms-turn: the relay speaks [MS-TURN] (see target.c) */
    /* pseudo_tls: open each TCP connection to the relay with [MS-TURN]'s
     * pseudo-TLS handshake. Default: with ms-turn over TCP, as clients of
     * an A/V Edge on TCP 443 do (target.c settles it). */
    bool pseudo_tls;
    enum target_turn_creds credentials;  /* default static */
    /* The MRAS URI in-band provisioning gives clients (mrasUri); "" = the
     * default target_mras_uri writes. */
    char mras_uri[TARGET_URI_MAX];
    enum target_turn_location location;
    uint32_t mras_timeout_ms;            /* default TARGET_MRAS_TIMEOUT_MS */
};

/* Whether calls may get a relay candidate: a media.turn host, or MRAS to
 * name one. */
bool target_turn_enabled(const struct target_turn *t);

/* The deployment's media policy (PROTOCOLS.md, "Default QoS port ranges"):
 * the ranges synth's own media binds in (client), the ranges the servers
 * should answer from (server), and the DSCP of each modality. */
struct target_media {
    enum target_srtp srtp;
    char local_address[64];   /* bound and put in SDP; "" = the SIP connection's address */
    struct port_range client_ports[PORT_RANGE_MODALITY_COUNT];
    struct port_range server_ports[PORT_RANGE_MODALITY_COUNT];
    uint8_t dscp[PORT_RANGE_MODALITY_COUNT];
    char prompt_wav[TARGET_PATH_MAX]; /* what synth sends; "" = a generated voice */
    /* Offered in this order (RTP payload types of media/audio_codec.h);
     * default PCMU, PCMA. */
    uint8_t codecs[TARGET_CODECS_MAX];
    size_t codec_count;
    struct target_turn turn;
};

/* The defaults of a Skype for Business deployment (audio 50040-50079 /
 * 49152-57500 / 46, video 58000-58039 / 57501-65535 / 34, application
 * sharing 42000-42039 / 40803-49151 / 24), SRTP required. */
void target_media_defaults(struct target_media *m);

/* ucwa: the web side mobile and Mac clients use (UCWA 2.0, issue #5). */
struct target_ucwa {
    bool enabled;
    char discover_url[TARGET_URI_MAX]; /* https://lyncdiscover.<domain>/ */
    struct target_tls tls;             /* ca_file, verify (server_name unused: the URL's host) */
    /* The shortest P-GET the server holds (web.config PendingGetWaitTimeMin,
     * default 180 s); synth run refuses scenarios asking for less. */
    uint32_t pget_min_s;
};

#define TARGET_UCWA_PGET_MIN_S 180

/* web: the Front End's two web sites and the ports each should answer on
 * (PROTOCOLS.md, "Web service ports": internal 443/80, external 4443/8080;
 * issue #5). synth check probes every URL and reports one that answers for
 * the other site or does not answer (synth/web/web_probe.h). */
enum target_web_site {
    TARGET_WEB_INTERNAL,
    TARGET_WEB_EXTERNAL,
    TARGET_WEB_SITE_COUNT,
};

const char *target_web_site_name(enum target_web_site s); /* "internal", "external" */

/* URLs per site: an https and an http port, and room for a pool's members. */
#define TARGET_WEB_URLS_MAX 8

struct target_web_site_cfg {
    bool listed;                /* the file names this site */
    /* The site's published FQDN (internal: the pool's web FQDN; external:
     * the external web services FQDN): the certificate it presents names
     * it. "" = the certificate is not used to tell the sites apart. */
    char fqdn[TARGET_HOST_MAX];
    char urls[TARGET_WEB_URLS_MAX][TARGET_URI_MAX];
    size_t url_count;
    struct target_tls tls;      /* ca_file, verify (the chain; the names are judged by synth) */
};

struct target_web {
    bool enabled;
    uint32_t timeout_ms;        /* deadline of each probe (connect, TLS, answer); default 5000 */
    struct target_web_site_cfg sites[TARGET_WEB_SITE_COUNT];
};

/* discover: find the registrar and the edge from the SIP domain's SRV
 * records as clients do (synth/dns/sip_discovery.h). */
struct target_discover {
    bool enabled;
    char dns_servers[256];  /* "127.0.0.1:5353"; "" = the system's resolvers */
    uint32_t timeout_ms;    /* every lookup together; default 5000 */
    struct target_tls tls;  /* for the endpoints found (server name: the SRV target) */
};

/* What a checked TLS endpoint is in the deployment: the UM's certificate
 * rules are the strictest (PROTOCOLS.md, "Certificates"). */
enum target_role {
    TARGET_ROLE_REGISTRAR, /* Front End / Director pool */
    TARGET_ROLE_EDGE,      /* Edge access (SIP) */
    TARGET_ROLE_UM,        /* Exchange UM */
    TARGET_ROLE_WEB,       /* web services, reverse proxy */
};

const char *target_role_name(enum target_role r); /* "registrar", "edge", "um", "web" */

/* TLS endpoints `synth check` inspects besides the registrar. */
#define TARGET_CHECKS_MAX 8
#define TARGET_CHECK_NAMES_MAX 8

struct target_check {
    char name[TARGET_NAME_MAX];        /* "um", shown in every row */
    enum target_role role;
    char host[TARGET_HOST_MAX];
    uint16_t port;                     /* default 5061 */
    /* tls.server_name: the expected FQDN (Subject CN) and SNI, default the
     * host; ca_file, client_cert, client_key as for the registrar. */
    struct target_tls tls;
    char names[TARGET_CHECK_NAMES_MAX][TARGET_HOST_MAX]; /* the SAN must hold each */
    size_t name_count;                 /* 0: just the server name */
    bool mtls;                         /* mutual TLS: clientAuth EKU needed */
    uint32_t warn_days, crit_days;     /* 0: the check's defaults (30, 7) */
};

struct target_user {
    char uri[TARGET_URI_MAX];   /* sip:alice@contoso.com */
    char auth_user[TARGET_NAME_MAX];
    char *password;             /* resolved secret; never logged */
};

struct target {
    char name[TARGET_NAME_MAX]; /* shown in every output; "lab" for the embedded lab */
    char sip_domain[TARGET_HOST_MAX];
    struct target_endpoint registrar; /* internal users register and call here */
    struct target_endpoint edge;      /* the Edge access proxy, for external users */
    bool has_edge;
    bool registrar_by_dns;            /* no registrar: in the file; discover: fills it */
    struct target_discover discover;
    struct target_ucwa ucwa;
    struct target_web web;            /* web: (web service port probes) */
    /* Request-URI of the voicemail call; {user} is the caller's user part,
     * {domain} the SIP domain. Default "sip:{user}@{domain};opaque=app:voicemail". */
    char voicemail_uri[TARGET_URI_MAX];
    struct target_media media;
    struct target_user *users;
    size_t user_count;
    struct target_check checks[TARGET_CHECKS_MAX]; /* `checks:`; the registrar is implied */
    size_t check_count;
    char path[TARGET_PATH_MAX]; /* the file it came from, for messages */
};

/* Loads and validates a target file. On error returns SYNTH_ECONFIG (or
 * ENOMEM/EIO) with "file:line: key: what is wrong" in err; never prints a
 * secret. Caller frees with target_free. Relative paths in the file (CA, CSV,
 * file: secrets) are resolved against the file's directory. */
int target_load(struct target *t, const char *path, struct synth_error *err);

/* The same from memory (tests, fuzzing); name stands for the file in
 * messages and relative paths. At most max_users users (0: TARGET_USERS_MAX). */
int target_load_buffer(struct target *t, const char *name, const char *buf, size_t len,
                       size_t max_users, struct synth_error *err);

/* Where users on path p send their SIP: the registrar or the edge (NULL
 * when the target names no edge, or left the registrar to a DNS discovery
 * that did not find it). */
const struct target_endpoint *target_endpoint_for(const struct target *t, enum access_path p);

/* Frees users and wipes passwords. Safe on a zeroed struct. */
void target_free(struct target *t);

/* Expands {user} (the user part of u's URI) and {domain} (the SIP domain)
 * in pattern into out; SYNTH_ETOOBIG when it does not fit. */
int target_expand_uri(const struct target *t, const char *pattern, const struct target_user *u,
                      char *out, size_t size);

/* The MRAS URI users send their SERVICE to: media.turn.mras_uri, or
 * "sip:<registrar host>@<domain>;gruu;opaque=srvr:MRAS", the form a pool's
 * in-band provisioning hands out (less its instance id). */
int target_mras_uri(const struct target *t, char *out, size_t size);

/* Expands the voicemail URI pattern for one user into out. */
int target_voicemail_uri(const struct target *t, const struct target_user *u,
                         char *out, size_t size);

#endif
