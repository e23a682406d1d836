/* somnus: federated many-to-one Hopfield memory, the steps of one round (spec
 * federated-hopfield.md, after Alessandrelli et al., arXiv 2603.19902, and the authors'
 * code andrea-ladiana/TAM-Federata at bd5615f).
 *
 * Conventions: double precision; patterns and states are rows of +-1 doubles (row-major,
 * one pattern per row of N entries); operators are dense row-major N x N matrices;
 * sgn(0) = +1. Every function writes into caller-owned memory unless it says otherwise.
 * Randomness comes from the caller's sm_rng (stream SM_STREAM_HOPFIELD, see
 * sm_hf_rng_index), so a seed reproduces a run bit for bit.
 *
 * The round loop that strings these steps together is in hopfield_run.h. */
#ifndef SOMNUS_HOPFIELD_H
#define SOMNUS_HOPFIELD_H

#include <stddef.h>
#include <stdint.h>

#include "somnus/core/error.h"
#include "somnus/core/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Purposes of the hopfield random streams (part of the reproducibility contract). */
enum sm_hf_purpose {
    SM_HF_RNG_ARCHETYPES = 0, /* the K archetypes */
    SM_HF_RNG_SUBSETS = 1,    /* which archetypes each client sees */
    SM_HF_RNG_EXAMPLES = 2,   /* (round, client): archetype choice and flips */
    SM_HF_RNG_TAM_INIT = 3,   /* (round, attempt): mixture coefficients */
    SM_HF_RNG_TAM_NOISE = 4,  /* (round, attempt): TAM noise */
    SM_HF_RNG_RECALL = 5,     /* (0, archetype): recall test cues and updates */
    SM_HF_RNG_SHUFFLE = 6,    /* (round, 0): shuffle cut */
    SM_HF_RNG_BBP = 7,        /* (grid point, trial): hopfield-bbp examples */
    SM_HF_RNG_DIAG_PROBE = 8  /* (0, archetype): diag.iid probe cues */
};

/* The stream index of (purpose, round, sub): purpose << 24 | round << 12 | sub, with round
 * and sub taken modulo 4096. */
uint32_t sm_hf_rng_index(int purpose, int round, int sub);

/* ---- data (hopfield_data.c) ------------------------------------------------------- */

/* K i.i.d. Rademacher archetypes into xi (K x N, +-1). */
void sm_hf_archetypes(sm_rng *rng, int K, int N, double *xi);

/* Client subsets: shuffle 0..K-1, deal round robin over L clients, each client taking
 * kpc archetypes (perm[(c + j L) mod K], skipping repeats). sets is L x kpc; kpc <= K. */
void sm_hf_client_subsets(sm_rng *rng, int K, int L, int kpc, int *sets);

/* Archetype index of each of M examples from the client's k visible archetypes `set`:
 * balanced (example a gets set[a mod k]) or drawn uniformly (random != 0). */
void sm_hf_example_labels(sm_rng *rng, const int *set, int k, int M, int random, int *mu);

/* A per-round schedule of the archetypes' shares (hopfield.schedule). Uniform: every
 * round draws from all the client's visible archetypes alike. Novelty (spec section 7, the
 * reference's exp07 defaults): the last k_new of the K archetypes are absent before round
 * t0; from t0 on a fraction sm_hf_novel_fraction(t) of each client's examples comes from
 * them, the rest from the old ones. Sequential (drift; the spec names it without sizes, so
 * the form is ours): archetypes come one at a time, archetype (t / B) mod K in round t
 * (sm_hf_sequential_focus), all of a client's examples of the round from it when the
 * client sees it. */
typedef struct sm_hf_schedule {
    int novelty;    /* 0: uniform */
    int t0, ramp;   /* first round with new archetypes; rounds to reach a_max */
    int k_new;      /* new archetypes: indices K - k_new .. K - 1 */
    double a_max;   /* their final share of the examples */
    int sequential; /* 1: one archetype per block of rounds */
    int block;      /* rounds per archetype; 0: max(1, T / K) */
} sm_hf_schedule;

/* Parses "uniform", "novelty:T0,RAMP,KNEW[,AMAX]" (T0 >= 0, RAMP >= 1, 1 <= KNEW < K,
 * 0 <= AMAX <= 1, default 0.5) or "sequential[:B]" (integer B >= 1). Errors name
 * hopfield.schedule. */
sm_status sm_hf_schedule_parse(const char *text, int K, sm_hf_schedule *s, sm_error *err);

/* Share of round t's examples from the new archetypes: 0 before t0, then
 * a_max * min(1, (t - t0 + 1) / ramp); 0 for a uniform schedule. */
double sm_hf_novel_fraction(const sm_hf_schedule *s, int t);

/* Archetype in focus in round t of T under a sequential schedule: (t / B) mod K with
 * B = s->block, or max(1, T / K) when s->block is 0; -1 when the schedule is not
 * sequential. */
int sm_hf_sequential_focus(const sm_hf_schedule *s, int K, int T, int t);

