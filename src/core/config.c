#include "somnus/core/config.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/fileio.h"

#define OFF(field) offsetof(sm_config, field)
#define REAL(n, f, d, lo, hi, u, h)                                                                \
    {                                                                                              \
        n, SM_PT_REAL, OFF(f), d, lo, hi, u, NULL, h                                               \
    }
#define INT(n, f, d, lo, hi, u, h)                                                                 \
    {                                                                                              \
        n, SM_PT_INT, OFF(f), d, lo, hi, u, NULL, h                                                \
    }
#define INT64(n, f, d, lo, hi, u, h)                                                               \
    {                                                                                              \
        n, SM_PT_INT64, OFF(f), d, lo, hi, u, NULL, h                                              \
    }
#define BOOL(n, f, d, h)                                                                           \
    {                                                                                              \
        n, SM_PT_BOOL, OFF(f), d, 0, 1, "bool", NULL, h                                            \
    }
#define ENUM(n, f, d, c, h)                                                                        \
    {                                                                                              \
        n, SM_PT_ENUM, OFF(f), d, 0, 0, "choice", c, h                                             \
    }
#define STR(n, f, d, h)                                                                            \
    {                                                                                              \
        n, SM_PT_STRING, OFF(f), 0, 0, 0, "text", d, h                                             \
    }
#define BIG 1e12

#define LIF_ROWS(pop, i, name)                                                                     \
    REAL(pop ".tau_m", lif[i].tau_m, 30, 0.01, 1e6, "ms", "membrane time constant (" name ")"),    \
        REAL(pop ".tau_syn", lif[i].tau_syn, 30, 0.01, 1e6, "ms",                                  \
             "synaptic current time constant (" name ")"),                                         \
        REAL(pop ".r_m", lif[i].r_m, 30, 0, 1e6, "MOhm", "membrane resistance R (" name ")"),      \
        REAL(pop ".v_rest", lif[i].v_rest, -70, -200, 100, "mV", "resting potential (" name ")"),  \
        REAL(pop ".v_reset", lif[i].v_reset, -80, -200, 100, "mV", "reset potential (" name ")"),  \
        REAL(pop ".theta0", lif[i].theta0, -55, -200, 100, "mV", "base threshold (" name ")"),     \
        REAL(pop ".v_min", lif[i].v_min, -100, -1000, 1000, "mV",                                  \
             "lower membrane clamp (" name ")"),                                                   \
        REAL(pop ".v_max", lif[i].v_max, 40, -1000, 1000, "mV",                                    \
             "upper membrane clamp (" name ")"),                                                   \
        REAL(pop ".theta_min", lif[i].theta_min, -90, -1000, 1000, "mV",                           \
             "lower clamp of the adaptive threshold (" name ")"),                                  \
        REAL(pop ".theta_max", lif[i].theta_max, 0, -1000, 1000, "mV",                             \
             "upper clamp of the adaptive threshold (" name ")"),                                  \
        REAL(pop ".tau_a", lif[i].tau_a, 100, 0.01, 1e9, "ms",                                     \
             "threshold adaptation time constant (" name ")"),                                     \
        REAL(pop ".delta_a", lif[i].delta_a, 3, 0, 1000, "mV",                                     \
             "threshold increment per spike (" name "; 1 in the later package)"),                  \
        REAL(pop ".v_init", lif[i].v_init, -70, -1000, 1000, "mV",                                 \
             "membrane potential at construction (" name ")")

