/*-------------------------------------------------------------------------
 * test_csvin.c
 *     Unit tests of the cases.csv reader: header checks, cell and row
 *     checks with their reasons, line numbers, and recovery after bad rows.
 *
 * Input comes from memory through fmemopen; no file or database is used.
 *
 * tests/unit/test_csvin.c
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "case.h"
#include "csvin.h"
#include "status.h"
#include "value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR "case_no,defendant_no,court_code,offense,offense_date,defendant_kind"
#define CASE_CN "(2021)京0105刑初123号"
#define ROW CASE_CN ",1,110105,help_network_crime,2021-03-01,person"

struct rej {
    char file[32];
    long line;
    char column[64];
    char reason[256];
};

/* Everything one test needs; the fixture frees it. */
struct fx {
    char *data;
    FILE *fp;
    struct csvin *r;
    struct act a;
    struct err err;
    struct rej rej[32];
    int nrej;
    int64_t today; /* the run date given to the reader */
};

static void collect(void *ud, const struct csvin_reject *rej)
{
    struct fx *fx = ud;
    struct rej *k;

    assert_true(fx->nrej < 32);
    k = &fx->rej[fx->nrej++];
    snprintf(k->file, sizeof k->file, "%s", rej->file);
    k->line = rej->line;
    snprintf(k->column, sizeof k->column, "%s", rej->column);
    snprintf(k->reason, sizeof k->reason, "%s", rej->reason);
}

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);

    if (!fx)
        return -1;
    /* A fixed run date: the reader never reads the clock. */
    fx->today = days_from_civil(2024, 6, 11);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;

    csvin_close(fx->r);
    if (fx->fp)
        fclose(fx->fp);
    free(fx->data);
    act_fini(&fx->a);
    free(fx);
    return 0;
}

/* Open a reader named name on the len bytes of text. */
static enum status open_bytes(struct fx *fx, const char *text, size_t len, const char *name)
{
    fx->data = malloc(len ? len : 1);
    assert_non_null(fx->data);
    memcpy(fx->data, text, len);
    /* fmemopen refuses a zero size; an empty file is a closed pipe. */
    fx->fp = len ? fmemopen(fx->data, len, "r") : fopen("/dev/null", "r");
    assert_non_null(fx->fp);
    return csvin_open(&fx->r, fx->fp, name, fx->today, collect, fx, &fx->err);
}

static enum status open_text(struct fx *fx, const char *text)
{
    return open_bytes(fx, text, strlen(text), "cases.csv");
}

static enum csvin_result next(struct fx *fx)
{
    return csvin_next(fx->r, &fx->a, &fx->err);
}

/* The next row must be accepted; returns its line. */
static long next_row(struct fx *fx)
{
    enum csvin_result res = next(fx);

    if (res != CSVIN_ROW)
        fail_msg("expected a row, got %d (%d rejects, first: %s: %s)", (int)res, fx->nrej,
                 fx->nrej ? fx->rej[0].column : "", fx->nrej ? fx->rej[0].reason : "");
    return fx->a.line;
}

static void assert_rej(const struct fx *fx, int i, long line, const char *column,
                       const char *reason)
{
    assert_true(i < fx->nrej);
    assert_int_equal(fx->rej[i].line, line);
    assert_string_equal(fx->rej[i].column, column);
    assert_string_equal(fx->rej[i].reason, reason);
}

static void csvin_reads_a_row_into_an_act_with_act_no_defaulting_to_one(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, HDR "\n" ROW "\n"), ST_OK);
    assert_int_equal(next_row(fx), 2);
    assert_string_equal(fx->a.text[F_CASE_NO], CASE_CN);
    assert_string_equal(fx->a.text[F_DEFENDANT_NO], "1");
    assert_string_equal(fx->a.text[F_COURT_CODE], "110105");
    assert_true(fx->a.present[F_OFFENSE]);
    assert_int_equal(fx->a.num[F_OFFENSE], 2);
    assert_string_equal(fx->a.text[F_OFFENSE], "help_network_crime");
    assert_string_equal(fx->a.text[F_OFFENSE_DATE], "2021-03-01");
    assert_int_equal(fx->a.num[F_OFFENSE_DATE], 18687);
    assert_int_equal(fx->a.num[F_DEFENDANT_KIND], 0);
    assert_true(fx->a.present[F_ACT_NO]);
    assert_int_equal(fx->a.num[F_ACT_NO], 1);
    assert_false(fx->a.present[F_HELPED_PARTIES]); /* absent column: not recorded */
    assert_false(fx->a.present[F_AGE_AT_OFFENSE]);
    assert_int_equal(next(fx), CSVIN_EOF);
    assert_int_equal(next(fx), CSVIN_EOF);
    assert_int_equal(csvin_rows(fx->r), 1);
    assert_int_equal(fx->nrej, 0);
}

