/*-------------------------------------------------------------------------
 * casefile.h
 *     A cases.csv file read whole into charges: its acts sorted by charge
 *     (case_no, defendant_no, offense) and act_no, grouped into charges
 *     that borrow them. What the golden rule tests (rule_tests.c) and
 *     offline explain read; import streams the file instead (csvin).
 *
 * batch/csv/casefile.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_CASEFILE_H
#define SENTENCER_CASEFILE_H

#include "case.h"
#include "csvin.h"
#include "status.h"

#include <stddef.h>
#include <stdint.h>

struct casefile {
    struct act *acts; /* owned: n_acts acts, sorted by charge then act_no */
    size_t n_acts, cap;
    struct charge *charges; /* owned array; each charge borrows its acts from
                             * acts (never charge_fini one of them) */
    size_t n_charges;
};

/* Read path (rows checked as import checks them, against today: see
 * csvin_open) into the zeroed *cf; each rejected row goes to on_reject and
 * is left out. Fails when the file cannot be opened (ST_EIO), its header
 * or CSV is unreadable (ST_EINPUT), or out of memory; *cf is valid for
 * casefile_fini either way. */
enum status casefile_read(struct casefile *cf, const char *path, int64_t today,
                          csvin_reject_fn on_reject, void *ud, struct err *err);
void casefile_fini(struct casefile *cf);

#endif
