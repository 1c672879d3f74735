#include "nnse/enhance/enhancer.h"
#include "nnse/enhance/floor_guard.h"

#include <gtest/gtest.h>

#include <cmath>

#include "nnse/audio/audio_io.h"
#include "nnse/dsp/dc_filter.h"
#include "nnse/metrics/metrics.h"
#include "nnse/util/error.h"
#include "model_support.h"
#include "test_support.h"

namespace nnse::enhance {
namespace {

const std::filesystem::path kArch = test::kReferenceArch;
using test::constant_gain_model;

// What the synthesis path sees: the input with only its DC blocked.
std::vector<float> dc_blocked(const std::vector<float>& x) {
  std::vector<float> y = x;
  dsp::DcRemover dc(dsp::StreamingFrontend::kOutputDcPole);
  dc.process(y);
  return y;
}

std::vector<float> fixture_speech() {
  const auto file = std::filesystem::path(NNSE_SOURCE_DIR) / "tests" / "fixtures" / "speech" / "agent-pass-2s5.flac";
  return audio::read_mono(file, 16000, false);
}

TEST(Enhancer, UnitGainReproducesTheInputAlignedAndSameLength) {
  dsp::FrontendConfig config;
  const nn::Model model = constant_gain_model(30.0f);  // sigmoid(30) = 1 - 1e-13
  const auto stats = dsp::FeatureStats::identity(config.feature_dim());
  const auto x = test::speech_like(2.0, config.sample_rate, 3);
  const auto y = enhance_signal(model, config, stats, x);
  ASSERT_EQ(y.size(), x.size());
  // Analysis + synthesis with unit gain is the identity after the delay compensation: the output is the
  // DC-blocked input, sample for sample, including the last samples (flushed by finish()).
  EXPECT_GT(test::snr_db(dc_blocked(x), y), 80.0);
}

TEST(Enhancer, UnitGainPassesRealSpeechThroughUntouched) {
  // Every stage of the enhancer with a unity mask, on a real recording: the output must be the input. The
  // feature high-pass (dc_pole, -3 dB near 90 Hz) must not reach the output: with it there, this was 8.7 dB.
  dsp::FrontendConfig config;
  ASSERT_TRUE(config.dc_removal);
  const nn::Model model = constant_gain_model(30.0f);
  const auto stats = dsp::FeatureStats::identity(config.feature_dim());
  const auto x = fixture_speech();
  ASSERT_GT(x.size(), 16000u);
  const auto y = enhance_signal(model, config, stats, x);
  ASSERT_EQ(y.size(), x.size());
  EXPECT_GE(metrics::si_sdr(x, y), 40.0);
}

TEST(Enhancer, RemovesAMicrophoneDcOffsetFromTheOutput) {
  dsp::FrontendConfig config;
  const nn::Model model = constant_gain_model(30.0f);
  const auto stats = dsp::FeatureStats::identity(config.feature_dim());
  auto x = fixture_speech();
  for (auto& v : x) v += 0.2f;
  const auto y = enhance_signal(model, config, stats, x);
  // After the blocker settles (time constant 2000 samples), the output's mean is the speech's (~0).
  double mean = 0.0;
  const std::size_t from = 16000;
  for (std::size_t i = from; i < y.size(); ++i) mean += y[i];
  mean /= static_cast<double>(y.size() - from);
  EXPECT_LT(std::abs(mean), 0.005);
}

TEST(Enhancer, HalfGainHalvesTheSignal) {
  dsp::FrontendConfig config;
  const nn::Model model = constant_gain_model(0.0f);  // sigmoid(0) = 0.5
  const auto stats = dsp::FeatureStats::identity(config.feature_dim());
  const auto x = test::speech_like(1.0, config.sample_rate, 4);
  const auto y = enhance_signal(model, config, stats, x);
  auto expected = dc_blocked(x);
  for (auto& v : expected) v *= 0.5f;
  EXPECT_GT(test::snr_db(expected, y), 80.0);
}

TEST(Enhancer, AttenuationLimitFloorsTheGain) {
  dsp::FrontendConfig config;
  const nn::Model model = constant_gain_model(-30.0f);  // sigmoid(-30) ~ 1e-13: the network mutes everything
  const auto stats = dsp::FeatureStats::identity(config.feature_dim());
  const auto x = test::speech_like(1.0, config.sample_rate, 4);
  const auto muted = enhance_signal(model, config, stats, x);
  double peak = 0.0;
  for (float v : muted) peak = std::max(peak, double(std::abs(v)));
  EXPECT_LT(peak, 1e-6);
  const auto y = enhance_signal(model, config, stats, x, {.atten_lim_db = 12.0});
  auto expected = dc_blocked(x);
  for (auto& v : expected) v *= static_cast<float>(std::pow(10.0, -12.0 / 20.0));
  EXPECT_GT(test::snr_db(expected, y), 80.0);
  EXPECT_THROW(EnhancerOptions::gain_floor(-1.0), Error);
  EXPECT_THROW(EnhancerOptions::gain_floor(std::nan("")), Error);
  EXPECT_EQ(EnhancerOptions::gain_floor(std::numeric_limits<double>::infinity()), 0.0f);
}

TEST(Enhancer, PassGainMapsThePassLevelToUnityAndScalesBelow) {
  dsp::FrontendConfig config;
  const auto stats = dsp::FeatureStats::identity(config.feature_dim());
  const auto x = test::speech_like(1.0, config.sample_rate, 4);
  // sigmoid(1.3863) = 0.8: at pass level 0.8 the output is the input; at pass level 0.9 it is 0.8/0.9 of it.
  const nn::Model model = constant_gain_model(std::log(4.0f));
  EXPECT_GT(test::snr_db(dc_blocked(x), enhance_signal(model, config, stats, x, {.pass_gain = 0.8})), 60.0);
  auto expected = dc_blocked(x);
  for (auto& v : expected) v *= 0.8f / 0.9f;
  EXPECT_GT(test::snr_db(expected, enhance_signal(model, config, stats, x, {.pass_gain = 0.9})), 60.0);
  EXPECT_THROW(Enhancer(model, config, stats, {.pass_gain = 0.0}), Error);
  EXPECT_THROW(Enhancer(model, config, stats, {.pass_gain = 1.5}), Error);
}

TEST(Enhancer, OutputDoesNotDependOnHowTheInputIsCut) {
  dsp::FrontendConfig config;
  const nn::Model model = nn::Model::from_file(kArch, 11);  // random weights: a non-trivial, time-varying gain
  const auto stats = dsp::FeatureStats::identity(config.feature_dim());
  const auto x = test::speech_like(3.0, config.sample_rate, 5);
  const auto whole = enhance_signal(model, config, stats, x);

  for (int block_frames : {1, 7, 100}) {
    for (std::size_t piece : {std::size_t{1}, std::size_t{97}, std::size_t{160}, std::size_t{4001}}) {
      Enhancer enhancer(model, config, stats, {.block_frames = block_frames});
      std::vector<float> out;
      for (std::size_t i = 0; i < x.size(); i += piece) {
        enhancer.process(std::span<const float>(x).subspan(i, std::min(piece, x.size() - i)), out);
      }
      enhancer.finish(out);
      ASSERT_EQ(out.size(), x.size());
      double max_diff = 0.0;
      for (std::size_t i = 0; i < x.size(); ++i) max_diff = std::max(max_diff, double(std::abs(out[i] - whole[i])));
      EXPECT_LT(max_diff, 1e-5) << "block_frames " << block_frames << " piece " << piece;
    }
  }
}

TEST(Enhancer, ResetStartsAFreshStream) {
  dsp::FrontendConfig config;
  const nn::Model model = nn::Model::from_file(kArch, 12);
  const auto stats = dsp::FeatureStats::identity(config.feature_dim());
  const auto x = test::speech_like(1.0, config.sample_rate, 6);
  Enhancer enhancer(model, config, stats);
  std::vector<float> first, second;
  enhancer.process(x, first);
  enhancer.finish(first);
  enhancer.reset();
  enhancer.process(x, second);
  enhancer.finish(second);
  EXPECT_EQ(first, second);
}

TEST(Enhancer, ShortSilentAndExtremeInputsGiveFiniteOutputOfTheSameLength) {
  dsp::FrontendConfig config;
  const nn::Model model = nn::Model::from_file(kArch, 13);
  const auto stats = dsp::FeatureStats::identity(config.feature_dim());
  const std::vector<std::vector<float>> inputs = {
      {},                                       // nothing
      std::vector<float>(50, 0.3f),             // shorter than a hop
      std::vector<float>(479, -0.2f),           // shorter than a window
      std::vector<float>(16000, 0.0f),          // digital silence
      std::vector<float>(16000, 0.5f),          // pure DC offset
      std::vector<float>(16000, 1.0f),          // full-scale clipping
  };
  for (const auto& x : inputs) {
    const auto y = enhance_signal(model, config, stats, x);
    ASSERT_EQ(y.size(), x.size());
    for (float v : y) ASSERT_TRUE(std::isfinite(v));
  }
  // Silence stays silence.
  for (float v : enhance_signal(model, config, stats, std::vector<float>(8000, 0.0f))) EXPECT_EQ(v, 0.0f);
}

TEST(Enhancer, KeepsBoundedAnalysisForPictures) {
  dsp::FrontendConfig config;
  const nn::Model model = constant_gain_model(0.0f);
  const auto stats = dsp::FeatureStats::identity(config.feature_dim());
  const auto x = test::speech_like(3.0, config.sample_rate, 8);
  Enhancer enhancer(model, config, stats, {.block_frames = 100, .analysis_seconds = 1.0});
  std::vector<float> out;
  enhancer.process(x, out);
  enhancer.finish(out);
  const auto& analysis = enhancer.analysis();
  EXPECT_EQ(analysis.frames, 100);
  ASSERT_EQ(analysis.gain.size(), 100u * 257u);
  for (float g : analysis.gain) EXPECT_NEAR(g, 0.5f, 1e-6f);
  // Half gain is -6.02 dB everywhere the noisy spectrum is well above the floor.
  for (std::size_t i = 0; i < analysis.noisy_db.size(); ++i) {
    if (analysis.noisy_db[i] > -40.0f) {  // well above the 1e-10 display floor
      EXPECT_NEAR(analysis.noisy_db[i] - analysis.enhanced_db[i], 6.0206f, 1e-3f);
    }
  }
}

}  // namespace
}  // namespace nnse::enhance

