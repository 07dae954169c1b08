/*-------------------------------------------------------------------------
 * datapackage.c
 *     datapackage.json (see datapackage.h): the descriptor assembled in a
 *     buffer, with each file's size and SHA-256 read back from the folder.
 *
 * batch/outputs/datapackage.c
 *-------------------------------------------------------------------------
 */
#include "datapackage.h"

#include "buf.h"
#include "codebook.h"
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Size and SHA-256 of name in the folder dirfd. */
static enum status file_digest(int dirfd, const char *name, long long *bytes, char hex[65],
                               struct err *err)
{
    static char chunk[65536];
    struct sha256 h;
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t n;

    *bytes = 0;
    if (fd < 0)
        return err_set(err, ST_EIO, "could not read back %s: %s", name, strerror(errno));
    if (!sha256_init(&h)) {
        close(fd);
        return err_set(err, ST_ENOMEM, "out of memory hashing %s", name);
    }
    while ((n = read(fd, chunk, sizeof chunk)) > 0) {
        sha256_update(&h, chunk, (size_t)n);
        *bytes += n;
    }
    sha256_hex(&h, hex);
    if (n < 0) {
        int e = errno;
        close(fd);
        return err_set(err, ST_EIO, "could not read back %s: %s", name, strerror(e));
    }
    close(fd);
    return ST_OK;
}

static bool str(struct buf *b, const char *s)
{
    return buf_add_json_str(b, s, strlen(s));
}

/* "key": "value" */
static bool kv(struct buf *b, const char *key, const char *value)
{
    return str(b, key) && buf_adds(b, ": ") && str(b, value);
}

/* Table Schema's type for a codebook type. */
static const char *schema_type(const char *type)
{
    static const char *const map[][2] = {
        {"text", "string"},        {"list", "string"},    {"enum", "string"},
        {"integer", "integer"},    {"decimal", "number"}, {"boolean", "boolean"},
        {"timestamp", "datetime"},
    };

    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], type) == 0)
            return map[i][1];
    return "any";
}

static bool is_key(const struct dp_file *f, const char *col)
{
    for (int k = 0; k < f->nkey; k++)
        if (strcmp(f->key[k], col) == 0)
            return true;
    return false;
}

/* One field of a schema. */
static bool field(struct buf *b, const struct dp_file *f, const char *col, const struct col_doc *d)
{
    const char *type = schema_type(d->type);
    bool ok = buf_adds(b, "{") && kv(b, "name", col) && buf_adds(b, ", ") && kv(b, "type", type) &&
              buf_adds(b, ", ") && kv(b, "description", d->meaning);

    if (ok && d->unit[0])
        ok = buf_adds(b, ", ") && kv(b, "unit", d->unit);
    if (ok && strcmp(type, "boolean") == 0)
        ok = buf_adds(b, ", \"trueValues\": [\"true\"], \"falseValues\": [\"false\"]");
    if (ok && strcmp(d->type, "list") == 0)
        ok = buf_adds(b, ", \"sentencer:separator\": \";\"");
    if (ok && (d->codes[0] || is_key(f, col))) {
        ok = buf_adds(b, ", \"constraints\": {");
        /* A key column is never empty; summary_offense.csv's
         * conviction_year is, outside the rows of level year. */
        if (ok && is_key(f, col) && strcmp(col, "conviction_year") != 0)
            ok = buf_adds(b, "\"required\": true");
        if (ok && d->codes[0]) {
            const char *p = d->codes;

            ok = buf_adds(b, is_key(f, col) && strcmp(col, "conviction_year") != 0 ? ", \"enum\": ["
                                                                                   : "\"enum\": [");
            while (ok && *p) {
                const char *e = strchr(p, ';');
                size_t n = e ? (size_t)(e - p) : strlen(p);

                ok = (p == d->codes || buf_adds(b, ", ")) && buf_add_json_str(b, p, n);
                p += n + (e != NULL);
            }
            ok = ok && buf_adds(b, "]");
        }
        ok = ok && buf_adds(b, "}");
    }
    return ok && buf_adds(b, "}");
}

