/*-------------------------------------------------------------------------
 * run.c
 *     `sentencer run`, the nightly job: load and check the rule set, then
 *     claim pending charges chunk by chunk, evaluate them and store the
 *     recommendations (one transaction per chunk), in one or several worker
 *     processes; finally write the run's CSV outputs.
 *
 * A killed run leaves whole chunks or nothing: a claimed chunk is locked
 * (FOR UPDATE SKIP LOCKED) until its transaction commits, so overlapping
 * runs and workers share the work and a dead worker's chunk goes back to
 * the pool when its connection drops.
 *
 * batch/commands/run.c
 *-------------------------------------------------------------------------
 */
#include "ctx.h"
#include "db.h"
#include "log.h"
#include "output.h"
#include "recommend.h"
#include "rule_tests.h"
#include "rules.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The global state signal handlers need (they can reach nothing else): the
 * signal that stops the run (between chunks), whether this process is
 * inside the rules, and the watchdog that ends it if the rules do not
 * return after a signal. */
static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t in_rules;
static timer_t watchdog;
static volatile sig_atomic_t watchdog_ready;

/* Seconds after a signal at which a process still inside the rules exits
 * at once, and how often it looks again. The clock of the rules stops a
 * case at its next hook, but a single step of the Lua runtime (a table
 * rehash of colliding keys, a collection) has no hook and can take many
 * seconds: SIGTERM must not wait for it. Exiting loses nothing: the chunk
 * in hand is not committed and its cases stay pending. */
#define HARD_STOP 4
#define HARD_STOP_EVERY 1

static void on_watchdog(int sig)
{
    static const char msg[] = "sentencer: stopping now: the rules did not return within "
                              "4 s of the signal; the chunk in hand stays pending\n";
    (void)sig;
    if (in_rules) {
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        _exit(128 + (int)got_signal);
    }
}

static void on_signal(int sig)
{
    if (!got_signal && watchdog_ready) {
        struct itimerspec its = {{HARD_STOP_EVERY, 0}, {HARD_STOP, 0}};
        timer_settime(watchdog, 0, &its, NULL); /* async-signal-safe */
    }
    got_signal = sig;
}

/* The watchdog of this process (a forked worker makes its own: timers are
 * not inherited). Without one (timer_create failed) a signal still stops
 * the run, only not inside such a step. */
static void watchdog_init(void)
{
    struct sigaction sa;
    struct sigevent sev;

    watchdog_ready = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_watchdog;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        return;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR1;
    if (timer_create(CLOCK_MONOTONIC, &sev, &watchdog) == 0)
        watchdog_ready = 1;
}

