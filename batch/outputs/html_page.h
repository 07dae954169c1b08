/*-------------------------------------------------------------------------
 * html_page.h
 *     The parts report.html and deviation.html share: a page written
 *     straight to a FILE (text escaped, numbers formatted), its style (print
 *     included: every printed page carries the run and its number), the
 *     colours of the kinds and offenses, and the charts drawn in SVG, each
 *     with its legend and a table of the numbers it shows.
 *
 * Nothing here computes a statistic; the numbers come from PostgreSQL and
 * are only scaled to pixels and laid out.
 *
 * batch/outputs/html_page.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_HTML_PAGE_H
#define SENTENCER_HTML_PAGE_H

#include "result.h"
#include "status.h"

#include <stdbool.h>
#include <stdio.h>

/* Chart geometry, in SVG user units (CSS pixels at 100%). */
#define CHART_W 760
#define LABEL_W 240 /* left column of horizontal bar charts */
#define RIGHT_W 90  /* right column: the count behind a bar */
#define BAR_H 22
#define ROW_H 30

/* The page being written; failed once a write failed. figures counts the
 * figures, which are numbered. */
struct page {
    FILE *fp;
    bool failed;
    int figures;
};

/* A colour and the colour of text drawn on it. */
struct swatch {
    const char *key, *label, *fill, *ink;
};

/* The recommended kinds in chart order (case.h's order), and the offenses
 * in article order: distinct colours, told apart in print too. */
extern const struct swatch kind_swatch[5];
extern const struct swatch offense_swatch[3];
#define NKINDS 5
#define NOFFENSE_SWATCHES 3

void page_out(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text from the data, escaped for element content and attribute values. */
void page_text(struct page *p, const char *s);
void page_count(struct page *p, double v); /* 12,345 */
void page_percent(struct page *p, double share);
void page_value(struct page *p, const char *s); /* as written, or a dash for NULL */

/* <!DOCTYPE> to <main>: title, the meta line under it, and running_head,
 * the text printed at the top of every page (the run), beside the page
 * number at its foot. */
void page_begin(struct page *p, const char *title, const char *meta, const char *running_head);
/* </main>, the footer paragraph (HTML, not escaped), </html>. */
void page_end(struct page *p, const char *footer_html);
/* The page's status once written: an error naming it when a write failed. */
enum status page_finish(const struct page *p, const char *name, struct err *err);

/* A numbered figure: <figure id> with the caption's heading and text
 * (HTML, not escaped); close with figure_end, which names the source of
 * the numbers. */
void figure_begin(struct page *p, const char *id, const char *heading, const char *caption_html);
void figure_end(struct page *p, const char *source);

void svg_open(struct page *p, const char *id, int height, const char *title);
void legend(struct page *p, const struct swatch *s, int n);

/* One horizontal 100% stacked bar at y: parts[i] of total, coloured by
 * s[i]; a part wide enough shows its percentage; the total goes at the
 * right, followed by note when not NULL. */
void stacked_bar(struct page *p, double y, const double *parts, const struct swatch *s, int nparts,
                 const char *note);

/* A vertical histogram, stacked: counts[series * nbins + bin], coloured
 * by s[series]; bins labelled label[bin] every label_every bins; a y axis
 * with round gridlines; the legend under it (when nseries > 1) and a table
 * of the non-empty bins beside it. */
struct histogram {
    const char *id, *title, *xlabel;
    int nbins, nseries, label_every;
    const char *const *label; /* nbins */
    const double *counts;     /* nseries * nbins */
    const struct swatch *s;   /* nseries */
    int plot_h;
};
void histogram(struct page *p, const struct histogram *h);

/* Table: actual kind (rows) by recommended kind (columns) from a result
 * with columns actual_kind, recommended_kind, defendants. */
void kind_by_kind_table(struct page *p, const struct result *t);

/* The defendants by deviation of the term, actual minus recommended, in
 * months (-24 to +24, the tails gathered), from a result with columns
 * months, defendants. */
void deviation_histogram(struct page *p, const char *id, const struct result *t);

/* The cells of a result by column name: NULL, 0 when missing. */
const char *res_text(const struct result *t, int row, const char *name);
double res_num(const struct result *t, int row, const char *name);
bool same_text(const char *a, const char *b); /* both non-NULL and equal */

#endif