static const sm_param_def TABLE[] = {
    INT64("run.seed", run.seed, 1, 0, 9.2e18, "1", "seed of every random stream"),
    REAL("run.dt", run.dt, 1.0, 1e-3, 100, "ms", "simulation time step"),
    INT("run.threads", run.threads, 0, 0, 1024, "1",
        "OpenMP threads (0 = OMP_NUM_THREADS or all cores); results do not depend on it"),
    INT("run.parallel_min", run.parallel_min, 4096, 0, 1 << 30, "neurons",
        "networks smaller than this run serially (threads cost more than they give)"),
    INT64("run.steps", run.steps, 10000, 1, 1e15, "steps", "steps simulated by `somnus run`"),

    INT("net.n_input", net.n_input, 225, 1, 1 << 24, "neurons",
        "stimulus neurons S (one per pixel)"),
    INT("net.n_exc", net.n_exc, 200, 1, 1 << 24, "neurons", "excitatory LIF neurons E"),
    INT("net.n_inh", net.n_inh, 50, 0, 1 << 24, "neurons", "inhibitory LIF neurons I"),
    REAL("net.p_se", net.p[SM_PATH_SE], 0.10, 0, 1, "1", "connection probability S->E"),
    REAL("net.p_ee", net.p[SM_PATH_EE], 0.15, 0, 1, "1",
         "connection probability E->E (no self-synapses)"),
    REAL("net.p_ei", net.p[SM_PATH_EI], 0.20, 0, 1, "1", "connection probability E->I"),
    REAL("net.p_ie", net.p[SM_PATH_IE], 0.25, 0, 1, "1", "connection probability I->E"),
    REAL("net.w_se", net.w0[SM_PATH_SE], 0.15, 0, 1000, "1", "initial weight S->E (>= 0)"),
    REAL("net.w_ee", net.w0[SM_PATH_EE], 0.30, 0, 1000, "1", "initial weight E->E (>= 0)"),
    REAL("net.w_ei", net.w0[SM_PATH_EI], 0.40, 0, 1000, "1", "initial weight E->I (>= 0)"),
    REAL("net.w_ie", net.w0[SM_PATH_IE], -0.50, -1000, 0, "1", "initial weight I->E (<= 0)"),
    BOOL("net.plastic_se", net.plastic[SM_PATH_SE], 1, "S->E learns (STDP) and sleeps"),
    BOOL("net.plastic_ee", net.plastic[SM_PATH_EE], 1, "E->E learns (STDP) and sleeps"),
    BOOL("net.plastic_ei", net.plastic[SM_PATH_EI], 1,
         "E->I learns and sleeps (published runs: yes; later package: no)"),
    BOOL("net.plastic_ie", net.plastic[SM_PATH_IE], 1,
         "I->E learns and sleeps (published runs: yes; later package: no)"),
    BOOL("net.no_reciprocal", net.no_reciprocal, 1, "remove I_k->E_j where E_j->I_k exists"),
    ENUM("net.se_connectivity", net.se_connectivity, SM_SE_BERNOULLI, "bernoulli|gaussian|oriented",
         "S->E synapses: Bernoulli(p_se), Gaussian receptive fields or oriented (elongated) "
         "fields on the E sheet (spec diehl-cook.md 9); structured fields carry total weight "
         "p_se x n_input x n_exc x w_se"),
    REAL("net.rf_sigma", net.rf_sigma, 1.0, 0.1, 1000, "px",
         "gaussian fields: mean width sigma_se (each E draws Normal(rf_sigma, rf_sigma_sd), "
         "clipped at >= 1 px)"),
    REAL("net.rf_sigma_sd", net.rf_sigma_sd, 0.3, 0, 1000, "px",
         "gaussian fields: standard deviation of the per-E width"),
    ENUM("net.rf_layout", net.rf_layout, SM_RF_BLOCK, "block|interleaved",
         "oriented fields: one sheet quadrant per orientation (block) or p x p patches"),
    INT("net.rf_n_or", net.rf_n_or, 4, 1, 64, "1",
        "oriented fields: orientations (a perfect square: the sheet is cut sqrt x sqrt)"),
    REAL("net.rf_sx", net.rf_sx, 3.0, 0.1, 1000, "px", "oriented fields: long-axis width sx"),
    REAL("net.rf_gamma", net.rf_gamma, 0.4, 0.01, 100, "1",
         "oriented fields: aspect ratio sy / sx"),
    REAL("net.rf_r_cut", net.rf_r_cut, 3.0, 0.1, 1000, "1",
         "oriented fields: kernel is 0 beyond this Mahalanobis radius"),
    ENUM("net.ee_connectivity", net.ee_connectivity, SM_EE_BERNOULLI, "bernoulli|gaussian",
         "E->E synapses: Bernoulli(p_ee), or a Gaussian of the distance on the E sheet's torus "
         "(width net.ee_sigma), each E neuron's incoming sum p_ee x (n_exc - 1) x w_ee"),
    REAL("net.ee_sigma", net.ee_sigma, 1.0, 0.1, 1000, "cells",
         "gaussian E->E: width on the E sheet (synapses where the kernel is >= 0.01)"),
    ENUM("net.ie_connectivity", net.ie_connectivity, SM_IE_BERNOULLI, "bernoulli|ring",
         "I->E synapses: Bernoulli(p_ie), or a centre-surround ring: I neurons spread over the "
         "E sheet's torus inhibit E neurons at distance near net.ie_radius (the surround of a "
         "difference of Gaussians), each E neuron's incoming sum p_ie x n_inh x w_ie"),
    REAL("net.ie_radius", net.ie_radius, 2.0, 0, 1000, "cells",
         "ring I->E: distance of strongest inhibition on the E sheet"),
    REAL("net.ie_width", net.ie_width, 1.0, 0.1, 1000, "cells",
         "ring I->E: width of the ring, exp(-(d - radius)^2 / (2 width^2)) (>= 0.01: synapse)"),

    LIF_ROWS("lif_e", 0, "E"),
    LIF_ROWS("lif_i", 1, "I"),

    REAL("noise.sigma", noise.sigma, 2.0, 0, 1000, "mV/step",
         "sd of Gaussian membrane noise per step (1.0 in the later package)"),
    BOOL("noise.wake", noise.wake, 0, "membrane noise while awake"),
    BOOL("noise.sleep", noise.sleep, 1, "membrane noise during sleep"),
    BOOL("noise.test", noise.test, 0, "membrane noise while evaluating (frozen weights)"),

    ENUM("input.encoder", input.encoder, SM_ENC_BERNOULLI, "bernoulli|rate",
         "bernoulli: p = clip(x*gain); rate: p = clip(x*r_max*dt/1000)"),
    REAL("input.gain", input.gain, 1.0, 0, 1e6, "1", "Bernoulli encoder gain"),
    REAL("input.r_max", input.r_max, 90, 0, 1e6, "Hz", "rate encoder maximum rate"),
    INT("input.steps_per_image", input.steps_per_image, 1000, 1, 1 << 30, "steps",
        "presentation length (1000 published, 100 small, 350 later package)"),
    REAL("input.norm_fraction", input.norm_fraction, 0.1, 0, 1, "1",
         "each image rescaled to sum to this fraction of its pixel count"),
    INT("input.width", input.width, 15, 1, 4096, "pixels", "image width after resizing"),
    INT("input.height", input.height, 15, 1, 4096, "pixels", "image height after resizing"),
    BOOL("input.normalize", input.normalize, 0,
         "ppg only: rescale each count vector to total Ybar (PM-normalized: intensity removed)"),

    ENUM("stdp.rule", stdp.rule, SM_STDP_PAIR, "none|pair|trace",
         "plasticity rule: pair STDP on last-spike times (4a) or trace STDP (4b)"),
    ENUM("stdp.sign", stdp.sign, SM_SIGN_AS_PUBLISHED, "textbook|as_published",
         "pair STDP sign: textbook (pre before post potentiates) or the authors' reversed code"),
    ENUM("stdp.same_step", stdp.same_step, SM_SAME_POTENTIATE, "potentiate|depress|ignore",
         "pair STDP when pre and post spike in the same step (published: potentiate)"),
    REAL("stdp.eta_e", stdp.eta_e, 8e-4, 0, 1e3, "1", "learning rate, excitatory presynaptic"),
    REAL("stdp.eta_i", stdp.eta_i, 8e-4, 0, 1e3, "1", "learning rate, inhibitory presynaptic"),
    REAL("stdp.a_plus", stdp.a_plus, 1, 0, 1e3, "1", "potentiation amplitude"),
    REAL("stdp.a_minus", stdp.a_minus, 1, 0, 1e3, "1", "depression amplitude"),
    REAL("stdp.tau_plus", stdp.tau_plus, 7.5, 0.01, 1e6, "ms", "potentiation window"),
    REAL("stdp.tau_minus", stdp.tau_minus, 7.5, 0.01, 1e6, "ms", "depression window"),
    REAL("stdp.exc_min", stdp.exc_min, 0.01, 0, 1e6, "1", "lower bound of excitatory weights"),
    REAL("stdp.exc_max", stdp.exc_max, 25, 0, 1e6, "1", "upper bound of excitatory weights"),
    REAL("stdp.inh_min", stdp.inh_min, -25, -1e6, 0, "1", "lower bound of inhibitory weights"),
    REAL("stdp.inh_max", stdp.inh_max, -0.01, -1e6, 0, "1", "upper bound of inhibitory weights"),
    REAL("stdp.trace_tau", stdp.trace_tau, 25, 0.01, 1e6, "ms", "trace STDP: trace time constant"),
    REAL("stdp.trace_eta", stdp.trace_eta, 8e-4, 0, 1e3, "1", "trace STDP: learning rate"),
    REAL("stdp.trace_w_max", stdp.trace_w_max, 10, 0, 1e6, "1", "trace STDP: soft bound w_max"),
    REAL("stdp.trace_mu", stdp.trace_mu, 0.6, 0, 10, "1", "trace STDP: soft-bound exponent mu"),
    INT("stdp.trace_update_freq", stdp.trace_update_freq, 1, 1, 1 << 30, "steps",
        "trace STDP: apply accumulated updates every this many steps (later package: 100)"),

    ENUM("sleep.mode", sleep.mode, SM_SLEEP_POWERLAW, "none|powerlaw|static|layer|neuron",
         "regularizer: paper power-law decay (5a) or the later package's modes (5b)"),
    ENUM("sleep.schedule", sleep.schedule, SM_SCHED_PERIOD, "period|batch",
         "powerlaw: a window every sleep.period wake steps, or one at the start of each batch"),
    ENUM("sleep.stop", sleep.stop, SM_STOP_WITHIN, "within|not_above",
         "powerlaw stop test: every block within tolerance of W0 (authors' code), or none above "
         "(1 + tolerance) W0 (the paper's Eq. 6)"),
    REAL("sleep.rate", sleep.rate, 0, 0, 100, "1",
         "powerlaw: sleep length as a fraction of the wake period (the swept variable)"),
    INT64("sleep.period", sleep.period, 35000, 1, 1e15, "steps",
          "powerlaw: wake steps between windows (C)"),
    INT64("sleep.max_steps", sleep.max_steps, 10000, 0, 1e15, "steps",
          "powerlaw: longest window (S_max)"),
    REAL("sleep.lambda", sleep.lambda, 0.99997, 0, 1, "1",
         "powerlaw: contraction exponent per sleep step"),
    REAL("sleep.target_exc", sleep.target_exc, 0.01, 1e-9, 1e6, "1",
         "powerlaw: excitatory target w_t"),
    REAL("sleep.target_inh", sleep.target_inh, -0.01, -1e6, -1e-9, "1",
         "powerlaw: inhibitory target w_t"),
    REAL("sleep.tolerance", sleep.tolerance, 0.001, 0, 10, "1",
         "powerlaw: episode ends when every block's sum|w| is within this fraction of W0"),
    INT64("sleep.duration", sleep.duration, 1000, 1, 1e15, "steps", "mode sleep: episode length D"),
    INT64("sleep.frequency", sleep.frequency, 35000, 1, 1e15, "steps",
          "mode sleep: wake steps between episodes F"),
    ENUM("sleep.norm_mode", sleep.norm_mode, SM_NORM_NONE, "none=0|static=2|layer=3|neuron=4",
         "normalize: instant rescaling to the mode's target (no episode, no noise)"),
    ENUM("sleep.target", sleep.target, SM_TARGET_STATIC, "static|initial",
         "what sleep decays toward: the fixed targets (static: sleep.target_exc/inh for "
         "powerlaw, the pathway's mean initial weight for mode static) or each synapse's "
         "own initial weight (initial; powerlaw and static modes)"),
    INT64("sleep.norm_frequency", sleep.norm_frequency, 35000, 1, 1e15, "steps",
          "normalize: wake steps between normalizations"),

    ENUM("ip.rule", ip.rule, SM_IP_TRIESCH, "none|rate|triesch",
         "intrinsic plasticity of the LIF neurons: none, rate (threshold offset h toward a target "
         "rate) or triesch (gain g and offset h toward an exponential rate distribution)"),
    ENUM("ip.populations", ip.populations, SM_IP_POP_E, "e|ei",
         "intrinsic plasticity acts on E only, or on E and I (separate targets)"),
    ENUM("ip.sleep", ip.sleep, SM_IP_SLEEP_FREEZE, "freeze|on",
         "during sleep: h and g held (freeze) or moved by the noise-driven activity (on)"),
    REAL("ip.target_e", ip.target_e, 10, 0, 1000, "Hz", "intrinsic plasticity: target rate of E"),
    REAL("ip.target_i", ip.target_i, 20, 0, 1000, "Hz", "intrinsic plasticity: target rate of I"),
    REAL("ip.eta_h", ip.eta_h, 0.02, 0, 100, "mV",
         "rate rule: threshold offset step per unit of (spike - target rate x dt) per step"),
    REAL("ip.h_min", ip.h_min, -15, -1000, 0, "mV", "lower clamp of the threshold offset h"),
    REAL("ip.h_max", ip.h_max, 30, 0, 1000, "mV", "upper clamp of the threshold offset h"),
    INT("ip.window", ip.window, 0, 0, 1 << 30, "steps",
        "triesch: steps per update window (0 = one image presentation)"),
    REAL("ip.r_max", ip.r_max, 100, 1e-3, 1e6, "Hz", "triesch: rate of output y = 1"),
    REAL("ip.eta_b", ip.eta_b, 1e-3, 0, 10, "1", "triesch: learning rate of the bias"),
    REAL("ip.eta_g", ip.eta_g, 1e-4, 0, 10, "1", "triesch: learning rate of the gain g"),
    REAL("ip.g_min", ip.g_min, 0.2, 1e-6, 1e3, "1", "triesch: lower clamp of the gain g"),
    REAL("ip.g_max", ip.g_max, 5, 1e-6, 1e3, "1", "triesch: upper clamp of the gain g"),

    INT64("monitor.interval", monitor.interval, 1000, 1, 1e15, "steps",
          "steps between records of population rates and weight statistics"),
    STR("data.dataset", data.dataset, "mnist",
        "mnist|fashion|kmnist|notmnist|synthetic[:N[:SEED]]|idx:IMG,LBL[,TIMG,TLBL]|"
        "mnist-json:DIR (see docs/datasets.md)"),
    STR("data.dir", data.dir, "data", "folder scripts/fetch-data.sh fills"),
    STR("data.classes", data.classes, "all", "classes used: all, or a list such as 0,1,7 or 0-4"),
    INT("data.n_train", data.n_train, 6000, 2, 1 << 28, "images", "training images"),
    INT("data.n_val", data.n_val, 100, 0, 1 << 28, "images",
        "validation images scored after every batch"),
    INT("data.n_test", data.n_test, 1000, 1, 1 << 28, "images", "test images scored at the end"),
    INT("data.batch", data.batch, 300, 1, 1 << 28, "images",
        "training images per batch (STDP: evaluation and batch sleep schedule)"),
    BOOL("data.official_test", data.official_test, 1,
         "take test images from the dataset's own test set when it has one"),
    ENUM("data.intensity", data.intensity, SM_INTENSITY_NONE, "none|class_gamma|gamma",
         "ppg only: per-image intensity z (counts ~ Poisson(z gain x)): none (z = 1), "
         "class_gamma (z ~ Gamma(intensity_shape, mean per class)), gamma (same for all)"),
    STR("data.intensity_means", data.intensity_means, "1",
        "mean z: one value (gamma), or one per selected class in data.classes order "
        "(class_gamma), comma-separated"),
    REAL("data.intensity_shape", data.intensity_shape, 20, 1e-3, 1e6, "1",
         "Gamma shape of the intensity z (CV = 1/sqrt(shape))"),
    BOOL("data.train_rest", data.train_rest, 0,
         "train on every pool image not drawn for validation or test (in pool order) instead "
         "of a balanced data.n_train draw"),

    ENUM("protocol.kind", protocol.kind, SM_PROTOCOL_IID, "iid|continual|input|label",
         "training protocol of `somnus train`: iid = the paper's (one stationary stream of "
         "training images in batches); continual = a sequence of tasks (cl.*); input / label "
         "= chunks with a changing input distribution / labelling (spec plasticity-loss.md)"),
    INT("protocol.chunks", protocol.chunks, 20, 1, 100000, "chunks",
        "input/label protocols: chunks K of the stream"),
    INT("protocol.iters_per_chunk", protocol.iters_per_chunk, 200, 1, 1 << 24, "minibatches",
        "input/label protocols: SG-SNN minibatches I per chunk"),
    INT("protocol.images_per_chunk", protocol.images_per_chunk, 1200, 1, 1 << 24, "images",
        "input protocol: STDP images N per chunk"),
    STR("protocol.input_shift", protocol.input_shift, "grow",
        "input protocol: grow (train on chunks 1..k of a random cut of the training set), "
        "permute (a fixed random pixel permutation per chunk, the first = identity) or "
        "dataset:NAME,NAME,... (chunks alternate between the datasets; the STDP network runs "
        "permute and dataset)"),
    ENUM("protocol.label_shift", protocol.label_shift, SM_LABEL_CYCLIC, "cyclic|permute|random",
         "label protocol: y -> (y + k) mod C, a random class permutation per chunk, or a fresh "
         "random label per training image per chunk"),
    ENUM("protocol.fresh", protocol.fresh, SM_FRESH_ENDS, "none|ends|every",
         "fresh-network references (acc_fresh, pr): none, first and last chunk, every chunk"),
    INT("diag.every", diag.every, 1, 0, 1 << 20, "chunks",
        "loss-of-plasticity diagnostics after every this many chunks (and before the first); "
        "0 = never"),
    INT("diag.n_probe", diag.n_probe, 1000, 1, 1 << 24, "images",
        "class-balanced probe images from the validation split (at most its size)"),
    REAL("diag.saturation", diag.saturation, 0.95, 0, 1, "1",
         "a neuron is saturated at or above this mean rate per step"),
    REAL("diag.srank_delta", diag.srank_delta, 0.01, 0, 1, "1", "delta of srank_delta"),
    BOOL("diag.grad_starved", diag.grad_starved, 0,
         "gradient-starved fraction of the SG-SNN's first hidden layer (rows of W1 whose gradient "
         "over the probe set is <= 1e-3 x the mean row norm; one extra BPTT pass per chunk)"),
    INT("diag.n_train_acc", diag.n_train_acc, 1000, 1, 1 << 24, "images",
        "fixed training images behind train_acc"),
    BOOL("diag.iid", diag.iid, 0,
         "the same diagnostics in plain (protocol.kind = iid) train runs of stdp, sgsnn, dc, ppg, "
         "disinh, theta and hopfield: diag_* columns of the evaluations table, on diag.n_probe "
         "validation images (theta: a fixed generated segment of diag.probe_s s; hopfield: "
         "hopfield.recall_reps cues per archetype, one row per round)"),
    INT("diag.iid_every", diag.iid_every, 0, 0, 1 << 20, "rows",
        "diag.iid for dc, theta and hopfield: compute the diagnostics at every this many rows "
        "(dc: data.batch training images; theta: minutes; hopfield: rounds) and at the last; 0 = "
        "the model's default, the most frequent that keeps their cost under 5% of training (dc: "
        "ceil(20 x probe images / data.batch), theta 3, hopfield 4); stdp, sgsnn, ppg and disinh "
        "compute them at their evaluations (train.eval_every) and refuse other values"),
    REAL("diag.probe_s", diag.probe_s, 5, 0.01, 1e4, "s",
         "theta with diag.iid: simulated seconds of the probe segment (the first seconds of the "
         "task's generated input, run by a frozen copy in inference mode without noise)"),
    ENUM("sgsnn.optimizer", sgrem.optimizer, SM_SG_ADAM, "adam|sam",
         "SG-SNN optimiser in the input/label protocols: adam, or SAM around Adam"),
    REAL("sgsnn.sam_rho", sgrem.sam_rho, 0.1, 0, 100, "1", "SAM radius rho"),
    ENUM("sgsnn.sam_scope", sgrem.sam_scope, SM_SAM_ALL, "all|hidden",
         "SAM perturbs every parameter, or all but the output layer's (hidden layers and "
         "LayerNorm)"),
    INT("sgsnn.reset_every", sgrem.reset_every, 0, 0, 1 << 20, "chunks",
        "reset after chunks 1, 1 + r, 1 + 2r, ... (before the last); 0 = off"),
    ENUM("sgsnn.reset_layers", sgrem.reset_layers, SM_RESET_HEAD, "head|all",
         "what a reset redraws: the output layer, or every layer"),
    REAL("sgsnn.shrink_alpha", sgrem.shrink_alpha, 1, 0, 1, "1",
         "with each reset, the tensors not reset become alpha theta + (1 - alpha) theta_fresh "
         "(1 = off)"),
    REAL("sgsnn.redo_tau", sgrem.redo_tau, 0, 0, 1e6, "1",
         "ReDo: after every chunk, hidden neurons tau-dormant on the probe set are "
         "re-initialised (0 = off)"),
    ENUM("sgsnn.norm", sgrem.norm, 0, "none|layernorm",
         "LayerNorm on the first hidden layer's pre-activation W1 x + b1, gain and shift "
         "learned (spec plasticity-loss.md 2.2)"),
    ENUM("sgsnn.unit", sgrem.unit, 0, "lif|onoff",
         "first hidden layer: plain LIF, or the ON/OFF split (spiking CReLU: W1 has half the "
         "rows, ON neurons driven by +u, OFF by -u; sgsnn.n_hidden must be even)"),
    /* continual learning (spec continual.md; src/protocol/continual*.c) */
    STR("cl.stream", cl.stream, "split-mnist",
        "task stream: split-mnist, split-fashion, permuted-mnist, or split:DATASET:G1/G2/... "
        "(groups of comma-separated classes); needs data.dataset to match"),
    ENUM("cl.scenario", cl.scenario, SM_CL_AUTO, "auto|class|task|domain",
         "scenario: auto = the stream's default (class for split, domain for permuted); "
         "task-IL is also reported for class-IL runs"),
    INT("cl.tasks", cl.tasks, 0, 0, 1000, "tasks",
        "tasks of permuted-mnist (0 = 10); split streams have one per group"),
    ENUM("cl.order", cl.order, SM_CL_FIXED, "fixed|shuffled",
         "split streams: classes dealt into tasks in order, or shuffled from the seed"),
    ENUM("cl.active_outputs", cl.active_outputs, SM_CL_SEEN, "seen|all",
         "class-IL: predictions over the classes seen so far, or all classes from the start"),
    INT("cl.per_class_train", cl.per_class_train, 0, 0, 1 << 24, "images",
        "training images per class (0 = stream default: 600, Fashion 1200)"),
    INT("cl.per_class_val", cl.per_class_val, 0, 0, 1 << 24, "images",
        "validation images per class (0 = stream default: 60, Fashion 100)"),
    INT("cl.per_class_test", cl.per_class_test, 0, 0, 1 << 24, "images",
        "test images per class (0 = 200)"),
    INT("cl.epochs_per_task", cl.epochs_per_task, 5, 1, 100000, "epochs",
        "SG-SNN: epochs per task"),
    INT("cl.images_per_task", cl.images_per_task, 0, 0, 1 << 24, "images",
        "STDP: training images presented per task (0 = all of the task's)"),
    BOOL("cl.joint", cl.joint, 0,
         "joint reference: all tasks' training images shuffled together in one session, "
         "scored on every task"),
    ENUM("cl.readout", cl.readout, SM_CL_BOTH, "both|stats|probe",
         "STDP readouts: exemplar-free ridge statistics, the probe (a memory of images), or both"),
    INT("cl.probe_per_class", cl.probe_per_class, 20, 2, 1 << 20, "images",
        "probe readout: training images kept per seen class"),
    STR("cl.ridge_grid", cl.ridge_grid, "-4:2",
        "ridge lambda = 10^k x mean(diag G): k from a:b (integers) or a comma list"),
    INT("cl.seeds", cl.seeds, 5, 1, 1000, "seeds",
        "continual experiments: seeds per condition, run.seed upwards"),
    STR("cl.conditions", cl.conditions, "all",
        "continual-sleep: conditions run (all, or a comma list of random, published-sleep0, "
        "published-sleep0.1, published-sleep0.2, textbook-sleep0, textbook-sleep0.1, "
        "textbook-sleep0.2); continual-sgsnn: split-finetune, split-joint, "
        "split-published0.2, split-epoch0.2, permuted-finetune, permuted-published0.2, "
        "permuted-joint"),
    INT("cl.drift_images", cl.drift_images, 500, 0, 1 << 20, "images",
        "STDP: validation images whose representation gives the drift (1 - linear CKA)"),
    ENUM("train.model", train.model, SM_MODEL_STDP, "stdp|sgsnn|disinh|hopfield|ppg|theta|dc|safe",
         "model trained by `somnus train`: the recurrent STDP network, the SG-SNN baseline, "
         "the dis-inhibitory rate E/I network, the federated Hopfield memory, the "
         "Poisson-Gamma mixture with IP or the theta-gated Helmholtz machine (one seed of "
         "theta.task on inputs it generates: no dataset) or the Diehl & Cook network"),
    INT("train.eval_every", train.eval_every, 1, 0, 1 << 28, "batches",
        "evaluate every this many batches (SG-SNN: epochs); 0 = only at the end"),
    INT("train.eval_fit", train.eval_fit, 300, 2, 1 << 28, "images",
        "STDP: training images the per-batch readout is fitted on (the first ones)"),
    ENUM("train.eval_readout", train.eval_readout, 0, "same|pca_logreg|published_qda",
         "STDP: readout of the per-batch evaluations (same = readout.method); QDA needs many "
         "more fit images than features"),

    ENUM("readout.method", readout.method, 0, "pca_logreg|published_qda",
         "PCA + logistic regression, or the published standardize + PCA + QDA(0.1)"),
    ENUM("readout.features", readout.features, SM_FEAT_EXC, "exc|all",
         "representation: spike counts of the E neurons, or of E and I (published)"),
    REAL("readout.variance", readout.variance, 0.95, 1e-6, 1, "1", "PCA variance kept"),
    REAL("readout.c", readout.c, 1.0, 1e-9, 1e9, "1", "logistic regression inverse L2 strength"),
    BOOL("readout.standardize", readout.standardize, 0,
         "z-score features before PCA (published_qda always does)"),
    BOOL("readout.whiten", readout.whiten, 1, "scale PCA scores to unit sd before the regression"),
    REAL("readout.qda_reg", readout.qda_reg, 0.1, 0, 1, "1", "QDA covariance regularization"),
    REAL("readout.fit_fraction", readout.fit_fraction, 0, 0, 1, "1",
         "fraction of the fit images the model sees (0 = method default: 1, QDA 0.8)"),
    INT("readout.fit_images", readout.fit_images, 0, 0, 1 << 28, "images",
        "STDP: training images the final readout is fitted on (0 = all; the last ones)"),

    INT("dc.n_exc", dc.n_exc, 100, 1, 1 << 20, "neurons", "Diehl & Cook: E neurons (= I neurons)"),
    INT("dc.passes", dc.passes, 1, 0, 1 << 20, "passes",
        "Diehl & Cook: passes through the training images (0 = frozen random network, the "
        "control)"),
    ENUM("dc.fidelity", dc.fidelity, 0, "code|bindsnet",
         "Diehl & Cook: neuron model and schedule of the authors' Brian code (conductance LIF, "
         "dt 0.5 ms) or of BindsNET's DiehlAndCook2015 (current LIF, dt 1 ms, one E spike per "
         "step, state reset per image)"),
    ENUM("dc.rule", dc.rule, 0, "triplet|postpre|pair",
         "Diehl & Cook: input->E STDP: the code's triplet rule (what Brian 1.4's C STDP runs), "
         "BindsNET's PostPre, or pair (potentiation nu_post x_pre without x_post2: kept for "
         "comparison, not the code's rule; docs/diehl-cook.md)"),
    REAL("dc.w_ei", dc.w_ei, 10.4, 0, 1e6, "1",
         "Diehl & Cook: E->I weight (code: conductance; bindsnet: mV)"),
    REAL("dc.w_ie", dc.w_ie, 17.0, 0, 1e6, "1",
         "Diehl & Cook: I->E weight magnitude, all but self (code: conductance; bindsnet: mV)"),
    REAL("dc.nu_pre", dc.nu_pre, 1e-4, 0, 1, "1", "Diehl & Cook: depression rate on a pre spike"),
    REAL("dc.nu_post", dc.nu_post, 1e-2, 0, 1, "1",
         "Diehl & Cook: potentiation rate on a post spike"),
    REAL("dc.norm_sum", dc.norm_sum, 78.0, 1e-6, 1e9, "1",
         "Diehl & Cook: each E neuron's input weights sum to this before every training "
         "presentation"),
    REAL("dc.r_max", dc.r_max, 63.75, 0, 1e5, "Hz",
         "Diehl & Cook: input rate at pixel 1 and the starting intensity (code: 255/4)"),
    REAL("dc.t_present", dc.t_present, 350, 1, 1e6, "ms", "Diehl & Cook: input time per image"),
    REAL("dc.t_rest", dc.t_rest, 150, 0, 1e6, "ms", "Diehl & Cook: silent rest after each image"),
    INT("dc.min_spikes", dc.min_spikes, 5, 0, 1 << 28, "spikes",
        "Diehl & Cook: fewer E spikes than this: raise the intensity and show the image again "
        "(0 = never)"),
    INT("dc.max_retries", dc.max_retries, 20, 0, 1 << 20, "repeats",
        "Diehl & Cook: most repeats of one image (the code has no bound)"),
    REAL("dc.theta_plus", dc.theta_plus, 0.05, 0, 1e3, "mV",
         "Diehl & Cook: threshold increment per E spike"),
    REAL("dc.tau_theta", dc.tau_theta, 1e7, 1, 1e15, "ms", "Diehl & Cook: threshold decay time"),
    INT("dc.n_assign", dc.n_assign, 0, 0, 1 << 28, "images",
        "Diehl & Cook: training images (the first ones) that label the neurons (0 = all)"),
    STR("dc.sizes", dc.sizes, "100,400,1600",
        "experiments dc-size/dc-fashion: E network sizes (comma list)"),
    STR("dc.size_passes", dc.size_passes, "3,3,7",
        "experiments dc-size/dc-fashion: training passes per size (one value or one per size)"),
    STR("dc.variants", dc.variants, "code,bindsnet,frozen",
        "experiments dc-size/dc-fashion: code (the authors'), code_clamp (code with dc.v_clamp), "
        "bindsnet (configs/dc-bindsnet.cfg), frozen and frozen_clamp (code and code_clamp, no "
        "training: the random-network controls)"),
    BOOL("dc.v_clamp", dc.v_clamp, 0,
         "Diehl & Cook (code): keep v in [E_inh, E_exc] after each Euler step (the authors' "
         "code does not; large inhibitory volleys then overshoot)"),
    REAL("dc.input_delay", dc.input_delay, 10, 0, 100, "ms",
         "Diehl & Cook: input->E delays, one per synapse, uniform in [0, this) and floored to "
         "whole steps, as the code's DelayConnection (0 = none: every input spike lands at "
         "once)"),
    INT("dc.par_min", dc.par_min, 1600, 1, 1 << 28, "neurons",
        "Diehl & Cook: E neurons from which neuron and delivery loops use threads"),
    BOOL("dc.normalize", dc.normalize, 1,
         "Diehl & Cook: scale each E neuron's input weights to dc.norm_sum before every "
         "training image (off: sleep, if any, is the only weight regularizer)"),
    REAL("dc.sleep_sigma", dc.sleep_sigma, 1.5, 0, 1000, "mV/step",
         "Diehl & Cook sleep (sleep.rate > 0): sd of the Gaussian noise added to every E and I "
         "membrane potential each sleep step (1.5: the largest asleep E rate measured, "
         "docs/diehl-cook.md)"),
    STR("dc.sleep_settings", dc.sleep_settings,
        "n200,n1000,n9000,seq-mnist,seq-fashion,iid-mnist,iid-fashion",
        "experiment dc-sleep: settings run (n200, n1000, n9000, seq-mnist, seq-fashion, "
        "iid-mnist, iid-fashion)"),
    STR("dc.sleep_rates", dc.sleep_rates, "0,0.1,0.2",
        "experiment dc-sleep: sleep.rate values (the first must be 0; iid settings run 0 and "
        "the largest only)"),
    STR("dc.sleep_norms", dc.sleep_norms, "on,off",
        "experiment dc-sleep: normalization conditions (on, off)"),

    ENUM("struct.mode", structural.mode, SM_STRUCT_NONE, "none|rewire|gmp|granet",
         "structural plasticity of the STDP network's synapses: none (fixed connectivity), "
         "rewire (prune and regrow, constant count), gmp (cubic pruning schedule to "
         "struct.final_sparsity), granet (gmp plus regrowth) (docs/structural.md)"),
    STR("struct.pathways", structural.pathways, "se,ee",
        "pathways that rewire: comma list of se, ee, ei, ie (plastic pathways only)"),
    ENUM("struct.when", structural.when, SM_STRUCT_AT_SLEEP, "sleep|period",
         "structural events: once per sleep episode, or every struct.period wake steps"),
    ENUM("struct.at", structural.at, SM_STRUCT_SLEEP_END, "sleep_end|sleep_start",
         "struct.when=sleep: event after the episode (default) or before it"),
    INT64("struct.period", structural.period, 35000, 1, 1e15, "steps",
          "struct.when=period: wake steps between structural events"),
    ENUM("struct.prune", structural.prune, SM_PRUNE_MAGNITUDE, "magnitude|at_bound",
         "pruning: the ceil(r n) smallest |w| of a pathway, or every synapse at its lower "
         "bound (|w| <= bound + 1e-6; synapses made at the previous event exempt)"),
    ENUM("struct.regrow", structural.regrow, SM_REGROW_COINCIDENCE, "coincidence|stdp|random|none",
         "regrowth: highest pre/post coincidence score G + H, the virtual STDP drive G - H "
         "(H - G with stdp.sign=as_published), uniform at random, or none (prune only)"),
    REAL("struct.rate", structural.rate, 0.1, 0, 1, "1",
         "r_0: fraction of a pathway's synapses replaced at the first event"),
    REAL("struct.rate_min", structural.rate_min, 0.005, 0, 1, "1",
         "r_min: fraction at the last predicted event (struct.decay=cosine)"),
    ENUM("struct.decay", structural.decay, SM_DECAY_COSINE, "cosine|constant",
         "schedule of the replaced fraction over events: cosine from r_0 to r_min, or r_0"),
    REAL("struct.final_sparsity", structural.final_sparsity, 0.75, 0, 0.999, "1",
         "gmp/granet: fraction of the initial count of each pathway removed by the last event"),
    ENUM("struct.balance", structural.balance, SM_BALANCE_PATHWAY, "pathway|post",
         "count rule of regrowth: per pathway, or into the post neuron that lost the synapse "
         "(in-degree constant)"),
    ENUM("struct.w_new", structural.w_new, SM_WNEW_BOUND, "bound|initial",
         "weight of a new synapse: the sleep target / lower bound (0.01, -0.01), or the "
         "pathway's construction weight"),
    BOOL("struct.score_sleep", structural.score_sleep, 0,
         "accumulate regrowth scores during sleep too (default: wake only)"),
    INT64("struct.dense_max", structural.dense_max, 67108864, 1, 1e15, "pairs",
          "largest n_pre x n_post of a pathway whose scores are kept dense"),
    INT("struct.candidates", structural.candidates, 64, 1, 1 << 20, "columns",
        "above struct.dense_max: sampled candidate columns per pre neuron (not implemented: "
        "such pathways are refused)"),
    ENUM("struct.layout", structural.layout, SM_LAYOUT_REBUILD, "rebuild|slack",
         "CSR maintenance after an event: full rebuild, or rows with spare slots edited in "
         "place (bitwise the same network)"),
    REAL("struct.slack", structural.slack, 0.25, 0, 10, "1",
         "struct.layout=slack: spare slots per row as a fraction of its initial length"),
    INT("struct.snapshot_every", structural.snapshot_every, 1, 0, 1 << 30, "events",
        "--export: connectivity snapshot every that many events (0 = final only)"),

    INT("sgsnn.n_hidden", sgsnn.n_hidden, 1000, 1, 1 << 24, "neurons", "SG-SNN hidden neurons"),
    INT("sgsnn.steps", sgsnn.steps, 100, 1, 1 << 20, "steps", "SG-SNN steps per image"),
    REAL("sgsnn.beta", sgsnn.beta, 0.95, 0, 1, "1", "SG-SNN membrane decay per step"),
    REAL("sgsnn.threshold", sgsnn.threshold, 1.0, 1e-6, 1e6, "1", "SG-SNN firing threshold"),
    ENUM("sgsnn.surrogate", sgsnn.surrogate, 0, "atan|fast_sigmoid",
         "SG-SNN surrogate spike derivative"),
    REAL("sgsnn.atan_alpha", sgsnn.atan_alpha, 2.0, 1e-6, 1e6, "1", "SG-SNN atan surrogate alpha"),
    REAL("sgsnn.sigmoid_slope", sgsnn.sigmoid_slope, 25, 1e-6, 1e6, "1",
         "SG-SNN fast-sigmoid slope k"),
    REAL("sgsnn.lr", sgsnn.lr, 1e-3, 1e-12, 10, "1", "SG-SNN Adam learning rate (published 5e-4)"),
    INT("sgsnn.batch", sgsnn.batch, 128, 1, 1 << 20, "images", "SG-SNN minibatch size"),
    INT("sgsnn.epochs", sgsnn.epochs, 10, 1, 1 << 20, "epochs", "SG-SNN training epochs"),
    ENUM("sgsnn.sleep_mode", sgsnn.sleep_mode, SM_SG_SLEEP_PUBLISHED,
         "none|published|epoch|triggered",
         "SG-SNN sleep: a pass every floor(1/sleep.rate) minibatches, per-epoch phase with "
         "probability sleep.rate, or triggered by sum|W|"),
    INT("sgsnn.sleep_steps", sgsnn.sleep_steps, 100, 1, 1 << 20, "steps",
        "SG-SNN steps of one sleep pass"),
    INT("sgsnn.max_iters", sgsnn.max_iters, 500, 1, 1 << 24, "passes",
        "SG-SNN longest sleep phase (epoch and triggered modes)"),
    REAL("sgsnn.noise_sd", sgsnn.noise_sd, 3.0, 0, 1e6, "1", "SG-SNN sleep membrane noise sd"),
    REAL("sgsnn.a_plus", sgsnn.a_plus, 0.01, 0, 1e6, "1", "SG-SNN sleep STDP A+"),
    REAL("sgsnn.a_minus", sgsnn.a_minus, 0.012, 0, 1e6, "1", "SG-SNN sleep STDP A-"),
    REAL("sgsnn.tau", sgsnn.tau, 20, 1e-3, 1e6, "steps", "SG-SNN sleep STDP trace time constant"),
    REAL("sgsnn.stdp_lr", sgsnn.stdp_lr, 1e-3, 0, 1e6, "1", "SG-SNN sleep STDP learning rate"),
    REAL("sgsnn.target", sgsnn.target, 0.2, 1e-9, 1e6, "1", "SG-SNN power-law map target"),
    REAL("sgsnn.lambda", sgsnn.lambda, 0.999, 0, 1, "1", "SG-SNN power-law map exponent"),
    REAL("sgsnn.trigger", sgsnn.trigger, 1.1, 0, 1e6, "1",
         "SG-SNN triggered sleep starts above this x initial sum|W|"),
    REAL("sgsnn.stop", sgsnn.stop, 1.0, 0, 1e6, "1",
         "SG-SNN sleep phase ends at or below this x initial sum|W| (0 = never early)"),
    STR("sgsnn.hidden", sgsnn.hidden, "",
        "SG-SNN hidden layer sizes, comma-separated (e.g. 300,100; 1 to 7 layers); empty = "
        "one layer of sgsnn.n_hidden"),
    ENUM("sparse.method", sparse.method, 0, "dense|static|gmp|granet|set|rigl",
         "SG-SNN sparse training: dense, static mask at final_density, gradual magnitude "
         "pruning, GraNet (gmp + prune-and-regrow), SET (granet, random regrowth), RigL (fixed "
         "density, prune-and-regrow)"),
    ENUM("sparse.scope", sparse.scope, 0, "global|layer",
         "SG-SNN pruning over all weight matrices at once or per layer"),
    ENUM("sparse.init", sparse.init, 0, "erk|uniform",
         "SG-SNN initial mask when its density is below 1: ERK or the same density per layer"),
    REAL("sparse.init_density", sparse.init_density, 1.0, 1e-9, 1, "1",
         "SG-SNN density D_i at the start of pruning (gmp, granet, set)"),
    REAL("sparse.final_density", sparse.final_density, 0.05, 1e-9, 1, "1",
         "SG-SNN final density D_f (static and rigl: the density throughout)"),
    INT("sparse.start_epoch", sparse.start_epoch, 0, 0, 1 << 20, "epochs",
        "SG-SNN first pruning epoch t0 (in epochs)"),
    INT("sparse.end_epoch", sparse.end_epoch, -1, -1, 1 << 20, "epochs",
        "SG-SNN last pruning epoch t_end (-1 = sgsnn.epochs / 2)"),
    INT("sparse.interval", sparse.interval, 100, 1, 1 << 30, "iterations",
        "SG-SNN minibatch steps between mask updates (dT)"),
    ENUM("sparse.regrow", sparse.regrow, 0, "gradient|momentum|random",
         "SG-SNN regrowth score: |dL/dW| of the last minibatch, |Adam m/(sqrt v + 1e-8)|, or "
         "exactly k at random"),
    REAL("sparse.regrow_rate", sparse.regrow_rate, 0.5, 0, 1, "1",
         "SG-SNN regrowth fraction r_0 (cosine decay to regrow_rate_min)"),
    REAL("sparse.regrow_rate_min", sparse.regrow_rate_min, 0.005, 0, 1, "1",
         "SG-SNN final regrowth fraction r_min"),
    REAL("sparse.last_layer_density", sparse.last_layer_density, 0, 0, 1, "1",
         "SG-SNN layer scope: output-layer density floor once sparsity >= 0.8 (0 = off; "
         "GraNet code: 0.2)"),

    /* experiment sleep-stdp-table (src/protocol/experiments/sleep_stdp_table.c) */
    STR("table.datasets", table.datasets, "mnist,fashion",
        "sleep-stdp-table: datasets (comma-separated; ';' when a name has commas)"),
    STR("table.sleep_rates", table.sleep_rates, "0,0.1,0.2,0.3,1",
        "sleep-stdp-table: sleep.rate values (comma-separated, or a:b:step)"),
    STR("table.ip_conditions", table.ip_conditions,
        "none,rate5,rate10,rate20,rate10_slow,triesch10,textbook_none,textbook_rate10,frozen",
        "ip-sleep: conditions run (comma-separated; spec intrinsic.md I1)"),
    INT("table.seeds", table.seeds, 5, 1, 1000, "seeds",
        "sleep-stdp-table: seeds per cell, run.seed upwards"),
    STR("table.sparse_methods", table.sparse_methods, "frozen,dense,static,gmp,granet,set",
        "sparse-sgsnn: methods run (frozen = untrained control: sgsnn.lr 1e-12, 1 epoch)"),
    STR("table.sparse_densities", table.sparse_densities, "0.1,0.05,0.02",
        "sparse-sgsnn: final densities D_f run (comma-separated)"),
    STR("table.sparse_scopes", table.sparse_scopes, "global,layer",
        "sparse-sgsnn: pruning scopes run (fashion: global only, spec S1)"),
    STR("table.sparse_fashion", table.sparse_fashion,
        "input.width=28;input.height=28;data.n_train=60000;data.n_test=10000;"
        "data.official_test=true;sgsnn.epochs=10;sparse.interval=100",
        "sparse-sgsnn: ';'-separated name=value settings of the fashion cells (spec S1)"),

    /* theta-gated Helmholtz machine (George et al. 2023; spec theta-helmholtz.md) */
    ENUM("theta.task", theta.task, 0, "latents|pathint",
         "theta: task A (temporally varying latents) or B (path integration on a ring)"),
    REAL("theta.dt", theta.dt, 0.025, 1e-4, 1, "s", "theta: time step"),
    REAL("theta.train_min", theta.train_min, 30, 0, 1e6, "min", "theta: training time"),
    REAL("theta.freq", theta.freq, 5, 0.01, 1000, "Hz", "theta: gate frequency"),
    REAL("theta.duty", theta.duty, 0.5, 0.01, 0.99, "1",
         "theta: fraction of each cycle in generative mode (apical drives the soma)"),
    ENUM("theta.gate", theta.gate, 0, "square|sine", "theta: gate shape"),
    ENUM("theta.schedule", theta.schedule, 0, "theta|block",
         "theta: alternate every theta cycle, or in blocks of theta.block_s (inference, then "
         "generative: the sleep paper's wake / offline schedule)"),
    REAL("theta.block_s", theta.block_s, 60, 0.001, 1e6, "s",
         "theta: block length of schedule=block (same time in each mode)"),
    REAL("theta.phase_offset", theta.phase_offset, 0, 0, 1, "cycles", "theta: gate phase offset"),
    REAL("theta.tau_pi", theta.tau_pi, 0.1, 1e-4, 1e3, "s",
         "theta: plasticity-induction low-pass time constant tau_P"),
    REAL("theta.loss_tau", theta.loss_tau, 60, 1e-3, 1e6, "s",
         "theta: time constant of the prediction-error average"),
    REAL("theta.eta", theta.eta, 0.001, 0, 10, "1",
         "theta: learning rate of every plastic block (task B: 0.01)"),
    REAL("theta.l2_rec", theta.l2_rec, 0.005, 0, 100, "1",
         "theta: L2 decay of the hidden layer's recurrent apical weights (task A)"),
    INT("theta.n_latent", theta.n_latent, 5, 1, 4096, "1", "theta: latents N_z (task A)"),
    REAL("theta.tau_latent", theta.tau_latent, 1.0, 0.01, 1e3, "s",
         "theta: latent autocorrelation time tau_z (squared exponential)"),
    ENUM("theta.latent_sampler", theta.latent_sampler, 0, "convolution|conditional",
         "theta: latents as white noise convolved with a Gaussian kernel, or the reference's "
         "GP sampler conditioned on the last 3 tau_latent (starts from zeros)"),
    INT("theta.n_feature", theta.n_feature, 50, 1, 1 << 20, "1",
        "theta: sensory features = sensory units (task A)"),
    REAL("theta.noise_sd", theta.noise_sd, 0.01, 0, 100, "1",
         "theta: stationary sd of the compartments' OU noise"),
    REAL("theta.noise_sd_hidden_apical", theta.noise_sd_hidden_apical, 0.05, 0, 100, "1",
         "theta: noise sd of the hidden layer's apical compartment (task A)"),
    REAL("theta.noise_tau", theta.noise_tau, 0.3, 1e-3, 1e3, "s", "theta: noise correlation time"),
    REAL("theta.w_init_rec", theta.w_init_rec, 0.1, 0, 100, "1",
         "theta: initial scale of the hidden apical weights (task B: 0.2)"),
    INT("theta.n_place", theta.n_place, 100, 2, 1 << 20, "1",
        "theta: place cells = sensory = hidden units (task B)"),
    REAL("theta.place_width", theta.place_width, 0.06, 1e-4, 100, "m", "theta: place-field sd"),
    REAL("theta.track_len", theta.track_len, 1.0, 1e-3, 1e4, "m", "theta: ring track length"),
    REAL("theta.speed_mean", theta.speed_mean, 0, -100, 100, "m/s", "theta: agent mean velocity"),
    REAL("theta.speed_sd", theta.speed_sd, 0.5, 1e-6, 100, "m/s",
         "theta: agent velocity sd (also the velocity cells' scale)"),
    REAL("theta.speed_tau", theta.speed_tau, 0.7, 1e-3, 1e3, "s",
         "theta: agent velocity correlation time"),
    REAL("theta.cvc_threshold", theta.cvc_threshold, 1.0, -100, 100, "1",
         "theta: threshold of the conjunctive velocity cells relu(x - c)"),
    REAL("theta.pi_spinup_s", theta.pi_spinup_s, 10, 0, 1e5, "s",
         "theta: normal-theta spin-up before a path-integration test"),
    REAL("theta.pi_test_s", theta.pi_test_s, 20, 0.05, 1e5, "s",
         "theta: generative-mode (sensory input lesioned) test length"),
    INT("theta.pi_repeats", theta.pi_repeats, 1, 1, 100000, "1",
        "theta: path-integration test repeats (remap: 50)"),
    INT("theta.seeds", theta.seeds, 5, 1, 1000, "1",
        "theta: seeds run by the theta experiments (run.seed, run.seed + 1, ...)"),
    REAL("theta.remap_infer_min", theta.remap_infer_min, 10, 0.01, 1e5, "min",
         "theta-remap: inference-mode run without learning after the remap, to refit the "
         "decoder"),
    REAL("theta.remap_speed_mean", theta.remap_speed_mean, 0.2, -100, 100, "m/s",
         "theta-remap: agent mean velocity while retraining after the remap"),
    ENUM("theta.decoder", theta.decoder, 0, "ridge|argmax",
         "theta: position decoder from the sensory rates (task B): ridge regression to "
         "(cos, sin) of the position (alpha 0.01), or the preferred position of the most active "
         "unit (100 bins)"),
    /* Dis-inhibitory control of the plasticity sign (Rossbroich & Zenke 2023;
     * spec/disinhibition.md): the rate E/I network, its controller and the teacher task. */
    STR("disinh.n_hidden", disinh.n_hidden, "256",
        "hidden layer sizes of the E/I rate network, e.g. 256 or 256,256,256 (at most 8)"),
    REAL("disinh.tau_e", disinh.tau_e, 0.02, 1e-5, 100, "s", "E (and readout) time constant"),
    REAL("disinh.tau_i", disinh.tau_i, 0.005, 1e-5, 100, "s", "I interneuron time constant"),
    REAL("disinh.act_e.scale", disinh.act_e_scale, 1, 1e-6, 1e6, "1", "E soft ReLU scale s"),
    REAL("disinh.act_e.sharpness", disinh.act_e_sharpness, 1, 1e-6, 1e6, "1",
         "E soft ReLU sharpness k"),
    REAL("disinh.act_e.shift", disinh.act_e_shift, 0, -1e6, 1e6, "1", "E soft ReLU shift h"),
    REAL("disinh.act_i.scale", disinh.act_i_scale, 1, 1e-6, 1e6, "1", "I soft ReLU scale s"),
    REAL("disinh.act_i.sharpness", disinh.act_i_sharpness, 1, 1e-6, 1e6, "1",
         "I soft ReLU sharpness k"),
    REAL("disinh.act_i.shift", disinh.act_i_shift, 0, -1e6, 1e6, "1", "I soft ReLU shift h"),
    ENUM("disinh.rule", disinh.rule, 0, "exact|lin_thresh|lin_fixed|bp|as_published",
         "plasticity rule: exact inverse, linear threshold (running r0), fixed (theta, delta), "
         "the BP baseline, or the teacher notebook's variants (teacher task only)"),
    REAL("disinh.lin_theta", disinh.lin_theta, 1.5, -1e6, 1e6, "1", "lin_fixed threshold theta"),
    REAL("disinh.lin_delta", disinh.lin_delta, 1.5, -1e6, 1e6, "1", "lin_fixed slope delta"),
    REAL("disinh.avg_inh_mix", disinh.avg_inh_mix, 1.0, 0, 1, "1",
         "lin_thresh: mixing factor of the running mean of open-loop r_I (1 = last minibatch)"),
    REAL("disinh.avg_inh_init", disinh.avg_inh_init, 0.8, 1e-6, 1e6, "1",
         "lin_thresh: initial running mean of r_I"),
    ENUM("disinh.q", disinh.q, 0, "jacobian|jacobian_mean|learned",
         "feedback weights Q: per-sample Jacobian, or its minibatch mean; learned (tau_Q dQ/dt "
         "= -Q + J) exists only in the teacher task, where Q is always learned (refused by "
         "`train --model disinh`)"),
    REAL("disinh.q_norm", disinh.q_norm, 1.0, 0, 1e6, "1",
         "Frobenius norm each Q is scaled to (0 = unnormalized)"),
    REAL("disinh.q_clip", disinh.q_clip, 0, 0, 1e6, "1", "clip Q entries to +-q_clip (0 = off)"),
    ENUM("disinh.solver", disinh.solver, 0, "fixed_point|euler",
         "steady-state solver: Newton fixed point, or the reference Euler integrator"),
    REAL("disinh.dt", disinh.dt, 0.00025, 1e-7, 0.1, "s", "Euler step of the reference integrator"),
    REAL("disinh.t_max", disinh.t_max, 2.0, 1e-4, 1e4, "s", "Euler: longest integration"),
    REAL("disinh.tol", disinh.tol, 1e-6, 1e-15, 1, "1", "Euler: stop when max |du/dt| * tau < tol"),
    ENUM("disinh.loss", disinh.loss, 0, "cross_entropy|mse",
         "output error e = y* - softmax(y) (cross entropy) or y* - y (mse)"),
    REAL("disinh.soft_target", disinh.soft_target, 0.99, 0.1, 1, "1",
         "target of the true class (others share the rest)"),
    REAL("disinh.lr", disinh.lr, 1e-3, 1e-12, 10, "1", "learning rate (Adam or SGD)"),
    ENUM("disinh.optimizer", disinh.optimizer, 0, "adam|sgd", "weight update optimizer"),
    BOOL("disinh.freeze_hidden", disinh.freeze_hidden, 0,
         "control: hidden weights and biases stay at their random start, only the readout "
         "learns (same circuit, same rule for the readout)"),
    INT("disinh.batch", disinh.batch, 100, 1, 1 << 20, "images", "minibatch size"),
    INT("disinh.epochs", disinh.epochs, 50, 1, 1 << 20, "epochs", "training epochs"),
    REAL("ctrl.k_p", ctrl.k_p, 0.2, 0, 1e6, "1", "controller proportional gain"),
    REAL("ctrl.k_i", ctrl.k_i, 0.4, 0, 1e6, "1", "controller integral gain"),
    REAL("ctrl.leak", ctrl.leak, 1.0, 1e-6, 1e6, "1", "controller integrator leak lambda"),
    REAL("ctrl.tau", ctrl.tau, 0.1, 1e-5, 100, "s", "controller integrator time constant"),
    BOOL("ctrl.to_readout", ctrl.to_readout, 1, "the control signal also drives the readout"),
    INT("teacher.n_in", teacher.n_in, 30, 1, 100000, "1", "teacher task: inputs (sinusoids)"),
    INT("teacher.n_hidden", teacher.n_hidden, 20, 1, 100000, "neurons",
        "teacher task: hidden E/I pairs"),
    INT("teacher.n_out", teacher.n_out, 2, 1, 100000, "neurons", "teacher task: output E/I pairs"),
    REAL("teacher.epoch_s", teacher.epoch_s, 5, 1e-3, 1e5, "s", "teacher task: epoch length"),
    INT("teacher.burn_in", teacher.burn_in, 4, 0, 100000, "epochs",
        "teacher task: epochs learning only Q (no control, no weight change)"),
    INT("teacher.epochs", teacher.epochs, 60, 1, 100000, "epochs", "teacher task: training epochs"),
    REAL("teacher.tau_w", teacher.tau_w, 60, 1e-6, 1e9, "s", "teacher task: weight time constant"),
    REAL("teacher.tau_q", teacher.tau_q, 30, 1e-6, 1e9, "s",
         "teacher task: feedback weight time constant"),
    REAL("teacher.w_scale", teacher.w_scale, 2.0, 0, 1e3, "1",
         "teacher task: init sd = w_scale / sqrt(fan_in) (biases: / sqrt(layer size))"),
    REAL("teacher.r0", teacher.r0, 0.5, 1e-6, 1e6, "1",
         "teacher task: expansion point of the linear-threshold rule"),
    REAL("teacher.dt", teacher.dt, 0.0005, 1e-6, 0.01, "s", "teacher task: Euler step"),
    REAL("teacher.q_norm", teacher.q_norm, 7.5, 0, 1e6, "1",
         "teacher task: Frobenius norm of each Q target"),
    INT("teacher.seeds", teacher.seeds, 5, 1, 1000, "1",
        "teacher task: seeds run (run.seed, run.seed + 1, ...)"),
    STR("teacher.draw", teacher.draw, "",
        "teacher task: file with the inputs, teacher and student weights (\"\" = draw them from "
        "the seed; scripts/disinh-reference-draw.py writes the authors' draw)"),
    /* federated many-to-one Hopfield memory (spec federated-hopfield.md) */
    INT("hopfield.N", hopfield.N, 400, 2, 1 << 16, "units", "units per pattern"),
    INT("hopfield.K", hopfield.K, 3, 1, 4096, "patterns", "archetypes"),
    INT("hopfield.L", hopfield.L, 3, 1, 1024, "clients", "clients"),
    INT("hopfield.T", hopfield.T, 12, 1, 4096, "rounds", "communication rounds"),
    INT("hopfield.M", hopfield.M, 400, 1, 1 << 24, "examples", "examples per client and round"),
    INT("hopfield.seeds", hopfield.seeds, 1, 1, 100000, "runs",
        "independent runs (seeds run.seed, run.seed+1, ...)"),
    STR("hopfield.r", hopfield.r, "0.8",
        "example quality r in [0,1]: one value or one per client (comma list)"),
    STR("hopfield.attackers", hopfield.attackers, "",
        "client indices (comma list, from 0) whose examples are pure noise (r = 0)"),
    ENUM("hopfield.mixture", hopfield.mixture, SM_HF_BALANCED, "balanced|random",
         "archetype of each example: equal counts per visible archetype, or drawn"),
    INT("hopfield.k_per_client", hopfield.k_per_client, 0, 0, 4096, "patterns",
        "archetypes each client sees (0 = ceil(K/L))"),
    STR("hopfield.schedule", hopfield.schedule, "uniform",
        "archetypes per round: uniform, novelty:T0,RAMP,KNEW[,AMAX] (the last KNEW "
        "archetypes appear at round T0, their share ramping to AMAX, default 0.5, over RAMP "
        "rounds), or sequential[:B] (drift: all examples of round t from archetype "
        "(t / B) mod K, B default max(1, T / K))"),
    ENUM("hopfield.controller", hopfield.controller, SM_HF_FIXED, "fixed|entropy|agreement",
         "client blend weight w_c: fixed hopfield.w, or set by a controller"),
    REAL("hopfield.w", hopfield.w, 0.4, 0, 1, "1", "fixed blend weight of local evidence"),
    REAL("hopfield.ema_alpha", hopfield.ema_alpha, 0.5, 0, 1, "1",
         "controller smoothing: w = alpha w_raw + (1 - alpha) w_prev"),
    REAL("hopfield.r_ref", hopfield.r_ref, 0, 0, 1, "1",
         "controllers' reference quality (0 = the highest configured r)"),
    ENUM("hopfield.aggregate", hopfield.aggregate, SM_HF_AGG_EQUAL, "equal|samples",
         "server average of client operators: equal weights or by examples (every client has "
         "hopfield.M examples a round, so the two give the same operator)"),
    STR("hopfield.upload", hopfield.upload, "full",
        "client upload: full N x N operator, or eig:R (top R eigenpairs)"),
    REAL("hopfield.sharpen_eps", hopfield.sharpen_eps, 0.01, 0, 10, "1",
         "sharpening step eps (e_k = eps / (1 + eps k))"),
    INT("hopfield.sharpen_iters", hopfield.sharpen_iters, 200, 0, 1 << 24, "steps",
        "sharpening steps"),
    ENUM("hopfield.cut", hopfield.cut, SM_HF_CUT_FIXED, "fixed|mp|shuffle",
         "spectral cut: fixed tau, Marchenko-Pastur edge, or shuffle null"),
    REAL("hopfield.tau", hopfield.tau, 0.5, -BIG, BIG, "1",
         "fixed cut threshold on the sharpened spectrum"),
    REAL("hopfield.mp_delta", hopfield.mp_delta, 0.02, 0, 10, "1", "margin above the MP edge"),
    INT("hopfield.shuffle_n", hopfield.shuffle_n, 32, 1, 100000, "matrices",
        "shuffled matrices of the shuffle cut"),
    REAL("hopfield.shuffle_alpha", hopfield.shuffle_alpha, 0.01, 0, 1, "1",
         "shuffle cut: 1 - quantile of the null top eigenvalue"),
    INT("hopfield.layers", hopfield.layers, 0, 0, 1024, "layers", "TAM layers P (0 = L)"),
    REAL("hopfield.tam_beta", hopfield.tam_beta, 2.5, 1e-6, 1e6, "1", "TAM inverse temperature"),
    REAL("hopfield.tam_lambda", hopfield.tam_lambda, 0.2, -1e6, 1e6, "1",
         "TAM inter-layer coupling"),
    REAL("hopfield.tam_h", hopfield.tam_h, 0.1, -1e6, 1e6, "1", "TAM input field h_in"),
    INT("hopfield.tam_updates", hopfield.tam_updates, 50, 0, 1 << 20, "steps",
        "TAM parallel updates"),
    REAL("hopfield.tam_noise_scale", hopfield.tam_noise_scale, 0.3, 0, 1e6, "1",
         "TAM noise scale at the first update (0 = deterministic)"),
    REAL("hopfield.tam_min_scale", hopfield.tam_min_scale, 0.02, 0, 1e6, "1",
         "TAM noise scale at the last update (linear annealing)"),
    ENUM("hopfield.tam_field", hopfield.tam_field, SM_HF_FIELD_SELF, "self|clamp",
         "TAM input term: current state (code) or initial mixture (paper)"),
    REAL("hopfield.rho", hopfield.rho, 0.6, -BIG, BIG, "1", "acceptance: minimum (1/N) s J_KS s"),
    REAL("hopfield.qthr", hopfield.qthr, 0.4, 0, 1, "1",
         "acceptance: drop a state overlapping an earlier one above this"),
    ENUM("hopfield.accept_order", hopfield.accept_order, SM_HF_SCORE_FIRST,
         "score_first|dedupe_first|score_rank",
         "acceptance order: code (score, dedupe), paper (dedupe, score), or ours (score, "
         "dedupe best-scoring first)"),
    INT("hopfield.max_attempts", hopfield.max_attempts, 10, 0, 1000, "attempts",
        "extra TAM runs while fewer states than wanted survive"),
    BOOL("hopfield.oracle_k", hopfield.oracle_k, 0,
         "use the true K for retries and kept patterns (as the reference code)"),
    REAL("hopfield.recall_m0", hopfield.recall_m0, 0.3, 0, 1, "1", "recall test cue overlap"),
    REAL("hopfield.recall_beta", hopfield.recall_beta, 3, 0, 1e6, "1",
         "recall test inverse temperature"),
    INT("hopfield.recall_updates", hopfield.recall_updates, 30, 0, 1 << 20, "steps",
        "recall test parallel updates"),
    INT("hopfield.recall_reps", hopfield.recall_reps, 32, 0, 1 << 20, "cues",
        "recall test cues per archetype (0 = no recall test)"),
    ENUM("hopfield.channel", hopfield.channel, SM_HF_FLIP, "flip|mask",
         "example channel: independent flips, or erasure mask (BBP preset)"),
    INT("hopfield.bbp_trials", hopfield.bbp_trials, 50, 1, 1 << 20, "trials",
        "trials per grid point of hopfield-bbp"),
    /* Poisson-Gamma mixture with intrinsic plasticity (Monk, Savin & Luecke 2016; spec
     * intrinsic.md part A) and its Poisson-mixture baseline (ppg.shape = off/poisson). */
    INT("ppg.units", ppg.units, 0, 0, 1 << 20, "units",
        "output units C (0 = number of selected classes)"),
    REAL("ppg.a", ppg.a, 1, 1e-9, 1e9, "1", "A: every unit's weights sum to A"),
    REAL("ppg.gain", ppg.gain, 0, 0, 1e9, "counts",
         "count scale of y ~ Poisson(z gain x) (0 = auto: mean Y = 100 at z = 1)"),
    REAL("ppg.eps_w", ppg.eps_w, 0.02, 0, 1, "1", "synaptic learning rate eps_W"),
    REAL("ppg.eps_i", ppg.eps_i, 0.01, 0, 1, "1", "intrinsic learning rate eps_I"),
    ENUM("ppg.shape", ppg.shape, 0, "moments|fixed|off|poisson",
         "intensity model: alpha by moment matching, alpha = alpha0, off (g = 0: PM) or poisson "
         "(alpha -> infinity: PM on raw counts)"),
    REAL("ppg.alpha0", ppg.alpha0, 10, 1e-3, 1e6, "1", "Gamma shape of ppg.shape = fixed"),
    ENUM("ppg.competition", ppg.competition, 0, "softmax|wta|sample",
         "lateral competition: soft WTA (posterior), hard argmax, or one sampled winner"),
    ENUM("ppg.counts", ppg.counts, 0, "poisson|encoder",
         "input counts: Poisson(z gain x), or the input encoder's spike counts over "
         "input.steps_per_image steps"),
    INT("ppg.epochs", ppg.epochs, 5, 1, 1 << 20, "epochs", "passes over the training images"),
    REAL("ppg.last_epoch_eps", ppg.last_epoch_eps, 0.1, 0, 1, "1",
         "factor on eps_W and eps_I in the last epoch (1 = off)"),
    INT("ppg.fixed_epochs", ppg.fixed_epochs, 0, 0, 1 << 20, "epochs",
        "shape moments: the first epochs run with alpha = alpha0 (the one-parameter IP) before "
        "moment matching starts (ours; 0 = the spec)"),
    /* SAFE (spec continual.md section 5; src/models/safe*.c, src/protocol/continual_safe.c) */
    STR("safe.ptm", safe.ptm, "auto",
        "SAFE's frozen extractor: auto (an SG-SNN pretrained on the other dataset: fashion for "
        "MNIST streams, mnist for Fashion ones), pretrain:DATASET, session1 (pretrained on the "
        "stream's first task only), checkpoint:DIR (w1.npy, b1.npy of an SG-SNN's --export "
        "DIR), or random (a fixed random layer: control)"),
    INT("safe.ptm_epochs", safe.ptm_epochs, 10, 1, 1000, "epochs",
        "SAFE: SG-SNN epochs of the pretraining (sgsnn.* otherwise)"),
    INT("safe.ptm_images", safe.ptm_images, 0, 0, 1 << 24, "images",
        "SAFE: pretraining images (0 = the whole training pool of the pretraining dataset)"),
    ENUM("safe.pet", safe.pet, 0, "ssf|lora",
         "SAFE's parameter-efficient tuning: ssf (scale and shift per hidden neuron) or lora "
         "(input weights W1 + B A of rank safe.lora_rank, B = 0 at the start)"),
    ENUM("safe.corr_norm", safe.corr_norm, 0, "batch|sample",
         "slow learner's correlation loss: columns standardised over the minibatch (sums "
         "divided by d and d(d-1)), or rows over their L2 norm as released"),
    REAL("safe.lambda_diag", safe.lambda_diag, 1, 0, 1e6, "1", "slow learner: weight of L_diag"),
    REAL("safe.lambda_rdn", safe.lambda_rdn, 1, 0, 1e6, "1", "slow learner: weight of L_rdn"),
    REAL("safe.lambda_cos", safe.lambda_cos, 0.5, 0, 1e6, "1",
         "fast learner: weight of the alignment sum_b (1 - cos(phi_F, phi_S))"),
    REAL("safe.lambda_cc", safe.lambda_cc, 1, 0, 1e6, "1",
         "fast learner: weight of the cross-classification loss"),
    REAL("safe.gamma", safe.gamma, 10, 0, 1e6, "1",
         "aggregation: [w_S, w_F] = softmax(-gamma [H_S, H_F]) (0 = plain mean)"),
    STR("safe.gamma_grid", safe.gamma_grid, "1,10,100",
        "aggregation gammas whose validation accuracy a run reports (comma list; the "
        "continual-safe experiment chooses among them on validation images)"),
    STR("safe.lambda_grid", safe.lambda_grid, "0.1,1,10",
        "continual-safe: values of lambda_diag and of lambda_rdn tried (their grid, scored on "
        "validation images only)"),
    INT("safe.epochs_first", safe.epochs_first, 10, 1, 100000, "epochs",
        "SAFE: epochs of the slow learner in session 1"),
    INT("safe.epochs_later", safe.epochs_later, 5, 0, 100000, "epochs",
        "SAFE: epochs of the fast learner in each later session"),
    INT("safe.batch", safe.batch, 48, 2, 1 << 20, "images", "SAFE: minibatch size"),
    BOOL("safe.score_test", safe.score_test, 1,
         "SAFE: score the test images after each session (off: a tuning run, validation only)"),
    BOOL("safe.tune", safe.tune, 1,
         "continual-safe: choose (lambda_diag, lambda_rdn) and gamma on validation runs first "
         "(off: the configured values)"),
    REAL("safe.lr", safe.lr, 0.01, 1e-9, 100, "1",
         "SAFE: SGD learning rate, cosine schedule to 0 over each session's epochs"),
    REAL("safe.momentum", safe.momentum, 0.9, 0, 0.999999, "1", "SAFE: SGD momentum"),
    REAL("safe.weight_decay", safe.weight_decay, 5e-4, 0, 1, "1", "SAFE: SGD weight decay"),
    INT("safe.tune_seeds", safe.tune_seeds, 0, 0, 1000, "seeds",
        "continual-safe: seeds whose validation runs choose the setting (0 = all cl.seeds; "
        "fewer saves time, the choice is still validation-only)"),
    BOOL("safe.ablations", safe.ablations, 1,
         "continual-safe: also run SAFE without L_cc, without L_cos and without the transfer "
         "loss (slow-only, fast-only and PTM + ridge come from every SAFE run)"),
    STR("safe.streams", safe.streams, "split-mnist,split-fashion",
        "continual-safe: streams run (split-mnist: extractor from Fashion-MNIST, C5; "
        "split-fashion: extractor from MNIST, C6), or one split:... stream on data.dataset"),
    INT("safe.lora_rank", safe.lora_rank, 8, 1, 1 << 20, "1",
        "SAFE with safe.pet=lora: rank r of B A (at most the extractor's hidden size)"),
    INT("safe.rp_dim", safe.rp_dim, 0, 0, 20000, "features",
        "SAFE: random projection of every ridge head, h = relu(phi R) with R (hidden x M) "
        "Gaussian and fixed per learner (M = 10,000 as published; 0 = none, the ridge on phi; "
        "G is M x M doubles: 800 MB per learner at 10,000)"),
};