static void install_signals(void)
{
    struct sigaction sa;

    watchdog_init();
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ----------------------------------------------------------------------
 * Progress: on a terminal a line rewritten in place (done, rate,
 * remaining); otherwise a log line every PROGRESS_LOG_EVERY seconds at most.
 * ----------------------------------------------------------------------
 */

#define PROGRESS_LOG_EVERY 10.0

struct progress {
    bool tty;
    long pending; /* charges pending when the run started */
    double start, last;
};

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_init(struct progress *p, long pending)
{
    p->tty = isatty(STDERR_FILENO);
    p->pending = pending;
    p->start = p->last = now_seconds();
}

static void progress_show(struct progress *p, long done, bool final)
{
    double t = now_seconds(), elapsed = t - p->start;
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    long left = p->pending > done ? p->pending - done : 0;
    char eta[48] = "";

    if (!final && t - p->last < (p->tty ? 0.2 : PROGRESS_LOG_EVERY))
        return;
    p->last = t;
    if (!p->tty && final)
        return; /* the summary line says it */
    if (!final && rate > 0)
        snprintf(eta, sizeof eta, ", about %.0f s left", (double)left / rate);
    if (p->tty) /* a display rewritten in place, not a message */
        fprintf(stderr, "\r%ld of %ld evaluated, %.0f/s%s%s", done, p->pending, rate, eta,
                final ? "\n" : "   ");
    else
        log_info("%ld of %ld evaluated, %.0f/s%s", done, p->pending, rate, eta);
}

/* Seconds a statement of a signalled run may go on before it is cancelled
 * (one about to finish, a chunk being stored, is let finish). */
#define STOP_GRACE 2.0

/* Seconds a chunk's charges may stay locked while its cases are evaluated:
 * then the chunk is stored as far as it got and its other charges go back
 * to the pool, so that an import waiting for them (to bump their facts
 * revision) does not outwait its lock timeout, whatever the rules cost. */
#define CHUNK_HOLD 10.0

/* Evaluate the cases of a chunk in order; returns how many were evaluated:
 * all, or fewer when the chunk was held CHUNK_HOLD seconds. After a signal
 * the chunk is finished if that takes at most STOP_GRACE seconds (each case
 * takes at most its time budget), else given up: *give_up, and nothing of
 * it is stored. *st: a host failure (nothing stored either). */
static size_t evaluate_chunk(struct rules *rules, const struct charge *cs, struct rec *recs,
                             size_t n, bool *give_up, enum status *st, struct err *err)
{
    double start = now_seconds(), signalled_at = 0;

    *give_up = false;
    for (size_t i = 0; i < n; i++) {
        if (got_signal) {
            if (signalled_at == 0)
                signalled_at = now_seconds();
            else if (now_seconds() - signalled_at > STOP_GRACE) {
                *give_up = true;
                return i;
            }
        } else if (now_seconds() - start > CHUNK_HOLD) {
            return i;
        }
        in_rules = 1;
        *st = recommend(rules, &cs[i], &recs[i], err);
        in_rules = 0;
        if (*st != ST_OK)
            return i;
    }
    return n;
}

/* Claim, evaluate and store chunks until nothing is pending, the limit is
 * reached or a signal arrives. */
static enum status work(struct ctx *ctx, struct rules *rules, const struct db_run *run, long limit,
                        struct progress *progress, long *evaluated, struct err *err)
{
    struct db *db;
    struct db_settings set = ctx->opt.db;
    enum status st;

    /* A signal cancels a statement that has not ended STOP_GRACE after it. */
    set.interrupt = &got_signal;
    set.interrupt_grace_ms = (long)(STOP_GRACE * 1000);
    *evaluated = 0;
    if ((st = db_connect(&db, &set, err)) != ST_OK)
        return st;
    while (!got_signal && (limit == 0 || *evaluated < limit)) {
        struct charge *cs = NULL;
        struct rec *recs = NULL;
        size_t n = 0;
        int want = ctx->opt.chunk;

        if (limit > 0 && limit - *evaluated < want)
            want = (int)(limit - *evaluated);
        if ((st = db_claim(db, run, want, &cs, &n, err)) != ST_OK || n == 0)
            break;
        size_t done = 0;
        bool give_up = false;

        if (!(recs = calloc(n, sizeof *recs)))
            st = err_set(err, ST_ENOMEM, "out of memory");
        else
            done = evaluate_chunk(rules, cs, recs, n, &give_up, &st, err);
        if (give_up)
            log_info("stopping: the chunk in hand (%zu cases) could not be finished in %.0f s; "
                     "its cases stay pending",
                     n, STOP_GRACE);
        /* The cases evaluated are stored; the others are released with the
         * commit, still pending. */
        if (st != ST_OK || done == 0 || give_up)
            db_rollback(db);
        else
            st = db_store(db, run, cs, recs, done, err);
        if (st == ST_OK && !give_up) {
            *evaluated += (long)done;
            if (progress)
                progress_show(progress, *evaluated, false);
        }
        for (size_t i = 0; i < n; i++) {
            charge_fini(&cs[i]);
            if (recs)
                rec_fini(&recs[i]);
        }
        free(cs);
        free(recs);
        if (st != ST_OK || give_up)
            break;
    }
    if (st == ST_EINTR) { /* a statement cancelled by the signal: rolled back */
        log_info("stopping: %s; the chunk in hand stays pending", err->msg);
        st = ST_OK;
    }
    db_close(db);
    return st;
}

/* Run the workers as child processes and wait for them. Each child has
 * its own connection and its own copy of the loaded rules. */
static enum status work_parallel(struct ctx *ctx, struct db *db, struct rules *rules,
                                 const struct db_run *run, struct progress *progress,
                                 struct err *err)
{
    int n = ctx->opt.workers, running = 0, failed = 0;
    pid_t pids[64] = {0}; /* 0: no worker (never started, or ended) */
    bool forwarded = false;
    enum status st = ST_OK;
    char id[24];
    const char *params[1] = {id};

    pid_t parent = getpid();

    snprintf(id, sizeof id, "%" PRId64, run->id);
    fflush(NULL);
    for (int i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] < 0) {
            st = err_set(err, ST_EIO, "could not start worker %d: %s", i + 1, strerror(errno));
            err_hint(err, "The system refused a new process (a process or memory limit); "
                          "rerun with fewer --workers. What was stored stands.");
            pids[i] = 0;
            /* The run has failed: the workers already started stop after
             * their chunk instead of doing the whole run alone. */
            for (int k = 0; k < i; k++)
                kill(pids[k], SIGTERM);
            forwarded = true;
            break;
        }
        if (pids[i] == 0) {
            struct err werr;

            /* A worker must not outlive its run: when the parent dies (even
             * by SIGKILL), the worker gets SIGTERM and stops after its chunk. */
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != parent)
                _exit(3);
            watchdog_init();
            long done;
            long limit = ctx->opt.limit > 0 ? (ctx->opt.limit + n - 1 - i) / n : 0;

            err_clear(&werr);
            enum status wst = work(ctx, rules, run, limit, NULL, &done, &werr);
            if (wst != ST_OK)
                log_err(&werr);
            _exit(wst == ST_OK ? 0 : 3); /* the child's only way out */
        }
        running++;
    }
    /* Wait for the workers; pass a signal on once; show progress from the
     * run's counters, which the workers update chunk by chunk. */
    while (running > 0) {
        struct timespec pause = {0, 200 * 1000 * 1000};
        struct result *t = NULL;

        for (int i = 0; i < n; i++) {
            int ws;
            if (pids[i] <= 0 || waitpid(pids[i], &ws, WNOHANG) != pids[i])
                continue;
            pids[i] = 0;
            running--;
            /* A worker the watchdog stopped after the signal was
             * interrupted, not failed. */
            if (!WIFEXITED(ws) ||
                (WEXITSTATUS(ws) != 0 && !(got_signal && WEXITSTATUS(ws) == 128 + got_signal)))
                failed++;
        }
        if (got_signal && !forwarded) {
            for (int i = 0; i < n; i++)
                if (pids[i] > 0)
                    kill(pids[i], (int)got_signal);
            forwarded = true;
        }
        if (running > 0) {
            nanosleep(&pause, NULL);
            if (progress && db_query(db, Q_RUN_TOTALS, 1, params, &t, err) == ST_OK &&
                result_rows(t) == 1 && result_get(t, 0, 0))
                progress_show(progress, strtol(result_get(t, 0, 0), NULL, 10), false);
            result_free(t);
        }
    }
    if (progress && progress->tty) {
        struct result *t = NULL;
        if (db_query(db, Q_RUN_TOTALS, 1, params, &t, err) == ST_OK && result_rows(t) == 1 &&
            result_get(t, 0, 0))
            progress_show(progress, strtol(result_get(t, 0, 0), NULL, 10), true);
        result_free(t);
    }
    if (st == ST_OK && failed > 0) {
        st = err_set(err, ST_EDB, "%d of %d workers failed", failed, n);
        err_hint(err, "See the workers' messages above. Work they committed stands; rerun to "
                      "finish the rest.");
    }
    return st;
}

