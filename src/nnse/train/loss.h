#pragma once
// Training losses of "Table 1" (docs/reference-facts.md section 4, after Braun & Tashev 2021) for a network that outputs a
// real gain G per bin applied to the noisy complex STFT Y (noisy phase): S_hat = G * Y. Every loss returns its
// value and the exact gradient dL/dG; the trainer back-propagates from there.
//
// Normalization (the same for every batch split, so losses of different batch sizes are comparable):
//   spectral losses (mag_*, log_mse, cplx_*, cmag_mse, ccplx_mse, cmix): mean over valid frames and bins,
//       L = sum_{valid t, k} l(t, k) / (total_valid_frames * bins)
//   spec_corr: mean over valid frames of the per-frame loss 1 - cos(., .)
//   nnse_pow: sum over bins, mean over valid frames (the reference's training loss, reference 4.4);
//       divide by bins to compare with the reference's logged per-bin value
//   si_sdr, wsdr, tsnr: per-sequence value on the time signals of the sequence's valid frames, mean over
//       total_sequences (each sequence counts once, whatever its length; one without valid frames adds 0)
//   bwsdr: per sequence the mean over 16 mel-spaced bands of wsdr on the band's STFT bins, mean over
//       total_sequences like wsdr (band_losses.cpp)
// See docs/metrics.md for the formulas, the eps guards and their defaults.
#include <complex>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nnse/dsp/frontend_config.h"

namespace nnse::train {

// One batch (or a range of its sequences) in the trainer's layout. All arrays are row-major; a range is
// described by offset pointers and its own `sequences`, while the totals stay those of the whole batch.
// The spectra are given per sequence (the trainer points into each clip's spectrum instead of copying it);
// only valid frames are read, so a sequence's rows may end with its valid frames.
struct LossBatch {
  int sequences = 0, frames = 0, bins = 0;
  const std::complex<float>* const* noisy = nullptr;  // [sequences] -> [frames][bins]  Y
  const std::complex<float>* const* clean = nullptr;  // [sequences] -> [frames][bins]  S (target)
  const float* gain = nullptr;                 // [sequences][frames][bins]  G
  const std::uint8_t* valid = nullptr;         // [sequences][frames] 1 = real frame, 0 = padding (at the end);
                                               // nullptr = every frame is real
  double total_valid_frames = 0;               // over the WHOLE batch (all ranges), for normalization
  int total_sequences = 0;                     // over the whole batch
  // Optional, read by the time-domain losses only (Loss::uses_signals): the time signals whose stft() the noisy and
  // clean rows are, [sequences] -> the sequence's samples from its first row's hop on (the alignment of
  // dsp::istft's output; a sequence with v valid frames needs v * hop_length samples, zeros past the signal's end).
  // With them, s = istft(S) and y = istft(Y) come from dsp::istft_of_stft (the same up to float rounding) instead
  // of two inverse STFTs per sequence. nullptr: from the rows.
  const float* const* noisy_signal = nullptr;
  const float* const* clean_signal = nullptr;
};

// Per-sequence pointers into spectra held as one [sequences][frames][bins] array, for LossBatch::noisy / clean.
std::vector<const std::complex<float>*> sequence_rows(const std::vector<std::complex<float>>& spectra, int sequences,
                                                      int frames, int bins);

struct LossConfig {
  std::string name = "cmix";
  double c = 0.3;    // power-law compression exponent on magnitudes (cmag_mse, ccplx_mse, cmix, spec_corr)
  double a = 0.3;    // weight of the complex term in cmix
  double eps = -1;   // guard of logs / divisions / compression; -1 = the loss's default
};

class Loss {
 public:
  virtual ~Loss() = default;
  // Loss contribution of batch.sequences sequences such that summing over disjoint ranges gives the batch loss.
  // Writes dL/dG (same layout as gain; zero on padded frames) when grad_gain != nullptr. Const and free of
  // shared state: ranges may be evaluated concurrently from several threads.
  virtual double evaluate(const LossBatch& batch, float* grad_gain) const = 0;
  // One line: name, resolved knobs and normalization, for logs and result tables.
  virtual std::string describe() const = 0;
  // Whether LossBatch::noisy_signal / clean_signal save this loss work (the time-domain losses).
  virtual bool uses_signals() const { return false; }
  // Whether evaluate() reads the clean rows (LossBatch::clean) of a batch that has the time signals. When it does
  // not, the trainer computes no clean STFT at all and passes null rows.
  virtual bool reads_clean_rows_with_signals() const { return true; }
};

// Throws nnse::Error for an unknown name (listing the valid ones) or a knob out of range.
std::unique_ptr<Loss> make_loss(const LossConfig& config, const dsp::FrontendConfig& frontend);
// In the order of Table 1 (docs/reference-facts.md section 4).
std::vector<std::string> loss_names();
// The eps a loss uses when LossConfig::eps is -1 (0 for losses that need none).
double default_loss_eps(const std::string& name);

}  // namespace nnse::train
