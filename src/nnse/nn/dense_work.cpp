// fc and conv1d layers of the training engine (see network.h for their semantics).
#include <algorithm>

#include "nnse/nn/layer_work.h"

namespace nnse::nn {
namespace {

// fc and conv1d: y = act(W^T x + b) over all frames of the block at once; conv1d first stacks the K frames.
template <typename T>
class DenseWork final : public LayerWork<T> {
 public:
  DenseWork(const Network<T>& network, const LayerInfo& info) : LayerWork<T>(network, info) {
    conv_ = info.spec.type == LayerType::conv1d;
    fan_in_ = conv_ ? info.kernel * info.input_dim : info.input_dim;
  }

  void bind(const Pass<T>& pass, const T* input, const T* mask, StreamState<T>& state, int first_slot) override {
    LayerWork<T>::bind(pass, input, mask, state, first_slot);
    const std::size_t n = static_cast<std::size_t>(pass.N);
    if (conv_) {
      // The history before the chunk, kept for the stacking in backward (the state moves on at the chunk end).
      const std::size_t history = static_cast<std::size_t>(this->info_.state_size);
      T* h = grow(history0_, history * pass.B);
      for (int b = 0; b < pass.B; ++b) {
        const T* s = state.data(this->info_.index, first_slot + b);
        std::copy(s, s + history, h + history * b);
      }
      if (mask) {
        const int in = this->info_.input_dim;
        T* m = grow(stacked_mask_, static_cast<std::size_t>(fan_in_) * pass.B);
        for (int b = 0; b < pass.B; ++b)
          for (int tau = 0; tau < this->info_.kernel; ++tau)
            std::copy(mask + static_cast<std::ptrdiff_t>(b) * in, mask + static_cast<std::ptrdiff_t>(b + 1) * in,
                      m + static_cast<std::ptrdiff_t>(b) * fan_in_ + static_cast<std::ptrdiff_t>(tau) * in);
      }
    }
    T* y = grow(y_, static_cast<std::size_t>(this->info_.units) * n);
    this->out_ = this->hook_ ? grow(hooked_, static_cast<std::size_t>(this->info_.units) * n) : y;
  }

  void forward(const Pass<T>& pass, int t0, int t1) override {
    const int units = this->info_.units;
    const int cols = (t1 - t0) * pass.B;
    const T* x = conv_ ? stack(pass, t0, t1) : this->block_input(pass, t0, t1);
    T* y = y_.data() + this->column(pass, t0, units);
    fill_bias(y, this->param(pass, 1), units, cols);
    MapMat<T>(y, units, cols).noalias() += CMapMat<T>(this->param(pass, 0), units, fan_in_) * CMapMat<T>(x, fan_in_, cols);
    activate(this->info_.spec.activation, y, static_cast<std::size_t>(units) * cols);
    if (this->hook_)
      this->hook_block(y_.data(), hooked_.data(), static_cast<std::size_t>(this->column(pass, t0, units)),
                       static_cast<std::size_t>(units) * cols);
    if (conv_ && t1 == pass.Tn) update_history(pass);
  }

  void backward(const Pass<T>& pass, int t0, int t1, T* din) override {
    const int units = this->info_.units, in = this->info_.input_dim;
    const int cols = (t1 - t0) * pass.B;
    const bool first = t1 == pass.Tn;
    T* dz = this->dout_.data() + this->column(pass, t0, units);
    activation_backward(this->info_.spec.activation, y_.data() + this->column(pass, t0, units), dz,
                        static_cast<std::size_t>(units) * cols);
    add_columns(this->grad(pass, 1), dz, units, cols, first);
    CMapMat<T> dZ(dz, units, cols);
    const T* x = conv_ ? stack(pass, t0, t1) : this->block_input(pass, t0, t1);
    gemm_abt(this->grad(pass, 0), units, fan_in_, dZ, CMapMat<T>(x, fan_in_, cols), first);
    if (!din) return;
    CMapMat<T> W(this->param(pass, 0), units, fan_in_);
    if (!conv_) {
      MapMat<T>(din + this->column(pass, t0, in), in, cols).noalias() = W.transpose() * dZ;
      this->undrop(pass, din, t0, t1);
      return;
    }
    // conv1d: the gradient of stacked frame tau of output t goes to input frame t + tau - (K-1); history frames
    // (before the chunk) get none (truncated BPTT). Input frames >= t0 are complete after this block.
    const int K = this->info_.kernel;
    if (first) std::fill(din, din + static_cast<std::ptrdiff_t>(in) * pass.N, T(0));
    T* dS = grow(dstack_, static_cast<std::size_t>(fan_in_) * cols);
    MapMat<T>(dS, fan_in_, cols).noalias() = W.transpose() * dZ;
    for (int t = t0; t < t1; ++t)
      for (int b = 0; b < pass.B; ++b) {
        const T* stacked = dS + (static_cast<std::ptrdiff_t>(t - t0) * pass.B + b) * fan_in_;
        for (int tau = std::max(0, K - 1 - t); tau < K; ++tau) {
          const int source = t + tau - (K - 1);
          MapArr<T>(din + (static_cast<std::ptrdiff_t>(source) * pass.B + b) * in, in) +=
              CMapArr<T>(stacked + static_cast<std::ptrdiff_t>(tau) * in, in);
        }
      }
    this->undrop(pass, din, t0, t1);
  }

