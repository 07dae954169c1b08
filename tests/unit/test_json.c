/*-------------------------------------------------------------------------
 * test_json.c
 *     Unit tests of the JSON reader that explain prints traces with
 *     (json.c): values of every type, escapes and surrogate pairs, the
 *     jsonb-like writer, and refusals that name the byte and the reason.
 *
 * tests/unit/test_json.c
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "json.h"

#include <string.h>

/* s parsed and written again. */
static void roundtrip(const char *s, const char *want)
{
    struct json *j = NULL;
    struct buf b = {0};
    struct err err;

    assert_int_equal(json_parse(s, strlen(s), &j, &err), ST_OK);
    assert_true(json_write(&b, j));
    assert_true(buf_addc(&b, '\0'));
    assert_string_equal(b.data, want);
    buf_fini(&b);
    json_free(j);
}

static void refused(const char *s, size_t len, const char *why)
{
    struct json *j = (struct json *)1;
    struct err err;

    assert_int_equal(json_parse(s, len, &j, &err), ST_EINPUT);
    assert_null(j);
    if (!strstr(err.msg, why))
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"", s, err.msg, why);
}

static void values_read_and_write_back(void **state)
{
    (void)state;
    roundtrip("[{\"cite\":\"I2019:12.2\",\"facts\":{\"payment_settled_yuan\":199999.99},"
              "\"result\":false}]",
              "[{\"cite\": \"I2019:12.2\", \"facts\": {\"payment_settled_yuan\": 199999.99}, "
              "\"result\": false}]");
    roundtrip(" { } ", "{}");
    roundtrip("[1, -0, 2.5e-3, 1E+2, true, null, \"\"]", "[1, -0, 2.5e-3, 1E+2, true, null, \"\"]");
    /* a string decoded: \u escapes and a surrogate pair become UTF-8 */
    roundtrip("\"\\u4e2d\\ud83d\\ude00\\/\"", "\"中\xF0\x9F\x98\x80/\"");
}

static void objects_are_looked_up_by_key(void **state)
{
    struct json *j = NULL;
    struct err err;
    const char *s = "{\"a\": 1, \"b\": {\"c\": \"x\"}}";

    (void)state;
    assert_int_equal(json_parse(s, strlen(s), &j, &err), ST_OK);
    assert_int_equal(json_get(j, "a")->type, JSON_NUMBER);
    assert_string_equal(json_get(json_get(j, "b"), "c")->text, "x");
    assert_null(json_get(j, "z"));
    assert_null(json_get(json_get(j, "a"), "c")); /* not an object */
    json_free(j);
}

static void malformed_text_is_refused_with_where_and_why(void **state)
{
    char deep[80];

    (void)state;
    refused("", 0, "expected a value");
    refused("[1,]", 4, "at byte 3: expected a value");
    refused("{\"a\" 1}", 7, "expected ':'");
    refused("[1] x", 5, "text after the value");
    refused("\"abc", 4, "unterminated string");
    refused("\"a\nb\"", 5, "control character");
    refused("\"\\ud800\"", 8, "surrogate");
    refused("\"\\u0000\"", 8, "NUL");
    refused("\"\xC3\x28\"", 4, "not valid UTF-8");
    refused("01", 2, "text after the value");
    refused("1.", 2, "decimal point");
    refused("tru", 3, "expected a value");
    refused("[1]\0", 4, "text after the value");
    memset(deep, '[', sizeof deep);
    refused(deep, JSON_MAX_DEPTH + 1, "nested too deep");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_read_and_write_back),
        cmocka_unit_test(objects_are_looked_up_by_key),
        cmocka_unit_test(malformed_text_is_refused_with_where_and_why),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
