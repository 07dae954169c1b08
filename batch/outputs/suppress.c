/*-------------------------------------------------------------------------
 * suppress.c
 *     Small-cell suppression (see suppress.h): primary blanks, the
 *     complementary blanks each equation needs, and the exact audit of what
 *     an intruder can prove from what is left (suppress_audit.c).
 *
 * batch/outputs/suppress.c
 *-------------------------------------------------------------------------
 */
#include "suppress.h"

#include "suppress_audit.h"

#include <stdlib.h>
#include <string.h>

enum var {
    V_N,  /* defendants */
    V_E,  /* errors */
    V_OK, /* evaluated (status ok) */
    V_K1, /* kind_fixed_term ... */
    V_K2,
    V_K3,
    V_K4,
    V_K5, /* ... kind_exempt */
    V_K0, /* evaluated with no recommended kind; not published */
    V_T,  /* threshold met */
    V_NT, /* not met; not published, nor the other complements */
    V_S,  /* suspended */
    V_NS,
    V_B, /* ban eligible */
    V_NB,
    V_J, /* injunction eligible */
    V_NJ,
    V__COUNT
};

/* The published statistic that shows a count; -1: not published (known
 * only through the equations). */
static const int var_stat[V__COUNT] = {
    [V_N] = SUP_STAT_DEFENDANTS,
    [V_E] = SUP_STAT_ERRORS,
    [V_OK] = SUP_STAT_EVALUATED,
    [V_K1] = SUP_STAT_FIXED_TERM,
    [V_K2] = SUP_STAT_DETENTION,
    [V_K3] = SUP_STAT_SURVEILLANCE,
    [V_K4] = SUP_STAT_FINE_ONLY,
    [V_K5] = SUP_STAT_EXEMPT,
    [V_K0] = -1,
    [V_T] = SUP_STAT_THRESHOLD_MET,
    [V_NT] = -1,
    [V_S] = SUP_STAT_SUSPENDED,
    [V_NS] = -1,
    [V_B] = SUP_STAT_BAN_ELIGIBLE,
    [V_NB] = -1,
    [V_J] = SUP_STAT_INJUNCTION_ELIGIBLE,
    [V_NJ] = -1,
};

/* The equations within a row: total = sum of members. The last is the
 * law's: an injunction is open to a defendant under surveillance or with a
 * suspended sentence (Arts. 38, 72); it is used only where every row of
 * the table obeys it (a rule set may differ), and so is the inequality
 * below. */
static const struct {
    enum var total;
    int nmembers;
    enum var members[6];
} row_eqs[] = {
    {V_N, 2, {V_OK, V_E}},  {V_OK, 6, {V_K0, V_K1, V_K2, V_K3, V_K4, V_K5}},
    {V_OK, 2, {V_T, V_NT}}, {V_OK, 2, {V_S, V_NS}},
    {V_OK, 2, {V_B, V_NB}}, {V_OK, 2, {V_J, V_NJ}},
    {V_J, 2, {V_S, V_K3}},
};
#define NROW_EQS ((int)(sizeof row_eqs / sizeof row_eqs[0]))
#define EQ_INJUNCTION (NROW_EQS - 1)

struct work_row {
    long long val[V__COUNT];
    bool blank[V__COUNT];
    bool whole; /* every statistic blanked */
};

/* One offense's rows. Terms address counts as row * V__COUNT + var. */
struct sup {
    struct work_row *rows;
    int n;
    long long k;
    long long total[V__COUNT]; /* the offense's totals: known to everyone */
    /* The law's relations an intruder may use, where every row obeys them:
     * J = S + K3, and S <= K1 + K2 (only a term of fixed-term imprisonment
     * or detention is suspended, Art. 72). */
    bool injunction_eq, suspension_le;
    enum status st; /* why sup_run failed */
};

static bool sup_sensitive(const struct sup *s, long long v)
{
    return v >= 1 && v < s->k;
}

/* The counts of an input row, and the ones they imply. */
static void sup_load(struct work_row *r, const struct sup_row *in)
{
    static const enum var from[SUP__NCOUNTS] = {
        [SUP_DEFENDANTS] = V_N,  [SUP_ERRORS] = V_E,       [SUP_EVALUATED] = V_OK,
        [SUP_FIXED_TERM] = V_K1, [SUP_DETENTION] = V_K2,   [SUP_SURVEILLANCE] = V_K3,
        [SUP_FINE_ONLY] = V_K4,  [SUP_EXEMPT] = V_K5,      [SUP_THRESHOLD_MET] = V_T,
        [SUP_SUSPENDED] = V_S,   [SUP_BAN_ELIGIBLE] = V_B, [SUP_INJUNCTION_ELIGIBLE] = V_J,
    };

    memset(r, 0, sizeof *r);
    for (int c = 0; c < SUP__NCOUNTS; c++)
        r->val[from[c]] = in->count[c];
    r->val[V_K0] = r->val[V_OK];
    for (int v = V_K1; v <= V_K5; v++)
        r->val[V_K0] -= r->val[v];
    r->val[V_NT] = r->val[V_OK] - r->val[V_T];
    r->val[V_NS] = r->val[V_OK] - r->val[V_S];
    r->val[V_NB] = r->val[V_OK] - r->val[V_B];
    r->val[V_NJ] = r->val[V_OK] - r->val[V_J];
    /* What is not published is hidden from the start. */
    for (int v = 0; v < V__COUNT; v++)
        r->blank[v] = var_stat[v] < 0;
}

