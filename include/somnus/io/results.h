/* somnus: results files. JSON documents with the resolved configuration, the version
 * and the seed, written atomically. The models' own objects (weight statistics, monitor
 * columns) are in somnus/models/sim_json.h.
 */
#ifndef SOMNUS_RESULTS_H
#define SOMNUS_RESULTS_H

#include <jansson.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The version string of this build ("0.1.0+<git commit>"). */
const char *sm_version(void);

/* The configuration as a JSON object of groups ({"lif_e": {"tau_m": 30, ...}, ...}),
 * every parameter present. Enums are strings, booleans are JSON booleans. New reference. */
json_t *sm_config_to_json(const sm_config *cfg);

/* Writes `doc` to `path` atomically (indented, keys in insertion order). */
sm_status sm_json_write(const char *path, json_t *doc, sm_error *err);

/* v as a double when it is a JSON number (integer or real); NaN otherwise, NULL
 * included. For reading results documents where a missing value is NaN. */
double sm_json_number(const json_t *v);

/* obj[key] as by sm_json_number: NaN when obj is NULL, the key is absent or its value is
 * not a number. */
double sm_json_get_number(const json_t *obj, const char *key);

/* The string at obj[key]; "" when obj is NULL, the key is absent or not a string. */
const char *sm_json_get_string(const json_t *obj, const char *key);

#ifdef __cplusplus
}
#endif
#endif
