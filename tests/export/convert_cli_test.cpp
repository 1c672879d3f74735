// `nnse convert` end to end with the bundled model.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "nnse/audio/audio_io.h"
#include "test_support.h"

namespace nnse {
namespace {

TEST(ConvertCli, WritesTheTwoFilesForTheBundledModel) {
  test::ScratchDir dir;
  auto r = test::run_nnse("convert --net-id 3 --net-name se --out-dir " + dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("def_nn3_se.h"), std::string::npos) << r.output;
  std::ifstream source(dir / "def_nn3_se.c");
  std::stringstream text;
  text << source.rdbuf();
  EXPECT_NE(text.str().find("const nnsp_model nnsp_model_se = {"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "def_nn3_se.h"));
  r = test::run_nnse("convert --net-name 3x --out-dir " + dir.path().string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("C identifier"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace nnse

namespace nnse {
namespace {

// `nnse enhance --quantized`: the runtime on the bundled model, aligned and close to the float output.
TEST(EnhanceQuantizedCli, MatchesTheFloatEnhancerOnTheFixture) {
  test::ScratchDir dir;
  const auto input = std::filesystem::path(NNSE_SOURCE_DIR) / "tests" / "fixtures" / "speech" / "agent-pass-2s5.flac";
  auto r = test::run_nnse("enhance --quantized " + input.string() + " " + (dir / "q.wav").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The runtime has no pass level yet: it leaves the model's recommended one out and says so; the float run that
  // it must match does the same.
  EXPECT_NE(r.output.find("no pass level"), std::string::npos) << r.output;
  r = test::run_nnse("enhance --pass-gain 1 " + input.string() + " " + (dir / "f.wav").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto q = audio::read_mono(dir / "q.wav", 16000, false);
  const auto f = audio::read_mono(dir / "f.wav", 16000, false);
  const auto x = audio::read_mono(input, 16000, false);
  ASSERT_EQ(q.size(), x.size());
  ASSERT_EQ(f.size(), x.size());
  EXPECT_GT(test::snr_db(f, q), 40.0);  // both written as 16-bit WAV
  r = test::run_nnse("enhance --quantized --pass-gain 0.8 " + input.string() + " " + (dir / "e.wav").string());
  EXPECT_NE(r.exit_code, 0) << "an explicit pass gain the runtime cannot apply is refused";
  r = test::run_nnse("enhance --quantized --pictures " + input.string() + " " + (dir / "p.wav").string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--quantized"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace nnse
