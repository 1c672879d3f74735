#pragma once
// Per-band feature statistics (reference 1.8): mean and inverse standard deviation over every frame of a set of
// files, inv_std = 1 / (config.stats_std_offset + std); normalization n = (f - mean) * inv_std. Saved with a
// model as JSON.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <vector>

#include "nnse/dsp/features.h"
#include "nnse/dsp/frontend_config.h"

namespace nnse::dsp {

struct FeatureStats {
  std::vector<float> mean;
  std::vector<float> inv_std;

  int dim() const { return static_cast<int>(mean.size()); }
  // In place: frame[i] = (frame[i] - mean[i]) * inv_std[i]. frame.size() == dim().
  void normalize(std::span<float> frame) const;
  void normalize(FeatureMatrix& features) const;
  // Identity statistics (mean 0, inv_std 1) of a given dimension.
  static FeatureStats identity(int dim);
  bool operator==(const FeatureStats&) const = default;
};

// {"mean": [...], "inv_std": [...]}; from_json checks both are present and of equal length.
void to_json(nlohmann::json& j, const FeatureStats& stats);
void from_json(const nlohmann::json& j, FeatureStats& stats);

// A stats file: {"frontend": FrontendConfig, "frames": N, "mean": [...], "inv_std": [...]}. Written atomically.
void save_feature_stats(const std::filesystem::path& file, const FeatureStats& stats, const FrontendConfig& config,
                        std::int64_t frames);
// Reads a stats file (or a bare {"mean", "inv_std"} object). Throws nnse::Error naming the file. If `config` is
// given, its feature dimension must match the file's (and its front end, when the file records one).
FeatureStats load_feature_stats(const std::filesystem::path& file, const FrontendConfig* config = nullptr);

// Accumulates per-band moments over any number of frames in double precision (Chan et al. pairwise update, so
// millions of frames lose no accuracy), from whole matrices or one frame at a time.
class FeatureStatsAccumulator {
 public:
  explicit FeatureStatsAccumulator(int dim);
  void add(std::span<const float> frame);
  void add(const FeatureMatrix& features);
  void merge(const FeatureStatsAccumulator& other);
  std::int64_t frames() const { return count_; }
  int dim() const { return static_cast<int>(mean_.size()); }
  // Throws nnse::Error if no frame was added.
  FeatureStats finish(double std_offset = FrontendConfig{}.stats_std_offset) const;

 private:
  std::int64_t count_ = 0;
  std::vector<double> mean_;
  std::vector<double> m2_;  // sum of squared deviations from the mean
};

// Statistics of the features of every file (each read at config.sample_rate, DC-removed if configured).
// `frames_out`, if given, receives the frame count.
FeatureStats compute_feature_stats(const std::vector<std::filesystem::path>& files, const FrontendConfig& config,
                                   std::int64_t* frames_out = nullptr);

}  // namespace nnse::dsp
