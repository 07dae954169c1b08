/*-------------------------------------------------------------------------
 * test_log.c
 *     Unit tests of the message lines: unchanged when standard error is
 *     not the journal, and each line with its syslog priority prefix when
 *     JOURNAL_STREAM names standard error's own device and inode.
 *
 * Standard error is pointed at a temporary file for each case, and the
 * file read back.
 *
 * tests/unit/test_log.c
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What names the stream: "same" (stderr's dev:ino), "other" (another
 * inode), a literal value, or NULL (unset). */
struct capture {
    int saved;
    int fd;
    char path[4096];
};

static void capture_begin(struct capture *c, const char *stream)
{
    const char *dir = getenv("TMPDIR");
    struct stat st;
    char v[64];

    snprintf(c->path, sizeof c->path, "%s/test_log.XXXXXX", dir && *dir ? dir : "/tmp");
    c->fd = mkstemp(c->path);
    assert_true(c->fd >= 0);
    fflush(stderr);
    c->saved = dup(STDERR_FILENO);
    assert_true(c->saved >= 0);
    assert_int_equal(dup2(c->fd, STDERR_FILENO), STDERR_FILENO);
    assert_int_equal(fstat(c->fd, &st), 0);
    if (!stream) {
        unsetenv("JOURNAL_STREAM");
        return;
    }
    if (strcmp(stream, "same") == 0)
        snprintf(v, sizeof v, "%llu:%llu", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
    else if (strcmp(stream, "other") == 0)
        snprintf(v, sizeof v, "%llu:%llu", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino + 1);
    else
        snprintf(v, sizeof v, "%s", stream);
    setenv("JOURNAL_STREAM", v, 1);
}

/* Restore stderr; returns what was written (free it). */
static char *capture_end(struct capture *c)
{
    char *text;
    long n;
    FILE *fp;

    fflush(stderr);
    assert_int_equal(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
    close(c->saved);
    close(c->fd);
    unsetenv("JOURNAL_STREAM");
    fp = fopen(c->path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    text = calloc((size_t)n + 1, 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    unlink(c->path);
    return text;
}

static void write_all(void)
{
    struct err err;

    err_clear(&err);
    err_set(&err, ST_EDB, "could not connect to the database");
    err_detail(&err, "host /run/postgresql\nport 5432");
    err_hint(&err, "Start PostgreSQL.");
    log_err(&err);
    log_error("bad %s", "thing");
    log_warning("%d earlier runs ended without finishing", 2);
    log_info("run %d done", 7);
    log_line(LOG_PRIO_WARNING, "cases.csv:%d: age: not a number", 3);
    log_line(LOG_PRIO_DEBUG, "rules: %s", "looked");
}

static const char plain[] = "sentencer: error: could not connect to the database\n"
                            "DETAIL: host /run/postgresql\nport 5432\n"
                            "HINT: Start PostgreSQL.\n"
                            "sentencer: error: bad thing\n"
                            "sentencer: warning: 2 earlier runs ended without finishing\n"
                            "sentencer: run 7 done\n"
                            "cases.csv:3: age: not a number\n"
                            "rules: looked\n";

static void lines_are_unchanged_without_the_journal(void **state)
{
    /* Unset, another stream's inode (a redirected child of a unit), and
     * values that are not DEVICE:INODE. */
    const char *streams[] = {NULL, "other", "", "12", "12:", ":34", "12:34x", "x:y"};
    (void)state;
    for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++) {
        struct capture c;
        char *text;

        capture_begin(&c, streams[i]);
        assert_false(log_to_journal());
        write_all();
        text = capture_end(&c);
        assert_string_equal(text, plain);
        free(text);
    }
}

static void every_journal_line_carries_its_priority(void **state)
{
    struct capture c;
    char *text;

    (void)state;
    capture_begin(&c, "same");
    assert_true(log_to_journal());
    write_all();
    text = capture_end(&c);
    assert_string_equal(text, "<3>sentencer: error: could not connect to the database\n"
                              "<3>DETAIL: host /run/postgresql\n<3>port 5432\n"
                              "<3>HINT: Start PostgreSQL.\n"
                              "<3>sentencer: error: bad thing\n"
                              "<4>sentencer: warning: 2 earlier runs ended without finishing\n"
                              "<6>sentencer: run 7 done\n"
                              "<4>cases.csv:3: age: not a number\n"
                              "<7>rules: looked\n");
    free(text);
}

static void a_long_message_is_whole(void **state)
{
    static char big[10000];
    struct capture c;
    char *text;

    (void)state;
    memset(big, 'x', sizeof big - 1);
    capture_begin(&c, "same");
    log_info("%s", big);
    text = capture_end(&c);
    assert_int_equal(strlen(text), 3 + strlen("sentencer: ") + sizeof big - 1 + 1);
    assert_memory_equal(text, "<6>sentencer: xxx", 17);
    assert_int_equal(text[strlen(text) - 1], '\n');
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_are_unchanged_without_the_journal),
        cmocka_unit_test(every_journal_line_carries_its_priority),
        cmocka_unit_test(a_long_message_is_whole),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
