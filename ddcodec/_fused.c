/* The CPU decode's depthwise 3x3 kernels fused with ReLU and per-row statistics, its output conv with the 8-bit
 * rounding, and the fit's depthwise backward, ReLU with channel normalisation, and bilinear doubling (ddcodec/fused.py;
 * each function's comment below says what it computes).
 *
 * torch runs a depthwise kernel as nine passes over a band, then ReLU, a copy into place and two more passes for
 * the statistics; here each output row is computed once, from rows that stay in the first-level cache, and written
 * straight to its destination. Optional: where it is not built, fused.py reports it and the renderer takes torch's
 * ops, which give the same pixels up to float rounding.
 *
 * out[c, y, x] (any strides; a column stride other than 1 for rows of at most ROW_MAX) =
 *   relu(add[c] + sum_t w[c, t] * S_t(c, y, x)), where S_t(c, y, x) is
 *   src[c cs + y rs + off[t] + x]      where 0 <= x + shift[t] < width (off[t] already holds the shift), and
 *   src[c cs + y rs + edge[t]]         otherwise (the column an edge stands for);
 * sums[y srs + c scs] = sum_x out[c, y, x], squares[...] = sum_x out[c, y, x]^2 (float32, in vectors of partial
 * sums reduced in a fixed order: the same for any band, so banded and whole decodes agree bit for bit).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>

/* vectors of VL floats (GCC and clang's vector extension): the per-row sums run in them */
#define VL 8
typedef float vf __attribute__((vector_size(VL * sizeof(float))));

