/* PNG figures with cairo: line plots with error bars, bands and legend; image grids.
 *
 * Layout is computed in one place (layout_lines) and shared by sm_plot_lines and
 * sm_plot_lines_frame, so that what a caller (or a test) is told about the geometry is
 * exactly what gets drawn. Sizes of text, lines and markers scale with the figure
 * (factor `s`, 1 at 800 x 500) so that large figures stay readable.
 */
#include "somnus/analysis/plot.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/fileio.h"

#define MAX_LOG_TICKS 40 /* at most this many ticks on a logarithmic axis */
#define MIN_SIZE 100
#define MAX_SIZE 16384
#define FONT "sans-serif"

/* Okabe & Ito (2008), in the order series get them; yellow last (poor contrast on
 * white). Indexed by SM_PLOT_* colour - 1. */
static const uint32_t palette[SM_PLOT_N_COLORS] = {0x0072B2, 0xE69F00, 0x009E73, 0xD55E00,
                                                   0xCC79A7, 0x56B4E9, 0x000000, 0xF0E442};

/* Shaded x intervals and axis furniture, as grey levels in [0, 1]. */
#define BAND_GREY 0.85
#define GRID_GREY 0.92
#define AXIS_GREY 0.25
#define TEXT_GREY 0.1

uint32_t sm_plot_palette_rgb(int color)
{
    if (color < 1 || color > SM_PLOT_N_COLORS) color = 1;
    return palette[color - 1];
}

void sm_plot_spec_default(sm_plot_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->width = 800;
    spec->height = 500;
    spec->xmin = spec->xmax = spec->ymin = spec->ymax = NAN;
    spec->legend = SM_PLOT_LEGEND_AUTO;
    spec->grid = 1;
}

void sm_plot_grid_spec_default(sm_plot_grid_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->gap = 2;
    spec->margin = 10;
}

int sm_plot_ticks(double lo, double hi, int target, double *first, double *step)
{
    double f = 0, st = 0;
    int n = 0;
    if (isfinite(lo) && isfinite(hi) && lo < hi && target >= 2 && isfinite(hi - lo)) {
        double raw = (hi - lo) / (target - 1);
        double mag = pow(10.0, floor(log10(raw)));
        double r = raw / mag;
        st = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
        double k0 = ceil(lo / st - 1e-9), k1 = floor(hi / st + 1e-9);
        f = k0 * st;
        if (f == 0) f = 0; /* no "-0" labels */
        n = (int)(k1 - k0) + 1;
        if (n < 0) n = 0;
    }
    if (first) *first = f;
    if (step) *step = st;
    return n;
}

int sm_plot_log_ticks(double lo, double hi, double *ticks, int max)
{
    if (!ticks || max < 1 || !isfinite(lo) || !isfinite(hi) || !(lo > 0) || !(lo < hi)) return 0;
    const double a = log10(lo), b = log10(hi);
    const double k0 = ceil(a - 1e-9), k1 = floor(b + 1e-9);
    const int decades = (int)(k1 - k0) + 1;
    int n = 0;
    if (decades >= 2) {
        int m = 1;
        while ((decades + m - 1) / m > max)
            m++;
        for (double k = k0; k <= k1 && n < max; k += m)
            ticks[n++] = pow(10.0, k);
        return n;
    }
    static const double mant[3] = {1, 2, 5};
    for (double k = floor(a) - 1; k <= ceil(b) && n < max; k++)
        for (int j = 0; j < 3 && n < max; j++) {
            const double v = mant[j] * pow(10.0, k), lv = log10(v);
            if (lv >= a - 1e-9 && lv <= b + 1e-9) ticks[n++] = v;
        }
    if (n >= 2) return n;
    double f, st;
    int nl = sm_plot_ticks(lo, hi, 5, &f, &st);
    for (n = 0; n < nl && n < max; n++)
        ticks[n] = f + n * st;
    return n;
}

/* ------------------------------------------------------------------------------------
 * Validation
 * ---------------------------------------------------------------------------------- */

static const char *label_of(const sm_plot_series *s)
{
    return s->label ? s->label : "";
}

static sm_status check_values(const char *name, int i, const sm_plot_series *s, const char *what,
                              const double *v, int nonneg, sm_error *err)
{
    if (!v) return SM_OK;
    for (int j = 0; j < s->n; j++) {
        if (isnan(v[j])) continue;
        if (!isfinite(v[j]))
            return sm_error_set(err, SM_ENUMERIC,
                                "%s: series %d (\"%s\"): %s[%d] = %g is not finite", name, i,
                                label_of(s), what, j, v[j]);
        if (nonneg && v[j] < 0)
            return sm_error_set(err, SM_EINVAL, "%s: series %d (\"%s\"): %s[%d] = %g is negative",
                                name, i, label_of(s), what, j, v[j]);
    }
    return SM_OK;
}

static sm_status check_range_end(const char *name, const char *what, double v, sm_error *err)
{
    if (!isnan(v) && !isfinite(v))
        return sm_error_set(err, SM_ENUMERIC, "%s: %s = %g is not finite (NaN = automatic)", name,
                            what, v);
    return SM_OK;
}

