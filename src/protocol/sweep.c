/* Sweep grids: parsing "--grid name=values", cells, ids, config hashes, the S->E weight
 * export (.npy). Tables and figures are in sweep_report.c. */
#include "somnus/protocol/sweep.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/fileio.h"
#include "somnus/io/results.h"
#include "somnus/models/sim.h"

#define MAX_VALUES 100000

void sm_grid_init(sm_grid *g)
{
    g->n_axes = 0;
    g->axes = NULL;
}

static void axis_free(sm_grid_axis *a)
{
    for (int k = 0; k < a->n; k++)
        free(a->values[k]);
    free(a->values);
    a->values = NULL;
    a->n = 0;
}

void sm_grid_free(sm_grid *g)
{
    for (int i = 0; i < g->n_axes; i++)
        axis_free(&g->axes[i]);
    free(g->axes);
    sm_grid_init(g);
}

static char *trimmed_copy(const char *s, size_t len)
{
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return out;
}

static sm_status push_value(sm_grid_axis *a, char *v, int *cap, sm_error *err)
{
    if (!v) return sm_error_set(err, SM_ENOMEM, "--grid: out of memory");
    if (a->n >= MAX_VALUES) {
        free(v);
        return sm_error_set(err, SM_EINVAL, "--grid %s: more than %d values", a->def->name,
                            MAX_VALUES);
    }
    if (a->n == *cap) {
        int nc = *cap ? 2 * *cap : 16;
        char **nv = realloc(a->values, (size_t)nc * sizeof *nv);
        if (!nv) {
            free(v);
            return sm_error_set(err, SM_ENOMEM, "--grid: out of memory");
        }
        a->values = nv;
        *cap = nc;
    }
    a->values[a->n++] = v;
    return SM_OK;
}

/* Decimals written after the point in a number's text; -1 if it has an exponent. */
static int decimals_of(const char *s)
{
    if (strpbrk(s, "eE")) return -1;
    const char *dot = strchr(s, '.');
    return dot ? (int)strlen(dot + 1) : 0;
}

static int parse_number(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && *end == '\0' && errno == 0 && isfinite(*v);
}

/* Text of a + k * step rounded to `dec` decimals (dec < 0: shortest exact form). */
static char *range_value(double a, double step, int64_t k, int dec)
{
    char buf[64];
    double v = a + (double)k * step;
    if (dec >= 0 && dec <= 12) {
        const double scale = pow(10.0, dec);
        v = round(v * scale) / scale;
        snprintf(buf, sizeof buf, "%.*f", dec, v);
        if (strchr(buf, '.')) {
            char *e = buf + strlen(buf) - 1;
            while (*e == '0')
                *e-- = '\0';
            if (*e == '.') *e = '\0';
        }
        if (!strcmp(buf, "-0")) strcpy(buf, "0");
    } else {
        snprintf(buf, sizeof buf, "%.15g", v);
    }
    return strdup(buf);
}

static sm_status expand_range(sm_grid_axis *a, const char *item, int *cap, sm_error *err)
{
    const char *name = a->def->name;
    char parts[3][64];
    int n = 0;
    const char *s = item;
    for (;;) {
        const char *c = strchr(s, ':');
        size_t len = c ? (size_t)(c - s) : strlen(s);
        if (n == 3 || len == 0 || len >= sizeof parts[0])
            return sm_error_set(err, SM_EINVAL,
                                "--grid %s: bad range '%s' (use a:b or a:b:step, e.g. 0:1:0.1)",
                                name, item);
        memcpy(parts[n], s, len);
        parts[n++][len] = '\0';
        if (!c) break;
        s = c + 1;
    }
    if (n < 2) return sm_error_set(err, SM_EINVAL, "--grid %s: bad range '%s'", name, item);
    double lo, hi, step = 1;
    if (!parse_number(parts[0], &lo) || !parse_number(parts[1], &hi) ||
        (n == 3 && !parse_number(parts[2], &step)))
        return sm_error_set(err, SM_EINVAL,
                            "--grid %s: range '%s' has a part that is not a finite number", name,
                            item);
    if (!(step > 0))
        return sm_error_set(err, SM_EINVAL, "--grid %s: range '%s' needs a step > 0", name, item);
    if (hi < lo)
        return sm_error_set(err, SM_EINVAL, "--grid %s: range '%s' ends below its start", name,
                            item);
    int dec = 0;
    for (int k = 0; k < n; k++) {
        int d = decimals_of(parts[k]);
        dec = d < 0 || dec < 0 ? -1 : (d > dec ? d : dec);
    }
    if (a->def->type != SM_PT_REAL && dec != 0)
        return sm_error_set(err, SM_EINVAL,
                            "--grid %s: integer parameter, but range '%s' is not in whole numbers",
                            name, item);
    const double count = floor((hi - lo) / step + 1e-9) + 1;
    if (count > MAX_VALUES)
        return sm_error_set(err, SM_EINVAL, "--grid %s: range '%s' has more than %d values", name,
                            item, MAX_VALUES);
    for (int64_t k = 0; k < (int64_t)count; k++) {
        sm_status st = push_value(a, range_value(lo, step, k, dec), cap, err);
        if (st != SM_OK) return st;
    }
    return SM_OK;
}

