/*-------------------------------------------------------------------------
 * ctx.h
 *     The options of a command and what it reports back to main(): the
 *     only state passed down the program.
 *
 * batch/commands/ctx.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_CTX_H
#define SENTENCER_CTX_H

#include "db.h"
#include "status.h"

#include <stdbool.h>
#include <stdio.h>

enum output_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_CSV };

struct options {
    struct db_settings db;     /* --db, --lock-timeout, --statement-timeout */
    const char *rules_dir;     /* --rules, default build_rules_dir() */
    const char *tests_dir;     /* --tests, default build_tests_dir() */
    const char *out;           /* --out: run folder or export file */
    const char *rejects;       /* --rejects FILE (import) */
    int workers;               /* --workers N (run) */
    long limit;                /* --limit N (run, status) */
    int chunk;                 /* --chunk N: charges per transaction (run) */
    long case_time_ms;         /* --case-time MS: wall-clock budget per case; 0 = default */
    long run_id;               /* --run N (outputs, explain) */
    const char *label;         /* --label TEXT: the rule set's label (run) */
    enum output_format format; /* --format text|json (explain), text|json|csv (status) */
    bool check;                /* --check (status): one line, monitoring-plugin exit status */
    long max_age_s;            /* --max-age D (status --check), seconds; default 26 h */
    bool excel;                /* --excel: UTF-8 BOM in CSV outputs */
    int min_cell;              /* --min-cell K: court counts below K suppressed (run) */
    bool verbose;              /* --verbose: rules' log() output, progress */
    const char *offense;       /* --offense CODE (diff) */
    const char *court;         /* --court CODE (diff) */
    const char *since;         /* --since YYYY-MM-DD (diff) */
    const char *select;        /* --run REGEX (check-rules): the tests to run */
    bool explain_failures;     /* --explain (check-rules): the trace of each failing case */
    bool accept;               /* --accept (check-rules): rewrite failing expectations */
    long properties;           /* --properties N (check-rules): charges per offense, 0: none */
    const char *cases;         /* --cases FILE (explain): offline, from a cases.csv file */
    long keep;                 /* --keep N (prune, run): run folders kept; 0: no pruning */
    long long older_than_s;    /* --older-than D (prune, run --keep), seconds; 0: any age */
    char **args;               /* positional arguments after the command */
    int nargs;
};

struct ctx {
    struct options opt;
    bool partial; /* some rows or cases could not be processed (exit 1) */
    int signal;   /* SIGINT or SIGTERM that stopped the command, or 0 */
    int monitor;  /* status --check: the exit status it chose (0 to 3), else -1 */
};

/* The commands, one file each: migrate.c, import.c, run.c, export.c,
 * check_rules.c, explain.c, run_status.c, run_outputs.c, diff.c, report.c,
 * grant_job_role.c, prune.c. Each returns a status and fills err. */
enum status cmd_migrate(struct ctx *ctx, struct err *err);
enum status cmd_import(struct ctx *ctx, struct err *err);
enum status cmd_run(struct ctx *ctx, struct err *err);
enum status cmd_export(struct ctx *ctx, struct err *err);
enum status cmd_check_rules(struct ctx *ctx, struct err *err);
enum status cmd_explain(struct ctx *ctx, struct err *err);
enum status cmd_status(struct ctx *ctx, struct err *err);
enum status cmd_outputs(struct ctx *ctx, struct err *err);
enum status cmd_diff(struct ctx *ctx, struct err *err);
enum status cmd_report(struct ctx *ctx, struct err *err);
enum status cmd_grant_job_role(struct ctx *ctx, struct err *err);
enum status cmd_prune(struct ctx *ctx, struct err *err);

/* prune.c, for run --keep: prune the output folder as the options say,
 * reporting to report (NULL: the log). */
enum status prune_after(struct ctx *ctx, FILE *report, struct err *err);

#endif
