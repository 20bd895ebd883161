/* DTMF as RTP telephone-events (RFC 4733 2.3): the 4-byte payload, a sender
 * that turns "1234#" into events of a tone length with pauses between, and
 * a receiver that turns the events it gets back into digits (each once,
 * however many times its packets and end packets are repeated). */
#ifndef MEDIA_DTMF_H
#define MEDIA_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTMF_PAYLOAD_LEN 4
/* Digits one step sends; a PIN and a few menu keys. */
#define DTMF_DIGITS_MAX 32
/* RFC 4733 2.5.1.4: the final packet is sent three times. */
#define DTMF_END_REPEAT 3

struct dtmf_event {
    uint8_t event;      /* 0-9, 10 '*', 11 '#', 12-15 'A'-'D' */
    bool end;
    uint8_t volume;     /* -dBm0, 0-63 */
    uint16_t duration;  /* in RTP timestamp units since the event began */
};

/* 0 or -1 (too short); any event number is accepted. */
int dtmf_parse(const uint8_t *p, size_t len, struct dtmf_event *e);
void dtmf_build(const struct dtmf_event *e, uint8_t out[DTMF_PAYLOAD_LEN]);
/* The event of a key ('0'-'9', '*', '#', 'A'-'D', any case), -1 otherwise. */
int dtmf_event_of(char key);
/* The key of an event, '?' for one that is not a DTMF key. */
char dtmf_key_of(uint8_t event);

/* One packet the sender wants out at this 20 ms tick. */
struct dtmf_packet {
    bool marker;        /* the first packet of an event (RFC 4733 2.5.1.3) */
    uint32_t ts_offset; /* the event's start, in samples since the sender began */
    struct dtmf_event ev;
};

struct dtmf_sender {
    char keys[DTMF_DIGITS_MAX + 1];
    size_t count, index;
    uint32_t tone_samples, pause_samples, period_samples;
    uint32_t clock;        /* samples since the start */
    uint32_t event_start;  /* clock at the current event's start */
    uint32_t pause_left;
    unsigned ends_sent;
    bool in_tone;
};

/* keys must be DTMF keys (checked: -1 if not or too many); durations in ms
 * at an 8 kHz clock, sent in 20 ms packets. */
int dtmf_sender_start(struct dtmf_sender *s, const char *keys, uint32_t tone_ms,
                      uint32_t pause_ms);
/* Advances one period. Returns true and fills *pkt when a telephone-event
 * goes out now; false during pauses (send audio then) and when done. */
bool dtmf_sender_tick(struct dtmf_sender *s, struct dtmf_packet *pkt);
bool dtmf_sender_done(const struct dtmf_sender *s);

struct dtmf_receiver {
    bool have_last;
    uint32_t last_ts;   /* RTP timestamp of the last event seen (one per digit) */
    char keys[DTMF_DIGITS_MAX * 2 + 1];
    size_t count;
};

void dtmf_receiver_init(struct dtmf_receiver *r);
/* Takes one event packet (its RTP timestamp); returns the key when this
 * packet is the first of a new digit, 0 otherwise. */
char dtmf_receiver_feed(struct dtmf_receiver *r, uint32_t rtp_ts, const struct dtmf_event *e);

#endif
