/* somnus train: the experiment protocol (spec section 7) on real or synthetic images,
 * for the STDP network or the SG-SNN baseline; one JSON results file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blas_record.h"
#include "util.h"
#include "export.h"
#include "somnus/core/fileio.h"
#include "somnus/io/results.h"
#include "somnus/protocol/train.h"

typedef struct train_opts {
    cli_common common;
    const char *out;
    const char *sets_extra[2]; /* --model / --data as assignments */
    char model_set[64], data_set[SM_CONFIG_STR_MAX + 16];
    int quiet;
    long long ckpt_every;
    const char *ckpt_dir, *resume_dir;
    const char *export_dir;
} train_opts;

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: somnus train [options]\n"
        "  --data NAME            dataset (data.dataset): mnist, fashion, kmnist, notmnist,\n"
        "                         synthetic[:N[:SEED]], idx:IMG,LBL[,TIMG,TLBL], mnist-json:DIR\n"
        "  --model stdp|sgsnn|disinh|hopfield|ppg|theta|dc\n"
        "                         model (train.model; default stdp);\n"
        "                         hopfield and theta make their own inputs and load no data\n"
        "                         (theta.task latents|pathint; task B's published set:\n"
        "                         --config configs/theta-pathint.cfg)\n"
        "  --out FILE             results JSON (default somnus-train.json)\n"
        "  --quiet                no progress bar and no summary\n"
        "  --export DIR           also write numpy files into DIR: weights, final readout\n"
        "                         representations and labels, monitor series (STDP), or\n"
        "                         w1, b1, w2, b2 (SG-SNN); continual runs: R, R_task,\n"
        "                         R_<learner>, ridge_G/Q_<learner>, pet_<learner>,\n"
        "                         agg_weights, permutations; see docs/formats.md\n"
        "  --checkpoint-every N   save the complete state every N batches (SG-SNN, disinh: "
        "epochs;\n"
        "                         dc: batches of data.batch images)\n"
        "                         into --checkpoint DIR (default: OUT.ckpt), atomically\n"
        "  --resume DIR           continue the run checkpointed in DIR (its config and\n"
        "                         data; no --config/--set/--seed/--data/--model)\n"
        "  --config FILE  --set group.name=value  --seed N   (see `somnus config --list`)\n"
        "Data come from data.dir (default ./data, filled by scripts/fetch-data.sh).\n");
}

static int parse(train_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->out = "somnus-train.json";
    for (int i = 1; i < argc; i++) {
        int bad = 0, r = cli_common_option(&o->common, argc, argv, &i);
        const char *v;
        if (r < 0) return CLI_USAGE;
        if (r > 0) continue;
        if ((v = cli_value("--out", argc, argv, &i, &bad)))
            o->out = v;
        else if (!bad && (v = cli_value("--model", argc, argv, &i, &bad))) {
            snprintf(o->model_set, sizeof o->model_set, "train.model=%s", v);
            o->sets_extra[0] = o->model_set;
        } else if (!bad && (v = cli_value("--data", argc, argv, &i, &bad))) {
            if (strlen(v) >= SM_CONFIG_STR_MAX)
                return cli_fail(CLI_USAGE, "--data: name longer than %d characters",
                                SM_CONFIG_STR_MAX - 1);
            snprintf(o->data_set, sizeof o->data_set, "data.dataset=%s", v);
            o->sets_extra[1] = o->data_set;
        } else if (!bad && (v = cli_value("--checkpoint-every", argc, argv, &i, &bad))) {
            if ((o->ckpt_every = cli_parse_count("--checkpoint-every", v)) <= 0) {
                if (o->ckpt_every == 0)
                    cli_fail(CLI_USAGE, "--checkpoint-every: must be at least 1 batch");
                return CLI_USAGE;
            }
        } else if (!bad && (v = cli_value("--checkpoint", argc, argv, &i, &bad)))
            o->ckpt_dir = v;
        else if (!bad && (v = cli_value("--resume", argc, argv, &i, &bad)))
            o->resume_dir = v;
        else if (!bad && (v = cli_value("--export", argc, argv, &i, &bad)))
            o->export_dir = v;
        else if (!bad && !strcmp(argv[i], "--quiet"))
            o->quiet = 1;
        else if (!bad && !strcmp(argv[i], "--help")) {
            usage(stdout);
            return -1;
        } else if (!bad)
            return cli_fail(CLI_USAGE, "train: unknown option '%s' (see somnus train --help)",
                            argv[i]);
        if (bad) return CLI_USAGE;
    }
    if (o->resume_dir && (o->common.n_configs || o->common.n_sets || o->common.seed ||
                          o->sets_extra[0] || o->sets_extra[1]))
        return cli_fail(CLI_USAGE, "--resume: the run continues with the config of its "
                                   "checkpoint; --config, --set, --seed, --data and --model "
                                   "cannot change it");
    /* --model and --data are --set shortcuts applied before the explicit --set options. */
    for (int k = 1; k >= 0; k--) {
        if (!o->sets_extra[k]) continue;
        if (o->common.n_sets == 256) return cli_fail(CLI_USAGE, "too many --set options");
        memmove(o->common.sets + 1, o->common.sets, (size_t)o->common.n_sets * sizeof(char *));
        o->common.sets[0] = o->sets_extra[k];
        o->common.n_sets++;
    }
    return CLI_OK;
}

