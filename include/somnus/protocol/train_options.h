/* somnus: what a caller can hand a training run besides config and data: a progress
 * callback, hooks on the trained network and its representations, checkpoints
 * (sm_train_options). Types only; the run is sm_train_run_opts in train.h. */
#ifndef SOMNUS_TRAIN_OPTIONS_H
#define SOMNUS_TRAIN_OPTIONS_H

#include <jansson.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Progress of a run, for a progress bar. Work is counted in image presentations
 * (STDP) or images passed through the network (SG-SNN). */
typedef struct sm_train_progress {
    const char *stage;   /* "train", "eval", "final" */
    int64_t done, total; /* work units */
    int batch, n_batches;
    double last_accuracy; /* latest validation accuracy, NAN before the first */
} sm_train_progress;

/* Called often (after every presentation or minibatch); return nonzero to stop the run
 * (sm_train_run then fails with SM_ECANCELED). */
typedef int (*sm_train_progress_fn)(void *ctx, const sm_train_progress *p);

struct sm_sim;

/* Called once at the end of a successful STDP run, after the final readout and before
 * the simulation is destroyed, with the trained network (e.g. to save its weights).
 * `sim` is only valid during the call and must not be changed. */
typedef void (*sm_train_final_fn)(void *ctx, const struct sm_sim *sim);

/* Called once at the end of a successful STDP run with the representations of the final
 * readout (spike counts per image, d = net.n_exc, or n_exc + n_inh with
 * readout.features = all): fit[n_fit x d] with fit_labels[n_fit] (the training images
 * the readout is fitted on) and test[n_test x d] with test_labels[n_test], row-major.
 * The arrays are only valid during the call. */
typedef void (*sm_train_repr_fn)(void *ctx, const float *fit, const int *fit_labels, int n_fit,
                                 const float *test, const int *test_labels, int n_test, int d);

struct sm_sgsnn;

/* Called once at the end of a successful SG-SNN run, before the network is destroyed (e.g.
 * to save its layers with sm_sgsnn_get_layer). `net` is only valid during the call and
 * must not be changed. */
typedef void (*sm_train_sgsnn_final_fn)(void *ctx, struct sm_sgsnn *net);

struct sm_ppg;

/* What a successful ppg run hands its final hook: the trained model, the test images'
 * posteriors (n_test x C, row-major) and intensity estimates z_hat (n_test). All only
 * valid during the call. */
typedef struct sm_train_ppg_final {
    const struct sm_ppg *model;
    const double *posterior;
    const double *zhat;
    int n_test;
} sm_train_ppg_final;

/* Called once at the end of a successful ppg run (e.g. to save W, lambda, alpha). */
typedef void (*sm_train_ppg_final_fn)(void *ctx, const sm_train_ppg_final *f);

struct sm_dc;

/* Called once at the end of a successful dc run with the trained network (weights and
 * theta as they stand after training; the network is frozen by then). */
typedef void (*sm_train_dc_final_fn)(void *ctx, const struct sm_dc *net);
/* Called after every structural event of the STDP network (struct.mode != none) with the
 * rebuilt network and the event's index (e.g. to keep connectivity snapshots). */
struct sm_net;
typedef void (*sm_train_struct_event_fn)(void *ctx, const struct sm_net *net, int64_t event);
/* Called by the input- and label-plasticity protocols at the end of a successful run with
 * each named array of spec plasticity-loss.md section 6 (probe_counts_<layer>,
 * singular_values_<layer>, permutations): dtype 0 = float32, 1 = float64, 2 = int32;
 * rows x cols, row-major; `data` is only valid during the call (copy it to keep it). */
typedef void (*sm_train_array_fn)(void *ctx, const char *name, int dtype, size_t rows, size_t cols,
                                  const void *data);

/* Everything sm_train_run_opts takes besides config and data (zero = defaults). */
typedef struct sm_train_options {
    sm_train_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    sm_train_final_fn final_fn; /* may be NULL */
    void *final_ctx;
    const char *checkpoint_path; /* written (atomically) after every checkpoint_every
                                    batches; NULL = never */
    int checkpoint_every;
    const char *resume_path;  /* continue from this checkpoint; NULL = from scratch. The
                                 config and data must be those the checkpoint records. */
    sm_train_repr_fn repr_fn; /* STDP: the final readout's rows; may be NULL */
    void *repr_ctx;
    sm_train_sgsnn_final_fn sgsnn_final_fn; /* SG-SNN: the trained network; may be NULL */
    void *sgsnn_final_ctx;
    sm_train_ppg_final_fn ppg_final_fn; /* ppg: the trained model; may be NULL */
    void *ppg_final_ctx;
    sm_train_dc_final_fn dc_final_fn; /* dc: the trained network; may be NULL */
    void *dc_final_ctx;
    sm_train_struct_event_fn struct_event_fn; /* STDP: after each structural event; may be NULL */
    void *struct_event_ctx;
    sm_train_array_fn array_fn; /* input/label protocols: named arrays; may be NULL */
    void *array_ctx;
} sm_train_options;

#ifdef __cplusplus
}
#endif
#endif
