/* The sweep runner: worker threads run cells, the caller's thread takes finished ones
 * (sweep_runner.h). Each cell runs on one thread (run.threads = 1 in effect through
 * OpenMP's nesting: a worker is not an OpenMP team), so cells side by side use the
 * cores; results do not depend on it. */
#include "somnus/protocol/sweep_runner.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "somnus/io/dataset.h"
#include "somnus/protocol/train.h"
#include "protocol/train_models.h"

typedef struct pool_entry {
    char name[SM_CONFIG_STR_MAX], dir[SM_CONFIG_STR_MAX];
    sm_dataset *pool, *official;
} pool_entry;

typedef struct node {
    sm_sweep_cell *cell;
    struct node *next;
} node;

struct sm_sweep_runner {
    const sm_grid *grid;
    sm_config base;
    int64_t n_cells;
    char (*ids)[SM_SWEEP_ID_MAX];
    char (*hashes)[17];
    pool_entry *pools;
    int n_pools;
    /* the cells to run */
    int64_t *todo;
    int64_t n_todo, next;
    volatile sig_atomic_t *stop;
    volatile sig_atomic_t failed; /* a cell failed or ran out of memory: take no new cells */
    pthread_t *threads;
    int n_threads, workers_left;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    node *head, *tail;
};

static const pool_entry *pool_find(const sm_sweep_runner *r, const sm_config *cfg)
{
    for (int k = 0; k < r->n_pools; k++)
        if (!strcmp(r->pools[k].name, cfg->data.dataset) && !strcmp(r->pools[k].dir, cfg->data.dir))
            return &r->pools[k];
    return NULL;
}

/* 1: the cell's model reads a dataset (hopfield and theta make their own examples). */
static int needs_data(const sm_config *cfg)
{
    const sm_train_model *m = sm_train_model_find(cfg->train.model, NULL);
    return !m || m->needs_data;
}

static sm_status pool_load(sm_sweep_runner *r, const sm_config *cfg, sm_error *err)
{
    if (!needs_data(cfg) || pool_find(r, cfg)) return SM_OK;
    pool_entry *ne = realloc(r->pools, (size_t)(r->n_pools + 1) * sizeof *ne);
    if (!ne) return sm_error_set(err, SM_ENOMEM, "out of memory");
    r->pools = ne;
    pool_entry *p = &r->pools[r->n_pools];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", cfg->data.dataset);
    snprintf(p->dir, sizeof p->dir, "%s", cfg->data.dir);
    sm_status st = sm_dataset_load_named(p->name, p->dir, &p->pool, &p->official, err);
    if (st == SM_OK) r->n_pools++;
    return st;
}

/* One cell per distinct dataset goes through the data preparation, so that a split the
 * pool cannot satisfy fails before any run. */
static sm_status check_splits(const sm_sweep_runner *r, sm_error *err)
{
    for (int k = 0; k < r->n_pools; k++)
        for (int64_t c = 0; c < r->n_cells; c++) {
            sm_config cfg;
            sm_grid_cell_config(r->grid, c, &r->base, &cfg, err);
            if (pool_find(r, &cfg) != &r->pools[k]) continue;
            sm_train_data d;
            sm_status st =
                sm_train_data_from_pool(&cfg, r->pools[k].pool, r->pools[k].official, &d, err);
            if (st != SM_OK) return st;
            sm_train_data_free(&d);
            break;
        }
    return SM_OK;
}

sm_sweep_runner *sm_sweep_runner_create(const sm_grid *grid, const sm_config *base, sm_error *err)
{
    sm_error local;
    if (!err) err = &local;
    const int64_t n = sm_grid_n_cells(grid);
    if (n > 1000000) {
        sm_error_set(err, SM_EINVAL, "sweep: %lld cells is more than 1,000,000", (long long)n);
        return NULL;
    }
    sm_sweep_runner *r = calloc(1, sizeof *r);
    if (!r) {
        sm_error_set(err, SM_ENOMEM, "out of memory");
        return NULL;
    }
    r->grid = grid;
    r->base = *base;
    r->n_cells = n;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->ids = calloc((size_t)n, sizeof *r->ids);
    r->hashes = calloc((size_t)n, sizeof *r->hashes);
    sm_status st = r->ids && r->hashes ? SM_OK : sm_error_set(err, SM_ENOMEM, "out of memory");
    for (int64_t c = 0; c < n && st == SM_OK; c++) {
        sm_config cfg;
        st = sm_grid_cell_config(grid, c, base, &cfg, err);
        if (st != SM_OK) break;
        sm_grid_cell_id(grid, c, r->ids[c], sizeof r->ids[c]);
        sm_sweep_config_hash(&cfg, r->hashes[c]);
        st = pool_load(r, &cfg, err);
    }
    if (st == SM_OK) st = check_splits(r, err);
    if (st != SM_OK) {
        sm_sweep_runner_destroy(r);
        return NULL;
    }
    return r;
}