const sm_param_def *sm_param_table(size_t *count)
{
    *count = sizeof TABLE / sizeof TABLE[0];
    return TABLE;
}

const sm_param_def *sm_param_find(const char *name)
{
    for (size_t i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++)
        if (strcmp(TABLE[i].name, name) == 0) return &TABLE[i];
    return NULL;
}

static void *field(sm_config *cfg, const sm_param_def *d)
{
    return (char *)cfg + d->offset;
}

static void store(sm_config *cfg, const sm_param_def *d, double v)
{
    switch (d->type) {
    case SM_PT_REAL: *(double *)field(cfg, d) = v; break;
    case SM_PT_INT64: *(int64_t *)field(cfg, d) = (int64_t)v; break;
    default: *(int *)field(cfg, d) = (int)v; break;
    }
}

double sm_config_get(const sm_config *cfg, const sm_param_def *d)
{
    const void *p = (const char *)cfg + d->offset;
    switch (d->type) {
    case SM_PT_REAL: return *(const double *)p;
    case SM_PT_INT64: return (double)*(const int64_t *)p;
    case SM_PT_STRING: return 0;
    default: return *(const int *)p;
    }
}

void sm_config_default(sm_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++) {
        if (TABLE[i].type == SM_PT_STRING)
            snprintf(field(cfg, &TABLE[i]), SM_CONFIG_STR_MAX, "%s", TABLE[i].choices);
        else
            store(cfg, &TABLE[i], TABLE[i].def);
    }
}

