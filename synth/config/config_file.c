/* Bounded reads of configuration files and relative path resolution. */
#include "synth/config/config_file.h"

#include "synth/base/sbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_error(const char *where, const char *path, const char *reason, int code,
                      struct synth_error *err)
{
    if (where)
        return synth_error_set(err, code, "%s: cannot read %s: %s", where, path, reason);
    return synth_error_set(err, code, "%s: %s", path, reason);
}

int config_file_read(const char *path, size_t max, const char *where, char **buf,
                     size_t *len, struct synth_error *err)
{
    char *data = NULL;
    size_t used = 0;
    int rc = 0;

    *buf = NULL;
    *len = 0;
    /* O_NONBLOCK so that opening a FIFO does not wait for a writer; the
     * fstat below then refuses it. It has no effect on regular files. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return read_error(where, path, strerror(errno), SYNTH_EIO, err);

    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = read_error(where, path, strerror(errno), SYNTH_EIO, err);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = read_error(where, path, "not a regular file", SYNTH_EIO, err);
        goto out;
    }
    if ((uint64_t)st.st_size > max) {
        rc = read_error(where, path, "file too large", SYNTH_ETOOBIG, err);
        goto out;
    }

    /* The size may change under us; read to EOF but never past max. */
    size_t cap = (size_t)st.st_size + 1;
    data = malloc(cap);
    if (!data) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    for (;;) {
        if (used + 1 == cap) {
            if (cap - 1 >= max) {
                char probe;
                ssize_t extra = read(fd, &probe, 1);
                if (extra > 0) {
                    rc = read_error(where, path, "file too large", SYNTH_ETOOBIG, err);
                    goto out;
                }
                break;
            }
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *n = realloc(data, ncap);
            if (!n) {
                rc = synth_error_set(err, SYNTH_ENOMEM, "%s: out of memory", path);
                goto out;
            }
            data = n;
            cap = ncap;
        }
        ssize_t got = read(fd, data + used, cap - 1 - used);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            rc = read_error(where, path, strerror(errno), SYNTH_EIO, err);
            goto out;
        }
        if (got == 0)
            break;
        used += (size_t)got;
    }
    data[used] = '\0';
    *buf = data;
    *len = used;
    data = NULL;
out:
    if (data) {
        explicit_bzero(data, cap);
        free(data);
    }
    close(fd);
    return rc;
}

int config_dirname(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    struct strv dir;

    if (!slash)
        dir = strv_from_cstr(".");
    else if (slash == path)
        dir = strv_from_cstr("/");
    else
        dir = strv_make(path, (size_t)(slash - path));
    return strv_copy(dir, out, size);
}

int config_path_resolve(const char *base_dir, const char *rel, char *out, size_t size)
{
    struct sbuf sb;

    sbuf_init(&sb, out, size);
    if (rel[0] != '/' && base_dir && base_dir[0] && strcmp(base_dir, ".") != 0) {
        sbuf_puts(&sb, base_dir);
        if (base_dir[strlen(base_dir) - 1] != '/')
            sbuf_puts(&sb, "/");
    }
    sbuf_puts(&sb, rel);
    return sbuf_result(&sb);
}
