#include "nnse/data/reverb.h"

#include <algorithm>
#include <cmath>
#include <complex>

#include "nnse/dsp/fft.h"
#include "nnse/util/error.h"

namespace nnse::data {

PreparedRir prepare_rir(std::span<const float> rir, int sample_rate, const RirOptions& options) {
  if (rir.empty()) throw Error("room impulse response is empty");
  std::size_t peak = 0;
  float best = 0.0f;
  for (std::size_t i = 0; i < rir.size(); ++i) {
    if (std::fabs(rir[i]) > best) {
      best = std::fabs(rir[i]);
      peak = i;
    }
  }
  if (best == 0.0f) throw Error("room impulse response is all zeros");
  const std::size_t before = std::min<std::size_t>(peak, static_cast<std::size_t>(std::max(0, options.max_samples_before_peak)));
  const auto after = static_cast<std::size_t>(std::max(0.0, options.max_seconds_after_peak) * sample_rate);
  const std::size_t begin = peak - before;
  const std::size_t end = std::min(rir.size(), peak + after + 1);
  PreparedRir out;
  out.full.assign(rir.begin() + static_cast<std::ptrdiff_t>(begin), rir.begin() + static_cast<std::ptrdiff_t>(end));
  out.peak = before;
  out.target = out.full;
  const double per_sample_db = options.extra_decay_db_per_second / sample_rate;
  for (std::size_t i = out.peak + static_cast<std::size_t>(std::max(0, options.early_samples)) + 1; i < out.target.size(); ++i) {
    const double late = static_cast<double>(i - out.peak - static_cast<std::size_t>(std::max(0, options.early_samples)));
    out.target[i] = static_cast<float>(out.target[i] * std::pow(10.0, -late * per_sample_db / 20.0));
  }
  return out;
}

std::vector<std::vector<float>> fft_convolve(std::span<const float> x, const std::vector<std::vector<float>>& kernels,
                                             std::size_t offset, std::size_t length) {
  std::vector<std::vector<float>> out(kernels.size(), std::vector<float>(length, 0.0f));
  std::size_t longest = 1;
  for (const auto& k : kernels) longest = std::max(longest, k.size());
  if (x.empty() || kernels.empty() || length == 0) return out;
  std::size_t n = 1024;
  while (n < 2 * longest) n *= 2;
  const std::size_t block = n - longest + 1;
  dsp::RealFft fft(static_cast<int>(n));
  const auto bins = static_cast<std::size_t>(fft.bins());
  std::vector<float> frame(n);
  std::vector<std::vector<dsp::Complex>> spectra(kernels.size(), std::vector<dsp::Complex>(bins));
  for (std::size_t k = 0; k < kernels.size(); ++k) {
    std::fill(frame.begin(), frame.end(), 0.0f);
    std::copy(kernels[k].begin(), kernels[k].end(), frame.begin());
    fft.forward(frame, spectra[k]);
  }
  std::vector<dsp::Complex> input(bins), product(bins);
  const std::size_t last_output = offset + length;  // exclusive, in full-convolution indices
  for (std::size_t start = 0; start < x.size() && start < last_output; start += block) {
    if (start + block + longest <= offset) continue;  // this block's output ends before the wanted range
    const std::size_t count = std::min(block, x.size() - start);
    std::fill(frame.begin(), frame.end(), 0.0f);
    std::copy(x.begin() + static_cast<std::ptrdiff_t>(start), x.begin() + static_cast<std::ptrdiff_t>(start + count), frame.begin());
    fft.forward(frame, input);
    for (std::size_t k = 0; k < kernels.size(); ++k) {
      for (std::size_t b = 0; b < bins; ++b) product[b] = input[b] * spectra[k][b];
      fft.inverse(product, frame);
      const std::size_t valid = count + kernels[k].size() - 1;
      for (std::size_t i = 0; i < valid; ++i) {
        const std::size_t position = start + i;
        if (position < offset) continue;
        if (position >= last_output) break;
        out[k][position - offset] += frame[i];
      }
    }
  }
  return out;
}

}  // namespace nnse::data
