/* End-to-end tests: the paper's effect on a long run, and the CLI as a user drives it. */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/io/encode.h"
#include "somnus/core/rng.h"
#include "somnus/models/sim.h"

static int encoder_input(void *enc, uint64_t step, int32_t *out)
{
    return sm_encoder_spikes(enc, step, out);
}

/* What a run reports: the final excitatory plastic sum over its baseline W0, the sleep
 * steps, and each episode's length and block sums over W0 right after it. */
typedef struct paper_run {
    double ratio;
    int64_t sleep_steps;
    int n_episodes;
    int64_t slept[8];
    double after[8][2]; /* [episode][block]: sum / W0 after the episode */
} paper_run;

/* Paper config (published STDP sign), random images of 100 steps, 200,000 wake steps.
 * The period schedule is driven here, exactly as sim.c's run_schedule does it (an episode
 * of up to round(period x rate) steps before the wake step at every multiple of
 * sleep.period), so that the sums can be read right after each episode. */
static void run_paper(double sleep_rate, int stop, paper_run *out)
{
    sm_config c;
    sm_config_default(&c);
    c.sleep.stop = stop;
    c.stdp.sign = SM_SIGN_AS_PUBLISHED;
    c.sleep.rate = sleep_rate;
    c.input.steps_per_image = 100;
    c.monitor.interval = 10000;
    const int64_t period = c.sleep.period, window = sm_sim_sleep_window(&c);
    c.sleep.period = (int64_t)1e15; /* the simulation's own schedule never fires */
    sm_error err;
    sm_sim *sim = sm_sim_create(&c, &err);
    assert_non_null(sim);
    sm_encoder *enc = sm_encoder_create(&c, c.net.n_input, &err);
    sm_sim_set_input(sim, encoder_input, enc);
    sm_rng r;
    sm_rng_init(&r, 11, SM_STREAM_USER, 0);
    float img[225];
    memset(out, 0, sizeof *out);
    for (int image = 0; image < 2000; image++) {
        const int64_t t = sim->count.wake_steps;
        if (window > 0 && t > 0 && t % period == 0) {
            int64_t slept;
            assert_int_equal(sm_sim_sleep(sim, window, &slept, &err), SM_OK);
            double sums[2];
            sm_sleep_block_sums(sim->sleep, sim->net, sums);
            assert_true(out->n_episodes < 8);
            out->slept[out->n_episodes] = slept;
            for (int b = 0; b < 2; b++)
                out->after[out->n_episodes][b] = sums[b] / sim->sleep->w0_block[b];
            out->n_episodes++;
        }
        double sum = 0;
        for (int i = 0; i < 225; i++)
            sum += img[i] = (float)sm_rng_uniform(&r);
        for (int i = 0; i < 225; i++)
            img[i] = (float)(img[i] * 22.5 / sum);
        assert_int_equal(sm_encoder_set_image(enc, img, &err), SM_OK);
        assert_int_equal(sm_sim_wake(sim, 100, &err), SM_OK);
    }
    double sums[2];
    sm_sleep_block_sums(sim->sleep, sim->net, sums);
    out->ratio = sums[0] / sim->sleep->w0_block[0];
    out->sleep_steps = sim->count.sleep_steps;
    assert_int_equal(sim->count.wake_steps, 200000);
    sm_encoder_destroy(enc);
    sm_sim_destroy(sim);
}

