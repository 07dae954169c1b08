/*-------------------------------------------------------------------------
 * test_rules.c
 *     Unit tests of the rule engine (rules.c, rules_api.c) without a
 *     database: each test writes a tiny rule set into a fresh temporary
 *     folder, loads it and evaluates a hand-built charge.
 *
 * Covered: loading and the rule set id, what a rule sees of a charge, how
 * its result is read back, load failures, the sandbox, the frozen
 * environment, the instruction budget, the memory cap, and malformed
 * results, which must make the case an error and never crash the host.
 *
 * tests/unit/test_rules.c
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

#include <lauxlib.h>
#include <lua.h>

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Small limits so that runaway rules stop quickly. */
#define TEST_INSTRUCTIONS 100000
#define TEST_MEMORY (4u << 20)

/* An evaluate() result that passes the host's contract checks, for a
 * person: exempt, threshold not met. Kept on one line so that line numbers
 * in the tests below are easy to count (the prelude is line 1). */
#define OK_FN                                                                                      \
    "local function ok(x) local r = {status = 'ok', threshold_met = false, "                       \
    "recommended_kind = 'exempt', fine_min_yuan = 100000, "                                        \
    "citations = {'CL:287-2', 'P2000:2'}} "                                                        \
    "for k, v in pairs(x or {}) do r[k] = v end return r end\n"

struct fixture {
    char dir[64]; /* the rule folder, removed by teardown */
    struct rules_limits lim;
    struct rules *r;
    struct charge c;
    struct rec rec;
    struct err err;
};

/* ----------------------------------------------------------------------
 * Helpers
 * ----------------------------------------------------------------------
 */

