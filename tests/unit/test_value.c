/*-------------------------------------------------------------------------
 * test_value.c
 *     Unit tests of value.c: what each field type accepts, the reasons
 *     given for what it refuses, formatting, and the calendar helpers.
 *
 * tests/unit/test_value.c
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "case.h"
#include "value.h"

#include <stdio.h>
#include <string.h>

static const struct field_def count_def = {
    .name = "helped_parties", .type = FT_COUNT, .enum_values = NULL};
static const struct field_def int_def = {
    .name = "age_at_offense", .type = FT_INT, .enum_values = NULL};
static const struct field_def amount_def = {
    .name = "payment_settled_yuan", .type = FT_AMOUNT, .enum_values = NULL};
static const struct field_def bool_def = {
    .name = "surrendered", .type = FT_BOOL, .enum_values = NULL};
static const struct field_def date_def = {
    .name = "offense_date", .type = FT_DATE, .enum_values = NULL};
static const struct field_def text_def = {.name = "case_no", .type = FT_TEXT, .enum_values = NULL};
static const struct field_def enum_def = {
    .name = "offense", .type = FT_ENUM, .enum_values = offense_values};

/* Parse s as def and return the number, failing the test if refused. */
static int64_t ok(const struct field_def *def, const char *s)
{
    char reason[256] = "";
    int64_t num = -12345;

    if (!value_parse(def, s, &num, reason, sizeof reason))
        fail_msg("'%s' refused as %s: %s", s, def->name, reason);
    return num;
}

/* Parse s as def, expect a refusal, and return the reason. */
static const char *refused(const struct field_def *def, const char *s)
{
    static char reason[256];
    int64_t num = -12345;

    reason[0] = '\0';
    if (value_parse(def, s, &num, reason, sizeof reason))
        fail_msg("'%s' accepted as %s", s, def->name);
    assert_int_equal(num, -12345); /* untouched on failure */
    assert_true(reason[0] != '\0');
    return reason;
}

static void utf8_valid_accepts_ascii_and_chinese(void **state)
{
    const char *cn = "(2021)京0105刑初123号";

    (void)state;
    assert_true(utf8_valid("", 0));
    assert_true(utf8_valid("abc", 3));
    assert_true(utf8_valid(cn, strlen(cn)));
    assert_true(utf8_valid("\xF0\x9F\x98\x80", 4)); /* four-byte sequence (U+1F600) */
}

static void utf8_valid_refuses_broken_and_overlong_sequences(void **state)
{
    (void)state;
    assert_false(utf8_valid("\xC0\x80", 2));         /* overlong NUL */
    assert_false(utf8_valid("\xE0\x80\xAF", 3));     /* overlong '/' */
    assert_false(utf8_valid("\xED\xA0\x80", 3));     /* UTF-16 surrogate */
    assert_false(utf8_valid("\xF4\x90\x80\x80", 4)); /* past U+10FFFF */
    assert_false(utf8_valid("\x80", 1));             /* lone continuation byte */
    assert_false(utf8_valid("\xE4\xBA", 2));         /* cut short */
    assert_false(utf8_valid("\xBE\xA9", 2));         /* GBK for "jing" */
}

static void bools_accept_true_false_yes_no_one_zero_in_any_case(void **state)
{
    (void)state;
    assert_int_equal(ok(&bool_def, "true"), 1);
    assert_int_equal(ok(&bool_def, "TRUE"), 1);
    assert_int_equal(ok(&bool_def, "Yes"), 1);
    assert_int_equal(ok(&bool_def, "1"), 1);
    assert_int_equal(ok(&bool_def, "false"), 0);
    assert_int_equal(ok(&bool_def, "No"), 0);
    assert_int_equal(ok(&bool_def, "0"), 0);
    assert_string_equal(refused(&bool_def, "maybe"),
                        "not true or false (also yes/no, 1/0): 'maybe'");
    refused(&bool_def, "tru");
    refused(&bool_def, " true");
    refused(&bool_def, "2");
}

