/*-------------------------------------------------------------------------
 * report_html.c
 *     report.html (see report_html.h): headline numbers and four SVG
 *     charts (recommended kinds per offense, recommended terms, threshold
 *     tests met, recommended against actual), on one printable page.
 *
 * The page is written straight to a FILE: text through html_text(), which
 * escapes it; numbers through printf formats. Values arrive as the text
 * PostgreSQL produced; they are parsed only to be scaled to pixels. About
 * 600 lines: one function per chart, and the page's HTML and CSS inline.
 *
 * batch/outputs/report_html.c
 *-------------------------------------------------------------------------
 */
#include "report_html.h"

#include "case.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Chart geometry, in SVG user units (CSS pixels at 100%). */
#define CHART_W 760
#define LABEL_W 240 /* left column of horizontal bar charts */
#define RIGHT_W 90  /* right column: the count behind a bar */
#define BAR_H 22
#define ROW_H 30

/* The recommended kinds, in chart order, with their colours and the
 * colour of text drawn on them. */
static const struct {
    const char *kind, *label, *fill, *ink;
} kinds[] = {
    {"fixed_term", "fixed-term imprisonment", "#1b4f72", "#ffffff"},
    {"detention", "criminal detention", "#2e86c1", "#ffffff"},
    {"surveillance", "public surveillance", "#85c1e9", "#111111"},
    {"fine_only", "fine only", "#f5b041", "#111111"},
    {"exempt", "exempt from punishment", "#aab7b8", "#111111"},
};
#define NKINDS ((int)(sizeof kinds / sizeof kinds[0]))

/* The page being written; failed once a write failed. */
struct page {
    FILE *fp;
    bool failed;
};

static void out(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out(struct page *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (vfprintf(p->fp, fmt, ap) < 0)
        p->failed = true;
    va_end(ap);
}

/* Text from the data, escaped for element content and attribute values. */
static void html_text(struct page *p, const char *s)
{
    for (; s && *s; s++) {
        const char *e = NULL;

        switch (*s) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = "&quot;"; break;
        case '\'': e = "&#39;"; break;
        default: break;
        }
        if (e ? fputs(e, p->fp) == EOF : fputc(*s, p->fp) == EOF)
            p->failed = true;
    }
}

/* The page's status once written: an error naming it when a write failed. */
static enum status page_finish(const struct page *p, const char *name, struct err *err)
{
    if (p->failed || ferror(p->fp))
        return err_set(err, ST_EIO, "could not write \"%s\": %s", name,
                       errno ? strerror(errno) : "write error");
    return ST_OK;
}

/* ----------------------------------------------------------------------
 * Reading the results
 * ----------------------------------------------------------------------
 */

/* By name: the report reads a few cells of small tables (offenses, years). */
static const char *get(const struct result *t, int row, const char *name)
{
    return result_get(t, row, result_col(t, name));
}

static double num(const struct result *t, int row, const char *name)
{
    const char *s = get(t, row, name);

    return s ? strtod(s, NULL) : 0.0;
}

static bool is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The totals rows of the summaries (level offense, then total): one per
 * offense, then all offenses. Returns the count; rows[] gets their
 * indexes. */
static int offense_rows(const struct result *t, int *rows, int max)
{
    int n = 0;

    for (int r = 0; t && r < result_rows(t) && n < max; r++)
        if (is(get(t, r, "part"), "offense") &&
            (is(get(t, r, "level"), "offense") || is(get(t, r, "level"), "total")))
            rows[n++] = r;
    return n;
}

static int grand_row(const struct result *t)
{
    for (int r = 0; t && r < result_rows(t); r++)
        if (is(get(t, r, "part"), "offense") && is(get(t, r, "level"), "total"))
            return r;
    return -1;
}

/* An offense by article and name (case.h's table); the summaries' "all". */
static void offense_label(struct page *p, const char *code)
{
    for (int i = 0; i < OFFENSE__COUNT; i++) {
        if (is(code, offense_values[i])) {
            out(p, "%s ", offense_articles[i]);
            html_text(p, offense_names[i]);
            return;
        }
    }
    if (is(code, "all"))
        out(p, "All offenses");
    else
        html_text(p, code ? code : "?");
}

