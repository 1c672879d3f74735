/* nnsp: the fixed-point streaming speech enhancer of nnse, for microcontrollers (and the host).
 *
 * Portable freestanding C99: no heap, no floating point, nothing from libc beyond <stdint.h> and <string.h>.
 * A converted model (nnsp_model, normally const tables in flash) runs in a caller-provided arena that holds
 * all mutable state:
 *
 *     static uint8_t arena[NNSP_ARENA_BYTES];              // or: nnsp_arena_size(&model) bytes
 *     nnsp_params params = nnsp_default_params();
 *     params.atten_lim_db_q8 = 20 << 8;                     // never attenuate by more than 20 dB
 *     params.pass_gain_q15 = 0;                             // the default: the model's recommended pass level
 *     nnsp_state *st = nnsp_init(&model, arena, sizeof arena, &params, &status);
 *     for (;;) { read 160 samples; nnsp_process_q15(st, in, out); write 160 samples; }
 *
 * Each call takes one hop (NNSP_HOP = 10 ms at 16 kHz) and returns one hop. The output is delayed by
 * NNSP_DELAY samples (window - hop = 20 ms), the latency of the overlap-add synthesis.
 *
 * Naming: a suffix _qN means a signed fixed-point value with N fraction bits (value = integer / 2^N);
 * every arithmetic step is written down in docs/fixed-point.md. */
#ifndef NNSP_H
#define NNSP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The model format this runtime reads; nnsp_init refuses any other. */
#define NNSP_MODEL_VERSION 5u /* 5: nnsp_layer.concat_input; 4: nnsp_model.pitch_filter_q15; 3: nnsp_layer.w_layout, nnsp_model.floor_guard_q8 */

/* The one front end this runtime implements (nnse's reference front end): 16 kHz, 480-sample sqrt-Hann window,
 * hop 160, 512-point FFT (257 bins). A model records its own values and nnsp_init checks them. */
#define NNSP_SAMPLE_RATE 16000
#define NNSP_WINDOW 480
#define NNSP_HOP 160
#define NNSP_FFT 512
#define NNSP_BINS 257
#define NNSP_DELAY (NNSP_WINDOW - NNSP_HOP)

typedef enum {
  NNSP_LAYER_FC = 0,     /* y = act(W x + b) */
  NNSP_LAYER_CONV1D = 1, /* causal over time: an fc over the last `kernel` input frames stacked oldest first */
  NNSP_LAYER_LSTM = 2,   /* Keras LSTM, gate rows (i, f, g, o) */
  NNSP_LAYER_GRU = 3     /* reset-after GRU (PyTorch form), gate rows (r, z, n) */
} nnsp_layer_kind;

typedef enum {
  NNSP_ACT_LINEAR = 0, /* output saturated to int16 in the layer's q_out */
  NNSP_ACT_RELU6 = 1,  /* output in q_out <= 12 (6.0 must fit int16) */
  NNSP_ACT_TANH = 2,   /* output Q15 */
  NNSP_ACT_SIGMOID = 3 /* output Q15 */
} nnsp_activation;

/* The log features of a frame (Q15 in the runtime, docs/fixed-point.md), with P[k] the power spectrum and band m of
 * the mel tables holding the weights w_j over bins first .. first + count - 1 (W = sum w_j, E = sum w_j P[first + j]):
 *   mel:      feature_dim = bands; log10(E + offset) per band
 *   pspec:    feature_dim = NNSP_BINS; log10(P[k] + offset) per bin (no mel tables)
 *   melflat:  feature_dim = 2 bands; the mel features, then each band's spectral flatness in log10,
 *             sum_j w_j log10(P[first + j] + offset) / W - log10(E / W + offset) (<= 0; 0 for a flat band), exactly 0
 *             for a band with fewer than two weights or W = 0. nnse's feature type melflat. */
typedef enum { NNSP_FEATURE_MEL = 0, NNSP_FEATURE_PSPEC = 1, NNSP_FEATURE_MELFLAT = 2 } nnsp_feature_type;

/* How a layer's weight tables (w and r alike) are ordered; the values are the same, only their places differ.
 * NNSP_W_BLOCK4 is what nnse convert writes where it applies: a product loop with the Arm DSP extension then
 * loads four rows' next four weights with one instruction, already in the order its sign-extension gives. */
typedef enum {
  NNSP_W_ROWS = 0,  /* row-major: W[r][c] at r * cols + c */
  /* Needs cols % 4 == 0. Whole blocks of four rows (r < rows - rows % 4) group by four columns: W[r][c] at
   * (r - r % 4) cols + 16 (c / 4) + 4 (r % 4) + k, where byte k of each four holds column 4 (c / 4) + (0, 2, 1,
   * 3)[k]. The last rows % 4 rows stay row-major (at r * cols + c, after the blocks). */
  NNSP_W_BLOCK4 = 1
} nnsp_w_layout;

