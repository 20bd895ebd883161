/* Fuzz target: the YAML loaders of user files (scenario, target, lab, exporter
 * configuration) over the same arbitrary bytes. Whatever loads must hold
 * what the loaders promise: bounded counts, every step a known kind. */
#include "synth/config/exporter_config.h"
#include "synth/config/scenario.h"
#include "synth/config/target.h"
#include "synth/lab/lab_config.h"

#include <stdint.h>
#include <string.h>

/* A fuzzed pattern may ask for a million users; a few keep runs fast. */
#define FUZZ_USERS_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct scenario s;
    struct target t;
    struct lab_config lab;
    struct synth_error err;
    const char *buf = (const char *)data;

    if (scenario_load_buffer(&s, "fuzz.yaml", buf, size, &err) == 0) {
        if (s.step_count == 0 || s.step_count > SCENARIO_STEPS_MAX || s.load.users == 0 ||
            (!s.load.iterations && !s.load.duration_ms))
            __builtin_trap();
        for (size_t i = 0; i < s.step_count; i++)
            if (s.steps[i].kind >= STEP_KIND_COUNT)
                __builtin_trap();
    }
    if (target_load_buffer(&t, "fuzz.yaml", buf, size, FUZZ_USERS_MAX, &err) == 0) {
        if (t.user_count == 0 || t.user_count > FUZZ_USERS_MAX || !t.users[0].password)
            __builtin_trap();
        char uri[512];
        (void)target_voicemail_uri(&t, &t.users[0], uri, sizeof(uri));
        target_free(&t);
    }
    lab_config_defaults(&lab);
    (void)lab_config_load_buffer(&lab, "fuzz.yaml", buf, size, &err);
    static struct exporter_config ex;
    if (exporter_config_load_buffer(&ex, "fuzz.yaml", buf, size, &err) == 0) {
        if (ex.module_count == 0 || ex.target_count == 0 || ex.concurrency == 0 ||
            ex.timeout_ms == 0)
            __builtin_trap();
        exporter_config_free(&ex);
    }
    return 0;
}
