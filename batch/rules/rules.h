/*-------------------------------------------------------------------------
 * rules.h
 *     The rule engine: loads the Lua rule set named by lua-rules/MANIFEST
 *     into a sandbox and evaluates one charge at a time.
 *
 * The sandbox (sandbox.h) offers the base library without dofile,
 * loadfile, load, require, collectgarbage and print, plus string, table,
 * math and utf8, cut down. No io, os, debug or package. Files are loaded as
 * text only (no bytecode). Globals may be defined while the files load;
 * afterwards everything the rules share is frozen, so that no case can
 * change what the next one sees. Every call (loading included) runs under
 * an instruction budget, a time budget (processor time) and a memory cap.
 *
 * batch/rules/rules.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_RULES_H
#define SENTENCER_RULES_H

#include "case.h"
#include "status.h"

#include <stdbool.h>
#include <stddef.h>

struct rules;

struct rules_limits {
    long instructions; /* VM instructions per case (loading: 20 times as many) */
    size_t memory;     /* bytes the rules may allocate per case (and for loading) */
    long time_ms;      /* processor-time milliseconds per case (loading: 20 times); 0: none */
    bool log;          /* show log() output of the rules on standard error */
};

/* Defaults: 5 million instructions, 32 MiB, 250 ms. */
void rules_limits_default(struct rules_limits *lim);
/* The defaults with log, and time_ms when it is above 0 (--verbose,
 * --case-time). */
void rules_limits_set(struct rules_limits *lim, bool log, long time_ms);

/* Load the rule set in dir: read MANIFEST, compile and run each file,
 * freeze the environment, check that evaluate() is defined. A syntax or
 * load error fails with ST_ERULES and a message naming the file and line.
 * *out: new engine, free with rules_free(). */
enum status rules_load(struct rules **out, const char *dir, const struct rules_limits *lim,
                       struct err *err);

/* Load a rule set from its stored files (sql/004: rule_file): n files,
 * the MANIFEST first, then the files it lists in its order; names[i],
 * data[i] (lens[i] bytes) are copied. Fails with ST_EDB when the files are
 * not those the MANIFEST lists or do not hash to id, and like rules_load
 * when they do not load. Messages name files without a folder. */
enum status rules_load_stored(struct rules **out, const char *id, int n, const char *const *names,
                              const char *const *data, const size_t *lens,
                              const struct rules_limits *lim, struct err *err);

/* Identity of the loaded rule set: the first 16 hex digits of the SHA-256
 * of its MANIFEST followed, for each file the MANIFEST lists, by the file's
 * name, a NUL byte and its content. rules_sha256: all 64. Borrowed from r. */
const char *rules_id(const struct rules *r);
const char *rules_sha256(const struct rules *r);

/* The files the rule set was loaded from, byte for byte: file 0 is the
 * MANIFEST, then the files in MANIFEST order. Name, *data and *len are
 * borrowed from r (data NUL-terminated after len bytes). */
int rules_nfiles(const struct rules *r);
const char *rules_file(const struct rules *r, int i, const char **data, size_t *len);

/* Every number of the loaded rule set's PARAMS table (what the linter
 * checks), as its dotted path ("adjust.surrender.pct", array elements by
 * index: "adjust.surrender.band.1") and value, in no particular order.
 * Integers and floats alike; booleans and strings are skipped. */
typedef void (*rules_param_fn)(void *ud, const char *path, double value);
enum status rules_each_param(struct rules *r, rules_param_fn fn, void *ud, struct err *err);

/* Whether evaluate(case, trace) is asked for a trace (default: yes). The
 * nightly run asks for none: it stores none, and `explain` replays the case
 * with one. A rule set must give the same result either way (check-rules
 * checks it). */
void rules_set_trace(struct rules *r, bool on);
bool rules_trace(const struct rules *r);
/* With on, a rule error's message also names the rule lines that called
 * the one that failed (check-rules); off by default, as in a run. */
void rules_set_traceback(struct rules *r, bool on);

/* The rule set's title for citation id cite (its global title(cite), if it
 * defines one): the provision's name as a judge reads it, e.g.
 * "中华人民共和国刑法 第二百八十七条之二（帮助信息网络犯罪活动罪）", into out
 * (UTF-8). False, and out empty, when there is none: no title(), no string
 * returned, too long for len, or an error (under the budgets of a case;
 * a title is never worth failing for). */
bool rules_title(struct rules *r, const char *cite, char *out, size_t len);

/* Evaluate charge c into *out (rec_fini'd first, then owned by the caller).
 * A rule error (raised error, a budget or the memory cap exceeded, a change
 * to shared state, a malformed or oversized result) is not a failure of
 * this call: *out gets status "error" and a message naming the rule file
 * and line. Returns ST_ENOMEM or ST_EIO only when the host itself fails.
 * The first call in a process (a forked worker) starts the engine's clock
 * there. Installs a SIGALRM handler (rules_load does too). The result is
 * not checked against the recommendation contract: recommend() does that. */
enum status rules_eval(struct rules *r, const struct charge *c, struct rec *out, struct err *err);

void rules_free(struct rules *r);

#endif