static void put_bytes(struct fixture *f, const char *name, const char *data, size_t len)
{
    char path[256];
    FILE *fp;

    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static void put(struct fixture *f, const char *name, const char *text)
{
    put_bytes(f, name, text, strlen(text));
}

/* A rule set of one file, rules.lua. */
static void one_file(struct fixture *f, const char *text)
{
    put(f, "MANIFEST", "rules.lua\n");
    put(f, "rules.lua", text);
}

static enum status load(struct fixture *f)
{
    rules_free(f->r);
    f->r = NULL;
    err_clear(&f->err);
    return rules_load(&f->r, f->dir, &f->lim, &f->err);
}

static void load_ok(struct fixture *f)
{
    if (load(f) != ST_OK)
        fail_msg("rules_load failed: %s (%s)", f->err.msg, f->err.detail);
    assert_non_null(f->r);
}

/* Expect rules_load to fail with ST_ERULES and a message containing each
 * of the NULL-terminated needles. */
static void load_fails(struct fixture *f, ...)
{
    va_list ap;
    const char *needle;

    assert_int_equal(load(f), ST_ERULES);
    assert_null(f->r);
    va_start(ap, f);
    while ((needle = va_arg(ap, const char *)) != NULL)
        if (!strstr(f->err.msg, needle)) {
            va_end(ap);
            fail_msg("load error \"%s\" does not mention \"%s\"", f->err.msg, needle);
        }
    va_end(ap);
}

static void eval(struct fixture *f)
{
    /* As run evaluates a case: the rules, then the contract check. */
    if (recommend(f->r, &f->c, &f->rec, &f->err) != ST_OK)
        fail_msg("recommend failed: %s", f->err.msg);
    /* The host fills these whatever the rules did. */
    assert_string_equal(f->rec.text[R_CASE_NO], f->c.acts[0].text[F_CASE_NO]);
    assert_string_equal(f->rec.text[R_DEFENDANT_NO], f->c.acts[0].text[F_DEFENDANT_NO]);
    assert_string_equal(f->rec.text[R_OFFENSE], "help_network_crime");
    assert_int_equal(f->rec.num[R_OFFENSE], 2);
    assert_string_equal(f->rec.text[R_RULE_SET], rules_id(f->r));
}

static void assert_case_ok(struct fixture *f)
{
    assert_true(f->rec.present[R_STATUS]);
    if (f->rec.num[R_STATUS] != 0)
        fail_msg("case error: %s", f->rec.text[R_ERROR] ? f->rec.text[R_ERROR] : "(none)");
    assert_string_equal(f->rec.text[R_STATUS], "ok");
    assert_false(f->rec.present[R_ERROR]);
}

/* Expect the case to be an error whose message contains each needle, with
 * no result fields but the host's left over and an error_kind. */
static void assert_case_error(struct fixture *f, ...)
{
    va_list ap;
    const char *needle;
    const char *msg = f->rec.text[R_ERROR];

    assert_true(f->rec.present[R_STATUS]);
    assert_int_equal(f->rec.num[R_STATUS], 1);
    assert_string_equal(f->rec.text[R_STATUS], "error");
    assert_true(f->rec.present[R_ERROR]);
    assert_non_null(msg);
    va_start(ap, f);
    while ((needle = va_arg(ap, const char *)) != NULL)
        if (!strstr(msg, needle)) {
            va_end(ap);
            fail_msg("case error \"%s\" does not mention \"%s\"", msg, needle);
        }
    va_end(ap);
    assert_true(f->rec.present[R_ERROR_KIND]);
    for (int i = 0; i < R__COUNT; i++)
        if (i != R_STATUS && i != R_ERROR && i != R_ERROR_KIND && i != R_CASE_NO &&
            i != R_DEFENDANT_NO && i != R_OFFENSE && i != R_RULE_SET && f->rec.present[i])
            fail_msg("error case keeps '%s'", rec_fields[i].name);
    assert_null(f->rec.trace_json);
}

static void set_num(struct act *a, enum case_field f, int64_t v)
{
    a->num[f] = v;
    a->present[f] = 1;
}

static void set_enum(struct act *a, enum case_field f, const char *s)
{
    int k = enum_find(case_fields[f].enum_values, s);

    assert_true(k >= 0);
    assert_true(act_set_text(a, f, s));
    a->num[f] = k;
}

static void set_date(struct act *a, enum case_field f, int y, unsigned m, unsigned d)
{
    char s[16];

    snprintf(s, sizeof s, "%04d-%02u-%02u", y, m, d);
    assert_true(act_set_text(a, f, s));
    a->num[f] = days_from_civil(y, m, d);
}

/* Act act_no of the charge used by every test: a person, CL 287-2. */
static struct act *add_act(struct charge *c, int act_no)
{
    struct act *a = charge_add_act(c);

    assert_non_null(a);
    assert_true(act_set_text(a, F_CASE_NO, "(2021)京0105刑初123号"));
    assert_true(act_set_text(a, F_DEFENDANT_NO, "1"));
    set_num(a, F_ACT_NO, act_no);
    assert_true(act_set_text(a, F_COURT_CODE, "110105"));
    set_enum(a, F_OFFENSE, "help_network_crime");
    set_date(a, F_OFFENSE_DATE, 2021, 3, 4);
    set_enum(a, F_DEFENDANT_KIND, "person");
    return a;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/test_rules.XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    rules_limits_default(&f->lim);
    f->lim.instructions = TEST_INSTRUCTIONS;
    f->lim.memory = TEST_MEMORY;
    add_act(&f->c, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    rules_free(f->r);
    rec_fini(&f->rec);
    charge_fini(&f->c);
    remove_dir(f->dir);
    free(f);
    return 0;
}

/* ----------------------------------------------------------------------
 * Loading and the rule set id
 * ----------------------------------------------------------------------
 */

static void a_good_rule_set_loads_and_its_id_is_16_hex_digits(void **state)
{
    struct fixture *f = *state;
    const char *id;

    put(f, "MANIFEST", "# the rules\n\ncommon.lua\n  evaluate.lua  \r\n");
    put(f, "common.lua", OK_FN "function helper() return ok() end\n");
    put(f, "evaluate.lua", "function evaluate(c) return helper() end\n");
    load_ok(f);
    id = rules_id(f->r);
    assert_int_equal(strlen(id), 16);
    for (int i = 0; i < 16; i++)
        if (!isxdigit((unsigned char)id[i]) || isupper((unsigned char)id[i]))
            fail_msg("rule set id '%s' is not 16 lowercase hex digits", id);
    eval(f);
    assert_case_ok(f);
}

static void the_id_changes_with_a_file_and_stays_when_nothing_changes(void **state)
{
    struct fixture *f = *state;
    char first[17], again[17];

    put(f, "MANIFEST", "a.lua\nb.lua\n");
    put(f, "a.lua", "limit = 1\n");
    put(f, "b.lua", OK_FN "function evaluate(c) return ok() end\n");
    load_ok(f);
    snprintf(first, sizeof first, "%s", rules_id(f->r));

    load_ok(f);
    snprintf(again, sizeof again, "%s", rules_id(f->r));
    assert_string_equal(first, again);

    put(f, "a.lua", "limit = 2\n");
    load_ok(f);
    assert_string_not_equal(rules_id(f->r), first);

    put(f, "a.lua", "limit = 1\n"); /* back as it was: the same id again */
    load_ok(f);
    assert_string_equal(rules_id(f->r), first);

    put(f, "MANIFEST", "a.lua\n# a comment\nb.lua\n"); /* the MANIFEST counts too */
    load_ok(f);
    assert_string_not_equal(rules_id(f->r), first);
}

/* ----------------------------------------------------------------------
 * Reading the result back
 * ----------------------------------------------------------------------
 */

static void every_kind_of_result_value_is_read_back(void **state)
{
    struct fixture *f = *state;

    one_file(f,
             "function evaluate(c)\n"
             "  return {status = 'ok', threshold_met = true,\n"
             "    threshold_basis = {'I2019:12.1.1', 'I2019:12.1.4'},\n"
             "    statutory_kinds = {'fixed_term', 'detention'}, statutory_max_months = 36,\n"
             "    fine_rule = 'with_or_alone', fine_min_yuan = 100000,\n"
             "    recommended_kind = 'fixed_term', recommended_months = 10,\n"
             "    range_low_months = 8, range_high_months = 12,\n"
             "    suspension_allowed = true, recommended_suspended = true,\n"
             "    probation_min_months = 12, probation_max_months = 60,\n"
             "    recommended_fine_yuan = 1234567,\n"
             "    ban_eligible = true, ban_min_years = 3, ban_max_years = 5,\n"
             "    ban_recommended_years = 4, injunction_eligible = true,\n"
             "    review_flags = {'knowledge_inferred'},\n"
             "    citations = {'CL:287-2', 'CL:72', 'CL:73', 'CL:37-1', 'I2019:18', 'P2000:2'}}\n"
             "end\n");
    load_ok(f);
    eval(f);
    assert_case_ok(f);
    assert_true(f->rec.present[R_THRESHOLD_MET]);
    assert_int_equal(f->rec.num[R_THRESHOLD_MET], 1);
    assert_string_equal(f->rec.text[R_THRESHOLD_BASIS], "I2019:12.1.1;I2019:12.1.4");
    assert_string_equal(f->rec.text[R_STATUTORY_KINDS], "fixed_term;detention");
    assert_int_equal(f->rec.num[R_STATUTORY_MAX_MONTHS], 36);
    assert_string_equal(f->rec.text[R_FINE_RULE], "with_or_alone");
    assert_int_equal(f->rec.num[R_FINE_RULE], 0);
    assert_int_equal(f->rec.num[R_FINE_MIN_YUAN], 100000); /* fen */
    assert_string_equal(f->rec.text[R_RECOMMENDED_KIND], "fixed_term");
    assert_int_equal(f->rec.num[R_RECOMMENDED_KIND], 0);
    assert_int_equal(f->rec.num[R_RECOMMENDED_MONTHS], 10);
    assert_int_equal(f->rec.num[R_RANGE_LOW_MONTHS], 8);
    assert_int_equal(f->rec.num[R_RANGE_HIGH_MONTHS], 12);
    assert_int_equal(f->rec.num[R_SUSPENSION_ALLOWED], 1);
    assert_int_equal(f->rec.num[R_RECOMMENDED_SUSPENDED], 1);
    assert_int_equal(f->rec.num[R_PROBATION_MIN_MONTHS], 12);
    assert_int_equal(f->rec.num[R_PROBATION_MAX_MONTHS], 60);
    assert_int_equal(f->rec.num[R_RECOMMENDED_FINE_YUAN], 1234567); /* 12345.67 yuan */
    assert_int_equal(f->rec.num[R_BAN_ELIGIBLE], 1);
    assert_int_equal(f->rec.num[R_BAN_RECOMMENDED_YEARS], 4);
    assert_int_equal(f->rec.num[R_INJUNCTION_ELIGIBLE], 1);
    assert_string_equal(f->rec.text[R_REVIEW_FLAGS], "knowledge_inferred");
    assert_string_equal(f->rec.text[R_CITATIONS], "CL:287-2;CL:72;CL:73;CL:37-1;I2019:18;P2000:2");
    assert_null(f->rec.trace_json); /* no trace given */
}

static void false_and_nil_results_are_told_apart(void **state)
{
    struct fixture *f = *state;

    one_file(f, OK_FN "function evaluate(c)\n"
                      "  return ok{suspension_allowed = false, review_flags = nil}\n"
                      "end\n");
    load_ok(f);
    eval(f);
    assert_case_ok(f);
    assert_true(f->rec.present[R_THRESHOLD_MET]);
    assert_int_equal(f->rec.num[R_THRESHOLD_MET], 0);
    assert_true(f->rec.present[R_SUSPENSION_ALLOWED]);
    assert_int_equal(f->rec.num[R_SUSPENSION_ALLOWED], 0);
    assert_false(f->rec.present[R_REVIEW_FLAGS]); /* nil = empty cell */
    assert_false(f->rec.present[R_RECOMMENDED_MONTHS]);
    assert_string_equal(f->rec.text[R_RECOMMENDED_KIND], "exempt");
}

static void the_trace_is_stored_as_json_with_sorted_keys(void **state)
{
    struct fixture *f = *state;

    one_file(f, OK_FN "function evaluate(c)\n"
                      "  return ok{trace = {\n"
                      "    {step = 'threshold', cite = 'I2019:12.1.1', result = true,\n"
                      "     facts = {payment_settled_yuan = 2000000050, helped_parties = 3},\n"
                      "     note = '情节严重 \"quoted\"\\n'},\n"
                      "    {step = 'surrender', pct = -12.5, result = 7},\n"
                      "  }}\n"
                      "end\n");
    load_ok(f);
    eval(f);
    assert_case_ok(f);
    assert_non_null(f->rec.trace_json);
    assert_string_equal(f->rec.trace_json,
                        "[{\"cite\":\"I2019:12.1.1\","
                        "\"facts\":{\"helped_parties\":3,\"payment_settled_yuan\":2000000050},"
                        "\"note\":\"情节严重 \\\"quoted\\\"\\n\",\"result\":true,"
                        "\"step\":\"threshold\"},"
                        "{\"pct\":-12.5,\"result\":7,\"step\":\"surrender\"}]");
}

static void a_trace_that_cannot_be_stored_makes_the_case_an_error(void **state)
{
    struct fixture *f = *state;

    one_file(f, OK_FN "function evaluate(c)\n"
                      "  if c.acts[1].helped_parties == 1 then\n"
                      "    return ok{trace = {{step = 'x', f = function() end}}}\n"
                      "  elseif c.acts[1].helped_parties == 2 then\n"
                      "    local t = {step = 'loop'} t.self = t\n"
                      "    return ok{trace = {t}}\n"
                      "  elseif c.acts[1].helped_parties == 3 then\n"
                      "    return ok{trace = {{[true] = 1}}}\n"
                      "  end\n"
                      "  return ok{trace = 'text'}\n"
                      "end\n");
    load_ok(f);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 1);
    eval(f);
    assert_case_error(f, "trace", "function", NULL);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 2);
    eval(f);
    assert_case_error(f, "trace", "nested", NULL);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 3);
    eval(f);
    assert_case_error(f, "trace", "keys must be strings", NULL);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 4);
    eval(f);
    assert_case_error(f, "'trace'", NULL);
}

