/* TLS contexts (OpenSSL 3): clients with RFC 6125 name checks and SNI
 * (RFC 6066 3), optional client-side session resumption (RFC 8446 2.2),
 * servers with optional client certificates (RFC 8446 4.3.2), and a readable
 * account of a refused certificate. */
#include "tls_ctx.h"

#include "synth/base/sbuf.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A CA bundle larger than this is not a trust store but a mistake (Debian's
 * whole bundle holds about 150). */
#define TLS_CA_FILE_CERTS_MAX 4096
/* SANs listed by tls_describe_verify_error before "and N more". */
#define TLS_DESCRIBE_SANS_MAX 6
/* Bytes of a CN or SAN shown in a description. */
#define TLS_DESCRIBE_NAME_MAX 128
/* Server session ID context: OpenSSL refuses to resume a session on a
 * context that verifies client certificates unless one is set. */
static const unsigned char server_sid_ctx[] = "synth";

/* The last resumable session per server name (client side). Guarded by a
 * lock because one context may serve several worker threads. */
struct session_slot {
    char name[TLS_SERVER_NAME_MAX];
    SSL_SESSION *sess;
    uint64_t used; /* for least-recently-used replacement */
};

struct session_cache {
    pthread_mutex_t lock;
    uint64_t clock;
    struct session_slot slot[TLS_SESSION_CACHE_MAX];
};

/* OpenSSL ex_data indexes are process-wide registrations, made once. */
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;
static int ex_ctx_cache = -1; /* SSL_CTX -> struct session_cache */
static int ex_ssl_name = -1;  /* SSL -> server name (malloc'd), the cache key */

int tls_error_set(struct synth_error *err, int code, const char *fmt, ...)
{
    unsigned long e = ERR_peek_error();

    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        if (e) {
            char ossl[256];
            size_t len = strlen(err->msg);
            ERR_error_string_n(e, ossl, sizeof(ossl));
            snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", ossl);
        }
    }
    ERR_clear_error();
    return code;
}

static void cache_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                       void *argp)
{
    struct session_cache *c = ptr;

    if (!c)
        return;
    for (size_t i = 0; i < TLS_SESSION_CACHE_MAX; i++)
        SSL_SESSION_free(c->slot[i].sess);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void name_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                      void *argp)
{
    free(ptr);
}

/* SSL_dup copies ex_data pointers; give the copy its own string. */
static int name_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, void **from_d, int idx,
                    long argl, void *argp)
{
    if (*from_d) {
        *from_d = strdup(*from_d);
        return *from_d != NULL;
    }
    return 1;
}

static void ex_register(void)
{
    ex_ctx_cache = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, cache_free);
    ex_ssl_name = SSL_get_ex_new_index(0, NULL, NULL, name_dup, name_free);
}

static int ex_init(struct synth_error *err)
{
    if (pthread_once(&ex_once, ex_register) != 0 || ex_ctx_cache < 0 || ex_ssl_name < 0)
        return tls_error_set(err, SYNTH_EINTERNAL, "registering TLS ex_data");
    return 0;
}

/* Called when the server hands us a session (TLS 1.2 after the handshake,
 * TLS 1.3 with each NewSessionTicket). Returning 1 keeps the reference. */
static int session_new_cb(SSL *ssl, SSL_SESSION *sess)
{
    struct session_cache *c = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_ctx_cache);
    const char *name = SSL_get_ex_data(ssl, ex_ssl_name);
    struct session_slot *s = NULL;

    if (!c || !name || !SSL_SESSION_is_resumable(sess))
        return 0;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < TLS_SESSION_CACHE_MAX; i++) {
        struct session_slot *t = &c->slot[i];
        if (t->name[0] && strcmp(t->name, name) == 0) {
            s = t;
            break;
        }
        if (!s || t->used < s->used)
            s = t;
    }
    SSL_SESSION_free(s->sess);
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->sess = sess;
    s->used = ++c->clock;
    pthread_mutex_unlock(&c->lock);
    return 1;
}