/* Weight tables in NNSP_W_BLOCK4 should start at a multiple of 4 bytes (nnse convert writes them so): the Cortex-M
 * kernels load them with LDM, and take the portable path for tables that do not. */
#if defined(__GNUC__)
#define NNSP_WEIGHTS_ALIGN __attribute__((aligned(4)))
#else
#define NNSP_WEIGHTS_ALIGN
#endif

/* One layer. Rows are the outputs of the matrix product: units (fc, conv1d), 4 units (lstm: i, f, g, o),
 * 3 units (gru: r, z, n). Weights are int8 [rows][cols] (placed as w_layout says) with cols = kernel * in_dim
 * (conv1d input index tau * in_dim + f, tau = kernel - 1 the newest frame). Row r's accumulator has q_acc(r)
 * fraction bits:
 *   fc / conv1d:  q_acc = q_in + q_w(r)
 *   lstm / gru:   q_acc = max(q_in + q_w(r), q_out + q_r(r))   (both products are aligned to it)
 * A layer's output has units values, or units + in_dim with concat_input (its input copied after them); the next
 * layer's in_dim is that count. q_w(r) is q_w_rows[r] when that table is given (per-output-channel power-of-two
 * scales), else q_w; likewise q_r. Biases are int16 with one format per tensor, q_b (rbias: q_rb), at most every
 * row's q_acc: a bias enters its row's accumulator multiplied by 2^(q_acc(r) - q_b), which is exact. */
typedef struct {
  uint8_t kind;            /* nnsp_layer_kind */
  uint8_t activation;      /* nnsp_activation (fc, conv1d; lstm and gru use their fixed gates, output Q15) */
  uint8_t kernel;          /* conv1d frames, 1 otherwise */
  uint8_t w_layout;        /* nnsp_w_layout of w and r */
  uint16_t in_dim;         /* values per input frame */
  uint16_t units;
  int8_t q_in;             /* fraction bits of the input activations (the previous layer's q_out) */
  int8_t q_out;            /* fraction bits of the int16 outputs */
  int8_t q_w;              /* fraction bits of the int8 weights (per tensor) */
  int8_t q_r;              /* fraction bits of the int8 recurrent weights (lstm, gru) */
  int8_t q_b;              /* fraction bits of the int16 biases, <= q_acc of every row */
  int8_t q_rb;             /* gru: fraction bits of the int16 rbias, <= q_acc of the n rows; 0 otherwise */
  uint8_t concat_input;    /* 1: the output is [own units, the input's in_dim values] (a skip path); needs
                            * q_in == q_out, and not on the last layer */
  uint8_t reserved;        /* 0 */
  const int8_t *q_w_rows;  /* optional [rows]: per-row weight fraction bits, overriding q_w */
  const int8_t *q_r_rows;  /* optional [rows]: per-row recurrent fraction bits, overriding q_r */
  const int8_t *w;         /* [rows][kernel * in_dim] */
  const int8_t *r;         /* lstm, gru: [rows][units] */
  const int16_t *bias;     /* [rows], Q(q_b) */
  const int16_t *rbias;    /* gru: [units] bias of the recurrent n-gate product (b_hn), Q(q_rb) */
} nnsp_layer;

typedef struct {
  uint32_t version;           /* NNSP_MODEL_VERSION */
  uint16_t sample_rate, window_length, hop_length, fft_size;
  uint8_t feature_type;       /* nnsp_feature_type */
  uint8_t input_q;            /* fraction bits of the normalized features fed to layer 0 (int16) */
  uint16_t feature_dim;       /* mel bands (mel), NNSP_BINS (pspec), 2 mel bands (melflat) */
  /* DC-removal poles, Q30; 0 disables the filter. Features: the reference high-pass (31630/32768 = 0.96527);
   * synthesis: the DC-only blocker of nnse's float enhancer (0.9995). */
  int32_t feature_dc_pole_q30;
  int32_t output_dc_pole_q30;
  int32_t log_offset_q23;     /* feature = log10(x + offset); 2^-15 is 256 */
  /* The model's recommended pass level (nnsp_params.pass_gain_q15 = 0 uses it), Q15 in [1, 32768]; 32768 = none.
   * Written by nnse convert from the model folder's enhancer.json. */
  int32_t pass_gain_q15;
  /* The model's recommended noise-floor guard strength beta, Q8 in [0, 65535] (0 = none; nnsp_params.floor_guard_q8
   * = -1 uses it). Written by nnse convert from the model folder's enhancer.json. */
  int32_t floor_guard_q8;
  /* The model's recommended pitch filter strength, Q15 in [0, 32768] (0 = none; nnsp_params.pitch_filter_q15 = -1
   * uses it). Written by nnse convert from the model folder's enhancer.json. */
  int32_t pitch_filter_q15;
  /* Mel filterbank (feature_type mel and melflat; null for pspec): band m covers bins mel_first_bin[m] .. +
   * mel_count[m] - 1 with the weights mel_weights_q15[mel_offset[m] ...]; offsets are cumulative counts. */
  const uint16_t *mel_first_bin;
  const uint16_t *mel_count;
  const uint16_t *mel_offset;
  const int16_t *mel_weights_q15;
  const int32_t *mean_q15;    /* [feature_dim] per-band mean of the log features */
  const int32_t *inv_std_q15; /* [feature_dim] per-band 1 / std */
  uint16_t num_layers;
  const nnsp_layer *layers;
} nnsp_model;

