/*-------------------------------------------------------------------------
 * rule_props.c
 *     The property tests of a rule set (rule_props.h): the charge
 *     generator, the properties, shrinking and reporting a failure.
 *
 * Severity: kind rank exempt < fine_only < surveillance < detention <
 * fixed_term, then months, then not suspended over suspended, compared
 * lexicographically; the fine is compared on its own.
 *
 * An allocation that fails while generating or copying a charge marks the
 * context (pc->st) and the run stops at the next charge with ST_ENOMEM.
 *
 * batch/rules/rule_props.c
 *-------------------------------------------------------------------------
 */
#include "rule_props.h"

#include "recommend.h"
#include "value.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Failures printed in full per property and offense (the count is always
 * reported), and further failures listed on one line each. */
#define MAX_REPORTS 2
#define MAX_LINES 40

const char *const rule_prop_names[RP__COUNT] = {
    [RP_MITIGATING] = "mitigating circumstance never harsher",
    [RP_AGGRAVATING] = "aggravating circumstance never lighter",
    [RP_LARGER] = "larger amount or count never lighter",
    [RP_INVARIANTS] = "invariants of every result",
};

/* The run: the rule set, where failures go, the counts, and the first
 * error (sticky: once set, nothing more is evaluated). */
struct pctx {
    struct rules *rules;
    FILE *out;
    struct rule_props_counts *n;
    long off_failures[RP__COUNT][OFFENSE__COUNT];
    long lines; /* one-line reports printed */
    enum status st;
    struct err *err;
};

static void nomem(struct pctx *pc)
{
    if (pc->st == ST_OK)
        pc->st = err_set(pc->err, ST_ENOMEM, "out of memory generating a charge");
}

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

/* Set text field f of a to s; *ok becomes false when out of memory. */
static void set_text(struct act *a, enum case_field f, const char *s, bool *ok)
{
    if (!act_set_text(a, f, s))
        *ok = false;
}

static void set_enum(struct act *a, enum case_field f, const char *const *values, int idx, bool *ok)
{
    set_text(a, f, values[idx], ok);
    a->num[f] = idx;
}

static void set_date(struct act *a, enum case_field f, int64_t days, bool *ok)
{
    char buf[16];

    if (value_format(FT_DATE, days, buf, sizeof buf) == 0)
        snprintf(buf, sizeof buf, "1970-01-01"); /* the generator's dates always format */
    set_text(a, f, buf, ok);
    a->num[f] = days;
}

static void clear_field(struct act *a, enum case_field f)
{
    free(a->text[f]);
    a->text[f] = NULL;
    a->present[f] = 0;
    a->num[f] = 0;
}

/* Deep copy of src into dst (dst owns its copies; act_fini frees them even
 * when some failed). False when out of memory. */
static bool copy_act(struct act *dst, const struct act *src)
{
    bool ok = true;

    *dst = *src;
    for (int f = 0; f < F__COUNT; f++)
        if (src->text[f] && !(dst->text[f] = strdup(src->text[f])))
            ok = false;
    return ok;
}

/* Deep copy of src into dst, without act skip (or with skip < 0); the run
 * date goes along. dst is left valid for charge_fini either way. False
 * when out of memory. */