/* Takes the cached session for name out of the cache: a TLS 1.3 ticket
 * should be used once (RFC 8446 C.4), the next handshake brings a new one. */
static SSL_SESSION *session_take(struct session_cache *c, const char *name)
{
    SSL_SESSION *sess = NULL;

    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < TLS_SESSION_CACHE_MAX; i++) {
        struct session_slot *s = &c->slot[i];
        if (s->sess && strcmp(s->name, name) == 0) {
            sess = s->sess;
            s->sess = NULL;
            s->name[0] = '\0';
            s->used = 0;
            break;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return sess;
}

static int session_cache_attach(SSL_CTX *ctx, struct synth_error *err)
{
    struct session_cache *c = calloc(1, sizeof(*c));

    if (!c)
        return synth_error_set(err, SYNTH_ENOMEM, "TLS session cache: out of memory");
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return synth_error_set(err, SYNTH_EINTERNAL, "TLS session cache: mutex");
    }
    if (!SSL_CTX_set_ex_data(ctx, ex_ctx_cache, c)) {
        cache_free(NULL, c, NULL, 0, 0, NULL);
        return tls_error_set(err, SYNTH_ENOMEM, "TLS session cache");
    }
    /* OpenSSL's client cache only stores; the lookup by name is ours. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, session_new_cb);
    return 0;
}

/* Opened here rather than by X509_STORE_load_file so the error can say
 * which file and why. */
int tls_store_add_ca_file(X509_STORE *store, const char *path, struct synth_error *err)
{
    FILE *f = fopen(path, "r");
    int count = 0, rc = 0;

    if (!f)
        return synth_error_set(err, SYNTH_EIO, "%s: %s", path, strerror(errno));
    ERR_clear_error();
    for (;;) {
        X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
        if (!x) {
            unsigned long e = ERR_peek_last_error();
            /* "no start line" at the end is how PEM reading says EOF. */
            if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
                ERR_clear_error();
                break;
            }
            rc = tls_error_set(err, SYNTH_EPARSE, "%s: certificate %d", path, count + 1);
            goto out;
        }
        int ok = X509_STORE_add_cert(store, x);
        X509_free(x);
        if (!ok) {
            rc = tls_error_set(err, SYNTH_ETLS, "%s: certificate %d", path, count + 1);
            goto out;
        }
        if (++count > TLS_CA_FILE_CERTS_MAX) {
            rc = synth_error_set(err, SYNTH_ETOOBIG, "%s: more than %d certificates", path,
                                 TLS_CA_FILE_CERTS_MAX);
            goto out;
        }
    }
    if (count == 0)
        rc = synth_error_set(err, SYNTH_EPARSE, "%s: no certificates found", path);
out:
    fclose(f);
    return rc;
}

static bool str_set(const char *s)
{
    return s && *s;
}

/* OpenSSL's default would prompt on the terminal for an encrypted key and
 * block a worker or a daemon; refuse instead (the load fails, the error
 * names the file). */
static int no_passphrase_cb(char *buf, int size, int rwflag, void *arg)
{
    return -1;
}

/* The certificate and key an endpoint presents, from files or from memory. */
static int use_identity(SSL_CTX *ctx, const char *cert_file, const char *key_file, X509 *x509,
                        EVP_PKEY *pkey, struct synth_error *err)
{
    if (str_set(cert_file)) {
        SSL_CTX_set_default_passwd_cb(ctx, no_passphrase_cb);
        if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1)
            return tls_error_set(err, SYNTH_ECONFIG, "%s: certificate", cert_file);
        if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1)
            return tls_error_set(err, SYNTH_ECONFIG, "%s: private key", key_file);
    } else {
        if (SSL_CTX_use_certificate(ctx, x509) != 1)
            return tls_error_set(err, SYNTH_ETLS, "using certificate");
        if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1)
            return tls_error_set(err, SYNTH_ETLS, "using private key");
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        if (str_set(cert_file))
            return tls_error_set(err, SYNTH_ECONFIG, "%s: key does not match certificate %s",
                                 key_file, cert_file);
        return tls_error_set(err, SYNTH_ETLS, "key does not match certificate");
    }
    return 0;
}

