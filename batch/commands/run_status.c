/*-------------------------------------------------------------------------
 * run_status.c
 *     `sentencer status`: the latest runs with start, end, state, counts,
 *     host, pid and rule set, as an aligned table.
 *
 * batch/commands/run_status.c
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
    struct result *t = NULL;
    char limit[24];
    enum status st;
    int width[SHOWN_COLS] = {0};

    snprintf(limit, sizeof limit, "%ld", ctx->opt.limit > 0 ? ctx->opt.limit : 10);
    if ((st = db_connect(&db, &ctx->opt.db, err)) != ST_OK)
        return st;
    if ((st = db_check_schema(db, err)) == ST_OK) {
        const char *params[1] = {limit};
        st = db_query(db, Q_STATUS, 1, params, &t, err);
    }
    db_close(db);
    if (st != ST_OK)
        return st;
    int nrows = result_rows(t), all_cols = result_cols(t);
    int ncols = all_cols < SHOWN_COLS ? all_cols : SHOWN_COLS;
    if (nrows == 0) {
        printf("no runs yet\n");
        result_free(t);
        return ST_OK;
    }
    for (int c = 0; c < ncols; c++) {
        width[c] = (int)strlen(result_name(t, c));
        for (int r = 0; r < nrows; r++) {
            const char *v = result_get(t, r, c);
            if (v && (int)strlen(v) > width[c])
                width[c] = (int)strlen(v);
        }
    }
    for (int c = 0; c < ncols; c++)
        printf("%-*s%s", width[c], result_name(t, c), c + 1 < SHOWN_COLS ? "  " : "\n");
    for (int r = 0; r < nrows; r++) {
        const char *message = result_get(t, r, SHOWN_COLS); /* NULL when there is none */

        for (int c = 0; c < ncols; c++) {
            const char *v = result_get(t, r, c);
            printf("%-*s%s", width[c], v ? v : "", c + 1 < SHOWN_COLS ? "  " : "\n");
        }
        if (message && message[0])
            printf("    %s\n", message);
    }
    result_free(t);
    return ST_OK;
}
