/*-------------------------------------------------------------------------
 * case.c
 *     The field tables of cases.csv and recommendations.csv, and the
 *     constructors and destructors of act, charge and rec.
 *
 * The tables follow ../shared/spec/case-interchange.md column by column.
 *
 * batch/core/case.c
 *-------------------------------------------------------------------------
 */
#include "case.h"

#include "value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODE_OF(e, code, ...) code,
#define ARTICLE_OF(e, code, article, name) article,
#define NAME_OF(e, code, article, name) name,
const char *const offense_values[] = {OFFENSE_LIST(CODE_OF) NULL};
const char *const offense_articles[] = {OFFENSE_LIST(ARTICLE_OF) NULL};
const char *const offense_names[] = {OFFENSE_LIST(NAME_OF) NULL};
const char *const defendant_kind_values[] = {DEFENDANT_KIND_LIST(CODE_OF) NULL};
const char *const penalty_kind_values[] = {PENALTY_KIND_LIST(CODE_OF) NULL};
const char *const status_values[] = {STATUS_LIST(CODE_OF) NULL};
const char *const error_kind_values[] = {ERROR_KIND_LIST(CODE_OF) NULL};
#undef CODE_OF
#undef ARTICLE_OF
#undef NAME_OF
const char *const fine_rule_values[] = {"with_or_alone", NULL};

#define REQ FF_REQUIRED
#define KEY FF_KEY
#define FACT FF_FACT
#define CIRC FF_CIRC
#define ACTUAL FF_ACTUAL

/* Longest identifiers, in bytes of UTF-8 (README.md, "Limits of the
 * values"). A real case number, even one like （2021）新4003刑初12345号之一,
 * has under 40 bytes; a defendant number is 1, 2 or a label like 第一被告人
 * (15). Each limit leaves several times that room, and together they keep a
 * row of the unique index on (case_no, defendant_no, offense) under 350
 * bytes, far from PostgreSQL's btree limit of about 2700. A court code is
 * the six digits of its division (GB/T 2260, e.g. 110105 for Chaoyang,
 * Beijing), checked by its form. */
#define CASE_NO_MAX_BYTES 200
#define DEFENDANT_NO_MAX_BYTES 100
#define COURT_CODE_MAX_BYTES 6

