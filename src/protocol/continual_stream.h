/* Internal: the task streams of the continual protocol (spec continual.md section 1):
 * parsing cl.stream, the data sizes of the data step, and the per-task image sets. */
#ifndef SOMNUS_CONTINUAL_STREAM_H
#define SOMNUS_CONTINUAL_STREAM_H

#include "somnus/core/config.h"
#include "somnus/core/error.h"
#include "somnus/io/dataset.h"
#include "somnus/protocol/train_data.h"

/* Most tasks and most classes of a stream. */
#define SM_CL_MAX_TASKS 100
#define SM_CL_MAX_CLASSES 256

/* Indices of the continual RNG stream (SM_STREAM_CONTINUAL, index = purpose). */
enum { SM_CL_RNG_ORDER = 1, SM_CL_RNG_PERM = 2, SM_CL_RNG_PROBE = 3, SM_CL_RNG_DRIFT = 4 };

/* A parsed stream. */
typedef struct sm_cl_stream {
    char dataset[SM_CONFIG_STR_MAX]; /* the data.dataset it needs */
    int permuted;                    /* 1: permuted stream (every task all classes) */
    int n_tasks;
    int scenario;  /* resolved: SM_CL_CLASS, SM_CL_TASK or SM_CL_DOMAIN */
    int n_outputs; /* label space of the readout: classes, or positions (domain split) */
    int n_group[SM_CL_MAX_TASKS];                  /* classes per task (split) */
    int group[SM_CL_MAX_TASKS][SM_CL_MAX_CLASSES]; /* the classes of each task (split) */
    int task_of[SM_CL_MAX_CLASSES];                /* task of a class, -1 unused (split) */
    int pos_of[SM_CL_MAX_CLASSES];                 /* position of a class in its task */
    int per_class_train, per_class_val, per_class_test;
    int n_used; /* classes used */
} sm_cl_stream;

/* Parses cl.* of cfg (dataset name checked against data.dataset; shuffled order dealt
 * from run.seed). Errors name the key and the problem. */
sm_status sm_cl_stream_parse(const sm_config *cfg, sm_cl_stream *s, sm_error *err);

/* The config of the data step for a continual run: data.classes = the stream's classes,
 * data.n_train/n_val/n_test = per-class counts x classes. */
sm_status sm_cl_data_config(const sm_config *cfg, sm_config *out, sm_error *err);

/* The images of task t (0-based) of one part of the data (train, val or test), as a new
 * dataset: the part's images of the task's classes in their order (split), or all images
 * under the task's pixel permutation (permuted; task 0 is the identity). Labels are the
 * readout's: the class (class- and task-IL, permuted) or its position in the task
 * (domain-IL on a split stream). orig (NULL, or part->n ints) receives each image's index
 * in `part`. NULL with err set on failure. */
sm_dataset *sm_cl_task_images(const sm_cl_stream *s, const sm_dataset *part, int t, uint64_t seed,
                              int *orig, sm_error *err);

/* The pixel permutation of task t into perm[0..n_pixels) (identity for t = 0). */
void sm_cl_permutation(int t, int n_pixels, uint64_t seed, int *perm);

#endif
