#include "nnse/dsp/feature_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "nnse/audio/audio_io.h"
#include "nnse/dsp/context.h"
#include "nnse/dsp/features.h"
#include "nnse/dsp/frontend.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::dsp {
namespace {

TEST(FeatureStats, KnownMeanAndStdOfSyntheticData) {
  // Band b: values mean b +- (b + 1) alternating, so mean = b and population std = b + 1 exactly.
  FeatureMatrix a(100, 3), b(51, 3);
  for (int t = 0; t < 100; ++t) {
    for (int i = 0; i < 3; ++i) a.at(t, i) = float(i + ((t % 2) ? (i + 1) : -(i + 1)));
  }
  for (int t = 0; t < 51; ++t) {
    for (int i = 0; i < 3; ++i) b.at(t, i) = float(i + ((t % 2) ? (i + 1) : -(i + 1)));
  }
  b.frames = 50;  // keep it balanced
  b.values.resize(150);
  FeatureStatsAccumulator acc(3);
  acc.add(a);
  acc.add(b);
  EXPECT_EQ(acc.frames(), 150);
  const double offset = FrontendConfig{}.stats_std_offset;
  const auto stats = acc.finish(offset);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(stats.mean[std::size_t(i)], i, 1e-6);
    EXPECT_NEAR(stats.inv_std[std::size_t(i)], 1.0 / (offset + (i + 1)), 1e-6);
  }
}

TEST(FeatureStats, FrameByFrameBlockAndMergedAgreeWithTwoPassDouble) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(-2.5f, 0.7f);
  FeatureMatrix all(1000, 72);
  for (auto& v : all.values) v = normal(rng);
  FeatureStatsAccumulator by_frame(72), by_block(72), left(72), right(72);
  for (int t = 0; t < 1000; ++t) by_frame.add(all.row(t));
  by_block.add(all);
  for (int t = 0; t < 1000; ++t) (t < 333 ? left : right).add(all.row(t));
  left.merge(right);
  for (int i = 0; i < 72; ++i) {
    double mean = 0.0, var = 0.0;
    for (int t = 0; t < 1000; ++t) mean += all.at(t, i);
    mean /= 1000;
    for (int t = 0; t < 1000; ++t) var += (all.at(t, i) - mean) * (all.at(t, i) - mean);
    const double inv = 1.0 / (1.0 / 32768.0 + std::sqrt(var / 1000));
    for (const auto* acc : {&by_frame, &by_block, &left}) {
      const auto s = acc->finish();
      EXPECT_NEAR(s.mean[std::size_t(i)], mean, 1e-6);
      EXPECT_NEAR(s.inv_std[std::size_t(i)], inv, 1e-5);
    }
  }
  EXPECT_THROW(FeatureStatsAccumulator(4).finish(), Error);
  EXPECT_THROW(by_frame.add(std::vector<float>(5)), Error);
}

TEST(FeatureStats, NormalizeAndJsonRoundTrip) {
  const FeatureStats stats{{1.0f, -2.0f}, {0.5f, 2.0f}};
  std::vector<float> frame{3.0f, -1.0f};
  stats.normalize(frame);
  EXPECT_EQ(frame, (std::vector<float>{1.0f, 2.0f}));
  const nlohmann::json j = stats;
  EXPECT_EQ(j.at("mean").size(), 2u);
  EXPECT_EQ(j.get<FeatureStats>(), stats);
  EXPECT_THROW((nlohmann::json{{"mean", {1.0}}}.get<FeatureStats>()), Error);
  EXPECT_THROW((nlohmann::json{{"mean", {1.0}}, {"inv_std", {1.0, 2.0}}}.get<FeatureStats>()), Error);
}

