"""The C declarations of libsomnus that the package binds (cffi ABI mode).

Copied from include/somnus/ (the headers are the reference). Structs are declared in
full because cffi in ABI mode must know their layout; tests/python/test_somnus.py
compares every size and offset here with the C compiler's (tests/python/layout.c), and
at import the package checks sm_config against the parameter table's offsets.
"""

CDEF = r"""
/* ---- libc, jansson (loaded with libsomnus) ---- */
void free(void *ptr);
typedef struct json_t { int type; size_t refcount; } json_t;
char *json_dumps(const json_t *json, size_t flags);
void json_delete(json_t *json);
/* OpenBLAS (a dependency of libsomnus): `somnus sweep` and `somnus experiment` run BLAS
 * on one thread (cells run side by side), and so do sweep() and experiment(). */
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);

/* ---- core/error.h ---- */
typedef enum sm_status {
    SM_OK = 0, SM_EINVAL, SM_EIO, SM_EFORMAT, SM_ENOMEM, SM_ENUMERIC, SM_EINTERNAL,
    SM_ECANCELED
} sm_status;
typedef struct sm_error { sm_status code; char msg[512]; } sm_error;
const char *sm_status_name(sm_status code);

/* ---- core/config.h ---- */
typedef struct sm_lif_params {
    double tau_m, tau_syn, r_m;
    double v_rest, v_reset, theta0;
    double v_min, v_max;
    double theta_min, theta_max;
    double tau_a, delta_a;
    double v_init;
} sm_lif_params;

typedef struct sm_config {
    struct { int64_t seed; double dt; int threads; int parallel_min; int64_t steps; } run;
    struct {
        int n_input, n_exc, n_inh;
        double p[4];
        double w0[4];
        int plastic[4];
        int no_reciprocal;
        int se_connectivity;
        double rf_sigma, rf_sigma_sd;
        int rf_layout, rf_n_or;
        double rf_sx, rf_gamma, rf_r_cut;
        int ee_connectivity;
        double ee_sigma;
        int ie_connectivity;
        double ie_radius, ie_width;
    } net;
    sm_lif_params lif[2];
    struct { double sigma; int wake, sleep, test; } noise;
    struct {
        int encoder;
        double gain, r_max;
        int steps_per_image;
        double norm_fraction;
        int width, height;
        int normalize;
    } input;
    struct {
        int rule, sign, same_step;
        double eta_e, eta_i, a_plus, a_minus, tau_plus, tau_minus;
        double exc_min, exc_max, inh_min, inh_max;
        double trace_tau, trace_eta, trace_w_max, trace_mu;
        int trace_update_freq;
    } stdp;
    struct {
        int mode, schedule, stop;
        double rate;
        int64_t period, max_steps;
        double lambda, target_exc, target_inh, tolerance;
        int64_t duration, frequency;
        int norm_mode;
        int64_t norm_frequency;
        int target;
    } sleep;
    struct {
        int rule;
        int populations, sleep;
        double target_e, target_i;
        double eta_h, h_min, h_max;
        int window;
        double r_max, eta_b, eta_g, g_min, g_max;
    } ip;
    struct { int64_t interval; } monitor;
    struct {
        char dataset[256];
        char dir[256];
        char classes[256];
        int n_train, n_val, n_test;
        int batch;
        int official_test;
        int intensity;
        char intensity_means[256];
        double intensity_shape;
        int train_rest;
    } data;
    struct {
        int kind;
        int chunks, iters_per_chunk, images_per_chunk;
        char input_shift[256];
        int label_shift;
        int fresh;
    } protocol;
    struct {
        int every, n_probe, grad_starved, n_train_acc;
        int iid;
        double saturation, srank_delta;
        int iid_every;
        double probe_s;
    } diag;
    struct {
        int optimizer, sam_scope, reset_every, reset_layers;
        double sam_rho, shrink_alpha, redo_tau;
        int norm, unit;
    } sgrem;
    struct { int model; int eval_every; int eval_fit; int eval_readout; } train;
    struct {
        int method;
        int features;
        double variance, c, qda_reg, fit_fraction;
        int standardize, whiten;
        int fit_images;
    } readout;
    struct {
        int n_hidden, steps, surrogate, batch, epochs, sleep_mode, sleep_steps, max_iters;
        double beta, threshold, atan_alpha, sigmoid_slope, lr;
        double noise_sd, a_plus, a_minus, tau, stdp_lr, target, lambda, trigger, stop;
        char hidden[256];
    } sgsnn;
    struct {
        int method, scope, init, regrow, start_epoch, end_epoch, interval;
        double init_density, final_density, regrow_rate, regrow_rate_min, last_layer_density;
    } sparse;
    struct {
        char datasets[256];
        char sleep_rates[256];
        int seeds;
        char ip_conditions[256];
        char sparse_methods[256];
        char sparse_densities[256];
        char sparse_scopes[256];
        char sparse_fashion[256];
    } table;
    struct {
        int task;
        double dt, train_min, freq, duty;
        int gate;
        int schedule;
        double block_s, phase_offset, tau_pi, loss_tau, eta, l2_rec;
        int n_latent, latent_sampler;
        double tau_latent;
        int n_feature;
        double noise_sd, noise_sd_hidden_apical, noise_tau, w_init_rec;
        int n_place;
        double place_width, track_len, speed_mean, speed_sd, speed_tau, cvc_threshold;
        double pi_spinup_s, pi_test_s;
        int pi_repeats, seeds;
        double remap_infer_min, remap_speed_mean;
        int decoder;
    } theta;
    struct {
        char n_hidden[256];
        double tau_e, tau_i;
        double act_e_scale, act_e_sharpness, act_e_shift;
        double act_i_scale, act_i_sharpness, act_i_shift;
        int rule;
        double lin_theta, lin_delta, avg_inh_mix, avg_inh_init;
        int q;
        double q_norm, q_clip;
        int solver;
        double dt, t_max, tol;
        int loss;
        double soft_target, lr;
        int optimizer, batch, epochs;
        int freeze_hidden;
    } disinh;
    struct {
        double k_p, k_i, leak, tau;
        int to_readout;
    } ctrl;
    struct {
        int n_in, n_hidden, n_out, burn_in, epochs, seeds;
        double epoch_s, tau_w, tau_q, w_scale, r0, dt, q_norm;
        char draw[256];
    } teacher;
    struct {
        int N, K, L, T, M, seeds, k_per_client, layers;
        char r[256];
        char attackers[256];
        char upload[256];
        char schedule[256];
        int mixture, controller, aggregate, cut, tam_field, accept_order, channel;
        double w, ema_alpha, r_ref;
        double sharpen_eps;
        int sharpen_iters;
        double tau, mp_delta, shuffle_alpha;
        int shuffle_n;
        double tam_beta, tam_lambda, tam_h, tam_noise_scale, tam_min_scale;
        int tam_updates;
        double rho, qthr;
        int max_attempts, oracle_k;
        double recall_m0, recall_beta;
        int recall_updates, recall_reps, bbp_trials;
    } hopfield;
    struct {
        int units;
        double a, gain;
        double eps_w, eps_i, alpha0, last_epoch_eps;
        int shape, competition, counts, epochs;
        int fixed_epochs;
    } ppg;
    struct {
        char stream[256];
        int scenario;
        int tasks, order, active_outputs;
        int per_class_train, per_class_val, per_class_test;
        int epochs_per_task, images_per_task, joint;
        int readout;
        int probe_per_class;
        char ridge_grid[256];
        int seeds, drift_images;
        char conditions[256];
    } cl;
    struct { /* Diehl & Cook network (spec diehl-cook.md), train.model = dc */
        int n_exc, passes, fidelity, rule, min_spikes, max_retries, n_assign, par_min, v_clamp;
        double w_ei, w_ie, nu_pre, nu_post, norm_sum, r_max, t_present, t_rest;
        double theta_plus, tau_theta, input_delay;
        char sizes[256];       /* experiments dc-size/dc-fashion: n_exc list */
        char size_passes[256]; /* passes per size */
        char variants[256];    /* code, bindsnet, frozen */
        int normalize;
        double sleep_sigma;
        char sleep_settings[256];
        char sleep_rates[256];
        char sleep_norms[256];
    } dc;
    struct { /* structural plasticity of the STDP network (struct.*; rewire.h) */
        int mode, when, at, prune, regrow, decay, balance, w_new, score_sleep, layout;
        char pathways[256]; /* comma list of se, ee, ei, ie */
        int64_t period, dense_max;
        double rate, rate_min, final_sparsity, slack;
        int candidates, snapshot_every;
    } structural;
    struct {
        char ptm[256];
        int ptm_epochs, ptm_images, pet, corr_norm;
        double lambda_diag, lambda_rdn, lambda_cos, lambda_cc, gamma;
        char gamma_grid[256];
        char lambda_grid[256];
        int epochs_first, epochs_later, batch, score_test, tune;
        double lr, momentum, weight_decay;
        int tune_seeds;
        int ablations;
        char streams[256];
        int lora_rank;
        int rp_dim;
    } safe;
} sm_config;

enum sm_param_type { SM_PT_REAL, SM_PT_INT, SM_PT_INT64, SM_PT_BOOL, SM_PT_ENUM, SM_PT_STRING };
typedef struct sm_param_def {
    const char *name;
    int type;
    size_t offset;
    double def, min, max;
    const char *unit;
    const char *choices;
    const char *help;
} sm_param_def;

const sm_param_def *sm_param_table(size_t *count);
const sm_param_def *sm_param_find(const char *name);
void sm_config_default(sm_config *cfg);
sm_status sm_config_set(sm_config *cfg, const char *name, const char *value, const char *origin,
                        sm_error *err);
sm_status sm_config_load(sm_config *cfg, const char *path, sm_error *err);
sm_status sm_config_validate(const sm_config *cfg, sm_error *err);
double sm_config_get(const sm_config *cfg, const sm_param_def *def);
void sm_config_format(const sm_config *cfg, const sm_param_def *def, char *buf, size_t size);

/* ---- io/results.h ---- */
const char *sm_version(void);

/* ---- network/lif.h, network/net.h ---- */
typedef struct sm_lif_coeffs {
    float k_syn, k_m, k_a;
    float r_m, v_rest, v_reset, theta0, v_min, v_max, theta_min, theta_max, delta_a;
} sm_lif_coeffs;

typedef struct sm_net {
    int n_in, n_exc, n_inh;
    int n_post;
    int n_total;
    int64_t n_syn;
    int64_t exc_end;
    int64_t *row;
    int32_t *post;
    float *w;
    uint8_t *pathway;
    int64_t *in_row;
    uint32_t *in_syn;
    int32_t *in_pre;
    int64_t path_count[4];
    int plastic[4];
} sm_net;
double sm_net_pathway_abs_sum(const sm_net *net, int pathway);
int64_t sm_net_find(const sm_net *net, int pre_global, int post_global);

/* ---- models/sim.h ---- */
typedef int (*sm_input_fn)(void *ctx, uint64_t step, int32_t *out);
typedef void (*sm_spike_fn)(void *ctx, uint64_t step, const int32_t *ids, int n);
typedef struct sm_sim_counters {
    uint64_t steps;
    int64_t wake_steps;
    int64_t sleep_steps;
    int64_t test_steps;
    int64_t episodes;
    int64_t episodes_converged;
    int64_t normalizations;
} sm_sim_counters;
typedef struct sm_sim {
    sm_config cfg;
    sm_net *net;
    void *rule;
    void *sleep;
    void *mon;
    sm_lif_coeffs coef[2];
    float *v, *i_syn, *a, *theta, *drive, *noise;
    uint8_t *post_spiked;
    uint8_t *flag;
    int32_t *age;
    int32_t *ids;
    int n_ids;
    sm_sim_counters count;
    int64_t next_record;
    sm_input_fn input;
    void *input_ctx;
    sm_spike_fn on_spikes;
    void *spikes_ctx;
    int threads;
    int64_t *touch_syn;
    float *touch_w;
    int64_t touch_n, touch_cap;
    void *ip;
    void *rw;
} sm_sim;
sm_sim *sm_sim_create(const sm_config *cfg, sm_error *err);
void sm_sim_destroy(sm_sim *sim);
void sm_sim_set_input(sm_sim *sim, sm_input_fn fn, void *ctx);
void sm_sim_sync_weights(sm_sim *sim);
void sm_sim_set_spike_sink(sm_sim *sim, sm_spike_fn fn, void *ctx);
sm_status sm_sim_wake(sm_sim *sim, int64_t n, sm_error *err);
sm_status sm_sim_test(sm_sim *sim, int64_t n, sm_error *err);
sm_status sm_sim_sleep(sm_sim *sim, int64_t max_steps, int64_t *slept, sm_error *err);
int64_t sm_sim_sleep_window(const sm_config *cfg);
sm_status sm_sim_record(sm_sim *sim, sm_error *err);
void sm_sim_record_baseline(sm_sim *sim);

/* ---- io/spikefile.h ---- */
typedef struct sm_spike_train {
    int64_t n;
    int64_t *step;
    int32_t *neuron;
    int64_t cursor;
} sm_spike_train;
int sm_spike_train_input(void *train, uint64_t step, int32_t *out);

/* ---- io/encode.h ---- */
typedef struct sm_encoder sm_encoder;
sm_encoder *sm_encoder_create(const sm_config *cfg, int n, sm_error *err);
void sm_encoder_destroy(sm_encoder *enc);
sm_status sm_encoder_set_image(sm_encoder *enc, const float *x, sm_error *err);
int sm_encoder_spikes(const sm_encoder *enc, uint64_t step, int32_t *out);

/* ---- io/dataset.h ---- */
typedef struct sm_dataset {
    int n;
    int width;
    int height;
    int n_classes;
    float *pixels;
    int *labels;
    char source[256];
} sm_dataset;
void sm_dataset_destroy(sm_dataset *ds);
sm_status sm_dataset_load_named(const char *name, const char *data_dir, sm_dataset **pool,
                                sm_dataset **test, sm_error *err);

/* ---- protocol/train_data.h, train_options.h, train.h ---- */
typedef struct sm_train_data {
    sm_dataset *train, *val, *test;
    char name[256];
    int test_official;
} sm_train_data;
void sm_train_data_free(sm_train_data *d);

typedef struct sm_train_progress {
    const char *stage;
    int64_t done, total;
    int batch, n_batches;
    double last_accuracy;
} sm_train_progress;
typedef int (*sm_train_progress_fn)(void *ctx, const sm_train_progress *p);
typedef void (*sm_train_final_fn)(void *ctx, const struct sm_sim *sim);
typedef void (*sm_train_repr_fn)(void *ctx, const float *fit, const int *fit_labels, int n_fit,
                                 const float *test, const int *test_labels, int n_test, int d);
typedef struct sm_sgsnn sm_sgsnn;
typedef void (*sm_train_sgsnn_final_fn)(void *ctx, struct sm_sgsnn *net);
typedef struct sm_train_options {
    sm_train_progress_fn progress;
    void *progress_ctx;
    sm_train_final_fn final_fn;
    void *final_ctx;
    const char *checkpoint_path;
    int checkpoint_every;
    const char *resume_path;
    sm_train_repr_fn repr_fn;
    void *repr_ctx;
    sm_train_sgsnn_final_fn sgsnn_final_fn;
    void *sgsnn_final_ctx;
    void *ppg_final_fn; /* sm_train_ppg_final_fn (not used from Python) */
    void *ppg_final_ctx;
    void *dc_final_fn; /* sm_train_dc_final_fn (not used from Python) */
    void *dc_final_ctx;
    void *struct_event_fn; /* sm_train_struct_event_fn (not used from Python) */
    void *struct_event_ctx;
    void *array_fn; /* sm_train_array_fn (not used from Python) */
    void *array_ctx;
} sm_train_options;
sm_status sm_train_data_load(const sm_config *cfg, sm_train_data *out, sm_error *err);
sm_status sm_train_run_opts(const sm_config *cfg, const sm_train_data *data,
                            const sm_train_options *opt, json_t **results, sm_error *err);

/* ---- protocol/experiment.h ---- */
typedef int (*sm_experiment_log_fn)(void *ctx, const char *line);
typedef struct sm_experiment_ctx {
    const sm_config *cfg;
    int quick;
    int jobs;
    const char *out_dir;
    const char *out_stem;
    sm_experiment_log_fn log;
    void *log_ctx;
    const char *runs_dir;
} sm_experiment_ctx;
typedef struct sm_experiment_def {
    const char *name;
    const char *description;
    const char *const *defaults;
    const char *const *quick_defaults;
    sm_status (*run)(const sm_experiment_ctx *ctx, json_t **results, sm_error *err);
} sm_experiment_def;
size_t sm_experiment_count(void);
const sm_experiment_def *sm_experiment_at(size_t i);
const sm_experiment_def *sm_experiment_find(const char *name, sm_error *err);
sm_status sm_experiment_apply_defaults(const sm_experiment_def *def, int quick, sm_config *cfg,
                                       sm_error *err);
sm_status sm_experiment_run(const sm_experiment_def *def, const sm_experiment_ctx *ctx,
                            json_t **doc, sm_error *err);

/* ---- protocol/sweep.h, sweep_runner.h ---- */
typedef struct sm_grid_axis {
    const sm_param_def *def;
    int n;
    char **values;
} sm_grid_axis;
typedef struct sm_grid { int n_axes; sm_grid_axis *axes; } sm_grid;
void sm_grid_init(sm_grid *g);
void sm_grid_free(sm_grid *g);
sm_status sm_grid_add(sm_grid *g, const char *spec, sm_error *err);
int64_t sm_grid_n_cells(const sm_grid *g);
void *sm_sweep_se_npy(const struct sm_sim *sim, size_t *len);

typedef struct sm_sweep_runner sm_sweep_runner;
typedef struct sm_sweep_cell {
    int64_t cell;
    char *json;
    size_t json_len;
    void *npy;
    size_t npy_len;
    char *error;
} sm_sweep_cell;
sm_sweep_runner *sm_sweep_runner_create(const sm_grid *grid, const sm_config *base, sm_error *err);
int64_t sm_sweep_runner_n_cells(const sm_sweep_runner *r);
const char *sm_sweep_runner_cell_id(const sm_sweep_runner *r, int64_t cell);
sm_status sm_sweep_runner_start(sm_sweep_runner *r, const int64_t *cells, int64_t n, int jobs,
                                volatile int *stop, sm_error *err);
sm_sweep_cell *sm_sweep_runner_next(sm_sweep_runner *r, double timeout_s, int *all_done);
void sm_sweep_runner_destroy(sm_sweep_runner *r);
void sm_sweep_cell_free(sm_sweep_cell *c);

/* ---- models/sgsnn.h ---- */
typedef struct sm_sgsnn_params {
    int n_in;
    int n_hidden;
    int n_out;
    int steps;
    float beta;
    float threshold;
    int surrogate;
    float atan_alpha;
    float sigmoid_slope;
    int detach_reset;
    int smooth_forward;
    float lr;
    float adam_beta1;
    float adam_beta2;
    float adam_eps;
    int batch_size;
    int epochs;
    uint64_t seed;
    int threads;
    int sleep_mode;
    double sleep_rate;
    int sleep_steps;
    float sleep_noise_sd;
    float stdp_a_plus;
    float stdp_a_minus;
    float stdp_tau;
    float stdp_lr;
    float sleep_target;
    float sleep_lambda;
    int sleep_max_iters;
    double sleep_trigger;
    double sleep_stop;
    int n_extra_hidden;
    int extra_hidden[6];
    struct {
        int method;
        int scope;
        int init;
        int regrow;
        double init_density;
        double final_density;
        int start_epoch;
        int end_epoch;
        int interval;
        double regrow_rate;
        double regrow_rate_min;
        double last_layer_density;
    } sparse;
    int layer_norm;
    int onoff;
} sm_sgsnn_params;
void sm_sgsnn_params_default(sm_sgsnn_params *p);
sm_status sm_sgsnn_params_check(const sm_sgsnn_params *p, sm_error *err);
sm_sgsnn *sm_sgsnn_create(const sm_sgsnn_params *p, sm_error *err);
void sm_sgsnn_destroy(sm_sgsnn *net);
typedef struct sm_sgsnn_layer { float *w; float *b; int rows; int cols; } sm_sgsnn_layer;
sm_sgsnn_layer sm_sgsnn_get_layer(sm_sgsnn *net, int layer);
void sm_sgsnn_sum_abs_w(const sm_sgsnn *net, double *out);
sm_status sm_sgsnn_predict(sm_sgsnn *net, const float *x, int n, int *pred, float *counts,
                           sm_error *err);
sm_status sm_sgsnn_evaluate(sm_sgsnn *net, const float *x, const int *y, int n, double *accuracy,
                            double *loss, sm_error *err);
typedef struct sm_sgsnn_epoch_stats {
    int epoch;
    double train_loss;
    double train_acc;
    double test_acc;
    double test_loss;
    double sum_abs_w[8];
    double sum_abs_w0[8];
    int sleep_passes;
    long sleep_passes_total;
    long minibatches_total;
    double wall_seconds;
    double sleep_seconds;
    double eval_seconds;
    int n_layers;
    double density[8];
    double sparsity;
    double regrow_rate;
    int mask_updates;
    double mask_seconds;
    double grad_norm_mean[8];
    double grad_norm_max[8];
} sm_sgsnn_epoch_stats;
sm_status sm_sgsnn_train_epoch(sm_sgsnn *net, const float *x, const int *y, int n,
                               const float *x_test, const int *y_test, int n_test,
                               sm_sgsnn_epoch_stats *stats, sm_error *err);
sm_status sm_sgsnn_sleep_pass(sm_sgsnn *net, sm_error *err);
int sm_sgsnn_sleep_phase(sm_sgsnn *net, int max_iters);
"""
