/*-------------------------------------------------------------------------
 * check_rules.c
 *     `sentencer check-rules`: load the rule set and run its golden tests
 *     (rule_tests.c, the folders of --tests, default tests/rules), with no
 *     database. Prints each failure as FILE:LINE: KEY: column: expected,
 *     got, and ends with "N passed, M failed".
 *
 * batch/commands/check_rules.c
 *-------------------------------------------------------------------------
 */
#include "ctx.h"
#include "rule_tests.h"
#include "rules.h"

#include <stdio.h>

enum status cmd_check_rules(struct ctx *ctx, struct err *err)
{
    struct rules_limits lim;
    struct rules *rules = NULL;
    long findings = 0, passed = 0, failed = 0;
    struct rule_tests_opts sel = {ctx->opt.select, ctx->opt.explain_failures};
    enum status st;

    /* Findings go to standard output, errors to standard error: whole lines
     * each, so that the two piped together do not interleave mid-line. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    rules_limits_set(&lim, ctx->opt.verbose, ctx->opt.case_time_ms);
    st = rule_tests_load(ctx->opt.rules_dir, ctx->opt.tests_dir, &sel, &lim, stdout, &rules,
                         &findings, &passed, &failed, err);
    if (st == ST_OK) {
        printf("rule set %s\n", rules_id(rules));
        printf("static checks: %ld finding%s\n", findings, findings == 1 ? "" : "s");
        printf("%ld passed, %ld failed\n", passed, failed);
        if (findings > 0) {
            st = err_set(err, ST_ERULES, "the rule set has %ld finding%s of its static checks",
                         findings, findings == 1 ? "" : "s");
            err_hint(err, "Fix the lines named above (FILE:LINE: ...) before the next run.");
        } else if (failed > 0) {
            st = err_set(err, ST_ERULES, "the rule set fails %ld of its %ld tests", failed,
                         passed + failed);
            err_hint(err, "Fix the rules (or the expectation) named above before the next run.");
        }
    }
    rules_free(rules);
    return st;
}