static sm_status validate_lines(const char *name, const sm_plot_spec *spec,
                                const sm_plot_series *series, int n_series, sm_error *err)
{
    sm_status st;
    if (!spec) return sm_error_set(err, SM_EINVAL, "%s: plot spec is NULL", name);
    if (n_series < 0)
        return sm_error_set(err, SM_EINVAL, "%s: number of series %d is negative", name, n_series);
    if (n_series > 0 && !series)
        return sm_error_set(err, SM_EINVAL, "%s: series array is NULL but %d series given", name,
                            n_series);
    if (spec->width < MIN_SIZE || spec->width > MAX_SIZE || spec->height < MIN_SIZE ||
        spec->height > MAX_SIZE)
        return sm_error_set(err, SM_EINVAL, "%s: figure size %d x %d is outside [%d, %d] pixels",
                            name, spec->width, spec->height, MIN_SIZE, MAX_SIZE);
    if ((st = check_range_end(name, "xmin", spec->xmin, err)) ||
        (st = check_range_end(name, "xmax", spec->xmax, err)) ||
        (st = check_range_end(name, "ymin", spec->ymin, err)) ||
        (st = check_range_end(name, "ymax", spec->ymax, err)))
        return st;
    if (!isnan(spec->xmin) && !isnan(spec->xmax) && !(spec->xmin < spec->xmax))
        return sm_error_set(err, SM_EINVAL, "%s: x range [%g, %g] is empty (need xmin < xmax)",
                            name, spec->xmin, spec->xmax);
    if (!isnan(spec->ymin) && !isnan(spec->ymax) && !(spec->ymin < spec->ymax))
        return sm_error_set(err, SM_EINVAL, "%s: y range [%g, %g] is empty (need ymin < ymax)",
                            name, spec->ymin, spec->ymax);
    if (spec->ylog != 0 && spec->ylog != 1)
        return sm_error_set(err, SM_EINVAL, "%s: ylog = %d (need 0 or 1)", name, spec->ylog);
    if (spec->ylog &&
        ((!isnan(spec->ymin) && !(spec->ymin > 0)) || (!isnan(spec->ymax) && !(spec->ymax > 0))))
        return sm_error_set(err, SM_EINVAL,
                            "%s: a logarithmic y axis needs ymin and ymax > 0 (got [%g, %g])", name,
                            spec->ymin, spec->ymax);
    if (spec->legend < SM_PLOT_LEGEND_AUTO || spec->legend > SM_PLOT_LEGEND_OUTSIDE)
        return sm_error_set(err, SM_EINVAL, "%s: unknown legend placement %d", name, spec->legend);
    if (spec->n_bands < 0)
        return sm_error_set(err, SM_EINVAL, "%s: number of bands %d is negative", name,
                            spec->n_bands);
    if (spec->n_bands > 0 && (!spec->band_start || !spec->band_end))
        return sm_error_set(err, SM_EINVAL, "%s: %d bands given but band_start or band_end is NULL",
                            name, spec->n_bands);
    for (int b = 0; b < spec->n_bands; b++) {
        double a = spec->band_start[b], e = spec->band_end[b];
        if (!isfinite(a) || !isfinite(e))
            return sm_error_set(err, SM_ENUMERIC, "%s: band %d [%g, %g) is not finite", name, b, a,
                                e);
        if (a > e)
            return sm_error_set(err, SM_EINVAL, "%s: band %d [%g, %g) ends before it starts", name,
                                b, a, e);
    }
    for (int i = 0; i < n_series; i++) {
        const sm_plot_series *s = &series[i];
        if (s->n < 0)
            return sm_error_set(err, SM_EINVAL, "%s: series %d (\"%s\"): n = %d is negative", name,
                                i, label_of(s), s->n);
        if (s->n > 0 && !s->y)
            return sm_error_set(err, SM_EINVAL, "%s: series %d (\"%s\"): y is NULL", name, i,
                                label_of(s));
        if (s->style & ~(SM_PLOT_LINE | SM_PLOT_MARKERS | SM_PLOT_ERRBARS | SM_PLOT_BAND))
            return sm_error_set(err, SM_EINVAL, "%s: series %d (\"%s\"): unknown style flags 0x%x",
                                name, i, label_of(s), (unsigned)s->style);
        if (s->color < 0 || s->color > SM_PLOT_N_COLORS)
            return sm_error_set(err, SM_EINVAL, "%s: series %d (\"%s\"): unknown colour %d", name,
                                i, label_of(s), s->color);
        if (s->marker < 0 || s->marker > SM_PLOT_N_MARKERS)
            return sm_error_set(err, SM_EINVAL, "%s: series %d (\"%s\"): unknown marker %d", name,
                                i, label_of(s), s->marker);
        if ((st = check_values(name, i, s, "x", s->x, 0, err)) ||
            (st = check_values(name, i, s, "y", s->y, 0, err)) ||
            (st = check_values(name, i, s, "err_lo", s->err_lo, 1, err)) ||
            (st = check_values(name, i, s, "err_hi", s->err_hi, 1, err)))
            return st;
    }
    return SM_OK;
}

/* ------------------------------------------------------------------------------------
 * Series helpers
 * ---------------------------------------------------------------------------------- */

static int style_of(const sm_plot_series *s)
{
    if (s->style) return s->style;
    int st = SM_PLOT_LINE | SM_PLOT_MARKERS;
    if (s->err_lo || s->err_hi) st |= SM_PLOT_ERRBARS;
    return st;
}

static uint32_t color_of(const sm_plot_series *s, int i)
{
    return palette[s->color ? s->color - 1 : i % SM_PLOT_N_COLORS];
}

static int marker_of(const sm_plot_series *s, int i)
{
    return s->marker ? s->marker : 1 + i % SM_PLOT_N_MARKERS;
}

static double px_of(const sm_plot_series *s, int j)
{
    return s->x ? s->x[j] : (double)j;
}

/* The error interval of point j: 0 if it has none (NaN errors, no arrays). */
static int err_of(const sm_plot_series *s, int j, double *lo, double *hi)
{
    const double *a = s->err_lo ? s->err_lo : s->err_hi;
    const double *b = s->err_hi ? s->err_hi : s->err_lo;
    if (!a || isnan(a[j]) || isnan(b[j])) return 0;
    *lo = s->y[j] - a[j];
    *hi = s->y[j] + b[j];
    return 1;
}

static int in_legend(const sm_plot_series *s)
{
    return s->label && s->label[0];
}

/* ------------------------------------------------------------------------------------
 * Layout
 * ---------------------------------------------------------------------------------- */

typedef struct layout {
    int W, H;
    double s;                                      /* size factor */
    double fs_title, fs_label, fs_tick, fs_legend; /* font sizes, px */
    double left, top, right, bottom;
    double xmin, xmax, ymin, ymax; /* ymin, ymax: log10 of the data units when ylog */
    double xt0, xstep, yt0, ystep;
    int nxt, nyt;
    int ylog;
    double ylt[MAX_LOG_TICKS]; /* ylog: the tick values, data units (nyt of them) */
    double tick_len;
    int legend; /* SM_PLOT_LEGEND_NONE / _INSIDE / _OUTSIDE */
    double lx, ly, lw, lh, row_h, swatch_w;
    int n_entries;
} layout;

static void set_font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static double text_w(cairo_t *cr, const char *t)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, t, &e);
    return isfinite(e.x_advance) ? e.x_advance : 0;
}

/* Font size <= size at which `t` fits in max_w pixels (not below 6 px). */
static double fit_font(cairo_t *cr, const char *t, double size, int bold, double max_w)
{
    set_font(cr, size, bold);
    while (size > 6 && text_w(cr, t) > max_w) {
        size *= 0.9;
        set_font(cr, size, bold);
    }
    return size;
}

/* Tick label text: as many decimals as the step needs; %g for very large/small. */
static void tick_label(char *buf, size_t len, double v, double step)
{
    if (fabs(v) < step * 1e-9) v = 0;
    if (fabs(v) >= 1e6 || step < 1e-4) {
        snprintf(buf, len, "%g", v);
        return;
    }
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, len, "%.*f", dec, v);
}

static double widest_tick(cairo_t *cr, double t0, double step, int n)
{
    char buf[64];
    double w = 0;
    for (int k = 0; k < n; k++) {
        tick_label(buf, sizeof buf, t0 + k * step, step);
        double tw = text_w(cr, buf);
        if (tw > w) w = tw;
    }
    return w;
}

/* Automatic range of one axis: [lo, hi] of the data, widened if degenerate, padded 5%,
 * then the user's fixed ends applied. */
