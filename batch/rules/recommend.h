/*-------------------------------------------------------------------------
 * recommend.h
 *     One charge's recommendation: the rules evaluate it (rules.c, the
 *     generic Lua engine) and the result is held to the contract every
 *     recommendation must meet whatever the rules say (rec_check.c). What
 *     run, check-rules and explain call for each case.
 *
 * batch/rules/recommend.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_RECOMMEND_H
#define SENTENCER_RECOMMEND_H

#include "case.h"
#include "rules.h"
#include "status.h"

/* Evaluate charge c with rules into *out (rules_eval); a result that
 * breaks the contract becomes an error result saying which invariant.
 * Fails only as rules_eval does (out of memory, no clock): a rule mistake
 * is the case's error, never the caller's. */
enum status recommend(struct rules *rules, const struct charge *c, struct rec *out,
                      struct err *err);

#endif
