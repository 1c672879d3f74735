#include "nnse/dsp/window.h"

#include <cmath>
#include <numbers>

namespace nnse::dsp {

std::vector<float> stft_window(const FrontendConfig& config) {
  config.validate("stft_window");
  const int win = config.window_length;
  const double scale = static_cast<double>(config.hop_length) / win;
  std::vector<float> w(static_cast<std::size_t>(win));
  for (int n = 0; n < win; ++n) {
    const double hann2 = 1.0 - std::cos(2.0 * std::numbers::pi * n / win);  // 2 x periodic Hann
    w[static_cast<std::size_t>(n)] = static_cast<float>(std::sqrt(scale * hann2));
  }
  return w;
}

}  // namespace nnse::dsp
