/* somnus: the label-assignment readouts of Diehl & Cook (spec diehl-cook.md section 5).
 *
 * Each neuron is labelled by the class whose images it answers most (mean spike count
 * per class over the labelled images; ties keep the lowest class; a neuron whose every
 * class mean is 0 stays unassigned, -1, as in the authors' evaluation script). An image
 * is classified from its counts by
 *  - all-activity (the paper): score_c = (sum of counts of neurons labelled c) / (their
 *    number), 0 for a class without neurons;
 *  - proportion weighting (BindsNET): p[n][c] = rates[n][c] / sum_c rates[n][c] and
 *    score_c = sum over neurons labelled c of p[n][c] count[n], / their number;
 * the prediction is the argmax (ties: the lowest class; the authors' code takes the
 * highest). Sums run in neuron order in double.
 */
#ifndef SOMNUS_LABEL_ASSIGN_H
#define SOMNUS_LABEL_ASSIGN_H

#include <stdint.h>

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sm_label_vote { SM_VOTE_ALL = 0, SM_VOTE_PROP = 1 } sm_label_vote;

/* Assigns n_neu neurons from counts (n_img x n_neu, row-major) and labels (n_img, in
 * [0, n_classes)): assign[n] in [-1, n_classes), rates[n * n_classes + c] = mean count of
 * neuron n over class c's images (0 for a class without images). SM_EINVAL on sizes < 1
 * or a label out of range; SM_ENOMEM. */
sm_status sm_label_assign(const int32_t *counts, const int *labels, int n_img, int n_neu,
                          int n_classes, int *assign, double *rates, sm_error *err);

/* Predicts the class of each of n_img count rows (n_img x n_neu) by `vote` (rates are
 * read only for SM_VOTE_PROP). SM_ENOMEM. */
sm_status sm_label_predict(const int32_t *counts, int n_img, int n_neu, int n_classes,
                           const int *assign, const double *rates, sm_label_vote vote, int *pred,
                           sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
