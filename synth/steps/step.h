/* A running step of a journey: the scenario step, its result being filled,
 * its deadline, and who to tell when it ends. Each step kind is a small
 * state machine in its own file; this is the part they share. */
#ifndef SYNTH_STEPS_STEP_H
#define SYNTH_STEPS_STEP_H

#include "synth/engine/step_result.h"
#include "synth/engine/vuser.h"

#include <event2/event.h>

struct step_run;
typedef void(step_done_h)(struct step_run *run);

struct step_ops {
    void (*start)(struct step_run *run);
    void (*deadline)(struct step_run *run); /* the step's timeout fired */
    void (*abort)(struct step_run *run);    /* the run is stopping: end quickly */
    void (*timer)(struct step_run *run);    /* step_timer_start fired */
};

struct step_run {
    struct vuser *u;
    const struct scenario_step *cfg;
    const struct step_ops *ops;
    struct step_result result;
    struct event *deadline;
    struct event *timer;        /* a second timer for the step's own use */
    struct sip_ctrans *ctrans;  /* the transaction in flight, if any */
    int state;                  /* the kind's own enum */
    void *ctx;                  /* the kind's own state, freed by the kind before it finishes */
    uint32_t attempts;          /* auth retries, redirects */
    uint32_t ntlm_rounds;       /* NTLM rounds of a call's INVITE (auth_on_challenge) */
    step_done_h *done;
    void *arg;
    bool finished;
};

/* Starts a step; done is called exactly once, from the loop. intended_us is
 * when it should have started (monotonic µs since run start). */
int step_run_start(struct step_run *run, struct vuser *u, const struct scenario_step *cfg,
                   uint32_t step_index, int64_t intended_us, step_done_h *done, void *arg);
void step_run_abort(struct step_run *run);
void step_run_cleanup(struct step_run *run);

/* For the kinds: end the step (ok or failed with a class and a detail). */
void step_finish_ok(struct step_run *run);
void step_finish_fail(struct step_run *run, enum failure_class cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Keeps status, reason and the diagnostics headers of a final response. */
void step_note_response(struct step_run *run, const struct sip_msg *msg);
/* The failure class of a final non-2xx status. */
enum failure_class step_class_of_status(uint16_t status);
/* The failure class of a transport error code (ETLS → tls, ...). */
enum failure_class step_class_of_err(int err);
/* The same for the error a SIP transaction ends with: there SYNTH_EAUTH is
 * the server's NTLM signature failing on its response (auth.c), so
 * auth-ntlm-refused; the detail names it (u->ntlm_detail), else the
 * error's string. */
enum failure_class step_class_of_sip_err(int err);
const char *step_sip_err_detail(const struct vuser *u, int err);
void step_timer_start(struct step_run *run, uint32_t ms);

/* Fails the step (auth-refused) when the user's credentials were refused
 * before: real accounts lock out, so they are never sent again. True if so. */
bool step_fail_if_locked_out(struct step_run *run);

/* The identifiers of one registration (RFC 3261 10.2: one Call-ID, CSeq
 * going up), on the user's own connection or a probe's. */
struct step_register_ids {
    const char *call_id;
    const char *from_tag;
    uint32_t cseq;
};
/* Sends u's REGISTER on ua (register.c): To and From the user's AOR, the
 * Request-URI its domain, auth_line (NULL the first time) the answer to
 * the last challenge. Returns sip_ua_request's code. */
/* (Re)arms u's background re-REGISTER: at half the granted expiry, or
 * sooner when the NTLM SA is due for renewal (auth_ntlm_renew_in_ms). */
void step_register_refresh_arm(struct vuser *u);

int step_send_register(struct vuser *u, struct sip_ua *ua, const struct step_register_ids *ids,
                       int expires, const char *auth_line, sip_resp_h *h, void *arg,
                       struct sip_ctrans **out);
int64_t step_now_us(const struct step_run *run);
/* When msg arrived, on the run's clock: the transport's receive time (the
 * kernel's, over UDP) so a loop that woke late does not lengthen a latency;
 * now when the transport gave none. */
int64_t step_msg_us(const struct step_run *run, const struct sip_msg *msg);

/* The kinds. */
extern const struct step_ops step_options_ops, step_register_ops, step_unregister_ops,
    step_call_ops, step_hangup_ops, step_wait_ops, step_dtmf_ops, step_ucwa_ops,
    step_ucwa_survival_ops, step_sip_survival_ops, step_check_ops;

#endif
