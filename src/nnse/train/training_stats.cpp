#include "nnse/train/training_stats.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "nnse/train/batcher.h"
#include "nnse/train/stats_cache.h"
#include "nnse/util/error.h"
#include "nnse/util/parallel.h"

namespace nnse::train {
namespace fs = std::filesystem;

dsp::FeatureStats compute_training_stats(const ClipSet& clips, const dsp::FrontendConfig& config, int threads,
                                         std::int64_t* frames_out) {
  if (clips.size == 0) throw Error(clips.description, "no training clips to compute feature statistics from");
  const int workers = std::max(1, threads);
  const int dim = config.feature_dim();
  dsp::FeatureStatsAccumulator total(dim);
  // Per-clip accumulators merged in clip order keep the result independent of the thread count.
  const std::size_t block = 64;
  for (std::size_t start = 0; start < clips.size; start += block) {
    const std::size_t count = std::min(block, clips.size - start);
    std::vector<dsp::FeatureStatsAccumulator> partial(count, dsp::FeatureStatsAccumulator(dim));
    run_workers(workers, [&](int worker) {
      ClipFeaturizer featurizer(config, dsp::FeatureStats::identity(dim));
      for (std::size_t i = static_cast<std::size_t>(worker); i < count; i += static_cast<std::size_t>(workers)) {
        const data::Clip clip = clips.get(start + i, 0);
        partial[i].add(featurizer.raw_features(clip.noisy));
      }
    });
    for (const auto& p : partial) total.merge(p);
  }
  if (frames_out) *frames_out = total.frames();
  return total.finish(config.stats_std_offset);
}

dsp::FeatureStats training_stats(const TrainOptions& options, const ClipSet& clips, const fs::path& stats_file) {
  const dsp::FrontendConfig& frontend = options.frontend;
  const fs::path cache_dir =
      options.stats_cache_dir.empty() ? options.models_dir / "feature_stats_cache" : options.stats_cache_dir;
  const std::string key = clips.recipe.is_null() ? std::string() : stats_cache_key(clips.recipe, frontend);
  std::int64_t frames = 0;
  dsp::FeatureStats stats;
  if (auto cached = key.empty() ? std::nullopt : load_cached_stats(cache_dir, key, frontend)) {
    stats = std::move(cached->stats);
    frames = cached->frames;
    spdlog::info("feature statistics of this data recipe from {}", stats_cache_file(cache_dir, key).string());
  } else {
    spdlog::info("computing feature statistics over {} training clips", clips.size);
    stats = compute_training_stats(clips, frontend, options.threads, &frames);
    if (!key.empty()) save_cached_stats(cache_dir, key, clips.recipe, stats, frontend, frames);
  }
  dsp::save_feature_stats(stats_file, stats, frontend, frames);
  spdlog::info("{}: statistics of {} frames", stats_file.string(), frames);
  return stats;
}

}  // namespace nnse::train
