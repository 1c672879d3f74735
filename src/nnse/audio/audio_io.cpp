#include "nnse/audio/audio_io.h"

#include <sndfile.h>
#include <soxr.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "nnse/util/error.h"
#include "nnse/util/output_path.h"

namespace nnse::audio {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kBlockFrames = 16384;

std::string describe_format(int format) {
  SF_FORMAT_INFO info{};
  info.format = format & SF_FORMAT_TYPEMASK;
  std::string major = "unknown";
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &info, sizeof(info)) == 0 && info.name) major = info.extension;
  switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_16: return major + " pcm16";
    case SF_FORMAT_PCM_24: return major + " pcm24";
    case SF_FORMAT_PCM_32: return major + " pcm32";
    case SF_FORMAT_PCM_U8:
    case SF_FORMAT_PCM_S8: return major + " pcm8";
    case SF_FORMAT_FLOAT: return major + " float32";
    case SF_FORMAT_DOUBLE: return major + " float64";
    case SF_FORMAT_VORBIS: return major + " vorbis";
    case SF_FORMAT_OPUS: return major + " opus";
    default: return major;
  }
}

// libsndfile reads a cut-off WAV/AIFF without complaint, shrinking the frame count to what is there; its
// header log then says "data : <header size> (should be <actual size>)".
bool log_reports_truncation(SNDFILE* sf) {
  char log[8192] = {};
  sf_command(sf, SFC_GET_LOG_INFO, log, sizeof(log));
  std::istringstream lines{std::string(log)};
  for (std::string line; std::getline(lines, line);) {
    if ((line.rfind("data", 0) == 0 || line.rfind("SSND", 0) == 0) && line.find("should be") != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

struct AudioReader::Impl {
  SNDFILE* sf = nullptr;
  soxr_t resampler = nullptr;
  std::vector<float> interleaved;
  std::vector<float> mono;
  std::size_t mono_pos = 0;   // next unread sample in `mono` (when not resampling)
  std::int64_t frames_read = 0;
  bool input_done = false;
  bool flushed = false;

  ~Impl() {
    if (resampler) soxr_delete(resampler);
    if (sf) sf_close(sf);
  }
};

AudioReader::AudioReader(const fs::path& file, int target_rate, bool announce)
    : path_(file), impl_(std::make_unique<Impl>()) {
  if (target_rate <= 0) throw Error(file, "invalid target sample rate " + std::to_string(target_rate));
  std::error_code ec;
  if (!fs::exists(file, ec)) throw Error(file, "no such file");
  if (fs::is_directory(file, ec)) throw Error(file, "is a folder, not an audio file");
  if (::access(file.c_str(), R_OK) != 0) throw Error(file, "permission denied");
  if (fs::file_size(file, ec) == 0) throw Error(file, "empty file (0 bytes)");

  SF_INFO sfinfo{};
  impl_->sf = sf_open(file.c_str(), SFM_READ, &sfinfo);
  if (!impl_->sf) {
    const std::string why = sf_strerror(nullptr);
    throw Error(file, "not a readable audio file or unsupported format (" + why + ")");
  }
  info_.sample_rate = sfinfo.samplerate;
  info_.channels = sfinfo.channels;
  info_.frames = sfinfo.frames;
  info_.format = describe_format(sfinfo.format);
  if (sfinfo.channels <= 0 || sfinfo.samplerate <= 0) throw Error(file, "invalid header (no channels or rate)");
  if (sfinfo.frames <= 0) throw Error(file, "contains no audio samples (zero length)");
  if (log_reports_truncation(impl_->sf)) throw Error(file, "truncated: the data is shorter than its header says");

  output_length_ = sfinfo.samplerate == target_rate
                       ? sfinfo.frames
                       : static_cast<std::int64_t>(std::llround(static_cast<double>(sfinfo.frames) * target_rate /
                                                                sfinfo.samplerate));
  if (sfinfo.samplerate != target_rate) {
    soxr_error_t error = nullptr;
    const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
    const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    impl_->resampler = soxr_create(sfinfo.samplerate, target_rate, 1, &error, &io, &quality, nullptr);
    if (error) throw Error(file, std::string("cannot create resampler: ") + error);
  }
  if (announce && (sfinfo.channels != 1 || sfinfo.samplerate != target_rate)) {
    std::string note;
    if (sfinfo.channels != 1) note += "downmixing " + std::to_string(sfinfo.channels) + " channels to mono";
    if (sfinfo.samplerate != target_rate) {
      if (!note.empty()) note += ", ";
      note += "resampling " + std::to_string(sfinfo.samplerate) + " Hz to " + std::to_string(target_rate) +
              " Hz (soxr HQ)";
    }
    spdlog::info("{}: {}", file.string(), note);
  }
  impl_->interleaved.resize(kBlockFrames * static_cast<std::size_t>(sfinfo.channels));
}

AudioReader::~AudioReader() = default;

std::size_t AudioReader::read(std::span<float> out) {
  Impl& s = *impl_;
  const int channels = info_.channels;
  // Pulls one block of mono samples at the file's rate into s.mono; false at the end of the file.
  auto pull_block = [&]() -> bool {
    if (s.input_done) return false;
    const sf_count_t got = sf_readf_float(s.sf, s.interleaved.data(), static_cast<sf_count_t>(kBlockFrames));
    if (got <= 0) {
      s.input_done = true;
      if (s.frames_read < info_.frames) {
        throw Error(path_, "truncated: only " + std::to_string(s.frames_read) + " of " +
                               std::to_string(info_.frames) + " frames could be read");
      }
      return false;
    }
    s.frames_read += got;
    s.mono.resize(static_cast<std::size_t>(got));
    for (sf_count_t i = 0; i < got; ++i) {
      float sum = 0.0f;
      for (int c = 0; c < channels; ++c) {
        const float v = s.interleaved[static_cast<std::size_t>(i * channels + c)];
        if (!std::isfinite(v)) {
          throw Error(path_, "contains NaN or infinite samples (first at frame " +
                                 std::to_string(s.frames_read - got + i) + ")");
        }
        sum += v;
      }
      s.mono[static_cast<std::size_t>(i)] = sum / static_cast<float>(channels);
    }
    s.mono_pos = 0;
    return true;
  };

  std::size_t produced = 0;
  if (!s.resampler) {
    while (produced < out.size()) {
      if (s.mono_pos >= s.mono.size() && !pull_block()) break;
      const std::size_t n = std::min(out.size() - produced, s.mono.size() - s.mono_pos);
      std::copy_n(s.mono.begin() + static_cast<std::ptrdiff_t>(s.mono_pos), n, out.begin() + static_cast<std::ptrdiff_t>(produced));
      s.mono_pos += n;
      produced += n;
    }
    return produced;
  }
  while (produced < out.size() && !s.flushed) {
    if (s.mono_pos >= s.mono.size()) {
      if (!pull_block()) {
        // Flush: soxr is told the input ended by a null input pointer.
        std::size_t done = 0;
        soxr_error_t error = soxr_process(s.resampler, nullptr, 0, nullptr, out.data() + produced,
                                          out.size() - produced, &done);
        if (error) throw Error(path_, std::string("resampling failed: ") + error);
        produced += done;
        if (done == 0) s.flushed = true;
        continue;
      }
    }
    std::size_t consumed = 0, done = 0;
    soxr_error_t error = soxr_process(s.resampler, s.mono.data() + s.mono_pos, s.mono.size() - s.mono_pos, &consumed,
                                      out.data() + produced, out.size() - produced, &done);
    if (error) throw Error(path_, std::string("resampling failed: ") + error);
    s.mono_pos += consumed;
    produced += done;
  }
  return produced;
}

AudioInfo probe(const fs::path& file) { return AudioReader(file, 16000, false).info(); }

std::vector<float> read_mono(const fs::path& file, int target_rate, bool announce) {
  AudioReader reader(file, target_rate, announce);
  std::vector<float> samples;
  samples.reserve(static_cast<std::size_t>(reader.output_length()) + 64);
  std::vector<float> block(kBlockFrames);
  while (const std::size_t n = reader.read(block)) samples.insert(samples.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(n));
  return samples;
}

std::int16_t to_pcm16(float sample) {
  const float scaled = std::nearbyint(sample * 32768.0f);
  if (!(scaled == scaled)) return 0;  // NaN never reaches a file as garbage
  return static_cast<std::int16_t>(std::clamp(scaled, -32768.0f, 32767.0f));
}

struct WavWriter::Impl {
  SNDFILE* sf = nullptr;
  // Where the samples go (util/output_path.h): removed by its destructor unless committed.
  std::unique_ptr<OutputFile> output;
  int channels = 1;
  std::vector<std::int16_t> pcm;
  ~Impl() {
    if (sf) sf_close(sf);
  }
};

WavWriter::WavWriter(const fs::path& file, int sample_rate, int channels) : path_(file), impl_(std::make_unique<Impl>()) {
  if (channels <= 0 || sample_rate <= 0) throw Error(file, "invalid channel count or sample rate for writing");
  impl_->output = std::make_unique<OutputFile>(file);
  impl_->channels = channels;
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = channels;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  impl_->sf = sf_open(impl_->output->temporary().c_str(), SFM_WRITE, &info);
  if (!impl_->sf) throw Error(file, std::string("cannot open for writing: ") + sf_strerror(nullptr));
}

WavWriter::~WavWriter() = default;

void WavWriter::write(std::span<const float> interleaved) {
  if (!impl_->sf) throw Error(path_, "write after close");
  impl_->pcm.resize(interleaved.size());
  for (std::size_t i = 0; i < interleaved.size(); ++i) {
    const float v = interleaved[i];
    if (!(v >= -1.0f && v < 1.0f)) ++clipped_;
    impl_->pcm[i] = to_pcm16(v);
  }
  const sf_count_t frames = static_cast<sf_count_t>(interleaved.size() / static_cast<std::size_t>(impl_->channels));
  if (sf_writef_short(impl_->sf, impl_->pcm.data(), frames) != frames) {
    throw Error(path_, std::string("write failed: ") + sf_strerror(impl_->sf));
  }
}

void WavWriter::close() {
  if (!impl_->sf) return;
  sf_write_sync(impl_->sf);
  const int rc = sf_close(impl_->sf);
  impl_->sf = nullptr;
  if (rc != 0) throw Error(path_, "closing failed");
  impl_->output->commit();
  if (clipped_ > 0) spdlog::warn("{}: {} samples were clipped to the 16-bit range", path_.string(), clipped_);
}

void write_wav16(const fs::path& file, std::span<const float> samples, int sample_rate) {
  WavWriter writer(file, sample_rate, 1);
  writer.write(samples);
  writer.close();
}

}  // namespace nnse::audio
