#pragma once
// The home of a trained model: what `enhance`, `test`, `eval`, `compare-losses` (and the coming converter) run.
// A trained model is a network with its weights, the front end it was trained with and its feature statistics,
// read from one checkpoint file (model/checkpoint.h holds the file format). It is found in one of three ways:
//   - a model folder (models/se_nn_arch72_mel: its model.ckpt, or else its latest checkpoints/ epoch) or a
//     checkpoint file (--model);
//   - an arch file and an epoch inside a models folder, as the reference's test_se.py does (--nn-arch,
//     --epoch-loaded, --models-dir);
//   - neither: the bundled model.
// Whichever way, a given arch file must still describe the checkpoint's network, and a given feature type must be
// the one it was trained with: an edited arch file or a wrong --feat-type is an error, never silently ignored.
#include <filesystem>
#include <limits>
#include <optional>
#include <string>

#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/nn/model.h"

namespace nnse::model {

inline constexpr const char* kBundledModelFolder = "models/se_nn_arch72_mel";
inline constexpr const char* kCheckpointFileInModelFolder = "model.ckpt";

// Where to find a trained model; empty fields are "not given".
struct ModelChoice {
  std::string model;                  // a model folder or a checkpoint file
  std::string nn_arch;                // an arch file: use its checkpoints in models_dir
  std::string epoch_loaded = "latest";
  std::string models_dir = "models_trained";
  std::string feat_type;              // expected feature type (mel|pspec); empty = whatever it was trained with
};

// Enhancer settings that belong with a model, chosen on its validation data (a model folder's enhancer.json:
// {"atten_lim_db": N or null for none, "pass_gain": G, "floor_guard": B, "pitch_filter": S}); absent = the
// enhancer's own defaults.
struct RecommendedSettings {
  std::optional<double> atten_lim_db;  // +infinity: no floor
  std::optional<double> pass_gain;
  std::optional<double> floor_guard;   // 0: off
  std::optional<double> pitch_filter;  // 0: off
};
inline constexpr const char* kSettingsFileInModelFolder = "enhancer.json";

// One enhancer setting as enhancer.json and the command line know it: the one place for its name, its accepted
// range and what it does (the enhancer.json reader and the `enhance`/`test`/`eval` flags both use this table).
struct EnhancerSettingField {
  const char* key;  // enhancer.json key; the flag is the key with '-' for '_'
  std::optional<double> RecommendedSettings::*value;
  double min, max;  // accepted range, inclusive except min when min_open
  bool min_open;
  const char* range;  // the range in words, for errors
  const char* help;   // what the setting does, for --help
};
inline constexpr EnhancerSettingField kEnhancerSettingFields[] = {
    {"atten_lim_db", &RecommendedSettings::atten_lim_db, 0.0, std::numeric_limits<double>::infinity(), false,
     "a non-negative number of dB (no limit: null in enhancer.json, inf on the command line)",
     "Attenuation limit: never turn a frequency bin down by more than this many dB (a gain floor, as "
     "DeepFilterNet's); 'inf' = as deep as the model says"},
    {"pass_gain", &RecommendedSettings::pass_gain, 0.0, 1.0, true, "a number in (0, 1]",
     "Pass level: a model gain at or above this leaves its bin untouched (gain 1); lower gains scale by "
     "1/pass-gain; 1 = the model's gains as they are"},
    {"floor_guard", &RecommendedSettings::floor_guard, 0.0, 1e6, false, "a number in [0, 1e6] (0: off)",
     "Noise-floor guard beta: a bin that stands far above its tracked noise floor keeps its level unless the "
     "model is sure it is noise (10: protected fully 20 dB above the floor); 0 = off. Keeps clean and "
     "high-SNR speech intact"},
    {"pitch_filter", &RecommendedSettings::pitch_filter, 0.0, 1.0, false, "a number in [0, 1] (0: off)",
     "Pitch filter strength: before the gains, mix each voiced band with the input one pitch period back "
     "(a comb filter that lowers the noise between a voice's harmonics); 0 = off"},
};
// Whether `v` lies in the field's accepted range (NaN never does).
constexpr bool in_range(const EnhancerSettingField& field, double v) {
  return (field.min_open ? v > field.min : v >= field.min) && v <= field.max;
}

struct TrainedModel {
  nn::Model model;
  dsp::FrontendConfig frontend;
  dsp::FeatureStats stats;
  std::filesystem::path checkpoint;  // the file it was read from
  int epoch = 0;
  std::string description;           // for messages: "models/se_nn_arch72_mel/model.ckpt (epoch 12)"
  RecommendedSettings recommended;   // from enhancer.json beside the checkpoint, when there is one

  // Reads one checkpoint file (nnse::Error naming the file when it is unreadable or inconsistent).
  static TrainedModel from_checkpoint(const std::filesystem::path& file);
  // Finds the checkpoint the choice names and reads it, with the arch and feature-type checks above.
  static TrainedModel load(const ModelChoice& choice);
};

// The checkpoint file a choice names (nnse::Error naming what is missing).
std::filesystem::path resolve_checkpoint_file(const ModelChoice& choice);
// The bundled model folder: looked up relative to the working folder, then to the running binary (build/src/nnse
// or an installed bin/nnse), then to the source tree the library was built from.
std::filesystem::path find_bundled_model();
// Throws nnse::Error "arch file X not found (--nn-arch)" when the arch file is missing (or is a folder).
void require_arch_file(const std::string& arch_file);

}  // namespace nnse::model
