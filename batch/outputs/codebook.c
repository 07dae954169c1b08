/*-------------------------------------------------------------------------
 * codebook.c
 *     The codebook compiled into the program, parsed and looked up (see
 *     codebook.h).
 *
 * batch/outputs/codebook.c
 *-------------------------------------------------------------------------
 */
#include "codebook.h"

#include "csvtable.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const doc_cols[] = {"file",    "column", "type", "unit",
                                       "meaning", "source", "codes"};
#define NDOC ((int)(sizeof doc_cols / sizeof doc_cols[0]))

struct codebook {
    struct csvtable *t;
    int col[NDOC]; /* index of each of doc_cols */
};

enum status codebook_open(struct codebook **out, struct err *err)
{
    struct codebook *cb = calloc(1, sizeof *cb);
    FILE *fp;
    enum status st;

    *out = NULL;
    if (!cb)
        return err_set(err, ST_ENOMEM, "out of memory");
    if (!(fp = fmemopen((void *)(uintptr_t)codebook_csv, strlen(codebook_csv), "r"))) {
        free(cb);
        return err_set(err, ST_ENOMEM, "out of memory reading the codebook");
    }
    st = csvtable_read_fp(&cb->t, fp, "codebook.csv (compiled in)", err);
    fclose(fp);
    for (int i = 0; st == ST_OK && i < NDOC; i++)
        if ((cb->col[i] = csvtable_col(cb->t, doc_cols[i])) < 0)
            st = err_set(err, ST_EINPUT, "the compiled-in codebook has no column %s", doc_cols[i]);
    if (st != ST_OK) {
        codebook_free(cb);
        return st;
    }
    *out = cb;
    return ST_OK;
}

void codebook_free(struct codebook *cb)
{
    if (!cb)
        return;
    csvtable_free(cb->t);
    free(cb);
}

static bool is_summary(const char *file)
{
    return strcmp(file, "summary_offense.csv") == 0 || strcmp(file, "summary_court.csv") == 0;
}

bool codebook_find(const struct codebook *cb, const char *file, const char *column,
                   struct col_doc *doc)
{
    const struct csvtable *t = cb->t;
    int found = -1;

    for (int r = 0; r < t->nrows; r++) {
        const char *const *row = (const char *const *)&t->cells[r * t->ncols];
        const char *f = row[cb->col[0]];

        if (strcmp(row[cb->col[1]], column) != 0)
            continue;
        if (strcmp(f, file) == 0) {
            found = r;
            break;
        }
        if (((f[0] == '\0' && is_summary(file)) || strcmp(f, "*") == 0) && found < 0)
            found = r;
    }
    if (found < 0)
        return false;
    {
        const char *const *row = (const char *const *)&t->cells[found * t->ncols];
        doc->file = row[cb->col[0]];
        doc->column = row[cb->col[1]];
        doc->type = row[cb->col[2]];
        doc->unit = row[cb->col[3]];
        doc->meaning = row[cb->col[4]];
        doc->source = row[cb->col[5]];
        doc->codes = row[cb->col[6]];
    }
    return true;
}