static void csvin_keeps_chinese_text_byte_for_byte(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_text(fx, "case_no,defendant_no,court_code,offense,offense_date,"
                                   "defendant_kind\n" CASE_CN ",一,110105,"
                                   "help_network_crime,2021-03-01,person\n"),
                     ST_OK);
    next_row(fx);
    assert_memory_equal(fx->a.text[F_CASE_NO], CASE_CN, sizeof CASE_CN);
    assert_string_equal(fx->a.text[F_DEFENDANT_NO], "一");
    assert_string_equal(fx->a.text[F_COURT_CODE], "110105");
}

static void csvin_rejects_unknown_column_naming_it(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, HDR ",helpd_parties\n" ROW ",3\n"), ST_EINPUT);
    assert_null(fx->r);
    assert_string_equal(fx->err.msg, "unknown column \"helpd_parties\"");
    assert_string_equal(fx->err.detail, "cases.csv:1");
    assert_non_null(strstr(fx->err.hint, "case-interchange.md"));
    assert_non_null(strstr(fx->err.hint, "\"helped_parties\""));
}

static void csvin_names_an_unknown_column_without_suggestion_when_nothing_is_close(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, HDR ",被告人\x01\n"), ST_EINPUT);
    assert_string_equal(fx->err.msg, "unknown column \"被告人\\x01\"");
    assert_null(strstr(fx->err.hint, "Perhaps"));
    assert_non_null(strstr(fx->err.hint, "case-interchange.md"));
}

static void csvin_shows_invisible_characters_of_an_unknown_column_escaped(void **state)
{
    struct fx *fx = *state;

    /* A zero-width space pasted before a name, and a C1 control after one. */
    assert_int_equal(open_text(fx, HDR ",\xE2\x80\x8Bsurrendered\n"), ST_EINPUT);
    assert_string_equal(fx->err.msg, "unknown column \"\\u200Bsurrendered\"");
    assert_non_null(strstr(fx->err.hint, "cannot be seen"));
    teardown(state);
    setup(state);
    fx = *state;
    assert_int_equal(open_text(fx, HDR ",pregnant\xC2\x85\n"), ST_EINPUT);
    assert_string_equal(fx->err.msg, "unknown column \"pregnant\\u0085\"");
}

/* "case_no\0junk" was read as case_no: the NUL cut the name short. */
static void csvin_refuses_a_header_holding_a_nul_naming_its_column(void **state)
{
    struct fx *fx = *state;
    static const char text[] = "defendant_no,case_no\0junk,court_code,offense,offense_date,"
                               "defendant_kind\n1," CASE_CN ",110105,help_network_crime,2021-03-01,"
                               "person\n";

    assert_int_equal(open_bytes(fx, text, sizeof text - 1, "cases.csv"), ST_EINPUT);
    assert_null(fx->r);
    assert_string_equal(fx->err.msg, "NUL character in column 2 of the header");
    assert_string_equal(fx->err.detail, "cases.csv:1");
    assert_non_null(strstr(fx->err.hint, "UTF-16"));
    assert_non_null(strstr(fx->err.hint, "CSV UTF-8"));
}

/* What Excel's "Unicode Text" looks like: UTF-16LE with its own mark. */
static void csvin_refuses_a_utf16_file_at_its_header(void **state)
{
    struct fx *fx = *state;
    const char *ascii = HDR "\r\n";
    char text[512];
    size_t n = 0;

    text[n++] = '\xFF';
    text[n++] = '\xFE';
    for (const char *p = ascii; *p; p++) {
        text[n++] = *p;
        text[n++] = '\0';
    }
    assert_int_equal(open_bytes(fx, text, n, "cases.csv"), ST_EINPUT);
    assert_string_equal(fx->err.msg, "NUL character in column 1 of the header");
    assert_non_null(strstr(fx->err.hint, "UTF-16"));
}

/* A file saved as "CSV UTF-8" twice: the second mark made an unknown
 * column whose name looked like case_no. */
static void csvin_refuses_a_header_with_two_byte_order_marks(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, "\xEF\xBB\xBF\xEF\xBB\xBF" HDR "\r\n" ROW "\r\n"), ST_EINPUT);
    assert_null(fx->r);
    assert_string_equal(fx->err.msg, "the header starts with two byte-order marks; save the file "
                                     "again as CSV UTF-8");
    assert_string_equal(fx->err.detail, "cases.csv:1");
    teardown(state);
    setup(state);
    fx = *state;
    assert_int_equal(open_text(fx, "\xEF\xBB\xBF\xEF\xBB\xBF\xEF\xBB\xBF" HDR "\n"), ST_EINPUT);
    assert_string_equal(fx->err.msg, "the header starts with 3 byte-order marks; save the file "
                                     "again as CSV UTF-8");
}

