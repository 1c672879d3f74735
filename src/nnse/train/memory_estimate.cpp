#include "nnse/train/memory_estimate.h"

#include "nnse/nn/network.h"

namespace nnse::train {

MemoryEstimate estimate_training_memory(const nn::Arch& arch, const dsp::FrontendConfig& frontend, int threads) {
  const nn::Network<float> network(arch);  // layer shapes only; no weights
  std::uint64_t floats_per_frame = 0;
  for (const nn::LayerInfo& layer : network.layers()) {
    const int gates = layer.spec.type == nn::LayerType::lstm ? 4 : layer.spec.type == nn::LayerType::gru ? 3 : 1;
    // Input window kept for the weight gradient, gate values and their gradients.
    floats_per_frame += static_cast<std::uint64_t>(layer.kernel) * static_cast<std::uint64_t>(layer.input_dim) +
                        2ull * static_cast<std::uint64_t>(gates) * static_cast<std::uint64_t>(layer.units);
  }
  // The batch: features, and the noisy and clean complex spectra the loss reads.
  floats_per_frame += static_cast<std::uint64_t>(frontend.feature_dim()) + 4ull * static_cast<std::uint64_t>(frontend.bins());
  MemoryEstimate estimate;
  estimate.per_frame_bytes = floats_per_frame * sizeof(float);
  // Weights, Adam's two moments, and one gradient per thread.
  estimate.fixed_bytes = static_cast<std::uint64_t>(network.parameter_count()) * sizeof(float) *
                         (3ull + static_cast<std::uint64_t>(threads > 0 ? threads : 1));
  return estimate;
}

}  // namespace nnse::train
