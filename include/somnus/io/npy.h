/* somnus: numpy .npy array files.
 *
 * Writes arrays that `numpy.load` reads as they are, and reads them back. The format is
 * numpy's NPY version 1.0 (numpy/lib/format.py; docs/formats.md):
 *
 *     "\x93NUMPY" 0x01 0x00   magic and version
 *     uint16 little-endian    HLEN, length of the header text that follows
 *     header text             "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
 *                             padded with spaces and ended by '\n' so that the data starts
 *                             at a multiple of 64 bytes
 *     data                    the values in C (row-major) order, little-endian
 *
 * The writer produces the same bytes as numpy.save (numpy >= 1.23, which also leaves room
 * for the first dimension to grow to 21 digits), so files compare equal with cmp. Output
 * is written to a temporary file and renamed into place (fileio.h).
 *
 * Supported element types: float32, float64, int32, uint32, int64, uint8, int8. The reader also
 * accepts versions 2.0 and 3.0 (a 4-byte HLEN), header keys in any order and either quote.
 */
#ifndef SOMNUS_NPY_H
#define SOMNUS_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sm_npy_dtype {
    SM_NPY_F32 = 0, /* '<f4' float */
    SM_NPY_F64 = 1, /* '<f8' double */
    SM_NPY_I32 = 2, /* '<i4' int32_t */
    SM_NPY_U32 = 3, /* '<u4' uint32_t */
    SM_NPY_I64 = 4, /* '<i8' int64_t */
    SM_NPY_U8 = 5,  /* '|u1' uint8_t (numpy writes '|' for one-byte types; '<u1' is read too) */
    SM_NPY_I8 = 6,  /* '|i1' int8_t ('<i1' is read too) */
    SM_NPY_N_DTYPES = 7
} sm_npy_dtype;

/* Largest number of dimensions (numpy's NPY_MAXDIMS of numpy 1.x). */
#define SM_NPY_MAX_DIMS 32

/* An array read from a .npy file. */
typedef struct sm_npy_array {
    sm_npy_dtype dtype;
    int ndim;                      /* 0 (a scalar) .. SM_NPY_MAX_DIMS */
    size_t shape[SM_NPY_MAX_DIMS]; /* shape[0..ndim) */
    size_t count;                  /* number of elements: the product of the shape (1 if ndim 0) */
    void *data;                    /* count values of the dtype, C order, host byte order;
                                      owned by the array, NULL when count is 0 */
} sm_npy_array;

/* Bytes per element (4, 8, 4, 4, 8, 1, 1); 0 for an unknown dtype. */
size_t sm_npy_dtype_size(sm_npy_dtype dtype);

/* numpy's descr string: "<f4", "<f8", "<i4", "<u4", "<i8", "|u1", "|i1"; NULL if unknown. */
const char *sm_npy_dtype_descr(sm_npy_dtype dtype);

/* Formats the complete NPY 1.0 header (magic, version, HLEN, padded dict, '\n') of an
 * array into buf (if buf_size allows; buf may be NULL to ask for the length). Returns the
 * header length in bytes, a multiple of 64, or 0 on a bad argument (unknown dtype, ndim
 * outside [0, SM_NPY_MAX_DIMS], header longer than 65535). */
size_t sm_npy_header(sm_npy_dtype dtype, int ndim, const size_t *shape, char *buf, size_t buf_size);

/* Writes an array of `ndim` dimensions shape[0..ndim) (ndim 0 is a scalar: one value;
 * a zero in the shape is allowed and writes no data) from `data` (C order, host byte
 * order; may be NULL only if there are no elements) to `path`, atomically. Errors
 * (SM_EINVAL for arguments, SM_EIO for the file) name the path. */
sm_status sm_npy_write(const char *path, sm_npy_dtype dtype, int ndim, const size_t *shape,
                       const void *data, sm_error *err);

/* Shorthands for the common cases: a vector of n values, a rows x cols matrix. */
sm_status sm_npy_write_vector(const char *path, sm_npy_dtype dtype, size_t n, const void *data,
                              sm_error *err);
sm_status sm_npy_write_matrix(const char *path, sm_npy_dtype dtype, size_t rows, size_t cols,
                              const void *data, sm_error *err);

/* Reads a .npy file of one of the supported dtypes. Rejected with an error naming the
 * file and the problem: a missing or unreadable file (SM_EIO); a wrong magic, an
 * unsupported version, a header that is not a dict of exactly 'descr', 'fortran_order'
 * and 'shape', an unsupported or big-endian dtype, fortran_order True, a bad shape, and
 * data shorter or longer than the shape says (SM_EFORMAT). Memory is allocated only
 * after the file size has been checked against the shape. Returns NULL on error. Caller
 * frees with sm_npy_destroy. */
sm_npy_array *sm_npy_read(const char *path, sm_error *err);

/* Frees an array (NULL is fine). */
void sm_npy_destroy(sm_npy_array *a);

#ifdef __cplusplus
}
#endif
#endif
