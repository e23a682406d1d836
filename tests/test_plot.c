#include "testutil.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/fileio.h"
#include "somnus/analysis/plot.h"

/* ------------------------------------------------------------------------------------
 * Helpers: read a PNG back and look at its pixels
 * ---------------------------------------------------------------------------------- */

typedef struct image {
    cairo_surface_t *surf;
    int w, h, stride;
    const unsigned char *data;
} image;

static image load_png(const char *path)
{
    image im;
    im.surf = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(im.surf), CAIRO_STATUS_SUCCESS);
    im.w = cairo_image_surface_get_width(im.surf);
    im.h = cairo_image_surface_get_height(im.surf);
    im.stride = cairo_image_surface_get_stride(im.surf);
    im.data = cairo_image_surface_get_data(im.surf);
    return im;
}

static void free_image(image *im)
{
    cairo_surface_destroy(im->surf);
}

/* 0xRRGGBB at (x, y). */
static uint32_t pixel(const image *im, int x, int y)
{
    assert_true(x >= 0 && x < im->w && y >= 0 && y < im->h);
    return *(const uint32_t *)(im->data + (size_t)y * im->stride + 4 * (size_t)x) & 0xFFFFFFu;
}

static int near_rgb(uint32_t a, uint32_t b, int tol)
{
    for (int sh = 0; sh <= 16; sh += 8) {
        int d = (int)((a >> sh) & 255) - (int)((b >> sh) & 255);
        if (d < -tol || d > tol) return 0;
    }
    return 1;
}

/* 1 if a pixel of colour rgb (within tol) is in column x, rows y0..y1. */
static int column_has(const image *im, int x, int y0, int y1, uint32_t rgb, int tol)
{
    for (int y = y0; y <= y1; y++)
        if (y >= 0 && y < im->h && near_rgb(pixel(im, x, y), rgb, tol)) return 1;
    return 0;
}

/* Number of pixels of colour rgb (within tol) in the whole image. */
static long count_color(const image *im, uint32_t rgb, int tol)
{
    long n = 0;
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++)
            n += near_rgb(pixel(im, x, y), rgb, tol);
    return n;
}

static double fx(const sm_plot_frame *f, double x)
{
    return f->left + (x - f->xmin) / (f->xmax - f->xmin) * (f->right - f->left);
}

