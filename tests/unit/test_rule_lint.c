/*-------------------------------------------------------------------------
 * test_rule_lint.c
 *     Unit tests of the static checks of a rule set (rule_lint.c): the
 *     citation grammar of legal-rules.md 8.1, and the field check over
 *     source that comments, strings, concatenation and numbers must not
 *     confuse.
 *
 * tests/unit/test_rule_lint.c
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rule_lint.h"
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void citation_ids_follow_legal_rules_8_1(void **state)
{
    static const char *const good[] = {
        "CL:287-2",    "CL:286-1",   "CL:37-1",    "CL:72",    "CL:12",    "I2019:12.2",
        "I2019:12.p2", "I2019:16",   "I2019:3.3",  "P2000:2",  "G2021:2",  "G2021:3.14",
        "G2024",       "TF2021:9.1", "TF2021:9.2", "DK2022:4", "BX2025:9", NULL};
    static const char *const bad[] = {
        "CL67",    "CL:999",     "CL:",      "I2019:20", "I2019:12.x", "I2019:12.", "G2021:3.66",
        "G2024:1", "TF2021:9.3", "DK2022:5", "P2000:",   "G2021 3.6",  "XX:1",      NULL};

    (void)state;
    for (int i = 0; good[i]; i++)
        if (!rule_lint_citation_ok(good[i]))
            fail_msg("refused %s", good[i]);
    for (int i = 0; bad[i]; i++)
        if (rule_lint_citation_ok(bad[i]))
            fail_msg("accepted %s", bad[i]);
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[256];
    FILE *fp;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Lint a one-file rule set; returns the findings, their text in out. */
static long lint(const char *source, char *out, size_t len)
{
    char dir[] = "/tmp/test_rule_lint.XXXXXX";
    struct rules_limits lim;
    struct rules *r = NULL;
    struct err err = {0};
    long findings = -1;
    FILE *fp;

    assert_non_null(mkdtemp(dir));
    put(dir, "MANIFEST", "rules.lua\n");
    put(dir, "rules.lua", source);
    rules_limits_default(&lim);
    if (rules_load(&r, dir, &lim, &err) != ST_OK)
        fail_msg("load: %s", err.msg);
    fp = fmemopen(out, len, "w");
    assert_non_null(fp);
    assert_int_equal(rule_lint(r, "R", fp, &findings, &err), ST_OK);
    fclose(fp);
    rules_free(r);
    {
        char path[256];

        snprintf(path, sizeof path, "%s/MANIFEST", dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/rules.lua", dir);
        unlink(path);
        rmdir(dir);
    }
    return findings;
}

static void names_in_comments_strings_and_numbers_are_not_fields(void **state)
{
    char out[2048];

    (void)state;
    assert_int_equal(lint("--[[ t.nowhere_in_a_long_comment ]]\n"
                          "-- t.nowhere_in_a_comment\n"
                          "PARAMS = { step = 1.5, list = { 'x.nowhere_in_a_string' } } -- G2021:2\n"
                          "local s = [==[ also.nowhere ]==] .. ('%d'):format(2) .. 1.5e-3\n"
                          "local T = { known = 1 }\n"
                          "function T.helper() return T.known + PARAMS.step end\n"
                          "function evaluate(c) return { status = 'ok', threshold_met = "
                          "c.acts[1].helped_parties > 0 and T.helper() > 0 and #s > 0, "
                          "citations = { 'CL:287-2', 'P2000:2' } } end\n",
                          out, sizeof out),
                     0);
}

static void a_field_defined_nowhere_is_found_with_its_line(void **state)
{
    char out[2048];

    (void)state;
    assert_int_equal(lint("PARAMS = { adjust = { surrender = { pct = -20, band = { -40, 0 }, "
                          "cite = 'G2021:3.6' } } }\n"
                          "local A = PARAMS.adjust\n"
                          "function evaluate(c)\n"
                          "  if c.acts[1].helped_parties > 99 then return A.surender.pct end\n"
                          "  return { status = 'ok', citations = { 'CL:287-2' } }\n"
                          "end\n",
                          out, sizeof out),
                     1);
    assert_non_null(strstr(out, "R/rules.lua:4: 'surender' is defined nowhere"));
}

static void parameters_outside_their_band_or_sign_are_found(void **state)
{
    char out[2048];

    (void)state;
    assert_int_equal(lint("PARAMS = {\n"
                          "  adjust = {\n"
                          "    minor = { pct = -30, band = { -50, -10 }, cite = 'G2021:3.1' },\n"
                          "    surrender = { pct = -70, band = { -40, 0 }, cite = 'G2021:3.6' },\n"
                          "  },\n"
                          "  fine = { base = -5 }, -- P2000:2\n"
                          "}\n"
                          "function evaluate(c) return { status = 'ok' } end\n",
                          out, sizeof out),
                     2);
    assert_non_null(strstr(out, "R/rules.lua:4: PARAMS.adjust.surrender.pct = -70 lies outside"));
    assert_non_null(strstr(out, "R/rules.lua:6: PARAMS.fine.base = -5 is negative"));
}

/* Each number names its provision: on its line, or in the comment right
 * above it, its group or its table; a number with neither is found. */
static void parameters_that_cite_no_provision_are_found(void **state)
{
    char out[2048];

    (void)state;
    assert_int_equal(lint("PARAMS = {\n"
                          "  -- LAW I2019:12 para 1\n"
                          "  helping = {\n"
                          "    parties = 3,\n"
                          "    payment = 20000000,\n"
                          "  },\n"
                          "  -- the judge's margin\n"
                          "  band_pct = 20,\n"
                          "  cap = 18, -- G2021:2\n"
                          "  -- CALIBRATED (G2021:2): both\n"
                          "  start = 9,\n"
                          "  step = 1,\n"
                          "}\n"
                          "function evaluate(c) return { status = 'ok' } end\n",
                          out, sizeof out),
                     1);
    assert_non_null(strstr(out, "R/rules.lua:8: PARAMS.band_pct = 20 cites no provision"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(citation_ids_follow_legal_rules_8_1),
        cmocka_unit_test(names_in_comments_strings_and_numbers_are_not_fields),
        cmocka_unit_test(a_field_defined_nowhere_is_found_with_its_line),
        cmocka_unit_test(parameters_outside_their_band_or_sign_are_found),
        cmocka_unit_test(parameters_that_cite_no_provision_are_found),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
