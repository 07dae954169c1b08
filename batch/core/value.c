/*-------------------------------------------------------------------------
 * value.c
 *     Text <-> typed value for the field types of case.h: strict parsers
 *     that explain a refusal in words a clerk understands, and formatters
 *     fast enough to run once per cell of a million-row export.
 *
 * No I/O and no allocation; the only locale-free character tests are our
 * own, so that a Turkish or Chinese locale cannot change what parses.
 *
 * batch/core/value.c
 *-------------------------------------------------------------------------
 */
#include "value.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Longest part of a cell echoed back in a reason, in bytes. */
#define ECHO_MAX 48

/* Earliest and latest year a date may have: older or later is a typo. */
#define YEAR_MIN 1900
#define YEAR_MAX 2199

bool utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + len;

    while (p < end) {
        unsigned char c = *p;
        size_t n;
        uint32_t cp;

        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07u;
        } else {
            return false; /* continuation byte, overlong lead C0/C1, or F5..FF */
        }
        if ((size_t)(end - p) <= n)
            return false;
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xC0u) != 0x80u)
                return false;
            cp = (cp << 6) | (p[i] & 0x3Fu);
        }
        /* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || (cp >= 0xD800 && cp <= 0xDFFF) ||
            cp > 0x10FFFF)
            return false;
        p += n + 1;
    }
    return true;
}

/* Length of the valid UTF-8 sequence at p (at most avail bytes), or 0. */
static size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
    size_t n = p[0] < 0x80 ? 1 : p[0] < 0xE0 ? 2 : p[0] < 0xF0 ? 3 : 4;

    if (n > avail || !utf8_valid((const char *)p, n))
        return 0;
    return n;
}

/* The code point of the valid n-byte sequence at p. */
static uint32_t utf8_decode(const unsigned char *p, size_t n)
{
    static const unsigned char lead_mask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    uint32_t cp = p[0] & lead_mask[n];

    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (p[i] & 0x3Fu);
    return cp;
}

/* C0 controls, DEL and the C1 controls: a terminal acts on them (ESC starts
 * a command; in UTF-8 mode some terminals obey U+009B as CSI). */
static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* Characters that show nothing: a name holding one looks like another. */
static bool is_invisible(uint32_t cp)
{
    return cp == 0x00AD || cp == 0x034F || cp == 0x061C || cp == 0x115F || cp == 0x1160 ||
           cp == 0x180E || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
           (cp >= 0x2060 && cp <= 0x206F) || cp == 0x3164 || cp == 0xFEFF ||
           (cp >= 0xFFF9 && cp <= 0xFFFB) || (cp >= 0xE0000 && cp <= 0xE007F);
}

size_t text_escape(char *dst, size_t dstlen, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, o = 0;

    if (dstlen == 0)
        return 0;
    while (i < len) {
        size_t n = utf8_seq_len(p + i, len - i);
        uint32_t cp = n ? utf8_decode(p + i, n) : p[i];
        char esc[12];
        const char *src = s + i;
        size_t m = n;

        if (n == 0 || (n == 1 && is_control(cp))) {
            /* A byte: an ASCII control, or not UTF-8 at all. */
            n = 1;
            m = (size_t)snprintf(esc, sizeof esc, "\\x%c%c", hex[p[i] >> 4], hex[p[i] & 0x0F]);
            src = esc;
        } else if (is_control(cp) || is_invisible(cp)) {
            m = (size_t)snprintf(esc, sizeof esc, cp > 0xFFFF ? "\\U%08" PRIX32 : "\\u%04" PRIX32,
                                 cp);
            src = esc;
        }
        if (o + m + 1 > dstlen)
            break;
        memcpy(dst + o, src, m);
        o += m;
        i += n;
    }
    dst[o] = '\0';
    return i;
}

/* Find the first control character (C0, DEL, C1) of the UTF-8 text s. */
static bool find_control(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        size_t n = utf8_seq_len(p + i, len - i);

        if (n == 0) { /* not UTF-8: refused for that before */
            i++;
            continue;
        }
        *cp = utf8_decode(p + i, n);
        if (is_control(*cp))
            return true;
        i += n;
    }
    return false;
}

size_t text_show(char *dst, size_t dstlen, const char *s, size_t len)
{
    size_t used;

    if (dstlen < 4) {
        if (dstlen > 0)
            dst[0] = '\0';
        return 0;
    }
    used = text_escape(dst, dstlen - 3, s, len);
    if (used < len)
        memcpy(dst + strlen(dst), "...", 4);
    return used;
}