static void auto_range(double lo, double hi, int have, double umin, double umax, double *out_lo,
                       double *out_hi)
{
    if (!have) {
        lo = 0;
        hi = 1;
    } else if (lo == hi) {
        double d = lo != 0 ? fabs(lo) * 0.1 : 1;
        lo -= d;
        hi += d;
    } else {
        double pad = 0.05 * (hi - lo);
        lo -= pad;
        hi += pad;
    }
    if (!isnan(umin)) lo = umin;
    if (!isnan(umax)) hi = umax;
    if (!(lo < hi)) { /* one end fixed beyond the data */
        double d = fabs(isnan(umin) ? hi : lo) * 0.1;
        if (!(d > 0)) d = 1;
        if (isnan(umin))
            lo = hi - d;
        else
            hi = lo + d;
    }
    *out_lo = lo;
    *out_hi = hi;
}

/* The y axis coordinate of a data value: log10 y on a log axis (NaN for y <= 0). */
static double ycoord(const layout *L, double y)
{
    if (!L->ylog) return y;
    return y > 0 ? log10(y) : NAN;
}

/* 1 if a point with this y is not drawn: NaN, or <= 0 on a log axis. */
static int ymiss(const layout *L, double y)
{
    return isnan(ycoord(L, y));
}

static void data_ranges(const sm_plot_spec *spec, const sm_plot_series *series, int n_series,
                        layout *L)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    int hx = 0, hy = 0;
    for (int i = 0; i < n_series; i++) {
        const sm_plot_series *s = &series[i];
        int st = style_of(s);
        for (int j = 0; j < s->n; j++) {
            double x = px_of(s, j), y = ycoord(L, s->y[j]);
            if (isnan(x) || isnan(y)) continue;
            hx = hy = 1;
            x0 = fmin(x0, x);
            x1 = fmax(x1, x);
            y0 = fmin(y0, y);
            y1 = fmax(y1, y);
            double lo, hi;
            if ((st & (SM_PLOT_ERRBARS | SM_PLOT_BAND)) && err_of(s, j, &lo, &hi)) {
                lo = ycoord(L, lo); /* an end <= 0 on a log axis does not set the range */
                hi = ycoord(L, hi);
                if (!isnan(lo)) y0 = fmin(y0, lo);
                if (!isnan(hi)) y1 = fmax(y1, hi);
            }
        }
    }
    for (int b = 0; b < spec->n_bands; b++) {
        hx = 1;
        x0 = fmin(x0, spec->band_start[b]);
        x1 = fmax(x1, spec->band_end[b]);
    }
    auto_range(x0, x1, hx, spec->xmin, spec->xmax, &L->xmin, &L->xmax);
    auto_range(y0, y1, hy, spec->ylog && !isnan(spec->ymin) ? log10(spec->ymin) : spec->ymin,
               spec->ylog && !isnan(spec->ymax) ? log10(spec->ymax) : spec->ymax, &L->ymin,
               &L->ymax);
}

static double X(const layout *L, double x)
{
    return L->left + (x - L->xmin) / (L->xmax - L->xmin) * (L->right - L->left);
}

/* Pixel row of y; on a log axis a value <= 0 lies far below the plot area (clipped). */
static double Y(const layout *L, double y)
{
    const double c = ycoord(L, y);
    if (isnan(c)) return L->bottom + 2 * (L->bottom - L->top) + 10;
    return L->bottom - (c - L->ymin) / (L->ymax - L->ymin) * (L->bottom - L->top);
}

/* Does segment (ax, ay)-(bx, by) meet rectangle [x0, x1] x [y0, y1]? (Liang-Barsky) */
static int seg_hits_rect(double ax, double ay, double bx, double by, double x0, double y0,
                         double x1, double y1)
{
    double t0 = 0, t1 = 1, dx = bx - ax, dy = by - ay;
    double p[4] = {-dx, dx, -dy, dy}, q[4] = {ax - x0, x1 - ax, ay - y0, y1 - ay};
    for (int k = 0; k < 4; k++) {
        if (p[k] == 0) {
            if (q[k] < 0) return 0;
        } else {
            double t = q[k] / p[k];
            if (p[k] < 0) {
                if (t > t1) return 0;
                if (t > t0) t0 = t;
            } else {
                if (t < t0) return 0;
                if (t < t1) t1 = t;
            }
        }
    }
    return 1;
}

/* 1 if anything a series draws comes within the rectangle (inflated by `pad`). */
static int data_hits_rect(const layout *L, const sm_plot_series *series, int n_series, double rx,
                          double ry, double rw, double rh, double pad)
{
    double x0 = rx - pad, y0 = ry - pad, x1 = rx + rw + pad, y1 = ry + rh + pad;
    for (int i = 0; i < n_series; i++) {
        const sm_plot_series *s = &series[i];
        int st = style_of(s);
        double prev_x = NAN, prev_y = NAN, prev_lo = NAN, prev_hi = NAN;
        for (int j = 0; j < s->n; j++) {
            double x = px_of(s, j), y = s->y[j];
            if (isnan(x) || ymiss(L, y)) {
                prev_x = prev_y = NAN;
                continue;
            }
            double px = X(L, x), py = Y(L, y), lo, hi;
            int has_err = err_of(s, j, &lo, &hi);
            double plo = has_err ? Y(L, lo) : py, phi = has_err ? Y(L, hi) : py;
            if (seg_hits_rect(px, py, px, py, x0, y0, x1, y1)) return 1;
            if ((st & (SM_PLOT_ERRBARS | SM_PLOT_BAND)) && has_err &&
                seg_hits_rect(px, plo, px, phi, x0, y0, x1, y1))
                return 1;
            if (!isnan(prev_x)) {
                if ((st & SM_PLOT_LINE) && seg_hits_rect(prev_x, prev_y, px, py, x0, y0, x1, y1))
                    return 1;
                /* a band between two points: its bounding box, conservatively */
                if ((st & SM_PLOT_BAND) && !isnan(prev_lo) && has_err && fmin(prev_x, px) < x1 &&
                    fmax(prev_x, px) > x0 && fmin(prev_hi, phi) < y1 && fmax(prev_lo, plo) > y0)
                    return 1;
            }
            prev_x = px;
            prev_y = py;
            prev_lo = has_err ? plo : NAN;
            prev_hi = has_err ? phi : NAN;
        }
    }
    return 0;
}

/* Places ticks on an axis of `len` pixels so that labels of width w (+ gap) fit. */
static int place_ticks(cairo_t *cr, double lo, double hi, double len, double min_px, int horizontal,
                       double gap, double *t0, double *step)
{
    int target = (int)(len / min_px) + 1;
    if (target < 2) target = 2;
    if (target > 15) target = 15;
    int n = sm_plot_ticks(lo, hi, target, t0, step);
    while (horizontal && target > 2) {
        double w = widest_tick(cr, *t0, *step, n);
        if (n <= 1 || (len / (hi - lo)) * *step >= w + gap) break;
        target--;
        n = sm_plot_ticks(lo, hi, target, t0, step);
    }
    return n;
}

