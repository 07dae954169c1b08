/*-------------------------------------------------------------------------
 * suppress.c
 *     Small-cell suppression (see suppress.h): primary blanks, the
 *     complementary blanks each equation needs, and the audit of what an
 *     attacker can derive from what is left.
 *
 * batch/outputs/suppress.c
 *-------------------------------------------------------------------------
 */
#include "suppress.h"

#include <stdlib.h>
#include <string.h>

enum var {
    V_N,  /* defendants */
    V_E,  /* errors */
    V_OK, /* evaluated (status ok); not published */
    V_K1, /* kind_fixed_term ... */
    V_K2,
    V_K3,
    V_K4,
    V_K5, /* ... kind_exempt */
    V_K0, /* evaluated with no recommended kind; not published */
    V_T,  /* threshold met; published through share_threshold_met */
    V_NT, /* not met */
    V_S,  /* suspended */
    V_NS,
    V_B, /* ban eligible */
    V_NB,
    V_J, /* injunction eligible */
    V_NJ,
    V__COUNT
};

/* The published statistic that shows a count; -1: not published. */
static const int var_stat[V__COUNT] = {
    [V_N] = SUP_STAT_DEFENDANTS,
    [V_E] = SUP_STAT_ERRORS,
    [V_OK] = -1,
    [V_K1] = SUP_STAT_FIXED_TERM,
    [V_K2] = SUP_STAT_DETENTION,
    [V_K3] = SUP_STAT_SURVEILLANCE,
    [V_K4] = SUP_STAT_FINE_ONLY,
    [V_K5] = SUP_STAT_EXEMPT,
    [V_K0] = -1,
    [V_T] = SUP_STAT_SHARE_THRESHOLD_MET,
    [V_NT] = SUP_STAT_SHARE_THRESHOLD_MET,
    [V_S] = SUP_STAT_SHARE_SUSPENDED,
    [V_NS] = SUP_STAT_SHARE_SUSPENDED,
    [V_B] = SUP_STAT_SHARE_BAN_ELIGIBLE,
    [V_NB] = SUP_STAT_SHARE_BAN_ELIGIBLE,
    [V_J] = SUP_STAT_SHARE_INJUNCTION_ELIGIBLE,
    [V_NJ] = SUP_STAT_SHARE_INJUNCTION_ELIGIBLE,
};

/* The equations within a row: total = sum of members. */
static const struct {
    enum var total;
    int nmembers;
    enum var members[6];
} row_eqs[] = {
    {V_N, 2, {V_OK, V_E}},  {V_OK, 6, {V_K0, V_K1, V_K2, V_K3, V_K4, V_K5}},
    {V_OK, 2, {V_T, V_NT}}, {V_OK, 2, {V_S, V_NS}},
    {V_OK, 2, {V_B, V_NB}}, {V_OK, 2, {V_J, V_NJ}},
};
#define NROW_EQS ((int)(sizeof row_eqs / sizeof row_eqs[0]))

/* A share's two counts: blanked together (the share shows both). */
static const enum var share_pairs[][2] = {{V_T, V_NT}, {V_S, V_NS}, {V_B, V_NB}, {V_J, V_NJ}};
#define NSHARES ((int)(sizeof share_pairs / sizeof share_pairs[0]))

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
};

#define SUP_INF (1LL << 52)

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
}

/* Published cells lost by blanking count v of row r (with what it drags
 * along: the shares go with their denominator). */
static int sup_cost(const struct work_row *r, enum var v)
{
    if (v == V_OK) {
        int cost = 0;

        for (int p = 0; p < NSHARES; p++)
            cost += !r->blank[share_pairs[p][0]];
        return cost;
    }
    return var_stat[v] >= 0 && !r->blank[v] ? 1 : 0;
}