int64_t sm_sweep_runner_n_cells(const sm_sweep_runner *r)
{
    return r->n_cells;
}

const char *sm_sweep_runner_cell_id(const sm_sweep_runner *r, int64_t cell)
{
    return r->ids[cell];
}

const char *sm_sweep_runner_cell_hash(const sm_sweep_runner *r, int64_t cell)
{
    return r->hashes[cell];
}

static int stopping(const sm_sweep_runner *r)
{
    return (r->stop && *r->stop) || r->failed;
}

static int cell_progress(void *ctx, const sm_train_progress *p)
{
    (void)p;
    return stopping(ctx);
}

typedef struct npy_capture {
    void *data;
    size_t len;
} npy_capture;

static void capture_weights(void *ctx, const struct sm_sim *sim)
{
    npy_capture *c = ctx;
    c->data = sm_sweep_se_npy(sim, &c->len);
}

/* The document's text with the sweep object added, newline-terminated. */
static char *cell_text(const sm_sweep_runner *r, int64_t cell, json_t *doc, size_t *len)
{
    json_t *sw = json_pack("{s:s, s:o, s:s}", "id", r->ids[cell], "params",
                           sm_grid_cell_params(r->grid, cell), "config_hash", r->hashes[cell]);
    json_object_set_new(doc, "sweep", sw);
    char *text = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    if (!text) return NULL;
    const size_t n = strlen(text);
    char *out = malloc(n + 2);
    if (out) {
        memcpy(out, text, n);
        out[n] = '\n';
        out[n + 1] = '\0';
        *len = n + 1;
    }
    free(text);
    return out;
}

static sm_sweep_cell *run_cell(sm_sweep_runner *r, int64_t cell)
{
    sm_sweep_cell *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->cell = cell;
    sm_config cfg;
    sm_error err;
    sm_train_data data;
    json_t *doc = NULL;
    npy_capture cap = {0};
    sm_status st = sm_grid_cell_config(r->grid, cell, &r->base, &cfg, &err);
    if (st == SM_OK) {
        const pool_entry *p = pool_find(r, &cfg);
        st = p || !needs_data(&cfg) ? sm_train_data_from_pool(&cfg, p ? p->pool : NULL,
                                                              p ? p->official : NULL, &data, &err)
                                    : sm_error_set(&err, SM_EINTERNAL, "dataset not loaded");
    }
    if (st == SM_OK) {
        st = sm_train_run_final(&cfg, &data, cell_progress, r, capture_weights, &cap, &doc, &err);
        sm_train_data_free(&data);
    }
    if (st == SM_OK) {
        c->json = cell_text(r, cell, doc, &c->json_len);
        if (!c->json) st = sm_error_set(&err, SM_ENOMEM, "out of memory for the results");
    }
    json_decref(doc);
    c->npy = cap.data;
    c->npy_len = cap.len;
    if (st != SM_OK) {
        char msg[SM_ERROR_MSG_MAX + SM_SWEEP_ID_MAX + 16];
        snprintf(msg, sizeof msg, "cell %s: %s", r->ids[cell], err.msg);
        c->error = strdup(st == SM_ECANCELED ? "interrupted" : msg);
        free(c->json);
        c->json = NULL;
    }
    return c;
}

