/* events.jsonl (reports/event_json.c's keys) back into step results. Times
 * are ms with 3 decimals there, so µs come back exact. */
#include "event_result.h"

#include "reports/iso_time.h"
#include "reports/summary_view.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int64_t us_of(double ms)
{
    return (int64_t)llround(ms * 1000.0);
}

/* A ms member as µs, or dflt when absent. */
static int64_t key_us(const json_t *o, const char *key, int64_t dflt)
{
    double v;
    return sview_num(o, key, &v) ? us_of(v) : dflt;
}

static double key_num(const json_t *o, const char *key, double dflt)
{
    double v;
    return sview_num(o, key, &v) ? v : dflt;
}

static bool key_bool(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

static void key_text(const json_t *o, const char *key, char *buf, size_t size)
{
    snprintf(buf, size, "%s", sview_str(o, key, ""));
}

int event_result_intended_ms(const json_t *ev, int64_t *ms)
{
    double t;
    if (iso_time_parse(sview_str(ev, "ts", NULL), &t) != 0)
        return SYNTH_EINVAL;
    *ms = (int64_t)llround(t * 1000.0 - key_num(ev, "start_lag_ms", 0));
    return 0;
}

static int kind_of(const char *name, enum step_kind *k)
{
    for (int i = 0; i < STEP_KIND_COUNT; i++) {
        if (strcmp(name, step_kind_name((enum step_kind)i)) == 0) {
            *k = (enum step_kind)i;
            return 0;
        }
    }
    return SYNTH_EINVAL;
}

static int class_of(const char *name, enum failure_class *c)
{
    for (int i = 1; i < FAIL_CLASS_COUNT; i++) {
        if (strcmp(name, failure_class_name((enum failure_class)i)) == 0) {
            *c = (enum failure_class)i;
            return 0;
        }
    }
    return SYNTH_EINVAL;
}

/* "via": the access path; an older file without it was all internal. */
static int via_of(const char *name, enum access_path *p)
{
    for (int i = 0; i < ACCESS_PATH_COUNT; i++) {
        if (strcmp(name, access_path_name((enum access_path)i)) == 0) {
            *p = (enum access_path)i;
            return 0;
        }
    }
    return SYNTH_EINVAL;
}

static void media_of(const json_t *m, struct media_result *x)
{
    x->enabled = true;
    x->negotiated = true;
    x->srtp = key_bool(m, "srtp");
    x->flowed = key_bool(m, "flowed");
    x->greeting_heard = key_bool(m, "greeting_heard");
    x->first_media_us = key_us(m, "first_media_ms", -1);
    x->greeting_onset_us = key_us(m, "greeting_onset_ms", -1);
    x->sent = (uint64_t)key_num(m, "sent", 0);
    x->received = (uint64_t)key_num(m, "received", 0);
    x->unauthenticated = (uint64_t)key_num(m, "unauthenticated", 0);
    x->loss_pct = key_num(m, "loss_pct", 0);
    x->jitter_ms = key_num(m, "jitter_ms", 0);
    x->mos = key_num(m, "mos", 0);
    double port = key_num(m, "peer_port", 0);
    x->peer_port = port > 0 && port <= 65535 ? (uint16_t)port : 0;
    x->peer_port_in_range = key_bool(m, "peer_port_in_range");
    x->dscp_seen = (int)key_num(m, "dscp", -1);
    double mark = key_num(m, "dscp_expected", -1), off = key_num(m, "dscp_mismatches", 0);
    x->dscp_expected = mark >= 0 && mark <= 63 ? (int)mark : -1; /* a 6-bit field */
    x->dscp_mismatches = off > 0 && off < 1e18 ? (uint64_t)off : 0;
    /* The far end's report is written only when there was one. */
    x->peer_report = json_object_get(m, "peer_loss_pct") != NULL;
    x->peer_rtcp = x->peer_report;
    x->peer_loss_pct = key_num(m, "peer_loss_pct", 0);
    x->peer_jitter_ms = key_num(m, "peer_jitter_ms", 0);
    key_text(m, "sdp_problem", x->sdp_problem, sizeof(x->sdp_problem));
    key_text(m, "audio_file", x->audio_file, sizeof(x->audio_file));
    key_text(m, "media_path", x->media_path, sizeof(x->media_path));
    key_text(m, "relay_error", x->relay_error, sizeof(x->relay_error));
    key_text(m, "relay_server", x->relay_server, sizeof(x->relay_server));
    x->relay_allocate_us = key_us(m, "relay_allocate_ms", -1);
    key_text(m, "no_media_cause", x->no_media_cause, sizeof(x->no_media_cause));
    const json_t *ice = json_object_get(m, "ice");
    if (json_is_object(ice)) {
        x->ice = true;
        x->ice_ok = key_bool(ice, "ok");
        x->ice_us = key_us(ice, "ms", -1);
        key_text(ice, "failure", x->ice_failure, sizeof(x->ice_failure));
        key_text(ice, "local_type", x->ice_local_type, sizeof(x->ice_local_type));
        key_text(ice, "local_addr", x->ice_local_addr, sizeof(x->ice_local_addr));
        key_text(ice, "remote_type", x->ice_remote_type, sizeof(x->ice_remote_type));
        key_text(ice, "remote_addr", x->ice_remote_addr, sizeof(x->ice_remote_addr));
        key_text(ice, "dialect", x->ice_dialect, sizeof(x->ice_dialect));
        x->ice_checks_sent = (uint64_t)key_num(ice, "checks_sent", 0);
        x->ice_checks_received = (uint64_t)key_num(ice, "checks_received", 0);
    }
}

int event_result_parse(const json_t *ev, int64_t run_start_ms, struct step_result *r,
                       struct synth_error *err)
{
    enum step_kind kind;
    int64_t intended_ms;
    double user = 0, idx = 0, journey = 0, status = 0;
    const char *outcome = sview_str(ev, "outcome", "");

    if (kind_of(sview_str(ev, "step", ""), &kind) != 0)
        return synth_error_set(err, SYNTH_EINVAL, "step: missing or unknown");
    if (event_result_intended_ms(ev, &intended_ms) != 0)
        return synth_error_set(err, SYNTH_EINVAL, "ts: not an ISO 8601 time");
    if (strcmp(outcome, "ok") != 0 && strcmp(outcome, "failed") != 0)
        return synth_error_set(err, SYNTH_EINVAL, "outcome: expected ok or failed");
    sview_num(ev, "user", &user);
    sview_num(ev, "step_index", &idx);
    step_result_init(r, kind, (uint32_t)idx, (uint32_t)user);
    sview_num(ev, "journey", &journey);
    r->journey = (uint64_t)journey;
    r->ok = outcome[0] == 'o';
    if (json_object_get(ev, "via") && via_of(sview_str(ev, "via", ""), &r->via) != 0)
        return synth_error_set(err, SYNTH_EINVAL, "via: expected internal or edge");
    if (!r->ok && class_of(sview_str(ev, "class", ""), &r->cls) != 0)
        return synth_error_set(err, SYNTH_EINVAL, "class: missing or unknown");
    r->intended_us = (intended_ms - run_start_ms) * 1000;
    r->start_us = r->intended_us + key_us(ev, "start_lag_ms", 0);
    r->end_us = r->intended_us + key_us(ev, "duration_ms", 0);
    r->wall_start_ms = intended_ms + (r->start_us - r->intended_us) / 1000;
    if (sview_num(ev, "sip_status", &status) && status > 0 && status < 1000)
        r->sip_status = (uint16_t)status;
    key_text(ev, "sip_reason", r->sip_reason, sizeof(r->sip_reason));
    key_text(ev, "ms_diagnostics", r->ms_diagnostics, sizeof(r->ms_diagnostics));
    key_text(ev, "ms_diagnostics_public", r->ms_diagnostics_public,
             sizeof(r->ms_diagnostics_public));
    key_text(ev, "reason", r->reason_hdr, sizeof(r->reason_hdr));
    key_text(ev, "warning", r->warning_hdr, sizeof(r->warning_hdr));
    key_text(ev, "detail", r->detail, sizeof(r->detail));
    key_text(ev, "call_id", r->call_id, sizeof(r->call_id));
    r->pdd_us = key_us(ev, "pdd_ms", -1);
    r->setup_us = key_us(ev, "setup_ms", -1);
    r->answered = key_bool(ev, "answered");
    r->bye_by_peer = key_bool(ev, "bye_by_peer");
    const json_t *ntlm = json_object_get(ev, "ntlm");
    if (json_is_object(ntlm)) {
        double v = key_num(ntlm, "renewals", 0);
        r->ntlm_renewals = v > 0 && v < UINT16_MAX ? (uint16_t)v : 0;
        v = key_num(ntlm, "lapses", 0);
        r->ntlm_lapses = v > 0 && v < UINT16_MAX ? (uint16_t)v : 0;
    }
    const json_t *m = json_object_get(ev, "media");
    if (kind == STEP_CALL && json_is_object(m))
        media_of(m, &r->media);
    return 0;
}
