// One thread's forward and backward over a chunk: dropout masks, the time-block loop, input and output layout.
#include <algorithm>
#include <stdexcept>

#include "nnse/nn/layer_work.h"
#include "nnse/nn/random.h"

namespace nnse::nn {

namespace {
// Columns (frames x sequences) per time block: small enough that a block's activations stay in a core's L2
// cache from one layer to the next, large enough for efficient matrix products (measured: 256 to 512 is best).
constexpr int kBlockColumns = 384;
}  // namespace

template <typename T>
Worker<T>::Worker(const Network<T>& network) : network_(&network) {
  for (const LayerInfo& info : network.layers()) {
    switch (info.spec.type) {
      case LayerType::fc:
      case LayerType::conv1d: layers_.push_back(make_dense_work(network, info)); break;
      case LayerType::lstm: layers_.push_back(make_lstm_work(network, info)); break;
      case LayerType::gru: layers_.push_back(make_gru_work(network, info)); break;
    }
    if (info.spec.concat_input)
      layers_.back() = make_concat_input_work(network, info, std::move(layers_.back()));
  }
  mask_offset_.resize(layers_.size());
}

template <typename T>
Worker<T>::~Worker() = default;
template <typename T>
Worker<T>::Worker(Worker&&) noexcept = default;
template <typename T>
Worker<T>& Worker<T>::operator=(Worker&&) noexcept = default;

template <typename T>
int Worker<T>::block_steps(int sequences) const {
  return block_steps_ > 0 ? block_steps_ : std::max(1, kBlockColumns / std::max(1, sequences));
}

template <typename T>
void Worker<T>::forward(std::span<const T* const> params, const ChunkSlice<T>& slice, StreamState<T>& state,
                        int first_slot, const DropoutKey* dropout, T* output) {
  const int B = slice.sequences, Tn = slice.frames, D = network_->input_dim();
  if (B <= 0 || Tn <= 0) throw std::invalid_argument("nn::Worker::forward: empty chunk");
  if (params.size() != network_->parameter_specs().size())
    throw std::invalid_argument("nn::Worker::forward: wrong number of parameter tensors");
  if (first_slot < 0 || first_slot + B > state.slots())
    throw std::invalid_argument("nn::Worker::forward: slots out of range of the state");
  sequences_ = B;
  frames_ = Tn;
  valid_ = slice.valid;
  Pass<T> pass{B, Tn, B * Tn, params, {}};

  has_masks_ = false;
  if (dropout) {
    std::size_t total = 0;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      mask_offset_[l] = total;
      if (network_->layers()[l].spec.input_dropout > 0.0)
        total += static_cast<std::size_t>(network_->layers()[l].input_dim) * B;
    }
    if (masks_.size() < total) masks_.resize(total);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const LayerInfo& info = network_->layers()[l];
      const double p = info.spec.input_dropout;
      if (p <= 0.0) continue;
      const T keep_scale = static_cast<T>(1.0 / (1.0 - p));
      for (int b = 0; b < B; ++b) {
        Rng rng(stream_key({dropout->seed, dropout->step, static_cast<std::uint64_t>(dropout->first_sequence + b), l}));
        T* m = masks_.data() + mask_offset_[l] + static_cast<std::size_t>(b) * info.input_dim;
        for (int i = 0; i < info.input_dim; ++i) m[i] = rng.uniform() < p ? T(0) : keep_scale;
      }
    }
    has_masks_ = true;
  }

  if (input_.size() < static_cast<std::size_t>(D) * pass.N) input_.resize(static_cast<std::size_t>(D) * pass.N);
  const T* x = input_.data();
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const bool masked = has_masks_ && network_->layers()[l].spec.input_dropout > 0.0;
    layers_[l]->bind(pass, x, masked ? masks_.data() + mask_offset_[l] : nullptr, state, first_slot);
    x = layers_[l]->output();
  }
  const int O = network_->output_dim();
  const T scale = static_cast<T>(network_->arch().scalar_output);
  const int steps = block_steps(B);
  for (int t0 = 0; t0 < Tn; t0 += steps) {
    const int t1 = std::min(Tn, t0 + steps);
    // The block's features, time-major.
    for (int t = t0; t < t1; ++t)
      for (int b = 0; b < B; ++b) {
        const T* source = slice.features + (static_cast<std::ptrdiff_t>(b) * Tn + t) * D;
        std::copy(source, source + D, input_.data() + (static_cast<std::ptrdiff_t>(t) * B + b) * D);
      }
    for (auto& layer : layers_) layer->forward(pass, t0, t1);
    for (int t = t0; t < t1; ++t)
      for (int b = 0; b < B; ++b) {
        const T* source = x + (static_cast<std::ptrdiff_t>(t) * B + b) * O;
        T* target = output + (static_cast<std::ptrdiff_t>(b) * Tn + t) * O;
        if (scale == T(1)) std::copy(source, source + O, target);
        else MapArr<T>(target, O) = CMapArr<T>(source, O) * scale;
      }
  }
}

template <typename T>
void Worker<T>::backward(std::span<const T* const> params, const T* grad_output, std::span<T* const> grads) {
  const int B = sequences_, Tn = frames_, O = network_->output_dim();
  if (B <= 0) throw std::logic_error("nn::Worker::backward without forward");
  if (grads.size() != network_->parameter_specs().size())
    throw std::invalid_argument("nn::Worker::backward: wrong number of gradient tensors");
  Pass<T> pass{B, Tn, B * Tn, params, grads};
  const T scale = static_cast<T>(network_->arch().scalar_output);
  T* dout = layers_.back()->output_gradient();
  const int steps = block_steps(B);
  const int blocks = (Tn + steps - 1) / steps;
  for (int k = blocks - 1; k >= 0; --k) {
    const int t0 = k * steps, t1 = std::min(Tn, t0 + steps);
    for (int t = t0; t < t1; ++t)
      for (int b = 0; b < B; ++b) {
        T* target = dout + (static_cast<std::ptrdiff_t>(t) * B + b) * O;
        if (valid_ && !valid_[static_cast<std::ptrdiff_t>(b) * Tn + t]) {
          std::fill(target, target + O, T(0));
          continue;
        }
        const T* source = grad_output + (static_cast<std::ptrdiff_t>(b) * Tn + t) * O;
        if (scale == T(1)) std::copy(source, source + O, target);
        else MapArr<T>(target, O) = CMapArr<T>(source, O) * scale;
      }
    for (std::size_t l = layers_.size(); l-- > 0;)
      layers_[l]->backward(pass, t0, t1, l > 0 ? layers_[l - 1]->output_gradient() : nullptr);
  }
}

template class Worker<float>;
template class Worker<double>;

}  // namespace nnse::nn