static double fy(const sm_plot_frame *f, double y)
{
    return f->bottom - (y - f->ymin) / (f->ymax - f->ymin) * (f->bottom - f->top);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static const double xs11[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
static const double half11[] = {.5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5};
static const double quarter11[] = {.25, .25, .25, .25, .25, .25, .25, .25, .25, .25, .25};

/* A fixed [0, 10] x [0, 1] frame without legend or grid, so pixels are predictable. */
static void plain_spec(sm_plot_spec *sp)
{
    sm_plot_spec_default(sp);
    sp->xmin = 0;
    sp->xmax = 10;
    sp->ymin = 0;
    sp->ymax = 1;
    sp->legend = SM_PLOT_LEGEND_NONE;
    sp->grid = 0;
}

/* ------------------------------------------------------------------------------------
 * Ticks and palette
 * ---------------------------------------------------------------------------------- */

static void ticks_use_1_2_5_steps(void **state)
{
    (void)state;
    double first, step;
    assert_int_equal(sm_plot_ticks(0, 1, 6, &first, &step), 6);
    assert_float_near(first, 0, 0);
    assert_float_near(step, 0.2, 1e-15);
    /* padded [0, 1]: still 0 .. 1 by 0.2 */
    assert_int_equal(sm_plot_ticks(-0.05, 1.05, 8, &first, &step), 6);
    assert_float_near(first, 0, 0);
    assert_float_near(step, 0.2, 1e-15);
    /* raw step 94/4 = 23.5 -> 20: 20, 40, 60, 80 */
    assert_int_equal(sm_plot_ticks(3, 97, 5, &first, &step), 4);
    assert_float_near(first, 20, 1e-12);
    assert_float_near(step, 20, 1e-12);
    /* raw 5000/5 = 1000 -> 1000 */
    assert_int_equal(sm_plot_ticks(0, 5000, 6, &first, &step), 6);
    assert_float_near(step, 1000, 1e-9);
    /* raw 0.09/3 = 0.03 -> 0.05 (r = 3 rounds to 5): -0.05, 0, 0.05 */
    assert_int_equal(sm_plot_ticks(-0.06, 0.03, 4, &first, &step), 2);
    assert_float_near(step, 0.05, 1e-15);
    assert_float_near(first, -0.05, 1e-15);
    /* a negative range with an exact end */
    assert_int_equal(sm_plot_ticks(-10, -2, 5, &first, &step), 5);
    assert_float_near(first, -10, 1e-12);
    assert_float_near(step, 2, 1e-12);
    /* bad input */
    assert_int_equal(sm_plot_ticks(1, 1, 5, &first, &step), 0);
    assert_int_equal(sm_plot_ticks(0, NAN, 5, &first, &step), 0);
    assert_int_equal(sm_plot_ticks(0, 1, 1, &first, &step), 0);
}

/* Logarithmic ticks: powers of ten, thinned to fit; 1-2-5 inside one decade; linear
 * ticks when even those miss. */
static void log_ticks_by_hand(void **state)
{
    (void)state;
    double t[8];
    assert_int_equal(sm_plot_log_ticks(0.01, 1, t, 8), 3);
    assert_float_near(t[0], 0.01, 1e-15);
    assert_float_near(t[1], 0.1, 1e-15);
    assert_float_near(t[2], 1, 1e-15);
    /* the padded range of data 0.01 .. 1: 10^-2.1 .. 10^0.1, the same three */
    assert_int_equal(sm_plot_log_ticks(pow(10, -2.1), pow(10, 0.1), t, 8), 3);
    assert_float_near(t[0], 0.01, 1e-15);
    /* 10 decades 1e-6 .. 1e3 with at most 4 ticks: every 3rd power */
    assert_int_equal(sm_plot_log_ticks(1e-6, 1e3, t, 4), 4);
    assert_float_near(t[0], 1e-6, 1e-21);
    assert_float_near(t[1], 1e-3, 1e-18);
    assert_float_near(t[2], 1, 1e-15);
    assert_float_near(t[3], 1e3, 1e-12);
    /* 0.03 .. 0.8 holds one power (0.1): 0.05, 0.1, 0.2, 0.5 */
    assert_int_equal(sm_plot_log_ticks(0.03, 0.8, t, 8), 4);
    assert_float_near(t[0], 0.05, 1e-15);
    assert_float_near(t[1], 0.1, 1e-15);
    assert_float_near(t[2], 0.2, 1e-15);
    assert_float_near(t[3], 0.5, 1e-15);
    /* 1.1 .. 1.9 holds none of 1, 2, 5: linear ticks 1.2, 1.4, 1.6, 1.8 */
    assert_int_equal(sm_plot_log_ticks(1.1, 1.9, t, 8), 4);
    assert_float_near(t[0], 1.2, 1e-12);
    assert_float_near(t[3], 1.8, 1e-12);
    /* bad input */
    assert_int_equal(sm_plot_log_ticks(0, 1, t, 8), 0);
    assert_int_equal(sm_plot_log_ticks(1, 0.5, t, 8), 0);
    assert_int_equal(sm_plot_log_ticks(0.1, 1, t, 0), 0);
}

/* A log y axis over [0.01, 1]: y = 0.1 lands half way up, y = 0.01 at the bottom; a point
 * at y <= 0 is missing; the automatic range pads 5% of the decades. */
static void log_axis_puts_decades_at_equal_heights(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = join(dir, "log.png");
    sm_plot_spec sp;
    plain_spec(&sp);
    sp.ymin = 0.01;
    sp.ymax = 1;
    sp.ylog = 1;
    static const double tenth11[] = {.1, .1, .1, .1, .1, .1, .1, .1, .1, .1, .1};
    double y2[11];
    for (int i = 0; i < 11; i++)
        y2[i] = 0.5;
    y2[5] = 0; /* missing on a log axis: the line breaks at x = 5 */
    sm_plot_series s[2] = {
        {.x = xs11, .y = tenth11, .n = 11, .style = SM_PLOT_LINE, .color = SM_PLOT_VERMILLION},
        {.x = xs11, .y = y2, .n = 11, .style = SM_PLOT_LINE, .color = SM_PLOT_BLUE}};
    sm_plot_frame f;
    sm_error err;
    assert_int_equal(sm_plot_lines_frame(&sp, s, 2, &f, &err), SM_OK);
    assert_float_near(f.ymin, 0.01, 0);
    assert_float_near(f.ymax, 1, 0);
    assert_int_equal(sm_plot_lines(path, &sp, s, 2, &err), SM_OK);
    image im = load_png(path);
    uint32_t red = sm_plot_palette_rgb(SM_PLOT_VERMILLION),
             blue = sm_plot_palette_rgb(SM_PLOT_BLUE);
    /* log10: 0.1 is half way between 0.01 and 1; 0.5 is log10(50)/2 = 0.849 of the way */
    const int mid = (int)floor(f.bottom - 0.5 * (f.bottom - f.top));
    const int b5 = (int)floor(f.bottom - 0.5 * log10(50.0) * (f.bottom - f.top));
    int cols = 0, hits = 0;
    for (int x = (int)f.left + 3; x < (int)f.right - 3; x++) {
        cols++;
        hits += column_has(&im, x, mid - 1, mid + 1, red, 3);
        /* not where a linear axis would put 0.1 (10% of the way up) */
        const int lin = (int)floor(f.bottom - (0.1 - 0.01) / 0.99 * (f.bottom - f.top));
        assert_false(column_has(&im, x, lin - 1, lin + 1, red, 40));
    }
    assert_int_equal(hits, cols);
    /* the blue line is on its row left of x = 4 and right of x = 6, absent around x = 5 */
    const double px4 = f.left + 0.4 * (f.right - f.left), px6 = f.left + 0.6 * (f.right - f.left);
    assert_true(column_has(&im, (int)px4 - 5, b5 - 1, b5 + 1, blue, 3));
    assert_true(column_has(&im, (int)px6 + 5, b5 - 1, b5 + 1, blue, 3));
    assert_false(column_has(&im, (int)(f.left + 0.5 * (f.right - f.left)), (int)f.top,
                            (int)f.bottom, blue, 40));
    free_image(&im);
    /* automatic range: data 0.01 .. 1 padded by 5% of its two decades each side */
    sp.ymin = sp.ymax = NAN;
    static const double ramp[3] = {0.01, 0.1, 1};
    sm_plot_series r = {.y = ramp, .n = 3, .style = SM_PLOT_LINE};
    assert_int_equal(sm_plot_lines_frame(&sp, &r, 1, &f, &err), SM_OK);
    assert_float_near(f.ymin, pow(10, -2.1), 1e-15);
    assert_float_near(f.ymax, pow(10, 0.1), 1e-12);
    /* bad input: a range end <= 0, or a flag other than 0/1 */
    assert_int_equal(remove(path), 0);
    sp.ymin = 0;
    assert_int_equal(sm_plot_lines(path, &sp, &r, 1, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "logarithmic"));
    sp.ymin = NAN;
    sp.ylog = 2;
    assert_int_equal(sm_plot_lines(path, &sp, &r, 1, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "ylog"));
    assert_int_equal(tu_count_entries(dir), 0);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

static void palette_is_okabe_ito(void **state)
{
    (void)state;
    assert_int_equal(sm_plot_palette_rgb(SM_PLOT_BLUE), 0x0072B2);
    assert_int_equal(sm_plot_palette_rgb(SM_PLOT_ORANGE), 0xE69F00);
    assert_int_equal(sm_plot_palette_rgb(SM_PLOT_GREEN), 0x009E73);
    assert_int_equal(sm_plot_palette_rgb(SM_PLOT_VERMILLION), 0xD55E00);
    assert_int_equal(sm_plot_palette_rgb(SM_PLOT_PURPLE), 0xCC79A7);
    assert_int_equal(sm_plot_palette_rgb(SM_PLOT_SKY), 0x56B4E9);
    assert_int_equal(sm_plot_palette_rgb(SM_PLOT_BLACK), 0x000000);
    assert_int_equal(sm_plot_palette_rgb(SM_PLOT_YELLOW), 0xF0E442);
    assert_int_equal(sm_plot_palette_rgb(0), 0x0072B2);
    assert_int_equal(sm_plot_palette_rgb(99), 0x0072B2);
}

/* ------------------------------------------------------------------------------------
 * Line plots
 * ---------------------------------------------------------------------------------- */

static void png_has_signature_and_requested_size(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = join(dir, "fig.png");
    sm_plot_spec sp;
    sm_plot_spec_default(&sp);
    sp.width = 640;
    sp.height = 420;
    sp.title = "title";
    sp.xlabel = "x";
    sp.ylabel = "y";
    sm_plot_series s = {.label = "half", .y = half11, .n = 11};
    sm_error err;
    assert_int_equal(sm_plot_lines(path, &sp, &s, 1, &err), SM_OK);

    char *data;
    size_t len;
    assert_int_equal(sm_read_file(path, &data, &len, NULL), SM_OK);
    assert_true(len > 33);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    assert_memory_equal(data, sig, 8);
    assert_memory_equal(data + 12, "IHDR", 4);
    const unsigned char *u = (const unsigned char *)data;
    unsigned w = (unsigned)u[16] << 24 | (unsigned)u[17] << 16 | (unsigned)u[18] << 8 | u[19];
    unsigned h = (unsigned)u[20] << 24 | (unsigned)u[21] << 16 | (unsigned)u[22] << 8 | u[23];
    assert_int_equal(w, 640);
    assert_int_equal(h, 420);
    free(data);

    image im = load_png(path);
    assert_int_equal(im.w, 640);
    assert_int_equal(im.h, 420);
    free_image(&im);
    /* only the final file: the temporary one was renamed */
    assert_int_equal(tu_count_entries(dir), 1);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* Two horizontal lines, y = 0.5 in vermillion and y = 0.25 in blue, land on the rows
 * the frame maps them to, along the whole width of the plot area, and nowhere else. */
static void horizontal_lines_land_on_their_rows(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = join(dir, "lines.png");
    sm_plot_spec sp;
    plain_spec(&sp);
    sm_plot_series s[2] = {
        {.x = xs11, .y = half11, .n = 11, .style = SM_PLOT_LINE, .color = SM_PLOT_VERMILLION},
        {.x = xs11, .y = quarter11, .n = 11, .style = SM_PLOT_LINE, .color = SM_PLOT_BLUE}};
    sm_plot_frame f;
    sm_error err;
    assert_int_equal(sm_plot_lines_frame(&sp, s, 2, &f, &err), SM_OK);
    assert_float_near(f.xmin, 0, 0);
    assert_float_near(f.xmax, 10, 0);
    assert_float_near(f.ymin, 0, 0);
    assert_float_near(f.ymax, 1, 0);
    assert_true(f.left > 0 && f.right < 800 && f.left < f.right);
    assert_true(f.top > 0 && f.bottom < 500 && f.top < f.bottom);
    assert_int_equal(sm_plot_lines(path, &sp, s, 2, &err), SM_OK);

    image im = load_png(path);
    uint32_t red = sm_plot_palette_rgb(SM_PLOT_VERMILLION),
             blue = sm_plot_palette_rgb(SM_PLOT_BLUE);
    int mid = (int)floor(fy(&f, 0.5)), q = (int)floor(fy(&f, 0.25));
    assert_true(q - mid > 50);
    int cols = 0, hits_red = 0, hits_blue = 0;
    for (int x = (int)f.left + 3; x < (int)f.right - 3; x++) {
        cols++;
        hits_red += column_has(&im, x, mid - 1, mid + 1, red, 3);
        hits_blue += column_has(&im, x, q - 1, q + 1, blue, 3);
        /* and not on the other line's row, nor far above */
        assert_false(column_has(&im, x, q - 1, q + 1, red, 40));
        assert_false(column_has(&im, x, mid - 1, mid + 1, blue, 40));
        assert_false(column_has(&im, x, (int)fy(&f, 0.9) - 1, (int)fy(&f, 0.9) + 1, red, 40));
    }
    assert_int_equal(hits_red, cols);
    assert_int_equal(hits_blue, cols);
    /* nothing red outside the plot area (the line is clipped to it) */
    for (int y = 0; y < im.h; y++) {
        assert_false(near_rgb(pixel(&im, (int)f.left - 3, y), red, 40));
        assert_false(near_rgb(pixel(&im, (int)f.right + 3, y), red, 40));
    }
    free_image(&im);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* Sleep episodes [2, 4) and [7, 7.5) shade their x range grey over the full height. */
static void bands_are_grey_in_their_x_range(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = join(dir, "bands.png");
    sm_plot_spec sp;
    plain_spec(&sp);
    const double bs[] = {2, 7}, be[] = {4, 7.5};
    sp.band_start = bs;
    sp.band_end = be;
    sp.n_bands = 2;
    const double top[] = {.95, .95};
    const double ends[] = {0, 10};
    sm_plot_series s = {.x = ends, .y = top, .n = 2, .style = SM_PLOT_LINE};
    sm_plot_frame f;
    assert_int_equal(sm_plot_lines_frame(&sp, &s, 1, &f, NULL), SM_OK);
    assert_int_equal(sm_plot_lines(path, &sp, &s, 1, NULL), SM_OK);
    image im = load_png(path);
    const uint32_t grey = 0xD9D9D9; /* 0.85 * 255 = 216.75 */
    for (int y = (int)fy(&f, 0.8); y <= (int)fy(&f, 0.05); y += 7) {
        for (int x = (int)ceil(fx(&f, 2)) + 1; x < (int)fx(&f, 4) - 1; x++)
            assert_true(near_rgb(pixel(&im, x, y), grey, 1));
        for (int x = (int)ceil(fx(&f, 7)) + 1; x < (int)fx(&f, 7.5) - 1; x++)
            assert_true(near_rgb(pixel(&im, x, y), grey, 1));
        /* outside the bands: white */
        for (double xv = 0.5; xv < 10; xv += 0.5) {
            if ((xv >= 1.9 && xv <= 4.1) || (xv >= 6.9 && xv <= 7.6)) continue;
            assert_int_equal(pixel(&im, (int)fx(&f, xv), y), 0xFFFFFF);
        }
    }
    free_image(&im);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* A NaN point breaks the line: no line between x = 4 and x = 6. */
static void nan_points_leave_a_gap(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = join(dir, "gap.png");
    sm_plot_spec sp;
    plain_spec(&sp);
    double y[11];
    memcpy(y, half11, sizeof y);
    y[5] = NAN;
    sm_plot_series s = {.x = xs11, .y = y, .n = 11, .style = SM_PLOT_LINE, .color = SM_PLOT_GREEN};
    sm_plot_frame f;
    assert_int_equal(sm_plot_lines_frame(&sp, &s, 1, &f, NULL), SM_OK);
    assert_int_equal(sm_plot_lines(path, &sp, &s, 1, NULL), SM_OK);
    image im = load_png(path);
    uint32_t green = sm_plot_palette_rgb(SM_PLOT_GREEN);
    int mid = (int)floor(fy(&f, 0.5));
    for (int x = (int)fx(&f, 4) + 2; x < (int)fx(&f, 6) - 2; x++)
        assert_false(column_has(&im, x, mid - 3, mid + 3, green, 60));
    for (int x = (int)fx(&f, 1); x < (int)fx(&f, 3); x++)
        assert_true(column_has(&im, x, mid - 1, mid + 1, green, 3));
    for (int x = (int)fx(&f, 7); x < (int)fx(&f, 9); x++)
        assert_true(column_has(&im, x, mid - 1, mid + 1, green, 3));
    free_image(&im);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* One point (5, 0.5) +- 0.2: a vertical bar from 0.3 to 0.7 with horizontal caps. */
static void error_bars_span_the_interval_with_caps(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = join(dir, "bars.png");
    sm_plot_spec sp;
    plain_spec(&sp);
    const double x = 5, y = 0.5, e = 0.2;
    sm_plot_series s = {
        .x = &x, .y = &y, .err_lo = &e, .n = 1, .style = SM_PLOT_ERRBARS, .color = SM_PLOT_BLACK};
    sm_plot_frame f;
    assert_int_equal(sm_plot_lines_frame(&sp, &s, 1, &f, NULL), SM_OK);
    assert_int_equal(sm_plot_lines(path, &sp, &s, 1, NULL), SM_OK);
    image im = load_png(path);
    int cx = (int)floor(fx(&f, 5));
    /* the bar: dark along its length (1.4 px wide, so the centre column is dark) */
    for (int yy = (int)fy(&f, 0.68); yy <= (int)fy(&f, 0.32); yy++) {
        assert_true((pixel(&im, cx, yy) & 0xFF) < 128 || (pixel(&im, cx - 1, yy) & 0xFF) < 128);
    }
    /* caps: 3 px either side of the bar at both ends */
    for (int d = -3; d <= 3; d++) {
        assert_true(column_has(&im, cx + d, (int)fy(&f, 0.7) - 1, (int)fy(&f, 0.7) + 1, 0, 90));
        assert_true(column_has(&im, cx + d, (int)fy(&f, 0.3) - 1, (int)fy(&f, 0.3) + 1, 0, 90));
    }
    /* nothing beyond the ends */
    assert_int_equal(pixel(&im, cx, (int)fy(&f, 0.8)), 0xFFFFFF);
    assert_int_equal(pixel(&im, cx, (int)fy(&f, 0.2)), 0xFFFFFF);
    /* nothing away from the bar in the middle row */
    assert_int_equal(pixel(&im, cx + 10, (int)fy(&f, 0.5)), 0xFFFFFF);
    free_image(&im);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* A band series shades y +- err in a light tint of its colour. */
static void error_band_is_a_light_tint(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = join(dir, "band.png");
    sm_plot_spec sp;
    plain_spec(&sp);
    const double e[11] = {.2, .2, .2, .2, .2, .2, .2, .2, .2, .2, .2};
    sm_plot_series s = {
        .x = xs11, .y = half11, .err_lo = e, .n = 11, .style = SM_PLOT_BAND, .color = SM_PLOT_BLUE};
    sm_plot_frame f;
    assert_int_equal(sm_plot_lines_frame(&sp, &s, 1, &f, NULL), SM_OK);
    assert_int_equal(sm_plot_lines(path, &sp, &s, 1, NULL), SM_OK);
    image im = load_png(path);
    /* 22% blue over white: 255 - 0.22 * (255 - c) per channel */
    uint32_t tint = 0;
    uint32_t b = sm_plot_palette_rgb(SM_PLOT_BLUE);
    for (int sh = 16; sh >= 0; sh -= 8) {
        int c = (int)((b >> sh) & 255);
        tint |= (uint32_t)lround(255 - 0.22 * (255 - c)) << sh;
    }
    int x = (int)fx(&f, 3);
    assert_true(near_rgb(pixel(&im, x, (int)fy(&f, 0.6)), tint, 2));
    assert_true(near_rgb(pixel(&im, x, (int)fy(&f, 0.4)), tint, 2));
    assert_int_equal(pixel(&im, x, (int)fy(&f, 0.8)), 0xFFFFFF);
    assert_int_equal(pixel(&im, x, (int)fy(&f, 0.2)), 0xFFFFFF);
    free_image(&im);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

static void auto_ranges_pad_the_data_and_error_bars(void **state)
{
    (void)state;
    sm_plot_spec sp;
    sm_plot_spec_default(&sp);
    const double x[] = {0, 10}, y[] = {0.2, 0.8}, e[] = {0, 0.1};
    sm_plot_series s = {.x = x, .y = y, .n = 2};
    sm_plot_frame f;
    assert_int_equal(sm_plot_lines_frame(&sp, &s, 1, &f, NULL), SM_OK);
    assert_float_near(f.xmin, -0.5, 1e-12);
    assert_float_near(f.xmax, 10.5, 1e-12);
    assert_float_near(f.ymin, 0.17, 1e-12);
    assert_float_near(f.ymax, 0.83, 1e-12);
    /* error bars widen the range: data [0.2, 0.9] */
    s.err_lo = e;
    assert_int_equal(sm_plot_lines_frame(&sp, &s, 1, &f, NULL), SM_OK);
    assert_float_near(f.ymin, 0.2 - 0.035, 1e-12);
    assert_float_near(f.ymax, 0.9 + 0.035, 1e-12);
    /* a fixed end is kept, the other stays automatic */
    sp.ymin = 0;
    assert_int_equal(sm_plot_lines_frame(&sp, &s, 1, &f, NULL), SM_OK);
    assert_float_near(f.ymin, 0, 0);
    assert_float_near(f.ymax, 0.935, 1e-12);
    /* bands extend the x range */
    sm_plot_spec_default(&sp);
    const double bs = 12, be = 20;
    sp.band_start = &bs;
    sp.band_end = &be;
    sp.n_bands = 1;
    assert_int_equal(sm_plot_lines_frame(&sp, &s, 1, &f, NULL), SM_OK);
    assert_float_near(f.xmin, -1, 1e-12);
    assert_float_near(f.xmax, 21, 1e-12);
    /* a constant series gets a non-empty range; no data at all gives [0, 1] */
    sm_plot_spec_default(&sp);
    sm_plot_series c = {.y = half11, .n = 11};
    assert_int_equal(sm_plot_lines_frame(&sp, &c, 1, &f, NULL), SM_OK);
    assert_true(f.ymin < 0.5 && f.ymax > 0.5);
    assert_float_near(f.xmin, -0.5, 1e-12); /* x defaults to 0 .. n-1 */
    assert_float_near(f.xmax, 10.5, 1e-12);
    assert_int_equal(sm_plot_lines_frame(&sp, NULL, 0, &f, NULL), SM_OK);
    assert_float_near(f.ymin, 0, 0);
    assert_float_near(f.ymax, 1, 0);
}

static int boxes_overlap(const sm_plot_frame *f, double x, double y)
{
    return x >= f->legend_x && x <= f->legend_x + f->legend_w && y >= f->legend_y &&
           y <= f->legend_y + f->legend_h;
}

static void legend_avoids_the_data(void **state)
{
    (void)state;
    sm_plot_spec sp;
    sm_plot_spec_default(&sp);
    /* rising line: top-right and bottom-left are taken, top-left is free */
    const double up[] = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
    sm_plot_series s = {.label = "rising", .x = xs11, .y = up, .n = 11};
    sm_plot_frame f;
    assert_int_equal(sm_plot_lines_frame(&sp, &s, 1, &f, NULL), SM_OK);
    assert_int_equal(f.legend, SM_PLOT_LEGEND_INSIDE);
    assert_true(f.legend_x < (f.left + f.right) / 2);
    assert_true(f.legend_y < (f.top + f.bottom) / 2);
    for (int j = 0; j < 11; j++)
        assert_false(boxes_overlap(&f, fx(&f, xs11[j]), fy(&f, up[j])));
    /* flat line at the top: the legend goes to the bottom-right corner */
    const double high[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    s.y = high;
    sp.ymin = 0;
    sp.ymax = 1.1;
    assert_int_equal(sm_plot_lines_frame(&sp, &s, 1, &f, NULL), SM_OK);
    sp.ymin = sp.ymax = NAN;
    assert_int_equal(f.legend, SM_PLOT_LEGEND_INSIDE);
    assert_true(f.legend_y > (f.top + f.bottom) / 2);
    assert_true(f.legend_x > (f.left + f.right) / 2);
    /* a path through all four corners: the legend moves outside, right of the plot */
    const double zig[] = {0, 1, 1, 0, 0, 1, 1, 0};
    const double xz[] = {0, 0, 0.5, 0.5, 9.5, 9.5, 10, 10};
    s.x = xz;
    s.y = zig;
    s.n = 8;
    sm_plot_frame g;
    assert_int_equal(sm_plot_lines_frame(&sp, &s, 1, &g, NULL), SM_OK);
    assert_int_equal(g.legend, SM_PLOT_LEGEND_OUTSIDE);
    assert_true(g.legend_x >= g.right);
    assert_true(g.legend_x + g.legend_w <= g.width);
    assert_true(g.right < f.right); /* the plot area made room */
    /* unlabelled series: no legend at all */
    s.label = NULL;
    assert_int_equal(sm_plot_lines_frame(&sp, &s, 1, &g, NULL), SM_OK);
    assert_int_equal(g.legend, SM_PLOT_LEGEND_NONE);
    assert_float_near(g.legend_w, 0, 0);
}

/* Everything at once (all styles, markers, bands, legend with a band entry, text with
 * UTF-8), empty series and no series at all render without error. */
static void every_feature_renders(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = join(dir, "all.png");
    sm_plot_spec sp;
    sm_plot_spec_default(&sp);
    sp.title = "Accuracy \xc2\xb1 sd \xe2\x80\x94 all styles";
    sp.xlabel = "sleep rate";
    sp.ylabel = "accuracy";
    const double bs = 3, be = 4;
    sp.band_start = &bs;
    sp.band_end = &be;
    sp.n_bands = 1;
    sp.band_label = "sleep";
    double y[7][11], e[11];
    sm_plot_series s[8];
    memset(s, 0, sizeof s);
    for (int j = 0; j < 11; j++)
        e[j] = j % 3 == 0 ? NAN : 0.02;
    for (int i = 0; i < 7; i++) {
        for (int j = 0; j < 11; j++)
            y[i][j] = 0.1 * i + 0.02 * j;
        s[i].x = xs11;
        s[i].y = y[i];
        s[i].err_lo = e;
        s[i].n = 11;
        s[i].label = "series";
        s[i].dashed = i % 2;
    }
    s[1].style = SM_PLOT_LINE | SM_PLOT_BAND;
    s[2].style = SM_PLOT_MARKERS | SM_PLOT_ERRBARS;
    s[3].style = SM_PLOT_ERRBARS;
    s[4].style = SM_PLOT_BAND;
    s[5].marker = SM_PLOT_TRIANGLE_DOWN;
    s[6].color = SM_PLOT_YELLOW;
    s[7].label = "empty"; /* n = 0, y = NULL */
    sm_error err;
    assert_int_equal(sm_plot_lines(path, &sp, s, 8, &err), SM_OK);
    image im = load_png(path);
    /* every series that draws in full colour shows up (4 is a band: a tint only) */
    for (int i = 0; i < 6; i++)
        if (i != 4) assert_true(count_color(&im, sm_plot_palette_rgb(1 + i), 2) > 20);
    assert_true(count_color(&im, sm_plot_palette_rgb(SM_PLOT_YELLOW), 2) > 20);
    free_image(&im);
    for (int legend = SM_PLOT_LEGEND_AUTO; legend <= SM_PLOT_LEGEND_OUTSIDE; legend++) {
        sp.legend = legend;
        assert_int_equal(sm_plot_lines(path, &sp, s, 8, &err), SM_OK);
    }
    assert_int_equal(sm_plot_lines(path, &sp, NULL, 0, &err), SM_OK);
    sp.width = sp.height = 100; /* the smallest figure still works */
    assert_int_equal(sm_plot_lines(path, &sp, s, 8, &err), SM_OK);
    assert_int_equal(tu_count_entries(dir), 1);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

static void same_input_gives_the_same_bytes(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *p1 = join(dir, "one.png"), *p2 = join(dir, "two.png");
    sm_plot_spec sp;
    sm_plot_spec_default(&sp);
    sp.title = "determinism";
    sp.xlabel = "batch";
    sp.ylabel = "accuracy";
    const double e[11] = {.01, .02, .03, .01, .02, .03, .01, .02, .03, .01, .02};
    sm_plot_series s[2] = {{.label = "a", .y = half11, .err_lo = e, .n = 11},
                           {.label = "b", .x = xs11, .y = quarter11, .n = 11, .dashed = 1}};
    assert_int_equal(sm_plot_lines(p1, &sp, s, 2, NULL), SM_OK);
    assert_int_equal(sm_plot_lines(p2, &sp, s, 2, NULL), SM_OK);
    char *a, *b;
    size_t na, nb;
    assert_int_equal(sm_read_file(p1, &a, &na, NULL), SM_OK);
    assert_int_equal(sm_read_file(p2, &b, &nb, NULL), SM_OK);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
    /* and a different input gives different bytes */
    s[1].dashed = 0;
    assert_int_equal(sm_plot_lines(p2, &sp, s, 2, NULL), SM_OK);
    assert_int_equal(sm_read_file(p2, &b, &nb, NULL), SM_OK);
    assert_int_equal(sm_read_file(p1, &a, &na, NULL), SM_OK);
    assert_true(na != nb || memcmp(a, b, na) != 0);
    free(a);
    free(b);

    float tiles[2 * 6] = {0, 1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 0};
    sm_plot_grid_spec g;
    sm_plot_grid_spec_default(&g);
    g.title = "grid";
    assert_int_equal(sm_plot_image_grid(p1, tiles, 2, 3, 2, &g, NULL), SM_OK);
    assert_int_equal(sm_plot_image_grid(p2, tiles, 2, 3, 2, &g, NULL), SM_OK);
    assert_int_equal(sm_read_file(p1, &a, &na, NULL), SM_OK);
    assert_int_equal(sm_read_file(p2, &b, &nb, NULL), SM_OK);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
    free(p1);
    free(p2);
    tu_rmtree(dir);
    free(dir);
}

/* Runs one failing call: the status, the path in the message, and no file (final or
 * temporary) in the directory. */
#define EXPECT_FAIL(call, want, dir, path, err)                                                    \
    do {                                                                                           \
        sm_error_clear(&(err));                                                                    \
        assert_int_equal((call), (want));                                                          \
        assert_int_equal((err).code, (want));                                                      \
        assert_non_null(strstr((err).msg, (path)));                                                \
        assert_int_equal(tu_count_entries(dir), 0);                                                \
    } while (0)

static void bad_input_is_rejected_naming_the_path(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = join(dir, "bad.png");
    sm_plot_spec sp;
    sm_plot_spec_default(&sp);
    sm_error err;
    sm_plot_series s = {.label = "acc", .y = half11, .n = -1};
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, 1, &err), SM_EINVAL, dir, path, err);
    assert_non_null(strstr(err.msg, "n = -1"));
    assert_non_null(strstr(err.msg, "acc"));
    s.n = 11;
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, -2, &err), SM_EINVAL, dir, path, err);
    EXPECT_FAIL(sm_plot_lines(path, &sp, NULL, 1, &err), SM_EINVAL, dir, path, err);
    EXPECT_FAIL(sm_plot_lines(path, NULL, &s, 1, &err), SM_EINVAL, dir, path, err);
    s.y = NULL;
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, 1, &err), SM_EINVAL, dir, path, err);
    double y[11];
    memcpy(y, half11, sizeof y);
    y[4] = INFINITY;
    s.y = y;
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, 1, &err), SM_ENUMERIC, dir, path, err);
    assert_non_null(strstr(err.msg, "y[4]"));
    y[4] = 0.5;
    double e[11] = {0};
    e[2] = -0.1;
    s.err_lo = e;
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, 1, &err), SM_EINVAL, dir, path, err);
    assert_non_null(strstr(err.msg, "err_lo[2]"));
    s.err_lo = NULL;
    s.style = 64;
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, 1, &err), SM_EINVAL, dir, path, err);
    s.style = 0;
    s.color = 9;
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, 1, &err), SM_EINVAL, dir, path, err);
    s.color = 0;
    s.marker = -1;
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, 1, &err), SM_EINVAL, dir, path, err);
    s.marker = 0;

    sp.ymin = INFINITY;
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, 1, &err), SM_ENUMERIC, dir, path, err);
    assert_non_null(strstr(err.msg, "ymin"));
    sp.ymin = 1;
    sp.ymax = 1;
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, 1, &err), SM_EINVAL, dir, path, err);
    sp.ymin = sp.ymax = NAN;
    sp.xmax = -INFINITY;
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, 1, &err), SM_ENUMERIC, dir, path, err);
    sp.xmax = NAN;
    sp.width = 99;
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, 1, &err), SM_EINVAL, dir, path, err);
    sp.width = 800;
    sp.height = 20000;
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, 1, &err), SM_EINVAL, dir, path, err);
    sp.height = 500;
    sp.legend = 7;
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, 1, &err), SM_EINVAL, dir, path, err);
    sp.legend = SM_PLOT_LEGEND_AUTO;
    const double bs[] = {5, 1}, be[] = {6, 0.5};
    sp.band_start = bs;
    sp.band_end = be;
    sp.n_bands = 2;
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, 1, &err), SM_EINVAL, dir, path, err);
    assert_non_null(strstr(err.msg, "band 1"));
    sp.band_end = NULL;
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, 1, &err), SM_EINVAL, dir, path, err);
    sp.n_bands = -1;
    EXPECT_FAIL(sm_plot_lines(path, &sp, &s, 1, &err), SM_EINVAL, dir, path, err);
    sp.n_bands = 0;

    /* the same input is fine: the checks above were the only problems */
    assert_int_equal(sm_plot_lines(path, &sp, &s, 1, &err), SM_OK);
    assert_int_equal(tu_count_entries(dir), 1);
    remove(path);

    /* a directory that does not exist: an I/O error naming the path, nothing created */
    char *missing = join(dir, "no/such/dir/fig.png");
    EXPECT_FAIL(sm_plot_lines(missing, &sp, &s, 1, &err), SM_EIO, dir, missing, err);
    free(missing);
    /* a path that is a directory */
    EXPECT_FAIL(sm_plot_lines(dir, &sp, &s, 1, &err), SM_EIO, dir, dir, err);
    assert_int_equal(sm_plot_lines(NULL, &sp, &s, 1, &err), SM_EINVAL);

    /* image grids */
    float t[6] = {0, 1, 2, 3, 4, 5};
    sm_plot_grid_spec g;
    sm_plot_grid_spec_default(&g);
    EXPECT_FAIL(sm_plot_image_grid(path, t, 0, 3, 2, &g, &err), SM_EINVAL, dir, path, err);
    EXPECT_FAIL(sm_plot_image_grid(path, t, -1, 3, 2, &g, &err), SM_EINVAL, dir, path, err);
    EXPECT_FAIL(sm_plot_image_grid(path, t, 1, 0, 2, &g, &err), SM_EINVAL, dir, path, err);
    EXPECT_FAIL(sm_plot_image_grid(path, NULL, 1, 3, 2, &g, &err), SM_EINVAL, dir, path, err);
    t[4] = NAN;
    EXPECT_FAIL(sm_plot_image_grid(path, t, 1, 3, 2, &g, &err), SM_ENUMERIC, dir, path, err);
    assert_non_null(strstr(err.msg, "tile 0 pixel (row 1, column 1)"));
    t[4] = 4;
    g.gap = -1;
    EXPECT_FAIL(sm_plot_image_grid(path, t, 1, 3, 2, &g, &err), SM_EINVAL, dir, path, err);
    g.gap = 2;
    g.scale = 64;
    EXPECT_FAIL(sm_plot_image_grid(path, t, 1, 3000, 2, &g, &err), SM_EINVAL, dir, path, err);
    g.scale = 0;
    missing = join(dir, "no/such/dir/grid.png");
    EXPECT_FAIL(sm_plot_image_grid(missing, t, 1, 3, 2, &g, &err), SM_EIO, dir, missing, err);
    free(missing);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* A failed call leaves an existing file alone; a successful one replaces it. */
