/* The audio of a synthetic user's call (issue #3): the SDP offer with an
 * SDES key and a port in the target's client range, the answer negotiated
 * (RFC 3264), the media stream started on 200 OK, and what it measured
 * copied into the call's result, judged against the target's policy (the
 * server port range and the DSCP of the modality). */
#ifndef SYNTH_STEPS_CALL_MEDIA_H
#define SYNTH_STEPS_CALL_MEDIA_H

#include "media/media_stream.h"
#include "synth/base/sbuf.h"
#include "synth/engine/step_result.h"
#include "synth/engine/vuser.h"

struct call_media;

/* The relay is allocated, or could not be (err: the call cannot go as
 * asked, detail says why: class relay-unavailable). */
typedef void(call_media_ready_h)(int err, const char *detail, void *arg);

/* Before the first offer: opens the stream and gathers ICE candidates
 * (host, and a TURN allocation when the target has media.turn and the
 * path is not direct; with media.turn.credentials: mras, after the user's
 * credentials came from the Front End, mras_creds.h). 0 when the offer can be written now;
 * SYNTH_EINCOMPLETE: ready(arg) runs once the allocation is done. With
 * media_path relay and no relay possible, SYNTH_ECONFIG / SYNTH_EAUTH;
 * SYNTH_ENOTFOUND when the client port range is exhausted. */
int call_media_prepare(struct vuser *u, bool media, enum scenario_media_path path,
                       call_media_ready_h *ready, void *arg, struct synth_error *err);

/* The class of a call whose relay could not be had: mras-refused when the
 * user's MRAS credentials are missing (refused, not answered, or still
 * awaited at the call's deadline), else msturn-allocate-failed under
 * edge.turn: ms-turn, else relay-unavailable. */
enum failure_class call_media_fail_class(const struct vuser *u);

/* A remark for an answered call's detail (the relay MRAS named is not the
 * target's media.turn.host), or "". */
const char *call_media_note(const struct vuser *u);

/* Writes our offer into sb. With media, opens the stream (the port, the
 * key) the first time and reuses it for re-sent INVITEs (credentials,
 * redirects); without, an offer that names the discard port so nothing is
 * sent to us. SYNTH_ENOTFOUND when the client port range is exhausted. */
int call_media_offer(struct vuser *u, bool media, struct sbuf *sb, struct synth_error *err);

/* Takes the 200 OK's SDP: negotiates and starts the stream; events go to
 * h(arg). 0, or SYNTH_EPARSE with the problem in out->sdp_problem and err
 * (the call is then unusable: sdp-unusable). */
int call_media_answer(struct vuser *u, const struct sip_msg *ok, media_event_h *h, void *arg,
                      struct media_result *out, struct synth_error *err);

/* Copies what the stream measured so far into out (a call step's result). */
void call_media_snapshot(struct vuser *u, struct media_result *out);

/* Writes the received audio as DIR/audio/<call-id>.wav; its name goes in out. */
void call_media_keep_audio(struct vuser *u, const char *call_id, struct media_result *out);

/* Sends keys in the call's stream (media_stream_send_dtmf's codes;
 * SYNTH_ENOTFOUND without a running stream). */
int call_media_send_dtmf(struct vuser *u, const char *keys, uint32_t tone_ms, uint32_t pause_ms);

/* The dialog is over: stops and frees the stream. Safe without one. */
void call_media_end(struct vuser *u);

struct target_turn;
struct mras_grant;
struct turn_client_opts;
/* A call's TURN client options: the target's relay and credentials, or
 * with credentials: mras the user's grant g (NULL: the target's alone), on
 * the relay g names unless media.turn.host is set. */
void call_media_turn_opts(const struct target_turn *t, const struct mras_grant *g,
                          struct turn_client_opts *o);

#endif
