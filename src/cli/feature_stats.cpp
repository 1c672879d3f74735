// nnse feature-stats: per-band mean / inverse standard deviation of the front-end features over a set of audio
// files, saved as JSON (the stats a model is trained and run with).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "cli/subcommand.h"
#include "nnse/dsp/feature_stats.h"
#include "nnse/util/error.h"

namespace nnse::cli {
namespace {

namespace fs = std::filesystem;

struct StatsOptions {
  std::vector<std::string> inputs;
  std::string feature_type = "mel";
  std::string out;
};

bool is_audio_file(const fs::path& path) {
  static const std::set<std::string> extensions{".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff",
                                                ".au",  ".caf",  ".w64", ".rf64"};
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extensions.count(ext) > 0;
}

// Files as given; folders contribute every audio file below them, in sorted order (reproducible stats).
std::vector<fs::path> collect(const std::vector<std::string>& inputs) {
  std::vector<fs::path> files;
  for (const auto& input : inputs) {
    const fs::path path(input);
    if (fs::is_directory(path)) {
      std::vector<fs::path> found;
      for (const auto& entry : fs::recursive_directory_iterator(path)) {
        if (entry.is_regular_file() && is_audio_file(entry.path())) found.push_back(entry.path());
      }
      if (found.empty()) throw Error(path, "folder holds no audio files");
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(path);  // the reader reports a missing or unreadable file by name
    }
  }
  return files;
}

void run_stats(const StatsOptions& o) {
  dsp::FrontendConfig config;
  config.feature_type = dsp::feature_type_from_string(o.feature_type);
  const auto files = collect(o.inputs);
  std::int64_t frames = 0;
  const dsp::FeatureStats stats = dsp::compute_feature_stats(files, config, &frames);
  dsp::save_feature_stats(o.out, stats, config, frames);
  spdlog::info("{}: {} {} bands over {} frames from {} files", o.out, stats.dim(), dsp::to_string(config.feature_type),
               frames, files.size());
}

void setup_feature_stats(CLI::App& parent) {
  auto options = std::make_shared<StatsOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "feature-stats",
      "Per-band feature mean and inverse standard deviation (1 / (2^-15 + std), over every frame of every file) "
      "written as JSON for `nnse features --stats` and training");
  cmd->add_option("inputs", options->inputs, "Audio files and/or folders (searched recursively for audio files)")
      ->required();
  cmd->add_option(flag("feat-type"), options->feature_type, "Feature type: mel or pspec")
      ->check(CLI::IsMember({"mel", "pspec"}))
      ->capture_default_str();
  cmd->add_option("-o," + flag("out"), options->out,
                  "Output JSON: {frontend, frames, mean[dim], inv_std[dim]}")
      ->required();
  cmd->callback([options] { run_stats(*options); });
}

const Registration registration{"feature-stats", 11, &setup_feature_stats};

}  // namespace
}  // namespace nnse::cli