static int check_identity(const char *who, const char *cert_file, const char *key_file,
                          const X509 *x509, const EVP_PKEY *pkey, struct synth_error *err)
{
    bool files = str_set(cert_file) || str_set(key_file);
    bool mem = x509 || pkey;

    if (files && mem)
        return synth_error_set(err, SYNTH_EINVAL, "%s: give files or in-memory objects, not both",
                               who);
    if (files && !(str_set(cert_file) && str_set(key_file)))
        return synth_error_set(err, SYNTH_EINVAL, "%s: a certificate file needs a key file",
                               who);
    if (mem && !(x509 && pkey))
        return synth_error_set(err, SYNTH_EINVAL, "%s: a certificate needs its key", who);
    return 0;
}

void tls_client_opts_defaults(struct tls_client_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->verify = true;
}

int tls_ctx_client_new(SSL_CTX **out, const struct tls_client_opts *o, struct synth_error *err)
{
    struct tls_client_opts defaults;
    SSL_CTX *ctx = NULL;
    int rc;

    *out = NULL;
    if (!o) {
        tls_client_opts_defaults(&defaults);
        o = &defaults;
    }
    if ((rc = ex_init(err)) ||
        (rc = check_identity("client certificate", o->client_cert, o->client_key,
                             o->client_x509, o->client_pkey, err)))
        return rc;
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        return tls_error_set(err, SYNTH_ENOMEM, "creating TLS client context");
    /* TLS 1.0/1.1 are deprecated (RFC 8996); SfB 2015 speaks 1.2. */
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
        rc = tls_error_set(err, SYNTH_ETLS, "setting TLS 1.2 minimum");
        goto out;
    }

    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    if (str_set(o->ca_file) && (rc = tls_store_add_ca_file(store, o->ca_file, err)))
        goto out;
    if (o->ca_cert && !X509_STORE_add_cert(store, o->ca_cert)) {
        rc = tls_error_set(err, SYNTH_ETLS, "adding CA certificate");
        goto out;
    }
    /* The system store only when nothing was named: a lab or private CA must
     * not be silently widened to every public CA. */
    if (!str_set(o->ca_file) && !o->ca_cert && o->verify &&
        !SSL_CTX_set_default_verify_paths(ctx)) {
        rc = tls_error_set(err, SYNTH_ETLS, "loading the system CA store");
        goto out;
    }

    if ((str_set(o->client_cert) || o->client_x509) &&
        (rc = use_identity(ctx, o->client_cert, o->client_key, o->client_x509, o->client_pkey,
                           err)))
        goto out;

    SSL_CTX_set_verify(ctx, o->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);

    if (o->resume_sessions) {
        rc = session_cache_attach(ctx, err);
        if (rc)
            goto out;
    } else {
        /* Each synthetic user is a new client: no cache, and no TLS 1.2
         * ticket requested that would only cost the server work. */
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    }
    *out = ctx;
    ctx = NULL;
    rc = 0;
out:
    SSL_CTX_free(ctx);
    return rc;
}

static bool is_ip_literal(const char *s)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

