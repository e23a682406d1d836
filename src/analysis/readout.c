/* somnus: readout -- PCA (LAPACKE), logistic regression (liblinear), QDA, phi.
 * See include/somnus/readout.h for the contract and docs/readout.md for the choices. */
#include "somnus/analysis/readout.h"

#include <lapacke.h>
#include <linear.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"

/* Slack on the cumulative explained-variance ratio (see sm_pca_fit). */
#define PCA_RATIO_SLACK 1e-9

/* ------------------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------------------- */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Sorted distinct values of y[0..n) into a new array (caller frees); *k gets the count. */
static int *unique_labels(const int *y, int n, int *k)
{
    int *u = malloc((size_t)(n > 0 ? n : 1) * sizeof *u);
    if (!u) return NULL;
    memcpy(u, y, (size_t)n * sizeof *u);
    qsort(u, (size_t)n, sizeof *u, cmp_int);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (m == 0 || u[m - 1] != u[i]) u[m++] = u[i];
    *k = m;
    return u;
}

/* Index of `label` in the sorted array u[0..k), or -1. */
static int label_index(const int *u, int k, int label)
{
    const int *p = bsearch(&label, u, (size_t)k, sizeof *u, cmp_int);
    return p ? (int)(p - u) : -1;
}

/* `name` is the message prefix and array name, e.g. "readout: train_y". */
static sm_status check_labels(const int *y, int n, const char *name, sm_error *err)
{
    for (int i = 0; i < n; i++)
        if (y[i] < 0)
            return sm_error_set(err, SM_EINVAL, "%s[%d] = %d is negative; labels must be >= 0",
                                name, i, y[i]);
    return SM_OK;
}

/* Element i of a matrix given as float (xf) or double (xd); exactly one is non-NULL. */
static inline double elem(const float *xf, const double *xd, size_t i)
{
    return xf ? (double)xf[i] : xd[i];
}

static sm_status check_finite(const float *xf, const double *xd, int n, int d, const char *name,
                              sm_error *err)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) {
            double v = elem(xf, xd, (size_t)i * (size_t)d + (size_t)j);
            if (!isfinite(v))
                return sm_error_set(err, SM_ENUMERIC, "%s[row %d, feature %d] is %s", name, i, j,
                                    isnan(v) ? "NaN" : "infinite");
        }
    return SM_OK;
}

/* Copies rows (rows[r] for r < n, or 0..n-1 if rows is NULL) of a d-column matrix into
 * a new double array (caller frees). */
static double *copy_rows(const float *xf, const double *xd, const int *rows, int n, int d)
{
    double *out = malloc((size_t)n * (size_t)d * sizeof *out);
    if (!out) return NULL;
    for (int r = 0; r < n; r++) {
        size_t src = (size_t)(rows ? rows[r] : r) * (size_t)d;
        for (int j = 0; j < d; j++)
            out[(size_t)r * (size_t)d + (size_t)j] = elem(xf, xd, src + (size_t)j);
    }
    return out;
}

/* Column means of x (n x d) into mean[d]. A column whose values are all equal gets that
 * value exactly (not sum/n, which can round), so that centring makes it exactly 0: this
 * is what turns "all rows identical" into an exactly zero covariance. */
static void column_means(const double *x, int n, int d, double *mean)
{
    for (int j = 0; j < d; j++)
        mean[j] = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            mean[j] += x[(size_t)i * (size_t)d + (size_t)j];
    for (int j = 0; j < d; j++) {
        int constant = 1;
        for (int i = 1; i < n && constant; i++)
            constant = x[(size_t)i * (size_t)d + (size_t)j] == x[j];
        mean[j] = constant ? x[j] : mean[j] / n;
    }
}

/* ------------------------------------------------------------------------------------
 * PCA
 * ---------------------------------------------------------------------------------- */

struct sm_pca {
    int d, k;
    double *mean; /* d */
    double *comp; /* k x d, row i = component i */
    double *var;  /* k eigenvalues (divisor n - 1) */
    double total; /* trace of the covariance */
};

void sm_pca_destroy(sm_pca *pca)
{
    if (!pca) return;
    free(pca->mean);
    free(pca->comp);
    free(pca->var);
    free(pca);
}

