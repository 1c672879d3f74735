#include "cli/model_source.h"

#include <limits>

#include <CLI/CLI.hpp>

#include "cli/subcommand.h"
#include "nnse/dsp/frontend_config.h"

namespace nnse::cli {

void add_model_options(CLI::App& command, ModelChoice& choice, bool with_arch) {
  command.add_option(flag("model"), choice.model,
                     "Trained model: a model folder (e.g. models/se_nn_arch72_mel) or a checkpoint file. "
                     "Default: the bundled model, unless --nn-arch is given");
  if (with_arch) {
    command.add_option(flag("nn-arch"), choice.nn_arch,
                       "Arch file (e.g. nn_arch/def_se_nn_arch72_mel.txt): use its checkpoints in --models-dir");
    command.add_option(flag("epoch-loaded"), choice.epoch_loaded, "Checkpoint epoch with --nn-arch: N or latest")
        ->capture_default_str();
    command.add_option(flag("models-dir"), choice.models_dir, "Folder holding <arch name>/checkpoints/")
        ->capture_default_str();
  }
  command.add_option(flag("feat-type"), choice.feat_type,
                     "Expected feature type (mel|pspec); an error if the model was trained with the other")
      ->check(CLI::IsMember(dsp::feature_type_names()));
}

void add_gain_options(CLI::App& command, double& atten_lim_db, double& pass_gain) {
  command
      .add_option(flag("atten-lim-db"), atten_lim_db,
                  "Attenuation limit: never turn a frequency bin down by more than this many dB (a gain floor, as "
                  "DeepFilterNet's); 'inf' = as deep as the model says")
      ->check(CLI::Range(0.0, std::numeric_limits<double>::infinity()))
      ->capture_default_str();
  command
      .add_option(flag("pass-gain"), pass_gain,
                  "Pass level: a model gain at or above this leaves its bin untouched (gain 1); lower gains scale by "
                  "1/pass-gain. 1 = the model's gains as they are")
      ->check(CLI::Range(0.01, 1.0))
      ->capture_default_str();
}

}  // namespace nnse::cli
