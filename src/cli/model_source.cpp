#include "cli/model_source.h"

#include <limits>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include "cli/subcommand.h"
#include "nnse/nn/arch.h"
#include "nnse/train/checkpoint.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"

namespace nnse::cli {
namespace fs = std::filesystem;

namespace {

fs::path executable_dir() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : self.parent_path();
}

// The bundled model is looked up relative to the working folder, then to the binary (build/src/nnse or an
// installed bin/nnse), then to the source tree the binary was built from.
fs::path find_bundled_model() {
  const fs::path relative(kBundledModel);
  std::vector<fs::path> candidates = {relative};
  const fs::path exe = executable_dir();
  if (!exe.empty()) {
    candidates.push_back(exe / ".." / ".." / relative);
    candidates.push_back(exe / ".." / "share" / "nnse" / relative);
  }
  candidates.push_back(fs::path(NNSE_SOURCE_DIR) / relative);
  for (const auto& folder : candidates) {
    if (fs::exists(folder / kCheckpointFileInModelFolder)) return fs::weakly_canonical(folder);
  }
  throw Error(relative, "the bundled model was not found (looked in the working folder, beside the binary and in " +
                            std::string(NNSE_SOURCE_DIR) + "); pass --model or --nn-arch");
}

fs::path checkpoint_in(const fs::path& model) {
  if (fs::is_directory(model)) {
    const fs::path file = model / kCheckpointFileInModelFolder;
    if (fs::exists(file)) return file;
    if (auto latest = train::resolve_checkpoint(model, train::EpochSelection::parse("latest"))) return *latest;
    throw Error(model, "no " + std::string(kCheckpointFileInModelFolder) + " or checkpoints/ in this model folder");
  }
  if (!fs::exists(model)) throw Error(model, "no such model file or folder");
  return model;
}

}  // namespace

void require_arch_file(const std::string& arch_file) {
  std::error_code ec;
  if (!fs::exists(arch_file, ec)) throw Error("arch file " + arch_file + " not found (--nn-arch)");
  if (fs::is_directory(arch_file, ec)) throw Error("arch file " + arch_file + " is a folder, not an nn_arch text file (--nn-arch)");
}

fs::path resolve_model_file(const ModelChoice& choice) {
  // Checked first: a missing arch file also means a missing model folder, and "no checkpoint" would hide the typo.
  if (!choice.nn_arch.empty()) require_arch_file(choice.nn_arch);
  if (!choice.model.empty()) return checkpoint_in(choice.model);
  if (!choice.nn_arch.empty()) {
    const auto selection = train::EpochSelection::parse(choice.epoch_loaded);
    if (selection.kind == train::EpochSelection::Kind::random) {
      throw Error("--epoch-loaded random means untrained weights; give an epoch number or latest to enhance");
    }
    const fs::path folder = train::model_dir(choice.models_dir, choice.nn_arch);
    const auto file = train::resolve_checkpoint(folder, selection);
    if (!file) throw Error(folder, "no checkpoint for --epoch-loaded " + choice.epoch_loaded);
    return *file;
  }
  return checkpoint_in(find_bundled_model());
}

enhance::TrainedModel load_trained_model(const fs::path& file) {
  train::Checkpoint checkpoint = train::load_checkpoint(file);
  const nn::Arch arch = nn::parse_arch(checkpoint.arch_text, file.string() + " (arch)");
  enhance::TrainedModel trained{nn::Model(arch, 1), checkpoint.frontend, {}, {}};
  train::restore_parameters(checkpoint, file, trained.model.parameters());
  trained.stats.mean = checkpoint.feature_mean;
  trained.stats.inv_std = checkpoint.feature_inv_std;
  if (trained.stats.dim() != checkpoint.frontend.feature_dim()) {
    throw Error(file, "feature statistics have " + std::to_string(trained.stats.dim()) + " bands, the front end " +
                          std::to_string(checkpoint.frontend.feature_dim()));
  }
  trained.description = file.string() + " (epoch " + std::to_string(checkpoint.epoch) + ")";
  return trained;
}

enhance::TrainedModel load_trained_model(const ModelChoice& choice) {
  const fs::path file = resolve_model_file(choice);
  enhance::TrainedModel trained = load_trained_model(file);
  // Whichever way the checkpoint was found, a given --nn-arch must still describe its network (as train and eval
  // require): an edited arch file must not be silently ignored.
  if (!choice.nn_arch.empty()) {
    train::check_compatible(train::load_checkpoint(file), file, read_file_bytes(choice.nn_arch), trained.frontend);
  }
  if (!choice.feat_type.empty() && dsp::feature_type_from_string(choice.feat_type) != trained.frontend.feature_type) {
    throw Error(file, "was trained with --feat-type " + dsp::to_string(trained.frontend.feature_type) +
                          ", not " + choice.feat_type);
  }
  return trained;
}

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
      ->check(CLI::IsMember({"mel", "pspec"}));
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
