/*-------------------------------------------------------------------------
 * test_oom_db.c
 *     Out of memory in the store (db.c), at every allocation the project
 *     makes (tests/include/oom.h): connecting, and a query whose result
 *     is read in place. Each must fail with a message and leak nothing.
 *     Runs against a real server (the PG* variables), like test_db.c.
 *
 * tests/db/test_oom_db.c
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "db.h"
#include "result.h"

#include "oom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool failed_saying(const struct err *err)
{
    if (err->msg[0] == '\0')
        fail_msg("a step failed without a message");
    return false;
}

/* Connect, list the latest runs, look a column up, close. */
static bool connect_and_query(void *ud)
{
    static const char *const params[] = {"5"};
    struct db *db = NULL;
    struct result *res = NULL;
    struct err err = {0};
    bool ok = false;

    (void)ud;
    if (db_connect(&db, NULL, &err) != ST_OK) {
        assert_null(db);
        return failed_saying(&err);
    }
    if (db_query(db, Q_STATUS, 1, params, &res, &err) != ST_OK) {
        assert_null(res);
        failed_saying(&err);
        goto out;
    }
    assert_true(result_col(res, "rule_set") >= 0);
    assert_int_equal(result_rows(res), 0); /* a new database has no runs */
    ok = true;
out:
    result_free(res);
    db_close(db);
    return ok;
}

static void store_fails_cleanly_at_every_allocation(void **state)
{
    struct db *db = NULL;
    struct err err = {0};
    int applied = 0;
    long n;

    (void)state;
    assert_int_equal(db_connect(&db, NULL, &err), ST_OK);
    assert_int_equal(db_migrate(db, &applied, &err), ST_OK);
    db_close(db);
    n = oom_sweep(connect_and_query, NULL, 100000);
    assert_true(n > 0);
    print_message("%ld allocations, each failed once\n", n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(store_fails_cleanly_at_every_allocation),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
