/*-------------------------------------------------------------------------
 * case.h
 *     The data model: one act of a case (a row of cases.csv), one charge
 *     (a defendant and an offense, with its acts) and one recommendation
 *     (a row of recommendations.csv), each described by a field table.
 *
 * Ownership: a struct act, charge or rec owns its strings; const pointers
 * borrow; a function returning a pointer says who frees it. Every *_free
 * and *_fini accepts NULL or a zeroed struct.
 *
 * The field tables are the single description of the interchange formats
 * (../shared/spec/case-interchange.md). CSV import, the database load and
 * fetch, the Lua marshalling and the CSV export all walk them, so a new
 * column is one line in case.c plus its tests.
 *
 * batch/core/case.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_CASE_H
#define SENTENCER_CASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Value types of a field. */
enum ftype {
    FT_TEXT,   /* free text, stored as is (UTF-8) */
    FT_ENUM,   /* one of field_def.enum_values; num = index */
    FT_INT,    /* integer of a 32-bit database column (integer) */
    FT_COUNT,  /* non-negative integer */
    FT_AMOUNT, /* yuan with at most two decimals, held as integer fen in num */
    FT_BOOL,   /* num = 0 or 1 */
    FT_DATE,   /* YYYY-MM-DD; text = canonical form, num = days since 1970-01-01 */
    FT_LIST,   /* ';'-separated list of identifiers (output only) */
};

/* Field flags. */
#define FF_REQUIRED 0x01u /* must be present and non-empty on input */
#define FF_KEY 0x02u      /* part of the act key (case_no, defendant_no, offense, act_no) */
#define FF_FACT 0x04u     /* a fact the rules read (absent: 0/false, listed as assumed) */
#define FF_CIRC 0x08u     /* a sentencing circumstance (rules read it) */
#define FF_ACTUAL 0x10u   /* actual judgment: stored and exported, never given to the rules */

/* The form of an FT_TEXT value on input. An identifier never begins with
 * a character a spreadsheet takes for a formula (=, +, -, @; tab and CR
 * are control characters, refused for every text): case numbers and court
 * codes are opened in spreadsheets, and "=HYPERLINK(...)" in a cell is
 * live there. */
enum text_form {
    TEXT_FREE,          /* any text without control characters */
    TEXT_IDENTIFIER,    /* and no formula-like first character */
    TEXT_DIVISION_CODE, /* six digits, an administrative division of GB/T 2260 */
};

struct field_def {
    const char *name; /* column name in CSV and database */
    enum ftype type;
    unsigned flags;
    const char *const *enum_values; /* FT_ENUM only; NULL-terminated */
    const char *db_name;            /* database column when it differs (amounts: *_fen) */
    size_t max_bytes;               /* FT_TEXT: longest value accepted on input (0: any) */
    enum text_form form;            /* FT_TEXT: what the text must look like */
};

/* The database column of a field: amounts are stored as integer fen in a
 * column named *_fen instead of *_yuan. */
const char *field_db_name(const struct field_def *def);