static void sleep_keeps_plastic_sum_near_baseline(void **state)
{
    (void)state;
    paper_run none, above, within;
    run_paper(0.0, SM_STOP_NOT_ABOVE, &none);
    run_paper(0.2, SM_STOP_NOT_ABOVE, &above);
    run_paper(0.2, SM_STOP_WITHIN, &within);
    printf("# exc sum / W0 after 200k steps: no sleep %.3f; 20%% sleep %.3f (stop not_above, %lld "
           "sleep steps), %.3f (stop within, %lld sleep steps)\n",
           none.ratio, above.ratio, (long long)above.sleep_steps, within.ratio,
           (long long)within.sleep_steps);
    for (int e = 0; e < above.n_episodes; e++)
        printf("# episode %d: not_above %lld steps, exc %.6f inh %.6f of W0; within %lld steps, "
               "exc %.6f inh %.6f\n",
               e, (long long)above.slept[e], above.after[e][0], above.after[e][1],
               (long long)within.slept[e], within.after[e][0], within.after[e][1]);
    assert_int_equal(none.sleep_steps, 0);
    assert_int_equal(none.n_episodes, 0);
    assert_true(none.ratio > 3.0); /* runaway without sleep */
    /* 5 windows (after 35k, 70k, ... 175k wake steps) of round(35000 * 0.2) = 7000 steps. */
    const double tol = 0.001; /* sleep.tolerance */
    assert_int_equal(above.n_episodes, 5);
    int64_t total = 0;
    for (int e = 0; e < 5; e++) {
        /* The paper's Eq. 6 (stop = not_above) ends an episode at the first step where no
         * block is above (1 + tol) W0, or at the end of the window. So an episode shorter
         * than its window ends with both blocks at most (1 + tol) W0, and one of them was
         * above it one step earlier. One sleep step lowers a block sum by at most
         * (1 - lambda) ln(w_max / w_t) of it by decay: 3e-5 x ln(25 / 0.01) = 2.3e-4
         * (stdp.exc_max = 25; the decay only shrinks weights above w_t = 0.01), plus one
         * step's STDP depression from a few spikes: under 3e-4 in all. Measured: within
         * 1e-4 below 1 + tol. A window used in full ends above. */
        const double *a = above.after[e];
        const double hi = a[0] > a[1] ? a[0] : a[1];
        assert_true(above.slept[e] >= 1 && above.slept[e] <= 7000);
        if (above.slept[e] < 7000) {
            assert_true(hi <= 1 + tol);
            assert_true(hi > 1 + tol - 3e-4);
        } else
            assert_true(hi > 1 + tol);
        total += above.slept[e];
        /* The authors' two-sided test (stop = within) never ends while a block is outside
         * the band; here the inhibitory block sits below 1 - tol after every window, so
         * each runs in full. */
        assert_int_equal(within.slept[e], 7000);
        assert_true(within.after[e][1] < 1 - tol);
    }
    assert_int_equal(above.sleep_steps, total);
    assert_int_equal(within.sleep_steps, 5 * 7000);
    /* After the last episode (at most 1 + tol) 25,000 wake steps of STDP raise the sum
     * again, but not to the runaway without sleep. Sleeping longer only lowers the
     * excitatory weights (each is above w_t: the decay shrinks it), so the two-sided
     * rule's full windows leave less than the one-sided rule's. */
    assert_true(above.ratio > above.after[4][0] && above.ratio < none.ratio / 2);
    assert_true(within.ratio < above.ratio);
}

/* --- CLI --- */

static char *dir;

static int setup(void **state)
{
    (void)state;
    return tu_dir_setup(&dir);
}

static int teardown(void **state)
{
    (void)state;
    return tu_dir_teardown(&dir);
}

static int cli(const char *args, char **out)
{
    return tu_cli(dir, args, out);
}

static void expect_error(const char *args, const char *needle)
{
    tu_expect_cli_error(dir, args, needle);
}

