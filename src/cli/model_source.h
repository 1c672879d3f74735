#pragma once
// The flags that choose a trained model for `enhance`, `test` and `eval`; finding and loading it is the library's
// (nnse/model/trained_model.h).
#include <CLI/CLI.hpp>

#include "nnse/model/trained_model.h"

namespace nnse::cli {

using model::ModelChoice;

// Adds --model / --nn-arch / --epoch-loaded / --models-dir / --feat-type (with the reference's underscore
// spellings) to a subcommand.
void add_model_options(CLI::App& command, ModelChoice& choice, bool with_arch);
// Adds --atten-lim-db and --pass-gain (the enhancer's gain floor and pass level, enhance::EnhancerOptions).
void add_gain_options(CLI::App& command, double& atten_lim_db, double& pass_gain);

}  // namespace nnse::cli
