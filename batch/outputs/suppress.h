/*-------------------------------------------------------------------------
 * suppress.h
 *     Small-cell suppression of a table of counts: which published
 *     statistics of which rows to blank so that no count from 1 to K-1 can
 *     be seen or worked out. A pure function of the counts; summary_court.csv
 *     (output.c) is its user, one offense's court rows at a time.
 *
 * Per offense, each court's row is a set of counts: the published ones
 * (defendants, evaluated, errors, the five kinds, those meeting the
 * threshold, suspended, eligible for a ban, for an injunction) and the
 * complements that follow from them (evaluated with no kind, not meeting
 * the threshold, ...). They are tied by equations an intruder knows: within
 * a row (defendants = evaluated + errors; evaluated = the kinds plus those
 * with no kind; evaluated = met + not met, ...; by law, where every row
 * obeys it, injunction eligible = suspended + surveillance and suspended
 * <= fixed term + detention) and down the courts (the courts' counts add up
 * to the offense's total in summary_offense.csv).
 *
 * 1. Primary: a row with fewer than K defendants is blanked whole; in the
 *    other rows every count from 1 to K-1 is blanked. A 0 describes no one
 *    and stays.
 * 2. Complementary: on every equation, a lone blank that hides something,
 *    or blanks adding up to less than K while the total is known, get
 *    company: the cheapest other count of the equation (fewest published
 *    cells lost, then the smallest), repeated until nothing changes.
 * 3. Audit, exact (suppress_audit.c, integer programming): over every
 *    integer solution of the equations and what is shown, no blanked count
 *    may take one value only, and no count from 1 to K-1 may be provably
 *    below K. If one is, its row is blanked whole (or, when it is already,
 *    the smallest other row), and 2 and 3 run again.
 *
 * batch/outputs/suppress.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_SUPPRESS_H
#define SENTENCER_SUPPRESS_H

#include "status.h"

#include <stdbool.h>

/* The counts of one row, as the summaries query gives them. */
enum sup_count {
    SUP_DEFENDANTS,
    SUP_ERRORS,
    SUP_EVALUATED, /* status ok */
    SUP_FIXED_TERM,
    SUP_DETENTION,
    SUP_SURVEILLANCE,
    SUP_FINE_ONLY,
    SUP_EXEMPT,
    SUP_THRESHOLD_MET,
    SUP_SUSPENDED,
    SUP_BAN_ELIGIBLE,
    SUP_INJUNCTION_ELIGIBLE,
    SUP__NCOUNTS
};

/* The published statistics that show them (summary_court.csv's count
 * columns; the quantiles follow the counts, output.c). */
enum sup_stat {
    SUP_STAT_DEFENDANTS,
    SUP_STAT_EVALUATED,
    SUP_STAT_ERRORS,
    SUP_STAT_FIXED_TERM,
    SUP_STAT_DETENTION,
    SUP_STAT_SURVEILLANCE,
    SUP_STAT_FINE_ONLY,
    SUP_STAT_EXEMPT,
    SUP_STAT_THRESHOLD_MET,
    SUP_STAT_SUSPENDED,
    SUP_STAT_BAN_ELIGIBLE,
    SUP_STAT_INJUNCTION_ELIGIBLE,
    SUP__NSTATS
};

struct sup_row {
    long long count[SUP__NCOUNTS]; /* in */
    bool blank[SUP__NSTATS];       /* out: statistics to blank */
    bool whole;                    /* out: the row blanked whole (quantiles too) */
};

/* Suppress the rows of one table (one offense's courts) at K = k; the
 * column totals are the rows' sums and known to everyone. k <= 1: nothing
 * is blanked. *protected_all is false when a count stays exposed whatever
 * is blanked (the table's own total is small): every row is then blanked
 * whole. Fails only when out of memory. */
enum status suppress_rows(struct sup_row *rows, int n, long long k, bool *protected_all,
                          struct err *err);

#endif
