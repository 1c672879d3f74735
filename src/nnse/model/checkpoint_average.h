#pragma once
// Weight averaging: one checkpoint whose every parameter is the mean of the same parameter over several
// checkpoints of one network (the last epochs of a run, or fine-tunes of one starting point with other seeds).
// Averaged weights sit nearer the middle of the low-loss region the runs share than any single one (Izmailov et
// al. 2018, "stochastic weight averaging"; Wortsman et al. 2022, "model soups"), which is a bet on voices and
// noises none of them was trained on; whether it pays is measured like any other candidate.
#include <filesystem>
#include <vector>

#include "nnse/model/checkpoint.h"

namespace nnse::model {

// Loads every file and returns their average. All must share the architecture (dropout rates aside), the front
// end, the feature statistics and the parameter layout; otherwise throws nnse::Error naming the first file that
// differs and what differs. The result keeps the newest input's epoch, loss history, loss and options (with
// "averaged_from" listing the inputs) and no optimizer moments: resuming from it restarts Adam's moments.
// weights (one per file, each >= 0, not all 0; empty = equal) make it a weighted mean sum(w_i x_i) / sum(w_i):
// interpolation between two fine-tunes of one start (Wortsman et al. 2022, "WiSE-FT"), e.g. weights 1,3 for a
// quarter of the first; they are recorded as "averaged_weights".
Checkpoint average_checkpoints(const std::vector<std::filesystem::path>& files,
                               const std::vector<double>& weights = {});

}  // namespace nnse::model
