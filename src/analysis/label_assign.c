/* Label assignment and the all-activity / proportion-weighting votes (label_assign.h). */
#include "somnus/analysis/label_assign.h"

#include <stdlib.h>

sm_status sm_label_assign(const int32_t *counts, const int *labels, int n_img, int n_neu,
                          int n_classes, int *assign, double *rates, sm_error *err)
{
    if (n_img < 1 || n_neu < 1 || n_classes < 1)
        return sm_error_set(err, SM_EINVAL, "label assignment: %d images, %d neurons, %d classes",
                            n_img, n_neu, n_classes);
    int *per = calloc((size_t)n_classes, sizeof *per);
    if (!per) return sm_error_set(err, SM_ENOMEM, "label assignment: out of memory");
    for (int k = 0; k < n_img; k++) {
        if (labels[k] < 0 || labels[k] >= n_classes) {
            free(per);
            return sm_error_set(err, SM_EINVAL,
                                "label assignment: label %d of image %d not in [0, %d)", labels[k],
                                k, n_classes);
        }
        per[labels[k]]++;
    }
    for (size_t q = 0; q < (size_t)n_neu * n_classes; q++)
        rates[q] = 0;
    for (int k = 0; k < n_img; k++) {
        const int32_t *row = counts + (size_t)k * n_neu;
        const int c = labels[k];
        for (int n = 0; n < n_neu; n++)
            rates[(size_t)n * n_classes + c] += row[n];
    }
    for (int n = 0; n < n_neu; n++) {
        double *r = rates + (size_t)n * n_classes;
        int best = -1;
        double bv = 0;
        for (int c = 0; c < n_classes; c++) {
            r[c] = per[c] ? r[c] / per[c] : 0.0;
            if (r[c] > bv) {
                bv = r[c];
                best = c;
            }
        }
        assign[n] = best;
    }
    free(per);
    return SM_OK;
}

sm_status sm_label_predict(const int32_t *counts, int n_img, int n_neu, int n_classes,
                           const int *assign, const double *rates, sm_label_vote vote, int *pred,
                           sm_error *err)
{
    int *nc = calloc((size_t)n_classes, sizeof *nc);
    double *score = malloc((size_t)n_classes * sizeof *score);
    double *prop = vote == SM_VOTE_PROP ? malloc((size_t)n_neu * sizeof *prop) : NULL;
    if (!nc || !score || (vote == SM_VOTE_PROP && !prop)) {
        free(nc);
        free(score);
        free(prop);
        return sm_error_set(err, SM_ENOMEM, "label prediction: out of memory");
    }
    for (int n = 0; n < n_neu; n++) {
        if (assign[n] >= 0) nc[assign[n]]++;
        if (prop) { /* p[n][assign[n]]: the only proportion the vote reads */
            double s = 0;
            for (int c = 0; c < n_classes; c++)
                s += rates[(size_t)n * n_classes + c];
            prop[n] = assign[n] >= 0 && s > 0 ? rates[(size_t)n * n_classes + assign[n]] / s : 0;
        }
    }
    for (int k = 0; k < n_img; k++) {
        const int32_t *row = counts + (size_t)k * n_neu;
        for (int c = 0; c < n_classes; c++)
            score[c] = 0;
        for (int n = 0; n < n_neu; n++)
            if (assign[n] >= 0) score[assign[n]] += prop ? prop[n] * row[n] : (double)row[n];
        int best = 0;
        for (int c = 0; c < n_classes; c++) {
            if (nc[c]) score[c] /= nc[c];
            if (score[c] > score[best]) best = c;
        }
        pred[k] = best;
    }
    free(nc);
    free(score);
    free(prop);
    return SM_OK;
}
