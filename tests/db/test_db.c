/*-------------------------------------------------------------------------
 * test_db.c
 *     Database tests of db.c against a real PostgreSQL server (a fresh
 *     database per file, given by the PG* variables): migrations, the
 *     import merge, chunk claiming shared by two connections, history of
 *     superseded recommendations, export order, and the schema's CHECKs
 *     of coded values against case.h's tables.
 *
 * tests/db/test_db.c
 *-------------------------------------------------------------------------
 */
#include "case.h"
#include "db.h"
#include "sha256.h"
#include "value.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <libpq-fe.h>

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

/* The CHECK of table.col lists exactly values (NULL-terminated), in order. */
static void check_codes(PGconn *pg, const char *table, const char *col, const char *const *values)
{
    const char *p[2] = {table, col};
    PGresult *res = PQexecParams(pg,
                                 "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                                 " WHERE conrelid = $1::regclass AND contype = 'c'"
                                 " AND pg_get_constraintdef(oid) LIKE '%(' || $2 || ' = ANY%'",
                                 2, NULL, p, NULL, NULL, 0);
    const char *def, *q;
    int n = 0;

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        fail_msg("%s.%s: no single CHECK of its values (%s)", table, col,
                 PQresultErrorMessage(res));
    def = PQgetvalue(res, 0, 0);
    /* (col = ANY (ARRAY['a'::text, 'b'::text])) */
    for (q = strchr(def, '\''); q; q = strchr(strchr(q + 1, '\'') + 1, '\'')) {
        size_t len = (size_t)(strchr(q + 1, '\'') - (q + 1));
        if (!values[n] || strlen(values[n]) != len || strncmp(q + 1, values[n], len) != 0)
            fail_msg("%s.%s: CHECK %s differs from case.h at value %d", table, col, def, n + 1);
        n++;
    }
    if (values[n])
        fail_msg("%s.%s: CHECK %s lacks %s", table, col, def, values[n]);
    PQclear(res);
}

