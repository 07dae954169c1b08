/*-------------------------------------------------------------------------
 * main.c
 *     Command line entry: the commands and their options (each command
 *     takes only its own, and documents them in its help: keep
 *     man/sentencer.1 in step, tests/cli/man_page.sh checks it), parses
 *     them into a ctx, runs the command and maps its status to the exit
 *     status of ../shared/spec/cli.md. The only caller of exit().
 *
 * batch/commands/main.c
 *-------------------------------------------------------------------------
 */
#include "build_info.h"
#include "ctx.h"
#include "log.h"
#include "migrations.h"
#include "rules.h"
#include "value.h"

#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exit statuses (cli.md). */
enum exit_code {
    EXIT_DONE = 0,     /* everything asked was done */
    EXIT_PARTIAL = 1,  /* done, but some rows or cases could not be processed */
    EXIT_USAGE = 2,    /* the command line was wrong; nothing was done */
    EXIT_UNSAFE = 3,   /* nothing could be done safely; nothing was written */
    EXIT_SIGINT = 130, /* interrupted by SIGINT after committing the work in hand */
    EXIT_SIGTERM = 143,
};

/* One option as its command's help shows it. */
struct opt_help {
    int code;         /* its short code in long_options */
    const char *form; /* e.g. "--rules DIR" */
    const char *text; /* what it does for this command; lines end with \n */
};

struct command {
    const char *name;
    enum status (*fn)(struct ctx *, struct err *);
    int min_args, max_args;
    const char *synopsis; /* after "sentencer " */
    const char *summary;  /* one line */
    const struct opt_help *opts;
};

#define OPT_RULES(what)                                                                            \
    {                                                                                              \
        'r', "--rules DIR", what " (default: the one sentencer --version shows)\n"                 \
    }
#define OPT_TESTS                                                                                  \
    {                                                                                              \
        't', "--tests DIR",                                                                        \
            "its golden tests, checked before anything is written (default: the "                  \
            "ones sentencer --version shows)\n"                                                    \
    }
#define OPT_EXCEL                                                                                  \
    {                                                                                              \
        'x', "--excel", "start the CSV files with a UTF-8 byte-order mark (for Excel)\n"           \
    }
#define OPT_MIN_CELL                                                                               \
    {                                                                                              \
        'm', "--min-cell K", "blank court-level counts from 1 to K-1 (default 5)\n"                \
    }
#define OPT_CASE_TIME                                                                              \
    {                                                                                              \
        'T', "--case-time MS",                                                                     \
            "processor time the rules may spend on one case, in milliseconds\n"                    \
            "(default 250); a case over it becomes an error\n"                                     \
    }
#define OPT_SELECT(c)                                                                              \
    {'O', "--offense CODE",                                                                        \
     "only this offense (refuse_netsec_duty, illegal_use_network,\n"                               \
     "help_network_crime)\n"},                                                                     \
        {'C', "--court CODE", "only this court (six-digit division code)\n"},                      \
    {                                                                                              \
        's', "--since DATE", "only cases convicted on or after DATE (YYYY-MM-DD)\n"                \
    }
#define OPT_END                                                                                    \
    {                                                                                              \
        0, NULL, NULL                                                                              \
    }

