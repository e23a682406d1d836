/* The BLAS a run used (blas_record.h). */
#include "blas_record.h"

#include <cblas.h>

void cli_record_blas(json_t *doc)
{
    if (!json_is_object(doc)) return;
    const char *config = openblas_get_config(), *core = openblas_get_corename();
    json_object_set_new(
        doc, "blas",
        json_pack("{s:s, s:s}", "config", config ? config : "", "core", core ? core : ""));
}
