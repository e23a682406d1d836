/* OpenMP thread counts (threads.h). */
#include "somnus/core/threads.h"

#ifdef _OPENMP
#include <omp.h>
#endif

int sm_threads(int requested)
{
    if (requested > 0) return requested;
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
