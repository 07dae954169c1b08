/*-------------------------------------------------------------------------
 * report.c
 *     `sentencer report deviation [--out DIR] [--offense O] [--court C]
 *     [--since DATE] [--excel] [--min-cell K]`: actual judgments against
 *     the recommendations (batch/outputs/deviation.c). Reads the database,
 *     writes only its files (default folder out/deviation).
 *
 * batch/commands/report.c
 *-------------------------------------------------------------------------
 */
#include "ctx.h"
#include "db.h"
#include "deviation.h"

#include <stdio.h>
#include <string.h>

enum status cmd_report(struct ctx *ctx, struct err *err)
{
    struct deviation_opts o = {ctx->opt.out ? ctx->opt.out : "out/deviation",
                               ctx->opt.offense,
                               ctx->opt.court,
                               ctx->opt.since,
                               ctx->opt.excel,
                               ctx->opt.min_cell};
    struct deviation_counts n;
    struct db *db;
    enum status st;

    if (strcmp(ctx->opt.args[0], "deviation") != 0) {
        err_set(err, ST_EUSAGE, "unknown report \"%s\"", ctx->opt.args[0]);
        err_hint(err, "The reports: deviation.");
        return ST_EUSAGE;
    }
    if ((st = db_connect(&db, &ctx->opt.db, err)) != ST_OK)
        return st;
    if ((st = db_check_schema(db, err)) == ST_OK &&
        (st = deviation_write(db, &o, &n, err)) == ST_OK)
        printf("deviation report: %ld defendants with an actual judgment: %ld warnings, %ld "
               "notices; %ld summary rows (%ld suppressed); in %s/\n",
               n.defendants, n.warnings, n.notices, n.summary_rows, n.suppressed_rows, o.dir);
    db_close(db);
    return st;
}
