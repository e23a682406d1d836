/* somnus: run configuration.
 *
 * Every parameter of the model has one entry in a table (name, type, default, unit,
 * range, description). The config file reader, `--set group.name=value`,
 * `somnus config --list`, the JSON record in every results file and the docs all come
 * from that table. Defaults are the paper config of spec/sleep-stdp.md.
 */
#ifndef SOMNUS_CONFIG_H
#define SOMNUS_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parameters of one LIF population (spec section 2). Units: ms, mV. */
typedef struct sm_lif_params {
    double tau_m, tau_syn, r_m;     /* membrane and synaptic time constants; resistance */
    double v_rest, v_reset, theta0; /* rest, reset, base threshold */
    double v_min, v_max;            /* membrane clamp */
    double theta_min, theta_max;    /* threshold clamp */
    double tau_a, delta_a;          /* threshold adaptation */
    double v_init;                  /* membrane potential at construction */
} sm_lif_params;

enum sm_stdp_rule { SM_STDP_NONE = 0, SM_STDP_PAIR = 1, SM_STDP_TRACE = 2 };
enum sm_stdp_sign { SM_SIGN_TEXTBOOK = 0, SM_SIGN_AS_PUBLISHED = 1 };
enum sm_same_step { SM_SAME_POTENTIATE = 0, SM_SAME_DEPRESS = 1, SM_SAME_IGNORE = 2 };
enum sm_sleep_mode {
    SM_SLEEP_NONE = 0,
    SM_SLEEP_POWERLAW = 1, /* paper config, 5a */
    SM_SLEEP_STATIC = 2,   /* 5b modes */
    SM_SLEEP_LAYER = 3,
    SM_SLEEP_NEURON = 4
};
enum sm_sleep_schedule { SM_SCHED_PERIOD = 0, SM_SCHED_BATCH = 1 };
enum sm_sleep_stop { SM_STOP_WITHIN = 0, SM_STOP_NOT_ABOVE = 1 };
/* net.se_connectivity, net.rf_layout (receptive_fields.h) and sleep.target. */
enum sm_se_connectivity { SM_SE_BERNOULLI = 0, SM_SE_GAUSSIAN = 1, SM_SE_ORIENTED = 2 };
enum sm_rf_layout { SM_RF_BLOCK = 0, SM_RF_INTERLEAVED = 1 };
/* net.ee_connectivity and net.ie_connectivity (sheet_fields.h). */
enum sm_ee_connectivity { SM_EE_BERNOULLI = 0, SM_EE_GAUSSIAN = 1 };
enum sm_ie_connectivity { SM_IE_BERNOULLI = 0, SM_IE_RING = 1 };
enum sm_sleep_target { SM_TARGET_STATIC = 0, SM_TARGET_INITIAL = 1 };
enum sm_norm_mode { SM_NORM_NONE = 0, SM_NORM_STATIC = 2, SM_NORM_LAYER = 3, SM_NORM_NEURON = 4 };
/* Neuron-level (intrinsic) plasticity, ip.* (spec intrinsic.md part B). */
enum sm_ip_rule_id { SM_IP_NONE = 0, SM_IP_RATE = 1, SM_IP_TRIESCH = 2 };
enum sm_ip_populations { SM_IP_POP_E = 0, SM_IP_POP_EI = 1 };
enum sm_ip_sleep { SM_IP_SLEEP_FREEZE = 0, SM_IP_SLEEP_ON = 1 };
enum sm_encoder_kind { SM_ENC_BERNOULLI = 0, SM_ENC_RATE = 1 };
enum sm_model {
    SM_MODEL_STDP = 0,
    SM_MODEL_SGSNN = 1,
    SM_MODEL_DISINH = 2,
    SM_MODEL_HOPFIELD = 3,
    SM_MODEL_PPG = 4,
    SM_MODEL_THETA = 5,
    SM_MODEL_DC = 6,
    SM_MODEL_SAFE = 7
};
/* data.intensity (spec intrinsic.md A6): per-image intensity z of the ppg model's counts. */
enum sm_data_intensity {
    SM_INTENSITY_NONE = 0,
    SM_INTENSITY_CLASS_GAMMA = 1,
    SM_INTENSITY_GAMMA = 2
};
enum sm_protocol_kind {
    SM_PROTOCOL_IID = 0,
    SM_PROTOCOL_CONTINUAL = 1,
    SM_PROTOCOL_INPUT = 2, /* input plasticity (spec plasticity-loss.md 3.2) */
    SM_PROTOCOL_LABEL = 3  /* label plasticity (3.3) */
};
/* Loss of plasticity (spec plasticity-loss.md). */
enum sm_label_shift { SM_LABEL_CYCLIC = 0, SM_LABEL_PERMUTE = 1, SM_LABEL_RANDOM = 2 };
enum sm_fresh { SM_FRESH_NONE = 0, SM_FRESH_ENDS = 1, SM_FRESH_EVERY = 2 };
enum sm_sg_optimizer { SM_SG_ADAM = 0, SM_SG_SAM = 1 };
enum sm_sam_scope { SM_SAM_ALL = 0, SM_SAM_HIDDEN = 1 };
enum sm_reset_layers { SM_RESET_HEAD = 0, SM_RESET_ALL = 1 };
/* Continual learning (cl.*, spec continual.md). */
enum sm_cl_scenario { SM_CL_AUTO = 0, SM_CL_CLASS = 1, SM_CL_TASK = 2, SM_CL_DOMAIN = 3 };
enum sm_cl_order { SM_CL_FIXED = 0, SM_CL_SHUFFLED = 1 };
enum sm_cl_active { SM_CL_SEEN = 0, SM_CL_ALL = 1 };
enum sm_cl_readout { SM_CL_BOTH = 0, SM_CL_STATS = 1, SM_CL_PROBE = 2 };
enum sm_readout_features { SM_FEAT_EXC = 0, SM_FEAT_ALL = 1 };
/* Federated Hopfield memory (hopfield.*, spec federated-hopfield.md). */
enum sm_hf_mixture { SM_HF_BALANCED = 0, SM_HF_RANDOM = 1 };
enum sm_hf_controller { SM_HF_FIXED = 0, SM_HF_ENTROPY = 1, SM_HF_AGREEMENT = 2 };
enum sm_hf_aggregate { SM_HF_AGG_EQUAL = 0, SM_HF_AGG_SAMPLES = 1 };
enum sm_hf_cut { SM_HF_CUT_FIXED = 0, SM_HF_CUT_MP = 1, SM_HF_CUT_SHUFFLE = 2 };
enum sm_hf_field { SM_HF_FIELD_SELF = 0, SM_HF_FIELD_CLAMP = 1 };
enum sm_hf_order { SM_HF_SCORE_FIRST = 0, SM_HF_DEDUPE_FIRST = 1, SM_HF_SCORE_RANK = 2 };
enum sm_hf_channel { SM_HF_FLIP = 0, SM_HF_MASK = 1 };
enum sm_sgsnn_sleep_kind {
    SM_SG_SLEEP_NONE = 0,
    SM_SG_SLEEP_PUBLISHED = 1,
    SM_SG_SLEEP_EPOCH = 2,
    SM_SG_SLEEP_TRIGGERED = 3
};
enum sm_theta_task { SM_THETA_TASK_LATENTS = 0, SM_THETA_TASK_PATHINT = 1 };
/* Structural plasticity of the STDP network (struct.*, spec structural.md section 4). */
enum sm_struct_mode {
    SM_STRUCT_NONE = 0,
    SM_STRUCT_REWIRE = 1,
    SM_STRUCT_GMP = 2,
    SM_STRUCT_GRANET = 3
};
enum sm_struct_when { SM_STRUCT_AT_SLEEP = 0, SM_STRUCT_PERIOD = 1 };
enum sm_struct_at { SM_STRUCT_SLEEP_END = 0, SM_STRUCT_SLEEP_START = 1 };
enum sm_struct_prune { SM_PRUNE_MAGNITUDE = 0, SM_PRUNE_AT_BOUND = 1 };
enum sm_struct_regrow {
    SM_REGROW_COINCIDENCE = 0,
    SM_REGROW_STDP = 1,
    SM_REGROW_RANDOM = 2,
    SM_REGROW_NONE = 3
};
enum sm_struct_decay { SM_DECAY_COSINE = 0, SM_DECAY_CONSTANT = 1 };
enum sm_struct_balance { SM_BALANCE_PATHWAY = 0, SM_BALANCE_POST = 1 };
enum sm_struct_w_new { SM_WNEW_BOUND = 0, SM_WNEW_INITIAL = 1 };
enum sm_struct_layout { SM_LAYOUT_REBUILD = 0, SM_LAYOUT_SLACK = 1 };
/* Most hidden layers of the dis-inhibitory rate network (disinh.n_hidden). */
#define SM_DISINH_MAX_LAYERS 8
/* Longest text parameter (with the NUL). */
#define SM_CONFIG_STR_MAX 256

