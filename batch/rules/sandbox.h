/*-------------------------------------------------------------------------
 * sandbox.h
 *     The environment the rule files run in: which libraries and base
 *     functions they get, the wrappers that keep library calls within
 *     bounds, and the freezing that makes everything the rules share
 *     read-only once the files have loaded. Private to rules.c.
 *
 * What a rule sees (lua-rules/README.md, section 2): the base library
 * without dofile, loadfile, load, require, collectgarbage and print; the
 * string (plain find only; no patterns, pack or dump), table, math (no
 * random) and utf8 libraries; log(msg).
 *
 * Isolation between cases: after loading, every table reachable from the
 * environment or from the upvalues of the rule functions (PARAMS, OFFENSES,
 * helper modules, the libraries, _ENV itself) is frozen in place: its
 * contents move to a hidden table, reads go through, writes (assignment,
 * rawset, table.insert, setmetatable) raise an error naming the table.
 * The string metatable cannot be reached. Variables shared through upvalues
 * cannot be frozen; sandbox_shared_check() tells when a case changed one
 * and puts it back.
 *
 * batch/rules/sandbox.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_SANDBOX_H
#define SENTENCER_SANDBOX_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

/* Most elements table.sort accepts, and table.insert, table.remove,
 * table.move and table.concat walk: they run in C, where the clock stops
 * them only at a call back into Lua (table.sort's comparisons are made
 * calls for that reason). */
#define SANDBOX_SORT_MAX 100000
#define SANDBOX_TABLE_MAX 1000000

/* Open the safe libraries, build the environment table and push it.
 * log: whether log(msg) writes to standard error. [-0, +1] */
void sandbox_open(lua_State *L, bool log);

/* Freeze everything reachable from the environment at index env (see
 * above) and record the shared upvalues. Call once, after the rule files
 * have loaded, outside any budget. Returns false when out of memory. */
bool sandbox_freeze(lua_State *L, int env);

/* If the value at idx is a frozen table, replace it by the table that
 * holds its contents, for raw reads (lua_next, lua_rawlen) by the host.
 * [-0, +0] */
void sandbox_contents(lua_State *L, int idx);

/* After a case: whether every shared upvalue still holds the value it held
 * after loading. Changed ones are put back and the first is described in
 * msg ("rules changed 'x', ..."). [-0, +0] */
bool sandbox_shared_check(lua_State *L, char *msg, size_t len);

#endif
