/* The theta-gated Helmholtz machine's training protocol for `somnus train --model theta`
 * (train_theta.h; spec theta-helmholtz.md sections 6, 7 and 10): one seed of the task
 * theta.task selects, with the same protocol and so the same numbers as that seed of the
 * experiments theta-latents and theta-pathint. The model makes its own inputs (latents or
 * an agent on a ring), so no dataset is loaded. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/io/results.h"
#include "somnus/models/theta_latents.h"
#include "somnus/models/theta_pathint.h"
#include "protocol/experiments/theta_common.h"
#include "protocol/diag_theta.h"
#include "protocol/train_theta.h"

/* Error averages (restarted at training start) every simulated minute of training. */
static void add_eval_row(json_t *tab, int minute, double err_p, double err_g, double wall_s)
{
    sm_train_col_add(tab, "minute", json_integer(minute));
    sm_train_col_add(tab, "err_sensory", sm_train_real(err_p));
    sm_train_col_add(tab, "err_hidden", sm_train_real(err_g));
    sm_train_col_add(tab, "wall_s", json_real(wall_s));
}

/* Runs `steps` steps of task A in mode `force` (-1: the gate) with errors restarted. */
static void latents_phase(sm_theta_latents *m, int64_t steps, int force, int learn)
{
    m->gate.force = force;
    sm_theta_latents_restart_errors(m);
    for (int64_t s = 0; s < steps; s++)
        sm_theta_latents_step(m, learn);
    m->gate.force = -1;
}

typedef struct theta_run {
    json_t *tab, *fin;
    double train_s, train_cpu_s, diag_s, diag_cpu_s; /* train_s, train_cpu_s without diag */
    int64_t train_steps;
} theta_run;

/* The probe's time (diag.iid) out of the training's. */
static void end_timing(theta_run *o, const sm_diag_theta *dg, double t0, double c0)
{
    o->train_s = sm_theta_now() - t0 - dg->seconds;
    o->train_cpu_s = sm_theta_cpu_now() - c0 - dg->cpu_seconds;
    o->diag_s = dg->steps ? dg->seconds : NAN;
    o->diag_cpu_s = dg->cpu_seconds;
}

static sm_status run_latents(const sm_config *cfg, sm_train_run_ctx *r, theta_run *o, sm_error *err)
{
    sm_theta_latents_params par;
    sm_theta_latents_params_from_config(&par, cfg);
    sm_theta_latents m;
    sm_status st = sm_theta_latents_init(&m, &par, err);
    if (st != SM_OK) return st;
    sm_diag_theta dg;
    st = sm_diag_theta_init(&dg, cfg, &m, 0, err);
    if (st != SM_OK) {
        sm_theta_latents_free(&m);
        return st;
    }
    const int64_t per_min = llround(60.0 / par.dt);
    const int64_t train = llround(cfg->theta.train_min * 60.0 / par.dt);
    o->train_steps = train;
    r->prog = (sm_train_progress){"train", 0, train, 0, (int)ceil(cfg->theta.train_min), NAN};
    latents_phase(&m, per_min, 0, 0); /* untrained, inference */
    latents_phase(&m, per_min, 1, 0); /* untrained, generative */
    sm_theta_latents_restart_errors(&m);
    double p1 = NAN, g1 = NAN;
    const double t0 = sm_theta_now(), c0 = sm_theta_cpu_now();
    for (int64_t s = 1; s <= train && st == SM_OK; s++) {
        sm_theta_latents_step(&m, 1);
        if (s == per_min) {
            p1 = m.p.err.value;
            g1 = m.g.err.value;
        }
        if (s % per_min == 0 || s == train) {
            if (s % per_min == 0) {
                add_eval_row(o->tab, (int)(s / per_min), m.p.err.value, m.g.err.value,
                             sm_theta_now() - t0);
                st = sm_diag_theta_row(&dg, &m, o->tab, err);
            }
            r->prog.done = s;
            r->prog.batch = (int)(s / per_min);
            if (st == SM_OK && sm_train_report(r))
                st = sm_error_set(err, SM_ECANCELED, "train: stopped by the caller");
        }
    }
    end_timing(o, &dg, t0, c0);
    sm_diag_theta_free(&dg);
    if (st == SM_OK) {
        const double pf = m.p.err.value, gf = m.g.err.value;
        latents_phase(&m, llround(0.1 * 60.0 / par.dt), -1, 0); /* settle */
        latents_phase(&m, per_min, 0, 0);                       /* inference, no learning */
        o->fin = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "final_err_sensory", sm_train_real(pf),
                           "final_err_hidden", sm_train_real(gf), "err_sensory_1min",
                           sm_train_real(p1), "err_hidden_1min", sm_train_real(g1),
                           "inference_err_sensory", sm_train_real(m.p.err.value),
                           "inference_err_hidden", sm_train_real(m.g.err.value));
        if (!o->fin) st = sm_error_set(err, SM_ENOMEM, "train: out of memory");
    }
    sm_theta_latents_free(&m);
    return st;
}

