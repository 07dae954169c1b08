/*-------------------------------------------------------------------------
 * test_suppress.c
 *     Unit tests of small-cell suppression (suppress.c) as a pure function
 *     of a table of counts: whole rows under K, primary blanks and the
 *     zeros that stay, complementary blanks down a column and within a
 *     row, the offense whose total is itself small, and a property check
 *     over random tables by an attacker written here (interval bounds,
 *     looser than the audit's exact ranges: what they pin is pinned),
 *     independently of the audit in suppress.c. The exact attack is
 *     tests/cli/intruder.sh's.
 *
 * tests/unit/test_suppress.c
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "status.h"
#include "suppress.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A court row: defendants, errors, the five kinds, and those meeting the
 * threshold, suspended, ban eligible, injunction eligible (all among the
 * evaluated, which are defendants - errors). */
static struct sup_row row(long long n, long long e, long long k1, long long k2, long long k3,
                          long long k4, long long k5, long long t, long long s, long long b,
                          long long j)
{
    struct sup_row r;

    memset(&r, 0, sizeof r);
    r.count[SUP_DEFENDANTS] = n;
    r.count[SUP_ERRORS] = e;
    r.count[SUP_EVALUATED] = n - e;
    r.count[SUP_FIXED_TERM] = k1;
    r.count[SUP_DETENTION] = k2;
    r.count[SUP_SURVEILLANCE] = k3;
    r.count[SUP_FINE_ONLY] = k4;
    r.count[SUP_EXEMPT] = k5;
    r.count[SUP_THRESHOLD_MET] = t;
    r.count[SUP_SUSPENDED] = s;
    r.count[SUP_BAN_ELIGIBLE] = b;
    r.count[SUP_INJUNCTION_ELIGIBLE] = j;
    return r;
}

static int nblank(const struct sup_row *r)
{
    int n = 0;

    for (int s = 0; s < SUP__NSTATS; s++)
        n += r->blank[s];
    return n;
}

static void suppress_with_k_1_blanks_nothing(void **state)
{
    struct sup_row rows[2] = {row(3, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1),
                              row(40, 0, 20, 20, 0, 0, 0, 30, 10, 5, 5)};
    struct err err = {0};
    bool all;

    (void)state;
    assert_int_equal(suppress_rows(rows, 2, 1, &all, &err), ST_OK);
    assert_true(all);
    assert_int_equal(nblank(&rows[0]) + nblank(&rows[1]), 0);
    assert_false(rows[0].whole);
}

static void suppress_blanks_a_row_under_k_whole(void **state)
{
    /* Row 0 has 4 defendants, under K = 5. */
    struct sup_row rows[3] = {row(4, 0, 4, 0, 0, 0, 0, 4, 0, 0, 0),
                              row(50, 0, 30, 20, 0, 0, 0, 40, 25, 30, 30),
                              row(60, 0, 30, 30, 0, 0, 0, 40, 25, 30, 30)};
    struct err err = {0};
    bool all;

    (void)state;
    assert_int_equal(suppress_rows(rows, 3, 5, &all, &err), ST_OK);
    assert_true(all);
    assert_true(rows[0].whole);
    assert_int_equal(nblank(&rows[0]), SUP__NSTATS);
    /* Its defendants are then the offense total minus the others: one of
     * the others gives company. */
    assert_true(rows[1].blank[SUP_STAT_DEFENDANTS] || rows[2].blank[SUP_STAT_DEFENDANTS]);
}

