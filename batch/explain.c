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
#include "value.h"

#include <stdio.h>
#include <string.h>

static const char *cell(const struct db_table *t, int r, const char *name)
{
    for (int c = 0; c < t->ncols; c++)
        if (strcmp(t->names[c], name) == 0)
            return t->cells[r * t->ncols + c] ? t->cells[r * t->ncols + c] : "";
    return "";
}

/* Print stored text with control and invisible characters escaped
 * (text_escape): data imported before the reader refused them may hold ESC
 * and the like, which a terminal would obey. Returns the bytes printed. */
static size_t put(const char *s)
{
    char buf[256];
    size_t len = strlen(s), out = 0;

    while (len > 0) {
        size_t n = text_escape(buf, sizeof buf, s, len);

        fputs(buf, stdout);
        out += strlen(buf);
        s += n;
        len -= n;
    }
    return out;
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
        size_t width;

        printf("  ");
        width = put(cell(t, r, "cite"));
        printf("%*s ", width < 13 ? (int)(13 - width) : 0, ""); /* as %-13s */
        put(cell(t, r, "step"));
        if (result[0]) {
            printf(" -> ");
            put(result);
        }
        if (pct[0]) {
            printf(" (");
            put(pct);
            printf("%%)");
        }
        printf("\n");
        if (strcmp(facts, "{}") != 0) {
            printf("                facts: ");
            put(facts);
            printf("\n");
        }
        if (note[0]) {
            printf("                ");
            put(note);
            printf("\n");
        }
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

    if ((st = db_connect(&db, &ctx->opt.db, err)) != ST_OK)
        return st;
    if ((st = db_check_schema(db, err)) != ST_OK ||
        (st = db_query(db, "explain", 2, params, &t, err)) != ST_OK)
        goto done;
    if (t->nrows == 0) {
        char case_no[128], defendant_no[64];

        /* The arguments may have been pasted from a file that holds ESC. */
        text_show(case_no, sizeof case_no, params[0], strlen(params[0]));
        if (params[1])
            text_show(defendant_no, sizeof defendant_no, params[1], strlen(params[1]));
        st = err_set(err, ST_EINPUT, "no current recommendation for case \"%s\"%s%s", case_no,
                     params[1] ? " defendant " : "", params[1] ? defendant_no : "");
        err_hint(err, "Check the case number (exact text), import the case and run \"sentencer "
                      "run\".");
        goto done;
    }
    for (int r = 0; r < t->nrows && st == ST_OK; r++) {
        /* Every text from the database goes through put(). */
        put(cell(t, r, "case_no"));
        printf("  defendant ");
        put(cell(t, r, "defendant_no"));
        printf("  ");
        put(cell(t, r, "offense"));
        printf("\n  rule set ");
        put(cell(t, r, "rule_set"));
        printf(", run ");
        put(cell(t, r, "run_id"));
        printf(": status ");
        put(cell(t, r, "status"));
        if (strcmp(cell(t, r, "status"), "error") == 0) {
            printf(": ");
            put(cell(t, r, "error"));
            printf("\n\n");
            continue;
        }
        printf(", threshold met %s [",
               strcmp(cell(t, r, "threshold_met"), "t") == 0 ? "yes" : "no");
        put(cell(t, r, "basis"));
        printf("], recommended ");
        put(cell(t, r, "kind"));
        printf(" ");
        put(cell(t, r, "recommended_months"));
        printf("%s\n", cell(t, r, "recommended_months")[0] ? " months" : "");
        st = print_trace(db, cell(t, r, "trace"), err);
        printf("\n");
    }
done:
    db_table_free(t);
    db_close(db);
    return st;
}
