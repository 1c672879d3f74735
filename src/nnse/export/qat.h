#pragma once
// Quantization-aware training (`nnse train --qat`): a LayerHook (nn/network.h) on every layer that makes the
// float engine compute with what the runtime will hold, using the converter's own rounding (export/quantize.h):
//   weights, recurrent weights  int8, per-tensor power-of-two format from the tensor's max |w| (as the converter's
//                               default, the reference's scheme), round to nearest even, saturate
//   biases                      int16, per-tensor format from max |b|, capped at the layer's accumulator format
//   tanh, sigmoid               the runtime's own functions (runtime/src/activation.c): the pre-activation
//                               rounded half up to Q24, then the table interpolation (fc / conv1d outputs, the
//                               lstm's gates and tanh of its cell; the gru keeps float gates)
//   outputs (and lstm/gru h)    int16 in the layer's q_out (Q15 tanh / sigmoid / recurrent, Q12 relu6, Q11
//                               linear), rounded half up and saturated as the runtime's requantization does
// Gradients pass straight through (the engine's LayerHook contract). Formats follow the weights as they train:
// they are recomputed from the stored tensors at every step, exactly as the converter will compute them from the
// saved checkpoint, so a QAT checkpoint converts to the integers its training saw.
//
// Not modelled: layer 0's Q8 input features (the runtime computes them itself), the lstm cell state's Q24 (float
// keeps about as many bits), the exact integer sums (float sums of exact products: they can move a rounding by one
// LSB, and a recurrence carries such a difference on).
#include <memory>
#include <span>

#include "nnse/export/quantize.h"
#include "nnse/nn/model.h"

namespace nnse::deploy {

class QatHook : public nn::LayerHook<float> {
 public:
  // q_in: fraction bits of the layer's input (the previous layer's q_out; options.input_q for layer 0).
  QatHook(const nn::LayerInfo& layer, int q_in, const QuantizeOptions& options);
  // Tensors in the layer's order (weight, [recurrent_weight,] bias, [recurrent_bias]); the engine passes them in
  // that order before every step, so the weight formats are known when the biases come.
  void transform_parameter(int tensor, std::span<const float> stored, std::span<float> effective) override;
  // Thread-safe (the engine's workers call it concurrently): depends on q_out only.
  void transform_activation(std::span<float> values) override;
  bool replaces_activations() const override { return true; }
  // tanh and sigmoid as the runtime computes them (thread-safe, like transform_activation).
  void activate(nn::Activation activation, std::span<float> values) override;
  int q_out() const { return q_out_; }

 private:
  nn::LayerType type_;
  int q_in_, q_out_;
  int q_w_ = 0, q_r_ = 0;  // of the last weight tensors seen
};

// Installs a QatHook on every layer of `model` (per-tensor formats; options.per_channel is refused).
void enable_qat(nn::Model& model, const QuantizeOptions& options = {});

}  // namespace nnse::deploy