static void push(sm_sweep_runner *r, sm_sweep_cell *c)
{
    node *n = c ? malloc(sizeof *n) : NULL;
    if (!n) {
        sm_sweep_cell_free(c);
        r->failed = 1;
        return;
    }
    n->cell = c;
    n->next = NULL;
    if (r->tail)
        r->tail->next = n;
    else
        r->head = n;
    r->tail = n;
    if (c->error && strcmp(c->error, "interrupted") != 0) r->failed = 1;
}

static void *worker(void *arg)
{
    sm_sweep_runner *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        if (stopping(r) || r->next >= r->n_todo) {
            r->workers_left--;
            pthread_cond_broadcast(&r->cv);
            pthread_mutex_unlock(&r->mu);
            return NULL;
        }
        const int64_t cell = r->todo[r->next++];
        pthread_mutex_unlock(&r->mu);
        sm_sweep_cell *c = run_cell(r, cell);
        pthread_mutex_lock(&r->mu);
        push(r, c);
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
}

sm_status sm_sweep_runner_start(sm_sweep_runner *r, const int64_t *cells, int64_t n, int jobs,
                                volatile sig_atomic_t *stop, sm_error *err)
{
    if (r->threads || r->todo) return sm_error_set(err, SM_EINVAL, "sweep: runner already started");
    for (int64_t k = 0; k < n; k++)
        if (cells[k] < 0 || cells[k] >= r->n_cells)
            return sm_error_set(err, SM_EINVAL, "sweep: cell %lld is not in the grid (0..%lld)",
                                (long long)cells[k], (long long)r->n_cells - 1);
    r->todo = malloc((size_t)(n > 0 ? n : 1) * sizeof *r->todo);
    if (!r->todo) return sm_error_set(err, SM_ENOMEM, "out of memory");
    if (n > 0) memcpy(r->todo, cells, (size_t)n * sizeof *cells);
    r->n_todo = n;
    r->stop = stop;
    if (jobs <= 0) {
        const long cores = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = cores > 0 ? (int)cores : 1;
    }
    if (jobs > n) jobs = n > 0 ? (int)n : 1;
    r->threads = calloc((size_t)jobs, sizeof *r->threads);
    if (!r->threads) return sm_error_set(err, SM_ENOMEM, "out of memory");
    pthread_mutex_lock(&r->mu);
    for (int k = 0; k < jobs && n > 0; k++)
        if (pthread_create(&r->threads[r->n_threads], NULL, worker, r) == 0) {
            r->n_threads++;
            r->workers_left++;
        }
    pthread_mutex_unlock(&r->mu);
    if (n > 0 && r->n_threads == 0)
        return sm_error_set(err, SM_EINTERNAL, "sweep: cannot start worker threads");
    return SM_OK;
}

sm_sweep_cell *sm_sweep_runner_next(sm_sweep_runner *r, double timeout_s, int *all_done)
{
    pthread_mutex_lock(&r->mu);
    if (!r->head && r->workers_left > 0 && timeout_s > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        const long ns = (long)(timeout_s * 1e9);
        ts.tv_sec += ns / 1000000000L;
        ts.tv_nsec += ns % 1000000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    }
    sm_sweep_cell *c = NULL;
    if (r->head) {
        node *n = r->head;
        r->head = n->next;
        if (!r->head) r->tail = NULL;
        c = n->cell;
        free(n);
    }
    *all_done = r->workers_left == 0 && !r->head;
    pthread_mutex_unlock(&r->mu);
    return c;
}

void sm_sweep_runner_destroy(sm_sweep_runner *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    r->failed = 1; /* workers take no new cells */
    pthread_mutex_unlock(&r->mu);
    for (int k = 0; k < r->n_threads; k++)
        pthread_join(r->threads[k], NULL);
    while (r->head) {
        node *n = r->head;
        r->head = n->next;
        sm_sweep_cell_free(n->cell);
        free(n);
    }
    for (int k = 0; k < r->n_pools; k++) {
        sm_dataset_destroy(r->pools[k].pool);
        sm_dataset_destroy(r->pools[k].official);
    }
    free(r->pools);
    free(r->ids);
    free(r->hashes);
    free(r->todo);
    free(r->threads);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

void sm_sweep_cell_free(sm_sweep_cell *c)
{
    if (!c) return;
    free(c->json);
    free(c->npy);
    free(c->error);
    free(c);
}