/* ----------------------------------------------------------------------
 * What a rule sees
 * ----------------------------------------------------------------------
 */

static void facts_arrive_typed_with_amounts_in_fen_and_unrecorded_ones_assumed(void **state)
{
    struct fixture *f = *state;
    struct act *a = &f->c.acts[0], *b;

    set_num(a, F_HELPED_PARTIES, 3);
    set_num(a, F_PAYMENT_SETTLED_YUAN, 2000000050); /* 20,000,000.50 yuan */
    set_num(a, F_SURRENDERED, 1);
    set_num(a, F_CONFESSED, 0); /* recorded as false: not assumed */
    set_num(a, F_AGE_AT_OFFENSE, 19);
    set_date(a, F_CONVICTION_DATE, 2022, 1, 20);
    set_num(a, F_ACTUAL_MONTHS, 12); /* never shown to the rules */
    b = add_act(&f->c, 2);
    assert_true(act_set_text(b, F_KNOWLEDGE_BASIS, "交易价格明显异常"));
    set_num(b, F_CARD_INFLOW_YUAN, 0); /* recorded zero: not assumed */
    a = &f->c.acts[0];                 /* charge_add_act may move the array */

    one_file(
        f, OK_FN
        "function evaluate(c)\n"
        "  assert(getmetatable(c) ~= nil and #c.acts == 2, 'two acts')\n"
        "  assert(c.case_no == '(2021)京0105刑初123号', 'case_no')\n"
        "  assert(c.defendant_no == '1' and c.offense == 'help_network_crime', 'key')\n"
        "  local a, b = c.acts[1], c.acts[2]\n"
        "  assert(a.act_no == 1 and b.act_no == 2, 'act_no order')\n"
        "  assert(math.type(a.payment_settled_yuan) == 'integer', 'fen is an integer')\n"
        "  assert(a.payment_settled_yuan == 2000000050, 'fen')\n"
        "  assert(math.type(a.helped_parties) == 'integer' and a.helped_parties == 3, 'count')\n"
        "  assert(a.surrendered == true and a.confessed == false, 'bools')\n"
        "  assert(a.age_at_offense == 19, 'int')\n"
        "  assert(a.offense_date == '2021-03-04' and a.offense_date < '2021-11-01', 'date')\n"
        "  assert(a.conviction_date == '2022-01-20' and b.conviction_date == false, 'opt date')\n"
        "  assert(a.defendant_kind == 'person' and a.offense == 'help_network_crime', 'enum')\n"
        "  assert(a.court_code == '110105', 'text')\n"
        "  assert(a.knowledge_basis == false and b.knowledge_basis == '交易价格明显异常', 'kb')\n"
        "  assert(a.card_inflow_yuan == 0 and a.assumed.card_inflow_yuan == true, 'amt 0')\n"
        "  assert(b.card_inflow_yuan == 0 and b.assumed.card_inflow_yuan == nil, 'rec 0')\n"
        "  assert(a.leak_caused_harm == false and a.assumed.leak_caused_harm, 'bool false')\n"
        "  assert(a.pregnant == false and a.assumed.pregnant, 'circumstance false')\n"
        "  assert(b.helped_parties == 0 and b.assumed.helped_parties, 'count 0')\n"
        "  assert(a.assumed.helped_parties == nil and a.assumed.surrendered == nil, 'rec')\n"
        "  assert(a.assumed.confessed == nil and a.assumed.conviction_date == nil, 'opt')\n"
        "  assert(a.assumed.age_at_offense == nil and a.assumed.knowledge_basis == nil, 'o')\n"
        "  assert(rawget(a, 'actual_months') == nil, 'actual_* hidden')\n"
        "  return ok()\n"
        "end\n");
    load_ok(f);
    eval(f);
    assert_case_ok(f);
}

/* An error the rules return is the case's: its kind is theirs to say
 * (legal or data), data when they do not; an ok result carries none. */
static void an_error_the_rules_return_keeps_its_kind_or_is_a_data_error(void **state)
{
    struct fixture *f = *state;

    one_file(f, OK_FN "function evaluate(c)\n"
                      "  local n = c.acts[1].helped_parties\n"
                      "  if n == 0 then return {status = 'error', error = 'too old', "
                      "error_kind = 'legal'} end\n"
                      "  if n == 1 then return {status = 'error', error = 'no date'} end\n"
                      "  return ok{error_kind = 'data'}\n"
                      "end\n");
    load_ok(f);
    eval(f);
    assert_case_error(f, "too old", NULL);
    assert_string_equal(f->rec.text[R_ERROR_KIND], "legal");
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 1);
    eval(f);
    assert_case_error(f, "no date", NULL);
    assert_string_equal(f->rec.text[R_ERROR_KIND], "data");
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 2);
    eval(f);
    assert_case_error(f, "must not carry an 'error' or an 'error_kind'", NULL);
    assert_string_equal(f->rec.text[R_ERROR_KIND], "rule");
}

static void reading_an_unknown_fact_is_a_case_error_naming_file_and_line(void **state)
{
    struct fixture *f = *state;

    set_num(&f->c.acts[0], F_ACTUAL_MONTHS, 12);
    one_file(f,
             OK_FN "function evaluate(c)\n"
                   "  local n = c.acts[1].helped_parties\n"
                   "  if n == 0 then return ok{threshold_met = c.acts[1].helped_partys > 0} end\n"
                   "  if n == 1 then return ok{threshold_met = c.acts[1].actual_months > 0} end\n"
                   "  return ok{threshold_met = c.defendant > 0}\n"
                   "end\n");
    load_ok(f);
    eval(f);
    assert_case_error(f, "rules.lua:4:", "unknown fact 'helped_partys'", NULL);
    assert_string_equal(f->rec.text[R_ERROR_KIND], "rule");
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 1);
    eval(f);
    assert_case_error(f, "rules.lua:5:", "unknown fact 'actual_months'", NULL);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 2);
    eval(f);
    assert_case_error(f, "rules.lua:6:", "unknown case field 'defendant'", NULL);
}

/* ----------------------------------------------------------------------
 * Load failures
 * ----------------------------------------------------------------------
 */

static void a_syntax_error_fails_the_load_naming_file_and_line(void **state)
{
    struct fixture *f = *state;

    put(f, "MANIFEST", "good.lua\nbad.lua\n");
    put(f, "good.lua", "x = 1\n");
    put(f, "bad.lua",
        "function evaluate(c)\n"
        "  return {status = 'ok'\n"
        "end end\n");
    load_fails(f, "bad.lua:3:", NULL);
}

static void a_runtime_error_while_loading_fails_the_load_naming_file_and_line(void **state)
{
    struct fixture *f = *state;

    put(f, "MANIFEST", "params.lua\n");
    put(f, "params.lua",
        "local limits = {}\n"
        "threshold = limits.helped.parties\n"
        "function evaluate(c) return {} end\n");
    load_fails(f, "params.lua:2:", NULL);

    put(f, "params.lua", "\n\nerror('bad parameter table')\n");
    load_fails(f, "params.lua:3:", "bad parameter table", NULL);
}

static void a_manifest_naming_a_missing_file_fails(void **state)
{
    struct fixture *f = *state;

    put(f, "MANIFEST", "rules.lua\nmissing.lua\n");
    put(f, "rules.lua", OK_FN "function evaluate(c) return ok() end\n");
    load_fails(f, "missing.lua", NULL);
}

/* A rule file the MANIFEST does not list would be silently ignored: the
 * load fails naming it, unless a comment line names it (a module kept in
 * the folder, switched off). */
