/* The load profile's arithmetic: the target arrival rate at each moment and
 * the intended time of each arrival under it. A profile is a chain of
 * segments whose rate moves linearly from one value to another (a constant
 * rate, a ramp stage as in k6's ramping-arrival-rate, a step of step-until);
 * arrival j is due when the integral of the rate reaches j, so intended
 * times follow from the profile alone and never move (open model, no
 * coordinated omission). Pure: no clock, no I/O. */
#ifndef SYNTH_ENGINE_LOAD_PROFILE_H
#define SYNTH_ENGINE_LOAD_PROFILE_H

#include "synth/config/scenario.h"

#include <stdbool.h>
#include <stdint.h>

/* A ramp's stages or step-until's steps: a phase each (SCENARIO_STAGES_MAX). */
#define LOAD_PROFILE_PHASES_MAX SCENARIO_STAGES_MAX

struct load_segment {
    double rate_from, rate_to; /* arrivals/s at the start and the end */
    int64_t start_us, end_us;  /* since run start */
    double arrivals_before;    /* the rate's integral up to start_us */
};

struct load_profile {
    enum scenario_profile kind;
    struct load_segment seg[LOAD_PROFILE_PHASES_MAX];
    uint32_t count;
    /* The last segment's rate goes on past its end (constant without a
     * duration: iterations end the run). */
    bool open_end;
    uint32_t warmup_ms; /* step-until: results of a step's first warmup_ms are not judged */
};

/* The profile a scenario's load asks for. */
void load_profile_from_scenario(struct load_profile *p, const struct scenario_load *l);

/* A constant rate from 0 to duration_us (0: open-ended). */
void load_profile_constant(struct load_profile *p, double rate, int64_t duration_us);

/* Appends a phase of duration_us whose rate goes linearly from the previous
 * phase's end rate (start_rate for the first) to rate. SYNTH_ETOOBIG when full. */
int load_profile_add(struct load_profile *p, double start_rate, double rate,
                     int64_t duration_us);

/* Target rate at t_us (arrivals/s); 0 past the end. */
double load_profile_rate_at(const struct load_profile *p, int64_t t_us);

/* Arrivals due in [0, t_us): the rate's integral. */
double load_profile_arrivals_by(const struct load_profile *p, int64_t t_us);

/* Intended time of arrival j (0-based, of all workers): the first t where
 * the integral reaches j. SYNTH_ENOTFOUND when the profile ends first. */
int load_profile_time_of(const struct load_profile *p, uint64_t j, int64_t *t_us);

/* The phase (stage, step) t_us falls in, or -1 outside them all. */
int load_profile_phase_at(const struct load_profile *p, int64_t t_us);

/* End of the profile in µs; 0 when open-ended. */
int64_t load_profile_end_us(const struct load_profile *p);

#endif