/* An integer with thousands separators. */
static void count(struct page *p, double v)
{
    char digits[32], grouped[48];
    int n, j = 0;

    snprintf(digits, sizeof digits, "%.0f", v);
    n = (int)strlen(digits);
    for (int i = 0; i < n; i++) {
        if (i > 0 && digits[i - 1] != '-' && (n - i) % 3 == 0)
            grouped[j++] = ',';
        grouped[j++] = digits[i];
    }
    grouped[j] = '\0';
    out(p, "%s", grouped);
}

static void percent(struct page *p, double share)
{
    out(p, "%.1f%%", share * 100.0);
}

/* A value as PostgreSQL wrote it, or a dash when there is none. */
static void value(struct page *p, const char *s)
{
    if (s)
        html_text(p, s);
    else
        out(p, "&#8211;");
}

/* The share in column name of row g as a percentage, or the mark of a
 * missing value. */
static void share_cell(struct page *p, const struct result *t, int g, const char *name)
{
    if (get(t, g, name))
        percent(p, num(t, g, name));
    else
        value(p, NULL);
}

/* ----------------------------------------------------------------------
 * The page
 * ----------------------------------------------------------------------
 */

static const char *const style =
    "body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans','PingFang SC',"
    "'Microsoft YaHei',sans-serif;color:#111;margin:24px auto;max-width:800px;padding:0 16px;"
    "line-height:1.4}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 6px}\n"
    ".meta{color:#555;font-size:13px;margin:0 0 16px}\n"
    "#headline{display:grid;grid-template-columns:repeat(4,1fr);gap:8px;margin:0 0 20px}\n"
    "#headline div{border:1px solid #ccd;border-radius:6px;padding:8px}\n"
    "#headline dt{font-size:12px;color:#555}#headline dd{margin:2px 0 0;font-size:20px;"
    "font-weight:600}\n"
    "#headline dd small{font-size:12px;font-weight:400;color:#555}\n"
    "figure{margin:0 0 22px;break-inside:avoid;page-break-inside:avoid}\n"
    "figcaption{font-size:13px;color:#333;margin:0 0 6px}\n"
    "svg{display:block;max-width:100%;height:auto}svg text{font-size:12px;fill:#111}\n"
    ".legend{font-size:12px;margin:4px 0 0}.legend span{display:inline-block;margin-right:12px}\n"
    ".legend i{display:inline-block;width:10px;height:10px;margin-right:4px;"
    "vertical-align:-1px}\n"
    "footer{font-size:12px;color:#555;border-top:1px solid #ccd;padding-top:8px}\n"
    "@media print{body{margin:0;max-width:none}#headline{grid-template-columns:repeat(4,1fr)}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n"
    "@page{size:A4;margin:14mm}\n";

static void legend_item(struct page *p, const char *fill, const char *label)
{
    out(p, "<span><i style=\"background:%s\"></i>", fill);
    html_text(p, label);
    out(p, "</span>");
}

static void kind_legend(struct page *p, int nkinds)
{
    out(p, "<p class=\"legend\">");
    for (int k = 0; k < nkinds; k++)
        legend_item(p, kinds[k].fill, kinds[k].label);
    out(p, "</p>\n");
}

static void svg_open(struct page *p, const char *id, int height, const char *title)
{
    out(p,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
        " font-family=\"system-ui, 'Segoe UI', 'Noto Sans', sans-serif\" font-size=\"12\""
        " role=\"img\" aria-labelledby=\"%s-title\"><title id=\"%s-title\">",
        CHART_W, height, CHART_W, height, id, id);
    html_text(p, title);
    out(p, "</title>\n");
}

/* One horizontal 100% stacked bar at y: parts[i] of total, coloured by
 * kind; a part wide enough shows its percentage; the total goes at the
 * right, followed by note when not NULL. */
