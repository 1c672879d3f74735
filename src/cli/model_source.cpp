#include "cli/model_source.h"

#include <limits>

#include <spdlog/spdlog.h>

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
                     "Expected feature type, " + dsp::feature_type_help() + ": an error if the model was trained with another")
      ->check(CLI::IsMember(dsp::feature_type_names()));
}

void add_gain_options(CLI::App& command, GainChoice& choice) {
  command
      .add_option_function<double>(
          flag("atten-lim-db"), [&choice](double v) { choice.atten_lim_db = v; },
          "Attenuation limit: never turn a frequency bin down by more than this many dB (a gain floor, as "
          "DeepFilterNet's); 'inf' = as deep as the model says. Default: the model's enhancer.json, else none")
      ->check(CLI::Range(0.0, std::numeric_limits<double>::infinity()));
  command
      .add_option_function<double>(
          flag("pass-gain"), [&choice](double v) { choice.pass_gain = v; },
          "Pass level: a model gain at or above this leaves its bin untouched (gain 1); lower gains scale by "
          "1/pass-gain; 1 = the model's gains as they are. Default: the model's enhancer.json, else 1")
      ->check(CLI::Range(0.01, 1.0));
  command
      .add_option_function<double>(
          flag("floor-guard"), [&choice](double v) { choice.floor_guard = v; },
          "Noise-floor guard beta: a bin that stands far above its tracked noise floor keeps its level unless the "
          "model is sure it is noise (10: protected fully 20 dB above the floor); 0 = off. Keeps clean and "
          "high-SNR speech intact. Default: the model's enhancer.json, else 0")
      ->check(CLI::Range(0.0, 1e6));
  command
      .add_option_function<double>(
          flag("pitch-filter"), [&choice](double v) { choice.pitch_filter = v; },
          "Pitch filter strength: before the gains, mix each voiced band with the input one pitch period back "
          "(a comb filter that lowers the noise between a voice's harmonics); 0 = off. "
          "Default: the model's enhancer.json, else 0")
      ->check(CLI::Range(0.0, 1.0));
}

enhance::EnhancerOptions resolve_gain_options(const GainChoice& choice, const model::TrainedModel& trained) {
  enhance::EnhancerOptions options;
  options.atten_lim_db = choice.atten_lim_db.value_or(
      trained.recommended.atten_lim_db.value_or(enhance::EnhancerOptions::kDefaultAttenLimDb));
  options.pass_gain =
      choice.pass_gain.value_or(trained.recommended.pass_gain.value_or(enhance::EnhancerOptions::kDefaultPassGain));
  options.floor_guard = choice.floor_guard.value_or(trained.recommended.floor_guard.value_or(0.0));
  options.pitch_filter = choice.pitch_filter.value_or(trained.recommended.pitch_filter.value_or(0.0));
  const bool from_model = (!choice.atten_lim_db && trained.recommended.atten_lim_db) ||
                          (!choice.pass_gain && trained.recommended.pass_gain) ||
                          (!choice.floor_guard && trained.recommended.floor_guard) ||
                          (!choice.pitch_filter && trained.recommended.pitch_filter);
  if (from_model) {
    spdlog::info(
        "enhancer settings of the model: attenuation limit {} dB, pass gain {}, floor guard {}, pitch filter {}",
        options.atten_lim_db, options.pass_gain, options.floor_guard, options.pitch_filter);
  }
  return options;
}

}  // namespace nnse::cli