static void counts_accept_digits_up_to_a_trillion(void **state)
{
    (void)state;
    assert_int_equal(ok(&count_def, "0"), 0);
    assert_int_equal(ok(&count_def, "500"), 500);
    assert_int_equal(ok(&count_def, "007"), 7);
    assert_true(ok(&count_def, "1000000000000") == VALUE_COUNT_MAX);
    assert_true(ok(&count_def, "0001000000000000") == VALUE_COUNT_MAX);
    assert_string_equal(refused(&count_def, "1000000000001"),
                        "too large a count (at most 1000000000000): '1000000000001'");
    assert_string_equal(refused(&count_def, "9223372036854775808"),
                        "too large a count (at most 1000000000000): '9223372036854775808'");
    refused(&count_def, "99999999999999999999999");
}

static void counts_refuse_signs_spaces_exponents_and_separators(void **state)
{
    (void)state;
    assert_string_equal(refused(&count_def, "-3"), "not a count: '-3'");
    assert_string_equal(refused(&count_def, "+3"), "not a count: '+3'");
    assert_string_equal(refused(&count_def, " 3"), "not a count: ' 3'");
    assert_string_equal(refused(&count_def, "3 "), "not a count: '3 '");
    assert_string_equal(refused(&count_def, "1e3"), "not a count: '1e3'");
    assert_string_equal(refused(&count_def, "1,000"), "not a count: '1,000'");
    assert_string_equal(refused(&count_def, "2.0"), "not a count: '2.0'");
    assert_string_equal(refused(&count_def, "五"), "not a count: '五'");
}

static void ints_accept_a_minus_sign_and_the_32_bit_range(void **state)
{
    (void)state;
    assert_int_equal(ok(&int_def, "17"), 17);
    assert_int_equal(ok(&int_def, "-5"), -5);
    assert_int_equal(ok(&int_def, "0"), 0);
    assert_true(ok(&int_def, "2147483647") == 2147483647);
    assert_true(ok(&int_def, "-2147483648") == -2147483647 - 1);
    assert_string_equal(refused(&int_def, "2147483648"),
                        "too large a number (at most 2147483647): '2147483648'");
    assert_string_equal(refused(&int_def, "-2147483649"),
                        "too small a number (at least -2147483648): '-2147483649'");
    refused(&int_def, "9223372036854775808");
    refused(&int_def, "-9223372036854775809");
    assert_string_equal(refused(&int_def, "-"), "not a whole number: '-'");
    refused(&int_def, "--1");
    refused(&int_def, "1.5");
}

static void ints_refuse_minus_zero_and_a_plus_sign(void **state)
{
    (void)state;
    assert_string_equal(refused(&int_def, "-0"), "minus zero (write 0): '-0'");
    assert_string_equal(refused(&int_def, "-000"), "minus zero (write 0): '-000'");
    assert_string_equal(refused(&int_def, "+1"), "not a whole number: '+1'");
    assert_string_equal(refused(&int_def, "+0"), "not a whole number: '+0'");
    assert_int_equal(ok(&int_def, "-01"), -1);
}

static void amounts_are_held_in_fen(void **state)
{
    (void)state;
    assert_int_equal(ok(&amount_def, "12000"), 1200000);
    assert_int_equal(ok(&amount_def, "12000.5"), 1200050);
    assert_int_equal(ok(&amount_def, "12000.50"), 1200050);
    assert_int_equal(ok(&amount_def, "12000.05"), 1200005);
    assert_int_equal(ok(&amount_def, "0.01"), 1);
    assert_int_equal(ok(&amount_def, "0"), 0);
    assert_true(ok(&amount_def, "1000000000000") == VALUE_AMOUNT_MAX_YUAN * 100);
    assert_true(ok(&amount_def, "1000000000000.00") == VALUE_AMOUNT_MAX_YUAN * 100);
    assert_true(ok(&amount_def, "999999999999.99") == VALUE_AMOUNT_MAX_YUAN * 100 - 1);
    assert_string_equal(refused(&amount_def, "1000000000000.01"),
                        "too large an amount (at most 1000000000000 yuan): '1000000000000.01'");
    assert_string_equal(refused(&amount_def, "1000000000001"),
                        "too large an amount (at most 1000000000000 yuan): '1000000000001'");
    refused(&amount_def, "92233720368547758.07");
    refused(&amount_def, "100000000000000000");
}

