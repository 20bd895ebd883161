/* The lab UM's media: the SDP answer to a caller's offer (RFC 3264, SDES
 * SRTP), and a stream that plays the greeting from the server audio range
 * with DSCP 46, with the fault knobs that reproduce field failures (no
 * media, the wrong key, a port outside the range, the wrong DSCP, media
 * that stops). */
#ifndef SYNTH_LAB_UM_MEDIA_H
#define SYNTH_LAB_UM_MEDIA_H

#include "synth/base/err.h"
#include "synth/base/strv.h"
#include "synth/lab/lab.h"
#include "synth/lab/lab_config.h"
#include "synth/turn/turn_client.h"

#include <stdbool.h>
#include <sys/socket.h>

#include <stddef.h>

struct event_base;
struct um_media;
struct um_call_media;

/* The UM's clock, port pool and greeting, for the UM's loop; host is the
 * address media binds to and the answer names. */
int um_media_new(struct um_media **out, struct event_base *base, const struct lab_config *cfg,
                 struct lab_stats *stats, const char *host, struct synth_error *err);
void um_media_free(struct um_media *m);

/* What the UM's call media tells the UM. Both may free the call media. */
struct um_call_media_handlers {
    /* The relay candidate is gathered (or could not be): answer now. */
    void (*ready)(struct um_call_media *cm, void *arg);
    /* ICE found no pair within um_media_timeout: no media will flow. */
    void (*path_failed)(struct um_call_media *cm, void *arg);
    void *arg;
};

/* From an INVITE's SDP: negotiates, opens the call's stream and, when the
 * caller does ICE and relay is set (the UM's relay credentials), starts
 * gathering a relay candidate. 0: the answer can be written now;
 * SYNTH_EINCOMPLETE: h->ready runs when it can. An offer the UM cannot
 * take returns SYNTH_EPARSE with a short static reason in *why (for a 488
 * Warning). Free with um_call_media_free. */
int um_call_media_prepare(struct um_media *m, struct strv offer,
                          const struct turn_client_opts *relay,
                          const struct um_call_media_handlers *h, struct um_call_media **out,
                          const char **why);

/* Writes the answer into answer (size bytes, *len written), once. */
int um_call_media_answer(struct um_call_media *cm, char *answer, size_t size, size_t *len,
                         const char **why);

/* Whether a is one of the UM's media addresses (its host, the port of an
 * open stream): the inside network that an Edge relay cannot reach. */
bool um_media_owns(const struct um_media *m, const struct sockaddr_storage *a);

/* The 200 OK went out: the greeting starts. */
int um_call_media_start(struct um_call_media *cm);

/* Frees the call's media; with um_record_dir set, what the caller said is
 * written there first as <name>.wav. */
void um_call_media_free(struct um_call_media *cm, const char *name);

#endif
