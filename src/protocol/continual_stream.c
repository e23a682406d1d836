/* Task streams of the continual protocol (continual_stream.h). */
#include "protocol/continual_stream.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"

/* Parses "G1/G2/..." (groups of comma-separated class numbers) into s. */
static sm_status parse_groups(const char *text, const char *stream, sm_cl_stream *s, sm_error *err)
{
    const char *p = text;
    s->n_tasks = 0;
    for (;;) {
        if (s->n_tasks >= SM_CL_MAX_TASKS)
            return sm_error_set(err, SM_EINVAL, "cl.stream: '%s' has more than %d tasks", stream,
                                SM_CL_MAX_TASKS);
        int t = s->n_tasks++, n = 0;
        for (;;) {
            if (!isdigit((unsigned char)*p))
                return sm_error_set(err, SM_EINVAL,
                                    "cl.stream: '%s': expected a class number at '%s' (groups "
                                    "such as 0,1/2,3)",
                                    stream, p);
            long c = strtol(p, (char **)&p, 10);
            if (c >= SM_CL_MAX_CLASSES)
                return sm_error_set(err, SM_EINVAL, "cl.stream: '%s': class %ld is too large",
                                    stream, c);
            if (s->task_of[c] >= 0)
                return sm_error_set(err, SM_EINVAL, "cl.stream: '%s': class %ld appears twice",
                                    stream, c);
            s->task_of[c] = t;
            s->pos_of[c] = n;
            s->group[t][n++] = (int)c;
            if (*p != ',') break;
            p++;
        }
        s->n_group[t] = n;
        if (*p == '\0') break;
        if (*p != '/')
            return sm_error_set(err, SM_EINVAL, "cl.stream: '%s': unexpected '%c'", stream, *p);
        p++;
    }
    return SM_OK;
}

/* cl.order = shuffled: the used classes dealt into tasks of the same sizes from the seed. */
static void shuffle_groups(sm_cl_stream *s, uint64_t seed)
{
    int cls[SM_CL_MAX_CLASSES], n = 0;
    for (int t = 0; t < s->n_tasks; t++)
        for (int k = 0; k < s->n_group[t]; k++)
            cls[n++] = s->group[t][k];
    sm_rng r;
    sm_rng_init(&r, seed, SM_STREAM_CONTINUAL, SM_CL_RNG_ORDER);
    sm_rng_shuffle(&r, cls, n);
    n = 0;
    for (int t = 0; t < s->n_tasks; t++)
        for (int k = 0; k < s->n_group[t]; k++) {
            const int c = cls[n++];
            s->group[t][k] = c;
            s->task_of[c] = t;
            s->pos_of[c] = k;
        }
}

sm_status sm_cl_stream_parse(const sm_config *cfg, sm_cl_stream *s, sm_error *err)
{
    memset(s, 0, sizeof *s);
    for (int c = 0; c < SM_CL_MAX_CLASSES; c++)
        s->task_of[c] = -1;
    const char *name = cfg->cl.stream;
    int fashion = 0;
    sm_status st = SM_OK;
    if (!strcmp(name, "split-mnist") || !strcmp(name, "split-fashion")) {
        fashion = name[6] == 'f';
        snprintf(s->dataset, sizeof s->dataset, "%s", fashion ? "fashion" : "mnist");
        st = parse_groups("0,1/2,3/4,5/6,7/8,9", name, s, err);
    } else if (!strcmp(name, "permuted-mnist")) {
        snprintf(s->dataset, sizeof s->dataset, "mnist");
        s->permuted = 1;
        s->n_tasks = cfg->cl.tasks > 0 ? cfg->cl.tasks : 10;
        if (s->n_tasks > SM_CL_MAX_TASKS)
            return sm_error_set(err, SM_EINVAL, "cl.tasks: %d exceeds %d", s->n_tasks,
                                SM_CL_MAX_TASKS);
    } else if (!strncmp(name, "split:", 6) && strrchr(name + 6, ':')) {
        const char *colon = strrchr(name + 6, ':'); /* DATASET may hold colons */
        snprintf(s->dataset, sizeof s->dataset, "%.*s", (int)(colon - name - 6), name + 6);
        fashion = !strcmp(s->dataset, "fashion");
        st = parse_groups(colon + 1, name, s, err);
    } else
        return sm_error_set(err, SM_EINVAL,
                            "cl.stream: '%s' is not split-mnist, split-fashion, permuted-mnist "
                            "or split:DATASET:G1/G2/... (e.g. split:mnist:0,1,2/3,4,5/6,7,8,9)",
                            name);
    if (st != SM_OK) return st;
    if (strcmp(s->dataset, cfg->data.dataset) != 0)
        return sm_error_set(err, SM_EINVAL,
                            "cl.stream: '%s' runs on data.dataset=%s, but data.dataset is '%s'; "
                            "set data.dataset=%s",
                            name, s->dataset, cfg->data.dataset, s->dataset);
    if (!s->permuted && cfg->cl.tasks > 0 && cfg->cl.tasks != s->n_tasks)
        return sm_error_set(err, SM_EINVAL,
                            "cl.tasks: %d, but cl.stream '%s' has %d tasks (cl.tasks sets the "
                            "length of permuted-mnist only; 0 = the stream's)",
                            cfg->cl.tasks, name, s->n_tasks);
    if (!s->permuted && cfg->cl.order == SM_CL_SHUFFLED) shuffle_groups(s, (uint64_t)cfg->run.seed);
    s->scenario = cfg->cl.scenario;
    if (s->scenario == SM_CL_AUTO) s->scenario = s->permuted ? SM_CL_DOMAIN : SM_CL_CLASS;
    if (s->permuted && s->scenario != SM_CL_DOMAIN)
        return sm_error_set(err, SM_EINVAL,
                            "cl.scenario: permuted-mnist has every class in every task: it runs "
                            "domain-incremental (cl.scenario=domain or auto)");
    int max_class = -1, max_group = 0;
    for (int c = 0; c < SM_CL_MAX_CLASSES; c++)
        if (s->task_of[c] >= 0) {
            max_class = c;
            s->n_used++;
        }
    for (int t = 0; !s->permuted && t < s->n_tasks; t++)
        max_group = s->n_group[t] > max_group ? s->n_group[t] : max_group;
    if (s->permuted) {
        s->n_outputs = 10;
        s->n_used = 10;
    } else
        s->n_outputs = s->scenario == SM_CL_DOMAIN ? max_group : max_class + 1;
    if (!s->permuted && s->n_tasks < 1)
        return sm_error_set(err, SM_EINVAL, "cl.stream: '%s' has no task", name);
    s->per_class_train =
        cfg->cl.per_class_train > 0 ? cfg->cl.per_class_train : (fashion ? 1200 : 600);
    s->per_class_val = cfg->cl.per_class_val > 0 ? cfg->cl.per_class_val : (fashion ? 100 : 60);
    s->per_class_test = cfg->cl.per_class_test > 0 ? cfg->cl.per_class_test : 200;
    return SM_OK;
}