static void amounts_refuse_three_decimals_separators_and_signs(void **state)
{
    (void)state;
    assert_string_equal(refused(&amount_def, "12000.505"), "more than two decimals: '12000.505'");
    assert_string_equal(refused(&amount_def, "12,000"),
                        "not an amount in yuan (like 12000 or 12000.50, no separators): '12,000'");
    refused(&amount_def, "12,000.50");
    refused(&amount_def, "-1");
    refused(&amount_def, "+1");
    refused(&amount_def, " 1");
    refused(&amount_def, "1 ");
    refused(&amount_def, "1e3");
    refused(&amount_def, ".5");
    refused(&amount_def, "5.");
    refused(&amount_def, "1.2.3");
    refused(&amount_def, "¥100");
}

static void dates_must_be_real_calendar_days_from_1900_to_2199(void **state)
{
    (void)state;
    assert_int_equal(ok(&date_def, "1970-01-01"), 0);
    assert_int_equal(ok(&date_def, "2021-01-01"), 18628);
    assert_int_equal(ok(&date_def, "2020-02-29"), 18321);
    ok(&date_def, "2000-02-29");
    ok(&date_def, "1900-01-01");
    ok(&date_def, "2199-12-31");
    assert_string_equal(refused(&date_def, "2021-02-30"), "not a date (YYYY-MM-DD): '2021-02-30'");
    assert_string_equal(refused(&date_def, "2021-13-01"), "not a date (YYYY-MM-DD): '2021-13-01'");
    refused(&date_def, "2100-02-29"); /* 2100 is not a leap year */
    refused(&date_def, "2021-04-31");
    refused(&date_def, "2021-00-10");
    refused(&date_def, "2021-1-01");
    refused(&date_def, "2021/01/01");
    refused(&date_def, "2021-01-01 ");
    refused(&date_def, "20210101");
    assert_string_equal(refused(&date_def, "1899-12-31"),
                        "not a date between 1900 and 2199: '1899-12-31'");
    refused(&date_def, "2200-01-01");
}

static void enums_list_their_values_when_refusing(void **state)
{
    (void)state;
    assert_int_equal(ok(&enum_def, "refuse_netsec_duty"), 0);
    assert_int_equal(ok(&enum_def, "help_network_crime"), 2);
    assert_string_equal(refused(&enum_def, "helping"),
                        "not one of refuse_netsec_duty, illegal_use_network, "
                        "help_network_crime: 'helping'");
    refused(&enum_def, "Help_Network_Crime");
}

static void text_is_accepted_unless_it_is_not_utf8(void **state)
{
    int64_t num = 99;
    char reason[128];

    (void)state;
    assert_true(value_parse(&text_def, "(2021)京0105刑初123号", &num, reason, sizeof reason));
    assert_int_equal(num, 99);
    assert_string_equal(refused(&text_def, "\xBE\xA9"),
                        "not UTF-8 text (save the file as \"CSV UTF-8\"): '\\xBE\\xA9'");
}

static void identifiers_refuse_control_characters_showing_them_escaped(void **state)
{
    const struct field_def *cn = &case_fields[F_CASE_NO];

    (void)state;
    assert_string_equal(refused(cn, "A\x1B[31mB"),
                        "contains a control character (\\x1B): 'A\\x1B[31mB'");
    assert_string_equal(refused(cn, "A\nB"), "contains a line break (\\x0A): 'A\\x0AB'");
    assert_string_equal(refused(cn, "A\r"), "contains a line break (\\x0D): 'A\\x0D'");
    assert_string_equal(refused(cn, "\tA"), "contains a tab (\\x09): '\\x09A'");
    assert_string_equal(refused(cn, "A\x01"), "contains a control character (\\x01): 'A\\x01'");
    assert_string_equal(refused(cn, "A\x7F"), "contains a control character (\\x7F): 'A\\x7F'");
    assert_string_equal(refused(cn, "A\xC2\x80"),
                        "contains a control character (\\u0080): 'A\\u0080'");
    assert_string_equal(refused(cn, "京\xC2\x9B"
                                    "2J"),
                        "contains a control character (\\u009B): '京\\u009B2J'");
    assert_string_equal(refused(cn, "A\xC2\x9F"),
                        "contains a control character (\\u009F): 'A\\u009F'");
    refused(&case_fields[F_DEFENDANT_NO], "1\x1B");
    refused(&case_fields[F_COURT_CODE], "110105\x85"); /* a lone C1 byte is not UTF-8 */
    refused(&case_fields[F_COURT_CODE], "110105\xC2\x85");
    ok(cn, "A\xC2\xA0"
           "B");                     /* U+00A0, the first character after C1 */
    ok(cn, "（2021）京0105刑初1号"); /* full-width brackets */
}

