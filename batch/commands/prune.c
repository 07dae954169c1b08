/*-------------------------------------------------------------------------
 * prune.c
 *     `sentencer prune --keep N [--older-than DURATION] [--out DIR]`: remove
 *     the older complete run folders under the output folder, keeping the
 *     N most recent; and the same after a run (`run --keep N`). Works on
 *     the folders alone, without the database (retention.h says which
 *     folders count as complete run folders and how they are removed).
 *
 * batch/commands/prune.c
 *-------------------------------------------------------------------------
 */
#include "ctx.h"
#include "log.h"
#include "retention.h"

#include <stdio.h>
#include <time.h>

enum status prune_after(struct ctx *ctx, FILE *report, struct err *err)
{
    struct prune_opts o = {
        .base = ctx->opt.out ? ctx->opt.out : "out",
        .keep = ctx->opt.keep,
        .older_than_s = ctx->opt.older_than_s,
        .now = time(NULL),
        .verbose = ctx->opt.verbose,
        .report = report,
    };
    struct prune_counts n;
    enum status st = prune_runs(&o, &n, err);

    if (st == ST_OK && n.failed > 0)
        ctx->partial = true; /* each reported with its path and reason */
    return st;
}

enum status cmd_prune(struct ctx *ctx, struct err *err)
{
    enum status st;

    if (ctx->opt.keep == 0) {
        err_set(err, ST_EUSAGE, "prune needs --keep N: how many complete run folders to keep");
        err_hint(err, "For example \"sentencer prune --keep 30 --out /var/lib/sentencer/out\".");
        return ST_EUSAGE;
    }
    st = prune_after(ctx, stdout, err);
    if (fflush(stdout) != 0 && st == ST_OK)
        st = err_set(err, ST_EIO, "could not write to standard output");
    return st;
}