static void layout_lines(cairo_t *cr, const sm_plot_spec *spec, const sm_plot_series *series,
                         int n_series, layout *L)
{
    memset(L, 0, sizeof *L);
    L->W = spec->width;
    L->H = spec->height;
    double s = fmin(L->W / 800.0, L->H / 500.0);
    s = s < 0.8 ? 0.8 : s > 4 ? 4 : s;
    L->s = s;
    L->fs_title = 17 * s;
    L->fs_label = 14 * s;
    L->fs_tick = 12 * s;
    L->fs_legend = 12 * s;
    L->tick_len = 5 * s;
    double pad = 10 * s;
    L->ylog = spec->ylog;
    data_ranges(spec, series, n_series, L);

    /* legend size */
    L->row_h = 1.5 * L->fs_legend;
    L->swatch_w = 30 * s;
    double label_w = 0;
    set_font(cr, L->fs_legend, 0);
    for (int i = 0; i < n_series; i++)
        if (in_legend(&series[i])) {
            L->n_entries++;
            label_w = fmax(label_w, text_w(cr, series[i].label));
        }
    if (spec->n_bands > 0 && spec->band_label && spec->band_label[0]) {
        L->n_entries++;
        label_w = fmax(label_w, text_w(cr, spec->band_label));
    }
    L->lw = 0.8 * pad + L->swatch_w + 6 * s + label_w + 0.8 * pad;
    L->lh = 0.6 * pad * 2 + L->n_entries * L->row_h;
    int want = L->n_entries == 0 ? SM_PLOT_LEGEND_NONE : spec->legend;

    /* vertical: title on top, x tick labels and x label at the bottom */
    L->top = pad + (spec->title && spec->title[0] ? 1.5 * L->fs_title : 0.5 * L->fs_tick);
    L->bottom = L->H - pad - (spec->xlabel && spec->xlabel[0] ? 1.4 * L->fs_label : 0) -
                1.3 * L->fs_tick - L->tick_len - 3 * s;

    /* y ticks depend on the height only; their labels set the left margin */
    double yw = 0;
    if (L->ylog) {
        int most = (int)((L->bottom - L->top) / (30 * s)) + 1;
        most = most < 2 ? 2 : most > MAX_LOG_TICKS ? MAX_LOG_TICKS : most;
        L->nyt = sm_plot_log_ticks(pow(10.0, L->ymin), pow(10.0, L->ymax), L->ylt, most);
        set_font(cr, L->fs_tick, 0);
        for (int k = 0; k < L->nyt; k++) {
            char buf[64];
            snprintf(buf, sizeof buf, "%g", L->ylt[k]);
            yw = fmax(yw, text_w(cr, buf));
        }
    } else {
        L->nyt =
            place_ticks(cr, L->ymin, L->ymax, L->bottom - L->top, 55 * s, 0, 0, &L->yt0, &L->ystep);
        set_font(cr, L->fs_tick, 0);
        yw = widest_tick(cr, L->yt0, L->ystep, L->nyt);
    }
    L->left =
        pad + (spec->ylabel && spec->ylabel[0] ? 1.4 * L->fs_label : 0) + yw + L->tick_len + 5 * s;

    for (int pass = 0; pass < 2; pass++) {
        double right_pad = 2 * pad;
        if (pass == 1) right_pad += L->lw + pad;
        L->right = L->W - right_pad;
        L->nxt = place_ticks(cr, L->xmin, L->xmax, L->right - L->left, 90 * s, 1, 14 * s, &L->xt0,
                             &L->xstep);
        /* the last x tick label must not run off the figure */
        if (L->nxt > 0) {
            char buf[64];
            double last = L->xt0 + (L->nxt - 1) * L->xstep;
            tick_label(buf, sizeof buf, last, L->xstep);
            double over = X(L, last) + text_w(cr, buf) / 2 + 2 - L->W;
            if (over > 0) L->right -= over;
        }
        if (want == SM_PLOT_LEGEND_NONE) {
            L->legend = SM_PLOT_LEGEND_NONE;
            return;
        }
        if (pass == 1 || want == SM_PLOT_LEGEND_OUTSIDE) {
            if (pass == 0) continue;
            L->legend = SM_PLOT_LEGEND_OUTSIDE;
            L->lx = L->right + pad;
            L->ly = L->top;
            return;
        }
        double in = 8 * s;
        double cx[4] = {L->right - in - L->lw, L->left + in, L->right - in - L->lw, L->left + in};
        double cy[4] = {L->top + in, L->top + in, L->bottom - in - L->lh, L->bottom - in - L->lh};
        int fits = L->lw + 2 * in <= L->right - L->left && L->lh + 2 * in <= L->bottom - L->top;
        for (int c = 0; c < 4 && fits; c++) {
            if (want == SM_PLOT_LEGEND_INSIDE ||
                !data_hits_rect(L, series, n_series, cx[c], cy[c], L->lw, L->lh, 4 * s)) {
                L->legend = SM_PLOT_LEGEND_INSIDE;
                L->lx = cx[c];
                L->ly = cy[c];
                return;
            }
        }
    }
}

static void frame_from(const layout *L, sm_plot_frame *f)
{
    memset(f, 0, sizeof *f);
    f->width = L->W;
    f->height = L->H;
    f->left = L->left;
    f->top = L->top;
    f->right = L->right;
    f->bottom = L->bottom;
    f->xmin = L->xmin;
    f->xmax = L->xmax;
    f->ymin = L->ylog ? pow(10.0, L->ymin) : L->ymin;
    f->ymax = L->ylog ? pow(10.0, L->ymax) : L->ymax;
    f->legend = L->legend;
    if (L->legend != SM_PLOT_LEGEND_NONE) {
        f->legend_x = L->lx;
        f->legend_y = L->ly;
        f->legend_w = L->lw;
        f->legend_h = L->lh;
    }
}

/* A context to measure text with: fixed font options so that measurements and drawing
 * agree and do not depend on the surface. */
static void text_options(cairo_t *cr)
{
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
}

sm_status sm_plot_lines_frame(const sm_plot_spec *spec, const sm_plot_series *series, int n_series,
                              sm_plot_frame *frame, sm_error *err)
{
    sm_status st = validate_lines("plot", spec, series, n_series, err);
    if (st) return st;
    if (!frame) return sm_error_set(err, SM_EINVAL, "plot: frame is NULL");
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cairo_t *cr = cairo_create(surf);
    text_options(cr);
    layout L;
    layout_lines(cr, spec, series, n_series, &L);
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    frame_from(&L, frame);
    return SM_OK;
}

/* ------------------------------------------------------------------------------------
 * Drawing
 * ---------------------------------------------------------------------------------- */

static void set_rgb(cairo_t *cr, uint32_t rgb, double alpha)
{
    cairo_set_source_rgba(cr, ((rgb >> 16) & 255) / 255.0, ((rgb >> 8) & 255) / 255.0,
                          (rgb & 255) / 255.0, alpha);
}