/* s = n bytes: fill ASCII 'A's, then the UTF-8 character ch if given. */
static const char *ident(size_t fill, const char *ch)
{
    static char s[4096];

    assert_true(fill + strlen(ch) < sizeof s);
    memset(s, 'A', fill);
    strcpy(s + fill, ch);
    return s;
}

static void identifiers_have_a_limit_in_bytes(void **state)
{
    const struct field_def *cn = &case_fields[F_CASE_NO];
    char want[160];

    (void)state;
    assert_int_equal(cn->max_bytes, 200);
    assert_int_equal(case_fields[F_DEFENDANT_NO].max_bytes, 100);
    assert_int_equal(case_fields[F_COURT_CODE].max_bytes, 6);
    ok(cn, ident(200, ""));
    snprintf(want, sizeof want, "too long (201 bytes, at most 200): '%s...'", ident(48, ""));
    assert_string_equal(refused(cn, ident(201, "")), want);
    assert_non_null(strstr(refused(cn, ident(3000, "")), "too long (3000 bytes, at most 200)"));
    ok(&case_fields[F_DEFENDANT_NO], ident(100, ""));
    refused(&case_fields[F_DEFENDANT_NO], ident(101, ""));
    /* No limit on the other text. */
    ok(&text_def, ident(400, ""));
}

/* A court code is six digits of a GB/T 2260 division: the first two name a
 * province-level division (11 to 82, with gaps). */
static void court_codes_are_gb2260_divisions(void **state)
{
    const struct field_def *cc = &case_fields[F_COURT_CODE];
    static const char *const good[] = {"110105", "110000", "310115", "650102",
                                       "710000", "810000", "820000"};
    static const char *const bad[] = {"100105",  "160105", "200105",  "240105", "550105",
                                      "660105",  "700105", "720105",  "800105", "830105",
                                      "990105",  "11010",  "1101050", "11010a", " 110105",
                                      "110105 ", "京0105", "+11010",  "=1+1"};

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ok(cc, good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_non_null(strstr(refused(cc, bad[i]), "not a court code"));
}

/* Identifiers never begin like a spreadsheet formula; inside they may. */
static void identifiers_never_begin_like_a_formula(void **state)
{
    static const char *const bad[] = {"=1+1", "+1", "-2", "@SUM(A1)", "=HYPERLINK(\"x\")"};

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_non_null(strstr(refused(&case_fields[F_CASE_NO], bad[i]), "formula"));
        assert_non_null(strstr(refused(&case_fields[F_DEFENDANT_NO], bad[i]), "formula"));
    }
    ok(&case_fields[F_CASE_NO], "(2021)京0105刑初1号=+-@");
    ok(&case_fields[F_DEFENDANT_NO], "1-2");
    ok(&text_def, "=1+1"); /* other text is neutralised on output instead */
}

/* A three-byte character that ends on the limit fits; one that crosses it
 * does not, whatever the number of characters. */
static void identifier_limits_count_the_bytes_of_a_character_crossing_them(void **state)
{
    const struct field_def *cn = &case_fields[F_CASE_NO];
    char many[256] = "";

    (void)state;
    ok(cn, ident(197, "京"));
    assert_non_null(strstr(refused(cn, ident(198, "京")), "too long (201 bytes, at most 200)"));
    assert_non_null(strstr(refused(cn, ident(199, "京")), "too long (202 bytes, at most 200)"));
    ok(cn, ident(196, "😀")); /* four bytes */
    refused(cn, ident(197, "😀"));
    /* 67 characters of three bytes: 201 bytes, refused although 67 < 200. */
    for (int i = 0; i < 67; i++)
        strcat(many, "刑");
    assert_non_null(strstr(refused(cn, many), "too long (201 bytes, at most 200)"));
    many[198] = '\0'; /* 66 characters */
    ok(cn, many);
}

