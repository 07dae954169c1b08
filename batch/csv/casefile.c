/*-------------------------------------------------------------------------
 * casefile.c
 *     A cases.csv file read whole into charges (see casefile.h).
 *
 * batch/csv/casefile.c
 *-------------------------------------------------------------------------
 */
#include "casefile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int key_cmp(const struct act *a, const struct act *b)
{
    int c = strcmp(a->text[F_CASE_NO], b->text[F_CASE_NO]);

    if (!c)
        c = strcmp(a->text[F_DEFENDANT_NO], b->text[F_DEFENDANT_NO]);
    if (!c)
        c = strcmp(a->text[F_OFFENSE], b->text[F_OFFENSE]);
    return c;
}

static int act_cmp(const void *x, const void *y)
{
    const struct act *a = x, *b = y;
    int c = key_cmp(a, b);

    if (!c)
        c = (a->num[F_ACT_NO] > b->num[F_ACT_NO]) - (a->num[F_ACT_NO] < b->num[F_ACT_NO]);
    return c;
}

/* The acts of path, appended to cf->acts. */
static enum status read_acts(struct casefile *cf, const char *path, int64_t today,
                             csvin_reject_fn on_reject, void *ud, struct err *err)
{
    FILE *fp = fopen(path, "rb");
    struct csvin *in = NULL;
    enum status st;

    if (!fp) {
        err_set(err, ST_EIO, "could not open \"%s\"", path);
        err_hint(err, "Give a cases.csv file (case-interchange.md).");
        return ST_EIO;
    }
    if ((st = csvin_open(&in, fp, path, today, on_reject, ud, err)) != ST_OK) {
        fclose(fp);
        return st;
    }
    for (;;) {
        enum csvin_result r;

        if (cf->n_acts == cf->cap) {
            size_t cap = cf->cap ? 2 * cf->cap : 64;
            struct act *v = realloc(cf->acts, cap * sizeof *v);

            if (!v) {
                st = err_set(err, ST_ENOMEM, "out of memory reading \"%s\"", path);
                break;
            }
            memset(v + cf->cap, 0, (cap - cf->cap) * sizeof *v);
            cf->acts = v;
            cf->cap = cap;
        }
        r = csvin_next(in, &cf->acts[cf->n_acts], err);
        if (r == CSVIN_EOF)
            break;
        if (r == CSVIN_FAIL) {
            st = ST_EINPUT;
            break;
        }
        if (r == CSVIN_ROW)
            cf->n_acts++;
    }
    if (cf->n_acts < cf->cap)
        act_fini(&cf->acts[cf->n_acts]); /* the slot of a rejected or last read */
    csvin_close(in);
    fclose(fp);
    return st;
}

enum status casefile_read(struct casefile *cf, const char *path, int64_t today,
                          csvin_reject_fn on_reject, void *ud, struct err *err)
{
    enum status st = read_acts(cf, path, today, on_reject, ud, err);
    const struct act *first = NULL;

    if (st != ST_OK)
        return st;
    if (cf->n_acts > 1)
        qsort(cf->acts, cf->n_acts, sizeof *cf->acts, act_cmp);
    if (!(cf->charges = calloc(cf->n_acts + 1, sizeof *cf->charges)))
        return err_set(err, ST_ENOMEM, "out of memory reading \"%s\"", path);
    for (size_t i = 0; i < cf->n_acts; i++) {
        if (!first || key_cmp(first, &cf->acts[i]) != 0) {
            first = &cf->acts[i]; /* a new charge starts */
            cf->charges[cf->n_charges++].acts = &cf->acts[i];
        }
        cf->charges[cf->n_charges - 1].n_acts++;
    }
    return ST_OK;
}

void casefile_fini(struct casefile *cf)
{
    for (size_t i = 0; i < cf->n_acts; i++)
        act_fini(&cf->acts[i]);
    free(cf->acts);
    free(cf->charges); /* they borrowed the acts */
    memset(cf, 0, sizeof *cf);
}
