#include "cli/model_source.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>

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

namespace {

// Where each enhancer.json setting goes in the enhancer's options (the fields of model::kEnhancerSettingFields,
// in its order: checked at compile time).
struct OptionOfField {
  std::string_view key;
  double enhance::EnhancerOptions::*option;
};
constexpr OptionOfField kOptionOfField[] = {
    {"atten_lim_db", &enhance::EnhancerOptions::atten_lim_db},
    {"pass_gain", &enhance::EnhancerOptions::pass_gain},
    {"floor_guard", &enhance::EnhancerOptions::floor_guard},
    {"pitch_filter", &enhance::EnhancerOptions::pitch_filter},
};
constexpr bool fields_match() {
  if (std::size(kOptionOfField) != std::size(model::kEnhancerSettingFields)) return false;
  for (std::size_t i = 0; i < std::size(kOptionOfField); ++i) {
    if (kOptionOfField[i].key != model::kEnhancerSettingFields[i].key) return false;
  }
  return true;
}
static_assert(fields_match(), "kOptionOfField must list model::kEnhancerSettingFields in order");

std::string flag_of(std::string_view key) {
  std::string name(key);
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

}  // namespace

void add_gain_options(CLI::App& command, GainChoice& choice) {
  const enhance::EnhancerOptions defaults;
  for (std::size_t i = 0; i < std::size(kOptionOfField); ++i) {
    const model::EnhancerSettingField& field = model::kEnhancerSettingFields[i];
    const std::string name = flag_of(field.key);
    const double fallback = defaults.*kOptionOfField[i].option;
    command
        .add_option_function<double>(
            flag(name), [&choice, &field](double v) { choice.*field.value = v; },
            std::string(field.help) + ". Default: the model's enhancer.json, else " +
                (std::isinf(fallback) ? std::string("none") : fmt::format("{}", fallback)))
        ->check(CLI::Validator(
            [&field](std::string& text) -> std::string {
              char* end = nullptr;
              const double v = std::strtod(text.c_str(), &end);  // accepts "inf"; "nan" fails the range
              if (text.empty() || *end != '\0' || !model::in_range(field, v)) {
                return std::string("must be ") + field.range + ", got " + text;
              }
              return {};
            },
            field.range));
  }
}

enhance::EnhancerOptions resolve_gain_options(const GainChoice& choice, const model::TrainedModel& trained) {
  enhance::EnhancerOptions options;
  bool from_model = false;
  for (std::size_t i = 0; i < std::size(kOptionOfField); ++i) {
    const auto member = model::kEnhancerSettingFields[i].value;
    const std::optional<double>& given = choice.*member;
    const std::optional<double>& recommended = trained.recommended.*member;
    if (given) {
      options.*kOptionOfField[i].option = *given;
    } else if (recommended) {
      options.*kOptionOfField[i].option = *recommended;
      from_model = true;
    }
  }
  if (from_model) {
    spdlog::info(
        "enhancer settings of the model: attenuation limit {} dB, pass gain {}, floor guard {}, pitch filter {}",
        options.atten_lim_db, options.pass_gain, options.floor_guard, options.pitch_filter);
  }
  return options;
}

}  // namespace nnse::cli
