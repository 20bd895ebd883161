/* Atomic report files: write beside the target, fsync, rename(2) (POSIX
 * rename is atomic within one file system, hence "beside"). */
#include "report_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Room for ".tmp.<pid>". */
#define REPORT_FILE_TMP_SUFFIX_MAX 32

/* A writer's error, prefixed with the file it was writing. */
static int name_path(struct synth_error *err, int rc, const char *path)
{
    char why[SYNTH_ERROR_MSG_MAX];
    snprintf(why, sizeof(why), "%s", err ? err->msg : "");
    return synth_error_set(err, rc, "cannot write %s: %s", path, why);
}

/* The writer to run: one of the two shapes. */
struct writer {
    report_writer_fn fn;
    report_dir_writer_fn dir_fn;
    const char *dir;
};

static int run_writer(const struct writer *w, FILE *f, const json_t *summary,
                      struct synth_error *err)
{
    return w->dir_fn ? w->dir_fn(f, summary, w->dir, err) : w->fn(f, summary, err);
}

/* Straight into path, for what a rename would replace instead of write:
 * "-" (stdout), /dev/stdout, a FIFO, a symbolic link. */
static int write_through(const char *path, const struct writer *fn, const json_t *summary,
                         struct synth_error *err)
{
    bool std = strcmp(path, "-") == 0;
    FILE *f = std ? stdout : fopen(path, "w");
    int rc;

    if (!f)
        return synth_error_set(err, SYNTH_EIO, "cannot write %s: %s", path, strerror(errno));
    rc = run_writer(fn, f, summary, err);
    if (rc)
        rc = name_path(err, rc, path);
    else if (fflush(f) != 0 || ferror(f)) {
        rc = synth_error_set(err, SYNTH_EIO, "cannot write %s: %s", path, strerror(errno));
    }
    if (!std && fclose(f) != 0 && !rc)
        rc = synth_error_set(err, SYNTH_EIO, "cannot write %s: %s", path, strerror(errno));
    return rc;
}

static int write_atomic(const char *path, const struct writer *fn, const json_t *summary,
                        struct synth_error *err)
{
    struct stat st;
    if (strcmp(path, "-") == 0 || (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)))
        return write_through(path, fn, summary, err);

    size_t len = strlen(path) + REPORT_FILE_TMP_SUFFIX_MAX;
    char *tmp = malloc(len);
    FILE *f = NULL;
    int rc = 0;

    if (!tmp)
        return synth_error_set(err, SYNTH_ENOMEM, "cannot write %s: out of memory", path);
    snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
    f = fopen(tmp, "w");
    if (!f) {
        rc = synth_error_set(err, SYNTH_EIO, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    rc = run_writer(fn, f, summary, err);
    if (rc) {
        rc = name_path(err, rc, path);
        goto out;
    }
    errno = 0;
    if (ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc = synth_error_set(err, SYNTH_EIO, "cannot write %s: %s", tmp,
                             errno ? strerror(errno) : "write failed");
        goto out;
    }
    int closed = fclose(f);
    f = NULL;
    if (closed != 0) {
        rc = synth_error_set(err, SYNTH_EIO, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (rename(tmp, path) != 0)
        rc = synth_error_set(err, SYNTH_EIO, "cannot write %s: %s", path, strerror(errno));
out:
    if (f)
        fclose(f);
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

int report_file_write(const char *path, report_writer_fn fn, const json_t *summary,
                      struct synth_error *err)
{
    const struct writer w = {.fn = fn};
    return write_atomic(path, &w, summary, err);
}

int report_file_write_dir(const char *path, report_dir_writer_fn fn, const json_t *summary,
                          const char *dir, struct synth_error *err)
{
    const struct writer w = {.dir_fn = fn, .dir = dir};
    return write_atomic(path, &w, summary, err);
}
