/* somnus run: simulate the network on random images, silence or a spike file, with
 * plasticity on (wake phase, sleep schedule) or off (test phase: frozen weights, no sleep,
 * noise.test), optionally from weights a training exported, and write a JSON results
 * file (and, with --export, the weights as train --export writes them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "export.h"
#include "util.h"
#include "somnus/io/encode.h"
#include "somnus/io/results.h"
#include "somnus/models/sim_json.h"
#include "somnus/core/rng.h"
#include "somnus/models/sim.h"
#include "somnus/models/sim_guard.h"
#include "somnus/io/sonata.h"
#include "somnus/io/spikefile.h"

typedef struct run_opts {
    cli_common common;
    const char *input; /* "random", "none", spikes:FILE or sonata:FILE[:POPULATION] */
    const char *out;
    const char *spikes_out;
    const char *weights_dir; /* --weights: load the exported weights of a training */
    const char *export_dir;  /* --export: write the weights after the run */
    int plasticity;
    int quiet;
    long long steps; /* -1: run.steps */
} run_opts;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: somnus run [options]\n"
            "  --input random|none|spikes:FILE|sonata:FILE[:POPULATION]  input: a new\n"
            "                         random image every input.steps_per_image steps\n"
            "                         (default), silence, a spike file (neuron,time_ms) or a\n"
            "                         SONATA HDF5 spike file (see docs/formats.md)\n"
            "  --steps N              wake (or test) steps to simulate (default run.steps)\n"
            "  --plasticity on|off    on (default): the wake phase: the plasticity rule\n"
            "                         acts, the sleep schedule runs, noise.wake applies.\n"
            "                         off: the test phase, as training evaluates: weights\n"
            "                         frozen, no sleep, and the noise is noise.test's\n"
            "                         (noise.wake is ignored)\n"
            "  --weights DIR          start from the weights a `somnus train --export DIR`\n"
            "                         wrote (weights*.npy); the network must be the\n"
            "                         trained one: pass the training's config (--config\n"
            "                         RESULTS.json). The sleep baseline W0 is recorded\n"
            "                         from the loaded weights\n"
            "  --export DIR           after the run, write the weights and the monitor\n"
            "                         series into DIR as `somnus train --export` does\n"
            "  --out FILE             results JSON (default somnus-run.json)\n"
            "  --spikes-out FILE      write every E/I spike as neuron,time_ms, or as SONATA\n"
            "                         HDF5 (population somnus) if FILE ends in .h5/.sonata\n"
            "  --quiet                no progress line\n"
            "  --config FILE  --set group.name=value  --seed N   (see `somnus config --list`)\n");
}

static int parse(run_opts *o, int argc, char **argv)
{
    *o = (run_opts){.input = "random", .out = "somnus-run.json", .plasticity = 1, .steps = -1};
    for (int i = 1; i < argc; i++) {
        int bad = 0, r = cli_common_option(&o->common, argc, argv, &i);
        const char *v;
        if (r < 0) return CLI_USAGE;
        if (r > 0) continue;
        if ((v = cli_value("--input", argc, argv, &i, &bad)))
            o->input = v;
        else if (!bad && (v = cli_value("--out", argc, argv, &i, &bad)))
            o->out = v;
        else if (!bad && (v = cli_value("--spikes-out", argc, argv, &i, &bad)))
            o->spikes_out = v;
        else if (!bad && (v = cli_value("--weights", argc, argv, &i, &bad)))
            o->weights_dir = v;
        else if (!bad && (v = cli_value("--export", argc, argv, &i, &bad)))
            o->export_dir = v;
        else if (!bad && (v = cli_value("--steps", argc, argv, &i, &bad))) {
            if ((o->steps = cli_parse_count("--steps", v)) < 0) return CLI_USAGE;
        } else if (!bad && (v = cli_value("--plasticity", argc, argv, &i, &bad))) {
            if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
                return cli_fail(CLI_USAGE, "--plasticity: '%s' is not on or off", v);
            o->plasticity = !strcmp(v, "on");
        } else if (!bad && !strcmp(argv[i], "--quiet"))
            o->quiet = 1;
        else if (!bad && !strcmp(argv[i], "--help")) {
            usage(stdout);
            return -1;
        } else if (!bad)
            return cli_fail(CLI_USAGE, "run: unknown option '%s' (see somnus run --help)", argv[i]);
        if (bad) return CLI_USAGE;
    }
    if (strcmp(o->input, "random") != 0 && strcmp(o->input, "none") != 0 &&
        strncmp(o->input, "spikes:", 7) != 0 && strncmp(o->input, "sonata:", 7) != 0)
        return cli_fail(
            CLI_USAGE, "--input: '%s' is not random, none, spikes:FILE or sonata:FILE[:POPULATION]",
            o->input);
    if (!strncmp(o->input, "sonata:", 7) && (o->input[7] == '\0' || o->input[7] == ':'))
        return cli_fail(CLI_USAGE, "--input: '%s' names no file", o->input);
    return CLI_OK;
}

