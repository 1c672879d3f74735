#pragma once
// The checkpoint file: a trained model (weights, arch text, front end, feature statistics) with everything training
// needs to continue exactly where it stopped (Adam moments, RNG state, loss history), in one self-checking file.
// Read to enhance, evaluate or convert a model without the train stage; written by the trainer each epoch.
//
// A training saves one per epoch in its model folder's checkpoints/ (model/model_folder.h). Every file is written with write_file_atomic (temp + fsync + rename), so a kill at any moment leaves either
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
#include <string>
#include <vector>

#include "nnse/dsp/frontend_config.h"
#include "nnse/nn/parameters.h"

namespace nnse::model {

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

// Writes checkpoints/epoch_<epoch> and then `latest`, both atomically. Returns the checkpoint path.
std::filesystem::path save_checkpoint(const std::filesystem::path& model_dir, const Checkpoint& checkpoint);
Checkpoint load_checkpoint(const std::filesystem::path& file);

}  // namespace nnse::model