static void stacked_bar(struct page *p, double y, const double *parts, int nparts,
                        const char *const *fills, const char *const *inks, const char *note)
{
    double total = 0, x = LABEL_W, width = CHART_W - LABEL_W - RIGHT_W;

    for (int i = 0; i < nparts; i++)
        total += parts[i];
    if (total <= 0) {
        out(p, "<text x=\"%d\" y=\"%.1f\">no defendants</text>\n", LABEL_W, y + 15);
        return;
    }
    for (int i = 0; i < nparts; i++) {
        double w = width * parts[i] / total;

        if (parts[i] <= 0)
            continue;
        out(p,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
            "<title>%.0f (%.1f%%)</title></rect>\n",
            x, y, w, BAR_H, fills[i], parts[i], 100.0 * parts[i] / total);
        if (w > 44)
            out(p,
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" style=\"fill:%s\">%.0f%%"
                "</text>\n",
                x + w / 2, y + 15, inks[i], 100.0 * parts[i] / total);
        x += w;
    }
    out(p, "<text x=\"%d\" y=\"%.1f\">", CHART_W - RIGHT_W + 8, y + 15);
    count(p, total);
    if (note) {
        out(p, " ");
        html_text(p, note);
    }
    out(p, "</text>\n");
}

static void headline(struct page *p, const struct report_input *in)
{
    const struct result *t = in->summaries;
    int g = grand_row(t);
    double n_actual = num(t, g, "n_actual");

    out(p, "<section id=\"headline\" aria-label=\"Headline numbers\"><dl "
           "style=\"display:contents\">\n");
    out(p, "<div><dt>Evaluated by this run</dt><dd>");
    count(p, (double)in->evaluated);
    out(p, " <small>");
    count(p, (double)in->errors);
    out(p, " errors</small></dd></div>\n");
    out(p, "<div><dt>Current recommendations</dt><dd>");
    count(p, num(t, g, "defendants"));
    out(p, " <small>");
    count(p, num(t, g, "errors"));
    out(p, " errors</small></dd></div>\n");
    out(p, "<div><dt>Facts meet the threshold</dt><dd>");
    share_cell(p, t, g, "share_threshold_met");
    out(p, "</dd></div>\n");
    out(p, "<div><dt>Suspended sentence recommended</dt><dd>");
    share_cell(p, t, g, "share_suspended");
    out(p, "</dd></div>\n");
    out(p, "<div><dt>Median recommended term</dt><dd>");
    value(p, get(t, g, "months_p50"));
    out(p, " <small>months (p25 ");
    value(p, get(t, g, "months_p25"));
    out(p, ", p75 ");
    value(p, get(t, g, "months_p75"));
    out(p, ")</small></dd></div>\n");
    out(p, "<div><dt>Median recommended fine</dt><dd>");
    if (get(t, g, "fine_yuan_p50"))
        count(p, num(t, g, "fine_yuan_p50"));
    else
        value(p, NULL);
    out(p, " <small>yuan</small></dd></div>\n");
    out(p, "<div><dt>Eligible for an occupational ban</dt><dd>");
    share_cell(p, t, g, "share_ban_eligible");
    out(p, "</dd></div>\n");
    out(p, "<div><dt>Actual kind equals recommended</dt><dd>");
    if (n_actual > 0) {
        percent(p, num(t, g, "n_actual_same_kind") / n_actual);
        out(p, " <small>of ");
        count(p, n_actual);
        out(p, " judgments</small>");
    } else {
        out(p, "&#8211; <small>no actual judgments</small>");
    }
    out(p, "</dd></div>\n</dl></section>\n");
}

