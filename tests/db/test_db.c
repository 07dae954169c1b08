/*-------------------------------------------------------------------------
 * test_db.c
 *     Database tests of db.c against a real PostgreSQL server (a fresh
 *     database per file, given by the PG* variables): migrations, the
 *     import merge, chunk claiming shared by two connections, history of
 *     superseded recommendations, export order.
 *
 * tests/db/test_db.c
 *-------------------------------------------------------------------------
 */
#include "case.h"
#include "db.h"
#include "value.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct db *connect_or_fail(void)
{
    struct db *db = NULL;
    struct err err;

    err_clear(&err);
    if (db_connect(&db, NULL, &err) != ST_OK)
        fail_msg("connect: %s", err.msg);
    return db;
}

/* A valid act of a helping charge. */
static void mk_act(struct act *a, const char *case_no, const char *def, long act_no, long helped,
                   long line)
{
    memset(a, 0, sizeof *a);
    a->line = line;
    act_set_text(a, F_CASE_NO, case_no);
    act_set_text(a, F_DEFENDANT_NO, def);
    act_set_text(a, F_COURT_CODE, "110105");
    act_set_text(a, F_OFFENSE, "help_network_crime");
    a->num[F_OFFENSE] = 2;
    act_set_text(a, F_OFFENSE_DATE, "2021-03-04");
    a->num[F_OFFENSE_DATE] = days_from_civil(2021, 3, 4);
    act_set_text(a, F_DEFENDANT_KIND, "person");
    a->num[F_ACT_NO] = act_no;
    a->present[F_ACT_NO] = 1;
    a->num[F_HELPED_PARTIES] = helped;
    a->present[F_HELPED_PARTIES] = 1;
    a->num[F_PAYMENT_SETTLED_YUAN] = 20000000; /* 200000 yuan in fen */
    a->present[F_PAYMENT_SETTLED_YUAN] = 1;
}

struct dups {
    long line[8], first[8];
    int n;
};

static void on_dup(void *ud, long line, long first)
{
    struct dups *d = ud;

    if (d->n < 8) {
        d->line[d->n] = line;
        d->first[d->n] = first;
    }
    d->n++;
}

static void import(struct db *db, struct act *acts, int n, struct db_import_stats *stats,
                   struct dups *dups)
{
    struct err err;

    err_clear(&err);
    assert_int_equal(db_import_begin(db, &err), ST_OK);
    for (int i = 0; i < n; i++)
        assert_int_equal(db_import_act(db, &acts[i], &err), ST_OK);
    if (db_import_end(db, true, stats, on_dup, dups, &err) != ST_OK)
        fail_msg("import: %s (%s)", err.msg, err.detail);
}

static void migrate_is_idempotent_and_checks_the_version(void **state)
{
    struct db *db = connect_or_fail();
    struct err err;
    int applied;

    (void)state;
    err_clear(&err);
    assert_int_equal(db_migrate(db, &applied, &err), ST_OK);
    assert_int_equal(db_check_schema(db, &err), ST_OK);
    assert_int_equal(db_migrate(db, &applied, &err), ST_OK);
    assert_int_equal(applied, 0);
    db_close(db);
}

static void import_stores_new_rows_skips_unchanged_and_bumps_changed(void **state)
{
    struct db *db = connect_or_fail();
    struct act acts[3];
    struct db_import_stats st;
    struct dups d = {0};

    (void)state;
    mk_act(&acts[0], "(2021)京0105刑初1号", "1", 1, 3, 2);
    mk_act(&acts[1], "(2021)京0105刑初1号", "1", 2, 1, 3);
    mk_act(&acts[2], "(2021)京0105刑初1号", "2", 1, 5, 4);
    import(db, acts, 3, &st, &d);
    assert_int_equal(st.inserted, 3);
    assert_int_equal(st.updated, 0);
    import(db, acts, 3, &st, &d);
    assert_int_equal(st.inserted, 0);
    assert_int_equal(st.updated, 0);
    assert_int_equal(st.unchanged, 3);
    acts[1].num[F_HELPED_PARTIES] = 2;
    import(db, acts, 3, &st, &d);
    assert_int_equal(st.updated, 1);
    assert_int_equal(st.unchanged, 2);
    assert_int_equal(d.n, 0);
    for (int i = 0; i < 3; i++)
        act_fini(&acts[i]);
    db_close(db);
}