static void suppress_blanks_small_counts_and_keeps_zeros(void **state)
{
    /* Surveillance 2 in row 0 and 3 in row 1 (K = 5); exempt 0 everywhere. */
    struct sup_row rows[3] = {row(50, 0, 28, 20, 2, 0, 0, 40, 25, 30, 30),
                              row(50, 0, 27, 20, 3, 0, 0, 40, 25, 30, 30),
                              row(60, 0, 30, 30, 0, 0, 0, 40, 25, 30, 30)};
    struct err err = {0};
    bool all;

    (void)state;
    assert_int_equal(suppress_rows(rows, 3, 5, &all, &err), ST_OK);
    assert_true(all);
    assert_true(rows[0].blank[SUP_STAT_SURVEILLANCE]);
    assert_true(rows[1].blank[SUP_STAT_SURVEILLANCE]);
    for (int r = 0; r < 3; r++) {
        assert_false(rows[r].blank[SUP_STAT_EXEMPT]);
        assert_false(rows[r].blank[SUP_STAT_FINE_ONLY]);
        assert_false(rows[r].whole);
    }
    assert_false(rows[2].blank[SUP_STAT_SURVEILLANCE]); /* a 0 describes no one */
}

static void suppress_gives_a_lone_blank_company_down_the_column(void **state)
{
    /* Only row 0 has a small error count: with the column total known, it
     * could be worked out unless another row's errors are blanked too. */
    struct sup_row rows[3] = {row(52, 2, 30, 20, 0, 0, 0, 40, 25, 30, 30),
                              row(57, 7, 30, 20, 0, 0, 0, 40, 25, 30, 30),
                              row(69, 9, 30, 30, 0, 0, 0, 40, 25, 30, 30)};
    struct err err = {0};
    bool all;
    int others = 0;

    (void)state;
    assert_int_equal(suppress_rows(rows, 3, 5, &all, &err), ST_OK);
    assert_true(all);
    assert_true(rows[0].blank[SUP_STAT_ERRORS]);
    others = rows[1].blank[SUP_STAT_ERRORS] + rows[2].blank[SUP_STAT_ERRORS];
    assert_true(others >= 1);
}

static void suppress_gives_a_lone_blank_company_within_the_row(void **state)
{
    /* defendants = evaluated + errors: with errors 2 blanked, either the
     * defendants or the evaluated go. */
    struct sup_row rows[3] = {row(52, 2, 30, 20, 0, 0, 0, 40, 25, 30, 30),
                              row(57, 7, 30, 20, 0, 0, 0, 40, 25, 30, 30),
                              row(69, 9, 30, 30, 0, 0, 0, 40, 25, 30, 30)};
    struct err err = {0};
    bool all;
    const struct sup_row *r = &rows[0];

    (void)state;
    assert_int_equal(suppress_rows(rows, 3, 5, &all, &err), ST_OK);
    assert_true(r->blank[SUP_STAT_DEFENDANTS] || r->blank[SUP_STAT_EVALUATED]);
}

static void suppress_hides_a_small_complement(void **state)
{
    /* Row 0: 48 of 50 suspended, so 2 are not: the suspended or the
     * evaluated go, or the 2 would be their difference. */
    struct sup_row rows[2] = {row(50, 0, 30, 20, 0, 0, 0, 40, 48, 30, 30),
                              row(60, 0, 30, 30, 0, 0, 0, 40, 20, 30, 30)};
    struct err err = {0};
    bool all;

    (void)state;
    assert_int_equal(suppress_rows(rows, 2, 5, &all, &err), ST_OK);
    assert_true(rows[0].blank[SUP_STAT_SUSPENDED] || rows[0].blank[SUP_STAT_EVALUATED]);
}

static void suppress_blanks_everything_when_the_total_is_small(void **state)
{
    /* One court only, with 3 defendants at K = 5: nothing can protect it
     * (the offense's total is the court's). */
    struct sup_row rows[1] = {row(3, 0, 3, 0, 0, 0, 0, 3, 0, 0, 0)};
    struct err err = {0};
    bool all;

    (void)state;
    assert_int_equal(suppress_rows(rows, 1, 5, &all, &err), ST_OK);
    assert_true(rows[0].whole);
    assert_int_equal(nblank(&rows[0]), SUP__NSTATS);
}

/* ----------------------------------------------------------------------
 * Property: random tables, checked by an attacker who knows the column
 * totals and reads every cell that is shown.
 * ----------------------------------------------------------------------
 */

static uint64_t rng_state;

static long long rnd(long long n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return n <= 0 ? 0 : (long long)((rng_state >> 33) % (uint64_t)n);
}

