#pragma once
// Short-time objective intelligibility, implemented from the papers:
//   STOI:  C. H. Taal, R. C. Hendriks, R. Heusdens, J. Jensen, "An algorithm for intelligibility prediction of
//          time-frequency weighted noisy speech", IEEE TASLP 19(7), 2011.
//   ESTOI: J. Jensen, C. H. Taal, "An algorithm for predicting the intelligibility of speech masked by modulated
//          noise maskers", IEEE/ACM TASLP 24(11), 2016.
// Both resample to 10 kHz, remove silent frames (40 dB below the loudest clean frame), analyse 256-sample Hann
// frames with 50% overlap and a 512-point FFT, group bins into 15 one-third-octave bands from 150 Hz and compare
// 30-frame (384 ms) segments of the band envelopes. See docs/metrics.md for the exact choices.
#include <span>
#include <vector>

namespace nnse::metrics {

// STOI in [-1, 1] (in practice [0, 1]); invariant to the level of either signal. Throws nnse::Error when fewer
// than 30 frames remain after silence removal (about 0.4 s of speech is needed).
double stoi(std::span<const float> clean, std::span<const float> processed, int sample_rate);

// Extended STOI (rows then columns of each segment normalized, no clipping); same requirements as stoi().
double estoi(std::span<const float> clean, std::span<const float> processed, int sample_rate);

// The building blocks, exposed for tests.
namespace stoi_detail {

inline constexpr int kRate = 10000;
inline constexpr int kFrame = 256;
inline constexpr int kHop = 128;
inline constexpr int kFft = 512;
inline constexpr int kBands = 15;
inline constexpr double kLowestCenterHz = 150.0;
inline constexpr int kSegment = 30;
inline constexpr double kClipDb = -15.0;        // beta: the processed envelope may exceed the clean by 1 + 10^(15/20)
inline constexpr double kDynamicRangeDb = 40.0;

// The analysis window: a Hann window without zero end points, w[n] = 0.5 - 0.5 cos(2 pi (n + 1) / (N + 1)).
std::vector<double> window();

// FFT bins [first, last) of each band: the band's edges are center * 2^(-+1/6), centers 150 * 2^(j/3) Hz, and
// each edge snaps to the nearest bin (k * kRate / kFft).
struct Band {
  int first, last;
};
std::vector<Band> third_octave_bands();

// Both signals (10 kHz) without the frames whose clean energy is more than 40 dB below the loudest clean
// frame: the kept windowed frames are overlap-added again, back to back, in their order.
struct Trimmed {
  std::vector<float> clean, processed;
};
Trimmed remove_silent_frames(std::span<const float> clean, std::span<const float> processed);

// One-third-octave band envelopes [frame][band] of a (10 kHz, trimmed) signal: the root of the summed bin
// powers of each band, frames every kHop samples (complete frames only).
std::vector<std::vector<double>> band_envelopes(std::span<const float> signal);

// The intermediate-intelligibility measure of one band segment (STOI's d_{j,m}).
double segment_correlation(std::span<const double> clean, std::span<const double> processed);

}  // namespace stoi_detail
}  // namespace nnse::metrics
