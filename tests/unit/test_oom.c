/*-------------------------------------------------------------------------
 * test_oom.c
 *     Out of memory, at every allocation: each step below runs with its
 *     first, second, ... allocation failing (tests/include/oom.h) and must
 *     fail with a message, free what it made (the sanitizer build's leak
 *     check) and never touch a NULL it was given: reading a CSV table and
 *     a cases file, the codebook, suppression, loading the shipped rules
 *     and evaluating a charge with them.
 *
 * tests/unit/test_oom.c
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "case.h"
#include "codebook.h"
#include "csvin.h"
#include "csvtable.h"
#include "json.h"
#include "recommend.h"
#include "rules.h"
#include "suppress.h"
#include "value.h"

#include "oom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Enough for every step here; a sweep that reaches it fails. */
#define SWEEP_LIMIT 100000

/* Sweep step over its allocations; it must make some. */
static void sweep(oom_step_fn step)
{
    long n = oom_sweep(step, NULL, SWEEP_LIMIT);

    assert_true(n > 0);
    print_message("%ld allocations, each failed once\n", n);
}

/* An error must say what went wrong. */
static bool failed_saying(const struct err *err)
{
    if (err->msg[0] == '\0')
        fail_msg("a step failed without a message");
    return false;
}

static bool read_table(void *ud)
{
    static const char text[] = "a,b,c\n1,2,3\n\"x,y\",,z\n4\n";
    struct csvtable *t = NULL;
    struct err err = {0};
    FILE *fp = fmemopen((void *)(uintptr_t)text, sizeof text - 1, "r");
    enum status st;

    (void)ud;
    assert_non_null(fp);
    st = csvtable_read_fp(&t, fp, "table.csv", &err);
    fclose(fp);
    if (st != ST_OK) {
        assert_null(t);
        return failed_saying(&err);
    }
    assert_int_equal(t->nrows, 3);
    assert_string_equal(t->cells[1 * 3 + 0], "x,y");
    csvtable_free(t);
    return true;
}

static void csvtable_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    sweep(read_table);
}

static void on_reject(void *ud, const struct csvin_reject *rej)
{
    (void)ud;
    (void)rej;
}

static bool read_cases(void *ud)
{
    static const char text[] =
        "case_no,defendant_no,court_code,offense,offense_date,defendant_kind,act_no,"
        "knowledge_basis\n"
        "(2021)京0105刑初123号,1,110105,help_network_crime,2021-03-01,person,1,2;5\n"
        "(2021)京0105刑初123号,1,110105,help_network_crime,2021-03-02,person,2,\n";
    struct csvin *r = NULL;
    struct act a = {0};
    struct err err = {0};
    FILE *fp = fmemopen((void *)(uintptr_t)text, sizeof text - 1, "r");
    enum csvin_result res;
    int rows = 0;

    (void)ud;
    assert_non_null(fp);
    if (csvin_open(&r, fp, "cases.csv", days_from_civil(2024, 6, 11), on_reject, NULL, &err) !=
        ST_OK) {
        fclose(fp);
        assert_null(r);
        return failed_saying(&err);
    }
    while ((res = csvin_next(r, &a, &err)) == CSVIN_ROW)
        rows++;
    act_fini(&a);
    csvin_close(r);
    fclose(fp);
    if (res == CSVIN_FAIL)
        return failed_saying(&err);
    assert_int_equal(res, CSVIN_EOF);
    assert_int_equal(rows, 2);
    return true;
}

static void csvin_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    sweep(read_cases);
}

static bool open_codebook(void *ud)
{
    struct codebook *cb = NULL;
    struct err err = {0};
    struct col_doc d;

    (void)ud;
    if (codebook_open(&cb, &err) != ST_OK) {
        assert_null(cb);
        return failed_saying(&err);
    }
    assert_true(codebook_find(cb, "recommendations.csv", "case_no", &d));
    codebook_free(cb);
    return true;
}

static void codebook_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    sweep(open_codebook);
}

static bool suppress(void *ud)
{
    struct sup_row rows[3];
    struct err err = {0};
    bool all = false;

    (void)ud;
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < 3; i++) {
        rows[i].count[SUP_DEFENDANTS] = 2 + 7 * i;
        rows[i].count[SUP_EVALUATED] = 2 + 7 * i;
        rows[i].count[SUP_FIXED_TERM] = 1 + 6 * i;
        rows[i].count[SUP_DETENTION] = 1 + i;
        rows[i].count[SUP_SUSPENDED] = i;
    }
    if (suppress_rows(rows, 3, 5, &all, &err) != ST_OK)
        return failed_saying(&err);
    assert_true(rows[0].whole);
    return true;
}

