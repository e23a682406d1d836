/* The BLAS a run used, recorded in the results documents the program writes. */
#ifndef SOMNUS_CLI_BLAS_RECORD_H
#define SOMNUS_CLI_BLAS_RECORD_H

#include <jansson.h>

/* Sets doc["blas"] = {"config": OpenBLAS's build line, "core": the kernel set OpenBLAS chose
 * for this CPU at load time (or OPENBLAS_CORETYPE)}. Results that go through BLAS (SG-SNN,
 * SAFE, the PCA and ridge readouts) depend on that kernel in their last digits, so a
 * result file says which one made it (docs/architecture.md). No-op if doc is not an
 * object. */
void cli_record_blas(json_t *doc);

#endif