/* A mark inside the header is no second leading one: it is shown. */
static void csvin_shows_a_byte_order_mark_before_a_later_column(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, HDR ",\xEF\xBB\xBF"
                                       "surrendered\n"),
                     ST_EINPUT);
    assert_string_equal(fx->err.msg, "unknown column \"\\uFEFFsurrendered\"");
    assert_non_null(strstr(fx->err.hint, "cannot be seen"));
}

static void csvin_rejects_duplicate_column(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, HDR ",surrendered,surrendered\n"), ST_EINPUT);
    assert_string_equal(fx->err.msg, "duplicate column \"surrendered\"");
    assert_string_equal(fx->err.detail, "cases.csv:1: columns 7 and 8");
}

static void csvin_rejects_missing_required_column_naming_it(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, "case_no,defendant_no,offense,offense_date,defendant_kind\n"),
                     ST_EINPUT);
    assert_string_equal(fx->err.msg, "missing required column \"court_code\"");
    assert_string_equal(fx->err.detail, "cases.csv:1");
    assert_non_null(strstr(fx->err.hint, "case_no, defendant_no, court_code, offense, "
                                         "offense_date, defendant_kind"));
}

static void csvin_rejects_empty_column_name_from_a_trailing_comma(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, HDR ",\n"), ST_EINPUT);
    assert_string_equal(fx->err.msg, "empty column name in column 7 of the header");
}

static void csvin_reports_a_file_without_header(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_bytes(fx, "", 0, "cases.csv"), ST_EINPUT);
    assert_string_equal(fx->err.msg, "no header row in \"cases.csv\"");
}

static void csvin_reports_a_blank_file_without_header(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, "\xEF\xBB\xBF\r\n\r\n"), ST_EINPUT);
    assert_string_equal(fx->err.msg, "no header row in \"cases.csv\"");
}

static void csvin_skips_a_utf8_byte_order_mark(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, "\xEF\xBB\xBF" HDR "\r\n" ROW "\r\n"), ST_OK);
    assert_int_equal(next_row(fx), 2);
    assert_string_equal(fx->a.text[F_CASE_NO], CASE_CN);
}

static void csvin_rejects_a_row_with_the_wrong_number_of_cells(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, HDR "\nA,1,c\n" ROW ",extra\n" ROW "\n"), ST_OK);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(fx->a.line, 2);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(next_row(fx), 4);
    assert_int_equal(fx->nrej, 2);
    assert_rej(fx, 0, 2, "",
               "wrong number of cells: 3 instead of 6 (one per column of the header)");
    assert_rej(fx, 1, 3, "",
               "wrong number of cells: 7 instead of 6 (one per column of the header)");
    assert_string_equal(fx->rej[0].file, "cases.csv");
}

static void csvin_reports_every_bad_cell_of_a_row_and_reads_on(void **state)
{
    struct fx *fx = *state;
    int i = 0;

    assert_int_equal(open_text(fx, HDR ",payment_settled_yuan,helped_parties\n"
                                       ",1,110105,helping,2021-02-30,person,12000.505,-3\n" ROW
                                       ",12000.50,3\n"),
                     ST_OK);
    assert_int_equal(next(fx), CSVIN_REJECT);
    /* Nothing of a rejected row is handed out. */
    assert_int_equal(fx->a.line, 2);
    for (int f = 0; f < F__COUNT; f++) {
        assert_false(fx->a.present[f]);
        assert_null(fx->a.text[f]);
    }
    assert_int_equal(fx->nrej, 5);
    assert_rej(fx, i++, 2, "case_no", "required, but empty");
    assert_rej(fx, i++, 2, "offense",
               "not one of refuse_netsec_duty, illegal_use_network, help_network_crime: 'helping'");
    assert_rej(fx, i++, 2, "offense_date", "not a date (YYYY-MM-DD): '2021-02-30'");
    assert_rej(fx, i++, 2, "payment_settled_yuan", "more than two decimals: '12000.505'");
    assert_rej(fx, i++, 2, "helped_parties", "not a count: '-3'");

    assert_int_equal(next_row(fx), 3);
    assert_int_equal(fx->a.num[F_PAYMENT_SETTLED_YUAN], 1200050);
    assert_int_equal(fx->a.num[F_HELPED_PARTIES], 3);
    assert_int_equal(next(fx), CSVIN_EOF);
    assert_int_equal(csvin_rows(fx->r), 2);
}