static void chart_kinds(struct page *p, const struct report_input *in)
{
    int rows[16], n = offense_rows(in->summaries, rows, 16);
    int height = 10 + n * ROW_H;
    const char *fills[NKINDS], *inks[NKINDS];

    for (int k = 0; k < NKINDS; k++) {
        fills[k] = kinds[k].fill;
        inks[k] = kinds[k].ink;
    }
    out(p, "<figure id=\"kinds-per-offense\"><figcaption><h2>Recommended kinds per offense</h2>"
           "Share of each recommended principal penalty among the evaluated defendants of each "
           "offense; the number at the right is the defendants evaluated.</figcaption>\n");
    svg_open(p, "kinds-per-offense", height, "Recommended kinds per offense");
    for (int i = 0; i < n; i++) {
        double y = 5 + i * ROW_H, parts[NKINDS];
        const char *code = get(in->summaries, rows[i], "offense");

        for (int k = 0; k < NKINDS; k++) {
            char col[32];
            snprintf(col, sizeof col, "kind_%s", kinds[k].kind);
            parts[k] = num(in->summaries, rows[i], col);
        }
        out(p, "<text x=\"0\" y=\"%.1f\">", y + 15);
        offense_label(p, code);
        out(p, "</text>\n");
        stacked_bar(p, y, parts, NKINDS, fills, inks, NULL);
    }
    out(p, "</svg>\n");
    kind_legend(p, NKINDS);
    out(p, "</figure>\n");
}

static void chart_terms(struct page *p, const struct report_input *in)
{
    const struct result *t = in->terms;
    const int plot_h = 180, top = 10, left = 50, bottom = 40;
    int max_month = 12;
    double max_count = 0, *stack;

    for (int r = 0; t && r < result_rows(t); r++)
        if (num(t, r, "months") > max_month)
            max_month = (int)num(t, r, "months");
    if (max_month > 600)
        max_month = 600;
    stack = calloc((size_t)max_month + 1, sizeof *stack);
    for (int r = 0; stack && t && r < result_rows(t); r++) {
        int m = (int)num(t, r, "months");
        if (m >= 0 && m <= max_month) {
            stack[m] += num(t, r, "defendants");
            if (stack[m] > max_count)
                max_count = stack[m];
        }
    }
    out(p, "<figure id=\"term-distribution\"><figcaption><h2>Distribution of recommended "
           "terms</h2>Defendants by recommended term in months, stacked by kind (fine only and "
           "exemption have no term).</figcaption>\n");
    svg_open(p, "term-distribution", top + plot_h + bottom, "Distribution of recommended terms");
    if (!t || !stack || max_count <= 0) {
        out(p, "<text x=\"%d\" y=\"%d\">No recommended terms.</text>\n", left, top + 20);
    } else {
        double step = pow(10, floor(log10(max_count / 4)));
        double bw = (double)(CHART_W - left - 10) / (max_month + 1);

        /* Gridlines at a round step, about four of them; the axis ends on
         * the first one above the highest bar. */
        if (max_count / step > 8)
            step *= max_count / step > 16 ? 5 : 2;
        max_count = ceil(max_count / step) * step;
        for (int i = 0; i * step <= max_count * 1.0001; i++) {
            double v = i * step, y = top + plot_h - plot_h * v / max_count;
            out(p,
                "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#dde\"/>"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
                left, CHART_W - 10, y, y, left - 6, y + 4);
            count(p, v);
            out(p, "</text>\n");
        }
        memset(stack, 0, sizeof *stack * ((size_t)max_month + 1));
        for (int r = 0; r < result_rows(t); r++) {
            int m = (int)num(t, r, "months");
            double c = num(t, r, "defendants"), h = plot_h * c / max_count;
            const char *fill = "#777777", *kind = get(t, r, "kind");

            if (m < 0 || m > max_month || c <= 0)
                continue;
            for (int k = 0; k < NKINDS; k++)
                if (is(kind, kinds[k].kind))
                    fill = kinds[k].fill;
            out(p,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                "<title>%d months, ",
                left + bw * m + 1, top + plot_h - plot_h * stack[m] / max_count - h,
                bw > 3 ? bw - 2 : bw, h, fill, m);
            html_text(p, kind);
            out(p, ": %.0f</title></rect>\n", c);
            stack[m] += c;
        }
        for (int m = 0; m <= max_month; m += max_month > 48 ? 12 : 3)
            out(p, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n",
                left + bw * (m + 0.5), top + plot_h + 16, m);
        out(p, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#111\"/>\n", left,
            CHART_W - 10, top + plot_h, top + plot_h);
        out(p, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">recommended term (months)</text>\n",
            left + (CHART_W - left) / 2, top + plot_h + 34);
    }
    out(p, "</svg>\n");
    kind_legend(p, 3);
    out(p, "</figure>\n");
    free(stack);
}

