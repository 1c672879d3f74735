#pragma once
// Internal to the training engine: the interface between the Worker (worker.cpp) and one layer's arithmetic
// (dense_work.cpp for fc and conv1d, lstm_work.cpp, gru_work.cpp), and the factories the Worker builds layers with.
#include <memory>
#include <span>

#include "nnse/nn/engine_kernels.h"
#include "nnse/nn/network.h"

namespace nnse::nn {

// What a layer needs to know about the chunk in flight: B sequences of Tn frames (N = B Tn columns), the
// parameter tensors and, in backward, the gradient tensors (both in Network::parameter_specs order).
template <typename T>
struct Pass {
  int B = 0, Tn = 0, N = 0;
  std::span<const T* const> params;
  std::span<T* const> grads;
};

// One layer's share of a worker: its buffers for a chunk and its forward / backward over blocks of time steps.
// A chunk runs as forward(block 0), forward(block 1), ... for every layer in turn within a block, then backward over
// the blocks in reverse order, so that everything a block touches stays in cache between layers. Columns are
// time-major (t * B + b), so the block [t0, t1) is the contiguous column range [t0 B, t1 B) of every buffer.
template <typename T>
class LayerWork {
 public:
  LayerWork(const Network<T>& network, const LayerInfo& info) : info_(info), hook_(network.hook(info.index)) {}
  virtual ~LayerWork() = default;
  // Chunk setup. input: [in x N] before dropout (whole chunk; its block is ready when forward runs on it);
  // mask: [in x B] or null; the state of slots [first_slot, first_slot + B) is read here and written at the end.
  virtual void bind(const Pass<T>& pass, const T* input, const T* mask, StreamState<T>& state, int first_slot) {
    input_ = input;
    mask_ = mask;
    state_ = &state;
    first_slot_ = first_slot;
    grow(dout_, static_cast<std::size_t>(info_.units) * pass.N);
  }
  virtual void forward(const Pass<T>& pass, int t0, int t1) = 0;
  // Blocks arrive in reverse time order; this layer's output gradient (output_gradient()) is complete on [t0, t1).
  // din: the previous layer's output gradient (written on [t0, t1); conv1d also adds to earlier frames) or null.
  virtual void backward(const Pass<T>& pass, int t0, int t1, T* din) = 0;
  const T* output() const { return out_; }
  T* output_gradient() { return dout_.data(); }

 protected:
  const T* param(const Pass<T>& pass, int k) const { return pass.params[static_cast<std::size_t>(info_.first_parameter + k)]; }
  T* grad(const Pass<T>& pass, int k) const { return pass.grads[static_cast<std::size_t>(info_.first_parameter + k)]; }
  static std::ptrdiff_t column(const Pass<T>& pass, int t, int rows) { return static_cast<std::ptrdiff_t>(t) * pass.B * rows; }

  // What fc / lstm / gru multiply on [t0, t1): the input times the dropout mask. Recomputed in backward rather than
  // stored for the whole chunk: a block-sized buffer stays in cache, a chunk-sized one costs memory bandwidth.
  const T* block_input(const Pass<T>& pass, int t0, int t1) {
    const int in = info_.input_dim;
    if (!mask_) return input_ + column(pass, t0, in);
    T* x = grow(block_, static_cast<std::size_t>(in) * (t1 - t0) * pass.B);
    CMapMat<T> m(mask_, in, pass.B);
    for (int t = t0; t < t1; ++t)
      MapMat<T>(x + column(pass, t - t0, in), in, pass.B) = CMapMat<T>(input_ + column(pass, t, in), in, pass.B).cwiseProduct(m);
    return x;
  }
  void undrop(const Pass<T>& pass, T* din, int t0, int t1) const {
    if (!mask_) return;
    const int in = info_.input_dim;
    CMapMat<T> m(mask_, in, pass.B);
    for (int t = t0; t < t1; ++t) {
      MapMat<T> block(din + column(pass, t, in), in, pass.B);
      block = block.cwiseProduct(m);
    }
  }
  // The activation hook on a block of the output, keeping y itself for the derivative.
  void hook_block(const T* y, T* hooked, std::size_t offset, std::size_t size) {
    std::copy(y + offset, y + offset + size, hooked + offset);
    hook_->transform_activation(std::span<T>(hooked + offset, size));
  }

  const LayerInfo& info_;
  LayerHook<T>* hook_;
  const T* input_ = nullptr;
  const T* mask_ = nullptr;
  const T* out_ = nullptr;
  StreamState<T>* state_ = nullptr;
  int first_slot_ = 0;
  Buffer<T> block_, dout_;
};

template <typename T>
std::unique_ptr<LayerWork<T>> make_dense_work(const Network<T>& network, const LayerInfo& info);
template <typename T>
std::unique_ptr<LayerWork<T>> make_lstm_work(const Network<T>& network, const LayerInfo& info);
template <typename T>
std::unique_ptr<LayerWork<T>> make_gru_work(const Network<T>& network, const LayerInfo& info);
// Wraps a layer with concat_input: its output becomes [the inner layer's output, the layer's input].
template <typename T>
std::unique_ptr<LayerWork<T>> make_concat_input_work(const Network<T>& network, const LayerInfo& info,
                                                     std::unique_ptr<LayerWork<T>> inner);

}  // namespace nnse::nn