sm_pca *sm_pca_fit(const double *x, int n, int d, double variance, sm_error *err)
{
    if (!x) {
        sm_error_set(err, SM_EINVAL, "pca: input matrix is NULL");
        return NULL;
    }
    if (n < 2 || d < 1) {
        sm_error_set(err, SM_EINVAL, "pca: need at least 2 rows and 1 feature, got %d x %d", n, d);
        return NULL;
    }
    if (!(variance > 0.0 && variance <= 1.0)) {
        sm_error_set(err, SM_EINVAL, "pca: variance fraction %g is outside (0, 1]", variance);
        return NULL;
    }
    if (check_finite(NULL, x, n, d, "pca: x", err) != SM_OK) return NULL;
    size_t dd = (size_t)d * (size_t)d;
    sm_pca *pca = calloc(1, sizeof *pca);
    double *cov = calloc(dd, sizeof *cov);
    double *c = malloc((size_t)d * sizeof *c);
    double *w = malloc((size_t)d * sizeof *w);
    double *z = malloc(dd * sizeof *z);
    lapack_int *isuppz = malloc(2 * (size_t)d * sizeof *isuppz);
    if (pca) {
        pca->d = d;
        pca->mean = malloc((size_t)d * sizeof *pca->mean);
    }
    if (!pca || !pca->mean || !cov || !c || !w || !z || !isuppz) {
        sm_error_set(err, SM_ENOMEM, "pca: out of memory for %d x %d covariance", d, d);
        goto fail;
    }
    column_means(x, n, d, pca->mean);

    /* Covariance, upper triangle in row-major order (= lower triangle in column-major
     * order, which is how LAPACK reads it below), one rank-1 update per row. The inner
     * loop is contiguous and vectorizes; summation order is fixed, so the result does
     * not depend on the machine's thread count. */
    for (int i = 0; i < n; i++) {
        const double *xi = x + (size_t)i * (size_t)d;
        for (int j = 0; j < d; j++)
            c[j] = xi[j] - pca->mean[j];
        for (int a = 0; a < d; a++) {
            double ca = c[a];
            if (ca == 0.0) continue;
            double *row = cov + (size_t)a * (size_t)d;
            for (int b = a; b < d; b++)
                row[b] += ca * c[b];
        }
    }
    double total = 0.0;
    for (int a = 0; a < d; a++) {
        for (int b = a; b < d; b++)
            cov[(size_t)a * (size_t)d + (size_t)b] /= (double)(n - 1);
        total += cov[(size_t)a * (size_t)d + (size_t)a];
    }
    pca->total = total;

    if (total == 0.0) {
        /* All rows identical: no direction carries variance. Keep one component (the
         * first unit vector) so that downstream shapes stay valid; it projects to 0. */
        pca->k = 1;
        pca->comp = calloc((size_t)d, sizeof *pca->comp);
        pca->var = calloc(1, sizeof *pca->var);
        if (!pca->comp || !pca->var) {
            sm_error_set(err, SM_ENOMEM, "pca: out of memory");
            goto fail;
        }
        pca->comp[0] = 1.0;
        goto done;
    }

    lapack_int m = 0;
    lapack_int info = LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'A', 'L', d, cov, d, 0.0, 0.0, 0, 0,
                                     0.0, &m, w, z, d, isuppz);
    if (info != 0 || m != d) {
        sm_error_set(err, SM_EINTERNAL,
                     "pca: LAPACKE_dsyevr failed on the %d x %d covariance (info %d, %d of %d "
                     "eigenvalues)",
                     d, d, (int)info, (int)m, d);
        goto fail;
    }
    /* w is ascending; component i is eigenvector d-1-i (column-major: contiguous). */
    double cum = 0.0;
    int k = d;
    for (int i = 0; i < d; i++) {
        double lam = w[d - 1 - i] > 0.0 ? w[d - 1 - i] : 0.0;
        cum += lam / total;
        if (cum >= variance - PCA_RATIO_SLACK) {
            k = i + 1;
            break;
        }
    }
    pca->k = k;
    pca->comp = malloc((size_t)k * (size_t)d * sizeof *pca->comp);
    pca->var = malloc((size_t)k * sizeof *pca->var);
    if (!pca->comp || !pca->var) {
        sm_error_set(err, SM_ENOMEM, "pca: out of memory for %d components", k);
        goto fail;
    }
    for (int i = 0; i < k; i++) {
        const double *v = z + (size_t)(d - 1 - i) * (size_t)d;
        double *dst = pca->comp + (size_t)i * (size_t)d;
        /* Eigenvectors are defined up to sign; fix it so results do not depend on the
         * LAPACK build: the largest-magnitude loading (first one on ties) is positive. */
        int jmax = 0;
        for (int j = 1; j < d; j++)
            if (fabs(v[j]) > fabs(v[jmax])) jmax = j;
        double s = v[jmax] < 0.0 ? -1.0 : 1.0;
        for (int j = 0; j < d; j++)
            dst[j] = s * v[j];
        pca->var[i] = w[d - 1 - i] > 0.0 ? w[d - 1 - i] : 0.0;
    }
done:
    free(cov);
    free(c);
    free(w);
    free(z);
    free(isuppz);
    return pca;
fail:
    sm_pca_destroy(pca);
    free(cov);
    free(c);
    free(w);
    free(z);
    free(isuppz);
    return NULL;
}

sm_status sm_pca_transform(const sm_pca *pca, const double *x, int n, int whiten, double *out,
                           sm_error *err)
{
    if (!pca || (!x && n > 0) || (!out && n > 0))
        return sm_error_set(err, SM_EINVAL, "pca: transform given a NULL pointer");
    if (n < 0) return sm_error_set(err, SM_EINVAL, "pca: negative row count %d", n);
    int d = pca->d, k = pca->k;
    double *c = malloc((size_t)d * sizeof *c);
    double *scale = malloc((size_t)k * sizeof *scale);
    if (!c || !scale) {
        free(c);
        free(scale);
        return sm_error_set(err, SM_ENOMEM, "pca: out of memory");
    }
    for (int j = 0; j < k; j++)
        scale[j] = !whiten ? 1.0 : pca->var[j] > 0.0 ? 1.0 / sqrt(pca->var[j]) : 0.0;
    for (int i = 0; i < n; i++) {
        const double *xi = x + (size_t)i * (size_t)d;
        for (int b = 0; b < d; b++)
            c[b] = xi[b] - pca->mean[b];
        for (int j = 0; j < k; j++) {
            const double *v = pca->comp + (size_t)j * (size_t)d;
            double s = 0.0;
            for (int b = 0; b < d; b++)
                s += c[b] * v[b];
            out[(size_t)i * (size_t)k + (size_t)j] = s * scale[j];
        }
    }
    free(c);
    free(scale);
    return SM_OK;
}