/* Enum choice i of "a|b=4|c": its name span and value (position unless "=v"). */
static int enum_choice(const char *choices, int i, const char **name, size_t *len, int *value)
{
    const char *s = choices;
    for (int k = 0; k < i; k++) {
        s = strchr(s, '|');
        if (!s) return 0;
        s++;
    }
    size_t n = strcspn(s, "|");
    const char *eq = memchr(s, '=', n);
    *name = s;
    *len = eq ? (size_t)(eq - s) : n;
    *value = eq ? atoi(eq + 1) : i;
    return 1;
}

static const char *enum_name(const sm_param_def *d, int value, size_t *len)
{
    const char *name;
    int v;
    for (int i = 0; enum_choice(d->choices, i, &name, len, &v); i++)
        if (v == value) return name;
    *len = 1;
    return "?";
}

void sm_config_format(const sm_config *cfg, const sm_param_def *d, char *buf, size_t size)
{
    double v = sm_config_get(cfg, d);
    size_t len;
    const char *name;
    switch (d->type) {
    case SM_PT_BOOL: snprintf(buf, size, "%s", v != 0 ? "true" : "false"); break;
    case SM_PT_ENUM:
        name = enum_name(d, (int)v, &len);
        snprintf(buf, size, "%.*s", (int)len, name);
        break;
    case SM_PT_REAL: snprintf(buf, size, "%.17g", v); break;
    case SM_PT_STRING: snprintf(buf, size, "%s", (const char *)cfg + d->offset); break;
    case SM_PT_INT64: /* not through double: exact above 2^53 */
        snprintf(buf, size, "%lld", (long long)*(const int64_t *)((const char *)cfg + d->offset));
        break;
    default: snprintf(buf, size, "%lld", (long long)(int64_t)v); break;
    }
}

