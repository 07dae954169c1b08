/*-------------------------------------------------------------------------
 * main.c
 *     Command line entry: parses options into a ctx, runs the subcommand
 *     and maps its status to the exit status of ../shared/spec/cli.md. The
 *     only caller of exit().
 *
 * batch/commands/main.c
 *-------------------------------------------------------------------------
 */
#include "ctx.h"
#include "log.h"
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

struct command {
    const char *name;
    enum status (*fn)(struct ctx *, struct err *);
    int min_args, max_args;
    const char *opts; /* the short codes (long_options) of its own options */
    const char *usage;
};

/* Options every command takes: --db, --lock-timeout, --statement-timeout,
 * --verbose, --help. */
#define GLOBAL_OPTS "dLSvh"

static const struct command commands[] = {
    {"migrate", cmd_migrate, 0, 0, "", "migrate"},
    {"import", cmd_import, 1, 1 << 20, "j", "import [--rejects FILE] FILE..."},
    {"run", cmd_run, 0, 0, "rtowlcxmTNkG",
     "run [--rules DIR] [--tests DIR] [--out DIR] [--workers N] [--limit N] [--chunk N]\n"
     "                [--excel] [--min-cell K] [--case-time MS] [--label TEXT]\n"
     "                [--keep N [--older-than DURATION]]"},
    {"export", cmd_export, 0, 0, "ox", "export [--out FILE] [--excel]"},
    {"check-rules", cmd_check_rules, 0, 0, "rtTRXAP",
     "check-rules [--rules DIR] [--tests DIR|DIR/TOPIC] [--run REGEX] [--explain]\n"
     "                [--accept] [--properties N] [--case-time MS]"},
    {"explain", cmd_explain, 1, 2, "RFTKr",
     "explain [--run N] [--format text|json] [--case-time MS]\n"
     "                [--cases FILE [--rules DIR]] CASE_NO [DEFENDANT_NO]"},
    {"status", cmd_status, 0, 0, "l", "status [--limit N]"},
    {"outputs", cmd_outputs, 0, 0, "Roxm", "outputs --run N [--out DIR] [--excel] [--min-cell K]"},
    {"diff", cmd_diff, 0, 0, "rtoOCsxTw",
     "diff --rules DIR [--tests DIR] [--offense CODE] [--court CODE] [--since DATE]\n"
     "                [--out DIR] [--workers N] [--excel] [--case-time MS]"},
    {"report", cmd_report, 1, 1, "oOCsxm",
     "report deviation [--out DIR] [--offense CODE] [--court CODE] [--since DATE]\n"
     "                [--excel] [--min-cell K]"},
    {"prune", cmd_prune, 0, 0, "okG",
     "prune --keep N [--older-than DURATION] [--out DIR]   (no database)"},
    {NULL, NULL, 0, 0, NULL, NULL},
};

