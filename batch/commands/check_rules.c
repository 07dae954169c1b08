/*-------------------------------------------------------------------------
 * check_rules.c
 *     `sentencer check-rules`: load the rule set and run its golden tests
 *     (rule_tests.c, the folders of --tests, default tests/rules), with no
 *     database. Prints each failure as FILE:LINE: KEY: column: expected,
 *     got, and ends with "N passed, M failed". --accept rewrites failing
 *     expectations from the results; --properties N runs the property
 *     tests (rule_props.c) on N generated charges per offense.
 *
 * batch/commands/check_rules.c
 *-------------------------------------------------------------------------
 */
#include "ctx.h"
#include "rule_props.h"
#include "rule_tests.h"
#include "rules.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* luacheck, where it is installed and the rule folder has its .luacheckrc
 * (the globals the sandbox offers, lua-rules/.luacheckrc): each warning is
 * a finding, printed as FOLDER/FILE:LINE:COLUMN: (CODE) message. Returns
 * how many; -1 when luacheck could not be run (not installed). */
static long luacheck(const char *dir, FILE *out)
{
    char cfg[4200], line[4096];
    int fds[2], ws;
    long n = 0;
    pid_t pid;
    FILE *in;

    snprintf(cfg, sizeof cfg, "%s/.luacheckrc", dir);
    if (access(cfg, R_OK) != 0 || pipe(fds) != 0)
        return -1;
    fflush(NULL);
    if ((pid = fork()) < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        if (chdir(dir) == 0) /* where luacheck finds the folder's .luacheckrc */
            execlp("luacheck", "luacheck", "--no-color", "--formatter", "plain", "--codes", ".",
                   (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    in = fdopen(fds[0], "r");
    while (in && fgets(line, sizeof line, in)) {
        const char *l = strncmp(line, "./", 2) == 0 ? line + 2 : line;

        if (!strchr(l, ':'))
            continue;
        fprintf(out, "%s/%s", dir, l);
        if (!strchr(l, '\n'))
            fputc('\n', out);
        n++;
    }
    if (in)
        fclose(in);
    else
        close(fds[0]);
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) == 127 || WEXITSTATUS(ws) > 2)
        return n > 0 ? n : -1;
    return n;
}

enum status cmd_check_rules(struct ctx *ctx, struct err *err)
{
    struct rules_limits lim;
    struct rules *rules = NULL;
    struct rule_tests_counts n;
    struct rule_props_counts pn;
    long broken = 0;
    struct rule_tests_opts sel = {ctx->opt.select, ctx->opt.explain_failures, ctx->opt.accept};
    enum status st;

    /* Findings go to standard output, errors to standard error: whole lines
     * each, so that the two piped together do not interleave mid-line. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    rules_limits_set(&lim, ctx->opt.verbose, ctx->opt.case_time_ms);
    st = rule_tests_load(ctx->opt.rules_dir, ctx->opt.tests_dir, &sel, &lim, stdout, &rules, &n,
                         err);
    if (st == ST_OK) {
        long lc = luacheck(ctx->opt.rules_dir, stdout);

        if (lc > 0)
            n.findings += lc;
        printf("rule set %s\n", rules_id(rules));
        if (lc < 0)
            printf("luacheck: not run (not installed, or no .luacheckrc in the rule folder)\n");
        printf("static checks: %ld finding%s\n", n.findings, n.findings == 1 ? "" : "s");
        if (ctx->opt.accept)
            printf("%ld passed, %ld failed, %ld accepted\n", n.passed, n.failed, n.accepted);
        else
            printf("%ld passed, %ld failed\n", n.passed, n.failed);
    }
    if (st == ST_OK && ctx->opt.properties > 0) {
        st = rule_props_run(rules, ctx->opt.properties, stdout, &pn, err);
        for (int p = 0; st == ST_OK && p < RP__COUNT; p++) {
            printf("property: %s: %ld checks, %ld failed\n", rule_prop_names[p], pn.checked[p],
                   pn.failures[p]);
            broken += pn.failures[p];
        }
    }
    if (st == ST_OK) {
        if (n.findings > 0) {
            st = err_set(err, ST_ERULES, "the rule set has %ld finding%s of its static checks",
                         n.findings, n.findings == 1 ? "" : "s");
            err_hint(err, "Fix the lines named above (FILE:LINE: ...) before the next run.");
        } else if (n.failed > 0) {
            st = err_set(err, ST_ERULES, "the rule set fails %ld of its %ld tests", n.failed,
                         n.passed + n.failed + n.accepted);
            err_hint(err, "Fix the rules (or the expectation) named above before the next run.");
        } else if (broken > 0) {
            st = err_set(err, ST_ERULES, "the rule set breaks a property in %ld checks", broken);
            err_hint(err, "Each FAIL above shows a generated charge, a smaller one that still "
                          "fails, and both results.");
        }
    }
    if (n.accepted > 0)
        printf("%ld expectation%s rewritten from the results: review them with \"git diff "
               "%s\" before committing\n",
               n.accepted, n.accepted == 1 ? "" : "s", ctx->opt.tests_dir);
    rules_free(rules);
    return st;
}
