#pragma once
// A trainable network: the parsed arch, its parameters (the ParameterSet the rest of the system sees) and the
// float network that computes with them. Engines and the enhancer run it; checkpoints save parameters() and
// arch_text().
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "nnse/nn/arch.h"
#include "nnse/nn/network.h"
#include "nnse/nn/parameters.h"

namespace nnse::nn {

class Model {
 public:
  // Fresh weights drawn from `seed` with the reference's initializers (docs/reference-facts.md 2.3):
  //   conv1d weight N(0, 1/sqrt(K * in)) (times sqrt(2) for relu6), fc weight glorot-uniform,
  //   lstm/gru weight glorot-uniform and recurrent_weight orthogonal (Keras defaults), biases 0 except the lstm
  //   forget-gate bias 1 (unit_forget_bias).
  Model(const Arch& arch, std::uint64_t seed);
  static Model from_file(const std::filesystem::path& arch_file, std::uint64_t seed);
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  const Arch& arch() const { return network_->arch(); }
  const std::string& arch_text() const { return network_->arch().text; }
  // Stable names and order: layer by layer, (weight, [recurrent_weight,] bias, [recurrent_bias]).
  ParameterSet& parameters() { return parameters_; }
  const ParameterSet& parameters() const { return parameters_; }
  int input_dim() const { return network_->input_dim(); }
  int output_dim() const { return network_->output_dim(); }
  std::int64_t parameter_count() const { return network_->parameter_count(); }
  std::int64_t macs_per_frame() const { return network_->macs_per_frame(); }
  Network<float>& network() { return *network_; }
  const Network<float>& network() const { return *network_; }

  // Redraws all parameters from `seed` (what the constructor does).
  void initialize(std::uint64_t seed);
  // Quantization-aware training hook for one layer (null removes it); see LayerHook.
  void set_hook(int layer, std::shared_ptr<LayerHook<float>> hook) { network_->set_hook(layer, std::move(hook)); }
  // Throws nnse::Error if `parameters()` no longer matches the network (a tensor was resized or renamed).
  void check_parameters() const;
  // A table of layers, shapes, parameters and MACs per frame (what `nnse info --nn-arch` prints).
  std::string summary() const;

 private:
  std::unique_ptr<Network<float>> network_;
  ParameterSet parameters_;
};

// The same table from the layer shapes alone: `nnse info` describes an arch without allocating (or drawing) its
// weights, which for a 4000-unit LSTM took 77 s and 1.9 GB.
std::string describe_network(const Network<float>& network);

}  // namespace nnse::nn
