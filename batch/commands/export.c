/*-------------------------------------------------------------------------
 * export.c
 *     `sentencer export`: the current recommendation of every defendant
 *     and offense as recommendations.csv (case-interchange.md, section 2).
 *
 * batch/commands/export.c
 *-------------------------------------------------------------------------
 */
#include "ctx.h"
#include "db.h"
#include "output.h"

enum status cmd_export(struct ctx *ctx, struct err *err)
{
    struct db *db;
    enum status st;

    if ((st = db_connect(&db, &ctx->opt.db, err)) != ST_OK)
        return st;
    if ((st = db_check_schema(db, err)) == ST_OK)
        st = output_export(db, ctx->opt.out, ctx->opt.excel, err);
    db_close(db);
    return st;
}