static void set_grey(cairo_t *cr, double g)
{
    cairo_set_source_rgb(cr, g, g, g);
}

/* Text with its reference point at (x, y): halign 0 left, 0.5 centre, 1 right; the
 * baseline is placed so that the text's x-height is centred on y when vcenter. */
static void draw_text(cairo_t *cr, const char *t, double x, double y, double halign, int vcenter,
                      double size)
{
    double w = text_w(cr, t);
    cairo_move_to(cr, x - halign * w, vcenter ? y + 0.36 * size : y);
    cairo_show_text(cr, t);
}

static void marker_path(cairo_t *cr, int marker, double x, double y, double r)
{
    switch (marker) {
    case SM_PLOT_SQUARE: cairo_rectangle(cr, x - 0.85 * r, y - 0.85 * r, 1.7 * r, 1.7 * r); break;
    case SM_PLOT_TRIANGLE:
        cairo_move_to(cr, x, y - 1.2 * r);
        cairo_line_to(cr, x + 1.05 * r, y + 0.65 * r);
        cairo_line_to(cr, x - 1.05 * r, y + 0.65 * r);
        cairo_close_path(cr);
        break;
    case SM_PLOT_TRIANGLE_DOWN:
        cairo_move_to(cr, x, y + 1.2 * r);
        cairo_line_to(cr, x + 1.05 * r, y - 0.65 * r);
        cairo_line_to(cr, x - 1.05 * r, y - 0.65 * r);
        cairo_close_path(cr);
        break;
    case SM_PLOT_DIAMOND:
        cairo_move_to(cr, x, y - 1.2 * r);
        cairo_line_to(cr, x + 1.2 * r, y);
        cairo_line_to(cr, x, y + 1.2 * r);
        cairo_line_to(cr, x - 1.2 * r, y);
        cairo_close_path(cr);
        break;
    default:
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, r, 0, 2 * M_PI);
        break;
    }
}

static void draw_marker(cairo_t *cr, const layout *L, int marker, uint32_t rgb, double x, double y)
{
    marker_path(cr, marker, x, y, 4 * L->s);
    set_rgb(cr, rgb, 1);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_set_line_width(cr, 0.8 * L->s);
    cairo_stroke(cr);
}

static void set_line(cairo_t *cr, const layout *L, int dashed, double width)
{
    cairo_set_line_width(cr, width * L->s);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    if (dashed) {
        double d[2] = {7 * L->s, 4 * L->s};
        cairo_set_dash(cr, d, 2, 0);
    } else {
        cairo_set_dash(cr, NULL, 0, 0);
    }
}

/* The error band of a series: one filled polygon per run of points with errors. */
static void draw_band(cairo_t *cr, const layout *L, const sm_plot_series *s, uint32_t rgb)
{
    int j = 0;
    while (j < s->n) {
        double lo, hi;
        if (isnan(px_of(s, j)) || ymiss(L, s->y[j]) || !err_of(s, j, &lo, &hi)) {
            j++;
            continue;
        }
        int k = j;
        while (k + 1 < s->n && !isnan(px_of(s, k + 1)) && !ymiss(L, s->y[k + 1]) &&
               err_of(s, k + 1, &lo, &hi))
            k++;
        for (int m = j; m <= k; m++) {
            err_of(s, m, &lo, &hi);
            if (m == j)
                cairo_move_to(cr, X(L, px_of(s, m)), Y(L, hi));
            else
                cairo_line_to(cr, X(L, px_of(s, m)), Y(L, hi));
        }
        for (int m = k; m >= j; m--) {
            err_of(s, m, &lo, &hi);
            cairo_line_to(cr, X(L, px_of(s, m)), Y(L, lo));
        }
        cairo_close_path(cr);
        if (k == j) { /* a lone point: a thin bar so that it shows */
            cairo_new_path(cr);
            err_of(s, j, &lo, &hi);
            double x = X(L, px_of(s, j));
            cairo_rectangle(cr, x - 2 * L->s, Y(L, hi), 4 * L->s, Y(L, lo) - Y(L, hi));
        }
        set_rgb(cr, rgb, 0.22);
        cairo_fill(cr);
        j = k + 1;
    }
}

static void draw_series(cairo_t *cr, const layout *L, const sm_plot_series *s, int i)
{
    int st = style_of(s);
    uint32_t rgb = color_of(s, i);
    if (st & SM_PLOT_ERRBARS) {
        set_line(cr, L, 0, 1.4);
        set_rgb(cr, rgb, 1);
        double cap = 4 * L->s;
        for (int j = 0; j < s->n; j++) {
            double x = px_of(s, j), lo, hi;
            if (isnan(x) || ymiss(L, s->y[j]) || !err_of(s, j, &lo, &hi)) continue;
            double px = X(L, x), a = Y(L, lo), b = Y(L, hi);
            cairo_move_to(cr, px, a);
            cairo_line_to(cr, px, b);
            cairo_move_to(cr, px - cap, a);
            cairo_line_to(cr, px + cap, a);
            cairo_move_to(cr, px - cap, b);
            cairo_line_to(cr, px + cap, b);
        }
        cairo_stroke(cr);
    }
    if (st & SM_PLOT_LINE) {
        set_line(cr, L, s->dashed, 2);
        set_rgb(cr, rgb, 1);
        int pen = 0;
        for (int j = 0; j < s->n; j++) {
            double x = px_of(s, j), y = s->y[j];
            if (isnan(x) || ymiss(L, y)) {
                pen = 0;
                continue;
            }
            if (pen)
                cairo_line_to(cr, X(L, x), Y(L, y));
            else
                cairo_move_to(cr, X(L, x), Y(L, y));
            pen = 1;
        }
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
    }
    if (st & SM_PLOT_MARKERS) {
        int mk = marker_of(s, i);
        for (int j = 0; j < s->n; j++) {
            double x = px_of(s, j), y = s->y[j];
            if (isnan(x) || ymiss(L, y)) continue;
            draw_marker(cr, L, mk, rgb, X(L, x), Y(L, y));
        }
    }
}

