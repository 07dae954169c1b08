/*-------------------------------------------------------------------------
 * run_status.c
 *     `sentencer status`: the latest runs with start, end, state, counts,
 *     host, pid and rule set, as an aligned table.
 *
 * batch/run_status.c
 *-------------------------------------------------------------------------
 */
#include "ctx.h"
#include "db.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

#define SHOWN_COLS 10 /* the message column is printed on its own line */

enum status cmd_status(struct ctx *ctx, struct err *err)
{
    struct db *db;
    struct db_table *t = NULL;
    char limit[24];
    enum status st;
    int width[SHOWN_COLS];

    snprintf(limit, sizeof limit, "%ld", ctx->opt.limit > 0 ? ctx->opt.limit : 10);
    if ((st = db_connect(&db, &ctx->opt.db, err)) != ST_OK)
        return st;
    if ((st = db_check_schema(db, err)) == ST_OK) {
        const char *params[1] = {limit};
        st = db_query(db, "status", 1, params, &t, err);
    }
    db_close(db);
    if (st != ST_OK)
        return st;
    if (t->nrows == 0) {
        printf("no runs yet\n");
        db_table_free(t);
        return ST_OK;
    }
    for (int c = 0; c < SHOWN_COLS && c < t->ncols; c++) {
        width[c] = (int)strlen(t->names[c]);
        for (int r = 0; r < t->nrows; r++) {
            const char *v = t->cells[r * t->ncols + c];
            if (v && (int)strlen(v) > width[c])
                width[c] = (int)strlen(v);
        }
    }
    for (int c = 0; c < SHOWN_COLS && c < t->ncols; c++)
        printf("%-*s%s", width[c], t->names[c], c + 1 < SHOWN_COLS ? "  " : "\n");
    for (int r = 0; r < t->nrows; r++) {
        for (int c = 0; c < SHOWN_COLS && c < t->ncols; c++) {
            const char *v = t->cells[r * t->ncols + c];
            printf("%-*s%s", width[c], v ? v : "", c + 1 < SHOWN_COLS ? "  " : "\n");
        }
        if (t->ncols > SHOWN_COLS && t->cells[r * t->ncols + SHOWN_COLS] &&
            t->cells[r * t->ncols + SHOWN_COLS][0])
            printf("    %s\n", t->cells[r * t->ncols + SHOWN_COLS]);
    }
    db_table_free(t);
    return ST_OK;
}
