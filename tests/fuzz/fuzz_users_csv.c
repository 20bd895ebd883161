/* Fuzz target: the users CSV parser (RFC 4180 quoting, comments, header). */
#include "synth/config/users.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct target_user *users = NULL;
    size_t n = 0;
    struct synth_error err;
    if (users_csv_parse("fuzz.csv", (const char *)data, size, "/nonexistent", 256, &users, &n,
                        &err) == 0) {
        if (n == 0 || n > 256)
            __builtin_trap();
        for (size_t i = 0; i < n; i++)
            if (!users[i].password || users_uri_check(users[i].uri))
                __builtin_trap();
    }
    users_free(users, n);
    return 0;
}
