/*-------------------------------------------------------------------------
 * buf.h
 *     A growable byte buffer, with the escapes the program needs: JSON
 *     strings and PostgreSQL COPY text fields.
 *
 * A struct buf owns its data; buf_fini frees it. Appends return false only
 * when out of memory, after which the buffer keeps its earlier contents.
 *
 * batch/core/buf.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_BUF_H
#define SENTENCER_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
    char *data; /* NUL-terminated when len > 0 */
    size_t len;
    size_t cap;
};

void buf_fini(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, memory kept */
bool buf_add(struct buf *b, const char *s, size_t n);
bool buf_adds(struct buf *b, const char *s);
bool buf_addc(struct buf *b, char c);
bool buf_addi(struct buf *b, int64_t v);
bool buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal, quotes included. */
bool buf_add_json_str(struct buf *b, const char *s, size_t n);
/* Append s escaped for a COPY text-format field (backslash, tab, CR, LF). */
bool buf_add_copy_text(struct buf *b, const char *s, size_t n);
/* Take the data (caller frees with free()); the buffer is left empty. */
char *buf_take(struct buf *b);

#endif