/* Columns of cases.csv, in the order of the contract. */
enum case_field {
    F_CASE_NO,
    F_DEFENDANT_NO,
    F_ACT_NO,
    F_COURT_CODE,
    F_OFFENSE,
    F_OFFENSE_DATE,
    F_CONVICTION_DATE,
    F_DEFENDANT_KIND,
    F_AGE_AT_OFFENSE,
    /* Art. 286-1 */
    F_ORDERED_TO_CORRECT,
    F_REFUSED_TO_CORRECT,
    F_ILLEGAL_VIDEOS_SPREAD,
    F_ILLEGAL_INFO_SPREAD,
    F_ACCOUNTS_REACHED,
    F_GROUP_MEMBERS_REACHED,
    F_FOLLOWERS_REACHED,
    F_ILLEGAL_INFO_CLICKS,
    F_LEAKED_SENSITIVE_RECORDS,
    F_LEAKED_PERSONAL_RECORDS,
    F_LEAKED_OTHER_RECORDS,
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
    /* Art. 287-1 */
    F_IMPERSONATED_AUTHORITY_SITE,
    F_CRIME_SITES,
    F_CRIME_SITE_ACCOUNTS,
    F_CRIME_GROUPS,
    F_CRIME_GROUP_MEMBERS,
    F_POSTS_PUBLISHED,
    F_ACCOUNTS_MESSAGED,
    F_GROUP_MEMBERS_MESSAGED,
    /* Art. 287-2 */
    F_HELPED_PARTIES,
    F_PAYMENT_SETTLED_YUAN,
    F_AD_FUNDING_YUAN,
    F_HELPED_CRIME_SERIOUS,
    F_HELPED_CRIME_UNPROVEN,
    F_HELPED_CRIME_ESPECIALLY_SERIOUS,
    F_KNOWLEDGE_BASIS,
    F_PAYMENT_CARDS_SUPPLIED,
    F_PHONE_CARDS_SUPPLIED,
    F_CARD_INFLOW_YUAN,
    F_CARD_FRAUD_VERIFIED_YUAN,
    /* shared by 287-1 and 287-2 */
    F_ILLEGAL_INCOME_YUAN,
    F_ADMIN_PENALTY_WITHIN_2Y,
    /* sentencing circumstances */
    F_USED_OCCUPATION,
    F_SURRENDERED,
    F_CONFESSED,
    F_GUILTY_PLEA,
    F_MERITORIOUS,
    F_RECIDIVIST,
    F_RINGLEADER,
    F_ACCESSORY,
    F_RESTITUTION,
    F_VICTIM_FORGIVENESS,
    F_PRIOR_RECORD,
    F_PREGNANT,
    /* actual judgment */
    F_ACTUAL_KIND,
    F_ACTUAL_MONTHS,
    F_ACTUAL_SUSPENDED,
    F_ACTUAL_PROBATION_MONTHS,
    F_ACTUAL_FINE_YUAN,
    F_ACTUAL_BAN_YEARS,
    F_ACTUAL_INJUNCTION,
    F__COUNT
};

/* Columns of recommendations.csv, in the order of the contract. */
enum rec_field {
    R_CASE_NO,
    R_DEFENDANT_NO,
    R_OFFENSE,
    R_STATUS,
    R_ERROR,
    R_THRESHOLD_MET,
    R_THRESHOLD_BASIS,
    R_STATUTORY_KINDS,
    R_STATUTORY_MAX_MONTHS,
    R_FINE_RULE,
    R_FINE_MIN_YUAN,
    R_RECOMMENDED_KIND,
    R_RECOMMENDED_MONTHS,
    R_RANGE_LOW_MONTHS,
    R_RANGE_HIGH_MONTHS,
    R_SUSPENSION_ALLOWED,
    R_RECOMMENDED_SUSPENDED,
    R_PROBATION_MIN_MONTHS,
    R_PROBATION_MAX_MONTHS,
    R_RECOMMENDED_FINE_YUAN,
    R_BAN_ELIGIBLE,
    R_BAN_MIN_YEARS,
    R_BAN_MAX_YEARS,
    R_BAN_RECOMMENDED_YEARS,
    R_INJUNCTION_ELIGIBLE,
    R_REVIEW_FLAGS,
    R_CITATIONS,
    R_RULE_SET,
    /* added by schema 5 (case-interchange.md "Columns being added") */
    R_ERROR_KIND,
    R_LAW_VERSION,
    R__COUNT
};

/* The tables (defined in case.c, read-only). */
extern const struct field_def case_fields[F__COUNT];
extern const struct field_def rec_fields[R__COUNT];

/* The coded values, one table each: the enum (the value in num[]), the
 * code (the CSV files, the database) and, for offenses, the article and
 * the report's name. The value lists below are made from them. The schema's
 * CHECKs (sql/001), the codebook and the summary queries write the codes
 * out in SQL and prose; tests/db/test_db.c and tests/unit/test_codebook.c
 * check those against these tables. A new offense starts here. */
#define OFFENSE_LIST(X)                                                                            \
    X(OFFENSE_REFUSE_NETSEC_DUTY, "refuse_netsec_duty", "Art. 286-1", "network security duties")   \
    X(OFFENSE_ILLEGAL_USE_NETWORK, "illegal_use_network", "Art. 287-1", "illegal use of networks") \
    X(OFFENSE_HELP_NETWORK_CRIME, "help_network_crime", "Art. 287-2", "helping network crime")
#define PENALTY_KIND_LIST(X)                                                                       \
    X(KIND_FIXED_TERM, "fixed_term")                                                               \
    X(KIND_DETENTION, "detention")                                                                 \
    X(KIND_SURVEILLANCE, "surveillance")                                                           \
    X(KIND_FINE_ONLY, "fine_only")                                                                 \
    X(KIND_EXEMPT, "exempt")
#define DEFENDANT_KIND_LIST(X) X(DEFENDANT_PERSON, "person") X(DEFENDANT_UNIT, "unit")
#define STATUS_LIST(X) X(STATUS_OK, "ok") X(STATUS_ERROR, "error")
/* Why a case is an error: the law excludes it, its facts cannot be
 * evaluated as given, or the rule set failed on it. */
