/* python_layout: prints the size of every struct the Python package declares to cffi
 * (python/somnus/_cdef.py) and the offset of each field, as the C compiler lays them out:
 *     sm_sim 4096
 *     sm_sim.net 1864
 * tests/python/test_somnus.py compares these numbers with cffi's ffi.sizeof/ffi.offsetof,
 * so that a header change that the declarations miss fails a test instead of reading
 * the wrong bytes. */
#include <stddef.h>
#include <stdio.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"
#include "somnus/io/dataset.h"
#include "somnus/io/spikefile.h"
#include "somnus/models/sgsnn.h"
#include "somnus/models/sim.h"
#include "somnus/network/lif.h"
#include "somnus/network/net.h"
#include "somnus/protocol/experiment.h"
#include "somnus/protocol/sweep.h"
#include "somnus/protocol/sweep_runner.h"
#include "somnus/protocol/train.h"

#define S(type) printf("%s %zu\n", #type, sizeof(type))
#define F(type, field) printf("%s.%s %zu\n", #type, #field, offsetof(type, field))

int main(void)
{
    S(sm_error);
    F(sm_error, code);
    F(sm_error, msg);

    S(sm_param_def);
    F(sm_param_def, name);
    F(sm_param_def, type);
    F(sm_param_def, offset);
    F(sm_param_def, def);
    F(sm_param_def, min);
    F(sm_param_def, max);
    F(sm_param_def, unit);
    F(sm_param_def, choices);
    F(sm_param_def, help);

    S(sm_lif_params);
    F(sm_lif_params, v_init);
    S(sm_config);
    F(sm_config, run);
    F(sm_config, net);
    F(sm_config, lif);
    F(sm_config, noise);
    F(sm_config, input);
    F(sm_config, stdp);
    F(sm_config, sleep);
    F(sm_config, monitor);
    F(sm_config, data);
    F(sm_config, protocol);
    F(sm_config, train);
    F(sm_config, readout);
    F(sm_config, sgsnn);
    F(sm_config, table);
    F(sm_config, theta);

    S(sm_net);
    F(sm_net, n_in);
    F(sm_net, n_exc);
    F(sm_net, n_inh);
    F(sm_net, n_post);
    F(sm_net, n_total);
    F(sm_net, n_syn);
    F(sm_net, exc_end);
    F(sm_net, row);
    F(sm_net, post);
    F(sm_net, w);
    F(sm_net, pathway);
    F(sm_net, in_row);
    F(sm_net, in_syn);
    F(sm_net, in_pre);
    F(sm_net, path_count);
    F(sm_net, plastic);

    S(sm_lif_coeffs);
    S(sm_sim_counters);
    F(sm_sim_counters, steps);
    F(sm_sim_counters, wake_steps);
    F(sm_sim_counters, sleep_steps);
    F(sm_sim_counters, test_steps);
    F(sm_sim_counters, episodes);
    F(sm_sim_counters, episodes_converged);
    F(sm_sim_counters, normalizations);

    S(sm_sim);
    F(sm_sim, cfg);
    F(sm_sim, net);
    F(sm_sim, coef);
    F(sm_sim, v);
    F(sm_sim, i_syn);
    F(sm_sim, a);
    F(sm_sim, theta);
    F(sm_sim, count);
    F(sm_sim, input);
    F(sm_sim, threads);

    S(sm_spike_train);
    F(sm_spike_train, n);
    F(sm_spike_train, step);
    F(sm_spike_train, neuron);
    F(sm_spike_train, cursor);

    S(sm_dataset);
    F(sm_dataset, n);
    F(sm_dataset, width);
    F(sm_dataset, height);
    F(sm_dataset, n_classes);
    F(sm_dataset, pixels);
    F(sm_dataset, labels);
    F(sm_dataset, source);

    S(sm_train_data);
    F(sm_train_data, train);
    F(sm_train_data, val);
    F(sm_train_data, test);
    F(sm_train_data, name);
    F(sm_train_data, test_official);

    S(sm_train_progress);
    F(sm_train_progress, stage);
    F(sm_train_progress, done);
    F(sm_train_progress, total);
    F(sm_train_progress, batch);
    F(sm_train_progress, n_batches);
    F(sm_train_progress, last_accuracy);

    S(sm_train_options);
    F(sm_train_options, progress);
    F(sm_train_options, progress_ctx);
    F(sm_train_options, final_fn);
    F(sm_train_options, final_ctx);
    F(sm_train_options, checkpoint_path);
    F(sm_train_options, checkpoint_every);
    F(sm_train_options, resume_path);
    F(sm_train_options, repr_fn);
    F(sm_train_options, repr_ctx);
    F(sm_train_options, sgsnn_final_fn);
    F(sm_train_options, sgsnn_final_ctx);

    S(sm_experiment_ctx);
    F(sm_experiment_ctx, cfg);
    F(sm_experiment_ctx, quick);
    F(sm_experiment_ctx, jobs);
    F(sm_experiment_ctx, out_dir);
    F(sm_experiment_ctx, out_stem);
    F(sm_experiment_ctx, log);
    F(sm_experiment_ctx, log_ctx);

    S(sm_experiment_def);
    F(sm_experiment_def, name);
    F(sm_experiment_def, description);
    F(sm_experiment_def, defaults);
    F(sm_experiment_def, quick_defaults);
    F(sm_experiment_def, run);

    S(sm_grid_axis);
    F(sm_grid_axis, def);
    F(sm_grid_axis, n);
    F(sm_grid_axis, values);
    S(sm_grid);
    F(sm_grid, n_axes);
    F(sm_grid, axes);

    S(sm_sweep_cell);
    F(sm_sweep_cell, cell);
    F(sm_sweep_cell, json);
    F(sm_sweep_cell, json_len);
    F(sm_sweep_cell, npy);
    F(sm_sweep_cell, npy_len);
    F(sm_sweep_cell, error);

    S(sm_sgsnn_params);
    F(sm_sgsnn_params, n_in);
    F(sm_sgsnn_params, surrogate);
    F(sm_sgsnn_params, detach_reset);
    F(sm_sgsnn_params, lr);
    F(sm_sgsnn_params, epochs);
    F(sm_sgsnn_params, seed);
    F(sm_sgsnn_params, threads);
    F(sm_sgsnn_params, sleep_mode);
    F(sm_sgsnn_params, sleep_rate);
    F(sm_sgsnn_params, sleep_steps);
    F(sm_sgsnn_params, sleep_max_iters);
    F(sm_sgsnn_params, sleep_trigger);
    F(sm_sgsnn_params, sleep_stop);

    S(sm_sgsnn_layer);
    F(sm_sgsnn_layer, w);
    F(sm_sgsnn_layer, b);
    F(sm_sgsnn_layer, rows);
    F(sm_sgsnn_layer, cols);

    S(sm_sgsnn_epoch_stats);
    F(sm_sgsnn_epoch_stats, epoch);
    F(sm_sgsnn_epoch_stats, train_loss);
    F(sm_sgsnn_epoch_stats, test_acc);
    F(sm_sgsnn_epoch_stats, sum_abs_w);
    F(sm_sgsnn_epoch_stats, sum_abs_w0);
    F(sm_sgsnn_epoch_stats, sleep_passes);
    F(sm_sgsnn_epoch_stats, sleep_passes_total);
    F(sm_sgsnn_epoch_stats, minibatches_total);
    F(sm_sgsnn_epoch_stats, eval_seconds);
    return 0;
}
