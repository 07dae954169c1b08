/*-------------------------------------------------------------------------
 * rec_check.c
 *     Invariants of a recommendation (see rec_check.h). The numbers here are
 *     fixed by statute and by the contract, not by the rules' parameters:
 *     CL 45 (fixed term 6-36 months for these offenses), CL 42 (detention
 *     1-6), CL 38 (surveillance 3-24), CL 73 (probation), CL 37-1 (ban of
 *     3 to 5 years), P2000:2 (the fine floor).
 *
 * batch/rules/rec_check.c
 *-------------------------------------------------------------------------
 */
#include "rec_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool fail(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool fail(char *msg, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return false;
}

static bool yes(const struct rec *r, enum rec_field f)
{
    return r->present[f] && r->num[f] != 0;
}

static bool has(const struct rec *r, enum rec_field f)
{
    return r->present[f] && (!r->text[f] || r->text[f][0]);
}

/* Is id among the citations? */
static bool cites(const struct rec *r, const char *id)
{
    return r->present[R_CITATIONS] && rec_list_has(r->text[R_CITATIONS], id, strlen(id));
}

/* The provisions a result must cite for what it says (legal-rules.md 8.1):
 * its article; the fine provisions with a fine (I2019:18) and its floor
 * (P2000:2); the suspension provisions with a suspended sentence (CL:72,
 * and CL:73 for the probation); CL:37-1 with an eligible ban. */
static bool check_citations(const struct rec *r, char *msg, size_t len)
{
    const char *art = offense_articles[r->num[R_OFFENSE]];
    char id[32];

    /* "Art. 287-2" -> "CL:287-2" */
    snprintf(id, sizeof id, "CL:%s", strncmp(art, "Art. ", 5) == 0 ? art + 5 : art);
    if (!cites(r, id))
        return fail(msg, len, "citations must name the offense's article %s", id);
    if (r->present[R_RECOMMENDED_FINE_YUAN] && !cites(r, "I2019:18"))
        return fail(msg, len, "a fine must cite its provision I2019:18");
    if (r->present[R_FINE_MIN_YUAN] && !cites(r, "P2000:2"))
        return fail(msg, len, "fine_min_yuan must cite its provision P2000:2");
    if (yes(r, R_RECOMMENDED_SUSPENDED) && (!cites(r, "CL:72") || !cites(r, "CL:73")))
        return fail(msg, len, "a suspended sentence must cite CL:72 and its probation CL:73");
    if (yes(r, R_BAN_ELIGIBLE) && !cites(r, "CL:37-1"))
        return fail(msg, len, "an eligible occupational ban must cite CL:37-1");
    return true;
}