static sm_status run_pathint(const sm_config *cfg, sm_train_run_ctx *r, theta_run *o, sm_error *err)
{
    sm_theta_pathint_params par;
    sm_theta_pathint_params_from_config(&par, cfg);
    sm_theta_pathint m;
    sm_status st = sm_theta_pathint_init(&m, &par, err);
    if (st != SM_OK) return st;
    sm_diag_theta dg;
    st = sm_diag_theta_init(&dg, cfg, &m, 1, err);
    if (st != SM_OK) {
        sm_theta_pathint_free(&m);
        return st;
    }
    const double dt = par.dt;
    const int64_t per_min = llround(60.0 / dt);
    const int64_t train = llround(cfg->theta.train_min * 60.0 / dt);
    const int sample_every = (int)fmax(1, llround(0.1 / dt));
    const int64_t spin = llround(cfg->theta.pi_spinup_s / dt);
    const int64_t test = llround(cfg->theta.pi_test_s / dt);
    const int reps = cfg->theta.pi_repeats;
    o->train_steps = train;
    sm_theta_rec rec;
    double *pi_err = calloc((size_t)reps * (size_t)(spin + test), sizeof(double));
    st = sm_theta_rec_init(&rec, par.n, (int)llround(600.0 / (sample_every * dt)), err);
    if (st == SM_OK && !pi_err) st = sm_error_set(err, SM_ENOMEM, "train: out of memory");
    if (st != SM_OK || !pi_err) {
        free(pi_err);
        sm_theta_rec_free(&rec);
        sm_diag_theta_free(&dg);
        sm_theta_pathint_free(&m);
        return st;
    }
    r->prog = (sm_train_progress){"train", 0, train, 0, (int)ceil(cfg->theta.train_min), NAN};
    const double t0 = sm_theta_now(), c0 = sm_theta_cpu_now();
    /* in whole minutes (the sampling phase runs on: minutes are multiples of sample_every) */
    for (int64_t done = 0; done < train && st == SM_OK;) {
        const int64_t chunk = train - done < per_min ? train - done : per_min;
        sm_theta_pi_run(&m, chunk, 1, &rec, sample_every, 0, NULL, NULL, 0, NULL);
        done += chunk;
        if (chunk == per_min) {
            add_eval_row(o->tab, (int)(done / per_min), m.p.err.value, m.g.err.value,
                         sm_theta_now() - t0);
            st = sm_diag_theta_row(&dg, &m, o->tab, err);
        }
        r->prog.done = done;
        r->prog.batch = (int)(done / per_min);
        if (st == SM_OK && sm_train_report(r))
            st = sm_error_set(err, SM_ECANCELED, "train: stopped by the caller");
    }
    end_timing(o, &dg, t0, c0);
    sm_diag_theta_free(&dg);
    sm_theta_decoder dec = {0};
    if (st == SM_OK)
        st = sm_theta_decoder_fit(&dec, &rec, cfg->theta.decoder, 0.01, par.track_len, err);
    if (st == SM_OK) {
        const double pf = m.p.err.value, gf = m.g.err.value;
        r->prog.stage = "final";
        sm_theta_pi_test(&m, &dec, spin, test, reps, pi_err);
        int64_t at = spin + llround(1.0 / dt) - 1;
        if (at >= spin + test) at = spin + test - 1;
        double s = 0;
        for (int k = 0; k < reps; k++)
            s += pi_err[(size_t)k * (spin + test) + at];
        o->fin =
            json_pack("{s:o, s:o, s:o, s:f, s:s, s:i}", "final_err_sensory", sm_train_real(pf),
                      "final_err_hidden", sm_train_real(gf), "pi_error_1s_m",
                      sm_train_real(s / reps), "pi_error_chance_m", 0.25 * par.track_len, "decoder",
                      sm_theta_decoder_name(cfg->theta.decoder), "pi_repeats", reps);
        if (!o->fin) st = sm_error_set(err, SM_ENOMEM, "train: out of memory");
    }
    sm_theta_decoder_free(&dec);
    free(pi_err);
    sm_theta_rec_free(&rec);
    sm_theta_pathint_free(&m);
    return st;
}

