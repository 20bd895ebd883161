/* Reading the files a configuration names: regular files only, bounded in
 * size, and paths inside a file taken relative to that file's directory, so a
 * target directory can be moved or checked out anywhere as a whole. */
#ifndef SYNTH_CONFIG_CONFIG_FILE_H
#define SYNTH_CONFIG_CONFIG_FILE_H

#include "synth/base/err.h"

#include <stddef.h>

/* Longest path we build or store (matches TARGET_PATH_MAX). */
#define CONFIG_PATH_MAX 1024

/* Reads the whole of path into a malloc'd buffer, NUL-terminated (*len does
 * not count the NUL). Only regular files: a FIFO, a terminal or a device
 * would block the loader or never end. More than max bytes is SYNTH_ETOOBIG.
 * Errors are "<where>: cannot read <path>: <reason>" (or "<path>: <reason>"
 * when where is NULL). Caller frees, wiping first if it may hold secrets. */
int config_file_read(const char *path, size_t max, const char *where, char **buf,
                     size_t *len, struct synth_error *err);

/* Directory part of path ("." when there is none) into out. */
int config_dirname(const char *path, char *out, size_t size);

/* base_dir/rel, or rel itself when it is absolute (or base_dir is NULL or
 * "."); SYNTH_ETOOBIG if it does not fit in size. */
int config_path_resolve(const char *base_dir, const char *rel, char *out, size_t size);

#endif