typedef enum {
  NNSP_OK = 0,
  NNSP_ERR_NULL = 1,        /* a required pointer is null */
  NNSP_ERR_VERSION = 2,     /* model format version differs */
  NNSP_ERR_FRONTEND = 3,    /* front-end numbers this runtime does not implement */
  NNSP_ERR_MODEL = 4,       /* inconsistent layer list (shapes, Q-formats, tables) */
  NNSP_ERR_ARENA = 5,       /* arena too small or not 8-byte aligned */
  NNSP_ERR_PARAMS = 6       /* parameter out of range */
} nnsp_status;

/* Settings that are not part of the model. */
typedef struct {
  /* Attenuation limit in dB, Q8 (20 dB = 20 << 8): no bin's gain goes below 10^(-limit/20). Negative = no
   * limit (the network's gain as it is). Maximum 120 dB. */
  int32_t atten_lim_db_q8;
  /* Pass level G, Q15 in [1, 32768] (32768 = 1.0 = none), or 0 for the model's (nnsp_model.pass_gain_q15): a gain
   * at or above G becomes 1, lower gains are divided by G (g' = min(1, g / G), exact integer division, rounded).
   * Applied before the attenuation limit's floor, as nnse's float enhancer does. */
  int32_t pass_gain_q15;
  /* Noise-floor guard strength beta, Q8 in [0, 65535] (10.0 = 2560), 0 = off, -1 = the model's
   * (nnsp_model.floor_guard_q8). Per bin a floor tracker follows the noise; a bin standing well above its floor
   * (by more than beta) is not turned down by more than that floor explains, weighted by the network's own gain
   * (fully at 0.3 and above): clean speech passes unharmed, noise the network is sure of stays removed. The same
   * guard as nnse's float enhancer (--floor-guard), applied after the pass level and the floor. */
  int32_t floor_guard_q8;
  /* Pitch filter strength, Q15 in [0, 32768] (1.0 = 32768), 0 = off, -1 = the model's (nnsp_model.pitch_filter_q15).
   * Before the gains, each voiced band is mixed with the input one pitch period back, in proportion to how
   * periodic it is and how much noise its gain (or the floor tracker) says it holds: the noise between a voice's
   * harmonics goes down, a clean band passes unchanged. The same filter as nnse's float enhancer (--pitch-filter);
   * it runs the noise-floor guard's trackers even when the guard is off. */
  int32_t pitch_filter_q15;
} nnsp_params;

typedef struct nnsp_state nnsp_state;

/* Defaults: no attenuation limit (as nnse's float enhancer), the model's pass level and noise-floor guard. */
nnsp_params nnsp_default_params(void);

/* Bytes of arena the model needs (0 if the model is unusable). The arena must be 8-byte aligned. */
uint32_t nnsp_arena_size(const nnsp_model *model);

/* Validates the model, lays out the state in the arena and resets it. Returns the state (inside the arena), or
 * null with *status (if status is non-null) saying why. The model must outlive the state. */
nnsp_state *nnsp_init(const nnsp_model *model, void *arena, uint32_t arena_bytes, const nnsp_params *params,
                      nnsp_status *status);

/* Back to the stream start: filters, overlap-add, context history and recurrent state as after nnsp_init. */
void nnsp_reset(nnsp_state *state);

/* One hop: NNSP_HOP input samples (Q15) -> NNSP_HOP output samples (Q15), delayed by NNSP_DELAY samples.
 * in and out may be the same buffer. */
void nnsp_process_q15(nnsp_state *state, const int16_t in[NNSP_HOP], int16_t out[NNSP_HOP]);

/* The gain floor an attenuation limit gives, Q15 (0 for a negative limit): round(2^15 * 10^(-db / 20)). */
int32_t nnsp_gain_floor_q15(int32_t atten_lim_db_q8);

/* For analysis and tests: the last hop's network output (NNSP_BINS gains after the floor, Q15) and the last
 * normalized feature frame (feature_dim values, Q(input_q)). Valid until the next nnsp_process_q15. */
const int16_t *nnsp_last_gains_q15(const nnsp_state *state);
const int16_t *nnsp_last_features(const nnsp_state *state);

#ifdef __cplusplus
}
#endif

#endif /* NNSP_H */
