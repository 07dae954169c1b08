/*-------------------------------------------------------------------------
 * html_page.c
 *     The page, its style and the charts report.html and deviation.html
 *     share (see html_page.h).
 *
 * batch/outputs/html_page.c
 *-------------------------------------------------------------------------
 */
#include "html_page.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Kinds: blues for a term, amber and grey for none. Offenses: three hues
 * apart from the kinds', distinct in greyscale too. */
const struct swatch kind_swatch[NKINDS] = {
    {"fixed_term", "fixed-term imprisonment", "#1b4f72", "#ffffff"},
    {"detention", "criminal detention", "#2e86c1", "#ffffff"},
    {"surveillance", "public surveillance", "#85c1e9", "#111111"},
    {"fine_only", "fine only", "#f5b041", "#111111"},
    {"exempt", "exempt from punishment", "#aab7b8", "#111111"},
};
const struct swatch offense_swatch[NOFFENSE_SWATCHES] = {
    {"refuse_netsec_duty", "Art. 286-1", "#7d3c98", "#ffffff"},
    {"illegal_use_network", "Art. 287-1", "#d35400", "#ffffff"},
    {"help_network_crime", "Art. 287-2", "#117a65", "#ffffff"},
};

void page_out(struct page *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (vfprintf(p->fp, fmt, ap) < 0)
        p->failed = true;
    va_end(ap);
}

void page_text(struct page *p, const char *s)
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

void page_count(struct page *p, double v)
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
    page_out(p, "%s", grouped);
}

void page_percent(struct page *p, double share)
{
    page_out(p, "%.1f%%", share * 100.0);
}

void page_value(struct page *p, const char *s)
{
    if (s)
        page_text(p, s);
    else
        page_out(p, "&#8211;");
}

const char *res_text(const struct result *t, int row, const char *name)
{
    return t ? result_get(t, row, result_col(t, name)) : NULL;
}

double res_num(const struct result *t, int row, const char *name)
{
    const char *s = res_text(t, row, name);

    return s ? strtod(s, NULL) : 0.0;
}

