/*-------------------------------------------------------------------------
 * retention.c
 *     Complete run folders told from everything else, and the older ones
 *     removed without following a link (see retention.h).
 *
 * batch/outputs/retention.c
 *-------------------------------------------------------------------------
 */
#include "retention.h"

#include "csvtable.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST "manifest.csv"

/* A manifest is a few kilobytes; a larger file is not one a run wrote. */
#define MANIFEST_MAX (1L << 20)

enum kind { RUN_COMPLETE, RUN_INCOMPLETE, NOT_A_RUN };

struct folder {
    char name[32];
    int64_t id;
    enum kind kind;
    char why[512];  /* why it is incomplete or not a run folder */
    char ended[32]; /* the manifest's ended_at */
    time_t ended_t;
    dev_t dev; /* the folder checked, so that removal finds the same one */
    ino_t ino;
    char **files; /* the files to remove, manifest.csv last */
    int nfiles;
};

static void folder_fini(struct folder *f)
{
    for (int i = 0; i < f->nfiles; i++)
        free(f->files[i]);
    free(f->files);
    f->files = NULL;
    f->nfiles = 0;
}

/* A run number as output.c names its folder: digits, no leading zero. */
static bool run_name(const char *s, int64_t *id)
{
    int64_t v = 0;

    if (!*s || *s == '0' || strlen(s) > 18)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (*s - '0');
    }
    *id = v;
    return true;
}