int tls_conn_prepare(SSL *ssl, const char *server_name, struct synth_error *err)
{
    char name[TLS_SERVER_NAME_MAX];
    size_t len;
    int rc;

    if (!ssl || !str_set(server_name))
        return synth_error_set(err, SYNTH_EINVAL, "TLS: no server name");
    len = strlen(server_name);
    /* "host." is the same name; neither SNI nor certificates carry the dot. */
    if (len > 1 && server_name[len - 1] == '.')
        len--;
    if (len >= sizeof(name))
        return synth_error_set(err, SYNTH_ETOOBIG, "TLS server name of %zu bytes, at most %zu",
                               len, sizeof(name) - 1);
    memcpy(name, server_name, len);
    name[len] = '\0';
    if ((rc = ex_init(err)))
        return rc;

    /* The name is checked even when the context does not verify: the result
     * then lands in SSL_get_verify_result without failing the handshake, so
     * a certificate check can still report a mismatch. */
    if (is_ip_literal(name)) {
        /* RFC 6066 3: a literal IP address is not sent as SNI. */
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) != 1)
            return tls_error_set(err, SYNTH_ETLS, "%s: setting expected IP address", name);
    } else {
        if (SSL_set_tlsext_host_name(ssl, name) != 1)
            return tls_error_set(err, SYNTH_ETLS, "%s: setting SNI", name);
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (SSL_set1_host(ssl, name) != 1)
            return tls_error_set(err, SYNTH_ETLS, "%s: setting expected host name", name);
    }

    struct session_cache *c = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_ctx_cache);
    if (c) {
        char *key = strdup(name);
        if (!key)
            return synth_error_set(err, SYNTH_ENOMEM, "TLS: out of memory");
        char *old = SSL_get_ex_data(ssl, ex_ssl_name);
        if (!SSL_set_ex_data(ssl, ex_ssl_name, key)) {
            free(key);
            return tls_error_set(err, SYNTH_ENOMEM, "TLS: storing server name");
        }
        free(old);
        SSL_SESSION *sess = session_take(c, name);
        if (sess) {
            /* A refused session only costs a full handshake. */
            if (SSL_set_session(ssl, sess) != 1)
                ERR_clear_error();
            SSL_SESSION_free(sess);
        }
    }
    return 0;
}

/* Accepts any client certificate when the server has no CA to check it
 * against; the verdict stays readable in SSL_get_verify_result. */
static int accept_any_cb(int preverify_ok, X509_STORE_CTX *x)
{
    return 1;
}

static int server_ctx_alloc(SSL_CTX **out, struct synth_error *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    *out = NULL;
    if (!ctx)
        return tls_error_set(err, SYNTH_ENOMEM, "creating TLS server context");
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
        !SSL_CTX_set_session_id_context(ctx, server_sid_ctx, sizeof(server_sid_ctx) - 1)) {
        SSL_CTX_free(ctx);
        return tls_error_set(err, SYNTH_ETLS, "setting up TLS server context");
    }
    *out = ctx;
    return 0;
}

/* RFC 8446 4.3.2: a CertificateRequest; without SSL_VERIFY_FAIL_IF_NO_PEER_CERT
 * a client that sends none still gets in. */
static void server_client_auth(SSL_CTX *ctx, bool request, bool have_ca)
{
    if (request)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, have_ca ? NULL : accept_any_cb);
    else
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
}

int tls_ctx_server_new(SSL_CTX **out, X509 *cert, EVP_PKEY *key, X509 *chain_ca,
                       bool request_client_cert, struct synth_error *err)
{
    SSL_CTX *ctx = NULL;
    int rc;

    *out = NULL;
    if (!cert || !key)
        return synth_error_set(err, SYNTH_EINVAL, "TLS server: a certificate and its key are needed");
    if ((rc = server_ctx_alloc(&ctx, err)) || (rc = use_identity(ctx, NULL, NULL, cert, key, err)))
        goto out;
    /* The CA is a trust anchor for client certificates and is named in the
     * CertificateRequest (RFC 8446 4.2.4). It is not sent in our chain: a
     * root is left out (RFC 8446 4.4.2), so a client missing it sees
     * "unable to get local issuer certificate", as with a real deployment. */
    if (chain_ca && (!X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), chain_ca) ||
                     !SSL_CTX_add_client_CA(ctx, chain_ca))) {
        rc = tls_error_set(err, SYNTH_ETLS, "adding client CA");
        goto out;
    }
    server_client_auth(ctx, request_client_cert, chain_ca != NULL);
    *out = ctx;
    ctx = NULL;
