/*-------------------------------------------------------------------------
 * test_properties.c
 *     The property tests of rule_props.c on the shipped rule set in
 *     lua-rules/ (what `sentencer check-rules --properties N` runs on any
 *     rule set): 700 generated charges of each offense, each property
 *     checked on all of them; the generator must cover the interesting
 *     cases; and facts at the largest integer must never wrap around.
 *
 * The properties run once, in the set-up; each test then holds one
 * property's counts to account. A failure is printed in full (generated
 * charge, shrunk charge, both results) before the counts.
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
#include "rule_props.h"
#include "rules.h"
#include "value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Charges generated per offense: every property is checked on 3 x 700 = 2100. */
#define CHARGES_PER_OFFENSE 700

struct fx {
    struct rules *rules;
    struct rule_props_counts n;
};

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
    if (rule_props_run(fx->rules, CHARGES_PER_OFFENSE, stdout, &fx->n, &err) != ST_OK) {
        fprintf(stderr, "property run failed: %s\n", err.msg);
        rules_free(fx->rules);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int tear_down(void **state)
{
    struct fx *fx = *state;

    if (!fx) /* the set-up failed */
        return 0;
    rules_free(fx->rules);
    free(fx);
    return 0;
}

/* Property p was checked at least min_checks times and never broken. */
static void held(const struct fx *fx, enum rule_prop p, long min_checks)
{
    print_message("%s: %ld checks, %ld failures, %ld unexpected error results\n",
                  rule_prop_names[p], fx->n.checked[p], fx->n.failures[p], fx->n.errors[p]);
    assert_true(fx->n.checked[p] >= min_checks);
    if (fx->n.failures[p] > 0)
        fail_msg("%s: %ld of %ld checks failed (see above)", rule_prop_names[p], fx->n.failures[p],
                 fx->n.checked[p]);
}

#define CHARGES ((long)OFFENSE__COUNT * CHARGES_PER_OFFENSE)

static void every_result_keeps_the_invariants(void **state)
{
    held(*state, RP_INVARIANTS, CHARGES);
}

/* 7 mitigating circumstances on every charge. */
static void mitigating_circumstances_never_make_it_harsher(void **state)
{
    held(*state, RP_MITIGATING, 7 * CHARGES);
}

/* 3 aggravating circumstances on every charge. */
static void aggravating_circumstances_never_make_it_lighter(void **state)
{
    held(*state, RP_AGGRAVATING, 3 * CHARGES);
}

/* At least 2 larger facts, 2 increases each, on every charge. */
static void larger_amounts_and_counts_never_make_it_lighter(void **state)
{
    held(*state, RP_LARGER, 2L * 2 * CHARGES);
}

/* The generator must produce what the properties need, or they prove
 * little: every offense, units and persons, minors and the elderly, several
 * acts, thresholds met and not met, every kind a person can get; acts
 * dated 2016-2025 and ages 16-80. */
static void the_generator_covers_the_interesting_cases(void **state)
{
    const struct rule_props_counts *n = &((struct fx *)*state)->n;
    int64_t lo = days_from_civil(2016, 1, 1), hi = days_from_civil(2025, 12, 31);
    struct err err;

    for (int off = 0; off < OFFENSE__COUNT; off++)
        for (int i = 0; i < CHARGES_PER_OFFENSE; i++) {
            struct charge c = {0};

            assert_int_equal(rule_props_charge(&c, (enum offense)off, (uint64_t)i, &err), ST_OK);
            for (size_t k = 0; k < c.n_acts; k++) {
                const struct act *ak = &c.acts[k];

                assert_true(ak->num[F_OFFENSE_DATE] >= lo && ak->num[F_OFFENSE_DATE] <= hi);
                if (ak->present[F_AGE_AT_OFFENSE])
                    assert_true(ak->num[F_AGE_AT_OFFENSE] >= 16 && ak->num[F_AGE_AT_OFFENSE] <= 80);
            }
            charge_fini(&c);
        }
    print_message("generated %ld charges: %ld units, %ld minors, %ld aged 75+, %ld with several "
                  "acts; threshold met %ld, not met %ld; suspended %ld; fixed_term %ld, "
                  "detention %ld, surveillance %ld, fine_only %ld, exempt %ld\n",
                  n->charges, n->units, n->minors, n->elderly, n->multi_act, n->met, n->unmet,
                  n->suspended, n->kinds[KIND_FIXED_TERM], n->kinds[KIND_DETENTION],
                  n->kinds[KIND_SURVEILLANCE], n->kinds[KIND_FINE_ONLY], n->kinds[KIND_EXEMPT]);
    assert_int_equal(n->charges, CHARGES);
    assert_true(n->units > 100);
    assert_true(n->minors > 50 && n->elderly > 50);
    assert_true(n->multi_act > 300);
    assert_true(n->met > 500 && n->unmet > 100);
    assert_true(n->suspended > 100);
    assert_true(n->kinds[KIND_FIXED_TERM] > 100 && n->kinds[KIND_DETENTION] > 10);
    assert_true(n->kinds[KIND_SURVEILLANCE] > 0);
}

/* A property broken on purpose is caught: a "rule set" that ignores every
 * circumstance but makes a guilty plea harsher (here: a plea turns the
 * charge into an error) must fail property 1. Shows the checks can fail. */
static void a_broken_rule_set_fails_the_properties(void **state)
{
    (void)state;
    char dir[] = "/tmp/sentencer-props-XXXXXX";
    char path[4200], cmd[8600];
    const char *project = getenv("PROJECT");
    struct rules *rules = NULL;
    struct rules_limits lim;
    struct rule_props_counts n;
    struct err err;
    FILE *f, *out;

    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "cp -r '%s/lua-rules/.' '%s/'",
             access("lua-rules/MANIFEST", R_OK) == 0 || !project ? "." : project, dir);
    assert_int_equal(system(cmd), 0);
    /* after evaluate.lua: a guilty plea takes the term to the top of its band */
    snprintf(path, sizeof path, "%s/evaluate.lua", dir);
    assert_non_null(f = fopen(path, "a"));
    fputs("local real = evaluate\n"
          "function evaluate(case, trace)\n"
          "    local r = real(case, trace)\n"
          "    if r.recommended_months and case.acts[1].guilty_plea == true then\n"
          "        r.recommended_months = r.range_high_months\n"
          "    end\n"
          "    return r\n"
          "end\n",
          f);
    fclose(f);
    rules_limits_default(&lim);
    assert_int_equal(rules_load(&rules, dir, &lim, &err), ST_OK);
    assert_non_null(out = tmpfile());
    assert_int_equal(rule_props_run(rules, 60, out, &n, &err), ST_OK);
    fclose(out);
    rules_free(rules);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    print_message("broken rule set: %ld of %ld mitigating checks failed\n",
                  n.failures[RP_MITIGATING], n.checked[RP_MITIGATING]);
    assert_true(n.failures[RP_MITIGATING] > 0);
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
    long checked = 0, errors = 0, met = 0, failures = 0;
    struct err err;

    for (size_t k = 0; k < sizeof huge / sizeof huge[0]; k++)
        for (int i = 0; i < CHARGES_PER_OFFENSE; i++) {
            struct charge c = {0};
            struct rec base = {0}, r = {0};
            bool unproven = false;

            assert_int_equal(rule_props_charge(&c, OFFENSE_HELP_NETWORK_CRIME, (uint64_t)i, &err),
                             ST_OK);
            assert_int_equal(rule_props_eval(fx->rules, &c, &base, &err), ST_OK);
            for (size_t a = 0; a < c.n_acts; a++)
                unproven |= c.acts[a].present[F_HELPED_CRIME_UNPROVEN] &&
                            c.acts[a].num[F_HELPED_CRIME_UNPROVEN];
            if (base.num[R_STATUS] != 0 || unproven) {
                rec_fini(&base);
                charge_fini(&c);
                continue; /* excluded by date or age, or para 2 decides */
            }
            for (size_t a = 0; a < c.n_acts; a++) {
                c.acts[a].num[huge[k]] = INT64_MAX;
                c.acts[a].present[huge[k]] = 1;
            }
            assert_int_equal(rule_props_eval(fx->rules, &c, &r, &err), ST_OK);
            checked++;
            if (r.num[R_STATUS] == 1 && r.text[R_ERROR] &&
                strstr(r.text[R_ERROR], "too large to compute") && r.text[R_ERROR_KIND] &&
                strcmp(r.text[R_ERROR_KIND], "data") == 0) {
                errors++; /* about the facts: error_kind data */
            } else if (r.num[R_STATUS] == 0 && r.present[R_THRESHOLD_MET] &&
                       r.num[R_THRESHOLD_MET]) {
                met++;
            } else {
                struct buf b = {0};

                assert_true(rule_props_describe(&b, &c, &r));
                failures++;
                print_error("%s = INT64_MAX on every act:\n%s", case_fields[huge[k]].name, b.data);
                buf_fini(&b);
            }
            rec_fini(&base);
            rec_fini(&r);
            charge_fini(&c);
        }
    print_message("huge facts: %ld checks, %ld met, %ld too large to compute, %ld failures\n",
                  checked, met, errors, failures);
    assert_int_equal(failures, 0);
    assert_true(errors > 0 && met > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_generator_covers_the_interesting_cases),
        cmocka_unit_test(every_result_keeps_the_invariants),
        cmocka_unit_test(mitigating_circumstances_never_make_it_harsher),
        cmocka_unit_test(aggravating_circumstances_never_make_it_lighter),
        cmocka_unit_test(larger_amounts_and_counts_never_make_it_lighter),
        cmocka_unit_test(huge_facts_never_wrap_around),
        cmocka_unit_test(a_broken_rule_set_fails_the_properties),
    };

    return cmocka_run_group_tests(tests, set_up, tear_down);
}
