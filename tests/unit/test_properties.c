/*-------------------------------------------------------------------------
 * test_properties.c
 *     Property tests of the rule set in lua-rules/: generated charges of
 *     all three offenses, evaluated by the real rules through recommend
 *     (no database), must satisfy
 *       1. a mitigating circumstance never makes the recommendation harsher;
 *       2. an aggravating circumstance never makes it lighter;
 *       3. a larger amount or count never makes it lighter, nor turns
 *          threshold_met from true to false;
 *       4. every result keeps the contract's invariants (kind ranges, band,
 *          units fined only, suspension, injunction, fine floor, basis).
 *
 * Charges are generated deterministically (xorshift64 with fixed seeds), so
 * a failure reproduces. On a failure the test prints the generated charge,
 * a shrunk charge (fields and acts dropped while the property still fails)
 * and both results, then fails.
 *
 * Severity: kind rank exempt < fine_only < surveillance < detention <
 * fixed_term, then months, then not suspended over suspended, compared
 * lexicographically; the fine is compared on its own.
 *
 * Run from the project root (or with PROJECT set to it).
 *
 * tests/unit/test_properties.c
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "case.h"
#include "recommend.h"
#include "rules.h"
#include "value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Charges generated per offense: every property is checked on 3 x 700 = 2100. */
#define CHARGES_PER_OFFENSE 700
/* Failures printed in full per test and offense (the count is always
 * reported), and further failures listed on one line each. */
#define MAX_REPORTS 2
#define MAX_LINES 40

/* ----------------------------------------------------------------------
 * Deterministic random numbers
 * ----------------------------------------------------------------------
 */

struct rng {
    uint64_t s;
};

/* splitmix64 step: spreads consecutive seeds before xorshift takes over. */
static uint64_t mix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *g, uint64_t seed)
{
    g->s = mix(seed);
    if (g->s == 0)
        g->s = 1; /* xorshift never leaves 0 */
}

