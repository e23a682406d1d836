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
#include "somnus/core/error.h"
#include "somnus/io/dataset.h"
#include "somnus/protocol/train_data.h"
#include "somnus/protocol/train_options.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Loads and prepares the data of `cfg` (see the top of this file). The test images come
 * from the dataset's own test set when it has one and data.official_test is set,
 * otherwise from the pool, disjoint from training and validation. The image size must
 * match net.n_input (STDP) or sgsnn's input (input.width x input.height). A model that
 * makes its own examples (train.model = hopfield, theta) needs no data: *out is left empty and
 * nothing is read. */
sm_status sm_train_data_load(const sm_config *cfg, sm_train_data *out, sm_error *err);

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
