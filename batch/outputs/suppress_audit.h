/*-------------------------------------------------------------------------
 * suppress_audit.h
 *     What an intruder can prove about a count: the least and the greatest
 *     value an integer variable takes over every integer solution of a
 *     system of linear equations and inequalities (integer programming,
 *     GLPK). suppress.c states the system (what a published table shows
 *     and the equations every reader knows) and asks, count by count,
 *     whether a blanked one is pinned or provably small.
 *
 * Exact: a range is a property of the integer solutions, not of interval
 * bounds propagated equation by equation, which miss what several
 * equations together imply.
 *
 * batch/outputs/suppress_audit.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_SUPPRESS_AUDIT_H
#define SENTENCER_SUPPRESS_AUDIT_H

#include "status.h"

#include <stdbool.h>

struct audit; /* a system of integer variables, owned by its creator */

/* A new system of nvars integer variables, each >= 0 and unbounded above
 * until audit_bounds says otherwise. Free with audit_free. */
enum status audit_new(struct audit **out, int nvars, struct err *err);
void audit_free(struct audit *a);

/* lo <= x[var] <= hi; hi < 0: no upper bound; lo == hi fixes the value. */
void audit_bounds(struct audit *a, int var, long long lo, long long hi);

/* sum(coef[i] * x[vars[i]]) = rhs (le false) or <= rhs (le true). */
enum status audit_row(struct audit *a, int n, const int *vars, const int *coef, long long rhs,
                      bool le, struct err *err);

/* The greatest (maximize) or least value of x[var] over the integer
 * solutions, in *v; when the solver's time limit cut the search short, the
 * best value found, which a solution attains (a witness, not the extreme).
 * *found is false when it found no solution at all: the caller, whose
 * system has one (the true counts), treats the count as exposed. */
enum status audit_extreme(struct audit *a, int var, bool maximize, long long *v, bool *found,
                          struct err *err);

#endif