static void chart_basis(struct page *p, const struct report_input *in)
{
    const struct result *t = in->basis;
    int n = t ? result_rows(t) : 0, groups = 0, height;
    double max_share = 0;
    const char *prev = NULL;

    for (int r = 0; r < n; r++) {
        if (!is(get(t, r, "offense"), prev))
            groups++;
        prev = get(t, r, "offense");
        if (num(t, r, "share_met") > max_share)
            max_share = num(t, r, "share_met");
    }
    height = 10 + groups * 24 + n * 22 + (n == 0 ? 20 : 0);
    out(p, "<figure id=\"threshold-tests\"><figcaption><h2>Threshold tests met</h2>For each "
           "offense, the share of its evaluated defendants whose facts met each threshold test "
           "(citation id); a defendant may meet several.</figcaption>\n");
    svg_open(p, "threshold-tests", height, "Threshold tests met");
    if (n == 0)
        out(p, "<text x=\"0\" y=\"20\">No threshold test was met.</text>\n");
    prev = NULL;
    for (int r = 0, y = 5; r < n; r++) {
        const char *offense = get(t, r, "offense");
        double share = num(t, r, "share_met");
        double w = max_share > 0 ? (CHART_W - 150 - 130) * share / max_share : 0;

        if (!is(offense, prev)) {
            out(p, "<text x=\"0\" y=\"%d\" font-weight=\"600\">", y + 16);
            offense_label(p, offense);
            out(p, "</text>\n");
            y += 24;
        }
        prev = offense;
        out(p, "<text x=\"12\" y=\"%d\">", y + 13);
        html_text(p, get(t, r, "citation"));
        out(p,
            "</text><rect x=\"150\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"#2e86c1\">"
            "<title>",
            y + 1, w);
        html_text(p, get(t, r, "citation"));
        out(p, ": ");
        count(p, num(t, r, "defendants_met"));
        out(p, " of ");
        count(p, num(t, r, "defendants"));
        out(p, "</title></rect><text x=\"%.1f\" y=\"%d\">", 150 + w + 6, y + 13);
        percent(p, share);
        out(p, " (");
        count(p, num(t, r, "defendants_met"));
        out(p, ")</text>\n");
        y += 22;
    }
    out(p, "</svg>\n</figure>\n");
}

