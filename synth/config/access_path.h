/* How a synthetic user reaches the deployment: as an internal user, straight
 * to the registrar (the Front End pool), or as an external user, through the
 * Edge access proxy. One scenario may use both, side by side. */
#ifndef SYNTH_CONFIG_ACCESS_PATH_H
#define SYNTH_CONFIG_ACCESS_PATH_H

enum access_path {
    ACCESS_INTERNAL, /* the target's registrar */
    ACCESS_EDGE,     /* the target's edge */
    ACCESS_PATH_COUNT,
};

/* "internal", "edge": scenario `load.via`, events.jsonl "via", summary.json "paths". */
static inline const char *access_path_name(enum access_path p)
{
    return p == ACCESS_EDGE ? "edge" : "internal";
}

#endif