static void draw_legend(cairo_t *cr, const layout *L, const sm_plot_spec *spec,
                        const sm_plot_series *series, int n_series)
{
    if (L->legend == SM_PLOT_LEGEND_NONE) return;
    double s = L->s;
    cairo_rectangle(cr, L->lx, L->ly, L->lw, L->lh);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.92);
    cairo_fill_preserve(cr);
    set_grey(cr, 0.7);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    double x = L->lx + 8 * s, y = L->ly + 6 * s + 0.5 * L->row_h;
    set_font(cr, L->fs_legend, 0);
    for (int i = 0; i < n_series; i++) {
        const sm_plot_series *ser = &series[i];
        if (!in_legend(ser)) continue;
        int st = style_of(ser);
        uint32_t rgb = color_of(ser, i);
        if (st & SM_PLOT_BAND) {
            cairo_rectangle(cr, x, y - 0.3 * L->row_h, L->swatch_w, 0.6 * L->row_h);
            set_rgb(cr, rgb, 0.22);
            cairo_fill(cr);
        }
        if (st & SM_PLOT_LINE) {
            set_line(cr, L, ser->dashed, 2);
            set_rgb(cr, rgb, 1);
            cairo_move_to(cr, x, y);
            cairo_line_to(cr, x + L->swatch_w, y);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
        } else if (st & SM_PLOT_ERRBARS) { /* a small error bar with caps */
            double cx = x + L->swatch_w / 2, h = 0.4 * L->row_h, cap = 4 * s;
            set_line(cr, L, 0, 1.4);
            set_rgb(cr, rgb, 1);
            cairo_move_to(cr, cx, y - h);
            cairo_line_to(cr, cx, y + h);
            cairo_move_to(cr, cx - cap, y - h);
            cairo_line_to(cr, cx + cap, y - h);
            cairo_move_to(cr, cx - cap, y + h);
            cairo_line_to(cr, cx + cap, y + h);
            cairo_stroke(cr);
        }
        if (st & SM_PLOT_MARKERS)
            draw_marker(cr, L, marker_of(ser, i), rgb, x + L->swatch_w / 2, y);
        set_grey(cr, TEXT_GREY);
        draw_text(cr, ser->label, x + L->swatch_w + 6 * s, y, 0, 1, L->fs_legend);
        y += L->row_h;
    }
    if (spec->n_bands > 0 && spec->band_label && spec->band_label[0]) {
        cairo_rectangle(cr, x, y - 0.35 * L->row_h, L->swatch_w, 0.7 * L->row_h);
        set_grey(cr, BAND_GREY);
        cairo_fill(cr);
        set_grey(cr, TEXT_GREY);
        draw_text(cr, spec->band_label, x + L->swatch_w + 6 * s, y, 0, 1, L->fs_legend);
    }
}

static void draw_axes(cairo_t *cr, const layout *L, const sm_plot_spec *spec)
{
    double s = L->s;
    char buf[64];
    /* frame: crisp 1-px lines on pixel centres */
    double l = floor(L->left) + 0.5, r = floor(L->right) + 0.5;
    double t = floor(L->top) + 0.5, b = floor(L->bottom) + 0.5;
    set_grey(cr, AXIS_GREY);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, l, t, r - l, b - t);
    cairo_stroke(cr);

    set_font(cr, L->fs_tick, 0);
    for (int k = 0; k < L->nxt; k++) {
        double v = L->xt0 + k * L->xstep, px = floor(X(L, v)) + 0.5;
        cairo_move_to(cr, px, b);
        cairo_line_to(cr, px, b + L->tick_len);
        cairo_stroke(cr);
        tick_label(buf, sizeof buf, v, L->xstep);
        draw_text(cr, buf, px, b + L->tick_len + 3 * s + 0.95 * L->fs_tick, 0.5, 0, L->fs_tick);
    }
    for (int k = 0; k < L->nyt; k++) {
        double v = L->ylog ? L->ylt[k] : L->yt0 + k * L->ystep, py = floor(Y(L, v)) + 0.5;
        cairo_move_to(cr, l, py);
        cairo_line_to(cr, l - L->tick_len, py);
        cairo_stroke(cr);
        if (L->ylog)
            snprintf(buf, sizeof buf, "%g", v);
        else
            tick_label(buf, sizeof buf, v, L->ystep);
        draw_text(cr, buf, l - L->tick_len - 4 * s, py, 1, 1, L->fs_tick);
    }

    set_grey(cr, TEXT_GREY);
    if (spec->xlabel && spec->xlabel[0]) {
        double fs = fit_font(cr, spec->xlabel, L->fs_label, 0, L->W - 4 * s);
        double cx = fmin(fmax((L->left + L->right) / 2, text_w(cr, spec->xlabel) / 2 + 2),
                         L->W - text_w(cr, spec->xlabel) / 2 - 2);
        draw_text(cr, spec->xlabel, cx, L->H - 10 * s - 0.25 * fs, 0.5, 0, fs);
    }
    if (spec->ylabel && spec->ylabel[0]) {
        double fs = fit_font(cr, spec->ylabel, L->fs_label, 0, L->H - 4 * s);
        double w = text_w(cr, spec->ylabel);
        double cy = fmin(fmax((L->top + L->bottom) / 2, w / 2 + 2), L->H - w / 2 - 2);
        cairo_save(cr);
        cairo_translate(cr, 10 * s + 0.85 * fs, cy);
        cairo_rotate(cr, -M_PI / 2);
        draw_text(cr, spec->ylabel, 0, 0, 0.5, 0, fs);
        cairo_restore(cr);
    }
    if (spec->title && spec->title[0]) {
        double fs = fit_font(cr, spec->title, L->fs_title, 1, L->W - 4 * s);
        double w = text_w(cr, spec->title);
        double cx = fmin(fmax((L->left + L->right) / 2, w / 2 + 2), L->W - w / 2 - 2);
        draw_text(cr, spec->title, cx, 10 * s + 1.0 * L->fs_title - 0.5 * (L->fs_title - fs), 0.5,
                  0, fs);
    }
}

static void render_lines(cairo_t *cr, const layout *L, const sm_plot_spec *spec,
                         const sm_plot_series *series, int n_series)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);

    cairo_save(cr);
    cairo_rectangle(cr, L->left, L->top, L->right - L->left, L->bottom - L->top);
    cairo_clip(cr);
    set_grey(cr, BAND_GREY);
    for (int b = 0; b < spec->n_bands; b++) {
        double a = X(L, spec->band_start[b]), e = X(L, spec->band_end[b]);
        if (e > a) cairo_rectangle(cr, a, L->top, e - a, L->bottom - L->top);
    }
    cairo_fill(cr);
    if (spec->grid) {
        set_grey(cr, GRID_GREY);
        cairo_set_line_width(cr, 1);
        for (int k = 0; k < L->nxt; k++) {
            double px = floor(X(L, L->xt0 + k * L->xstep)) + 0.5;
            cairo_move_to(cr, px, L->top);
            cairo_line_to(cr, px, L->bottom);
        }
        for (int k = 0; k < L->nyt; k++) {
            double py = floor(Y(L, L->ylog ? L->ylt[k] : L->yt0 + k * L->ystep)) + 0.5;
            cairo_move_to(cr, L->left, py);
            cairo_line_to(cr, L->right, py);
        }
        cairo_stroke(cr);
    }
    for (int i = 0; i < n_series; i++)
        if (style_of(&series[i]) & SM_PLOT_BAND)
            draw_band(cr, L, &series[i], color_of(&series[i], i));
    for (int i = 0; i < n_series; i++)
        draw_series(cr, L, &series[i], i);
    cairo_restore(cr);

    draw_axes(cr, L, spec);
    draw_legend(cr, L, spec, series, n_series);
}