TEST(FeatureStats, FilesSaveAndLoad) {
  test::ScratchDir dir;
  const FrontendConfig config;
  audio::write_wav16(dir / "a.wav", test::speech_like(1.0, 16000, 1), 16000);
  audio::write_wav16(dir / "b.wav", test::white_noise(12345, 2, 0.05f), 16000);
  std::int64_t frames = 0;
  const auto stats = compute_feature_stats({dir / "a.wav", dir / "b.wav"}, config, &frames);
  EXPECT_EQ(frames, 100 + 78);
  FeatureStatsAccumulator acc(72);
  acc.add(file_features(dir / "a.wav", config, false));
  acc.add(file_features(dir / "b.wav", config, false));
  EXPECT_EQ(acc.finish(), stats);
  save_feature_stats(dir / "stats.json", stats, config, frames);
  EXPECT_EQ(load_feature_stats(dir / "stats.json", &config), stats);
  FrontendConfig pspec = config;
  pspec.feature_type = FeatureType::pspec;
  EXPECT_THROW(load_feature_stats(dir / "stats.json", &pspec), Error);
  std::ofstream(dir / "bad.json") << "{not json";
  try {
    load_feature_stats(dir / "bad.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos);
  }
}

TEST(Context, FillIsTheFeaturesOfSilenceForEveryFeatureType) {
  // The history before a stream's first frame must look like silence to the network as every frame's features
  // would: the extractor's output for all-zero bins (melflat: log floor in the mel half, flatness 0).
  for (const auto& name : feature_type_names()) {
    FrontendConfig config;
    config.feature_type = feature_type_from_string(name);
    FeatureExtractor extractor(config);
    const std::vector<Complex> zeros(std::size_t(config.bins()));
    std::vector<float> silence(std::size_t(config.feature_dim()));
    extractor.process_frame(zeros, silence);
    const auto fill = context_fill_frame(config, nullptr);
    ASSERT_EQ(fill.size(), silence.size()) << name;
    for (std::size_t i = 0; i < fill.size(); ++i) EXPECT_NEAR(fill[i], silence[i], 1e-6) << name << " " << i;
  }
}

TEST(Context, StreamingOrderAndPrefillWithNormalizedFloor) {
  FrontendConfig config;
  config.feature_type = FeatureType::mel;
  config.mel_bands = 3;
  config.context_frames = 4;
  const FeatureStats stats{{-3.0f, -2.0f, -1.0f}, {0.5f, 0.6f, 0.7f}};
  const float floor = std::log10(1.0f / 32768.0f);
  ContextStacker stacker(config, stats);
  EXPECT_EQ(stacker.output_dim(), 12);
  for (int i = 0; i < 12; ++i) {
    const int band = i % 3;
    EXPECT_NEAR(stacker.current()[std::size_t(i)], (floor - stats.mean[std::size_t(band)]) * stats.inv_std[std::size_t(band)], 1e-6);
  }
  // Push frames f_t = [10t, 10t+1, 10t+2]: after frame t the vector is f_{t-3} .. f_t, index tau * dim + band.
  for (int t = 0; t < 6; ++t) {
    const std::vector<float> f{10.0f * t, 10.0f * t + 1, 10.0f * t + 2};
    const auto out = stacker.push(f);
    for (int tau = 0; tau < 4; ++tau) {
      const int source = t - 3 + tau;
      for (int band = 0; band < 3; ++band) {
        const float expected = source >= 0 ? 10.0f * source + band
                                           : (floor - stats.mean[std::size_t(band)]) * stats.inv_std[std::size_t(band)];
        EXPECT_NEAR(out[std::size_t(tau * 3 + band)], expected, 1e-6) << t << "," << tau << "," << band;
      }
    }
  }
  stacker.reset();
  EXPECT_NEAR(stacker.current()[0], (floor + 3.0f) * 0.5f, 1e-6);
}

TEST(Context, BlockEqualsStreamingAndDefaults) {
  const FrontendConfig config;  // 72 mel bands, 6 frames
  FeatureMatrix features(20, 72);
  for (std::size_t i = 0; i < features.values.size(); ++i) features.values[i] = float(i);
  const auto stats = FeatureStats::identity(72);
  const auto block = stack_context(features, config, stats);
  EXPECT_EQ(block.frames, 20);
  EXPECT_EQ(block.dim, 432);
  ContextStacker stacker(config, stats);
  for (int t = 0; t < 20; ++t) {
    const auto out = stacker.push(features.row(t));
    for (int i = 0; i < 432; ++i) ASSERT_EQ(out[std::size_t(i)], block.at(t, i));
  }
  // The current frame is the last slot (tau = 5); unnormalized fill is log10(2^-15).
  EXPECT_EQ(block.at(0, 5 * 72 + 7), features.at(0, 7));
  EXPECT_NEAR(block.at(0, 0), -4.51545f, 1e-5);
  ContextStacker raw(config);
  EXPECT_NEAR(raw.current()[100], -4.51545f, 1e-5);
}

}  // namespace
}  // namespace nnse::dsp
