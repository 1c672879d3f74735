// `nnse enhance` / `nnse test` end to end with the bundled model: awkward inputs give sane output of the same
// length, or one clear error line naming the file.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <cmath>

#include "nnse/audio/audio_io.h"
#include "test_support.h"

namespace nnse {
namespace {
namespace fs = std::filesystem;

void write_float_file(const fs::path& file, int rate, int channels, const std::vector<float>& interleaved) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
  SNDFILE* sf = sf_open(file.c_str(), SFM_WRITE, &info);
  ASSERT_NE(sf, nullptr);
  sf_writef_float(sf, interleaved.data(), static_cast<sf_count_t>(interleaved.size() / static_cast<std::size_t>(channels)));
  sf_close(sf);
}

void expect_finite_output_of_length(const fs::path& file, std::size_t length) {
  const auto y = audio::read_mono(file, 16000, false);
  EXPECT_EQ(y.size(), length) << file;
  for (float v : y) ASSERT_TRUE(std::isfinite(v));
}

TEST(EnhanceCli, StereoAnd8kHzAndShortInputs) {
  test::ScratchDir dir;
  const auto speech = test::speech_like(1.0, 16000, 2);
  std::vector<float> stereo(speech.size() * 2);
  for (std::size_t i = 0; i < speech.size(); ++i) stereo[2 * i] = stereo[2 * i + 1] = speech[i];
  write_float_file(dir / "stereo.wav", 16000, 2, stereo);
  auto r = test::run_nnse("enhance " + (dir / "stereo.wav").string() + " " + (dir / "stereo_out.wav").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("downmixing 2 channels"), std::string::npos) << r.output;
  expect_finite_output_of_length(dir / "stereo_out.wav", speech.size());

  write_float_file(dir / "narrow.wav", 8000, 1, test::speech_like(1.0, 8000, 3));
  r = test::run_nnse("enhance " + (dir / "narrow.wav").string() + " " + (dir / "narrow_out.wav").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("wideband"), std::string::npos) << r.output;
  expect_finite_output_of_length(dir / "narrow_out.wav", 16000);

  write_float_file(dir / "tiny.wav", 16000, 1, std::vector<float>(100, 0.5f));  // shorter than one frame
  r = test::run_nnse("enhance " + (dir / "tiny.wav").string() + " " + (dir / "tiny_out.wav").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_finite_output_of_length(dir / "tiny_out.wav", 100);
}

TEST(EnhanceCli, MissingAndBrokenInputsAreOneClearError) {
  test::ScratchDir dir;
  auto r = test::run_nnse("enhance " + (dir / "absent.wav").string() + " " + (dir / "out.wav").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("absent.wav: no such file"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "out.wav"));

  r = test::run_nnse("test --recording 0 --test-wavefile " + (dir / "absent.wav").string() + " --results-dir " +
                     (dir / "results").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("absent.wav"), std::string::npos) << r.output;
}

TEST(EnhanceCli, TestCommandWritesEnhancedWavAndPicture) {
  test::ScratchDir dir;
  audio::write_wav16(dir / "speech.wav", test::speech_like(2.0, 16000, 4), 16000);
  const auto r = test::run_nnse("test --recording 0 --feat_type mel --test_wavefile " + (dir / "speech.wav").string() +
                                " --results-dir " + (dir / "results").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_finite_output_of_length(dir / "results" / "enhanced_speech.wav", 32000);
  ASSERT_TRUE(fs::exists(dir / "results" / "speech.png"));
  EXPECT_GT(fs::file_size(dir / "results" / "speech.png"), 10000u);
}

}  // namespace
}  // namespace nnse
