/* A stream's place in the prompt it plays, and the next frame of it as the
 * codec's payload. For G.711 the frame is copied from the prompt's coding
 * made at load (prompt.h); G.722 keeps state from frame to frame, so it is
 * encoded here as before, as is a prompt built without codings. The send
 * path of media_stream and of tests/bench/media_ceiling go through this. */
#ifndef MEDIA_PROMPT_PLAYER_H
#define MEDIA_PROMPT_PLAYER_H

#include "media/audio_codec.h"
#include "media/prompt.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most this many samples per frame (RTP_PACKET_MAX would allow more; a
 * 20 ms frame is 160). */
#define PROMPT_PLAYER_FRAME_MAX 480

struct prompt_player {
    const struct prompt *prompt; /* borrowed; NULL or empty = silence */
    bool loop;                   /* start over at its end */
    size_t pos;
    bool done;                   /* a non-looping prompt has been played whole */
};

void prompt_player_init(struct prompt_player *pl, const struct prompt *prompt, bool loop);

/* The next n samples (at most PROMPT_PLAYER_FRAME_MAX) coded with c into
 * out (room for n bytes); silence past a non-looping prompt's end. Returns
 * the payload bytes. */
size_t prompt_player_next(struct prompt_player *pl, struct audio_codec *c, size_t n,
                          uint8_t *out);

/* Moves on n samples without coding them: the prompt keeps its pace while
 * something else (DTMF events) goes out in its place. */
void prompt_player_skip(struct prompt_player *pl, size_t n);

#endif
