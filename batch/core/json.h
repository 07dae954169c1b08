/*-------------------------------------------------------------------------
 * json.h
 *     A small JSON reader: a trace (the array of entries the rules return
 *     with explain, rules_api.c writes it) read back into a tree, so that
 *     `sentencer explain` can print it with or without a database.
 *
 * Strict RFC 8259: one value, no trailing text, strings of valid UTF-8
 * (\u escapes, surrogate pairs joined; no NUL, as traces never hold one),
 * nesting at most JSON_MAX_DEPTH.
 * Numbers are kept as the text they were written in (the trace prints
 * them as written: 199999.99 stays 199999.99).
 *
 * batch/core/json.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_JSON_H
#define SENTENCER_JSON_H

#include "buf.h"
#include "status.h"

#include <stdbool.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 32

enum json_type {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
};

struct json {
    enum json_type type;
    char *text;         /* NUMBER: as written; STRING: decoded (NUL-terminated, len bytes) */
    size_t len;         /* STRING: bytes of text */
    size_t n;           /* ARRAY, OBJECT: members */
    char **keys;        /* OBJECT: n decoded keys, in the order written */
    struct json *items; /* ARRAY, OBJECT: n values */
};

/* Parse the len bytes of s into *out (a new tree, free with json_free). On
 * a syntax error fails with ST_EINPUT and a message naming the byte
 * offset and what was expected. */
enum status json_parse(const char *s, size_t len, struct json **out, struct err *err);
void json_free(struct json *j);

/* The value of key in object j, or NULL (j not an object, or no such key). */
const struct json *json_get(const struct json *j, const char *key);

/* Append j to b as compact JSON with a space after ':' and ',' (the way
 * PostgreSQL prints jsonb): {"a": 1, "b": [true, null]}. False when out of
 * memory. */
bool json_write(struct buf *b, const struct json *j);

#endif