/* Levenshtein distance, to suggest a parameter name for a typo. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 99;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t sub = diag + (a[i - 1] != b[j - 1]);
            size_t best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[lb];
}

static const char *closest_name(const char *name)
{
    const char *best = NULL;
    size_t best_d = 4;
    for (size_t i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++) {
        size_t d = edit_distance(name, TABLE[i].name);
        if (d < best_d) {
            best_d = d;
            best = TABLE[i].name;
        }
    }
    return best;
}

static sm_status parse_enum(const sm_param_def *d, const char *text, double *out,
                            const char *origin, sm_error *err)
{
    const char *name;
    size_t len;
    int v;
    for (int i = 0; enum_choice(d->choices, i, &name, &len, &v); i++) {
        if (strlen(text) == len && strncmp(text, name, len) == 0) {
            *out = v;
            return SM_OK;
        }
    }
    return sm_error_set(err, SM_EINVAL, "%s: '%s': '%s' is not one of %s", origin, d->name, text,
                        d->choices);
}

static sm_status parse_bool(const sm_param_def *d, const char *text, double *out,
                            const char *origin, sm_error *err)
{
    if (!strcmp(text, "1") || !strcmp(text, "true") || !strcmp(text, "on") || !strcmp(text, "yes"))
        *out = 1;
    else if (!strcmp(text, "0") || !strcmp(text, "false") || !strcmp(text, "off") ||
             !strcmp(text, "no"))
        *out = 0;
    else
        return sm_error_set(err, SM_EINVAL, "%s: '%s': '%s' is not a boolean (true/false/1/0)",
                            origin, d->name, text);
    return SM_OK;
}

static sm_status parse_number(const sm_param_def *d, const char *text, double *out,
                              const char *origin, sm_error *err)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (end == text || *end != '\0' || *text == '\0')
        return sm_error_set(err, SM_EINVAL, "%s: '%s': '%s' is not a number", origin, d->name,
                            text);
    if (!isfinite(v) || errno == ERANGE)
        return sm_error_set(err, SM_EINVAL, "%s: '%s': '%s' is not a finite number", origin,
                            d->name, text);
    if (d->type != SM_PT_REAL && v != floor(v))
        return sm_error_set(err, SM_EINVAL, "%s: '%s': '%s' is not an integer", origin, d->name,
                            text);
    *out = v;
    return SM_OK;
}

static sm_status set_value(sm_config *cfg, const sm_param_def *d, const char *text,
                           const char *origin, sm_error *err)
{
    double v = 0;
    sm_status st;
    if (d->type == SM_PT_STRING) {
        if (strlen(text) >= SM_CONFIG_STR_MAX)
            return sm_error_set(err, SM_EINVAL, "%s: '%s': value longer than %d characters", origin,
                                d->name, SM_CONFIG_STR_MAX - 1);
        /* Empty only where the table's default is (e.g. hopfield.attackers: none), so that
         * a results file's config always loads back. */
        if (*text == '\0' && d->choices && *d->choices)
            return sm_error_set(err, SM_EINVAL, "%s: '%s': empty value", origin, d->name);
        /* Whole field rewritten so that equal values are equal bytes (memcmp-able). */
        memset(field(cfg, d), 0, SM_CONFIG_STR_MAX);
        memcpy(field(cfg, d), text, strlen(text));
        return SM_OK;
    }
    if (d->type == SM_PT_ENUM)
        st = parse_enum(d, text, &v, origin, err);
    else if (d->type == SM_PT_BOOL)
        st = parse_bool(d, text, &v, origin, err);
    else
        st = parse_number(d, text, &v, origin, err);
    if (st != SM_OK) return st;
    if (d->type != SM_PT_ENUM && d->type != SM_PT_BOOL && (v < d->min || v > d->max))
        return sm_error_set(err, SM_EINVAL, "%s: '%s': %s is out of range [%g, %g] %s", origin,
                            d->name, text, d->min, d->max, d->unit);
    if (d->type == SM_PT_INT64) {
        /* Integers above 2^53 do not survive a trip through double (seed 2^53 + 1 would
         * become 2^53, another run's seed): store the exact value once it has passed the
         * checks above. */
        char *end;
        errno = 0;
        long long exact = strtoll(text, &end, 10);
        while (isspace((unsigned char)*end))
            end++;
        if (errno == 0 && end != text && *end == '\0') {
            *(int64_t *)field(cfg, d) = (int64_t)exact;
            return SM_OK;
        }
    }
    store(cfg, d, v);
    return SM_OK;
}