static void chart_actual(struct page *p, const struct report_input *in)
{
    const struct result *t = in->summaries;
    int rows[16], n = offense_rows(t, rows, 16), g = grand_row(t);
    const int pair_h = 18 + 2 * BAR_H + 2 + 12; /* offense line, two bars, gap */
    const char *fills[NKINDS], *inks[NKINDS];
    static const char *const band_fills[] = {"#5dade2", "#58d68d", "#ec7063"};
    static const char *const band_inks[] = {"#111111", "#111111", "#111111"};
    double y = 0;

    for (int k = 0; k < NKINDS; k++) {
        fills[k] = kinds[k].fill;
        inks[k] = kinds[k].ink;
    }
    out(p, "<figure id=\"recommended-vs-actual\"><figcaption><h2>Recommended against actual"
           "</h2>Defendants whose actual judgment is recorded: the kind recommended and the kind "
           "imposed; then where the actual term fell against the recommended band, with the "
           "mean difference (actual minus recommended, months) in brackets.</figcaption>\n");
    if (num(t, g, "n_actual") <= 0) {
        out(p, "<p>No actual judgments are recorded (cases.csv columns actual_kind, "
               "actual_months, ...).</p>\n</figure>\n");
        return;
    }
    svg_open(p, "recommended-vs-actual", 24 + n * pair_h + 24 + n * ROW_H + 4,
             "Recommended against actual");
    out(p, "<text x=\"0\" y=\"14\" font-weight=\"600\">Kind of penalty</text>\n");
    y = 24;
    for (int i = 0; i < n; i++) {
        double rec[NKINDS], act[NKINDS];

        for (int k = 0; k < NKINDS; k++) {
            char col[48];
            snprintf(col, sizeof col, "actual_rec_%s", kinds[k].kind);
            rec[k] = num(t, rows[i], col);
            snprintf(col, sizeof col, "actual_%s", kinds[k].kind);
            act[k] = num(t, rows[i], col);
        }
        out(p, "<text x=\"0\" y=\"%.1f\">", y + 12);
        offense_label(p, get(t, rows[i], "offense"));
        out(p,
            "</text>\n<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">recommended</text>\n"
            "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">actual</text>\n",
            LABEL_W - 8, y + 18 + 15, LABEL_W - 8, y + 18 + BAR_H + 2 + 15);
        stacked_bar(p, y + 18, rec, NKINDS, fills, inks, NULL);
        stacked_bar(p, y + 18 + BAR_H + 2, act, NKINDS, fills, inks, NULL);
        y += pair_h;
    }
    out(p,
        "<text x=\"0\" y=\"%.1f\" font-weight=\"600\">Actual term against the recommended "
        "band</text>\n",
        y + 14);
    y += 24;
    for (int i = 0; i < n; i++) {
        double terms = num(t, rows[i], "n_terms");
        double below = num(t, rows[i], "n_terms_below"), above = num(t, rows[i], "n_terms_above");
        double parts[3] = {below, terms - below - above, above};
        const char *mean = get(t, rows[i], "mean_diff");
        char note[48] = "";

        if (mean)
            snprintf(note, sizeof note, "(%s%s)", mean[0] == '-' ? "" : "+", mean);
        out(p, "<text x=\"0\" y=\"%.1f\">", y + 15);
        offense_label(p, get(t, rows[i], "offense"));
        out(p, "</text>\n");
        stacked_bar(p, y, parts, 3, band_fills, band_inks, mean ? note : NULL);
        y += ROW_H;
    }
    out(p, "</svg>\n");
    out(p, "<p class=\"legend\">");
    for (int k = 0; k < NKINDS; k++)
        legend_item(p, kinds[k].fill, kinds[k].label);
    out(p, "<br>");
    legend_item(p, band_fills[0], "actual term below the band");
    legend_item(p, band_fills[1], "within the band");
    legend_item(p, band_fills[2], "above the band");
    out(p, "</p>\n</figure>\n");
}

enum status report_html_write(FILE *fp, const char *name, const struct report_input *in,
                              struct err *err)
{
    struct page page = {fp, false}, *p = &page;

    out(p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
           "Sentencing recommendations: run ");
    html_text(p, in->run_id);
    out(p,
        "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n<h1>Sentencing "
        "recommendations: run ",
        style);
    html_text(p, in->run_id);
    out(p, "</h1>\n<p class=\"meta\">Rule set ");
    html_text(p, in->rule_set);
    out(p, " &#183; run ");
    html_text(p, in->state);
    out(p, " &#183; started ");
    html_text(p, in->started_at);
    out(p, " &#183; figures as of ");
    html_text(p, in->ended_at);
    out(p, " (UTC)</p>\n</header>\n<main>\n");
    headline(p, in);
    chart_kinds(p, in);
    chart_terms(p, in);
    chart_basis(p, in);
    chart_actual(p, in);
    out(p, "</main>\n<footer>\n<p>Except for the first figure, every number describes all "
           "current recommendations: the database after this run, not only the cases it "
           "evaluated. Shares are of the defendants evaluated (status ok). This page shows no "
           "court-level figure; summary_court.csv blanks small court counts (see "
           "codebook.csv). A recommendation advises a judge; it does not replace one.</p>\n"
           "</footer>\n</body>\n</html>\n");
    return page_finish(p, name, err);
}

/* ----------------------------------------------------------------------
 * deviation.html
 * ----------------------------------------------------------------------
 */

static void deviation_headline(struct page *p, const struct deviation_page *in)
{
    out(p, "<dl id=\"headline\">\n<div><dt>defendants with a judgment</dt><dd>");
    count(p, (double)in->defendants);
    out(p, "</dd></div>\n<div><dt>actual term inside the band</dt><dd>");
    percent(p, in->defendants ? (double)in->inside_band / (double)in->defendants : 0);
    out(p, "</dd></div>\n<div><dt>warnings</dt><dd>");
    count(p, (double)in->warnings);
    out(p, "</dd></div>\n<div><dt>notices</dt><dd>");
    count(p, (double)in->notices);
    out(p, "</dd></div>\n</dl>\n");
}