#define ERROR_KIND_LIST(X) X(ERROR_LEGAL, "legal") X(ERROR_DATA, "data") X(ERROR_RULE, "rule")

#define CASE_ENUM_OFFENSE(e, code, article, name) e,
#define CASE_ENUM_CODE(e, code) e,
enum offense { OFFENSE_LIST(CASE_ENUM_OFFENSE) OFFENSE__COUNT };
enum penalty_kind { PENALTY_KIND_LIST(CASE_ENUM_CODE) KIND__COUNT };
enum defendant_kind { DEFENDANT_KIND_LIST(CASE_ENUM_CODE) DEFENDANT__COUNT };
enum rec_status { STATUS_LIST(CASE_ENUM_CODE) STATUS__COUNT };
enum error_kind { ERROR_KIND_LIST(CASE_ENUM_CODE) ERROR_KIND__COUNT };
#undef CASE_ENUM_OFFENSE
#undef CASE_ENUM_CODE

/* Enum value lists (NULL-terminated, in enum order), shared by both
 * field tables. */
extern const char *const offense_values[];
extern const char *const offense_articles[];
extern const char *const offense_names[];
extern const char *const defendant_kind_values[];
extern const char *const penalty_kind_values[];
extern const char *const status_values[];
extern const char *const error_kind_values[];
extern const char *const fine_rule_values[]; /* with_or_alone */

/* Find a column by name; returns its index or -1. */
int case_field_find(const char *name);
int rec_field_find(const char *name);
/* Index of s in a NULL-terminated value list, or -1. */
int enum_find(const char *const *values, const char *s);

/* A set of values indexed by field id. present[i] says whether field i was
 * recorded; num[i] holds integers, fen, 0/1, days or enum index; text[i]
 * holds TEXT, ENUM, DATE (canonical) and LIST values (owned, NULL when
 * absent or not textual). */
struct act {
    long line; /* input line of the row, 0 when it came from the database */
    unsigned char present[F__COUNT];
    int64_t num[F__COUNT];
    char *text[F__COUNT];
};

/* Release the strings of an act and zero it. */
void act_fini(struct act *a);
/* Set field f to a copy of s (text types). Returns false when out of memory. */
bool act_set_text(struct act *a, enum case_field f, const char *s);

/* One defendant and one offense with its acts (accumulated by the rules). */
struct charge {
    int64_t id;        /* database id, 0 when not stored */
    int64_t facts_rev; /* bumped whenever one of its acts changes */
    int64_t run_date;  /* the day of the run evaluating it (days since 1970-01-01): its trial
                        * date when no conviction date is recorded; 0: none given */
    struct act *acts;  /* owned array of n_acts acts, ordered by act_no */
    size_t n_acts;
    size_t cap_acts;
};

void charge_fini(struct charge *c);
/* Append a zeroed act and return it (owned by c), or NULL when out of memory. */
struct act *charge_add_act(struct charge *c);

/* A recommendation: one row of recommendations.csv plus its trace. */
struct rec {
    unsigned char present[R__COUNT];
    int64_t num[R__COUNT];
    char *text[R__COUNT];
    char *trace_json; /* owned JSON array of trace entries, or NULL */
};

void rec_fini(struct rec *r);
bool rec_set_text(struct rec *r, enum rec_field f, const char *s);
void rec_set_num(struct rec *r, enum rec_field f, int64_t v);
/* Make r an error result with message msg, keeping its keys and rule set:
 * every other field is cleared. The message may quote what a rule raised
 * or returned (any bytes): it is stored escaped, valid UTF-8 without
 * control characters, so that the database takes it and a terminal shows
 * it safely. False when out of memory (r then has no status). */
bool rec_set_error(struct rec *r, enum error_kind kind, const char *msg);
/* Is the len bytes at item one of the items of the ';'-separated list
 * (a list column's text; NULL: empty)? */
bool rec_list_has(const char *list, const char *item, size_t len);

/* Field f of r as recommendations.csv text ("" when absent; amounts, kept
 * in fen, as yuan). */
void rec_value_text(const struct rec *r, int f, char *buf, size_t len);
/* The first field (rule_set aside) in which a and b differ, or -1. a is
 * the reference (a stored row): a column added after it was written
 * (error_kind, law_version) and absent from a is not compared. */
int rec_diff(const struct rec *a, const struct rec *b);

#endif
