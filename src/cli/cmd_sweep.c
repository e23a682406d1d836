/* somnus sweep: the paper's experiment as a grid of training runs (cells), run side by
 * side on all cores and, under mpirun, across MPI ranks; resumable; tables and figures
 * at the end. See docs/sweep.md.
 *
 * Execution: worker threads (--jobs) run cells, each on one thread (run.threads = 1;
 * results do not depend on it). Only the main thread touches files and MPI: it writes
 * finished cells (rank 0) or sends them to rank 0 (other ranks), so a run without a
 * shared file system works, and a signal never interrupts a half-written file. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blas_record.h"
#include "util.h"
#include "somnus/core/fileio.h"
#include "somnus/analysis/plot.h"
#include "somnus/io/results.h"
#include "somnus/protocol/sweep.h"
#include "somnus/protocol/sweep_runner.h"
#include "somnus/protocol/train.h"

#ifdef SOMNUS_HAVE_MPI
#include <mpi.h>
#endif

enum { TAG_RESULT = 11, TAG_ERROR = 12, TAG_DONE = 13, TAG_STOP = 14 };

static volatile sig_atomic_t g_stop; /* set by SIGINT / SIGTERM, or on a failed cell */

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

typedef struct sweep_opts {
    cli_common common;
    const char *out;
    const char *grid[64];
    int n_grid;
    long jobs;
    int quiet, no_plots;
    int force; /* resume a sweep that another somnus version started */
    double compare_rate;
} sweep_opts;

static void usage(FILE *out)
{
    fprintf(out, "usage: somnus sweep --grid group.name=VALUES [--grid ...] --out DIR [options]\n"
                 "  --grid P=VALUES   an axis of the grid: parameter P over a list (a,b,c) and/or\n"
                 "                    ranges a:b[:step] (numbers), e.g. sleep.rate=0:1:0.1,\n"
                 "                    run.seed=1:5, data.dataset=mnist,fashion (';' separates\n"
                 "                    values that contain commas)\n"
                 "  --out DIR         results folder: cells/<id>.json (+ .se.npy), runs.csv,\n"
                 "                    final.csv, summary.csv, summary.md, plots/\n"
                 "  --jobs N          cells run at once (default: the number of cores; under\n"
                 "                    mpirun: cores / ranks on the node)\n"
                 "  --compare-rate R  sleep rate drawn against 0 in the figures (default: best)\n"
                 "  --no-plots        tables only\n"
                 "  --quiet           no progress lines\n"
                 "  --force           resume a folder that another somnus version started\n"
                 "                    (its finished cells are kept: the results mix versions)\n"
                 "  --config FILE  --set group.name=value  --seed N   the base configuration\n"
                 "Running the same command again resumes: finished cells are skipped.\n"
                 "Across machines: mpirun -n K somnus sweep ... (results gathered on rank 0).\n");
}

static int parse_rate(const char *v, double *out)
{
    char *end;
    *out = strtod(v, &end);
    return end != v && !*end && isfinite(*out);
}

static int parse(sweep_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->compare_rate = NAN;
    for (int i = 1; i < argc; i++) {
        int bad = 0, r = cli_common_option(&o->common, argc, argv, &i);
        const char *v;
        if (r < 0) return CLI_USAGE;
        if (r > 0) continue;
        if ((v = cli_value("--grid", argc, argv, &i, &bad))) {
            if (o->n_grid == 64) return cli_fail(CLI_USAGE, "too many --grid options");
            o->grid[o->n_grid++] = v;
        } else if (!bad && (v = cli_value("--out", argc, argv, &i, &bad)))
            o->out = v;
        else if (!bad && (v = cli_value("--jobs", argc, argv, &i, &bad))) {
            long long n = cli_parse_count("--jobs", v);
            if (n < 0) return CLI_USAGE;
            if (n < 1 || n > 4096) return cli_fail(CLI_USAGE, "--jobs: %lld is not in 1..4096", n);
            o->jobs = (long)n;
        } else if (!bad && (v = cli_value("--compare-rate", argc, argv, &i, &bad))) {
            if (!parse_rate(v, &o->compare_rate))
                return cli_fail(CLI_USAGE, "--compare-rate: '%s' is not a number", v);
        } else if (!bad && !strcmp(argv[i], "--quiet"))
            o->quiet = 1;
        else if (!bad && !strcmp(argv[i], "--no-plots"))
            o->no_plots = 1;
        else if (!bad && !strcmp(argv[i], "--force"))
            o->force = 1;
        else if (!bad && !strcmp(argv[i], "--help")) {
            usage(stdout);
            return -1;
        } else if (!bad)
            return cli_fail(CLI_USAGE, "sweep: unknown option '%s' (see somnus sweep --help)",
                            argv[i]);
        if (bad) return CLI_USAGE;
    }
    if (!o->out) return cli_fail(CLI_USAGE, "sweep: --out DIR is required");
    if (o->n_grid == 0)
        return cli_fail(CLI_USAGE, "sweep: empty grid: give at least one --grid group.name=VALUES");
    return CLI_OK;
}

