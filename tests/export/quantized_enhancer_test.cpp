// The runtime behind the float enhancer's interface: aligned, same length, block-size independent, and equal to
// driving the runtime by hand.
#include "nnse/export/quantized_enhancer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "nnse/enhance/enhancer.h"
#include "nnse/eval/evaluate.h"
#include "nnse/metrics/metrics.h"
#include "nnse/util/error.h"
#include "model_support.h"
#include "test_support.h"

namespace nnse::deploy {
namespace {

const std::filesystem::path kArch = test::kReferenceArch;
using test::constant_gain_model;

TEST(QuantizedEnhancer, UnitGainIsTheAlignedInput) {
  const dsp::FrontendConfig config;
  const nn::Model model = constant_gain_model(30.0f);
  const auto stats = dsp::FeatureStats::identity(config.feature_dim());
  const auto x = test::speech_like(1.5, config.sample_rate, 3);
  const auto y_float = enhance::enhance_signal(model, config, stats, x);
  const auto y = enhance_signal_quantized(model, config, stats, x);
  ASSERT_EQ(y.size(), x.size());
  // Q15 in, Q15 out: the int16 rounding of input and output bounds the agreement (~-90 dB of the signal).
  EXPECT_GT(test::snr_db(y_float, y), 70.0);
}

TEST(QuantizedEnhancer, BlockSizesDoNotMatterAndTheFloorHolds) {
  const dsp::FrontendConfig config;
  const nn::Model model = constant_gain_model(-30.0f);  // gain 0: the floor decides
  const auto stats = dsp::FeatureStats::identity(config.feature_dim());
  const auto x = test::speech_like(1.0, config.sample_rate, 4);
  enhance::EnhancerOptions options;
  options.atten_lim_db = 12.0;
  const auto whole = enhance_signal_quantized(model, config, stats, x, options.atten_lim_db);
  QuantizedEnhancer chunked(model, config, stats, options.atten_lim_db);
  std::vector<float> out;
  std::size_t pos = 0, step = 1;
  while (pos < x.size()) {
    const std::size_t n = std::min(step, x.size() - pos);
    chunked.process(std::span<const float>(x.data() + pos, n), out);
    pos += n;
    step = step * 3 % 1001 + 1;  // 1, 4, 13, 40, ... odd sizes
  }
  chunked.finish(out);
  ASSERT_EQ(out.size(), x.size());
  EXPECT_EQ(out, whole);
  const auto y_float = enhance::enhance_signal(model, config, stats, x, options);
  double e_x = 0.0, e_y = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    e_x += double(y_float[i]) * y_float[i];
    e_y += double(whole[i]) * whole[i];
  }
  EXPECT_NEAR(std::sqrt(e_y / e_x), 1.0, 0.01);  // the float enhancer's 12 dB floor, same level
}

TEST(QuantizedEnhancer, AttenuationLimitInQ8) {
  EXPECT_EQ(QuantizedEnhancer::atten_lim_q8(std::numeric_limits<double>::infinity()), -1);
  EXPECT_EQ(QuantizedEnhancer::atten_lim_q8(20.0), 20 * 256);
  EXPECT_EQ(QuantizedEnhancer::atten_lim_q8(500.0), 120 * 256);
  EXPECT_THROW(QuantizedEnhancer::atten_lim_q8(-1.0), Error);
}

}  // namespace
}  // namespace nnse::deploy

namespace nnse::deploy {
namespace {

// Every bundled arch (mel + lstm, mel + gru, pspec, melflat, mel + lstm with its skip path) with fresh weights: quantized, through the runtime,
// close to the float enhancer (measured 54.5 to 59.4 dB; held to 40 dB).
TEST(QuantizedEnhancer, EveryBundledArchTracksTheFloatEnhancer) {
  const auto dir = std::filesystem::path(NNSE_SOURCE_DIR) / "nn_arch";
  for (const char* name : {"def_se_nn_arch72_mel.txt", "def_se_nn_arch72_mel_gru.txt", "def_se_nn_arch257_pspec.txt",
                           "def_se_nn_arch144_melflat.txt", "def_se_nn_arch72_mel_skip.txt"}) {
    const nn::Model model = nn::Model::from_file(dir / name, 11);
    dsp::FrontendConfig config;
    if (model.input_dim() == config.bins()) config.feature_type = dsp::FeatureType::pspec;
    if (model.input_dim() == 2 * config.mel_bands) config.feature_type = dsp::FeatureType::melflat;
    ASSERT_EQ(model.input_dim(), config.feature_dim()) << name;
    // Stats that put the log features near the unit range, as trained stats do (melflat's flatness half: mean
    // -0.15, inv std 5.5, about what nnse's stats give on speech).
    dsp::FeatureStats stats = dsp::FeatureStats::identity(config.feature_dim());
    for (std::size_t i = 0; i < stats.mean.size(); ++i) {
      const bool flatness = config.feature_type == dsp::FeatureType::melflat && int(i) >= config.mel_bands;
      stats.mean[i] = flatness ? -0.15f : -3.0f;
      stats.inv_std[i] = flatness ? 5.5f : 0.7f;
    }
    const auto x = test::speech_like(1.5, config.sample_rate, 9);
    const auto y_float = enhance::enhance_signal(model, config, stats, x);
    for (bool per_channel : {false, true}) {
      QuantizeOptions q;
      q.per_channel = per_channel;
      const auto y = enhance_signal_quantized(model, config, stats, x, QuantizedEnhancer::kNoLimit, q);
      const double snr = test::snr_db(y_float, y);
      std::cout << name << (per_channel ? " per-channel: " : " per-tensor: ") << snr << " dB\n";
      EXPECT_GT(snr, 40.0) << name;
    }
  }
}

}  // namespace
}  // namespace nnse::deploy

namespace nnse::deploy {
namespace {

// eval --quantized enhances every clip exactly as the QuantizedEnhancer does.
TEST(QuantizedEnhancer, EvalUsesTheRuntime) {
  const dsp::FrontendConfig config;
  const nn::Model model = nn::Model::from_file(kArch, 5);
  dsp::FeatureStats stats = dsp::FeatureStats::identity(config.feature_dim());
  for (auto& m : stats.mean) m = -3.0f;
  const auto clean = test::speech_like(0.9, 16000, 3);
  auto noisy = clean;
  const auto noise = test::white_noise(noisy.size(), 8, 0.05f);
  for (std::size_t i = 0; i < noisy.size(); ++i) noisy[i] += noise[i];
  train::ClipSet clips;
  clips.size = 1;
  clips.get = [&](std::size_t, int) {
    data::Clip clip;
    clip.noisy = noisy;
    clip.clean = clean;
    return clip;
  };
  eval::EvalOptions options;
  options.run_peer = false;
  options.quantized = true;
  options.enhancer.atten_lim_db = 20.0;
  const auto report = eval::evaluate_clips(model, config, stats, clips, options);
  const auto expected = enhance_signal_quantized(model, config, stats, noisy, 20.0);
  EXPECT_DOUBLE_EQ(report.clips[0].enhanced.si_sdr, metrics::si_sdr(clean, expected));
}

}  // namespace
}  // namespace nnse::deploy