bool rec_check(const struct rec *r, bool unit, char *msg, size_t len)
{
    /* Statutory range of each principal penalty, in months. */
    static const int lo[] = {[KIND_FIXED_TERM] = 6, [KIND_DETENTION] = 1, [KIND_SURVEILLANCE] = 3};
    static const int hi[] = {
        [KIND_FIXED_TERM] = 36, [KIND_DETENTION] = 6, [KIND_SURVEILLANCE] = 24};
    int kind;
    bool suspended = yes(r, R_RECOMMENDED_SUSPENDED);

    if (r->num[R_STATUS] != STATUS_OK)
        return true;
    if (!r->present[R_THRESHOLD_MET])
        return fail(msg, len, "threshold_met is missing");
    if (yes(r, R_THRESHOLD_MET) != has(r, R_THRESHOLD_BASIS))
        return fail(msg, len,
                    "threshold_basis must list the tests met exactly when "
                    "threshold_met is true");
    if (!r->present[R_RECOMMENDED_KIND])
        return fail(msg, len, "recommended_kind is missing");
    kind = (int)r->num[R_RECOMMENDED_KIND];

    if (unit) {
        if (kind != KIND_FINE_ONLY)
            return fail(msg, len, "a unit can only be fined, but recommended_kind is %s",
                        r->text[R_RECOMMENDED_KIND]);
        if (has(r, R_STATUTORY_KINDS))
            return fail(msg, len, "statutory_kinds must be empty for a unit");
        if (yes(r, R_BAN_ELIGIBLE) || yes(r, R_INJUNCTION_ELIGIBLE) || suspended)
            return fail(msg, len, "a unit gets no suspension, ban or injunction");
    }
    if (kind <= KIND_SURVEILLANCE) {
        if (!r->present[R_RECOMMENDED_MONTHS])
            return fail(msg, len, "recommended_months is missing for %s",
                        r->text[R_RECOMMENDED_KIND]);
        int64_t m = r->num[R_RECOMMENDED_MONTHS];
        if (m < lo[kind] || m > hi[kind])
            return fail(msg, len, "recommended_months %lld is outside %d-%d for %s", (long long)m,
                        lo[kind], hi[kind], r->text[R_RECOMMENDED_KIND]);
        if (!r->present[R_RANGE_LOW_MONTHS] || !r->present[R_RANGE_HIGH_MONTHS] ||
            r->num[R_RANGE_LOW_MONTHS] > m || r->num[R_RANGE_HIGH_MONTHS] < m ||
            r->num[R_RANGE_LOW_MONTHS] < lo[kind] || r->num[R_RANGE_HIGH_MONTHS] > hi[kind])
            return fail(msg, len,
                        "the band must contain recommended_months and lie within "
                        "the statutory range");
        if (r->text[R_STATUTORY_KINDS] &&
            !strstr(r->text[R_STATUTORY_KINDS], r->text[R_RECOMMENDED_KIND]))
            return fail(msg, len, "recommended_kind %s is not among statutory_kinds",
                        r->text[R_RECOMMENDED_KIND]);
    } else if (r->present[R_RECOMMENDED_MONTHS]) {
        return fail(msg, len, "recommended_months must be empty for %s",
                    r->text[R_RECOMMENDED_KIND]);
    }

    /* CL 72, 74: suspension of detention or fixed term, when allowed. */
    if (suspended) {
        if (!yes(r, R_SUSPENSION_ALLOWED))
            return fail(msg, len, "suspended although suspension_allowed is false");
        if (kind != KIND_FIXED_TERM && kind != KIND_DETENTION)
            return fail(msg, len, "only detention or fixed term can be suspended");
        /* CL 73: detention: the term (at least 2 months) to 12 months; fixed
         * term: the term (at least 12 months) to 60 months. */
        int64_t m = r->num[R_RECOMMENDED_MONTHS];
        int64_t pmin = kind == KIND_DETENTION ? (m > 2 ? m : 2) : (m > 12 ? m : 12);
        int64_t pmax = kind == KIND_DETENTION ? 12 : 60;
        if (!r->present[R_PROBATION_MIN_MONTHS] || !r->present[R_PROBATION_MAX_MONTHS] ||
            r->num[R_PROBATION_MIN_MONTHS] != pmin || r->num[R_PROBATION_MAX_MONTHS] != pmax)
            return fail(msg, len, "probation must be %lld-%lld months (CL 73)", (long long)pmin,
                        (long long)pmax);
    } else if (r->present[R_PROBATION_MIN_MONTHS] || r->present[R_PROBATION_MAX_MONTHS]) {
        return fail(msg, len, "probation months given without a suspended sentence");
    }

    /* CL 38, 72; I2019:17: injunction exactly with surveillance or suspension. */
    if (yes(r, R_INJUNCTION_ELIGIBLE) != (kind == KIND_SURVEILLANCE || suspended))
        return fail(msg, len,
                    "injunction_eligible must be true exactly when the recommendation "
                    "is surveillance or suspended");

    /* CL 37-1: a ban of 3 to 5 years, only when eligible and punished. */
    if (yes(r, R_BAN_ELIGIBLE)) {
        if (kind == KIND_EXEMPT)
            return fail(msg, len, "no occupational ban without a punishment");
        if (r->num[R_BAN_MIN_YEARS] != 3 || r->num[R_BAN_MAX_YEARS] != 5 ||
            !r->present[R_BAN_MIN_YEARS] || !r->present[R_BAN_MAX_YEARS] ||
            !r->present[R_BAN_RECOMMENDED_YEARS] || r->num[R_BAN_RECOMMENDED_YEARS] < 3 ||
            r->num[R_BAN_RECOMMENDED_YEARS] > 5)
            return fail(msg, len,
                        "an eligible ban needs ban_min_years 3, ban_max_years 5 and "
                        "a recommended length between them");
    } else if (r->present[R_BAN_MIN_YEARS] || r->present[R_BAN_MAX_YEARS] ||
               r->present[R_BAN_RECOMMENDED_YEARS]) {
        return fail(msg, len, "ban years given although ban_eligible is false");
    }

    /* A fine goes with every punishment (CL 286-1, 287-1, 287-2: 并处或者单处),
     * never below its floor (P2000:2). */
    if (kind != KIND_EXEMPT) {
        if (!r->present[R_RECOMMENDED_FINE_YUAN] || r->num[R_RECOMMENDED_FINE_YUAN] <= 0)
            return fail(msg, len, "recommended_fine_yuan is missing");
        if (r->present[R_FINE_MIN_YUAN] &&
            r->num[R_RECOMMENDED_FINE_YUAN] < r->num[R_FINE_MIN_YUAN])
            return fail(msg, len, "recommended_fine_yuan is below fine_min_yuan");
    }
    if (!unit && (!r->present[R_FINE_MIN_YUAN] ||
                  (r->num[R_FINE_MIN_YUAN] != 100000 && r->num[R_FINE_MIN_YUAN] != 50000)))
        return fail(msg, len, "fine_min_yuan must be 1000 (500 for a minor) for a person");
    if (unit && r->present[R_FINE_MIN_YUAN])
        return fail(msg, len, "fine_min_yuan must be empty for a unit (not asserted)");
    return check_citations(r, msg, len);
}
