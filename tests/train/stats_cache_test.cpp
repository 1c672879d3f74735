#include "nnse/train/stats_cache.h"

#include <gtest/gtest.h>

#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::train {
namespace {
namespace fs = std::filesystem;

nlohmann::json recipe(double clip_seconds = 10.0) {
  return {{"mixing_version", 1}, {"mix", {{"seed", 1}, {"clip_seconds", clip_seconds}}}, {"split", "train"}};
}

dsp::FeatureStats stats_of(int dim, float mean) {
  dsp::FeatureStats s = dsp::FeatureStats::identity(dim);
  for (int i = 0; i < dim; ++i) s.mean[static_cast<std::size_t>(i)] = mean + static_cast<float>(i) * 0.25f;
  return s;
}

TEST(StatsCache, KeyDependsOnRecipeAndFrontEndOnly) {
  const dsp::FrontendConfig mel;
  dsp::FrontendConfig pspec;
  pspec.feature_type = dsp::FeatureType::pspec;
  const std::string key = stats_cache_key(recipe(), mel);
  EXPECT_EQ(key.size(), 32u);
  EXPECT_EQ(key, stats_cache_key(recipe(), mel));  // deterministic
  // Key order inside the recipe does not matter (objects are compared as sorted maps).
  const nlohmann::json reordered = nlohmann::json::parse(
      R"({"split": "train", "mix": {"clip_seconds": 10.0, "seed": 1}, "mixing_version": 1})");
  EXPECT_EQ(key, stats_cache_key(reordered, mel));
  EXPECT_NE(key, stats_cache_key(recipe(25.0), mel));
  EXPECT_NE(key, stats_cache_key(recipe(), pspec));
  EXPECT_THROW(stats_cache_key(nlohmann::json(), mel), Error);
}

TEST(StatsCache, SavedStatsComeBackExactly) {
  test::ScratchDir dir;
  const dsp::FrontendConfig config;
  const std::string key = stats_cache_key(recipe(), config);
  EXPECT_FALSE(load_cached_stats(dir / "cache", key, config).has_value());  // folder not there yet
  const auto stats = stats_of(config.feature_dim(), -3.125f);
  save_cached_stats(dir / "cache", key, recipe(), stats, config, 4242);
  const auto loaded = load_cached_stats(dir / "cache", key, config);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->stats, stats);
  EXPECT_EQ(loaded->frames, 4242);
  // The file names what it was computed from.
  const auto j = nlohmann::json::parse(read_file_bytes(stats_cache_file(dir / "cache", key)));
  EXPECT_EQ(j.at("recipe"), recipe());
  // Another key finds nothing.
  EXPECT_FALSE(load_cached_stats(dir / "cache", stats_cache_key(recipe(25.0), config), config).has_value());
}

TEST(StatsCache, AnUnusableFileCountsAsMissing) {
  test::ScratchDir dir;
  const dsp::FrontendConfig config;
  const std::string key = stats_cache_key(recipe(), config);
  write_file_atomic(stats_cache_file(dir / "cache", key), std::string("{not json"));
  EXPECT_FALSE(load_cached_stats(dir / "cache", key, config).has_value());
  // Statistics of another dimension (a pspec file under a mel key) are not used either.
  dsp::FrontendConfig pspec;
  pspec.feature_type = dsp::FeatureType::pspec;
  save_cached_stats(dir / "cache", key, recipe(), stats_of(pspec.feature_dim(), 0.0f), pspec, 10);
  EXPECT_FALSE(load_cached_stats(dir / "cache", key, config).has_value());
}

}  // namespace
}  // namespace nnse::train