int sm_pca_n_components(const sm_pca *pca)
{
    return pca->k;
}

int sm_pca_n_features(const sm_pca *pca)
{
    return pca->d;
}

double sm_pca_explained_variance(const sm_pca *pca, int i)
{
    return pca->var[i];
}

double sm_pca_explained_variance_ratio(const sm_pca *pca, int i)
{
    return pca->total > 0.0 ? pca->var[i] / pca->total : 0.0;
}

double sm_pca_total_variance(const sm_pca *pca)
{
    return pca->total;
}

const double *sm_pca_component(const sm_pca *pca, int i)
{
    return pca->comp + (size_t)i * (size_t)pca->d;
}

const double *sm_pca_mean(const sm_pca *pca)
{
    return pca->mean;
}

/* ------------------------------------------------------------------------------------
 * QDA, as sklearn.discriminant_analysis.QuadraticDiscriminantAnalysis computes it
 * ---------------------------------------------------------------------------------- */

struct sm_qda {
    int d, nc;
    int *labels;       /* nc, increasing */
    double *means;     /* nc x d */
    int *m;            /* per class: number of axes kept = min(n_k, d) */
    double **w;        /* per class: m x d, row j = axis j / sqrt(S2_j) */
    double *u;         /* per class: sum_j log S2_j */
    double *log_prior; /* per class */
};

void sm_qda_destroy(sm_qda *q)
{
    if (!q) return;
    if (q->w)
        for (int c = 0; c < q->nc; c++)
            free(q->w[c]);
    free(q->w);
    free(q->labels);
    free(q->means);
    free(q->m);
    free(q->u);
    free(q->log_prior);
    free(q);
}

sm_qda *sm_qda_fit(const double *x, const int *y, int n, int d, double reg, sm_error *err)
{
    if (!x || !y) {
        sm_error_set(err, SM_EINVAL, "qda: input matrix or labels are NULL");
        return NULL;
    }
    if (n < 2 || d < 1) {
        sm_error_set(err, SM_EINVAL, "qda: need at least 2 rows and 1 feature, got %d x %d", n, d);
        return NULL;
    }
    if (!(reg >= 0.0 && reg <= 1.0)) {
        sm_error_set(err, SM_EINVAL, "qda: reg_param %g is outside [0, 1]", reg);
        return NULL;
    }
    if (check_labels(y, n, "qda: y", err) != SM_OK) return NULL;
    if (check_finite(NULL, x, n, d, "qda: x", err) != SM_OK) return NULL;

    sm_qda *q = calloc(1, sizeof *q);
    int *count = NULL, *rows = NULL;
    double *xc = NULL, *s = NULL, *uu = NULL, *vt = NULL;
    if (!q) goto nomem;
    q->d = d;
    q->labels = unique_labels(y, n, &q->nc);
    if (!q->labels) goto nomem;
    int nc = q->nc;
    if (nc < 2) {
        sm_error_set(err, SM_EINVAL, "qda: the labels contain a single class (%d); need at least 2",
                     q->labels[0]);
        goto fail;
    }
    q->means = calloc((size_t)nc * (size_t)d, sizeof *q->means);
    q->m = calloc((size_t)nc, sizeof *q->m);
    q->w = calloc((size_t)nc, sizeof *q->w);
    q->u = calloc((size_t)nc, sizeof *q->u);
    q->log_prior = calloc((size_t)nc, sizeof *q->log_prior);
    count = calloc((size_t)nc, sizeof *count);
    rows = malloc((size_t)n * sizeof *rows);
    if (!q->means || !q->m || !q->w || !q->u || !q->log_prior || !count || !rows) goto nomem;
    for (int i = 0; i < n; i++)
        count[label_index(q->labels, nc, y[i])]++;
    for (int c = 0; c < nc; c++)
        if (count[c] < 2) {
            sm_error_set(err, SM_EINVAL,
                         "qda: class %d has only 1 row; its covariance is ill-defined (need >= 2)",
                         q->labels[c]);
            goto fail;
        }

    for (int c = 0; c < nc; c++) {
        int nk = 0;
        for (int i = 0; i < n; i++)
            if (y[i] == q->labels[c]) rows[nk++] = i;
        double *mean = q->means + (size_t)c * (size_t)d;
        free(xc);
        xc = copy_rows(NULL, x, rows, nk, d);
        if (!xc) goto nomem;
        column_means(xc, nk, d, mean);
        for (int i = 0; i < nk; i++)
            for (int j = 0; j < d; j++)
                xc[(size_t)i * (size_t)d + (size_t)j] -= mean[j];

        /* Thin SVD Xc = U S Vt (nk x d). Xc in row-major order is Xc^T (d x nk) in
         * column-major order, whose left singular vectors are Xc's right ones: the
         * columns of `uu` below are the rows of Vt, contiguous, with no transposition. */
        int m = nk < d ? nk : d;
        free(s);
        free(uu);
        free(vt);
        s = malloc((size_t)m * sizeof *s);
        uu = malloc((size_t)d * (size_t)m * sizeof *uu);
        vt = malloc((size_t)m * (size_t)nk * sizeof *vt);
        if (!s || !uu || !vt) goto nomem;
        lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', d, nk, xc, d, s, uu, d, vt, m);
        if (info != 0) {
            sm_error_set(err, SM_EINTERNAL, "qda: LAPACKE_dgesdd failed for class %d (info %d)",
                         q->labels[c], (int)info);
            goto fail;
        }
        q->m[c] = m;
        q->w[c] = malloc((size_t)m * (size_t)d * sizeof *q->w[c]);
        if (!q->w[c]) goto nomem;
        double u = 0.0;
        /* s is descending. A variance below rounding level relative to the largest
         * (only reachable with reg ~ 0 and collinear rows) would make the decision
         * rounding noise divided by ~0; sklearn computes it anyway, we refuse. */
        double s2max = (1.0 - reg) * s[0] * s[0] / (double)(nk - 1) + reg;
        for (int j = 0; j < m; j++) {
            double s2 = (1.0 - reg) * s[j] * s[j] / (double)(nk - 1) + reg;
            if (!(s2 > 4.0 * DBL_EPSILON * (double)d * s2max) || !isfinite(s2)) {
                sm_error_set(err, SM_ENUMERIC,
                             "qda: class %d has a singular covariance (axis %d variance %g); use "
                             "a regularization > 0",
                             q->labels[c], j, s2);
                goto fail;
            }
            u += log(s2);
            double f = 1.0 / sqrt(s2);
            for (int b = 0; b < d; b++)
                q->w[c][(size_t)j * (size_t)d + (size_t)b] =
                    uu[(size_t)j * (size_t)d + (size_t)b] * f;
        }
        q->u[c] = u;
        q->log_prior[c] = log((double)nk / (double)n);
    }
    free(count);
    free(rows);
    free(xc);
    free(s);
    free(uu);
    free(vt);
    return q;
nomem:
    sm_error_set(err, SM_ENOMEM, "qda: out of memory (%d x %d)", n, d);
fail:
    sm_qda_destroy(q);
    free(count);
    free(rows);
    free(xc);
    free(s);
    free(uu);
    free(vt);
    return NULL;
}

