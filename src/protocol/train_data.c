/* The data step of the training protocol (spec section 7): class selection, the
 * balanced split by run.seed, resizing and the optional per-image sum normalization. */
#include "somnus/protocol/train_data.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"

/* ------------------------------------------------------------------ classes */

static int parse_int(const char **s, int *v)
{
    if (!isdigit((unsigned char)**s)) return 0;
    long x = 0;
    while (isdigit((unsigned char)**s)) {
        x = x * 10 + (**s - '0');
        if (x > 100000) return 0;
        (*s)++;
    }
    *v = (int)x;
    return 1;
}

sm_status sm_train_parse_classes(const char *text, int n_classes, int *classes, int *k,
                                 sm_error *err)
{
    *k = 0;
    if (!strcmp(text, "all")) {
        for (int c = 0; c < n_classes; c++)
            classes[(*k)++] = c;
        return SM_OK;
    }
    char *seen = calloc((size_t)n_classes, 1);
    if (!seen) return sm_error_set(err, SM_ENOMEM, "out of memory");
    const char *s = text;
    sm_status st = SM_OK;
    for (;;) {
        int a, b;
        if (!parse_int(&s, &a)) {
            st = sm_error_set(err, SM_EINVAL,
                              "data.classes: '%s' is not 'all' or a list such as 0,1,7 or 0-4",
                              text);
            break;
        }
        b = a;
        if (*s == '-') {
            s++;
            if (!parse_int(&s, &b) || b < a) {
                st = sm_error_set(err, SM_EINVAL, "data.classes: bad range in '%s'", text);
                break;
            }
        }
        if (b >= n_classes) {
            st = sm_error_set(err, SM_EINVAL,
                              "data.classes: class %d does not exist (the dataset has classes "
                              "0-%d)",
                              b, n_classes - 1);
            break;
        }
        for (int c = a; c <= b; c++) {
            if (seen[c]) {
                st = sm_error_set(err, SM_EINVAL, "data.classes: class %d listed twice", c);
                break;
            }
            seen[c] = 1;
            classes[(*k)++] = c;
        }
        if (st != SM_OK || *s == '\0') break;
        if (*s != ',') {
            st = sm_error_set(err, SM_EINVAL, "data.classes: unexpected '%c' in '%s'", *s, text);
            break;
        }
        s++;
    }
    free(seen);
    if (st == SM_OK && *k < 2)
        st = sm_error_set(err, SM_EINVAL, "data.classes: '%s' selects fewer than 2 classes", text);
    return st;
}

/* ------------------------------------------------------------------ data */

void sm_train_data_free(sm_train_data *d)
{
    if (!d) return;
    sm_dataset_destroy(d->train);
    sm_dataset_destroy(d->val);
    sm_dataset_destroy(d->test);
    d->train = d->val = d->test = NULL;
}

static sm_dataset *select_classes(const sm_dataset *ds, const sm_config *cfg, sm_error *err)
{
    int *classes = malloc((size_t)ds->n_classes * sizeof *classes), k;
    if (!classes) {
        sm_error_set(err, SM_ENOMEM, "out of memory");
        return NULL;
    }
    sm_dataset *out = NULL;
    if (sm_train_parse_classes(cfg->data.classes, ds->n_classes, classes, &k, err) == SM_OK)
        out = sm_dataset_select_classes(ds, classes, k, 0, err);
    free(classes);
    return out;
}

/* Resize and (for the STDP encoder) normalize one part, replacing it. */
static sm_status prepare_part(sm_dataset **part, const sm_config *cfg, int normalize, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    if (!*part || (*part)->n == 0) return SM_OK;
    sm_dataset *r = sm_dataset_resize(*part, cfg->input.width, cfg->input.height, err);
    if (!r) return err->code;
    sm_dataset_destroy(*part);
    *part = r;
    if (normalize && cfg->input.norm_fraction > 0)
        return sm_dataset_normalize_sum(r, cfg->input.norm_fraction, err);
    return SM_OK;
}

/* data.train_rest: balanced val and test parts drawn per class (a shuffle of each class's
 * indices on SM_STREAM_SPLIT, index "REST"); every other image trains, in pool order.
 * n_val or n_test may be 0 (no such part). */