const struct field_def case_fields[F__COUNT] = {
    [F_CASE_NO] = {"case_no", FT_TEXT, REQ | KEY, NULL, .max_bytes = CASE_NO_MAX_BYTES,
                   .form = TEXT_IDENTIFIER},
    [F_DEFENDANT_NO] = {"defendant_no", FT_TEXT, REQ | KEY, NULL,
                        .max_bytes = DEFENDANT_NO_MAX_BYTES, .form = TEXT_IDENTIFIER},
    [F_ACT_NO] = {"act_no", FT_INT, KEY, NULL},
    [F_COURT_CODE] = {"court_code", FT_TEXT, REQ, NULL, .max_bytes = COURT_CODE_MAX_BYTES,
                      .form = TEXT_DIVISION_CODE},
    [F_OFFENSE] = {"offense", FT_ENUM, REQ | KEY, offense_values},
    [F_OFFENSE_DATE] = {"offense_date", FT_DATE, REQ, NULL},
    [F_CONVICTION_DATE] = {"conviction_date", FT_DATE, 0, NULL},
    [F_DEFENDANT_KIND] = {"defendant_kind", FT_ENUM, REQ, defendant_kind_values},
    [F_AGE_AT_OFFENSE] = {"age_at_offense", FT_INT, 0, NULL},

    [F_ORDERED_TO_CORRECT] = {"ordered_to_correct", FT_BOOL, FACT, NULL},
    [F_REFUSED_TO_CORRECT] = {"refused_to_correct", FT_BOOL, FACT, NULL},
    [F_ILLEGAL_VIDEOS_SPREAD] = {"illegal_videos_spread", FT_COUNT, FACT, NULL},
    [F_ILLEGAL_INFO_SPREAD] = {"illegal_info_spread", FT_COUNT, FACT, NULL},
    [F_ACCOUNTS_REACHED] = {"accounts_reached", FT_COUNT, FACT, NULL},
    [F_GROUP_MEMBERS_REACHED] = {"group_members_reached", FT_COUNT, FACT, NULL},
    [F_FOLLOWERS_REACHED] = {"followers_reached", FT_COUNT, FACT, NULL},
    [F_ILLEGAL_INFO_CLICKS] = {"illegal_info_clicks", FT_COUNT, FACT, NULL},
    [F_LEAKED_SENSITIVE_RECORDS] = {"leaked_sensitive_records", FT_COUNT, FACT, NULL},
    [F_LEAKED_PERSONAL_RECORDS] = {"leaked_personal_records", FT_COUNT, FACT, NULL},
    [F_LEAKED_OTHER_RECORDS] = {"leaked_other_records", FT_COUNT, FACT, NULL},
    [F_LEAK_CAUSED_HARM] = {"leak_caused_harm", FT_BOOL, FACT, NULL},
    [F_LEAK_MAJOR_LOSS] = {"leak_major_loss", FT_BOOL, FACT, NULL},
    [F_LEAK_SOCIAL_DISORDER] = {"leak_social_disorder", FT_BOOL, FACT, NULL},
    [F_EVIDENCE_LOST_GRAVE_CRIME] = {"evidence_lost_grave_crime", FT_BOOL, FACT, NULL},
    [F_EVIDENCE_LOST_5Y_CASE] = {"evidence_lost_5y_case", FT_BOOL, FACT, NULL},
    [F_EVIDENCE_LOST_REPEATEDLY] = {"evidence_lost_repeatedly", FT_BOOL, FACT, NULL},
    [F_EVIDENCE_LOST_TRIAL_AFFECTED] = {"evidence_lost_trial_affected", FT_BOOL, FACT, NULL},
    [F_LOGS_OR_REALNAME_MISSING] = {"logs_or_realname_missing", FT_BOOL, FACT, NULL},
    [F_REFUSED_REPEATEDLY_2Y] = {"refused_repeatedly_2y", FT_BOOL, FACT, NULL},
    [F_SERVICE_MAINLY_FOR_CRIME] = {"service_mainly_for_crime", FT_BOOL, FACT, NULL},
    [F_SERVICE_USED_FOR_ATTACK] = {"service_used_for_attack", FT_BOOL, FACT, NULL},
    [F_SERVICE_USED_FOR_GRAVE_CRIME] = {"service_used_for_grave_crime", FT_BOOL, FACT, NULL},
    [F_PUBLIC_SERVICE_NETWORK_DAMAGED] = {"public_service_network_damaged", FT_BOOL, FACT, NULL},

    [F_IMPERSONATED_AUTHORITY_SITE] = {"impersonated_authority_site", FT_BOOL, FACT, NULL},
    [F_CRIME_SITES] = {"crime_sites", FT_COUNT, FACT, NULL},
    [F_CRIME_SITE_ACCOUNTS] = {"crime_site_accounts", FT_COUNT, FACT, NULL},
    [F_CRIME_GROUPS] = {"crime_groups", FT_COUNT, FACT, NULL},
    [F_CRIME_GROUP_MEMBERS] = {"crime_group_members", FT_COUNT, FACT, NULL},
    [F_POSTS_PUBLISHED] = {"posts_published", FT_COUNT, FACT, NULL},
    [F_ACCOUNTS_MESSAGED] = {"accounts_messaged", FT_COUNT, FACT, NULL},
    [F_GROUP_MEMBERS_MESSAGED] = {"group_members_messaged", FT_COUNT, FACT, NULL},

    [F_HELPED_PARTIES] = {"helped_parties", FT_COUNT, FACT, NULL},
    [F_PAYMENT_SETTLED_YUAN] = {"payment_settled_yuan", FT_AMOUNT, FACT, NULL,
                                "payment_settled_fen"},
    [F_AD_FUNDING_YUAN] = {"ad_funding_yuan", FT_AMOUNT, FACT, NULL, "ad_funding_fen"},
    [F_HELPED_CRIME_SERIOUS] = {"helped_crime_serious", FT_BOOL, FACT, NULL},
    [F_HELPED_CRIME_UNPROVEN] = {"helped_crime_unproven", FT_BOOL, FACT, NULL},
    [F_HELPED_CRIME_ESPECIALLY_SERIOUS] = {"helped_crime_especially_serious", FT_BOOL, FACT, NULL},
    [F_KNOWLEDGE_BASIS] = {"knowledge_basis", FT_TEXT, 0, NULL},
    [F_PAYMENT_CARDS_SUPPLIED] = {"payment_cards_supplied", FT_COUNT, FACT, NULL},
    [F_PHONE_CARDS_SUPPLIED] = {"phone_cards_supplied", FT_COUNT, FACT, NULL},
    [F_CARD_INFLOW_YUAN] = {"card_inflow_yuan", FT_AMOUNT, FACT, NULL, "card_inflow_fen"},
    [F_CARD_FRAUD_VERIFIED_YUAN] = {"card_fraud_verified_yuan", FT_AMOUNT, FACT, NULL,
                                    "card_fraud_verified_fen"},

    [F_ILLEGAL_INCOME_YUAN] = {"illegal_income_yuan", FT_AMOUNT, FACT, NULL, "illegal_income_fen"},
    [F_ADMIN_PENALTY_WITHIN_2Y] = {"admin_penalty_within_2y", FT_BOOL, FACT, NULL},

    [F_USED_OCCUPATION] = {"used_occupation", FT_BOOL, CIRC, NULL},
    [F_SURRENDERED] = {"surrendered", FT_BOOL, CIRC, NULL},
    [F_CONFESSED] = {"confessed", FT_BOOL, CIRC, NULL},
    [F_GUILTY_PLEA] = {"guilty_plea", FT_BOOL, CIRC, NULL},
    [F_MERITORIOUS] = {"meritorious", FT_BOOL, CIRC, NULL},
    [F_RECIDIVIST] = {"recidivist", FT_BOOL, CIRC, NULL},
    [F_RINGLEADER] = {"ringleader", FT_BOOL, CIRC, NULL},
    [F_ACCESSORY] = {"accessory", FT_BOOL, CIRC, NULL},
    [F_RESTITUTION] = {"restitution", FT_BOOL, CIRC, NULL},
    [F_VICTIM_FORGIVENESS] = {"victim_forgiveness", FT_BOOL, CIRC, NULL},
    [F_PRIOR_RECORD] = {"prior_record", FT_BOOL, CIRC, NULL},
    [F_PREGNANT] = {"pregnant", FT_BOOL, CIRC, NULL},

    [F_ACTUAL_KIND] = {"actual_kind", FT_ENUM, ACTUAL, penalty_kind_values},
    [F_ACTUAL_MONTHS] = {"actual_months", FT_COUNT, ACTUAL, NULL},
    [F_ACTUAL_SUSPENDED] = {"actual_suspended", FT_BOOL, ACTUAL, NULL},
    [F_ACTUAL_PROBATION_MONTHS] = {"actual_probation_months", FT_COUNT, ACTUAL, NULL},
    [F_ACTUAL_FINE_YUAN] = {"actual_fine_yuan", FT_AMOUNT, ACTUAL, NULL, "actual_fine_fen"},
    [F_ACTUAL_BAN_YEARS] = {"actual_ban_years", FT_COUNT, ACTUAL, NULL},
    [F_ACTUAL_INJUNCTION] = {"actual_injunction", FT_BOOL, ACTUAL, NULL},
};