static const sm_param_def *find_param(const char *name, sm_error *err)
{
    const sm_param_def *d = sm_param_find(name);
    if (d) return d;
    /* sm_config_set words the error (with a suggestion for a typo). */
    sm_config tmp;
    sm_config_default(&tmp);
    if (sm_config_set(&tmp, name, "0", "--grid", err) == SM_OK)
        sm_error_set(err, SM_EINVAL, "--grid: unknown parameter '%s'", name);
    return NULL;
}

sm_status sm_grid_add(sm_grid *g, const char *spec, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const char *eq = strchr(spec, '=');
    if (!eq)
        return sm_error_set(err, SM_EINVAL,
                            "--grid '%s': expected group.name=values (e.g. sleep.rate=0:1:0.1)",
                            spec);
    char *name = trimmed_copy(spec, (size_t)(eq - spec));
    if (!name) return sm_error_set(err, SM_ENOMEM, "--grid: out of memory");
    const sm_param_def *def = find_param(name, err);
    free(name);
    if (!def) return err->code;
    if (!strcmp(def->name, "run.threads"))
        return sm_error_set(err, SM_EINVAL,
                            "--grid run.threads: the sweep runs every cell on one thread (use "
                            "--jobs for parallel cells)");
    for (int i = 0; i < g->n_axes; i++)
        if (g->axes[i].def == def)
            return sm_error_set(err, SM_EINVAL, "--grid %s: parameter given twice", def->name);
    const char *list = eq + 1;
    const char sep = strchr(list, ';') ? ';' : ',';
    sm_grid_axis a = {def, 0, NULL};
    int cap = 0;
    sm_status st = SM_OK;
    const int numeric =
        def->type == SM_PT_REAL || def->type == SM_PT_INT || def->type == SM_PT_INT64;
    for (const char *s = list; st == SM_OK;) {
        const char *c = strchr(s, sep);
        size_t len = c ? (size_t)(c - s) : strlen(s);
        char *item = trimmed_copy(s, len);
        if (!item) {
            st = sm_error_set(err, SM_ENOMEM, "--grid: out of memory");
            break;
        }
        if (!*item) {
            st = sm_error_set(err, SM_EINVAL, "--grid %s: empty value in '%s'", def->name, list);
            free(item);
            break;
        }
        if (numeric && strchr(item + 1, ':')) {
            st = expand_range(&a, item, &cap, err);
            free(item);
        } else {
            st = push_value(&a, item, &cap, err);
        }
        if (!c) break;
        s = c + 1;
    }
    /* Every value must be accepted by the table, and no two may be the same value. */
    char **canon = st == SM_OK ? calloc((size_t)(a.n > 0 ? a.n : 1), sizeof *canon) : NULL;
    if (st == SM_OK && !canon) st = sm_error_set(err, SM_ENOMEM, "--grid: out of memory");
    for (int k = 0; st == SM_OK && canon && k < a.n; k++) {
        sm_config tmp;
        sm_config_default(&tmp);
        char origin[128];
        snprintf(origin, sizeof origin, "--grid %s", def->name);
        st = sm_config_set(&tmp, def->name, a.values[k], origin, err);
        if (st != SM_OK) break;
        char buf[SM_CONFIG_STR_MAX + 32];
        sm_config_format(&tmp, def, buf, sizeof buf);
        canon[k] = strdup(buf);
        if (!canon[k]) {
            st = sm_error_set(err, SM_ENOMEM, "--grid: out of memory");
            break;
        }
        for (int j = 0; j < k; j++)
            if (!strcmp(canon[j], canon[k])) {
                st = sm_error_set(err, SM_EINVAL, "--grid %s: value '%s' listed twice", def->name,
                                  a.values[k]);
                break;
            }
    }
    if (canon)
        for (int k = 0; k < a.n; k++)
            free(canon[k]);
    free(canon);
    if (st != SM_OK) {
        axis_free(&a);
        return st;
    }
    sm_grid_axis *na = realloc(g->axes, (size_t)(g->n_axes + 1) * sizeof *na);
    if (!na) {
        axis_free(&a);
        return sm_error_set(err, SM_ENOMEM, "--grid: out of memory");
    }
    g->axes = na;
    g->axes[g->n_axes++] = a;
    return SM_OK;
}

