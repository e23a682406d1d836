/* Fuzz target: checkpoint files (sm_ckpt_read_any_version) and restoring them into a
 * small simulation (sm_sim_checkpoint_load). The input is the file without its last four
 * bytes: the target appends the right CRC-32, so that the fuzzer explores the structure
 * behind the checksum rather than the checksum itself. */
#include <zlib.h>

#include "fuzz_common.h"
#include "somnus/io/checkpoint.h"
#include "somnus/models/sim_state.h"

static sm_sim *small_sim(void)
{
    static sm_sim *sim;
    if (sim) return sim;
    sm_config c;
    sm_config_default(&c);
    c.net.n_input = 9;
    c.net.n_exc = 6;
    c.net.n_inh = 2;
    sm_error err;
    sim = sm_sim_create(&c, &err);
    FZ_CHECK(sim != NULL);
    return sim;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    uint8_t *buf = malloc(size + 4);
    FZ_CHECK(buf != NULL);
    if (size) memcpy(buf, data, size);
    const uint32_t crc = (uint32_t)crc32_z(crc32_z(0L, Z_NULL, 0), buf, size);
    memcpy(buf + size, &crc, 4);
    char path[600];
    fz_write("c.smck", buf, size + 4, path, sizeof path);
    free(buf);
    sm_error err;
    sm_error_clear(&err);
    sm_ckpt *c = sm_ckpt_read_any_version(path, &err);
    if (!c) {
        FZ_CHECK_ERROR(err);
        FZ_CHECK(strstr(err.msg, "c.smck") != NULL);
        return 0;
    }
    FZ_CHECK(json_is_object(sm_ckpt_meta(c)));
    size_t len;
    (void)sm_ckpt_get(c, "weights", &len);
    if (sm_sim_checkpoint_load(small_sim(), c, path, &err) != SM_OK) {
        FZ_CHECK_ERROR(err);
        FZ_CHECK(strstr(err.msg, "c.smck") != NULL);
    }
    sm_ckpt_free(c);
    return 0;
}
