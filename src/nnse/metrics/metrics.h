#pragma once
// Objective metrics of a processed signal against its clean reference (docs/metrics.md has the definitions).
// All take two mono signals at the same rate; when the lengths differ, the common leading part is compared
// (enhancers may add or drop a few samples at the end). Arithmetic is in double. Nothing returns NaN.
#include <optional>
#include <span>

namespace nnse::metrics {

// Values in dB are clamped to [-kDbLimit, kDbLimit]: identical signals give +kDbLimit, a silent reference or
// a silent / orthogonal estimate gives -kDbLimit.
inline constexpr double kDbLimit = 120.0;

// Scale-invariant SDR (Le Roux et al. 2019), dB: both signals made zero-mean, target = a s with
// a = <s_hat, s> / |s|^2, SI-SDR = 10 log10(|target|^2 / |target - s_hat|^2). Ignores the estimate's level.
double si_sdr(std::span<const float> reference, std::span<const float> estimate);

// Plain SNR, dB: 10 log10(|s|^2 / |s - s_hat|^2). Level errors count as noise.
double snr(std::span<const float> reference, std::span<const float> estimate);

// Segmental SNR, dB: the per-frame SNR over rectangular 30 ms frames with a 15 ms hop (complete frames only),
// each clamped to [-10, 35] dB before averaging over all frames (so silent reference frames count as -10 dB
// and perfect frames as 35 dB).
inline constexpr double kSegSnrFloorDb = -10.0;
inline constexpr double kSegSnrCeilingDb = 35.0;
double segmental_snr(std::span<const float> reference, std::span<const float> estimate, int sample_rate);

// Log-spectral distance, dB: per frame sqrt(mean_k (10 log10(|S_k|^2 + f) - 10 log10(|S_hat_k|^2 + f))^2),
// averaged over frames; periodic Hann frames of 32 ms, 50% overlap, FFT of the next power of two, bins 0..N/2,
// power floor f = 1e-10 (the signals are in [-1, 1), the DFT unnormalized). 0 for identical signals.
double log_spectral_distance(std::span<const float> reference, std::span<const float> estimate, int sample_rate);

// Onset gain, dB: how much of a word's start the estimate keeps. Onsets are found in the reference alone: a 10 ms
// frame whose power is at least `jump_db` above the loudest of the `history_frames` frames before it and within
// `range_db` of the reference's loudest frame (at most one per `spacing_frames`). Per onset, the least-squares gain
// of the estimate on the reference over the `window_frames` frames from it, a = <e, s> / <s, s>, in dB (20 log10 a,
// a floored at 10^(-floor_db / 20)); averaged over the onsets. Noise in the estimate that the reference does not
// hold leaves a unchanged on average, so the value is the gain a system gave a word's first 80 ms at any SNR: 0 dB
// for the noisy input itself, negative for an enhancer that opens late after a pause. Absent (nullopt) when the
// reference has no onset with 300 ms before it.
struct OnsetRule {
  int history_frames = 30, window_frames = 8, spacing_frames = 10;
  double jump_db = 20.0, range_db = 30.0, floor_db = 60.0;
};
inline constexpr OnsetRule kOnset{};
std::optional<double> onset_gain(std::span<const float> reference, std::span<const float> estimate, int sample_rate);

}  // namespace nnse::metrics
