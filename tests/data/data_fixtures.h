#pragma once
// Tiny synthetic corpora for the data-pipeline tests: files are written with libsndfile into a ScratchDir, so the
// tests never need the starter corpus. "Speech" is tone bursts (every sample active, so the active speech level is known
// exactly), noise is white/pink-ish noise, clicks stand in for key presses, and RIRs are synthetic.
#include <sndfile.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace nnse::test {

// 16-bit FLAC or WAV by extension; `subtype` SF_FORMAT_FLOAT makes a float WAV.
inline void write_audio(const std::filesystem::path& file, const std::vector<float>& samples, int rate = 16000,
                        int subtype = SF_FORMAT_PCM_16) {
  std::filesystem::create_directories(file.parent_path());
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = (file.extension() == ".flac" ? SF_FORMAT_FLAC : SF_FORMAT_WAV) | subtype;
  SNDFILE* sf = sf_open(file.c_str(), SFM_WRITE, &info);
  if (!sf) throw std::runtime_error("cannot write " + file.string());
  sf_command(sf, SFC_SET_CLIPPING, nullptr, SF_TRUE);  // FLAC refuses out-of-range samples otherwise
  sf_write_float(sf, samples.data(), static_cast<sf_count_t>(samples.size()));
  sf_close(sf);
}

// A tone burst filling the whole file: frequency and level vary with the seed.
inline std::vector<float> tone_burst(double seconds, std::uint32_t seed, int rate = 16000) {
  std::mt19937 rng(seed);
  const double f = 200.0 + 1800.0 * std::uniform_real_distribution<double>(0, 1)(rng);
  const double amplitude = 0.05 + 0.4 * std::uniform_real_distribution<double>(0, 1)(rng);
  std::vector<float> x(static_cast<std::size_t>(seconds * rate));
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(amplitude * std::sin(2.0 * std::numbers::pi * f * static_cast<double>(i) / rate));
  }
  return x;
}

inline std::vector<float> noise_signal(double seconds, std::uint32_t seed, float amplitude = 0.2f, int rate = 16000) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, amplitude);
  std::vector<float> x(static_cast<std::size_t>(seconds * rate));
  float smooth = 0.0f;
  for (auto& v : x) {
    smooth = 0.7f * smooth + normal(rng);  // a little colour
    v = smooth * 0.5f;
  }
  return x;
}

// A key-press-like click: a noise burst decaying within a few ms (0.1 s file).
inline std::vector<float> click(std::uint32_t seed, int rate = 16000) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.2f);
  std::vector<float> x(static_cast<std::size_t>(0.1 * rate));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = normal(rng) * std::exp(-static_cast<float>(i) / 80.0f);
  return x;
}

// A synthetic room impulse response: a few silent taps, a NEGATIVE direct-path peak, decaying reflections.
inline std::vector<float> synthetic_rir(std::uint32_t seed, std::size_t peak = 40, int rate = 16000) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> h(static_cast<std::size_t>(0.4 * rate), 0.0f);
  h[peak] = -1.0f;
  for (std::size_t i = peak + 20; i < h.size(); ++i) {
    const double t = static_cast<double>(i - peak) / rate;
    h[i] = static_cast<float>(0.25 * normal(rng) * std::pow(10.0, -3.0 * t));  // T60 about 0.35 s
  }
  return h;
}

struct TinyCorpusOptions {
  int speech_files = 30;
  double speech_min_seconds = 1.0, speech_max_seconds = 2.5;
  int noise_files_per_group = 6;
  bool keyboard = true;  // a one-shot group "noise/keys"
  int rirs = 6;
  bool split_lists = true;  // splits/*.txt: within each folder, item i%5==3 -> valid, i%5==4 -> test, else train
};

// A corpus in the manifest layout (like the starter corpus), with split lists unless o.split_lists is false (then
// files are split by name hash).
inline void make_manifest_corpus(const std::filesystem::path& root, const TinyCorpusOptions& o = {}) {
  std::ofstream manifest;
  std::filesystem::create_directories(root);
  manifest.open(root / "MANIFEST.tsv");
  manifest << "path\tkind\tsource\tspeaker_or_group\tlicense\tduration_s\n";
  std::ofstream lists[3];
  if (o.split_lists) {
    std::filesystem::create_directories(root / "splits");
    lists[0].open(root / "splits" / "train.txt");
    lists[1].open(root / "splits" / "valid.txt");
    lists[2].open(root / "splits" / "test.txt");
  }
  auto add = [&](const std::string& rel, const std::string& kind, const std::string& group, const std::vector<float>& x,
                 int i) {
    write_audio(root / rel, x);
    if (o.split_lists) lists[i % 5 == 3 ? 1 : i % 5 == 4 ? 2 : 0] << rel << '\n';
    manifest << rel << '\t' << kind << "\tsynthetic\t" << group << "\tCC0\t" << static_cast<double>(x.size()) / 16000.0 << '\n';
  };
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> length(o.speech_min_seconds, o.speech_max_seconds);
  for (int i = 0; i < o.speech_files; ++i) {
    add("speech/spk" + std::to_string(i % 3) + "/utt" + std::to_string(i) + ".flac", "speech", "spk" + std::to_string(i % 3),
        tone_burst(length(rng), static_cast<std::uint32_t>(100 + i)), i);
  }
  for (int i = 0; i < o.noise_files_per_group; ++i) {
    add("noise/hum/hum" + std::to_string(i) + ".flac", "noise", "hum", noise_signal(3.0 + i, static_cast<std::uint32_t>(200 + i)), i);
    add("noise/street/street" + std::to_string(i) + ".wav", "noise", "street",
        noise_signal(1.5 + 0.5 * i, static_cast<std::uint32_t>(300 + i), 0.1f), i);
  }
  if (o.keyboard) {
    for (int i = 0; i < 3 * o.noise_files_per_group; ++i) {
      add("noise/keys/key" + std::to_string(i) + ".flac", "noise", "keys", click(static_cast<std::uint32_t>(400 + i)), i);
    }
  }
  for (int i = 0; i < o.rirs; ++i) {
    add("rir/sim/rir" + std::to_string(i) + ".wav", "rir", "sim", synthetic_rir(static_cast<std::uint32_t>(500 + i)), i);
  }
}

}  // namespace nnse::test
