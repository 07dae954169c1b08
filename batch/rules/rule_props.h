/*-------------------------------------------------------------------------
 * rule_props.h
 *     Property tests of a rule set: generated charges of all three
 *     offenses, evaluated by the rules through recommend (no database),
 *     must satisfy
 *       1. a mitigating circumstance never makes the recommendation harsher;
 *       2. an aggravating circumstance never makes it lighter;
 *       3. a larger amount or count never makes it lighter, nor turns
 *          threshold_met from true to false;
 *       4. every result keeps the contract's invariants (kind ranges, band,
 *          units fined only, suspension, injunction, fine floor, basis).
 *     Run by `sentencer check-rules --properties N` on any rule set, and by
 *     tests/unit/test_properties.c on the shipped one.
 *
 * Charges are generated deterministically (fixed seeds; charge i of an
 * offense is the same whatever N), so a failure reproduces. Each failure
 * is printed with the generated charge, a shrunk charge (acts and fields
 * dropped while the property still fails) and both results.
 *
 * batch/rules/rule_props.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_RULE_PROPS_H
#define SENTENCER_RULE_PROPS_H

#include "buf.h"
#include "case.h"
#include "rules.h"
#include "status.h"

#include <stdint.h>
#include <stdio.h>

enum rule_prop { RP_INVARIANTS, RP_MITIGATING, RP_AGGRAVATING, RP_LARGER, RP__COUNT };

extern const char *const rule_prop_names[RP__COUNT];

/* What one run of the properties checked and found. */
struct rule_props_counts {
    long checked[RP__COUNT];  /* results (4) or pairs (1-3) checked */
    long failures[RP__COUNT]; /* of them, broken */
    long errors[RP__COUNT];   /* error results met (each also a failure of 4) */
    /* what the generator produced, so that a test can hold it to covering
     * the interesting cases */
    long charges, units, minors, elderly, multi_act, met, unmet, suspended;
    long kinds[KIND_EXEMPT + 1];
};

/* Generate per_offense charges of each offense, evaluate them and their
 * variants with rules, print each failure on out (the first two of each
 * property and offense in full, then one line each, then only the count)
 * and count into *n. Memory stays flat: one charge at a time. A charge
 * with no conviction date is tried on 2024-06-11 (fixed, so that results
 * reproduce). Fails only as recommend fails (out of memory); broken
 * properties are counted, not returned. */
enum status rule_props_run(struct rules *rules, long per_offense, FILE *out,
                           struct rule_props_counts *n, struct err *err);

/* Charge idx of offense off as rule_props_run generates it, into the
 * zeroed *c (the caller owns it: charge_fini). */
enum status rule_props_charge(struct charge *c, enum offense off, uint64_t idx, struct err *err);

/* Evaluate c as rule_props_run does (its trial date when none is
 * recorded, no trace) into the zeroed *out (the caller owns it: rec_fini). */
enum status rule_props_eval(struct rules *rules, const struct charge *c, struct rec *out,
                            struct err *err);

/* Append the recorded facts of c, one line per act, and the main columns
 * of r (when not NULL) to b. False when out of memory. */
bool rule_props_describe(struct buf *b, const struct charge *c, const struct rec *r);

#endif