const struct field_def rec_fields[R__COUNT] = {
    [R_CASE_NO] = {"case_no", FT_TEXT, KEY, NULL},
    [R_DEFENDANT_NO] = {"defendant_no", FT_TEXT, KEY, NULL},
    [R_OFFENSE] = {"offense", FT_ENUM, KEY, offense_values},
    [R_STATUS] = {"status", FT_ENUM, REQ, status_values},
    [R_ERROR] = {"error", FT_TEXT, 0, NULL},
    [R_THRESHOLD_MET] = {"threshold_met", FT_BOOL, 0, NULL},
    [R_THRESHOLD_BASIS] = {"threshold_basis", FT_LIST, 0, NULL},
    [R_STATUTORY_KINDS] = {"statutory_kinds", FT_LIST, 0, NULL},
    [R_STATUTORY_MAX_MONTHS] = {"statutory_max_months", FT_COUNT, 0, NULL},
    [R_FINE_RULE] = {"fine_rule", FT_ENUM, 0, fine_rule_values},
    [R_FINE_MIN_YUAN] = {"fine_min_yuan", FT_AMOUNT, 0, NULL, "fine_min_fen"},
    [R_RECOMMENDED_KIND] = {"recommended_kind", FT_ENUM, 0, penalty_kind_values},
    [R_RECOMMENDED_MONTHS] = {"recommended_months", FT_COUNT, 0, NULL},
    [R_RANGE_LOW_MONTHS] = {"range_low_months", FT_COUNT, 0, NULL},
    [R_RANGE_HIGH_MONTHS] = {"range_high_months", FT_COUNT, 0, NULL},
    [R_SUSPENSION_ALLOWED] = {"suspension_allowed", FT_BOOL, 0, NULL},
    [R_RECOMMENDED_SUSPENDED] = {"recommended_suspended", FT_BOOL, 0, NULL},
    [R_PROBATION_MIN_MONTHS] = {"probation_min_months", FT_COUNT, 0, NULL},
    [R_PROBATION_MAX_MONTHS] = {"probation_max_months", FT_COUNT, 0, NULL},
    [R_RECOMMENDED_FINE_YUAN] = {"recommended_fine_yuan", FT_AMOUNT, 0, NULL,
                                 "recommended_fine_fen"},
    [R_BAN_ELIGIBLE] = {"ban_eligible", FT_BOOL, 0, NULL},
    [R_BAN_MIN_YEARS] = {"ban_min_years", FT_COUNT, 0, NULL},
    [R_BAN_MAX_YEARS] = {"ban_max_years", FT_COUNT, 0, NULL},
    [R_BAN_RECOMMENDED_YEARS] = {"ban_recommended_years", FT_COUNT, 0, NULL},
    [R_INJUNCTION_ELIGIBLE] = {"injunction_eligible", FT_BOOL, 0, NULL},
    [R_REVIEW_FLAGS] = {"review_flags", FT_LIST, 0, NULL},
    [R_CITATIONS] = {"citations", FT_LIST, 0, NULL},
    [R_RULE_SET] = {"rule_set", FT_TEXT, 0, NULL},
    [R_ERROR_KIND] = {"error_kind", FT_ENUM, 0, error_kind_values},
    [R_LAW_VERSION] = {"law_version", FT_TEXT, 0, NULL},
};