/* Register the rule set (its files, label and golden test results) and
 * record the run, in one transaction. */
static enum status begin_run(struct ctx *ctx, struct db *db, const struct rules *rules, long passed,
                             long failed, struct db_run *run, struct err *err)
{
    int n = rules_nfiles(rules);
    const char **names = calloc((size_t)n + 1, sizeof *names);
    const char **data = calloc((size_t)n + 1, sizeof *data);
    size_t *lens = calloc((size_t)n + 1, sizeof *lens);
    enum status st;

    if (!names || !data || !lens) {
        st = err_set(err, ST_ENOMEM, "out of memory");
    } else {
        for (int i = 0; i < n; i++)
            names[i] = rules_file(rules, i, &data[i], &lens[i]);
        struct db_rule_set rs = {
            .id = rules_id(rules),
            .nfiles = n,
            .names = names,
            .data = data,
            .lens = lens,
            .label = ctx->opt.label,
            .tests_passed = passed,
            .tests_failed = failed,
        };
        st = db_run_begin(db, &rs, ctx->opt.workers, run, err);
    }
    free(names);
    free(data);
    free(lens);
    return st;
}

/* The run will not start (err says why): record it as refused, so that
 * monitoring sees a night that did nothing (sentencer status --check).
 * Best effort: a database that cannot take the record is only reported. */
