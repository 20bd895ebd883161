/* The certificate rules of a server endpoint (PROTOCOLS.md, "Certificates"):
 * a presented chain judged against what the deployment expects, each rule
 * pass/warn/fail with the certificate fields as evidence. Pure: no I/O but
 * the CA file a trust store is read from (cert_trust_store_new). X.509 per
 * RFC 5280, names per RFC 6125. */
#ifndef SYNTH_TLS_CERT_CHECK_H
#define SYNTH_TLS_CERT_CHECK_H

#include "synth/base/err.h"

#include <openssl/x509.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Certificates of one presented chain that are kept; a longer chain is a
 * misconfiguration (SfB chains are 2 to 4 deep) and is cut here. */
#define CERT_CHAIN_MAX 8
/* Names a SAN list must hold (expected), and SANs kept as evidence. */
#define CERT_NAMES_MAX 8
#define CERT_SANS_MAX 16
/* A DNS name (RFC 1035 2.3.4) plus a prefix ("DNS:") and NUL. */
#define CERT_NAME_MAX 260
/* A Subject or Issuer on one line; longer ones are cut with "...". */
#define CERT_DN_MAX 256
#define CERT_TEXT_MAX 512
/* Input bound of the parsers: a chain of CERT_CHAIN_MAX certificates of a
 * few KiB each fits many times over. */
#define CERT_INPUT_MAX (256u * 1024)

/* Expiry levels when the caller gives none (days left below these). */
#define CERT_WARN_DAYS_DEFAULT 30
#define CERT_CRIT_DAYS_DEFAULT 7

/* The presented chain, leaf first, as the peer sent it. Each X509 holds a
 * reference owned by the chain. */
struct cert_chain {
    X509 *cert[CERT_CHAIN_MAX];
    size_t n;
    size_t dropped; /* certificates past CERT_CHAIN_MAX */
};

/* Up-refs the certificates of sk (SSL_get_peer_cert_chain) into c. */
int cert_chain_from_stack(struct cert_chain *c, STACK_OF(X509) *sk, struct synth_error *err);
/* Parses PEM (one or more CERTIFICATE blocks) or DER (certificates back to
 * back) from memory; SYNTH_EPARSE when nothing parses, with the reason.
 * Never reads past len. */
int cert_chain_from_pem(struct cert_chain *c, const void *buf, size_t len,
                        struct synth_error *err);
int cert_chain_from_der(struct cert_chain *c, const void *buf, size_t len,
                        struct synth_error *err);
/* Takes a reference on x and appends it; SYNTH_ETOOBIG past CERT_CHAIN_MAX. */
int cert_chain_push(struct cert_chain *c, X509 *x, struct synth_error *err);
void cert_chain_free(struct cert_chain *c);

/* The fields of one certificate, readable and safe to print (control and
 * non-ASCII bytes shown as '?'). */
struct cert_facts {
    char subject[CERT_DN_MAX];
    char subject_cn[CERT_NAME_MAX]; /* "" when the Subject has no CN */
    bool has_cn;
    char issuer[CERT_DN_MAX];
    char sans[CERT_SANS_MAX][CERT_NAME_MAX]; /* "DNS:um01.contoso.com", "IP:10.0.0.5" */
    size_t san_count;
    size_t san_total;                        /* including those not kept */
    char not_before[32], not_after[32];      /* "2027-03-01T12:00:00Z" */
    int64_t days_left;                       /* whole days to notAfter; negative once expired */
    char key_type[16];                       /* "RSA", "EC", "Ed25519", ... */
    int key_bits;
    char signature[64];                      /* "sha256WithRSAEncryption" */
    char ekus[CERT_TEXT_MAX / 2];            /* "serverAuth, clientAuth"; "" = no extension */
    bool has_eku, eku_server, eku_client;
    bool self_signed;
    char sha256[96];                         /* fingerprint, hex pairs with ':' */
};

/* Reads the fields of x; never fails (a field OpenSSL cannot read is "?"). */
void cert_facts_read(X509 *x, time_t now, struct cert_facts *f);

enum cert_rule {
    CERT_RULE_TRUST,     /* chain to the configured CA or the system store */
    CERT_RULE_EXPIRY,    /* days to notAfter, not yet valid */
    CERT_RULE_SUBJECT,   /* Subject CN == the expected FQDN */
    CERT_RULE_SAN,       /* SAN holds every expected name */
    CERT_RULE_EKU,       /* serverAuth (and clientAuth for mutual TLS) */
    CERT_RULE_KEY,       /* RSA >= 2048, EC >= 256 bits */
    CERT_RULE_SIGNATURE, /* no MD5 or SHA-1 below the root */
    CERT_RULE_COUNT,
};

enum cert_status { CERT_PASS, CERT_WARN, CERT_FAIL };

/* "chain-trusted", "expiry", "subject-cn", "san-names", "eku", "key-size", "signature". */
const char *cert_rule_name(enum cert_rule r);
/* "pass", "warn", "fail". */
const char *cert_status_name(enum cert_status s);

/* What the deployment expects of one endpoint's certificate. */
struct cert_expect {
    const char *fqdn;                    /* the Subject CN must be this (trailing dot ignored) */
    const char *names[CERT_NAMES_MAX];   /* the SAN must hold each (DNS name or IP literal) */
    size_t name_count;
    bool mtls;                           /* the endpoint does mutual TLS: clientAuth too */
    uint32_t warn_days, crit_days;       /* 0: CERT_WARN_DAYS_DEFAULT, CERT_CRIT_DAYS_DEFAULT */
    X509_STORE *trust;                   /* cert_trust_store_new; NULL: the trust rule fails */
    const char *trust_name;              /* "ca.pem" or "the system store", for evidence */
    time_t now;                          /* 0: time(NULL); tests set it */
};

struct cert_rule_result {
    enum cert_rule rule;
    enum cert_status status;
    char summary[CERT_TEXT_MAX];  /* one line: what is right or wrong */
    char evidence[CERT_TEXT_MAX]; /* the fields it was judged on */
};

/* The whole judgement: the facts of each presented certificate and one
 * result per rule, in enum order. Large (tens of KiB): allocate it. */
struct cert_report {
    struct cert_facts chain[CERT_CHAIN_MAX];
    size_t chain_len;
    struct cert_rule_result rules[CERT_RULE_COUNT];
    int verify_error; /* X509_V_OK or the chain verification's error code */
};

/* A trust store from a PEM CA bundle, or the system store when ca_file is
 * NULL or "". Caller frees *out with X509_STORE_free. */
int cert_trust_store_new(X509_STORE **out, const char *ca_file, struct synth_error *err);

/* Judges chain (leaf first) against e into out. SYNTH_EINVAL for an empty
 * chain or no FQDN; SYNTH_ENOMEM. Verification is done here, apart from any
 * handshake, at security level 0 and without the time check (expiry is its
 * own rule). */
int cert_check_evaluate(const struct cert_chain *chain, const struct cert_expect *e,
                        struct cert_report *out, struct synth_error *err);

/* The worst status of a report. */
enum cert_status cert_report_worst(const struct cert_report *r);

#endif