bool same_text(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The style. Printed: A4, each figure kept on one page, the run at the top
 * of every page and "page N of M" at its foot (CSS page margin boxes). */
static const char *const style =
    "body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans','Noto Sans CJK SC',"
    "'PingFang SC','Microsoft YaHei',sans-serif;color:#111;margin:24px auto;max-width:800px;"
    "padding:0 16px;line-height:1.4}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 6px}\n"
    ".meta{color:#555;font-size:13px;margin:0 0 16px}\n"
    "#headline{display:grid;grid-template-columns:repeat(4,1fr);gap:8px;margin:0 0 20px}\n"
    "#headline div{border:1px solid #ccd;border-radius:6px;padding:8px}\n"
    "#headline dt{font-size:12px;color:#555}#headline dd{margin:2px 0 0;font-size:20px;"
    "font-weight:600}\n"
    "#headline dd small{font-size:12px;font-weight:400;color:#555}\n"
    "figure{margin:0 0 26px;break-inside:avoid;page-break-inside:avoid}\n"
    "figcaption{font-size:13px;color:#333;margin:0 0 6px}\n"
    "svg{display:block;max-width:100%;height:auto}svg text{font-size:12px;fill:#111}\n"
    ".legend{font-size:12px;margin:4px 0 0}.legend span{display:inline-block;margin-right:12px}\n"
    ".legend i{display:inline-block;width:10px;height:10px;margin-right:4px;"
    "vertical-align:-1px}\n"
    "table.data{border-collapse:collapse;font-size:12px;margin:6px 0 0}\n"
    "table.data th,table.data td{padding:1px 6px;border-bottom:1px solid #e4e4ec}\n"
    "table.data td{text-align:right}table.data th{text-align:left;font-weight:600}\n"
    ".source{font-size:11px;color:#666;margin:4px 0 0}\n"
    "footer{font-size:12px;color:#555;border-top:1px solid #ccd;padding-top:8px}\n"
    "@media print{body{margin:0;max-width:none}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

void page_begin(struct page *p, const char *title, const char *meta, const char *running_head)
{
    page_out(p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<title>");
    page_text(p, title);
    page_out(p,
             "</title>\n<style>\n%s@page{size:A4;margin:16mm 14mm;"
             "@top-left{content:\"",
             style);
    /* A CSS string: the head is our own text (a run id and a hash), but
     * quotes and backslashes are kept out all the same. */
    for (const char *c = running_head; c && *c; c++)
        if (*c != '"' && *c != '\\' && *c != '<' && *c != '>')
            page_out(p, "%c", *c);
    page_out(p, "\";font-size:9px;color:#555}@bottom-right{content:\"page \" counter(page) "
                "\" of \" counter(pages);font-size:9px;color:#555}}\n</style>\n</head>\n<body>\n"
                "<header>\n<h1>");
    page_text(p, title);
    page_out(p, "</h1>\n<p class=\"meta\">");
    page_text(p, meta);
    page_out(p, "</p>\n</header>\n<main>\n");
}

void page_end(struct page *p, const char *footer_html)
{
    page_out(p, "</main>\n<footer>\n<p>%s</p>\n</footer>\n</body>\n</html>\n", footer_html);
}

enum status page_finish(const struct page *p, const char *name, struct err *err)
{
    if (p->failed || ferror(p->fp))
        return err_set(err, ST_EIO, "could not write \"%s\": %s", name,
                       errno ? strerror(errno) : "write error");
    return ST_OK;
}

void figure_begin(struct page *p, const char *id, const char *heading, const char *caption_html)
{
    p->figures++;
    page_out(p, "<figure id=\"%s\"><figcaption><h2>Figure %d. ", id, p->figures);
    page_text(p, heading);
    page_out(p, "</h2>%s</figcaption>\n", caption_html);
}

void figure_end(struct page *p, const char *source)
{
    page_out(p, "<p class=\"source\">Figure %d &#183; source: ", p->figures);
    page_text(p, source);
    page_out(p, "</p>\n</figure>\n");
}

void svg_open(struct page *p, const char *id, int height, const char *title)
{
    page_out(p,
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
             "viewBox=\"0 0 %d %d\" font-family=\"system-ui, 'Segoe UI', 'Noto Sans', sans-serif\""
             " font-size=\"12\" role=\"img\" aria-labelledby=\"%s-title\"><title id=\"%s-title\">",
             CHART_W, height, CHART_W, height, id, id);
    page_text(p, title);
    page_out(p, "</title>\n");
}

void legend(struct page *p, const struct swatch *s, int n)
{
    page_out(p, "<p class=\"legend\">");
    for (int i = 0; i < n; i++) {
        page_out(p, "<span><i style=\"background:%s\"></i>", s[i].fill);
        page_text(p, s[i].label);
        page_out(p, "</span>");
    }
    page_out(p, "</p>\n");
}

void stacked_bar(struct page *p, double y, const double *parts, const struct swatch *s, int nparts,
                 const char *note)
{
    double total = 0, x = LABEL_W, width = CHART_W - LABEL_W - RIGHT_W;

    for (int i = 0; i < nparts; i++)
        total += parts[i];
    if (total <= 0) {
        page_out(p, "<text x=\"%d\" y=\"%.1f\">no defendants</text>\n", LABEL_W, y + 15);
        return;
    }
    for (int i = 0; i < nparts; i++) {
        double w = width * parts[i] / total;

        if (parts[i] <= 0)
            continue;
        page_out(p,
                 "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
                 "<title>%.0f (%.1f%%)</title></rect>\n",
                 x, y, w, BAR_H, s[i].fill, parts[i], 100.0 * parts[i] / total);
        if (w > 44)
            page_out(p,
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" style=\"fill:%s\">%.0f%%"
                     "</text>\n",
                     x + w / 2, y + 15, s[i].ink, 100.0 * parts[i] / total);
        x += w;
    }
    page_out(p, "<text x=\"%d\" y=\"%.1f\">", CHART_W - RIGHT_W + 8, y + 15);
    page_count(p, total);
    if (note) {
        page_out(p, " ");
        page_text(p, note);
    }
    page_out(p, "</text>\n");
}

/* Rows of a histogram's table before the next one starts beside it. */
#define TABLE_ROWS 17

/* Gridlines at a round step, about four of them, for counts up to max;
 * returns the axis' top (the first step above max). */
static double axis(struct page *p, double max, int left, int top, int plot_h)
{
    double step = pow(10, floor(log10(max / 4 > 1 ? max / 4 : 1)));

    if (max / step > 8)
        step *= max / step > 16 ? 5 : 2;
    max = ceil(max / step) * step;
    for (int i = 0; i * step <= max * 1.0001; i++) {
        double v = i * step, y = top + plot_h - plot_h * v / max;

        page_out(p,
                 "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#dde\"/>"
                 "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
                 left, CHART_W - 10, y, y, left - 6, y + 4);
        page_count(p, v);
        page_out(p, "</text>\n");
    }
    return max;
}

void histogram(struct page *p, const struct histogram *h)
{
    const int top = 10, left = 56, bottom = 40, plot_h = h->plot_h > 0 ? h->plot_h : 170;
    double max = 0, bw = (double)(CHART_W - left - 10) / (h->nbins > 0 ? h->nbins : 1);
    double *stack = calloc((size_t)h->nbins + 1, sizeof *stack);
    bool any = false;

    for (int b = 0; stack && b < h->nbins; b++) {
        for (int s = 0; s < h->nseries; s++)
            stack[b] += h->counts[s * h->nbins + b];
        any |= stack[b] > 0;
        if (stack[b] > max)
            max = stack[b];
    }
    svg_open(p, h->id, top + plot_h + bottom, h->title);
    if (!stack || !any) {
        page_out(p, "<text x=\"%d\" y=\"%d\">No defendants.</text>\n</svg>\n", left, top + 20);
        free(stack);
        return;
    }
    max = axis(p, max, left, top, plot_h);
    memset(stack, 0, sizeof *stack * ((size_t)h->nbins + 1));
    for (int s = 0; s < h->nseries; s++) {
        for (int b = 0; b < h->nbins; b++) {
            double c = h->counts[s * h->nbins + b], hh = plot_h * c / max;

            if (c <= 0)
                continue;
            page_out(p,
                     "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                     "<title>",
                     left + bw * b + (bw > 4 ? 1 : 0), top + plot_h - plot_h * stack[b] / max - hh,
                     bw > 4 ? bw - 2 : bw, hh, h->s[s].fill);
            page_text(p, h->label[b]);
            page_out(p, ", ");
            page_text(p, h->s[s].label);
            page_out(p, ": %.0f</title></rect>\n", c);
            stack[b] += c;
        }
    }
    for (int b = 0; b<h->nbins; b += h->label_every> 0 ? h->label_every : 1) {
        page_out(p, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", left + bw * (b + 0.5),
                 top + plot_h + 16);
        page_text(p, h->label[b]);
        page_out(p, "</text>\n");
    }
    page_out(p, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#111\"/>\n", left,
             CHART_W - 10, top + plot_h, top + plot_h);
    page_out(p, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", left + (CHART_W - left) / 2,
             top + plot_h + 34);
    page_text(p, h->xlabel);
    page_out(p, "</text>\n</svg>\n");
    if (h->nseries > 1)
        legend(p, h->s, h->nseries);
    /* The numbers behind the bars: the non-empty bins, in tables of at
     * most TABLE_ROWS rows side by side, so that the figure fits a page. */
    int nonempty = 0, rows = 0;

    for (int b = 0; b < h->nbins; b++)
        nonempty += stack[b] > 0;
    for (int b = 0; b < h->nbins; b++) {
        double all = 0;

        for (int s = 0; s < h->nseries; s++)
            all += h->counts[s * h->nbins + b];
        if (all <= 0)
            continue;
        if (rows % TABLE_ROWS == 0) {
            if (rows > 0)
                page_out(p, "</table>\n");
            page_out(p, "<table class=\"data\" style=\"display:inline-table;"
                        "vertical-align:top;margin-right:18px\"><tr><th>");
            page_text(p, nonempty > TABLE_ROWS ? "" : h->xlabel);
            page_out(p, "</th>");
            for (int s = 0; s < h->nseries; s++) {
                page_out(p, "<th>");
                page_text(p, h->s[s].label);
                page_out(p, "</th>");
            }
            page_out(p, "%s</tr>\n", h->nseries > 1 ? "<th>all</th>" : "");
        }
        rows++;
        page_out(p, "<tr><th>");
        page_text(p, h->label[b]);
        page_out(p, "</th>");
        for (int s = 0; s < h->nseries; s++) {
            page_out(p, "<td>");
            page_count(p, h->counts[s * h->nbins + b]);
            page_out(p, "</td>");
        }
        if (h->nseries > 1) {
            page_out(p, "<td>");
            page_count(p, all);
            page_out(p, "</td>");
        }
        page_out(p, "</tr>\n");
    }
    if (rows > 0)
        page_out(p, "</table>\n");
    free(stack);
}

void kind_by_kind_table(struct page *p, const struct result *t)
{
    double total = 0, agree = 0;

    page_out(p, "<table class=\"data\"><tr><th>actual \\ recommended</th>");
    for (int k = 0; k < NKINDS; k++) {
        page_out(p, "<th>");
        page_text(p, kind_swatch[k].label);
        page_out(p, "</th>");
    }
    page_out(p, "<th>all</th></tr>\n");
    for (int a = 0; a < NKINDS; a++) {
        double row = 0;

        page_out(p, "<tr><th>");
        page_text(p, kind_swatch[a].label);
        page_out(p, "</th>");
        for (int r = 0; r < NKINDS; r++) {
            double c = 0;

            for (int i = 0; t && i < result_rows(t); i++)
                if (same_text(res_text(t, i, "actual_kind"), kind_swatch[a].key) &&
                    same_text(res_text(t, i, "recommended_kind"), kind_swatch[r].key))
                    c += res_num(t, i, "defendants");
            row += c;
            if (a == r)
                agree += c;
            page_out(p, "<td%s>", a == r ? " style=\"background:#e8f1f8;font-weight:600\"" : "");
            page_count(p, c);
            page_out(p, "</td>");
        }
        total += row;
        page_out(p, "<td>");
        page_count(p, row);
        page_out(p, "</td></tr>\n");
    }
    page_out(p, "</table>\n<p class=\"legend\">The diagonal (shaded) agrees: ");
    page_count(p, agree);
    page_out(p, " of ");
    page_count(p, total);
    page_out(p, " defendants.</p>\n");
}

void deviation_histogram(struct page *p, const char *id, const struct result *t)
{
    static const struct swatch one = {"all", "defendants", "#2e86c1", "#ffffff"};
    char labels[49][8];
    const char *label[49];
    double counts[49] = {0};

    for (int i = 0; i < 49; i++) {
        snprintf(labels[i], sizeof labels[i], i == 0 ? "<=-24" : i == 48 ? ">=+24" : "%+d", i - 24);
        label[i] = labels[i];
    }
    for (int r = 0; t && r < result_rows(t); r++) {
        int m = (int)res_num(t, r, "months");

        m = m < -24 ? -24 : m > 24 ? 24 : m;
        counts[m + 24] += res_num(t, r, "defendants");
    }
    /* Declared after the counts are in (cppcheck follows no pointer). */
    const struct histogram h = {
        .id = id,
        .title = "Actual minus recommended term",
        .xlabel = "actual minus recommended term (months)",
        .nbins = 49,
        .nseries = 1,
        .label_every = 6,
        .label = label,
        .counts = counts,
        .s = &one,
    };
    histogram(p, &h);
}
