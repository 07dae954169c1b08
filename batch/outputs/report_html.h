/*-------------------------------------------------------------------------
 * report_html.h
 *     report.html: one self-contained page (inline CSS and SVG, no script,
 *     no external file) with a run's headline numbers and charts, drawn
 *     from the results of the output queries (sql/queries/), written by
 *     report_html.c; and deviation.html, the deviation report's page, in
 *     the same style, by deviation_html.c. Both draw with html_page.c.
 *
 * Nothing here computes a statistic: the counts, shares and quantiles come
 * from PostgreSQL; this file only scales them to pixels. Every text taken
 * from the data is escaped for HTML.
 *
 * batch/outputs/report_html.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_REPORT_HTML_H
#define SENTENCER_REPORT_HTML_H

#include "result.h"
#include "status.h"

#include <stdio.h>

/* What the report shows; everything is borrowed for the call. */
struct report_input {
    const char *run_id;
    const char *rule_set;
    const char *state;              /* "done" or "interrupted" */
    const char *started_at;         /* UTC, ISO 8601 */
    const char *ended_at;           /* the snapshot the summaries describe */
    long evaluated;                 /* charges evaluated by this run */
    long errors;                    /* of them, not evaluated */
    const struct result *summaries; /* query "summaries" (its part = 'offense' rows) */
    const struct result *basis;     /* query "basis_frequency" */
    const char *const *basis_title; /* per row of basis: the test in words; NULL: none */
    const struct result *terms;     /* query "report_terms" */
    const struct result *fines;     /* query "report_fines" */
    const struct result *actual;    /* query "report_actual" */
};

/* Write the page to fp (borrowed; the caller closes it). name is used in
 * messages. */
enum status report_html_write(FILE *fp, const char *name, const struct report_input *in,
                              struct err *err);

/* deviation.html: the deviation report's page. The court points are
 * those deviation_summary.csv shows (suppressed rows left out, counted in
 * courts_left_out). Everything borrowed for the call. */
struct deviation_page {
    const char *filters; /* e.g. "all offenses, all courts, all years" */
    long defendants, inside_band, notices, warnings;
    const struct result *hist;  /* query "deviation_hist" */
    const struct result *kinds; /* query "deviation_kinds" */
    int ncourts;                /* points of the funnel plot */
    const long *court_n;        /* defendants of each court shown */
    const double *court_share;  /* their share inside the band */
    int courts_left_out;
};

enum status deviation_html_write(FILE *fp, const char *name, const struct deviation_page *in,
                                 struct err *err);

#endif