/* Published cells lost by blanking count v of row r. */
static int sup_cost(const struct work_row *r, enum var v)
{
    return var_stat[v] >= 0 && !r->blank[v] ? 1 : 0;
}

/* Blank v in row r; true when something changed. */
static bool sup_blank(struct work_row *r, enum var v)
{
    bool changed = !r->blank[v];

    r->blank[v] = true;
    return changed;
}

static bool sup_blank_row(struct work_row *r)
{
    bool changed = !r->whole;

    r->whole = true;
    for (int v = 0; v < V__COUNT; v++)
        changed |= sup_blank(r, (enum var)v);
    return changed;
}

/* The line rule on one equation, given as counts (row * V__COUNT + var):
 * with has_total_var, terms[0] is the total and the others its members;
 * without, the total is the offense's, known to everyone. A lone blank
 * that hides something, or blanked members adding up to less than K under
 * a known total, get one more blank. Returns true when it blanked one. */
static bool sup_line(struct sup *s, const int *terms, int nterms, bool has_total_var)
{
    int nblank = 0;
    long long sum = 0, hidden = 0;
    bool total_known = !has_total_var;
    int best = -1, best_cost = 0;
    long long best_val = 0;
    bool best_reaches = false;

    for (int i = 0; i < nterms; i++) {
        const struct work_row *r = &s->rows[terms[i] / V__COUNT];
        int v = terms[i] % V__COUNT;

        if (has_total_var && i == 0) {
            if (r->blank[v]) {
                nblank++;
                hidden += r->val[v];
            } else {
                total_known = true;
            }
            continue;
        }
        if (r->blank[v]) {
            nblank++;
            sum += r->val[v];
            hidden += r->val[v];
        }
    }
    if (hidden == 0)
        return false; /* nothing hidden, or only zeros, which describe no one */
    if (nblank > 1 && !(total_known && sum < s->k))
        return false;
    if (nblank == 1) {
        /* A lone blank is worked out from the rest: that matters for a
         * count that was blanked (it must stay unknown) or is small, not
         * for a large count that is merely not published (those evaluated
         * who missed the threshold, say). */
        for (int i = 0; i < nterms; i++) {
            const struct work_row *r = &s->rows[terms[i] / V__COUNT];
            int v = terms[i] % V__COUNT;

            if (r->blank[v] && var_stat[v] < 0 && !r->whole && !sup_sensitive(s, r->val[v]))
                return false;
        }
    }
    for (int i = 0; i < nterms; i++) {
        struct work_row *r = &s->rows[terms[i] / V__COUNT];
        enum var v = (enum var)(terms[i] % V__COUNT);
        long long val = r->val[v];
        int cost;
        bool reaches;

        if (r->blank[v] || var_stat[v] < 0)
            continue;
        cost = sup_cost(r, v);
        reaches = sum + val >= s->k;
        /* Prefer a count that is not 0, then what protects enough, then
         * fewest cells lost, then the smallest count (when it reaches K)
         * or the largest (when not). A blanked 0 still hides: a blank may
         * be anything from 0 up. */
        if (best < 0 || (val > 0 && best_val <= 0) ||
            ((val > 0) == (best_val > 0) &&
             ((reaches && !best_reaches) ||
              (reaches == best_reaches &&
               (cost < best_cost ||
                (cost == best_cost && (reaches ? val < best_val : val > best_val))))))) {
            best = i;
            best_cost = cost;
            best_val = val;
            best_reaches = reaches;
        }
    }
    if (best < 0)
        return false; /* left to the audit */
    return sup_blank(&s->rows[terms[best] / V__COUNT], (enum var)(terms[best] % V__COUNT));
}

