/* Fuzz target for the certificate check's input side: the bytes as DER and
 * as PEM through synth/tls/cert_check's chain parsers, then every rule and
 * the summary.json entry on whatever parsed. Nothing may crash, leak or
 * read past the input; a report must be complete. */
#include "reports/cert_findings.h"
#include "synth/tls/cert_check.h"

#include <stdlib.h>
#include <string.h>

/* An empty trust store, made once: the trust rule runs its verification
 * and fails, which is the path a foreign certificate takes. */
static X509_STORE *empty_store(void)
{
    static X509_STORE *s;
    if (!s)
        s = X509_STORE_new();
    return s;
}

static void judge(const struct cert_chain *c)
{
    static struct cert_report r;
    struct synth_error err;
    struct cert_expect e = {
        .fqdn = "um.lab.synth.test",
        .names = {"um.lab.synth.test", "127.0.0.1"},
        .name_count = 2,
        .mtls = true,
        .trust = empty_store(),
        .trust_name = "fuzz",
        .now = 1798761600, /* 2027-01-01: runs repeat */
    };
    if (cert_check_evaluate(c, &e, &r, &err) != 0)
        abort();
    if (r.chain_len != c->n)
        abort();
    for (int k = 0; k < CERT_RULE_COUNT; k++)
        if (r.rules[k].rule != (enum cert_rule)k || !r.rules[k].summary[0])
            abort();
    struct cert_endpoint ep = {.name = "um", .role = TARGET_ROLE_UM, .host = "127.0.0.1",
                               .port = 5061, .server_name = e.fqdn, .names = e.names,
                               .name_count = e.name_count, .mtls = true, .report = &r};
    json_t *j = cert_findings_json(&ep);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cert_chain c;
    struct synth_error err;

    if (cert_chain_from_der(&c, data, size, &err) == 0) {
        judge(&c);
        cert_chain_free(&c);
    }
    if (cert_chain_from_pem(&c, data, size, &err) == 0) {
        judge(&c);
        cert_chain_free(&c);
    }
    return 0;
}