static inline vf vload(const float *p) {
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline Py_ssize_t clamp_index(Py_ssize_t i, Py_ssize_t n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

typedef struct {
    const float *src;
    Py_ssize_t cs, rs, off[9], edge[9], shift[9];
    const float *w, *add; /* add: a constant per channel (NULL: none) */
    Py_ssize_t wcs, wts;
    float *out;
    Py_ssize_t ocs, ors, ocx; /* ocx: out's column stride; other than 1, each row is computed on the stack first */
    float *sums, *squares;
    Py_ssize_t scs, srs;
    Py_ssize_t rows, width;
} job_t;

/* One clone per x86-64 level, chosen when the module loads: wider vectors where the CPU has them. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

/* Helpers of a CLONES function inlined into each clone, so they are compiled for its level too */
#if defined(__GNUC__)
#define INLINE __attribute__((always_inline))
#else
#define INLINE
#endif

/* The longest row a strided destination takes (its row is computed in a buffer on the stack, then scattered) */
#define ROW_MAX 4096

static float tap_at(const float *base, const job_t *j, int t, Py_ssize_t x) {
    Py_ssize_t u = x + j->shift[t];
    return (u < 0 || u >= j->width) ? base[j->edge[t]] : base[j->off[t] + x];
}

CLONES static void channels(const void *job, Py_ssize_t c0, Py_ssize_t c1) {
    const job_t *j = (const job_t *)job;
    const Py_ssize_t W = j->width;
    const int scatter = j->ocx != 1;
    float row[scatter ? ROW_MAX : 1];
    for (Py_ssize_t c = c0; c < c1; c++) {
        float w[9];
        for (int t = 0; t < 9; t++)
            w[t] = j->w[c * j->wcs + t * j->wts];
        const float add = j->add ? j->add[c] : 0.f;
        for (Py_ssize_t y = 0; y < j->rows; y++) {
            const float *base = j->src + c * j->cs + y * j->rs;
            float *dest = j->out + c * j->ocs + y * j->ors;
            float *restrict o = scatter ? row : dest;
            const float *restrict s0 = base + j->off[0], *restrict s1 = base + j->off[1];
            const float *restrict s2 = base + j->off[2], *restrict s3 = base + j->off[3];
            const float *restrict s4 = base + j->off[4], *restrict s5 = base + j->off[5];
            const float *restrict s6 = base + j->off[6], *restrict s7 = base + j->off[7];
            const float *restrict s8 = base + j->off[8];
            float sum = 0.f, sq = 0.f;
            for (Py_ssize_t x = 0; x < W; x += (W > 1 ? W - 1 : 1)) { /* the edge columns */
                float v = add + w[4] * tap_at(base, j, 4, x);
                for (int t = 0; t < 9; t++)
                    if (t != 4)
                        v += w[t] * tap_at(base, j, t, x);
                v = v > 0.f ? v : 0.f;
                o[x] = v;
                sum += v;
                sq += v * v;
            }
            for (Py_ssize_t x = 1; x < W - 1; x++) { /* the interior, vectorised */
                float v = add + w[4] * s4[x];
                v += w[0] * s0[x];
                v += w[1] * s1[x];
                v += w[2] * s2[x];
                v += w[3] * s3[x];
                v += w[5] * s5[x];
                v += w[6] * s6[x];
                v += w[7] * s7[x];
                v += w[8] * s8[x];
                o[x] = v > 0.f ? v : 0.f;
            }
            if (W > 2) { /* the interior's sums in vectors of partial sums, reduced in a fixed order */
                vf ps0 = {0}, ps1 = {0}, pq0 = {0}, pq1 = {0};
                Py_ssize_t x = 1;
                for (; x + 2 * VL <= W - 1; x += 2 * VL) {
                    const vf u = vload(o + x), v = vload(o + x + VL);
                    ps0 += u;
                    ps1 += v;
                    pq0 += u * u;
                    pq1 += v * v;
                }
                for (; x < W - 1; x++) {
                    sum += o[x];
                    sq += o[x] * o[x];
                }
                for (int k = 0; k < VL; k++) {
                    sum += ps0[k] + ps1[k];
                    sq += pq0[k] + pq1[k];
                }
            }
            if (scatter)
                for (Py_ssize_t x = 0; x < W; x++)
                    dest[x * j->ocx] = row[x];
            j->sums[y * j->srs + c * j->scs] = sum;
            j->squares[y * j->srs + c * j->scs] = sq;
        }
    }
}

/* fn(job, lo, hi) over shares of 0..work, one per thread. torch's own OpenMP runtime runs them (libgomp.so.1,
 * loaded by torch before this module): its worker threads are the ones that just ran the matrix products, so no
 * second team competes with them for the cores. Built without OpenMP, one thread does every share. */
static void in_shares(void (*fn)(const void *, Py_ssize_t, Py_ssize_t), const void *job, Py_ssize_t work,
                      Py_ssize_t threads) {
    if (threads > work)
        threads = work;
    if (threads < 1)
        threads = 1;
    Py_BEGIN_ALLOW_THREADS
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static, 1)
#endif
    for (Py_ssize_t i = 0; i < threads; i++)
        fn(job, work * i / threads, work * (i + 1) / threads);
    Py_END_ALLOW_THREADS
}

static PyObject *depthwise(PyObject *self, PyObject *args) {
    job_t job;
    Py_ssize_t src, w, add, out, sums, squares, nchannels, threads;
    if (!PyArg_ParseTuple(args, "nnn(nnnnnnnnn)(nnnnnnnnn)(nnnnnnnnn)nnnnnnnnnnnnnnnn", &src, &job.cs, &job.rs,
                          &job.off[0], &job.off[1], &job.off[2], &job.off[3], &job.off[4], &job.off[5], &job.off[6],
                          &job.off[7], &job.off[8], &job.edge[0], &job.edge[1], &job.edge[2], &job.edge[3],
                          &job.edge[4], &job.edge[5], &job.edge[6], &job.edge[7], &job.edge[8], &job.shift[0],
                          &job.shift[1], &job.shift[2], &job.shift[3], &job.shift[4], &job.shift[5], &job.shift[6],
                          &job.shift[7], &job.shift[8], &w, &job.wcs, &job.wts, &add, &out, &job.ocs, &job.ors,
                          &job.ocx, &sums, &squares, &job.scs, &job.srs, &nchannels, &job.rows, &job.width,
                          &threads))
        return NULL;
    if (nchannels < 0 || job.rows < 0 || job.width < 1 || (job.ocx != 1 && job.width > ROW_MAX)) {
        PyErr_SetString(PyExc_ValueError,
                        "depthwise: negative channels or rows, no columns, or a strided row too long");
        return NULL;
    }
    job.src = (const float *)src;
    job.w = (const float *)w;
    job.add = (const float *)add;
    job.out = (float *)out;
    job.sums = (float *)sums;
    job.squares = (float *)squares;
    in_shares(channels, &job, nchannels, threads);
    Py_RETURN_NONE;
}

/* The output conv, the sigmoid and the 8-bit rounding of a band of a channels-first layer (ddcodec/fused.py).
 * A pixel's level is how many of the 255 thresholds its logit v lies above, threshold[j] = logit((j + 0.5) / 255):
 * round(255 sigmoid(v)) without evaluating the sigmoid, a tie (v = 0 exactly: 127.5) to the even level as
 * torch.round rounds it. The thresholds lie in (-6.24, 6.24) at least 4/255 apart, so buckets of v 1/128 wide hold
 * at most one each: a bucket's count of thresholds below it and one comparison give the level. */
#define LOGIT_LIMIT 6.5f
#define BUCKETS_PER_UNIT 128
#define BUCKETS (13 * BUCKETS_PER_UNIT) /* 2 LOGIT_LIMIT units */
static float threshold[256]; /* threshold[255]: +infinity */
static int32_t below[BUCKETS];

static void init_levels(void) {
    for (int j = 0; j < 255; j++) {
        double p = (j + 0.5) / 255.0;
        threshold[j] = (float)log(p / (1.0 - p));
    }
    threshold[255] = INFINITY;
    int j = 0;
    for (int b = 0; b < BUCKETS; b++) {
        float lo = -LOGIT_LIMIT + (float)b / BUCKETS_PER_UNIT;
        while (j < 255 && threshold[j] < lo)
            j++;
        below[b] = j;
    }
}

/* levels[i] = round(255 sigmoid(v[i])), n at a time: branch-free (a clamp, two table reads), so the compiler
 * vectorises it with gathers. The clamp sends NaN to level 0 and v >= LOGIT_LIMIT to the last bucket (255). */
CLONES static void levels(const float *restrict v, int32_t *restrict out, int n) {
    for (int i = 0; i < n; i++) {
        float u = v[i] > -LOGIT_LIMIT ? v[i] : -LOGIT_LIMIT;
        u = u < LOGIT_LIMIT - 0.5f / BUCKETS_PER_UNIT ? u : LOGIT_LIMIT - 0.5f / BUCKETS_PER_UNIT;
        int32_t j = below[(int32_t)((u + LOGIT_LIMIT) * BUCKETS_PER_UNIT)];
        float t = threshold[j];
        out[i] = j + ((u > t) | ((u == t) & j)); /* a tie goes to the even level */
    }
}

typedef struct {
    const float *src;
    Py_ssize_t cs, rs;
    const float *w, *bias;
    Py_ssize_t k, c;
    uint8_t *dest;
    Py_ssize_t drs, dcs;
    Py_ssize_t width;
} pixels_t;

#define BLOCK 32

/* Three output channels, BLOCK pixels at a time: the accumulators stay in registers across the input channels. */
CLONES static void rgb_block(const pixels_t *j, Py_ssize_t y, Py_ssize_t x0) {
    float a0[BLOCK], a1[BLOCK], a2[BLOCK];
    for (int i = 0; i < BLOCK; i++) {
        a0[i] = j->bias[0];
        a1[i] = j->bias[1];
        a2[i] = j->bias[2];
    }
    for (Py_ssize_t c = 0; c < j->c; c++) {
        const float *restrict s = j->src + c * j->cs + y * j->rs + x0;
        const float w0 = j->w[c], w1 = j->w[j->c + c], w2 = j->w[2 * j->c + c];
        for (int i = 0; i < BLOCK; i++) {
            a0[i] += w0 * s[i];
            a1[i] += w1 * s[i];
            a2[i] += w2 * s[i];
        }
    }
    int32_t l0[BLOCK], l1[BLOCK], l2[BLOCK];
    levels(a0, l0, BLOCK);
    levels(a1, l1, BLOCK);
    levels(a2, l2, BLOCK);
    uint8_t *d = j->dest + y * j->drs + x0 * j->dcs;
    for (int i = 0; i < BLOCK; i++) {
        d[i * j->dcs] = (uint8_t)l0[i];
        d[i * j->dcs + 1] = (uint8_t)l1[i];
        d[i * j->dcs + 2] = (uint8_t)l2[i];
    }
}

/* Any number of output channels (up to 4), any number of pixels up to BLOCK. */
static void any_block(const pixels_t *j, Py_ssize_t y, Py_ssize_t x0, Py_ssize_t n) {
    float acc[4][BLOCK];
    for (Py_ssize_t k = 0; k < j->k; k++)
        for (Py_ssize_t i = 0; i < n; i++)
            acc[k][i] = j->bias[k];
    for (Py_ssize_t c = 0; c < j->c; c++) {
        const float *s = j->src + c * j->cs + y * j->rs + x0;
        for (Py_ssize_t k = 0; k < j->k; k++) {
            const float wk = j->w[k * j->c + c];
            for (Py_ssize_t i = 0; i < n; i++)
                acc[k][i] += wk * s[i];
        }
    }
    int32_t lv[4][BLOCK];
    for (Py_ssize_t k = 0; k < j->k; k++)
        levels(acc[k], lv[k], (int)n);
    uint8_t *d = j->dest + y * j->drs + x0 * j->dcs;
    for (Py_ssize_t i = 0; i < n; i++)
        for (Py_ssize_t k = 0; k < j->k; k++)
            d[i * j->dcs + k] = (uint8_t)lv[k][i];
}

static void pixel_rows(const void *job, Py_ssize_t y0, Py_ssize_t y1) {
    const pixels_t *j = (const pixels_t *)job;
    for (Py_ssize_t y = y0; y < y1; y++)
        for (Py_ssize_t x0 = 0; x0 < j->width; x0 += BLOCK) {
            const Py_ssize_t n = j->width - x0 < BLOCK ? j->width - x0 : BLOCK;
            if (j->k == 3 && n == BLOCK)
                rgb_block(j, y, x0);
            else
                any_block(j, y, x0, n);
        }
}

static PyObject *pixels(PyObject *self, PyObject *args) {
    pixels_t job;
    Py_ssize_t src, w, bias, dest, rows, threads;
    if (!PyArg_ParseTuple(args, "nnnnnnnnnnnnn", &src, &job.cs, &job.rs, &w, &bias, &job.k, &job.c, &dest, &job.drs,
                          &job.dcs, &rows, &job.width, &threads))
        return NULL;
    if (job.k < 1 || job.k > 4 || job.c < 1 || rows < 0 || job.width < 0) {
        PyErr_SetString(PyExc_ValueError, "pixels: 1 to 4 output channels, at least one input channel");
        return NULL;
    }
    job.src = (const float *)src;
    job.w = (const float *)w;
    job.bias = (const float *)bias;
    job.dest = (uint8_t *)dest;
    in_shares(pixel_rows, &job, rows, threads);
    Py_RETURN_NONE;
}

/* The fit's 3x3 depthwise convolution with replicated edges, backward, on one channels-last (H, W, C) layer of
 * float32 or bfloat16 values (ddcodec/fused.py, depthwise_backward; model._ReplicateDepthwise):
 *   grad_x[i, j, c] = sum over the (y, dy) with clamp(y + dy - 1) = i and the (x, dx) with clamp(x + dx - 1) = j of
 *                     taps[c, dy, dx] grad[y, x, c]
 *   rows[i, 3 dy + dx, c] = sum over x of grad[i, x, c] x[clamp(i + dy - 1), clamp(x + dx - 1), c]
 * (the caller sums ``rows`` over i, in float64, for grad_taps: the same whatever the threads). Every output row and
 * column has exactly three such pairs (``pairs``), the edges' included. grad_x is stored in the layer's type
 * (bfloat16 rounded to nearest even). On a bfloat16 layer of 72 x 768 x 512, 2 cores of the Zen 4 VM: 21 ms in
 * 1.38.0 (rows copied whole to float32, every pixel's channels in turn, taps loaded for each), 16 ms now (RESULTS.md,
 * "The depthwise backward one vector of channels at a time"). */
typedef struct {
    const void *x, *grad;
    void *grad_x;
    const float *taps_t; /* (9, C): each tap's C weights adjacent */
    float *rows;         /* (H, 9, C) */
    Py_ssize_t h, w, c, bf16;
    volatile int failed; /* a share could not allocate its row buffers */
} backward_t;

static inline uint16_t to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    u += 0x7FFF + ((u >> 16) & 1); /* round to nearest even (the fit's values are finite) */
    return (uint16_t)(u >> 16);
}

