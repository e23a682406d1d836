/* somnus: plot -- PNG figures of results (cairo).
 *
 * Two kinds of figure:
 *  - line plots (sm_plot_lines): one or more series of (x, y) points drawn as lines
 *    and/or markers, with optional error bars (mean +- sd) or a shaded error band, on
 *    axes with "nice" 1-2-5 ticks, axis labels, a title, a legend, and optional
 *    vertical grey bands marking x intervals (e.g. sleep episodes). Covers accuracy vs
 *    sleep rate, accuracy over training batches and weight sums over time.
 *  - image grids (sm_plot_image_grid): many small grayscale images in a grid, each
 *    normalized to its own min/max (e.g. each excitatory neuron's incoming weights as a
 *    15 x 15 image).
 *
 * Output is an opaque 8-bit RGB PNG written atomically (a temporary file in the
 * destination directory, renamed into place), so a failed call never leaves a file
 * under the final name. Rendering is deterministic: the same input on the same
 * machine gives the same bytes. Text uses cairo's "sans-serif" face through
 * fontconfig (fonts-dejavu-core on Debian); no X server is needed, and with no font
 * installed text is simply missing, never a crash.
 *
 * Colours come from the Okabe-Ito palette, which stays distinguishable for the common
 * forms of colour blindness; series also get different marker shapes by default so
 * that figures survive grayscale printing.
 *
 * All functions are reentrant; the library never prints.
 */
#ifndef SOMNUS_PLOT_H
#define SOMNUS_PLOT_H

#include <stdint.h>

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------
 * Line plots
 * ---------------------------------------------------------------------------------- */

/* What a series draws (sm_plot_series.style): a bitwise OR of these flags. 0 means
 * SM_PLOT_LINE | SM_PLOT_MARKERS, plus SM_PLOT_ERRBARS when error arrays are given. */
enum {
    SM_PLOT_LINE = 1,    /* straight segments between consecutive finite points */
    SM_PLOT_MARKERS = 2, /* a marker at every finite point */
    SM_PLOT_ERRBARS = 4, /* vertical error bars with caps, from y - err_lo to y + err_hi */
    SM_PLOT_BAND = 8     /* the same interval as a translucent band in the series colour */
};

/* Colours (sm_plot_series.color). 0 picks the palette entry of the series' position
 * (series i gets entry i mod 8, in the order below). The RGB values are Okabe & Ito's
 * (2008) colour-blind-safe set; sm_plot_palette_rgb gives them. */
enum {
    SM_PLOT_AUTO_COLOR = 0,
    SM_PLOT_BLUE = 1,       /* #0072B2 */
    SM_PLOT_ORANGE = 2,     /* #E69F00 */
    SM_PLOT_GREEN = 3,      /* #009E73 (bluish green) */
    SM_PLOT_VERMILLION = 4, /* #D55E00 */
    SM_PLOT_PURPLE = 5,     /* #CC79A7 (reddish purple) */
    SM_PLOT_SKY = 6,        /* #56B4E9 (sky blue) */
    SM_PLOT_BLACK = 7,      /* #000000 */
    SM_PLOT_YELLOW = 8      /* #F0E442 (weak on white: last) */
};
#define SM_PLOT_N_COLORS 8

/* Marker shapes (sm_plot_series.marker). 0 picks by the series' position, cycling
 * through circle, square, triangle, diamond, inverted triangle. */
enum {
    SM_PLOT_AUTO_MARKER = 0,
    SM_PLOT_CIRCLE = 1,
    SM_PLOT_SQUARE = 2,
    SM_PLOT_TRIANGLE = 3,
    SM_PLOT_DIAMOND = 4,
    SM_PLOT_TRIANGLE_DOWN = 5
};
#define SM_PLOT_N_MARKERS 5

/* One data series. All arrays have `n` entries and are only read during the call.
 * A NaN in x or y is a missing point: it is not drawn and the line is broken there.
 * A NaN error leaves that point without an error bar/band. +-Inf is an error. */
typedef struct sm_plot_series {
    const char *label;    /* legend text; NULL or "" = not in the legend */
    const double *x;      /* x values; NULL = 0, 1, ..., n-1 (e.g. batch index) */
    const double *y;      /* y values (required when n > 0) */
    const double *err_lo; /* distance below y (>= 0), e.g. the sd; NULL = none */
    const double *err_hi; /* distance above y (>= 0); NULL = same as err_lo */
    int n;                /* number of points, >= 0 */
    int style;            /* SM_PLOT_LINE | SM_PLOT_MARKERS | ...; 0 = default (above) */
    int color;            /* SM_PLOT_BLUE ...; 0 = automatic */
    int marker;           /* SM_PLOT_CIRCLE ...; 0 = automatic */
    int dashed;           /* 1 = dashed line (e.g. the "without sleep" control) */
} sm_plot_series;