/* Apply the line rule to every equation until nothing changes. */
static bool sup_complement(struct sup *s)
{
    int *terms = malloc(sizeof *terms * (size_t)(s->n > 8 ? s->n : 8));
    bool changed = true;

    if (!terms)
        return false;
    while (changed) {
        changed = false;
        for (int r = 0; r < s->n; r++) {
            for (int e = 0; e < NROW_EQS; e++) {
                int t[8], n = 0;

                if (e == EQ_INJUNCTION && !s->injunction_eq)
                    continue;
                t[n++] = r * V__COUNT + (int)row_eqs[e].total;
                for (int m = 0; m < row_eqs[e].nmembers; m++)
                    t[n++] = r * V__COUNT + (int)row_eqs[e].members[m];
                changed |= sup_line(s, t, n, true);
            }
        }
        for (int v = 0; v < V__COUNT; v++) {
            for (int r = 0; r < s->n; r++)
                terms[r] = r * V__COUNT + v;
            changed |= sup_line(s, terms, s->n, false);
        }
    }
    free(terms);
    return true;
}

/* State the table as an intruder sees it: every count a variable; shown
 * ones fixed; blanked ones 0 or more (a complementary blank may hide a 0),
 * defendants at least K in a partial row (a row with fewer is blanked
 * whole) and at least 1 in a whole one (the row exists); the row
 * equations, the law's relations that hold, and the column totals of
 * summary_offense.csv. */
static enum status sup_system(const struct sup *s, struct audit **out, struct err *err)
{
    int nv = s->n * V__COUNT;
    int *terms = malloc(sizeof *terms * (size_t)(s->n + 8));
    int *coef = malloc(sizeof *coef * (size_t)(s->n + 8));
    struct audit *a = NULL;
    enum status st;

    *out = NULL;
    if (!terms || !coef) {
        st = err_set(err, ST_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = audit_new(&a, nv, err)) != ST_OK)
        goto done;
    for (int r = 0; r < s->n; r++) {
        const struct work_row *row = &s->rows[r];

        for (int v = 0; v < V__COUNT; v++) {
            int x = r * V__COUNT + v;

            if (!row->blank[v])
                audit_bounds(a, x, row->val[v], row->val[v]);
            else if (v == V_N)
                audit_bounds(a, x, row->whole ? 1 : s->k, -1);
        }
        for (int e = 0; e < NROW_EQS && st == ST_OK; e++) {
            int n = 0;

            if (e == EQ_INJUNCTION && !s->injunction_eq)
                continue;
            terms[n] = r * V__COUNT + (int)row_eqs[e].total;
            coef[n++] = 1;
            for (int m = 0; m < row_eqs[e].nmembers; m++) {
                terms[n] = r * V__COUNT + (int)row_eqs[e].members[m];
                coef[n++] = -1;
            }
            st = audit_row(a, n, terms, coef, 0, false, err);
        }
        if (st == ST_OK && s->suspension_le) {
            int t[3] = {r * V__COUNT + V_S, r * V__COUNT + V_K1, r * V__COUNT + V_K2};
            int c[3] = {1, -1, -1};

            st = audit_row(a, 3, t, c, 0, true, err);
        }
    }
    for (int v = 0; v < V__COUNT && st == ST_OK; v++) {
        for (int r = 0; r < s->n; r++) {
            terms[r] = r * V__COUNT + v;
            coef[r] = 1;
        }
        st = audit_row(a, s->n, terms, coef, s->total[v], false, err);
    }
done:
    free(terms);
    free(coef);
    if (st != ST_OK)
        audit_free(a);
    else
        *out = a;
    return st;
}

/* The exact audit. A count is exposed when it takes one value only over
 * every solution, and it was blanked (and is not 0) or is a count from 1
 * to K-1 that is not published (those who missed the threshold, say).
 * *exposed gets the term of the first exposed count, -1 when there is
 * none. */
static enum status sup_audit(const struct sup *s, int *exposed, struct err *err)
{
    struct audit *a = NULL;
    enum status st = sup_system(s, &a, err);

    *exposed = -1;
    for (int r = 0; r < s->n && st == ST_OK && *exposed < 0; r++) {
        const struct work_row *row = &s->rows[r];

        for (int v = 0; v < V__COUNT && st == ST_OK; v++) {
            long long val = row->val[v];
            bool hidden = var_stat[v] >= 0 ? val > 0 : sup_sensitive(s, val);
            int x = r * V__COUNT + v;
            long long other = 0;
            bool found = false;

            if (!row->blank[v] || !hidden)
                continue;
            /* Another value: above the true one, else below it. */
            if ((st = audit_extreme(a, x, true, &other, &found, err)) != ST_OK)
                break;
            if (found && other != val)
                continue;
            if ((st = audit_extreme(a, x, false, &other, &found, err)) != ST_OK)
                break;
            if (!found || other == val) {
                *exposed = x;
                break;
            }
        }
    }
    audit_free(a);
    return st;
}