static void suppression_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    sweep(suppress);
}

static bool set_act(struct act *a, int64_t act_no)
{
    int offense = enum_find(case_fields[F_OFFENSE].enum_values, "help_network_crime");
    int kind = enum_find(case_fields[F_DEFENDANT_KIND].enum_values, "person");

    if (!act_set_text(a, F_CASE_NO, "(2021)京0105刑初123号") ||
        !act_set_text(a, F_DEFENDANT_NO, "1") || !act_set_text(a, F_COURT_CODE, "110105") ||
        !act_set_text(a, F_OFFENSE, "help_network_crime") ||
        !act_set_text(a, F_OFFENSE_DATE, "2021-03-04") ||
        !act_set_text(a, F_DEFENDANT_KIND, "person"))
        return false;
    a->num[F_ACT_NO] = act_no;
    a->present[F_ACT_NO] = 1;
    a->num[F_OFFENSE] = offense;
    a->num[F_OFFENSE_DATE] = days_from_civil(2021, 3, 4);
    a->num[F_DEFENDANT_KIND] = kind;
    a->num[F_PAYMENT_SETTLED_YUAN] = 350000 * 100; /* fen */
    a->present[F_PAYMENT_SETTLED_YUAN] = 1;
    return true;
}

/* Load the shipped rules, evaluate one charge of two acts. A case the
 * rules could not evaluate for want of memory is an error result with a
 * message: that is a failure here, and a said one. */
static bool evaluate(void *ud)
{
    struct rules_limits lim;
    struct rules *rules = NULL;
    struct charge c = {0};
    struct rec rec = {0};
    struct err err = {0};
    struct act *a;
    bool ok = false;

    (void)ud;
    rules_limits_default(&lim);
    if (rules_load(&rules, "lua-rules", &lim, &err) != ST_OK) {
        assert_null(rules);
        return failed_saying(&err);
    }
    c.run_date = days_from_civil(2024, 6, 11);
    for (int i = 1; i <= 2; i++)
        if (!(a = charge_add_act(&c)) || !set_act(a, i))
            goto out;
    if (recommend(rules, &c, &rec, &err) != ST_OK) {
        failed_saying(&err);
        goto out;
    }
    if (rec.num[R_STATUS] == STATUS_ERROR) {
        if (!rec.text[R_ERROR] || !rec.text[R_ERROR][0])
            fail_msg("an error result without a message");
        goto out;
    }
    assert_true(rec.num[R_THRESHOLD_MET] == 1);
    ok = true;
out:
    rec_fini(&rec);
    charge_fini(&c);
    rules_free(rules);
    return ok;
}

static bool read_json(void *ud)
{
    static const char text[] = "[{\"cite\": \"I2019:12.2\", \"facts\": {\"payment_settled_yuan\": "
                               "199999.99, \"x\": [true, null, \"\\u4e2d\"]}, \"result\": false}]";
    struct json *j = NULL;
    struct buf b = {0};
    struct err err = {0};
    bool ok;

    (void)ud;
    if (json_parse(text, sizeof text - 1, &j, &err) != ST_OK) {
        assert_null(j);
        return failed_saying(&err);
    }
    ok = json_write(&b, j) && buf_addc(&b, '\0');
    json_free(j);
    if (ok && strcmp(b.data, "[{\"cite\": \"I2019:12.2\", \"facts\": {\"payment_settled_yuan\": "
                             "199999.99, \"x\": [true, null, \"\xE4\xB8\xAD\"]}, \"result\": "
                             "false}]") != 0) {
        buf_fini(&b);
        fail_msg("written back differently");
    }
    buf_fini(&b);
    return ok;
}

static void json_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    sweep(read_json);
}

static void rules_fail_cleanly_at_every_allocation(void **state)
{
    (void)state;
    sweep(evaluate);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csvtable_fails_cleanly_at_every_allocation),
        cmocka_unit_test(csvin_fails_cleanly_at_every_allocation),
        cmocka_unit_test(codebook_fails_cleanly_at_every_allocation),
        cmocka_unit_test(suppression_fails_cleanly_at_every_allocation),
        cmocka_unit_test(json_fails_cleanly_at_every_allocation),
        cmocka_unit_test(rules_fail_cleanly_at_every_allocation),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