int sm_qda_n_classes(const sm_qda *qda)
{
    return qda->nc;
}

int sm_qda_label(const sm_qda *qda, int c)
{
    return qda->labels[c];
}

sm_status sm_qda_decision(const sm_qda *q, const double *x, int n, double *dec, sm_error *err)
{
    if (!q || (n > 0 && (!x || !dec)))
        return sm_error_set(err, SM_EINVAL, "qda: decision given a NULL pointer");
    if (n < 0) return sm_error_set(err, SM_EINVAL, "qda: negative row count %d", n);
    int d = q->d;
    double *diff = malloc((size_t)d * sizeof *diff);
    if (!diff) return sm_error_set(err, SM_ENOMEM, "qda: out of memory");
    for (int i = 0; i < n; i++) {
        const double *xi = x + (size_t)i * (size_t)d;
        for (int c = 0; c < q->nc; c++) {
            const double *mean = q->means + (size_t)c * (size_t)d;
            for (int b = 0; b < d; b++)
                diff[b] = xi[b] - mean[b];
            double norm2 = 0.0;
            for (int j = 0; j < q->m[c]; j++) {
                const double *wj = q->w[c] + (size_t)j * (size_t)d;
                double t = 0.0;
                for (int b = 0; b < d; b++)
                    t += diff[b] * wj[b];
                norm2 += t * t;
            }
            dec[(size_t)i * (size_t)q->nc + (size_t)c] = -0.5 * (norm2 + q->u[c]) + q->log_prior[c];
        }
    }
    free(diff);
    return SM_OK;
}

sm_status sm_qda_predict(const sm_qda *q, const double *x, int n, int *pred, sm_error *err)
{
    if (!q || (n > 0 && (!x || !pred)))
        return sm_error_set(err, SM_EINVAL, "qda: predict given a NULL pointer");
    if (n < 0) return sm_error_set(err, SM_EINVAL, "qda: negative row count %d", n);
    double *dec = calloc((size_t)(n > 0 ? n : 1) * (size_t)q->nc, sizeof *dec);
    if (!dec) return sm_error_set(err, SM_ENOMEM, "qda: out of memory");
    sm_status st = sm_qda_decision(q, x, n, dec, err);
    if (st == SM_OK)
        for (int i = 0; i < n; i++) {
            const double *di = dec + (size_t)i * (size_t)q->nc;
            int best = 0;
            for (int c = 1; c < q->nc; c++)
                if (di[c] > di[best]) best = c;
            pred[i] = q->labels[best];
        }
    free(dec);
    return st;
}

/* ------------------------------------------------------------------------------------
 * Logistic regression (liblinear)
 * ---------------------------------------------------------------------------------- */

static void liblinear_silent(const char *s)
{
    (void)s;
}

/* liblinear's print hook is a process-wide variable: install ours once, so that
 * concurrent readouts on several threads do not race on it. */
static pthread_once_t liblinear_once = PTHREAD_ONCE_INIT;

static void liblinear_quiet(void)
{
    set_print_string_function(liblinear_silent);
}

/* Fills nodes[0..k+1] with a dense row of k features, the bias node (index k+1, value
 * 1: liblinear's intercept, regularized like a weight, as with sklearn's liblinear
 * solver) and the terminator. */
