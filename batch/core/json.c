/*-------------------------------------------------------------------------
 * json.c
 *     A small JSON reader and writer (see json.h): recursive descent over
 *     the text, each value a node that owns its children.
 *
 * batch/core/json.c
 *-------------------------------------------------------------------------
 */
#include "json.h"

#include "value.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    const char *s;
    size_t len, pos;
    struct err *err;
    enum status st; /* the first failure */
};

static bool fail(struct parser *p, const char *what)
{
    if (p->st == ST_OK) {
        p->st = err_set(p->err, ST_EINPUT, "malformed JSON at byte %zu: %s", p->pos, what);
        err_hint(p->err, "A trace is written by the rules host; one that does not parse was "
                         "stored damaged.");
    }
    return false;
}

static bool nomem(struct parser *p)
{
    if (p->st == ST_OK)
        p->st = err_set(p->err, ST_ENOMEM, "out of memory reading JSON");
    return false;
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static bool literal(struct parser *p, const char *word)
{
    size_t n = strlen(word);

    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return fail(p, "expected a value");
    p->pos += n;
    return true;
}

static int hex4(const char *s)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        char c = s[i];

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static bool put_utf8(struct buf *b, uint32_t cp)
{
    char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_add(b, u, n);
}

/* A string at p->pos (the opening quote), decoded into *out (owned) and
 * *len. */
static bool string(struct parser *p, char **out, size_t *len)
{
    struct buf b = {0};

    p->pos++; /* the quote */
    for (;;) {
        size_t start = p->pos;

        while (p->pos < p->len && p->s[p->pos] != '"' && p->s[p->pos] != '\\' &&
               (unsigned char)p->s[p->pos] >= 0x20)
            p->pos++;
        if (p->pos > start && !buf_add(&b, p->s + start, p->pos - start))
            goto oom;
        if (p->pos >= p->len) {
            fail(p, "unterminated string");
            goto bad;
        }
        if (p->s[p->pos] == '"')
            break;
        if ((unsigned char)p->s[p->pos] < 0x20) {
            fail(p, "control character in a string");
            goto bad;
        }
        /* an escape */
        if (p->len - p->pos < 2) {
            fail(p, "unterminated escape");
            goto bad;
        }
        {
            char c = p->s[p->pos + 1], e;
            uint32_t cp;
            int h, lo;

            switch (c) {
            case '"': e = '"'; break;
            case '\\': e = '\\'; break;
            case '/': e = '/'; break;
            case 'b': e = '\b'; break;
            case 'f': e = '\f'; break;
            case 'n': e = '\n'; break;
            case 'r': e = '\r'; break;
            case 't': e = '\t'; break;
            case 'u':
                if (p->len - p->pos < 6 || (h = hex4(p->s + p->pos + 2)) < 0) {
                    fail(p, "\\u needs four hex digits");
                    goto bad;
                }
                p->pos += 6;
                cp = (uint32_t)h;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
                        (lo = hex4(p->s + p->pos + 2)) < 0xDC00 || lo > 0xDFFF) {
                        fail(p, "a high surrogate without its low surrogate");
                        goto bad;
                    }
                    p->pos += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    fail(p, "a low surrogate alone");
                    goto bad;
                } else if (cp == 0) {
                    fail(p, "a NUL character in a string");
                    goto bad;
                }
                if (!put_utf8(&b, cp))
                    goto oom;
                continue;
            default: fail(p, "unknown escape"); goto bad;
            }
            if (!buf_addc(&b, e))
                goto oom;
            p->pos += 2;
        }
    }
    p->pos++; /* the closing quote */
    if (!utf8_valid(b.len ? b.data : "", b.len)) {
        fail(p, "a string is not valid UTF-8");
        goto bad;
    }
    *len = b.len;
    *out = b.data ? buf_take(&b) : strdup(""); /* an empty buf holds no memory */
    if (!*out)
        goto oom;
    return true;
oom:
    nomem(p);
bad:
    buf_fini(&b);
    return false;
}

static bool number(struct parser *p, struct json *j)
{
    size_t start = p->pos;
    const char *s = p->s;

    if (p->pos < p->len && s[p->pos] == '-')
        p->pos++;
    if (p->pos < p->len && s[p->pos] == '0') {
        p->pos++;
    } else if (p->pos < p->len && s[p->pos] >= '1' && s[p->pos] <= '9') {
        while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
            p->pos++;
    } else {
        return fail(p, "expected a value");
    }
    if (p->pos < p->len && s[p->pos] == '.') {
        size_t d = ++p->pos;

        while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
            p->pos++;
        if (p->pos == d)
            return fail(p, "a digit after the decimal point");
    }
    if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
        size_t d;

        p->pos++;
        if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
            p->pos++;
        d = p->pos;
        while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
            p->pos++;
        if (p->pos == d)
            return fail(p, "a digit in the exponent");
    }
    j->type = JSON_NUMBER;
    j->len = p->pos - start;
    if (!(j->text = malloc(j->len + 1)))
        return nomem(p);
    memcpy(j->text, s + start, j->len);
    j->text[j->len] = '\0';
    return true;
}

