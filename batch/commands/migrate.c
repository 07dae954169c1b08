/*-------------------------------------------------------------------------
 * migrate.c
 *     `sentencer migrate`: bring the schema up to date (the migrations in
 *     sql/, compiled in; see db_migrate) and check it.
 *
 * batch/commands/migrate.c
 *-------------------------------------------------------------------------
 */
#include "ctx.h"
#include "db.h"
#include "log.h"

enum status cmd_migrate(struct ctx *ctx, struct err *err)
{
    struct db *db;
    enum status st;
    int applied = 0;

    if ((st = db_connect(&db, &ctx->opt.db, err)) != ST_OK)
        return st;
    st = db_migrate(db, &applied, err);
    if (st == ST_OK)
        st = db_check_schema(db, err);
    db_close(db);
    if (st == ST_OK)
        log_info("schema up to date (%d migration%s applied)", applied, applied == 1 ? "" : "s");
    return st;
}
