/* Fuzz target for the a=crypto key parameter parser (media/sdes_key.c):
 * whatever it accepts formats within SDES_KEY_PARAM_MAX and parses back to
 * the same key, lifetime and MKI. */
#include "media/sdes_key.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sdes_key k, back;
    struct synth_error err;
    if (sdes_key_parse(&k, (const char *)data, size, &err) != 0)
        return 0;
    if (k.has_mki && (k.mki_len == 0 || k.mki_len > SDES_MKI_LEN_MAX))
        abort();
    char out[SDES_KEY_PARAM_MAX];
    if (sdes_key_format(&k, out, sizeof(out)) != 0)
        abort();
    if (sdes_key_parse(&back, out, strlen(out), &err) != 0)
        abort();
    if (memcmp(back.key_salt, k.key_salt, sizeof(k.key_salt)) != 0 ||
        back.has_lifetime != k.has_lifetime || back.lifetime != k.lifetime ||
        back.lifetime_pow2 != k.lifetime_pow2 || back.has_mki != k.has_mki ||
        back.mki_value != k.mki_value || back.mki_len != k.mki_len)
        abort();
    return 0;
}