/* Pathway indices, used for per-pathway arrays everywhere. */
enum sm_pathway { SM_PATH_SE = 0, SM_PATH_EE = 1, SM_PATH_EI = 2, SM_PATH_IE = 3, SM_N_PATHS = 4 };

typedef struct sm_config {
    struct {
        int64_t seed;
        double dt;
        int threads;      /* 0 = OpenMP default */
        int parallel_min; /* neurons below which loops stay serial */
        int64_t steps;    /* steps for `somnus run` */
    } run;
    struct {
        int n_input, n_exc, n_inh;
        double p[SM_N_PATHS];             /* connection probability per pathway */
        double w0[SM_N_PATHS];            /* initial weight per pathway (signed) */
        int plastic[SM_N_PATHS];          /* 1 if STDP and sleep act on the pathway */
        int no_reciprocal;                /* drop I->E where E->I exists */
        int se_connectivity;              /* enum sm_se_connectivity */
        double rf_sigma, rf_sigma_sd;     /* gaussian: width sigma_se and its spread (px) */
        int rf_layout, rf_n_or;           /* oriented: enum sm_rf_layout, orientations */
        double rf_sx, rf_gamma, rf_r_cut; /* oriented: long axis (px), sy/sx, cut radius */
        int ee_connectivity;              /* enum sm_ee_connectivity */
        double ee_sigma;                  /* gaussian E->E: width on the E sheet (cells) */
        int ie_connectivity;              /* enum sm_ie_connectivity */
        double ie_radius, ie_width;       /* ring I->E: radius and width (E-sheet cells) */
    } net;
    sm_lif_params lif[2]; /* [0] = E, [1] = I */
    struct {
        double sigma;
        int wake, sleep, test; /* 1 = membrane noise on in that phase */
    } noise;
    struct {
        int encoder;
        double gain, r_max;
        int steps_per_image;
        double norm_fraction;
        int width, height;
        int normalize; /* ppg only: rescale each count vector to total Ybar */
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
        int64_t duration, frequency; /* mode sleep (5b) */
        int norm_mode;
        int64_t norm_frequency;
        int target; /* enum sm_sleep_target */
    } sleep;
    struct {                        /* intrinsic plasticity of the LIF neurons (ip_rule.h) */
        int rule;                   /* enum sm_ip_rule_id */
        int populations, sleep;     /* enum sm_ip_populations, enum sm_ip_sleep */
        double target_e, target_i;  /* target rates (Hz) */
        double eta_h, h_min, h_max; /* rate rule (mV per spike-error; mV) */
        int window;                 /* triesch: steps per window (0 = input.steps_per_image) */
        double r_max, eta_b, eta_g, g_min, g_max; /* triesch */
    } ip;
    struct {
        int64_t interval; /* steps between monitor records */
    } monitor;
    struct {
        char dataset[SM_CONFIG_STR_MAX]; /* name for sm_dataset_load_named */
        char dir[SM_CONFIG_STR_MAX];     /* where scripts/fetch-data.sh put the data */
        char classes[SM_CONFIG_STR_MAX]; /* "all" or a list such as "0,1,7" or "0-4" */
        int n_train, n_val, n_test;
        int batch;         /* training images per batch */
        int official_test; /* draw test images from the dataset's own test set */
        int intensity;     /* enum sm_data_intensity (ppg model only) */
        char intensity_means[SM_CONFIG_STR_MAX]; /* mean z per selected class, comma list */
        double intensity_shape;                  /* Gamma shape of z */
        int train_rest; /* 1: every pool image not drawn for val/test trains, in pool order */
    } data;
    struct {
        int kind; /* enum sm_protocol_kind */
        int chunks, iters_per_chunk, images_per_chunk;
        char input_shift[SM_CONFIG_STR_MAX]; /* grow, permute, dataset:NAME,NAME,... */
        int label_shift;                     /* enum sm_label_shift */
        int fresh;                           /* enum sm_fresh */
    } protocol;
    struct { /* loss-of-plasticity diagnostics (spec plasticity-loss.md section 1) */
        int every, n_probe, grad_starved, n_train_acc;
        int iid; /* 1: the diagnostics at every evaluation of plain (i.i.d.) train runs */
        double saturation, srank_delta;
        int iid_every;  /* diag.iid rows between computed rows of dc, theta, hopfield (0: auto) */
        double probe_s; /* theta: seconds of generated input in the probe segment */
    } diag;
    struct { /* SG-SNN remedies of spec plasticity-loss.md section 2 (keys sgsnn.*) */
        int optimizer, sam_scope, reset_every, reset_layers; /* enums sm_sg_optimizer ... */
        double sam_rho, shrink_alpha, redo_tau;
        int norm, unit; /* sgsnn.norm (none|layernorm), sgsnn.unit (lif|onoff) */
    } sgrem;
    struct {
        int model;        /* enum sm_model */
        int eval_every;   /* batches (STDP) or epochs (SG-SNN) between evaluations; 0 = none */
        int eval_fit;     /* training images the per-batch readout is fitted on */
        int eval_readout; /* per-batch readout: 0 = readout.method, else method + 1 */
    } train;
    struct {
        int method;   /* enum sm_readout_method */
        int features; /* enum sm_readout_features */
        double variance, c, qda_reg, fit_fraction;
        int standardize, whiten;
        int fit_images; /* training images the final readout is fitted on; 0 = all */
    } readout;
    struct {
        int n_hidden, steps, surrogate, batch, epochs, sleep_mode, sleep_steps, max_iters;
        double beta, threshold, atan_alpha, sigmoid_slope, lr;
        double noise_sd, a_plus, a_minus, tau, stdp_lr, target, lambda, trigger, stop;
        char hidden[SM_CONFIG_STR_MAX]; /* hidden sizes, comma list; "" = n_hidden */
    } sgsnn;
    struct { /* sparse training of the SG-SNN (spec structural.md section 5) */
        int method, scope, init, regrow, start_epoch, end_epoch, interval;
        double init_density, final_density, regrow_rate, regrow_rate_min, last_layer_density;
    } sparse;
    struct {                                   /* experiment sleep-stdp-table */
        char datasets[SM_CONFIG_STR_MAX];      /* comma-separated dataset names */
        char sleep_rates[SM_CONFIG_STR_MAX];   /* comma-separated sleep.rate values */
        int seeds;                             /* seeds run.seed .. run.seed + seeds - 1 */
        char ip_conditions[SM_CONFIG_STR_MAX]; /* ip-sleep: conditions run */
        /* sparse-sgsnn: which cells run, and Fashion-MNIST's own settings */
        char sparse_methods[SM_CONFIG_STR_MAX];   /* frozen,dense,static,gmp,granet,set */
        char sparse_densities[SM_CONFIG_STR_MAX]; /* D_f values */
        char sparse_scopes[SM_CONFIG_STR_MAX];    /* global,layer */
        char sparse_fashion[SM_CONFIG_STR_MAX];   /* ';'-separated name=value for fashion */
    } table;
    /* theta-gated Helmholtz machine (spec theta-helmholtz.md); times in s */
    struct {
        int task; /* enum sm_theta_task */
        double dt, train_min, freq, duty;
        int gate;     /* enum sm_theta_gate_kind (models/theta.h) */
        int schedule; /* enum sm_theta_schedule */
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
        int decoder; /* enum sm_theta_decoder_kind (protocol/experiments/theta_common.h) */
    } theta;

    /* Dis-inhibitory control of the plasticity sign (spec/disinhibition.md). Time in s. */
    struct {
        char n_hidden[SM_CONFIG_STR_MAX]; /* hidden layer sizes, "256" or "256,256,256" */
        double tau_e, tau_i;
        double act_e_scale, act_e_sharpness, act_e_shift;
        double act_i_scale, act_i_sharpness, act_i_shift;
        int rule; /* enum sm_disinh_rule (models/disinh.h) */
        double lin_theta, lin_delta, avg_inh_mix, avg_inh_init;
        int q; /* enum sm_disinh_q */
        double q_norm, q_clip;
        int solver; /* enum sm_disinh_solver */
        double dt, t_max, tol;
        int loss; /* enum sm_disinh_loss */
        double soft_target, lr;
        int optimizer, batch, epochs;
        int freeze_hidden; /* the frozen-network control: only the readout learns */
    } disinh;
    struct {
        double k_p, k_i, leak, tau;
        int to_readout;
    } ctrl;
    struct {
        int n_in, n_hidden, n_out, burn_in, epochs, seeds;
        double epoch_s, tau_w, tau_q, w_scale, r0, dt, q_norm;
        char draw[SM_CONFIG_STR_MAX]; /* "" = own RNG; else a file of inputs and weights */
    } teacher;
    struct {
        int N, K, L, T, M, seeds, k_per_client, layers;
        char r[SM_CONFIG_STR_MAX];         /* one quality or one per client, comma list */
        char attackers[SM_CONFIG_STR_MAX]; /* client indices with r = 0 ("" = none) */
        char upload[SM_CONFIG_STR_MAX];    /* "full" or "eig:R" */
        char schedule[SM_CONFIG_STR_MAX];  /* uniform | novelty:... | sequential[:B] */
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
    /* Poisson-Gamma mixture with intrinsic plasticity (spec intrinsic.md part A). */
    struct {
        int units;   /* C; 0 = number of selected classes */
        double a;    /* A, the scale of sum_d W_cd */
        double gain; /* count scale; 0 = auto (mean Y = 100 at z = 1) */
        double eps_w, eps_i, alpha0, last_epoch_eps;
        int shape;       /* enum sm_ppg_shape (models/ppg.h) */
        int competition; /* enum sm_ppg_competition */
        int counts;      /* enum sm_ppg_counts */
        int epochs;
        int fixed_epochs; /* first epochs with alpha = alpha0 before moment matching */
    } ppg;
    struct {
        char
            stream[SM_CONFIG_STR_MAX]; /* split-mnist, split-fashion, permuted-mnist, split:D:G/G */
        int scenario;                  /* enum sm_cl_scenario */
        int tasks, order, active_outputs;
        int per_class_train, per_class_val, per_class_test;
        int epochs_per_task, images_per_task, joint;
        int readout; /* enum sm_cl_readout */
        int probe_per_class;
        char ridge_grid[SM_CONFIG_STR_MAX]; /* log10 multipliers "a:b" or a comma list */
        int seeds, drift_images;
        char conditions[SM_CONFIG_STR_MAX]; /* continual-sleep: condition names or all */
    } cl;
    struct { /* Diehl & Cook network (spec diehl-cook.md), train.model = dc */
        int n_exc, passes, fidelity, rule, min_spikes, max_retries, n_assign, par_min, v_clamp;
        double w_ei, w_ie, nu_pre, nu_post, norm_sum, r_max, t_present, t_rest;
        double theta_plus, tau_theta, input_delay;
        char sizes[SM_CONFIG_STR_MAX];       /* experiments dc-size/dc-fashion: n_exc list */
        char size_passes[SM_CONFIG_STR_MAX]; /* passes per size */
        char variants[SM_CONFIG_STR_MAX];    /* code, bindsnet, frozen */

        int normalize;                          /* 0: no column normalization (dc-sleep) */
        double sleep_sigma;                     /* sleep noise sd, mV per step */
        char sleep_settings[SM_CONFIG_STR_MAX]; /* experiment dc-sleep: settings run */
        char sleep_rates[SM_CONFIG_STR_MAX];    /* experiment dc-sleep: sleep.rate list */
        char sleep_norms[SM_CONFIG_STR_MAX];    /* experiment dc-sleep: on,off */
    } dc;
    struct { /* structural plasticity of the STDP network (struct.*; rewire.h) */
        int mode, when, at, prune, regrow, decay, balance, w_new, score_sleep, layout;
        char pathways[SM_CONFIG_STR_MAX]; /* comma list of se, ee, ei, ie */
        int64_t period, dense_max;
        double rate, rate_min, final_sparsity, slack;
        int candidates, snapshot_every;
    } structural;
    struct { /* SAFE on a frozen SG-SNN layer (spec continual.md 5), train.model = safe */
        char ptm[SM_CONFIG_STR_MAX]; /* auto, pretrain:DATASET, session1, checkpoint:DIR, random */
        int ptm_epochs, ptm_images, pet, corr_norm;
        double lambda_diag, lambda_rdn, lambda_cos, lambda_cc, gamma;
        char gamma_grid[SM_CONFIG_STR_MAX];  /* validation scores of the aggregate per gamma */
        char lambda_grid[SM_CONFIG_STR_MAX]; /* continual-safe: (lambda_diag, lambda_rdn) values */
        int epochs_first, epochs_later, batch, score_test, tune;
        double lr, momentum, weight_decay;
        int tune_seeds;                  /* continual-safe: seeds of the tuning runs (0 = all) */
        int ablations;                   /* continual-safe: run the ablations of 5.6 */
        char streams[SM_CONFIG_STR_MAX]; /* continual-safe: split-mnist and/or split-fashion */
        int lora_rank;                   /* safe.pet = lora: rank of B A */
        int rp_dim;                      /* random projection of the ridge heads: M (0 = none) */
    } safe;
} sm_config;

enum sm_param_type { SM_PT_REAL, SM_PT_INT, SM_PT_INT64, SM_PT_BOOL, SM_PT_ENUM, SM_PT_STRING };

/* One row of the parameter table. */
typedef struct sm_param_def {
    const char *name; /* "group.name" */
    int type;         /* enum sm_param_type */
    size_t offset;    /* byte offset in sm_config */
    double def, min, max;
    const char *unit;    /* "ms", "mV", "1", ... */
    const char *choices; /* SM_PT_ENUM: "a|b|c", values 0,1,2 unless listed as "a=1|b=4" */
    const char *help;
} sm_param_def;

/* The parameter table and its length. Rows are in documentation order. */
const sm_param_def *sm_param_table(size_t *count);

/* Finds a parameter by exact name; NULL if unknown. */
const sm_param_def *sm_param_find(const char *name);

/* Fills `cfg` with the defaults of the table (the paper config). */
void sm_config_default(sm_config *cfg);

/* Sets one parameter from text: "30", "1e-3", "true", "as_published". Rejects unknown
 * names (suggesting a close one), non-numbers, NaN/Inf and values out of range; the
 * error message starts with `origin` (e.g. "--set" or "run.cfg:12"). */
sm_status sm_config_set(sm_config *cfg, const char *name, const char *value, const char *origin,
                        sm_error *err);

/* Parses "name=value" (as given to --set). */
sm_status sm_config_set_assignment(sm_config *cfg, const char *assignment, const char *origin,
                                   sm_error *err);

/* Reads a config file: either JSON (an object of groups, or of "group.name" keys; a
 * results file's "config" object is accepted too) or lines of "group.name = value" with
 * '#' comments. Errors name the file and line. */
sm_status sm_config_load(sm_config *cfg, const char *path, sm_error *err);

/* struct.pathways as a bit mask (bit k = enum sm_pathway k); an unknown, repeated or
 * missing name is an error naming the key. */
sm_status sm_config_struct_pathways(const sm_config *cfg, unsigned *mask, sm_error *err);

/* Applies a JSON object of parameters (nested groups or "group.name" keys, as in a
 * config file); errors start with `origin`. */
sm_status sm_config_load_json_object(sm_config *cfg, json_t *obj, const char *origin,
                                     sm_error *err);
/* Cross-parameter checks (v_min < v_max, bounds ordered, ...) after all sets. */
sm_status sm_config_validate(const sm_config *cfg, sm_error *err);

/* Value of a parameter as a double (enums and bools as their integer value; 0 for text). */
double sm_config_get(const sm_config *cfg, const sm_param_def *def);

/* Formats a parameter's value as text ("30", "as_published", "true", "mnist") into buf. */
void sm_config_format(const sm_config *cfg, const sm_param_def *def, char *buf, size_t size);

/* The error of an enum parameter holding a value none of its choices has (a struct
 * filled in C, not through sm_config_set): "'stdp.rule': 9 is not one of
 * none|pair|trace", SM_EINVAL. For the modules that own a table of choices. */
sm_status sm_config_bad_choice(const char *name, int value, sm_error *err);

/* Parses a list of layer sizes ("256" or "256,256,256": 1..max integers in [1, 1e6])
 * into sizes[]; returns how many, or 0 if `text` is not such a list (disinh.n_hidden). */
int sm_config_parse_sizes(const char *text, int *sizes, int max);

/* Most hidden layers of sgsnn.hidden (the SG-SNN's SM_SGSNN_MAX_LAYERS - 1). */
#define SM_CONFIG_SGSNN_MAX_HIDDEN 7

/* Writes the table as aligned text (name, default, unit, range, description). */
void sm_config_print_table(FILE *out);

#ifdef __cplusplus
}
#endif
#endif