static void record_refused(struct ctx *ctx, const struct rules *rules, enum status st,
                           const struct err *why)
{
    struct db *db = NULL;
    struct err e;
    int64_t id = 0;
    char reason[sizeof why->msg + 96];

    if (st == ST_EINTR || st == ST_EUSAGE)
        return;
    snprintf(reason, sizeof reason, "%s%s%s", why->msg, rules ? "; rule set " : "",
             rules ? rules_id(rules) : "");
    err_clear(&e);
    if (db_connect(&db, &ctx->opt.db, &e) == ST_OK && db_check_schema(db, &e) == ST_OK &&
        db_run_refused(db, rules ? rules_id(rules) : NULL, reason, &id, &e) == ST_OK)
        log_info("run %" PRId64 " recorded as refused", id);
    else
        log_warning("the refused run could not be recorded: %s", e.msg);
    db_close(db);
}

enum status cmd_run(struct ctx *ctx, struct err *err)
{
    struct rules_limits lim;
    struct rules *rules = NULL;
    struct db *db = NULL;
    struct db_run run = {0};
    struct out_dir out = {.fd = -1};
    bool outputs_failed = false;
    const char *state = "failed";
    struct run_totals totals = {0};
    struct progress progress;
    enum status st;
    int reaped;
    struct rule_tests_counts n;
    int64_t current = 0;
    bool idle = false;

    /* The rule set is loaded and checked before anything is written. */
    rules_limits_set(&lim, ctx->opt.verbose, ctx->opt.case_time_ms);
    st = rule_tests_load(ctx->opt.rules_dir, ctx->opt.tests_dir, NULL, &lim, stderr, &rules, &n,
                         err);
    if (st == ST_OK && n.findings > 0) {
        st = err_set(err, ST_ERULES,
                     "the rule set has %ld finding%s of its static checks; nothing was evaluated",
                     n.findings, n.findings == 1 ? "" : "s");
        err_hint(err, "Run \"sentencer check-rules\" and fix the rules before the run.");
    } else if (st == ST_OK && n.failed > 0) {
        st = err_set(err, ST_ERULES,
                     "the rule set fails %ld of its %ld golden tests; nothing was evaluated",
                     n.failed, n.passed + n.failed);
        err_hint(err, "Run \"sentencer check-rules\" and fix the rules before the run.");
    }
    if (st != ST_OK) {
        record_refused(ctx, rules, st, err);
        rules_free(rules);
        return st;
    }
    {
        /* Once signals are caught, a statement that waits (the outputs
         * behind a lock) is cancelled STOP_GRACE after a signal. */
        struct db_settings set = ctx->opt.db;
        set.interrupt = &got_signal;
        set.interrupt_grace_ms = (long)(STOP_GRACE * 1000);
        if ((st = db_connect(&db, &set, err)) != ST_OK)
            goto done;
    }
    if ((st = db_check_schema(db, err)) != ST_OK)
        goto done;
    if ((st = db_run_reap(db, &reaped, err)) != ST_OK)
        goto done;
    if (reaped > 0)
        log_warning("%d earlier run%s ended without finishing; marked failed", reaped,
                    reaped == 1 ? "" : "s");
    /* The run stores no trace: explain replays a case with one. */
    rules_set_trace(rules, false);
    if ((st = db_current_outputs(db, rules_id(rules), &current, err)) != ST_OK)
        goto done;
    if (current > 0) {
        /* Nothing changed since run `current` evaluated everything with this
         * rule set and wrote its outputs: record the run, write nothing. */
        char msg[96];
        install_signals();
        if ((st = begin_run(ctx, db, rules, n.passed, n.failed, &run, err)) != ST_OK)
            goto done;
        snprintf(msg, sizeof msg, "nothing to do; outputs of run %" PRId64 " are current", current);
        st = db_run_end(db, &run, "done", NULL, msg, 0, err);
        if (st == ST_OK)
            log_info("run %" PRId64 ": %s", run.id, msg);
        run.id = 0; /* ended, or its end failed: nothing more to record */
        idle = true;
        goto done;
    }
    {
        const char *params[1] = {rules_id(rules)};
        struct result *t = NULL;
        if ((st = db_query(db, Q_PENDING, 1, params, &t, err)) != ST_OK)
            goto done;
        progress_init(&progress, result_get(t, 0, 0) ? strtol(result_get(t, 0, 0), NULL, 10) : 0);
        if (ctx->opt.limit > 0 && progress.pending > ctx->opt.limit)
            progress.pending = ctx->opt.limit;
        result_free(t);
    }
    /* Catch signals before the run is recorded: one arriving in between
     * would otherwise kill the process and leave the run 'running' instead
     * of 'interrupted'. Until then a signal ends the process, and nothing
     * has been written. */
    install_signals();
    if ((st = begin_run(ctx, db, rules, n.passed, n.failed, &run, err)) != ST_OK)
        goto done;
    /* The output folder is claimed before any work: a run that could not
     * write its files must not have stored anything. */
    if ((st = outdir_claim(ctx->opt.out ? ctx->opt.out : "out", run.id, true, &out, err)) != ST_OK)
        goto done;