/* xorshift64* */
static uint64_t rng_next(struct rng *g)
{
    g->s ^= g->s >> 12;
    g->s ^= g->s << 25;
    g->s ^= g->s >> 27;
    return g->s * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [0, n) for n > 0 (the modulo bias is irrelevant here). */
static int64_t below(struct rng *g, int64_t n)
{
    return n <= 1 ? 0 : (int64_t)(rng_next(g) % (uint64_t)n);
}

static bool chance(struct rng *g, int pct)
{
    return below(g, 100) < pct;
}

/* ----------------------------------------------------------------------
 * Building acts
 * ----------------------------------------------------------------------
 */

static void set_num(struct act *a, enum case_field f, int64_t v)
{
    a->num[f] = v;
    a->present[f] = 1;
}

static void set_text(struct act *a, enum case_field f, const char *s)
{
    assert_true(act_set_text(a, f, s));
}

static void set_enum(struct act *a, enum case_field f, const char *const *values, int idx)
{
    set_text(a, f, values[idx]);
    a->num[f] = idx;
}

static void set_date(struct act *a, enum case_field f, int64_t days)
{
    char buf[16];

    assert_true(value_format(FT_DATE, days, buf, sizeof buf) > 0);
    set_text(a, f, buf);
    a->num[f] = days;
}

static void clear_field(struct act *a, enum case_field f)
{
    free(a->text[f]);
    a->text[f] = NULL;
    a->present[f] = 0;
    a->num[f] = 0;
}

static void copy_act(struct act *dst, const struct act *src)
{
    *dst = *src;
    for (int f = 0; f < F__COUNT; f++)
        if (src->text[f]) {
            dst->text[f] = strdup(src->text[f]);
            assert_non_null(dst->text[f]);
        }
}

/* Deep copy of src into the zeroed dst, without act skip (or with skip < 0). */
static void clone_charge(struct charge *dst, const struct charge *src, long skip)
{
    memset(dst, 0, sizeof *dst);
    for (size_t i = 0; i < src->n_acts; i++) {
        if ((long)i == skip)
            continue;
        struct act *a = charge_add_act(dst);
        assert_non_null(a);
        copy_act(a, &src->acts[i]);
    }
}

/* ----------------------------------------------------------------------
 * Generating charges
 * ----------------------------------------------------------------------
 */

/* A value drawn around a threshold: mostly near it (just below, at, just
 * above), sometimes small, sometimes far above. */
static int64_t around(struct rng *g, int64_t thr)
{
    int64_t r = below(g, 100), v;

    if (r < 22)
        v = 1 + below(g, thr / 2 > 1 ? thr / 2 : 1);
    else if (r < 50)
        v = thr - 1 - below(g, thr / 5 + 1);
    else if (r < 70)
        v = thr + below(g, thr / 5 + 1);
    else if (r < 90)
        v = thr + below(g, 4 * thr + 1);
    else
        v = 5 * thr + below(g, 45 * thr + 1);
    return v < 0 ? 0 : v;
}

/* A count or amount fact: with pct_some % a value around thr (half of the
 * time around thr / n, so that only the sum of the n acts reaches thr),
 * otherwise 0 or not recorded. */
static void put_count(struct rng *g, struct act *a, enum case_field f, int64_t thr, int pct_some,
                      size_t n)
{
    int64_t t = (n > 1 && chance(g, 50)) ? thr / (int64_t)n : thr;
    int64_t v;

    if (!chance(g, pct_some)) {
        if (chance(g, 50))
            set_num(a, f, 0);
        return;
    }
    v = around(g, t > 0 ? t : 1);
    if (case_fields[f].type == FT_AMOUNT && chance(g, 60))
        v = v / 100 * 100; /* whole yuan */
    set_num(a, f, v);
}

/* A boolean fact: not recorded, or recorded true with pct_true %. */
static void put_flag(struct rng *g, struct act *a, enum case_field f, int pct_true)
{
    if (chance(g, 35))
        return;
    set_num(a, f, chance(g, pct_true));
}

/* Odds of each circumstance being true: ordinary and lenient profile. */
struct circ_odds {
    enum case_field f;
    int pct_true;
    int pct_lenient;
};

static const struct circ_odds circs[] = {
    {F_USED_OCCUPATION, 10, 10}, {F_SURRENDERED, 20, 60},        {F_CONFESSED, 50, 50},
    {F_GUILTY_PLEA, 60, 90},     {F_MERITORIOUS, 8, 40},         {F_RECIDIVIST, 8, 0},
    {F_RINGLEADER, 8, 0},        {F_ACCESSORY, 20, 70},          {F_RESTITUTION, 25, 70},
    {F_PREGNANT, 3, 10},         {F_VICTIM_FORGIVENESS, 15, 60}, {F_PRIOR_RECORD, 15, 0},
};

static const enum case_field bool_286_1[] = {
    F_LEAK_CAUSED_HARM,
    F_LEAK_MAJOR_LOSS,
    F_LEAK_SOCIAL_DISORDER,
    F_EVIDENCE_LOST_GRAVE_CRIME,
    F_EVIDENCE_LOST_5Y_CASE,
    F_EVIDENCE_LOST_REPEATEDLY,
    F_EVIDENCE_LOST_TRIAL_AFFECTED,
    F_LOGS_OR_REALNAME_MISSING,
    F_REFUSED_REPEATEDLY_2Y,
    F_SERVICE_MAINLY_FOR_CRIME,
    F_SERVICE_USED_FOR_ATTACK,
    F_SERVICE_USED_FOR_GRAVE_CRIME,
    F_PUBLIC_SERVICE_NETWORK_DAMAGED,
};

#define YUAN(n) ((int64_t)(n)*100)

static void gen_facts_286_1(struct rng *g, struct act *a, size_t n, bool gate)
{
    if (gate) {
        set_num(a, F_ORDERED_TO_CORRECT, 1);
        set_num(a, F_REFUSED_TO_CORRECT, 1);
    } else {
        put_flag(g, a, F_ORDERED_TO_CORRECT, 60);
        put_flag(g, a, F_REFUSED_TO_CORRECT, 60);
    }
    put_count(g, a, F_ILLEGAL_VIDEOS_SPREAD, 200, 30, n);
    put_count(g, a, F_ILLEGAL_INFO_SPREAD, 2000, 45, n);
    put_count(g, a, F_ACCOUNTS_REACHED, 2000, 25, n);
    put_count(g, a, F_GROUP_MEMBERS_REACHED, 3000, 20, n);
    put_count(g, a, F_FOLLOWERS_REACHED, 30000, 15, n);
    put_count(g, a, F_ILLEGAL_INFO_CLICKS, 50000, 20, n);
    put_count(g, a, F_LEAKED_SENSITIVE_RECORDS, 500, 40, n);
    put_count(g, a, F_LEAKED_PERSONAL_RECORDS, 5000, 35, n);
    put_count(g, a, F_LEAKED_OTHER_RECORDS, 50000, 35, n);
    for (size_t i = 0; i < sizeof bool_286_1 / sizeof bool_286_1[0]; i++)
        put_flag(g, a, bool_286_1[i], 6);
}

static void gen_facts_287_1(struct rng *g, struct act *a, size_t n)
{
    put_flag(g, a, F_IMPERSONATED_AUTHORITY_SITE, 5);
    put_count(g, a, F_CRIME_SITES, 3, 35, n);
    put_count(g, a, F_CRIME_SITE_ACCOUNTS, 2000, 20, n);
    put_count(g, a, F_CRIME_GROUPS, 5, 30, n);
    put_count(g, a, F_CRIME_GROUP_MEMBERS, 1000, 25, n);
    put_count(g, a, F_POSTS_PUBLISHED, 100, 45, n);
    put_count(g, a, F_ACCOUNTS_MESSAGED, 2000, 20, n);
    put_count(g, a, F_GROUP_MEMBERS_MESSAGED, 3000, 20, n);
    put_count(g, a, F_FOLLOWERS_REACHED, 30000, 10, n);
    put_count(g, a, F_ILLEGAL_INCOME_YUAN, YUAN(10000), 55, n);
    put_flag(g, a, F_ADMIN_PENALTY_WITHIN_2Y, 5);
}

static void gen_facts_287_2(struct rng *g, struct act *a, size_t n, bool unproven)
{
    static const char *const knowledge[] = {"1", "3", "1;3", "2;4", "5"};

    put_count(g, a, F_HELPED_PARTIES, 3, 55, n);
    put_count(g, a, F_PAYMENT_SETTLED_YUAN, YUAN(unproven ? 1000000 : 200000), 55, n);
    put_count(g, a, F_AD_FUNDING_YUAN, YUAN(50000), 10, n);
    put_count(g, a, F_ILLEGAL_INCOME_YUAN, YUAN(unproven ? 50000 : 10000), 55, n);
    put_flag(g, a, F_HELPED_CRIME_SERIOUS, 5);
    if (unproven)
        set_num(a, F_HELPED_CRIME_UNPROVEN, 1);
    else if (chance(g, 50))
        set_num(a, F_HELPED_CRIME_UNPROVEN, 0);
    put_flag(g, a, F_HELPED_CRIME_ESPECIALLY_SERIOUS, 3);
    if (chance(g, 40))
        set_text(a, F_KNOWLEDGE_BASIS, knowledge[below(g, 5)]);
    put_count(g, a, F_PAYMENT_CARDS_SUPPLIED, 5, 30, n);
    put_count(g, a, F_PHONE_CARDS_SUPPLIED, 20, 15, n);
    if (chance(g, 25)) {
        put_count(g, a, F_CARD_INFLOW_YUAN, YUAN(300000), 100, n);
        put_count(g, a, F_CARD_FRAUD_VERIFIED_YUAN, YUAN(3000), 80, n);
    }
    put_flag(g, a, F_ADMIN_PENALTY_WITHIN_2Y, 5);
}

/* Generate charge number idx of offense off into the zeroed c: a person
 * (ages 16-80, mostly recorded) or a unit, 1-3 acts dated 2016-2025 in
 * act order, the offense's facts around its thresholds, and sentencing
 * circumstances recorded on every act, on the first only, or nowhere.
 * Some defendants get a lenient profile (young or old, many mitigating
 * circumstances), so that the lightest kinds occur too. For 287-2 the
 * helped crime is unproven on every act or, for some charges of several
 * acts, on some acts only. */
static void gen_charge(struct charge *c, enum offense off, uint64_t idx)
{
    struct rng g;
    int64_t lo = days_from_civil(2016, 1, 1), hi = days_from_civil(2025, 12, 31);
    int64_t days[3];
    size_t n;
    bool unit, has_age, gate, lenient;
    int unproven; /* 0 proven, 1 unproven on every act, 2 on some acts */
    int64_t age0;
    char case_no[64];

    rng_seed(&g, 0x5E47E2CE00000000ull + (uint64_t)off * 1000003u + idx);
    n = chance(&g, 65) ? 1 : chance(&g, 70) ? 2 : 3;
    unit = chance(&g, 15);
    has_age = !unit && chance(&g, 92);
    gate = chance(&g, 88);
    lenient = !unit && chance(&g, 12);
    unproven = off != OFFENSE_HELP_NETWORK_CRIME ? 0
               : chance(&g, 12)                  ? 1
               : (n > 1 && chance(&g, 25))       ? 2
                                                 : 0;

    days[0] = lo + below(&g, hi - lo + 1);
    for (size_t i = 1; i < n; i++) {
        /* gaps of up to ~3 years: some acts fall outside the 2-year window */
        days[i] = days[i - 1] + below(&g, 1100);
        if (days[i] > hi)
            days[i] = hi;
    }
    {
        int64_t span = (days[n - 1] - days[0]) / 365 + 1;
        int64_t r = below(&g, 100);

        if (r < (lenient ? 40 : 10))
            age0 = 16 + below(&g, 2); /* minor */
        else if (r < (lenient ? 80 : 20))
            age0 = 75 + below(&g, 6); /* elderly */
        else
            age0 = 18 + below(&g, 57);
        if (age0 + span > 80)
            age0 = 80 - span;
    }
    snprintf(case_no, sizeof case_no, "(%d)P%06llu", 2016 + (int)(idx % 10),
             (unsigned long long)idx);

    for (size_t i = 0; i < n; i++) {
        struct act *a = charge_add_act(c);

        assert_non_null(a);
        set_text(a, F_CASE_NO, case_no);
        set_text(a, F_DEFENDANT_NO, "1");
        set_num(a, F_ACT_NO, (int64_t)i + 1);
        set_text(a, F_COURT_CODE, "110105");
        set_enum(a, F_OFFENSE, offense_values, (int)off);
        set_date(a, F_OFFENSE_DATE, days[i]);
        set_enum(a, F_DEFENDANT_KIND, defendant_kind_values, unit ? 1 : 0);
        if (has_age)
            set_num(a, F_AGE_AT_OFFENSE, age0 + (days[i] - days[0]) / 366);
        if (chance(&g, 40))
            set_date(a, F_CONVICTION_DATE, days[n - 1] + 90 + below(&g, 600));
        switch (off) {
        case OFFENSE_REFUSE_NETSEC_DUTY: gen_facts_286_1(&g, a, n, gate); break;
        case OFFENSE_ILLEGAL_USE_NETWORK: gen_facts_287_1(&g, a, n); break;
        default:
            gen_facts_287_2(&g, a, n, unproven == 1 || (unproven == 2 && chance(&g, 50)));
            break;
        }
    }
    for (size_t k = 0; k < sizeof circs / sizeof circs[0]; k++) {
        enum case_field f = circs[k].f;
        int64_t r = below(&g, 100);
        bool v = chance(&g, lenient ? circs[k].pct_lenient : circs[k].pct_true);

        if (f == F_PREGNANT && unit)
            v = false;
        if (r < 60) {
            for (size_t i = 0; i < n; i++)
                set_num(&c->acts[i], f, v);
        } else if (r < 85) {
            set_num(&c->acts[0], f, v);
        } /* else: not recorded */
    }
}

/* ----------------------------------------------------------------------
 * Describing charges and results
 * ----------------------------------------------------------------------
 */

static void describe_charge(struct buf *b, const struct charge *c)
{
    for (size_t i = 0; i < c->n_acts; i++) {
        const struct act *a = &c->acts[i];
        const char *sep = "";

        buf_printf(b, "    act %zu:", i + 1);
        for (int f = 0; f < F__COUNT; f++) {
            char v[64];

            if (!a->present[f])
                continue;
            if (a->text[f])
                snprintf(v, sizeof v, "%s", a->text[f]);
            else if (value_format(case_fields[f].type, a->num[f], v, sizeof v) == 0)
                snprintf(v, sizeof v, "%lld", (long long)a->num[f]);
            buf_printf(b, "%s %s=%s", sep, case_fields[f].name, v);
            sep = ",";
        }
        buf_adds(b, "\n");
    }
}

static void describe_rec(struct buf *b, const char *label, const struct rec *r)
{
    static const enum rec_field shown[] = {
        R_STATUS,
        R_ERROR,
        R_THRESHOLD_MET,
        R_THRESHOLD_BASIS,
        R_RECOMMENDED_KIND,
        R_RECOMMENDED_MONTHS,
        R_RANGE_LOW_MONTHS,
        R_RANGE_HIGH_MONTHS,
        R_SUSPENSION_ALLOWED,
        R_RECOMMENDED_SUSPENDED,
        R_RECOMMENDED_FINE_YUAN,
        R_FINE_MIN_YUAN,
        R_INJUNCTION_ELIGIBLE,
        R_REVIEW_FLAGS,
    };

    buf_printf(b, "    %s:", label);
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
        enum rec_field f = shown[i];
        char v[64];

        if (!r->present[f])
            continue;
        if (r->text[f]) {
            buf_printf(b, " %s=%s", rec_fields[f].name, r->text[f]);
            continue;
        }
        if (value_format(rec_fields[f].type, r->num[f], v, sizeof v) == 0)
            snprintf(v, sizeof v, "%lld", (long long)r->num[f]);
        buf_printf(b, " %s=%s", rec_fields[f].name, v);
    }
    buf_adds(b, "\n");
}