/* sm_hf_example_labels under a sequential schedule: every example from `focus` when the
 * client's visible set contains it (returns 1), else sm_hf_example_labels over the whole
 * set (returns 0). */
int sm_hf_example_labels_focus(sm_rng *rng, const int *set, int k, int M, int random, int focus,
                               int *mu);

/* sm_hf_example_labels under a novelty split: the visible set is split into old (index
 * < k_old) and new archetypes; a fraction `frac` of the examples comes from the new ones
 * (balanced: the first round(frac M) examples, new[a mod kn], then old[(a - n) mod ko];
 * random: each example new with probability frac, then uniform in its group). A client
 * that sees only one group draws all its examples from it. */
void sm_hf_example_labels_split(sm_rng *rng, const int *set, int k, int M, int random, int k_old,
                                double frac, int *mu);

/* Examples eta (M x N) of archetypes xi[mu[a]]: flip channel (mask == 0): each entry kept
 * with probability (1 + r)/2, else negated; mask channel: entry kept with probability r,
 * else 0. One 32-bit draw per entry, row by row. */
void sm_hf_examples(sm_rng *rng, const double *xi, int N, const int *mu, int M, double r, int mask,
                    double *eta);

/* ---- operators (hopfield_hebb.c) --------------------------------------------------- */

/* J = eta^T eta / (N M) (N x N, full symmetric) through cblas_dsyrk. With +-1 entries
 * the sums are exact integers and one division rounds them, so diag(J) = 1/N exactly and
 * J equals numpy's eta.T @ eta / (N*M) bit for bit. */
void sm_hf_hebb(const double *eta, int M, int N, double *J);

/* The server's re-encoding A = xi_hat^T xi_hat / N of Kh patterns (Kh may be 0: A = 0). */
void sm_hf_reencode(const double *xi_hat, int Kh, int N, double *A);

/* out = w B + (1 - w) A over n entries (the client blend); out may alias B. */
void sm_hf_blend(double w, const double *B, const double *A, size_t n, double *out);

/* Replaces symmetric J (N x N) by its rank-R truncation sum_{d<R} l_d v_d^T v_d over the R
 * largest eigenvalues (the `upload = eig:R` channel). */
sm_status sm_hf_truncate(double *J, int N, int R, sm_error *err);

/* ---- sharpening (hopfield_sharpen.c) ----------------------------------------------- */

/* Eigendecomposition of symmetric J (N x N, not modified) by LAPACKE_dsyevr: lam
 * (N, descending) and V (N x N row-major, column d is the eigenvector of lam[d]). */
sm_status sm_hf_eig(const double *J, int N, double *lam, double *V, sm_error *err);

/* The k largest eigenvalues of symmetric J (lam, descending) and their eigenvectors (V,
 * N x k row-major, column d for lam[d]), by LAPACKE_dsyevr over an index range. */
sm_status sm_hf_eig_top(const double *J, int N, int k, double *lam, double *V, sm_error *err);

/* The sharpening map of spec 4a applied to eigenvalues in place: for k = 0..iters,
 * l <- l + e_k (l - l^2), e_k = eps / (1 + eps k), a step halved (up to 6 times) when it
 * makes a value non-finite or the Frobenius norm >= 1e12, stopping after the first step
 * whose update norm is < 1e-8 times the new norm (the reference's rule, in the
 * eigenbasis). Returns the number of steps applied. */
int sm_hf_sharpen_values(double *lam, int n, double eps, int iters);

/* J = V diag(lam) V^T (N x N). tmp is N x N scratch. */
void sm_hf_rebuild(const double *V, const double *lam, int N, double *tmp, double *J);

/* ---- spectral cut (hopfield_cut.c) ------------------------------------------------- */

/* Marchenko-Pastur edge in J units: (s2 / N) (1 + sqrt(q))^2 (1 + delta). */
double sm_hf_mp_edge(double s2, int N, double q, double delta);

/* N times the median of the lower half of the spectrum lam (descending, n values): the
 * reference code's noise-variance estimate. */
double sm_hf_noise_estimate(const double *lam, int n);

/* Number of leading values of lam (descending) above tau. */
int sm_hf_count_above(const double *lam, int n, double tau);

/* Shuffle null threshold: the (1 - alpha) quantile (linear interpolation) of the largest
 * eigenvalue of `count` matrices whose off-diagonal upper entries are a random
 * permutation of J's (mirrored), diagonal kept. */
sm_status sm_hf_shuffle_threshold(const double *J, int N, int count, double alpha, sm_rng *rng,
                                  double *threshold, sm_error *err);

/* ---- TAM retrieval (hopfield_tam.c) ------------------------------------------------ */

/* Number of initial mixtures for Kh eigenvectors and P layers:
 * min(500, max(1, 10 floor((Kh / P) ln(Kh / 0.01)))). */
int sm_hf_init_count(int Kh, int P);

/* s mixtures x_a = sgn(sum_d c_{a,d} v_d), c ~ N(0,1) drawn row by row (s x Kh), from
 * the first Kh columns of V (N x N as sm_hf_eig gives it) into x (s x N). */