static void existing_file_is_replaced_only_on_success(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_write_file(dir, "fig.png", "old", 3);
    sm_plot_spec sp;
    sm_plot_spec_default(&sp);
    sm_plot_series s = {.y = half11, .n = -5};
    assert_int_equal(sm_plot_lines(path, &sp, &s, 1, NULL), SM_EINVAL);
    char *data;
    size_t len;
    assert_int_equal(sm_read_file(path, &data, &len, NULL), SM_OK);
    assert_int_equal(len, 3);
    free(data);
    s.n = 11;
    assert_int_equal(sm_plot_lines(path, &sp, &s, 1, NULL), SM_OK);
    assert_int_equal(sm_read_file(path, &data, &len, NULL), SM_OK);
    assert_true(len > 1000);
    assert_memory_equal(data + 1, "PNG", 3);
    free(data);
    assert_int_equal(tu_count_entries(dir), 1);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------------------------------------------
 * Image grids
 * ---------------------------------------------------------------------------------- */

/* Three 4 x 3 tiles in 2 columns at scale 3: a single bright pixel, a ramp, a constant. */
static void image_grid_pixels_match_the_normalized_tiles(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = join(dir, "grid.png");
    enum { TW = 4, TH = 3, NP = TW * TH };
    float t[3 * NP];
    for (int p = 0; p < NP; p++) {
        t[p] = -2.0f;          /* tile 0: all -2 ... */
        t[NP + p] = 10.0f + p; /* tile 1: ramp 10 .. 21 */
        t[2 * NP + p] = 7.5f;  /* tile 2: constant */
    }
    t[1 * TW + 2] = 3.0f; /* ... but pixel (row 1, column 2) */
    sm_plot_grid_spec g;
    sm_plot_grid_spec_default(&g);
    g.columns = 2;
    g.scale = 3;
    g.gap = 2;
    g.margin = 4;
    sm_plot_grid_frame f;
    sm_error err;
    assert_int_equal(sm_plot_image_grid_frame(3, TW, TH, &g, &f, &err), SM_OK);
    assert_int_equal(f.columns, 2);
    assert_int_equal(f.rows, 2);
    assert_int_equal(f.scale, 3);
    assert_int_equal(f.width, 4 + 12 + 2 + 12 + 4);
    assert_int_equal(f.height, 4 + 9 + 2 + 9 + 4);
    assert_int_equal(f.x0, 4);
    assert_int_equal(f.y0, 4);
    assert_int_equal(f.pitch_x, 14);
    assert_int_equal(f.pitch_y, 11);
    assert_int_equal(sm_plot_image_grid(path, t, 3, TW, TH, &g, &err), SM_OK);

    image im = load_png(path);
    assert_int_equal(im.w, f.width);
    assert_int_equal(im.h, f.height);
    for (int k = 0; k < 3; k++) {
        int ox = f.x0 + (k % 2) * f.pitch_x, oy = f.y0 + (k / 2) * f.pitch_y;
        for (int r = 0; r < TH; r++)
            for (int c = 0; c < TW; c++) {
                uint32_t want;
                if (k == 0)
                    want = (r == 1 && c == 2) ? 255 : 0;
                else if (k == 1)
                    want = (uint32_t)lround(255.0 * (r * TW + c) / 11.0);
                else
                    want = 128;
                want = want << 16 | want << 8 | want;
                for (int dy = 0; dy < 3; dy++)
                    for (int dx = 0; dx < 3; dx++)
                        assert_int_equal(pixel(&im, ox + 3 * c + dx, oy + 3 * r + dy), want);
            }
    }
    /* gaps, margins and the empty fourth cell are white */
    for (int y = 0; y < im.h; y++) {
        assert_int_equal(pixel(&im, 0, y), 0xFFFFFF);
        assert_int_equal(pixel(&im, f.x0 + 12, y), 0xFFFFFF);
        assert_int_equal(pixel(&im, f.x0 + 13, y), 0xFFFFFF);
    }
    assert_int_equal(pixel(&im, f.x0 + f.pitch_x + 5, f.y0 + f.pitch_y + 4), 0xFFFFFF);
    free_image(&im);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

static void image_grid_automatic_layout_and_title(void **state)
{
    (void)state;
    sm_plot_grid_frame f, ft;
    /* 200 tiles of 15 x 15: 15 columns, 14 rows; scale = (1000 - 20 - 28) / 225 = 4 */
    assert_int_equal(sm_plot_image_grid_frame(200, 15, 15, NULL, &f, NULL), SM_OK);
    assert_int_equal(f.columns, 15);
    assert_int_equal(f.rows, 14);
    assert_int_equal(f.scale, 4);
    assert_int_equal(f.width, 20 + 15 * 60 + 14 * 2);
    assert_int_equal(f.height, 20 + 14 * 60 + 13 * 2);
    sm_plot_grid_spec g;
    sm_plot_grid_spec_default(&g);
    g.title = "S->E weights";
    assert_int_equal(sm_plot_image_grid_frame(200, 15, 15, &g, &ft, NULL), SM_OK);
    assert_true(ft.y0 > f.y0 + 15);
    assert_int_equal(ft.height - f.height, ft.y0 - f.y0);
    assert_int_equal(ft.width, f.width);
    /* a perfect square count, and one large tile capped at scale 16 */
    assert_int_equal(sm_plot_image_grid_frame(16, 15, 15, NULL, &f, NULL), SM_OK);
    assert_int_equal(f.columns, 4);
    assert_int_equal(f.rows, 4);
    assert_int_equal(sm_plot_image_grid_frame(1, 2, 2, NULL, &f, NULL), SM_OK);
    assert_int_equal(f.scale, 16);

    /* the title is drawn: dark pixels above the first tile row */
    char *dir = tu_mkdtemp();
    char *path = join(dir, "grid.png");
    float *t = calloc(200 * 225, sizeof *t);
    for (int k = 0; k < 200; k++)
        t[k * 225 + k % 225] = 1;
    assert_int_equal(sm_plot_image_grid(path, t, 200, 15, 15, &g, NULL), SM_OK);
    image im = load_png(path);
    int dark = 0;
    for (int y = 0; y < ft.y0 - 2; y++)
        for (int x = 0; x < im.w; x++)
            dark += (pixel(&im, x, y) & 0xFF) < 100;
    assert_true(dark > 30);
    free_image(&im);
    free(t);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* Releasing the font caches mid-run is allowed: the next figure rebuilds them and
 * comes out byte-identical. */
static void plotting_after_releasing_the_caches(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *p1 = join(dir, "before.png"), *p2 = join(dir, "after.png");
    sm_plot_spec sp;
    sm_plot_spec_default(&sp);
    sp.title = "caches";
    sm_plot_series s = {.label = "half", .y = half11, .n = 11};
    assert_int_equal(sm_plot_lines(p1, &sp, &s, 1, NULL), SM_OK);
    sm_plot_release_caches();
    assert_int_equal(sm_plot_lines(p2, &sp, &s, 1, NULL), SM_OK);
    char *a, *b;
    size_t na, nb;
    assert_int_equal(sm_read_file(p1, &a, &na, NULL), SM_OK);
    assert_int_equal(sm_read_file(p2, &b, &nb, NULL), SM_OK);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
    free(p1);
    free(p2);
    tu_rmtree(dir);
    free(dir);
}

/* cairo and fontconfig keep the fonts they have looked up in process-wide caches;
 * releasing them at the end keeps the leak checker of the sanitizer build quiet. */
static int release_caches(void **state)
{
    (void)state;
    sm_plot_release_caches();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ticks_use_1_2_5_steps),
        cmocka_unit_test(palette_is_okabe_ito),
        cmocka_unit_test(png_has_signature_and_requested_size),
        cmocka_unit_test(horizontal_lines_land_on_their_rows),
        cmocka_unit_test(bands_are_grey_in_their_x_range),
        cmocka_unit_test(nan_points_leave_a_gap),
        cmocka_unit_test(error_bars_span_the_interval_with_caps),
        cmocka_unit_test(error_band_is_a_light_tint),
        cmocka_unit_test(auto_ranges_pad_the_data_and_error_bars),
        cmocka_unit_test(legend_avoids_the_data),
        cmocka_unit_test(every_feature_renders),
        cmocka_unit_test(same_input_gives_the_same_bytes),
        cmocka_unit_test(bad_input_is_rejected_naming_the_path),
        cmocka_unit_test(existing_file_is_replaced_only_on_success),
        cmocka_unit_test(image_grid_pixels_match_the_normalized_tiles),
        cmocka_unit_test(image_grid_automatic_layout_and_title),
        cmocka_unit_test(plotting_after_releasing_the_caches),
        cmocka_unit_test(log_ticks_by_hand),
        cmocka_unit_test(log_axis_puts_decades_at_equal_heights),
    };
    return cmocka_run_group_tests_name("plot", tests, NULL, release_caches);
}