/* n values from flat index start of a float32 or bfloat16 array as float32, and back (bfloat16 to nearest even) */
static inline INLINE void floats_of(float *restrict dst, const void *src, Py_ssize_t start, Py_ssize_t n,
                                    Py_ssize_t bf16) {
    if (!bf16) {
        memcpy(dst, (const float *)src + start, n * sizeof(float));
        return;
    }
    const uint16_t *restrict s = (const uint16_t *)src + start;
    for (Py_ssize_t k = 0; k < n; k++) {
        const uint32_t u = (uint32_t)s[k] << 16;
        memcpy(dst + k, &u, sizeof u);
    }
}

static inline INLINE void floats_to(void *dst, Py_ssize_t start, const float *restrict src, Py_ssize_t n,
                                    Py_ssize_t bf16) {
    if (!bf16) {
        memcpy((float *)dst + start, src, n * sizeof(float));
        return;
    }
    uint16_t *restrict d = (uint16_t *)dst + start;
    for (Py_ssize_t k = 0; k < n; k++)
        d[k] = to_bf16(src[k]);
}

typedef int32_t vi __attribute__((vector_size(VL * sizeof(int32_t))));
typedef uint32_t vu __attribute__((vector_size(VL * sizeof(uint32_t))));
typedef uint16_t vh __attribute__((vector_size(VL * sizeof(uint16_t))));