static void bad_options_fail_cleanly(void **state)
{
    (void)state;
    expect_error("run --steps 10 --set lif_e.tau_mm=3 --out r.json",
                 "unknown parameter 'lif_e.tau_mm' (did you mean 'lif_e.tau_m'?)");
    expect_error("run --steps 10 --set lif_e.tau_m=-3 --out r.json", "out of range");
    expect_error("run --steps 10 --set lif_e.tau_m=abc --out r.json", "is not a number");
    expect_error("run --steps 10 --set noise.sigma=nan --out r.json", "not a finite number");
    expect_error("run --steps 10 --set stdp.sign=backwards --out r.json", "'stdp.sign'");
    expect_error("run --steps 10 --config missing.cfg --out r.json", "missing.cfg");
    expect_error("run --steps 10 --frobnicate --out r.json", "unknown option '--frobnicate'");
    expect_error("run --steps 10 --out /nonexistent-dir/r.json", "/nonexistent-dir/r.json");
    expect_error("bogus", "unknown command 'bogus'");
}

static void bad_config_file_names_file_and_line(void **state)
{
    (void)state;
    const char *text = "# a config\nlif_e.tau_m = 20\nstdp.eta_e = 1e-3 extra\n";
    free(tu_write_file(dir, "bad.cfg", text, strlen(text)));
    expect_error("run --steps 10 --config bad.cfg --out r.json", "bad.cfg:3");
    const char *json = "{\"lif_e\": {\"tau_m\": 20,}";
    free(tu_write_file(dir, "bad.json", json, strlen(json)));
    expect_error("run --steps 10 --config bad.json --out r.json", "bad.json:1");
    remove("bad.cfg");
    char p[600];
    snprintf(p, sizeof p, "%s/bad.cfg", dir);
    remove(p);
    snprintf(p, sizeof p, "%s/bad.json", dir);
    remove(p);
}

static void bad_spike_files_fail_cleanly(void **state)
{
    (void)state;
    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"neuron,time_ms\n1,2.0\n3\n", "spikes.csv:3"}, /* truncated record */
        {"1,2.0\n999,1.0\n", "out of range"},           /* neuron past n_input */
        {"1,-4\n", "not a finite time"},                /* negative time */
        {"1,nan\n", "not a finite time"},
        {"1,2.0\nx,y\n", "spikes.csv:2"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *p = tu_write_file(dir, "spikes.csv", cases[k].text, strlen(cases[k].text));
        expect_error("run --steps 10 --input spikes:spikes.csv --out r.json --spikes-out s.csv",
                     cases[k].needle);
        remove(p);
        free(p);
    }
}

