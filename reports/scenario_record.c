/* The scenario's copy and digest in a results directory (scenario_record.h). */
#include "scenario_record.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file into a new buffer (caller frees). */
static int slurp(const char *path, char **buf, size_t *len, struct synth_error *err)
{
    FILE *f = fopen(path, "rb");
    int rc = 0;

    *buf = NULL;
    if (!f)
        return synth_error_set(err, SYNTH_EIO, "%s: %s", path, strerror(errno));
    *buf = malloc(SCENARIO_RECORD_MAX + 1);
    if (!*buf) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "out of memory");
        goto out;
    }
    *len = fread(*buf, 1, SCENARIO_RECORD_MAX + 1, f);
    if (ferror(f))
        rc = synth_error_set(err, SYNTH_EIO, "%s: read failed", path);
    else if (*len > SCENARIO_RECORD_MAX)
        rc = synth_error_set(err, SYNTH_ETOOBIG, "%s: larger than %d bytes", path,
                             SCENARIO_RECORD_MAX);
out:
    fclose(f);
    if (rc) {
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

static int digest(const char *buf, size_t len, char hex[SCENARIO_RECORD_HEX],
                  struct synth_error *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (!EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) || n != 32)
        return synth_error_set(err, SYNTH_EINTERNAL, "SHA-256 failed");
    for (unsigned int i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int scenario_record_digest(const char *path, char hex[SCENARIO_RECORD_HEX],
                           struct synth_error *err)
{
    char *buf;
    size_t len;
    int rc = slurp(path, &buf, &len, err);

    if (rc)
        return rc;
    rc = digest(buf, len, hex, err);
    free(buf);
    return rc;
}

int scenario_record_keep(const char *scenario_path, const char *dir,
                         char hex[SCENARIO_RECORD_HEX], struct synth_error *err)
{
    char path[PATH_MAX];
    char *buf;
    size_t len;
    FILE *f = NULL;
    int rc;

    if (snprintf(path, sizeof(path), "%s/%s", dir, SCENARIO_RECORD_FILE) >= (int)sizeof(path))
        return synth_error_set(err, SYNTH_ETOOBIG, "%s: path too long", dir);
    rc = slurp(scenario_path, &buf, &len, err);
    if (rc)
        return rc;
    rc = digest(buf, len, hex, err);
    if (rc)
        goto out;
    f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len) {
        rc = synth_error_set(err, SYNTH_EIO, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
out:
    if (f && fclose(f) != 0 && !rc)
        rc = synth_error_set(err, SYNTH_EIO, "cannot write %s: %s", path, strerror(errno));
    free(buf);
    return rc;
}