typedef struct progress_bar {
    int on;
    double t0, last;
} progress_bar;

static int show_progress(void *ctx, const sm_train_progress *p)
{
    progress_bar *b = ctx;
    const double t = cli_now();
    if (!b->on || (t - b->last < 0.2 && p->done < p->total)) return 0;
    b->last = t;
    const double frac = p->total > 0 ? (double)p->done / (double)p->total : 0;
    const double el = t - b->t0, eta = frac > 0 ? el * (1 - frac) / frac : 0;
    char bar[31];
    int fill = (int)(frac * 30);
    for (int k = 0; k < 30; k++)
        bar[k] = k < fill ? '#' : '.';
    bar[30] = '\0';
    char acc[32] = "";
    if (!isnan(p->last_accuracy)) snprintf(acc, sizeof acc, "  val %.3f", p->last_accuracy);
    fprintf(stderr, "\r  %-5s [%s] %5.1f%%  batch %d/%d%s  %.0fs, ~%.0fs left ", p->stage, bar,
            100 * frac, p->batch, p->n_batches, acc, el, eta);
    fflush(stderr);
    return 0;
}

static double number_at(json_t *doc, const char *group, const char *key)
{
    json_t *v = json_object_get(json_object_get(doc, group), key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The checkpoint folder (--checkpoint DIR, else OUT.ckpt) into dir, created if missing
 * (*made = 1 then) and checked writable. */
static sm_status make_ckpt_dir(const char *asked, const char *out, char *dir, size_t size,
                               int *made, sm_error *err)
{
    if (asked)
        snprintf(dir, size, "%s", asked);
    else
        snprintf(dir, size, "%s.ckpt", out);
    struct stat sb;
    *made = stat(dir, &sb) != 0;
    sm_status st = sm_mkdir_p(dir, err);
    char path[4200];
    snprintf(path, sizeof path, "%s/checkpoint.smck", dir);
    if (st == SM_OK) st = cli_check_writable(path, err);
    if (st != SM_OK && *made) rmdir(dir);
    return st;
}

int cmd_train(int argc, char **argv)
{
    train_opts o;
    int rc = parse(&o, argc, argv);
    if (rc < 0) return CLI_OK;
    if (rc != CLI_OK) return rc;
    sm_config cfg;
    sm_error err;
    char resume_path[4200], ckpt_path[4200];
    if ((o.resume_dir && strlen(o.resume_dir) > 4000) ||
        (o.ckpt_dir && strlen(o.ckpt_dir) > 4000) || strlen(o.out) > 4000)
        return cli_fail(CLI_USAGE, "path longer than 4000 characters");
    if (o.resume_dir) {
        snprintf(resume_path, sizeof resume_path, "%s/checkpoint.smck", o.resume_dir);
        if (sm_train_checkpoint_config(resume_path, &cfg, &err) != SM_OK)
            return cli_fail(CLI_USAGE, "%s", err.msg);
        if (!o.ckpt_dir) o.ckpt_dir = o.resume_dir;
    } else if (cli_build_config(&o.common, &cfg, &err) != SM_OK)
        return cli_fail(CLI_USAGE, "%s", err.msg);
    if (o.export_dir && cfg.train.model == SM_MODEL_THETA && !cfg.diag.iid)
        return cli_fail(CLI_USAGE, "--export: the theta model exports only the diagnostics of "
                                   "diag.iid=1 (its experiments write the rate maps and weights "
                                   "as .npy)");
    if (cli_check_writable(o.out, &err) != SM_OK) return cli_fail(CLI_USAGE, "--out %s", err.msg);
    if (o.export_dir && cfg.train.model == SM_MODEL_HOPFIELD && !cfg.diag.iid)
        return cli_fail(
            CLI_USAGE,
            "--export: train exports only the hopfield model's diagnostics (diag.iid=1); "
            "its other arrays come from `somnus experiment hopfield-basic --out FILE` "
            "(next to FILE)");
    cli_export ex;
    memset(&ex, 0, sizeof ex);
    if (o.export_dir && cli_export_prepare(&ex, o.export_dir, &err) != SM_OK)
        return cli_fail(CLI_USAGE, "--export %s", err.msg);
    sm_train_data data;
    if (sm_train_data_load(&cfg, &data, &err) != SM_OK) {
        cli_export_discard(&ex);
        return cli_fail(err.code == SM_ENOMEM ? CLI_FAIL : CLI_USAGE, "%s", err.msg);
    }
    /* the checkpoint folder last, so that a run refused before it starts leaves none */
    char ckpt_dir[4096] = "";
    int ckpt_made = 0;
    if (o.ckpt_every > 0 &&
        make_ckpt_dir(o.ckpt_dir, o.out, ckpt_dir, sizeof ckpt_dir, &ckpt_made, &err) != SM_OK) {
        sm_train_data_free(&data);
        cli_export_discard(&ex);
        return cli_fail(CLI_USAGE, "--checkpoint %s", err.msg);
    }
    if (o.ckpt_every > 0) snprintf(ckpt_path, sizeof ckpt_path, "%s/checkpoint.smck", ckpt_dir);
    progress_bar b = {.on = !o.quiet && isatty(STDERR_FILENO), .t0 = cli_now()};
    json_t *doc = NULL;
    sm_train_options opt = {.progress = show_progress,
                            .progress_ctx = &b,
                            .checkpoint_path = o.ckpt_every > 0 ? ckpt_path : NULL,
                            .checkpoint_every = (int)o.ckpt_every,
                            .resume_path = o.resume_dir ? resume_path : NULL};
    if (o.export_dir) {
        opt.final_fn = cli_export_net_hook;
        opt.final_ctx = &ex;
        opt.repr_fn = cli_export_repr_hook;
        opt.repr_ctx = &ex;
        opt.sgsnn_final_fn = cli_export_sgsnn_hook;
        opt.array_fn = cli_export_array_hook;
        opt.array_ctx = &ex;
        opt.sgsnn_final_ctx = &ex;
        opt.ppg_final_fn = cli_export_ppg_hook;
        opt.ppg_final_ctx = &ex;
        opt.dc_final_fn = cli_export_dc_hook;
        opt.dc_final_ctx = &ex;
        opt.struct_event_fn = cli_export_struct_hook;
        opt.struct_event_ctx = &ex;
        ex.snapshot_every = cfg.structural.snapshot_every;
    }
    sm_status st = sm_train_run_opts(&cfg, &data, &opt, &doc, &err);
    if (b.on) fputc('\n', stderr);
    sm_train_data_free(&data);
    cli_record_blas(doc);
    if (st == SM_OK) st = sm_json_write(o.out, doc, &err);
    if (st == SM_OK && o.export_dir) st = cli_export_write(&ex, doc, &err);
    cli_export_free(&ex);
    if (st != SM_OK) cli_export_discard(&ex);
    if (st != SM_OK && ckpt_made) rmdir(ckpt_dir); /* only if empty: checkpoints stay */
    const char *warning =
        json_string_value(json_object_get(json_object_get(doc, "final"), "readout_warning"));
    if (st == SM_OK && warning) fprintf(stderr, "somnus: warning: %s\n", warning);
    if (st == SM_OK && !o.quiet && cfg.train.model == SM_MODEL_HOPFIELD) {
        printf("somnus train: hopfield, %d seed(s): final retrieval %.3f +- %.3f, %.1f s; "
               "results: %s\n",
               cfg.hopfield.seeds, number_at(doc, "final", "final_retrieval"),
               number_at(doc, "final", "final_retrieval_sd"), number_at(doc, "timing", "wall_s"),
               o.out);
    } else if (st == SM_OK && !o.quiet && cfg.train.model == SM_MODEL_THETA) {
        printf("somnus train: theta, %s, seed %lld: sensory error %.4f, hidden error %.4f",
               json_string_value(json_object_get(doc, "task")), (long long)cfg.run.seed,
               number_at(doc, "final", "final_err_sensory"),
               number_at(doc, "final", "final_err_hidden"));
        if (cfg.theta.task == SM_THETA_TASK_PATHINT)
            printf(", PI error 1 s into generative mode %.3f m",
                   number_at(doc, "final", "pi_error_1s_m"));
        printf(", %.1f s; results: %s\n", number_at(doc, "timing", "wall_s"), o.out);
    } else if (st == SM_OK && !o.quiet) {
        printf("somnus train: %s, %s, %s: test accuracy %.3f",
               json_string_value(json_object_get(doc, "model")), cfg.data.dataset,
               json_string_value(json_object_get(json_object_get(doc, "data"), "test_from")),
               number_at(doc, "final", "test_accuracy"));
        if (cfg.train.model == SM_MODEL_STDP)
            printf(", phi %.3f, plastic weight sum %.2f x start",
                   number_at(doc, "final", "test_phi"),
                   number_at(doc, "final", "plastic_sum_ratio"));
        printf(", %.1f s; results: %s", number_at(doc, "timing", "wall_s"), o.out);
        if (o.export_dir) printf(", arrays: %s/", o.export_dir);
        putchar('\n');
    }
    json_decref(doc);
    if (st != SM_OK)
        return cli_fail(st == SM_EINVAL || st == SM_EFORMAT ? CLI_USAGE : CLI_FAIL, "%s", err.msg);
    return CLI_OK;
}
