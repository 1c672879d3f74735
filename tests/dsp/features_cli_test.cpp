// `nnse features` and `nnse feature-stats` end to end, through the built binary.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nnse/audio/audio_io.h"
#include "nnse/dsp/context.h"
#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/features.h"
#include "nnse/util/npy.h"
#include "test_support.h"

namespace nnse::dsp {
namespace {

const std::filesystem::path kFixture = std::filesystem::path(NNSE_TEST_FIXTURES) / "speech/agent-pass-2s5.flac";

std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

TEST(FeaturesCli, MelNpyMatchesLibraryAndPlotIsPng) {
  test::ScratchDir dir;
  const auto result =
      test::run_nnse("features " + q(kFixture) + " --feat_type mel --out " + q(dir / "f.npy") + " --plot " + q(dir / "s.png"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto npy = read_npy(dir / "f.npy");
  EXPECT_EQ(npy.dtype, "<f4");
  ASSERT_EQ(npy.shape, (std::vector<std::size_t>{250, 72}));
  const auto expected = extract_features(audio::read_mono(kFixture, 16000, false), FrontendConfig{});
  for (std::size_t i = 0; i < npy.values.size(); ++i) ASSERT_EQ(float(npy.values[i]), expected.values[i]) << i;
  std::ifstream png(dir / "s.png", std::ios::binary);
  std::string magic(8, '\0');
  png.read(magic.data(), 8);
  EXPECT_EQ(magic, std::string("\x89PNG\r\n\x1a\n", 8));
}

TEST(FeaturesCli, PspecShape) {
  test::ScratchDir dir;
  const auto result = test::run_nnse("features " + q(kFixture) + " --feat-type pspec -o " + q(dir / "p.npy"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(read_npy(dir / "p.npy").shape, (std::vector<std::size_t>{250, 257}));
}

TEST(FeaturesCli, StatsNormalizationAndContext) {
  test::ScratchDir dir;
  std::filesystem::create_directories(dir / "set" / "sub");
  std::filesystem::copy_file(kFixture, dir / "set" / "a.flac");
  audio::write_wav16(dir / "set" / "sub" / "b.wav", test::speech_like(1.0, 16000, 4), 16000);
  std::ofstream(dir / "set" / "notes.txt") << "not audio";
  auto result = test::run_nnse("feature-stats " + q(dir / "set") + " --feat_type mel --out " + q(dir / "stats.json"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const FrontendConfig config;
  const auto stats = load_feature_stats(dir / "stats.json", &config);
  EXPECT_EQ(stats.dim(), 72);
  const auto json = nlohmann::json::parse(std::ifstream(dir / "stats.json"));
  EXPECT_EQ(json.at("frames").get<int>(), 250 + 100);
  EXPECT_EQ(json.at("frontend").at("feature_type").get<std::string>(), "mel");

  result = test::run_nnse("features " + q(kFixture) + " --out " + q(dir / "n.npy") + " --stats " + q(dir / "stats.json") +
                          " --context");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto npy = read_npy(dir / "n.npy");
  ASSERT_EQ(npy.shape, (std::vector<std::size_t>{250, 432}));
  auto features = extract_features(audio::read_mono(kFixture, 16000, false), config);
  stats.normalize(features);
  const auto stacked = stack_context(features, config, stats);
  for (std::size_t i = 0; i < npy.values.size(); ++i) ASSERT_NEAR(npy.values[i], stacked.values[i], 1e-6) << i;
  // Row 0: five slots of the normalized floor, then frame 0.
  EXPECT_NEAR(npy.values[0], (std::log10(1.0 / 32768.0) - stats.mean[0]) * stats.inv_std[0], 1e-5);
  EXPECT_NEAR(npy.values[5 * 72 + 3], features.at(0, 3), 1e-6);

  // Stats of the wrong feature type are refused with one line naming the file.
  result = test::run_nnse("features " + q(kFixture) + " --feat-type pspec --out " + q(dir / "x.npy") + " --stats " +
                          q(dir / "stats.json"));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("stats.json"), std::string::npos) << result.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.npy"));
}

TEST(FeaturesCli, ErrorsAndHelp) {
  test::ScratchDir dir;
  auto result = test::run_nnse("features " + q(dir / "missing.wav") + " --out " + q(dir / "f.npy"));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("missing.wav"), std::string::npos) << result.output;
  result = test::run_nnse("features " + q(kFixture) + " --feat-type mfcc --out " + q(dir / "f.npy"));
  EXPECT_NE(result.exit_code, 0);
  std::filesystem::create_directories(dir / "empty");
  result = test::run_nnse("feature-stats " + q(dir / "empty") + " --out " + q(dir / "s.json"));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("no audio files"), std::string::npos) << result.output;
  result = test::run_nnse("features --help");
  EXPECT_EQ(result.exit_code, 0);
  for (const char* option : {"--feat-type", "--feat_type", "--out", "--plot", "--stats", "--context"}) {
    EXPECT_NE(result.output.find(option), std::string::npos) << option;
  }
  result = test::run_nnse("feature-stats --help");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.output.find("--out"), std::string::npos);
}

}  // namespace
}  // namespace nnse::dsp
