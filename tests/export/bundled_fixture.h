#pragma once
// Shared by the export tests: the bundled model loaded as a trainable nn::Model, and the fixture speech with
// white noise (real audio for the runtime).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "nnse/audio/audio_io.h"
#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/model/checkpoint.h"
#include "nnse/model/checkpoint_match.h"
#include "nnse/nn/arch.h"
#include "nnse/nn/model.h"
#include "test_support.h"

namespace nnse::test {

struct Bundled {
  dsp::FrontendConfig frontend;
  dsp::FeatureStats stats;
  std::unique_ptr<nn::Model> model;
};

inline Bundled load_bundled() {
  const std::filesystem::path file =
      std::filesystem::path(NNSE_SOURCE_DIR) / "models" / "se_nn_arch72_mel" / "model.ckpt";
  const model::Checkpoint ckpt = model::load_checkpoint(file);
  Bundled b;
  b.frontend = ckpt.frontend;
  b.stats.mean = ckpt.feature_mean;
  b.stats.inv_std = ckpt.feature_inv_std;
  b.model = std::make_unique<nn::Model>(nn::parse_arch(ckpt.arch_text, file.string()), 1);
  model::restore_parameters(ckpt, file, b.model->parameters());
  return b;
}

// 2.5 s of fixture speech plus white noise at 0.03.
inline std::vector<float> noisy_speech() {
  const auto speech = audio::read_mono(
      std::filesystem::path(NNSE_SOURCE_DIR) / "tests" / "fixtures" / "speech" / "agent-pass-2s5.flac", 16000, false);
  const auto noise = white_noise(speech.size(), 5, 0.03f);
  std::vector<float> x(speech.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = speech[i] + noise[i];
  return x;
}

inline std::int16_t to_q15(float v) {
  return static_cast<std::int16_t>(std::clamp(std::nearbyint(v * 32768.0f), -32768.0f, 32767.0f));
}

}  // namespace nnse::test