static void csvin_rejects_a_clerks_thousands_separator_in_a_quoted_amount(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, HDR ",illegal_income_yuan\n" ROW ",\"12,000\"\n"), ST_OK);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(fx->nrej, 1);
    assert_rej(fx, 0, 2, "illegal_income_yuan",
               "not an amount in yuan (like 12000 or 12000.50, no separators): '12,000'");
}

static void csvin_rejects_blanks_and_signs_around_numbers(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, HDR ",helped_parties,crime_sites,illegal_income_yuan\n" ROW
                                       ", 3,+2,1e3\n" ROW ",3 ,2,\" 5\"\n"),
                     ST_OK);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(fx->nrej, 5);
    assert_rej(fx, 0, 2, "helped_parties", "not a count: ' 3'");
    assert_rej(fx, 1, 2, "crime_sites", "not a count: '+2'");
    assert_string_equal(fx->rej[2].column, "illegal_income_yuan");
    assert_rej(fx, 3, 3, "helped_parties", "not a count: '3 '");
    assert_string_equal(fx->rej[4].column, "illegal_income_yuan");
}

static void csvin_accepts_booleans_in_any_case_and_empty_as_not_recorded(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, HDR ",surrendered,confessed,guilty_plea,recidivist,pregnant,"
                                       "accessory,ringleader\n" ROW ",TRUE,no,Yes,0,1,False,\n"),
                     ST_OK);
    next_row(fx);
    assert_int_equal(fx->a.num[F_SURRENDERED], 1);
    assert_int_equal(fx->a.num[F_CONFESSED], 0);
    assert_int_equal(fx->a.num[F_GUILTY_PLEA], 1);
    assert_int_equal(fx->a.num[F_RECIDIVIST], 0);
    assert_int_equal(fx->a.num[F_PREGNANT], 1);
    assert_int_equal(fx->a.num[F_ACCESSORY], 0);
    assert_true(fx->a.present[F_ACCESSORY]);
    assert_false(fx->a.present[F_RINGLEADER]);
}

static void csvin_checks_ranges_and_cells_against_each_other(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(
        open_text(fx,
                  HDR ",act_no,age_at_offense,conviction_date,knowledge_basis\n"
                      "A,1,110105,help_network_crime,2021-03-01,person,0,151,2021-02-28,1;9\n"
                      "A,1,110105,help_network_crime,2021-03-01,unit,,30,,\n"
                      "A,1,110105,help_network_crime,2021-03-01,person,-2,-3,,1;;3\n"
                      "A,1,110105,help_network_crime,2021-03-01,person,2,17,2021-03-01,1;3;7\n"),
        ST_OK);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(fx->nrej, 4);
    assert_rej(fx, 0, 2, "act_no", "must be 1 or more: '0'");
    assert_rej(fx, 1, 2, "age_at_offense", "not an age between 0 and 150: '151'");
    assert_rej(fx, 2, 2, "conviction_date", "before offense_date (2021-03-01): '2021-02-28'");
    assert_rej(fx, 3, 2, "knowledge_basis", "not a list of items 1 to 7 separated by ';': '1;9'");
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(fx->nrej, 5);
    assert_rej(fx, 4, 3, "age_at_offense", "must be empty for a unit (defendant_kind is unit)");
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(fx->nrej, 8);
    assert_rej(fx, 5, 4, "act_no", "must be 1 or more: '-2'");
    assert_rej(fx, 6, 4, "age_at_offense", "not an age between 0 and 150: '-3'");
    assert_rej(fx, 7, 4, "knowledge_basis", "not a list of items 1 to 7 separated by ';': '1;;3'");

    assert_int_equal(next_row(fx), 5);
    assert_int_equal(fx->a.num[F_ACT_NO], 2);
    assert_int_equal(fx->a.num[F_AGE_AT_OFFENSE], 17);
    assert_string_equal(fx->a.text[F_CONVICTION_DATE], "2021-03-01");
    assert_string_equal(fx->a.text[F_KNOWLEDGE_BASIS], "1;3;7");
}

/* act_no is an integer column: a larger number failed the whole file in
 * the database instead of its row. */