typedef struct sweep {
    const sweep_opts *o;
    sm_grid grid;
    sm_config base;
    int64_t n_cells;
    sm_sweep_runner *runner;
    int64_t *mine; /* this rank's cells */
    int64_t n_mine;
} sweep;

#define CELL_ID(s, c) sm_sweep_runner_cell_id((s)->runner, (c))

/* ------------------------------------------------------------------ files */

static sm_status write_bytes(const char *path, const void *data, size_t len, sm_error *err)
{
    sm_atomic_file f;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) return st;
    if (fwrite(data, 1, len, f.fp) != len) {
        sm_atomic_abort(&f);
        return sm_error_set(err, SM_EIO, "%s: write failed", path);
    }
    return sm_atomic_commit(&f, err);
}

/* The weights first: a cell counts as done when its JSON exists. */
static sm_status write_cell(const sweep *s, int64_t cell, const char *json, size_t json_len,
                            const void *npy, size_t npy_len, sm_error *err)
{
    char path[4096];
    sm_status st = SM_OK;
    if (npy) {
        snprintf(path, sizeof path, "%s/cells/%s.se.npy", s->o->out, CELL_ID(s, cell));
        st = write_bytes(path, npy, npy_len, err);
    }
    snprintf(path, sizeof path, "%s/cells/%s.json", s->o->out, CELL_ID(s, cell));
    if (st == SM_OK) st = write_bytes(path, json, json_len, err);
    return st;
}

/* 1 if DIR/cells/<id>.json holds a finished run of this cell's configuration. If it was
 * written by another somnus version, that version goes to other_version (when empty). */
static int cell_done(const sweep *s, int64_t cell, char *other_version, size_t size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/cells/%s.json", s->o->out, CELL_ID(s, cell));
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc) return 0;
    const char *h =
        json_string_value(json_object_get(json_object_get(doc, "sweep"), "config_hash"));
    const int ok = h && !strcmp(h, sm_sweep_runner_cell_hash(s->runner, cell)) &&
                   json_object_get(doc, "final");
    const char *v = json_string_value(json_object_get(doc, "somnus_version"));
    if (ok && !other_version[0] && (!v || strcmp(v, sm_version()) != 0))
        snprintf(other_version, size, "%s", v ? v : "(unknown)");
    json_decref(doc);
    return ok;
}

static sm_status write_manifest(const sweep *s, int argc, char **argv, sm_error *err)
{
    json_t *cmd = json_array(), *ids = json_array();
    for (int k = 0; k < argc; k++)
        json_array_append_new(cmd, json_string(argv[k]));
    for (int64_t c = 0; c < s->n_cells; c++)
        json_array_append_new(ids, json_string(CELL_ID(s, c)));
    json_t *doc =
        json_pack("{s:s, s:o, s:o, s:I, s:o, s:o}", "somnus_version", sm_version(), "command", cmd,
                  "axes", sm_grid_to_json(&s->grid), "n_cells", (json_int_t)s->n_cells, "cells",
                  ids, "base_config", sm_config_to_json(&s->base));
    char path[4096];
    cli_record_blas(doc);
    snprintf(path, sizeof path, "%s/sweep.json", s->o->out);
    sm_status st = doc ? sm_json_write(path, doc, err)
                       : sm_error_set(err, SM_ENOMEM, "out of memory for the manifest");
    json_decref(doc);
    return st;
}

