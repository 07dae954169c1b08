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
#include "value.h"

#include <stdio.h>
#include <time.h>

enum status prune_check_options(const struct options *opt, long long *older_than_s, struct err *err)
{
    *older_than_s = 0;
    if (opt->older && !duration_parse(opt->older, older_than_s)) {
        err_set(err, ST_EUSAGE,
                "--older-than must be a whole number and a unit (s, m, h, d or w), such as 30d "
                "or 12h, not \"%s\"",
                opt->older);
        return ST_EUSAGE;
    }
    if (opt->older && opt->keep == 0) {
        err_set(err, ST_EUSAGE, "--older-than applies only with --keep N");
        err_hint(err, "The N most recent complete run folders are always kept; "
                      "--older-than spares younger ones too.");
        return ST_EUSAGE;
    }
    return ST_OK;
}

enum status prune_after(struct ctx *ctx, long long older_than_s, FILE *report, struct err *err)
{
    struct prune_opts o = {
        .base = ctx->opt.out ? ctx->opt.out : "out",
        .keep = ctx->opt.keep,
        .older_than_s = older_than_s,
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
    long long older_than_s;
    enum status st;

    if ((st = prune_check_options(&ctx->opt, &older_than_s, err)) != ST_OK)
        return st;
    if (ctx->opt.keep == 0) {
        err_set(err, ST_EUSAGE, "prune needs --keep N: how many complete run folders to keep");
        err_hint(err, "For example \"sentencer prune --keep 30 --out /var/lib/sentencer/out\".");
        return ST_EUSAGE;
    }
    st = prune_after(ctx, older_than_s, stdout, err);
    if (fflush(stdout) != 0 && st == ST_OK)
        st = err_set(err, ST_EIO, "could not write to standard output");
    return st;
}
