#include "nnse/dsp/feature_stats.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "nnse/dsp/frontend.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"

namespace nnse::dsp {

void FeatureStats::normalize(std::span<float> frame) const {
  if (frame.size() != mean.size()) {
    throw Error("feature stats: frame has " + std::to_string(frame.size()) + " values, stats have " +
                std::to_string(mean.size()));
  }
  for (std::size_t i = 0; i < frame.size(); ++i) frame[i] = (frame[i] - mean[i]) * inv_std[i];
}

void FeatureStats::normalize(FeatureMatrix& features) const {
  for (int t = 0; t < features.frames; ++t) normalize(features.row(t));
}

FeatureStats FeatureStats::identity(int dim) {
  return FeatureStats{std::vector<float>(static_cast<std::size_t>(dim), 0.0f),
                      std::vector<float>(static_cast<std::size_t>(dim), 1.0f)};
}

void to_json(nlohmann::json& j, const FeatureStats& stats) {
  j = nlohmann::json{{"mean", stats.mean}, {"inv_std", stats.inv_std}};
}

void from_json(const nlohmann::json& j, FeatureStats& stats) {
  if (!j.is_object() || !j.contains("mean") || !j.contains("inv_std")) {
    throw Error("feature stats: expected an object with \"mean\" and \"inv_std\"");
  }
  stats.mean = j.at("mean").get<std::vector<float>>();
  stats.inv_std = j.at("inv_std").get<std::vector<float>>();
  if (stats.mean.size() != stats.inv_std.size() || stats.mean.empty()) {
    throw Error("feature stats: \"mean\" and \"inv_std\" must be non-empty and of equal length");
  }
}

void save_feature_stats(const std::filesystem::path& file, const FeatureStats& stats, const FrontendConfig& config,
                        std::int64_t frames) {
  nlohmann::json j = stats;
  j["frontend"] = config;
  j["frames"] = frames;
  write_file_atomic(file, j.dump(2) + "\n");
}

FeatureStats load_feature_stats(const std::filesystem::path& file, const FrontendConfig* config) {
  const std::string text = read_file_bytes(file);
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    FeatureStats stats = j.get<FeatureStats>();
    if (config) {
      if (stats.dim() != config->feature_dim()) {
        throw Error("stats have " + std::to_string(stats.dim()) + " bands but the " + to_string(config->feature_type) +
                    " features have " + std::to_string(config->feature_dim()));
      }
      if (j.contains("frontend")) {
        const auto saved = j.at("frontend").get<FrontendConfig>();
        if (saved.feature_type != config->feature_type || saved.sample_rate != config->sample_rate ||
            saved.window_length != config->window_length || saved.hop_length != config->hop_length ||
            saved.fft_size != config->fft_size || saved.mel_bands != config->mel_bands) {
          throw Error("stats were computed with a different front end (" + j.at("frontend").dump() + ")");
        }
      }
    }
    return stats;
  } catch (const nlohmann::json::exception& e) {
    throw Error(file, std::string("not a feature stats file: ") + e.what());
  } catch (const Error& e) {
    throw Error(file, e.what());
  }
}

FeatureStatsAccumulator::FeatureStatsAccumulator(int dim)
    : mean_(static_cast<std::size_t>(dim), 0.0), m2_(static_cast<std::size_t>(dim), 0.0) {
  if (dim <= 0) throw Error("FeatureStatsAccumulator: dimension must be positive");
}

void FeatureStatsAccumulator::add(std::span<const float> frame) {
  if (frame.size() != mean_.size()) {
    throw Error("FeatureStatsAccumulator: frame has " + std::to_string(frame.size()) + " values, expected " +
                std::to_string(mean_.size()));
  }
  ++count_;
  const double n = static_cast<double>(count_);
  for (std::size_t i = 0; i < frame.size(); ++i) {
    const double delta = frame[i] - mean_[i];
    mean_[i] += delta / n;
    m2_[i] += delta * (frame[i] - mean_[i]);
  }
}

void FeatureStatsAccumulator::add(const FeatureMatrix& features) {
  if (features.frames == 0) return;
  if (features.dim != dim()) {
    throw Error("FeatureStatsAccumulator: features have dimension " + std::to_string(features.dim) + ", expected " +
                std::to_string(dim()));
  }
  // Two passes over the block, then one pairwise merge: accurate and cheaper than a per-frame update.
  FeatureStatsAccumulator block(dim());
  block.count_ = features.frames;
  for (int t = 0; t < features.frames; ++t) {
    const auto row = features.row(t);
    for (std::size_t i = 0; i < row.size(); ++i) block.mean_[i] += row[i];
  }
  for (double& m : block.mean_) m /= features.frames;
  for (int t = 0; t < features.frames; ++t) {
    const auto row = features.row(t);
    for (std::size_t i = 0; i < row.size(); ++i) {
      const double d = row[i] - block.mean_[i];
      block.m2_[i] += d * d;
    }
  }
  merge(block);
}

void FeatureStatsAccumulator::merge(const FeatureStatsAccumulator& other) {
  if (other.dim() != dim()) throw Error("FeatureStatsAccumulator: cannot merge different dimensions");
  if (other.count_ == 0) return;
  if (count_ == 0) {
    *this = other;
    return;
  }
  const double na = static_cast<double>(count_), nb = static_cast<double>(other.count_), n = na + nb;
  for (std::size_t i = 0; i < mean_.size(); ++i) {
    const double delta = other.mean_[i] - mean_[i];
    mean_[i] += delta * nb / n;
    m2_[i] += other.m2_[i] + delta * delta * na * nb / n;
  }
  count_ += other.count_;
}

FeatureStats FeatureStatsAccumulator::finish(double std_offset) const {
  if (count_ == 0) throw Error("feature stats: no frames");
  FeatureStats stats;
  stats.mean.resize(mean_.size());
  stats.inv_std.resize(mean_.size());
  for (std::size_t i = 0; i < mean_.size(); ++i) {
    const double std = std::sqrt(m2_[i] / static_cast<double>(count_));  // population std, as the reference
    stats.mean[i] = static_cast<float>(mean_[i]);
    stats.inv_std[i] = static_cast<float>(1.0 / (std_offset + std));
  }
  return stats;
}

FeatureStats compute_feature_stats(const std::vector<std::filesystem::path>& files, const FrontendConfig& config,
                                   std::int64_t* frames_out) {
  config.validate("feature stats");
  if (files.empty()) throw Error("feature stats: no input files");
  FeatureStatsAccumulator accumulator(config.feature_dim());
  for (const auto& file : files) {
    accumulator.add(file_features(file, config, false));
  }
  if (frames_out) *frames_out = accumulator.frames();
  return accumulator.finish(config.stats_std_offset);
}

}  // namespace nnse::dsp
