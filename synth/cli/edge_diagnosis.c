/* Edge calls without media, diagnosed (edge_diagnosis.h). */
#include "synth/cli/edge_diagnosis.h"

#include "reports/edge_media_findings.h"
#include "reports/cert_findings.h"
#include "synth/lab/lab.h"
#include "synth/tls/cert_sweep.h"

#include <stdlib.h>

/* The UMs of one pool a target names. */
#define UM_SEEN_MAX 16

/* The Edge path's calls and the internal ones beside them, when both ran. */
static bool counts_of(const struct edge_diagnosis_input *in, struct edge_media_counts *c)
{
    const struct scenario_load *l = &in->scenario->load;
    const struct run_stats *edge = NULL, *internal = NULL;
    if (in->path_stats) {
        edge = &in->path_stats[ACCESS_EDGE];
        internal = &in->path_stats[ACCESS_INTERNAL];
    } else if (l->via_count == 1 && l->via[0] == ACCESS_EDGE) {
        edge = in->total;
    }
    if (!edge)
        return false;
    *c = (struct edge_media_counts){
        .edge_calls = edge->media.calls,
        .edge_no_media = edge->media.connected_no_media,
        .edge_ice_failed = edge->media.ice_failed,
        .have_internal = internal != NULL,
        .internal_calls = internal ? internal->media.calls : 0,
        .internal_greeting = internal ? internal->media.greeting_heard : 0,
    };
    return c->edge_no_media > 0;
}

int edge_diagnosis_run(const struct edge_diagnosis_input *in, struct verdict *v, json_t **certs,
                       struct synth_error *err)
{
    struct edge_media_counts c;
    struct um_cert_seen seen[UM_SEEN_MAX];
    *certs = NULL;
    if (!counts_of(in, &c))
        return 0;
    struct cert_sweep *s = calloc(1, sizeof(*s)); /* item_count 0 until init */
    json_t *arr = json_array();
    int rc = 0;
    if (!s || !arr) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "out of memory");
        goto out;
    }
    cert_sweep_init(s, in->target, 0);
    if (in->lab)
        lab_fe_identity(in->lab, &s->um_client_x509, &s->um_client_pkey);
    cert_sweep_add_role(s, TARGET_ROLE_UM);
    if (s->item_count == 0)
        goto out; /* no UM named: the connected-no-media finding says where to look */
    rc = cert_sweep_run(s, err);
    if (rc == 0)
        rc = cert_sweep_evaluate(s, err);
    if (rc == 0) {
        size_t n = um_cert_seen_collect(s, seen, UM_SEEN_MAX);
        /* The diagnosis first, then the certificate's own findings it rests on. */
        if (edge_media_findings_add(v, seen, n, &c) != 0 || cert_findings_add_sweep(v, arr, s) != 0)
            rc = synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    }
    if (rc == 0) {
        *certs = arr;
        arr = NULL;
    }
out:
    if (s)
        cert_sweep_free(s);
    free(s);
    json_decref(arr);
    return rc;
}
