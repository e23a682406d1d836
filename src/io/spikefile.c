#include "somnus/io/spikefile.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void sm_spike_train_destroy(sm_spike_train *t)
{
    if (!t) return;
    free(t->step);
    free(t->neuron);
    free(t);
}

static int grow(sm_spike_train *t, int64_t *cap)
{
    if (t->n < *cap) return 0;
    int64_t c = *cap ? 2 * *cap : 1024;
    int64_t *s = realloc(t->step, (size_t)c * sizeof *s);
    if (!s) return -1;
    t->step = s;
    int32_t *nn = realloc(t->neuron, (size_t)c * sizeof *nn);
    if (!nn) return -1;
    t->neuron = nn;
    *cap = c;
    return 0;
}

/* Parses "neuron<sep>time" exactly; returns 0 on success. */
static int parse_line(char *s, long *neuron, double *time)
{
    char *end;
    errno = 0;
    *neuron = strtol(s, &end, 10);
    if (end == s || errno) return -1;
    s = end;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == ',') s++;
    while (isspace((unsigned char)*s))
        s++;
    *time = strtod(s, &end);
    if (end == s) return -1;
    while (isspace((unsigned char)*end))
        end++;
    return *end == '\0' ? 0 : -1;
}

static int cmp_spike(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* Sorts by (step, neuron) and drops duplicates. */
static int sort_unique(sm_spike_train *t)
{
    int64_t *pairs = malloc((size_t)(t->n ? t->n : 1) * 2 * sizeof *pairs);
    if (!pairs) return -1;
    for (int64_t k = 0; k < t->n; k++) {
        pairs[2 * k] = t->step[k];
        pairs[2 * k + 1] = t->neuron[k];
    }
    qsort(pairs, (size_t)t->n, 2 * sizeof *pairs, cmp_spike);
    int64_t m = 0;
    for (int64_t k = 0; k < t->n; k++) {
        if (m && pairs[2 * k] == t->step[m - 1] && pairs[2 * k + 1] == t->neuron[m - 1]) continue;
        t->step[m] = pairs[2 * k];
        t->neuron[m] = (int32_t)pairs[2 * k + 1];
        m++;
    }
    t->n = m;
    free(pairs);
    return 0;
}

static sm_status parse_all(sm_spike_train *t, char *text, const char *path, int n_neurons,
                           double dt, sm_error *err)
{
    int64_t cap = 0;
    int lineno = 0, seen_data = 0;
    for (char *line = text; line;) {
        char *next = strchr(line, '\n');
        if (next) *next++ = '\0';
        lineno++;
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        size_t len = strlen(s);
        while (len && isspace((unsigned char)s[len - 1]))
            s[--len] = '\0';
        line = next;
        if (*s == '\0' || *s == '#') continue;
        if (!seen_data && !isdigit((unsigned char)*s) && *s != '-' && *s != '+') {
            seen_data = 1; /* one header line of column names is allowed */
            continue;
        }
        seen_data = 1;
        long neuron;
        double time;
        if (parse_line(s, &neuron, &time) != 0)
            return sm_error_set(err, SM_EFORMAT, "%s:%d: expected 'neuron,time_ms', got '%.60s'",
                                path, lineno, s);
        if (neuron < 0 || neuron >= n_neurons)
            return sm_error_set(err, SM_EFORMAT, "%s:%d: neuron %ld out of range [0, %d)", path,
                                lineno, neuron, n_neurons);
        if (!isfinite(time) || time < 0 || time / dt > 9e15)
            return sm_error_set(err, SM_EFORMAT, "%s:%d: time %g is not a finite time >= 0", path,
                                lineno, time);
        if (grow(t, &cap)) return sm_error_set(err, SM_ENOMEM, "%s: out of memory", path);
        t->step[t->n] = (int64_t)floor(time / dt + 1e-9);
        t->neuron[t->n] = (int32_t)neuron;
        t->n++;
    }
    if (sort_unique(t)) return sm_error_set(err, SM_ENOMEM, "%s: out of memory", path);
    return SM_OK;
}

sm_spike_train *sm_spike_train_read(const char *path, int n_neurons, double dt, sm_error *err)
{
    char *text;
    size_t len;
    if (sm_read_file(path, &text, &len, err) != SM_OK) return NULL;
    if (memchr(text, '\0', len)) {
        free(text);
        sm_error_set(err, SM_EFORMAT, "%s: binary data in a spike file", path);
        return NULL;
    }
    sm_spike_train *t = calloc(1, sizeof *t);
    if (!t) {
        free(text);
        sm_error_set(err, SM_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    sm_status st = parse_all(t, text, path, n_neurons, dt, err);
    free(text);
    if (st != SM_OK) {
        sm_spike_train_destroy(t);
        return NULL;
    }
    return t;
}

int sm_spike_train_input(void *train, uint64_t step, int32_t *out)
{
    sm_spike_train *t = train;
    while (t->cursor < t->n && t->step[t->cursor] < (int64_t)step)
        t->cursor++;
    int n = 0;
    while (t->cursor < t->n && t->step[t->cursor] == (int64_t)step)
        out[n++] = t->neuron[t->cursor++];
    return n;
}

sm_status sm_spike_writer_open(sm_spike_writer *w, const char *path, double dt, sm_error *err)
{
    memset(w, 0, sizeof *w);
    w->dt = dt;
    sm_status st = sm_atomic_open(&w->file, path, err);
    if (st != SM_OK) return st;
    if (fputs("neuron,time_ms\n", w->file.fp) < 0) w->failed = 1;
    return SM_OK;
}

void sm_spike_writer_sink(void *writer, uint64_t step, const int32_t *ids, int n)
{
    sm_spike_writer *w = writer;
    double t = (double)step * w->dt;
    for (int k = 0; k < n; k++)
        if (fprintf(w->file.fp, "%d,%.10g\n", ids[k], t) < 0) w->failed = 1;
    w->written += n;
}

sm_status sm_spike_writer_close(sm_spike_writer *w, sm_error *err)
{
    if (w->failed) {
        char path[512];
        snprintf(path, sizeof path, "%s", w->file.path ? w->file.path : "spike file");
        sm_atomic_abort(&w->file);
        return sm_error_set(err, SM_EIO, "%s: write failed", path);
    }
    return sm_atomic_commit(&w->file, err);
}

void sm_spike_writer_abort(sm_spike_writer *w)
{
    sm_atomic_abort(&w->file);
}