static void a_rule_file_missing_from_the_manifest_fails_unless_switched_off(void **state)
{
    struct fixture *f = *state;

    put(f, "MANIFEST", "rules.lua\n");
    put(f, "rules.lua", OK_FN "function evaluate(c) return ok() end\n");
    put(f, "extra.lua", "-- a module someone forgot to list\n");
    load_fails(f, "extra.lua:1: not listed in MANIFEST", NULL);
    put(f, "MANIFEST", "rules.lua\n# extra.lua (switched off until its source is verified)\n");
    load_ok(f);
    put(f, "MANIFEST", "rules.lua\n# extra.luac\n");
    load_fails(f, "extra.lua:1:", NULL);
}

static void a_manifest_reaching_outside_the_folder_fails(void **state)
{
    struct fixture *f = *state;
    static const char *const bad[] = {"/etc/passwd\n", "sub/rules.lua\n", "../rules.lua\n", "..\n",
                                      "rules.lua\n..rules.lua\n"};

    put(f, "rules.lua", OK_FN "function evaluate(c) return ok() end\n");
    put(f, "..rules.lua", "\n");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put(f, "MANIFEST", bad[i]);
        load_fails(f, "not in the rule folder", NULL);
    }
}

static void an_empty_or_missing_manifest_fails(void **state)
{
    struct fixture *f = *state;

    load_fails(f, "MANIFEST", NULL); /* no MANIFEST at all */
    put(f, "rules.lua", OK_FN "function evaluate(c) return ok() end\n");
    put(f, "MANIFEST", "");
    load_fails(f, "lists no files", NULL);
    put(f, "MANIFEST", "# only a comment\n\n   \n");
    load_fails(f, "lists no files", NULL);
}

static void a_rule_set_without_evaluate_fails(void **state)
{
    struct fixture *f = *state;

    one_file(f, "function evaluat(c) return {} end\n");
    load_fails(f, "does not define evaluate", NULL);
    one_file(f, "evaluate = 42\n");
    load_fails(f, "does not define evaluate", NULL);
}

/* ----------------------------------------------------------------------
 * The sandbox
 * ----------------------------------------------------------------------
 */

static const char *const forbidden[] = {
    "os",    "io",      "require",        "dofile", "loadfile",  "load",
    "debug", "package", "collectgarbage", "print",  "coroutine", NULL,
};

static void dangerous_globals_are_unknown_while_loading(void **state)
{
    struct fixture *f = *state;
    char text[256], needle[64];

    for (int i = 0; forbidden[i]; i++) {
        snprintf(text, sizeof text, "local x = %s\nfunction evaluate(c) return {} end\n",
                 forbidden[i]);
        one_file(f, text);
        snprintf(needle, sizeof needle, "unknown global '%s'", forbidden[i]);
        load_fails(f, "rules.lua:1:", needle, NULL);
    }
}

static void dangerous_globals_are_unknown_inside_evaluate(void **state)
{
    struct fixture *f = *state;
    char text[512], needle[64];

    for (int i = 0; forbidden[i]; i++) {
        snprintf(text, sizeof text,
                 OK_FN "function evaluate(c)\n"
                       "  local x = %s\n"
                       "  return ok()\n"
                       "end\n",
                 forbidden[i]);
        one_file(f, text);
        load_ok(f);
        eval(f);
        snprintf(needle, sizeof needle, "unknown global '%s'", forbidden[i]);
        assert_case_error(f, "rules.lua:3:", needle, NULL);
    }
}

static void the_safe_libraries_and_log_are_available(void **state)
{
    struct fixture *f = *state;

    f->lim.log = false;
    one_file(f,
             OK_FN "local s = string.format('%d', math.floor(2.5)) .. utf8.char(20154)\n"
                   "local t = {3, 1, 2} table.sort(t)\n"
                   "assert(s == '2人' and table.concat(t, ',') == '1,2,3', 'libs')\n"
                   "assert(select('#', 1, 2) == 2 and tostring(1) == '1' and tonumber('2') == 2)\n"
                   "assert(type(pairs) == 'function' and type(ipairs) == 'function')\n"
                   "assert(type(pcall) == 'function' and type(xpcall) == 'function')\n"
                   "assert(type(setmetatable) == 'function' and type(next) == 'function')\n"
                   "assert(type(log) == 'function' and _VERSION == 'Lua 5.4')\n"
                   "log('loaded')\n"
                   "function evaluate(c)\n"
                   "  log('evaluating ' .. c.case_no)\n"
                   "  local okp, e = pcall(error, 'caught')\n"
                   "  assert(not okp and e == 'caught', 'pcall')\n"
                   "  return ok{citations = {('cl:287-2'):upper(), 'P2000:2'}}\n"
                   "end\n");
    load_ok(f);
    eval(f);
    assert_case_ok(f);
    assert_string_equal(f->rec.text[R_CITATIONS], "CL:287-2;P2000:2");
}

/* Write the bytecode of a valid rule set, compiled by a separate state. */
static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
    (void)L;
    return buf_add(ud, p, sz) ? 0 : 1;
}

static void bytecode_is_refused(void **state)
{
    struct fixture *f = *state;
    struct buf code = {0};
    lua_State *L;

    put(f, "MANIFEST", "rules.lua\n");
    put_bytes(f, "rules.lua", "\x1bLua\x54\x00 not really", 16);
    load_fails(f, "rules.lua", "binary", NULL);

    /* Real bytecode of a valid rule set, too. */
    L = luaL_newstate();
    assert_non_null(L);
    assert_int_equal(luaL_loadstring(L, "function evaluate(c) return {status = 'ok'} end"), LUA_OK);
    assert_int_equal(lua_dump(L, dump_writer, &code, 0), 0);
    lua_close(L);
    put_bytes(f, "rules.lua", code.data, code.len);
    buf_fini(&code);
    load_fails(f, "binary", "mode is 't'", NULL);
}

static void string_dump_and_load_are_not_offered(void **state)
{
    struct fixture *f = *state;

    one_file(f, "local code = string.dump(function() return 1 end)\n"
                "function evaluate(c) return {} end\n");
    load_fails(f, "rules.lua:1:", "dump", NULL);
    one_file(f, "local fn = load('return 1')\n"
                "function evaluate(c) return {} end\n");
    load_fails(f, "rules.lua:1:", "unknown global 'load'", NULL);
}

/* ----------------------------------------------------------------------
 * The frozen environment
 * ----------------------------------------------------------------------
 */

static void globals_defined_while_loading_are_shared_by_later_files(void **state)
{
    struct fixture *f = *state;

    put(f, "MANIFEST", "params.lua\ncommon.lua\nevaluate.lua\n");
    put(f, "params.lua", "PARAMS = {months = 8}\ncounter = 1\n");
    put(f, "common.lua", OK_FN "function result(n) return ok{review_flags = {'m' .. n}} end\n");
    put(f, "evaluate.lua",
        "function evaluate(c)\n"
        "  if c.acts[1].helped_parties == 1 then counter = counter + 1 end\n"
        "  return result(PARAMS.months + counter)\n"
        "end\n");
    load_ok(f);
    eval(f);
    assert_case_ok(f);
    assert_string_equal(f->rec.text[R_REVIEW_FLAGS], "m9");
    /* Read-only once loaded: a case that would change one is an error. */
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 1);
    eval(f);
    assert_case_error(f, "evaluate.lua:2:", "global 'counter'", "read-only", NULL);
}

static void assigning_a_new_global_inside_evaluate_is_a_case_error(void **state)
{
    struct fixture *f = *state;

    one_file(f, OK_FN "function evaluate(c)\n"
                      "  total = 1\n"
                      "  return ok()\n"
                      "end\n");
    load_ok(f);
    eval(f);
    assert_case_error(f, "rules.lua:3:", "total", NULL);
    eval(f); /* still refused on the next case: the failed assignment left nothing */
    assert_case_error(f, "rules.lua:3:", "total", NULL);
}