static void fill_nodes(struct feature_node *nodes, const double *z, int k)
{
    for (int j = 0; j < k; j++) {
        nodes[j].index = j + 1;
        nodes[j].value = z[j];
    }
    nodes[k].index = k + 1;
    nodes[k].value = 1.0;
    nodes[k + 1].index = -1;
    nodes[k + 1].value = 0.0;
}

static sm_status logreg_fit_predict(const double *ztr, const int *y, int n, int k,
                                    const double *zte, int n_test, double C, double tol, int *pred,
                                    sm_error *err)
{
    sm_status st = SM_OK;
    size_t stride = (size_t)k + 2;
    struct feature_node *space = malloc((size_t)n * stride * sizeof *space);
    struct feature_node **rows =
        malloc((size_t)n *
               sizeof *rows); /* NOLINT(bugprone-sizeof-expression): an array of row pointers */
    struct feature_node *tnode = malloc(stride * sizeof *tnode);
    double *yd = malloc((size_t)n * sizeof *yd);
    struct model *model = NULL;
    if (!space || !rows || !tnode || !yd) {
        st = sm_error_set(err, SM_ENOMEM, "logreg: out of memory for %d x %d problem", n, k);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        rows[i] = space + (size_t)i * stride;
        fill_nodes(rows[i], ztr + (size_t)i * (size_t)k, k);
        yd[i] = (double)y[i];
    }
    struct problem prob = {.l = n, .n = k + 1, .y = yd, .x = rows, .bias = 1.0};
    struct parameter param = {.solver_type = L2R_LR,
                              .eps = tol,
                              .C = C,
                              .nr_weight = 0,
                              .weight_label = NULL,
                              .weight = NULL,
                              .p = 0.1,
                              .init_sol = NULL};
    pthread_once(&liblinear_once, liblinear_quiet);
    const char *msg = check_parameter(&prob, &param);
    if (msg) {
        st = sm_error_set(err, SM_EINTERNAL, "logreg: liblinear rejected the parameters: %s", msg);
        goto out;
    }
    model = train(&prob, &param);
    if (!model) {
        st = sm_error_set(err, SM_EINTERNAL, "logreg: liblinear train() failed");
        goto out;
    }
    for (int i = 0; i < n_test; i++) {
        fill_nodes(tnode, zte + (size_t)i * (size_t)k, k);
        pred[i] = (int)predict(model, tnode);
    }
out:
    if (model) free_and_destroy_model(&model);
    free(space);
    free(rows);
    free(tnode);
    free(yd);
    return st;
}

/* ------------------------------------------------------------------------------------
 * The readout pipeline
 * ---------------------------------------------------------------------------------- */

void sm_readout_params_default(sm_readout_params *p, sm_readout_method method)
{
    p->method = method;
    p->variance = 0.95;
    p->C = 1.0;
    p->logreg_tol = 1e-4;
    p->standardize = method == SM_READOUT_PUBLISHED_QDA;
    p->logreg_whiten = 1;
    p->qda_reg = 0.1;
    p->fit_fraction = method == SM_READOUT_PUBLISHED_QDA ? 0.8 : 1.0;
    p->seed = 1;
}

const char *sm_readout_method_name(sm_readout_method method)
{
    switch (method) {
    case SM_READOUT_PCA_LOGREG: return "pca_logreg";
    case SM_READOUT_PUBLISHED_QDA: return "published_qda";
    }
    return "unknown";
}

static sm_status check_params(const sm_readout_params *p, sm_error *err)
{
    if (p->method != SM_READOUT_PCA_LOGREG && p->method != SM_READOUT_PUBLISHED_QDA)
        return sm_error_set(err, SM_EINVAL, "readout: unknown method %d", (int)p->method);
    if (!(p->variance > 0.0 && p->variance <= 1.0))
        return sm_error_set(err, SM_EINVAL, "readout: variance %g is outside (0, 1]", p->variance);
    if (!(p->fit_fraction > 0.0 && p->fit_fraction <= 1.0))
        return sm_error_set(err, SM_EINVAL, "readout: fit_fraction %g is outside (0, 1]",
                            p->fit_fraction);
    if (p->method == SM_READOUT_PCA_LOGREG) {
        if (!(p->C > 0.0 && isfinite(p->C)))
            return sm_error_set(err, SM_EINVAL, "readout: C %g must be positive", p->C);
        if (!(p->logreg_tol > 0.0 && isfinite(p->logreg_tol)))
            return sm_error_set(err, SM_EINVAL, "readout: logreg_tol %g must be positive",
                                p->logreg_tol);
    } else if (!(p->qda_reg >= 0.0 && p->qda_reg <= 1.0)) {
        return sm_error_set(err, SM_EINVAL, "readout: qda_reg %g is outside [0, 1]", p->qda_reg);
    }
    return SM_OK;
}

/* z-scores x (n x d) in place with the given mean and sd; sd = 0 leaves x - mean
 * (exactly 0 on the rows the statistics came from), as sklearn's StandardScaler. */
static void apply_standardize(double *x, int n, int d, const double *mean, const double *sd)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) {
            double *v = x + (size_t)i * (size_t)d + (size_t)j;
            *v -= mean[j];
            if (sd[j] > 0.0) *v /= sd[j];
        }
}

/* Population mean and sd (divisor n, as StandardScaler) of x's columns; a constant
 * column gets sd 0. */
