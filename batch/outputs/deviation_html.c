/*-------------------------------------------------------------------------
 * deviation_html.c
 *     deviation.html (see report_html.h): the deviation report's page:
 *     headline numbers, the deviation histogram, the kind-by-kind table and
 *     the funnel plot of courts, in report.html's style (html_page.c).
 *
 * batch/outputs/deviation_html.c
 *-------------------------------------------------------------------------
 */
#include "report_html.h"

#include "html_page.h"

#include <math.h>

static void deviation_headline(struct page *p, const struct deviation_page *in)
{
    page_out(p, "<dl id=\"headline\">\n<div><dt>defendants with a judgment</dt><dd>");
    page_count(p, (double)in->defendants);
    page_out(p, "</dd></div>\n<div><dt>actual term inside the band</dt><dd>");
    page_percent(p, in->defendants ? (double)in->inside_band / (double)in->defendants : 0);
    page_out(p, "</dd></div>\n<div><dt>warnings</dt><dd>");
    page_count(p, (double)in->warnings);
    page_out(p, "</dd></div>\n<div><dt>notices</dt><dd>");
    page_count(p, (double)in->notices);
    page_out(p, "</dd></div>\n</dl>\n");
}

/* Courts' share inside the band against their number of defendants, with
 * the overall share and the 95% and 99.8% limits a court of that size
 * would fall within by chance (binomial, normal approximation). */
static void deviation_funnel(struct page *p, const struct deviation_page *in)
{
    static const struct swatch key[] = {
        {"court", "a court and offense", "#2e86c1", "#ffffff"},
        {"share", "share over all courts", "#1b4f72", "#ffffff"},
        {"95", "95% limits", "#e59866", "#111111"},
        {"998", "99.8% limits", "#c0392b", "#ffffff"},
    };
    const int plot_h = 240, top = 10, left = 50, bottom = 40;
    double p0 = in->defendants ? (double)in->inside_band / (double)in->defendants : 0;
    long max_n = 10;
    double w = CHART_W - left - 10;
    char caption[640];

    for (int i = 0; i < in->ncourts; i++)
        if (in->court_n[i] > max_n)
            max_n = in->court_n[i];
    snprintf(caption, sizeof caption,
             "Each point a court (and offense): its share of actual terms inside the recommended "
             "band against its number of defendants. The line is the share over all courts; the "
             "funnels are where 95%% and 99.8%% of courts of that size would fall by chance.%s",
             in->courts_left_out ? " Small court rows are left out (suppressed in "
                                   "deviation_summary.csv)."
                                 : "");
    figure_begin(p, "deviation-funnel", "Courts: share inside the band", caption);
    svg_open(p, "deviation-funnel", top + plot_h + bottom, "Courts: share inside the band");
    for (int i = 0; i <= 4; i++) {
        double y = top + plot_h - plot_h * i / 4.0;

        page_out(p,
                 "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#dde\"/>"
                 "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>\n",
                 left, CHART_W - 10, y, y, left - 6, y + 4, i * 25);
    }
    for (int z = 0; z < 2; z++) {
        double zz = z ? 3.09 : 1.96;

        for (int side = -1; side <= 1; side += 2) {
            page_out(p, "<polyline fill=\"none\" stroke=\"%s\" stroke-dasharray=\"4 3\" points=\"",
                     key[2 + z].fill);
            for (int k = 1; k <= 60; k++) {
                double n = 1 + (double)(max_n - 1) * k / 60.0;
                double lim = p0 + side * zz * sqrt(p0 * (1 - p0) / n);

                lim = lim < 0 ? 0 : lim > 1 ? 1 : lim;
                page_out(p, "%.1f,%.1f ", left + w * n / (double)max_n,
                         top + plot_h - plot_h * lim);
            }
            page_out(p, "\"/>\n");
        }
    }
    page_out(p, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", left,
             CHART_W - 10, top + plot_h - plot_h * p0, top + plot_h - plot_h * p0, key[1].fill);
    for (int i = 0; i < in->ncourts; i++)
        page_out(p,
                 "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" fill-opacity=\"0.7\">"
                 "<title>%ld defendants, %.0f%% inside</title></circle>\n",
                 left + w * (double)in->court_n[i] / (double)max_n,
                 top + plot_h - plot_h * in->court_share[i], key[0].fill, in->court_n[i],
                 100 * in->court_share[i]);
    page_out(p, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#111\"/>\n", left,
             CHART_W - 10, top + plot_h, top + plot_h);
    page_out(p,
             "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">defendants of the court (0 to %ld)"
             "</text>\n</svg>\n",
             left + (CHART_W - left) / 2, top + plot_h + 30, max_n);
    legend(p, key, 4);
    /* The points, as a table. */
    page_out(p, "<table class=\"data\"><tr><th>point</th><th>defendants</th>"
                "<th>inside the band</th></tr>\n");
    for (int i = 0; i < in->ncourts; i++) {
        page_out(p, "<tr><th>%d</th><td>%ld</td><td>", i + 1, in->court_n[i]);
        page_percent(p, in->court_share[i]);
        page_out(p, "</td></tr>\n");
    }
    page_out(p, "</table>\n");
    figure_end(p, "deviation_summary.csv");
}

enum status deviation_html_write(FILE *fp, const char *name, const struct deviation_page *in,
                                 struct err *err)
{
    struct page page = {fp, false, 0}, *p = &page;

    page_begin(p, "Sentences against recommendations", in->filters, "sentencer deviation report");
    deviation_headline(p, in);
    figure_begin(p, "deviation-histogram", "Deviation of the term",
                 "Defendants by actual minus recommended term, in months (0: the recommended "
                 "term; the ends gather everything beyond 24 months).");
    deviation_histogram(p, "deviation-histogram-chart", in->hist);
    figure_end(p, "deviation.csv");
    figure_begin(p, "deviation-kinds", "Kind of sentence",
                 "Defendants by the kind the court gave (rows) and the kind recommended "
                 "(columns).");
    kind_by_kind_table(p, in->kinds);
    figure_end(p, "deviation.csv");
    deviation_funnel(p, in);
    page_end(p, "A deviation is a question for a judge, not a finding: the recommendation "
                "encodes the statute and a calibrated method, not everything a court weighs, and "
                "an earlier judgment is not a correct one. The figures are those of deviation.csv "
                "and deviation_summary.csv (see codebook.csv).");
    return page_finish(p, name, err);
}