static void the_frozen_environment_cannot_be_unfrozen(void **state)
{
    struct fixture *f = *state;

    one_file(f, OK_FN "function evaluate(c)\n"
                      "  setmetatable(_ENV, nil)\n"
                      "  return ok()\n"
                      "end\n");
    load_ok(f);
    eval(f);
    assert_case_error(f, "rules.lua:3:", "may not change _ENV", NULL);
}

/* Patterns backtrack inside C, out of the budget's reach: only plain find. */
static void pattern_matching_is_not_offered_and_find_is_plain(void **state)
{
    struct fixture *f = *state;
    double t0;

    one_file(f, OK_FN "function evaluate(c)\n"
                      "  assert(string.find('a.b', '.', 1) == 2)\n"
                      "  assert(('a.b'):find('.') == 2)\n"
                      "  assert(string.match == nil and string.gsub == nil)\n"
                      "  assert(string.gmatch == nil)\n"
                      "  if c.acts[1].helped_parties == 1 then return ok() end\n"
                      "  string.find(string.rep('a', 40), string.rep('a*', 30) .. 'b')\n"
                      "  return ok()\n"
                      "end\n");
    load_ok(f);
    t0 = now();
    eval(f);
    assert_true(now() - t0 < 5.0);
    assert_case_ok(f);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 1);
    eval(f);
    assert_case_ok(f);
}

/* ----------------------------------------------------------------------
 * The instruction budget
 * ----------------------------------------------------------------------
 */

static void an_endless_loop_in_evaluate_hits_the_budget(void **state)
{
    struct fixture *f = *state;
    double t0;

    one_file(f, OK_FN "function evaluate(c)\n"
                      "  if c.acts[1].helped_parties == 1 then return ok() end\n"
                      "  while true do end\n"
                      "end\n");
    load_ok(f);
    t0 = now();
    eval(f);
    assert_true(now() - t0 < 5.0);
    assert_case_error(f, "rules.lua:4:", "instruction budget", "100000", NULL);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 1);
    eval(f); /* the budget is per call: the next case runs */
    assert_case_ok(f);
}

static void pcall_cannot_swallow_the_budget(void **state)
{
    struct fixture *f = *state;
    double t0;

    one_file(f, OK_FN "function evaluate(c)\n"
                      "  if c.acts[1].helped_parties == 1 then return ok() end\n"
                      "  while true do pcall(function() while true do end end) end\n"
                      "end\n");
    load_ok(f);
    t0 = now();
    eval(f);
    assert_true(now() - t0 < 5.0);
    assert_case_error(f, "instruction budget", NULL);

    one_file(f, OK_FN "function evaluate(c)\n"
                      "  if c.acts[1].helped_parties == 1 then return ok() end\n"
                      "  local function h() while true do end end\n"
                      "  while true do xpcall(h, h) end\n"
                      "end\n");
    load_ok(f);
    t0 = now();
    eval(f);
    assert_true(now() - t0 < 5.0);
    assert_case_error(f, NULL); /* budget or "error in error handling": contained */
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 1);
    eval(f);
    assert_case_ok(f);
}

static void xpcall_handlers_run_under_the_budget_and_keep_their_meaning(void **state)
{
    struct fixture *f = *state;
    double t0;

    one_file(f, OK_FN
             "function evaluate(c)\n"
             "  if c.acts[1].helped_parties == 0 then\n"
             "    local s, a, b = xpcall(function(x, y) return x + y, 'two' end, error, 1, 2)\n"
             "    assert(s == true and a == 3 and b == 'two', 'xpcall success')\n"
             "    local s2, m = xpcall(error, function(e) return 'handled: ' .. e end, 'x', 0)\n"
             "    assert(s2 == false and m == 'handled: x', 'xpcall failure')\n"
             "    local s3, m3 = xpcall(error, function(e) error('again', 0) end, 'x')\n"
             "    assert(s3 == false and m3 == 'again', 'failing handler')\n"
             "    return ok()\n"
             "  end\n"
             "  xpcall(function() while true do end end, function() while true do end end)\n"
             "end\n");
    load_ok(f);
    eval(f);
    assert_case_ok(f);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 1);
    t0 = now();
    eval(f);
    assert_true(now() - t0 < 5.0);
    assert_case_error(f, "instruction budget", NULL);
}

static void finalizers_are_refused_so_they_cannot_escape_the_budget(void **state)
{
    struct fixture *f = *state;

    /* Lua runs __gc with hooks off: a looping one would hang the host; it
     * clears weak tables in one step no hook interrupts. setmetatable
     * installs a copy, so neither can be added to the metatable later. */
    one_file(f,
             OK_FN "function evaluate(c)\n"
                   "  local mt = {__index = function() return 0 end}\n"
                   "  local t = setmetatable({}, mt)\n"
                   "  assert(t.anything == 0 and getmetatable(t).__index == mt.__index, 'works')\n"
                   "  mt.__mode = 'k'\n"
                   "  assert(getmetatable(t).__mode == nil, 'a copy')\n"
                   "  if c.acts[1].helped_parties == 1 then return ok() end\n"
                   "  if c.acts[1].helped_parties == 2 then setmetatable({}, {__mode = 'k'}) end\n"
                   "  setmetatable({}, {__gc = function() while true do end end})\n"
                   "  return ok()\n"
                   "end\n");
    load_ok(f);
    eval(f);
    assert_case_error(f, "rules.lua:10:", "__gc", NULL);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 2);
    eval(f);
    assert_case_error(f, "rules.lua:9:", "weak tables (__mode) are not allowed", NULL);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 1);
    eval(f);
    assert_case_ok(f);

    one_file(f, "setmetatable({}, {__gc = function() while true do end end})\n"
                "function evaluate(c) return {} end\n");
    load_fails(f, "rules.lua:1:", "__gc", NULL);
}

static void an_endless_loop_while_loading_fails_the_load(void **state)
{
    struct fixture *f = *state;
    double t0;

    one_file(f, "local n = 0\nwhile true do n = n + 1 end\n");
    t0 = now();
    load_fails(f, "rules.lua:2:", "instruction budget", NULL);
    assert_true(now() - t0 < 5.0);
}

/* ----------------------------------------------------------------------
 * The clock
 * ----------------------------------------------------------------------
 */

/* A rule that runs inside C library calls, where the instruction count
 * does not reach: each must end as a case error naming the time budget (or,
 * for string.rep of nothing, at once), well within a second, and leave the
 * engine fit for the next case. */
struct slow_call {
    const char *code;   /* the body of evaluate() when helped_parties is 0 */
    const char *needle; /* in the case error, or NULL: the case must be ok */
};

