/* Fuzz target: UCWA handling of what a server sends (synth/ucwa/): every
 * JSON resource parser, the MsRtcOAuth challenge parser and href
 * resolution, over the same bytes. Whatever parses must come out bounded
 * and resolved to an absolute URL. */
#include "synth/ucwa/ucwa_challenge.h"
#include "synth/ucwa/ucwa_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char url[] = "https://webpool.contoso.com:4443/ucwa/oauth/v1/applications/101?ack=1";

static void check_url(const char *u, bool may_be_empty)
{
    if (!*u && may_be_empty)
        return;
    if (strncasecmp(u, "https://", 8) != 0 && strncasecmp(u, "http://", 7) != 0)
        __builtin_trap();
    if (strlen(u) >= UCWA_URL_MAX)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    struct synth_error err;
    /* Large structs: static, the target runs one input at a time. */
    static struct ucwa_root root;
    static struct ucwa_user user;
    static struct ucwa_token tok;
    static struct ucwa_application app;
    static struct ucwa_events ev;

    if (ucwa_json_root(&root, url, buf, size, &err) == 0) {
        check_url(root.user, false);
        check_url(root.xframe, true);
    }
    if (ucwa_json_user(&user, url, buf, size, &err) == 0) {
        check_url(user.applications, true);
        check_url(user.redirect, true);
        if (!user.applications[0] == !user.redirect[0])
            __builtin_trap(); /* exactly one */
    }
    if (ucwa_json_token(&tok, buf, size, &err) == 0 &&
        (tok.expires_in == 0 || !tok.access_token[0]))
        __builtin_trap();
    if (ucwa_json_application(&app, url, buf, size, &err) == 0) {
        check_url(app.self, false);
        check_url(app.events, false);
        check_url(app.make_me_available, true);
        check_url(app.report_my_activity, true);
    }
    if (ucwa_json_events(&ev, url, buf, size, &err) == 0) {
        if (ev.kept > UCWA_EVENTS_MAX || ev.kept > ev.count)
            __builtin_trap();
        check_url(ev.next, ev.resync[0] != '\0');
    }

    struct ucwa_challenge ch;
    if (ucwa_challenge_parse(&ch, buf, size) == 0) {
        if (ch.href.p < buf || ch.href.p + ch.href.l > buf + size || ch.href.l == 0)
            __builtin_trap();
        /* What a client does next: resolve the href for the token POST. */
        char *href = malloc(ch.href.l + 1);
        char out[UCWA_URL_MAX];
        if (href) {
            memcpy(href, ch.href.p, ch.href.l);
            href[ch.href.l] = '\0';
            if (ucwa_url_resolve(url, href, out, sizeof(out)) == 0)
                check_url(out, false);
            free(href);
        }
    }
    return 0;
}
