/* Fuzz target: sm_config_load (key = value lines or JSON, detected from the content),
 * followed by sm_config_validate and a format of every parameter (the paths a loaded
 * config takes next in `somnus config --show`). */
#include "fuzz_common.h"
#include "somnus/core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    char path[600];
    fz_write("run.cfg", data, size, path, sizeof path);

    sm_config cfg;
    sm_config_default(&cfg);
    sm_error err;
    sm_error_clear(&err);
    if (sm_config_load(&cfg, path, &err) != SM_OK) {
        FZ_CHECK_ERROR(err);
        FZ_CHECK(strstr(err.msg, "run.cfg") != NULL); /* names the file */
        return 0;
    }
    sm_error_clear(&err);
    if (sm_config_validate(&cfg, &err) != SM_OK) FZ_CHECK_ERROR(err);
    size_t n;
    const sm_param_def *table = sm_param_table(&n);
    char buf[SM_CONFIG_STR_MAX + 64];
    for (size_t i = 0; i < n; i++) {
        sm_config_format(&cfg, &table[i], buf, sizeof buf);
        /* every loaded value is within its declared range */
        if (table[i].type != SM_PT_STRING) {
            double v = sm_config_get(&cfg, &table[i]);
            FZ_CHECK(v == v);
            if (table[i].type != SM_PT_ENUM && table[i].type != SM_PT_BOOL)
                FZ_CHECK(v >= table[i].min && v <= table[i].max);
        }
    }
    return 0;
}