static void library_calls_are_bounded_by_the_clock(void **state)
{
    struct fixture *f = *state;
    static const struct slow_call calls[] = {
        /* returns "" without looping math.maxinteger times */
        {"local s = string.rep('', math.maxinteger) assert(s == '')\n"
         "assert(string.rep('ab', 3, ',') == 'ab,ab,ab')",
         NULL},
        /* table functions over huge ranges or lengths: refused at once */
        {"local t = setmetatable({}, {__index = type})\n"
         "table.concat(t, '', 1, math.maxinteger)",
         "rules may walk at most 1000000"},
        {"local t = setmetatable({}, {__index = rawlen})\n"
         "local u = setmetatable({}, {__newindex = rawequal})\n"
         "table.move(t, 1, math.maxinteger // 2, 1, u)",
         "rules may walk at most 1000000"},
        {"local t = setmetatable({}, {__len = function() return math.maxinteger - 1 end})\n"
         "table.insert(t, 1, true)",
         "rules may walk at most 1000000"},
        {"local n = 0 local t = setmetatable({}, {__len = function() n = n + 1\n"
         "return n == 1 and 3 or math.maxinteger - 1 end}) table.remove(t, 1)",
         NULL},
        /* sorting 100,000 references to a long string: comparisons cost
         * time in C, but each is a call the clock stops at */
        {"local s = string.rep('a', 1000000) local t = {}\n"
         "for i = 1, 100000 do t[i] = s end table.sort(t)",
         "time budget of 200 ms"},
        /* table.concat through a C metamethod, within the bound */
        {"local t = setmetatable({}, {__index = type})\n"
         "for i = 1, 1000 do table.concat(t, '', 1, 999999) end",
         "time budget of 200 ms"},
        /* plain find of a 1 MiB needle in 2 MiB: linear, so done in time */
        {"local h = string.rep('a', 2 * 1024 * 1024)\n"
         "local n = string.rep('a', 1024 * 1024 - 1) .. 'b'\n"
         "assert(string.find(h, n) == nil and h:find('aaa', -2) == nil)\n"
         "assert(('xaby'):find('ab') == 2 and ('xaby'):find('', 3) == 3)",
         NULL},
        /* quadratic concatenation, under the instruction budget */
        {"local s = '' for i = 1, 300000 do s = s .. 'xx' end", "time budget of 200 ms"},
        /* the time error swallowed by pcall, again and again */
        {"while true do pcall(function() local s = '' "
         "for i = 1, 1e9 do s = s .. 'x' end end) end",
         "time budget of 200 ms"},
        {"local t = {} for i = 1, 200000 do t[i] = i end table.sort(t)", "table.sort"},
    };
    double t0;
    char text[1024];

    f->lim.instructions = 2000000000L; /* the clock, not the count, must stop these */
    f->lim.memory = 64u << 20;
    f->lim.time_ms = 200;
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        snprintf(text, sizeof text,
                 OK_FN "function evaluate(c)\n"
                       "  if c.acts[1].helped_parties == 1 then return ok() end\n"
                       "%s\n"
                       "  return ok()\n"
                       "end\n",
                 calls[i].code);
        one_file(f, text);
        load_ok(f);
        set_num(&f->c.acts[0], F_HELPED_PARTIES, 0);
        t0 = now();
        eval(f);
        if (now() - t0 > 2.0)
            fail_msg("call %zu took %.1f s", i, now() - t0);
        if (calls[i].needle) {
            assert_case_error(f, "rules.lua:", calls[i].needle, NULL);
        } else {
            assert_case_ok(f);
        }
        set_num(&f->c.acts[0], F_HELPED_PARTIES, 1);
        eval(f);
        assert_case_ok(f);
    }
}

static void an_endless_loop_while_loading_is_stopped_by_the_clock(void **state)
{
    struct fixture *f = *state;
    double t0;

    f->lim.instructions = 2000000000L;
    f->lim.time_ms = 20; /* loading gets 20 times that */
    one_file(f, "local s = ''\nfor i = 1, 1e9 do s = s .. 'x' end\n");
    t0 = now();
    load_fails(f, "rules.lua:2:", "time budget of 400 ms", NULL);
    assert_true(now() - t0 < 3.0);
}

/* ----------------------------------------------------------------------
 * Isolation between cases
 * ----------------------------------------------------------------------
 */

/* Each hostile case tries to change what the rules share; it must become
 * a case error naming what it tried to change, and the next case must get
 * exactly what it got before. */
struct hostile {
    const char *code;   /* run when helped_parties is 1 */
    const char *needle; /* in the case error */
};

static void no_case_can_change_what_the_next_case_sees(void **state)
{
    struct fixture *f = *state;
    static const struct hostile attempts[] = {
        {"PARAMS.steps.months = PARAMS.steps.months * 2", "PARAMS.steps.months"},
        {"PARAMS.months = nil", "PARAMS.months"},
        {"rawset(PARAMS.steps, 'months', 99)", "PARAMS.steps"},
        {"table.insert(PARAMS.list, 'x')", "PARAMS.list"},
        {"table.remove(PARAMS.list)", "PARAMS.list"},
        {"table.sort(PARAMS.list, function(a, b) return a > b end)", "PARAMS.list"},
        {"OFFENSES.help.run = function() return 99 end", "OFFENSES.help.run"},
        {"OFFENSES.help = {run = function() return 99 end}", "OFFENSES.help"},
        {"setmetatable(PARAMS, {__index = function() return 99 end})", "PARAMS"},
        {"getmetatable(setmetatable({}, STRICT)).__index = function() return 99 end",
         "STRICT.__index"},
        {"rawset(_ENV, 'newglobal', 1)", "_ENV"},
        {"rawset(_ENV, 'PARAMS', {})", "_ENV"},
        {"PARAMS = {}", "global 'PARAMS'"},
        {"string.upper = string.lower", "string.upper"},
        {"math.floor = math.ceil", "math.floor"},
        {"local mt = getmetatable('') mt.__index = {}", "index a boolean"},
        {"counter = counter + 1", "global 'counter'"},
        {"bump()", "'hidden'"},
        {"setmetatable(c.acts[1], nil)", "protected metatable"},
        /* pairs() hands out the frozen table, never what holds its contents */
        {"local _, b = pairs(PARAMS) b.months = 99", "PARAMS.months"},
        {"local _, g = pairs(_ENV) g.PARAMS = {}", "global 'PARAMS'"},
        /* an __index function gets the frozen table, so a memo cannot stick */
        {"local x = LABELS.evil", "LABELS"},
        /* tables used as keys are frozen too */
        {"for k in pairs(REGISTRY) do if type(k) == 'table' then k.hits = 1 end end",
         "a key of REGISTRY"},
        /* a shared variable changed by a case that then fails is put back */
        {"carry('leaked') error('boom')", "boom"},
    };
    char first[64];

    put(f, "MANIFEST", "params.lua\nrules.lua\n");
    put(f, "params.lua",
        "PARAMS = {months = 8, steps = {months = 2}, list = {'CL:287-2', 'P2000:2'}}\n"
        "OFFENSES = {help = {run = function(n) return n end}}\n"
        "STRICT = {__index = function(_, k) error('no fact ' .. k) end}\n"
        "counter = 0\n"
        "LABELS = setmetatable({}, {__index = function(t, k)\n"
        "  local v = 'label-' .. k rawset(t, k, v) return v end})\n"
        "REGISTRY = {[{}] = 'counter'}\n"
        "local NAN = 0/0\n"
        "function nan_ok() return NAN ~= NAN end\n"
        "local scratch = nil\n"
        "function carry(v) local old = scratch scratch = v return old end\n"
        "local hidden = 1\n"
        "function bump() hidden = hidden + 1 end\n"
        "function hidden_value() return hidden end\n");
    put(f, "rules.lua",
        OK_FN "function evaluate(c)\n"
              "  local n = c.acts[1].helped_parties\n"
              "  if n ~= 0 then HOSTILE(c) end\n"
              "  local f = setmetatable({x = 1}, STRICT)\n"
              "  assert(getmetatable(f) == STRICT and not pcall(function() return f.y end))\n"
              "  local keys = {}\n"
              "  for k in pairs(PARAMS) do keys[#keys + 1] = k end\n"
              "  table.sort(keys)\n"
              "  assert(#keys == 3 and next(PARAMS) ~= nil and rawget(PARAMS, 'months') == 8)\n"
              "  assert(#PARAMS.list == 2 and rawlen(PARAMS.list) == 2)\n"
              "  assert(table.concat(PARAMS.list, ',') == 'CL:287-2,P2000:2'"
              " and select(2, ipairs(PARAMS.list)))\n"
              "  local months = OFFENSES.help.run(PARAMS.months + PARAMS.steps.months * 2)\n"
              "  return ok{review_flags = {'m' .. months .. ('x'):upper() .. math.floor(1.5)"
              " .. counter .. hidden_value() .. table.concat(keys, '+')},"
              " citations = PARAMS.list}\n"
              "end\n");
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        char hostile[512];

        /* The hostile code goes into a global function of its own file. */
        snprintf(hostile, sizeof hostile, "function HOSTILE(c)\n\n%s\nend\n", attempts[i].code);
        put(f, "MANIFEST", "params.lua\nhostile.lua\nrules.lua\n");
        put(f, "hostile.lua", hostile);
        load_ok(f);
        set_num(&f->c.acts[0], F_HELPED_PARTIES, 0);
        eval(f);
        assert_case_ok(f);
        snprintf(first, sizeof first, "%s", f->rec.text[R_REVIEW_FLAGS]);
        assert_string_equal(first, "m12X101list+months+steps");
        assert_string_equal(f->rec.text[R_CITATIONS], "CL:287-2;P2000:2");
        set_num(&f->c.acts[0], F_HELPED_PARTIES, 1);
        eval(f);
        if (f->rec.num[R_STATUS] != 1 || !strstr(f->rec.text[R_ERROR], attempts[i].needle))
            fail_msg("attempt %zu (%s): got %s", i, attempts[i].code,
                     f->rec.num[R_STATUS] ? f->rec.text[R_ERROR] : "status ok");
        set_num(&f->c.acts[0], F_HELPED_PARTIES, 0);
        eval(f);
        assert_case_ok(f);
        if (strcmp(f->rec.text[R_REVIEW_FLAGS], first) != 0)
            fail_msg("after attempt %zu (%s): %s, before %s", i, attempts[i].code,
                     f->rec.text[R_REVIEW_FLAGS], first);
    }
}

