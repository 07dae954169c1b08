/*-------------------------------------------------------------------------
 * outfile.c
 *     Run folders and files written under a temporary name (see outfile.h).
 *
 * batch/outputs/outfile.c
 *-------------------------------------------------------------------------
 */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum status outfile_open(struct outfile *f, const struct out_dir *dir, const char *name, bool csv,
                         bool excel, struct err *err)
{
    int fd;

    memset(f, 0, sizeof *f);
    f->dirfd = dir ? dir->fd : AT_FDCWD;
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->tmp, sizeof f->tmp, "%s.tmp.%ld", name, (long)getpid());
    if (dir)
        snprintf(f->path, sizeof f->path, "%s/%s", dir->path, name);
    else
        snprintf(f->path, sizeof f->path, "%s", name);
    /* O_EXCL and O_NOFOLLOW: a file or link planted under the temporary
     * name is refused, never written through. */
    fd = openat(f->dirfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || !(f->fp = fdopen(fd, "w"))) {
        err_set(err, ST_EIO, "could not create \"%s.tmp.%ld\": %s", f->path, (long)getpid(),
                strerror(errno));
        err_hint(err, errno == EEXIST ? "Something else created that file; remove it."
                                      : "Check that the output folder is writable (--out).");
        if (fd >= 0)
            close(fd);
        return ST_EIO;
    }
    return csv ? csvout_open(&f->w, f->fp, f->path, excel, err) : ST_OK;
}

enum status outfile_close(struct outfile *f, bool ok, struct err *err)
{
    enum status st = csvout_close(f->w, ok ? err : NULL);

    f->w = NULL;
    if (f->fp && ok && st == ST_OK && (fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0))
        st = err_set(err, ST_EIO, "could not write \"%s\": %s", f->path, strerror(errno));
    if (f->fp && fclose(f->fp) != 0 && st == ST_OK && ok)
        st = err_set(err, ST_EIO, "could not write \"%s\": %s", f->path, strerror(errno));
    f->fp = NULL;
    if (ok && st == ST_OK && renameat(f->dirfd, f->tmp, f->dirfd, f->name) != 0)
        st = err_set(err, ST_EIO, "could not rename \"%s\" into place: %s", f->path,
                     strerror(errno));
    if (!ok || st != ST_OK)
        unlinkat(f->dirfd, f->tmp, 0);
    return ok ? st : ST_OK;
}

enum status outfile_finish(struct outfile *f, enum status st, struct err *err)
{
    if (st == ST_OK)
        return outfile_close(f, true, err);
    outfile_close(f, false, err);
    return st;
}

long long outfile_size(const struct outfile *f)
{
    struct stat sb;

    return fstatat(f->dirfd, f->name, &sb, AT_SYMLINK_NOFOLLOW) == 0 ? (long long)sb.st_size : -1;
}

static enum status make_dirs(const char *dir, struct err *err)
{
    char tmp[4096];

    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        goto fail;
    return ST_OK;
fail:
    err_set(err, ST_EIO, "could not create the folder \"%s\": %s", tmp, strerror(errno));
    err_hint(err, "Choose a writable output folder with --out.");
    return ST_EIO;
}

enum status outdir_claim(const char *base, int64_t run_id, bool fresh, struct out_dir *d,
                         struct err *err)
{
    char probe[64], block[4096];
    enum status st;
    int fd;

    d->fd = -1;
    if ((st = make_dirs(base, err)) != ST_OK)
        return st;
    snprintf(d->path, sizeof d->path, "%s/%" PRId64, base, run_id);
    /* mkdir creates it or fails: a folder, file or link already there is
     * not the run's (a run id is used once). */
    if (mkdir(d->path, 0777) != 0 && (fresh || errno != EEXIST)) {
        err_set(err, ST_EIO, "could not create the run's folder \"%s\": %s", d->path,
                strerror(errno));
        err_hint(err, errno == EEXIST ? "Something else is there already (run folders are never "
                                        "reused); move it away, or choose another --out."
                                      : "Choose a writable output folder with --out.");
        return ST_EIO;
    }
    if ((d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        err_set(err, ST_EIO, "could not open the run's folder \"%s\": %s", d->path,
                strerror(errno));
        err_hint(err, "It must be a folder, not a link to one.");
        return ST_EIO;
    }
    /* A block written and synced: a read-only or full disk shows now,
     * before the run has claimed any work. */
    memset(block, '\n', sizeof block);
    snprintf(probe, sizeof probe, ".probe.%ld", (long)getpid());
    fd = openat(d->fd, probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, block, sizeof block) != (ssize_t)sizeof block || fsync(fd) != 0) {
        err_set(err, ST_EIO, "could not write in the run's folder \"%s\": %s", d->path,
                strerror(errno));
        err_hint(err, "Free some space or choose another --out; nothing was evaluated.");
        if (fd >= 0)
            close(fd);
        unlinkat(d->fd, probe, 0);
        outdir_close(d);
        return ST_EIO;
    }
    close(fd);
    unlinkat(d->fd, probe, 0);
    return ST_OK;
}

void outdir_close(struct out_dir *d)
{
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
}
