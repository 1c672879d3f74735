#include "nnse/audio/audio_io.h"

#include <gtest/gtest.h>
#include <sndfile.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::audio {
namespace {
namespace fs = std::filesystem;
using test::ScratchDir;

void write_raw(const fs::path& file, int format, int rate, int channels, const std::vector<float>& interleaved) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  SNDFILE* sf = sf_open(file.c_str(), SFM_WRITE, &info);
  ASSERT_NE(sf, nullptr) << sf_strerror(nullptr);
  sf_writef_float(sf, interleaved.data(), static_cast<sf_count_t>(interleaved.size() / channels));
  sf_close(sf);
}

std::string error_of(const fs::path& file) {
  return test::error_of([&] { read_mono(file, 16000, false); });
}

TEST(AudioIo, WavRoundTripIs16BitExact) {
  ScratchDir dir;
  std::vector<float> x = test::sine(440.0, 0.5, 16000, 0.5f);
  for (auto& v : x) v = static_cast<float>(audio::to_pcm16(v)) / 32768.0f;  // on the 16-bit grid
  write_wav16(dir / "a.wav", x, 16000);
  const auto y = read_mono(dir / "a.wav", 16000, false);
  ASSERT_EQ(y.size(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i) ASSERT_EQ(y[i], x[i]) << i;
  EXPECT_EQ(probe(dir / "a.wav").format, "wav pcm16");
}

TEST(AudioIo, WriterClipsAndCountsOutOfRangeSamples) {
  ScratchDir dir;
  WavWriter writer(dir / "c.wav", 16000);
  const std::vector<float> x = {0.0f, 1.5f, -2.0f, 0.25f};
  writer.write(x);
  writer.close();
  EXPECT_EQ(writer.clipped_samples(), 2);
  const auto y = read_mono(dir / "c.wav", 16000, false);
  EXPECT_FLOAT_EQ(y[1], 32767.0f / 32768.0f);
  EXPECT_FLOAT_EQ(y[2], -1.0f);
}

TEST(AudioIo, WriterLeavesExistingFileUntouchedWhenNotClosed) {
  ScratchDir dir;
  const std::vector<float> original = test::sine(200.0, 0.1, 16000);
  write_wav16(dir / "keep.wav", original, 16000);
  const auto before = fs::file_size(dir / "keep.wav");
  {
    WavWriter writer(dir / "keep.wav", 16000);
    writer.write(test::sine(300.0, 1.0, 16000));
    // destroyed without close(): as after an exception
  }
  EXPECT_EQ(fs::file_size(dir / "keep.wav"), before);
  for (const auto& entry : fs::directory_iterator(dir.path())) EXPECT_EQ(entry.path().filename(), "keep.wav");
}

TEST(AudioIo, StereoIsDownmixedAndResampledTo16k) {
  ScratchDir dir;
  const int rate = 44100;
  const auto left = test::sine(1000.0, 1.0, rate, 0.4f);
  std::vector<float> interleaved(left.size() * 2);
  for (std::size_t i = 0; i < left.size(); ++i) {
    interleaved[2 * i] = left[i];
    interleaved[2 * i + 1] = 0.0f;
  }
  write_raw(dir / "s.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, rate, 2, interleaved);
  AudioReader reader(dir / "s.flac", 16000, false);
  EXPECT_EQ(reader.info().channels, 2);
  EXPECT_EQ(reader.info().sample_rate, rate);
  const auto y = read_mono(dir / "s.flac", 16000, false);
  EXPECT_NEAR(static_cast<double>(y.size()), 16000.0, 2.0);
  // Downmix halves the amplitude; the 1 kHz tone survives resampling with its level.
  const auto reference = test::sine(1000.0, 1.0, 16000, 0.2f);
  double energy = 0.0, reference_energy = 0.0;
  for (std::size_t i = 2000; i < 14000; ++i) {
    energy += double(y[i]) * y[i];
    reference_energy += double(reference[i]) * reference[i];
  }
  EXPECT_NEAR(10.0 * std::log10(energy / reference_energy), 0.0, 0.1);
}

TEST(AudioIo, BlockReadingMatchesWholeFileRead) {
  ScratchDir dir;
  const auto x = test::white_noise(48000 * 3 + 17, 3, 0.2f);
  write_raw(dir / "n.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 1, x);
  const auto whole = read_mono(dir / "n.wav", 16000, false);
  AudioReader reader(dir / "n.wav", 16000, false);
  std::vector<float> pieces, block(777);
  while (const auto n = reader.read(block)) pieces.insert(pieces.end(), block.begin(), block.begin() + n);
  ASSERT_EQ(pieces.size(), whole.size());
  EXPECT_EQ(pieces, whole);
  EXPECT_NEAR(static_cast<double>(whole.size()), reader.output_length(), 2.0);
}

TEST(AudioIoBadInput, MissingFile) {
  ScratchDir dir;
  EXPECT_EQ(error_of(dir / "nope.wav"), (dir / "nope.wav").string() + ": no such file");
}

TEST(AudioIoBadInput, NotAudio) {
  ScratchDir dir;
  std::ofstream(dir / "text.wav") << "this is not a wav file, just some text that is long enough to be parsed\n";
  const auto message = error_of(dir / "text.wav");
  EXPECT_NE(message.find("text.wav"), std::string::npos) << message;
  EXPECT_NE(message.find("not a readable audio file"), std::string::npos) << message;
}

TEST(AudioIoBadInput, ZeroBytes) {
  ScratchDir dir;
  std::ofstream(dir / "empty.wav").close();
  EXPECT_NE(error_of(dir / "empty.wav").find("empty file"), std::string::npos);
}

TEST(AudioIoBadInput, HeaderButNoSamples) {
  ScratchDir dir;
  write_raw(dir / "nothing.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, {});
  const auto message = error_of(dir / "nothing.wav");
  EXPECT_NE(message.find("nothing.wav"), std::string::npos);
  EXPECT_NE(message.find("no audio samples"), std::string::npos) << message;
}

TEST(AudioIoBadInput, Truncated) {
  ScratchDir dir;
  write_wav16(dir / "cut.wav", test::sine(440.0, 1.0, 16000), 16000);
  fs::resize_file(dir / "cut.wav", fs::file_size(dir / "cut.wav") / 2);
  const auto message = error_of(dir / "cut.wav");
  EXPECT_NE(message.find("cut.wav"), std::string::npos);
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
}

TEST(AudioIoBadInput, NaNInFloatWav) {
  ScratchDir dir;
  auto x = test::sine(440.0, 0.2, 16000);
  x[1234] = std::numeric_limits<float>::quiet_NaN();
  write_raw(dir / "nan.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, 1, x);
  const auto message = error_of(dir / "nan.wav");
  EXPECT_NE(message.find("nan.wav"), std::string::npos);
  EXPECT_NE(message.find("NaN"), std::string::npos) << message;
  EXPECT_NE(message.find("1234"), std::string::npos) << message;
}

TEST(AudioIoBadInput, UnsupportedFormat) {
  ScratchDir dir;
  // A MIDI file: a real format, but not audio samples libsndfile can decode.
  const unsigned char midi[] = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0, 96,
                                'M', 'T', 'r', 'k', 0, 0, 0, 4, 0, 0xFF, 0x2F, 0};
  std::ofstream(dir / "song.mid", std::ios::binary).write(reinterpret_cast<const char*>(midi), sizeof(midi));
  const auto message = error_of(dir / "song.mid");
  EXPECT_NE(message.find("song.mid"), std::string::npos);
  EXPECT_NE(message.find("unsupported format"), std::string::npos) << message;
}

TEST(AudioIoBadInput, FolderInsteadOfFile) {
  ScratchDir dir;
  EXPECT_NE(error_of(dir.path()).find("is a folder"), std::string::npos);
}

}  // namespace
}  // namespace nnse::audio
