/*-------------------------------------------------------------------------
 * suppress.h
 *     Small-cell suppression of a table of counts: which published
 *     statistics of which rows to blank so that no count from 1 to K-1 can
 *     be seen or worked out. A pure function of the counts; summary_court.csv
 *     (output.c) is its user, one offense's court rows at a time.
 *
 * Per offense, each court's row is a set of counts: the published ones
 * (defendants, errors, the five kinds) and the ones behind the shares
 * (those evaluated, those meeting the threshold and not, suspended and
 * not, ...). They are tied by equations an attacker knows: within a row
 * (defendants = evaluated + errors; evaluated = the kinds plus those with
 * no kind; evaluated = met + not met, ...) and down the courts (the courts'
 * counts add up to the offense's total in summary_offense.csv).
 *
 * 1. Primary: a row with fewer than K defendants is blanked whole; in the
 *    other rows every count from 1 to K-1 is blanked (a share when its
 *    count or the complement is). A 0 describes no one and stays.
 * 2. Complementary: on every equation, a lone blank, or blanks adding up
 *    to less than K while the total is known, get company: the cheapest
 *    other count of the equation (fewest published cells lost, then the
 *    smallest), repeated until nothing changes. A share is shown only with
 *    its denominator.
 * 3. Audit: the bounds an attacker derives equation by equation from what
 *    is shown (interval propagation to a fixed point) must leave every
 *    count from 1 to K-1 able to reach K. If not, the row is blanked whole,
 *    then the smallest other row of the offense, and 2 and 3 run again.
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
    SUP_EVALUATED, /* status ok; not published, but the shares' denominator */
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

/* The published statistics that show them. */
enum sup_stat {
    SUP_STAT_DEFENDANTS,
    SUP_STAT_ERRORS,
    SUP_STAT_FIXED_TERM,
    SUP_STAT_DETENTION,
    SUP_STAT_SURVEILLANCE,
    SUP_STAT_FINE_ONLY,
    SUP_STAT_EXEMPT,
    SUP_STAT_SHARE_THRESHOLD_MET,
    SUP_STAT_SHARE_SUSPENDED,
    SUP_STAT_SHARE_BAN_ELIGIBLE,
    SUP_STAT_SHARE_INJUNCTION_ELIGIBLE,
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