/* ----------------------------------------------------------------------
 * Severity and invariants
 * ----------------------------------------------------------------------
 */

static bool yes(const struct rec *r, enum rec_field f)
{
    return r->present[f] && r->num[f] != 0;
}

static bool has_list(const struct rec *r, enum rec_field f)
{
    return r->present[f] && r->text[f] && r->text[f][0];
}

static int kind_rank(const struct rec *r)
{
    static const int rank[] = {
        [KIND_FIXED_TERM] = 4, [KIND_DETENTION] = 3, [KIND_SURVEILLANCE] = 2,
        [KIND_FINE_ONLY] = 1,  [KIND_EXEMPT] = 0,
    };
    int64_t k = r->num[R_RECOMMENDED_KIND];

    return k >= 0 && k <= KIND_EXEMPT ? rank[k] : -1;
}

/* <0: a lighter than b; 0: same; >0: a harsher (fine not included). */
static int cmp_severity(const struct rec *a, const struct rec *b)
{
    int64_t ma = a->present[R_RECOMMENDED_MONTHS] ? a->num[R_RECOMMENDED_MONTHS] : 0;
    int64_t mb = b->present[R_RECOMMENDED_MONTHS] ? b->num[R_RECOMMENDED_MONTHS] : 0;
    int na = !yes(a, R_RECOMMENDED_SUSPENDED), nb = !yes(b, R_RECOMMENDED_SUSPENDED);

    if (kind_rank(a) != kind_rank(b))
        return kind_rank(a) < kind_rank(b) ? -1 : 1;
    if (ma != mb)
        return ma < mb ? -1 : 1;
    return na - nb;
}

