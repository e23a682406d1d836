/* somnus: readout -- from representations to scores.
 *
 * Input is a representation matrix: n rows (images) x d features, row-major, float
 * or double, plus one integer label >= 0 per row. Nothing here knows what a spike is;
 * any count or rate matrix works.
 *
 * Two classifiers (see docs/readout.md for the maths and the choices):
 *  - SM_READOUT_PCA_LOGREG (default): PCA on the training rows keeping the smallest
 *    number of components whose cumulative explained variance reaches `variance`
 *    (0.95), scores standardized (whitened) by default, then L2-regularized logistic
 *    regression (liblinear L2R_LR, one-vs-rest, intercept as a regularized feature of
 *    value 1, C = 1), prediction = argmax of the per-class decision values.
 *  - SM_READOUT_PUBLISHED_QDA: the readout of the published runs: z-score the features
 *    (training mean and population sd; sd = 0 features become 0), whitened PCA at 95%,
 *    then quadratic discriminant analysis computed as scikit-learn's
 *    QuadraticDiscriminantAnalysis(reg_param=0.1), fitted on a seeded 80% subsample of
 *    the training rows (the other 20% are unused, as in the paper).
 *
 * Degenerate data: if the rows the model is fitted on all have the same value (zero
 * total variance, e.g. a silent network giving all-zero counts) there is nothing to
 * learn; the readout then predicts the most frequent training class (ties: the smallest
 * label), sets `degenerate`, and reports 1 PCA component explaining 0 of the variance.
 * The accuracy is that of the majority-class guess, i.e. chance for balanced classes.
 * No NaN is ever produced from finite input.
 *
 * The library never prints: liblinear's own output is silenced by installing a no-op
 * print function (a process-wide liblinear setting, installed once, on the first
 * logistic-regression fit). All functions are reentrant: independent readouts may run
 * on different threads at once.
 */
#ifndef SOMNUS_READOUT_H
#define SOMNUS_READOUT_H

#include <stdint.h>

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------
 * Readout pipeline
 * ---------------------------------------------------------------------------------- */

typedef enum sm_readout_method {
    SM_READOUT_PCA_LOGREG = 0,   /* PCA + logistic regression (somnus default) */
    SM_READOUT_PUBLISHED_QDA = 1 /* standardize + whitened PCA + QDA(0.1) on 80% */
} sm_readout_method;

/* The rng stream index (under SM_STREAM_SPLIT) of the fit subsample, so that it never
 * shares draws with the dataset's own split/shuffle streams. Part of the
 * reproducibility contract: never change. */
#define SM_READOUT_SPLIT_INDEX 0x52454144u /* "READ" */

typedef struct sm_readout_params {
    sm_readout_method method;
    double variance;     /* PCA: fraction of training variance to keep, in (0, 1] */
    double C;            /* logistic regression: inverse L2 strength, > 0 (1.0) */
    double logreg_tol;   /* liblinear stopping tolerance eps, > 0 (1e-4, as sklearn) */
    int standardize;     /* PCA_LOGREG: 1 = z-score the features (training mean and
                            population sd) before PCA, as the authors' LR pipeline;
                            default 0 (the spec's PCA on raw counts). PUBLISHED_QDA
                            always standardizes. */
    int logreg_whiten;   /* 1: divide each PCA score by its training sd before the
                            logistic regression (default); 0: raw PCA scores */
    double qda_reg;      /* QDA covariance regularization reg_param, in [0, 1] (0.1) */
    double fit_fraction; /* fraction of training rows the model is fitted on, in (0, 1];
                            floor(fit_fraction * n_train) rows drawn without replacement.
                            1.0 for PCA_LOGREG, 0.8 for PUBLISHED_QDA by default */
    uint64_t seed;       /* seed of the fit subsample (unused when fit_fraction = 1) */
} sm_readout_params;

/* Fills `p` with the defaults of `method` (see the field comments). */
void sm_readout_params_default(sm_readout_params *p, sm_readout_method method);

/* "pca_logreg" / "published_qda" ("unknown" for other values). */
const char *sm_readout_method_name(sm_readout_method method);

typedef struct sm_readout_result {
    double accuracy;           /* n_correct / n_test, in [0, 1] */
    int n_correct;             /* test rows whose predicted label equals the true one */
    int n_test;                /* test rows scored */
    int n_fit;                 /* training rows the model was fitted on */
    int n_classes;             /* distinct labels among those rows */
    int n_components;          /* PCA components kept (>= 1) */
    double explained_variance; /* fraction of the fit rows' variance those components
                                  explain, in [0, 1]; 0 when degenerate */
    int degenerate;            /* 1: zero training variance, majority-class guess */
    int min_class_rows;        /* fit rows of the class with fewest of them */
    /* 1 for QDA when some class has no more fit rows than PCA components: its covariance
     * then spans only that class's own rows and the classifier scores near chance (the
     * published_qda readout on one batch of 300 images; docs/readout.md). A warning, not
     * an error: the score is still returned. */
    int underdetermined;
} sm_readout_result;

