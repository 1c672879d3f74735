#pragma once
// A model folder's loss history: loss_history.csv (one row per epoch) and its curve, loss_history.png.
#include <filesystem>
#include <vector>

namespace nnse::train {

// Rewrites both files from the per-epoch losses (NaN: no value, an empty cell); the picture once there are two
// epochs to draw.
void write_history(const std::filesystem::path& model_dir, const std::vector<double>& train,
                   const std::vector<double>& valid);

}  // namespace nnse::train
