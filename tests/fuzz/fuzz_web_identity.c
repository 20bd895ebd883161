/* Fuzz target: what a web service port sends back (synth/web/): the
 * Autodiscover document in its JSON and XML forms, read for AccessLocation
 * and the links' hosts, then weighed into a site. Whatever parses must stay
 * within its bounds. */
#include "synth/web/web_identity.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const fqdn[TARGET_WEB_SITE_COUNT] = {"pool01.contoso.com",
                                                            "webext.contoso.com"};
    struct web_identity id;
    struct web_site_call call;
    int rc = web_identity_parse((const char *)data, size, &id);
    if (rc != 0 && rc != SYNTH_EPARSE)
        __builtin_trap();
    if (id.host_count > WEB_IDENTITY_HOSTS_MAX ||
        strlen(id.access_location_text) >= WEB_IDENTITY_TEXT_MAX)
        __builtin_trap();
    for (size_t i = 0; i < id.host_count; i++)
        if (!id.hosts[i][0] || strlen(id.hosts[i]) >= TARGET_HOST_MAX)
            __builtin_trap();
    web_identify(rc == 0 ? &id : NULL, NULL, fqdn, &call);
    if (call.site > WEB_SITE_UNKNOWN || (call.conflict && call.site != WEB_SITE_UNKNOWN) ||
        strlen(call.by) >= WEB_BY_MAX)
        __builtin_trap();
    return 0;
}
