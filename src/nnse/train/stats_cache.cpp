#include "nnse/train/stats_cache.h"

#include <spdlog/spdlog.h>

#include "nnse/data/checksum.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"

namespace nnse::train {

std::string stats_cache_key(const nlohmann::json& recipe, const dsp::FrontendConfig& frontend) {
  if (recipe.is_null()) throw Error("feature statistics cache", "the training clips have no recipe to key on");
  // nlohmann::json objects keep their keys sorted, so dump() is canonical: equal recipes give equal text.
  const nlohmann::json what = {
      {"feature_stats_cache", kStatsCacheVersion}, {"recipe", recipe}, {"frontend", frontend}};
  const std::string text = what.dump();
  return data::sha256_hex({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}).substr(0, 32);
}

std::filesystem::path stats_cache_file(const std::filesystem::path& cache_dir, const std::string& key) {
  return cache_dir / (key + ".json");
}

std::optional<CachedStats> load_cached_stats(const std::filesystem::path& cache_dir, const std::string& key,
                                                   const dsp::FrontendConfig& frontend) {
  const auto file = stats_cache_file(cache_dir, key);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::nullopt;
  try {
    CachedStats out;
    out.stats = dsp::load_feature_stats(file, &frontend);
    out.frames = nlohmann::json::parse(read_file_bytes(file)).value("frames", std::int64_t{0});
    return out;
  } catch (const std::exception& e) {
    spdlog::warn("{} (ignored; the statistics are computed again)", e.what());
    return std::nullopt;
  }
}

void save_cached_stats(const std::filesystem::path& cache_dir, const std::string& key,
                       const nlohmann::json& recipe, const dsp::FeatureStats& stats,
                       const dsp::FrontendConfig& frontend, std::int64_t frames) {
  std::filesystem::create_directories(cache_dir);
  nlohmann::json j = stats;
  j["frontend"] = frontend;
  j["frames"] = frames;
  j["recipe"] = recipe;
  write_file_atomic(stats_cache_file(cache_dir, key), j.dump(2) + "\n");
}

}  // namespace nnse::train
