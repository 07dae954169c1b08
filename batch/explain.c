/*-------------------------------------------------------------------------
 * explain.c
 *     `sentencer explain CASE_NO [DEFENDANT_NO]`: how the current
 *     recommendation was reached, read back from its stored trace: each
 *     test or adjustment, the facts it read, its result and its provision.
 *
 * batch/explain.c
 *-------------------------------------------------------------------------
 */
#include "ctx.h"
#include "db.h"

#include <stdio.h>
#include <string.h>

static const char *cell(const struct db_table *t, int r, const char *name)
{
    for (int c = 0; c < t->ncols; c++)
        if (strcmp(t->names[c], name) == 0)
            return t->cells[r * t->ncols + c] ? t->cells[r * t->ncols + c] : "";
    return "";
}

static enum status print_trace(struct db *db, const char *trace, struct err *err)
{
    const char *params[1] = {trace};
    struct db_table *t = NULL;
    enum status st = db_query(db, "explain_trace", 1, params, &t, err);

    if (st != ST_OK)
        return st;
    for (int r = 0; r < t->nrows; r++) {
        const char *facts = cell(t, r, "facts"), *pct = cell(t, r, "pct");
        const char *note = cell(t, r, "note"), *result = cell(t, r, "result");

        printf("  %-13s %s", cell(t, r, "cite"), cell(t, r, "step"));
        if (result[0])
            printf(" -> %s", result);
        if (pct[0])
            printf(" (%s%%)", pct);
        printf("\n");
        if (strcmp(facts, "{}") != 0)
            printf("                facts: %s\n", facts);
        if (note[0])
            printf("                %s\n", note);
    }
    db_table_free(t);
    return ST_OK;
}

enum status cmd_explain(struct ctx *ctx, struct err *err)
{
    struct db *db;
    struct db_table *t = NULL;
    const char *params[2] = {ctx->opt.args[0], ctx->opt.nargs > 1 ? ctx->opt.args[1] : NULL};
    enum status st;

    if ((st = db_connect(&db, ctx->opt.conninfo, err)) != ST_OK)
        return st;
    if ((st = db_check_schema(db, err)) != ST_OK ||
        (st = db_query(db, "explain", 2, params, &t, err)) != ST_OK)
        goto done;
    if (t->nrows == 0) {
        st = err_set(err, ST_EINPUT, "no current recommendation for case \"%s\"%s%s", params[0],
                     params[1] ? " defendant " : "", params[1] ? params[1] : "");
        err_hint(err, "Check the case number (exact text), import the case and run \"sentencer "
                      "run\".");
        goto done;
    }
    for (int r = 0; r < t->nrows && st == ST_OK; r++) {
        printf("%s  defendant %s  %s\n", cell(t, r, "case_no"), cell(t, r, "defendant_no"),
               cell(t, r, "offense"));
        printf("  rule set %s, run %s: status %s", cell(t, r, "rule_set"), cell(t, r, "run_id"),
               cell(t, r, "status"));
        if (strcmp(cell(t, r, "status"), "error") == 0) {
            printf(": %s\n\n", cell(t, r, "error"));
            continue;
        }
        printf(", threshold met %s [%s], recommended %s %s%s\n",
               strcmp(cell(t, r, "threshold_met"), "t") == 0 ? "yes" : "no", cell(t, r, "basis"),
               cell(t, r, "kind"), cell(t, r, "recommended_months"),
               cell(t, r, "recommended_months")[0] ? " months" : "");
        st = print_trace(db, cell(t, r, "trace"), err);
        printf("\n");
    }
done:
    db_table_free(t);
    db_close(db);
    return st;
}
