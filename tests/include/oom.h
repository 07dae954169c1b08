/*-------------------------------------------------------------------------
 * oom.h
 *     Allocation failure on demand, for the out-of-memory tests: the test
 *     binary is linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,
 *     --wrap=strdup (Makefile, OOM_WRAP), so every allocation the project's
 *     own objects make goes through the wrappers below; libpq's, libcsv's
 *     and the C library's own do not. Include it in exactly one file of a
 *     test binary.
 *
 * oom_sweep runs a step with the first, second, ... allocation failing
 * until one run makes no failing call: every error path of the step that
 * an allocation can reach is taken once. The sanitizer build's leak check
 * then reports whatever a failing path leaked.
 *
 * tests/include/oom.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_TEST_OOM_H
#define SENTENCER_TEST_OOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

/* The allocation counter: -1 fails none; 0 fails the next and those after
 * it (a failing path that retries fails again, as memory stays short). */
static long oom_countdown = -1;
static bool oom_hit;

static bool oom_fail_now(void)
{
    if (oom_countdown < 0)
        return false;
    if (oom_countdown > 0) {
        oom_countdown--;
        return false;
    }
    oom_hit = true;
    return true;
}

void *__wrap_malloc(size_t n)
{
    return oom_fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return oom_fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return oom_fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return oom_fail_now() ? NULL : __real_strdup(s);
}

/* One step under test: returns true when it succeeded; on failure it has
 * released what it made and checked that it said why. */
typedef bool (*oom_step_fn)(void *ud);

/* Run step with allocation 0, 1, 2, ... failing, until a run allocates
 * fewer times than the countdown; returns how many failure points were
 * taken, or -1 when a run that met a failing allocation still reported
 * success (an ignored NULL) or a run without one failed. */
static long oom_sweep(oom_step_fn step, void *ud, long limit)
{
    for (long n = 0; n < limit; n++) {
        bool ok;

        oom_hit = false;
        oom_countdown = n;
        ok = step(ud);
        oom_countdown = -1;
        if (!oom_hit) {
            if (!ok)
                fprintf(stderr, "oom: the step failed with no allocation failing\n");
            return ok ? n : -1;
        }
        if (ok) {
            fprintf(stderr, "oom: allocation %ld failed and the step reported success\n", n);
            return -1;
        }
    }
    return -1;
}

#endif