static void import_rejects_a_key_repeated_in_one_file_by_line(void **state)
{
    struct db *db = connect_or_fail();
    struct act acts[3];
    struct db_import_stats st;
    struct dups d = {0};

    (void)state;
    mk_act(&acts[0], "(2021)京0105刑初2号", "1", 1, 3, 2);
    mk_act(&acts[1], "(2021)京0105刑初2号", "1", 2, 3, 3);
    mk_act(&acts[2], "(2021)京0105刑初2号", "1", 1, 9, 7);
    import(db, acts, 3, &st, &d);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.line[0], 7);
    assert_int_equal(d.first[0], 2);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(st.inserted, 2);
    for (int i = 0; i < 3; i++)
        act_fini(&acts[i]);
    db_close(db);
}

/* Evaluate a claimed chunk trivially and store it. */
static void store_chunk(struct db *db, int64_t run, struct charge *cs, size_t n, const char *rs)
{
    struct rec *recs = calloc(n, sizeof *recs);
    struct err err;

    err_clear(&err);
    for (size_t i = 0; i < n; i++) {
        rec_set_text(&recs[i], R_STATUS, "ok");
        recs[i].num[R_STATUS] = 0;
        rec_set_num(&recs[i], R_THRESHOLD_MET, 1);
        rec_set_text(&recs[i], R_RULE_SET, rs);
    }
    if (db_store(db, run, cs, recs, n, &err) != ST_OK)
        fail_msg("store: %s", err.msg);
    for (size_t i = 0; i < n; i++) {
        rec_fini(&recs[i]);
        charge_fini(&cs[i]);
    }
    free(recs);
    free(cs);
}

struct counter {
    int n;
    char last[3][128];
    bool sorted;
};

static bool count_rec(void *ud, const struct rec *r)
{
    struct counter *c = ud;
    const char *k[3] = {r->text[R_CASE_NO], r->text[R_DEFENDANT_NO], r->text[R_OFFENSE]};

    if (c->n > 0) {
        int cmp = strcmp(c->last[0], k[0]);
        if (!cmp)
            cmp = strcmp(c->last[1], k[1]);
        if (!cmp)
            cmp = strcmp(c->last[2], k[2]);
        if (cmp >= 0)
            c->sorted = false;
    }
    for (int i = 0; i < 3; i++)
        snprintf(c->last[i], sizeof c->last[i], "%s", k[i]);
    c->n++;
    return true;
}

static void two_connections_claim_disjoint_chunks_and_history_is_kept(void **state)
{
    struct db *a = connect_or_fail(), *b = connect_or_fail();
    struct charge *ca, *cb;
    size_t na, nb;
    int64_t run;
    struct err err;
    struct counter cnt = {0, {{0}}, true};

    (void)state;
    err_clear(&err);
    assert_int_equal(db_run_start(a, "rs-one", 2, &run, &err), ST_OK);
    /* Three charges are pending (from the import tests). Connection a holds
     * two; b gets only what a did not lock. */
    assert_int_equal(db_claim(a, "rs-one", 2, &ca, &na, &err), ST_OK);
    assert_int_equal(na, 2);
    assert_int_equal(db_claim(b, "rs-one", 10, &cb, &nb, &err), ST_OK);
    assert_int_equal(nb, 1);
    for (size_t i = 0; i < na; i++)
        assert_true(ca[i].id != cb[0].id);
    store_chunk(a, run, ca, na, "rs-one");
    store_chunk(b, run, cb, nb, "rs-one");
    /* Nothing pending for the same rule set. */
    assert_int_equal(db_claim(a, "rs-one", 10, &ca, &na, &err), ST_OK);
    assert_int_equal(na, 0);
    /* A new rule set makes every charge pending again; the old
     * recommendations stay as history. */
    assert_int_equal(db_claim(a, "rs-two", 10, &ca, &na, &err), ST_OK);
    assert_int_equal(na, 3);
    store_chunk(a, run, ca, na, "rs-two");
    assert_int_equal(db_each_rec(a, 0, count_rec, &cnt, &err), ST_OK);
    assert_int_equal(cnt.n, 3);
    assert_true(cnt.sorted);
    cnt.n = 0;
    assert_int_equal(db_each_rec(a, run, count_rec, &cnt, &err), ST_OK);
    assert_int_equal(cnt.n, 6); /* three of rs-one, three of rs-two */
    assert_int_equal(db_run_finish(a, run, "done", NULL, NULL, &err), ST_OK);
    db_close(a);
    db_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(migrate_is_idempotent_and_checks_the_version),
        cmocka_unit_test(import_stores_new_rows_skips_unchanged_and_bumps_changed),
        cmocka_unit_test(import_rejects_a_key_repeated_in_one_file_by_line),
        cmocka_unit_test(two_connections_claim_disjoint_chunks_and_history_is_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
