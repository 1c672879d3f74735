#pragma once
// Feature statistics reused across runs (issue 17): computing them reads and featurizes every training clip,
// seconds to minutes before the first step, and they are the same whenever the clips and the front end are. A
// fresh training run therefore looks them up in a cache folder (by default <models dir>/feature_stats_cache),
// under a key that hashes everything they depend on: the clips' recipe (for mixtures: mixing version, config,
// split, seed, corpus fingerprint and sizes; for shards the same plus storage details) and the front-end config.
// Any change there gives another key, so a stale file is never used; files are small and never deleted.
// The corpus fingerprint covers file names and lengths, not contents: a corpus edited in place without changing
// any length keeps its key (delete the cache folder then).
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/frontend_config.h"

namespace nnse::train {

// Bumped when the statistics computed from the same recipe would change (e.g. a different clip selection).
inline constexpr int kStatsCacheVersion = 1;

// 32 hex digits identifying (recipe, front end). Throws nnse::Error for a null recipe (nothing to key on).
std::string stats_cache_key(const nlohmann::json& recipe, const dsp::FrontendConfig& frontend);

// <cache_dir>/<key>.json
std::filesystem::path stats_cache_file(const std::filesystem::path& cache_dir, const std::string& key);

struct CachedStats {
  dsp::FeatureStats stats;
  std::int64_t frames = 0;  // frames they were computed from
};

// The cached statistics of `key`, or nothing when there is no such file. A file that exists but cannot be used
// (unreadable, another front end) is reported with a warning and treated as missing.
std::optional<CachedStats> load_cached_stats(const std::filesystem::path& cache_dir, const std::string& key,
                                                   const dsp::FrontendConfig& frontend);

// Writes the statistics (atomically) with the recipe they came from, so the file explains itself.
void save_cached_stats(const std::filesystem::path& cache_dir, const std::string& key,
                       const nlohmann::json& recipe, const dsp::FeatureStats& stats,
                       const dsp::FrontendConfig& frontend, std::int64_t frames);

}  // namespace nnse::train