enum sup_outcome {
    SUP_PROTECTED, /* no count from 1 to K-1 can be derived */
    SUP_EXPOSED,   /* one stays exposed: the offense's total itself is small
                    * (summary_offense.csv shows it), every row blanked whole */
    SUP_FAILED,    /* out of memory, or the solver failed: sup.st */
};

/* Company for an exposed count v of row r: the smallest count not 0 that
 * is published and still shown in an equation of the row with v. Returns
 * false when there is none. */
static bool sup_company(struct sup *s, int r, enum var v)
{
    struct work_row *row = &s->rows[r];
    int best = -1;

    for (int e = 0; e < NROW_EQS; e++) {
        bool has = row_eqs[e].total == v;

        if (e == EQ_INJUNCTION && !s->injunction_eq)
            continue;
        for (int m = 0; m < row_eqs[e].nmembers; m++)
            has |= row_eqs[e].members[m] == v;
        if (!has)
            continue;
        for (int m = -1; m < row_eqs[e].nmembers; m++) {
            enum var c = m < 0 ? row_eqs[e].total : row_eqs[e].members[m];

            if (c != v && var_stat[c] >= 0 && !row->blank[c] && row->val[c] > 0 &&
                (best < 0 || row->val[c] < row->val[best]))
                best = (int)c;
        }
    }
    return best >= 0 && sup_blank(row, (enum var)best);
}

/* Suppress one offense's rows. */
static enum sup_outcome sup_run(struct sup *s, struct err *err)
{
    for (int r = 0; r < s->n; r++) {
        struct work_row *row = &s->rows[r];

        if (row->val[V_N] < s->k) {
            sup_blank_row(row);
            continue;
        }
        for (int v = 0; v < V__COUNT; v++)
            if (sup_sensitive(s, row->val[v]))
                sup_blank(row, (enum var)v);
    }
    /* Each round blanks one more row whole, so this ends. */
    for (;;) {
        int x, r, best = -1;

        if (!sup_complement(s)) {
            s->st = err_set(err, ST_ENOMEM, "out of memory");
            return SUP_FAILED;
        }
        if ((s->st = sup_audit(s, &x, err)) != ST_OK)
            return SUP_FAILED;
        if (x < 0)
            return SUP_PROTECTED;
        r = x / V__COUNT;
        if (!s->rows[r].whole) {
            /* One more blank beside it, else the row whole. */
            if (!sup_company(s, r, (enum var)(x % V__COUNT)))
                sup_blank_row(&s->rows[r]);
            continue;
        }
        /* The exposed count's row is blanked already: blank the smallest
         * row that is not. */
        for (int i = 0; i < s->n; i++)
            if (!s->rows[i].whole && (best < 0 || s->rows[i].val[V_N] < s->rows[best].val[V_N]))
                best = i;
        if (best < 0)
            return SUP_EXPOSED;
        sup_blank_row(&s->rows[best]);
    }
}

enum status suppress_rows(struct sup_row *rows, int n, long long k, bool *protected_all,
                          struct err *err)
{
    struct sup s = {.n = n, .k = k};
    enum sup_outcome outcome;

    *protected_all = true;
    for (int r = 0; r < n; r++) {
        memset(rows[r].blank, 0, sizeof rows[r].blank);
        rows[r].whole = false;
    }
    if (n == 0 || k <= 1)
        return ST_OK;
    if (!(s.rows = calloc((size_t)n, sizeof *s.rows)))
        return err_set(err, ST_ENOMEM, "out of memory");
    s.injunction_eq = s.suspension_le = true;
    for (int r = 0; r < n; r++) {
        const long long *val = s.rows[r].val;

        sup_load(&s.rows[r], &rows[r]);
        for (int v = 0; v < V__COUNT; v++)
            s.total[v] += val[v];
        s.injunction_eq &= val[V_J] == val[V_S] + val[V_K3];
        s.suspension_le &= val[V_S] <= val[V_K1] + val[V_K2];
    }
    /* An unpublished count whose offense total is 0 is 0 in every row,
     * for everyone: known, not hidden. */
    for (int v = 0; v < V__COUNT; v++)
        if (var_stat[v] < 0 && s.total[v] == 0)
            for (int r = 0; r < n; r++)
                s.rows[r].blank[v] = false;
    outcome = sup_run(&s, err);
    if (outcome == SUP_FAILED) {
        free(s.rows);
        return s.st;
    }
    *protected_all = outcome == SUP_PROTECTED;
    for (int r = 0; r < n; r++) {
        rows[r].whole = s.rows[r].whole;
        for (int v = 0; v < V__COUNT; v++)
            if (var_stat[v] >= 0 && (s.rows[r].blank[v] || s.rows[r].whole))
                rows[r].blank[var_stat[v]] = true;
    }
    free(s.rows);
    return ST_OK;
}