out:
    SSL_CTX_free(ctx);
    return rc;
}

int tls_ctx_server_new_files(SSL_CTX **out, const char *cert_file, const char *key_file,
                             const char *ca_file, bool request_client_cert,
                             struct synth_error *err)
{
    SSL_CTX *ctx = NULL;
    int rc;

    *out = NULL;
    if (!str_set(cert_file) || !str_set(key_file))
        return synth_error_set(err, SYNTH_EINVAL, "TLS server: a certificate file and a key file are needed");
    if ((rc = server_ctx_alloc(&ctx, err)) ||
        (rc = use_identity(ctx, cert_file, key_file, NULL, NULL, err)))
        goto out;
    if (str_set(ca_file)) {
        rc = tls_store_add_ca_file(SSL_CTX_get_cert_store(ctx), ca_file, err);
        if (rc)
            goto out;
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca_file);
        if (!names) {
            rc = tls_error_set(err, SYNTH_EPARSE, "%s: CA names", ca_file);
            goto out;
        }
        SSL_CTX_set_client_CA_list(ctx, names);
    }
    server_client_auth(ctx, request_client_cert, str_set(ca_file));
    *out = ctx;
    ctx = NULL;
out:
    SSL_CTX_free(ctx);
    return rc;
}

/* Appends s with control and non-ASCII bytes shown as '?': a certificate
 * name is attacker-chosen text going into logs and reports. */
static void put_safe(struct sbuf *sb, const unsigned char *s, size_t len)
{
    char buf[TLS_DESCRIBE_NAME_MAX];
    size_t n = len < sizeof(buf) ? len : sizeof(buf);

    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++)
        buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
    sbuf_put(sb, buf, n);
    if (len > n)
        sbuf_puts(sb, "...");
}

static void describe_cn(struct sbuf *sb, X509 *x)
{
    const X509_NAME *subj = X509_get_subject_name(x);
    int i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
    unsigned char *utf8 = NULL;
    int len;

    if (i < 0) {
        sbuf_puts(sb, "no CN");
        return;
    }
    len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i)));
    sbuf_puts(sb, "CN=");
    if (len < 0) {
        ERR_clear_error();
        sbuf_puts(sb, "?");
        return;
    }
    put_safe(sb, utf8, (size_t)len);
    OPENSSL_free(utf8);
}

static void describe_sans(struct sbuf *sb, X509 *x)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int n = gens ? sk_GENERAL_NAME_num(gens) : 0, shown = 0;

    if (n <= 0) {
        sbuf_puts(sb, "no SAN");
        goto out;
    }
    sbuf_puts(sb, "SAN: ");
    for (int i = 0; i < n && shown < TLS_DESCRIBE_SANS_MAX; i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);
        int type;
        const ASN1_STRING *v = GENERAL_NAME_get0_value(gn, &type);
        char ip[INET6_ADDRSTRLEN];

        if (type != GEN_DNS && type != GEN_IPADD)
            continue;
        sbuf_puts(sb, shown ? ", " : "");
        if (type == GEN_DNS) {
            sbuf_puts(sb, "DNS:");
            put_safe(sb, ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
        } else if (ASN1_STRING_length(v) == 4 || ASN1_STRING_length(v) == 16) {
            inet_ntop(ASN1_STRING_length(v) == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(v),
                      ip, sizeof(ip));
            sbuf_printf(sb, "IP:%s", ip);
        } else {
            sbuf_puts(sb, "IP:?");
        }
        shown++;
    }
    if (n > shown)
        sbuf_printf(sb, "%s%d more", shown ? ", and " : "", n - shown);
out:
    GENERAL_NAMES_free(gens);
    ERR_clear_error();
}

