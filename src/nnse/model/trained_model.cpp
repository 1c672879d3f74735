#include "nnse/model/trained_model.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "nnse/model/checkpoint.h"
#include "nnse/model/checkpoint_match.h"
#include "nnse/model/model_folder.h"
#include "nnse/nn/arch.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"

namespace nnse::model {
namespace fs = std::filesystem;

namespace {

fs::path executable_dir() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : self.parent_path();
}

// A model folder's checkpoint: its model.ckpt (a bundled model) or its latest epoch (a training's folder).
fs::path checkpoint_in(const fs::path& model) {
  if (fs::is_directory(model)) {
    const fs::path file = model / kCheckpointFileInModelFolder;
    if (fs::exists(file)) return file;
    if (auto latest = resolve_checkpoint(model, EpochSelection::parse("latest"))) return *latest;
    throw Error(model, "no " + std::string(kCheckpointFileInModelFolder) + " or checkpoints/ in this model folder");
  }
  if (!fs::exists(model)) throw Error(model, "no such model file or folder");
  return model;
}

fs::path checkpoint_of_arch(const ModelChoice& choice) {
  const auto selection = EpochSelection::parse(choice.epoch_loaded);
  if (selection.kind == EpochSelection::Kind::random) {
    throw Error("--epoch-loaded random means untrained weights; give an epoch number or latest to enhance");
  }
  const fs::path folder = model_dir(choice.models_dir, choice.nn_arch);
  const auto file = resolve_checkpoint(folder, selection);
  if (!file) throw Error(folder, "no checkpoint for --epoch-loaded " + choice.epoch_loaded);
  return *file;
}

}  // namespace

void require_arch_file(const std::string& arch_file) {
  std::error_code ec;
  if (!fs::exists(arch_file, ec)) throw Error("arch file " + arch_file + " not found (--nn-arch)");
  if (fs::is_directory(arch_file, ec)) throw Error("arch file " + arch_file + " is a folder, not an nn_arch text file (--nn-arch)");
}

fs::path find_bundled_model() {
  const fs::path relative(kBundledModelFolder);
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

fs::path resolve_checkpoint_file(const ModelChoice& choice) {
  // Checked first: a missing arch file also means a missing model folder, and "no checkpoint" would hide the typo.
  if (!choice.nn_arch.empty()) require_arch_file(choice.nn_arch);
  if (!choice.model.empty()) return checkpoint_in(choice.model);
  if (!choice.nn_arch.empty()) return checkpoint_of_arch(choice);
  return checkpoint_in(find_bundled_model());
}

namespace {

RecommendedSettings read_recommended_settings(const fs::path& file) {
  RecommendedSettings settings;
  if (!fs::exists(file)) return settings;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file_bytes(file));
  } catch (const nlohmann::json::exception& e) {
    throw Error(file, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw Error(file, "expected a JSON object");
  for (const EnhancerSettingField& field : kEnhancerSettingFields) {
    if (!j.contains(field.key)) continue;
    const auto& v = j.at(field.key);
    const bool no_limit = v.is_null() && field.max == std::numeric_limits<double>::infinity();
    if (!no_limit && !(v.is_number() && in_range(field, v.get<double>()))) {
      throw Error(file, std::string(field.key) + " must be " + field.range);
    }
    settings.*field.value = no_limit ? std::numeric_limits<double>::infinity() : v.get<double>();
  }
  return settings;
}

}  // namespace

TrainedModel TrainedModel::from_checkpoint(const fs::path& file) {
  Checkpoint checkpoint = load_checkpoint(file);
  const nn::Arch arch = nn::parse_arch(checkpoint.arch_text, file.string() + " (arch)");
  TrainedModel trained{nn::Model(arch, 1), checkpoint.frontend, {}, file, checkpoint.epoch, {}, {}};
  restore_parameters(checkpoint, file, trained.model.parameters());
  trained.stats.mean = checkpoint.feature_mean;
  trained.stats.inv_std = checkpoint.feature_inv_std;
  if (trained.stats.dim() != checkpoint.frontend.feature_dim()) {
    throw Error(file, "feature statistics have " + std::to_string(trained.stats.dim()) + " bands, the front end " +
                          std::to_string(checkpoint.frontend.feature_dim()));
  }
  trained.description = file.string() + " (epoch " + std::to_string(checkpoint.epoch) + ")";
  trained.recommended = read_recommended_settings(file.parent_path() / kSettingsFileInModelFolder);
  return trained;
}

TrainedModel TrainedModel::load(const ModelChoice& choice) {
  const fs::path file = resolve_checkpoint_file(choice);
  TrainedModel trained = from_checkpoint(file);
  if (!choice.nn_arch.empty()) {
    check_compatible(load_checkpoint(file), file, read_file_bytes(choice.nn_arch), trained.frontend);
  }
  if (!choice.feat_type.empty() && dsp::feature_type_from_string(choice.feat_type) != trained.frontend.feature_type) {
    throw Error(file, "was trained with --feat-type " + dsp::to_string(trained.frontend.feature_type) + ", not " +
                          choice.feat_type);
  }
  return trained;
}

}  // namespace nnse::model
