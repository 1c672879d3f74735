#pragma once
// Inside the losses (not for callers: they use loss.h): the walk over a LossBatch's valid frames that every loss
// shares, with the shape checks and the zeroed gradient of padded frames. Inline: the walk runs for every frame
// of every training step.
#include <algorithm>
#include <complex>
#include <cstddef>
#include <string>

#include "nnse/train/loss.h"
#include "nnse/util/error.h"

namespace nnse::train::loss_detail {

inline std::size_t to_size(long long n) { return static_cast<std::size_t>(n); }

inline bool frame_valid(const LossBatch& b, int s, int t) {
  return !b.valid || b.valid[to_size(static_cast<long long>(s) * b.frames + t)] != 0;
}

// clean_rows_optional: a sequence may come without clean rows when the batch has its clean time signal (the
// time-domain losses read only that).
inline void check_batch(const LossBatch& b, const char* who, bool clean_rows_optional = false) {
  if (b.sequences < 0 || b.frames < 0 || b.bins <= 0) {
    throw Error(std::string("loss ") + who + ": bad batch shape " + std::to_string(b.sequences) + "x" +
                std::to_string(b.frames) + "x" + std::to_string(b.bins));
  }
  if (b.sequences > 0 && b.frames > 0 && (!b.noisy || !b.clean || !b.gain)) {
    throw Error(std::string("loss ") + who + ": missing noisy, clean or gain array");
  }
  for (int s = 0; s < b.sequences; ++s) {
    if (b.noisy[s] && (b.clean[s] || (clean_rows_optional && b.clean_signal && b.clean_signal[s]))) continue;
    for (int t = 0; t < b.frames; ++t) {
      if (frame_valid(b, s, t)) {
        throw Error(std::string("loss ") + who + ": sequence " + std::to_string(s) + " has valid frames but no spectra");
      }
    }
  }
}

inline std::size_t offset(const LossBatch& b, int s, int t) {
  return to_size((static_cast<long long>(s) * b.frames + t) * b.bins);
}

// One valid frame: `base` indexes the gain and gradient arrays, `noisy` / `clean` point at its bins.
struct Frame {
  std::size_t base;
  const std::complex<float>* noisy;
  const std::complex<float>* clean;
};

inline const std::complex<float>* row(const std::complex<float>* const* sequences, const LossBatch& b, int s, int t) {
  return sequences[s] + to_size(static_cast<long long>(t) * b.bins);
}

inline void zero_gradient(const LossBatch& b, float* grad) {
  if (grad) std::fill(grad, grad + to_size(static_cast<long long>(b.sequences) * b.frames * b.bins), 0.0f);
}

// Calls frame(Frame) for every valid frame of the range and zeroes the gradient of padded frames.
template <class F>
void for_each_valid_frame(const LossBatch& b, float* grad, F&& frame) {
  for (int s = 0; s < b.sequences; ++s) {
    for (int t = 0; t < b.frames; ++t) {
      const std::size_t base = offset(b, s, t);
      if (frame_valid(b, s, t)) {
        frame(Frame{base, row(b.noisy, b, s, t), row(b.clean, b, s, t)});
      } else if (grad) {
        std::fill(grad + base, grad + base + to_size(b.bins), 0.0f);
      }
    }
  }
}

}  // namespace nnse::train::loss_detail
