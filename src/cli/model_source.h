#pragma once
// The flags that choose a trained model for `enhance`, `test` and `eval`; finding and loading it is the library's
// (nnse/model/trained_model.h).
#include <CLI/CLI.hpp>

#include "nnse/enhance/enhancer.h"
#include "nnse/model/trained_model.h"

namespace nnse::cli {

using model::ModelChoice;

// Adds --model / --nn-arch / --epoch-loaded / --models-dir / --feat-type (with the reference's underscore
// spellings) to a subcommand.
void add_model_options(CLI::App& command, ModelChoice& choice, bool with_arch);
// The enhancer settings as given on the command line (--atten-lim-db, --pass-gain, --floor-guard, --pitch-filter:
// model::kEnhancerSettingFields); what is not given comes from the model (its enhancer.json) or else the
// enhancer's defaults.
using GainChoice = model::RecommendedSettings;
void add_gain_options(CLI::App& command, GainChoice& choice);
// The settings to run `trained` with, float enhancer and fixed-point runtime alike; says on stderr when they
// come from the model.
enhance::EnhancerOptions resolve_gain_options(const GainChoice& choice, const model::TrainedModel& trained);

}  // namespace nnse::cli
