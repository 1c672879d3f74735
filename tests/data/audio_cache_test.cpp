// The decoded-audio cache: lossless compact storage (16-bit files kept as int16 give back exactly the floats a
// float cache gives, DC removal included), float storage for everything else, and the memory budget.
#include "nnse/data/audio_cache.h"

#include <gtest/gtest.h>

#include <vector>

#include "data_fixtures.h"
#include "nnse/audio/audio_io.h"
#include "nnse/data/level.h"
#include "nnse/dsp/dc_filter.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::data {
namespace {

constexpr double kPole = 0.99;

// What the cache must return: the file as read_mono gives it, DC-removed when asked.
std::vector<float> expected_samples(const std::filesystem::path& file, bool dc) {
  std::vector<float> x = audio::read_mono(file, 16000, false);
  if (dc) dsp::DcRemover(kPole).process(x);
  return x;
}

void expect_same(const DecodedAudio& audio, const std::vector<float>& expected) {
  ASSERT_EQ(audio.samples.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(audio.samples[i], expected[i]) << "sample " << i;
}

// A signal with a DC offset (so DC removal changes every sample) and full-scale peaks.
std::vector<float> offset_noise(double seconds, std::uint32_t seed) {
  std::vector<float> x = test::noise_signal(seconds, seed, 0.3f);
  for (auto& v : x) v += 0.1f;
  x[10] = 1.0f;
  x[11] = -1.0f;
  return x;
}

TEST(AudioCache, SixteenBitFilesAreStoredAsInt16AndComeBackBitExact) {
  test::ScratchDir dir("nnse-audio-cache");
  const auto file = dir / "speech.flac";
  test::write_audio(file, offset_noise(2.0, 5));
  AudioCache cache(16000, kPole, true, std::size_t{64} << 20, nullptr);
  for (const bool dc : {true, false}) {
    const std::vector<float> expected = expected_samples(file, dc);
    const auto first = cache.get(file, dc);  // decodes
    const auto again = cache.get(file, dc);  // expands the stored int16
    ASSERT_TRUE(first->error.empty()) << first->error;
    expect_same(*first, expected);
    expect_same(*again, expected);
    EXPECT_EQ(first->active_power, active_speech_level(expected, 16000).power);
    EXPECT_EQ(again->active_power, first->active_power);
  }
  // Both entries (DC-removed and raw) at 2 bytes per sample, plus bookkeeping.
  const std::size_t samples = expected_samples(file, false).size();
  EXPECT_GE(cache.bytes(), 2 * samples * sizeof(std::int16_t));
  EXPECT_LT(cache.bytes(), 2 * samples * sizeof(float));
}

TEST(AudioCache, RangesReadWithoutExpandingAreBitExact) {
  test::ScratchDir dir("nnse-audio-cache");
  const auto pcm16_file = dir / "speech.flac";
  test::write_audio(pcm16_file, offset_noise(2.0, 6));
  const auto float_file = dir / "resampled.wav";
  test::write_audio(float_file, offset_noise(1.0, 7), 22050);  // resampled on reading: kept as floats
  AudioCache cache(16000, kPole, true, std::size_t{64} << 20, nullptr);
  for (const auto& file : {pcm16_file, float_file}) {
    for (const bool dc : {true, false}) {
      const std::vector<float> expected = expected_samples(file, dc);
      for (int round = 0; round < 2; ++round) {  // the first ref decodes, the second reads what is stored
        const AudioRef ref = cache.ref(file, dc);
        ASSERT_TRUE(ref.error().empty()) << ref.error();
        ASSERT_EQ(ref.size(), expected.size());
        EXPECT_EQ(ref.active_power(), active_speech_level(expected, 16000).power);
        // Ranges at, inside and across the 1024-sample blocks where the DC state is kept, and the whole file.
        const std::vector<std::pair<std::size_t, std::size_t>> ranges = {
            {0, 1}, {0, 1024}, {1023, 2}, {1024, 1024}, {5000, 3000}, {expected.size() - 7, 7}, {0, expected.size()}};
        for (const auto& [offset, count] : ranges) {
          std::vector<float> got(count);
          ref.read(offset, got);
          for (std::size_t i = 0; i < count; ++i) {
            ASSERT_EQ(got[i], expected[offset + i]) << file << " dc " << dc << " sample " << offset + i;
          }
        }
        std::vector<float> past(8);
        EXPECT_THROW(ref.read(expected.size() - 4, past), Error);
      }
    }
  }
}

TEST(AudioCache, OtherFilesAreStoredAsFloats) {
  test::ScratchDir dir("nnse-audio-cache");
  // Off the 16-bit grid: a float WAV with arbitrary values, and a 16-bit file that needs resampling.
  std::vector<float> fine = offset_noise(1.0, 6);
  for (auto& v : fine) v *= 0.7f;
  const auto float_file = dir / "float.wav";
  test::write_audio(float_file, fine, 16000, SF_FORMAT_FLOAT);
  const auto resampled_file = dir / "at8k.wav";
  test::write_audio(resampled_file, offset_noise(1.0, 7), 8000);
  for (const auto& file : {float_file, resampled_file}) {
    AudioCache cache(16000, kPole, true, std::size_t{64} << 20, nullptr);
    const std::vector<float> expected = expected_samples(file, true);
    expect_same(*cache.get(file, true), expected);
    expect_same(*cache.get(file, true), expected);
    EXPECT_GE(cache.bytes(), expected.size() * sizeof(float)) << file;
  }
}

TEST(AudioCache, KeepsToItsBudgetDroppingTheLeastRecentlyUsed) {
  test::ScratchDir dir("nnse-audio-cache");
  std::vector<std::filesystem::path> files;
  for (std::uint32_t i = 0; i < 4; ++i) {
    files.push_back(dir / ("f" + std::to_string(i) + ".flac"));
    test::write_audio(files.back(), offset_noise(1.0, 10 + i));  // 16000 samples: 32 kB stored
  }
  const std::size_t budget = 70000;  // two files
  AudioCache cache(16000, kPole, true, budget, nullptr);
  for (const auto& file : files) {
    ASSERT_TRUE(cache.get(file, true)->error.empty());
    EXPECT_LE(cache.bytes(), budget);
  }
  EXPECT_GT(cache.bytes(), budget / 2);  // the two most recent files are still there
  // Dropped files decode again to the same samples.
  expect_same(*cache.get(files[0], true), expected_samples(files[0], true));
}

TEST(AudioCache, UnreadableFileIsReportedOnceAndReturnedAsAnError) {
  test::ScratchDir dir("nnse-audio-cache");
  const auto file = dir / "broken.flac";
  { std::ofstream(file) << "not audio"; }
  auto skipped = std::make_shared<SkipLog>();
  AudioCache cache(16000, kPole, true, std::size_t{1} << 20, skipped);
  EXPECT_FALSE(cache.get(file, true)->error.empty());
  EXPECT_FALSE(cache.get(file, true)->error.empty());
  EXPECT_TRUE(cache.get(file, true)->samples.empty());
  EXPECT_EQ(skipped->count(), 1u);
}

}  // namespace
}  // namespace nnse::data
