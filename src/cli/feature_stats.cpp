// nnse feature-stats: per-band mean / inverse standard deviation of the front-end features over a set of audio
// files, saved as JSON (the stats a model is trained and run with).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "cli/subcommand.h"
#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/frontend.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/util/error.h"
#include "nnse/util/output_path.h"

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

struct Input {
  fs::path file;
  bool from_folder = false;  // found in a folder (skipped when unreadable) rather than named by the user
};

// Files as given; folders contribute every audio file below them, in sorted order (reproducible stats).
std::vector<Input> collect(const std::vector<std::string>& inputs) {
  std::vector<Input> files;
  for (const auto& input : inputs) {
    const fs::path path(input);
    if (fs::is_directory(path)) {
      std::vector<fs::path> found;
      for (const auto& entry : fs::recursive_directory_iterator(path)) {
        if (entry.is_regular_file() && is_audio_file(entry.path())) found.push_back(entry.path());
      }
      if (found.empty()) throw Error(path, "folder holds no audio files");
      std::sort(found.begin(), found.end());
      for (auto& file : found) files.push_back({std::move(file), true});
    } else {
      files.push_back({path, false});  // the reader reports a missing or unreadable file by name
    }
  }
  return files;
}

void run_stats(const StatsOptions& o) {
  dsp::FrontendConfig config;
  config.feature_type = dsp::feature_type_from_string(o.feature_type);
  config.validate("--feat-type");
  const auto inputs = collect(o.inputs);
  std::vector<fs::path> paths;
  for (const auto& input : inputs) paths.push_back(input.file);
  refuse_outputs_over_inputs({fs::path(o.out)}, paths);
  // One bad file in a folder of thousands must not throw the others' work away (as in `nnse enhance`): it is
  // reported by name and left out. A file the user named explicitly still stops the command.
  dsp::FeatureStatsAccumulator accumulator(config.feature_dim());
  std::size_t used = 0;
  std::vector<std::string> skipped;
  for (const auto& input : inputs) {
    try {
      accumulator.add(dsp::file_features(input.file, config, false));
      ++used;
    } catch (const Error& e) {
      if (!input.from_folder) throw;
      spdlog::error("skipped: {}", e.what());
      skipped.push_back(input.file.string());
    }
  }
  if (used == 0) throw Error(o.inputs.front(), "no readable audio file; nothing to compute statistics from");
  const dsp::FeatureStats stats = accumulator.finish(config.stats_std_offset);
  dsp::save_feature_stats(o.out, stats, config, accumulator.frames());
  spdlog::info("{}: {} {} bands over {} frames from {} files", o.out, stats.dim(), dsp::to_string(config.feature_type),
               accumulator.frames(), used);
  if (!skipped.empty()) {
    spdlog::warn("{} unreadable file{} skipped (see above): {}", skipped.size(), skipped.size() == 1 ? "" : "s",
                 fmt::format("{}", fmt::join(skipped, ", ")));
  }
}

void setup_feature_stats(CLI::App& parent) {
  auto options = std::make_shared<StatsOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "feature-stats",
      "Per-band feature mean and inverse standard deviation (1 / (2^-15 + std), over every frame of every file) "
      "written as JSON for `nnse features --stats` and training");
  cmd->add_option("inputs", options->inputs,
                  "Audio files and/or folders (searched recursively for audio files; an unreadable file found in a "
                  "folder is reported and skipped, an unreadable file named here stops the command)")
      ->required();
  cmd->add_option(flag("feat-type"), options->feature_type, "Feature type: " + dsp::feature_type_help())
      ->check(CLI::IsMember(dsp::feature_type_names()))
      ->capture_default_str();
  cmd->add_option("-o," + flag("out"), options->out,
                  "Output JSON: {frontend, frames, mean[dim], inv_std[dim]} ('-': standard output)")
      ->required();
  cmd->callback([options] { run_stats(*options); });
}

const Registration registration{"feature-stats", 11, &setup_feature_stats};

}  // namespace
}  // namespace nnse::cli
