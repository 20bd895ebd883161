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

int sip_build_request(struct sbuf *sb, const struct sip_request_spec *r)
{
    sbuf_printf(sb, "%s %s SIP/2.0\r\n", r->method, r->ruri);
    sbuf_printf(sb, "Via: %s\r\n", r->via);
    sbuf_puts(sb, "Max-Forwards: 70\r\n");
    if (r->routes)
        sbuf_printf(sb, "Route: %s\r\n", r->routes);
    sbuf_printf(sb, "From: %s;tag=%s\r\n", r->from, r->from_tag);
    if (r->to_tag)
        sbuf_printf(sb, "To: %s;tag=%s\r\n", r->to, r->to_tag);
    else
        sbuf_printf(sb, "To: %s\r\n", r->to);
    sbuf_printf(sb, "Call-ID: %s\r\n", r->call_id);
    sbuf_printf(sb, "CSeq: %u %s\r\n", r->cseq, r->method);
    if (r->contact)
        sbuf_printf(sb, "Contact: %s\r\n", r->contact);
    if (r->expires >= 0)
        sbuf_printf(sb, "Expires: %d\r\n", r->expires);
    sbuf_printf(sb, "User-Agent: %s\r\n", USER_AGENT);
    if (r->extra)
        sbuf_puts(sb, r->extra);
    if (r->body_len && r->content_type)
        sbuf_printf(sb, "Content-Type: %s\r\n", r->content_type);
    sbuf_printf(sb, "Content-Length: %zu\r\n\r\n", r->body_len);
    if (r->body_len)
        sbuf_put(sb, r->body, r->body_len);
    return sbuf_result(sb);
}

static void copy_headers(struct sbuf *sb, const struct sip_msg *req, enum sip_hdr_id id,
                         const char *name)
{
    for (const struct sip_hdr *h = sip_msg_hdr(req, id, NULL); h; h = sip_msg_hdr(req, id, h)) {
        sbuf_printf(sb, "%s: ", name);
        sbuf_put_strv(sb, h->value);
        sbuf_puts(sb, "\r\n");
    }
}

int sip_build_response(struct sbuf *sb, const struct sip_msg *req, uint16_t status,
                       const char *reason, const char *to_tag, const char *extra,
                       const char *content_type, const char *body, size_t body_len)
{
    sbuf_printf(sb, "SIP/2.0 %u %s\r\n", status, reason ? reason : sip_reason_phrase(status));
    copy_headers(sb, req, SIP_HDR_VIA, "Via");
    if (status >= 101 && status < 300)
        copy_headers(sb, req, SIP_HDR_RECORD_ROUTE, "Record-Route");
    copy_headers(sb, req, SIP_HDR_FROM, "From");
    const struct sip_hdr *to = sip_msg_hdr(req, SIP_HDR_TO, NULL);
    if (to) {
        sbuf_puts(sb, "To: ");
        sbuf_put_strv(sb, to->value);
        if (to_tag && !strv_isset(req->to.tag))
            sbuf_printf(sb, ";tag=%s", to_tag);
        sbuf_puts(sb, "\r\n");
    }
    sbuf_puts(sb, "Call-ID: ");
    sbuf_put_strv(sb, req->call_id);
    sbuf_printf(sb, "\r\nCSeq: %u ", req->cseq);
    sbuf_put_strv(sb, req->cseq_method);
    sbuf_printf(sb, "\r\nServer: %s\r\n", USER_AGENT);
    if (extra)
        sbuf_puts(sb, extra);
    if (body_len && content_type)
        sbuf_printf(sb, "Content-Type: %s\r\n", content_type);
    sbuf_printf(sb, "Content-Length: %zu\r\n\r\n", body_len);
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

void sip_random_token(char *out, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    struct token_rng *r = &token_rng;
    if (!r->seeded)
        token_rng_seed(r);
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
