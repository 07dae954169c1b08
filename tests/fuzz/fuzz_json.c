/*-------------------------------------------------------------------------
 * fuzz_json.c
 *     libFuzzer target of the JSON reader (json.c), which reads traces
 *     back for `sentencer explain`: any bytes are either refused with a
 *     message or read into a tree; what json_write makes of a tree reads
 *     back into a tree that writes the same text.
 *
 * The checks, each with an id (fuzz_check.h):
 *   - refused: the message is non-empty ("refusal-msg");
 *   - read: strings are valid UTF-8 without NUL ("string-utf8");
 *   - the written text reads back, and writes the same text again
 *     ("roundtrip").
 * Sanitizer reports, leaks and stack overflows (nesting is capped at
 * JSON_MAX_DEPTH) end the run as well.
 *
 * tests/fuzz/fuzz_json.c
 *-------------------------------------------------------------------------
 */
#include "buf.h"
#include "fuzz_check.h"
#include "json.h"
#include "value.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *id, const char *what, const char *detail)
{
    fuzz_broken("fuzz_json", id, what, detail);
}

static void check_strings(const struct json *j)
{
    if (j->type == JSON_STRING &&
        (!utf8_valid(j->text, j->len) || memchr(j->text, '\0', j->len) != NULL))
        broken("string-utf8", "a string read is not UTF-8 without NUL", NULL);
    for (size_t i = 0; i < j->n; i++) {
        if (j->keys && !utf8_valid(j->keys[i], strlen(j->keys[i])))
            broken("string-utf8", "a key read is not UTF-8", NULL);
        check_strings(&j->items[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json *j = NULL, *again = NULL;
    struct buf one = {0}, two = {0};
    struct err err;

    err_clear(&err);
    if (json_parse((const char *)data, size, &j, &err) != ST_OK) {
        if (!err.msg[0])
            broken("refusal-msg", "a refusal without a message", NULL);
        return 0;
    }
    check_strings(j);
    if (!json_write(&one, j) || !buf_addc(&one, '\0'))
        broken("roundtrip", "json_write failed", NULL);
    if (json_parse(one.data, one.len - 1, &again, &err) != ST_OK)
        broken("roundtrip", "the written text does not read back", err.msg);
    else if (!json_write(&two, again) || !buf_addc(&two, '\0') || strcmp(one.data, two.data) != 0)
        broken("roundtrip", "written twice, the text differs", two.data);
    json_free(again);
    json_free(j);
    buf_fini(&one);
    buf_fini(&two);
    return 0;
}