static char *slurp(const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = calloc(1, 1 << 24);
    size_t n = fread(buf, 1, (1 << 24) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* One S neuron with a synapse onto one E neuron: an input spike at t = 5 ms drives the
 * E neuron over threshold one step later (every pathway has a one-step delay). */
static void spike_file_replay_and_output(void **state)
{
    (void)state;
    const char *in = "# replay\nneuron,time_ms\n0,5.0\n0,5.4\n0,20\n";
    free(tu_write_file(dir, "in.csv", in, strlen(in)));
    /* tau_m = tau_syn = dt: the drive of one step acts in the next step only. */
    const char *args =
        "run --quiet --input spikes:in.csv --steps 30 --plasticity off --out r.json "
        "--spikes-out out.csv --set net.n_input=1 --set net.n_exc=1 --set net.n_inh=0 "
        "--set net.p_se=1 --set net.w_se=1 --set lif_e.tau_m=1 --set lif_e.tau_syn=1";
    char *out = NULL;
    assert_int_equal(cli(args, &out), 0);
    free(out);
    char *spikes = slurp("out.csv");
    assert_non_null(spikes);
    /* E0 has global index 1; the two spikes at 5.0 and 5.4 ms share step 5. */
    assert_string_equal(spikes, "neuron,time_ms\n1,6\n1,21\n");
    free(spikes);
    char *json = slurp("r.json");
    assert_non_null(strstr(json, "\"somnus_version\""));
    assert_non_null(strstr(json, "\"seed\""));
    assert_non_null(strstr(json, "\"tau_m\""));
    assert_non_null(strstr(json, "\"steps_per_s\""));
    free(json);
}

static void same_seed_same_spikes_for_1_and_2_threads(void **state)
{
    (void)state;
    const char *common =
        "run --quiet --steps 3000 --set input.steps_per_image=100 --set noise.wake=true "
        "--set stdp.sign=as_published --set run.parallel_min=0 --set sleep.period=1000 "
        "--set sleep.max_steps=200";
    char args[1024], *out = NULL;
    snprintf(args, sizeof args, "%s --set run.threads=1 --out a.json --spikes-out a.csv", common);
    assert_int_equal(cli(args, &out), 0);
    free(out);
    snprintf(args, sizeof args, "%s --set run.threads=2 --out b.json --spikes-out b.csv", common);
    assert_int_equal(cli(args, &out), 0);
    free(out);
    char *a = slurp("a.csv"), *b = slurp("b.csv");
    assert_true(strlen(a) > 1000); /* the network did spike */
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void config_list_covers_the_table(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(cli("config --list", &out), 0);
    size_t n;
    const sm_param_def *t = sm_param_table(&n);
    for (size_t k = 0; k < n; k++)
        assert_non_null(strstr(out, t[k].name));
    assert_non_null(strstr(out, "as_published"));
    free(out);
    /* The reference in docs/ is generated from the same table: it must not fall behind. */
    char *doc = NULL;
    assert_int_equal(tu_run("cat " SOMNUS_SOURCE_DIR "/docs/config.md", &doc), 0);
    for (size_t k = 0; k < n; k++) {
        if (!strstr(doc, t[k].name))
            fprintf(stderr, "docs/config.md lacks %s: run make docs\n", t[k].name);
        assert_non_null(strstr(doc, t[k].name));
    }
    free(doc);
}

#define SMALL_TRAIN                                                                                \
    "--set data.n_train=20 --set data.n_val=4 --set data.n_test=8 --set data.batch=10 "            \
    "--set train.eval_fit=10 --set input.steps_per_image=20 "

static void train_bad_data_fails_cleanly(void **state)
{
    (void)state;
    tu_write_idx_pair(dir, "img", "lbl", 40, 40, 15, 15, 40, 0x803);
    tu_write_idx_pair(dir, "magic-img", "magic-lbl", 40, 40, 15, 15, 40, 0x12340803);
    tu_write_idx_pair(dir, "short-img", "short-lbl", 40, 40, 15, 15, 39, 0x803);
    tu_write_idx_pair(dir, "zero-img", "zero-lbl", 40, 40, 0, 15, 40, 0x803);
    /* A header announcing 50 images over the data of 40. */
    tu_write_idx_pair(dir, "trunc-img", "trunc-lbl", 40, 50, 15, 15, 50, 0x803);
    expect_error("train --data idx:no-img,no-lbl --out r.json", "no-img: cannot open");
    expect_error("train --data idx:magic-img,lbl --out r.json", "magic-img: not an IDX file");
    expect_error("train --data idx:trunc-img,trunc-lbl --out r.json", "trunc-img: truncated");
    expect_error("train --data idx:img,short-lbl --out r.json", "short-lbl");
    expect_error("train --data idx:zero-img,lbl --out r.json", "zero-img");
    expect_error("train --data idx:img,lbl --set data.classes=0,5 --out r.json",
                 "class 5 does not exist");
    expect_error("train --data idx:img,lbl " SMALL_TRAIN "--set net.n_input=100 --out r.json",
                 "net.n_input is 100");
    expect_error("train --data idx:img,lbl --set data.n_train=100 --out r.json", "the split needs");
    expect_error("train --data nosuchset --out r.json", "nosuchset");
    expect_error("train --model bogus --out r.json", "'train.model'");
    expect_error("train --data idx:img,lbl --out /nonexistent-dir/r.json", "/nonexistent-dir");
    expect_error("train --epochs 3", "unknown option '--epochs'");
}

static void train_writes_results_and_summary(void **state)
{
    (void)state;
    tu_write_idx_pair(dir, "img", "lbl", 40, 40, 28, 28, 40, 0x803);
    char *out = NULL;
    int rc = cli("train --data idx:img,lbl " SMALL_TRAIN "--seed 3 --out r.json", &out);
    if (rc != 0) fprintf(stderr, "%s\n", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "test accuracy"));
    assert_non_null(strstr(out, "results: r.json"));
    free(out);
    char *doc = slurp("r.json");
    assert_non_null(strstr(doc, "\"command\": \"train\""));
    assert_non_null(strstr(doc, "\"evaluations\""));
    assert_non_null(strstr(doc, "\"test_accuracy\""));
    assert_non_null(strstr(doc, "\"seed\": 3"));
    free(doc);
    /* The results file is a config file: the same run again gives the same scores. */
    rc = cli("train --quiet --config r.json --data idx:img,lbl --out r2.json", &out);
    assert_int_equal(rc, 0);
    assert_string_equal(out, "");
    free(out);
    char *a = slurp("r.json"), *b = slurp("r2.json");
    char *fa = strstr(a, "\"final\""), *fb = strstr(b, "\"final\"");
    assert_non_null(fa);
    assert_non_null(fb);
    assert_memory_equal(fa, fb, strstr(fa, "\"plastic_sum_ratio\"") - fa);
    free(a);
    free(b);
    /* The summary table reads it back: one row with the model and the test accuracy. */
    assert_int_equal(cli("summary --markdown r.json", &out), 0);
    assert_non_null(strstr(out, "| r.json | stdp | idx:img,lbl | 0.00 | as_published | "));
    free(out);
    expect_error("summary img", "img:");
    expect_error("summary", "no results files");
    /* SG-SNN through the same command. */
    rc = cli("train --quiet --model sgsnn --data idx:img,lbl " SMALL_TRAIN
             "--set sgsnn.n_hidden=16 --set sgsnn.epochs=2 --set sgsnn.steps=10 --out s.json",
             &out);
    assert_int_equal(rc, 0);
    free(out);
    char *sg = slurp("s.json");
    assert_non_null(strstr(sg, "\"model\": \"sgsnn\""));
    free(sg);
}

static json_t *load_without_timing(const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_error_t je;
    json_t *d = json_load_file(path, 0, &je);
    if (!d) fail_msg("%s: %s", path, je.text);
    json_object_del(d, "timing");
    json_object_del(json_object_get(d, "evaluations"), "wall_s");
    return d;
}

/* The results say which OpenBLAS kernel set made them: the one OPENBLAS_CORETYPE asks for. */
static void train_records_the_blas_core(void **state)
{
    (void)state;
    tu_write_idx_pair(dir, "img", "lbl", 40, 40, 28, 28, 40, 0x803);
    const char *cores[] = {"Haswell", "Prescott"};
    for (int k = 0; k < 2; k++) {
        char *cmd = NULL, *out = NULL;
        assert_true(asprintf(&cmd,
                             "cd '%s' && OPENBLAS_CORETYPE=%s %s train --quiet --data "
                             "idx:img,lbl " SMALL_TRAIN "--out b.json",
                             dir, cores[k], SOMNUS_CLI) > 0);
        assert_int_equal(tu_run(cmd, &out), 0);
        free(cmd);
        free(out);
        json_t *d = load_without_timing("b.json");
        json_t *blas = json_object_get(d, "blas");
        assert_string_equal(json_string_value(json_object_get(blas, "core")), cores[k]);
        assert_non_null(strstr(json_string_value(json_object_get(blas, "config")), "OpenBLAS"));
        json_decref(d);
    }
}

static void summary_prints_dataset_base_names(void **state)
{
    (void)state;
    /* A results file of a dataset given with its folders: the summary names the files. */
    static const char DOC[] =
        "{\"model\": \"stdp\", \"config\": {\"data\": {\"dataset\": "
        "\"idx:/some/long/folder/train-img.gz,/some/long/folder/train-lbl.gz\"}, "
        "\"sleep\": {\"rate\": 0.2}, \"stdp\": {\"sign\": \"textbook\"}}, "
        "\"final\": {\"test_accuracy\": 0.5}, \"timing\": {\"wall_s\": 1}}";
    char *path = tu_write_file(dir, "long.json", DOC, sizeof DOC - 1);
    free(path);
    char *out = NULL;
    assert_int_equal(cli("summary --markdown long.json", &out), 0);
    if (!strstr(out, "| long.json | stdp | idx:train-img.gz,train-lbl.gz | 0.20 | textbook | "))
        fail_msg("%s", out);
    assert_null(strstr(out, "folder"));
    free(out);
}

#define KILL_ARGS                                                                                  \
    "--data idx:img,lbl --set data.n_train=400 --set data.n_val=10 --set data.n_test=20 "          \
    "--set data.batch=20 --set train.eval_fit=20 --set input.steps_per_image=200 "                 \
    "--set stdp.sign=as_published --set sleep.period=2000 --quiet "

/* A run killed with SIGKILL at a random point after its first checkpoint, then resumed,
 * ends with the same results as an uninterrupted run. */
static void train_killed_and_resumed_matches_uninterrupted(void **state)
{
    (void)state;
    tu_write_idx_pair(dir, "img", "lbl", 500, 500, 15, 15, 500, 0x803);
    char *out = NULL;
    assert_int_equal(cli("train " KILL_ARGS "--out full.json", &out), 0);
    free(out);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && { %s train " KILL_ARGS "--checkpoint-every 1 --checkpoint ck "
             "--out part.json & pid=$!; while [ ! -f ck/checkpoint.smck ]; do sleep 0.01; done; "
             "sleep 0.$((RANDOM %% 20))$((RANDOM %% 10)); kill -9 $pid; wait $pid; "
             "test ! -f part.json; }",
             dir, SOMNUS_CLI);
    int rc = tu_run(cmd, &out);
    if (rc != 0) fprintf(stderr, "kill step: %s\n", out);
    assert_int_equal(rc, 0); /* killed before it could finish */
    free(out);
    expect_error("train --resume ck --set run.seed=3 --out x.json", "--resume");
    rc = cli("train --resume ck --checkpoint-every 1 --out part.json", &out);
    if (rc != 0) fprintf(stderr, "%s\n", out);
    assert_int_equal(rc, 0);
    free(out);
    json_t *a = load_without_timing("full.json"), *b = load_without_timing("part.json");
    assert_true(json_equal(json_object_get(a, "final"), json_object_get(b, "final")));
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    /* A damaged checkpoint is refused with its name. */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && printf 'X' | dd of=ck/checkpoint.smck bs=1 seek=40 "
             "conv=notrunc 2>/dev/null",
             dir);
    assert_int_equal(tu_run(cmd, &out), 0);
    free(out);
    expect_error("train --resume ck --out y.json", "ck/checkpoint.smck: checksum mismatch");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sleep_keeps_plastic_sum_near_baseline),
        cmocka_unit_test(bad_options_fail_cleanly),
        cmocka_unit_test(bad_config_file_names_file_and_line),
        cmocka_unit_test(bad_spike_files_fail_cleanly),
        cmocka_unit_test(spike_file_replay_and_output),
        cmocka_unit_test(same_seed_same_spikes_for_1_and_2_threads),
        cmocka_unit_test(config_list_covers_the_table),
        cmocka_unit_test(train_bad_data_fails_cleanly),
        cmocka_unit_test(train_writes_results_and_summary),
        cmocka_unit_test(train_records_the_blas_core),
        cmocka_unit_test(summary_prints_dataset_base_names),
        cmocka_unit_test(train_killed_and_resumed_matches_uninterrupted),
    };
    return cmocka_run_group_tests_name("e2e", tests, setup, teardown);
}