sm_status sm_train_theta(const sm_config *cfg, const sm_train_data *data, sm_train_run_ctx *r,
                         json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    (void)data;
    *results = NULL;
    if (r->ckpt_path || r->resume_path)
        return sm_error_set(err, SM_EINVAL,
                            "train: the theta model has no checkpoints (drop --checkpoint / "
                            "--resume)");
    const double t_start = sm_train_now();
    const int pathint = cfg->theta.task == SM_THETA_TASK_PATHINT;
    theta_run o = {.tab = json_object(), .diag_s = NAN};
    if (!o.tab) return sm_error_set(err, SM_ENOMEM, "train: out of memory");
    sm_status st = pathint ? run_pathint(cfg, r, &o, err) : run_latents(cfg, r, &o, err);
    if (st == SM_OK) {
        const double wall = sm_train_now() - t_start;
        json_t *doc = json_pack(
            "{s:s, s:s, s:s, s:s, s:I, s:o, s:{s:s, s:s}, s:o, s:o, s:o}", "somnus_version",
            sm_version(), "command", "train", "model", "theta", "task",
            pathint ? "pathint" : "latents", "seed", (json_int_t)cfg->run.seed, "config",
            sm_config_to_json(cfg), "data", "dataset", "generated", "source",
            pathint ? "an agent on a ring of theta.track_len m (Ornstein-Uhlenbeck velocity), "
                      "theta.n_place Gaussian place cells and 2 velocity cells"
                    : "theta.n_latent Gaussian-process latents (autocorrelation time "
                      "theta.tau_latent) mixed linearly into theta.n_feature features",
            "evaluations", o.tab, "final", o.fin, "timing",
            json_pack("{s:f, s:f, s:f, s:f}", "train_s", o.train_s, "train_cpu_s", o.train_cpu_s,
                      "wall_s", wall, "steps_per_s",
                      o.train_s > 0 ? (double)o.train_steps / o.train_s : 0.0));
        o.tab = o.fin = NULL;
        if (doc && isfinite(o.diag_s)) {
            json_object_set_new(json_object_get(doc, "timing"), "diag_s", json_real(o.diag_s));
            json_object_set_new(json_object_get(doc, "timing"), "diag_cpu_s",
                                json_real(o.diag_cpu_s));
        }
        if (!doc) st = sm_error_set(err, SM_EINTERNAL, "train: cannot build the results document");
        *results = doc;
    }
    json_decref(o.tab);
    json_decref(o.fin);
    return st;
}