static int find(const struct field_def *defs, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(defs[i].name, name) == 0)
            return i;
    return -1;
}

const char *field_db_name(const struct field_def *def)
{
    return def->db_name ? def->db_name : def->name;
}

int case_field_find(const char *name)
{
    return find(case_fields, F__COUNT, name);
}

int rec_field_find(const char *name)
{
    return find(rec_fields, R__COUNT, name);
}

int enum_find(const char *const *values, const char *s)
{
    for (int i = 0; values[i]; i++)
        if (strcmp(values[i], s) == 0)
            return i;
    return -1;
}

static bool set_text(char **slot, unsigned char *present, const char *s)
{
    char *copy = strdup(s);

    if (!copy)
        return false;
    free(*slot);
    *slot = copy;
    *present = 1;
    return true;
}

void act_fini(struct act *a)
{
    if (!a)
        return;
    for (int i = 0; i < F__COUNT; i++)
        free(a->text[i]);
    memset(a, 0, sizeof *a);
}

bool act_set_text(struct act *a, enum case_field f, const char *s)
{
    return set_text(&a->text[f], &a->present[f], s);
}

void charge_fini(struct charge *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_acts; i++)
        act_fini(&c->acts[i]);
    free(c->acts);
    memset(c, 0, sizeof *c);
}