 private:
  // Stacked input of frames [t0, t1): column t * B + b holds frames t-K+1 .. t of sequence b (oldest first), taken
  // from the history before the chunk start, times the dropout mask.
  const T* stack(const Pass<T>& pass, int t0, int t1) {
    const int in = this->info_.input_dim, K = this->info_.kernel;
    T* S = grow(this->block_, static_cast<std::size_t>(fan_in_) * (t1 - t0) * pass.B);
    for (int t = t0; t < t1; ++t)
      for (int b = 0; b < pass.B; ++b) {
        const T* history = history0_.data() + static_cast<std::ptrdiff_t>(b) * this->info_.state_size;
        T* target = S + (static_cast<std::ptrdiff_t>(t - t0) * pass.B + b) * fan_in_;
        for (int tau = 0; tau < K; ++tau, target += in) {
          const int source = t + tau - (K - 1);
          const T* frame = source >= 0 ? this->input_ + (static_cast<std::ptrdiff_t>(source) * pass.B + b) * in
                                       : history + static_cast<std::ptrdiff_t>(source + K - 1) * in;
          std::copy(frame, frame + in, target);
        }
      }
    if (!this->mask_) return S;
    // Dropout: one long multiply per time step with the mask repeated K times (stacked_mask_, [K in x B]).
    const std::ptrdiff_t block = static_cast<std::ptrdiff_t>(fan_in_) * pass.B;
    CMapArr<T> m(stacked_mask_.data(), block);
    for (int t = t0; t < t1; ++t) {
      MapArr<T> x(S + (t - t0) * block, block);
      x *= m;
    }
    return S;
  }
  // New history: the last K-1 raw frames of (old history, chunk). Slot j reads frame Tn + j of the extended
  // sequence, whose history index Tn + j > j, so updating in place is safe.
  void update_history(const Pass<T>& pass) {
    const int in = this->info_.input_dim, K = this->info_.kernel;
    for (int b = 0; b < pass.B; ++b) {
      T* history = this->state_->data(this->info_.index, this->first_slot_ + b);
      for (int j = 0; j < K - 1; ++j) {
        const int source = pass.Tn - (K - 1) + j;
        const T* frame = source >= 0 ? this->input_ + (static_cast<std::ptrdiff_t>(source) * pass.B + b) * in
                                     : history + static_cast<std::ptrdiff_t>(source + K - 1) * in;
        std::copy(frame, frame + in, history + static_cast<std::ptrdiff_t>(j) * in);
      }
    }
  }

  bool conv_ = false;
  int fan_in_ = 0;
  Buffer<T> history0_, stacked_mask_, y_, hooked_, dstack_;
};

}  // namespace

template <typename T>
std::unique_ptr<LayerWork<T>> make_dense_work(const Network<T>& network, const LayerInfo& info) {
  return std::make_unique<DenseWork<T>>(network, info);
}
template std::unique_ptr<LayerWork<float>> make_dense_work(const Network<float>&, const LayerInfo&);
template std::unique_ptr<LayerWork<double>> make_dense_work(const Network<double>&, const LayerInfo&);

}  // namespace nnse::nn