/* One resource: the file, its dialect and schema. */
static enum status resource(struct buf *b, const struct dp_package *pkg, const struct dp_file *f,
                            const struct codebook *cb, struct err *err)
{
    char name[256], hex[65] = "";
    long long bytes = -1;
    enum status st;
    bool ok;
    size_t n = strcspn(f->name, ".");

    snprintf(name, sizeof name, "%.*s", (int)n, f->name);
    if (f->on_disk && (st = file_digest(pkg->dirfd, f->name, &bytes, hex, err)) != ST_OK)
        return st;
    ok = buf_adds(b, "{") && kv(b, "name", name) && buf_adds(b, ", ") && kv(b, "path", f->name) &&
         buf_adds(b, ", ") && kv(b, "profile", "tabular-data-resource") && buf_adds(b, ", ") &&
         kv(b, "title", f->title) && buf_adds(b, ", ") && kv(b, "format", "csv") &&
         buf_adds(b, ", ") && kv(b, "mediatype", "text/csv") && buf_adds(b, ", ") &&
         kv(b, "encoding", pkg->bom ? "utf-8-sig" : "utf-8");
    if (ok && f->on_disk)
        ok = buf_printf(b, ", \"bytes\": %lld, \"hash\": \"sha256:%s\"", bytes, hex);
    ok = ok && buf_adds(b, ", \"dialect\": {\"delimiter\": \",\", \"doubleQuote\": true, "
                           "\"lineTerminator\": \"\\n\", \"quoteChar\": \"\\\"\", "
                           "\"header\": true, \"skipInitialSpace\": false}, "
                           "\"schema\": {\"fields\": [");
    for (int c = 0; ok && c < f->ncols; c++) {
        struct col_doc d;

        if (!codebook_find(cb, f->name, f->cols[c], &d))
            return err_set(err, ST_EINPUT, "column %s of %s has no codebook entry", f->cols[c],
                           f->name);
        ok = (c == 0 || buf_adds(b, ", ")) && field(b, f, f->cols[c], &d);
    }
    ok = ok && buf_adds(b, "], \"missingValues\": [\"\"], \"primaryKey\": [");
    for (int k = 0; ok && k < f->nkey; k++)
        ok = (k == 0 || buf_adds(b, ", ")) && str(b, f->key[k]);
    ok = ok && buf_adds(b, "]}}");
    return ok ? ST_OK : err_set(err, ST_ENOMEM, "out of memory writing datapackage.json");
}

enum status datapackage_write(FILE *fp, const struct dp_package *pkg, struct err *err)
{
    struct buf b = {0};
    struct codebook *cb = NULL;
    char name[64];
    enum status st = codebook_open(&cb, err);
    bool ok;

    if (st != ST_OK)
        return st;
    snprintf(name, sizeof name, "sentencer-run-%s", pkg->run_id);
    ok = buf_adds(&b, "{\n  ") && kv(&b, "profile", "tabular-data-package") &&
         buf_adds(&b, ",\n  ") && kv(&b, "name", name) && buf_adds(&b, ",\n  ") &&
         buf_printf(&b,
                    "\"title\": \"sentencer run %s: sentencing recommendations and their "
                    "summaries\"",
                    pkg->run_id) &&
         buf_adds(&b, ",\n  ") && kv(&b, "created", pkg->created) && buf_adds(&b, ",\n  ") &&
         kv(&b, "sentencer:run_id", pkg->run_id) && buf_adds(&b, ",\n  ") &&
         kv(&b, "sentencer:rule_set", pkg->rule_set) && buf_adds(&b, ",\n  \"resources\": [");
    for (int i = 0; ok && st == ST_OK && i < pkg->nfiles; i++) {
        ok = buf_adds(&b, i ? ",\n    " : "\n    ");
        if (ok)
            st = resource(&b, pkg, &pkg->files[i], cb, err);
    }
    ok = ok && buf_adds(&b, "\n  ]\n}\n");
    codebook_free(cb);
    if (st == ST_OK && !ok)
        st = err_set(err, ST_ENOMEM, "out of memory writing datapackage.json");
    if (st == ST_OK && fwrite(b.data, 1, b.len, fp) != b.len)
        st = err_set(err, ST_EIO, "could not write datapackage.json: %s", strerror(errno));
    buf_fini(&b);
    return st;
}
