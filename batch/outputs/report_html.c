/*-------------------------------------------------------------------------
 * report_html.c
 *     report.html (see report_html.h): headline numbers, then numbered
 *     figures, each with its legend and the table of its numbers:
 *     recommended kinds per offense, defendants per conviction year, the
 *     recommended terms of each offense, the recommended fines, the
 *     threshold tests met (in words, by frequency), and, where actual
 *     judgments are recorded, actual against recommended kind and the
 *     deviation of the term. Drawn with html_page.c.
 *
 * batch/outputs/report_html.c
 *-------------------------------------------------------------------------
 */
#include "report_html.h"

#include "case.h"
#include "html_page.h"

#include <stdlib.h>
#include <string.h>

/* The totals rows of the summaries (level offense, then total): one per
 * offense, then all offenses. Returns the count; rows[] gets their
 * indexes. */
static int offense_rows(const struct result *t, int *rows, int max)
{
    int n = 0;

    for (int r = 0; t && r < result_rows(t) && n < max; r++)
        if (same_text(res_text(t, r, "part"), "offense") &&
            (same_text(res_text(t, r, "level"), "offense") ||
             same_text(res_text(t, r, "level"), "total")))
            rows[n++] = r;
    return n;
}

static int grand_row(const struct result *t)
{
    for (int r = 0; t && r < result_rows(t); r++)
        if (same_text(res_text(t, r, "part"), "offense") &&
            same_text(res_text(t, r, "level"), "total"))
            return r;
    return -1;
}

static int offense_index(const char *code)
{
    for (int i = 0; i < OFFENSE__COUNT; i++)
        if (same_text(code, offense_values[i]))
            return i;
    return -1;
}

/* An offense by article and name (case.h's table); the summaries' "all". */
static void offense_label(struct page *p, const char *code)
{
    int i = offense_index(code);

    if (i >= 0) {
        page_out(p, "%s ", offense_articles[i]);
        page_text(p, offense_names[i]);
    } else if (same_text(code, "all")) {
        page_out(p, "All offenses");
    } else {
        page_text(p, code ? code : "?");
    }
}

/* The share count / evaluated in row g, or a dash. */
static void share_of(struct page *p, const struct result *t, int g, const char *count)
{
    double base = res_num(t, g, "evaluated");

    if (base > 0)
        page_percent(p, res_num(t, g, count) / base);
    else
        page_value(p, NULL);
}

static void headline(struct page *p, const struct report_input *in)
{
    const struct result *t = in->summaries;
    int g = grand_row(t);
    double judged = 0, agree = 0;

    for (int r = 0; in->actual && r < result_rows(in->actual); r++) {
        double n = res_num(in->actual, r, "defendants");

        judged += n;
        if (same_text(res_text(in->actual, r, "actual_kind"),
                      res_text(in->actual, r, "recommended_kind")))
            agree += n;
    }
    page_out(p, "<section id=\"headline\" aria-label=\"Headline numbers\"><dl "
                "style=\"display:contents\">\n");
    page_out(p, "<div><dt>Charges this run processed</dt><dd>");
    page_count(p, (double)in->evaluated);
    page_out(p, " <small>");
    page_count(p, (double)in->errors);
    page_out(p, " not evaluable</small></dd></div>\n");
    page_out(p, "<div><dt>Current recommendations</dt><dd>");
    page_count(p, res_num(t, g, "defendants"));
    page_out(p, " <small>");
    page_count(p, res_num(t, g, "errors"));
    page_out(p, " errors</small></dd></div>\n");
    page_out(p, "<div><dt>Facts meet the threshold</dt><dd>");
    share_of(p, t, g, "threshold_met");
    page_out(p, "</dd></div>\n");
    page_out(p, "<div><dt>Suspended sentence recommended</dt><dd>");
    share_of(p, t, g, "suspended");
    page_out(p, "</dd></div>\n");
    page_out(p, "<div><dt>Median recommended term</dt><dd>");
    page_value(p, res_text(t, g, "months_p50"));
    page_out(p, " <small>months (p25 ");
    page_value(p, res_text(t, g, "months_p25"));
    page_out(p, ", p75 ");
    page_value(p, res_text(t, g, "months_p75"));
    page_out(p, ")</small></dd></div>\n");
    page_out(p, "<div><dt>Median recommended fine</dt><dd>");
    if (res_text(t, g, "fine_yuan_p50"))
        page_count(p, res_num(t, g, "fine_yuan_p50"));
    else
        page_value(p, NULL);
    page_out(p, " <small>yuan</small></dd></div>\n");
    page_out(p, "<div><dt>Eligible for an occupational ban</dt><dd>");
    share_of(p, t, g, "ban_eligible");
    page_out(p, "</dd></div>\n");
    page_out(p, "<div><dt>Actual kind equals recommended</dt><dd>");
    if (judged > 0) {
        page_percent(p, agree / judged);
        page_out(p, " <small>of ");
        page_count(p, judged);
        page_out(p, " judgments</small>");
    } else {
        page_out(p, "&#8211; <small>no actual judgments</small>");
    }
    page_out(p, "</dd></div>\n</dl></section>\n");
}

