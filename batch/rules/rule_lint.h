/*-------------------------------------------------------------------------
 * rule_lint.h
 *     The static checks of a loaded rule set, run by check-rules and by
 *     run before the golden tests: what a test cannot catch because no
 *     golden row reaches it. Over the source of every file: a field name
 *     that nothing defines (a misspelt fact or parameter in an untested
 *     branch), a malformed citation id or one outside legal-rules.md 8.1.
 *     Over the loaded parameters: a guideline adjustment outside its band,
 *     a number with the wrong sign, a number whose line or comment names
 *     no source of 8.1. Each finding is FILE:LINE: message.
 *
 * batch/rules/rule_lint.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_RULE_LINT_H
#define SENTENCER_RULE_LINT_H

#include "rules.h"
#include "status.h"

#include <stdio.h>

/* Check the rule set r, loaded from dir (the prefix of the file names in
 * the findings), printing each finding on out; *findings counts them.
 * Fails only when out of memory. */
enum status rule_lint(struct rules *r, const char *dir, FILE *out, long *findings, struct err *err);

/* Is id a citation id of legal-rules.md 8.1 (CL:287-2, I2019:12.p2,
 * G2021:3.6, ...)? */
bool rule_lint_citation_ok(const char *id);

#endif