static const struct opt_help migrate_opts[] = {OPT_END};
static const struct opt_help import_opts[] = {
    {'j', "--rejects FILE", "also write the rejected rows to FILE as CSV\n"},
    OPT_END,
};
static const struct opt_help run_opts[] = {
    OPT_RULES("the rule set"),
    OPT_TESTS,
    {'o', "--out DIR", "output folder; the run writes DIR/<run-id>/ (default out)\n"},
    {'w', "--workers N", "parallel worker processes, 1 to 64 (default 1)\n"},
    {'l', "--limit N", "evaluate at most N charges\n"},
    {'c', "--chunk N", "charges per transaction (default 500)\n"},
    OPT_EXCEL,
    OPT_MIN_CELL,
    OPT_CASE_TIME,
    {'N', "--label TEXT", "a name for the rule set, stored with it (status shows it)\n"},
    {'E', "--keep N",
     "after a run that ends done, remove the older complete run folders of "
     "the output folder, keeping the N most recent (as prune does)\n"},
    {'G', "--older-than D", "with --keep: remove only folders older than D (e.g. 30d, 12h)\n"},
    OPT_END,
};
static const struct opt_help export_opts[] = {
    {'o', "--out FILE", "write to FILE (default: standard output)\n"},
    OPT_EXCEL,
    OPT_END,
};
static const struct opt_help check_rules_opts[] = {
    OPT_RULES("the rule set"),
    {'t', "--tests DIR",
     "golden tests: a folder of topics, or one topic DIR/TOPIC (default: the\n"
     "ones sentencer --version shows)\n"},
    {'R', "--run REGEX", "only the tests whose TOPIC/CASE_NO/DEFENDANT_NO/OFFENSE NOTE matches\n"},
    {'X', "--explain", "print the trace of each failing test\n"},
    {'A', "--accept",
     "rewrite each failing expected.csv row from the rules' results,\n"
     "printing every change\n"},
    {'P', "--properties N", "also the property tests on N generated charges per offense\n"},
    OPT_CASE_TIME,
    OPT_END,
};
static const struct opt_help explain_opts[] = {
    {'R', "--run N", "the recommendation run N stored (default: the current one)\n"},
    {'f', "--format F", "text (default) or json\n"},
    OPT_CASE_TIME,
    {'K', "--cases FILE",
     "offline: the case from FILE (cases.csv format), evaluated with\n"
     "--rules; no database\n"},
    OPT_RULES("with --cases: the rule set"),
    OPT_END,
};
static const struct opt_help status_opts[] = {
    {'l', "--limit N", "show the N latest runs (default 10)\n"},
    {'f', "--format F", "text (default), json or csv\n"},
    {'k', "--check",
     "one line and a monitoring-plugin exit status: 0 OK, 1 WARNING,\n"
     "2 CRITICAL, 3 UNKNOWN\n"},
    {'M', "--max-age D",
     "with --check: the last run must have ended within D (e.g. 26h, "
     "90m, 2d; default 26h)\n"},
    OPT_END,
};
static const struct opt_help outputs_opts[] = {
    {'R', "--run N", "the run whose files to write again (required)\n"},
    {'o', "--out DIR", "output folder (default out)\n"},
    OPT_EXCEL,
    OPT_MIN_CELL,
    OPT_END,
};
static const struct opt_help diff_opts[] = {
    OPT_RULES("the candidate rule set"),
    OPT_TESTS,
    OPT_SELECT(0),
    {'o', "--out DIR", "write changes.csv and changes_summary.csv to DIR (default diff)\n"},
    {'w', "--workers N", "parallel worker processes, 1 to 64 (default 1)\n"},
    OPT_EXCEL,
    OPT_CASE_TIME,
    OPT_END,
};
static const struct opt_help grant_job_role_opts[] = {OPT_END};
static const struct opt_help prune_opts[] = {
    {'E', "--keep N", "keep the N most recent complete run folders (required; at least 1)\n"},
    {'G', "--older-than D",
     "remove only folders whose run ended more than D ago (e.g. 30d, "
     "12h, 2w)\n"},
    {'o', "--out DIR", "output folder (default out)\n"},
    OPT_END,
};
static const struct opt_help report_opts[] = {
    {'o', "--out DIR", "write the report files to DIR (default out/deviation)\n"},
    OPT_SELECT(0),
    OPT_EXCEL,
    OPT_MIN_CELL,
    OPT_END,
};

static const struct opt_help version_opt[] = {
    {'V', "--version",
     "the program's version, the schema version it needs and the default "
     "rule set"},
    OPT_END,
};

/* Options every command takes. */
static const struct opt_help global_opts[] = {
    {'d', "--db CONNINFO",
     "database: a conninfo string or postgresql:// URI (default: the PG*\n"
     "variables and service file, the libpq way)\n"},
    {'L', "--lock-timeout S",
     "give up a statement that waits more than S seconds for a lock\n"
     "(default 30; 0: no limit)\n"},
    {'S', "--statement-timeout S",
     "give up a statement that runs more than S seconds\n"
     "(default 3600; 0: no limit)\n"},
    {'v', "--verbose", "show the rules' log() output and progress\n"},
    {'h', "--help", "the help of the command\n"},
    OPT_END,
};

