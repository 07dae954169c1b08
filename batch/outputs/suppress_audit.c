/*-------------------------------------------------------------------------
 * suppress_audit.c
 *     Integer ranges of the variables of a linear system (see
 *     suppress_audit.h), by GLPK's branch and cut (glp_intopt).
 *
 * One GLPK problem per system; each question changes only the objective.
 * GLPK prints nothing (message level off) and is given a time limit per
 * question, so a hard table slows a run down by at most that much per
 * count before the count is treated as exposed. GLPK aborts the process
 * when it runs out of memory; the tables it sees are one offense's courts,
 * a few thousand variables at national scale.
 *
 * batch/outputs/suppress_audit.c
 *-------------------------------------------------------------------------
 */
#include "suppress_audit.h"

#include <glpk.h>
#include <math.h>
#include <stdlib.h>

/* Per question: a court table's system solves in milliseconds. */
#define AUDIT_TIME_LIMIT_MS 20000

struct audit {
    glp_prob *lp;
    int nvars;
    int objective; /* the variable of the last question, 0: none (GLPK counts from 1) */
};

enum status audit_new(struct audit **out, int nvars, struct err *err)
{
    struct audit *a = calloc(1, sizeof *a);

    *out = NULL;
    if (!a)
        return err_set(err, ST_ENOMEM, "out of memory");
    a->lp = glp_create_prob();
    a->nvars = nvars;
    if (nvars > 0)
        glp_add_cols(a->lp, nvars);
    for (int j = 1; j <= nvars; j++) {
        glp_set_col_kind(a->lp, j, GLP_IV);
        glp_set_col_bnds(a->lp, j, GLP_LO, 0.0, 0.0);
    }
    *out = a;
    return ST_OK;
}

void audit_free(struct audit *a)
{
    if (!a)
        return;
    glp_delete_prob(a->lp);
    free(a);
}

void audit_bounds(struct audit *a, int var, long long lo, long long hi)
{
    int j = var + 1;

    if (var < 0 || var >= a->nvars)
        return;
    if (hi < 0)
        glp_set_col_bnds(a->lp, j, GLP_LO, (double)lo, 0.0);
    else if (lo == hi)
        glp_set_col_bnds(a->lp, j, GLP_FX, (double)lo, (double)lo);
    else
        glp_set_col_bnds(a->lp, j, GLP_DB, (double)lo, (double)hi);
}

enum status audit_row(struct audit *a, int n, const int *vars, const int *coef, long long rhs,
                      bool le, struct err *err)
{
    /* GLPK's arrays count from 1. */
    int *ind = malloc(sizeof *ind * (size_t)(n + 1));
    double *val = malloc(sizeof *val * (size_t)(n + 1));
    int i = glp_add_rows(a->lp, 1);

    if (!ind || !val) {
        free(ind);
        free(val);
        return err_set(err, ST_ENOMEM, "out of memory");
    }
    for (int k = 0; k < n; k++) {
        ind[k + 1] = vars[k] + 1;
        val[k + 1] = coef[k];
    }
    glp_set_mat_row(a->lp, i, n, ind, val);
    glp_set_row_bnds(a->lp, i, le ? GLP_UP : GLP_FX, (double)rhs, (double)rhs);
    free(ind);
    free(val);
    return ST_OK;
}

enum status audit_extreme(struct audit *a, int var, bool maximize, long long *v, bool *found,
                          struct err *err)
{
    glp_iocp parm;
    int rc, status;

    *found = false;
    *v = 0;
    if (var < 0 || var >= a->nvars)
        return err_set(err, ST_EINPUT, "audit: no variable %d", var);
    if (a->objective > 0)
        glp_set_obj_coef(a->lp, a->objective, 0.0);
    a->objective = var + 1;
    glp_set_obj_coef(a->lp, a->objective, 1.0);
    glp_set_obj_dir(a->lp, maximize ? GLP_MAX : GLP_MIN);
    glp_init_iocp(&parm);
    parm.presolve = GLP_ON; /* solves the LP relaxation itself */
    parm.msg_lev = GLP_MSG_OFF;
    parm.tm_lim = AUDIT_TIME_LIMIT_MS;
    rc = glp_intopt(a->lp, &parm);
    status = glp_mip_status(a->lp);
    /* Optimal, or out of time with a solution, which still witnesses a
     * value some solution attains. */
    if ((rc == 0 || rc == GLP_ETMLIM) && (status == GLP_OPT || status == GLP_FEAS)) {
        *found = true;
        *v = llround(glp_mip_obj_val(a->lp));
    }
    return ST_OK;
}
