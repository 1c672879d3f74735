// The state carried across chunks: conv1d history, lstm (h, c), gru h, per batch slot.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "nnse/nn/network.h"
#include "nnse/nn/random.h"

namespace nnse::nn {

template <typename T>
StreamState<T>::StreamState(const Network<T>& network, int slots) : network_(&network) {
  values_.resize(network.layers().size());
  ensure_slots(slots);
}

template <typename T>
void StreamState<T>::ensure_slots(int slots) {
  if (slots <= slots_) return;
  const int old = slots_;
  slots_ = slots;
  for (std::size_t l = 0; l < values_.size(); ++l)
    values_[l].resize(static_cast<std::size_t>(slots) * static_cast<std::size_t>(network_->layers()[l].state_size));
  for (int s = old; s < slots; ++s) reset(s);
}

template <typename T>
void StreamState<T>::set_pad_frame(std::span<const T> pad) {
  if (!pad.empty() && static_cast<int>(pad.size()) != network_->input_dim())
    throw std::invalid_argument("nn::StreamState: pad frame has " + std::to_string(pad.size()) + " values, the network input has " +
                                std::to_string(network_->input_dim()));
  pad_.assign(pad.begin(), pad.end());
}

template <typename T>
void StreamState<T>::reset(int slot) {
  for (std::size_t l = 0; l < values_.size(); ++l) {
    const LayerInfo& info = network_->layers()[l];
    T* v = data(static_cast<int>(l), slot);
    std::fill(v, v + info.state_size, T(0));
    if (l == 0 && info.spec.type == LayerType::conv1d && !pad_.empty())
      for (int j = 0; j < info.kernel - 1; ++j) std::copy(pad_.begin(), pad_.end(), v + static_cast<std::ptrdiff_t>(j) * info.input_dim);
  }
}

template <typename T>
void StreamState<T>::randomize_recurrent(int slot, std::uint64_t key) {
  for (std::size_t l = 0; l < values_.size(); ++l) {
    const LayerInfo& info = network_->layers()[l];
    if (info.spec.type != LayerType::lstm && info.spec.type != LayerType::gru) continue;
    Rng rng(stream_key({key, l}));
    T* v = data(static_cast<int>(l), slot);
    const double h_std = 1.0 / std::sqrt(static_cast<double>(info.input_dim));
    for (int i = 0; i < info.units; ++i)
      v[i] = static_cast<T>(std::clamp(rng.truncated_normal(h_std), -1.0, 1.0 - 0x1.0p-15));
    if (info.spec.type == LayerType::lstm)
      for (int i = 0; i < info.units; ++i) v[info.units + i] = static_cast<T>(rng.truncated_normal(1.0));
  }
}

template <typename T>
T* StreamState<T>::data(int layer, int slot) {
  const auto size = static_cast<std::size_t>(network_->layers()[static_cast<std::size_t>(layer)].state_size);
  return values_[static_cast<std::size_t>(layer)].data() + static_cast<std::size_t>(slot) * size;
}

template <typename T>
const T* StreamState<T>::data(int layer, int slot) const {
  return const_cast<StreamState*>(this)->data(layer, slot);
}

template <typename T>
void StreamState<T>::copy_from(const StreamState& other) {
  slots_ = other.slots_;
  values_ = other.values_;
  pad_ = other.pad_;
}

template class StreamState<float>;
template class StreamState<double>;

}  // namespace nnse::nn