int64_t sm_grid_n_cells(const sm_grid *g)
{
    if (g->n_axes == 0) return 0;
    int64_t n = 1;
    for (int i = 0; i < g->n_axes; i++)
        n *= g->axes[i].n;
    return n;
}

void sm_grid_cell_index(const sm_grid *g, int64_t cell, int *idx)
{
    for (int i = g->n_axes - 1; i >= 0; i--) {
        idx[i] = (int)(cell % g->axes[i].n);
        cell /= g->axes[i].n;
    }
}

sm_status sm_grid_cell_config(const sm_grid *g, int64_t cell, const sm_config *base, sm_config *out,
                              sm_error *err)
{
    SM_ERROR_LOCAL(err);
    int *idx = malloc((size_t)(g->n_axes ? g->n_axes : 1) * sizeof *idx);
    if (!idx) return sm_error_set(err, SM_ENOMEM, "sweep: out of memory");
    sm_grid_cell_index(g, cell, idx);
    *out = *base;
    sm_status st = SM_OK;
    for (int i = 0; i < g->n_axes && st == SM_OK; i++)
        st = sm_config_set(out, g->axes[i].def->name, g->axes[i].values[idx[i]], "--grid", err);
    free(idx);
    out->run.threads = 1;
    if (st == SM_OK) st = sm_config_validate(out, err);
    if (st != SM_OK) {
        char id[SM_SWEEP_ID_MAX];
        sm_grid_cell_id(g, cell, id, sizeof id);
        sm_error e2 = *err;
        return sm_error_set(err, st, "cell %s: %s", id, e2.msg);
    }
    return SM_OK;
}

static uint64_t fnv1a(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}
#define FNV_BASIS UINT64_C(0xcbf29ce484222325)

static int safe_char(int c)
{
    return isalnum(c) || c == '.' || c == '_' || c == '+' || c == '-';
}

void sm_grid_cell_id(const sm_grid *g, int64_t cell, char *buf, size_t size)
{
    int idx[64];
    int *ix = g->n_axes <= 64 ? idx : malloc((size_t)g->n_axes * sizeof *ix);
    if (!ix || size < 20) {
        if (size) buf[0] = '\0';
        return;
    }
    sm_grid_cell_index(g, cell, ix);
    char id[4096];
    size_t len = 0;
    int changed = 0;
    uint64_t h = FNV_BASIS;
    for (int i = 0; i < g->n_axes; i++) {
        const char *name = g->axes[i].def->name, *v = g->axes[i].values[ix[i]];
        h = fnv1a(name, strlen(name) + 1, h);
        h = fnv1a(v, strlen(v) + 1, h);
        int w = snprintf(id + len, sizeof id - len, "%s%s=", i ? "__" : "", name);
        if (w < 0 || (size_t)w >= sizeof id - len) {
            changed = 1;
            break;
        }
        len += (size_t)w;
        for (const char *p = v; *p && len < sizeof id - 1; p++) {
            const int ok = safe_char((unsigned char)*p);
            changed |= !ok;
            id[len++] = ok ? *p : '_';
        }
        id[len] = '\0';
    }
    if (ix != idx) free(ix);
    const size_t max = (size < SM_SWEEP_ID_MAX ? size : SM_SWEEP_ID_MAX) - 1;
    if (!changed && len <= max) {
        memcpy(buf, id, len + 1);
        return;
    }
    /* Not representable as is: keep a readable prefix and make it unique. */
    const size_t keep = len < max - 18 ? len : max - 18;
    snprintf(buf, size, "%.*s__%016llx", (int)keep, id, (unsigned long long)h);
}