/* Split total into n parts at random (small parts are likely). */
static void split(long long total, long long *parts, int n)
{
    for (int i = 0; i < n - 1; i++) {
        parts[i] = rnd(4) == 0 ? 0 : rnd(total + 1);
        total -= parts[i];
    }
    parts[n - 1] = total;
}

/* The attacker: bounds on every count of every row from what is shown,
 * the column totals and the equations any reader knows (defendants =
 * evaluated + errors; evaluated = the five kinds + those with none;
 * evaluated = met + not met, and likewise for the other counts), with a
 * blank row's defendants at least 1 and a partial row's at least K,
 * tightened until nothing moves. Interval bounds are looser than the
 * exact ranges the audit computes, so a count they pin is pinned. Returns
 * the first count that comes out exact although it was blanked (and is
 * not 0), or is an unpublished one from 1 to K-1, as row * NV + var; -1
 * when there is none. */
enum {
    A_N,
    A_E,
    A_OK,
    A_K1,
    A_K2,
    A_K3,
    A_K4,
    A_K5,
    A_K0,
    A_T,
    A_NT,
    A_S,
    A_NS,
    A_B,
    A_NB,
    A_J,
    A_NJ,
    NV
};

#define BIG (1LL << 40)

static bool tighten(long long *lo, long long *hi, const int *x, const int *sign, int n, long long b)
{
    bool moved = false;

    /* sum(sign * x) = b: each term is b minus the others' range */
    for (int i = 0; i < n; i++) {
        long long rest_lo = 0, rest_hi = 0;

        for (int j = 0; j < n; j++) {
            if (j == i)
                continue;
            rest_lo += sign[j] > 0 ? lo[x[j]] : -hi[x[j]];
            rest_hi += sign[j] > 0 ? hi[x[j]] : -lo[x[j]];
        }
        long long t_lo = b - rest_hi, t_hi = b - rest_lo; /* sign[i] * x[i] */
        long long new_lo = sign[i] > 0 ? t_lo : -t_hi, new_hi = sign[i] > 0 ? t_hi : -t_lo;

        if (new_lo > lo[x[i]]) {
            lo[x[i]] = new_lo;
            moved = true;
        }
        if (new_hi < hi[x[i]]) {
            hi[x[i]] = new_hi;
            moved = true;
        }
    }
    return moved;
}

static void derive(const struct sup_row *row, long long *v)
{
    const long long *c = row->count;

    v[A_N] = c[SUP_DEFENDANTS];
    v[A_E] = c[SUP_ERRORS];
    v[A_OK] = c[SUP_EVALUATED];
    v[A_K1] = c[SUP_FIXED_TERM];
    v[A_K2] = c[SUP_DETENTION];
    v[A_K3] = c[SUP_SURVEILLANCE];
    v[A_K4] = c[SUP_FINE_ONLY];
    v[A_K5] = c[SUP_EXEMPT];
    v[A_K0] = v[A_OK] - v[A_K1] - v[A_K2] - v[A_K3] - v[A_K4] - v[A_K5];
    v[A_T] = c[SUP_THRESHOLD_MET];
    v[A_S] = c[SUP_SUSPENDED];
    v[A_B] = c[SUP_BAN_ELIGIBLE];
    v[A_J] = c[SUP_INJUNCTION_ELIGIBLE];
    v[A_NT] = v[A_OK] - v[A_T];
    v[A_NS] = v[A_OK] - v[A_S];
    v[A_NB] = v[A_OK] - v[A_B];
    v[A_NJ] = v[A_OK] - v[A_J];
}

