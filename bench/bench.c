/* somnus benchmark: simulated steps per second on the paper config (225 inputs, 200 E,
 * 50 I, pair STDP), awake, with sleep, and at test time, for 1 and 2 threads. Prints a
 * table and one JSON line, and appends the JSON line to bench/results.jsonl. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "somnus/encode.h"
#include "somnus/results.h"
#include "somnus/rng.h"
#include "somnus/sim.h"

typedef struct scenario {
    const char *name;
    int sign; /* enum sm_stdp_sign */
    double sleep_rate;
    int test_phase; /* 1: plasticity off */
} scenario;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int encoder_input(void *enc, uint64_t step, int32_t *out)
{
    return sm_encoder_spikes(enc, step, out);
}

/* Runs `images` presentations of 100 steps; returns steps/s and fills the counters. */
static double run(const scenario *sc, int threads, int images, sm_sim_counters *count, double *e_hz)
{
    sm_config c;
    sm_config_default(&c);
    c.stdp.sign = sc->sign;
    c.sleep.rate = sc->sleep_rate;
    c.input.steps_per_image = 100;
    c.run.threads = threads;
    c.monitor.interval = 100000;
    sm_error err;
    sm_sim *sim = sm_sim_create(&c, &err);
    sm_encoder *enc = sim ? sm_encoder_create(&c, c.net.n_input, &err) : NULL;
    if (!sim || !enc) {
        fprintf(stderr, "bench: %s\n", err.msg);
        exit(1);
    }
    sm_sim_set_input(sim, encoder_input, enc);
    sm_rng r;
    sm_rng_init(&r, 3, SM_STREAM_USER, 0);
    float img[225];
    double t0 = now();
    for (int k = 0; k < images; k++) {
        double sum = 0;
        for (int i = 0; i < 225; i++)
            sum += img[i] = (float)sm_rng_uniform(&r);
        for (int i = 0; i < 225; i++)
            img[i] = (float)(img[i] * 22.5 / sum);
        sm_encoder_set_image(enc, img, &err);
        sm_status st = sc->test_phase ? sm_sim_test(sim, 100, &err) : sm_sim_wake(sim, 100, &err);
        if (st != SM_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            exit(1);
        }
    }
    double el = now() - t0;
    *count = sim->count;
    uint64_t e = sim->mon->total_spikes[1] + sim->mon->window_spikes[1];
    *e_hz = e / (200.0 * sim->count.steps * 1e-3);
    sm_encoder_destroy(enc);
    sm_sim_destroy(sim);
    return sim->count.steps / el;
}

static void cpu_model(char *buf, size_t size)
{
    snprintf(buf, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "model name", 10)) {
            char *v = strchr(line, ':');
            if (v) {
                snprintf(buf, size, "%s", v + 2);
                buf[strcspn(buf, "\n")] = '\0';
            }
            break;
        }
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    int images = argc > 1 ? atoi(argv[1]) : 2000;
    const char *out_path = argc > 2 ? argv[2] : SOMNUS_BENCH_RESULTS;
    static const scenario SC[] = {
        {"awake, pair STDP (as_published sign)", SM_SIGN_AS_PUBLISHED, 0.0, 0},
        {"with 20% sleep (as_published sign)", SM_SIGN_AS_PUBLISHED, 0.2, 0},
        {"awake, pair STDP (textbook sign)", SM_SIGN_TEXTBOOK, 0.0, 0},
        {"with 20% sleep (textbook sign)", SM_SIGN_TEXTBOOK, 0.2, 0},
        {"test phase (no plasticity)", SM_SIGN_AS_PUBLISHED, 0.0, 1},
    };
    const int n_sc = sizeof SC / sizeof SC[0];
    json_t *results = json_array();
    printf("somnus %s: paper config (225 S, 200 E, 50 I), %d images x 100 steps\n", sm_version(),
           images);
    printf("%-40s %7s %14s %12s %10s\n", "scenario", "threads", "steps/s", "sleep steps",
           "E rate Hz");
    for (int s = 0; s < n_sc; s++) {
        for (int threads = 1; threads <= 2; threads++) {
            sm_sim_counters c;
            double e_hz, sps = run(&SC[s], threads, images, &c, &e_hz);
            printf("%-40s %7d %14.0f %12lld %10.1f\n", SC[s].name, threads, sps,
                   (long long)c.sleep_steps, e_hz);
            json_array_append_new(results,
                                  json_pack("{s:s, s:i, s:f, s:I, s:I, s:f}", "scenario",
                                            SC[s].name, "threads", threads, "steps_per_s", sps,
                                            "steps", (json_int_t)c.steps, "sleep_steps",
                                            (json_int_t)c.sleep_steps, "e_rate_hz", e_hz));
        }
    }
    struct utsname u;
    uname(&u);
    char cpu[256], date[64];
    cpu_model(cpu, sizeof cpu);
    time_t t = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    json_t *doc = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:i, s:o}", "date", date, "version",
                            sm_version(), "machine", "host", u.nodename, "cpu", cpu, "kernel",
                            u.release, "images", images, "results", results);
    char *line = json_dumps(doc, JSON_COMPACT);
    printf("%s\n", line);
    FILE *f = fopen(out_path, "a");
    if (f) {
        fprintf(f, "%s\n", line);
        fclose(f);
        printf("appended to %s\n", out_path);
    } else {
        fprintf(stderr, "bench: cannot append to %s\n", out_path);
    }
    free(line);
    json_decref(doc);
    return 0;
}
