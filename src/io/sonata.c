/* somnus: SONATA spike files in HDF5 (see include/somnus/sonata.h, docs/formats.md). */
#include "somnus/io/sonata.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>

#include "somnus/core/fileio.h"

/* deflate, the usual HDF5 filter, cannot compress better than about 1032:1; a dataset
 * claiming much more data than it stores is refused before anything is allocated. */
#define MAX_RATIO 1100u

/* ------------------------------------------------------------------ HDF5 errors */

/* HDF5 prints its error stack to stderr by default; the library must not print. These
 * save the current handler, switch it off, and put it back. */
typedef struct {
    H5E_auto2_t func;
    void *data;
} quiet_state;

static quiet_state quiet_begin(void)
{
    quiet_state q = {NULL, NULL};
    H5Eget_auto2(H5E_DEFAULT, &q.func, &q.data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return q;
}

static void quiet_end(quiet_state q)
{
    H5Eset_auto2(H5E_DEFAULT, q.func, q.data);
}

/* The innermost HDF5 error description, for messages ("" if none). */
static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    (void)n;
    char *out = data;
    if (e->desc && *e->desc) snprintf(out, 160, "%s", e->desc);
    return 0;
}

static const char *h5_reason(char *buf)
{
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, buf);
    return buf;
}

static int valid_population(const char *pop)
{
    return pop && *pop && !strchr(pop, '/') && strcmp(pop, ".") != 0 && strcmp(pop, "..") != 0;
}

/* ------------------------------------------------------------------ writing */

/* A scalar variable-length UTF-8 string attribute, as h5py writes a Python str. */
static int write_string_attr(hid_t obj, const char *name, const char *value)
{
    int ok = 0;
    hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR), a = H5I_INVALID_HID;
    if (t < 0 || s < 0) goto out;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) goto out;
    a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) goto out;
    ok = H5Awrite(a, t, &value) >= 0;
out:
    if (a >= 0) H5Aclose(a);
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    return ok;
}

static int write_1d(hid_t group, const char *name, hid_t file_type, hid_t mem_type, hsize_t n,
                    const void *data, const char *units)
{
    int ok = 0;
    hid_t s = H5Screate_simple(1, &n, NULL), d = H5I_INVALID_HID;
    if (s < 0) return 0;
    d = H5Dcreate2(group, name, file_type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d < 0) goto out;
    if (n > 0 && H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) goto out;
    if (units && !write_string_attr(d, "units", units)) goto out;
    ok = 1;
out:
    if (d >= 0) H5Dclose(d);
    H5Sclose(s);
    return ok;
}

typedef struct {
    double t;
    uint64_t id;
} spike_rec;

