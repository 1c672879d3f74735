#pragma once
// HTK mel filterbank (reference 1.6): bands + 2 points equally spaced in mel from 0 to mel(sample_rate / 2),
// each mapped to an FFT bin b[i] = floor((fft_size + 1) * f_i / sample_rate). Filter m (1-based) rises as
// (k - b[m-1]) / (b[m] - b[m-1]) over [b[m-1], b[m]) and falls as (b[m+1] - k) / (b[m+1] - b[m]) over
// [b[m], b[m+1]); peak 1, no area normalization. With the defaults the first 13 filters are single-bin
// identities and the Nyquist bin belongs to no filter. Weights are floored to config.mel_weight_bits fraction
// bits (the reference's Q15 table) unless that is 0.
#include <span>
#include <vector>

#include "nnse/dsp/frontend_config.h"

namespace nnse::dsp {

double hz_to_mel(double hz);   // HTK: 2595 log10(1 + f / 700)
double mel_to_hz(double mel);

// The bands + 2 bin edges b[0..bands+1].
std::vector<int> mel_bin_edges(const FrontendConfig& config);

// Sparse filterbank: each band stores only its non-zero weights (432 in all with the defaults), so applying it
// costs one multiply-add per non-zero.
class MelFilterbank {
 public:
  explicit MelFilterbank(const FrontendConfig& config);
  int bands() const { return static_cast<int>(first_bin_.size()); }
  int bins() const { return bins_; }
  std::size_t nonzeros() const { return weights_.size(); }
  // First bin and weights of one band (its non-zero support, contiguous).
  int first_bin(int band) const { return first_bin_[static_cast<std::size_t>(band)]; }
  std::span<const float> weights(int band) const;

  // mel[m] = sum_k W[m][k] power[k]. power.size() == bins(), mel_out.size() == bands().
  void apply(std::span<const float> power, std::span<float> mel_out) const;
  // Dense row-major [bands x bins] matrix.
  std::vector<float> dense() const;

 private:
  int bins_ = 0;
  std::vector<int> first_bin_;
  std::vector<std::size_t> offset_;  // bands + 1 offsets into weights_
  std::vector<float> weights_;
};

// Dense row-major [bands x bins] filterbank matrix (the layout of the reference's fbank_mel.npy).
std::vector<float> mel_filterbank_matrix(const FrontendConfig& config);

}  // namespace nnse::dsp