static void column_mean_sd(const double *x, int n, int d, double *mean, double *sd)
{
    column_means(x, n, d, mean);
    for (int j = 0; j < d; j++)
        sd[j] = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) {
            double c = x[(size_t)i * (size_t)d + (size_t)j] - mean[j];
            sd[j] += c * c;
        }
    for (int j = 0; j < d; j++)
        sd[j] = sqrt(sd[j] / n);
}

/* Fit rows of the class with fewest of them. */
static int min_class_rows(const int *y, int n, const int *classes, int n_classes)
{
    int best = n;
    for (int c = 0; c < n_classes; c++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            m += y[i] == classes[c];
        if (m < best) best = m;
    }
    return best;
}

static sm_status readout_impl(const sm_readout_params *pin, const float *trf, const double *trd,
                              const int *train_y, int n_train, const float *tef, const double *ted,
                              const int *test_y, int n_test, int d, int *pred,
                              sm_readout_result *out, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_readout_params p;
    if (pin)
        p = *pin;
    else
        sm_readout_params_default(&p, SM_READOUT_PCA_LOGREG);
    sm_status st = check_params(&p, err);
    if (st != SM_OK) return st;
    if ((!trf && !trd) || (!tef && !ted) || !train_y || !test_y || !out)
        return sm_error_set(err, SM_EINVAL, "readout: a required input or output pointer is NULL");
    if (n_train < 2)
        return sm_error_set(err, SM_EINVAL, "readout: need at least 2 training rows, got %d",
                            n_train);
    if (n_test < 1)
        return sm_error_set(err, SM_EINVAL, "readout: need at least 1 test row, got %d", n_test);
    if (d < 1) return sm_error_set(err, SM_EINVAL, "readout: need at least 1 feature, got %d", d);
    if ((st = check_labels(train_y, n_train, "readout: train_y", err)) != SM_OK) return st;
    if ((st = check_labels(test_y, n_test, "readout: test_y", err)) != SM_OK) return st;
    if ((st = check_finite(trf, trd, n_train, d, "readout: train_x", err)) != SM_OK) return st;
    if ((st = check_finite(tef, ted, n_test, d, "readout: test_x", err)) != SM_OK) return st;

    int *classes = NULL, *fit_rows = NULL, *fit_y = NULL, *fit_classes = NULL, *yhat = NULL,
        *count = NULL;
    double *xf = NULL, *xt = NULL, *zf = NULL, *zt = NULL, *mean = NULL, *sd = NULL;
    sm_pca *pca = NULL;
    sm_qda *qda = NULL;
    int n_classes = 0, n_fit_classes = 0;

    classes = unique_labels(train_y, n_train, &n_classes);
    if (!classes) goto nomem;
    if (n_classes < 2) {
        st = sm_error_set(err, SM_EINVAL,
                          "readout: train_y contains a single class (%d); need at least 2",
                          classes[0]);
        goto out;
    }
    for (int i = 0; i < n_test; i++)
        if (label_index(classes, n_classes, test_y[i]) < 0) {
            st = sm_error_set(err, SM_EINVAL,
                              "readout: test_y[%d] = %d is a class absent from train_y", i,
                              test_y[i]);
            goto out;
        }

    /* The fit rows: all, or a seeded subsample (kept in the original order). */
    int n_fit = n_train;
    if (p.fit_fraction < 1.0) {
        n_fit = (int)floor(p.fit_fraction * n_train + 1e-9);
        if (n_fit < 2) {
            st = sm_error_set(err, SM_EINVAL,
                              "readout: fit_fraction %g of %d training rows leaves %d rows; need "
                              "at least 2",
                              p.fit_fraction, n_train, n_fit);
            goto out;
        }
    }
    fit_rows = calloc((size_t)n_train, sizeof *fit_rows);
    fit_y = calloc((size_t)n_train, sizeof *fit_y);
    yhat = calloc((size_t)n_test, sizeof *yhat);
    if (!fit_rows || !fit_y || !yhat) goto nomem;
    for (int i = 0; i < n_train; i++)
        fit_rows[i] = i;
    if (n_fit < n_train) {
        sm_rng r;
        sm_rng_init(&r, p.seed, SM_STREAM_SPLIT, SM_READOUT_SPLIT_INDEX);
        sm_rng_shuffle(&r, fit_rows, n_train);
        qsort(fit_rows, (size_t)n_fit, sizeof *fit_rows, cmp_int);
    }
    for (int i = 0; i < n_fit; i++)
        fit_y[i] = train_y[fit_rows[i]];
    fit_classes = unique_labels(fit_y, n_fit, &n_fit_classes);
    if (!fit_classes) goto nomem;
    if (n_fit_classes < 2) {
        st = sm_error_set(err, SM_EINVAL,
                          "readout: the %d fit rows contain a single class (%d); need at least 2",
                          n_fit, fit_classes[0]);
        goto out;
    }

    xf = copy_rows(trf, trd, fit_rows, n_fit, d);
    xt = copy_rows(tef, ted, NULL, n_test, d);
    if (!xf || !xt) goto nomem;

    if (p.method == SM_READOUT_PUBLISHED_QDA || p.standardize) {
        mean = malloc((size_t)d * sizeof *mean);
        sd = malloc((size_t)d * sizeof *sd);
        if (!mean || !sd) goto nomem;
        column_mean_sd(xf, n_fit, d, mean, sd);
        apply_standardize(xf, n_fit, d, mean, sd);
        apply_standardize(xt, n_test, d, mean, sd);
    }

    pca = sm_pca_fit(xf, n_fit, d, p.variance, err);
    if (!pca) {
        st = err->code ? err->code : SM_EINTERNAL;
        goto out;
    }
    int k = sm_pca_n_components(pca);
    int degenerate = sm_pca_total_variance(pca) == 0.0;

    if (degenerate) {
        /* Nothing varies, so nothing can be learned: guess the most frequent class. */
        count = calloc((size_t)n_fit_classes, sizeof *count);
        if (!count) goto nomem;
        for (int i = 0; i < n_fit; i++)
            count[label_index(fit_classes, n_fit_classes, fit_y[i])]++;
        int best = 0;
        for (int c = 1; c < n_fit_classes; c++)
            if (count[c] > count[best]) best = c;
        for (int i = 0; i < n_test; i++)
            yhat[i] = fit_classes[best];
    } else {
        int whiten = p.method == SM_READOUT_PUBLISHED_QDA ? 1 : p.logreg_whiten;
        zf = calloc((size_t)n_fit * (size_t)k, sizeof *zf);
        zt = calloc((size_t)n_test * (size_t)k, sizeof *zt);
        if (!zf || !zt) goto nomem;
        if ((st = sm_pca_transform(pca, xf, n_fit, whiten, zf, err)) != SM_OK) goto out;
        if ((st = sm_pca_transform(pca, xt, n_test, whiten, zt, err)) != SM_OK) goto out;
        if (p.method == SM_READOUT_PCA_LOGREG) {
            st = logreg_fit_predict(zf, fit_y, n_fit, k, zt, n_test, p.C, p.logreg_tol, yhat, err);
            if (st != SM_OK) goto out;
        } else {
            qda = sm_qda_fit(zf, fit_y, n_fit, k, p.qda_reg, err);
            if (!qda) {
                st = err->code ? err->code : SM_EINTERNAL;
                goto out;
            }
            if ((st = sm_qda_predict(qda, zt, n_test, yhat, err)) != SM_OK) goto out;
        }
    }

    int correct = 0;
    for (int i = 0; i < n_test; i++)
        correct += yhat[i] == test_y[i];
    double explained = 0.0;
    for (int j = 0; j < k; j++)
        explained += sm_pca_explained_variance_ratio(pca, j);
    out->accuracy = (double)correct / n_test;
    out->n_correct = correct;
    out->n_test = n_test;
    out->n_fit = n_fit;
    out->n_classes = n_fit_classes;
    out->n_components = k;
    out->explained_variance = explained > 1.0 ? 1.0 : explained;
    out->degenerate = degenerate;
    out->min_class_rows = min_class_rows(fit_y, n_fit, fit_classes, n_fit_classes);
    out->underdetermined =
        p.method == SM_READOUT_PUBLISHED_QDA && !degenerate && out->min_class_rows <= k;
    if (pred) memcpy(pred, yhat, (size_t)n_test * sizeof *pred);
    st = SM_OK;
    goto out;
nomem:
    st = sm_error_set(err, SM_ENOMEM, "readout: out of memory (%d + %d rows x %d features)",
                      n_train, n_test, d);
out:
    sm_qda_destroy(qda);
    sm_pca_destroy(pca);
    free(classes);
    free(fit_rows);
    free(fit_y);
    free(fit_classes);
    free(yhat);
    free(count);
    free(xf);
    free(xt);
    free(zf);
    free(zt);
    free(mean);
    free(sd);
    return st;
}

