#pragma once
// One mixed clip: noisy input, clean target, and the metadata that says how it was made (which utterances,
// noise, SNR, level, reverberation); the metadata travels into shards as JSON.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nnse::data {

struct SpeechPiece {
  std::string file;              // corpus name
  std::int64_t clip_offset = 0;  // first clip sample it occupies
  std::int64_t file_offset = 0;  // first file sample used
  std::int64_t length = 0;       // samples used
  double gain_db = 0.0;          // the utterance's level offset (before the clip's own scaling)
};

struct ClipMeta {
  std::string split;
  int epoch = 0;
  std::uint64_t index = 0;
  std::vector<SpeechPiece> speech;
  std::string noise_type;
  std::vector<std::string> noise_files;  // one file, or the one-shots of a sequenced stream
  std::int64_t noise_offset = 0;         // crop / tiling start in the noise file (0 for one-shot streams)
  bool one_shot_stream = false;
  std::optional<double> snr_db;          // empty when the window holds no active speech (noise-only clip)
  double peak = 0.0;                     // max |noisy| after the level gain
  double gain = 0.0;                     // that level gain (applied to noisy and clean alike)
  bool reverb = false;
  std::string rir;
  double active_fraction = 0.0;          // share of 20 ms frames with active speech
};

void to_json(nlohmann::json& j, const ClipMeta& meta);
void from_json(const nlohmann::json& j, ClipMeta& meta);

struct Clip {
  std::vector<float> noisy;  // model input
  std::vector<float> clean;  // training target (reverberant clips: direct path + early reflections)
  ClipMeta meta;
};

}  // namespace nnse::data