/* A new random image (uniform pixels, normalized to the configured total) per presentation. */
static void random_image(sm_rng *r, float *img, int n, double total)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += img[i] = (float)sm_rng_uniform(r);
    for (int i = 0; i < n; i++)
        img[i] = (float)(img[i] * total / sum);
}

static int encoder_input(void *enc, uint64_t step, int32_t *out)
{
    return sm_encoder_spikes(enc, step, out);
}

static int has_suffix(const char *s, const char *suffix)
{
    const size_t n = strlen(s), k = strlen(suffix);
    return n > k && !strcmp(s + n - k, suffix);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void progress(const run_opts *o, long long done, long long total, double t0)
{
    if (o->quiet || !isatty(STDERR_FILENO)) return;
    double el = now() - t0;
    double eta = done ? el * (double)(total - done) / (double)done : 0;
    fprintf(stderr, "\r  run: %5.1f%%  %lld/%lld steps  %.1fs elapsed  ~%.1fs left ",
            100.0 * done / (total ? total : 1), done, total, el, eta);
    if (done == total) fputc('\n', stderr);
}

/* Simulates `steps` input steps in chunks (one presentation each). */
static sm_status simulate(sm_sim *sim, const run_opts *o, sm_encoder *enc, long long steps,
                          sm_error *err)
{
    const sm_config *c = &sim->cfg;
    const int n_in = c->net.n_input;
    float *img = malloc((size_t)n_in * sizeof *img);
    if (!img) return sm_error_set(err, SM_ENOMEM, "out of memory");
    sm_rng r;
    sm_rng_init(&r, (uint64_t)c->run.seed, SM_STREAM_RANDOM_INPUT, 0);
    const double total = c->input.norm_fraction * n_in, t0 = now();
    const long long chunk = c->input.steps_per_image;
    sm_status st = SM_OK;
    double last = 0;
    for (long long done = 0; done < steps && st == SM_OK;) {
        long long n = steps - done < chunk ? steps - done : chunk;
        if (enc) {
            random_image(&r, img, n_in, total);
            st = sm_encoder_set_image(enc, img, err);
        }
        if (st == SM_OK) st = o->plasticity ? sm_sim_wake(sim, n, err) : sm_sim_test(sim, n, err);
        done += n;
        /* Every 64 presentations (and at the end, by the caller): a diverged state stops
         * the run, naming the step and the parameters. */
        if (st == SM_OK && (done / chunk) % 64 == 0) st = sm_sim_check_finite(sim, err);
        if (now() - last > 0.25 || done == steps) {
            progress(o, done, steps, t0);
            last = now();
        }
    }
    free(img);
    return st;
}

static double sims_ratio(double a, double b)
{
    return b != 0 ? a / b : 0;
}

static json_t *summary_json(const sm_sim *sim, const sm_weight_stats initial[SM_N_PATHS])
{
    sm_weight_stats final[SM_N_PATHS];
    sm_monitor_weight_stats(sim->mon, sim->net, final);
    double sums[2];
    sm_sleep_block_sums(sim->sleep, sim->net, sums);
    const sm_monitor *m = sim->mon;
    uint64_t spikes[3];
    for (int p = 0; p < 3; p++)
        spikes[p] = m->total_spikes[p] + m->window_spikes[p];
    const double seconds = (double)sim->count.steps * sim->cfg.run.dt / 1000.0;
    const int sizes[3] = {sim->net->n_in, sim->net->n_exc, sim->net->n_inh};
    json_t *rates = json_object();
    static const char *POPS[3] = {"S", "E", "I"};
    for (int p = 0; p < 3; p++)
        json_object_set_new(
            rates, POPS[p],
            json_real(sizes[p] && seconds > 0 ? spikes[p] / (sizes[p] * seconds) : 0));
    return json_pack("{s:o, s:o, s:o, s:[f,f], s:[f,f], s:[f,f], s:o}", "rate_hz", rates,
                     "weights_initial", sm_pathway_stats_to_json(initial), "weights_final",
                     sm_pathway_stats_to_json(final), "W0_exc_inh", sim->sleep->w0_block[0],
                     sim->sleep->w0_block[1], "final_sum_exc_inh", sums[0], sums[1],
                     "final_over_W0", sims_ratio(sums[0], sim->sleep->w0_block[0]),
                     sims_ratio(sums[1], sim->sleep->w0_block[1]), "counters",
                     sm_sim_counters_to_json(&sim->count));
}

int cmd_run(int argc, char **argv)
{
    run_opts o;
    int rc = parse(&o, argc, argv);
    if (rc < 0) return CLI_OK;
    if (rc != CLI_OK) return rc;
    sm_config cfg;
    sm_error err;
    if (cli_build_config(&o.common, &cfg, &err) != SM_OK) return cli_fail(CLI_USAGE, "%s", err.msg);
    long long steps = o.steps >= 0 ? o.steps : (long long)cfg.run.steps;
    if (cli_check_writable(o.out, &err) != SM_OK) return cli_fail(CLI_USAGE, "--out %s", err.msg);

    sm_spike_train *train = NULL;
    if (!strncmp(o.input, "spikes:", 7)) {
        train = sm_spike_train_read(o.input + 7, cfg.net.n_input, cfg.run.dt, &err);
        if (!train) return cli_fail(CLI_USAGE, "%s", err.msg);
    } else if (!strncmp(o.input, "sonata:", 7)) {
        /* sonata:FILE or sonata:FILE:POPULATION (the last ':' separates the population). */
        char *file = strdup(o.input + 7);
        if (!file) return cli_fail(CLI_FAIL, "out of memory");
        char *colon = strrchr(file, ':');
        const char *pop = NULL;
        if (colon) {
            *colon = '\0';
            pop = colon + 1;
        }
        train =
            sm_sonata_read_train(file, pop && *pop ? pop : NULL, cfg.net.n_input, cfg.run.dt, &err);
        free(file);
        if (!train) return cli_fail(CLI_USAGE, "%s", err.msg);
    }
    const int sonata_out =
        o.spikes_out && (has_suffix(o.spikes_out, ".h5") || has_suffix(o.spikes_out, ".sonata"));
    if (sonata_out && cli_check_writable(o.spikes_out, &err) != SM_OK) {
        sm_spike_train_destroy(train);
        return cli_fail(CLI_USAGE, "--spikes-out %s", err.msg);
    }
    const double t_start = now();
    sm_sim *sim = sm_sim_create(&cfg, &err);
    sm_encoder *enc = NULL;
    if (sim && !strcmp(o.input, "random")) enc = sm_encoder_create(&cfg, cfg.net.n_input, &err);
    if (!sim || (!strcmp(o.input, "random") && !enc)) {
        sm_spike_train_destroy(train);
        sm_sim_destroy(sim);
        return cli_fail(err.code == SM_EINVAL ? CLI_USAGE : CLI_FAIL, "%s", err.msg);
    }
    if (o.weights_dir) {
        /* The sleep baseline is that of the network the run starts from. */
        if (cli_weights_load(o.weights_dir, sim->net, &err) == SM_OK)
            sm_sim_record_baseline(sim);
        else {
            sm_encoder_destroy(enc);
            sm_spike_train_destroy(train);
            sm_sim_destroy(sim);
            return cli_fail(err.code == SM_ENOMEM ? CLI_FAIL : CLI_USAGE, "%s", err.msg);
        }
    }
    cli_export ex;
    memset(&ex, 0, sizeof ex);
    if (o.export_dir && cli_export_prepare(&ex, o.export_dir, &err) != SM_OK) {
        sm_encoder_destroy(enc);
        sm_spike_train_destroy(train);
        sm_sim_destroy(sim);
        return cli_fail(CLI_USAGE, "--export %s", err.msg);
    }
    if (enc) sm_sim_set_input(sim, encoder_input, enc);
    if (train) sm_sim_set_input(sim, sm_spike_train_input, train);

    sm_spike_writer writer;
    sm_sonata_writer swriter;
    int writing = 0;
    sm_status st = SM_OK;
    if (o.spikes_out && sonata_out) {
        st = sm_sonata_writer_open(&swriter, o.spikes_out, SM_SONATA_DEFAULT_POPULATION, cfg.run.dt,
                                   &err);
        if (st == SM_OK) {
            writing = 1;
            sm_sim_set_spike_sink(sim, sm_sonata_writer_sink, &swriter);
        }
    } else if (o.spikes_out) {
        st = sm_spike_writer_open(&writer, o.spikes_out, cfg.run.dt, &err);
        if (st == SM_OK) {
            writing = 1;
            sm_sim_set_spike_sink(sim, sm_spike_writer_sink, &writer);
        }
    }
    sm_weight_stats initial[SM_N_PATHS];
    sm_monitor_weight_stats(sim->mon, sim->net, initial);
    const double t_sim = now();
    if (st == SM_OK) st = simulate(sim, &o, enc, steps, &err);
    if (st == SM_OK) st = sm_sim_check_finite(sim, &err);
    const double t_end = now();
    if (st == SM_OK && sim->mon->window_steps > 0) st = sm_sim_record(sim, &err);
    if (writing && sonata_out) {
        if (st == SM_OK)
            st = sm_sonata_writer_close(&swriter, &err);
        else
            sm_sonata_writer_abort(&swriter);
    } else if (writing) {
        if (st == SM_OK)
            st = sm_spike_writer_close(&writer, &err);
        else
            sm_spike_writer_abort(&writer);
    }
    if (st == SM_OK) {
        const double sim_s = t_end - t_sim;
        json_t *doc = json_pack(
            "{s:s, s:s, s:I, s:o, s:{s:f, s:f, s:f, s:f, s:i}, s:o, s:o, s:o, s:s, s:b}",
            "somnus_version", sm_version(), "command", "run", "seed", (json_int_t)cfg.run.seed,
            "config", sm_config_to_json(&cfg), "timing", "build_s", t_sim - t_start, "simulate_s",
            sim_s, "wall_s", now() - t_start, "steps_per_s",
            sim_s > 0 ? (double)sim->count.steps / sim_s : 0.0, "threads", sim->threads, "network",
            sm_net_to_json(sim->net), "summary", summary_json(sim, initial), "monitor",
            sm_monitor_to_json(sim->mon), "input", o.input, "plasticity", o.plasticity);
        st = doc ? sm_json_write(o.out, doc, &err)
                 : sm_error_set(&err, SM_EINTERNAL, "cannot build the results document");
        if (st == SM_OK && o.export_dir) {
            cli_export_net_hook(&ex, sim);
            st = cli_export_write(&ex, doc, &err);
        }
        json_decref(doc);
    }
    if (st == SM_OK && !o.quiet)
        printf("somnus run: %lld steps (%lld asleep) in %.2f s (%.0f steps/s); results: %s\n",
               (long long)sim->count.steps, (long long)sim->count.sleep_steps, t_end - t_sim,
               (t_end - t_sim) > 0 ? sim->count.steps / (t_end - t_sim) : 0.0, o.out);
    cli_export_free(&ex);
    if (st != SM_OK) cli_export_discard(&ex);
    sm_encoder_destroy(enc);
    sm_spike_train_destroy(train);
    sm_sim_destroy(sim);
    return st == SM_OK ? CLI_OK : cli_fail(CLI_FAIL, "%s", err.msg);
}