static void chart_kinds(struct page *p, const struct report_input *in)
{
    const struct result *t = in->summaries;
    int rows[16], n = offense_rows(t, rows, 16);

    figure_begin(p, "kinds-per-offense", "Recommended kinds per offense",
                 "Share of each recommended principal penalty among the evaluated defendants "
                 "(status ok) of each offense; the number at the right is those evaluated.");
    svg_open(p, "kinds-per-offense-chart", 10 + n * ROW_H, "Recommended kinds per offense");
    for (int i = 0; i < n; i++) {
        double y = 5 + i * ROW_H, parts[NKINDS];

        for (int k = 0; k < NKINDS; k++) {
            char col[32];
            snprintf(col, sizeof col, "kind_%s", kind_swatch[k].key);
            parts[k] = res_num(t, rows[i], col);
        }
        page_out(p, "<text x=\"0\" y=\"%.1f\">", y + 15);
        offense_label(p, res_text(t, rows[i], "offense"));
        page_out(p, "</text>\n");
        stacked_bar(p, y, parts, kind_swatch, NKINDS, NULL);
    }
    page_out(p, "</svg>\n");
    legend(p, kind_swatch, NKINDS);
    page_out(p, "<table class=\"data\"><tr><th>offense</th>");
    for (int k = 0; k < NKINDS; k++) {
        page_out(p, "<th>");
        page_text(p, kind_swatch[k].label);
        page_out(p, "</th>");
    }
    page_out(p, "<th>evaluated</th></tr>\n");
    for (int i = 0; i < n; i++) {
        page_out(p, "<tr><th>");
        offense_label(p, res_text(t, rows[i], "offense"));
        page_out(p, "</th>");
        for (int k = 0; k < NKINDS; k++) {
            char col[32];
            snprintf(col, sizeof col, "kind_%s", kind_swatch[k].key);
            page_out(p, "<td>");
            page_count(p, res_num(t, rows[i], col));
            page_out(p, "</td>");
        }
        page_out(p, "<td>");
        page_count(p, res_num(t, rows[i], "evaluated"));
        page_out(p, "</td></tr>\n");
    }
    page_out(p, "</table>\n");
    figure_end(p, "summary_offense.csv");
}

/* Defendants per conviction year, stacked by offense. */
static void chart_years(struct page *p, const struct report_input *in)
{
    const struct result *t = in->summaries;
    int first = 0, last = -1;

    for (int r = 0; t && r < result_rows(t); r++) {
        int y = (int)res_num(t, r, "conviction_year");

        if (!same_text(res_text(t, r, "level"), "year"))
            continue;
        if (last < first || y < first)
            first = y;
        if (y > last)
            last = y;
    }
    figure_begin(p, "year-trend", "Defendants per conviction year",
                 "Current recommendations by the year of the conviction date, stacked by offense "
                 "(defendants whose conviction date is not recorded are left out).");
    if (last < first || last - first > 200) {
        page_out(p, "<p>No conviction dates are recorded.</p>\n");
    } else {
        int nb = last - first + 1;
        char(*labels)[8] = calloc((size_t)nb, sizeof *labels);
        const char **label = calloc((size_t)nb, sizeof *label);
        double *counts = calloc((size_t)nb * NOFFENSE_SWATCHES, sizeof *counts);

        if (labels && label && counts) {
            struct histogram h = {
                .id = "year-trend-chart",
                .title = "Defendants per conviction year",
                .xlabel = "conviction year",
                .nbins = nb,
                .nseries = NOFFENSE_SWATCHES,
                .label_every = nb > 16 ? 2 : 1,
                .label = label,
                .counts = counts,
                .s = offense_swatch,
            };

            for (int b = 0; b < nb; b++) {
                snprintf(labels[b], sizeof labels[b], "%d", first + b);
                label[b] = labels[b];
            }
            for (int r = 0; r < result_rows(t); r++) {
                int o = offense_index(res_text(t, r, "offense"));
                int b = (int)res_num(t, r, "conviction_year") - first;

                if (same_text(res_text(t, r, "level"), "year") && o >= 0 && o < 3 && b >= 0 &&
                    b < nb)
                    counts[o * nb + b] += res_num(t, r, "defendants");
            }
            histogram(p, &h);
        } else {
            p->failed = true;
        }
        free(labels);
        free(label);
        free(counts);
    }
    figure_end(p, "summary_offense.csv (level year)");
}

/* The recommended terms of one offense, 1 to 36 months (longer ones
 * gathered in the last bin), stacked by kind. */