/* Tables and figures from every cell of the grid (read back from DIR/cells). */
static sm_status report(const sweep *s, int *written, sm_error *err)
{
    json_t *cells = json_array(), *axes = json_array();
    sm_status st = SM_OK;
    for (int i = 0; i < s->grid.n_axes; i++)
        json_array_append_new(axes, json_string(s->grid.axes[i].def->name));
    for (int64_t c = 0; c < s->n_cells && st == SM_OK; c++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/cells/%s.json", s->o->out, CELL_ID(s, c));
        json_error_t je;
        json_t *doc = json_load_file(path, 0, &je);
        if (!doc)
            st = sm_error_set(err, SM_EFORMAT, "%s:%d: %s", path, je.line, je.text);
        else
            json_array_append_new(cells, doc);
    }
    sm_sweep_report_opts ro;
    sm_sweep_report_opts_default(&ro);
    ro.compare_rate = s->o->compare_rate;
    if (st == SM_OK)
        st = sm_sweep_report(s->o->out, cells, axes, &ro,
                             SM_SWEEP_TABLES | (s->o->no_plots ? 0 : SM_SWEEP_PLOTS), written, err);
    json_decref(cells);
    json_decref(axes);
    return st;
}

/* ------------------------------------------------------------------ MPI */

typedef struct world {
    int rank, size, mpi;
} world;

static int launched_by_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

static int env_int(const char *name, int def)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : def;
}

