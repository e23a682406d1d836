/* somnus: error reporting shared by every module.
 *
 * Every fallible library function takes an `sm_error *` (may be NULL) and returns
 * an sm_status (or NULL for constructors). The message names the file, option or
 * value at fault, e.g. "config 'lif.tau_m': value -3 is below the minimum 0.1".
 * The library never prints and never exits.
 */
#ifndef SOMNUS_ERROR_H
#define SOMNUS_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sm_status {
    SM_OK = 0,
    SM_EINVAL,    /* bad argument or option value */
    SM_EIO,       /* file cannot be opened, read or written */
    SM_EFORMAT,   /* file content is malformed, truncated or of the wrong kind */
    SM_ENOMEM,    /* allocation failed */
    SM_ENUMERIC,  /* NaN/Inf or other numerical failure */
    SM_EINTERNAL, /* a library routine (LAPACK, liblinear) failed unexpectedly */
    SM_ECANCELED  /* the caller asked to stop (a progress callback, a signal) */
} sm_status;

#define SM_ERROR_MSG_MAX 512

typedef struct sm_error {
    sm_status code;
    char msg[SM_ERROR_MSG_MAX];
} sm_error;

/* Records `code` and a printf-style message in `err` (if non-NULL) and returns `code`.
 * An existing message is overwritten. */
sm_status sm_error_set(sm_error *err, sm_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __clang_analyzer__
/* For the static analyzer only (clang-tidy), which does not see into error.c: states the
 * contract above, that the call returns `code`. Without it, a path such as
 * `st = p ? f(p) : sm_error_set(err, SM_ENOMEM, ...); if (st == SM_OK) use(p);` is explored
 * with st == SM_OK after the failure and reported as a null dereference. The compiled code
 * calls the function as declared; error.c undefines the macro. */
#define sm_error_set(err, code, ...) ((void)sm_error_set((err), (code), __VA_ARGS__), (code))
#endif

/* Resets `err` to SM_OK with an empty message. */
void sm_error_clear(sm_error *err);

/* A short constant name for a status ("invalid argument", "I/O error", ...). */
const char *sm_status_name(sm_status code);

/* At the top of a function whose `sm_error *err` may be NULL and that reads err->code
 * after a callee failed: points err at a local error when the caller passed NULL, so the
 * status survives without dereferencing NULL. The caller still sees no message. */
#define SM_ERROR_LOCAL(err)                                                                        \
    sm_error sm_error_local_;                                                                      \
    sm_error_local_.code = SM_OK;                                                                  \
    sm_error_local_.msg[0] = '\0';                                                                 \
    if (!(err)) (err) = &sm_error_local_

#ifdef __cplusplus
}
#endif
#endif
