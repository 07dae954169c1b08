/*-------------------------------------------------------------------------
 * buf.c
 *     Growable byte buffer and its escapes (JSON, COPY text).
 *
 * batch/core/buf.c
 *-------------------------------------------------------------------------
 */
#include "buf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_fini(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static bool reserve(struct buf *b, size_t n)
{
    if (b->len + n + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return false;
    b->data = p;
    b->cap = cap;
    return true;
}

bool buf_add(struct buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return false;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

bool buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

bool buf_addc(struct buf *b, char c)
{
    return buf_add(b, &c, 1);
}

bool buf_addi(struct buf *b, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%" PRId64, v);

    return buf_add(b, tmp, (size_t)n);
}

bool buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n))
        return false;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}

bool buf_add_json_str(struct buf *b, const char *s, size_t n)
{
    if (!buf_addc(b, '"'))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok;

        if (c == '"')
            ok = buf_add(b, "\\\"", 2);
        else if (c == '\\')
            ok = buf_add(b, "\\\\", 2);
        else if (c == '\n')
            ok = buf_add(b, "\\n", 2);
        else if (c == '\t')
            ok = buf_add(b, "\\t", 2);
        else if (c == '\r')
            ok = buf_add(b, "\\r", 2);
        else if (c < 0x20)
            ok = buf_printf(b, "\\u%04x", c);
        else
            ok = buf_addc(b, (char)c);
        if (!ok)
            return false;
    }
    return buf_addc(b, '"');
}

bool buf_add_copy_text(struct buf *b, const char *s, size_t n)
{
    if (!reserve(b, 2 * n))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        switch (c) {
        case '\\': b->data[b->len++] = '\\', b->data[b->len++] = '\\'; break;
        case '\t': b->data[b->len++] = '\\', b->data[b->len++] = 't'; break;
        case '\n': b->data[b->len++] = '\\', b->data[b->len++] = 'n'; break;
        case '\r': b->data[b->len++] = '\\', b->data[b->len++] = 'r'; break;
        default: b->data[b->len++] = c;
        }
    }
    b->data[b->len] = '\0';
    return true;
}

char *buf_take(struct buf *b)
{
    char *p = b->data;

    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