static void csvin_keeps_act_no_and_age_within_the_database_integer(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, HDR ",act_no,age_at_offense\n" ROW ",2147483647,30\n" ROW
                                       ",2147483648,30\n" ROW ",99999999999999999999,-0\n" ROW
                                       ",+2,+30\n"),
                     ST_OK);
    assert_int_equal(next_row(fx), 2);
    assert_true(fx->a.num[F_ACT_NO] == 2147483647);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(fx->nrej, 5);
    assert_rej(fx, 0, 3, "act_no", "too large a number (at most 2147483647): '2147483648'");
    assert_rej(fx, 1, 4, "act_no",
               "too large a number (at most 2147483647): '99999999999999999999'");
    assert_rej(fx, 2, 4, "age_at_offense", "minus zero (write 0): '-0'");
    assert_rej(fx, 3, 5, "act_no", "not a whole number: '+2'");
    assert_rej(fx, 4, 5, "age_at_offense", "not a whole number: '+30'");
}

static void csvin_refuses_counts_and_amounts_beyond_any_real_case(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, HDR ",illegal_info_clicks,payment_settled_yuan\n" ROW
                                       ",1000000000000,1000000000000.00\n" ROW
                                       ",1000000000001,1000000000000.01\n"),
                     ST_OK);
    assert_int_equal(next_row(fx), 2);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(fx->nrej, 2);
    assert_rej(fx, 0, 3, "illegal_info_clicks",
               "too large a count (at most 1000000000000): '1000000000001'");
    assert_rej(fx, 1, 3, "payment_settled_yuan",
               "too large an amount (at most 1000000000000 yuan): '1000000000000.01'");
}

/* A 3,000-byte case number failed the whole file in the database (btree
 * index row too large); ESC in one reached the terminal through explain. */
static void csvin_rejects_long_identifiers_and_control_characters_in_them(void **state)
{
    struct fx *fx = *state;
    size_t cap = 8192, o = 0;
    char *text = malloc(cap);

    assert_non_null(text);
    o += (size_t)snprintf(text + o, cap - o, HDR "\n");
    memset(text + o, 'N', 200); /* line 2: case_no at the limit */
    o += 200;
    o += (size_t)snprintf(text + o, cap - o, ",1,110105,help_network_crime,2021-03-01,person\n");
    memset(text + o, 'N', 3000); /* line 3 */
    o += 3000;
    o += (size_t)snprintf(text + o, cap - o,
                          ",1,110105,help_network_crime,2021-03-01,person\n"
                          "A\x1B[2J,1,110105,help_network_crime,2021-03-01,person\n" /* 4 */
                          "B,1\xC2\x9B,c\t,help_network_crime,2021-03-01,person\n"   /* 5 */
                          "C,%0101d,%0201d,help_network_crime,2021-03-01,person\n"   /* 6 */
                          "D,%0100d,110105,help_network_crime,2021-03-01,person\n",  /* 7 */
                          1, 1, 1);
    assert_int_equal(open_text(fx, text), ST_OK);
    free(text);
    assert_int_equal(next_row(fx), 2);
    assert_int_equal(strlen(fx->a.text[F_CASE_NO]), 200);
    for (int i = 0; i < 4; i++)
        assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(next_row(fx), 7);
    assert_int_equal(next(fx), CSVIN_EOF);
    assert_int_equal(fx->nrej, 6);
    assert_string_equal(fx->rej[0].column, "case_no");
    assert_int_equal(fx->rej[0].line, 3);
    assert_non_null(strstr(fx->rej[0].reason, "too long (3000 bytes, at most 200): 'NNN"));
    assert_rej(fx, 1, 4, "case_no", "contains a control character (\\x1B): 'A\\x1B[2J'");
    assert_rej(fx, 2, 5, "defendant_no", "contains a control character (\\u009B): '1\\u009B'");
    assert_rej(fx, 3, 5, "court_code", "contains a tab (\\x09): 'c\\x09'");
    assert_string_equal(fx->rej[4].column, "defendant_no");
    assert_non_null(strstr(fx->rej[4].reason, "too long (101 bytes, at most 100)"));
    assert_string_equal(fx->rej[5].column, "court_code");
    assert_non_null(strstr(fx->rej[5].reason, "not a court code: six digits"));
    /* Nothing raw: no C0, DEL, or C1 (0xC2 0x80..0x9F in UTF-8). */
    for (int i = 0; i < fx->nrej; i++) {
        for (const unsigned char *p = (const unsigned char *)fx->rej[i].reason; *p; p++) {
            assert_true(*p >= 0x20 && *p != 0x7F);
            assert_false(p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F);
        }
    }
}

/* Offense and conviction dates in 2150 and 2199 were accepted: any date
 * after the run date is a typo. */
