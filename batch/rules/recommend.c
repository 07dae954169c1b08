/*-------------------------------------------------------------------------
 * recommend.c
 *     The rules' result for a charge, checked against the contract (see
 *     recommend.h).
 *
 * batch/rules/recommend.c
 *-------------------------------------------------------------------------
 */
#include "recommend.h"

#include "rec_check.h"

#include <stdio.h>

enum status recommend(struct rules *rules, const struct charge *c, struct rec *out, struct err *err)
{
    enum status st = rules_eval(rules, c, out, err);
    char msg[512], full[600];

    if (st != ST_OK)
        return st;
    if (rec_check(out, c->acts[0].num[F_DEFENDANT_KIND] == DEFENDANT_UNIT, msg, sizeof msg))
        return ST_OK;
    snprintf(full, sizeof full, "rule result breaks the contract: %s", msg);
    if (!rec_set_error(out, ERROR_RULE, full))
        return err_set(err, ST_ENOMEM, "out of memory evaluating a case");
    return ST_OK;
}