static const struct command commands[] = {
    {"migrate", cmd_migrate, 0, 0, "migrate", "create or upgrade the schema; safe to repeat",
     migrate_opts},
    {"import", cmd_import, 1, 1 << 20, "import [--rejects FILE] FILE...",
     "load cases in the cases.csv format (- is standard input)", import_opts},
    {"run", cmd_run, 0, 0,
     "run [--rules DIR] [--tests DIR] [--out DIR] [--workers N] [--limit N] [--chunk N]\n"
     "    [--excel] [--min-cell K] [--case-time MS] [--label TEXT]\n"
     "    [--keep N [--older-than D]]",
     "the nightly job: evaluate what changed, store and write the recommendations", run_opts},
    {"export", cmd_export, 0, 0, "export [--out FILE] [--excel]",
     "write every current recommendation as recommendations.csv", export_opts},
    {"check-rules", cmd_check_rules, 0, 0,
     "check-rules [--rules DIR] [--tests DIR|DIR/TOPIC] [--run REGEX] [--explain]\n"
     "    [--accept] [--properties N] [--case-time MS]",
     "compile the rule set and run its golden tests", check_rules_opts},
    {"explain", cmd_explain, 1, 2,
     "explain [--run N] [--format text|json] [--case-time MS]\n"
     "    [--cases FILE [--rules DIR]] CASE_NO [DEFENDANT_NO]",
     "replay a recommendation and print how it was reached", explain_opts},
    {"status", cmd_status, 0, 0,
     "status [--limit N] [--format text|json|csv] [--check [--max-age D]]",
     "the latest runs; with --check, a health check for monitoring", status_opts},
    {"outputs", cmd_outputs, 0, 0, "outputs --run N [--out DIR] [--excel] [--min-cell K]",
     "write a run's files again from the database", outputs_opts},
    {"diff", cmd_diff, 0, 0,
     "diff --rules DIR [--tests DIR] [--offense CODE] [--court CODE] [--since DATE]\n"
     "    [--out DIR] [--workers N] [--excel] [--case-time MS]",
     "what a candidate rule set would change; writes no recommendation", diff_opts},
    {"report", cmd_report, 1, 1,
     "report deviation [--out DIR] [--offense CODE] [--court CODE] [--since DATE]\n"
     "    [--excel] [--min-cell K]",
     "actual judgments against the recommendations", report_opts},
    {"grant-job-role", cmd_grant_job_role, 0, 1, "grant-job-role [ROLE]",
     "give the nightly job's role sentencer_job exactly its rights (re-runnable)",
     grant_job_role_opts},
    {"prune", cmd_prune, 0, 0, "prune --keep N [--older-than D] [--out DIR]",
     "remove old complete run folders; needs no database", prune_opts},
    {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static bool takes(const struct opt_help *opts, int code)
{
    for (; opts->form; opts++)
        if (opts->code == code)
            return true;
    return false;
}

/* Write text from column col, breaking lines at spaces (newlines count as
 * spaces) before width, never inside [...]; continued lines start at
 * indent. */
static void wrap(FILE *fp, const char *text, int col, int indent, int width)
{
    bool first = true;

    while (*text) {
        int len = 0, depth = 0;

        while (*text == ' ' || *text == '\n')
            text++;
        /* One word: up to a space outside brackets. */
        while (text[len] && (depth > 0 || (text[len] != ' ' && text[len] != '\n'))) {
            depth += text[len] == '[' ? 1 : text[len] == ']' ? -1 : 0;
            len++;
        }
        if (len == 0)
            break;
        if (!first && col + 1 + len > width) {
            fprintf(fp, "\n%*s", indent, "");
            col = indent;
        } else if (!first) {
            fputc(' ', fp);
            col++;
        }
        fprintf(fp, "%.*s", len, text);
        col += len;
        text += len;
        first = false;
    }
    fputc('\n', fp);
}

#define HELP_WIDTH 79
#define HELP_TEXT_COL 25 /* where an option's text begins */

static void print_opts(FILE *fp, const struct opt_help *opts)
{
    for (; opts->form; opts++) {
        int w = fprintf(fp, "  %s", opts->form);
        if (w + 1 > HELP_TEXT_COL) {
            fprintf(fp, "\n%*s", HELP_TEXT_COL, "");
        } else {
            fprintf(fp, "%*s", HELP_TEXT_COL - w, "");
        }
        wrap(fp, opts->text, HELP_TEXT_COL, HELP_TEXT_COL, HELP_WIDTH);
    }
}

static void print_synopsis(FILE *fp, const struct command *c)
{
    int col = fprintf(fp, "Usage: sentencer [OPTION]... ");
    wrap(fp, c->synopsis, col, col + (int)strlen(c->name) + 1, HELP_WIDTH);
}

static void command_help(FILE *fp, const struct command *c)
{
    fprintf(fp, "sentencer %s: %s\n\n", c->name, c->summary);
    print_synopsis(fp, c);
    if (c->opts[0].form) {
        fputs("\nOptions:\n", fp);
        print_opts(fp, c->opts);
    }
    fputs("\nOptions of every command:\n", fp);
    print_opts(fp, global_opts);
    fputs("\nSee man sentencer for the exit statuses and the files.\n", fp);
}

static void usage(FILE *fp)
{
    fprintf(fp, "sentencer: sentencing recommendations for cybercrime cases (CL 286-1, 287-1, "
                "287-2)\n\nUsage: sentencer [OPTION]... COMMAND [ARG]...\n\nCommands:\n");
    for (const struct command *c = commands; c->name; c++)
        fprintf(fp, "  %-12s %s\n", c->name, c->summary);
    fputs("  help         the help of a command: sentencer help COMMAND\n", fp);
    fputs("\nOptions of every command:\n", fp);
    print_opts(fp, global_opts);
    print_opts(fp, version_opt);
    fputs("\nExit status: 0 done; 1 done, some rows or cases failed (each reported);\n"
          "2 usage error; 3 nothing could be done safely (database, schema, rules);\n"
          "130/143 interrupted after committing the work in hand.\n"
          "\"sentencer help COMMAND\" or \"sentencer COMMAND --help\" shows a command's options.\n",
          fp);
}

/* A usage error's help lines, on standard error through the log, so that
 * in the journal they carry the error's priority. cmd: its synopsis, or
 * NULL; then the line telling where to read more (full: the whole general
 * help instead). */
static void usage_lines(const struct command *cmd, bool full)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);

    if (fp && full) {
        usage(fp);
        fclose(fp);
    } else if (fp) {
        if (cmd)
            print_synopsis(fp, cmd);
        fprintf(fp, "Try \"sentencer %s%s\".\n", cmd ? "help " : "--help", cmd ? cmd->name : "");
        fclose(fp);
    }
    if (text && len > 0 && text[len - 1] == '\n')
        text[len - 1] = '\0'; /* the log ends the last line */
    if (text)
        log_line(LOG_PRIO_ERROR, "%s", text); /* each line with its priority */
    free(text);
}