struct act *charge_add_act(struct charge *c)
{
    if (c->n_acts == c->cap_acts) {
        size_t cap = c->cap_acts ? 2 * c->cap_acts : 4;
        struct act *acts = realloc(c->acts, cap * sizeof *acts);

        if (!acts)
            return NULL;
        c->acts = acts;
        c->cap_acts = cap;
    }
    memset(&c->acts[c->n_acts], 0, sizeof c->acts[0]);
    return &c->acts[c->n_acts++];
}

void rec_fini(struct rec *r)
{
    if (!r)
        return;
    for (int i = 0; i < R__COUNT; i++)
        free(r->text[i]);
    free(r->trace_json);
    memset(r, 0, sizeof *r);
}

bool rec_set_text(struct rec *r, enum rec_field f, const char *s)
{
    return set_text(&r->text[f], &r->present[f], s);
}

void rec_set_num(struct rec *r, enum rec_field f, int64_t v)
{
    r->num[f] = v;
    r->present[f] = 1;
}

bool rec_set_error(struct rec *r, enum error_kind kind, const char *msg)
{
    char shown[1024];

    for (int i = 0; i < R__COUNT; i++) {
        if (i == R_CASE_NO || i == R_DEFENDANT_NO || i == R_OFFENSE || i == R_RULE_SET)
            continue;
        free(r->text[i]);
        r->text[i] = NULL;
        r->present[i] = 0;
    }
    free(r->trace_json);
    r->trace_json = NULL;
    text_show(shown, sizeof shown, msg, strlen(msg));
    if (!rec_set_text(r, R_STATUS, "error") || !rec_set_text(r, R_ERROR, shown) ||
        !rec_set_text(r, R_ERROR_KIND, error_kind_values[kind]))
        return false;
    r->num[R_STATUS] = STATUS_ERROR;
    r->num[R_ERROR_KIND] = kind;
    return true;
}

void rec_value_text(const struct rec *r, int f, char *buf, size_t len)
{
    if (!r->present[f]) {
        buf[0] = '\0';
        return;
    }
    if (r->text[f]) {
        snprintf(buf, len, "%s", r->text[f]);
        return;
    }
    if (!value_format(rec_fields[f].type, r->num[f], buf, len))
        buf[0] = '\0';
}

bool rec_list_has(const char *list, const char *item, size_t len)
{
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ';');
        size_t n = e ? (size_t)(e - p) : strlen(p);

        if (n == len && memcmp(p, item, len) == 0)
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

int rec_diff(const struct rec *a, const struct rec *b)
{
    for (int f = 0; f < R__COUNT; f++) {
        if (f == R_RULE_SET)
            continue;
        /* Columns added after a stored row was written are absent from it:
         * not a difference. */
        if (f >= R_ERROR_KIND && !a->present[f])
            continue;
        if (a->present[f] != b->present[f])
            return f;
        if (!a->present[f])
            continue;
        if (a->text[f] || b->text[f]) {
            if (!a->text[f] || !b->text[f] || strcmp(a->text[f], b->text[f]) != 0)
                return f;
        } else if (a->num[f] != b->num[f]) {
            return f;
        }
    }
    return -1;
}