static void chart_terms(struct page *p, const struct report_input *in, int offense)
{
    enum { NB = 37 };
    char labels[NB][8], id[64], heading[160];
    const char *label[NB];
    double counts[3 * NB] = {0};
    struct histogram h = {
        .id = id,
        .title = heading,
        .xlabel = "recommended term (months)",
        .nbins = NB,
        .nseries = 3,
        .label_every = 3,
        .label = label,
        .counts = counts,
        .s = kind_swatch,
    };
    const struct result *t = in->terms;

    snprintf(id, sizeof id, "terms-%s", offense_values[offense]);
    snprintf(heading, sizeof heading, "Recommended terms, %s %s", offense_articles[offense],
             offense_names[offense]);
    for (int b = 0; b < NB; b++) {
        snprintf(labels[b], sizeof labels[b], b == NB - 1 ? "37+" : "%d", b + 1);
        label[b] = labels[b];
    }
    for (int r = 0; t && r < result_rows(t); r++) {
        int m = (int)res_num(t, r, "months"), k = -1;

        if (!same_text(res_text(t, r, "offense"), offense_values[offense]))
            continue;
        for (int i = 0; i < 3; i++)
            if (same_text(res_text(t, r, "kind"), kind_swatch[i].key))
                k = i;
        if (k < 0 || m < 1)
            continue;
        counts[k * NB + (m > NB ? NB : m) - 1] += res_num(t, r, "defendants");
    }
    figure_begin(p, id, heading,
                 "Defendants by recommended term in months, stacked by kind (a fine alone and "
                 "exemption have no term).");
    histogram(p, &h);
    figure_end(p, "recommendations of the database (the query behind summary_offense.csv's "
                  "months quantiles)");
}

/* Recommended fines in bins of yuan (the bounds of report_fines.sql),
 * stacked by offense. */
static void chart_fines(struct page *p, const struct report_input *in)
{
    static const char *const label[] = {
        "under 1,000",   "1,000-1,999",   "2,000-2,999",   "3,000-4,999",     "5,000-9,999",
        "10,000-19,999", "20,000-49,999", "50,000-99,999", "100,000-499,999", "500,000 or more"};
    enum { NB = sizeof label / sizeof label[0] };
    double counts[NOFFENSE_SWATCHES * NB] = {0};

    for (int r = 0; in->fines && r < result_rows(in->fines); r++) {
        int o = offense_index(res_text(in->fines, r, "offense"));
        int b = (int)res_num(in->fines, r, "bin");

        if (o >= 0 && o < NOFFENSE_SWATCHES && b >= 0 && b < NB)
            counts[o * NB + b] += res_num(in->fines, r, "defendants");
    }
    /* Declared after the counts are in (cppcheck follows no pointer). */
    const struct histogram h = {
        .id = "fine-distribution-chart",
        .title = "Recommended fines",
        .xlabel = "recommended fine (yuan)",
        .nbins = NB,
        .nseries = NOFFENSE_SWATCHES,
        .label_every = 1,
        .label = label,
        .counts = counts,
        .s = offense_swatch,
    };
    figure_begin(p, "fine-distribution", "Recommended fines",
                 "Defendants by recommended fine, stacked by offense (units' fines are larger).");
    histogram(p, &h);
    figure_end(p, "recommendations of the database");
}

/* The short form of a provision's title: what follows the document's
 * name (the id names the document already): "第三条第一款第（一）项（...）". */
static const char *short_title(const char *title)
{
    const char *sp = title ? strrchr(title, ' ') : NULL;

    return sp ? sp + 1 : title;
}

/* Rows of a threshold-test figure: a provision and its heading may take
 * two lines, and a figure must fit a printed page. */
#define BASIS_ROWS 12

/* Threshold tests met by the defendants of one offense, most frequent
 * first, named in words: figures of at most BASIS_ROWS tests each. */