json_t *sm_grid_cell_params(const sm_grid *g, int64_t cell)
{
    int *idx = malloc((size_t)(g->n_axes ? g->n_axes : 1) * sizeof *idx);
    json_t *o = json_object();
    if (!idx || !o) {
        free(idx);
        json_decref(o);
        return NULL;
    }
    sm_grid_cell_index(g, cell, idx);
    for (int i = 0; i < g->n_axes; i++)
        json_object_set_new(o, g->axes[i].def->name, json_string(g->axes[i].values[idx[i]]));
    free(idx);
    return o;
}

json_t *sm_grid_to_json(const sm_grid *g)
{
    json_t *axes = json_array();
    for (int i = 0; i < g->n_axes; i++) {
        json_t *vals = json_array();
        for (int k = 0; k < g->axes[i].n; k++)
            json_array_append_new(vals, json_string(g->axes[i].values[k]));
        json_array_append_new(
            axes, json_pack("{s:s, s:o}", "name", g->axes[i].def->name, "values", vals));
    }
    return axes;
}

void sm_sweep_config_hash(const sm_config *cfg, char buf[17])
{
    json_t *j = sm_config_to_json(cfg);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    uint64_t h = text ? fnv1a(text, strlen(text), FNV_BASIS) : 0;
    snprintf(buf, 17, "%016llx", (unsigned long long)h);
    free(text);
    json_decref(j);
}

/* ------------------------------------------------------------------ npy */

void *sm_sweep_se_npy(const struct sm_sim *sim, size_t *len)
{
    const sm_net *net = sim->net;
    const size_t rows = (size_t)net->n_exc, cols = (size_t)net->n_in;
    char header[128];
    int hl =
        snprintf(header, sizeof header,
                 "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }", rows, cols);
    /* Magic (6) + version (2) + header length (2) + header padded with spaces and a
     * newline to a multiple of 64 bytes. */
    size_t total_header = 10 + (size_t)hl + 1;
    total_header = (total_header + 63) / 64 * 64;
    const size_t n = rows * cols;
    unsigned char *out = malloc(total_header + n * sizeof(float));
    if (!out) return NULL;
    static const unsigned char magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    memcpy(out, magic, sizeof magic);
    const size_t hlen = total_header - 10;
    out[8] = (unsigned char)(hlen & 0xff);
    out[9] = (unsigned char)(hlen >> 8);
    memset(out + 10, ' ', hlen);
    memcpy(out + 10, header, (size_t)hl);
    out[total_header - 1] = '\n';
    float *w = (float *)(void *)(out + total_header);
    memset(w, 0, n * sizeof(float));
    for (int g = 0; g < net->n_in; g++)
        for (int64_t s = net->row[g]; s < net->row[g + 1]; s++)
            if (net->pathway[s] == SM_PATH_SE)
                w[(size_t)net->post[s] * cols + (size_t)g] = net->w[s];
    *len = total_header + n * sizeof(float);
    return out;
}

sm_status sm_npy_read_f32(const char *path, float **data, int *rows, int *cols, sm_error *err)
{
    char *buf;
    size_t len;
    *data = NULL;
    sm_status st = sm_read_file(path, &buf, &len, err);
    if (st != SM_OK) return st;
    long r = -1, c = -1;
    size_t hlen = 0;
    if (len >= 10 && !memcmp(buf, "\x93NUMPY\x01", 7))
        hlen = (unsigned char)buf[8] | ((size_t)(unsigned char)buf[9] << 8);
    const char *shape = hlen && 10 + hlen <= len ? strstr(buf + 10, "'shape': (") : NULL;
    if (!shape || !strstr(buf + 10, "'descr': '<f4'") ||
        strstr(buf + 10, "'fortran_order': True") ||
        sscanf(shape, "'shape': (%ld, %ld)", &r, &c) != 2 || r <= 0 || c <= 0 ||
        (size_t)r * (size_t)c * sizeof(float) != len - 10 - hlen) {
        free(buf);
        return sm_error_set(err, SM_EFORMAT, "%s: not a 2-d float32 .npy file", path);
    }
    float *out = malloc((size_t)r * (size_t)c * sizeof *out);
    if (!out) {
        free(buf);
        return sm_error_set(err, SM_ENOMEM, "%s: out of memory", path);
    }
    memcpy(out, buf + 10 + hlen, (size_t)r * (size_t)c * sizeof *out);
    free(buf);
    *data = out;
    *rows = (int)r;
    *cols = (int)c;
    return SM_OK;
}