/* ------------------------------------------------------------------------------------
 * PNG output
 * ---------------------------------------------------------------------------------- */

static cairo_status_t write_cb(void *closure, const unsigned char *data, unsigned int len)
{
    FILE *fp = closure;
    return fwrite(data, 1, len, fp) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static sm_status write_png(cairo_surface_t *surf, const char *path, sm_error *err)
{
    cairo_surface_flush(surf);
    cairo_status_t cs = cairo_surface_status(surf);
    if (cs != CAIRO_STATUS_SUCCESS)
        return sm_error_set(err, cs == CAIRO_STATUS_NO_MEMORY ? SM_ENOMEM : SM_EINTERNAL,
                            "%s: drawing failed: %s", path, cairo_status_to_string(cs));
    sm_atomic_file f;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st) return st;
    cs = cairo_surface_write_to_png_stream(surf, write_cb, f.fp);
    if (cs != CAIRO_STATUS_SUCCESS) {
        sm_atomic_abort(&f);
        return sm_error_set(err, SM_EIO, "%s: cannot write PNG: %s", path,
                            cairo_status_to_string(cs));
    }
    return sm_atomic_commit(&f, err);
}

/* An opaque RGB surface and a context on it; NULL (error set) on failure. */
static cairo_t *new_canvas(const char *path, int w, int h, cairo_surface_t **surf, sm_error *err)
{
    *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_status_t cs = cairo_surface_status(*surf);
    if (cs != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(*surf);
        *surf = NULL;
        sm_error_set(err, SM_ENOMEM, "%s: cannot create a %d x %d image: %s", path, w, h,
                     cairo_status_to_string(cs));
        return NULL;
    }
    cairo_t *cr = cairo_create(*surf);
    text_options(cr);
    return cr;
}

sm_status sm_plot_lines(const char *png_path, const sm_plot_spec *spec,
                        const sm_plot_series *series, int n_series, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    if (!png_path) return sm_error_set(err, SM_EINVAL, "plot: output path is NULL");
    sm_status st = validate_lines(png_path, spec, series, n_series, err);
    if (st) return st;
    cairo_surface_t *surf;
    cairo_t *cr = new_canvas(png_path, spec->width, spec->height, &surf, err);
    if (!cr) return err->code ? err->code : SM_ENOMEM;
    layout L;
    layout_lines(cr, spec, series, n_series, &L);
    render_lines(cr, &L, spec, series, n_series);
    cairo_destroy(cr);
    st = write_png(surf, png_path, err);
    cairo_surface_destroy(surf);
    return st;
}

/* ------------------------------------------------------------------------------------
 * Image grids
 * ---------------------------------------------------------------------------------- */

#define GRID_TITLE_FS 16.0
#define GRID_AUTO_WIDTH 1000

static sm_status grid_frame(const char *name, int n_tiles, int tile_w, int tile_h,
                            const sm_plot_grid_spec *spec, sm_plot_grid_frame *f, sm_error *err)
{
    sm_plot_grid_spec def;
    if (!spec) {
        sm_plot_grid_spec_default(&def);
        spec = &def;
    }
    if (n_tiles < 1)
        return sm_error_set(err, SM_EINVAL, "%s: number of tiles %d must be at least 1", name,
                            n_tiles);
    if (tile_w < 1 || tile_h < 1)
        return sm_error_set(err, SM_EINVAL, "%s: tile size %d x %d must be positive", name, tile_w,
                            tile_h);
    if (spec->columns < 0)
        return sm_error_set(err, SM_EINVAL, "%s: columns = %d is negative", name, spec->columns);
    if (spec->scale < 0 || spec->scale > 64)
        return sm_error_set(err, SM_EINVAL, "%s: scale = %d is outside [0, 64]", name, spec->scale);
    if (spec->gap < 0 || spec->gap > 64)
        return sm_error_set(err, SM_EINVAL, "%s: gap = %d is outside [0, 64]", name, spec->gap);
    if (spec->margin < 0 || spec->margin > 256)
        return sm_error_set(err, SM_EINVAL, "%s: margin = %d is outside [0, 256]", name,
                            spec->margin);
    memset(f, 0, sizeof *f);
    int64_t cols = spec->columns;
    if (cols == 0) {
        cols = (int64_t)ceil(sqrt((double)n_tiles));
        while (cols * cols < n_tiles)
            cols++;
    }
    if (cols > MAX_SIZE)
        return sm_error_set(err, SM_EINVAL, "%s: %lld columns do not fit in %d pixels", name,
                            (long long)cols, MAX_SIZE);
    int64_t rows = (n_tiles + cols - 1) / cols;
    int64_t scale = spec->scale;
    if (scale == 0) {
        int64_t avail = GRID_AUTO_WIDTH - 2 * spec->margin - (cols - 1) * spec->gap;
        scale = avail / (cols * (int64_t)tile_w);
        if (scale < 1) scale = 1;
        if (scale > 16) scale = 16;
    }
    int64_t title_h =
        spec->title && spec->title[0] ? (int64_t)ceil(GRID_TITLE_FS * 1.6) + spec->margin / 2 : 0;
    int64_t w = 2 * (int64_t)spec->margin + cols * tile_w * scale + (cols - 1) * spec->gap;
    int64_t h =
        2 * (int64_t)spec->margin + title_h + rows * tile_h * scale + (rows - 1) * spec->gap;
    if (w > MAX_SIZE || h > MAX_SIZE)
        return sm_error_set(err, SM_EINVAL,
                            "%s: a %lld x %lld grid of %d x %d tiles at scale %lld needs "
                            "%lld x %lld pixels, more than %d",
                            name, (long long)cols, (long long)rows, tile_w, tile_h,
                            (long long)scale, (long long)w, (long long)h, MAX_SIZE);
    f->width = (int)w;
    f->height = (int)h;
    f->columns = (int)cols;
    f->rows = (int)rows;
    f->scale = (int)scale;
    f->x0 = spec->margin;
    f->y0 = spec->margin + (int)title_h;
    f->pitch_x = (int)(tile_w * scale + spec->gap);
    f->pitch_y = (int)(tile_h * scale + spec->gap);
    return SM_OK;
}

sm_status sm_plot_image_grid_frame(int n_tiles, int tile_w, int tile_h,
                                   const sm_plot_grid_spec *spec, sm_plot_grid_frame *frame,
                                   sm_error *err)
{
    if (!frame) return sm_error_set(err, SM_EINVAL, "image grid: frame is NULL");
    return grid_frame("image grid", n_tiles, tile_w, tile_h, spec, frame, err);
}