/* VL values from flat index i of a float32 or bfloat16 array, as float32, and back (bfloat16 to nearest even) */
static inline vf load_values(const void *base, Py_ssize_t i, Py_ssize_t bf16) {
    if (!bf16)
        return vload((const float *)base + i);
    vh h;
    memcpy(&h, (const uint16_t *)base + i, sizeof h);
    return (vf)(__builtin_convertvector(h, vu) << 16);
}

static inline void store_values(void *base, Py_ssize_t i, vf f, Py_ssize_t bf16) {
    if (!bf16) {
        memcpy((float *)base + i, &f, sizeof f);
        return;
    }
    vu u = (vu)f;
    u += 0x7FFF + ((u >> 16) & 1);
    const vh h = __builtin_convertvector(u >> 16, vh);
    memcpy((uint16_t *)base + i, &h, sizeof h);
}

static inline float load_value(const void *base, Py_ssize_t i, Py_ssize_t bf16) {
    if (!bf16)
        return ((const float *)base)[i];
    uint32_t u = (uint32_t)((const uint16_t *)base)[i] << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline void store_value(void *base, Py_ssize_t i, float f, Py_ssize_t bf16) {
    if (bf16)
        ((uint16_t *)base)[i] = to_bf16(f);
    else
        ((float *)base)[i] = f;
}

/* The three (source, tap) pairs of output index i along an axis of n: clamp(source + tap - 1) = i. */
static void pairs(Py_ssize_t i, Py_ssize_t n, Py_ssize_t src[3], int tap[3]) {
    if (n == 1) {
        for (int k = 0; k < 3; k++)
            src[k] = 0, tap[k] = k;
    } else if (i == 0) {
        src[0] = 0, tap[0] = 0, src[1] = 0, tap[1] = 1, src[2] = 1, tap[2] = 0;
    } else if (i == n - 1) {
        src[0] = n - 1, tap[0] = 1, src[1] = n - 2, tap[1] = 2, src[2] = n - 1, tap[2] = 2;
    } else {
        src[0] = i + 1, tap[0] = 0, src[1] = i, tap[1] = 1, src[2] = i - 1, tap[2] = 2;
    }
}

/* VL values of a pixel's channels k .. k + m - 1 (m < VL: the layer's last, part-filled vector; zeros past m, never
 * read past them) as float32, and back */
static inline INLINE vf load_block(const void *base, Py_ssize_t i, Py_ssize_t m, Py_ssize_t bf16) {
    if (m == VL)
        return load_values(base, i, bf16);
    vf v = {0};
    for (Py_ssize_t l = 0; l < m; l++)
        v[l] = load_value(base, i + l, bf16);
    return v;
}

static inline INLINE void store_block(void *base, Py_ssize_t i, vf v, Py_ssize_t m, Py_ssize_t bf16) {
    if (m == VL) {
        store_values(base, i, v, bf16);
        return;
    }
    for (Py_ssize_t l = 0; l < m; l++)
        store_value(base, i + l, v[l], bf16);
}

/* Row r of src in vector-of-channels-major order: slot r % 3, (blocks, W, VL) float32, converted unless already
 * there (the last block's lanes past C are zeros) */
typedef struct {
    float *slot[3];
    Py_ssize_t held[3];
    const void *src;
    Py_ssize_t w, c, bs, bf16; /* bs: floats from one vector of channels' row to the next */
} rows_t;

static inline INLINE const float *row_of(rows_t *rows, Py_ssize_t r) {
    const int s = (int)(r % 3);
    float *row = rows->slot[s];
    if (rows->held[s] != r) {
        const Py_ssize_t W = rows->w, C = rows->c;
        for (Py_ssize_t x = 0; x < W; x++)
            for (Py_ssize_t k = 0; k < C; k += VL) {
                const vf v = load_block(rows->src, (r * W + x) * C + k, C - k < VL ? C - k : VL, rows->bf16);
                memcpy(row + (k / VL * rows->bs + x * VL), &v, sizeof v);
            }
        rows->held[s] = r;
    }
    return row;
}

#define UNROLL3 _Pragma("GCC unroll 3")

/* Rows y0 .. y1 - 1 of grad_x and of the tap sums. Each row the computation needs is first copied, once, into a
 * float32 buffer that holds each vector of VL channels' values along the row together (a pass below then reads memory
 * in order, from the core's caches); one vector of channels at a time, the interior columns slide a window of three
 * columns of three rows along the row, so each step loads one new column, the nine taps (grad_x) or nine sums (the
 * tap sums) held in registers. While a row is computed, the rows the next one adds are prefetched. */
CLONES static void backward_rows(const void *job, Py_ssize_t y0, Py_ssize_t y1) {
    backward_t *j = (backward_t *)job;
    const Py_ssize_t H = j->h, W = j->w, C = j->c, bf = j->bf16, blocks = (C + VL - 1) / VL;
    /* one vector of channels' row every bs floats: W VL and 16 more, so that the blocks' rows, written side by side,
     * do not all fall on the same sets of the L1 cache (W VL floats are often a multiple of 4 KiB) */
    const Py_ssize_t bs = W * VL + 16, slot = blocks * bs, n = W * C;
    const size_t size = bf ? sizeof(uint16_t) : sizeof(float);
    float *buf = malloc(6 * slot * sizeof(float));
    if (!buf) {
        j->failed = 1;
        return;
    }
    rows_t grads = {{buf, buf + slot, buf + 2 * slot}, {-1, -1, -1}, j->grad, W, C, bs, bf};
    rows_t xs = {{buf + 3 * slot, buf + 4 * slot, buf + 5 * slot}, {-1, -1, -1}, j->x, W, C, bs, bf};
    for (Py_ssize_t i = y0; i < y1; i++) {
        Py_ssize_t ys[3];
        int dys[3];
        pairs(i, H, ys, dys);
        const float *g[3], *xr[3];
        for (int p = 0; p < 3; p++) {
            g[p] = row_of(&grads, ys[p]);
            xr[p] = row_of(&xs, clamp_index(i + p - 1, H));
        }
        const float *gi = row_of(&grads, i);
        float *part = j->rows + i * 9 * C;
        /* the next row's new rows of grad and x, and its row of grad_x (this share's only), ``ahead`` bytes each */
        const Py_ssize_t ahead = i + 2 < H ? n * size : 0;
        const char *next_g = (const char *)j->grad + (i + 2) * n * size;
        const char *next_x = (const char *)j->x + (i + 2) * n * size;
        char *next_out = (char *)j->grad_x + (i + 1 < y1 ? i + 1 : i) * n * size;
        for (Py_ssize_t b = 0; b < blocks; b++) {
            const Py_ssize_t k = b * VL, m = C - k < VL ? C - k : VL, o = b * bs;
            vf t[3][3];
            UNROLL3 for (int p = 0; p < 3; p++)
                UNROLL3 for (int q = 0; q < 3; q++)
                    t[p][q] = load_block(j->taps_t, (dys[p] * 3 + q) * C + k, m, 0);
            /* grad_x: the edge columns, then the interior, where column jx takes taps 2, 1, 0 from columns jx - 1,
             * jx, jx + 1 */
            for (Py_ssize_t e = 0; e < (W > 1 ? 2 : 1); e++) {
                const Py_ssize_t jx = e ? W - 1 : 0;
                Py_ssize_t cols[3];
                int dxs[3];
                pairs(jx, W, cols, dxs);
                vf acc = {0};
                for (int p = 0; p < 3; p++)
                    for (int q = 0; q < 3; q++)
                        acc += t[p][dxs[q]] * vload(g[p] + o + cols[q] * VL);
                store_block(j->grad_x, (i * W + jx) * C + k, acc, m, bf);
            }
            if (W > 2) {
                vf a[3], c[3];
                UNROLL3 for (int p = 0; p < 3; p++) {
                    a[p] = vload(g[p] + o);
                    c[p] = vload(g[p] + o + VL);
                }
                for (Py_ssize_t jx = 1; jx < W - 1; jx++) {
                    const Py_ssize_t line = (b * W + jx) * 64;
                    if (line < ahead) { /* a cache line of each, towards L2, in the first blocks' passes */
                        __builtin_prefetch(next_g + line, 0, 2);
                        __builtin_prefetch(next_x + line, 0, 2);
                        __builtin_prefetch(next_out + line, 1, 2);
                    }
                    vf acc = {0};
                    UNROLL3 for (int p = 0; p < 3; p++) {
                        const vf v = vload(g[p] + o + (jx + 1) * VL);
                        acc += t[p][2] * a[p] + t[p][1] * c[p] + t[p][0] * v;
                        a[p] = c[p];
                        c[p] = v;
                    }
                    store_block(j->grad_x, (i * W + jx) * C + k, acc, m, bf);
                }
            }
            /* the taps' sums: the edge columns, then the interior, sliding a window of x */
            vf acc[9] = {{0}};
            for (Py_ssize_t e = 0; e < (W > 1 ? 2 : 1); e++) {
                const Py_ssize_t x = e ? W - 1 : 0;
                const Py_ssize_t cols[3] = {clamp_index(x - 1, W), x, clamp_index(x + 1, W)};
                const vf gv = vload(gi + o + x * VL);
                for (int dy = 0; dy < 3; dy++)
                    for (int dx = 0; dx < 3; dx++)
                        acc[dy * 3 + dx] += gv * vload(xr[dy] + o + cols[dx] * VL);
            }
            if (W > 2) {
                vf a[3], c[3];
                UNROLL3 for (int dy = 0; dy < 3; dy++) {
                    a[dy] = vload(xr[dy] + o);
                    c[dy] = vload(xr[dy] + o + VL);
                }
                for (Py_ssize_t x = 1; x < W - 1; x++) {
                    const vf gv = vload(gi + o + x * VL);
                    UNROLL3 for (int dy = 0; dy < 3; dy++) {
                        const vf v = vload(xr[dy] + o + (x + 1) * VL);
                        acc[dy * 3] += gv * a[dy];
                        acc[dy * 3 + 1] += gv * c[dy];
                        acc[dy * 3 + 2] += gv * v;
                        a[dy] = c[dy];
                        c[dy] = v;
                    }
                }
            }
            for (int q = 0; q < 9; q++)
                memcpy(part + q * C + k, &acc[q], m * sizeof(float));
        }
    }
    free(buf);
}

static PyObject *depthwise_backward(PyObject *self, PyObject *args) {
    backward_t job;
    Py_ssize_t x, grad, grad_x, taps, rows, threads;
    if (!PyArg_ParseTuple(args, "nnnnnnnnnn", &x, &grad, &grad_x, &taps, &rows, &job.h, &job.w, &job.c, &job.bf16,
                          &threads))
        return NULL;
    if (job.h < 1 || job.w < 1 || job.c < 1) {
        PyErr_SetString(PyExc_ValueError, "depthwise_backward: an empty layer");
        return NULL;
    }
    float *taps_t = malloc(9 * job.c * sizeof(float));
    if (!taps_t)
        return PyErr_NoMemory();
    for (int t = 0; t < 9; t++)
        for (Py_ssize_t k = 0; k < job.c; k++)
            taps_t[t * job.c + k] = ((const float *)taps)[k * 9 + t];
    job.x = (const void *)x;
    job.grad = (const void *)grad;
    job.grad_x = (void *)grad_x;
    job.taps_t = taps_t;
    job.rows = (float *)rows;
    job.failed = 0;
    in_shares(backward_rows, &job, job.h, threads);
    free(taps_t);
    if (job.failed)
        return PyErr_NoMemory();
    Py_RETURN_NONE;
}

/* The fit's ReLU and channel normalisation on one channels-last layer, its P pixels' C channels a (P, C) matrix of
 * float32 or bfloat16 values (ddcodec/fused.py, relu_norm_*; model._ReluNorm). With y = relu(x), each call is one
 * pass over the layer:
 *   NORM_MOMENTS    sums[k, 0, c] = sum of d = y[p, c] - mean[c] over chunk k's pixels, sums[k, 1, c] = sum of d^2
 *   NORM_GRAD_SUMS  sums[k, 0, c] = sum of g[p, c], sums[k, 1, c] = sum of g[p, c] (y[p, c] - mean[c])
 *   NORM_APPLY      out[p, c] = a[c] (y[p, c] - mean[c]) + b[c]                      (the normalised layer)
 *   NORM_BACKWARD   out[p, c] = x[p, c] > 0 ? a[c] g[p, c] + s[c] (y[p, c] - mean[c]) + b[c] : 0   (x's gradient)
 * Chunk k holds pixels k NORM_CHUNK .. (k + 1) NORM_CHUNK - 1; the caller sums the chunks in float64, so the
 * result does not depend on the threads. NORM_MOMENTS' mean need only be near the mean (one pass for the variance,
 * shifted: no cancellation where the shift is within a fraction of the spread of the mean). Values are computed in float32 and outputs stored in the layer's type
 * (bfloat16 rounded to nearest even). torch's ReLU and batch norm took 12 to 16 ms forward and 17 to 51 backward on a
 * bfloat16 layer of 72 x 768 x 512 on 2 cores of the Zen 4 VM, where a copy of it took 2 to 3; these passes 6 and 9 to
 * 10 (RESULTS.md, "The fit's ReLU, normalisation and doubling in C"). */
#define NORM_CHUNK 256
enum { NORM_MOMENTS, NORM_GRAD_SUMS, NORM_APPLY, NORM_BACKWARD };

typedef struct {
    const void *x, *g;
    void *out;
    const float *a, *b, *s, *mean;
    float *sums;
    Py_ssize_t p, c, bf16, mode;
    volatile int failed; /* a share could not allocate its sums */
} norm_t;

static inline vf relu_vector(vf v) { return (vf)((vi)v & (v > (vf){0})); }
static inline float relu_value(float v) { return v > 0.f ? v : 0.f; }

/* One channel's (the scalar tail past the last whole vector of channels) sums over pixels p0 .. p1 - 1 */
static inline INLINE void channel_sums(const norm_t *j, Py_ssize_t c, Py_ssize_t p0, Py_ssize_t p1, float *out0,
                                       float *out1) {
    const Py_ssize_t C = j->c, bf = j->bf16;
    float s = 0.f, t = 0.f;
    for (Py_ssize_t p = p0; p < p1; p++) {
        const float d = relu_value(load_value(j->x, p * C + c, bf)) - j->mean[c];
        if (j->mode == NORM_MOMENTS) {
            s += d;
            t += d * d;
        } else {
            const float g = load_value(j->g, p * C + c, bf);
            s += g;
            t += g * d;
        }
    }
    out0[c] = s;
    out1[c] = t;
}

/* Chunk k's sums (NORM_MOMENTS, NORM_GRAD_SUMS), NORM_BLOCK pixels at a time (they stay in the first-level
 * cache while each vector of channels runs down them, four pixels at a time into four partial sums), the blocks'
 * sums added in order. */
#define NORM_BLOCK 16
static inline INLINE void chunk_sums(const norm_t *j, Py_ssize_t k, float *acc) {
    const Py_ssize_t C = j->c, bf = j->bf16, mode = j->mode;
    const Py_ssize_t p0 = k * NORM_CHUNK, p1 = p0 + NORM_CHUNK < j->p ? p0 + NORM_CHUNK : j->p, vectors = C / VL;
    float *out0 = j->sums + 2 * k * C, *out1 = out0 + C;
    memset(acc, 0, 2 * C * sizeof(float));
    for (Py_ssize_t q = p0; q < p1; q += NORM_BLOCK) {
        const Py_ssize_t q1 = q + NORM_BLOCK < p1 ? q + NORM_BLOCK : p1;
        for (Py_ssize_t v = 0; v < vectors; v++) {
            const Py_ssize_t c = v * VL;
            vf s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0}, t0 = {0}, t1 = {0}, t2 = {0}, t3 = {0};
            const vf mu = vload(j->mean + c);
            Py_ssize_t p = q;
#define X(u) relu_vector(load_values(j->x, (p + (u)) * C + c, bf))
#define G(u) load_values(j->g, (p + (u)) * C + c, bf)
            if (mode == NORM_MOMENTS) {
                for (; p + 4 <= q1; p += 4) {
                    const vf d0 = X(0) - mu, d1 = X(1) - mu, d2 = X(2) - mu, d3 = X(3) - mu;
                    s0 += d0, s1 += d1, s2 += d2, s3 += d3;
                    t0 += d0 * d0, t1 += d1 * d1, t2 += d2 * d2, t3 += d3 * d3;
                }
                for (; p < q1; p++) {
                    const vf d = X(0) - mu;
                    s0 += d;
                    t0 += d * d;
                }
            } else {
                for (; p + 4 <= q1; p += 4) {
                    const vf g0 = G(0), g1 = G(1), g2 = G(2), g3 = G(3);
                    s0 += g0, s1 += g1, s2 += g2, s3 += g3;
                    t0 += g0 * (X(0) - mu), t1 += g1 * (X(1) - mu), t2 += g2 * (X(2) - mu), t3 += g3 * (X(3) - mu);
                }
                for (; p < q1; p++) {
                    const vf g = G(0);
                    s0 += g;
                    t0 += g * (X(0) - mu);
                }
            }
#undef X
#undef G
            const vf s = vload(acc + c) + ((s0 + s1) + (s2 + s3)), t = vload(acc + C + c) + ((t0 + t1) + (t2 + t3));
            memcpy(acc + c, &s, sizeof s);
            memcpy(acc + C + c, &t, sizeof t);
        }
    }
    memcpy(out0, acc, vectors * sizeof(vf));
    memcpy(out1, acc + C, vectors * sizeof(vf));
    for (Py_ssize_t c = vectors * VL; c < C; c++)
        channel_sums(j, c, p0, p1, out0, out1);
}