static void chart_basis(struct page *p, const struct report_input *in, int offense)
{
    const struct result *t = in->basis;
    int n = t ? result_rows(t) : 0, m = 0, parts;
    int *order = malloc(sizeof *order * (size_t)(n > 0 ? n : 1));

    if (!order) {
        p->failed = true;
        return;
    }
    /* This offense's rows, by count descending (insertion sort: a few
     * dozen rows at most). */
    for (int r = 0; r < n; r++) {
        int j = m;

        if (!same_text(res_text(t, r, "offense"), offense_values[offense]))
            continue;
        while (j > 0 &&
               res_num(t, order[j - 1], "defendants_met") < res_num(t, r, "defendants_met")) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = r;
        m++;
    }
    parts = m > 0 ? (m + BASIS_ROWS - 1) / BASIS_ROWS : 1;
    for (int part = 0; part < parts; part++) {
        char id[80], heading[200];

        snprintf(id, sizeof id, part ? "threshold-tests-%s-%d" : "threshold-tests-%s",
                 offense_values[offense], part + 1);
        snprintf(heading, sizeof heading,
                 parts > 1 ? "Threshold tests met, %s %s (%d of %d)" : "Threshold tests met, %s %s",
                 offense_articles[offense], offense_names[offense], part + 1, parts);
        figure_begin(p, id, heading,
                     "The share of the offense's evaluated defendants whose facts met each "
                     "threshold test, most frequent first; a defendant may meet several.");
        if (m == 0)
            page_out(p, "<p>No threshold test was met.</p>\n");
        else
            page_out(p, "<table class=\"data\" style=\"width:100%%\"><tr><th>test</th>"
                        "<th>defendants met</th><th>of evaluated</th>"
                        "<th style=\"width:22%%\"></th></tr>\n");
        for (int i = part * BASIS_ROWS; i < m && i < (part + 1) * BASIS_ROWS; i++) {
            int r = order[i];
            double share = res_num(t, r, "share_met");

            page_out(p, "<tr><th style=\"font-weight:400\">");
            page_text(p, res_text(t, r, "citation"));
            if (in->basis_title && in->basis_title[r] && in->basis_title[r][0]) {
                page_out(p, " ");
                page_text(p, short_title(in->basis_title[r]));
            }
            page_out(p, "</th><td>");
            page_count(p, res_num(t, r, "defendants_met"));
            page_out(p, "</td><td>");
            page_percent(p, share);
            page_out(p,
                     "</td><td style=\"text-align:left\"><svg width=\"150\" height=\"12\" "
                     "role=\"img\" aria-label=\"%.1f%%\"><rect width=\"%.1f\" height=\"12\" "
                     "fill=\"%s\"/></svg></td></tr>\n",
                     share * 100, 150 * share, offense_swatch[offense].fill);
        }
        if (m > 0)
            page_out(p, "</table>\n");
        figure_end(p, "basis_frequency.csv");
    }
    free(order);
}

static void chart_actual(struct page *p, const struct report_input *in)
{
    double judged = 0;

    for (int r = 0; in->actual && r < result_rows(in->actual); r++)
        judged += res_num(in->actual, r, "defendants");
    figure_begin(p, "recommended-vs-actual", "Recommended against actual: the kind",
                 "Defendants whose actual judgment is recorded (cases.csv columns actual_kind, "
                 "actual_months, ...), by the kind the court gave (rows) and the kind "
                 "recommended (columns).");
    if (judged <= 0)
        page_out(p, "<p>No actual judgments are recorded.</p>\n");
    else
        kind_by_kind_table(p, in->actual);
    figure_end(p, "cases and recommendations of the database (as sentencer report deviation)");
    if (judged <= 0)
        return;
    figure_begin(p, "actual-deviation", "Recommended against actual: the term",
                 "The same defendants by actual minus recommended term, in months (a kind "
                 "without a term counts 0; the ends gather everything beyond 24 months). "
                 "sentencer report deviation breaks it down by court.");
    deviation_histogram(p, "actual-deviation-chart", in->actual);
    figure_end(p, "cases and recommendations of the database (as sentencer report deviation)");
}

enum status report_html_write(FILE *fp, const char *name, const struct report_input *in,
                              struct err *err)
{
    struct page page = {fp, false, 0}, *p = &page;
    char title[128], meta[512], head[256];

    snprintf(title, sizeof title, "Sentencing recommendations: run %s",
             in->run_id ? in->run_id : "?");
    snprintf(meta, sizeof meta, "Rule set %s · run %s · started %s · figures as of %s (UTC)",
             in->rule_set ? in->rule_set : "?", in->state ? in->state : "?",
             in->started_at ? in->started_at : "?", in->ended_at ? in->ended_at : "?");
    snprintf(head, sizeof head, "sentencer run %s · rule set %s · as of %s",
             in->run_id ? in->run_id : "?", in->rule_set ? in->rule_set : "?",
             in->ended_at ? in->ended_at : "?");
    page_begin(p, title, meta, head);
    headline(p, in);
    chart_kinds(p, in);
    chart_years(p, in);
    for (int o = 0; o < OFFENSE__COUNT; o++)
        chart_terms(p, in, o);
    chart_fines(p, in);
    for (int o = 0; o < OFFENSE__COUNT; o++)
        chart_basis(p, in, o);
    chart_actual(p, in);
    page_end(p, "The first headline number counts the charges this run processed; every other "
                "number describes all current recommendations: the database after this run, not "
                "only the cases it processed. &quot;Evaluated&quot; means status ok, as in the "
                "summaries; shares are of them. This page shows no court-level figure; "
                "summary_court.csv is disclosure-controlled (see README and codebook.csv). A "
                "recommendation advises a judge; it does not replace one.");
    return page_finish(p, name, err);
}