/* Blank v in row r with its couplings; true when something changed. */
static bool sup_blank(struct work_row *r, enum var v)
{
    bool changed = !r->blank[v];

    r->blank[v] = true;
    for (int p = 0; p < NSHARES; p++) {
        bool pair = r->blank[share_pairs[p][0]] || r->blank[share_pairs[p][1]] || r->blank[V_OK];
        for (int i = 0; i < 2; i++) {
            if (pair && !r->blank[share_pairs[p][i]]) {
                r->blank[share_pairs[p][i]] = true;
                changed = true;
            }
        }
    }
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
    for (int i = 0; i < nterms; i++) {
        struct work_row *r = &s->rows[terms[i] / V__COUNT];
        enum var v = (enum var)(terms[i] % V__COUNT);
        long long val = r->val[v];
        int cost;
        bool reaches;

        if (r->blank[v] || val <= 0)
            continue; /* a 0 adds no uncertainty */
        cost = sup_cost(r, v);
        reaches = sum + val >= s->k;
        /* Prefer what protects enough, then fewest cells lost, then the
         * smallest count (when it reaches K) or the largest (when not). */
        if (best < 0 || (reaches && !best_reaches) ||
            (reaches == best_reaches &&
             (cost < best_cost ||
              (cost == best_cost && (reaches ? val < best_val : val > best_val))))) {
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

/* Tighten [lo, hi] of the counts of one equation sum(coef * x) = b.
 * Infinite bounds are +-SUP_INF. Returns true when a bound moved. */
static bool sup_propagate(long long *lo, long long *hi, const int *terms, const int *coef, int n,
                          long long b)
{
    long long min_sum = 0, max_sum = 0;
    int min_inf = 0, max_inf = 0;
    bool changed = false;

    for (int i = 0; i < n; i++) {
        int x = terms[i];
        long long cmin = coef[i] > 0 ? lo[x] : -hi[x];
        long long cmax = coef[i] > 0 ? hi[x] : -lo[x];

        if (cmin <= -SUP_INF)
            min_inf++;
        else
            min_sum += cmin;
        if (cmax >= SUP_INF)
            max_inf++;
        else
            max_sum += cmax;
    }
    for (int i = 0; i < n; i++) {
        int x = terms[i];
        long long cmin = coef[i] > 0 ? lo[x] : -hi[x];
        long long cmax = coef[i] > 0 ? hi[x] : -lo[x];
        bool rest_min_inf = min_inf - (cmin <= -SUP_INF) > 0;
        bool rest_max_inf = max_inf - (cmax >= SUP_INF) > 0;
        long long rest_min = min_sum - (cmin <= -SUP_INF ? 0 : cmin);
        long long rest_max = max_sum - (cmax >= SUP_INF ? 0 : cmax);
        /* coef * x = b - rest, rest in [rest_min, rest_max] */
        long long a_lo = rest_max_inf ? -SUP_INF : b - rest_max;
        long long a_hi = rest_min_inf ? SUP_INF : b - rest_min;
        long long new_lo = coef[i] > 0 ? a_lo : (a_hi >= SUP_INF ? -SUP_INF : -a_hi);
        long long new_hi = coef[i] > 0 ? a_hi : (a_lo <= -SUP_INF ? SUP_INF : -a_lo);

        if (new_lo > lo[x] && new_lo > -SUP_INF) {
            lo[x] = new_lo;
            changed = true;
        }
        if (new_hi < hi[x] && new_hi < SUP_INF) {
            hi[x] = new_hi;
            changed = true;
        }
    }
    return changed;
}

/* The attacker's view: the bounds of every count from what is shown, the
 * offense totals and the row's existence (defendants >= 1). Returns the
 * term of an exposed count from 1 to K-1, -1 when there is none, -2 when
 * out of memory. */
static int sup_audit(const struct sup *s)
{
    size_t nv = (size_t)(s->n > 0 ? s->n : 1) * V__COUNT;
    long long *lo = malloc(sizeof *lo * nv), *hi = malloc(sizeof *hi * nv);
    int *terms = malloc(sizeof *terms * (size_t)(s->n + 8));
    int *coef = malloc(sizeof *coef * (size_t)(s->n + 8));
    int found = -2;
    bool changed = true;

    if (s->n == 0 || !lo || !hi || !terms || !coef) {
        found = s->n == 0 ? -1 : -2;
        goto done;
    }
    for (int r = 0; r < s->n; r++) {
        for (int v = 0; v < V__COUNT; v++) {
            size_t x = (size_t)r * V__COUNT + (size_t)v;
            bool blank = s->rows[r].blank[v];

            lo[x] = blank ? (v == V_N ? 1 : 0) : s->rows[r].val[v];
            hi[x] = blank ? SUP_INF : s->rows[r].val[v];
        }
    }
    /* Each pass either moves a bound or ends; integer bounds that only
     * tighten cannot move forever, but a slow cycle is cut short and then
     * counts as a failure, which only blanks more. */
    for (int pass = 0; changed && pass < 10000; pass++) {
        changed = false;
        for (int r = 0; r < s->n; r++) {
            for (int e = 0; e < NROW_EQS; e++) {
                int n = 0;

                terms[n] = r * V__COUNT + (int)row_eqs[e].total;
                coef[n++] = 1;
                for (int m = 0; m < row_eqs[e].nmembers; m++) {
                    terms[n] = r * V__COUNT + (int)row_eqs[e].members[m];
                    coef[n++] = -1;
                }
                changed |= sup_propagate(lo, hi, terms, coef, n, 0);
            }
        }
        for (int v = 0; v < V__COUNT; v++) {
            for (int r = 0; r < s->n; r++) {
                terms[r] = r * V__COUNT + v;
                coef[r] = 1;
            }
            changed |= sup_propagate(lo, hi, terms, coef, s->n, s->total[v]);
        }
    }
    /* A count from 1 to K-1 is exposed when it is pinned, or shown to be
     * below K while the offense's total is not (a total below K bounds
     * every court's count already; that is summary_offense.csv's). */
    found = -1;
    for (int r = 0; r < s->n && found == -1; r++) {
        for (int v = 0; v < V__COUNT; v++) {
            size_t x = (size_t)r * V__COUNT + (size_t)v;
            long long need = s->total[v] < s->k ? s->total[v] : s->k;

            if (sup_sensitive(s, s->rows[r].val[v]) &&
                (changed || lo[x] >= hi[x] || hi[x] < need)) {
                found = (int)x;
                break;
            }
        }
    }
done:
    free(lo);
    free(hi);
    free(terms);
    free(coef);
    return found;
}

enum sup_outcome {
    SUP_PROTECTED, /* no count from 1 to K-1 can be derived */
    SUP_EXPOSED,   /* one stays exposed: the offense's total itself is small
                    * (summary_offense.csv shows it), every row blanked whole */
    SUP_NOMEM,
};

/* Suppress one offense's rows. */
static enum sup_outcome sup_run(struct sup *s)
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

        /* Out of memory fails the table rather than blank more than the
         * same counts would on a machine with memory to spare. */
        if (!sup_complement(s) || (x = sup_audit(s)) == -2)
            return SUP_NOMEM;
        if (x == -1)
            return SUP_PROTECTED;
        r = x / V__COUNT;
        if (x >= 0 && !s->rows[r].whole) {
            sup_blank_row(&s->rows[r]);
            continue;
        }
        /* The exposed count's row is blanked already: blank the smallest
         * row that is not. */
        for (int i = 0; i < s->n; i++)
            if (!s->rows[i].whole && (best < 0 || s->rows[i].val[V_N] < s->rows[best].val[V_N]))
                best = i;
        if (best < 0) {
            for (int i = 0; i < s->n; i++)
                sup_blank_row(&s->rows[i]);
            return SUP_EXPOSED;
        }
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
    for (int r = 0; r < n; r++) {
        sup_load(&s.rows[r], &rows[r]);
        for (int v = 0; v < V__COUNT; v++)
            s.total[v] += s.rows[r].val[v];
    }
    outcome = sup_run(&s);
    if (outcome == SUP_NOMEM) {
        free(s.rows);
        return err_set(err, ST_ENOMEM, "out of memory suppressing small cells");
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