static bool clone_charge(struct charge *dst, const struct charge *src, long skip)
{
    bool ok = true;

    memset(dst, 0, sizeof *dst);
    dst->run_date = src->run_date;
    for (size_t i = 0; ok && i < src->n_acts; i++) {
        struct act *a;

        if ((long)i == skip)
            continue;
        if (!(a = charge_add_act(dst)))
            return false;
        ok = copy_act(a, &src->acts[i]);
    }
    return ok;
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

static void gen_facts_287_2(struct rng *g, struct act *a, size_t n, bool unproven, bool *ok)
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
        set_text(a, F_KNOWLEDGE_BASIS, knowledge[below(g, 5)], ok);
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
 * acts, on some acts only. False when out of memory (c is left valid for
 * charge_fini). */
static bool gen_charge(struct charge *c, enum offense off, uint64_t idx)
{
    bool ok = true;
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

        if (!a)
            return false;
        set_text(a, F_CASE_NO, case_no, &ok);
        set_text(a, F_DEFENDANT_NO, "1", &ok);
        set_num(a, F_ACT_NO, (int64_t)i + 1);
        set_text(a, F_COURT_CODE, "110105", &ok);
        set_enum(a, F_OFFENSE, offense_values, (int)off, &ok);
        set_date(a, F_OFFENSE_DATE, days[i], &ok);
        set_enum(a, F_DEFENDANT_KIND, defendant_kind_values, unit ? 1 : 0, &ok);
        if (has_age)
            set_num(a, F_AGE_AT_OFFENSE, age0 + (days[i] - days[0]) / 366);
        if (chance(&g, 40))
            set_date(a, F_CONVICTION_DATE, days[n - 1] + 90 + below(&g, 600), &ok);
        switch (off) {
        case OFFENSE_REFUSE_NETSEC_DUTY: gen_facts_286_1(&g, a, n, gate); break;
        case OFFENSE_ILLEGAL_USE_NETWORK: gen_facts_287_1(&g, a, n); break;
        default:
            gen_facts_287_2(&g, a, n, unproven == 1 || (unproven == 2 && chance(&g, 50)), &ok);
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
    return ok;
}

/* ----------------------------------------------------------------------
 * Describing charges and results
 * ----------------------------------------------------------------------
 */

static bool describe_charge(struct buf *b, const struct charge *c)
{
    bool ok = true;

    for (size_t i = 0; i < c->n_acts; i++) {
        const struct act *a = &c->acts[i];
        const char *sep = "";

        ok &= buf_printf(b, "    act %zu:", i + 1);
        for (int f = 0; f < F__COUNT; f++) {
            char v[64];

            if (!a->present[f])
                continue;
            if (a->text[f])
                snprintf(v, sizeof v, "%s", a->text[f]);
            else if (value_format(case_fields[f].type, a->num[f], v, sizeof v) == 0)
                snprintf(v, sizeof v, "%lld", (long long)a->num[f]);
            ok &= buf_printf(b, "%s %s=%s", sep, case_fields[f].name, v);
            sep = ",";
        }
        ok &= buf_adds(b, "\n");
    }
    return ok;
}

static bool describe_rec(struct buf *b, const char *label, const struct rec *r)
{
    bool ok = true;

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

    ok &= buf_printf(b, "    %s:", label);
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
        enum rec_field f = shown[i];
        char v[64];

        if (!r->present[f])
            continue;
        if (r->text[f]) {
            ok &= buf_printf(b, " %s=%s", rec_fields[f].name, r->text[f]);
            continue;
        }
        if (value_format(rec_fields[f].type, r->num[f], v, sizeof v) == 0)
            snprintf(v, sizeof v, "%lld", (long long)r->num[f]);
        ok &= buf_printf(b, " %s=%s", rec_fields[f].name, v);
    }
    return ok && buf_adds(b, "\n");
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
    int64_t kind;

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
        int64_t m = r->num[R_RECOMMENDED_MONTHS];

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

enum bump { B_PLUS_ONE, B_TO_THRESHOLD, B_DOUBLE, B_TENFOLD, B__COUNT };

static const char *const bump_names[] = {
    [B_PLUS_ONE] = "+1",
    [B_TO_THRESHOLD] = "raised to its threshold",
    [B_DOUBLE] = "doubled plus 1",
    [B_TENFOLD] = "+10 x threshold",
};

struct mutation {
    enum rule_prop prop;
    enum case_field field; /* circumstance or fact */
    long act;              /* RP_LARGER: act index, -1 = every act */
    enum bump bump;
    int64_t thr; /* RP_LARGER: the fact's threshold (fen for amounts) */
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
static bool make_before(struct charge *out, const struct charge *base, const struct mutation *m)
{
    if (!clone_charge(out, base, -1))
        return false;
    if (m->prop == RP_MITIGATING || m->prop == RP_AGGRAVATING)
        set_circ(out, m->field, false, false);
    return true;
}

static bool make_after(struct charge *out, const struct charge *base, const struct mutation *m)
{
    if (!clone_charge(out, base, -1))
        return false;
    if (m->prop == RP_MITIGATING || m->prop == RP_AGGRAVATING) {
        set_circ(out, m->field, true, true);
    } else if (m->act < 0) {
        for (size_t i = 0; i < out->n_acts; i++)
            bump_act(&out->acts[i], m);
    } else {
        bump_act(&out->acts[m->act], m);
    }
    return true;
}

/* Does the pair (before, after) break m's property? Writes why. */
static bool pair_breaks(const struct mutation *m, const struct rec *before, const struct rec *after,
                        char *why, size_t len)
{
    int c = cmp_severity(after, before);

    if (m->prop == RP_MITIGATING) {
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
    if (m->prop == RP_LARGER && yes(before, R_THRESHOLD_MET) && !yes(after, R_THRESHOLD_MET))
        return !fail_why(why, len, "a larger %s turned threshold_met from true to false",
                         case_fields[m->field].name);
    return false;
}

/* ----------------------------------------------------------------------
 * Evaluating, shrinking and reporting
 * ----------------------------------------------------------------------
 */

/* The trial date of a generated charge with no conviction date. */
static int64_t props_run_date(void)
{
    return days_from_civil(2024, 6, 11);
}

/* Evaluate c into the zeroed out, without its trace. After a failure (now
 * or before) out is an empty result and pc->st says why. */
static void eval(struct pctx *pc, const struct charge *c, struct rec *out)
{
    if (pc->st != ST_OK)
        return;
    pc->st = rule_props_eval(pc->rules, c, out, pc->err);
}

static bool is_unit(const struct charge *c)
{
    return c->n_acts > 0 && c->acts[0].num[F_DEFENDANT_KIND] == 1;
}

/* Does charge c break m's property (pair) or the invariants? Evaluates into
 * before and after (after unused for RP_INVARIANTS). False after an error
 * (pc->st). */
static bool breaks(struct pctx *pc, const struct charge *c, enum offense off,
                   const struct mutation *m, struct rec *before, struct rec *after, char *why,
                   size_t len)
{
    struct charge cb, ca;
    bool made;

    rec_fini(before);
    rec_fini(after);
    if (m->prop == RP_INVARIANTS) {
        eval(pc, c, before);
        return pc->st == ST_OK && !invariants_hold(before, is_unit(c), off, why, len);
    }
    made = make_before(&cb, c, m) && make_after(&ca, c, m);
    if (made) {
        eval(pc, &cb, before);
        eval(pc, &ca, after);
    } else {
        nomem(pc);
    }
    charge_fini(&cb);
    charge_fini(&ca);
    if (pc->st != ST_OK)
        return false;
    if (!invariants_hold(before, is_unit(c), off, why, len) ||
        !invariants_hold(after, is_unit(c), off, why, len))
        return true;
    return pair_breaks(m, before, after, why, len);
}

/* Shrink the failing charge c in place: drop acts and clear optional
 * fields while m's property still breaks. */
static void shrink(struct pctx *pc, struct charge *c, enum offense off, struct mutation *m)
{
    struct rec b1 = {0}, a1 = {0};
    char why[512];
    bool progress = true;

    while (progress && pc->st == ST_OK) {
        progress = false;
        for (size_t i = 0; c->n_acts > 1 && i < c->n_acts && pc->st == ST_OK;) {
            struct charge t;
            struct mutation tm = *m;

            if (m->prop == RP_LARGER && m->act == (long)i) {
                i++; /* keep the act that changes */
                continue;
            }
            if (m->prop == RP_LARGER && m->act > (long)i)
                tm.act--;
            if (!clone_charge(&t, c, (long)i)) {
                nomem(pc);
            } else if (breaks(pc, &t, off, &tm, &b1, &a1, why, sizeof why)) {
                charge_fini(c);
                *c = t; /* the next act is now at index i */
                *m = tm;
                progress = true;
                continue;
            }
            charge_fini(&t);
            i++;
        }
        for (size_t i = 0; i < c->n_acts && pc->st == ST_OK; i++)
            for (int f = 0; f < F__COUNT && pc->st == ST_OK; f++) {
                struct act saved;

                if (!c->acts[i].present[f] || (case_fields[f].flags & (FF_REQUIRED | FF_KEY)))
                    continue;
                if (!copy_act(&saved, &c->acts[i])) {
                    act_fini(&saved);
                    nomem(pc);
                    break;
                }
                clear_field(&c->acts[i], (enum case_field)f);
                if (breaks(pc, c, off, m, &b1, &a1, why, sizeof why)) {
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

static bool describe_change(struct buf *b, const struct mutation *m)
{
    if (m->prop == RP_LARGER)
        return buf_printf(b, "%s %s on %s", case_fields[m->field].name, bump_names[m->bump],
                          m->act < 0 ? "every act" : "one act");
    if (m->prop != RP_INVARIANTS)
        return buf_printf(b, "%s false -> true on every act", case_fields[m->field].name);
    return buf_adds(b, "none");
}

/* Count one failure and report it on pc->out: the first MAX_REPORTS of
 * each property and offense in full (the generated charge, the shrunk one,
 * both results), MAX_LINES more on one line each, the rest only counted. */
static void report(struct pctx *pc, const struct charge *c, enum offense off,
                   const struct mutation *m, const struct rec *before, const struct rec *after,
                   const char *why)
{
    struct buf b = {0};
    struct charge small;
    struct mutation sm = *m;
    struct rec sb = {0}, sa = {0};
    char swhy[512];
    bool ok = true;

    pc->n->failures[m->prop]++;
    if (++pc->off_failures[m->prop][off] > MAX_REPORTS) {
        if (pc->lines >= MAX_LINES)
            return;
        pc->lines++;
        ok &=
            buf_printf(&b, "FAIL %s: %s (%s, case %s, %zu acts, change: ", rule_prop_names[m->prop],
                       why, offense_values[off], c->acts[0].text[F_CASE_NO], c->n_acts);
        ok &= describe_change(&b, m);
        ok &= buf_adds(&b, ")\n");
        if (ok)
            fputs(b.data, pc->out);
        else
            nomem(pc);
        buf_fini(&b);
        return;
    }
    ok &= buf_printf(&b, "FAIL %s: %s\n  change: ", rule_prop_names[m->prop], why);
    ok &= describe_change(&b, m);
    ok &= buf_adds(&b, "\n  generated charge:\n");
    ok &= describe_charge(&b, c);
    ok &= describe_rec(&b, m->prop == RP_INVARIANTS ? "result" : "before", before);
    if (m->prop != RP_INVARIANTS)
        ok &= describe_rec(&b, "after", after);

    if (!clone_charge(&small, c, -1))
        nomem(pc);
    shrink(pc, &small, off, &sm);
    if (breaks(pc, &small, off, &sm, &sb, &sa, swhy, sizeof swhy)) {
        ok &= buf_printf(&b, "  shrunk charge (%s):\n", swhy);
        if (sm.prop == RP_LARGER && sm.act >= 0)
            ok &= buf_printf(&b, "  (the act changed: act_no %lld)\n",
                             (long long)small.acts[sm.act].num[F_ACT_NO]);
        ok &= describe_charge(&b, &small);
        ok &= describe_rec(&b, sm.prop == RP_INVARIANTS ? "result" : "before", &sb);
        if (sm.prop != RP_INVARIANTS)
            ok &= describe_rec(&b, "after", &sa);
    }
    if (ok)
        fputs(b.data, pc->out);
    else
        nomem(pc);
    fflush(pc->out);
    charge_fini(&small);
    rec_fini(&sb);
    rec_fini(&sa);
    buf_fini(&b);
}

/* Check m on charge c, whose own result is base: base stands for the side
 * of the pair that equals c, so most pairs cost one evaluation. */
static void check(struct pctx *pc, const struct charge *c, enum offense off,
                  const struct mutation *m, const struct rec *base)
{
    struct charge t;
    struct rec rb = {0}, ra = {0};
    const struct rec *before = base, *after = base;
    enum circ_state cs = C_NOWHERE;
    bool unit = is_unit(c);

    if (m->prop == RP_MITIGATING || m->prop == RP_AGGRAVATING)
        cs = circ_state(c, m->field);
    if (cs != C_NOWHERE) { /* c has the circumstance: take it away */
        if (make_before(&t, c, m))
            eval(pc, &t, &rb);
        else
            nomem(pc);
        charge_fini(&t);
        before = &rb;
    }
    if (cs != C_EVERYWHERE) {
        if (make_after(&t, c, m))
            eval(pc, &t, &ra);
        else
            nomem(pc);
        charge_fini(&t);
        after = &ra;
    }
    if (pc->st == ST_OK) {
        char why[512];

        pc->n->checked[m->prop]++;
        if (before->num[R_STATUS] != 0 || after->num[R_STATUS] != 0)
            pc->n->errors[m->prop]++;
        if (!invariants_hold(before, unit, off, why, sizeof why) ||
            !invariants_hold(after, unit, off, why, sizeof why) ||
            pair_breaks(m, before, after, why, sizeof why))
            report(pc, c, off, m, before, after, why);
    }
    rec_fini(&rb);
    rec_fini(&ra);
}

/* Count what the generator produced (charge c, its result r). */
static void count_coverage(struct rule_props_counts *n, const struct charge *c, const struct rec *r)
{
    const struct act *a = &c->acts[0];

    n->charges++;
    n->units += is_unit(c);
    n->minors += a->present[F_AGE_AT_OFFENSE] && a->num[F_AGE_AT_OFFENSE] < 18;
    n->elderly += a->present[F_AGE_AT_OFFENSE] && a->num[F_AGE_AT_OFFENSE] >= 75;
    n->multi_act += c->n_acts > 1;
    if (r->num[R_STATUS] != 0)
        return;
    n->met += yes(r, R_THRESHOLD_MET);
    n->unmet += !yes(r, R_THRESHOLD_MET);
    n->suspended += yes(r, R_RECOMMENDED_SUSPENDED);
    if (r->num[R_RECOMMENDED_KIND] >= 0 && r->num[R_RECOMMENDED_KIND] <= KIND_EXEMPT)
        n->kinds[r->num[R_RECOMMENDED_KIND]]++;
}

/* Every property on generated charge i of offense off: the invariants of
 * its result; each mitigating and aggravating circumstance; each larger
 * fact of the offense, with two of the four increases drawn at random, on
 * one act or on every act. */
static void check_charge(struct pctx *pc, enum offense off, long i)
{
    struct charge c = {0};
    struct rec base = {0};
    struct rng g;
    struct mutation inv = {.prop = RP_INVARIANTS};

    if (!gen_charge(&c, off, (uint64_t)i))
        nomem(pc);
    eval(pc, &c, &base);
    if (pc->st != ST_OK)
        goto out;
    count_coverage(pc->n, &c, &base);
    pc->n->checked[RP_INVARIANTS]++;
    if (base.num[R_STATUS] != 0)
        pc->n->errors[RP_INVARIANTS]++;
    {
        char why[512];

        if (!invariants_hold(&base, is_unit(&c), off, why, sizeof why))
            report(pc, &c, off, &inv, &base, NULL, why);
    }

    for (size_t k = 0; k < sizeof mitigating / sizeof mitigating[0]; k++) {
        struct mutation m = {.prop = RP_MITIGATING, .field = mitigating[k], .act = -1};

        check(pc, &c, off, &m, &base);
    }
    for (size_t k = 0; k < sizeof aggravating / sizeof aggravating[0]; k++) {
        struct mutation m = {.prop = RP_AGGRAVATING, .field = aggravating[k], .act = -1};

        check(pc, &c, off, &m, &base);
    }
    rng_seed(&g, 0xB0A7B0A7ull * (uint64_t)(off + 1) + (uint64_t)i);
    for (int k = 0; k < 3 && larger_facts[off][k].thr; k++) {
        int first = (int)below(&g, B__COUNT);
        int second = (first + 1 + (int)below(&g, B__COUNT - 1)) % B__COUNT;
        int bumps[2] = {first, second};

        for (int j = 0; j < 2; j++) {
            struct mutation m = {
                .prop = RP_LARGER,
                .field = larger_facts[off][k].f,
                .act = chance(&g, 30) ? -1 : (long)below(&g, (int64_t)c.n_acts),
                .bump = (enum bump)bumps[j],
                .thr = larger_facts[off][k].thr,
            };
            check(pc, &c, off, &m, &base);
        }
    }
out:
    rec_fini(&base);
    charge_fini(&c);
}

/* ----------------------------------------------------------------------
 * The interface
 * ----------------------------------------------------------------------
 */

enum status rule_props_run(struct rules *rules, long per_offense, FILE *out,
                           struct rule_props_counts *n, struct err *err)
{
    struct pctx pc = {.rules = rules, .out = out, .n = n, .st = ST_OK, .err = err};
    bool trace = rules_trace(rules);

    memset(n, 0, sizeof *n);
    rules_set_trace(rules, false); /* the trace is not needed here */
    for (long i = 0; i < per_offense && pc.st == ST_OK; i++)
        for (int off = 0; off < OFFENSE__COUNT && pc.st == ST_OK; off++)
            check_charge(&pc, (enum offense)off, i);
    rules_set_trace(rules, trace);
    if (pc.lines >= MAX_LINES)
        fprintf(out, "(further failures counted, not listed)\n");
    return pc.st;
}

enum status rule_props_charge(struct charge *c, enum offense off, uint64_t idx, struct err *err)
{
    if (!gen_charge(c, off, idx))
        return err_set(err, ST_ENOMEM, "out of memory generating a charge");
    return ST_OK;
}

enum status rule_props_eval(struct rules *rules, const struct charge *c, struct rec *out,
                            struct err *err)
{
    struct charge tried = *c; /* borrows c's acts */
    enum status st;

    tried.run_date = props_run_date();
    st = recommend(rules, &tried, out, err);
    free(out->trace_json);
    out->trace_json = NULL;
    return st;
}

bool rule_props_describe(struct buf *b, const struct charge *c, const struct rec *r)
{
    bool ok = describe_charge(b, c);

    return r ? describe_rec(b, "result", r) && ok : ok;
}
