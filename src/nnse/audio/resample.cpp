#include "nnse/audio/resample.h"

#include <soxr.h>

#include <cmath>
#include <string>

#include "nnse/util/error.h"

namespace nnse::audio {

std::vector<float> resample(std::span<const float> signal, int from_rate, int to_rate) {
  if (from_rate <= 0 || to_rate <= 0) throw Error("resample: invalid rates " + std::to_string(from_rate) + " -> " + std::to_string(to_rate));
  if (from_rate == to_rate) return {signal.begin(), signal.end()};
  const auto length = static_cast<std::size_t>(std::llround(static_cast<double>(signal.size()) * to_rate / from_rate));
  std::vector<float> out(length);
  std::size_t done = 0;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  const soxr_error_t error = soxr_oneshot(from_rate, to_rate, 1, signal.data(), signal.size(), nullptr, out.data(),
                                          out.size(), &done, &io, &quality, nullptr);
  if (error) throw Error(std::string("resample: soxr failed: ") + error);
  out.resize(done);
  return out;
}

}  // namespace nnse::audio