sm_status sm_config_set(sm_config *cfg, const char *name, const char *value, const char *origin,
                        sm_error *err)
{
    const sm_param_def *d = sm_param_find(name);
    if (!d) {
        const char *near = closest_name(name);
        if (near)
            return sm_error_set(err, SM_EINVAL, "%s: unknown parameter '%s' (did you mean '%s'?)",
                                origin, name, near);
        return sm_error_set(err, SM_EINVAL,
                            "%s: unknown parameter '%s' (see `somnus config --list`)", origin,
                            name);
    }
    return set_value(cfg, d, value, origin, err);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

sm_status sm_config_set_assignment(sm_config *cfg, const char *assignment, const char *origin,
                                   sm_error *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq)
        return sm_error_set(err, SM_EINVAL, "%s: '%s' is not of the form group.name=value", origin,
                            assignment);
    char buf[512];
    if (strlen(assignment) >= sizeof buf)
        return sm_error_set(err, SM_EINVAL, "%s: assignment too long", origin);
    strcpy(buf, assignment);
    buf[eq - assignment] = '\0';
    return sm_config_set(cfg, trim(buf), trim(buf + (eq - assignment) + 1), origin, err);
}

/* JSON value -> text accepted by set_value. */
static sm_status json_scalar_text(json_t *v, char *buf, size_t size, const char *origin,
                                  const char *key, sm_error *err)
{
    if (json_is_string(v)) {
        if (strlen(json_string_value(v)) >= size)
            return sm_error_set(err, SM_EINVAL, "%s: '%s': value longer than %zu characters",
                                origin, key, size - 1);
        snprintf(buf, size, "%s", json_string_value(v));
    } else if (json_is_integer(v))
        snprintf(buf, size, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, size, "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, size, "%s", json_is_true(v) ? "true" : "false");
    else
        return sm_error_set(err, SM_EFORMAT, "%s: '%s': expected a number, string or boolean",
                            origin, key);
    return SM_OK;
}

static sm_status load_json_object(sm_config *cfg, json_t *obj, const char *prefix,
                                  const char *origin, sm_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        char name[256];
        snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", key);
        if (json_is_object(v)) {
            sm_status st = load_json_object(cfg, v, name, origin, err);
            if (st != SM_OK) return st;
            continue;
        }
        char text[SM_CONFIG_STR_MAX] = "";
        sm_status st = json_scalar_text(v, text, sizeof text, origin, name, err);
        if (st == SM_OK) st = sm_config_set(cfg, name, text, origin, err);
        if (st != SM_OK) return st;
    }
    return SM_OK;
}

