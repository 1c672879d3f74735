// `nnse convert` end to end with the bundled model.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "nnse/audio/audio_io.h"
#include "nnse/export/quantize.h"
#include "nnse/model/trained_model.h"
#include "test_support.h"

namespace nnse {
namespace {

// The bundled model folder's recommended pass level (its enhancer.json), which convert and --quantized must apply.
double bundled_pass_gain() {
  const auto folder = model::find_bundled_model();
  const auto recommended = model::TrainedModel::from_checkpoint(folder / "model.ckpt").recommended;
  EXPECT_TRUE(recommended.pass_gain.has_value()) << folder << " has no pass_gain in its enhancer.json";
  return recommended.pass_gain.value_or(1.0);
}

TEST(ConvertCli, WritesTheTwoFilesForTheBundledModel) {
  test::ScratchDir dir;
  auto r = test::run_nnse("convert --net-id 3 --net-name se --out-dir " + dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("def_nn3_se.h"), std::string::npos) << r.output;
  std::ifstream source(dir / "def_nn3_se.c");
  std::stringstream text;
  text << source.rdbuf();
  EXPECT_NE(text.str().find("const nnsp_model nnsp_model_se = {"), std::string::npos);
  // The model folder's enhancer.json recommends a pass gain G: its Q15 form (deploy::pass_gain_q15; 1.0, none:
  // 32768) is the tables' default, read from the folder so that the folder and the tables cannot drift apart.
  const std::string pass_line =
      "  " + std::to_string(deploy::pass_gain_q15(bundled_pass_gain())) + ", /* recommended pass level";
  EXPECT_NE(text.str().find(pass_line), std::string::npos) << pass_line;
  // ... and noise-floor guard 4: 4 * 2^8.
  EXPECT_NE(text.str().find("  1024, /* recommended noise-floor guard"), std::string::npos);
  // ... and its pitch filter strength S: round(S 2^15), from the folder too.
  const auto bundled = model::TrainedModel::from_checkpoint(model::find_bundled_model() / "model.ckpt").recommended;
  const std::string pitch_line =
      "  " + std::to_string(deploy::pitch_filter_q15(bundled.pitch_filter.value_or(0.0))) + ", /* recommended pitch filter";
  EXPECT_NE(text.str().find(pitch_line), std::string::npos) << pitch_line;
  EXPECT_TRUE(std::filesystem::exists(dir / "def_nn3_se.h"));
  r = test::run_nnse("convert --pass-gain 0.5 --pitch-filter 0 --net-name se2 --out-dir " + dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream source2(dir / "def_nn3_se2.c");
  std::stringstream text2;
  text2 << source2.rdbuf();
  EXPECT_NE(text2.str().find("  16384, /* recommended pass level"), std::string::npos);
  EXPECT_NE(text2.str().find("  0, /* recommended pitch filter"), std::string::npos);
  r = test::run_nnse("convert --pitch-filter 1.5 --net-name se3 --out-dir " + dir.path().string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("pitch-filter"), std::string::npos) << r.output;
  r = test::run_nnse("convert --net-name 3x --out-dir " + dir.path().string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("C identifier"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace nnse

namespace nnse {
namespace {

// `nnse enhance --quantized`: the runtime on the bundled model, aligned and close to the float output, with the
// same pass level (the model's enhancer.json, or an explicit one) on both paths.
TEST(EnhanceQuantizedCli, MatchesTheFloatEnhancerOnTheFixture) {
  test::ScratchDir dir;
  const auto input = std::filesystem::path(NNSE_SOURCE_DIR) / "tests" / "fixtures" / "speech" / "agent-pass-2s5.flac";
  const auto x = audio::read_mono(input, 16000, false);
  for (const std::string pass : {"", " --pass-gain 0.8", " --pass-gain 1"}) {
    // The runtime applies the model's settings (attenuation limit, pass level, noise-floor guard) as the float
    // enhancer does.
    auto r = test::run_nnse("enhance --quantized" + pass + " " + input.string() + " " + (dir / "q.wav").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = test::run_nnse("enhance" + pass + " " + input.string() + " " + (dir / "f.wav").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto q = audio::read_mono(dir / "q.wav", 16000, false);
    const auto f = audio::read_mono(dir / "f.wav", 16000, false);
    ASSERT_EQ(q.size(), x.size());
    ASSERT_EQ(f.size(), x.size());
    EXPECT_GT(test::snr_db(f, q), 40.0) << "pass gain option '" << pass << "'";  // both written as 16-bit WAV
  }
  // The model's pass level is applied: an explicit --pass-gain with the model's value gives the same output, and
  // another level (0.8 if the model's is higher, else 1) differs by far more than the rounding (16-bit rounding
  // alone is ~90 dB below the signal).
  const double pass = bundled_pass_gain();
  auto r = test::run_nnse("enhance --quantized " + input.string() + " " + (dir / "m.wav").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto model_default = audio::read_mono(dir / "m.wav", 16000, false);
  r = test::run_nnse("enhance --quantized --pass-gain " + std::to_string(pass) + " " + input.string() + " " +
                     (dir / "e.wav").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(audio::read_mono(dir / "e.wav", 16000, false), model_default);
  const std::string other = pass > 0.8 ? "0.8" : "1";
  r = test::run_nnse("enhance --quantized --pass-gain " + other + " " + input.string() + " " +
                     (dir / "o.wav").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_LT(test::snr_db(audio::read_mono(dir / "o.wav", 16000, false), model_default), 50.0);
  // The model's guard (4) is applied: without it the output differs by far more than the rounding, and an explicit
  // --floor-guard 4 is the same as the model's.
  r = test::run_nnse("enhance --quantized --floor-guard 0 " + input.string() + " " + (dir / "n.wav").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_LT(test::snr_db(audio::read_mono(dir / "n.wav", 16000, false), audio::read_mono(dir / "m.wav", 16000, false)),
            30.0);
  r = test::run_nnse("enhance --quantized --floor-guard 4 " + input.string() + " " + (dir / "g.wav").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(audio::read_mono(dir / "g.wav", 16000, false), audio::read_mono(dir / "m.wav", 16000, false));
  r = test::run_nnse("enhance --quantized --floor-guard 300 " + input.string() + " " + (dir / "g.wav").string());
  EXPECT_NE(r.exit_code, 0) << "a guard the runtime cannot hold is refused";
  EXPECT_NE(r.output.find("--floor-guard"), std::string::npos) << r.output;
  r = test::run_nnse("enhance --quantized --pictures " + input.string() + " " + (dir / "p.wav").string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--quantized"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace nnse