/* Fits the readout selected by `p` (NULL = defaults of SM_READOUT_PCA_LOGREG) on
 * (train_x, train_y) and scores it on (test_x, test_y).
 *   train_x: n_train x d, row-major; train_y: n_train labels >= 0 (any values, need
 *   not be contiguous); test_x: n_test x d; test_y: n_test labels, each of which must
 *   occur in train_y.
 *   pred: NULL, or a caller-owned array of n_test ints receiving the predicted labels.
 *   out: receives the result (not written on error).
 * Errors: SM_EINVAL for bad sizes or parameters (n_train < 2, n_test < 1, d < 1, fewer
 * than 2 fit rows), a negative label, a single training class, a test label absent from
 * train_y, or a class with one fit row under QDA; SM_ENUMERIC for NaN/Inf in the input
 * or a singular QDA covariance (qda_reg ~ 0); SM_ENOMEM; SM_EINTERNAL if LAPACK or
 * liblinear fails. The inputs are only read; all working memory is freed on return. */
sm_status sm_readout_score(const sm_readout_params *p, const float *train_x, const int *train_y,
                           int n_train, const float *test_x, const int *test_y, int n_test, int d,
                           int *pred, sm_readout_result *out, sm_error *err);

/* As sm_readout_score, for double matrices. */
sm_status sm_readout_score_f64(const sm_readout_params *p, const double *train_x,
                               const int *train_y, int n_train, const double *test_x,
                               const int *test_y, int n_test, int d, int *pred,
                               sm_readout_result *out, sm_error *err);

/* ------------------------------------------------------------------------------------
 * phi (eta squared)
 * ---------------------------------------------------------------------------------- */

/* phi = BCSS / (BCSS + WCSS) of the rows of x (n x d, row-major) grouped by label y,
 * summed over features:
 *   BCSS = sum_k n_k ||mean_k - mean||^2,  WCSS = sum_k sum_{i in k} ||x_i - mean_k||^2.
 * 0 = class means identical, 1 = no spread within classes. Defined as 0 when both sums
 * are 0 (all rows identical: nothing separates the classes). Accumulated in double.
 * Writes the value in [0, 1] to *phi. Errors: SM_EINVAL (n < 1, d < 1, negative label,
 * NULL pointer), SM_ENUMERIC (NaN/Inf in x), SM_ENOMEM. */
sm_status sm_phi(const float *x, const int *y, int n, int d, double *phi, sm_error *err);

/* As sm_phi, for a double matrix. */
sm_status sm_phi_f64(const double *x, const int *y, int n, int d, double *phi, sm_error *err);

/* The sums behind phi, and the authors' variant. The published code's "phi" is the
 * F ratio (BCSS / (k - 1)) / (WCSS / (n - k)), not eta squared; it is given here for
 * exact comparison. */
typedef struct sm_scatter {
    double bcss;    /* between-class sum of squares, units of x squared */
    double wcss;    /* within-class sum of squares, units of x squared */
    int n;          /* rows */
    int n_classes;  /* distinct labels k */
    double eta2;    /* BCSS / (BCSS + WCSS), as sm_phi (0 when both are 0) */
    double f_ratio; /* (BCSS / (k - 1)) / (WCSS / (n - k)); 0 when BCSS = 0 (this
                       includes k = 1), +INFINITY when WCSS = 0 < BCSS */
} sm_scatter;

/* Computes the sm_scatter of x (n x d, row-major) grouped by y into *out. Constant
 * features contribute exactly 0. Errors as sm_phi. */
sm_status sm_scatter_of(const float *x, const int *y, int n, int d, sm_scatter *out, sm_error *err);

/* As sm_scatter_of, for a double matrix. */
sm_status sm_scatter_of_f64(const double *x, const int *y, int n, int d, sm_scatter *out,
                            sm_error *err);

/* ------------------------------------------------------------------------------------
 * Confusion matrix and per-class accuracy
 * ---------------------------------------------------------------------------------- */

/* Counts cm[t * n_labels + p] = number of rows with true label t and predicted label p.
 * Labels must lie in [0, n_labels). cm is caller-owned, n_labels x n_labels, and is
 * overwritten. Errors: SM_EINVAL (n < 0, n_labels < 1, a label out of range). */
sm_status sm_confusion_matrix(const int *y_true, const int *y_pred, int n, int n_labels, int *cm,
                              sm_error *err);

/* acc[t] = cm[t][t] / sum_p cm[t][p] (the recall of class t), or NaN when class t has
 * no rows (undefined, deliberately not 0). acc is caller-owned, n_labels doubles. */
void sm_per_class_accuracy(const int *cm, int n_labels, double *acc);

/* ------------------------------------------------------------------------------------
 * PCA (the piece shared by both readouts; exposed for testing and reuse)
 * ---------------------------------------------------------------------------------- */