static void csvin_rejects_dates_after_today(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx,
                               HDR ",conviction_date\n"
                                   "A,1,110105,help_network_crime,2024-06-11,person,2024-06-11\n"
                                   "B,1,110105,help_network_crime,2024-06-12,person,\n"
                                   "C,1,110105,help_network_crime,2024-06-10,person,2024-06-12\n"
                                   "D,1,110105,help_network_crime,2150-01-01,person,2199-12-31\n"),
                     ST_OK);
    assert_int_equal(next_row(fx), 2);
    assert_int_equal(fx->a.num[F_OFFENSE_DATE], fx->today);
    assert_int_equal(fx->a.num[F_CONVICTION_DATE], fx->today);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(next(fx), CSVIN_EOF);
    assert_int_equal(fx->nrej, 4);
    assert_rej(fx, 0, 3, "offense_date", "after today (2024-06-11): '2024-06-12'");
    assert_rej(fx, 1, 4, "conviction_date", "after today (2024-06-11): '2024-06-12'");
    assert_rej(fx, 2, 5, "offense_date", "after today (2024-06-11): '2150-01-01'");
    assert_rej(fx, 3, 5, "conviction_date", "after today (2024-06-11): '2199-12-31'");
}

static void csvin_accepts_any_date_up_to_2199_without_a_run_date(void **state)
{
    struct fx *fx = *state;

    fx->today = CSVIN_ANY_DAY;
    assert_int_equal(open_text(fx,
                               HDR ",conviction_date\n"
                                   "D,1,110105,help_network_crime,2150-01-01,person,2199-12-31\n"
                                   "E,1,110105,help_network_crime,2150-01-01,person,2200-01-01\n"),
                     ST_OK);
    assert_int_equal(next_row(fx), 2);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_rej(fx, 0, 3, "conviction_date", "not a date between 1900 and 2199: '2200-01-01'");
}

static void csvin_rejects_invalid_utf8_in_any_cell(void **state)
{
    struct fx *fx = *state;

    /* "京" in GBK, as Excel saves a plain "CSV" on a Chinese Windows. */
    assert_int_equal(open_text(fx, HDR "\n(2021)\xBE\xA9"
                                       "0105,1,110105,help_network_crime,"
                                       "2021-03-01,person\n" ROW "\n"),
                     ST_OK);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(fx->nrej, 1);
    assert_rej(fx, 0, 2, "case_no",
               "not UTF-8 text (save the file as \"CSV UTF-8\"): '(2021)\\xBE\\xA90105'");
    assert_int_equal(next_row(fx), 3);
}

static void csvin_rejects_a_nul_character_in_a_cell(void **state)
{
    struct fx *fx = *state;
    static const char text[] = HDR "\nA\0B,1,110105,help_network_crime,2021-03-01,person\n";

    assert_int_equal(open_bytes(fx, text, sizeof text - 1, "cases.csv"), ST_OK);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(fx->nrej, 1);
    assert_string_equal(fx->rej[0].column, "case_no");
    assert_non_null(strstr(fx->rej[0].reason, "NUL"));
}

static void csvin_numbers_lines_across_quoted_newlines_crlf_and_blank_lines(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, HDR "\r\n"                                                /* 1 */
                                       "\r\n"                                                /* 2 */
                                       "A,1,110105,help_network_crime,2021-03-01,person\r\n" /* 3 */
                                       "\"B\r\nline two\n\nline four\",1,110105," /* 4-7 */
                                       "help_network_crime,2021-03-01,person\r\n"
                                       "\n"                                                /* 8 */
                                       "C,1,110105,bad,2021-03-01,person\r\n"              /* 9 */
                                       "   \r\n"                                           /* 10 */
                                       "D,1,110105,help_network_crime,2021-03-01,person"), /* 11 */
                     ST_OK);
    assert_int_equal(next_row(fx), 3);
    /* The quoted line breaks are read into the cell, where a case number
     * may not have them. */
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(fx->a.line, 4);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(fx->a.line, 9);
    assert_int_equal(next(fx), CSVIN_REJECT); /* a line of blanks is a row of one cell */
    assert_int_equal(fx->a.line, 10);
    assert_int_equal(next_row(fx), 11);
    assert_string_equal(fx->a.text[F_CASE_NO], "D");
    assert_int_equal(next(fx), CSVIN_EOF);
    assert_int_equal(fx->nrej, 3);
    assert_rej(fx, 0, 4, "case_no",
               "contains a line break (\\x0D): 'B\\x0D\\x0Aline two\\x0A\\x0Aline four'");
    assert_rej(fx, 1, 9, "offense",
               "not one of refuse_netsec_duty, illegal_use_network, help_network_crime: 'bad'");
    assert_int_equal(fx->rej[2].line, 10);
}