static void reasons_cut_long_cells_and_escape_control_characters(void **state)
{
    char longcell[200];

    (void)state;
    memset(longcell, '9', sizeof longcell - 2);
    longcell[sizeof longcell - 2] = 'x';
    longcell[sizeof longcell - 1] = '\0';
    const char *r = refused(&count_def, longcell);
    assert_true(strlen(r) < 80);
    assert_non_null(strstr(r, "...'"));
    assert_string_equal(refused(&count_def, "1\t2"), "not a count: '1\\x092'");
    assert_string_equal(refused(&count_def, "一二三四五六七八九十一二三四五六七八九十"),
                        "not a count: '一二三四五六七八九十一二三四五六...'");
}

/* Escape len bytes of s into a roomy buffer and return it. */
static const char *esc(const char *s, size_t len)
{
    static char buf[256];

    assert_int_equal(text_escape(buf, sizeof buf, s, len), len);
    return buf;
}

static void escape_shows_control_and_invisible_characters_and_keeps_the_rest(void **state)
{
    (void)state;
    assert_string_equal(esc("(2021)京0105刑初123号", strlen("(2021)京0105刑初123号")),
                        "(2021)京0105刑初123号");
    assert_string_equal(esc("A\x1B[31mB", 7), "A\\x1B[31mB");          /* ESC */
    assert_string_equal(esc("\t\r\n\x7F", 4), "\\x09\\x0D\\x0A\\x7F"); /* C0, DEL */
    assert_string_equal(esc("a\0b", 3), "a\\x00b");                    /* NUL */
    assert_string_equal(esc("\xC2\x80\xC2\x9B\xC2\x9F\xC2\xA0", 8),
                        "\\u0080\\u009B\\u009F\xC2\xA0"); /* C1; NBSP is seen */
    assert_string_equal(esc("\xEF\xBB\xBF"
                            "case_no",
                            10),
                        "\\uFEFFcase_no");
    assert_string_equal(esc("\xE2\x80\x8B\xE2\x80\xAE\xC2\xAD", 8), "\\u200B\\u202E\\u00AD");
    assert_string_equal(esc("\xF3\xA0\x80\x81", 4), "\\U000E0001");          /* language tag */
    assert_string_equal(esc("\xBE\xA9\xE4\xBA", 4), "\\xBE\\xA9\\xE4\\xBA"); /* not UTF-8 */
    assert_string_equal(esc("a\\x1B", 5), "a\\x1B"); /* a backslash is kept */
}

static void escape_stops_before_a_character_that_does_not_fit(void **state)
{
    char buf[8];

    (void)state;
    assert_int_equal(text_escape(buf, sizeof buf, "abcdef\x1B", 7), 6);
    assert_string_equal(buf, "abcdef");
    assert_int_equal(text_escape(buf, sizeof buf, "ab京京", 8), 5); /* never half a character */
    assert_string_equal(buf, "ab京");
    assert_int_equal(text_escape(buf, 1, "ab", 2), 0);
    assert_string_equal(buf, "");
    assert_int_equal(text_escape(buf, 0, "ab", 2), 0);
}

static void show_cuts_with_dots_and_has_hidden_tells_what_escape_would_change(void **state)
{
    char buf[12];

    (void)state;
    assert_int_equal(text_show(buf, sizeof buf, "abcdefgh", 8), 8);
    assert_string_equal(buf, "abcdefgh");
    assert_int_equal(text_show(buf, sizeof buf, "abcdefghijkl", 12), 8);
    assert_string_equal(buf, "abcdefgh...");
    assert_int_equal(text_show(buf, sizeof buf, "ab\x1B[2Jxyz", 9), 5);
    assert_string_equal(buf, "ab\\x1B[2...");
    assert_int_equal(text_show(buf, 3, "ab", 2), 0);
    assert_string_equal(buf, "");
    assert_false(text_has_hidden("(2021)京0105刑初123号", strlen("(2021)京0105刑初123号")));
    assert_false(text_has_hidden("a\\x1B", 5));
    assert_true(text_has_hidden("a\x1B", 2));
    assert_true(text_has_hidden("a\0b", 3));
    assert_true(text_has_hidden("a\xC2\x85", 3));
    assert_true(text_has_hidden("\xE2\x80\x8B", 3));
    assert_true(text_has_hidden("\xBE\xA9", 2));
}

