/* somnus: the figures of a continual experiment drawn again from its results document
 * (`somnus plot FILE.json`), so that results stored before the figures existed, or kept
 * without them, can be looked at without rerunning anything.
 *
 * Documents of continual-sleep, continual-sgsnn and continual-safe (field "experiment")
 * carry results.R (one mean (T+1) x T matrix per condition key, null where undefined) and
 * results.conditions (acc, acc_sd, bwt, bwt_sd per condition and stream). Drawn, into
 * DIR with file-name stem STEM (a key's '/' becomes '-', other characters outside
 * [A-Za-z0-9.-] become '_'):
 *   STEM-R-<key>.png         the heat map of R (0 to 1),
 *   STEM-sequence-<key>.png  each task's accuracy along the sequence,
 *   STEM-acc_bwt-<stream>.png  ACC and BWT of the stream's class-IL conditions, mean +- sd,
 *   STEM-w_slow-<stream>.png   (continual-safe) SAFE's mean slow-learner weight per task
 *                              (the document holds the mean only: no error bars).
 */
#ifndef SOMNUS_CONTINUAL_FIGURES_H
#define SOMNUS_CONTINUAL_FIGURES_H

#include <jansson.h>

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Draws the figures above from `doc`; *written = files written. SM_EINVAL naming what is
 * missing when doc is not a continual experiment's document; the plot errors otherwise. */
sm_status sm_cl_document_figures(const json_t *doc, const char *dir, const char *stem, int *written,
                                 sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