sm_status sm_cl_data_config(const sm_config *cfg, sm_config *out, sm_error *err)
{
    sm_cl_stream s;
    sm_status st = sm_cl_stream_parse(cfg, &s, err);
    if (st != SM_OK) return st;
    *out = *cfg;
    if (s.permuted)
        snprintf(out->data.classes, sizeof out->data.classes, "all");
    else {
        char *p = out->data.classes;
        size_t left = sizeof out->data.classes;
        p[0] = '\0';
        for (int c = 0; c < SM_CL_MAX_CLASSES; c++) {
            if (s.task_of[c] < 0) continue;
            const int w = snprintf(p, left, "%s%d", p == out->data.classes ? "" : ",", c);
            if (w < 0 || (size_t)w >= left)
                return sm_error_set(err, SM_EINVAL, "cl.stream: too many classes");
            p += w;
            left -= (size_t)w;
        }
    }
    out->data.n_train = s.per_class_train * s.n_used;
    out->data.n_val = s.per_class_val * s.n_used;
    out->data.n_test = s.per_class_test * s.n_used;
    return SM_OK;
}

void sm_cl_permutation(int t, int n_pixels, uint64_t seed, int *perm)
{
    for (int i = 0; i < n_pixels; i++)
        perm[i] = i;
    if (t == 0) return;
    sm_rng r;
    sm_rng_init(&r, seed, SM_STREAM_CONTINUAL, (uint32_t)(SM_CL_RNG_PERM << 16 | t));
    sm_rng_shuffle(&r, perm, n_pixels);
}

sm_dataset *sm_cl_task_images(const sm_cl_stream *s, const sm_dataset *part, int t, uint64_t seed,
                              int *orig, sm_error *err)
{
    int *idx = malloc((size_t)(part->n > 0 ? part->n : 1) * sizeof *idx), n = 0;
    if (!idx) {
        sm_error_set(err, SM_ENOMEM, "continual: out of memory");
        return NULL;
    }
    for (int i = 0; i < part->n; i++) {
        const int y = part->labels[i];
        if (s->permuted || (y < SM_CL_MAX_CLASSES && s->task_of[y] == t)) idx[n++] = i;
    }
    sm_dataset *d = sm_dataset_subset(part, idx, n, err);
    if (orig) memcpy(orig, idx, (size_t)n * sizeof *idx);
    free(idx);
    if (!d) return NULL;
    if (s->scenario == SM_CL_DOMAIN && !s->permuted) {
        for (int i = 0; i < d->n; i++)
            d->labels[i] = s->pos_of[d->labels[i]];
        d->n_classes = s->n_outputs;
    }
    if (s->permuted && t > 0) {
        const int np = d->width * d->height;
        int *perm = malloc((size_t)np * sizeof *perm);
        float *tmp = malloc((size_t)np * sizeof *tmp);
        if (!perm || !tmp) {
            free(perm);
            free(tmp);
            sm_dataset_destroy(d);
            sm_error_set(err, SM_ENOMEM, "continual: out of memory");
            return NULL;
        }
        sm_cl_permutation(t, np, seed, perm);
        for (int i = 0; i < d->n; i++) {
            float *img = sm_dataset_image(d, i);
            for (int k = 0; k < np; k++)
                tmp[k] = img[perm[k]];
            memcpy(img, tmp, (size_t)np * sizeof *tmp);
        }
        free(perm);
        free(tmp);
    }
    return d;
}
