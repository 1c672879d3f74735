#pragma once
// The mixing options that `train`, `eval` and `compare-losses` share (one spelling and one help text each).
#include <CLI/CLI.hpp>

#include "nnse/train/training_data.h"

namespace nnse::cli {

// --more-corpus (repeatable), --snr LIST, --reverb-prob; with `training` also --speed-perturb, --formant-warp.
void add_mix_options(CLI::App& command, train::DataChoice& choice, bool training);
// --snr LIST: comma-separated dB values in [-40, 60], or 'clean' (no noise), into `snr_db`.
void add_snr_option(CLI::App& command, std::vector<double>& snr_db);

}  // namespace nnse::cli