/* ----------------------------------------------------------------------
 * Oversized results
 * ----------------------------------------------------------------------
 */

static void oversized_results_make_the_case_an_error_quickly(void **state)
{
    struct fixture *f = *state;
    static const struct slow_call results[] = {
        /* 64 references to one 5 MB string */
        {"local s = string.rep('x', 5 * 1024 * 1024) local tr = {}\n"
         "for i = 1, 64 do tr[i] = {note = s} end return ok{trace = tr}",
         "trace: longer than 64 KiB"},
        /* one table referenced 100000 times */
        {"local t = {} for i = 1, 1000 do t['k' .. i] = i end local tr = {}\n"
         "for i = 1, 100000 do tr[i] = t end return ok{trace = tr}",
         "trace"},
        {"local t = {} for i = 1, 10000 do t['k' .. i] = i end return ok{trace = {t}}",
         "more than 4096 entries"},
        {"return ok{citations = {string.rep('y', 5000)}}", "'citations' is longer than 4096"},
        {"return {status = 'error', error = string.rep('e', 100000)}", "'error' is longer"},
    };
    char text[1024];
    double t0;

    f->lim.instructions = 100000000;
    f->lim.memory = 64u << 20;
    for (size_t i = 0; i < sizeof results / sizeof results[0]; i++) {
        snprintf(text, sizeof text,
                 OK_FN "function evaluate(c)\n"
                       "  if c.acts[1].helped_parties == 1 then return ok() end\n"
                       "%s\n"
                       "end\n",
                 results[i].code);
        one_file(f, text);
        load_ok(f);
        set_num(&f->c.acts[0], F_HELPED_PARTIES, 0);
        t0 = now();
        eval(f);
        if (now() - t0 > 2.0)
            fail_msg("result %zu took %.1f s", i, now() - t0);
        assert_case_error(f, "malformed", results[i].needle, NULL);
        set_num(&f->c.acts[0], F_HELPED_PARTIES, 1);
        eval(f);
        assert_case_ok(f);
    }
}

/* ----------------------------------------------------------------------
 * The memory cap
 * ----------------------------------------------------------------------
 */

static void a_memory_bomb_hits_the_cap_and_the_next_case_is_fine(void **state)
{
    struct fixture *f = *state;

    f->lim.instructions = 100000000; /* let memory run out first */
    f->lim.time_ms = 0;
    one_file(f, OK_FN "function evaluate(c)\n"
                      "  if c.acts[1].helped_parties == 0 then\n"
                      "    local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end\n"
                      "  end\n"
                      "  return ok{review_flags = {string.rep('y', 100000):sub(1, 3)}}\n"
                      "end\n");
    load_ok(f);
    for (int round = 0; round < 3; round++) {
        set_num(&f->c.acts[0], F_HELPED_PARTIES, 0);
        eval(f);
        assert_case_error(f, "memory", "4096 KiB", NULL);
        set_num(&f->c.acts[0], F_HELPED_PARTIES, 1);
        eval(f);
        assert_case_ok(f);
        assert_string_equal(f->rec.text[R_REVIEW_FLAGS], "yyy");
    }
}

static void a_memory_bomb_while_loading_fails_the_load(void **state)
{
    struct fixture *f = *state;

    f->lim.instructions = 100000000;
    one_file(f, "local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end\n");
    load_fails(f, "memory", NULL);
}

/* ----------------------------------------------------------------------
 * Malformed results
 * ----------------------------------------------------------------------
 */

struct malformed {
    const char *ret;    /* the expression evaluate() returns */
    const char *needle; /* what the case error must mention (the key) */
};

static void malformed_results_make_the_case_an_error_naming_the_key(void **state)
{
    struct fixture *f = *state;
    static const struct malformed cases[] = {
        {"42", "must return a table"},
        {"nil", "must return a table"},
        {"'ok'", "must return a table"},
        {"{}", "'status' is missing"},
        {"{threshold_met = true}", "'status' is missing"},
        {"{status = 'error'}", "'error'"},
        {"{status = 'error', error = ''}", "'error'"},
        {"ok{error = 'but ok'}", "'error'"},
        {"{status = 'maybe'}", "'status'"},
        {"{status = true}", "'status'"},
        {"ok{bogus = 1}", "unknown result key 'bogus'"},
        {"ok{case_no = 'X'}", "unknown result key 'case_no'"},
        {"ok{rule_set = 'X'}", "unknown result key 'rule_set'"},
        {"ok{[1] = 'x'}", "keys must be strings"},
        {"ok{threshold_met = 'true'}", "'threshold_met'"},
        {"ok{threshold_met = 1}", "'threshold_met'"},
        {"ok{recommended_months = 1.5}", "'recommended_months'"},
        {"ok{recommended_months = '6'}", "'recommended_months'"},
        {"ok{recommended_months = 0/0}", "'recommended_months'"},
        {"ok{recommended_fine_yuan = math.huge}", "'recommended_fine_yuan'"},
        {"ok{statutory_max_months = -3}", "'statutory_max_months'"},
        {"ok{fine_min_yuan = -100000}", "'fine_min_yuan'"},
        {"ok{recommended_kind = 'prison'}", "'recommended_kind'"},
        {"ok{recommended_kind = 4}", "'recommended_kind'"},
        {"ok{fine_rule = {}}", "'fine_rule'"},
        {"ok{citations = 'CL287-2'}", "'citations'"},
        {"ok{citations = {'CL287-2', 5}}", "'citations'"},
        {"ok{citations = {'CL287-2', true}}", "'citations'"},
        {"ok{review_flags = {'a;b'}}", "'review_flags'"},
        {"ok{review_flags = {''}}", "'review_flags'"},
        {"ok{threshold_basis = {{}}}", "'threshold_basis'"},
        {"ok{review_flags = {'\\xff'}}", "'review_flags'"},
        {"{status = 'error', error = 42}", "'error'"},
        {"ok{trace = 5}", "'trace'"},
        {"setmetatable({}, {__index = function() return 'ok' end})", "'status' is missing"},
        /* bytes the database would refuse, or a NUL that would cut a string */
        {"ok{trace = {{['\\xff\\xfe'] = 1}}}", "trace: a key is not valid UTF-8"},
        {"ok{trace = {{['a\\0b'] = 1}}}", "trace: a key is not valid UTF-8"},
        {"ok{['bogus\\xff\\x1b[2J'] = 1}", "unknown result key 'bogus\\xFF\\x1B[2J'"},
        {"ok{['status\\0x'] = 'ok'}", "unknown result key 'status\\x00x'"},
        {"{status = 'error\\0x', error = 'e'}", "'status' has an unknown value 'error\\x00x'"},
        {"ok{recommended_kind = 'x\\xff'}", "'recommended_kind' has an unknown value 'x\\xFF'"},
        {"ok{citations = {'a\\0b'}}", "'citations'"},
        /* not an array (a hole and a string key): refused, none dropped */
        {"ok{trace = {{[1] = 'a', [3] = 'c', x = 'y'}}}", "table keys must be strings"},
    };
    char text[512];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text,
                 OK_FN "function evaluate(c)\n"
                       "  return %s\n"
                       "end\n",
                 cases[i].ret);
        one_file(f, text);
        load_ok(f);
        eval(f);
        if (f->rec.num[R_STATUS] != 1 || !f->rec.text[R_ERROR] ||
            !strstr(f->rec.text[R_ERROR], cases[i].needle))
            fail_msg("return %s: expected an error mentioning \"%s\", got %s: %s", cases[i].ret,
                     cases[i].needle, f->rec.text[R_STATUS],
                     f->rec.text[R_ERROR] ? f->rec.text[R_ERROR] : "(none)");
        assert_case_error(f, "rule result malformed", NULL);
    }
}