namespace nnse::enhance {
namespace {

double energy(const std::vector<float>& x, std::size_t from) {
  double e = 0.0;
  for (std::size_t i = from; i < x.size(); ++i) e += static_cast<double>(x[i]) * x[i];
  return e;
}

// A model that halves every bin (sigmoid(0) = 0.5) stands for a network that takes clean speech for noise: the
// guard must keep clean speech at its level, since every speech bin stands far above its (near-silent) floor.
TEST(FloorGuard, KeepsCleanSpeechThatTheNetworkWouldTurnDown) {
  dsp::FrontendConfig config;
  const nn::Model model = test::constant_gain_model(0.0f);
  const auto stats = dsp::FeatureStats::identity(config.feature_dim());
  const auto x = fixture_speech();
  const auto halved = enhance_signal(model, config, stats, x);
  EnhancerOptions guarded;
  guarded.floor_guard = 10.0;
  const auto y = enhance_signal(model, config, stats, x, guarded);
  ASSERT_EQ(y.size(), x.size());
  const auto reference = dc_blocked(x);
  EXPECT_LT(test::snr_db(reference, halved), 7.0);  // without the guard: the level is halved (6 dB)
  // The recording's quietest parts sit near its own floor and keep the network's half gain: 17.3 dB here.
  EXPECT_GT(test::snr_db(reference, y), 15.0);
}

// Stationary noise sits at its own floor: the guard gives it no protection, the network's gain stays.
TEST(FloorGuard, LeavesStationaryNoiseToTheNetwork) {
  dsp::FrontendConfig config;
  const nn::Model model = test::constant_gain_model(0.0f);
  const auto stats = dsp::FeatureStats::identity(config.feature_dim());
  const auto noise = test::white_noise(48000, 9, 0.1f);
  EnhancerOptions guarded;
  guarded.floor_guard = 10.0;
  const auto y = enhance_signal(model, config, stats, noise, guarded);
  const std::size_t settled = 16000;  // the floor has tracked the noise after the first second
  const double ratio = energy(y, settled) / energy(noise, settled);
  EXPECT_GT(ratio, 0.2);
  EXPECT_LT(ratio, 0.3);  // ~0.25: the half gain, squared
}

// A gain the network is sure of (far below the confidence level) is kept even in a bin far above its floor.
TEST(FloorGuard, DefersToAConfidentNetwork) {
  dsp::FrontendConfig config;
  const nn::Model model = test::constant_gain_model(-6.0f);  // sigmoid(-6) = 0.0025
  const auto stats = dsp::FeatureStats::identity(config.feature_dim());
  const auto x = fixture_speech();
  EnhancerOptions guarded;
  guarded.floor_guard = 10.0;
  const auto y = enhance_signal(model, config, stats, x, guarded);
  // At most lb * g / confidence <= 0.0025 / 0.3 of the amplitude comes back: below -40 dB.
  EXPECT_LT(energy(y, 0) / energy(x, 0), 1e-4);
}

TEST(FloorGuard, RejectsBadSettings) {
  EXPECT_THROW(FloorGuard(257, FloorGuardOptions{.beta = -1.0}), Error);
  EXPECT_THROW(FloorGuard(257, FloorGuardOptions{.beta = 10.0, .confidence = 0.0}), Error);
}

}  // namespace
}  // namespace nnse::enhance
