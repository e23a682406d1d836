/* somnus run --weights DIR / --export DIR: a network trained and exported by
 * `somnus train --export` is loaded by `somnus run`, which then reproduces, spike for
 * spike, a test-phase run of the same network built here through the library (the
 * config from the training's results file, the weights read from the .npy files here,
 * sm_sim_test on the same spike input). Mismatched files are refused with one error line
 * naming the file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/config.h"
#include "somnus/io/npy.h"
#include "somnus/io/spikefile.h"
#include "somnus/models/sim.h"
#include "testutil.h"

static char *dir;

#define TRAIN_ARGS                                                                                 \
    "train --quiet --data idx:img,lbl --set data.n_train=20 --set data.n_val=4 "                   \
    "--set data.n_test=8 --set data.batch=10 --set train.eval_fit=10 "                             \
    "--set input.steps_per_image=20 --set net.n_exc=30 --set net.n_inh=8 --seed 3 "

enum { STEPS = 300, N_INPUT = 225 };

/* Trains and exports once (dir/D, dir/r.json) and writes the input spikes dir/in.csv:
 * 40 distinct input neurons at every millisecond, from a fixed LCG. */
static int setup(void **state)
{
    (void)state;
    if (tu_dir_setup(&dir) != 0) return -1;
    tu_write_idx_pair(dir, "img", "lbl", 40, 40, 15, 15, 40, 0x803);
    char *out = NULL;
    int rc = tu_cli(dir, TRAIN_ARGS "--export D --out r.json", &out);
    if (rc != 0) fprintf(stderr, "%s\n", out);
    free(out);
    if (rc != 0) return -1;
    char path[4096];
    snprintf(path, sizeof path, "%s/in.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "neuron,time_ms\n");
    uint32_t x = 12345;
    for (int t = 0; t < STEPS; t++) {
        unsigned char used[N_INPUT] = {0};
        for (int k = 0; k < 40;) {
            x = x * 1664525u + 1013904223u;
            const int n = (int)((x >> 8) % N_INPUT);
            if (used[n]) continue;
            used[n] = 1;
            fprintf(f, "%d,%d\n", n, t);
            k++;
        }
    }
    return fclose(f) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return tu_dir_teardown(&dir);
}

static char *slurp(const char *name)
{
    char cmd[4200], *out = NULL;
    snprintf(cmd, sizeof cmd, "cat '%s/%s'", dir, name);
    if (tu_run(cmd, &out) != 0) fail_msg("cannot read %s: %s", name, out);
    return out;
}

static sm_npy_array *read_npy(const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sm_error err;
    sm_npy_array *a = sm_npy_read(path, &err);
    if (!a) fail_msg("%s", err.msg);
    return a;
}

/* The reference: the training's config, the network it builds, the exported weights
 * copied in (after checking the exported pre/post against it), STEPS test-phase steps
 * of in.csv, spikes written to dir/ref.csv. */
static void reference_run(void)
{
    char path[4200];
    sm_error err;
    sm_config cfg;
    sm_config_default(&cfg);
    snprintf(path, sizeof path, "%s/r.json", dir);
    if (sm_config_load(&cfg, path, &err) != SM_OK) fail_msg("%s", err.msg);
    assert_int_equal(cfg.net.n_input, N_INPUT);
    sm_sim *sim = sm_sim_create(&cfg, &err);
    if (!sim) fail_msg("%s", err.msg);
    sm_net *net = sim->net;
    sm_npy_array *w = read_npy("D/weights.npy"), *pre = read_npy("D/weights_pre.npy"),
                 *post = read_npy("D/weights_post.npy");
    assert_int_equal(w->count, (size_t)net->n_syn);
    for (int g = 0; g < net->n_total; g++)
        for (int64_t s = net->row[g]; s < net->row[g + 1]; s++) {
            assert_int_equal(((int32_t *)pre->data)[s], g);
            assert_int_equal(((int32_t *)post->data)[s], net->n_in + net->post[s]);
        }
    memcpy(net->w, w->data, w->count * sizeof *net->w);
    sm_npy_destroy(w);
    sm_npy_destroy(pre);
    sm_npy_destroy(post);
    snprintf(path, sizeof path, "%s/in.csv", dir);
    sm_spike_train *train = sm_spike_train_read(path, cfg.net.n_input, cfg.run.dt, &err);
    if (!train) fail_msg("%s", err.msg);
    sm_sim_set_input(sim, sm_spike_train_input, train);
    sm_spike_writer wr;
    snprintf(path, sizeof path, "%s/ref.csv", dir);
    assert_int_equal(sm_spike_writer_open(&wr, path, cfg.run.dt, &err), SM_OK);
    sm_sim_set_spike_sink(sim, sm_spike_writer_sink, &wr);
    if (sm_sim_test(sim, STEPS, &err) != SM_OK) fail_msg("%s", err.msg);
    assert_int_equal(sm_spike_writer_close(&wr, &err), SM_OK);
    sm_spike_train_destroy(train);
    sm_sim_destroy(sim);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void run_with_trained_weights_matches_a_test_phase_run(void **state)
{
    (void)state;
    char *out = NULL;
    int rc =
        tu_cli(dir,
               "run --quiet --config r.json --weights D --plasticity off --input spikes:in.csv "
               "--steps 300 --spikes-out out.csv --out run.json",
               &out);
    if (rc != 0) fail_msg("%s", out);
    free(out);
    rc = tu_cli(dir,
                "run --quiet --config r.json --plasticity off --input spikes:in.csv "
                "--steps 300 --spikes-out untrained.csv --out run0.json",
                &out);
    if (rc != 0) fail_msg("%s", out);
    free(out);
    reference_run();
    char *got = slurp("out.csv"), *want = slurp("ref.csv"), *untrained = slurp("untrained.csv");
    /* Not vacuous: the network spikes, and the trained weights change the spikes. */
    assert_true(count_lines(want) > 20);
    assert_string_not_equal(untrained, want);
    assert_string_equal(got, want);
    free(got);
    free(want);
    free(untrained);
}

static void run_export_writes_the_weights_as_train_does(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = tu_cli(dir,
                    "run --quiet --config r.json --weights D --plasticity off --steps 10 "
                    "--input none --export E --out e.json",
                    &out);
    if (rc != 0) fail_msg("%s", out);
    free(out);
    /* Frozen weights: the same files, byte for byte, and a monitor series. */
    static const char *SAME[] = {"weights.npy", "weights_pre.npy", "weights_post.npy",
                                 "weights_pathway.npy", "se_weights.npy"};
    for (size_t k = 0; k < sizeof SAME / sizeof SAME[0]; k++) {
        char cmd[8500];
        snprintf(cmd, sizeof cmd, "cmp '%s/D/%s' '%s/E/%s'", dir, SAME[k], dir, SAME[k]);
        assert_int_equal(tu_run(cmd, &out), 0);
        free(out);
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/E/monitor_step.npy", dir);
    assert_true(tu_exists(path));
    /* With plasticity, the exported weights are the run's last weights: they moved. */
    rc = tu_cli(dir,
                "run --quiet --config r.json --weights D --input spikes:in.csv --steps 300 "
                "--export F --out f.json",
                &out);
    if (rc != 0) fail_msg("%s", out);
    free(out);
    snprintf(path, sizeof path, "cmp -s '%s/D/weights.npy' '%s/F/weights.npy'", dir, dir);
    rc = tu_run(path, &out);
    free(out);
    assert_int_not_equal(rc, 0);
}

/* Copies D to dir/name and overwrites one value of one of its files. */
static void corrupt_copy(const char *name, const char *file, sm_npy_dtype dtype, int64_t index,
                         double value)
{
    char cmd[8500], *out = NULL;
    snprintf(cmd, sizeof cmd, "rm -rf '%s/%s' && cp -r '%s/D' '%s/%s'", dir, name, dir, dir, name);
    assert_int_equal(tu_run(cmd, &out), 0);
    free(out);
    char rel[512];
    snprintf(rel, sizeof rel, "%s/%s", name, file);
    sm_npy_array *a = read_npy(rel);
    if (a->dtype == SM_NPY_F32)
        ((float *)a->data)[index] = (float)value;
    else if (a->dtype == SM_NPY_U8)
        ((uint8_t *)a->data)[index] = (uint8_t)value;
    else
        ((int32_t *)a->data)[index] = (int32_t)value;
    snprintf(cmd, sizeof cmd, "%s/%s", dir, rel);
    sm_error err;
    if (dtype == a->dtype) {
        assert_int_equal(sm_npy_write(cmd, dtype, a->ndim, a->shape, a->data, &err), SM_OK);
    } else { /* as float64 */
        double *d = malloc(a->count * sizeof *d);
        for (size_t k = 0; k < a->count; k++)
            d[k] = ((float *)a->data)[k];
        assert_int_equal(sm_npy_write(cmd, dtype, a->ndim, a->shape, d, &err), SM_OK);
        free(d);
    }
    sm_npy_destroy(a);
}

static void mismatched_weights_are_refused(void **state)
{
    (void)state;
    /* Another network: the shape. */
    tu_expect_cli_error(dir, "run --config r.json --set net.n_exc=31 --weights D --out x.json",
                        "D/weights_pre.npy: shape (");
    tu_expect_cli_error(dir, "run --config r.json --weights nosuch --out x.json",
                        "nosuch/weights_pre.npy");
    /* The last synapse is I->E (rows are sorted by presynaptic neuron, I last). */
    sm_npy_array *w = read_npy("D/weights.npy");
    const int64_t last = (int64_t)w->count - 1;
    assert_true(((float *)w->data)[last] < 0);
    sm_npy_destroy(w);
    corrupt_copy("P", "weights_pathway.npy", SM_NPY_U8, last, 0);
    tu_expect_cli_error(dir, "run --config r.json --weights P --out x.json",
                        "P/weights_pathway.npy: synapse");
    corrupt_copy("Q", "weights_post.npy", SM_NPY_I32, 0, 0);
    tu_expect_cli_error(dir, "run --config r.json --weights Q --out x.json",
                        "Q/weights_post.npy: synapse 0 connects");
    corrupt_copy("S", "weights.npy", SM_NPY_F32, last, 0.5);
    tu_expect_cli_error(dir, "run --config r.json --weights S --out x.json",
                        "S/weights.npy: synapse");
    corrupt_copy("T", "weights.npy", SM_NPY_F64, 0, 0.5);
    tu_expect_cli_error(dir, "run --config r.json --weights T --out x.json",
                        "T/weights.npy: dtype <f8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(run_with_trained_weights_matches_a_test_phase_run),
        cmocka_unit_test(run_export_writes_the_weights_as_train_does),
        cmocka_unit_test(mismatched_weights_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
