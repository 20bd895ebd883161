/* The worst calls of a run for the HTML report, chosen in one pass over
 * events.jsonl with bounded memory: the N slowest call setups, the N lowest
 * MOS of calls whose media flowed, and the first N failed steps (the ones
 * with SIP traces). */
#ifndef SYNTH_REPORTS_HTML_WORST_H
#define SYNTH_REPORTS_HTML_WORST_H

#include <jansson.h>
#include <stddef.h>

/* Rows per table: enough to see a pattern, few enough to read. */
#define HTML_WORST_MAX 25

enum html_worst_kind {
    HTML_WORST_SETUP,  /* slowest setup_ms first */
    HTML_WORST_MOS,    /* lowest media.mos first */
    HTML_WORST_FAILED, /* failed steps in file order (not-ready ones left out: consequences) */
    HTML_WORST_KINDS,
};

/* One event kept, its texts cut at these bounds. Numbers absent: NAN. */
struct html_call {
    double rank; /* larger is worse */
    size_t line;
    int sip_status;
    double setup_ms, pdd_ms, mos, loss_pct, jitter_ms;
    char ts[32], user_uri[96], via[16], step[24], outcome[16], klass[32];
    char sip_reason[64], detail[200], call_id[96], audio_file[128];
};

struct html_worst {
    size_t cap; /* rows per table, at most HTML_WORST_MAX */
    size_t n[HTML_WORST_KINDS];
    struct html_call rows[HTML_WORST_KINDS][HTML_WORST_MAX];
};

/* cap 0 or above HTML_WORST_MAX: HTML_WORST_MAX. */
void html_worst_init(struct html_worst *w, size_t cap);

/* Offers one event (line: its line in events.jsonl). */
void html_worst_add(struct html_worst *w, const json_t *ev, size_t line);

/* Sorts each table worst first (ties in file order). */
void html_worst_finish(struct html_worst *w);

#endif
