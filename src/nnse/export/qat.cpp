#include "nnse/export/qat.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "nnse/util/error.h"

extern "C" {
#include "src/kernels.h"  // runtime/src: the runtime's tanh and sigmoid (C, no extern "C" of its own)
}

namespace nnse::deploy {
namespace {

double max_abs(std::span<const float> v) {
  double m = 0.0;
  for (float x : v) m = std::max(m, std::fabs(static_cast<double>(x)));
  return m;
}

bool is_recurrent(nn::LayerType t) { return t == nn::LayerType::lstm || t == nn::LayerType::gru; }

}  // namespace

QatHook::QatHook(const nn::LayerInfo& layer, int q_in, const QuantizeOptions& options)
    : type_(layer.spec.type), q_in_(q_in), q_out_(output_fraction_bits(layer.spec.type, layer.spec.activation, options)) {}

void QatHook::transform_parameter(int tensor, std::span<const float> stored, std::span<float> effective) {
  const bool recurrent = is_recurrent(type_);
  const int first_bias = recurrent ? 2 : 1;
  int q = 0;
  if (tensor < first_bias) {
    q = weight_fraction_bits(max_abs(stored), kMaxWeightQ);
    (tensor == 0 ? q_w_ : q_r_) = q;
    for (std::size_t i = 0; i < stored.size(); ++i)
      effective[i] = static_cast<float>(std::ldexp(static_cast<double>(to_int8(stored[i], q)), -q));
    return;
  }
  // Biases (and gru's recurrent bias): the converter's per-tensor format, capped at the accumulator format.
  const int q_acc = recurrent ? std::max(q_in_ + q_w_, kHiddenQ + q_r_) : q_in_ + q_w_;
  q = bias_fraction_bits(max_abs(stored), q_acc);
  for (std::size_t i = 0; i < stored.size(); ++i)
    effective[i] = static_cast<float>(std::ldexp(static_cast<double>(to_int16(stored[i], q)), -q));
}

void QatHook::transform_activation(std::span<float> values) {
  // The runtime's requantization: round half up, saturate to int16. v * 2^q is exact in float and below 2^23.
  const float scale = std::ldexp(1.0f, q_out_), inverse = std::ldexp(1.0f, -q_out_);
  for (float& v : values) v = std::clamp(std::floor(v * scale + 0.5f), -32768.0f, 32767.0f) * inverse;
}

void QatHook::activate(nn::Activation activation, std::span<float> values) {
  for (float& v : values) {
    // Q24 as the runtime's requantization gives it (round half up, saturate to int32; NaN stays NaN).
    if (std::isnan(v)) continue;
    const double q24 = std::clamp(std::floor(static_cast<double>(v) * 16777216.0 + 0.5), -2147483648.0, 2147483647.0);
    const auto z = static_cast<std::int32_t>(q24);
    const int y = activation == nn::Activation::sigmoid ? nnsp_sigmoid_q15(z) : nnsp_tanh_q15(z);
    v = std::ldexp(static_cast<float>(y), -15);
  }
}

void enable_qat(nn::Model& model, const QuantizeOptions& options) {
  if (options.per_channel) throw Error("--qat", "quantization-aware training uses per-tensor formats only");
  int q_in = options.input_q;
  for (const nn::LayerInfo& layer : model.network().layers()) {
    auto hook = std::make_shared<QatHook>(layer, q_in, options);
    q_in = hook->q_out();
    model.set_hook(layer.index, std::move(hook));
  }
}

}  // namespace nnse::deploy
