/* Building SIP requests and responses (RFC 3261 8.1.1, 8.2.6). */
#include "build.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *USER_AGENT = "synth/" SYNTH_VERSION;

/* Messages are built from puts and integer digits, not sbuf_printf: printf
 * per header line was the largest user-space cost of building, at six
 * messages per call. */
static void put_uint(struct sbuf *sb, unsigned long long v)
{
    char tmp[24];
    char *t = tmp + sizeof(tmp);
    do {
        *--t = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sbuf_put(sb, t, (size_t)(tmp + sizeof(tmp) - t));
}

/* A value the caller left NULL is written as nothing (printf wrote "(null)"). */
static void put_str(struct sbuf *sb, const char *s)
{
    if (s)
        sbuf_puts(sb, s);
}

/* "Name: value\r\n" */
static void put_header(struct sbuf *sb, const char *name, size_t name_len, const char *value)
{
    sbuf_put(sb, name, name_len);
    put_str(sb, value);
    sbuf_put(sb, "\r\n", 2);
}

#define PUT_HEADER(sb, name, value) put_header(sb, name ": ", sizeof(name ": ") - 1, value)
#define PUT_LIT(sb, lit) sbuf_put(sb, lit, sizeof(lit) - 1)

int sip_build_request(struct sbuf *sb, const struct sip_request_spec *r)
{
    put_str(sb, r->method);
    PUT_LIT(sb, " ");
    put_str(sb, r->ruri);
    PUT_LIT(sb, " SIP/2.0\r\n");
    PUT_HEADER(sb, "Via", r->via);
    PUT_LIT(sb, "Max-Forwards: 70\r\n");
    if (r->routes)
        PUT_HEADER(sb, "Route", r->routes);
    PUT_LIT(sb, "From: ");
    put_str(sb, r->from);
    PUT_LIT(sb, ";tag=");
    put_str(sb, r->from_tag);
    PUT_LIT(sb, "\r\nTo: ");
    put_str(sb, r->to);
    if (r->to_tag) {
        PUT_LIT(sb, ";tag=");
        put_str(sb, r->to_tag);
    }
    PUT_LIT(sb, "\r\n");
    PUT_HEADER(sb, "Call-ID", r->call_id);
    PUT_LIT(sb, "CSeq: ");
    put_uint(sb, r->cseq);
    PUT_LIT(sb, " ");
    put_str(sb, r->method);
    PUT_LIT(sb, "\r\n");
    if (r->contact)
        PUT_HEADER(sb, "Contact", r->contact);
    if (r->expires >= 0) {
        PUT_LIT(sb, "Expires: ");
        put_uint(sb, (unsigned)r->expires);
        PUT_LIT(sb, "\r\n");
    }
    PUT_HEADER(sb, "User-Agent", USER_AGENT);
    if (r->extra)
        put_str(sb, r->extra);
    if (r->body_len && r->content_type)
        PUT_HEADER(sb, "Content-Type", r->content_type);
    PUT_LIT(sb, "Content-Length: ");
    put_uint(sb, r->body_len);
    PUT_LIT(sb, "\r\n\r\n");
    if (r->body_len)
        sbuf_put(sb, r->body, r->body_len);
    return sbuf_result(sb);
}

static void copy_headers(struct sbuf *sb, const struct sip_msg *req, enum sip_hdr_id id,
                         const char *name)
{
    for (const struct sip_hdr *h = sip_msg_hdr(req, id, NULL); h; h = sip_msg_hdr(req, id, h)) {
        put_str(sb, name);
        PUT_LIT(sb, ": ");
        sbuf_put_strv(sb, h->value);
        PUT_LIT(sb, "\r\n");
    }
}

int sip_build_response(struct sbuf *sb, const struct sip_msg *req, uint16_t status,
                       const char *reason, const char *to_tag, const char *extra,
                       const char *content_type, const char *body, size_t body_len)
{
    PUT_LIT(sb, "SIP/2.0 ");
    put_uint(sb, status);
    PUT_LIT(sb, " ");
    put_str(sb, reason ? reason : sip_reason_phrase(status));
    PUT_LIT(sb, "\r\n");
    copy_headers(sb, req, SIP_HDR_VIA, "Via");
    if (status >= 101 && status < 300)
        copy_headers(sb, req, SIP_HDR_RECORD_ROUTE, "Record-Route");
    copy_headers(sb, req, SIP_HDR_FROM, "From");
    const struct sip_hdr *to = sip_msg_hdr(req, SIP_HDR_TO, NULL);
    if (to) {
        sbuf_puts(sb, "To: ");
        sbuf_put_strv(sb, to->value);
        if (to_tag && !strv_isset(req->to.tag)) {
            PUT_LIT(sb, ";tag=");
            put_str(sb, to_tag);
        }
        sbuf_puts(sb, "\r\n");
    }
    sbuf_puts(sb, "Call-ID: ");
    sbuf_put_strv(sb, req->call_id);
    PUT_LIT(sb, "\r\nCSeq: ");
    put_uint(sb, req->cseq);
    PUT_LIT(sb, " ");
    sbuf_put_strv(sb, req->cseq_method);
    PUT_LIT(sb, "\r\n");
    PUT_HEADER(sb, "Server", USER_AGENT);
    if (extra)
        sbuf_puts(sb, extra);
    if (body_len && content_type)
        PUT_HEADER(sb, "Content-Type", content_type);
    PUT_LIT(sb, "Content-Length: ");
    put_uint(sb, body_len);
    PUT_LIT(sb, "\r\n\r\n");
    if (body_len)
        sbuf_put(sb, body, body_len);
    return sbuf_result(sb);
}

const char *sip_reason_phrase(uint16_t status)
{
    switch (status) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 183: return "Session Progress";
    case 200: return "OK";
    case 202: return "Accepted";
    case 301: return "Moved Permanently";
    case 302: return "Moved Temporarily";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 420: return "Bad Extension";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 482: return "Loop Detected";
    case 483: return "Too Many Hops";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Server Time-out";
    case 603: return "Decline";
    }
    if (status < 200)
        return "Progress";
    if (status < 300)
        return "OK";
    if (status < 400)
        return "Redirect";
    if (status < 500)
        return "Client Error";
    if (status < 600)
        return "Server Error";
    return "Global Failure";
}

