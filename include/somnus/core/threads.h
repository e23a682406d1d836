/* somnus: how many OpenMP threads a parallel loop uses.
 *
 * Every parallel region names its thread count from `run.threads` (through this
 * function), so that a run told to use one thread uses one, also beside other runs on
 * a shared machine; an unnamed count would take every core and, with runs side by
 * side, leave threads spinning at barriers for cores another process holds.
 */
#ifndef SOMNUS_THREADS_H
#define SOMNUS_THREADS_H

#ifdef __cplusplus
extern "C" {
#endif

/* `requested` threads when it is > 0; otherwise the OpenMP default (OMP_NUM_THREADS or
 * every core), and 1 in a build without OpenMP. */
int sm_threads(int requested);

#ifdef __cplusplus
}
#endif

#endif