static bool value(struct parser *p, struct json *j, int depth);

/* Grow the members of j to hold one more. */
static bool grow(struct parser *p, struct json *j, size_t *cap, bool keys)
{
    if (j->n < *cap)
        return true;
    size_t ncap = *cap ? 2 * *cap : 4;
    struct json *items = realloc(j->items, ncap * sizeof *items);

    if (!items)
        return nomem(p);
    j->items = items;
    if (keys) {
        char **k = realloc(j->keys, ncap * sizeof *k);

        if (!k)
            return nomem(p);
        j->keys = k;
    }
    *cap = ncap;
    return true;
}

static bool members(struct parser *p, struct json *j, int depth, bool object)
{
    size_t cap = 0;
    char close = object ? '}' : ']';

    j->type = object ? JSON_OBJECT : JSON_ARRAY;
    if (depth >= JSON_MAX_DEPTH)
        return fail(p, "nested too deep");
    p->pos++; /* the opening bracket */
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return true;
    }
    for (;;) {
        if (!grow(p, j, &cap, object))
            return false;
        memset(&j->items[j->n], 0, sizeof j->items[j->n]);
        if (object) {
            size_t klen;

            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != '"')
                return fail(p, "expected a key");
            if (!string(p, &j->keys[j->n], &klen))
                return false;
            j->n++; /* owns the key now; the value is filled below */
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':')
                return fail(p, "expected ':'");
            p->pos++;
            if (!value(p, &j->items[j->n - 1], depth + 1))
                return false;
        } else {
            j->n++;
            if (!value(p, &j->items[j->n - 1], depth + 1))
                return false;
        }
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return true;
        }
        return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static bool value(struct parser *p, struct json *j, int depth)
{
    skip_ws(p);
    if (p->pos >= p->len)
        return fail(p, "expected a value");
    switch (p->s[p->pos]) {
    case '{': return members(p, j, depth, true);
    case '[': return members(p, j, depth, false);
    case '"': j->type = JSON_STRING; return string(p, &j->text, &j->len);
    case 't': j->type = JSON_TRUE; return literal(p, "true");
    case 'f': j->type = JSON_FALSE; return literal(p, "false");
    case 'n': j->type = JSON_NULL; return literal(p, "null");
    default: return number(p, j);
    }
}

static void node_fini(struct json *j)
{
    for (size_t i = 0; i < j->n; i++) {
        node_fini(&j->items[i]);
        if (j->keys)
            free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    free(j->text);
}

enum status json_parse(const char *s, size_t len, struct json **out, struct err *err)
{
    struct parser p = {s, len, 0, err, ST_OK};
    struct json *j = calloc(1, sizeof *j);

    *out = NULL;
    if (!j)
        return err_set(err, ST_ENOMEM, "out of memory reading JSON");
    if (value(&p, j, 0)) {
        skip_ws(&p);
        if (p.pos < p.len)
            fail(&p, "text after the value");
    }
    if (p.st != ST_OK) {
        json_free(j);
        return p.st;
    }
    *out = j;
    return ST_OK;
}

void json_free(struct json *j)
{
    if (!j)
        return;
    node_fini(j);
    free(j);
}

const struct json *json_get(const struct json *j, const char *key)
{
    if (!j || j->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < j->n; i++)
        if (strcmp(j->keys[i], key) == 0)
            return &j->items[i];
    return NULL;
}

bool json_write(struct buf *b, const struct json *j)
{
    bool ok = true;

    switch (j->type) {
    case JSON_NULL: return buf_adds(b, "null");
    case JSON_FALSE: return buf_adds(b, "false");
    case JSON_TRUE: return buf_adds(b, "true");
    case JSON_NUMBER: return buf_add(b, j->text, j->len);
    case JSON_STRING: return buf_add_json_str(b, j->text, j->len);
    case JSON_ARRAY:
    case JSON_OBJECT:
        ok = buf_addc(b, j->type == JSON_ARRAY ? '[' : '{');
        for (size_t i = 0; ok && i < j->n; i++) {
            if (i > 0)
                ok = buf_adds(b, ", ");
            if (ok && j->type == JSON_OBJECT)
                ok = buf_add_json_str(b, j->keys[i], strlen(j->keys[i])) && buf_adds(b, ": ");
            ok = ok && json_write(b, &j->items[i]);
        }
        return ok && buf_addc(b, j->type == JSON_ARRAY ? ']' : '}');
    }
    return false;
}
