#pragma once
// Where a training keeps its checkpoints, as the reference lays out a model folder (models_dir/<arch name>/):
//   checkpoints/epoch_<N>   one checkpoint file per saved epoch (model/checkpoint.h)
//   checkpoints/latest      text "N\n", rewritten atomically after epoch_<N> is complete
// and how --epoch-loaded picks one of them.
#include <filesystem>
#include <optional>
#include <string>

namespace nnse::model {

// "nn_arch/def_se_nn_arch72_mel.txt" -> "se_nn_arch72_mel" (reference section 3.1, setup_nn_folder).
std::string model_name_from_arch(const std::filesystem::path& arch_file);
std::filesystem::path model_dir(const std::filesystem::path& models_dir, const std::filesystem::path& arch_file);
std::filesystem::path checkpoint_dir(const std::filesystem::path& model_dir);
std::filesystem::path checkpoint_path(const std::filesystem::path& model_dir, int epoch);
std::filesystem::path latest_path(const std::filesystem::path& model_dir);

// The epoch named by checkpoints/latest, or nullopt if there is no such file. Throws if it is malformed.
std::optional<int> latest_epoch(const std::filesystem::path& model_dir);

// --epoch-loaded: "random" (fresh weights, start at epoch 0), "latest", or a non-negative epoch number.
struct EpochSelection {
  enum class Kind { random, latest, number } kind = Kind::random;
  int epoch = 0;  // for Kind::number
  static EpochSelection parse(const std::string& text);  // throws nnse::Error naming --epoch-loaded
  std::string to_string() const;
};

// The checkpoint file a selection refers to (nullopt for random). Throws nnse::Error if `latest` is requested
// and the model folder has no checkpoints, or if the named checkpoint file does not exist.
std::optional<std::filesystem::path> resolve_checkpoint(const std::filesystem::path& model_dir,
                                                        const EpochSelection& selection);

}  // namespace nnse::model