static void usage(FILE *fp)
{
    fprintf(fp, "sentencer: sentencing recommendations for cybercrime cases (CL 286-1, 287-1, "
                "287-2)\n\nUsage: sentencer [--db CONNINFO] COMMAND [OPTIONS]\n\nCommands:\n");
    for (const struct command *c = commands; c->name; c++)
        fprintf(fp, "  sentencer %s\n", c->usage);
    fprintf(fp,
            "\nOptions:\n"
            "  --db CONNINFO   database (conninfo or postgresql:// URI); default: PG* variables\n"
            "  --lock-timeout S       give up a statement that waits more than S seconds\n"
            "                         for a lock (default 30; 0: no limit)\n"
            "  --statement-timeout S  give up a statement that runs more than S seconds\n"
            "                         (default 3600; 0: no limit)\n"
            "  --rules DIR     rule set (default lua-rules)\n"
            "  --tests DIR     golden rule tests, checked by check-rules and before every run\n"
            "                  (default tests/rules)\n"
            "  --out PATH      run, outputs, prune: output folder (default out); export: file\n"
            "                  (default stdout)\n"
            "  --run N         outputs: the run whose files to write again; explain: the\n"
            "                  recommendation run N stored (default: the current one)\n"
            "  --format F      explain: text (default) or json\n"
            "  --cases FILE    explain: offline, the case from FILE (cases.csv format)\n"
            "                  evaluated with --rules; no database\n"
            "  --run REGEX     check-rules: only the tests whose TOPIC/CASE_NO/DEFENDANT_NO/\n"
            "                  OFFENSE NOTE matches\n"
            "  --explain       check-rules: print the trace of each failing test\n"
            "  --accept        check-rules: rewrite each failing expected.csv row from the\n"
            "                  rules' results, printing every change\n"
            "  --properties N  check-rules: also the property tests on N generated charges\n"
            "                  per offense (mitigation never harsher, and so on)\n"
            "  --label TEXT    run: a name for the rule set, stored with it (status shows it)\n"
            "  --workers N     run: parallel worker processes (default 1)\n"
            "  --limit N       run: evaluate at most N charges; status: runs shown\n"
            "  --chunk N       run: charges per transaction (default 500)\n"
            "  --case-time MS  run, check-rules: time budget of the rules per case, in\n"
            "                  milliseconds of processor time\n"
            "                  (default 250); a case over it becomes an error\n"
            "  --rejects FILE  import: also write rejected rows to FILE as CSV\n"
            "  --excel         start CSV outputs with a UTF-8 byte-order mark\n"
            "  --min-cell K    run: blank court-level counts below K (default 5)\n"
            "  --keep N        prune, run: keep the N most recent complete run folders under\n"
            "                  --out and remove the older ones (run: after it ends done)\n"
            "  --older-than D  prune, run: remove only folders that ended more than D ago\n"
            "                  (30d, 12h; units s, m, h, d, w)\n"
            "  --verbose       show the rules' log() output\n"
            "  --help          this text\n"
            "\nExit status: 0 done; 1 done, some rows or cases failed (each reported);\n"
            "2 usage error; 3 nothing could be done safely (database, schema, rules);\n"
            "130/143 interrupted after committing the work in hand.\n");
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
        {"min-cell", required_argument, NULL, 'm'},
        {"case-time", required_argument, NULL, 'T'},
        {"lock-timeout", required_argument, NULL, 'L'},
        {"run", required_argument, NULL, 'R'},
        {"statement-timeout", required_argument, NULL, 'S'},
        {"label", required_argument, NULL, 'N'},
        {"format", required_argument, NULL, 'F'},
        {"offense", required_argument, NULL, 'O'},
        {"court", required_argument, NULL, 'C'},
        {"since", required_argument, NULL, 's'},
        {"explain", no_argument, NULL, 'X'},
        {"accept", no_argument, NULL, 'A'},
        {"properties", required_argument, NULL, 'P'},
        {"cases", required_argument, NULL, 'K'},
        {"keep", required_argument, NULL, 'k'},
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
    const char *run_arg = NULL;

    /* Every chunk allocates and frees the same large blocks (query results,
     * the batch sent back): keep them in the heap instead of mapping and
     * unmapping them each time (page faults were a fifth of a run's time). */
    mallopt(M_MMAP_THRESHOLD, 16 << 20);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
    err_clear(&err);
    ctx.opt.db.lock_timeout_ms = DB_LOCK_TIMEOUT_MS;
    ctx.opt.db.statement_timeout_ms = DB_STATEMENT_TIMEOUT_MS;
    ctx.opt.rules_dir = "lua-rules";
    ctx.opt.tests_dir = "tests/rules";
    ctx.opt.workers = 1;
    ctx.opt.chunk = 500;
    ctx.opt.min_cell = 5;
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
        case 'F':
            if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0) {
                log_error("--format must be text or json, not \"%s\"", optarg);
                return EXIT_USAGE;
            }
            ctx.opt.json = strcmp(optarg, "json") == 0;
            break;
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
        case 'k':
            if (!parse_int(optarg, 1, 1000000, &v)) {
                log_error("--keep must be a whole number of run folders from 1 to 1000000, "
                          "not \"%s\"",
                          optarg);
                return EXIT_USAGE;
            }
            ctx.opt.keep = v;
            break;
        case 'G': ctx.opt.older = optarg; break; /* checked by prune.c */
        case 'h': usage(stdout); return EXIT_DONE;
        default: fprintf(stderr, "Try \"sentencer --help\".\n"); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    for (cmd = commands; cmd->name && strcmp(cmd->name, argv[optind]) != 0; cmd++)
        ;
    if (!cmd->name) {
        log_error("unknown command \"%s\"", argv[optind]);
        fprintf(stderr, "Try \"sentencer --help\".\n");
        return EXIT_USAGE;
    }
    /* An option the command does not take is a mistake, not a no-op. */
    for (const struct option *o = long_options; o->name; o++) {
        if (!seen[o->val] || strchr(GLOBAL_OPTS, o->val) || strchr(cmd->opts, o->val))
            continue;
        log_error("--%s does not apply to \"%s\"", o->name, cmd->name);
        fprintf(stderr, "Usage: sentencer %s\n", cmd->usage);
        return EXIT_USAGE;
    }
    if (cmd->fn == cmd_explain && seen['r'] && !seen['K']) {
        log_error("--rules applies to explain only with --cases (a stored recommendation is "
                  "replayed with the rule set it records)");
        fprintf(stderr, "Usage: sentencer %s\n", cmd->usage);
        return EXIT_USAGE;
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
        fprintf(stderr, "Usage: sentencer %s\n", cmd->usage);
        return EXIT_USAGE;
    }

    st = cmd->fn(&ctx, &err);
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
