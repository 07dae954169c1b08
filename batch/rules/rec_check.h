/*-------------------------------------------------------------------------
 * rec_check.h
 *     The invariants every recommendation must satisfy whatever the rules
 *     say (case-interchange.md section 2; CL 37-1, 38, 42, 45, 72, 73),
 *     and the provisions it must cite for what it says (legal-rules.md
 *     8.1): the host's second line of defence against a rule mistake.
 *
 * batch/rules/rec_check.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_REC_CHECK_H
#define SENTENCER_REC_CHECK_H

#include "case.h"

#include <stdbool.h>
#include <stddef.h>

/* Check recommendation r of a charge whose defendant is a unit (unit) or a
 * person. Returns true when every invariant holds; otherwise writes the
 * first broken one into msg. An error recommendation always passes. */
bool rec_check(const struct rec *r, bool unit, char *msg, size_t len);

#endif
