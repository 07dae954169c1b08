/*-------------------------------------------------------------------------
 * rules_api.h
 *     What the rules see and give back: the case table built from a
 *     charge, and the recommendation read from evaluate()'s result. Private
 *     to rules.c and rules_api.c.
 *
 * batch/rules/rules_api.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_RULES_API_H
#define SENTENCER_RULES_API_H

#include "case.h"

#include <lua.h>
#include <stddef.h>

/* Registry keys of the metatables that make unknown fields an error. */
#define RULES_ACT_MT "sentencer.act"
#define RULES_CASE_MT "sentencer.case"

/* Caps on a result, checked as it is read: an oversized result makes the
 * case an error, never the run. The trace is serialised JSON; a text or
 * list column is its ';'-joined text. */
#define RULES_TRACE_MAX (64 * 1024)
#define RULES_TRACE_ENTRIES 4096 /* entries of one trace table */
#define RULES_TEXT_MAX 4096

/* Create the metatables above in the registry. [-0, +0] */
void rules_api_init(lua_State *L);

/* Push the case table of charge c. [-0, +1] May raise a memory error, so
 * call it under lua_pcall (see rules.c). */
void rules_api_push_case(lua_State *L, const struct charge *c);

/* Read the result table at index idx into *out (which must be zeroed).
 * Tables the rule files froze (sandbox.h) are read through to their
 * contents. trace: read its `trace` into out->trace_json; false: ignore
 * one.
 * On a malformed or oversized result write a message into msg and return
 * false; *out may then hold partial values (the caller resets it). Raises
 * no Lua error and calls no metamethod. [-0, +0] */
bool rules_api_read_rec(lua_State *L, int idx, bool trace, struct rec *out, char *msg,
                        size_t msg_len);

#endif