sm_status sm_config_load_json_object(sm_config *cfg, json_t *obj, const char *origin, sm_error *err)
{
    if (!json_is_object(obj))
        return sm_error_set(err, SM_EFORMAT, "%s: parameters must be a JSON object", origin);
    return load_json_object(cfg, obj, "", origin, err);
}

static sm_status load_json(sm_config *cfg, const char *path, const char *text, size_t len,
                           sm_error *err)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return sm_error_set(err, SM_EFORMAT, "%s:%d:%d: invalid JSON: %s", path, je.line, je.column,
                            je.text);
    sm_status st;
    if (!json_is_object(root)) {
        st = sm_error_set(err, SM_EFORMAT, "%s: top level must be a JSON object", path);
    } else {
        /* A results file holds its configuration under "config". */
        json_t *inner = json_object_get(root, "config");
        st = load_json_object(cfg, json_is_object(inner) ? inner : root, "", path, err);
    }
    json_decref(root);
    return st;
}

static sm_status load_lines(sm_config *cfg, const char *path, char *text, sm_error *err)
{
    int lineno = 0;
    for (char *line = text; line;) {
        char *next = strchr(line, '\n');
        if (next) *next++ = '\0';
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *s = trim(line);
        if (*s) {
            char origin[600];
            snprintf(origin, sizeof origin, "%s:%d", path, lineno);
            sm_status st = sm_config_set_assignment(cfg, s, origin, err);
            if (st != SM_OK) return st;
        }
        line = next;
    }
    return SM_OK;
}

sm_status sm_config_load(sm_config *cfg, const char *path, sm_error *err)
{
    char *text;
    size_t len;
    sm_status st = sm_read_file(path, &text, &len, err);
    if (st != SM_OK) return st;
    if (memchr(text, '\0', len)) {
        free(text);
        return sm_error_set(err, SM_EFORMAT, "%s: binary data in a config file", path);
    }
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    st = (*p == '{') ? load_json(cfg, path, text, len, err) : load_lines(cfg, path, text, err);
    free(text);
    return st;
}

static sm_status validate_lif(const sm_lif_params *p, const char *pop, sm_error *err)
{
    if (p->v_min >= p->v_max)
        return sm_error_set(err, SM_EINVAL, "config: %s.v_min (%g) must be below %s.v_max (%g)",
                            pop, p->v_min, pop, p->v_max);
    if (p->theta_min > p->theta_max)
        return sm_error_set(err, SM_EINVAL,
                            "config: %s.theta_min (%g) must not exceed %s.theta_max (%g)", pop,
                            p->theta_min, pop, p->theta_max);
    return SM_OK;
}

/* disinh.n_hidden as sizes: 1..SM_DISINH_MAX_LAYERS comma-separated integers in
 * [1, 1e6]. Returns the number of layers, or 0 if the text is not such a list. */
int sm_config_parse_sizes(const char *text, int *sizes, int max)
{
    int n = 0;
    const char *s = text;
    for (;;) {
        while (*s == ' ')
            s++;
        if (!isdigit((unsigned char)*s) || n >= max) return 0;
        long v = 0;
        while (isdigit((unsigned char)*s)) {
            v = v * 10 + (*s++ - '0');
            if (v > 1000000) return 0;
        }
        if (v < 1) return 0;
        sizes[n++] = (int)v;
        while (*s == ' ')
            s++;
        if (*s == '\0') return n;
        if (*s++ != ',') return 0;
    }
}

