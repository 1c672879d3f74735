// The lstm layer of the training engine (Keras form, see network.h); what it shares with the gru is in
// recurrent_work.h.
#include "nnse/nn/recurrent_work.h"

namespace nnse::nn {
namespace {

// Gate activations of one lstm column [i f g o] (bias included): sigmoid on i, f, o and tanh on g, computed as
// tanh(x) = 2 sigmoid(2x) - 1 so that the whole column is one vectorized pass.
template <typename T>
struct GateTransform {
  Arr<T> scale, factor, offset;
  explicit GateTransform(int u) : scale(Arr<T>::Ones(4 * u)), factor(Arr<T>::Ones(4 * u)), offset(Arr<T>::Zero(4 * u)) {
    scale.segment(2 * u, u).setConstant(T(2));
    factor.segment(2 * u, u).setConstant(T(2));
    offset.segment(2 * u, u).setConstant(T(-1));
  }
};

template <typename T>
class LstmWork final : public RecurrentWork<T> {
 public:
  LstmWork(const Network<T>& network, const LayerInfo& info)
      : RecurrentWork<T>(network, info, 4), gates_transform_(info.units) {}

  void bind(const Pass<T>& pass, const T* input, const T* mask, StreamState<T>& state, int first_slot) override {
    LayerWork<T>::bind(pass, input, mask, state, first_slot);
    this->bind_recurrent(pass, state, first_slot);
    const int u = this->info_.units, B = pass.B;
    const std::size_t n = static_cast<std::size_t>(pass.N);
    T* C = grow(c_, static_cast<std::size_t>(u) * (n + B));  // like h_: the carried c in front
    grow(tanh_c_, static_cast<std::size_t>(u) * B);
    for (int b = 0; b < B; ++b) {
      const T* s = state.data(this->info_.index, first_slot + b);
      std::copy(s + u, s + 2 * u, C + static_cast<std::ptrdiff_t>(b) * u);
    }
  }

  void forward(const Pass<T>& pass, int t0, int t1) override {
    const int u = this->info_.units, B = pass.B, G4 = 4 * u;
    this->input_gates(pass, t0, t1);
    T* G = this->gates_.data();
    T* H = this->h_.data();
    T* C = c_.data();
    T* TC = tanh_c_.data();  // tanh(c) of one step; backward recomputes it
    const auto& gt = gates_transform_;
    T* S = this->step_.data();
    const int ld = this->recurrent_.forward_ld();
    for (int t = t0; t < t1; ++t) {
      const std::ptrdiff_t col0 = static_cast<std::ptrdiff_t>(t) * B;
      this->recurrent_.forward(H + col0 * u, B, S);
      for (int b = 0; b < B; ++b) {
        MapArr<T> g(G + (col0 + b) * G4, G4);
        g = ((g + CMapArr<T>(S + static_cast<std::ptrdiff_t>(b) * ld, G4)) * gt.scale).logistic() * gt.factor + gt.offset;
        MapArr<T>(C + (col0 + B + b) * u, u) = g.segment(u, u) * CMapArr<T>(C + (col0 + b) * u, u) +
                                              g.segment(0, u) * g.segment(2 * u, u);
      }
      MapArr<T>(TC, static_cast<Eigen::Index>(u) * B) = CMapArr<T>(C + (col0 + B) * u, static_cast<Eigen::Index>(u) * B).tanh();
      for (int b = 0; b < B; ++b)
        MapArr<T>(H + (col0 + B + b) * u, u) = CMapArr<T>(G + (col0 + b) * G4 + 3 * u, u) * CMapArr<T>(TC + static_cast<std::ptrdiff_t>(b) * u, u);
      this->hook_step(t, B);
    }
    if (t1 == pass.Tn) {
      this->store_last_h(pass);
      for (int b = 0; b < B; ++b) {
        T* s = this->state_->data(this->info_.index, this->first_slot_ + b);
        const std::ptrdiff_t last = static_cast<std::ptrdiff_t>(pass.Tn) * B + b;
        std::copy(C + last * u, C + (last + 1) * u, s + u);
      }
    }
  }

  void backward(const Pass<T>& pass, int t0, int t1, T* din) override {
    const int u = this->info_.units, B = pass.B;
    const int G4 = 4 * u, cols = (t1 - t0) * B;
    const T* G = this->gates_.data();
    const T* C = c_.data();
    T* TC = tanh_c_.data();
    T* dout = this->dout_.data();
    T* dG = grow(dgates_, static_cast<std::size_t>(G4) * cols);  // this block's gate gradients only
    T* dc_next = grow(dc_next_, static_cast<std::size_t>(u) * B);
    if (t1 == pass.Tn) {
      this->begin_backward(pass);
      std::fill(dc_next, dc_next + static_cast<std::ptrdiff_t>(u) * B, T(0));
    }
    T* dh_next = this->dh_next_.data();
    for (int t = t1 - 1; t >= t0; --t) {
      const std::ptrdiff_t col0 = static_cast<std::ptrdiff_t>(t) * B;
      MapArr<T>(TC, static_cast<Eigen::Index>(u) * B) = CMapArr<T>(C + (col0 + B) * u, static_cast<Eigen::Index>(u) * B).tanh();
      for (int b = 0; b < B; ++b) {
        const T* g = G + (col0 + b) * G4;
        CMapArr<T> i(g, u), f(g + u, u), gg(g + 2 * u, u), o(g + 3 * u, u);
        CMapArr<T> tc(TC + static_cast<std::ptrdiff_t>(b) * u, u), c_prev(C + (col0 + b) * u, u);
        MapArr<T> dh(dout + (col0 + b) * u, u);
        dh += CMapArr<T>(dh_next + static_cast<std::ptrdiff_t>(b) * u, u);
        MapArr<T> dc(dc_next + static_cast<std::ptrdiff_t>(b) * u, u);
        dc += dh * o * (T(1) - tc.square());
        T* dg = dG + (col0 - static_cast<std::ptrdiff_t>(t0) * B + b) * G4;
        MapArr<T>(dg, u) = dc * gg * i * (T(1) - i);
        MapArr<T>(dg + u, u) = dc * c_prev * f * (T(1) - f);
        MapArr<T>(dg + 2 * u, u) = dc * i * (T(1) - gg.square());
        MapArr<T>(dg + 3 * u, u) = dh * tc * o * (T(1) - o);
        dc *= f;
      }
      if (t > 0) this->recurrent_gradient(dG + (col0 - static_cast<std::ptrdiff_t>(t0) * B) * G4, B, false);
    }
    this->parameter_gradients(pass, t0, t1, dG, dG, din);
  }

 private:
  GateTransform<T> gates_transform_;
  Buffer<T> c_, tanh_c_, dgates_, dc_next_;
};

}  // namespace

template <typename T>
std::unique_ptr<LayerWork<T>> make_lstm_work(const Network<T>& network, const LayerInfo& info) {
  return std::make_unique<LstmWork<T>>(network, info);
}
template std::unique_ptr<LayerWork<float>> make_lstm_work(const Network<float>&, const LayerInfo&);
template std::unique_ptr<LayerWork<double>> make_lstm_work(const Network<double>&, const LayerInfo&);

}  // namespace nnse::nn