static int cmp_rec(const void *a, const void *b)
{
    const spike_rec *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

sm_status sm_sonata_write_spikes(const char *path, const char *population, const uint64_t *node_ids,
                                 const double *timestamps_ms, int64_t n, sm_error *err)
{
    if (!path) return sm_error_set(err, SM_EINVAL, "sonata: no output path");
    if (!population) population = SM_SONATA_DEFAULT_POPULATION;
    if (!valid_population(population))
        return sm_error_set(err, SM_EINVAL, "%s: invalid SONATA population name '%s'", path,
                            population);
    if (n < 0 || (uint64_t)n > SIZE_MAX / sizeof(spike_rec) ||
        (n > 0 && (!node_ids || !timestamps_ms)))
        return sm_error_set(err, SM_EINVAL, "%s: invalid spike arrays (n = %lld)", path,
                            (long long)n);
    for (int64_t k = 0; k < n; k++)
        if (!isfinite(timestamps_ms[k]) || timestamps_ms[k] < 0)
            return sm_error_set(err, SM_EINVAL,
                                "%s: spike %lld has time %g, not a finite time >= 0", path,
                                (long long)k, timestamps_ms[k]);

    /* Sorted copies: by time, ties by node id ("by_time"). */
    spike_rec *rec = malloc((size_t)(n ? n : 1) * sizeof *rec);
    double *ts = malloc((size_t)(n ? n : 1) * sizeof *ts);
    uint64_t *ids = malloc((size_t)(n ? n : 1) * sizeof *ids);
    if (!rec || !ts || !ids) {
        free(rec);
        free(ts);
        free(ids);
        return sm_error_set(err, SM_ENOMEM, "%s: out of memory", path);
    }
    for (int64_t k = 0; k < n; k++)
        rec[k] = (spike_rec){timestamps_ms[k], node_ids[k]};
    if (n > 1) qsort(rec, (size_t)n, sizeof *rec, cmp_rec);
    for (int64_t k = 0; k < n; k++) {
        ts[k] = rec[k].t;
        ids[k] = rec[k].id;
    }
    free(rec);

    sm_atomic_file f;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) {
        free(ts);
        free(ids);
        return st;
    }
    quiet_state q = quiet_begin();
    char reason[160];
    int ok = 0;
    hid_t file = H5Fcreate(f.tmp_path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t spikes = file >= 0 ? H5Gcreate2(file, "spikes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                             : H5I_INVALID_HID;
    hid_t pop = spikes >= 0 ? H5Gcreate2(spikes, population, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                            : H5I_INVALID_HID;
    if (pop >= 0 && write_string_attr(pop, "sorting", "by_time") &&
        write_1d(pop, "timestamps", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)n, ts, "ms") &&
        write_1d(pop, "node_ids", H5T_STD_U64LE, H5T_NATIVE_UINT64, (hsize_t)n, ids, NULL))
        ok = 1;
    if (!ok) h5_reason(reason);
    if (pop >= 0) H5Gclose(pop);
    if (spikes >= 0) H5Gclose(spikes);
    if (file >= 0 && H5Fclose(file) < 0 && ok) {
        ok = 0;
        h5_reason(reason);
    }
    quiet_end(q);
    free(ts);
    free(ids);
    if (!ok) {
        sm_atomic_abort(&f);
        return sm_error_set(err, SM_EIO, "%s: cannot write the SONATA file (HDF5: %s)", path,
                            reason[0] ? reason : "unknown error");
    }
    /* The temporary file was written by HDF5 through its own handle; the stream of f holds
     * nothing, so committing only closes and renames it. */
    return sm_atomic_commit(&f, err);
}

sm_status sm_sonata_write_train(const char *path, const char *population,
                                const sm_spike_train *train, double dt, sm_error *err)
{
    if (!train || !(dt > 0) || !isfinite(dt))
        return sm_error_set(err, SM_EINVAL, "%s: need a spike train and a dt > 0",
                            path ? path : "sonata");
    int64_t n = train->n;
    double *ts = malloc((size_t)(n ? n : 1) * sizeof *ts);
    uint64_t *ids = malloc((size_t)(n ? n : 1) * sizeof *ids);
    if (!ts || !ids) {
        free(ts);
        free(ids);
        return sm_error_set(err, SM_ENOMEM, "%s: out of memory", path);
    }
    for (int64_t k = 0; k < n; k++) {
        ts[k] = (double)train->step[k] * dt;
        ids[k] = (uint64_t)train->neuron[k];
    }
    sm_status st = sm_sonata_write_spikes(path, population, ids, ts, n, err);
    free(ts);
    free(ids);
    return st;
}

/* ------------------------------------------------------------------ reading */

/* A scalar string (fixed or variable length) or enum attribute as text; 0 if absent or
 * of another kind, -1 on a malformed attribute. */
static int read_text_attr(hid_t obj, const char *name, char *out, size_t size)
{
    out[0] = '\0';
    if (H5Aexists(obj, name) <= 0) return 0;
    int rc = -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID;
    hid_t s = a >= 0 ? H5Aget_space(a) : H5I_INVALID_HID;
    hid_t m = H5I_INVALID_HID;
    if (t < 0 || s < 0 || H5Sget_simple_extent_npoints(s) != 1) goto out;
    H5T_class_t cls = H5Tget_class(t);
    if (cls == H5T_STRING) {
        htri_t var = H5Tis_variable_str(t);
        if (var < 0) goto out;
        m = H5Tcopy(H5T_C_S1);
        /* HDF5 does not convert between ASCII and UTF-8: read in the file's set */
        if (m < 0 || H5Tset_cset(m, H5Tget_cset(t)) < 0) goto out;
        if (var) {
            char *v = NULL;
            if (H5Tset_size(m, H5T_VARIABLE) < 0 || H5Aread(a, m, &v) < 0) goto out;
            snprintf(out, size, "%s", v ? v : "");
            if (v) H5free_memory(v);
        } else {
            size_t len = H5Tget_size(t);
            if (len == 0 || len >= size || H5Tset_size(m, len) < 0 ||
                H5Tset_strpad(m, H5T_STR_NULLPAD) < 0)
                goto out;
            char buf[256] = {0};
            if (len >= sizeof buf || H5Aread(a, m, buf) < 0) goto out;
            buf[len] = '\0';
            snprintf(out, size, "%s", buf);
        }
        rc = 1;
    } else if (cls == H5T_ENUM) {
        unsigned char v[16] = {0};
        if (H5Tget_size(t) > sizeof v || H5Aread(a, t, v) < 0) goto out;
        if (H5Tenum_nameof(t, v, out, size) < 0) out[0] = '\0';
        rc = 1;
    } else {
        rc = 0;
    }
out:
    if (m >= 0) H5Tclose(m);
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    return rc;
}

/* Opens a 1-D dataset of the wanted type class(es); returns its length in *n. */
static hid_t open_1d(hid_t group, const char *name, int want_float, hsize_t *n, int64_t *is_signed,
                     const char **why)
{
    *why = NULL;
    if (H5Lexists(group, name, H5P_DEFAULT) <= 0) {
        *why = "missing";
        return H5I_INVALID_HID;
    }
    hid_t d = H5Dopen2(group, name, H5P_DEFAULT);
    if (d < 0) {
        *why = "is not a dataset";
        return H5I_INVALID_HID;
    }
    hid_t s = H5Dget_space(d), t = H5Dget_type(d);
    int ok = 0;
    if (s >= 0 && t >= 0) {
        H5T_class_t cls = H5Tget_class(t);
        size_t tsize = H5Tget_size(t);
        if (H5Sget_simple_extent_type(s) != H5S_SIMPLE || H5Sget_simple_extent_ndims(s) != 1)
            *why = "is not one-dimensional";
        else if (!(cls == H5T_INTEGER || (want_float && cls == H5T_FLOAT)) || tsize == 0 ||
                 tsize > 16)
            *why = want_float ? "is not numeric" : "is not of an integer type";
        else if (H5Sget_simple_extent_dims(s, n, NULL) != 1)
            *why = "has an unreadable shape";
        else {
            hsize_t stored = H5Dget_storage_size(d);
            if (*n > (hsize_t)(INT64_MAX / 16) ||
                (*n > 0 && *n / MAX_RATIO > (stored + 4096) / tsize))
                *why = "claims more values than the file stores";
            else {
                *is_signed = cls == H5T_INTEGER ? H5Tget_sign(t) == H5T_SGN_2 : 1;
                ok = 1;
            }
        }
    } else {
        *why = "is unreadable";
    }
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    if (!ok) {
        H5Dclose(d);
        return H5I_INVALID_HID;
    }
    return d;
}

typedef struct {
    char names[512];
    int count;
} pop_list;

static herr_t list_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    pop_list *l = data;
    if (info->type != H5L_TYPE_HARD) return 0; /* soft and external links are not followed */
    hid_t sub = H5Gopen2(g, name, H5P_DEFAULT);
    if (sub < 0) return 0; /* a dataset: not a population */
    H5Gclose(sub);
    size_t len = strlen(l->names);
    if (l->count == 0)
        snprintf(l->names, sizeof l->names, "%s", name);
    else if (len + 3 < sizeof l->names)
        snprintf(l->names + len, sizeof l->names - len, ", %s", name);
    l->count++;
    return 0;
}

sm_sonata_spikes *sm_sonata_read_spikes(const char *path, const char *population, sm_error *err)
{
    struct stat st;
    if (!path) {
        sm_error_set(err, SM_EINVAL, "sonata: no input path");
        return NULL;
    }
    if (stat(path, &st) != 0) {
        sm_error_set(err, SM_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        sm_error_set(err, SM_EIO, "%s: is a directory, expected a SONATA spike file", path);
        return NULL;
    }
    if (population && !valid_population(population)) {
        sm_error_set(err, SM_EINVAL, "%s: invalid SONATA population name '%s'", path, population);
        return NULL;
    }
    quiet_state q = quiet_begin();
    sm_sonata_spikes *res = NULL;
    hid_t file = H5I_INVALID_HID, spikes = H5I_INVALID_HID, pop = H5I_INVALID_HID;
    hid_t dt = H5I_INVALID_HID, dn = H5I_INVALID_HID;
    char popname[512], reason[160];
    const char *why;

    htri_t is_h5 = H5Fis_hdf5(path);
    if (is_h5 <= 0) {
        sm_error_set(err, SM_EFORMAT, "%s: not an HDF5 file (a SONATA spike file is HDF5)", path);
        goto out;
    }
    file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        sm_error_set(err, SM_EFORMAT, "%s: cannot open as HDF5: %s", path, h5_reason(reason));
        goto out;
    }
    if (H5Lexists(file, "spikes", H5P_DEFAULT) <= 0 ||
        (spikes = H5Gopen2(file, "spikes", H5P_DEFAULT)) < 0) {
        sm_error_set(err, SM_EFORMAT, "%s: no /spikes group: not a SONATA spike file", path);
        goto out;
    }
    if (population) {
        snprintf(popname, sizeof popname, "%s", population);
    } else {
        pop_list l = {{0}, 0};
        hsize_t idx = 0;
        if (H5Literate(spikes, H5_INDEX_NAME, H5_ITER_INC, &idx, list_cb, &l) < 0) {
            sm_error_set(err, SM_EFORMAT, "%s: cannot list the populations in /spikes: %s", path,
                         h5_reason(reason));
            goto out;
        }
        if (l.count != 1) {
            if (l.count == 0)
                sm_error_set(err, SM_EFORMAT, "%s: no population group in /spikes", path);
            else
                sm_error_set(err, SM_EINVAL,
                             "%s: %d populations in /spikes (%s): name the one to read", path,
                             l.count, l.names);
            goto out;
        }
        snprintf(popname, sizeof popname, "%s", l.names);
    }
    if (H5Lexists(spikes, popname, H5P_DEFAULT) <= 0 ||
        (pop = H5Gopen2(spikes, popname, H5P_DEFAULT)) < 0) {
        sm_error_set(err, SM_EFORMAT, "%s: no population group /spikes/%s", path, popname);
        goto out;
    }
    hsize_t nt = 0, nn = 0;
    int64_t t_signed = 0, n_signed = 0;
    dt = open_1d(pop, "timestamps", 1, &nt, &t_signed, &why);
    if (dt < 0) {
        sm_error_set(err, SM_EFORMAT, "%s: dataset /spikes/%s/timestamps %s", path, popname, why);
        goto out;
    }
    dn = open_1d(pop, "node_ids", 0, &nn, &n_signed, &why);
    if (dn < 0) {
        sm_error_set(err, SM_EFORMAT, "%s: dataset /spikes/%s/node_ids %s", path, popname, why);
        goto out;
    }
    if (nt != nn) {
        sm_error_set(err, SM_EFORMAT,
                     "%s: /spikes/%s has %llu timestamps but %llu node_ids (lengths must match)",
                     path, popname, (unsigned long long)nt, (unsigned long long)nn);
        goto out;
    }
    double scale = 1.0;
    char units[64];
    int ur = read_text_attr(dt, "units", units, sizeof units);
    if (ur < 0) {
        sm_error_set(err, SM_EFORMAT, "%s: /spikes/%s/timestamps: unreadable 'units' attribute",
                     path, popname);
        goto out;
    }
    if (ur > 0) {
        if (!strcmp(units, "s"))
            scale = 1000.0;
        else if (strcmp(units, "ms") != 0) {
            sm_error_set(
                err, SM_EFORMAT,
                "%s: /spikes/%s/timestamps: units '%.40s' not supported (expected ms or s)", path,
                popname, units);
            goto out;
        }
    }
    res = calloc(1, sizeof *res);
    if (!res) {
        sm_error_set(err, SM_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    if (read_text_attr(pop, "sorting", res->sorting, sizeof res->sorting) < 0)
        res->sorting[0] = '\0'; /* informative only */
    res->n = (int64_t)nt;
    res->timestamps_ms = malloc((size_t)(nt ? nt : 1) * sizeof(double));
    res->node_ids = malloc((size_t)(nt ? nt : 1) * sizeof(uint64_t));
    if (!res->timestamps_ms || !res->node_ids) {
        sm_error_set(err, SM_ENOMEM, "%s: out of memory for %llu spikes", path,
                     (unsigned long long)nt);
        goto fail;
    }
    if (nt > 0) {
        if (H5Dread(dt, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, res->timestamps_ms) < 0) {
            sm_error_set(err, SM_EFORMAT, "%s: cannot read /spikes/%s/timestamps: %s", path,
                         popname, h5_reason(reason));
            goto fail;
        }
        if (H5Dread(dn, n_signed ? H5T_NATIVE_INT64 : H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL,
                    H5P_DEFAULT, res->node_ids) < 0) {
            sm_error_set(err, SM_EFORMAT, "%s: cannot read /spikes/%s/node_ids: %s", path, popname,
                         h5_reason(reason));
            goto fail;
        }
    }
    for (hsize_t k = 0; k < nt; k++) {
        double t = res->timestamps_ms[k] * scale;
        if (!isfinite(t) || t < 0) {
            sm_error_set(err, SM_EFORMAT,
                         "%s: /spikes/%s/timestamps[%llu] = %g is not a finite time >= 0", path,
                         popname, (unsigned long long)k, res->timestamps_ms[k]);
            goto fail;
        }
        res->timestamps_ms[k] = t;
        int64_t signed_id;
        memcpy(&signed_id, &res->node_ids[k], sizeof signed_id);
        if (n_signed && signed_id < 0) {
            sm_error_set(err, SM_EFORMAT, "%s: /spikes/%s/node_ids[%llu] = %lld is negative", path,
                         popname, (unsigned long long)k, (long long)signed_id);
            goto fail;
        }
    }
    goto out;
fail:
    sm_sonata_spikes_destroy(res);
    res = NULL;
out:
    if (dn >= 0) H5Dclose(dn);
    if (dt >= 0) H5Dclose(dt);
    if (pop >= 0) H5Gclose(pop);
    if (spikes >= 0) H5Gclose(spikes);
    if (file >= 0) H5Fclose(file);
    H5Eclear2(H5E_DEFAULT);
    quiet_end(q);
    return res;
}

void sm_sonata_spikes_destroy(sm_sonata_spikes *s)
{
    if (!s) return;
    free(s->timestamps_ms);
    free(s->node_ids);
    free(s);
}

static int cmp_step_neuron(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

sm_spike_train *sm_sonata_read_train(const char *path, const char *population, int n_neurons,
                                     double dt, sm_error *err)
{
    if (!(dt > 0) || !isfinite(dt) || n_neurons < 1) {
        sm_error_set(err, SM_EINVAL, "%s: need dt > 0 and n_neurons >= 1", path ? path : "sonata");
        return NULL;
    }
    sm_sonata_spikes *s = sm_sonata_read_spikes(path, population, err);
    if (!s) return NULL;
    sm_spike_train *t = calloc(1, sizeof *t);
    int64_t *pairs = malloc((size_t)(s->n ? s->n : 1) * 2 * sizeof *pairs);
    if (t) {
        t->step = malloc((size_t)(s->n ? s->n : 1) * sizeof *t->step);
        t->neuron = malloc((size_t)(s->n ? s->n : 1) * sizeof *t->neuron);
    }
    if (!t || !pairs || !t->step || !t->neuron) {
        sm_error_set(err, SM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    for (int64_t k = 0; k < s->n; k++) {
        if (s->node_ids[k] >= (uint64_t)n_neurons) {
            sm_error_set(err, SM_EFORMAT, "%s: spike %lld: node id %llu out of range [0, %d)", path,
                         (long long)k, (unsigned long long)s->node_ids[k], n_neurons);
            goto fail;
        }
        if (s->timestamps_ms[k] / dt > 9e15) {
            sm_error_set(err, SM_EFORMAT, "%s: spike %lld: time %g ms is too large for dt %g", path,
                         (long long)k, s->timestamps_ms[k], dt);
            goto fail;
        }
        pairs[2 * k] = (int64_t)floor(s->timestamps_ms[k] / dt + 1e-9);
        pairs[2 * k + 1] = (int64_t)s->node_ids[k];
    }
    if (s->n > 1) qsort(pairs, (size_t)s->n, 2 * sizeof *pairs, cmp_step_neuron);
    for (int64_t k = 0; k < s->n; k++) {
        if (t->n && pairs[2 * k] == t->step[t->n - 1] && pairs[2 * k + 1] == t->neuron[t->n - 1])
            continue;
        t->step[t->n] = pairs[2 * k];
        t->neuron[t->n] = (int32_t)pairs[2 * k + 1];
        t->n++;
    }
    free(pairs);
    sm_sonata_spikes_destroy(s);
    return t;
fail:
    free(pairs);
    sm_spike_train_destroy(t);
    sm_sonata_spikes_destroy(s);
    return NULL;
}

/* ------------------------------------------------------------------ streaming writer */

sm_status sm_sonata_writer_open(sm_sonata_writer *w, const char *path, const char *population,
                                double dt, sm_error *err)
{
    memset(w, 0, sizeof *w);
    if (!path || !(dt > 0) || !isfinite(dt))
        return sm_error_set(err, SM_EINVAL, "%s: need a path and dt > 0", path ? path : "sonata");
    if (!population) population = SM_SONATA_DEFAULT_POPULATION;
    if (!valid_population(population))
        return sm_error_set(err, SM_EINVAL, "%s: invalid SONATA population name '%s'", path,
                            population);
    w->path = strdup(path);
    w->population = strdup(population);
    w->dt = dt;
    if (!w->path || !w->population) {
        sm_sonata_writer_abort(w);
        return sm_error_set(err, SM_ENOMEM, "%s: out of memory", path);
    }
    return SM_OK;
}

void sm_sonata_writer_sink(void *writer, uint64_t step, const int32_t *ids, int n)
{
    sm_sonata_writer *w = writer;
    if (w->failed || n <= 0) return;
    if (w->n + n > w->cap) {
        int64_t cap = w->cap ? w->cap : 4096;
        while (cap < w->n + n)
            cap *= 2;
        uint64_t *ni = realloc(w->node_ids, (size_t)cap * sizeof *ni);
        if (ni) w->node_ids = ni;
        int64_t *ns = realloc(w->steps, (size_t)cap * sizeof *ns);
        if (ns) w->steps = ns;
        if (!ni || !ns) {
            w->failed = 1;
            return;
        }
        w->cap = cap;
    }
    for (int k = 0; k < n; k++) {
        w->node_ids[w->n] = (uint64_t)ids[k];
        w->steps[w->n] = (int64_t)step;
        w->n++;
    }
}

sm_status sm_sonata_writer_close(sm_sonata_writer *w, sm_error *err)
{
    sm_status st;
    if (w->failed) {
        st = sm_error_set(err, SM_ENOMEM, "%s: out of memory recording spikes", w->path);
    } else {
        double *ts = malloc((size_t)(w->n ? w->n : 1) * sizeof *ts);
        if (!ts) {
            st = sm_error_set(err, SM_ENOMEM, "%s: out of memory", w->path);
        } else {
            for (int64_t k = 0; k < w->n; k++)
                ts[k] = (double)w->steps[k] * w->dt;
            st = sm_sonata_write_spikes(w->path, w->population, w->node_ids, ts, w->n, err);
            free(ts);
        }
    }
    sm_sonata_writer_abort(w);
    return st;
}

void sm_sonata_writer_abort(sm_sonata_writer *w)
{
    free(w->path);
    free(w->population);
    free(w->node_ids);
    free(w->steps);
    memset(w, 0, sizeof *w);
}
