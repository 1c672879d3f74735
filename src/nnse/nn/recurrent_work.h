#pragma once
// Internal to the training engine: what the lstm and gru layers share. Both keep the gate pre-activations of the
// whole chunk ([gates x N]), the state h of every step (with the carried h in front: column b of h_ is the state
// before frame 0), multiply the input by W in one GEMM per block and R by h one step at a time, and in backward
// run the same frame: per step a layer-specific gate gradient, then dh_next from R^T dgates, and per block the
// parameter and input gradients. Only the gate equations differ (lstm_work.cpp, gru_work.cpp).
#include <algorithm>

#include "nnse/nn/layer_work.h"
#include "nnse/nn/recurrent_product.h"

namespace nnse::nn {

template <typename T>
class RecurrentWork : public LayerWork<T> {
 public:
  // gate_count: 4 (lstm: i f g o) or 3 (gru: r z n).
  RecurrentWork(const Network<T>& network, const LayerInfo& info, int gate_count)
      : LayerWork<T>(network, info), gate_rows_(gate_count * info.units) {}

 protected:
  // Chunk setup shared by both kinds: buffers, the carried h in front of h_, R packed for the forward steps.
  void bind_recurrent(const Pass<T>& pass, StreamState<T>& state, int first_slot) {
    const int u = this->info_.units, B = pass.B;
    const std::size_t n = static_cast<std::size_t>(pass.N);
    grow(gates_, static_cast<std::size_t>(gate_rows_) * n);
    T* H = grow(h_, static_cast<std::size_t>(u) * (n + B));
    for (int b = 0; b < B; ++b) {
      const T* s = state.data(this->info_.index, first_slot + b);
      std::copy(s, s + u, H + static_cast<std::ptrdiff_t>(b) * u);
    }
    this->out_ = H + static_cast<std::ptrdiff_t>(B) * u;
    recurrent_.prepare_forward(this->param(pass, 1), gate_rows_, u);
    grow(step_, static_cast<std::size_t>(recurrent_.forward_ld()) * B);
  }

  // gates[:, block] = b + W x over the block's frames (one GEMM); the recurrent part is added per step.
  void input_gates(const Pass<T>& pass, int t0, int t1) {
    const int in = this->info_.input_dim, cols = (t1 - t0) * pass.B;
    const T* x = this->block_input(pass, t0, t1);
    T* G = gates_.data() + this->column(pass, t0, gate_rows_);
    fill_bias(G, this->param(pass, 2), gate_rows_, cols);
    MapMat<T>(G, gate_rows_, cols).noalias() += CMapMat<T>(this->param(pass, 0), gate_rows_, in) * CMapMat<T>(x, in, cols);
  }

  // The step's outputs h(t) for all sequences through the activation hook (quantization-aware training).
  void hook_step(int t, int B) {
    if (!this->hook_) return;
    const int u = this->info_.units;
    this->hook_->transform_activation(std::span<T>(h_.data() + (static_cast<std::ptrdiff_t>(t) * B + B) * u,
                                                   static_cast<std::size_t>(B) * u));
  }

  // At the chunk end: the last h of each sequence becomes its carried state (the first u values of the slot).
  void store_last_h(const Pass<T>& pass) {
    const int u = this->info_.units, B = pass.B;
    const T* H = h_.data();
    for (int b = 0; b < B; ++b) {
      T* s = this->state_->data(this->info_.index, this->first_slot_ + b);
      const std::ptrdiff_t last = static_cast<std::ptrdiff_t>(pass.Tn) * B + b;
      std::copy(H + last * u, H + (last + 1) * u, s);
    }
  }

  // First backward block (the chunk's last): no gradient comes from after the chunk; R packed for R^T dgates.
  void begin_backward(const Pass<T>& pass) {
    const int u = this->info_.units, B = pass.B;
    T* dh_next = grow(dh_next_, static_cast<std::size_t>(u) * B);
    std::fill(dh_next, dh_next + static_cast<std::ptrdiff_t>(u) * B, T(0));
    recurrent_.prepare_backward(this->param(pass, 1), gate_rows_, u);
    grow(step_, static_cast<std::size_t>(recurrent_.backward_ld()) * B);
  }

  // dh_next (=|+=) R^T dgates(t): the gradient that h(t-1) receives through the recurrence. The lstm's dh_next holds
  // nothing else (replace); the gru's already holds the direct path z * dh (add).
  void recurrent_gradient(const T* dgates_step, int B, bool add) {
    const int u = this->info_.units, ld = recurrent_.backward_ld();
    T* S = step_.data();
    recurrent_.backward(dgates_step, gate_rows_, B, S);
    for (int b = 0; b < B; ++b) {
      T* target = dh_next_.data() + static_cast<std::ptrdiff_t>(b) * u;
      const T* source = S + static_cast<std::ptrdiff_t>(b) * ld;
      if (add) MapArr<T>(target, u) += CMapArr<T>(source, u);
      else std::copy(source, source + u, target);
    }
  }

  // Per block, from the block's gate gradients: the bias, W and R gradients and the input gradient. dgates_input
  // is what W x and b received, dgates_recurrent what R h received (the same for the lstm; the gru's n gate sees
  // r * (R_n h + b_hn), so its recurrent part differs).
  void parameter_gradients(const Pass<T>& pass, int t0, int t1, const T* dgates_input, const T* dgates_recurrent,
                           T* din) {
    const int in = this->info_.input_dim, u = this->info_.units, cols = (t1 - t0) * pass.B;
    const bool first = t1 == pass.Tn;
    CMapMat<T> dGx(dgates_input, gate_rows_, cols), dGh(dgates_recurrent, gate_rows_, cols);
    add_columns(this->grad(pass, 2), dgates_input, gate_rows_, cols, first);
    gemm_abt(this->grad(pass, 0), gate_rows_, in, dGx, CMapMat<T>(this->block_input(pass, t0, t1), in, cols), first);
    gemm_abt(this->grad(pass, 1), gate_rows_, u, dGh, CMapMat<T>(h_.data() + this->column(pass, t0, u), u, cols), first);
    if (din) {
      MapMat<T>(din + this->column(pass, t0, in), in, cols).noalias() =
          CMapMat<T>(this->param(pass, 0), gate_rows_, in).transpose() * dGx;
      this->undrop(pass, din, t0, t1);
    }
  }

  int gate_rows_;
  RecurrentProduct<T> recurrent_;
  Buffer<T> gates_, h_, dh_next_, step_;
};

}  // namespace nnse::nn