/* Chunk k's outputs (NORM_APPLY, NORM_BACKWARD), pixel by pixel, vectors of channels then the scalar tail. */
static inline INLINE void chunk_outputs(const norm_t *j, Py_ssize_t k) {
    const Py_ssize_t C = j->c, bf = j->bf16, backward = j->mode == NORM_BACKWARD;
    const Py_ssize_t p0 = k * NORM_CHUNK, p1 = p0 + NORM_CHUNK < j->p ? p0 + NORM_CHUNK : j->p;
    const float *a = j->a, *b = j->b, *s = j->s, *mean = j->mean;
    for (Py_ssize_t p = p0; p < p1; p++) {
        Py_ssize_t c = 0;
        for (; c + VL <= C; c += VL) {
            const Py_ssize_t i = p * C + c;
            const vf v = load_values(j->x, i, bf);
            vf o;
            if (backward) {
                o = vload(a + c) * load_values(j->g, i, bf) + vload(s + c) * (v - vload(mean + c)) + vload(b + c);
                o = (vf)((vi)o & (v > (vf){0}));
            } else {
                o = vload(a + c) * (relu_vector(v) - vload(mean + c)) + vload(b + c);
            }
            store_values(j->out, i, o, bf);
        }
        for (; c < C; c++) {
            const Py_ssize_t i = p * C + c;
            const float v = load_value(j->x, i, bf);
            const float o = backward ? (v > 0.f ? a[c] * load_value(j->g, i, bf) + s[c] * (v - mean[c]) + b[c] : 0.f)
                                     : a[c] * (relu_value(v) - mean[c]) + b[c];
            store_value(j->out, i, o, bf);
        }
    }
}