static void reasons_escape_c1_controls_and_invisible_characters(void **state)
{
    (void)state;
    assert_string_equal(refused(&count_def, "1\xC2\x9B"
                                            "2"),
                        "not a count: '1\\u009B2'");
    assert_string_equal(refused(&count_def, "\xEF\xBB\xBF"
                                            "12"),
                        "not a count: '\\uFEFF12'");
}

static void empty_text_is_refused(void **state)
{
    (void)state;
    assert_string_equal(refused(&count_def, ""), "empty");
}

static void a_small_reason_buffer_is_never_overrun(void **state)
{
    char reason[8];
    int64_t num;

    (void)state;
    memset(reason, 'z', sizeof reason);
    assert_false(value_parse(&enum_def, "helping", &num, reason, sizeof reason));
    assert_string_equal(reason, "not one");
}

static const char *fmt(enum ftype t, int64_t num)
{
    static char buf[64];

    assert_true(value_format(t, num, buf, sizeof buf) == strlen(buf));
    return buf;
}

static void amounts_format_as_yuan_with_two_decimals_only_when_needed(void **state)
{
    (void)state;
    assert_string_equal(fmt(FT_AMOUNT, 1200000), "12000");
    assert_string_equal(fmt(FT_AMOUNT, 1200050), "12000.50");
    assert_string_equal(fmt(FT_AMOUNT, 1200005), "12000.05");
    assert_string_equal(fmt(FT_AMOUNT, 5), "0.05");
    assert_string_equal(fmt(FT_AMOUNT, 0), "0");
    assert_string_equal(fmt(FT_AMOUNT, -150), "-1.50");
    assert_string_equal(fmt(FT_AMOUNT, INT64_MAX), "92233720368547758.07");
    assert_string_equal(fmt(FT_AMOUNT, INT64_MIN), "-92233720368547758.08");
}

static void other_types_format_as_the_parser_reads_them(void **state)
{
    (void)state;
    assert_string_equal(fmt(FT_BOOL, 1), "true");
    assert_string_equal(fmt(FT_BOOL, 0), "false");
    assert_string_equal(fmt(FT_COUNT, 36), "36");
    assert_string_equal(fmt(FT_INT, -7), "-7");
    assert_string_equal(fmt(FT_INT, INT64_MIN), "-9223372036854775808");
    assert_string_equal(fmt(FT_COUNT, INT64_MAX), "9223372036854775807");
    assert_string_equal(fmt(FT_DATE, 0), "1970-01-01");
    assert_string_equal(fmt(FT_DATE, 18321), "2020-02-29");
    assert_string_equal(fmt(FT_DATE, -25567), "1900-01-01");
}

static void format_returns_zero_for_text_small_buffers_and_impossible_dates(void **state)
{
    char buf[8];

    (void)state;
    assert_int_equal(value_format(FT_TEXT, 1, buf, sizeof buf), 0);
    assert_int_equal(value_format(FT_ENUM, 1, buf, sizeof buf), 0);
    assert_int_equal(value_format(FT_LIST, 1, buf, sizeof buf), 0);
    assert_int_equal(value_format(FT_AMOUNT, 1200050, buf, sizeof buf), 0); /* needs 9 */
    assert_int_equal(value_format(FT_AMOUNT, 120005, buf, sizeof buf), 7);
    assert_int_equal(value_format(FT_BOOL, 0, buf, 5), 0);
    assert_int_equal(value_format(FT_DATE, INT64_MAX, buf, sizeof buf), 0);
    assert_int_equal(value_format(FT_DATE, INT64_MIN, buf, sizeof buf), 0);
}