static void schema_checks_list_the_coded_values_of_case_h(void **state)
{
    struct db *db = connect_or_fail();
    struct err err;
    int applied;
    PGconn *pg = PQconnectdb("");

    (void)state;
    err_clear(&err);
    assert_int_equal(db_migrate(db, &applied, &err), ST_OK);
    db_close(db);
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    check_codes(pg, "sentencer.act", "offense", offense_values);
    check_codes(pg, "sentencer.act", "defendant_kind", defendant_kind_values);
    check_codes(pg, "sentencer.act", "actual_kind", penalty_kind_values);
    check_codes(pg, "sentencer.recommendation", "status", status_values);
    check_codes(pg, "sentencer.recommendation", "recommended_kind", penalty_kind_values);
    PQfinish(pg);
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
/* A call that must succeed; on failure the test shows the error. */
#define MUST(call)                                                                                 \
    do {                                                                                           \
        if ((call) != ST_OK)                                                                       \
            fail_msg("%s: %s (%s)", #call, err.msg, err.detail);                                   \
    } while (0)

/* A one-file rule set whose file holds tag: the database checks that a
 * rule set hashes to its id, so its id is computed as rules.c does. */
struct fake_rules {
    char id[17];
    const char *names[2], *data[2];
    size_t lens[2];
    struct db_rule_set rs;
};

static const struct db_rule_set *fake_rules(struct fake_rules *f, const char *tag)
{
    struct sha256 sha;
    char hex[65];

    f->names[0] = "MANIFEST";
    f->names[1] = "x.lua";
    f->data[0] = "x.lua\n";
    f->data[1] = tag;
    f->lens[0] = strlen(f->data[0]);
    f->lens[1] = strlen(tag);
    assert_true(sha256_init(&sha));
    sha256_update(&sha, f->data[0], f->lens[0]);
    sha256_update(&sha, "x.lua", 6);
    sha256_update(&sha, tag, f->lens[1]);
    sha256_hex(&sha, hex);
    memcpy(f->id, hex, 16);
    f->id[16] = '\0';
    f->rs = (struct db_rule_set){f->id, 2, f->names, f->data, f->lens, NULL, -1, -1};
    return &f->rs;
}

static void store_chunk(struct db *db, const struct db_run *run, struct charge *cs, size_t n,
                        const char *rs)
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
    struct db_run one, two;
    struct err err;
    struct counter cnt = {0, {{0}}, true};
    struct fake_rules r1, r2;

    (void)state;
    err_clear(&err);
    if (db_run_begin(a, fake_rules(&r1, "rs-one"), 2, &one, &err) != ST_OK)
        fail_msg("run_begin: %s", err.msg);
    /* Three charges are pending (from the import tests). Connection a holds
     * two; b gets only what a did not lock. */
    MUST(db_claim(a, &one, 2, &ca, &na, &err));
    assert_int_equal(na, 2);
    MUST(db_claim(b, &one, 10, &cb, &nb, &err));
    assert_int_equal(nb, 1);
    for (size_t i = 0; i < na; i++)
        assert_true(ca[i].id != cb[0].id);
    store_chunk(a, &one, ca, na, r1.id);
    store_chunk(b, &one, cb, nb, r1.id);
    /* Nothing pending for the same rule set. */
    MUST(db_claim(a, &one, 10, &ca, &na, &err));
    assert_int_equal(na, 0);
    MUST(db_run_end(a, &one, "done", NULL, NULL, 0, &err));
    /* A run with a new rule set finds every charge pending again; the old
     * recommendations stay as history. */
    MUST(db_run_begin(a, fake_rules(&r2, "rs-two"), 1, &two, &err));
    MUST(db_claim(a, &two, 10, &ca, &na, &err));
    assert_int_equal(na, 3);
    store_chunk(a, &two, ca, na, r2.id);
    MUST(db_each_rec(a, 0, count_rec, &cnt, &err));
    assert_int_equal(cnt.n, 3);
    assert_true(cnt.sorted);
    cnt.n = 0;
    MUST(db_each_rec(a, one.id, count_rec, &cnt, &err));
    assert_int_equal(cnt.n, 3);
    cnt.n = 0;
    MUST(db_each_rec(a, two.id, count_rec, &cnt, &err));
    assert_int_equal(cnt.n, 3);
    MUST(db_run_end(a, &two, "done", NULL, NULL, 0, &err));
    db_close(a);
    db_close(b);
}

/* The database refuses what a run may not write: a chunk under another
 * run's token, a recommendation for facts that are not the charge's
 * current ones, one for a charge already evaluated with the run's rule set,
 * and anything of a run that has ended. */
static void store_refuses_forged_stale_and_repeated_chunks(void **state)
{
    struct db *a = connect_or_fail();
    struct charge *cs;
    size_t n;
    struct db_run run, forged;
    struct rec rec = {0};
    struct err err;
    struct fake_rules r3;

    (void)state;
    err_clear(&err);
    MUST(db_run_begin(a, fake_rules(&r3, "rs-three"), 1, &run, &err));
    MUST(db_claim(a, &run, 1, &cs, &n, &err));
    assert_int_equal(n, 1);
    rec_set_text(&rec, R_STATUS, "ok");
    rec_set_text(&rec, R_RULE_SET, r3.id);

    forged = run;
    forged.token[0] = forged.token[0] == 'a' ? 'b' : 'a';
    assert_int_equal(db_store(a, &forged, cs, &rec, 1, &err), ST_EDB);
    assert_non_null(strstr(err.msg, "token"));
    charge_fini(&cs[0]);
    free(cs);

    /* A stale revision: the claim says one less than the stored one. */
    MUST(db_claim(a, &run, 1, &cs, &n, &err));
    assert_int_equal(n, 1);
    cs[0].facts_rev--;
    assert_int_equal(db_store(a, &run, cs, &rec, 1, &err), ST_EDB);
    assert_non_null(strstr(err.msg, "facts revision"));
    charge_fini(&cs[0]);
    free(cs);

    /* Stored once; the same again is refused. */
    MUST(db_claim(a, &run, 1, &cs, &n, &err));
    assert_int_equal(n, 1);
    if (db_store(a, &run, cs, &rec, 1, &err) != ST_OK)
        fail_msg("store: %s", err.msg);
    assert_int_equal(db_store(a, &run, cs, &rec, 1, &err), ST_EDB);
    assert_non_null(strstr(err.msg, "already evaluated"));
    charge_fini(&cs[0]);
    free(cs);

    /* An ended run writes nothing more. */
    MUST(db_run_end(a, &run, "done", NULL, NULL, 0, &err));
    assert_int_equal(db_claim(a, &run, 1, &cs, &n, &err), ST_EDB);
    assert_non_null(strstr(err.msg, "not running"));
    rec_fini(&rec);
    db_close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(schema_checks_list_the_coded_values_of_case_h),
        cmocka_unit_test(migrate_is_idempotent_and_checks_the_version),
        cmocka_unit_test(import_stores_new_rows_skips_unchanged_and_bumps_changed),
        cmocka_unit_test(import_rejects_a_key_repeated_in_one_file_by_line),
        cmocka_unit_test(two_connections_claim_disjoint_chunks_and_history_is_kept),
        cmocka_unit_test(store_refuses_forged_stale_and_repeated_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
