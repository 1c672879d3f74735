#pragma once
// The mixing options that `train`, `eval` and `compare-losses` share (one spelling and one help text each).
#include <CLI/CLI.hpp>

#include "nnse/train/trainer.h"

namespace nnse::cli {

// --more-corpus (repeatable), --snr LIST, --reverb-prob; with `training` also --speed-perturb.
void add_mix_options(CLI::App& command, train::DataChoice& choice, bool training);

}  // namespace nnse::cli