/* Where the legend goes (sm_plot_spec.legend). */
enum {
    SM_PLOT_LEGEND_AUTO = 0,   /* inside the plot area in the first of top-right,
                                  top-left, bottom-right, bottom-left where it covers
                                  no data; outside on the right if none is free */
    SM_PLOT_LEGEND_NONE = 1,   /* no legend */
    SM_PLOT_LEGEND_INSIDE = 2, /* inside, top-right, even over data */
    SM_PLOT_LEGEND_OUTSIDE = 3 /* right of the plot area (the plot area narrows) */
};

/* Figure settings. Start from sm_plot_spec_default(), then set what you need. */
typedef struct sm_plot_spec {
    const char *title;  /* NULL = none */
    const char *xlabel; /* NULL = none */
    const char *ylabel; /* NULL = none */
    int width, height;  /* figure size in pixels, each in [100, 16384] (800 x 500) */
    /* Axis ranges; NaN = automatic: the finite data (including error bars and bands,
     * and for x the shaded intervals) plus 5% padding on each side. A range whose ends
     * are equal is widened. Set both ends of an axis, one, or none. */
    double xmin, xmax, ymin, ymax;
    /* Vertical shaded intervals [band_start[i], band_end[i]) in x units, drawn as
     * light grey behind the data (e.g. sleep episodes). NULL / 0 = none. */
    const double *band_start;
    const double *band_end;
    int n_bands;
    const char *band_label; /* legend entry for the bands (e.g. "sleep"); NULL = none */
    int legend;             /* SM_PLOT_LEGEND_*, default AUTO */
    int grid;               /* 1 = light grid lines at the ticks (default 1) */
    /* 1 = logarithmic y axis (default 0). A point whose y is <= 0 is missing (not drawn,
     * the line broken there); an error bar or band end <= 0 runs off the bottom of the
     * axis. ymin / ymax stay in data units and must be > 0 when set; the automatic range
     * pads 5% of the log10 span on each side. Ticks: sm_plot_log_ticks. */
    int ylog;
} sm_plot_spec;

/* Fills `spec` with the defaults: no text, 800 x 500, automatic ranges, no bands,
 * automatic legend, grid on. */
void sm_plot_spec_default(sm_plot_spec *spec);

/* The pixel geometry of a line plot, as sm_plot_lines would draw it. Data point (x, y)
 * lands at pixel column left + (x - xmin) / (xmax - xmin) * (right - left) and row
 * bottom - (y - ymin) / (ymax - ymin) * (bottom - top), in cairo's coordinates
 * (pixel (i, j) covers [i, i+1) x [j, j+1)). With spec.ylog the row is
 * bottom - (log10 y - log10 ymin) / (log10 ymax - log10 ymin) * (bottom - top), and
 * ymin, ymax are in data units. */
typedef struct sm_plot_frame {
    int width, height;                             /* figure size */
    double left, top, right, bottom;               /* plot area, pixels */
    double xmin, xmax, ymin, ymax;                 /* axis ranges actually used */
    int legend;                                    /* where the legend went: SM_PLOT_LEGEND_NONE,
                                                      _INSIDE (see legend_x...) or _OUTSIDE */
    double legend_x, legend_y, legend_w, legend_h; /* legend box, pixels (0 if none) */
} sm_plot_frame;

/* Draws `n_series` series (n_series >= 0; `series` may be NULL when 0) on one pair of
 * axes and writes the figure to `png_path` (atomically). Errors (nothing written, no
 * temporary file left; every message starts with `png_path`): SM_EINVAL for a NULL
 * argument, n < 0, a missing y array, a negative error, an unknown style/colour/marker
 * or legend value, a band with start > end, a bad size, or a range with min >= max;
 * SM_ENUMERIC for +-Inf in the data or a non-finite range end; SM_EIO when the file
 * cannot be created or written (e.g. a missing or read-only directory). */
sm_status sm_plot_lines(const char *png_path, const sm_plot_spec *spec,
                        const sm_plot_series *series, int n_series, sm_error *err);

/* Computes the geometry sm_plot_lines would use for the same input (same validation,
 * no file; messages name "plot" instead of a path). For callers that annotate figures
 * and for tests. */
sm_status sm_plot_lines_frame(const sm_plot_spec *spec, const sm_plot_series *series, int n_series,
                              sm_plot_frame *frame, sm_error *err);

/* 0xRRGGBB of colour `color` (SM_PLOT_BLUE ... SM_PLOT_YELLOW); for 0 or an unknown
 * value, the colour series 0 gets (SM_PLOT_BLUE). */
uint32_t sm_plot_palette_rgb(int color);

/* "Nice" tick positions for an axis covering [lo, hi] (finite, lo < hi) with about
 * `target` ticks (>= 2): the step is 1, 2 or 5 times a power of ten, ticks are the
 * multiples of the step inside [lo, hi] (with a tolerance of 1e-9 steps). Writes the
 * first tick and the step; returns the number of ticks (0 on bad input). Tick k is
 * first + k * step. */
int sm_plot_ticks(double lo, double hi, int target, double *first, double *step);