void sm_hf_init_states(sm_rng *rng, const double *V, int N, int Kh, int s, double *x);

typedef struct sm_hf_tam_params {
    double beta, lambda, h_in;
    int updates;
    double noise_scale, min_scale; /* g_k falls linearly; noise_scale 0 = deterministic */
    int clamp;                     /* 1: input term h_in x0 (paper); 0: current state (code) */
} sm_hf_tam_params;

/* TAM dynamics (spec 4d) on s groups of P layers sharing J (N x N): S (s*P x N, group a
 * layer l at row a*P + l) holds the initial states and receives the final ones. Fields
 * h1 = J s_a, h2 = (1/N) sum_{b != a} (s_b . J s_a) J s_b, h = h1 - lambda h2 + h_in x;
 * synchronous update s <- sgn(tanh(beta h) + U), U ~ U(-g_k/beta, g_k/beta). rng may be
 * NULL when noise_scale is 0. min_field (may be NULL) receives the smallest |h| seen. */
sm_status sm_hf_tam(const double *J, int N, int P, int s, const sm_hf_tam_params *p, sm_rng *rng,
                    double *S, double *min_field, sm_error *err);

/* ---- acceptance (hopfield_accept.c) ------------------------------------------------ */

/* score[a] = (1/N) S_a J_KS S_a^T for n states, computed in J_KS's eigenbasis (V, lam_sharp
 * as sm_hf_eig / sm_hf_sharpen_values give them). */
sm_status sm_hf_scores(const double *S, int n, int N, const double *V, const double *lam_sharp,
                       double *score, sm_error *err);

/* Acceptance (spec 4e) of n states with their scores; `order` (enum sm_hf_order):
 * SM_HF_SCORE_FIRST (the code): keep score >= rho, then for each pair i < j (in index
 * order) with |s_i . s_j| / N > qthr drop j; SM_HF_DEDUPE_FIRST (the paper): dedupe, then
 * score; SM_HF_SCORE_RANK (ours): as the code but the kept states ordered by score,
 * highest first, before the dedupe. Writes the surviving row indices, in that order, to
 * keep and returns their number. */
int sm_hf_accept(const double *S, int n, int N, const double *score, double rho, double qthr,
                 int order, int *keep);

/* ---- controllers (hopfield_control.c) ---------------------------------------------- */

/* Fraction of pairs i < j with sign(A_ij) = sign(B_ij) (N x N operators), sign in
 * {-1, 0, +1} as numpy's (the reference's): an exact 0 agrees only with 0. */
double sm_hf_sign_agreement(const double *A, const double *B, int N);

/* Binary entropy in bits (0 at 0 and 1). */
double sm_hf_binary_entropy(double p);

/* Raw weight of a controller (enum sm_hf_controller) from agreement p: entropy
 * clip((hb(p) - hb(p0)) / (1 - hb(p0)), 0, 1), agreement clip((p - 1/2)/(p0 - 1/2), 0, 1),
 * p0 = (1 + r_ref^2)/2. For SM_HF_FIXED returns NaN. */
double sm_hf_controller_raw(int controller, double p, double r_ref);

/* ---- metrics (hopfield_metrics.c) -------------------------------------------------- */

/* Q[nu*K + mu] = |xi_hat^nu . xi^mu| / N (Kh x K). */
void sm_hf_overlaps(const double *xi_hat, int Kh, const double *xi, int K, int N, double *Q);

/* Minimum-cost assignment of an n x m cost matrix (row-major): assign[i] = the column of
 * row i, or -1 when n > m and row i is left out. O(n^2 m) (Kuhn-Munkres). */
void sm_hf_hungarian(const double *cost, int n, int m, int *assign);

/* Retrieval: Hungarian matching with cost 1 - Q; mean of matched overlaps, or their sum / K
 * when Kh < K; 0 when Kh = 0. m (K, may be NULL) receives the magnetizations
 * max_nu Q[nu, mu]. */
double sm_hf_retrieval(const double *Q, int Kh, int K, double *m);

/* Recall test (spec 6): per archetype, reps cues with flips at rate (1 - m0)/2, `updates`
 * parallel Glauber steps P(s_i = +1) = (1 + tanh(beta (J s)_i))/2, score |s . xi|/N.
 * score (K) receives the mean over cues. The rng of archetype mu is
 * (seed, SM_STREAM_HOPFIELD, sm_hf_rng_index(SM_HF_RNG_RECALL, 0, mu)). */
sm_status sm_hf_recall(const double *J, const double *xi, int K, int N, double m0, double beta,
                       int updates, int reps, uint64_t seed, double *score, sm_error *err);

/* Pearson and Spearman (average ranks) correlation of x and y (n values); NaN if either
 * is constant. */
double sm_hf_pearson(const double *x, const double *y, int n);
double sm_hf_spearman(const double *x, const double *y, int n);

#ifdef __cplusplus
}
#endif
#endif