static sm_status split_rest(const sm_dataset *ds, int n_val, int n_test, uint64_t seed,
                            sm_dataset **train, sm_dataset **val, sm_dataset **test, sm_error *err)
{
    const int k = ds->n_classes, n = ds->n;
    int *cnt = calloc((size_t)k, sizeof *cnt), *start = calloc((size_t)k + 1, sizeof *start);
    /* idx zeroed for the analyzer, which cannot see that the counting sort fills all n */
    int *idx = calloc((size_t)(n ? n : 1), sizeof *idx),
        *role = calloc((size_t)n + 1, sizeof *role);
    int *list = malloc((size_t)(n ? n : 1) * sizeof *list);
    sm_status st =
        cnt && start && idx && role && list ? SM_OK : sm_error_set(err, SM_ENOMEM, "out of memory");
    int live = 0;
    if (st == SM_OK) {
        for (int i = 0; i < n; i++)
            cnt[ds->labels[i]]++;
        for (int c = 0; c < k; c++) {
            start[c + 1] = start[c] + cnt[c];
            live += cnt[c] > 0;
        }
        int *fill = calloc((size_t)k, sizeof *fill);
        if (!fill) st = sm_error_set(err, SM_ENOMEM, "out of memory");
        for (int i = 0; fill && i < n; i++)
            idx[start[ds->labels[i]] + fill[ds->labels[i]]++] = i;
        free(fill);
    }
    int ci = 0; /* rank of the class among classes with images */
    for (int c = 0; st == SM_OK && c < k; c++) {
        if (!cnt[c]) continue;
        const int nt = n_test / live + (ci < n_test % live);
        const int nv = n_val / live + (ci < n_val % live);
        ci++;
        if (nt + nv >= cnt[c]) {
            st = sm_error_set(err, SM_EINVAL,
                              "%s: class %d has %d images, data.train_rest needs more than %d "
                              "(test %d, val %d)",
                              ds->source, c, cnt[c], nt + nv, nt, nv);
            break;
        }
        sm_rng r;
        sm_rng_init(&r, seed, SM_STREAM_SPLIT, 0x52455354u ^ (uint32_t)c);
        int *a = idx + start[c];
        for (int q = cnt[c] - 1; q > 0; q--) {
            const int z = (int)sm_rng_below(&r, (uint32_t)q + 1);
            const int t = a[q];
            a[q] = a[z];
            a[z] = t;
        }
        for (int q = 0; q < nt; q++)
            role[a[q]] = 2;
        for (int q = nt; q < nt + nv; q++)
            role[a[q]] = 1;
    }
    for (int part = 0; st == SM_OK && part < 3; part++) {
        sm_dataset **out = part == 0 ? train : part == 1 ? val : test;
        if (!out) continue;
        int m = 0;
        for (int i = 0; i < n; i++)
            if (role[i] == part) list[m++] = i;
        /* val and test in the shuffled order of a balanced draw is not needed: pool order */
        *out = sm_dataset_subset(ds, list, m, err);
        if (!*out) st = err ? err->code : SM_ENOMEM;
    }
    free(cnt);
    free(start);
    free(idx);
    free(role);
    free(list);
    return st;
}

static sm_status split_data(const sm_config *cfg, const sm_dataset *pool,
                            const sm_dataset *official, sm_train_data *out, sm_error *err)
{
    const uint64_t seed = (uint64_t)cfg->run.seed;
    if (cfg->data.train_rest) {
        const int use_off = official && cfg->data.official_test;
        sm_status st = split_rest(pool, cfg->data.n_val, use_off ? 0 : cfg->data.n_test, seed,
                                  &out->train, &out->val, use_off ? NULL : &out->test, err);
        if (st == SM_OK && use_off) {
            st = sm_dataset_draw(official, cfg->data.n_test, seed ^ UINT64_C(0x7e57), "test",
                                 &out->test, err);
            out->test_official = 1;
        }
        return st;
    }
    if (official && cfg->data.official_test) {
        sm_status st = sm_dataset_split(pool, cfg->data.n_train, cfg->data.n_val, 0, seed,
                                        &out->train, &out->val, NULL, err);
        /* A different seed for the test draw: the pool's split and the test set's
         * selection are independent choices. */
        if (st == SM_OK)
            st = sm_dataset_draw(official, cfg->data.n_test, seed ^ UINT64_C(0x7e57), "test",
                                 &out->test, err);
        out->test_official = 1;
        return st;
    }
    return sm_dataset_split(pool, cfg->data.n_train, cfg->data.n_val, cfg->data.n_test, seed,
                            &out->train, &out->val, &out->test, err);
}

sm_status sm_train_data_prepare(const sm_config *cfg, const sm_dataset *pool,
                                const sm_dataset *official, int sum_normalize, sm_train_data *out,
                                sm_error *err)
{
    SM_ERROR_LOCAL(err);
    memset(out, 0, sizeof *out);
    if (!pool) return sm_error_set(err, SM_EINVAL, "train: no dataset");
    snprintf(out->name, sizeof out->name, "%s", cfg->data.dataset);
    sm_dataset *p = NULL, *t = NULL;
    sm_status st = SM_OK;
    if (strcmp(cfg->data.classes, "all") != 0) {
        p = select_classes(pool, cfg, err);
        if (p && official) t = select_classes(official, cfg, err);
        st = p && (!official || t) ? SM_OK : err->code;
    }
    if (st == SM_OK) st = split_data(cfg, p ? p : pool, p ? t : official, out, err);
    sm_dataset_destroy(p);
    sm_dataset_destroy(t);
    const int normalize = sum_normalize != 0;
    if (st == SM_OK) st = prepare_part(&out->train, cfg, normalize, err);
    if (st == SM_OK) st = prepare_part(&out->val, cfg, normalize, err);
    if (st == SM_OK) st = prepare_part(&out->test, cfg, normalize, err);
    if (st != SM_OK) sm_train_data_free(out);
    return st;
}