/* Tick values (data units) for a logarithmic axis covering [lo, hi] (finite, 0 < lo < hi),
 * at most `max` of them into ticks[], in increasing order; returns their number (0 on bad
 * input). The powers of ten inside [lo, hi] (every m-th power when more than `max`
 * would fit, m the smallest that fits); when fewer than two powers fall inside, the values
 * 1, 2 and 5 times a power of ten inside [lo, hi]; when still fewer than two, the linear
 * ticks of sm_plot_ticks(lo, hi, 5). A tolerance of 1e-9 decades keeps the ends. */
int sm_plot_log_ticks(double lo, double hi, double *ticks, int max);

/* ------------------------------------------------------------------------------------
 * Image grids
 * ---------------------------------------------------------------------------------- */

/* Grid settings. Start from sm_plot_grid_spec_default(). */
typedef struct sm_plot_grid_spec {
    const char *title; /* NULL = none */
    int columns;       /* tiles per row; 0 = ceil(sqrt(n_tiles)) */
    int scale;         /* screen pixels per image pixel (square), 1..64; 0 = the
                          largest that keeps the grid within 1000 px wide (at most 16) */
    int gap;           /* white pixels between tiles, 0..64 (default 2) */
    int margin;        /* white pixels around the grid, 0..256 (default 10) */
} sm_plot_grid_spec;

/* Fills `spec` with the defaults (no title, automatic columns and scale, gap 2,
 * margin 10). */
void sm_plot_grid_spec_default(sm_plot_grid_spec *spec);

/* The pixel geometry of an image grid. Tile k (0-based, row-major over the grid) has
 * its top-left corner at (x0 + (k % columns) * pitch_x, y0 + (k / columns) * pitch_y)
 * and covers tile_w * scale x tile_h * scale pixels; image pixel (r, c) of the tile is
 * the scale x scale block starting scale * c right and scale * r down from there. */
typedef struct sm_plot_grid_frame {
    int width, height;    /* figure size */
    int columns, rows;    /* grid shape */
    int scale;            /* pixels per image pixel */
    int x0, y0;           /* top-left of tile 0 */
    int pitch_x, pitch_y; /* tile size + gap */
} sm_plot_grid_frame;

/* Draws `n_tiles` (>= 1) grayscale images of tile_w x tile_h pixels in a grid and
 * writes the figure to `png_path` (atomically). `tiles` holds the images one after
 * another, each row-major: pixel (r, c) of tile k is tiles[(k * tile_h + r) * tile_w +
 * c]. Each tile is scaled to its own range: its minimum is black (0), its maximum white
 * (255), gray = round(255 * (v - min) / (max - min)); a constant tile is mid-grey (128).
 * Sizes: the figure must stay within 16384 x 16384 pixels. `spec` NULL = defaults.
 * Errors (nothing written, messages start with `png_path`): SM_EINVAL for NULL
 * arguments, non-positive counts or sizes, or out-of-range settings; SM_ENUMERIC for
 * a NaN or Inf pixel (naming the tile and pixel); SM_EIO when the file cannot be
 * created or written. */
sm_status sm_plot_image_grid(const char *png_path, const float *tiles, int n_tiles, int tile_w,
                             int tile_h, const sm_plot_grid_spec *spec, sm_error *err);

/* Computes the geometry sm_plot_image_grid would use (same checks on the sizes and
 * settings; pixel values are not looked at). */
sm_status sm_plot_image_grid_frame(int n_tiles, int tile_w, int tile_h,
                                   const sm_plot_grid_spec *spec, sm_plot_grid_frame *frame,
                                   sm_error *err);

/* A matrix (rows x cols, row-major doubles) as a heat map PNG: one square cell per entry
 * on a fixed colour scale from vmin (white) to vmax (dark blue), the value printed in
 * each cell (two decimals), NaN cells grey with "-". Row labels 0..rows-1 on the left,
 * column labels 1..cols at the top (the accuracy matrix of continual learning: row i after
 * task i, column j task j); `title`, `xlabel`, `ylabel` may be NULL. Errors: SM_EINVAL for
 * bad sizes (rows, cols in 1..64) or vmax <= vmin; SM_EIO when the file cannot be written. */
sm_status sm_plot_matrix(const char *png_path, const char *title, const char *xlabel,
                         const char *ylabel, const double *m, int rows, int cols, double vmin,
                         double vmax, sm_error *err);

/* ------------------------------------------------------------------------------------
 * Process-wide caches
 * ---------------------------------------------------------------------------------- */

/* Releases the font caches cairo and fontconfig keep for the whole process (the
 * fonts looked up for figure text). Optional: call it once at the end of a program,
 * after the last plot, so that leak checkers (ASan/LSan, valgrind) see no memory in
 * use; plotting again afterwards still works (the caches are rebuilt). Not
 * thread-safe, and not for programs that use cairo or fontconfig elsewhere while it
 * runs. */
void sm_plot_release_caches(void);

#ifdef __cplusplus
}
#endif
#endif
