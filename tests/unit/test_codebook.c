/*-------------------------------------------------------------------------
 * test_codebook.c
 *     Unit tests of the compiled-in codebook (batch/outputs/codebook.csv): it
 *     parses, every contract column of recommendations.csv has its own
 *     entry (an enum with the program's codes), a statistic shared by the summary tables is found
 *for both and only for them, and an unknown column is not found.
 *
 * tests/unit/test_codebook.c
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "case.h"
#include "codebook.h"
#include "status.h"

#include <stdio.h>
#include <string.h>

static void codebook_documents_every_contract_column(void **state)
{
    struct codebook *cb = NULL;
    struct err err = {0};

    (void)state;
    assert_int_equal(codebook_open(&cb, &err), ST_OK);
    for (int f = 0; f < R__COUNT; f++) {
        struct col_doc d;

        if (!codebook_find(cb, "recommendations.csv", rec_fields[f].name, &d))
            fail_msg("no codebook entry for recommendations.csv column %s", rec_fields[f].name);
        assert_string_equal(d.file, "recommendations.csv");
        assert_true(d.type[0] != '\0');
        assert_true(d.meaning[0] != '\0');
        /* An enum's codes are exactly the program's, in its order. */
        if (rec_fields[f].type == FT_ENUM) {
            char want[512] = "";

            for (int i = 0; rec_fields[f].enum_values[i]; i++)
                snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i ? ";" : "",
                         rec_fields[f].enum_values[i]);
            assert_string_equal(d.type, "enum");
            assert_string_equal(d.codes, want);
        } else {
            assert_string_equal(d.codes, "");
        }
    }
    codebook_free(cb);
}

static void codebook_shares_summary_statistics_between_the_summary_tables(void **state)
{
    struct codebook *cb = NULL;
    struct err err = {0};
    struct col_doc d;

    (void)state;
    assert_int_equal(codebook_open(&cb, &err), ST_OK);
    assert_true(codebook_find(cb, "summary_offense.csv", "threshold_met", &d));
    assert_string_equal(d.file, "");
    assert_true(codebook_find(cb, "summary_court.csv", "threshold_met", &d));
    assert_string_equal(d.file, "");
    assert_false(codebook_find(cb, "recommendations.csv", "months_p10", &d));
    /* run_id and rule_set: one entry for every file of the folder. */
    assert_true(codebook_find(cb, "errors.csv", "run_id", &d));
    assert_string_equal(d.file, "*");
    assert_true(codebook_find(cb, "codebook.csv", "rule_set", &d));
    assert_true(codebook_find(cb, "recommendations.csv", "rule_set", &d));
    assert_string_equal(d.file, "recommendations.csv"); /* its own comes first */
    assert_false(codebook_find(cb, "recommendations.csv", "no_such_column", &d));
    codebook_free(cb);
}

/* The codes of case.h's tables, in the codebook's prose: each offense with
 * its article, each penalty kind. */
static void codebook_names_every_offense_and_kind_of_case_h(void **state)
{
    struct codebook *cb = NULL;
    struct err err = {0};
    struct col_doc d;

    (void)state;
    assert_int_equal(codebook_open(&cb, &err), ST_OK);
    assert_true(codebook_find(cb, "recommendations.csv", "offense", &d));
    for (int i = 0; i < OFFENSE__COUNT; i++) {
        char with_article[128];

        snprintf(with_article, sizeof with_article, "%s (", offense_values[i]);
        const char *at = strstr(d.meaning, with_article);
        if (!at || !strstr(at, offense_articles[i]))
            fail_msg("the codebook's offense entry lacks %s (%s): %s", offense_values[i],
                     offense_articles[i], d.meaning);
    }
    assert_true(codebook_find(cb, "recommendations.csv", "recommended_kind", &d));
    for (int i = 0; i < KIND__COUNT; i++)
        if (!strstr(d.meaning, penalty_kind_values[i]))
            fail_msg("the codebook's recommended_kind entry lacks %s", penalty_kind_values[i]);
    codebook_free(cb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(codebook_documents_every_contract_column),
        cmocka_unit_test(codebook_shares_summary_statistics_between_the_summary_tables),
        cmocka_unit_test(codebook_names_every_offense_and_kind_of_case_h),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