static void a_result_breaking_the_contract_is_a_case_error(void **state)
{
    struct fixture *f = *state;

    one_file(f, OK_FN "function evaluate(c)\n"
                      "  return ok{recommended_kind = 'detention', recommended_months = 40}\n"
                      "end\n");
    load_ok(f);
    eval(f);
    assert_case_error(f, "breaks the contract", "recommended_months", NULL);
}

static void an_error_result_from_the_rules_is_kept(void **state)
{
    struct fixture *f = *state;

    one_file(f, "function evaluate(c)\n"
                "  return {status = 'error', error = 'acts disagree on the offense date'}\n"
                "end\n");
    load_ok(f);
    eval(f);
    assert_case_error(f, NULL);
    assert_string_equal(f->rec.text[R_ERROR], "acts disagree on the offense date");
}

/* ----------------------------------------------------------------------
 * Raised errors
 * ----------------------------------------------------------------------
 */

/* Whatever bytes a rule raises, the stored message is valid UTF-8 with its
 * control characters escaped: the database takes it, a terminal shows it
 * safely. */
static void raised_bytes_are_stored_escaped(void **state)
{
    struct fixture *f = *state;

    one_file(f, OK_FN "function evaluate(c)\n"
                      "  error('bad \\xff\\xfe bytes \\x1b[2J and\\nlines', 0)\n"
                      "end\n");
    load_ok(f);
    eval(f);
    assert_case_error(f, "bad \\xFF\\xFE bytes \\x1B[2J and\\x0Alines", NULL);
    assert_true(utf8_valid(f->rec.text[R_ERROR], strlen(f->rec.text[R_ERROR])));
}

static void raised_errors_of_any_value_are_handled(void **state)
{
    struct fixture *f = *state;

    one_file(f, OK_FN "function evaluate(c)\n"
                      "  local n = c.acts[1].helped_parties\n"
                      "  if n == 0 then error('no basis for the threshold') end\n"
                      "  if n == 1 then error({code = 7}) end\n"
                      "  if n == 2 then error(nil) end\n"
                      "  if n == 3 then error(setmetatable({}, {__tostring = function() "
                      "return 'custom' end})) end\n"
                      "  if n == 4 then error(setmetatable({}, {__tostring = function() "
                      "error('again') end})) end\n"
                      "  if n == 5 then local x = nil; return x.y end\n"
                      "  if n == 6 then error('no position', 0) end\n"
                      "  return ok()\n"
                      "end\n");
    load_ok(f);
    eval(f);
    assert_case_error(f, "rule error", "rules.lua:4:", "no basis for the threshold", NULL);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 1);
    eval(f);
    assert_case_error(f, "rule error", "table", NULL);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 2);
    eval(f);
    assert_case_error(f, "rule error", "nil", NULL);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 3);
    eval(f);
    assert_case_error(f, "rule error", "custom", NULL);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 4);
    eval(f);
    assert_case_error(f, "rule error", NULL);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 5);
    eval(f);
    assert_case_error(f, "rule error", "rules.lua:9:", NULL);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 6);
    eval(f);
    assert_case_error(f, "rule error", "no position", NULL);
    set_num(&f->c.acts[0], F_HELPED_PARTIES, 7);
    eval(f);
    assert_case_ok(f);
}

static void many_failing_cases_leave_the_engine_usable(void **state)
{
    struct fixture *f = *state;

    one_file(f, OK_FN "function evaluate(c)\n"
                      "  local n = c.acts[1].helped_parties % 4\n"
                      "  if n == 0 then error('boom') end\n"
                      "  if n == 1 then return {status = 'bogus'} end\n"
                      "  if n == 2 then return ok{citations = {1, 2, 3}} end\n"
                      "  return ok()\n"
                      "end\n");
    load_ok(f);
    for (int i = 0; i < 2000; i++) {
        set_num(&f->c.acts[0], F_HELPED_PARTIES, i);
        eval(f);
        if (i % 4 == 3)
            assert_case_ok(f);
        else
            assert_case_error(f, NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(a_good_rule_set_loads_and_its_id_is_16_hex_digits),
        T(the_id_changes_with_a_file_and_stays_when_nothing_changes),
        T(every_kind_of_result_value_is_read_back),
        T(false_and_nil_results_are_told_apart),
        T(the_trace_is_stored_as_json_with_sorted_keys),
        T(a_trace_that_cannot_be_stored_makes_the_case_an_error),
        T(facts_arrive_typed_with_amounts_in_fen_and_unrecorded_ones_assumed),
        T(reading_an_unknown_fact_is_a_case_error_naming_file_and_line),
        T(an_error_the_rules_return_keeps_its_kind_or_is_a_data_error),
        T(a_syntax_error_fails_the_load_naming_file_and_line),
        T(a_runtime_error_while_loading_fails_the_load_naming_file_and_line),
        T(a_manifest_naming_a_missing_file_fails),
        T(a_rule_file_missing_from_the_manifest_fails_unless_switched_off),
        T(a_manifest_reaching_outside_the_folder_fails),
        T(an_empty_or_missing_manifest_fails),
        T(a_rule_set_without_evaluate_fails),
        T(dangerous_globals_are_unknown_while_loading),
        T(dangerous_globals_are_unknown_inside_evaluate),
        T(the_safe_libraries_and_log_are_available),
        T(bytecode_is_refused),
        T(string_dump_and_load_are_not_offered),
        T(library_calls_are_bounded_by_the_clock),
        T(an_endless_loop_while_loading_is_stopped_by_the_clock),
        T(no_case_can_change_what_the_next_case_sees),
        T(oversized_results_make_the_case_an_error_quickly),
        T(globals_defined_while_loading_are_shared_by_later_files),
        T(assigning_a_new_global_inside_evaluate_is_a_case_error),
        T(the_frozen_environment_cannot_be_unfrozen),
        T(pattern_matching_is_not_offered_and_find_is_plain),
        T(an_endless_loop_in_evaluate_hits_the_budget),
        T(pcall_cannot_swallow_the_budget),
        T(xpcall_handlers_run_under_the_budget_and_keep_their_meaning),
        T(finalizers_are_refused_so_they_cannot_escape_the_budget),
        T(an_endless_loop_while_loading_fails_the_load),
        T(a_memory_bomb_hits_the_cap_and_the_next_case_is_fine),
        T(a_memory_bomb_while_loading_fails_the_load),
        T(malformed_results_make_the_case_an_error_naming_the_key),
        T(raised_bytes_are_stored_escaped),
        T(a_result_breaking_the_contract_is_a_case_error),
        T(an_error_result_from_the_rules_is_kept),
        T(raised_errors_of_any_value_are_handled),
        T(many_failing_cases_leave_the_engine_usable),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