static void describe_time(struct sbuf *sb, const char *label, const ASN1_TIME *t)
{
    struct tm tm;
    char buf[32];

    if (ASN1_TIME_to_tm(t, &tm) != 1 || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm)) {
        ERR_clear_error();
        return;
    }
    sbuf_printf(sb, " (%s %s)", label, buf);
}

/* The leaf the peer sent. A client that refused it never stored it as the
 * peer certificate, but the chain it received holds it first (on a client
 * only: a server's chain omits the leaf). */
static X509 *peer_leaf(SSL *ssl)
{
    X509 *x = SSL_get0_peer_certificate(ssl);
    STACK_OF(X509) *chain;

    if (x || SSL_is_server(ssl))
        return x;
    chain = SSL_get_peer_cert_chain(ssl);
    return chain && sk_X509_num(chain) > 0 ? sk_X509_value(chain, 0) : NULL;
}

static void describe_issuer(struct sbuf *sb, X509 *x)
{
    const X509_NAME *iss = X509_get_issuer_name(x);
    int i = X509_NAME_get_index_by_NID(iss, NID_commonName, -1);
    unsigned char *utf8 = NULL;
    int len;

    if (i < 0)
        return;
    len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(iss, i)));
    if (len < 0) {
        ERR_clear_error();
        return;
    }
    sbuf_puts(sb, "issuer CN=");
    put_safe(sb, utf8, (size_t)len);
    sbuf_puts(sb, " is not trusted; ");
    OPENSSL_free(utf8);
}

void tls_describe_verify_error(SSL *ssl, char *out, size_t size)
{
    struct sbuf sb;
    long vr;
    X509 *leaf;

    if (!out || size == 0)
        return;
    sbuf_init(&sb, out, size);
    if (!ssl) {
        sbuf_puts(&sb, "no TLS connection");
        return;
    }
    vr = SSL_get_verify_result(ssl);
    leaf = peer_leaf(ssl);
    if (vr == X509_V_OK) {
        sbuf_puts(&sb, leaf ? "certificate verified" : "no certificate received");
        return;
    }
    sbuf_printf(&sb, "certificate verify failed: %s", X509_verify_cert_error_string(vr));

    switch (vr) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH: {
        X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
        char *ip = vr == X509_V_ERR_IP_ADDRESS_MISMATCH ? X509_VERIFY_PARAM_get1_ip_asc(param)
                                                        : NULL;
        const char *host = X509_VERIFY_PARAM_get0_host(param, 0);
        const char *expected = ip ? ip : host;
        sbuf_puts(&sb, " (expected ");
        put_safe(&sb, (const unsigned char *)(expected ? expected : "?"),
                 strlen(expected ? expected : "?"));
        OPENSSL_free(ip);
        if (leaf) {
            sbuf_puts(&sb, "; certificate ");
            describe_cn(&sb, leaf);
            sbuf_puts(&sb, ", ");
            describe_sans(&sb, leaf);
        }
        sbuf_puts(&sb, ")");
        break;
    }
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        if (SSL_is_server(ssl)) {
            sbuf_puts(&sb, " (the client certificate is not from the CA this server trusts)");
            break;
        }
        sbuf_puts(&sb, " (");
        if (leaf && vr != X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)
            describe_issuer(&sb, leaf);
        sbuf_puts(&sb, "self-signed or private CA chain; set ca_file to the deployment's CA)");
        break;
    /* The dates shown are the leaf's only when the leaf is the one at fault:
     * the result does not say which certificate of the chain failed. */
    case X509_V_ERR_CERT_HAS_EXPIRED:
        if (leaf && X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0)
            describe_time(&sb, "notAfter", X509_get0_notAfter(leaf));
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        if (leaf && X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0)
            describe_time(&sb, "notBefore", X509_get0_notBefore(leaf));
        break;
    default:
        break;
    }
}