static const struct command *find_command(const char *name)
{
    for (const struct command *c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

/* --version: what an operator reports with a question. */
static int version(void)
{
    struct rules_limits lim;
    struct rules *rules = NULL;
    struct err err;

    printf("sentencer %s\n", build_version());
    printf("schema version %d\n", n_migrations ? migrations[n_migrations - 1].version : 0);
    err_clear(&err);
    rules_limits_default(&lim);
    if (rules_load(&rules, build_rules_dir(), &lim, &err) == ST_OK)
        printf("default rule set %s (%s)\n", rules_id(rules), build_rules_dir());
    else
        printf("default rule set none (%s): %s\n", build_rules_dir(), err.msg);
    printf("default golden tests %s\n", build_tests_dir());
    rules_free(rules);
    return EXIT_DONE;
}

static bool parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    if (!s || !*s)
        return false;
    v = strtol(s, &end, 10);
    if (*end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"db", required_argument, NULL, 'd'},
        {"rules", required_argument, NULL, 'r'},
        {"tests", required_argument, NULL, 't'},
        {"out", required_argument, NULL, 'o'},
        {"workers", required_argument, NULL, 'w'},
        {"limit", required_argument, NULL, 'l'},
        {"chunk", required_argument, NULL, 'c'},
        {"rejects", required_argument, NULL, 'j'},
        {"excel", no_argument, NULL, 'x'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"min-cell", required_argument, NULL, 'm'},
        {"case-time", required_argument, NULL, 'T'},
        {"lock-timeout", required_argument, NULL, 'L'},
        {"run", required_argument, NULL, 'R'},
        {"statement-timeout", required_argument, NULL, 'S'},
        {"label", required_argument, NULL, 'N'},
        {"format", required_argument, NULL, 'f'},
        {"offense", required_argument, NULL, 'O'},
        {"court", required_argument, NULL, 'C'},
        {"since", required_argument, NULL, 's'},
        {"explain", no_argument, NULL, 'X'},
        {"accept", no_argument, NULL, 'A'},
        {"properties", required_argument, NULL, 'P'},
        {"cases", required_argument, NULL, 'K'},
        {"check", no_argument, NULL, 'k'},
        {"max-age", required_argument, NULL, 'M'},
        {"keep", required_argument, NULL, 'E'},
        {"older-than", required_argument, NULL, 'G'},
        {NULL, 0, NULL, 0},
    };
    struct ctx ctx = {0};
    struct err err;
    const struct command *cmd;
    enum status st;
    long v;
    int c;
    bool seen[128] = {false}; /* by short code: the options given */
    const char *run_arg = NULL, *format_arg = NULL;

    /* Every chunk allocates and frees the same large blocks (query results,
     * the batch sent back): keep them in the heap instead of mapping and
     * unmapping them each time (page faults were a fifth of a run's time). */
    mallopt(M_MMAP_THRESHOLD, 16 << 20);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
    err_clear(&err);
    ctx.opt.db.lock_timeout_ms = DB_LOCK_TIMEOUT_MS;
    ctx.opt.db.statement_timeout_ms = DB_STATEMENT_TIMEOUT_MS;
    ctx.opt.rules_dir = build_rules_dir();
    ctx.opt.tests_dir = build_tests_dir();
    ctx.opt.workers = 1;
    ctx.opt.chunk = 500;
    ctx.opt.min_cell = 5;
    ctx.opt.max_age_s = 26 * 3600;
    ctx.monitor = -1;
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        if (c > 0 && c < 128)
            seen[c] = true;
        switch (c) {
        case 'd': ctx.opt.db.conninfo = optarg; break;
        case 'L':
        case 'S':
            if (!parse_int(optarg, 0, 86400, &v)) {
                log_error("--%s must be a whole number of seconds from 0 (no limit) to 86400, "
                          "not \"%s\"",
                          c == 'L' ? "lock-timeout" : "statement-timeout", optarg);
                return EXIT_USAGE;
            }
            if (c == 'L')
                ctx.opt.db.lock_timeout_ms = v * 1000;
            else
                ctx.opt.db.statement_timeout_ms = v * 1000;
            break;
        case 'r': ctx.opt.rules_dir = optarg; break;
        case 't': ctx.opt.tests_dir = optarg; break;
        case 'o': ctx.opt.out = optarg; break;
        case 'j': ctx.opt.rejects = optarg; break;
        case 'x': ctx.opt.excel = true; break;
        case 'v': ctx.opt.verbose = true; break;
        case 'w':
            if (!parse_int(optarg, 1, 64, &v)) {
                log_error("--workers must be a whole number from 1 to 64, not \"%s\"", optarg);
                return EXIT_USAGE;
            }
            ctx.opt.workers = (int)v;
            break;
        case 'l':
            if (!parse_int(optarg, 1, 1000000000L, &v)) {
                log_error("--limit must be a positive whole number, not \"%s\"", optarg);
                return EXIT_USAGE;
            }
            ctx.opt.limit = v;
            break;
        case 'c':
            if (!parse_int(optarg, 1, 100000, &v)) {
                log_error("--chunk must be a whole number from 1 to 100000, not \"%s\"", optarg);
                return EXIT_USAGE;
            }
            ctx.opt.chunk = (int)v;
            break;
        case 'm':
            if (!parse_int(optarg, 1, 1000000, &v)) {
                log_error("--min-cell must be a whole number from 1 to 1000000, not \"%s\"",
                          optarg);
                return EXIT_USAGE;
            }
            ctx.opt.min_cell = (int)v;
            break;
        case 'R': run_arg = optarg; break; /* a run number, or check-rules' REGEX */
        case 'T':
            if (!parse_int(optarg, 1, 60000, &v)) {
                log_error("--case-time must be a whole number of milliseconds from 1 to 60000, "
                          "not \"%s\"",
                          optarg);
                return EXIT_USAGE;
            }
            ctx.opt.case_time_ms = v;
            break;
        case 'N':
            if (!*optarg || strlen(optarg) > 200 || !utf8_valid(optarg, strlen(optarg)) ||
                text_has_hidden(optarg, strlen(optarg))) {
                log_error("--label must be 1 to 200 bytes of UTF-8 text without control "
                          "characters");
                return EXIT_USAGE;
            }
            ctx.opt.label = optarg;
            break;
        case 'f': format_arg = optarg; break; /* checked against the command below */
        case 'O':
            if (enum_find(offense_values, optarg) < 0) {
                log_error("--offense must be one of refuse_netsec_duty, illegal_use_network, "
                          "help_network_crime, not \"%s\"",
                          optarg);
                return EXIT_USAGE;
            }
            ctx.opt.offense = optarg;
            break;
        case 'C':
            if (!*optarg || strlen(optarg) > 200 || !utf8_valid(optarg, strlen(optarg)) ||
                text_has_hidden(optarg, strlen(optarg))) {
                log_error("--court must be a court code (1 to 200 bytes of UTF-8 text)");
                return EXIT_USAGE;
            }
            ctx.opt.court = optarg;
            break;
        case 's': {
            char why[160];
            int64_t day;

            if (!value_parse(&case_fields[F_CONVICTION_DATE], optarg, &day, why, sizeof why)) {
                log_error("--since must be a date: %s", why);
                return EXIT_USAGE;
            }
            ctx.opt.since = optarg;
            break;
        }
        case 'X': ctx.opt.explain_failures = true; break;
        case 'A': ctx.opt.accept = true; break;
        case 'P':
            if (!parse_int(optarg, 1, 1000000, &v)) {
                log_error("--properties must be a whole number of charges per offense from 1 to "
                          "1000000, not \"%s\"",
                          optarg);
                return EXIT_USAGE;
            }
            ctx.opt.properties = v;
            break;
        case 'K': ctx.opt.cases = optarg; break;
        case 'k': ctx.opt.check = true; break;
        case 'M': {
            long long secs;
            if (!duration_parse(optarg, &secs)) {
                log_error("--max-age must be a whole number and a unit (s, m, h, d or w), such "
                          "as 26h, 90m or 2d, not \"%s\"",
                          optarg);
                return EXIT_USAGE;
            }
            ctx.opt.max_age_s = (long)secs;
            break;
        }
        case 'E':
            if (!parse_int(optarg, 1, 1000000, &v)) {
                log_error("--keep must be a whole number of run folders from 1 to 1000000, "
                          "not \"%s\"",
                          optarg);
                return EXIT_USAGE;
            }
            ctx.opt.keep = v;
            break;
        case 'G':
            if (!duration_parse(optarg, &ctx.opt.older_than_s)) {
                log_error("--older-than must be a whole number and a unit (s, m, h, d or w), "
                          "such as 30d or 12h, not \"%s\"",
                          optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h':
        case 'V': break; /* acted on once the command is known */
        default: usage_lines(NULL, false); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        if (seen['V'])
            return version();
        if (seen['h']) {
            usage(stdout);
            return EXIT_DONE;
        }
        usage_lines(NULL, true);
        return EXIT_USAGE;
    }
    if (strcmp(argv[optind], "help") == 0) {
        if (argc - optind > 2) {
            log_error("help takes one command: sentencer help COMMAND");
            return EXIT_USAGE;
        }
        if (optind + 1 >= argc || strcmp(argv[optind + 1], "help") == 0) {
            usage(stdout);
            return EXIT_DONE;
        }
        if (!(cmd = find_command(argv[optind + 1]))) {
            log_error("unknown command \"%s\"", argv[optind + 1]);
            usage_lines(NULL, false);
            return EXIT_USAGE;
        }
        command_help(stdout, cmd);
        return EXIT_DONE;
    }
    if (!(cmd = find_command(argv[optind]))) {
        log_error("unknown command \"%s\"", argv[optind]);
        usage_lines(NULL, false);
        return EXIT_USAGE;
    }
    if (seen['h']) {
        command_help(stdout, cmd);
        return EXIT_DONE;
    }
    if (seen['V'])
        return version();
    /* An option the command does not take is a mistake, not a no-op. */
    for (const struct option *o = long_options; o->name; o++) {
        if (!seen[o->val] || takes(global_opts, o->val) || takes(cmd->opts, o->val))
            continue;
        log_error("--%s does not apply to \"%s\"", o->name, cmd->name);
        usage_lines(cmd, false);
        return EXIT_USAGE;
    }
    if (cmd->fn == cmd_explain && seen['r'] && !seen['K']) {
        log_error("--rules applies to explain only with --cases (a stored recommendation is "
                  "replayed with the rule set it records)");
        usage_lines(cmd, false);
        return EXIT_USAGE;
    }
    if (seen['l'] && seen['k']) {
        log_error("--limit does not go with --check, which judges the latest runs itself");
        usage_lines(cmd, false);
        return EXIT_USAGE;
    }
    if (seen['G'] && !seen['E']) {
        log_error("--older-than applies only with --keep N (the N most recent complete run "
                  "folders are always kept; --older-than spares younger ones too)");
        usage_lines(cmd, false);
        return EXIT_USAGE;
    }
    if (seen['M'] && !seen['k']) {
        log_error("--max-age applies only with --check");
        usage_lines(cmd, false);
        return EXIT_USAGE;
    }
    if (format_arg) {
        bool csv_ok = cmd->fn == cmd_status;
        if (strcmp(format_arg, "text") == 0) {
            ctx.opt.format = FORMAT_TEXT;
        } else if (strcmp(format_arg, "json") == 0) {
            ctx.opt.format = FORMAT_JSON;
        } else if (csv_ok && strcmp(format_arg, "csv") == 0) {
            ctx.opt.format = FORMAT_CSV;
        } else {
            log_error("--format must be %s, not \"%s\"",
                      csv_ok ? "text, json or csv" : "text or json", format_arg);
            return EXIT_USAGE;
        }
        if (seen['k']) {
            log_error("--format and --check do not go together: --check prints one line");
            return EXIT_USAGE;
        }
    }
    if (run_arg && cmd->fn == cmd_check_rules) {
        ctx.opt.select = run_arg;
    } else if (run_arg) {
        if (!parse_int(run_arg, 1, 0x7fffffffL, &v)) {
            log_error("--run must be a run number (see sentencer status), not \"%s\"", run_arg);
            return EXIT_USAGE;
        }
        ctx.opt.run_id = v;
    }
    ctx.opt.args = argv + optind + 1;
    ctx.opt.nargs = argc - optind - 1;
    if (ctx.opt.nargs < cmd->min_args || ctx.opt.nargs > cmd->max_args) {
        log_error("wrong number of arguments for \"%s\"", cmd->name);
        usage_lines(cmd, false);
        return EXIT_USAGE;
    }

    st = cmd->fn(&ctx, &err);
    if (ctx.monitor >= 0)
        return ctx.monitor; /* status --check: its own exit statuses, its line printed */
    switch (st) {
    case ST_OK: return ctx.partial ? EXIT_PARTIAL : EXIT_DONE;
    case ST_EINTR:
        if (err.msg[0])
            log_err(&err);
        return ctx.signal == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM;
    case ST_EUSAGE: log_err(&err); return EXIT_USAGE;
    case ST_EINPUT:
        /* a file that cannot be read at all (e.g. an unknown column) */
        log_err(&err);
        return EXIT_PARTIAL;
    default: log_err(&err); return EXIT_UNSAFE;
    }
}
