// The network's shape: parameter tensors, layer sizes, MACs. The arithmetic lives in the layer files
// (dense_work.cpp, lstm_work.cpp, gru_work.cpp), driven by worker.cpp; the carried state is in stream_state.cpp.
#include "nnse/nn/network.h"

#include <algorithm>
#include <stdexcept>

namespace nnse::nn {

std::size_t ParameterSpec::size() const {
  std::size_t n = 1;
  for (int d : shape) n *= static_cast<std::size_t>(d);
  return n;
}

std::string LayerInfo::shape_text() const {
  std::string in = kernel > 1 ? std::to_string(kernel) + "x" + std::to_string(input_dim) : std::to_string(input_dim);
  return in + " -> " + std::to_string(units) + (spec.concat_input ? " + input" : "");
}

template <typename T>
Network<T>::Network(const Arch& arch) : arch_(arch) {
  if (arch.layers.empty()) throw std::invalid_argument("nn::Network: the arch has no layers");
  int first_parameter = 0;
  for (std::size_t i = 0; i < arch.layers.size(); ++i) {
    LayerInfo info;
    info.spec = arch.layers[i];
    info.index = static_cast<int>(i);
    info.input_dim = arch.layer_input_dim(i);
    info.units = info.spec.units;
    info.output_dim = arch.layer_output_dim(i);
    info.first_parameter = first_parameter;
    const std::int64_t in = info.input_dim, u = info.units;
    const std::string prefix = "layer" + std::to_string(i) + "." + to_string(info.spec.type) + ".";
    auto add = [&](const std::string& name, std::vector<int> shape, bool is_bias) {
      specs_.push_back({prefix + name, std::move(shape), is_bias});
      const auto size = static_cast<std::int64_t>(specs_.back().size());
      (is_bias ? info.biases : info.weights) += size;
    };
    switch (info.spec.type) {
      case LayerType::fc:
        add("weight", {info.input_dim, info.units}, false);
        add("bias", {info.units}, true);
        info.macs_per_frame = in * u;
        break;
      case LayerType::conv1d:
        info.kernel = arch.kernel_size;
        add("weight", {info.kernel, info.input_dim, info.units}, false);
        add("bias", {info.units}, true);
        info.state_size = (info.kernel - 1) * info.input_dim;
        info.macs_per_frame = info.kernel * in * u;
        break;
      case LayerType::lstm:
        add("weight", {info.input_dim, 4 * info.units}, false);
        add("recurrent_weight", {info.units, 4 * info.units}, false);
        add("bias", {4 * info.units}, true);
        info.state_size = 2 * info.units;
        info.macs_per_frame = 4 * u * (in + u);
        break;
      case LayerType::gru:
        add("weight", {info.input_dim, 3 * info.units}, false);
        add("recurrent_weight", {info.units, 3 * info.units}, false);
        add("bias", {3 * info.units}, true);
        add("recurrent_bias", {info.units}, true);
        info.state_size = info.units;
        info.macs_per_frame = 3 * u * (in + u);
        break;
    }
    info.parameter_count = static_cast<int>(specs_.size()) - first_parameter;
    first_parameter = static_cast<int>(specs_.size());
    layers_.push_back(info);
  }
  hooks_.resize(layers_.size());
}

template <typename T>
std::int64_t Network<T>::parameter_count() const {
  std::int64_t n = 0;
  for (const auto& layer : layers_) n += layer.weights + layer.biases;
  return n;
}

template <typename T>
std::int64_t Network<T>::macs_per_frame() const {
  std::int64_t n = 0;
  for (const auto& layer : layers_) n += layer.macs_per_frame;
  return n;
}

template <typename T>
void Network<T>::set_hook(int layer, std::shared_ptr<LayerHook<T>> hook) {
  hooks_.at(static_cast<std::size_t>(layer)) = std::move(hook);
}

template <typename T>
bool Network<T>::has_hooks() const {
  return std::any_of(hooks_.begin(), hooks_.end(), [](const auto& h) { return h != nullptr; });
}

template class Network<float>;
template class Network<double>;

}  // namespace nnse::nn