sm_status sm_readout_score(const sm_readout_params *p, const float *train_x, const int *train_y,
                           int n_train, const float *test_x, const int *test_y, int n_test, int d,
                           int *pred, sm_readout_result *out, sm_error *err)
{
    if (!train_x || !test_x)
        return sm_error_set(err, SM_EINVAL, "readout: train_x or test_x is NULL");
    return readout_impl(p, train_x, NULL, train_y, n_train, test_x, NULL, test_y, n_test, d, pred,
                        out, err);
}

sm_status sm_readout_score_f64(const sm_readout_params *p, const double *train_x,
                               const int *train_y, int n_train, const double *test_x,
                               const int *test_y, int n_test, int d, int *pred,
                               sm_readout_result *out, sm_error *err)
{
    if (!train_x || !test_x)
        return sm_error_set(err, SM_EINVAL, "readout: train_x or test_x is NULL");
    return readout_impl(p, NULL, train_x, train_y, n_train, NULL, test_x, test_y, n_test, d, pred,
                        out, err);
}

/* ------------------------------------------------------------------------------------
 * phi
 * ---------------------------------------------------------------------------------- */

static sm_status scatter_impl(const float *xf, const double *xd, const int *y, int n, int d,
                              sm_scatter *out, sm_error *err)
{
    if ((!xf && !xd) || !y || !out)
        return sm_error_set(err, SM_EINVAL, "phi: a required pointer is NULL");
    if (n < 1 || d < 1)
        return sm_error_set(err, SM_EINVAL, "phi: need at least 1 row and 1 feature, got %d x %d",
                            n, d);
    sm_status st = check_labels(y, n, "phi: y", err);
    if (st != SM_OK) return st;
    if ((st = check_finite(xf, xd, n, d, "phi: x", err)) != SM_OK) return st;

    int k = 0;
    int *classes = unique_labels(y, n, &k);
    int *cls = malloc((size_t)n * sizeof *cls);
    int *count = calloc((size_t)(k > 0 ? k : 1), sizeof *count);
    double *means = calloc((size_t)(k > 0 ? k : 1) * (size_t)d, sizeof *means);
    double *grand = calloc((size_t)d, sizeof *grand);
    char *varies = calloc((size_t)d, 1);
    if (!classes || !cls || !count || !means || !grand || !varies) {
        st = sm_error_set(err, SM_ENOMEM, "phi: out of memory (%d classes x %d features)", k, d);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        cls[i] = label_index(classes, k, y[i]);
        count[cls[i]]++;
        double *m = means + (size_t)cls[i] * (size_t)d;
        for (int j = 0; j < d; j++) {
            double v = elem(xf, xd, (size_t)i * (size_t)d + (size_t)j);
            m[j] += v;
            grand[j] += v;
            if (v != elem(xf, xd, (size_t)j)) varies[j] = 1;
        }
    }
    for (int j = 0; j < d; j++)
        grand[j] /= n;
    /* A constant feature contributes exactly 0 to both sums; skipping it keeps sum/n
     * rounding from turning identical rows into a meaningless 1e-33 / 1e-33. */
    double bcss = 0.0, wcss = 0.0;
    for (int c = 0; c < k; c++) {
        double *m = means + (size_t)c * (size_t)d;
        for (int j = 0; j < d; j++) {
            m[j] /= count[c];
            double diff = m[j] - grand[j];
            if (varies[j]) bcss += count[c] * diff * diff;
        }
    }
    for (int i = 0; i < n; i++) {
        const double *m = means + (size_t)cls[i] * (size_t)d;
        for (int j = 0; j < d; j++) {
            double diff = elem(xf, xd, (size_t)i * (size_t)d + (size_t)j) - m[j];
            if (varies[j]) wcss += diff * diff;
        }
    }
    out->bcss = bcss;
    out->wcss = wcss;
    out->n = n;
    out->n_classes = k;
    out->eta2 = bcss + wcss > 0.0 ? bcss / (bcss + wcss) : 0.0;
    out->f_ratio = bcss == 0.0 ? 0.0 : wcss == 0.0 ? INFINITY : (bcss / (k - 1)) / (wcss / (n - k));
out:
    free(classes);
    free(cls);
    free(count);
    free(means);
    free(grand);
    free(varies);
    return st;
}