/* Defendants by deviation in months, -24 to +24 (the tails gathered). */
static void deviation_histogram(struct page *p, const struct result *t)
{
    const int plot_h = 180, top = 10, left = 50, bottom = 40;
    double count_at[49] = {0}, max_count = 0;
    double bw = (double)(CHART_W - left - 10) / 49;

    for (int r = 0; t && r < result_rows(t); r++) {
        int m = (int)num(t, r, "months");

        if (m >= -24 && m <= 24) {
            count_at[m + 24] += num(t, r, "defendants");
            if (count_at[m + 24] > max_count)
                max_count = count_at[m + 24];
        }
    }
    out(p, "<figure id=\"deviation-histogram\"><figcaption><h2>Deviation of the term</h2>"
           "Defendants by actual minus recommended term, in months (0: the recommended term; "
           "the ends gather everything beyond 24 months).</figcaption>\n");
    svg_open(p, "deviation-histogram", top + plot_h + bottom, "Deviation of the term");
    if (max_count <= 0) {
        out(p, "<text x=\"%d\" y=\"%d\">No judged defendants.</text>\n", left, top + 20);
    } else {
        for (int i = 0; i < 49; i++) {
            double h = plot_h * count_at[i] / max_count;

            if (count_at[i] <= 0)
                continue;
            out(p,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                "<title>%+d months: %.0f</title></rect>\n",
                left + bw * i + 1, top + plot_h - h, bw - 2, h, i == 24 ? "#1b4f72" : "#2e86c1",
                i - 24, count_at[i]);
        }
        for (int m = -24; m <= 24; m += 6)
            out(p, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%+d</text>\n",
                left + bw * (m + 24 + 0.5), top + plot_h + 16, m);
        out(p, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", left - 6, (double)top + 4);
        count(p, max_count);
        out(p, "</text>\n<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#111\"/>\n", left,
            CHART_W - 10, top + plot_h, top + plot_h);
        out(p,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">actual minus recommended term "
            "(months)</text>\n",
            left + (CHART_W - left) / 2, top + plot_h + 34);
    }
    out(p, "</svg>\n</figure>\n");
}

/* Actual kind (rows) by recommended kind (columns). */
static void deviation_kinds(struct page *p, const struct result *t)
{
    out(p, "<figure id=\"deviation-kinds\"><figcaption><h2>Kind of sentence</h2>Defendants by "
           "the kind the court gave (rows) and the kind recommended (columns); the diagonal "
           "agrees.</figcaption>\n<table style=\"border-collapse:collapse;font-size:13px\">"
           "<tr><th></th>");
    for (int k = 0; k < NKINDS; k++) {
        out(p, "<th style=\"padding:2px 6px\">");
        html_text(p, kinds[k].label);
        out(p, "</th>");
    }
    out(p, "</tr>\n");
    for (int a = 0; a < NKINDS; a++) {
        out(p, "<tr><th style=\"text-align:left;padding:2px 6px\">");
        html_text(p, kinds[a].label);
        out(p, "</th>");
        for (int r = 0; r < NKINDS; r++) {
            double c = 0;

            for (int i = 0; t && i < result_rows(t); i++)
                if (is(get(t, i, "actual_kind"), kinds[a].kind) &&
                    is(get(t, i, "recommended_kind"), kinds[r].kind))
                    c += num(t, i, "defendants");
            out(p, "<td style=\"text-align:right;padding:2px 6px;%s\">",
                a == r ? "background:#e8f1f8;font-weight:600" : "");
            count(p, c);
            out(p, "</td>");
        }
        out(p, "</tr>\n");
    }
    out(p, "</table>\n</figure>\n");
}

/* Courts' share inside the band against their number of defendants, with
 * the overall share and the 95% and 99.8% limits a court of that size
 * would fall within by chance (binomial, normal approximation). */
static void deviation_funnel(struct page *p, const struct deviation_page *in)
{
    const int plot_h = 240, top = 10, left = 50, bottom = 40;
    double p0 = in->defendants ? (double)in->inside_band / (double)in->defendants : 0;
    long max_n = 10;
    double w = CHART_W - left - 10;

    for (int i = 0; i < in->ncourts; i++)
        if (in->court_n[i] > max_n)
            max_n = in->court_n[i];
    out(p, "<figure id=\"deviation-funnel\"><figcaption><h2>Courts: share inside the band</h2>"
           "Each point a court (and offense): its share of actual terms inside the recommended "
           "band against its number of defendants. The line is the share over all courts; the "
           "funnels are where 95%% and 99.8%% of courts of that size would fall by chance. ");
    if (in->courts_left_out)
        out(p, "%d small court rows left out (suppressed in deviation_summary.csv).",
            in->courts_left_out);
    out(p, "</figcaption>\n");
    svg_open(p, "deviation-funnel", top + plot_h + bottom, "Courts: share inside the band");
    for (int i = 0; i <= 4; i++) {
        double y = top + plot_h - plot_h * i / 4.0;

        out(p,
            "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#dde\"/>"
            "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>\n",
            left, CHART_W - 10, y, y, left - 6, y + 4, i * 25);
    }
    for (int z = 0; z < 2; z++) {
        double zz = z ? 3.09 : 1.96;

        for (int side = -1; side <= 1; side += 2) {
            out(p, "<polyline fill=\"none\" stroke=\"%s\" stroke-dasharray=\"4 3\" points=\"",
                z ? "#c0392b" : "#e59866");
            for (int k = 1; k <= 60; k++) {
                double n = 1 + (double)(max_n - 1) * k / 60.0;
                double lim = p0 + side * zz * sqrt(p0 * (1 - p0) / n);

                lim = lim < 0 ? 0 : lim > 1 ? 1 : lim;
                out(p, "%.1f,%.1f ", left + w * n / (double)max_n, top + plot_h - plot_h * lim);
            }
            out(p, "\"/>\n");
        }
    }
    out(p, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#1b4f72\"/>\n", left,
        CHART_W - 10, top + plot_h - plot_h * p0, top + plot_h - plot_h * p0);
    for (int i = 0; i < in->ncourts; i++)
        out(p,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#2e86c1\" fill-opacity=\"0.7\">"
            "<title>%ld defendants, %.0f%% inside</title></circle>\n",
            left + w * (double)in->court_n[i] / (double)max_n,
            top + plot_h - plot_h * in->court_share[i], in->court_n[i], 100 * in->court_share[i]);
    out(p, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#111\"/>\n", left, CHART_W - 10,
        top + plot_h, top + plot_h);
    out(p,
        "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">defendants of the court (0 to %ld)"
        "</text>\n",
        left + (CHART_W - left) / 2, top + plot_h + 30, max_n);
    out(p, "</svg>\n</figure>\n");
}

enum status deviation_html_write(FILE *fp, const char *name, const struct deviation_page *in,
                                 struct err *err)
{
    struct page page = {fp, false}, *p = &page;

    out(p,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
        "Sentences against recommendations</title>\n<style>\n%s</style>\n</head>\n<body>\n"
        "<header>\n<h1>Sentences against recommendations</h1>\n<p class=\"meta\">",
        style);
    html_text(p, in->filters);
    out(p, "</p>\n</header>\n<main>\n");
    deviation_headline(p, in);
    deviation_histogram(p, in->hist);
    deviation_kinds(p, in->kinds);
    deviation_funnel(p, in);
    out(p, "</main>\n<footer>\n<p>A deviation is a question for a judge, not a finding: the "
           "recommendation encodes the statute and a calibrated method, not everything a court "
           "weighs, and an earlier judgment is not a correct one. The figures are those of "
           "deviation.csv and deviation_summary.csv (see codebook.csv).</p>\n</footer>\n"
           "</body>\n</html>\n");
    return page_finish(p, name, err);
}
