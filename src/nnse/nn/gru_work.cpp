// The gru layer of the training engine (PyTorch's "reset after" form, see network.h); what it shares with the
// lstm is in recurrent_work.h.
#include "nnse/nn/recurrent_work.h"

namespace nnse::nn {
namespace {

template <typename T>
class GruWork final : public RecurrentWork<T> {
 public:
  GruWork(const Network<T>& network, const LayerInfo& info) : RecurrentWork<T>(network, info, 3) {}

  void bind(const Pass<T>& pass, const T* input, const T* mask, StreamState<T>& state, int first_slot) override {
    LayerWork<T>::bind(pass, input, mask, state, first_slot);
    this->bind_recurrent(pass, state, first_slot);
    grow(hn_, static_cast<std::size_t>(this->info_.units) * pass.N);
  }

  void forward(const Pass<T>& pass, int t0, int t1) override {
    const int u = this->info_.units, B = pass.B, G3 = 3 * u;
    this->input_gates(pass, t0, t1);
    T* G = this->gates_.data();
    T* H = this->h_.data();
    T* HN = hn_.data();  // R_n h + b_hn per step, kept for backward
    T* GH = this->step_.data();
    CMapArr<T> bhn(this->param(pass, 3), u);
    const int ld = this->recurrent_.forward_ld();
    for (int t = t0; t < t1; ++t) {
      const std::ptrdiff_t col0 = static_cast<std::ptrdiff_t>(t) * B;
      this->recurrent_.forward(H + col0 * u, B, GH);
      for (int b = 0; b < B; ++b) {
        T* g = G + (col0 + b) * G3;
        const T* gh = GH + static_cast<std::ptrdiff_t>(b) * ld;
        MapArr<T> rz(g, 2 * u), n(g + 2 * u, u), hn(HN + (col0 + b) * u, u);
        rz = (rz + CMapArr<T>(gh, 2 * u)).logistic();
        hn = CMapArr<T>(gh + 2 * u, u) + bhn;
        n = (n + rz.segment(0, u) * hn).tanh();
        CMapArr<T> h_prev(H + (col0 + b) * u, u);
        MapArr<T>(H + (col0 + B + b) * u, u) = n + rz.segment(u, u) * (h_prev - n);
      }
      this->hook_step(t, B);
    }
    if (t1 == pass.Tn) this->store_last_h(pass);
  }

  void backward(const Pass<T>& pass, int t0, int t1, T* din) override {
    const int u = this->info_.units, B = pass.B;
    const int G3 = 3 * u, cols = (t1 - t0) * B;
    const bool first = t1 == pass.Tn;
    const T* G = this->gates_.data();
    const T* H = this->h_.data();
    const T* HN = hn_.data();
    T* dout = this->dout_.data();
    T* dGx = grow(dgx_, static_cast<std::size_t>(G3) * cols);  // this block's gate gradients only
    T* dGh = grow(dgh_, static_cast<std::size_t>(G3) * cols);
    if (first) this->begin_backward(pass);
    T* dh_next = this->dh_next_.data();
    for (int t = t1 - 1; t >= t0; --t) {
      const std::ptrdiff_t col0 = static_cast<std::ptrdiff_t>(t) * B;
      for (int b = 0; b < B; ++b) {
        const T* g = G + (col0 + b) * G3;
        CMapArr<T> r(g, u), z(g + u, u), n(g + 2 * u, u), hn(HN + (col0 + b) * u, u);
        CMapArr<T> h_prev(H + (col0 + b) * u, u);
        MapArr<T> dh(dout + (col0 + b) * u, u);
        MapArr<T> dh_direct(dh_next + static_cast<std::ptrdiff_t>(b) * u, u);
        dh += dh_direct;
        T* dgx = dGx + (col0 - static_cast<std::ptrdiff_t>(t0) * B + b) * G3;
        T* dgh = dGh + (col0 - static_cast<std::ptrdiff_t>(t0) * B + b) * G3;
        MapArr<T> dan(dgx + 2 * u, u);
        dan = dh * (T(1) - z) * (T(1) - n.square());
        MapArr<T>(dgx, u) = dan * hn * r * (T(1) - r);
        MapArr<T>(dgx + u, u) = dh * (h_prev - n) * z * (T(1) - z);
        MapArr<T>(dgh, 2 * u) = CMapArr<T>(dgx, 2 * u);
        MapArr<T>(dgh + 2 * u, u) = dan * r;
        dh_direct = dh * z;
      }
      if (t > 0) this->recurrent_gradient(dGh + (col0 - static_cast<std::ptrdiff_t>(t0) * B) * G3, B, true);
    }
    // b_hn sits inside r * (R_n h + b_hn): its gradient is the recurrent part of the n gate's.
    MapArr<T> dbhn(this->grad(pass, 3), u);
    if (first) dbhn.setZero();
    for (int c = 0; c < cols; ++c) dbhn += CMapArr<T>(dGh + static_cast<std::ptrdiff_t>(c) * G3 + 2 * u, u);
    this->parameter_gradients(pass, t0, t1, dGx, dGh, din);
  }

 private:
  Buffer<T> hn_, dgx_, dgh_;
};

}  // namespace

template <typename T>
std::unique_ptr<LayerWork<T>> make_gru_work(const Network<T>& network, const LayerInfo& info) {
  return std::make_unique<GruWork<T>>(network, info);
}
template std::unique_ptr<LayerWork<float>> make_gru_work(const Network<float>&, const LayerInfo&);
template std::unique_ptr<LayerWork<double>> make_gru_work(const Network<double>&, const LayerInfo&);

}  // namespace nnse::nn
