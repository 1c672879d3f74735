#pragma once
// Float inference without the training engine: one frame at a time, plain loops, weights read in the stored
// (ParameterSet / checkpoint) layout. This is the float reference a fixed-point kernel is compared with, so each
// layer kind is one free function on spans; FloatInference chains them over a whole nn::Model with its recurrent
// state. Results equal the engine's forward up to float rounding (tests/nn/inference_test.cpp).
//
// Layouts (row-major, as stored): fc weight [in][units]; conv1d weight [K][in][units] (frame tau = K-1 is the
// current one); lstm weight [in][4u], recurrent_weight [u][4u], bias [4u], gates (i, f, g, o); gru weight [in][3u],
// recurrent_weight [u][3u], bias [3u], recurrent_bias [u] (b_hn), gates (r, z, n). See network.h for the equations.
#include <span>
#include <vector>

#include "nnse/nn/arch.h"

namespace nnse::nn {

class Model;

// y = act(W^T x + b).
void dense_forward(std::span<const float> weight, std::span<const float> bias, Activation activation,
                   std::span<const float> input, std::span<float> output);

// Causal conv1d on one frame: stacks the K-1 frames of `history` (oldest first, [(K-1) x in]) with `input`, applies
// dense_forward with the [K in][units] weight, then shifts `input` into the history.
void conv1d_step(std::span<const float> weight, std::span<const float> bias, Activation activation,
                 std::span<float> history, std::span<const float> input, std::span<float> output);

// One lstm step: updates h and c ([u] each) in place; the layer's output is h.
void lstm_step(std::span<const float> weight, std::span<const float> recurrent_weight, std::span<const float> bias,
               std::span<float> h, std::span<float> c, std::span<const float> input);

// One gru step: updates h ([u]) in place; the layer's output is h.
void gru_step(std::span<const float> weight, std::span<const float> recurrent_weight, std::span<const float> bias,
              std::span<const float> recurrent_bias, std::span<float> h, std::span<const float> input);

// A whole model, frame by frame, with its state (conv1d history, lstm h and c, gru h).
class FloatInference {
 public:
  // Reads the model's arch and parameters; the model must outlive this object.
  explicit FloatInference(const Model& model);
  // Stream start: zero recurrent state; layer 0's conv1d history = `pad_frame` (empty: zeros), as the engine's
  // StreamState::reset.
  void reset(std::span<const float> pad_frame = {});
  // One frame: input [input_dim] -> output [output_dim] (times the arch's scalar_output).
  void step(std::span<const float> input, std::span<float> output);

 private:
  struct Layer {
    LayerSpec spec;
    int input_dim = 0, kernel = 1;
    std::vector<std::span<const float>> tensors;  // the layer's parameters, stored order
    std::vector<float> state;                      // conv1d history | lstm [h, c] | gru h
    std::vector<float> output;                     // [own output (spec.units), input if concat_input]
  };
  const Model* model_;
  std::vector<Layer> layers_;
};

}  // namespace nnse::nn