    if (ctx->opt.workers > 1) {
        st = work_parallel(ctx, db, rules, &run, &progress, err);
    } else {
        long done;
        st = work(ctx, rules, &run, ctx->opt.limit, &progress, &done, err);
        if (progress.tty && done > 0)
            progress_show(&progress, done, true);
    }
    if (st == ST_OK && got_signal) {
        ctx->signal = (int)got_signal;
        state = "interrupted";
    } else if (st == ST_OK) {
        state = "done";
    }

    if (st == ST_OK) {
        st = output_write_run(db, run.id, &out, ctx->opt.excel, ctx->opt.min_cell, state, &totals,
                              err);
        if (st != ST_OK) {
            /* The work is stored: say so, and how to get the files. */
            outputs_failed = true;
            state = got_signal ? "interrupted" : "failed";
            err_hint(err,
                     "The recommendations of run %" PRId64 " are stored; write its files with "
                     "\"sentencer outputs --run %" PRId64 "\".",
                     run.id, run.id);
        }
    }
done:
    if (run.id > 0) {
        struct err ferr;
        err_clear(&ferr);
        if (db_run_end(db, &run, state, out.fd >= 0 ? out.path : NULL,
                       st == ST_OK ? NULL : err->msg, outputs_failed ? 0 : totals.covers,
                       &ferr) != ST_OK)
            log_err(&ferr);
    }
    outdir_close(&out);
    if (outputs_failed) {
        log_err(err); /* done, but its files are missing: exit 1, not 3 */
        ctx->partial = true;
        st = ST_OK;
    } else if (st == ST_OK && !idle) {
        log_info("run %" PRId64 " %s: %ld evaluated, %ld error%s (%ld legal exclusion%s), rule "
                 "set %s; outputs in %s/",
                 run.id, state, totals.evaluated, totals.errors, totals.errors == 1 ? "" : "s",
                 totals.errors - totals.failures, totals.errors - totals.failures == 1 ? "" : "s",
                 rules_id(rules), out.path);
        /* A legal exclusion is the law's answer, not a failure (error_kind). */
        if (totals.failures > 0)
            ctx->partial = true;
    }
    /* --keep: the older run folders go once this run's are complete (an
     * idle run's outputs are those of an earlier, complete run). A prune
     * that fails leaves the run as it is: reported, exit 1. */
    if (st == ST_OK && !got_signal && ctx->opt.keep > 0 && (idle || strcmp(state, "done") == 0) &&
        !outputs_failed) {
        struct err perr;
        err_clear(&perr);
        if (prune_after(ctx, NULL, &perr) != ST_OK) {
            log_err(&perr);
            ctx->partial = true;
        }
    }
    if (st == ST_OK && got_signal) {
        ctx->signal = (int)got_signal;
        st = ST_EINTR;
    }
    db_close(db);
    rules_free(rules);
    return st;
}
