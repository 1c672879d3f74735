#pragma once
// Adam as Keras/TensorFlow implement it (the reference's optimizer, docs/reference-facts.md 3.1), and the reference's
// weight clipping (4.5). Keras folds the bias corrections into the step size and adds epsilon to sqrt(v)
// unscaled ("epsilon hat"), which differs slightly from PyTorch's Adam:
//   t += 1; lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  w -= lr_t * m / (sqrt(v) + epsilon)
#include "nnse/nn/eigen_diagnostics.h"
NNSE_EIGEN_WARNINGS_OFF
#include <Eigen/Core>
NNSE_EIGEN_WARNINGS_ON
#include <vector>

#include "nnse/nn/parameters.h"

namespace nnse::train {

struct AdamOptions {
  double learning_rate = 4e-4;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-7;
};

// Zero moments shaped like `parameters`, step 0.
nn::AdamState make_adam_state(const nn::ParameterSet& parameters);
// Throws nnse::Error naming `where` unless `state` has one moment pair per tensor with matching sizes.
void check_adam_state(const nn::AdamState& state, const nn::ParameterSet& parameters, const std::string& where);
// One update with the gradient (one vector per tensor, same order and sizes as the parameters).
void adam_update(nn::ParameterSet& parameters, const std::vector<Eigen::VectorXf>& gradient, nn::AdamState& state,
                 const AdamOptions& options);

// Clips every tensor in place: weights to [weight_min, weight_max], biases (is_bias) to [bias_min, bias_max].
// Reference bounds: weights [-8, 8 - 2^-5], biases [-4, 4 - 2^-6] (the int8 / int16 export formats).
struct ClipRange {
  float weight_min = -8.0f, weight_max = 8.0f - 0x1.0p-5f;
  float bias_min = -4.0f, bias_max = 4.0f - 0x1.0p-6f;
};
void clip_parameters(nn::ParameterSet& parameters, const ClipRange& range);

}  // namespace nnse::train
