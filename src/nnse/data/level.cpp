#include "nnse/data/level.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace nnse::data {

ActiveLevel active_speech_level(std::span<const float> signal, int sample_rate, const ActiveLevelOptions& options) {
  ActiveLevel result;
  const auto frame = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(options.frame_seconds * sample_rate)));
  if (signal.empty()) return result;
  const std::size_t frames = (signal.size() + frame - 1) / frame;
  std::vector<double> energy(frames, 0.0);
  std::vector<std::size_t> length(frames, 0);
  double loudest = 0.0;
  for (std::size_t f = 0; f < frames; ++f) {
    const std::size_t begin = f * frame;
    const std::size_t end = std::min(signal.size(), begin + frame);
    double sum = 0.0;
    for (std::size_t i = begin; i < end; ++i) sum += static_cast<double>(signal[i]) * signal[i];
    length[f] = end - begin;
    energy[f] = sum / static_cast<double>(length[f]);
    loudest = std::max(loudest, energy[f]);
  }
  if (loudest <= 0.0) return result;
  const double threshold = loudest * std::pow(10.0, -options.threshold_db / 10.0);
  double sum = 0.0;
  std::size_t samples = 0;
  for (std::size_t f = 0; f < frames; ++f) {
    if (energy[f] >= threshold) {
      sum += energy[f] * static_cast<double>(length[f]);
      samples += length[f];
      ++result.active_frames;
    }
  }
  result.power = samples > 0 ? sum / static_cast<double>(samples) : 0.0;
  result.active_fraction = static_cast<double>(result.active_frames) / static_cast<double>(frames);
  return result;
}

double mean_power(std::span<const float> signal) {
  if (signal.empty()) return 0.0;
  double sum = 0.0;
  for (const float v : signal) sum += static_cast<double>(v) * v;
  return sum / static_cast<double>(signal.size());
}

}  // namespace nnse::data