CLONES static void norm_chunks(const void *job, Py_ssize_t k0, Py_ssize_t k1) {
    norm_t *j = (norm_t *)job;
    float *acc = malloc(2 * j->c * sizeof(float)); /* two sums per channel */
    if (!acc) {
        j->failed = 1;
        return;
    }
    for (Py_ssize_t k = k0; k < k1; k++)
        if (j->mode <= NORM_GRAD_SUMS)
            chunk_sums(j, k, acc);
        else
            chunk_outputs(j, k);
    free(acc);
}

static PyObject *relu_norm(PyObject *self, PyObject *args) {
    norm_t job;
    Py_ssize_t x, g, out, a, b, s, mean, sums, threads;
    if (!PyArg_ParseTuple(args, "nnnnnnnnnnnnn", &job.mode, &x, &g, &out, &a, &b, &s, &mean, &sums, &job.p, &job.c,
                          &job.bf16, &threads))
        return NULL;
    const int grads = job.mode == NORM_GRAD_SUMS || job.mode == NORM_BACKWARD, outputs = job.mode >= NORM_APPLY;
    if (job.mode < NORM_MOMENTS || job.mode > NORM_BACKWARD || job.p < 1 || job.c < 1 || !x || (grads && !g) ||
        !mean || (outputs ? !out || !a || !b || (job.mode == NORM_BACKWARD && !s) : !sums)) {
        PyErr_SetString(PyExc_ValueError, "relu_norm: an unknown pass, an empty layer or a missing operand");
        return NULL;
    }
    job.x = (const void *)x;
    job.g = (const void *)g;
    job.out = (void *)out;
    job.a = (const float *)a;
    job.b = (const float *)b;
    job.s = (const float *)s;
    job.mean = (const float *)mean;
    job.sums = (float *)sums;
    job.failed = 0;
    in_shares(norm_chunks, &job, (job.p + NORM_CHUNK - 1) / NORM_CHUNK, threads);
    if (job.failed)
        return PyErr_NoMemory();
    Py_RETURN_NONE;
}