sm_status sm_scatter_of(const float *x, const int *y, int n, int d, sm_scatter *out, sm_error *err)
{
    if (!x) return sm_error_set(err, SM_EINVAL, "phi: x is NULL");
    return scatter_impl(x, NULL, y, n, d, out, err);
}

sm_status sm_scatter_of_f64(const double *x, const int *y, int n, int d, sm_scatter *out,
                            sm_error *err)
{
    if (!x) return sm_error_set(err, SM_EINVAL, "phi: x is NULL");
    return scatter_impl(NULL, x, y, n, d, out, err);
}

sm_status sm_phi(const float *x, const int *y, int n, int d, double *phi, sm_error *err)
{
    if (!x || !phi) return sm_error_set(err, SM_EINVAL, "phi: x or phi is NULL");
    sm_scatter s = {0};
    sm_status st = scatter_impl(x, NULL, y, n, d, &s, err);
    if (st == SM_OK) *phi = s.eta2;
    return st;
}

sm_status sm_phi_f64(const double *x, const int *y, int n, int d, double *phi, sm_error *err)
{
    if (!x || !phi) return sm_error_set(err, SM_EINVAL, "phi: x or phi is NULL");
    sm_scatter s = {0};
    sm_status st = scatter_impl(NULL, x, y, n, d, &s, err);
    if (st == SM_OK) *phi = s.eta2;
    return st;
}

/* ------------------------------------------------------------------------------------
 * Confusion matrix
 * ---------------------------------------------------------------------------------- */

sm_status sm_confusion_matrix(const int *y_true, const int *y_pred, int n, int n_labels, int *cm,
                              sm_error *err)
{
    if (n < 0 || n_labels < 1)
        return sm_error_set(err, SM_EINVAL, "confusion: bad sizes (n %d, n_labels %d)", n,
                            n_labels);
    if (!cm || (n > 0 && (!y_true || !y_pred)))
        return sm_error_set(err, SM_EINVAL, "confusion: a required pointer is NULL");
    for (int i = 0; i < n; i++) {
        if (y_true[i] < 0 || y_true[i] >= n_labels)
            return sm_error_set(err, SM_EINVAL, "confusion: y_true[%d] = %d is outside [0, %d)", i,
                                y_true[i], n_labels);
        if (y_pred[i] < 0 || y_pred[i] >= n_labels)
            return sm_error_set(err, SM_EINVAL, "confusion: y_pred[%d] = %d is outside [0, %d)", i,
                                y_pred[i], n_labels);
    }
    memset(cm, 0, (size_t)n_labels * (size_t)n_labels * sizeof *cm);
    for (int i = 0; i < n; i++)
        cm[(size_t)y_true[i] * (size_t)n_labels + (size_t)y_pred[i]]++;
    return SM_OK;
}

void sm_per_class_accuracy(const int *cm, int n_labels, double *acc)
{
    for (int t = 0; t < n_labels; t++) {
        long total = 0;
        for (int q = 0; q < n_labels; q++)
            total += cm[(size_t)t * (size_t)n_labels + (size_t)q];
        acc[t] =
            total > 0 ? (double)cm[(size_t)t * (size_t)n_labels + (size_t)t] / (double)total : NAN;
    }
}