static void csvin_counts_lone_carriage_returns_as_line_ends(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, HDR "\r" ROW "\r\r" ROW "\r" ROW "\n" ROW "\r\n" ROW), ST_OK);
    assert_int_equal(next_row(fx), 2);
    assert_int_equal(next_row(fx), 4);
    assert_int_equal(next_row(fx), 5);
    assert_int_equal(next_row(fx), 6);
    assert_int_equal(next_row(fx), 7);
    assert_int_equal(next(fx), CSVIN_EOF);
}

static void csvin_rejects_a_stray_quote_and_goes_on_with_the_next_line(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, HDR "\n"
                                       "A,1\"2,c,help_network_crime,2021-03-01,person\n"
                                       "B,1,110105,help_network_crime,2021-03-01,person\n"
                                       "\"C\"x,1,110105,help_network_crime,2021-03-01,person\n"
                                       "\"D\nE\",1,\"c\"\"\"z,help_network_crime,2021-03-01,"
                                       "person\n"
                                       "F,1,110105,help_network_crime,2021-03-01,person"),
                     ST_OK);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(fx->a.line, 2);
    assert_int_equal(next_row(fx), 3);
    assert_string_equal(fx->a.text[F_CASE_NO], "B");
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_int_equal(fx->a.line, 5);
    assert_int_equal(next_row(fx), 7);
    assert_string_equal(fx->a.text[F_CASE_NO], "F");
    assert_int_equal(next(fx), CSVIN_EOF);
    assert_int_equal(csvin_rows(fx->r), 5);
    assert_int_equal(fx->nrej, 3);
    assert_int_equal(fx->rej[0].line, 2);
    assert_string_equal(fx->rej[0].column, "defendant_no");
    assert_non_null(strstr(fx->rej[0].reason, "double quote inside a cell"));
    assert_int_equal(fx->rej[1].line, 4);
    assert_string_equal(fx->rej[1].column, "case_no");
    assert_non_null(strstr(fx->rej[1].reason, "after the closing quote"));
    assert_int_equal(fx->rej[2].line, 5);
    assert_string_equal(fx->rej[2].column, "court_code");
}

static void csvin_fails_on_a_quote_left_open_at_end_of_file(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, HDR "\n" ROW "\n\"E,1,110105,help_network_crime,2021-03-01,"
                                       "person\nF,1,110105,help_network_crime,2021-03-01,person\n"),
                     ST_OK);
    assert_int_equal(next_row(fx), 2);
    assert_int_equal(next(fx), CSVIN_FAIL);
    assert_string_equal(fx->err.msg, "quoted cell not closed at end of file");
    assert_non_null(strstr(fx->err.detail, "cases.csv:3"));
    assert_int_equal(next(fx), CSVIN_FAIL);
    assert_string_equal(fx->err.msg, "reading \"cases.csv\" stopped after an earlier error");
}

static void csvin_stops_a_runaway_quoted_cell_before_it_fills_memory(void **state)
{
    struct fx *fx = *state;
    size_t n = 3u * 1024 * 1024;
    char *text = malloc(n + 1);
    size_t o;

    assert_non_null(text);
    o = (size_t)sprintf(text, HDR "\n" ROW "\n\"");
    for (; o < n; o++)
        text[o] = (o % 80 == 0) ? '\n' : 'x';
    text[n] = '\0';
    assert_int_equal(open_text(fx, text), ST_OK);
    free(text);
    assert_int_equal(next_row(fx), 2);
    assert_int_equal(next(fx), CSVIN_FAIL);
    assert_string_equal(fx->err.msg, "cell longer than 1 MiB");
    assert_non_null(strstr(fx->err.detail, "cases.csv:3"));
}

static void csvin_shows_standard_input_by_name(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_bytes(fx, HDR "\nA\n", strlen(HDR "\nA\n"), "-"), ST_OK);
    assert_int_equal(next(fx), CSVIN_REJECT);
    assert_string_equal(fx->rej[0].file, "<stdin>");
}

static void csvin_reports_a_malformed_header(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(open_text(fx, "case_no,de\"fendant_no\n"), ST_EINPUT);
    assert_string_equal(fx->err.msg, "malformed header row");
}

/* A line end split between two reads must still count once, and a record
 * crossing reads must keep the line it began on. */