bool text_has_hidden(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0, n; i < len; i += n) {
        uint32_t cp;

        n = utf8_seq_len(p + i, len - i);
        if (n == 0)
            return true;
        cp = utf8_decode(p + i, n);
        if (is_control(cp) || is_invisible(cp))
            return true;
    }
    return false;
}

/* Copy s into dst for quoting in a message (text_show), cut after ECHO_MAX
 * bytes: a clerk sees what the cell held, and a terminal is never
 * disturbed. */
static void echo(char *dst, size_t dstlen, const char *s)
{
    text_show(dst, dstlen < ECHO_MAX + 4 ? dstlen : ECHO_MAX + 4, s, strlen(s));
}

/* Write "what: 'cell'" into reason; returns false for the caller's use. */
static bool refuse(char *reason, size_t reason_len, const char *what, const char *s)
{
    char shown[ECHO_MAX + 8];

    echo(shown, sizeof shown, s);
    if (reason_len > 0)
        snprintf(reason, reason_len, "%s: '%s'", what, shown);
    return false;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static unsigned char ascii_lower(char c)
{
    unsigned char u = (unsigned char)c;

    return u >= 'A' && u <= 'Z' ? (unsigned char)(u - 'A' + 'a') : u;
}

/* ASCII-only case-insensitive equality, whatever the locale. */
static bool ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (ascii_lower(*a) != ascii_lower(*b))
            return false;
    return *a == *b;
}

/* Parse the digits s[0..n) (n >= 1, all digits) into *out, refusing more
 * than limit. */
static bool digits_to_u64(const char *s, size_t n, uint64_t limit, uint64_t *out)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');

        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static size_t span_digits(const char *s)
{
    size_t n = 0;

    while (is_digit(s[n]))
        n++;
    return n;
}

static bool parse_bool(const char *s, int64_t *num, char *reason, size_t reason_len)
{
    static const char *const yes[] = {"true", "1", "yes"};
    static const char *const no[] = {"false", "0", "no"};

    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (ascii_ieq(s, yes[i])) {
            *num = 1;
            return true;
        }
        if (ascii_ieq(s, no[i])) {
            *num = 0;
            return true;
        }
    }
    return refuse(reason, reason_len, "not true or false (also yes/no, 1/0)", s);
}

static bool parse_count(const char *s, int64_t *num, char *reason, size_t reason_len)
{
    size_t n = span_digits(s);
    uint64_t v;

    if (n == 0 || s[n] != '\0')
        return refuse(reason, reason_len, "not a count", s);
    if (!digits_to_u64(s, n, (uint64_t)VALUE_COUNT_MAX, &v)) {
        char what[64];

        snprintf(what, sizeof what, "too large a count (at most %" PRId64 ")", VALUE_COUNT_MAX);
        return refuse(reason, reason_len, what, s);
    }
    *num = (int64_t)v;
    return true;
}