static void every_day_from_1900_to_2199_round_trips(void **state)
{
    int64_t first = days_from_civil(1900, 1, 1);
    int64_t last = days_from_civil(2199, 12, 31);
    int64_t z = first;

    (void)state;
    for (int y = 1900; y <= 2199; y++) {
        for (unsigned m = 1; m <= 12; m++) {
            static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
            unsigned n = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));

            for (unsigned d = 1; d <= n; d++, z++) {
                char text[16], shown[16];
                int yy;
                unsigned mm, dd;

                assert_true(days_from_civil(y, m, d) == z);
                civil_from_days(z, &yy, &mm, &dd);
                assert_int_equal(yy, y);
                assert_int_equal(mm, m);
                assert_int_equal(dd, d);
                snprintf(text, sizeof text, "%04d-%02u-%02u", y, m, d);
                assert_true(ok(&date_def, text) == z);
                assert_int_equal(value_format(FT_DATE, z, shown, sizeof shown), 10);
                assert_string_equal(shown, text);
            }
        }
    }
    assert_true(z == last + 1);
}

static void calendar_helpers_handle_years_before_the_epoch_and_year_zero(void **state)
{
    int y;
    unsigned m, d;

    (void)state;
    civil_from_days(days_from_civil(0, 3, 1), &y, &m, &d);
    assert_int_equal(y, 0);
    assert_int_equal(m, 3);
    assert_int_equal(d, 1);
    civil_from_days(days_from_civil(-1, 12, 31), &y, &m, &d);
    assert_int_equal(y, -1);
    assert_int_equal(m, 12);
    assert_int_equal(d, 31);
    assert_true(days_from_civil(0, 3, 1) - days_from_civil(0, 2, 28) == 2); /* year 0 is leap */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utf8_valid_accepts_ascii_and_chinese),
        cmocka_unit_test(utf8_valid_refuses_broken_and_overlong_sequences),
        cmocka_unit_test(bools_accept_true_false_yes_no_one_zero_in_any_case),
        cmocka_unit_test(counts_accept_digits_up_to_a_trillion),
        cmocka_unit_test(counts_refuse_signs_spaces_exponents_and_separators),
        cmocka_unit_test(ints_accept_a_minus_sign_and_the_32_bit_range),
        cmocka_unit_test(ints_refuse_minus_zero_and_a_plus_sign),
        cmocka_unit_test(amounts_are_held_in_fen),
        cmocka_unit_test(amounts_refuse_three_decimals_separators_and_signs),
        cmocka_unit_test(dates_must_be_real_calendar_days_from_1900_to_2199),
        cmocka_unit_test(enums_list_their_values_when_refusing),
        cmocka_unit_test(text_is_accepted_unless_it_is_not_utf8),
        cmocka_unit_test(identifiers_refuse_control_characters_showing_them_escaped),
        cmocka_unit_test(identifiers_have_a_limit_in_bytes),
        cmocka_unit_test(court_codes_are_gb2260_divisions),
        cmocka_unit_test(identifiers_never_begin_like_a_formula),
        cmocka_unit_test(identifier_limits_count_the_bytes_of_a_character_crossing_them),
        cmocka_unit_test(reasons_cut_long_cells_and_escape_control_characters),
        cmocka_unit_test(escape_shows_control_and_invisible_characters_and_keeps_the_rest),
        cmocka_unit_test(escape_stops_before_a_character_that_does_not_fit),
        cmocka_unit_test(show_cuts_with_dots_and_has_hidden_tells_what_escape_would_change),
        cmocka_unit_test(reasons_escape_c1_controls_and_invisible_characters),
        cmocka_unit_test(empty_text_is_refused),
        cmocka_unit_test(a_small_reason_buffer_is_never_overrun),
        cmocka_unit_test(amounts_format_as_yuan_with_two_decimals_only_when_needed),
        cmocka_unit_test(other_types_format_as_the_parser_reads_them),
        cmocka_unit_test(format_returns_zero_for_text_small_buffers_and_impossible_dates),
        cmocka_unit_test(every_day_from_1900_to_2199_round_trips),
        cmocka_unit_test(calendar_helpers_handle_years_before_the_epoch_and_year_zero),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