/* Tokens (tags, branches, Call-IDs) must be unique, not secret (RFC 3261
 * 19.3 asks for "cryptographically random" tags only so that they are
 * globally unique; Digest cnonces and SRTP keys still come from RAND_bytes).
 * RAND_bytes per token, with the getpid() of its fork check, was 8 % of
 * synth's CPU at 2000 calls/s. Each thread has its own xoshiro256** (Blackman
 * and Vigna), seeded once with 256 bits from RAND_bytes: streams of different
 * threads and processes start at unrelated points of a 2^256 - 1 cycle. */
struct token_rng {
    uint64_t s[4];
    bool seeded;
};

static _Thread_local struct token_rng token_rng;
static pthread_once_t token_rng_once = PTHREAD_ONCE_INIT;

/* A forked child would repeat its parent's tokens: the thread that forks is
 * the child's only thread, so clearing its state is enough. */
static void token_rng_forked(void)
{
    token_rng.seeded = false;
}

static void token_rng_register(void)
{
    pthread_atfork(NULL, NULL, token_rng_forked);
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static void token_rng_seed(struct token_rng *r)
{
    pthread_once(&token_rng_once, token_rng_register);
    if (RAND_bytes((unsigned char *)r->s, sizeof(r->s)) != 1) {
        /* RAND failure is not a reason to stop a test run: time, thread and
         * process still make the streams differ. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
        x ^= (uint64_t)(uintptr_t)r ^ ((uint64_t)getpid() << 32);
        for (int i = 0; i < 4; i++)
            r->s[i] = splitmix64(&x);
    }
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1; /* the one state xoshiro cannot leave */
    r->seeded = true;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t token_rng_next(struct token_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static struct token_rng *token_rng_get(void)
{
    struct token_rng *r = &token_rng;
    if (!r->seeded)
        token_rng_seed(r);
    return r;
}

uint64_t sip_random_u64(void)
{
    return token_rng_next(token_rng_get());
}

void sip_random_token(char *out, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    struct token_rng *r = token_rng_get();
    /* (size - 1) / 2 random bytes as hex, 32 at most (as before). */
    size_t n = (size - 1) / 2;
    if (n > 32)
        n = 32;
    size_t o = 0;
    while (o < 2 * n) {
        uint64_t v = token_rng_next(r);
        for (int k = 0; k < 16 && o < 2 * n; k++, v >>= 4)
            out[o++] = hex[v & 15];
    }
    out[o] = '\0';
}