/* The fit's exact bilinear doubling (torch's upsampling with align_corners False, to twice the height and width) of
 * a channels-last (H, W, C) layer of float32 or bfloat16 values, and its backward (ddcodec/fused.py, doubled; model.
 * _Doubling). Along each axis output 2i is 3/4 input i + 1/4 input i - 1, output 2i + 1 3/4 input i + 1/4 input
 * i + 1, the neighbour clamped at the edges; so input i's gradient is 3/4 (g[2i] + g[2i + 1]) + 1/4 (g[2i - 1] +
 * g[2i + 2]), those indices clamped. Rows first (into a float32 row), then columns; stored in the layer's type. */
typedef struct {
    const void *src;
    void *dst;
    Py_ssize_t h, w, c, bf16;
    volatile int failed;
} doubling_t;

static inline Py_ssize_t clamp_below(Py_ssize_t i, Py_ssize_t n) { return i < n ? i : n - 1; }

/* Output rows y0 .. y1 - 1 of the doubling */
CLONES static void doubled_rows(const void *job, Py_ssize_t y0, Py_ssize_t y1) {
    doubling_t *j = (doubling_t *)job;
    const Py_ssize_t W = j->w, C = j->c, n = W * C, bf = j->bf16;
    float *buf = malloc((5 * n) * sizeof(float)); /* two input rows, their blend, the output row (2n) */
    if (!buf) {
        j->failed = 1;
        return;
    }
    float *restrict a = buf, *restrict b = buf + n, *restrict r = buf + 2 * n, *restrict o = buf + 3 * n;
    for (Py_ssize_t y = y0; y < y1; y++) {
        const Py_ssize_t i = y / 2, other = y % 2 ? clamp_below(i + 1, j->h) : (i > 0 ? i - 1 : 0);
        floats_of(a, j->src, i * n, n, bf);
        floats_of(b, j->src, other * n, n, bf);
        for (Py_ssize_t k = 0; k < n; k++)
            r[k] = 0.75f * a[k] + 0.25f * b[k];
        for (Py_ssize_t x = 0; x < W; x++) {
            const float *restrict mid = r + x * C, *restrict left = r + (x > 0 ? x - 1 : 0) * C;
            const float *restrict right = r + clamp_below(x + 1, W) * C;
            float *restrict o0 = o + 2 * x * C, *restrict o1 = o0 + C;
            for (Py_ssize_t c = 0; c < C; c++) {
                o0[c] = 0.75f * mid[c] + 0.25f * left[c];
                o1[c] = 0.75f * mid[c] + 0.25f * right[c];
            }
        }
        floats_to(j->dst, y * 2 * n, o, 2 * n, bf);
    }
    free(buf);
}