/* A fitted PCA. Opaque; read it with the accessors below. */
typedef struct sm_pca sm_pca;

/* Fits PCA on x (n x d, row-major, double; n >= 2, d >= 1, finite values).
 * Centres by the column means, eigendecomposes the d x d covariance
 * (divisor n - 1, as scikit-learn) with LAPACKE_dsyevr, orders components by
 * decreasing variance and keeps the smallest k whose cumulative explained-variance
 * ratio is >= `variance` - 1e-9 (the slack absorbs eigen-solver rounding, so that an
 * exact 95% split keeps the 95% component alone; scikit-learn >= 0.23 requires a
 * strictly larger ratio, which differs only at such exact ties). variance in (0, 1].
 * Each component's sign is fixed so that its largest-magnitude loading is positive.
 * Zero total variance (all rows identical): k = 1, component = first unit vector,
 * variance 0. Returns NULL on error (SM_EINVAL, SM_ENUMERIC for NaN/Inf, SM_ENOMEM,
 * SM_EINTERNAL). The caller
 * owns the result; free with sm_pca_destroy. x is only read. */
sm_pca *sm_pca_fit(const double *x, int n, int d, double variance, sm_error *err);

/* Projects x (n x d, d as fitted) onto the kept components: out[i * k + j] =
 * (x_i - mean) . component_j, divided by sqrt(explained variance_j) if `whiten` (a
 * component of variance 0 then gives 0). out is caller-owned, n x k doubles. */
sm_status sm_pca_transform(const sm_pca *pca, const double *x, int n, int whiten, double *out,
                           sm_error *err);

/* Frees a PCA (NULL is fine). */
void sm_pca_destroy(sm_pca *pca);

/* Number of kept components k (>= 1). */
int sm_pca_n_components(const sm_pca *pca);

/* Number of input features d. */
int sm_pca_n_features(const sm_pca *pca);

/* Variance of the training data along component i (eigenvalue of the covariance,
 * divisor n - 1), in the units of x squared; i in [0, k). */
double sm_pca_explained_variance(const sm_pca *pca, int i);

/* Fraction of the total training variance along component i; 0 if the total is 0. */
double sm_pca_explained_variance_ratio(const sm_pca *pca, int i);

/* Total training variance (trace of the covariance), units of x squared. */
double sm_pca_total_variance(const sm_pca *pca);

/* Unit-length component i (d doubles, owned by the PCA); i in [0, k). */
const double *sm_pca_component(const sm_pca *pca, int i);

/* Training column means (d doubles, owned by the PCA). */
const double *sm_pca_mean(const sm_pca *pca);

/* ------------------------------------------------------------------------------------
 * QDA (scikit-learn QuadraticDiscriminantAnalysis semantics; exposed for testing)
 * ---------------------------------------------------------------------------------- */

/* A fitted quadratic discriminant. Opaque. */
typedef struct sm_qda sm_qda;

/* Fits QDA on x (n x d, row-major, double) with labels y (>= 0, at least 2 classes,
 * each with at least 2 rows). Per class k: mean; SVD of the centred class rows
 * Xk = U S Vt (LAPACKE_dgesdd, thin: min(n_k, d) singular values);
 * S2 = (1 - reg) * S^2 / (n_k - 1) + reg; prior = n_k / n. reg in [0, 1].
 * Unlike sklearn, a class whose smallest S2 is at rounding level (<= 4 eps d max S2;
 * only reachable with reg ~ 0 and collinear rows) is refused rather than divided by.
 * Errors: SM_EINVAL; SM_ENUMERIC for that singular case or NaN/Inf in x; SM_ENOMEM;
 * SM_EINTERNAL. Caller owns the result (sm_qda_destroy). */
sm_qda *sm_qda_fit(const double *x, const int *y, int n, int d, double reg, sm_error *err);

/* Number of classes; labels are reported in increasing order. */
int sm_qda_n_classes(const sm_qda *qda);

/* Label of class index c in [0, n_classes). */
int sm_qda_label(const sm_qda *qda, int c);

/* Log-posterior up to a shared constant, for each row of x (n x d) and class c:
 *   dec[i * n_classes + c] = -0.5 * (||(x_i - mean_c) V_c S2_c^-1/2||^2
 *                                   + sum log S2_c) + log prior_c.
 * dec is caller-owned, n x n_classes doubles. */
sm_status sm_qda_decision(const sm_qda *qda, const double *x, int n, double *dec, sm_error *err);

/* Predicted label (argmax of the decision, first class on ties) for each row of x
 * (n x d) into the caller-owned pred[n]. */
sm_status sm_qda_predict(const sm_qda *qda, const double *x, int n, int *pred, sm_error *err);

/* Frees a QDA (NULL is fine). */
void sm_qda_destroy(sm_qda *qda);

#ifdef __cplusplus
}
#endif
#endif