static void csvin_numbers_lines_right_across_read_boundaries(void **state)
{
    struct fx *fx = *state;
    size_t cap = 4u * 1024 * 1024, o = 0;
    char *text = malloc(cap);
    long line = 1;
    static long want[40000];
    static bool bad[40000]; /* rows with a line break in case_no are rejected */
    int nwant = 0;

    assert_non_null(text);
    o += (size_t)sprintf(text + o, HDR ",helped_parties\r\n");
    /* Pad the first row so that its CR is the last byte of the first 64 KiB
     * read: leading zeros of a count are the one long cell that is valid. */
    {
        size_t head = strlen("A,1,110105,help_network_crime,2021-03-01,person,");
        size_t pad = 65535 - o - head - 1;

        o += (size_t)sprintf(text + o, "A,1,110105,help_network_crime,2021-03-01,person,");
        memset(text + o, '0', pad);
        o += pad;
        text[o++] = '7';
        assert_int_equal(o, 65535);
        text[o++] = '\r';
        text[o++] = '\n';
        want[nwant++] = ++line;
    }
    for (int i = 0; o + 300 < cap && nwant < 40000; i++) {
        line++;
        if (i % 7 == 3) {
            o += (size_t)sprintf(text + o,
                                 "\"multi\r\nline %d\",1,110105,help_network_crime,2021-03-01,"
                                 "person,1\r\n",
                                 i);
            bad[nwant] = true;
            want[nwant++] = line;
            line++;
        } else if (i % 11 == 5) {
            o += (size_t)sprintf(text + o, "\r\n"); /* blank line */
        } else {
            o += (size_t)sprintf(text + o,
                                 "case-%0*d,1,110105,help_network_crime,2021-03-01,person,1\n",
                                 i % 50 + 1, i);
            want[nwant++] = line;
        }
    }
    text[o] = '\0';
    assert_int_equal(open_text(fx, text), ST_OK);
    free(text);
    for (int i = 0; i < nwant; i++) {
        enum csvin_result res = next(fx);

        if (res != (bad[i] ? CSVIN_REJECT : CSVIN_ROW) || fx->a.line != want[i])
            fail_msg("row %d: result %d at line %ld, expected %d at line %ld", i, (int)res,
                     fx->a.line, bad[i] ? CSVIN_REJECT : CSVIN_ROW, want[i]);
        if (i == 0)
            assert_int_equal(fx->a.num[F_HELPED_PARTIES], 7);
        fx->nrej = 0; /* only the lines matter here */
    }
    assert_int_equal(next(fx), CSVIN_EOF);
    assert_int_equal(csvin_rows(fx->r), nwant);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(csvin_reads_a_row_into_an_act_with_act_no_defaulting_to_one),
        T(csvin_keeps_chinese_text_byte_for_byte),
        T(csvin_rejects_unknown_column_naming_it),
        T(csvin_names_an_unknown_column_without_suggestion_when_nothing_is_close),
        T(csvin_shows_invisible_characters_of_an_unknown_column_escaped),
        T(csvin_refuses_a_header_holding_a_nul_naming_its_column),
        T(csvin_refuses_a_utf16_file_at_its_header),
        T(csvin_refuses_a_header_with_two_byte_order_marks),
        T(csvin_shows_a_byte_order_mark_before_a_later_column),
        T(csvin_rejects_duplicate_column),
        T(csvin_rejects_missing_required_column_naming_it),
        T(csvin_rejects_empty_column_name_from_a_trailing_comma),
        T(csvin_reports_a_file_without_header),
        T(csvin_reports_a_blank_file_without_header),
        T(csvin_skips_a_utf8_byte_order_mark),
        T(csvin_rejects_a_row_with_the_wrong_number_of_cells),
        T(csvin_reports_every_bad_cell_of_a_row_and_reads_on),
        T(csvin_rejects_a_clerks_thousands_separator_in_a_quoted_amount),
        T(csvin_rejects_blanks_and_signs_around_numbers),
        T(csvin_accepts_booleans_in_any_case_and_empty_as_not_recorded),
        T(csvin_checks_ranges_and_cells_against_each_other),
        T(csvin_keeps_act_no_and_age_within_the_database_integer),
        T(csvin_refuses_counts_and_amounts_beyond_any_real_case),
        T(csvin_rejects_long_identifiers_and_control_characters_in_them),
        T(csvin_rejects_dates_after_today),
        T(csvin_accepts_any_date_up_to_2199_without_a_run_date),
        T(csvin_rejects_invalid_utf8_in_any_cell),
        T(csvin_rejects_a_nul_character_in_a_cell),
        T(csvin_numbers_lines_across_quoted_newlines_crlf_and_blank_lines),
        T(csvin_counts_lone_carriage_returns_as_line_ends),
        T(csvin_rejects_a_stray_quote_and_goes_on_with_the_next_line),
        T(csvin_fails_on_a_quote_left_open_at_end_of_file),
        T(csvin_stops_a_runaway_quoted_cell_before_it_fills_memory),
        T(csvin_shows_standard_input_by_name),
        T(csvin_reports_a_malformed_header),
        T(csvin_numbers_lines_right_across_read_boundaries),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
