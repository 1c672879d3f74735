#pragma once
// In-memory resampling with soxr (high quality), for signals that are already loaded (metrics at 10 kHz,
// corpus files at other rates). Files are resampled while streaming by AudioReader instead.
#include <span>
#include <vector>

namespace nnse::audio {

// Returns round(len * to / from) samples; identity when the rates match.
std::vector<float> resample(std::span<const float> signal, int from_rate, int to_rate);

}  // namespace nnse::audio
