/* Event loops with precise timers (loop.h). */
#include "synth/base/loop.h"

#include <event2/event.h>

struct event_base *loop_new(bool precise)
{
    struct event_config *cfg = event_config_new();
    if (!cfg)
        return NULL;
    if (precise)
        event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    struct event_base *base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (base && event_base_priority_init(base, LOOP_PRIORITIES) != 0) {
        event_base_free(base);
        return NULL;
    }
    return base;
}
