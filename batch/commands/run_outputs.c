/*-------------------------------------------------------------------------
 * run_outputs.c
 *     `sentencer outputs --run N`: write the files of run N again from the
 *     database, into OUT/N (an existing folder is written into; a link
 *     there is refused). The run's own files (recommendations.csv,
 *     errors.csv) come out as the run wrote them; the summaries, the report
 *     and the manifest describe the database as it is now.
 *
 * batch/commands/run_outputs.c
 *-------------------------------------------------------------------------
 */
#include "ctx.h"
#include "db.h"
#include "log.h"
#include "output.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum status cmd_outputs(struct ctx *ctx, struct err *err)
{
    struct db *db;
    struct result *t = NULL;
    struct out_dir out = {.fd = -1};
    struct run_totals totals = {0};
    char id[24], state[16] = "";
    const char *params[1] = {id};
    enum status st;

    if (ctx->opt.run_id <= 0) {
        err_set(err, ST_EUSAGE, "outputs needs the run: --run N");
        err_hint(err, "\"sentencer status\" lists the runs.");
        return ST_EUSAGE;
    }
    snprintf(id, sizeof id, "%ld", ctx->opt.run_id);
    if ((st = db_connect(&db, &ctx->opt.db, err)) != ST_OK)
        return st;
    if ((st = db_check_schema(db, err)) != ST_OK ||
        (st = db_query(db, Q_RUN_STATE, 1, params, &t, err)) != ST_OK)
        goto done;
    if (result_rows(t) != 1 || !result_get(t, 0, 0)) {
        st = err_set(err, ST_EUSAGE, "there is no run %s", id);
        err_hint(err, "\"sentencer status\" lists the runs.");
        goto done;
    }
    snprintf(state, sizeof state, "%s", result_get(t, 0, 0));
    if (strcmp(state, "running") == 0) {
        st = err_set(err, ST_EDB, "run %s is still running", id);
        err_hint(err, "A run writes its files when it ends; ask again after that.");
        goto done;
    }
    if ((st = outdir_claim(ctx->opt.out ? ctx->opt.out : "out", ctx->opt.run_id, false, &out,
                           err)) != ST_OK)
        goto done;
    st = output_write_run(db, ctx->opt.run_id, &out, ctx->opt.excel, ctx->opt.min_cell, state,
                          &totals, err);
    if (st == ST_OK)
        log_info("run %s (%s): %ld evaluated, %ld error%s; files written again in %s/", id, state,
                 totals.evaluated, totals.errors, totals.errors == 1 ? "" : "s", out.path);
done:
    outdir_close(&out);
    result_free(t);
    db_close(db);
    return st;
}
