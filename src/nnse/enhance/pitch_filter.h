#pragma once
// The pitch filter of the enhancer: before the gains, each band of a voiced frame is mixed with the same frame of
// the input delayed by one pitch period, in proportion to how periodic the band is and how much noise its gain
// says it holds (the comb filter of Valin's RNNoise, 2018, derived from its description: per band b,
//   p_b = Re(sum X P*) / sqrt(sum |X|^2 sum |P|^2)          correlation of the frame with its delayed copy
//   g_b = sqrt(sum g^2 |X|^2 / sum |X|^2)                    the band's gain (energy weighted), raised to
//         sqrt(1 - 2 sum N / sum |X|^2) with N a tracked noise floor (ours: the floor guard's tracker)
//   a_b = 1 if p_b >= g_b, else sqrt(p_b^2 (1 - g_b^2) / (g_b^2 (1 - p_b^2))), clamped to [0, 1]
//   X' = X + min(8, strength a_b sqrt(sum |X|^2 / sum |P|^2)) P,  then X' rescaled to the band energy of X
//        (by at most 4; both bounds keep the fixed-point runtime's ranges)).
// Why: the network's gains are smooth over a mel band, so noise between a voice's harmonics stays wherever the
// band keeps speech. Adding the copy one period back reinforces the harmonics and averages the noise between
// them down; the rescaling keeps the band's level, so the gain that follows is the network's. Where the band is
// clean (a gain near 1, or the tracker sees no noise in it) a_b is near 0 and the frame passes unchanged: the
// network's gains alone sit below 1 on parts of clean speech, which the gain-only rule filtered
// (docs/generalization.md "A pitch filter").
//
// Bands: triangular over the FFT bins with edges every 200 Hz up to 1.6 kHz, then wider (RNNoise's layout up to
// the Nyquist frequency); a bin's coefficient is interpolated between the two bands it belongs to. Only the bands
// up to 1.2 kHz are filtered (the mix fades out towards 1.4 kHz; bins above pass unchanged): above that the copy
// one period back no longer adds up coherently, and filtering there changed no metric (pitch_filter.cpp).
// Pitch: the lag in [min_lag, max_lag] (both made multiples of 4) with the highest correlation of the frame's
// window span with the span one lag back over the square root of that span's energy, longer lags marked down by up
// to 15 % so that a multiple of the period never wins; searched at a quarter of the rate (means of sample pairs,
// twice), then at half and at the full rate over the best lag's neighbours: a twentieth of a full search, so that
// a Cortex-M4 can afford it.
#include <span>
#include <vector>

#include "nnse/dsp/frame_fft.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/dsp/stft.h"

namespace nnse::enhance {

struct PitchFilterOptions {
  double strength = 0.0;  // 0 = off, 1 = the full comb filter
  double min_pitch_hz = 60.0;
  double max_pitch_hz = 500.0;
};

class PitchFilter {
 public:
  PitchFilter(const dsp::FrontendConfig& config, PitchFilterOptions options);  // throws nnse::Error for bad options
  bool enabled() const { return strength_ > 0.0f; }
  void reset();
  // Takes the hop the frontend just analysed, as its synthesis path sees it (StreamingFrontend::synthesis_hop:
  // after the DC blocker, so that the delayed copy is the signal the gains multiply); writes the spectrum of the
  // frame one pitch period back (zeros when the frame has no energy). pitch_bins.size() == bins.
  void analyze_hop(std::span<const float> hop, std::span<dsp::Complex> pitch_bins);
  // Filters one frame in place: `bins` the frame, `pitch_bins` from analyze_hop for the same frame, `gains` the
  // final gains that will multiply it.
  // `noise_floor` (optional, per bin power): a tracked noise floor; a band's speech share is then the larger of
  // its gain's and the floor's (1 - floor / power), so that a band the tracker sees as clean is left alone.
  void apply(std::span<dsp::Complex> bins, std::span<const dsp::Complex> pitch_bins, std::span<const float> gains,
             std::span<const float> noise_floor = {});
  int last_lag() const { return last_lag_; }

 private:
  int find_lag();
  // The lag in [lo, hi] of `frame` (length samples at 1 / step of the rate) with the best score, 0 for none.
  int best_lag(const float* frame, int length, int lo, int hi, int step) const;
  double lag_weight(int lag) const;
  float strength_;
  int window_, hop_, min_lag_, max_lag_, bins_;
  std::vector<float> window_values_;
  std::vector<float> history_;         // the last window + max_lag samples
  std::vector<float> half_, quarter_;  // the history at half and a quarter of the rate
  std::vector<float> frame_;           // fft_size, windowed delayed frame
  dsp::FrameFft fft_;
  std::vector<int> band_edges_;  // bin index of each band's centre
  int filtered_bands_ = 0;       // bands 0 .. filtered_bands_ - 1 are filtered, the rest pass
  std::vector<float> band_x_, band_p_, band_xp_, band_g_, band_n_, band_r_;
  std::vector<dsp::Complex> filtered_;
  int last_lag_ = 0;
};

}  // namespace nnse::enhance
