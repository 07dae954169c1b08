/*-------------------------------------------------------------------------
 * rules.h
 *     The rule engine: loads the Lua rule set named by lua-rules/MANIFEST
 *     into a sandbox and evaluates one charge at a time.
 *
 * The sandbox offers the base library without dofile, loadfile, load,
 * require, collectgarbage and print, plus string, table, math and utf8. No
 * io, os, debug or package. Files are loaded as text only (no bytecode).
 * Globals may be defined while the files load; afterwards the environment is
 * frozen and an unknown global is an error. Every call (loading included)
 * runs under an instruction budget and a memory cap.
 *
 * batch/rules.h
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
    long instructions; /* VM instructions per case (and for loading) */
    size_t memory;     /* bytes the rules may allocate per case (and for loading) */
    bool log;          /* show log() output of the rules on standard error */
};

/* Defaults: 5 million instructions, 32 MiB. */
void rules_limits_default(struct rules_limits *lim);

/* Load the rule set in dir: read MANIFEST, compile and run each file,
 * freeze the environment, check that evaluate() is defined. A syntax or
 * load error fails with ST_ERULES and a message naming the file and line.
 * *out: new engine, free with rules_free(). */
enum status rules_load(struct rules **out, const char *dir, const struct rules_limits *lim,
                       struct err *err);

/* Identity of the loaded rule set: the first 16 hex digits of the SHA-256 of
 * its MANIFEST and files. Borrowed from r. */
const char *rules_id(const struct rules *r);

/* Evaluate charge c into *out (rec_fini'd first, then owned by the caller).
 * A rule error (raised error, budget or memory cap, malformed result) is not
 * a failure of this call: *out gets status "error" and a message naming the
 * rule file and line. Returns ST_ENOMEM only when the host itself fails. */
enum status rules_eval(struct rules *r, const struct charge *c, struct rec *out, struct err *err);

void rules_free(struct rules *r);

#endif
