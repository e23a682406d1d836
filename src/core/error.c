#include "somnus/core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#undef sm_error_set /* the analyzer-only macro of error.h; this file defines the function */

sm_status sm_error_set(sm_error *err, sm_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void sm_error_clear(sm_error *err)
{
    if (err) {
        err->code = SM_OK;
        err->msg[0] = '\0';
    }
}

const char *sm_status_name(sm_status code)
{
    switch (code) {
    case SM_OK: return "ok";
    case SM_EINVAL: return "invalid argument";
    case SM_EIO: return "I/O error";
    case SM_EFORMAT: return "malformed input";
    case SM_ENOMEM: return "out of memory";
    case SM_ENUMERIC: return "numerical error";
    case SM_EINTERNAL: return "internal error";
    case SM_ECANCELED: return "canceled";
    }
    return "unknown error";
}
