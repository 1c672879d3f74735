#pragma once
// Reading and writing audio. Input: anything libsndfile reads (WAV, FLAC, OGG, ...), any rate and channel
// count, delivered as mono float in [-1, 1) at the requested rate (downmixed by averaging, resampled with
// soxr at high quality); what was converted is said on stderr. Output: 16-bit PCM WAV, written atomically.
// Bad input throws nnse::Error with the file name and the problem; nothing is returned half-read.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace nnse::audio {

struct AudioInfo {
  int sample_rate = 0;
  int channels = 0;
  std::int64_t frames = 0;  // per channel, at the file's own rate
  std::string format;       // e.g. "WAV float32", "FLAC pcm16"
};

// Streams a file in blocks with bounded memory (long recordings never sit whole in memory).
class AudioReader {
 public:
  // Opens and checks the file. `announce` prints the conversion note (rate / channels) to stderr.
  AudioReader(const std::filesystem::path& file, int target_rate, bool announce = true);
  ~AudioReader();
  AudioReader(const AudioReader&) = delete;
  AudioReader& operator=(const AudioReader&) = delete;

  // Fills up to out.size() mono samples at the target rate; returns how many (0 at the end).
  std::size_t read(std::span<float> out);
  const AudioInfo& info() const { return info_; }
  const std::filesystem::path& path() const { return path_; }
  // Number of output samples the whole file gives at the target rate (exact for the resampled length).
  std::int64_t output_length() const { return output_length_; }

 private:
  struct Impl;
  std::filesystem::path path_;
  AudioInfo info_;
  std::int64_t output_length_ = 0;
  std::unique_ptr<Impl> impl_;
};

AudioInfo probe(const std::filesystem::path& file);

// Whole file as mono float at `target_rate`.
std::vector<float> read_mono(const std::filesystem::path& file, int target_rate, bool announce = true);

// 16-bit PCM WAV writer that streams blocks to a temporary file and puts it into place on close() (the output
// policy of util/output_path.h: rename for files, write-through for devices and FIFOs, "-" = stdout); a writer
// destroyed without close() (error, exception) leaves any existing target untouched.
class WavWriter {
 public:
  WavWriter(const std::filesystem::path& file, int sample_rate, int channels = 1);
  ~WavWriter();
  WavWriter(const WavWriter&) = delete;
  WavWriter& operator=(const WavWriter&) = delete;
  // Interleaved samples in [-1, 1); values outside are clipped (and counted).
  void write(std::span<const float> interleaved);
  void close();
  std::int64_t clipped_samples() const { return clipped_; }

 private:
  struct Impl;
  std::filesystem::path path_;
  std::unique_ptr<Impl> impl_;
  std::int64_t clipped_ = 0;
};

void write_wav16(const std::filesystem::path& file, std::span<const float> samples, int sample_rate);

// Float -> int16 with rounding and saturation (the one conversion used by every writer).
std::int16_t to_pcm16(float sample);

}  // namespace nnse::audio
