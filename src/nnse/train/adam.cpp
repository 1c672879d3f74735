#include "nnse/train/adam.h"

#include <cmath>
#include <string>

#include "nnse/util/error.h"

namespace nnse::train {

nn::AdamState make_adam_state(const nn::ParameterSet& parameters) {
  nn::AdamState state;
  for (const nn::ParameterTensor& tensor : parameters) {
    state.first_moment.push_back(Eigen::VectorXf::Zero(tensor.value.size()));
    state.second_moment.push_back(Eigen::VectorXf::Zero(tensor.value.size()));
  }
  return state;
}

void check_adam_state(const nn::AdamState& state, const nn::ParameterSet& parameters, const std::string& where) {
  if (state.first_moment.size() != parameters.size() || state.second_moment.size() != parameters.size())
    throw Error(where, "Adam state has " + std::to_string(state.first_moment.size()) + " moment tensors, the model has " +
                           std::to_string(parameters.size()) + " parameter tensors");
  for (std::size_t i = 0; i < parameters.size(); ++i)
    if (state.first_moment[i].size() != parameters[i].value.size() ||
        state.second_moment[i].size() != parameters[i].value.size())
      throw Error(where, "Adam moments of '" + parameters[i].name + "' have " +
                             std::to_string(state.first_moment[i].size()) + " values, the tensor has " +
                             std::to_string(parameters[i].value.size()));
  if (state.step < 0) throw Error(where, "Adam step count is negative");
}

void adam_update(nn::ParameterSet& parameters, const std::vector<Eigen::VectorXf>& gradient, nn::AdamState& state,
                 const AdamOptions& options) {
  state.step += 1;
  const double t = static_cast<double>(state.step);
  const auto lr_t = static_cast<float>(options.learning_rate * std::sqrt(1.0 - std::pow(options.beta2, t)) /
                                       (1.0 - std::pow(options.beta1, t)));
  const auto b1 = static_cast<float>(options.beta1), b2 = static_cast<float>(options.beta2);
  const auto eps = static_cast<float>(options.epsilon);
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    auto g = gradient[i].array();
    auto m = state.first_moment[i].array();
    auto v = state.second_moment[i].array();
    m = b1 * m + (1.0f - b1) * g;
    v = b2 * v + (1.0f - b2) * g.square();
    parameters[i].value.array() -= lr_t * m / (v.sqrt() + eps);
  }
}

void clip_parameters(nn::ParameterSet& parameters, const ClipRange& range) {
  for (nn::ParameterTensor& tensor : parameters) {
    const float low = tensor.is_bias ? range.bias_min : range.weight_min;
    const float high = tensor.is_bias ? range.bias_max : range.weight_max;
    tensor.value = tensor.value.cwiseMax(low).cwiseMin(high);
  }
}

}  // namespace nnse::train