static sm_status validate_disinh(const sm_config *cfg, sm_error *err)
{
    int sizes[SM_DISINH_MAX_LAYERS];
    if (!sm_config_parse_sizes(cfg->disinh.n_hidden, sizes, SM_DISINH_MAX_LAYERS))
        return sm_error_set(err, SM_EINVAL,
                            "config: disinh.n_hidden: '%s' is not a list of 1 to %d layer sizes "
                            "(integers in [1, 1000000], e.g. 256 or 256,256,256)",
                            cfg->disinh.n_hidden, SM_DISINH_MAX_LAYERS);
    const double tau_min =
        cfg->disinh.tau_i < cfg->disinh.tau_e ? cfg->disinh.tau_i : cfg->disinh.tau_e;
    if (cfg->disinh.dt >= tau_min)
        return sm_error_set(err, SM_EINVAL,
                            "config: disinh.dt (%g s) must be below disinh.tau_i and tau_e (%g s): "
                            "Euler update unstable",
                            cfg->disinh.dt, tau_min);
    if (cfg->teacher.dt >= tau_min)
        return sm_error_set(err, SM_EINVAL,
                            "config: teacher.dt (%g s) must be below disinh.tau_i and tau_e (%g "
                            "s): Euler update unstable",
                            cfg->teacher.dt, tau_min);
    if (cfg->teacher.dt >= cfg->teacher.epoch_s)
        return sm_error_set(err, SM_EINVAL,
                            "config: teacher.dt (%g s) must be below teacher.epoch_s (%g s)",
                            cfg->teacher.dt, cfg->teacher.epoch_s);
    return SM_OK;
}

/* sgsnn.hidden (a size list or empty) and the sparse.* keys that depend on each other. */
static sm_status validate_sparse(const sm_config *cfg, sm_error *err)
{
    int sizes[SM_CONFIG_SGSNN_MAX_HIDDEN];
    if (cfg->sgsnn.hidden[0] &&
        !sm_config_parse_sizes(cfg->sgsnn.hidden, sizes, SM_CONFIG_SGSNN_MAX_HIDDEN))
        return sm_error_set(err, SM_EINVAL,
                            "config: sgsnn.hidden: '%s' is not a list of 1 to %d layer sizes "
                            "(integers in [1, 1000000], e.g. 1000 or 300,100)",
                            cfg->sgsnn.hidden, SM_CONFIG_SGSNN_MAX_HIDDEN);
    const int end = cfg->sparse.end_epoch < 0 ? cfg->sgsnn.epochs / 2 : cfg->sparse.end_epoch;
    if (cfg->sparse.method != 0 && (cfg->sparse.start_epoch > end || end > cfg->sgsnn.epochs))
        return sm_error_set(err, SM_EINVAL,
                            "config: sparse.start_epoch (%d) and sparse.end_epoch (%d) must "
                            "satisfy start <= end <= sgsnn.epochs (%d)",
                            cfg->sparse.start_epoch, end, cfg->sgsnn.epochs);
    if (cfg->sparse.method >= 2 && cfg->sparse.method <= 4 &&
        cfg->sparse.final_density > cfg->sparse.init_density)
        return sm_error_set(err, SM_EINVAL,
                            "config: sparse.final_density (%g) is above sparse.init_density (%g): "
                            "pruning only removes weights",
                            cfg->sparse.final_density, cfg->sparse.init_density);
    return SM_OK;
}

/* data.intensity_means: positive numbers separated by commas. */
static sm_status validate_intensity_means(const char *text, sm_error *err)
{
    const char *s = text;
    for (;;) {
        char *end;
        errno = 0;
        const double v = strtod(s, &end);
        if (end == s || errno || !isfinite(v) || !(v > 0))
            return sm_error_set(err, SM_EINVAL,
                                "config: data.intensity_means: '%s' is not a list of positive "
                                "numbers such as 0.5,1,1.5,2",
                                text);
        s = end;
        while (isspace((unsigned char)*s))
            s++;
        if (*s == '\0') return SM_OK;
        if (*s++ != ',')
            return sm_error_set(err, SM_EINVAL,
                                "config: data.intensity_means: '%s' is not a comma-separated list",
                                text);
    }
}

/* struct.pathways as a bit mask over enum sm_pathway. */
sm_status sm_config_struct_pathways(const sm_config *cfg, unsigned *mask, sm_error *err)
{
    static const char *const names[SM_N_PATHS] = {"se", "ee", "ei", "ie"};
    *mask = 0;
    const char *p = cfg->structural.pathways;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int found = -1;
        for (int k = 0; k < SM_N_PATHS; k++)
            if (strlen(names[k]) == len && strncmp(p, names[k], len) == 0) found = k;
        if (found < 0)
            return sm_error_set(err, SM_EINVAL,
                                "config: struct.pathways: '%.*s' is not a pathway (se, ee, ei, "
                                "ie, comma-separated)",
                                (int)len, p);
        if (*mask & (1u << found))
            return sm_error_set(err, SM_EINVAL, "config: struct.pathways lists '%s' twice",
                                names[found]);
        *mask |= 1u << found;
        p += len + (end ? 1 : 0);
    }
    if (!*mask) return sm_error_set(err, SM_EINVAL, "config: struct.pathways lists no pathway");
    return SM_OK;
}

/* Structural plasticity: pathways known and plastic, and the parts not implemented refused. */
static sm_status validate_struct(const sm_config *cfg, sm_error *err)
{
    if (cfg->structural.mode == SM_STRUCT_NONE) return SM_OK;
    unsigned mask;
    if (sm_config_struct_pathways(cfg, &mask, err) != SM_OK) return SM_EINVAL;
    static const char *const names[SM_N_PATHS] = {"se", "ee", "ei", "ie"};
    for (int k = 0; k < SM_N_PATHS; k++)
        if ((mask & (1u << k)) && !cfg->net.plastic[k])
            return sm_error_set(err, SM_EINVAL,
                                "config: struct.pathways lists '%s', which is not plastic "
                                "(net.plastic_%s = false)",
                                names[k], names[k]);
    if (cfg->structural.rate_min > cfg->structural.rate)
        return sm_error_set(err, SM_EINVAL,
                            "config: struct.rate_min (%g) must not exceed struct.rate (%g)",
                            cfg->structural.rate_min, cfg->structural.rate);
    if (cfg->stdp.rule == SM_STDP_TRACE && cfg->stdp.trace_update_freq > 1)
        return sm_error_set(err, SM_EINVAL,
                            "config: struct.mode needs stdp.trace_update_freq = 1 with the trace "
                            "rule (its per-synapse accumulators are not remapped at an event)");
    return SM_OK;
}

sm_status sm_config_validate(const sm_config *cfg, sm_error *err)
{
    sm_status st = validate_lif(&cfg->lif[0], "lif_e", err);
    if (st == SM_OK) st = validate_lif(&cfg->lif[1], "lif_i", err);
    if (st != SM_OK) return st;
    const double dt = cfg->run.dt;
    for (int i = 0; i < 2; i++) {
        const sm_lif_params *p = &cfg->lif[i];
        if (dt > p->tau_m || dt > p->tau_syn)
            return sm_error_set(
                err, SM_EINVAL,
                "config: run.dt (%g ms) exceeds %s time constants: Euler update unstable", dt,
                i ? "lif_i" : "lif_e");
    }
    if (cfg->stdp.exc_min >= cfg->stdp.exc_max)
        return sm_error_set(err, SM_EINVAL,
                            "config: stdp.exc_min (%g) must be below stdp.exc_max (%g)",
                            cfg->stdp.exc_min, cfg->stdp.exc_max);
    if (cfg->stdp.inh_min >= cfg->stdp.inh_max)
        return sm_error_set(err, SM_EINVAL,
                            "config: stdp.inh_min (%g) must be below stdp.inh_max (%g)",
                            cfg->stdp.inh_min, cfg->stdp.inh_max);
    if (cfg->hopfield.tam_min_scale > cfg->hopfield.tam_noise_scale)
        return sm_error_set(err, SM_EINVAL,
                            "config: hopfield.tam_min_scale (%g) must not exceed "
                            "hopfield.tam_noise_scale (%g)",
                            cfg->hopfield.tam_min_scale, cfg->hopfield.tam_noise_scale);
    if (cfg->ip.g_min > cfg->ip.g_max)
        return sm_error_set(err, SM_EINVAL, "config: ip.g_min (%g) must not exceed ip.g_max (%g)",
                            cfg->ip.g_min, cfg->ip.g_max);
    if (cfg->sleep.mode == SM_SLEEP_POWERLAW && cfg->sleep.rate > 0 &&
        (cfg->stdp.exc_min <= 0 || cfg->stdp.inh_max >= 0))
        return sm_error_set(err, SM_EINVAL,
                            "config: powerlaw sleep needs weights bounded away from 0 "
                            "(stdp.exc_min > 0 and stdp.inh_max < 0)");
    /* theta-gated Helmholtz machine: Euler steps of the low-pass filters stay stable and a
     * theta cycle has both halves */
    const double tdt = cfg->theta.dt;
    if (tdt * cfg->theta.freq > 0.5)
        return sm_error_set(err, SM_EINVAL,
                            "config: theta.dt (%g s) x theta.freq (%g Hz) exceeds 0.5: a theta "
                            "cycle needs at least 2 steps",
                            tdt, cfg->theta.freq);
    const struct {
        const char *name;
        double tau;
    } taus[] = {{"theta.tau_pi", cfg->theta.tau_pi},
                {"theta.noise_tau", cfg->theta.noise_tau},
                {"theta.loss_tau", cfg->theta.loss_tau},
                {"theta.speed_tau", cfg->theta.speed_tau}};
    for (size_t i = 0; i < sizeof taus / sizeof taus[0]; i++)
        if (taus[i].tau < tdt)
            return sm_error_set(err, SM_EINVAL,
                                "config: %s (%g s) is below theta.dt (%g s): Euler update unstable",
                                taus[i].name, taus[i].tau, tdt);
    if (validate_intensity_means(cfg->data.intensity_means, err) != SM_OK) return SM_EINVAL;
    if (cfg->train.model != SM_MODEL_PPG &&
        (cfg->data.intensity != SM_INTENSITY_NONE || cfg->input.normalize))
        return sm_error_set(err, SM_EINVAL,
                            "config: %s applies to train.model=ppg only (the counts of the "
                            "Poisson-Gamma mixture)",
                            cfg->input.normalize ? "input.normalize" : "data.intensity");
    if (cfg->sleep.target == SM_TARGET_INITIAL &&
        !(cfg->sleep.mode == SM_SLEEP_POWERLAW || cfg->sleep.mode == SM_SLEEP_STATIC ||
          cfg->sleep.norm_mode == SM_NORM_STATIC))
        return sm_error_set(err, SM_EINVAL,
                            "config: sleep.target=initial applies to sleep.mode powerlaw or "
                            "static (or sleep.norm_mode static): layer and neuron targets are "
                            "sums, not per-synapse weights");
    if (cfg->sleep.target == SM_TARGET_INITIAL && cfg->structural.mode != SM_STRUCT_NONE)
        return sm_error_set(err, SM_EINVAL,
                            "config: sleep.target=initial keeps one initial weight per synapse: "
                            "not with struct.mode (rewiring replaces synapses)");
    if (validate_struct(cfg, err) != SM_OK) return SM_EINVAL;
    if (validate_sparse(cfg, err) != SM_OK) return SM_EINVAL;
    return validate_disinh(cfg, err);
}

void sm_config_print_table(FILE *out)
{
    fprintf(out, "%-26s %-14s %-8s %-26s %s\n", "parameter", "default", "unit", "allowed",
            "description");
    sm_config def;
    sm_config_default(&def);
    for (size_t i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++) {
        const sm_param_def *d = &TABLE[i];
        char value[SM_CONFIG_STR_MAX], range[96];
        if (d->type == SM_PT_REAL) /* readable, not round-trip, digits */
            snprintf(value, sizeof value, "%.10g", sm_config_get(&def, d));
        else
            sm_config_format(&def, d, value, sizeof value);
        if (d->type == SM_PT_ENUM) {
            /* Show the names only, not their internal values. */
            size_t k = 0;
            for (const char *c = d->choices; *c && k + 1 < sizeof range; c++) {
                if (*c == '=') {
                    while (c[1] && c[1] != '|')
                        c++;
                    continue;
                }
                range[k++] = *c;
            }
            range[k] = '\0';
        } else if (d->type == SM_PT_BOOL) {
            snprintf(range, sizeof range, "true|false");
        } else if (d->type == SM_PT_STRING) {
            snprintf(range, sizeof range, "text");
        } else {
            snprintf(range, sizeof range, "[%g, %g]", d->min, d->max);
        }
        fprintf(out, "%-26s %-14s %-8s %-26s %s\n", d->name, value, d->unit, range, d->help);
    }
}

sm_status sm_config_bad_choice(const char *name, int value, sm_error *err)
{
    const sm_param_def *d = sm_param_find(name);
    return sm_error_set(err, SM_EINVAL, "'%s': %d is not one of %s", name, value,
                        d && d->choices ? d->choices : "its choices");
}