static const int shown_as[NV] = {
    [A_N] = SUP_STAT_DEFENDANTS,
    [A_E] = SUP_STAT_ERRORS,
    [A_OK] = SUP_STAT_EVALUATED,
    [A_K1] = SUP_STAT_FIXED_TERM,
    [A_K2] = SUP_STAT_DETENTION,
    [A_K3] = SUP_STAT_SURVEILLANCE,
    [A_K4] = SUP_STAT_FINE_ONLY,
    [A_K5] = SUP_STAT_EXEMPT,
    [A_K0] = -1,
    [A_T] = SUP_STAT_THRESHOLD_MET,
    [A_NT] = -1,
    [A_S] = SUP_STAT_SUSPENDED,
    [A_NS] = -1,
    [A_B] = SUP_STAT_BAN_ELIGIBLE,
    [A_NB] = -1,
    [A_J] = SUP_STAT_INJUNCTION_ELIGIBLE,
    [A_NJ] = -1,
};

static int attack(const struct sup_row *rows, int n, long long k)
{
    static const int pairs[][2] = {{A_T, A_NT}, {A_S, A_NS}, {A_B, A_NB}, {A_J, A_NJ}};
    long long val[8 * NV], lo[8 * NV], hi[8 * NV], total[NV] = {0};
    bool moved = true;

    for (int r = 0; r < n; r++) {
        long long *v = &val[r * NV];

        derive(&rows[r], v);
        for (int a = 0; a < NV; a++) {
            bool known = shown_as[a] >= 0 && !rows[r].blank[shown_as[a]];

            lo[r * NV + a] = known ? v[a] : a == A_N ? (rows[r].whole ? 1 : k) : 0;
            hi[r * NV + a] = known ? v[a] : BIG;
            total[a] += v[a];
        }
    }
    for (int pass = 0; moved && pass < 1000; pass++) {
        moved = false;
        for (int r = 0; r < n; r++) {
            int b = r * NV;
            int x[7] = {b + A_N, b + A_OK, b + A_E}, sg[7] = {1, -1, -1};

            moved |= tighten(lo, hi, x, sg, 3, 0);
            int xk[7] = {b + A_OK, b + A_K0, b + A_K1, b + A_K2, b + A_K3, b + A_K4, b + A_K5};
            int sk[7] = {1, -1, -1, -1, -1, -1, -1};
            moved |= tighten(lo, hi, xk, sk, 7, 0);
            for (int p = 0; p < 4; p++) {
                int xs[3] = {b + A_OK, b + pairs[p][0], b + pairs[p][1]}, ss[3] = {1, -1, -1};
                moved |= tighten(lo, hi, xs, ss, 3, 0);
            }
        }
        for (int a = 0; a < NV; a++) {
            int x[8], sg[8];

            for (int r = 0; r < n; r++) {
                x[r] = r * NV + a;
                sg[r] = 1;
            }
            moved |= tighten(lo, hi, x, sg, n, total[a]);
        }
    }
    for (int i = 0; i < n * NV; i++) {
        int a = i % NV;
        const struct sup_row *row = &rows[i / NV];
        bool blanked = shown_as[a] >= 0 && row->blank[shown_as[a]] && val[i] > 0;
        bool small_hidden = shown_as[a] < 0 && val[i] >= 1 && val[i] < k;

        if ((blanked || small_hidden) && lo[i] >= hi[i])
            return i;
    }
    return -1;
}