#ifdef SOMNUS_HAVE_MPI
/* Packs a result for rank 0: cell, JSON length, NPY length, the bytes. */
static void send_result(const sm_sweep_cell *r)
{
    const int64_t head[3] = {r->cell, (int64_t)r->json_len, (int64_t)r->npy_len};
    const size_t n = sizeof head + r->json_len + r->npy_len;
    char *buf = malloc(n);
    if (!buf) {
        MPI_Abort(MPI_COMM_WORLD, CLI_FAIL);
        return;
    }
    memcpy(buf, head, sizeof head);
    memcpy(buf + sizeof head, r->json, r->json_len);
    if (r->npy_len) memcpy(buf + sizeof head + r->json_len, r->npy, r->npy_len);
    MPI_Send(buf, (int)n, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
    free(buf);
}

static void send_error(const sm_sweep_cell *r)
{
    MPI_Send(r->error, (int)strlen(r->error) + 1, MPI_CHAR, 0, TAG_ERROR, MPI_COMM_WORLD);
}
#endif

/* ------------------------------------------------------------------ the command */

typedef struct tally {
    int64_t done, todo;
    char error[1400]; /* first failure */
    int failed, write_failed;
    double t0;
} tally;

static void handle_local(sweep *s, const world *w, const sm_sweep_cell *r, tally *t)
{
    if (r->error) {
        if (!t->failed && strcmp(r->error, "interrupted") != 0) {
            snprintf(t->error, sizeof t->error, "%s", r->error);
            t->failed = 1;
        }
#ifdef SOMNUS_HAVE_MPI
        if (w->rank > 0 && strcmp(r->error, "interrupted") != 0) send_error(r);
#endif
        g_stop = 1;
        return;
    }
#ifdef SOMNUS_HAVE_MPI
    if (w->rank > 0) {
        send_result(r);
        return;
    }
#else
    (void)w;
#endif
    sm_error err;
    if (write_cell(s, r->cell, r->json, r->json_len, r->npy, r->npy_len, &err) != SM_OK) {
        if (!t->failed) snprintf(t->error, sizeof t->error, "%s", err.msg);
        t->failed = t->write_failed = 1;
        g_stop = 1;
        return;
    }
    t->done++;
    if (!s->o->quiet) {
        json_t *doc = json_loadb(r->json, r->json_len, 0, NULL);
        json_t *fin = json_object_get(doc, "final");
        printf("[%*lld/%lld] %s: test accuracy %.3f, %.1f s\n", t->todo >= 100 ? 3 : 2,
               (long long)t->done, (long long)t->todo, CELL_ID(s, r->cell),
               json_number_value(json_object_get(fin, "test_accuracy")),
               json_number_value(json_object_get(json_object_get(doc, "timing"), "wall_s")));
        fflush(stdout);
        json_decref(doc);
    }
}

static int run_sweep(sweep *s, world *w, tally *t)
{
    long jobs = s->o->jobs;
    if (jobs <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        int local = w->mpi ? env_int("OMPI_COMM_WORLD_LOCAL_SIZE", 1) : 1;
        jobs = cores > 0 ? cores / (local > 0 ? local : 1) : 1;
        if (jobs < 1) jobs = 1;
    }
    sm_error err;
    if (sm_sweep_runner_start(s->runner, s->mine, s->n_mine, (int)jobs, &g_stop, &err) != SM_OK)
        return cli_fail(CLI_FAIL, "%s", err.msg);
    int ranks_done = 0, sent_stop = 0;
    (void)sent_stop;
    for (;;) {
        int local_finished = 0;
        sm_sweep_cell *c = sm_sweep_runner_next(s->runner, w->mpi ? 0.02 : 0.2, &local_finished);
        if (!c && local_finished) {
            const struct timespec nap = {0, 10000000L};
            nanosleep(&nap, NULL);
        }
        while (c) {
            handle_local(s, w, c, t);
            sm_sweep_cell_free(c);
            c = sm_sweep_runner_next(s->runner, 0, &local_finished);
        }
#ifdef SOMNUS_HAVE_MPI
        if (w->mpi && w->rank == 0) {
            int flag = 1;
            while (flag) {
                MPI_Status ms;
                MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &ms);
                if (!flag) break;
                int n;
                MPI_Get_count(&ms, MPI_BYTE, &n);
                char *buf = malloc((size_t)n + 1);
                if (!buf) { /* as in send_result: MPI_Abort is not declared noreturn */
                    MPI_Abort(MPI_COMM_WORLD, CLI_FAIL);
                    return CLI_FAIL;
                }
                MPI_Recv(buf, n, MPI_BYTE, ms.MPI_SOURCE, ms.MPI_TAG, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
                buf[n] = '\0';
                if (ms.MPI_TAG == TAG_RESULT && (size_t)n >= 3 * sizeof(int64_t)) {
                    int64_t head[3];
                    memcpy(head, buf, sizeof head);
                    sm_sweep_cell r = {.cell = head[0],
                                       .json = buf + sizeof head,
                                       .json_len = (size_t)head[1],
                                       .npy = head[2] ? buf + sizeof head + head[1] : NULL,
                                       .npy_len = (size_t)head[2]};
                    handle_local(s, w, &r, t);
                } else if (ms.MPI_TAG == TAG_ERROR) {
                    if (!t->failed) snprintf(t->error, sizeof t->error, "%s", buf);
                    t->failed = 1;
                    g_stop = 1;
                } else if (ms.MPI_TAG == TAG_DONE)
                    ranks_done++;
                free(buf);
            }
            if (g_stop && !sent_stop) {
                for (int r = 1; r < w->size; r++)
                    MPI_Send(NULL, 0, MPI_BYTE, r, TAG_STOP, MPI_COMM_WORLD);
                sent_stop = 1;
            }
        } else if (w->mpi) {
            int flag;
            MPI_Iprobe(0, TAG_STOP, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
            if (flag) {
                MPI_Recv(NULL, 0, MPI_BYTE, 0, TAG_STOP, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                g_stop = 1;
            }
        }
#endif
        if (local_finished) {
            if (!w->mpi || (w->rank == 0 && ranks_done == w->size - 1)) break;
#ifdef SOMNUS_HAVE_MPI
            if (w->rank > 0) {
                MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_DONE, MPI_COMM_WORLD);
                /* Wait for rank 0's stop message if one is coming; it is sent to every
                 * rank once, and receiving it here keeps MPI_Finalize clean. */
                break;
            }
#endif
        }
    }
    return CLI_OK;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void sweep_free(sweep *s)
{
    sm_sweep_runner_destroy(s->runner);
    sm_grid_free(&s->grid);
    free(s->mine);
}

/* Everything that can be checked before any run: the grid, every cell's config, the
 * datasets. */
static int prepare(sweep *s)
{
    const sweep_opts *o = s->o;
    sm_error err;
    if (cli_build_config(&o->common, &s->base, &err) != SM_OK)
        return cli_fail(CLI_USAGE, "%s", err.msg);
    sm_grid_init(&s->grid);
    for (int k = 0; k < o->n_grid; k++)
        if (sm_grid_add(&s->grid, o->grid[k], &err) != SM_OK)
            return cli_fail(err.code == SM_ENOMEM ? CLI_FAIL : CLI_USAGE, "%s", err.msg);
    s->runner = sm_sweep_runner_create(&s->grid, &s->base, &err);
    if (!s->runner) return cli_fail(err.code == SM_ENOMEM ? CLI_FAIL : CLI_USAGE, "%s", err.msg);
    s->n_cells = sm_sweep_runner_n_cells(s->runner);
    s->mine = calloc((size_t)s->n_cells, sizeof *s->mine);
    if (!s->mine) return cli_fail(CLI_FAIL, "out of memory");
    return CLI_OK;
}

/* Rank 0: the output folder, the manifest, which cells are done. Fills skip[]. */
static int setup_output(sweep *s, int argc, char **argv, unsigned char *skip, int64_t *n_skip)
{
    sm_error err;
    char path[4096];
    struct stat sb;
    const int existed = stat(s->o->out, &sb) == 0;
    if (existed && !S_ISDIR(sb.st_mode))
        return cli_fail(CLI_USAGE, "--out %s: exists and is not a folder", s->o->out);
    snprintf(path, sizeof path, "%s/cells", s->o->out);
    if (sm_mkdir_p(path, &err) != SM_OK) return cli_fail(CLI_USAGE, "--out %s", err.msg);
    snprintf(path, sizeof path, "%s/cells/probe", s->o->out);
    if (cli_check_writable(path, &err) != SM_OK) {
        if (!existed) {
            snprintf(path, sizeof path, "%s/cells", s->o->out);
            rmdir(path);
            rmdir(s->o->out);
        }
        return cli_fail(CLI_USAGE, "--out %s", err.msg);
    }
    /* Resuming: a folder started (or cells finished) by another somnus version would mix
     * versions in one table; refused unless --force. */
    char other[128] = "", where[4200] = "";
    snprintf(path, sizeof path, "%s/sweep.json", s->o->out);
    json_t *manifest = existed ? json_load_file(path, 0, NULL) : NULL;
    const char *mv = json_string_value(json_object_get(manifest, "somnus_version"));
    if (mv && strcmp(mv, sm_version()) != 0) {
        snprintf(other, sizeof other, "%s", mv);
        snprintf(where, sizeof where, "%s", path);
    }
    json_decref(manifest);
    *n_skip = 0;
    for (int64_t c = 0; c < s->n_cells; c++) {
        const int had = other[0] != 0;
        skip[c] = (unsigned char)cell_done(s, c, other, sizeof other);
        if (!had && other[0])
            snprintf(where, sizeof where, "%s/cells/%s.json", s->o->out, CELL_ID(s, c));
        *n_skip += skip[c];
    }
    if (other[0] && !s->o->force)
        return cli_fail(CLI_USAGE,
                        "--out %s: resuming a sweep of somnus %s (%s) with somnus %s would mix "
                        "versions in its results; use a new --out folder, or --force to resume",
                        s->o->out, other, where, sm_version());
    if (other[0] && !s->o->quiet)
        fprintf(stderr, "somnus: warning: --force: resuming a sweep of somnus %s with somnus %s\n",
                other, sm_version());
    if (write_manifest(s, argc, argv, &err) != SM_OK) return cli_fail(CLI_FAIL, "%s", err.msg);
    return CLI_OK;
}

int cmd_sweep(int argc, char **argv)
{
    sweep_opts o;
    world w = {0, 1, 0};
    /* Under mpirun every rank parses the same command line; only rank 0 speaks. */
    if (launched_by_mpirun()) {
        w.rank = env_int("OMPI_COMM_WORLD_RANK", env_int("PMIX_RANK", env_int("PMI_RANK", 0)));
        if (w.rank > 0) {
            if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
                return CLI_FAIL;
        }
    }
    int rc = parse(&o, argc, argv);
    if (rc < 0) return CLI_OK;
    if (rc != CLI_OK) return rc;
    sweep s;
    memset(&s, 0, sizeof s);
    s.o = &o;
    rc = prepare(&s);
    if (rc != CLI_OK) {
        sweep_free(&s);
        return rc;
    }
    const double t0 = cli_now();
    unsigned char *skip = calloc((size_t)s.n_cells, 1);
    if (!skip) {
        sweep_free(&s);
        return cli_fail(CLI_FAIL, "out of memory");
    }
#ifdef SOMNUS_HAVE_MPI
    if (launched_by_mpirun()) {
        int provided;
        MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
        MPI_Comm_rank(MPI_COMM_WORLD, &w.rank);
        MPI_Comm_size(MPI_COMM_WORLD, &w.size);
        w.mpi = 1;
    }
#else
    if (launched_by_mpirun() && env_int("OMPI_COMM_WORLD_SIZE", 1) > 1) {
        free(skip);
        sweep_free(&s);
        return cli_fail(CLI_USAGE, "this somnus was built without MPI (SOMNUS_MPI=OFF); run "
                                   "the sweep without mpirun");
    }
#endif
    int64_t n_skip = 0;
    int status = CLI_OK;
    if (w.rank == 0) status = setup_output(&s, argc, argv, skip, &n_skip);
#ifdef SOMNUS_HAVE_MPI
    if (w.mpi) {
        MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
        MPI_Bcast(skip, (int)s.n_cells, MPI_UNSIGNED_CHAR, 0, MPI_COMM_WORLD);
    }
#endif
    tally t = {.t0 = t0};
    if (status == CLI_OK) {
        install_signals();
        int64_t k = 0;
        for (int64_t c = 0; c < s.n_cells; c++) {
            if (skip[c]) continue;
            if (k % w.size == w.rank) s.mine[s.n_mine++] = c;
            t.todo++;
            k++;
        }
        n_skip = s.n_cells - t.todo;
        if (w.rank == 0 && !o.quiet) {
            printf("somnus sweep: %lld cells, %lld to run, %lld done already; %s%s\n",
                   (long long)s.n_cells, (long long)t.todo, (long long)n_skip, o.out,
                   w.mpi ? " (MPI)" : "");
            fflush(stdout);
        }
        status = run_sweep(&s, &w, &t);
    }
#ifdef SOMNUS_HAVE_MPI
    if (w.mpi) {
        /* Drain a stop message that may still be on its way to this rank. */
        MPI_Barrier(MPI_COMM_WORLD);
        int flag = 1;
        while (w.rank > 0 && flag) {
            MPI_Iprobe(0, TAG_STOP, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
            if (flag) MPI_Recv(NULL, 0, MPI_BYTE, 0, TAG_STOP, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        }
        MPI_Finalize();
    }
#endif
    if (w.rank > 0 || status != CLI_OK) {
        free(skip);
        sweep_free(&s);
        return status;
    }
    if (t.failed) {
        free(skip);
        sweep_free(&s);
        return cli_fail(CLI_FAIL, "%s (%lld cells finished; run the command again to resume)",
                        t.error, (long long)t.done);
    }
    if (g_stop) {
        free(skip);
        sweep_free(&s);
        return cli_fail(130,
                        "interrupted: %lld of %lld cells finished and saved; run the same "
                        "command again to resume",
                        (long long)t.done + (long long)n_skip, (long long)s.n_cells);
    }
    sm_error err;
    int written = 0;
    sm_status st = report(&s, &written, &err);
    sm_plot_release_caches();
    if (st == SM_OK && !o.quiet)
        printf("somnus sweep: %lld cells run, %lld skipped (already done), %.1f s; tables: "
               "%s/{runs,final,summary}.csv, summary.md%s\n",
               (long long)t.done, (long long)n_skip, cli_now() - t0, o.out,
               o.no_plots ? "" : "; figures: plots/");
    free(skip);
    sweep_free(&s);
    if (st != SM_OK) return cli_fail(CLI_FAIL, "%s", err.msg);
    return CLI_OK;
}