static bool parse_int(const char *s, int64_t *num, char *reason, size_t reason_len)
{
    bool neg = s[0] == '-';
    const char *d = s + neg;
    size_t n = span_digits(d);
    uint64_t v;

    if (n == 0 || d[n] != '\0')
        return refuse(reason, reason_len, "not a whole number", s);
    /* An int column is a PostgreSQL integer: 32 bits. */
    if (!digits_to_u64(d, n, neg ? (uint64_t)VALUE_INT_MAX + 1 : (uint64_t)VALUE_INT_MAX, &v)) {
        char what[64];

        if (neg)
            snprintf(what, sizeof what, "too small a number (at least -%" PRId64 ")",
                     VALUE_INT_MAX + 1);
        else
            snprintf(what, sizeof what, "too large a number (at most %" PRId64 ")", VALUE_INT_MAX);
        return refuse(reason, reason_len, what, s);
    }
    /* "-0" is a typo or a spreadsheet artefact, not a value anyone means. */
    if (neg && v == 0)
        return refuse(reason, reason_len, "minus zero (write 0)", s);
    *num = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

static bool parse_amount(const char *s, int64_t *num, char *reason, size_t reason_len)
{
    static const char bad[] = "not an amount in yuan (like 12000 or 12000.50, no separators)";
    size_t n = span_digits(s);
    uint64_t yuan, fen = 0;

    if (n == 0)
        return refuse(reason, reason_len, bad, s);
    if (s[n] == '.') {
        size_t nd = span_digits(s + n + 1);

        if (nd == 0 || s[n + 1 + nd] != '\0')
            return refuse(reason, reason_len, bad, s);
        if (nd > 2)
            return refuse(reason, reason_len, "more than two decimals", s);
        fen = (uint64_t)(s[n + 1] - '0') * 10 + (nd == 2 ? (uint64_t)(s[n + 2] - '0') : 0);
    } else if (s[n] != '\0') {
        return refuse(reason, reason_len, bad, s);
    }
    if (!digits_to_u64(s, n, (uint64_t)VALUE_AMOUNT_MAX_YUAN, &yuan) ||
        (yuan == (uint64_t)VALUE_AMOUNT_MAX_YUAN && fen > 0)) {
        char what[64];

        snprintf(what, sizeof what, "too large an amount (at most %" PRId64 " yuan)",
                 VALUE_AMOUNT_MAX_YUAN);
        return refuse(reason, reason_len, what, s);
    }
    *num = (int64_t)(yuan * 100 + fen);
    return true;
}

static unsigned days_in_month(int y, unsigned m)
{
    static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : mdays[m - 1];
}

static bool parse_date(const char *s, int64_t *num, char *reason, size_t reason_len)
{
    static const char bad[] = "not a date (YYYY-MM-DD)";
    int y;
    unsigned m, d;

    for (int i = 0; i < 10; i++) {
        bool dash = i == 4 || i == 7;

        if (dash ? s[i] != '-' : !is_digit(s[i]))
            return refuse(reason, reason_len, bad, s);
    }
    if (s[10] != '\0')
        return refuse(reason, reason_len, bad, s);
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
    d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return refuse(reason, reason_len, bad, s);
    if (y < YEAR_MIN || y > YEAR_MAX)
        return refuse(reason, reason_len, "not a date between 1900 and 2199", s);
    *num = days_from_civil(y, m, d);
    return true;
}

static bool parse_enum(const struct field_def *def, const char *s, int64_t *num, char *reason,
                       size_t reason_len)
{
    char what[256];
    size_t o = 0;
    int i;

    for (i = 0; def->enum_values[i]; i++) {
        if (strcmp(def->enum_values[i], s) == 0) {
            *num = i;
            return true;
        }
    }
    o = (size_t)snprintf(what, sizeof what, "not one of ");
    for (i = 0; def->enum_values[i] && o < sizeof what; i++)
        o +=
            (size_t)snprintf(what + o, sizeof what - o, "%s%s", i ? ", " : "", def->enum_values[i]);
    return refuse(reason, reason_len, what, s);
}

/* Six digits whose first two are a province-level division of GB/T 2260
 * (11 Beijing ... 65 Xinjiang, 71 Taiwan, 81 Hong Kong, 82 Macao). */
static bool division_code(const char *s)
{
    static const unsigned char provinces[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34,
                                              35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
                                              53, 54, 61, 62, 63, 64, 65, 71, 81, 82};

    for (int i = 0; i < 6; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    if (s[6] != '\0')
        return false;
    for (size_t i = 0; i < sizeof provinces; i++)
        if ((s[0] - '0') * 10 + (s[1] - '0') == provinces[i])
            return true;
    return false;
}

/* Text: UTF-8 without control characters (a case number holding ESC or a
 * line break cannot be typed back, and disturbs a terminal that shows it),
 * and no longer than the field allows (the database indexes identifiers). */
static bool parse_text(const struct field_def *def, const char *s, char *reason, size_t reason_len)
{
    size_t len = strlen(s);
    uint32_t cp;
    char what[80];

    if (!utf8_valid(s, len))
        return refuse(reason, reason_len, "not UTF-8 text (save the file as \"CSV UTF-8\")", s);
    if (find_control(s, len, &cp)) {
        const char *name = cp == '\n' || cp == '\r' ? "a line break"
                           : cp == '\t'             ? "a tab"
                                                    : "a control character";

        snprintf(what, sizeof what,
                 cp < 0x80 ? "contains %s (\\x%02" PRIX32 ")" : "contains %s (\\u%04" PRIX32 ")",
                 name, cp);
        return refuse(reason, reason_len, what, s);
    }
    if (def->form == TEXT_DIVISION_CODE && !division_code(s))
        return refuse(reason, reason_len,
                      "not a court code: six digits of the court's administrative division "
                      "(GB/T 2260, e.g. 110105)",
                      s);
    if (def->max_bytes > 0 && len > def->max_bytes) {
        snprintf(what, sizeof what, "too long (%zu bytes, at most %zu)", len, def->max_bytes);
        return refuse(reason, reason_len, what, s);
    }
    if (def->form == TEXT_IDENTIFIER && s[0] != '\0' && strchr("=+-@", s[0]))
        return refuse(reason, reason_len,
                      "begins with =, +, - or @, which a spreadsheet takes for a formula "
                      "(remove the character, or write the identifier as the court does)",
                      s);
    return true;
}

bool value_parse(const struct field_def *def, const char *s, int64_t *num, char *reason,
                 size_t reason_len)
{
    if (s[0] == '\0') {
        if (reason_len > 0)
            snprintf(reason, reason_len, "empty");
        return false;
    }
    switch (def->type) {
    case FT_TEXT:
    case FT_LIST: return parse_text(def, s, reason, reason_len);
    case FT_ENUM: return parse_enum(def, s, num, reason, reason_len);
    case FT_INT: return parse_int(s, num, reason, reason_len);
    case FT_COUNT: return parse_count(s, num, reason, reason_len);
    case FT_AMOUNT: return parse_amount(s, num, reason, reason_len);
    case FT_BOOL: return parse_bool(s, num, reason, reason_len);
    case FT_DATE: return parse_date(s, num, reason, reason_len);
    }
    return refuse(reason, reason_len, "unknown field type", s);
}

/* Digits of v, most significant first, into buf (room for 20); returns the
 * length. Hand-rolled because snprintf per cell is the bulk of an export. */
static size_t u64_digits(uint64_t v, char *buf)
{
    char tmp[20];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

/* Put a signed decimal into out (room for 21); returns the length. */
static size_t i64_digits(int64_t v, char *out)
{
    if (v < 0) {
        out[0] = '-';
        /* Negate in unsigned arithmetic: -INT64_MIN overflows int64_t. */
        return 1 + u64_digits((uint64_t)0 - (uint64_t)v, out + 1);
    }
    return u64_digits((uint64_t)v, out);
}

static void two_digits(char *out, unsigned v)
{
    out[0] = (char)('0' + v / 10);
    out[1] = (char)('0' + v % 10);
}

size_t value_format(enum ftype t, int64_t num, char *buf, size_t len)
{
    char tmp[32];
    size_t n = 0;

    switch (t) {
    case FT_TEXT:
    case FT_ENUM:
    case FT_LIST: return 0;
    case FT_BOOL:
        n = num ? 4 : 5;
        memcpy(tmp, num ? "true" : "false", n);
        break;
    case FT_INT:
    case FT_COUNT: n = i64_digits(num, tmp); break;
    case FT_AMOUNT: {
        uint64_t mag = num < 0 ? (uint64_t)0 - (uint64_t)num : (uint64_t)num;
        unsigned fen = (unsigned)(mag % 100);

        if (num < 0)
            tmp[n++] = '-';
        n += u64_digits(mag / 100, tmp + n);
        if (fen != 0) {
            tmp[n++] = '.';
            two_digits(tmp + n, fen);
            n += 2;
        }
        break;
    }
    case FT_DATE: {
        int y;
        unsigned m, d;

        /* Days of years 0000..9999 only: anything else has no YYYY form
         * (and keeps civil_from_days far from overflow). */
        if (num < days_from_civil(0, 1, 1) || num > days_from_civil(9999, 12, 31))
            return 0;
        civil_from_days(num, &y, &m, &d);
        two_digits(tmp, (unsigned)y / 100);
        two_digits(tmp + 2, (unsigned)y % 100);
        tmp[4] = '-';
        two_digits(tmp + 5, m);
        tmp[7] = '-';
        two_digits(tmp + 8, d);
        n = 10;
        break;
    }
    }
    if (n == 0 || n + 1 > len)
        return 0;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return n;
}

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian
 * calendar, no tables, no loops. */
int64_t days_from_civil(int y, unsigned m, unsigned d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    unsigned yoe = (unsigned)(yy - era * 400);                      /* [0, 399] */
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */

    return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse; z must lie within a few billion years of 1970. */
void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    int64_t zz = z + 719468;
    int64_t era = (zz >= 0 ? zz : zz - 146096) / 146097;
    unsigned doe = (unsigned)(zz - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

bool duration_parse(const char *s, long long *seconds)
{
    long long v = 0, unit;
    const char *p = s;

    if (!s || *p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > 100LL * 366 * 86400)
            return false;
    }
    switch (*p) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return false;
    }
    if (p[1] != '\0' || v == 0 || v * unit > 100LL * 366 * 86400)
        return false;
    *seconds = v * unit;
    return true;
}
