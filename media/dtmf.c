/* RFC 4733 telephone-events (dtmf.h). */
#include "media/dtmf.h"

#include <string.h>

#define SAMPLES_PER_MS 8
#define PERIOD_SAMPLES 160
/* RFC 4733 2.5.2.2 volume of a generated tone: -10 dBm0 is typical. */
#define DTMF_VOLUME 10

int dtmf_parse(const uint8_t *p, size_t len, struct dtmf_event *e)
{
    if (len < DTMF_PAYLOAD_LEN)
        return -1;
    e->event = p[0];
    e->end = (p[1] & 0x80) != 0;
    e->volume = p[1] & 0x3f;
    e->duration = (uint16_t)(p[2] << 8 | p[3]);
    return 0;
}

void dtmf_build(const struct dtmf_event *e, uint8_t out[DTMF_PAYLOAD_LEN])
{
    out[0] = e->event;
    out[1] = (uint8_t)((e->end ? 0x80 : 0) | (e->volume & 0x3f));
    out[2] = (uint8_t)(e->duration >> 8);
    out[3] = (uint8_t)e->duration;
}

int dtmf_event_of(char key)
{
    if (key >= '0' && key <= '9')
        return key - '0';
    if (key == '*')
        return 10;
    if (key == '#')
        return 11;
    if (key >= 'A' && key <= 'D')
        return 12 + key - 'A';
    if (key >= 'a' && key <= 'd')
        return 12 + key - 'a';
    return -1;
}

char dtmf_key_of(uint8_t event)
{
    static const char keys[] = "0123456789*#ABCD";
    return event < 16 ? keys[event] : '?';
}

int dtmf_sender_start(struct dtmf_sender *s, const char *keys, uint32_t tone_ms,
                      uint32_t pause_ms)
{
    size_t n = strlen(keys);
    memset(s, 0, sizeof(*s));
    if (n == 0 || n > DTMF_DIGITS_MAX)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (dtmf_event_of(keys[i]) < 0)
            return -1;
    memcpy(s->keys, keys, n + 1);
    s->count = n;
    s->period_samples = PERIOD_SAMPLES;
    s->tone_samples = tone_ms * SAMPLES_PER_MS;
    s->pause_samples = pause_ms * SAMPLES_PER_MS;
    if (s->tone_samples < PERIOD_SAMPLES)
        s->tone_samples = PERIOD_SAMPLES;
    return 0;
}

bool dtmf_sender_done(const struct dtmf_sender *s)
{
    return s->index >= s->count && !s->in_tone && s->pause_left == 0;
}

bool dtmf_sender_tick(struct dtmf_sender *s, struct dtmf_packet *pkt)
{
    bool out = false;
    if (!s->in_tone && s->pause_left == 0 && s->index < s->count) {
        s->in_tone = true;
        s->event_start = s->clock;
        s->ends_sent = 0;
    }
    if (s->in_tone) {
        uint32_t elapsed = s->clock - s->event_start + s->period_samples;
        bool ending = elapsed >= s->tone_samples;
        memset(pkt, 0, sizeof(*pkt));
        pkt->marker = s->clock == s->event_start;
        pkt->ts_offset = s->event_start;
        pkt->ev.event = (uint8_t)dtmf_event_of(s->keys[s->index]);
        pkt->ev.volume = DTMF_VOLUME;
        /* The end packets repeat the final duration (RFC 4733 2.5.1.4). */
        pkt->ev.duration = (uint16_t)(ending ? s->tone_samples : elapsed);
        pkt->ev.end = ending;
        out = true;
        if (ending && ++s->ends_sent >= DTMF_END_REPEAT) {
            s->in_tone = false;
            s->index++;
            s->pause_left = s->index < s->count ? s->pause_samples : 0;
        }
    } else if (s->pause_left) {
        s->pause_left = s->pause_left > s->period_samples ? s->pause_left - s->period_samples : 0;
    }
    s->clock += s->period_samples;
    return out;
}

void dtmf_receiver_init(struct dtmf_receiver *r)
{
    memset(r, 0, sizeof(*r));
}

char dtmf_receiver_feed(struct dtmf_receiver *r, uint32_t rtp_ts, const struct dtmf_event *e)
{
    /* One digit is one RTP timestamp for all its packets (RFC 4733 2.5.1.2). */
    if (r->have_last && r->last_ts == rtp_ts)
        return 0;
    r->have_last = true;
    r->last_ts = rtp_ts;
    char key = dtmf_key_of(e->event);
    if (r->count + 1 < sizeof(r->keys))
        r->keys[r->count++] = key;
    r->keys[r->count] = '\0';
    return key;
}