static int64_t fine(const struct rec *r)
{
    return r->present[R_RECOMMENDED_FINE_YUAN] ? r->num[R_RECOMMENDED_FINE_YUAN] : 0;
}

static bool fail_why(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail_why(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return false;
}

/* Property 4 on one result of a charge of offense off. */
static bool invariants_hold(const struct rec *r, bool unit, enum offense off, char *why, size_t len)
{
    static const int lo[] = {[KIND_FIXED_TERM] = 6, [KIND_DETENTION] = 1, [KIND_SURVEILLANCE] = 3};
    static const int hi[] = {
        [KIND_FIXED_TERM] = 36, [KIND_DETENTION] = 6, [KIND_SURVEILLANCE] = 24};
    int64_t kind, m;

    if (r->num[R_STATUS] != 0)
        return fail_why(why, len, "unexpected error: %s",
                        r->text[R_ERROR] ? r->text[R_ERROR] : "(no message)");
    if (!r->present[R_THRESHOLD_MET])
        return fail_why(why, len, "threshold_met missing");
    if (yes(r, R_THRESHOLD_MET) != has_list(r, R_THRESHOLD_BASIS))
        return fail_why(why, len, "threshold_basis non-empty must equal threshold_met");
    if (!r->present[R_RECOMMENDED_KIND])
        return fail_why(why, len, "recommended_kind missing");
    kind = r->num[R_RECOMMENDED_KIND];
    if (unit && (kind != KIND_FINE_ONLY || r->present[R_RECOMMENDED_MONTHS]))
        return fail_why(why, len, "a unit must get fine_only with no months");
    if (kind == KIND_SURVEILLANCE && off != OFFENSE_REFUSE_NETSEC_DUTY)
        return fail_why(why, len, "surveillance is only for refuse_netsec_duty");
    if (kind <= KIND_SURVEILLANCE) {
        if (!r->present[R_RECOMMENDED_MONTHS] || !r->present[R_RANGE_LOW_MONTHS] ||
            !r->present[R_RANGE_HIGH_MONTHS])
            return fail_why(why, len, "months or band missing for a term");
        m = r->num[R_RECOMMENDED_MONTHS];
        if (m < r->num[R_RANGE_LOW_MONTHS] || m > r->num[R_RANGE_HIGH_MONTHS])
            return fail_why(why, len, "recommended_months outside the band");
        if (m < lo[kind] || m > hi[kind] || r->num[R_RANGE_LOW_MONTHS] < lo[kind] ||
            r->num[R_RANGE_HIGH_MONTHS] > hi[kind])
            return fail_why(why, len, "term or band outside %d-%d months", lo[kind], hi[kind]);
    } else if (r->present[R_RECOMMENDED_MONTHS]) {
        return fail_why(why, len, "recommended_months given for a kind without a term");
    }
    if (yes(r, R_RECOMMENDED_SUSPENDED) && !yes(r, R_SUSPENSION_ALLOWED))
        return fail_why(why, len, "suspended although suspension is not allowed");
    if (yes(r, R_INJUNCTION_ELIGIBLE) !=
        (kind == KIND_SURVEILLANCE || yes(r, R_RECOMMENDED_SUSPENDED)))
        return fail_why(why, len, "injunction_eligible must equal surveillance or suspended");
    if (r->present[R_RECOMMENDED_FINE_YUAN] && r->present[R_FINE_MIN_YUAN] &&
        r->num[R_RECOMMENDED_FINE_YUAN] < r->num[R_FINE_MIN_YUAN])
        return fail_why(why, len, "recommended_fine_yuan below fine_min_yuan");
    return true;
}

/* ----------------------------------------------------------------------
 * Mutations and the pair properties
 * ----------------------------------------------------------------------
 */

enum prop { P_MITIGATING, P_AGGRAVATING, P_LARGER, P_INVARIANTS };

static const char *const prop_names[] = {
    [P_MITIGATING] = "mitigating circumstance never harsher",
    [P_AGGRAVATING] = "aggravating circumstance never lighter",
    [P_LARGER] = "larger amount or count never lighter",
    [P_INVARIANTS] = "invariants of every result",
};

enum bump { B_PLUS_ONE, B_TO_THRESHOLD, B_DOUBLE, B_TENFOLD, B__COUNT };

static const char *const bump_names[] = {
    [B_PLUS_ONE] = "+1",
    [B_TO_THRESHOLD] = "raised to its threshold",
    [B_DOUBLE] = "doubled plus 1",
    [B_TENFOLD] = "+10 x threshold",
};

struct mutation {
    enum prop prop;
    enum case_field field; /* circumstance or fact */
    long act;              /* P_LARGER: act index, -1 = every act */
    enum bump bump;
    int64_t thr; /* P_LARGER: the fact's threshold (fen for amounts) */
};

/* Larger facts per offense (property 3), with their thresholds. */
struct larger {
    enum case_field f;
    int64_t thr;
};

static const struct larger larger_facts[OFFENSE__COUNT][3] = {
    [OFFENSE_REFUSE_NETSEC_DUTY] = {{F_ILLEGAL_INFO_SPREAD, 2000},
                                    {F_LEAKED_SENSITIVE_RECORDS, 500},
                                    {0, 0}},
    [OFFENSE_ILLEGAL_USE_NETWORK] = {{F_CRIME_SITES, 3},
                                     {F_POSTS_PUBLISHED, 100},
                                     {F_ILLEGAL_INCOME_YUAN, YUAN(10000)}},
    [OFFENSE_HELP_NETWORK_CRIME] = {{F_PAYMENT_SETTLED_YUAN, YUAN(200000)},
                                    {F_ILLEGAL_INCOME_YUAN, YUAN(10000)},
                                    {F_HELPED_PARTIES, 3}},
};

static const enum case_field mitigating[] = {
    F_SURRENDERED, F_CONFESSED,   F_GUILTY_PLEA,        F_MERITORIOUS,
    F_ACCESSORY,   F_RESTITUTION, F_VICTIM_FORGIVENESS,
};
static const enum case_field aggravating[] = {F_RECIDIVIST, F_PRIOR_RECORD, F_RINGLEADER};

/* Set circumstance f to v on every act where it is recorded (every act
 * when all is set). */
static void set_circ(struct charge *c, enum case_field f, bool v, bool all)
{
    for (size_t i = 0; i < c->n_acts; i++)
        if (all || c->acts[i].present[f])
            set_num(&c->acts[i], f, v);
}

/* Where circumstance f is true in c: on no act, on every act, on some. */
enum circ_state { C_NOWHERE, C_EVERYWHERE, C_SOMEWHERE };

static enum circ_state circ_state(const struct charge *c, enum case_field f)
{
    size_t n = 0;

    for (size_t i = 0; i < c->n_acts; i++)
        n += c->acts[i].present[f] && c->acts[i].num[f];
    return n == 0 ? C_NOWHERE : n == c->n_acts ? C_EVERYWHERE : C_SOMEWHERE;
}

static void bump_act(struct act *a, const struct mutation *m)
{
    int64_t v = a->present[m->field] ? a->num[m->field] : 0;
    int64_t thr = m->thr;

    /* I2019:12 para 2: an unproven helped crime needs five times the amount */
    if (case_fields[m->field].type == FT_AMOUNT && a->present[F_HELPED_CRIME_UNPROVEN] &&
        a->num[F_HELPED_CRIME_UNPROVEN])
        thr *= 5;
    switch (m->bump) {
    case B_PLUS_ONE: v += 1; break;
    case B_TO_THRESHOLD: v = v < thr ? thr : v + thr / 10 + 1; break;
    case B_DOUBLE: v = 2 * v + 1; break;
    default: v += 10 * thr; break;
    }
    set_num(a, m->field, v);
}

/* The "before" charge of m from base (into zeroed out). */
static void make_before(struct charge *out, const struct charge *base, const struct mutation *m)
{
    clone_charge(out, base, -1);
    if (m->prop == P_MITIGATING || m->prop == P_AGGRAVATING)
        set_circ(out, m->field, false, false);
}

static void make_after(struct charge *out, const struct charge *base, const struct mutation *m)
{
    clone_charge(out, base, -1);
    if (m->prop == P_MITIGATING || m->prop == P_AGGRAVATING) {
        set_circ(out, m->field, true, true);
    } else if (m->act < 0) {
        for (size_t i = 0; i < out->n_acts; i++)
            bump_act(&out->acts[i], m);
    } else {
        bump_act(&out->acts[m->act], m);
    }
}

/* Does the pair (before, after) break m's property? Writes why. */
static bool pair_breaks(const struct mutation *m, const struct rec *before, const struct rec *after,
                        char *why, size_t len)
{
    int c = cmp_severity(after, before);

    if (m->prop == P_MITIGATING) {
        if (c > 0)
            return !fail_why(why, len, "%s made the recommendation harsher",
                             case_fields[m->field].name);
        if (fine(after) > fine(before))
            return !fail_why(why, len, "%s raised the fine", case_fields[m->field].name);
        return false;
    }
    if (c < 0)
        return !fail_why(why, len, "%s made the recommendation lighter",
                         case_fields[m->field].name);
    if (fine(after) < fine(before))
        return !fail_why(why, len, "%s lowered the fine", case_fields[m->field].name);
    if (m->prop == P_LARGER && yes(before, R_THRESHOLD_MET) && !yes(after, R_THRESHOLD_MET))
        return !fail_why(why, len, "a larger %s turned threshold_met from true to false",
                         case_fields[m->field].name);
    return false;
}

/* ----------------------------------------------------------------------
 * Fixture: the rule set, the generated charges and their results
 * ----------------------------------------------------------------------
 */

struct fx {
    struct rules *rules;
    struct charge charges[OFFENSE__COUNT][CHARGES_PER_OFFENSE];
    struct rec base[OFFENSE__COUNT][CHARGES_PER_OFFENSE]; /* result of each charge */
    long checked;                      /* pairs (or results) checked by the current test */
    long failures;                     /* properties broken in the current test */
    long off_failures[OFFENSE__COUNT]; /* the same, per offense */
    long errors;                       /* unexpected error results met in the current test */
};

/* Evaluate c into out; the trace is not needed here, so it is dropped. */
static void eval(struct fx *fx, const struct charge *c, struct rec *out)
{
    struct err err;
    struct charge tried = *c; /* borrows c's acts */

    /* a charge without a conviction date is tried on the run's day */
    tried.run_date = days_from_civil(2024, 6, 11);
    assert_int_equal(recommend(fx->rules, &tried, out, &err), ST_OK);
    free(out->trace_json);
    out->trace_json = NULL;
}

static int set_up(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    struct rules_limits lim;
    struct err err;
    char dir[4096] = "lua-rules";
    const char *project = getenv("PROJECT");

    if (!fx)
        return -1;
    if (access("lua-rules/MANIFEST", R_OK) != 0 && project && project[0])
        snprintf(dir, sizeof dir, "%s/lua-rules", project);
    rules_limits_default(&lim);
    if (rules_load(&fx->rules, dir, &lim, &err) != ST_OK) {
        fprintf(
            stderr,
            "cannot load the rule set in %s: %s %s (run from the project root or set PROJECT)\n",
            dir, err.msg, err.detail);
        free(fx);
        return -1;
    }
    for (int off = 0; off < OFFENSE__COUNT; off++)
        for (int i = 0; i < CHARGES_PER_OFFENSE; i++) {
            gen_charge(&fx->charges[off][i], (enum offense)off, (uint64_t)i);
            eval(fx, &fx->charges[off][i], &fx->base[off][i]);
        }
    *state = fx;
    return 0;
}

static int tear_down(void **state)
{
    struct fx *fx = *state;

    if (!fx) /* the set-up failed */
        return 0;
    for (int off = 0; off < OFFENSE__COUNT; off++)
        for (int i = 0; i < CHARGES_PER_OFFENSE; i++) {
            charge_fini(&fx->charges[off][i]);
            rec_fini(&fx->base[off][i]);
        }
    rules_free(fx->rules);
    free(fx);
    return 0;
}

static int reset_counts(void **state)
{
    struct fx *fx = *state;

    fx->checked = fx->failures = fx->errors = 0;
    memset(fx->off_failures, 0, sizeof fx->off_failures);
    return 0;
}

static bool is_unit(const struct charge *c)
{
    return c->acts[0].num[F_DEFENDANT_KIND] == 1;
}

/* Does charge c break m's property (pair) or the invariants? Evaluates into
 * before and after (after unused for P_INVARIANTS). */
static bool breaks(struct fx *fx, const struct charge *c, enum offense off,
                   const struct mutation *m, struct rec *before, struct rec *after, char *why,
                   size_t len)
{
    struct charge cb, ca;

    if (m->prop == P_INVARIANTS) {
        eval(fx, c, before);
        return !invariants_hold(before, is_unit(c), off, why, len);
    }
    make_before(&cb, c, m);
    make_after(&ca, c, m);
    eval(fx, &cb, before);
    eval(fx, &ca, after);
    charge_fini(&cb);
    charge_fini(&ca);
    if (!invariants_hold(before, is_unit(c), off, why, len) ||
        !invariants_hold(after, is_unit(c), off, why, len))
        return true;
    return pair_breaks(m, before, after, why, len);
}

/* Shrink the failing charge c in place: drop acts and clear optional
 * fields while m's property still breaks. */
static void shrink(struct fx *fx, struct charge *c, enum offense off, struct mutation *m)
{
    struct rec b1 = {0}, a1 = {0};
    char why[512];
    bool progress = true;

    while (progress) {
        progress = false;
        for (size_t i = 0; c->n_acts > 1 && i < c->n_acts;) {
            struct charge t;
            struct mutation tm = *m;

            if (m->prop == P_LARGER && m->act == (long)i) {
                i++; /* keep the act that changes */
                continue;
            }
            if (m->prop == P_LARGER && m->act > (long)i)
                tm.act--;
            clone_charge(&t, c, (long)i);
            if (breaks(fx, &t, off, &tm, &b1, &a1, why, sizeof why)) {
                charge_fini(c);
                *c = t; /* the next act is now at index i */
                *m = tm;
                progress = true;
            } else {
                charge_fini(&t);
                i++;
            }
        }
        for (size_t i = 0; i < c->n_acts; i++)
            for (int f = 0; f < F__COUNT; f++) {
                struct act saved;

                if (!c->acts[i].present[f] || (case_fields[f].flags & (FF_REQUIRED | FF_KEY)))
                    continue;
                copy_act(&saved, &c->acts[i]);
                clear_field(&c->acts[i], (enum case_field)f);
                if (breaks(fx, c, off, m, &b1, &a1, why, sizeof why)) {
                    act_fini(&saved);
                    progress = true;
                } else {
                    act_fini(&c->acts[i]);
                    c->acts[i] = saved;
                }
            }
    }
    rec_fini(&b1);
    rec_fini(&a1);
}

static void describe_change(struct buf *b, const struct mutation *m)
{
    if (m->prop == P_LARGER)
        buf_printf(b, "%s %s on %s", case_fields[m->field].name, bump_names[m->bump],
                   m->act < 0 ? "every act" : "one act");
    else if (m->prop != P_INVARIANTS)
        buf_printf(b, "%s false -> true on every act", case_fields[m->field].name);
    else
        buf_adds(b, "none");
}

/* Report one failure: the generated charge, the shrunk one, both results
 * (the first MAX_REPORTS of each offense in full, MAX_LINES more on one
 * line each). */
static void report(struct fx *fx, const struct charge *c, enum offense off,
                   const struct mutation *m, const struct rec *before, const struct rec *after,
                   const char *why)
{
    struct buf b = {0};
    struct charge small;
    struct mutation sm = *m;
    struct rec sb = {0}, sa = {0};
    char swhy[512];

    fx->failures++;
    fx->off_failures[off]++;
    if (fx->off_failures[off] > MAX_REPORTS &&
        fx->failures > MAX_REPORTS * OFFENSE__COUNT + MAX_LINES)
        return;
    if (fx->off_failures[off] > MAX_REPORTS) {
        buf_printf(&b, "FAIL %s: %s (%s, case %s, %zu acts, change: ", prop_names[m->prop], why,
                   offense_values[off], c->acts[0].text[F_CASE_NO], c->n_acts);
        describe_change(&b, m);
        buf_adds(&b, ")\n");
        fputs(b.data, stdout);
        buf_fini(&b);
        return;
    }
    buf_printf(&b, "FAIL %s: %s\n  change: ", prop_names[m->prop], why);
    describe_change(&b, m);
    buf_adds(&b, "\n  generated charge:\n");
    describe_charge(&b, c);
    describe_rec(&b, m->prop == P_INVARIANTS ? "result" : "before", before);
    if (m->prop != P_INVARIANTS)
        describe_rec(&b, "after", after);

    clone_charge(&small, c, -1);
    shrink(fx, &small, off, &sm);
    if (breaks(fx, &small, off, &sm, &sb, &sa, swhy, sizeof swhy)) {
        buf_printf(&b, "  shrunk charge (%s):\n", swhy);
        if (sm.prop == P_LARGER && sm.act >= 0)
            buf_printf(&b, "  (the act changed: act_no %lld)\n",
                       (long long)small.acts[sm.act].num[F_ACT_NO]);
        describe_charge(&b, &small);
        describe_rec(&b, sm.prop == P_INVARIANTS ? "result" : "before", &sb);
        if (sm.prop != P_INVARIANTS)
            describe_rec(&b, "after", &sa);
    }
    fputs(b.data, stdout);
    fflush(stdout);
    charge_fini(&small);
    rec_fini(&sb);
    rec_fini(&sa);
    buf_fini(&b);
}

/* Check m on charge c, whose own result is base: base stands for the side
 * of the pair that equals c, so most pairs cost one evaluation. */
static void check(struct fx *fx, const struct charge *c, enum offense off, const struct mutation *m,
                  const struct rec *base)
{
    struct charge t;
    struct rec rb = {0}, ra = {0};
    const struct rec *before = base, *after = base;
    enum circ_state cs = C_NOWHERE;
    char why[512];
    bool unit = is_unit(c);

    if (m->prop == P_MITIGATING || m->prop == P_AGGRAVATING)
        cs = circ_state(c, m->field);
    if (cs != C_NOWHERE) { /* c has the circumstance: take it away */
        make_before(&t, c, m);
        eval(fx, &t, &rb);
        charge_fini(&t);
        before = &rb;
    }
    if (cs != C_EVERYWHERE) {
        make_after(&t, c, m);
        eval(fx, &t, &ra);
        charge_fini(&t);
        after = &ra;
    }
    fx->checked++;

    if (before->num[R_STATUS] != 0 || after->num[R_STATUS] != 0)
        fx->errors++;
    if (!invariants_hold(before, unit, off, why, sizeof why) ||
        !invariants_hold(after, unit, off, why, sizeof why) ||
        pair_breaks(m, before, after, why, sizeof why))
        report(fx, c, off, m, before, after, why);
    rec_fini(&rb);
    rec_fini(&ra);
}

static void finish(struct fx *fx, enum prop p, long min_checks)
{
    print_message("%s: %ld checks, %ld failures, %ld unexpected error results\n", prop_names[p],
                  fx->checked, fx->failures, fx->errors);
    assert_true(fx->checked >= min_checks);
    if (fx->failures > 0)
        fail_msg("%s: %ld of %ld checks failed (see above)", prop_names[p], fx->failures,
                 fx->checked);
}

/* ----------------------------------------------------------------------
 * The tests
 * ----------------------------------------------------------------------
 */

/* Every circumstance of the list on every generated charge. */
static void run_circumstances(struct fx *fx, enum prop p, const enum case_field *fs, size_t n)
{
    for (int off = 0; off < OFFENSE__COUNT; off++)
        for (int i = 0; i < CHARGES_PER_OFFENSE; i++)
            for (size_t k = 0; k < n; k++) {
                struct mutation m = {.prop = p, .field = fs[k], .act = -1};

                check(fx, &fx->charges[off][i], (enum offense)off, &m, &fx->base[off][i]);
            }
    finish(fx, p, (long)(n * OFFENSE__COUNT * CHARGES_PER_OFFENSE));
}

static void mitigating_circumstances_never_make_it_harsher(void **state)
{
    run_circumstances(*state, P_MITIGATING, mitigating, sizeof mitigating / sizeof mitigating[0]);
}

static void aggravating_circumstances_never_make_it_lighter(void **state)
{
    run_circumstances(*state, P_AGGRAVATING, aggravating,
                      sizeof aggravating / sizeof aggravating[0]);
}

/* Each larger fact of the offense on every generated charge, with two of
 * the four increases drawn at random, on one act or on every act. */
static void larger_amounts_and_counts_never_make_it_lighter(void **state)
{
    struct fx *fx = *state;

    for (int off = 0; off < OFFENSE__COUNT; off++)
        for (int i = 0; i < CHARGES_PER_OFFENSE; i++) {
            const struct charge *c = &fx->charges[off][i];
            struct rng g;

            rng_seed(&g, 0xB0A7B0A7ull * (uint64_t)(off + 1) + (uint64_t)i);
            for (int k = 0; k < 3 && larger_facts[off][k].thr; k++) {
                int first = (int)below(&g, B__COUNT);
                int second = (first + 1 + (int)below(&g, B__COUNT - 1)) % B__COUNT;
                int bumps[2] = {first, second};

                for (int j = 0; j < 2; j++) {
                    struct mutation m = {
                        .prop = P_LARGER,
                        .field = larger_facts[off][k].f,
                        .act = chance(&g, 30) ? -1 : (long)below(&g, (int64_t)c->n_acts),
                        .bump = (enum bump)bumps[j],
                        .thr = larger_facts[off][k].thr,
                    };
                    check(fx, c, (enum offense)off, &m, &fx->base[off][i]);
                }
            }
        }
    finish(fx, P_LARGER, 2L * 2 * OFFENSE__COUNT * CHARGES_PER_OFFENSE);
}

/* Property 4 on the generated charges themselves (the tests above check it
 * on every variant they evaluate as well). */
static void every_result_keeps_the_invariants(void **state)
{
    struct fx *fx = *state;

    for (int off = 0; off < OFFENSE__COUNT; off++)
        for (int i = 0; i < CHARGES_PER_OFFENSE; i++) {
            const struct charge *c = &fx->charges[off][i];
            const struct rec *r = &fx->base[off][i];
            struct mutation m = {.prop = P_INVARIANTS};
            char why[512];

            fx->checked++;
            if (r->num[R_STATUS] != 0)
                fx->errors++;
            if (!invariants_hold(r, is_unit(c), (enum offense)off, why, sizeof why))
                report(fx, c, (enum offense)off, &m, r, NULL, why);
        }
    finish(fx, P_INVARIANTS, OFFENSE__COUNT * CHARGES_PER_OFFENSE);
}

/* The generator must produce what the properties need, or they prove
 * little: every offense, units and persons, minors and the elderly, several
 * acts, thresholds met and not met, every kind a person can get. */
static void the_generator_covers_the_interesting_cases(void **state)
{
    struct fx *fx = *state;
    long units = 0, minors = 0, elderly = 0, multi = 0, met = 0, unmet = 0, suspended = 0;
    long kinds[KIND_EXEMPT + 1] = {0};
    int64_t lo = days_from_civil(2016, 1, 1), hi = days_from_civil(2025, 12, 31);

    for (int off = 0; off < OFFENSE__COUNT; off++)
        for (int i = 0; i < CHARGES_PER_OFFENSE; i++) {
            const struct charge *c = &fx->charges[off][i];
            const struct rec *r = &fx->base[off][i];
            const struct act *a = &c->acts[0];

            for (size_t k = 0; k < c->n_acts; k++) {
                const struct act *ak = &c->acts[k];

                assert_true(ak->num[F_OFFENSE_DATE] >= lo && ak->num[F_OFFENSE_DATE] <= hi);
                if (ak->present[F_AGE_AT_OFFENSE])
                    assert_true(ak->num[F_AGE_AT_OFFENSE] >= 16 && ak->num[F_AGE_AT_OFFENSE] <= 80);
            }
            units += is_unit(c);
            minors += a->present[F_AGE_AT_OFFENSE] && a->num[F_AGE_AT_OFFENSE] < 18;
            elderly += a->present[F_AGE_AT_OFFENSE] && a->num[F_AGE_AT_OFFENSE] >= 75;
            multi += c->n_acts > 1;
            if (r->num[R_STATUS] != 0)
                continue;
            met += yes(r, R_THRESHOLD_MET);
            unmet += !yes(r, R_THRESHOLD_MET);
            suspended += yes(r, R_RECOMMENDED_SUSPENDED);
            if (r->num[R_RECOMMENDED_KIND] >= 0 && r->num[R_RECOMMENDED_KIND] <= KIND_EXEMPT)
                kinds[r->num[R_RECOMMENDED_KIND]]++;
        }
    print_message("generated %d charges: %ld units, %ld minors, %ld aged 75+, %ld with several "
                  "acts; threshold met %ld, not met %ld; suspended %ld; fixed_term %ld, "
                  "detention %ld, surveillance %ld, fine_only %ld, exempt %ld\n",
                  OFFENSE__COUNT * CHARGES_PER_OFFENSE, units, minors, elderly, multi, met, unmet,
                  suspended, kinds[KIND_FIXED_TERM], kinds[KIND_DETENTION],
                  kinds[KIND_SURVEILLANCE], kinds[KIND_FINE_ONLY], kinds[KIND_EXEMPT]);
    assert_true(units > 100);
    assert_true(minors > 50 && elderly > 50);
    assert_true(multi > 300);
    assert_true(met > 500 && unmet > 100);
    assert_true(suspended > 100);
    assert_true(kinds[KIND_FIXED_TERM] > 100 && kinds[KIND_DETENTION] > 10);
    assert_true(kinds[KIND_SURVEILLANCE] > 0);
}

/* Facts at the largest integer: sums and products must not wrap around
 * (two acts of INT64_MAX helped parties once summed to -2 and met no
 * threshold). Every such charge of Art. 287-2 whose helped crime is proven
 * (else I2019 Art. 12 para 2 decides, on other terms) either meets the
 * threshold or is an error that says the sum is too large to compute, of
 * error_kind data (the facts, not the rules). */
static void huge_facts_never_wrap_around(void **state)
{
    struct fx *fx = *state;
    static const enum case_field huge[] = {F_HELPED_PARTIES, F_PAYMENT_SETTLED_YUAN,
                                           F_ILLEGAL_INCOME_YUAN};
    long errors = 0, met = 0;

    for (size_t k = 0; k < sizeof huge / sizeof huge[0]; k++)
        for (int i = 0; i < CHARGES_PER_OFFENSE; i++) {
            struct charge c = {0};
            struct rec r = {0};
            const struct rec *base = &fx->base[OFFENSE_HELP_NETWORK_CRIME][i];

            bool unproven = false;

            for (size_t a = 0; a < fx->charges[OFFENSE_HELP_NETWORK_CRIME][i].n_acts; a++)
                unproven |=
                    fx->charges[OFFENSE_HELP_NETWORK_CRIME][i]
                        .acts[a]
                        .present[F_HELPED_CRIME_UNPROVEN] &&
                    fx->charges[OFFENSE_HELP_NETWORK_CRIME][i].acts[a].num[F_HELPED_CRIME_UNPROVEN];
            if (base->num[R_STATUS] != 0 || unproven)
                continue; /* excluded by date or age, or para 2 decides */
            clone_charge(&c, &fx->charges[OFFENSE_HELP_NETWORK_CRIME][i], -1);
            for (size_t a = 0; a < c.n_acts; a++)
                set_num(&c.acts[a], huge[k], INT64_MAX);
            eval(fx, &c, &r);
            fx->checked++;
            if (r.num[R_STATUS] == 1 && r.text[R_ERROR] &&
                strstr(r.text[R_ERROR], "too large to compute") && r.text[R_ERROR_KIND] &&
                strcmp(r.text[R_ERROR_KIND], "data") == 0) {
                errors++; /* about the facts: error_kind data */
            } else if (r.num[R_STATUS] == 0 && yes(&r, R_THRESHOLD_MET)) {
                met++;
            } else {
                struct buf b = {0};
                describe_charge(&b, &c);
                describe_rec(&b, "result", &r);
                fx->failures++;
                print_error("%s = INT64_MAX on every act:\n%s", case_fields[huge[k]].name, b.data);
                buf_fini(&b);
            }
            rec_fini(&r);
            charge_fini(&c);
        }
    print_message("huge facts: %ld checks, %ld met, %ld too large to compute, %ld failures\n",
                  fx->checked, met, errors, fx->failures);
    assert_int_equal(fx->failures, 0);
    assert_true(errors > 0 && met > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(the_generator_covers_the_interesting_cases, reset_counts),
        cmocka_unit_test_setup(every_result_keeps_the_invariants, reset_counts),
        cmocka_unit_test_setup(mitigating_circumstances_never_make_it_harsher, reset_counts),
        cmocka_unit_test_setup(aggravating_circumstances_never_make_it_lighter, reset_counts),
        cmocka_unit_test_setup(larger_amounts_and_counts_never_make_it_lighter, reset_counts),
        cmocka_unit_test_setup(huge_facts_never_wrap_around, reset_counts),
    };

    return cmocka_run_group_tests(tests, set_up, tear_down);
}
