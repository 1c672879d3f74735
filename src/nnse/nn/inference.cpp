#include "nnse/nn/inference.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "nnse/nn/model.h"

namespace nnse::nn {
namespace {

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

float activate(Activation activation, float x) {
  switch (activation) {
    case Activation::tanh: return std::tanh(x);
    case Activation::sigmoid: return sigmoid(x);
    case Activation::relu6: return std::min(std::max(x, 0.0f), 6.0f);
    case Activation::linear: return x;
  }
  return x;
}

void require(bool condition, const char* function, const std::string& what) {
  if (!condition) throw std::invalid_argument(std::string("nn::") + function + ": " + what);
}

// z[g] = bias[g] + sum_i x[i] W[i][g] + sum_j h[j] R[j][g] for every gate row g of a recurrent layer.
std::vector<float> gate_sums(std::span<const float> weight, std::span<const float> recurrent_weight,
                             std::span<const float> bias, std::span<const float> input, std::span<const float> h) {
  const std::size_t gates = bias.size();
  std::vector<float> z(bias.begin(), bias.end());
  for (std::size_t i = 0; i < input.size(); ++i)
    for (std::size_t g = 0; g < gates; ++g) z[g] += input[i] * weight[i * gates + g];
  for (std::size_t j = 0; j < h.size(); ++j)
    for (std::size_t g = 0; g < gates; ++g) z[g] += h[j] * recurrent_weight[j * gates + g];
  return z;
}

}  // namespace

void dense_forward(std::span<const float> weight, std::span<const float> bias, Activation activation,
                   std::span<const float> input, std::span<float> output) {
  const std::size_t units = bias.size();
  require(output.size() == units && weight.size() == input.size() * units, "dense_forward", "shapes do not match");
  std::copy(bias.begin(), bias.end(), output.begin());
  for (std::size_t i = 0; i < input.size(); ++i)
    for (std::size_t u = 0; u < units; ++u) output[u] += input[i] * weight[i * units + u];
  for (float& y : output) y = activate(activation, y);
}

void conv1d_step(std::span<const float> weight, std::span<const float> bias, Activation activation,
                 std::span<float> history, std::span<const float> input, std::span<float> output) {
  require(input.empty() || history.size() % input.size() == 0, "conv1d_step", "history is not whole frames");
  std::vector<float> stacked(history.begin(), history.end());
  stacked.insert(stacked.end(), input.begin(), input.end());
  dense_forward(weight, bias, activation, stacked, output);
  // The history moves on by one frame: drop the oldest, append the current.
  std::copy(stacked.begin() + static_cast<std::ptrdiff_t>(input.size()), stacked.end(), history.begin());
}

void lstm_step(std::span<const float> weight, std::span<const float> recurrent_weight, std::span<const float> bias,
               std::span<float> h, std::span<float> c, std::span<const float> input) {
  const std::size_t u = h.size();
  require(c.size() == u && bias.size() == 4 * u && weight.size() == input.size() * 4 * u &&
              recurrent_weight.size() == u * 4 * u,
          "lstm_step", "shapes do not match");
  const std::vector<float> z = gate_sums(weight, recurrent_weight, bias, input, h);
  for (std::size_t k = 0; k < u; ++k) {
    const float i = sigmoid(z[k]), f = sigmoid(z[u + k]), g = std::tanh(z[2 * u + k]), o = sigmoid(z[3 * u + k]);
    c[k] = f * c[k] + i * g;
    h[k] = o * std::tanh(c[k]);
  }
}

void gru_step(std::span<const float> weight, std::span<const float> recurrent_weight, std::span<const float> bias,
              std::span<const float> recurrent_bias, std::span<float> h, std::span<const float> input) {
  const std::size_t u = h.size();
  require(bias.size() == 3 * u && recurrent_bias.size() == u && weight.size() == input.size() * 3 * u &&
              recurrent_weight.size() == u * 3 * u,
          "gru_step", "shapes do not match");
  // The input and recurrent parts stay apart: the reset gate scales only the recurrent part of n.
  const std::vector<float> no_bias(3 * u, 0.0f);
  const std::vector<float> x_part = gate_sums(weight, {}, bias, input, {});
  const std::vector<float> h_part = gate_sums({}, recurrent_weight, no_bias, {}, h);
  for (std::size_t k = 0; k < u; ++k) {
    const float r = sigmoid(x_part[k] + h_part[k]);
    const float z = sigmoid(x_part[u + k] + h_part[u + k]);
    const float n = std::tanh(x_part[2 * u + k] + r * (h_part[2 * u + k] + recurrent_bias[k]));
    h[k] = (1.0f - z) * n + z * h[k];
  }
}

FloatInference::FloatInference(const Model& model) : model_(&model) {
  const auto& specs = model.network().layers();
  const auto& parameters = model.parameters();
  for (const LayerInfo& info : specs) {
    Layer layer{info.spec, info.input_dim, info.kernel, {}, {}, {}};
    for (int k = 0; k < info.parameter_count; ++k) {
      const auto& tensor = parameters[static_cast<std::size_t>(info.first_parameter + k)].value;
      layer.tensors.emplace_back(tensor.data(), static_cast<std::size_t>(tensor.size()));
    }
    layer.state.assign(static_cast<std::size_t>(info.state_size), 0.0f);
    layer.output.assign(static_cast<std::size_t>(info.output_dim), 0.0f);
    layers_.push_back(std::move(layer));
  }
  reset();
}

void FloatInference::reset(std::span<const float> pad_frame) {
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    Layer& layer = layers_[l];
    std::fill(layer.state.begin(), layer.state.end(), 0.0f);
    if (l == 0 && layer.spec.type == LayerType::conv1d && !pad_frame.empty()) {
      require(static_cast<int>(pad_frame.size()) == layer.input_dim, "FloatInference::reset", "pad frame size");
      for (int j = 0; j < layer.kernel - 1; ++j)
        std::copy(pad_frame.begin(), pad_frame.end(), layer.state.begin() + static_cast<std::ptrdiff_t>(j) * layer.input_dim);
    }
  }
}

void FloatInference::step(std::span<const float> input, std::span<float> output) {
  require(static_cast<int>(input.size()) == model_->input_dim() && static_cast<int>(output.size()) == model_->output_dim(),
          "FloatInference::step", "input or output size does not match the model");
  std::span<const float> x = input;
  for (Layer& layer : layers_) {
    const auto& w = layer.tensors;
    const auto u = static_cast<std::size_t>(layer.spec.units);
    const std::span<float> own = std::span<float>(layer.output).first(u);
    switch (layer.spec.type) {
      case LayerType::fc: dense_forward(w[0], w[1], layer.spec.activation, x, own); break;
      case LayerType::conv1d: conv1d_step(w[0], w[1], layer.spec.activation, layer.state, x, own); break;
      case LayerType::lstm: {
        const std::span<float> h(layer.state.data(), u), c(layer.state.data() + u, u);
        lstm_step(w[0], w[1], w[2], h, c, x);
        std::copy(h.begin(), h.end(), own.begin());
        break;
      }
      case LayerType::gru:
        gru_step(w[0], w[1], w[2], w[3], layer.state, x);
        std::copy(layer.state.begin(), layer.state.end(), own.begin());
        break;
    }
    if (layer.spec.concat_input) std::copy(x.begin(), x.end(), layer.output.begin() + static_cast<std::ptrdiff_t>(u));
    x = layer.output;
  }
  const auto scale = static_cast<float>(model_->arch().scalar_output);
  for (std::size_t i = 0; i < output.size(); ++i) output[i] = x[i] * scale;
}

}  // namespace nnse::nn
