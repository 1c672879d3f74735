#pragma once
// Feature statistics (reference 1.8) of a training set: the mean and inverse standard deviation of the noisy
// features that every model input is normalized with.
#include <cstdint>
#include <filesystem>

#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/train/trainer.h"
#include "nnse/train/training_data.h"

namespace nnse::train {

// Statistics of the noisy features of every clip (epoch 0), in clip order (the result does not depend on the
// thread count).
dsp::FeatureStats compute_training_stats(const ClipSet& clips, const dsp::FrontendConfig& config, int threads,
                                         std::int64_t* frames_out = nullptr);

// The statistics of a fresh model: from the cache when the same recipe and front end were seen before, otherwise
// computed (and cached); saved in the model folder either way.
dsp::FeatureStats training_stats(const TrainOptions& options, const ClipSet& clips, const std::filesystem::path& stats_file);

}  // namespace nnse::train
