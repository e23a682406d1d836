/* somnus: the experiment protocol of spec section 7, for both models.
 *
 *   data   load data.dataset -> select data.classes -> balanced split (run.seed) ->
 *          resize to input.width x input.height -> (STDP only) per-image sum
 *          normalization to input.norm_fraction x pixels
 *   STDP   the training images in batches of data.batch, each presented for
 *          input.steps_per_image wake steps, state carried over, sleep per the
 *          schedule; after every train.eval_every batches an evaluation with frozen
 *          weights and noise per noise.test: the first train.eval_fit training images
 *          and the validation images are presented, the readout (readout.*) is fitted
 *          on the former and scored on the latter. The evaluation runs on a snapshot:
 *          training continues exactly as if it had not happened, so the learning curve
 *          does not depend on how often it is measured. At the end: the readout fitted
 *          on the training images (all, or the last readout.fit_images) and scored on
 *          the test images.
 *   SG-SNN sgsnn.epochs epochs of BPTT on the training images (pixels in [0, 1], no
 *          sum normalization: they are input currents) with the sleep variant
 *          sgsnn.sleep_mode at sleep.rate; validation accuracy after every epoch
 *          (train.eval_every); test accuracy at the end.
 *
 * The results document (sm_train_run) is JSON with the resolved config, version,
 * seed, timings, the data description, one row per evaluation ("evaluations", column
 * by column) and the final scores; see docs/formats.md.
 */
#ifndef SOMNUS_TRAIN_H
#define SOMNUS_TRAIN_H

#include <jansson.h>
#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/io/dataset.h"
#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The images of one run, prepared per the config. */
typedef struct sm_train_data {
    sm_dataset *train, *val, *test; /* val may have n = 0 */
    char name[SM_CONFIG_STR_MAX];   /* data.dataset */
    int test_official;              /* 1: test images from the dataset's own test set */
} sm_train_data;

/* Parses data.classes ("all", "3", "0,1,7", "0-4", "0-2,7") into classes[0..*k) for a
 * dataset of n_classes classes; "all" gives 0..n_classes-1. Errors name data.classes. */
sm_status sm_train_parse_classes(const char *text, int n_classes, int *classes, int *k,
                                 sm_error *err);

/* Loads and prepares the data of `cfg` (see the top of this file). The test images come
 * from the dataset's own test set when it has one and data.official_test is set,
 * otherwise from the pool, disjoint from training and validation. The image size must
 * match net.n_input (STDP) or sgsnn's input (input.width x input.height). */
sm_status sm_train_data_load(const sm_config *cfg, sm_train_data *out, sm_error *err);

/* Frees the three datasets (the struct itself is the caller's). */
void sm_train_data_free(sm_train_data *d);

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

/* Runs the protocol of train.model on `data` and returns the results document in
 * *results (caller json_decref's it). `progress` may be NULL. Deterministic: the same
 * config and data give the same document apart from the "timing" object and wall-time
 * columns, for any thread count. Errors: those of the simulation and the readout;
 * SM_ECANCELED when the progress callback asked to stop. */
sm_status sm_train_run(const sm_config *cfg, const sm_train_data *data,
                       sm_train_progress_fn progress, void *ctx, json_t **results, sm_error *err);

/* ------------------------------------------------------------------------------------
 * Additions for callers that run many configurations (somnus sweep).
 * ---------------------------------------------------------------------------------- */

/* Like sm_train_data_load, but from a dataset already loaded with
 * sm_dataset_load_named (`pool`, and `official`, its own test set, or NULL), so that a
 * caller running many cells loads each dataset once. Selects data.classes, splits with
 * run.seed, resizes and normalizes (sm_train_data_load is this after loading); `pool` and
 * `official` are only read (several threads may share them). out->name is
 * data.dataset. The caller frees `out` with sm_train_data_free. */
sm_status sm_train_data_from_pool(const sm_config *cfg, const sm_dataset *pool,
                                  const sm_dataset *official, sm_train_data *out, sm_error *err);

struct sm_sim;

/* Called once at the end of a successful STDP run, after the final readout and before
 * the simulation is destroyed, with the trained network (e.g. to save its weights).
 * `sim` is only valid during the call and must not be changed. */
typedef void (*sm_train_final_fn)(void *ctx, const struct sm_sim *sim);

/* sm_train_run with a hook on the trained simulation (`final_fn` may be NULL; not
 * called for the SG-SNN, which has no sm_sim). Same results document. */
sm_status sm_train_run_final(const sm_config *cfg, const sm_train_data *data,
                             sm_train_progress_fn progress, void *ctx, sm_train_final_fn final_fn,
                             void *final_ctx, json_t **results, sm_error *err);

/* ------------------------------------------------------------------------------------
 * Checkpoints: the complete state at a batch (STDP) or epoch (SG-SNN) boundary, to continue a run
 * that was stopped or killed with results identical to an uninterrupted run (apart from
 * timings). See include/somnus/checkpoint.h for the file.
 * ---------------------------------------------------------------------------------- */

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
} sm_train_options;

/* sm_train_run with options. Checkpoints are taken every checkpoint_every batches (STDP)
 * or epochs (SG-SNN), never after the last one. Resuming checks that the checkpoint was written by
 * this version, for this config and data, and is undamaged (SM_EFORMAT naming the file). */
sm_status sm_train_run_opts(const sm_config *cfg, const sm_train_data *data,
                            const sm_train_options *opt, json_t **results, sm_error *err);

/* Reads the resolved config recorded in a checkpoint into *cfg (defaults first). */
sm_status sm_train_checkpoint_config(const char *path, sm_config *cfg, sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