static void suppress_leaves_no_small_count_an_attacker_can_see(void **state)
{
    static const struct {
        enum sup_count count;
        enum sup_stat stat;
    } shown_counts[] = {
        {SUP_DEFENDANTS, SUP_STAT_DEFENDANTS},
        {SUP_EVALUATED, SUP_STAT_EVALUATED},
        {SUP_ERRORS, SUP_STAT_ERRORS},
        {SUP_FIXED_TERM, SUP_STAT_FIXED_TERM},
        {SUP_DETENTION, SUP_STAT_DETENTION},
        {SUP_SURVEILLANCE, SUP_STAT_SURVEILLANCE},
        {SUP_FINE_ONLY, SUP_STAT_FINE_ONLY},
        {SUP_EXEMPT, SUP_STAT_EXEMPT},
        {SUP_THRESHOLD_MET, SUP_STAT_THRESHOLD_MET},
        {SUP_SUSPENDED, SUP_STAT_SUSPENDED},
        {SUP_BAN_ELIGIBLE, SUP_STAT_BAN_ELIGIBLE},
        {SUP_INJUNCTION_ELIGIBLE, SUP_STAT_INJUNCTION_ELIGIBLE},
    };
    struct err err = {0};

    (void)state;
    rng_state = 20261130;
    for (int trial = 0; trial < 2000; trial++) {
        struct sup_row rows[8];
        int n = 1 + (int)rnd(8);
        long long k = 2 + rnd(9);
        bool all;

        for (int r = 0; r < n; r++) {
            long long def = rnd(4) == 0 ? rnd(k) + 1 : rnd(80) + 1, e = rnd(3) == 0 ? rnd(4) : 0;
            long long ok = def - (e > def ? def : e), kinds[6];

            e = def - ok;
            split(ok, kinds, 6); /* the sixth: evaluated with no kind */
            rows[r] = row(def, e, kinds[0], kinds[1], kinds[2], kinds[3], kinds[4], rnd(ok + 1),
                          rnd(ok + 1), rnd(ok + 1), rnd(ok + 1));
        }
        assert_int_equal(suppress_rows(rows, n, k, &all, &err), ST_OK);

        for (int r = 0; r < n; r++) {
            const struct sup_row *x = &rows[r];

            if (x->whole)
                assert_int_equal(nblank(x), SUP__NSTATS);
            /* Nothing shown from 1 to K-1. */
            for (size_t i = 0; i < sizeof shown_counts / sizeof shown_counts[0]; i++) {
                long long v = x->count[shown_counts[i].count];
                if (!x->blank[shown_counts[i].stat] && v >= 1 && v < k)
                    fail_msg("trial %d row %d: count %lld shown at K = %lld", trial, r, v, k);
            }
        }
        /* Unprotectable only when some count's total (those with no kind,
         * not suspended, ... included) is itself under K; then every row
         * goes. */
        if (!all) {
            bool small_total = false;

            for (int a = 0; a < NV; a++) {
                long long t = 0, v[NV];
                for (int r = 0; r < n; r++) {
                    derive(&rows[r], v);
                    t += v[a];
                }
                small_total |= t >= 1 && t < k;
            }
            if (!small_total)
                fail_msg("trial %d: given up although every total reaches K = %lld", trial, k);
            for (int r = 0; r < n; r++)
                assert_true(rows[r].whole);
            continue;
        }
        int x = attack(rows, n, k);
        if (x >= 0)
            fail_msg("trial %d: row %d, count %d of %lld at K = %lld is pinned", trial, x / NV,
                     x % NV, rows[x / NV].count[0], k);
        /* Down each published column, with its total known: the blanked
         * counts must not add up to less than K (the attacker would learn
         * each is small, a lone one exactly), unless they are the whole
         * total (which summary_offense.csv shows). */
        for (size_t i = 0; i < sizeof shown_counts / sizeof shown_counts[0]; i++) {
            long long total = 0, hidden = 0;
            int nhidden = 0;

            for (int r = 0; r < n; r++) {
                long long v = rows[r].count[shown_counts[i].count];
                total += v;
                if (rows[r].blank[shown_counts[i].stat] && v > 0) {
                    hidden += v;
                    nhidden++;
                }
            }
            if (nhidden > 0 && hidden != total && hidden < k)
                fail_msg("trial %d column %zu: %d blank(s) hiding %lld of %lld at K = %lld", trial,
                         i, nhidden, hidden, total, k);
        }
    }
}

int main(void)
{
#define T(f) cmocka_unit_test(f)
    const struct CMUnitTest tests[] = {
        T(suppress_with_k_1_blanks_nothing),
        T(suppress_blanks_a_row_under_k_whole),
        T(suppress_blanks_small_counts_and_keeps_zeros),
        T(suppress_gives_a_lone_blank_company_down_the_column),
        T(suppress_gives_a_lone_blank_company_within_the_row),
        T(suppress_hides_a_small_complement),
        T(suppress_blanks_everything_when_the_total_is_small),
        T(suppress_leaves_no_small_count_an_attacker_can_see),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