/* Input rows i0 .. i1 - 1 of the doubling's backward (src: the output's gradient, 2H x 2W) */
CLONES static void doubled_backward_rows(const void *job, Py_ssize_t i0, Py_ssize_t i1) {
    doubling_t *j = (doubling_t *)job;
    const Py_ssize_t W = j->w, C = j->c, n = 2 * W * C, rows = 2 * j->h, bf = j->bf16;
    float *buf = malloc((5 * n + W * C) * sizeof(float)); /* four gradient rows, their blend, the input's row */
    if (!buf) {
        j->failed = 1;
        return;
    }
    float *restrict g0 = buf, *restrict g1 = buf + n, *restrict gm = buf + 2 * n, *restrict gp = buf + 3 * n;
    float *restrict v = buf + 4 * n, *restrict o = buf + 5 * n;
    for (Py_ssize_t i = i0; i < i1; i++) {
        floats_of(g0, j->src, 2 * i * n, n, bf);
        floats_of(g1, j->src, (2 * i + 1) * n, n, bf);
        floats_of(gm, j->src, (i > 0 ? 2 * i - 1 : 0) * n, n, bf);
        floats_of(gp, j->src, clamp_below(2 * i + 2, rows) * n, n, bf);
        for (Py_ssize_t k = 0; k < n; k++)
            v[k] = 0.75f * (g0[k] + g1[k]) + 0.25f * (gm[k] + gp[k]);
        for (Py_ssize_t x = 0; x < W; x++) {
            const float *restrict e = v + 2 * x * C, *restrict f = e + C;
            const float *restrict l = v + (x > 0 ? 2 * x - 1 : 0) * C;
            const float *restrict r = v + clamp_below(2 * x + 2, 2 * W) * C;
            float *restrict out = o + x * C;
            for (Py_ssize_t c = 0; c < C; c++)
                out[c] = 0.75f * (e[c] + f[c]) + 0.25f * (l[c] + r[c]);
        }
        floats_to(j->dst, i * W * C, o, W * C, bf);
    }
    free(buf);
}

static PyObject *doubling(PyObject *self, PyObject *args) {
    doubling_t job;
    Py_ssize_t backward, src, dst, threads;
    if (!PyArg_ParseTuple(args, "nnnnnnnn", &backward, &src, &dst, &job.h, &job.w, &job.c, &job.bf16, &threads))
        return NULL;
    if (job.h < 1 || job.w < 1 || job.c < 1 || !src || !dst) {
        PyErr_SetString(PyExc_ValueError, "doubling: an empty layer");
        return NULL;
    }
    job.src = (const void *)src;
    job.dst = (void *)dst;
    job.failed = 0;
    if (backward)
        in_shares(doubled_backward_rows, &job, job.h, threads);
    else
        in_shares(doubled_rows, &job, 2 * job.h, threads);
    if (job.failed)
        return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"depthwise", depthwise, METH_VARARGS, "A 3x3 depthwise kernel, ReLU and per-row statistics."},
    {"pixels", pixels, METH_VARARGS, "The output conv, sigmoid and 8-bit rounding of a band."},
    {"depthwise_backward", depthwise_backward, METH_VARARGS, "The fit's depthwise kernel, backward."},
    {"relu_norm", relu_norm, METH_VARARGS, "One pass of the fit's ReLU and channel normalisation."},
    {"doubling", doubling, METH_VARARGS, "The fit's bilinear doubling, forward or backward."},
    {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fused", NULL, -1, methods, NULL, NULL, NULL, NULL};
PyMODINIT_FUNC PyInit__fused(void) {
    init_levels();
    PyObject *m = PyModule_Create(&module);
    /* fused.py reads these rather than repeating them */
    if (m && (PyModule_AddIntConstant(m, "ROW_MAX", ROW_MAX) || PyModule_AddIntConstant(m, "VL", VL) ||
              PyModule_AddIntConstant(m, "NORM_CHUNK", NORM_CHUNK))) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
