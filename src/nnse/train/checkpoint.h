#pragma once
// Training checkpoints: everything needed to continue a run exactly where it stopped, in one self-checking file.
//
// Layout on disk (models_dir/<arch name>/):
//   checkpoints/epoch_<N>   one binary file per saved epoch (format below)
//   checkpoints/latest      text "N\n", rewritten atomically after epoch_<N> is complete
// Every file is written with write_file_atomic (temp + fsync + rename), so a kill at any moment leaves either
// the old or the new file, and `latest` never names an epoch whose file is not complete.
//
// File format (all integers little-endian):
//   "NNSECKPT"           8-byte magic
//   u32 version          kCheckpointVersion
//   u64 payload_size
//   payload              u64 json_size, json metadata (UTF-8), then the binary arrays the metadata describes
//   sha256(payload)      32 bytes
// The metadata holds epoch, arch text, front-end config, loss config, training options, RNG state, and the
// parameter table (name, shape, is_bias); the arrays are float32 weights, Adam first/second moments,
// float32 feature mean / inverse std, float64 train / valid loss history.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nnse/dsp/frontend_config.h"
#include "nnse/nn/parameters.h"

namespace nnse::train {

inline constexpr std::uint32_t kCheckpointVersion = 1;

struct Checkpoint {
  int epoch = 0;                         // the last completed epoch (0-based)
  std::string arch_text;                 // the nn_arch file's text, verbatim
  dsp::FrontendConfig frontend;
  nlohmann::json loss_config = nlohmann::json::object();  // {"name":..., "c":..., "a":..., "eps":...}
  nlohmann::json options = nlohmann::json::object();      // training options, for the record (seed, batch, ...)
  std::vector<float> feature_mean;       // per feature band
  std::vector<float> feature_inv_std;
  nn::ParameterSet parameters;
  nn::AdamState adam;
  std::string rng_state;                 // the engine's opaque RNG state
  std::vector<double> train_loss;        // one entry per epoch 0..epoch
  std::vector<double> valid_loss;        // same length as train_loss (NaN where there was no validation set)
};

// Serialization. `decode_checkpoint` throws nnse::Error naming `file` for a wrong magic, an unsupported
// version, a truncated or over-long file, a checksum mismatch or inconsistent contents.
std::string encode_checkpoint(const Checkpoint& checkpoint);
Checkpoint decode_checkpoint(const std::string& bytes, const std::filesystem::path& file);

// "nn_arch/def_se_nn_arch72_mel.txt" -> "se_nn_arch72_mel" (reference section 3.1, setup_nn_folder).
std::string model_name_from_arch(const std::filesystem::path& arch_file);
std::filesystem::path model_dir(const std::filesystem::path& models_dir, const std::filesystem::path& arch_file);
std::filesystem::path checkpoint_dir(const std::filesystem::path& model_dir);
std::filesystem::path checkpoint_path(const std::filesystem::path& model_dir, int epoch);
std::filesystem::path latest_path(const std::filesystem::path& model_dir);

// Writes checkpoints/epoch_<epoch> and then `latest`, both atomically. Returns the checkpoint path.
std::filesystem::path save_checkpoint(const std::filesystem::path& model_dir, const Checkpoint& checkpoint);
Checkpoint load_checkpoint(const std::filesystem::path& file);

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

// Arch files are compared by content, ignoring comments, blank lines and spacing (a re-commented file is the
// same model; any other change is not).
std::string canonical_arch_text(const std::string& arch_text);

// Throws nnse::Error naming `file` if the checkpoint was made for a different architecture or front end.
void check_compatible(const Checkpoint& checkpoint, const std::filesystem::path& file, const std::string& arch_text,
                      const dsp::FrontendConfig& frontend);

// Copies the checkpoint's weights into `target`, which must have the same tensors (names, shapes) in the same
// order. Throws nnse::Error naming `file` otherwise.
void restore_parameters(const Checkpoint& checkpoint, const std::filesystem::path& file, nn::ParameterSet& target);

}  // namespace nnse::train
