/*-------------------------------------------------------------------------
 * rule_tests.h
 *     The golden rule tests (tests/rules/<topic>/cases.csv + expected.csv),
 *     run by `sentencer check-rules` and by `sentencer run` before it
 *     writes anything. The engine is rule_tests.c; check_rules.c is the
 *     command.
 *
 * batch/rules/rule_tests.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_RULE_TESTS_H
#define SENTENCER_RULE_TESTS_H

#include "rules.h"
#include "status.h"

#include <stdbool.h>
#include <stdio.h>

/* Which golden tests check-rules runs, and how it reports them. */
struct rule_tests_opts {
    const char *select; /* --run: POSIX extended regular expression that a test's
                         * "TOPIC/CASE_NO/DEFENDANT_NO/OFFENSE NOTE" must match; NULL: all */
    bool explain;       /* --explain: print the trace of each failing case */
    bool accept;        /* --accept: rewrite each failing row of expected.csv from the
                         * results (printing each change), add a row for each charge
                         * that has none; such rows count as accepted, not failed */
};

/* What the checks and the tests found. */
struct rule_tests_counts {
    long findings; /* static checks (rule_lint.c) */
    long passed, failed, accepted;
};

/* Run every test folder of tests_dir (or tests_dir itself, a topic)
 * against rules (opts NULL: every test), reporting each failure
 * on out as FILE:LINE: KEY: column: expected, got. Fails (ST_ERULES) only
 * when the folder cannot be read or holds no tests; failed tests are
 * counted in n->failed (n->findings is left alone). */
enum status rule_tests_run(struct rules *rules, const char *tests_dir,
                           const struct rule_tests_opts *opts, FILE *out,
                           struct rule_tests_counts *n, struct err *err);

/* Load the rule set of rules_dir (rules_load), check it (rule_lint.c:
 * each finding on out, counted in n->findings) and run its tests: what
 * check-rules does, and run before it writes anything. *rules: the loaded
 * engine (free with rules_free), NULL on failure. */
enum status rule_tests_load(const char *rules_dir, const char *tests_dir,
                            const struct rule_tests_opts *opts, const struct rules_limits *lim,
                            FILE *out, struct rules **rules, struct rule_tests_counts *n,
                            struct err *err);

#endif