/* "YYYY-MM-DDTHH:MM:SSZ" (UTC), as run_info.sql writes ended_at. */
static bool parse_utc(const char *s, time_t *t)
{
    static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
    struct tm tm = {0};
    int v[6] = {0}, k = 0;

    if (strlen(s) != sizeof form - 1)
        return false;
    for (size_t i = 0; form[i]; i++) {
        if (form[i] != 'd') {
            if (s[i] != form[i])
                return false;
            k++;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return false;
        v[k] = v[k] * 10 + (s[i] - '0');
    }
    tm.tm_year = v[0] - 1900;
    tm.tm_mon = v[1] - 1;
    tm.tm_mday = v[2];
    tm.tm_hour = v[3];
    tm.tm_min = v[4];
    tm.tm_sec = v[5];
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
        return false;
    *t = timegm(&tm);
    return *t != (time_t)-1;
}

static bool listed(const struct csvtable *t, int col, const char *name)
{
    for (int r = 0; r < t->nrows; r++)
        if (strcmp(t->cells[(size_t)r * (size_t)t->ncols + (size_t)col], name) == 0)
            return true;
    return false;
}

static const char *cell0(const struct csvtable *t, int col)
{
    return t->cells[col];
}

/* Read the manifest of the open folder dfd: kind, ended_at, the files it
 * lists (through t). ST_ENOMEM only; a manifest that is not one is f->kind. */
static enum status read_manifest(int dfd, struct folder *f, struct csvtable **t, struct err *err)
{
    struct err merr;
    struct stat st;
    enum status rst;
    int col[4];
    FILE *fp;
    int fd = openat(dfd, MANIFEST, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    *t = NULL;
    if (fd < 0) {
        f->kind = errno == ENOENT ? RUN_INCOMPLETE : NOT_A_RUN;
        snprintf(f->why, sizeof f->why, "%s",
                 errno == ENOENT ? "no manifest.csv: its run is writing it, or stopped first"
                                 : "its manifest.csv cannot be opened (or is a link)");
        return ST_OK;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MANIFEST_MAX ||
        !(fp = fdopen(fd, "rb"))) {
        close(fd);
        f->kind = NOT_A_RUN;
        snprintf(f->why, sizeof f->why, "its manifest.csv is not a run's manifest");
        return ST_OK;
    }
    err_clear(&merr);
    rst = csvtable_read_fp(t, fp, MANIFEST, &merr);
    fclose(fp);
    if (rst == ST_ENOMEM)
        return err_set(err, ST_ENOMEM, "out of memory reading a manifest");
    f->kind = NOT_A_RUN;
    if (rst != ST_OK) {
        snprintf(f->why, sizeof f->why, "its manifest.csv cannot be read: %s", merr.msg);
        return ST_OK;
    }
    col[0] = csvtable_col(*t, "run_id");
    col[1] = csvtable_col(*t, "state");
    col[2] = csvtable_col(*t, "ended_at");
    col[3] = csvtable_col(*t, "file");
    if (col[0] < 0 || col[1] < 0 || col[2] < 0 || col[3] < 0 || (*t)->nrows == 0) {
        snprintf(f->why, sizeof f->why, "its manifest.csv is not a run's manifest");
        return ST_OK;
    }
    for (int r = 0; r < (*t)->nrows; r++) {
        const char *id = (*t)->cells[(size_t)r * (size_t)(*t)->ncols + (size_t)col[0]];
        if (strcmp(id, f->name) != 0) {
            snprintf(f->why, sizeof f->why, "its manifest.csv is of run \"%s\"", id);
            return ST_OK;
        }
    }
    snprintf(f->ended, sizeof f->ended, "%s", cell0(*t, col[2]));
    if (strcmp(cell0(*t, col[1]), "done") != 0) {
        f->kind = RUN_INCOMPLETE;
        snprintf(f->why, sizeof f->why, "its run's state is %s, not done", cell0(*t, col[1]));
        return ST_OK;
    }
    if (!parse_utc(f->ended, &f->ended_t)) {
        snprintf(f->why, sizeof f->why, "its manifest.csv has no end time");
        return ST_OK;
    }
    f->kind = RUN_COMPLETE;
    return ST_OK;
}

/* Check that the open folder dfd holds only regular files the manifest
 * lists, and keep their names (manifest.csv last) for the removal. */
static enum status list_files(int dfd, const struct csvtable *t, struct folder *f, struct err *err)
{
    int col = csvtable_col(t, "file"), dup_fd = dup(dfd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    const struct dirent *e;
    enum status st = ST_OK;

    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        f->kind = NOT_A_RUN;
        snprintf(f->why, sizeof f->why, "it cannot be listed: %s", strerror(errno));
        return ST_OK;
    }
    while ((e = readdir(d)) != NULL) {
        struct stat sb;
        char **more;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            strcmp(e->d_name, MANIFEST) == 0)
            continue;
        if (fstatat(dfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode) ||
            !listed(t, col, e->d_name)) {
            f->kind = NOT_A_RUN;
            snprintf(f->why, sizeof f->why, "it holds \"%s\", which its run did not write",
                     e->d_name);
            break;
        }
        if (!(more = realloc(f->files, ((size_t)f->nfiles + 2) * sizeof *more)) ||
            !(more[f->nfiles] = strdup(e->d_name))) {
            if (more)
                f->files = more;
            st = err_set(err, ST_ENOMEM, "out of memory listing a run folder");
            break;
        }
        f->files = more;
        f->nfiles++;
    }
    closedir(d);
    if (st != ST_OK || f->kind != RUN_COMPLETE)
        return st;
    if (!(f->files[f->nfiles] = strdup(MANIFEST))) /* room was made above */
        return err_set(err, ST_ENOMEM, "out of memory listing a run folder");
    f->nfiles++;
    return ST_OK;
}

/* What the entry name of the output folder basefd is. */
static enum status classify(int basefd, struct folder *f, struct err *err)
{
    struct csvtable *t = NULL;
    struct stat sb;
    enum status st;
    int dfd;

    f->kind = NOT_A_RUN;
    if (!run_name(f->name, &f->id)) {
        snprintf(f->why, sizeof f->why, "its name is not a run number");
        return ST_OK;
    }
    dfd = openat(basefd, f->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0 || fstat(dfd, &sb) != 0) {
        snprintf(f->why, sizeof f->why, "it is not a folder (a link, a file) or cannot be opened");
        if (dfd >= 0)
            close(dfd);
        return ST_OK;
    }
    f->dev = sb.st_dev;
    f->ino = sb.st_ino;
    st = read_manifest(dfd, f, &t, err);
    /* The files are collected for a complete folder; an incomplete one is
     * kept whatever it holds. */
    if (st == ST_OK && t && f->kind == RUN_COMPLETE) {
        /* One slot more than the entries for manifest.csv: the list is
         * allocated even for an empty folder. */
        if (!(f->files = calloc(1, sizeof *f->files)))
            st = err_set(err, ST_ENOMEM, "out of memory listing a run folder");
        else
            st = list_files(dfd, t, f, err);
    }
    csvtable_free(t);
    close(dfd);
    return st;
}

/* Remove the complete folder f: its files (manifest.csv last, so that a
 * removal cut short leaves a folder a later prune still recognises and
 * finishes), then the folder. Returns false after reporting a failure. */
static bool remove_folder(const struct prune_opts *o, int basefd, const struct folder *f)
{
    int dfd = openat(basefd, f->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;

    if (dfd < 0 || fstat(dfd, &sb) != 0 || sb.st_dev != f->dev || sb.st_ino != f->ino) {
        if (dfd < 0 && errno == ENOENT)
            return true; /* removed meanwhile (another prune) */
        log_error("could not remove \"%s/%s/\": %s", o->base, f->name,
                  dfd < 0 ? strerror(errno) : "it was replaced while being checked");
        if (dfd >= 0)
            close(dfd);
        return false;
    }
    for (int i = 0; i < f->nfiles; i++) {
        /* unlinkat removes a name, never what a link points to. */
        if (unlinkat(dfd, f->files[i], 0) != 0 && errno != ENOENT) {
            log_error("could not remove \"%s/%s/%s\": %s", o->base, f->name, f->files[i],
                      strerror(errno));
            close(dfd);
            return false;
        }
    }
    close(dfd);
    if (unlinkat(basefd, f->name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
        log_error("could not remove \"%s/%s/\": %s", o->base, f->name, strerror(errno));
        return false;
    }
    return true;
}

static int newest_first(const void *a, const void *b)
{
    const struct folder *x = a, *y = b;
    return (x->id < y->id) - (x->id > y->id);
}

static void say(const struct prune_opts *o, const char *line)
{
    if (o->report)
        fprintf(o->report, "%s\n", line);
    else
        log_info("%s", line);
}

/* Read the names of the output folder into *fs (entries "." and ".."
 * left out). */
static enum status read_names(const struct prune_opts *o, int basefd, struct folder **fs, long *nfs,
                              struct err *err)
{
    int dup_fd = dup(basefd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    const struct dirent *e;
    long cap = 0;

    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        return err_set(err, ST_EIO, "could not list the output folder \"%s\": %s", o->base,
                       strerror(errno));
    }
    while ((errno = 0, e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (*nfs == cap) {
            long ncap = cap ? cap * 2 : 64;
            struct folder *more = realloc(*fs, (size_t)ncap * sizeof *more);
            if (!more) {
                closedir(d);
                return err_set(err, ST_ENOMEM, "out of memory listing the output folder");
            }
            *fs = more;
            cap = ncap;
        }
        struct folder *f = &(*fs)[(*nfs)++];
        memset(f, 0, sizeof *f);
        /* A longer name is no run number: "?" makes sure it is never
         * taken for one, and messages show its start. */
        if (strlen(e->d_name) >= sizeof f->name)
            snprintf(f->name, sizeof f->name, "%.24s...?", e->d_name);
        else
            snprintf(f->name, sizeof f->name, "%s", e->d_name);
    }
    if (errno != 0) {
        int e2 = errno;
        closedir(d);
        return err_set(err, ST_EIO, "could not list the output folder \"%s\": %s", o->base,
                       strerror(e2));
    }
    closedir(d);
    return ST_OK;
}

enum status prune_runs(const struct prune_opts *o, struct prune_counts *n, struct err *err)
{
    struct folder *fs = NULL;
    long nfs = 0, kept = 0, young = 0;
    char line[1024];
    enum status st;
    int basefd;

    memset(n, 0, sizeof *n);
    /* The output folder itself may be a link (the operator names it);
     * nothing inside it is followed. */
    if ((basefd = open(o->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        err_set(err, ST_EIO, "could not open the output folder \"%s\": %s", o->base,
                strerror(errno));
        err_hint(err, "Name the folder the runs write into with --out (default out).");
        return ST_EIO;
    }
    st = read_names(o, basefd, &fs, &nfs, err);
    for (long i = 0; st == ST_OK && i < nfs; i++)
        st = classify(basefd, &fs[i], err);
    if (st == ST_OK && nfs > 0)
        qsort(fs, (size_t)nfs, sizeof *fs, newest_first);
    for (long i = 0; st == ST_OK && i < nfs; i++) {
        struct folder *f = &fs[i];

        if (f->kind != RUN_COMPLETE) {
            if (f->kind == RUN_INCOMPLETE)
                n->incomplete++;
            else
                n->other++;
            if (o->verbose) {
                snprintf(line, sizeof line, "left %s/%s alone: %s", o->base, f->name, f->why);
                say(o, line);
            }
            continue;
        }
        n->complete++;
        if (kept < o->keep) {
            kept++;
            continue;
        }
        if (o->older_than_s > 0 && (long long)(o->now - f->ended_t) <= o->older_than_s) {
            young++;
            continue;
        }
        if (remove_folder(o, basefd, f)) {
            n->removed++;
            snprintf(line, sizeof line, "removed %s/%s/ (run %" PRId64 ", ended %s)", o->base,
                     f->name, f->id, f->ended);
            say(o, line);
        } else {
            n->failed++;
        }
    }
    if (st == ST_OK) {
        char more[96] = "", failed[64] = "";

        if (young > 0)
            snprintf(more, sizeof more, " and %ld more that ended within --older-than", young);
        if (n->failed > 0)
            snprintf(failed, sizeof failed, "; %ld could not be removed", n->failed);
        snprintf(line, sizeof line,
                 "%s/: removed %ld of %ld complete run folder%s, kept the %ld most recent%s%s; "
                 "left alone %ld incomplete and %ld other entr%s",
                 o->base, n->removed, n->complete, n->complete == 1 ? "" : "s", kept, more, failed,
                 n->incomplete, n->other, n->other == 1 ? "y" : "ies");
        say(o, line);
    }
    for (long i = 0; i < nfs; i++)
        folder_fini(&fs[i]);
    free(fs);
    close(basefd);
    return st;
}