sm_status sm_plot_image_grid(const char *png_path, const float *tiles, int n_tiles, int tile_w,
                             int tile_h, const sm_plot_grid_spec *spec, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    if (!png_path) return sm_error_set(err, SM_EINVAL, "image grid: output path is NULL");
    sm_plot_grid_frame f = {0};
    sm_status st = grid_frame(png_path, n_tiles, tile_w, tile_h, spec, &f, err);
    if (st) return st;
    if (f.columns < 1) return SM_EINTERNAL; /* cannot happen: grid_frame checked */
    if (!tiles) return sm_error_set(err, SM_EINVAL, "%s: tile data is NULL", png_path);
    size_t npix = (size_t)tile_w * (size_t)tile_h;
    for (int k = 0; k < n_tiles; k++)
        for (size_t p = 0; p < npix; p++)
            if (!isfinite(tiles[k * npix + p]))
                return sm_error_set(err, SM_ENUMERIC,
                                    "%s: tile %d pixel (row %zu, column %zu) = %g is not finite",
                                    png_path, k, p / (size_t)tile_w, p % (size_t)tile_w,
                                    (double)tiles[k * npix + p]);

    cairo_surface_t *surf;
    cairo_t *cr = new_canvas(png_path, f.width, f.height, &surf, err);
    if (!cr) return err->code ? err->code : SM_ENOMEM;
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_surface_flush(surf);

    /* tiles: written straight into the pixels, so values are exact (no resampling) */
    unsigned char *data = cairo_image_surface_get_data(surf);
    int stride = cairo_image_surface_get_stride(surf);
    for (int k = 0; k < n_tiles; k++) {
        const float *t = tiles + (size_t)k * npix;
        double mn = t[0], mx = t[0];
        for (size_t p = 1; p < npix; p++) {
            mn = fmin(mn, t[p]);
            mx = fmax(mx, t[p]);
        }
        int ox = f.x0 + (k % f.columns) * f.pitch_x, oy = f.y0 + (k / f.columns) * f.pitch_y;
        for (int r = 0; r < tile_h; r++)
            for (int c = 0; c < tile_w; c++) {
                double v = t[(size_t)r * tile_w + c];
                uint32_t g = mx > mn ? (uint32_t)lround(255.0 * (v - mn) / (mx - mn)) : 128;
                uint32_t px = 0xFF000000u | g << 16 | g << 8 | g;
                for (int dy = 0; dy < f.scale; dy++) {
                    uint32_t *row = (uint32_t *)(data + (size_t)(oy + r * f.scale + dy) * stride);
                    for (int dx = 0; dx < f.scale; dx++)
                        row[ox + c * f.scale + dx] = px;
                }
            }
    }
    cairo_surface_mark_dirty(surf);

    const char *title = spec ? spec->title : NULL;
    if (title && title[0]) {
        double fs = fit_font(cr, title, GRID_TITLE_FS, 1, f.width - 4);
        double w = text_w(cr, title);
        set_grey(cr, TEXT_GREY);
        double cx = fmax(f.width / 2.0, w / 2 + 2);
        draw_text(cr, title, cx, f.y0 - (spec->margin / 2.0) - 0.45 * GRID_TITLE_FS, 0.5, 0, fs);
    }
    cairo_destroy(cr);
    st = write_png(surf, png_path, err);
    cairo_surface_destroy(surf);
    return st;
}

/* ------------------------------------------------------------------------------------
 * Matrix heat map
 * ---------------------------------------------------------------------------------- */

sm_status sm_plot_matrix(const char *png_path, const char *title, const char *xlabel,
                         const char *ylabel, const double *m, int rows, int cols, double vmin,
                         double vmax, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    if (!png_path || !m) return sm_error_set(err, SM_EINVAL, "matrix plot: NULL argument");
    if (rows < 1 || cols < 1 || rows > 64 || cols > 64)
        return sm_error_set(err, SM_EINVAL, "%s: %d x %d matrix (1..64 rows and columns)", png_path,
                            rows, cols);
    if (!(vmax > vmin))
        return sm_error_set(err, SM_EINVAL, "%s: scale %g..%g is empty", png_path, vmin, vmax);
    const int cell = 56, left = 70, top = 80, right = 20, bottom = 20;
    const int w = left + cols * cell + right, h = top + rows * cell + bottom;
    cairo_surface_t *surf;
    cairo_t *cr = new_canvas(png_path, w, h, &surf, err);
    if (!cr) return err->code ? err->code : SM_ENOMEM;
    text_options(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    char buf[32];
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            const double v = m[(size_t)i * (size_t)cols + (size_t)j];
            const double x = left + j * cell, y = top + i * cell;
            double t = isfinite(v) ? (v - vmin) / (vmax - vmin) : 0;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            if (isfinite(v)) /* white -> 0x08306B (dark blue) */
                cairo_set_source_rgb(cr, 1 - t * (1 - 0x08 / 255.0), 1 - t * (1 - 0x30 / 255.0),
                                     1 - t * (1 - 0x6B / 255.0));
            else
                cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
            cairo_rectangle(cr, x, y, cell, cell);
            cairo_fill(cr);
            set_font(cr, 13, 0);
            if (isfinite(v)) {
                snprintf(buf, sizeof buf, "%.2f", v);
                set_grey(cr, t > 0.55 ? 1.0 : TEXT_GREY);
            } else {
                snprintf(buf, sizeof buf, "-");
                set_grey(cr, 0.5);
            }
            draw_text(cr, buf, x + cell / 2.0, y + cell / 2.0, 0.5, 1, 13);
        }
    set_grey(cr, TEXT_GREY);
    set_font(cr, 12, 0);
    for (int i = 0; i < rows; i++) {
        snprintf(buf, sizeof buf, "%d", i);
        draw_text(cr, buf, left - 8, top + i * cell + cell / 2.0, 1, 1, 12);
    }
    for (int j = 0; j < cols; j++) {
        snprintf(buf, sizeof buf, "%d", j + 1);
        draw_text(cr, buf, left + j * cell + cell / 2.0, top - 8, 0.5, 0, 12);
    }
    if (xlabel && xlabel[0]) draw_text(cr, xlabel, left + cols * cell / 2.0, top - 28, 0.5, 0, 12);
    if (ylabel && ylabel[0]) {
        cairo_save(cr);
        cairo_translate(cr, 18, top + rows * cell / 2.0);
        cairo_rotate(cr, -M_PI / 2);
        draw_text(cr, ylabel, 0, 0, 0.5, 1, 12);
        cairo_restore(cr);
    }
    if (title && title[0]) {
        const double fs = fit_font(cr, title, 14, 1, w - 8);
        draw_text(cr, title, w / 2.0, 24, 0.5, 0, fs);
    }
    cairo_destroy(cr);
    sm_status st = write_png(surf, png_path, err);
    cairo_surface_destroy(surf);
    return st;
}

/* ------------------------------------------------------------------------------------
 * Caches
 * ---------------------------------------------------------------------------------- */

void sm_plot_release_caches(void)
{
    /* cairo first: its font caches hold fontconfig patterns */
    cairo_debug_reset_static_data();
    FcFini();
}
