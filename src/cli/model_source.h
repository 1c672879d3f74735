#pragma once
// Where `enhance`, `test` and `eval` get a trained model: an explicit --model (a bundled model folder or a
// checkpoint file), or --nn-arch + --epoch-loaded inside the models folder (as the reference's test_se.py does),
// or, with neither, the bundled model.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>

#include "nnse/enhance/enhance_file.h"

namespace nnse::cli {

inline constexpr const char* kBundledModel = "models/se_nn_arch72_mel";
inline constexpr const char* kCheckpointFileInModelFolder = "model.ckpt";

struct ModelChoice {
  std::string model;                 // --model: folder or checkpoint file; empty = not given
  std::string nn_arch;               // --nn-arch; empty = not given
  std::string epoch_loaded = "latest";
  std::string models_dir = "models_trained";
  std::string feat_type;             // --feat-type; empty = whatever the model was trained with
};

// Throws nnse::Error "arch file X not found (--nn-arch)" when the arch file is missing (or is a folder).
void require_arch_file(const std::string& arch_file);

// Resolves the choice to a checkpoint file (nnse::Error naming what is missing).
std::filesystem::path resolve_model_file(const ModelChoice& choice);
enhance::TrainedModel load_trained_model(const ModelChoice& choice);
enhance::TrainedModel load_trained_model(const std::filesystem::path& checkpoint_file);

// Adds --model / --nn-arch / --epoch-loaded / --models-dir / --feat-type (with the reference's underscore
// spellings) to a subcommand.
void add_model_options(CLI::App& command, ModelChoice& choice, bool with_arch);
// Adds --atten-lim-db and --pass-gain (the enhancer's gain floor and pass level, enhance::EnhancerOptions).
void add_gain_options(CLI::App& command, double& atten_lim_db, double& pass_gain);

}  // namespace nnse::cli
