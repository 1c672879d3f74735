// GCC 12 reports -W(maybe-)uninitialized inside its own AVX-512 intrinsics (_mm512_undefined_*) when Eigen's packet
// code is inlined: a known false positive, not about this file's code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include "nnse/nn/network.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "nnse/nn/random.h"

namespace nnse::nn {

std::size_t ParameterSpec::size() const {
  std::size_t n = 1;
  for (int d : shape) n *= static_cast<std::size_t>(d);
  return n;
}

std::string LayerInfo::shape_text() const {
  std::string in = kernel > 1 ? std::to_string(kernel) + "x" + std::to_string(input_dim) : std::to_string(input_dim);
  return in + " -> " + std::to_string(units);
}

namespace {

template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <typename T>
using MapMat = Eigen::Map<Mat<T>>;
template <typename T>
using CMapMat = Eigen::Map<const Mat<T>>;
template <typename T>
using Arr = Eigen::Array<T, Eigen::Dynamic, 1>;
template <typename T>
using MapArr = Eigen::Map<Arr<T>>;
template <typename T>
using CMapArr = Eigen::Map<const Arr<T>>;
template <typename T>
using Buffer = std::vector<T, Eigen::aligned_allocator<T>>;

template <typename T>
T* grow(Buffer<T>& buffer, std::size_t size) {
  if (buffer.size() < size) buffer.resize(size);
  return buffer.data();
}

// z <- act(z + bias) column by column (one pass over the data).
template <typename T>
void bias_activation(Activation activation, T* z, const T* bias, int rows, int cols) {
  CMapArr<T> b(bias, rows);
  auto each = [&](auto&& f) {
    for (int c = 0; c < cols; ++c) {
      MapArr<T> column(z + static_cast<std::ptrdiff_t>(c) * rows, rows);
      f(column);
    }
  };
  switch (activation) {
    case Activation::tanh: each([&](auto& x) { x = (x + b).tanh(); }); break;
    case Activation::sigmoid: each([&](auto& x) { x = (x + b).logistic(); }); break;
    case Activation::relu6: each([&](auto& x) { x = (x + b).max(T(0)).min(T(6)); }); break;
    case Activation::linear: each([&](auto& x) { x += b; }); break;
  }
}

// d <- d * act'(z), expressed through y = act(z).
template <typename T>
void activation_backward(Activation activation, const T* y, T* d, std::size_t n) {
  CMapArr<T> Y(y, static_cast<Eigen::Index>(n));
  MapArr<T> D(d, static_cast<Eigen::Index>(n));
  switch (activation) {
    case Activation::tanh: D *= T(1) - Y.square(); break;
    case Activation::sigmoid: D *= Y * (T(1) - Y); break;
    case Activation::relu6: D = ((Y > T(0)) && (Y < T(6))).select(D, T(0)); break;
    case Activation::linear: break;
  }
}

template <typename T>
struct Pass {
  int B = 0, Tn = 0, N = 0;
  std::span<const T* const> params;
  std::span<T* const> grads;
};

}  // namespace

template <typename T>
class LayerWork {
 public:
  LayerWork(const Network<T>& network, const LayerInfo& info) : info_(info), hook_(network.hook(info.index)) {}
  virtual ~LayerWork() = default;
  // input: [in x N] time-major, before dropout; mask: [in x B] or null.
  virtual void forward(const Pass<T>& pass, const T* input, const T* mask, StreamState<T>& state, int first_slot) = 0;
  // dout: dLoss/d(output) [units x N] (may be overwritten); din: where dLoss/d(input before dropout) goes, or null.
  virtual void backward(const Pass<T>& pass, T* dout, T* din) = 0;
  const T* output() const { return out_; }

 protected:
  const T* param(const Pass<T>& pass, int k) const { return pass.params[static_cast<std::size_t>(info_.first_parameter + k)]; }
  T* grad(const Pass<T>& pass, int k) const { return pass.grads[static_cast<std::size_t>(info_.first_parameter + k)]; }

  // The dropped input used by fc / lstm / gru (the raw input itself when there is no mask).
  const T* drop(const Pass<T>& pass, const T* input, const T* mask) {
    mask_ = mask;
    if (!mask) return input;
    const int in = info_.input_dim;
    T* out = grow(dropped_, static_cast<std::size_t>(in) * pass.N);
    CMapMat<T> m(mask, in, pass.B);
    for (int t = 0; t < pass.Tn; ++t) {
      const std::ptrdiff_t offset = static_cast<std::ptrdiff_t>(t) * pass.B * in;
      MapMat<T>(out + offset, in, pass.B) = CMapMat<T>(input + offset, in, pass.B).cwiseProduct(m);
    }
    return out;
  }
  void undrop(const Pass<T>& pass, T* din) const {
    if (!mask_) return;
    const int in = info_.input_dim;
    CMapMat<T> m(mask_, in, pass.B);
    for (int t = 0; t < pass.Tn; ++t) {
      MapMat<T> block(din + static_cast<std::ptrdiff_t>(t) * pass.B * in, in, pass.B);
      block = block.cwiseProduct(m);
    }
  }
  // Applies the activation hook to `size` values at `y`, keeping `y` itself for the derivative when needed.
  T* hooked(T* y, std::size_t size) {
    if (!hook_) return y;
    T* copy = grow(hooked_, size);
    std::copy(y, y + size, copy);
    hook_->transform_activation(std::span<T>(copy, size));
    return copy;
  }

  const LayerInfo& info_;
  LayerHook<T>* hook_;
  const T* out_ = nullptr;
  const T* x_ = nullptr;  // the input the layer multiplied (dropped)
  const T* mask_ = nullptr;
  Buffer<T> dropped_, hooked_;
};

namespace {

template <typename T>
class FcWork final : public LayerWork<T> {
 public:
  using LayerWork<T>::LayerWork;
  void forward(const Pass<T>& pass, const T* input, const T* mask, StreamState<T>&, int) override {
    const int in = this->info_.input_dim, units = this->info_.units;
    this->x_ = this->drop(pass, input, mask);
    T* y = grow(y_, static_cast<std::size_t>(units) * pass.N);
    MapMat<T> Y(y, units, pass.N);
    Y.noalias() = CMapMat<T>(this->param(pass, 0), units, in) * CMapMat<T>(this->x_, in, pass.N);
    bias_activation(this->info_.spec.activation, y, this->param(pass, 1), units, pass.N);
    this->out_ = this->hooked(y, static_cast<std::size_t>(units) * pass.N);
  }
  void backward(const Pass<T>& pass, T* dout, T* din) override {
    const int in = this->info_.input_dim, units = this->info_.units;
    activation_backward(this->info_.spec.activation, y_.data(), dout, static_cast<std::size_t>(units) * pass.N);
    CMapMat<T> dZ(dout, units, pass.N);
    MapMat<T>(this->grad(pass, 0), units, in).noalias() = dZ * CMapMat<T>(this->x_, in, pass.N).transpose();
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(this->grad(pass, 1), units) = dZ.rowwise().sum();
    if (din) {
      MapMat<T>(din, in, pass.N).noalias() = CMapMat<T>(this->param(pass, 0), units, in).transpose() * dZ;
      this->undrop(pass, din);
    }
  }

 private:
  Buffer<T> y_;
};

template <typename T>
class ConvWork final : public LayerWork<T> {
 public:
  using LayerWork<T>::LayerWork;
  void forward(const Pass<T>& pass, const T* input, const T* mask, StreamState<T>& state, int first_slot) override {
    const int in = this->info_.input_dim, units = this->info_.units, K = this->info_.kernel;
    const int KD = K * in;
    this->mask_ = mask;
    T* S = grow(stack_, static_cast<std::size_t>(KD) * pass.N);
    for (int b = 0; b < pass.B; ++b) {
      const T* history = state.data(this->info_.index, first_slot + b);
      for (int t = 0; t < pass.Tn; ++t) {
        T* column = S + (static_cast<std::ptrdiff_t>(t) * pass.B + b) * KD;
        for (int tau = 0; tau < K; ++tau) {
          const int source = t + tau - (K - 1);
          const T* frame = source >= 0 ? input + (static_cast<std::ptrdiff_t>(source) * pass.B + b) * in
                                       : history + static_cast<std::ptrdiff_t>(source + K - 1) * in;
          MapArr<T> target(column + static_cast<std::ptrdiff_t>(tau) * in, in);
          if (mask) target = CMapArr<T>(frame, in) * CMapArr<T>(mask + static_cast<std::ptrdiff_t>(b) * in, in);
          else target = CMapArr<T>(frame, in);
        }
      }
    }
    this->x_ = S;
    T* y = grow(y_, static_cast<std::size_t>(units) * pass.N);
    MapMat<T> Y(y, units, pass.N);
    Y.noalias() = CMapMat<T>(this->param(pass, 0), units, KD) * CMapMat<T>(S, KD, pass.N);
    bias_activation(this->info_.spec.activation, y, this->param(pass, 1), units, pass.N);
    this->out_ = this->hooked(y, static_cast<std::size_t>(units) * pass.N);
    // New history: the last K-1 frames of (old history, chunk), raw (dropout is applied when stacking).
    // Slot j reads frame Tn + j of that sequence, whose history index Tn + j > j, so in-place is safe.
    for (int b = 0; b < pass.B; ++b) {
      T* history = state.data(this->info_.index, first_slot + b);
      for (int j = 0; j < K - 1; ++j) {
        const int source = pass.Tn - (K - 1) + j;
        const T* frame = source >= 0 ? input + (static_cast<std::ptrdiff_t>(source) * pass.B + b) * in
                                     : history + static_cast<std::ptrdiff_t>(source + K - 1) * in;
        std::copy(frame, frame + in, history + static_cast<std::ptrdiff_t>(j) * in);
      }
    }
  }
  void backward(const Pass<T>& pass, T* dout, T* din) override {
    const int in = this->info_.input_dim, units = this->info_.units, K = this->info_.kernel;
    const int KD = K * in;
    activation_backward(this->info_.spec.activation, y_.data(), dout, static_cast<std::size_t>(units) * pass.N);
    CMapMat<T> dZ(dout, units, pass.N);
    MapMat<T>(this->grad(pass, 0), units, KD).noalias() = dZ * CMapMat<T>(this->x_, KD, pass.N).transpose();
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(this->grad(pass, 1), units) = dZ.rowwise().sum();
    if (!din) return;
    T* dS = grow(dstack_, static_cast<std::size_t>(KD) * pass.N);
    MapMat<T>(dS, KD, pass.N).noalias() = CMapMat<T>(this->param(pass, 0), units, KD).transpose() * dZ;
    MapMat<T> dX(din, in, pass.N);
    dX.setZero();
    for (int t = 0; t < pass.Tn; ++t)
      for (int b = 0; b < pass.B; ++b) {
        const T* column = dS + (static_cast<std::ptrdiff_t>(t) * pass.B + b) * KD;
        for (int tau = std::max(0, K - 1 - t); tau < K; ++tau) {
          const int source = t + tau - (K - 1);  // history frames (source < 0) get no gradient: TBPTT
          MapArr<T>(din + (static_cast<std::ptrdiff_t>(source) * pass.B + b) * in, in) +=
              CMapArr<T>(column + static_cast<std::ptrdiff_t>(tau) * in, in);
        }
      }
    this->undrop(pass, din);
  }

 private:
  Buffer<T> stack_, y_, dstack_;
};

template <typename T>
class LstmWork final : public LayerWork<T> {
 public:
  using LayerWork<T>::LayerWork;
  void forward(const Pass<T>& pass, const T* input, const T* mask, StreamState<T>& state, int first_slot) override {
    const int in = this->info_.input_dim, u = this->info_.units, B = pass.B;
    const std::ptrdiff_t G4 = 4 * u;
    this->x_ = this->drop(pass, input, mask);
    T* G = grow(gates_, static_cast<std::size_t>(G4) * pass.N);
    T* H = grow(h_, static_cast<std::size_t>(u) * (pass.N + B));
    T* C = grow(c_, static_cast<std::size_t>(u) * (pass.N + B));
    T* TC = grow(tanh_c_, static_cast<std::size_t>(u) * pass.N);
    MapMat<T>(G, G4, pass.N).noalias() = CMapMat<T>(this->param(pass, 0), G4, in) * CMapMat<T>(this->x_, in, pass.N);
    for (int b = 0; b < B; ++b) {
      const T* s = state.data(this->info_.index, first_slot + b);
      std::copy(s, s + u, H + static_cast<std::ptrdiff_t>(b) * u);
      std::copy(s + u, s + 2 * u, C + static_cast<std::ptrdiff_t>(b) * u);
    }
    CMapMat<T> R(this->param(pass, 1), G4, u);
    const T* bias = this->param(pass, 2);
    CMapArr<T> bi(bias, u), bf(bias + u, u), bg(bias + 2 * u, u), bo(bias + 3 * u, u);
    for (int t = 0; t < pass.Tn; ++t) {
      const std::ptrdiff_t col0 = static_cast<std::ptrdiff_t>(t) * B;
      MapMat<T> Gt(G + col0 * G4, G4, B);
      Gt.noalias() += R * CMapMat<T>(H + col0 * u, u, B);
      for (int b = 0; b < B; ++b) {
        T* g = G + (col0 + b) * G4;
        MapArr<T> gi(g, u), gf(g + u, u), gg(g + 2 * u, u), go(g + 3 * u, u);
        gi = (gi + bi).logistic();
        gf = (gf + bf).logistic();
        gg = (gg + bg).tanh();
        go = (go + bo).logistic();
        CMapArr<T> c_prev(C + (col0 + b) * u, u);
        MapArr<T> c(C + (col0 + B + b) * u, u), tc(TC + (col0 + b) * u, u), h(H + (col0 + B + b) * u, u);
        c = gf * c_prev + gi * gg;
        tc = c.tanh();
        h = go * tc;
      }
      if (this->hook_) this->hook_->transform_activation(std::span<T>(H + (col0 + B) * u, static_cast<std::size_t>(B) * u));
    }
    for (int b = 0; b < B; ++b) {
      T* s = state.data(this->info_.index, first_slot + b);
      const std::ptrdiff_t last = static_cast<std::ptrdiff_t>(pass.Tn) * B + b;
      std::copy(H + last * u, H + (last + 1) * u, s);
      std::copy(C + last * u, C + (last + 1) * u, s + u);
    }
    this->out_ = H + static_cast<std::ptrdiff_t>(B) * u;
  }

  void backward(const Pass<T>& pass, T* dout, T* din) override {
    const int in = this->info_.input_dim, u = this->info_.units, B = pass.B;
    const std::ptrdiff_t G4 = 4 * u;
    const T* G = gates_.data();
    const T* C = c_.data();
    const T* TC = tanh_c_.data();
    T* dG = grow(dgates_, static_cast<std::size_t>(G4) * pass.N);
    T* dh_next = grow(dh_next_, static_cast<std::size_t>(u) * B);
    T* dc_next = grow(dc_next_, static_cast<std::size_t>(u) * B);
    std::fill(dh_next, dh_next + static_cast<std::ptrdiff_t>(u) * B, T(0));
    std::fill(dc_next, dc_next + static_cast<std::ptrdiff_t>(u) * B, T(0));
    CMapMat<T> R(this->param(pass, 1), G4, u);
    for (int t = pass.Tn - 1; t >= 0; --t) {
      const std::ptrdiff_t col0 = static_cast<std::ptrdiff_t>(t) * B;
      for (int b = 0; b < B; ++b) {
        const T* g = G + (col0 + b) * G4;
        CMapArr<T> i(g, u), f(g + u, u), gg(g + 2 * u, u), o(g + 3 * u, u);
        CMapArr<T> tc(TC + (col0 + b) * u, u), c_prev(C + (col0 + b) * u, u);
        MapArr<T> dh(dout + (col0 + b) * u, u);
        dh += CMapArr<T>(dh_next + static_cast<std::ptrdiff_t>(b) * u, u);
        MapArr<T> dc(dc_next + static_cast<std::ptrdiff_t>(b) * u, u);
        dc += dh * o * (T(1) - tc.square());
        T* dg = dG + (col0 + b) * G4;
        MapArr<T>(dg, u) = dc * gg * i * (T(1) - i);
        MapArr<T>(dg + u, u) = dc * c_prev * f * (T(1) - f);
        MapArr<T>(dg + 2 * u, u) = dc * i * (T(1) - gg.square());
        MapArr<T>(dg + 3 * u, u) = dh * tc * o * (T(1) - o);
        dc *= f;
      }
      if (t > 0)
        MapMat<T>(dh_next, u, B).noalias() = R.transpose() * CMapMat<T>(dG + col0 * G4, G4, B);
    }
    CMapMat<T> dGm(dG, G4, pass.N);
    MapMat<T>(this->grad(pass, 0), G4, in).noalias() = dGm * CMapMat<T>(this->x_, in, pass.N).transpose();
    MapMat<T>(this->grad(pass, 1), G4, u).noalias() = dGm * CMapMat<T>(h_.data(), u, pass.N).transpose();
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(this->grad(pass, 2), G4) = dGm.rowwise().sum();
    if (din) {
      MapMat<T>(din, in, pass.N).noalias() = CMapMat<T>(this->param(pass, 0), G4, in).transpose() * dGm;
      this->undrop(pass, din);
    }
  }

 private:
  Buffer<T> gates_, h_, c_, tanh_c_, dgates_, dh_next_, dc_next_;
};

template <typename T>
class GruWork final : public LayerWork<T> {
 public:
  using LayerWork<T>::LayerWork;
  void forward(const Pass<T>& pass, const T* input, const T* mask, StreamState<T>& state, int first_slot) override {
    const int in = this->info_.input_dim, u = this->info_.units, B = pass.B;
    const std::ptrdiff_t G3 = 3 * u;
    this->x_ = this->drop(pass, input, mask);
    T* G = grow(gates_, static_cast<std::size_t>(G3) * pass.N);
    T* H = grow(h_, static_cast<std::size_t>(u) * (pass.N + B));
    T* HN = grow(hn_, static_cast<std::size_t>(u) * pass.N);
    T* GH = grow(gh_, static_cast<std::size_t>(G3) * B);
    MapMat<T>(G, G3, pass.N).noalias() = CMapMat<T>(this->param(pass, 0), G3, in) * CMapMat<T>(this->x_, in, pass.N);
    for (int b = 0; b < B; ++b) {
      const T* s = state.data(this->info_.index, first_slot + b);
      std::copy(s, s + u, H + static_cast<std::ptrdiff_t>(b) * u);
    }
    CMapMat<T> R(this->param(pass, 1), G3, u);
    const T* bias = this->param(pass, 2);
    CMapArr<T> br(bias, u), bz(bias + u, u), bn(bias + 2 * u, u), bhn(this->param(pass, 3), u);
    for (int t = 0; t < pass.Tn; ++t) {
      const std::ptrdiff_t col0 = static_cast<std::ptrdiff_t>(t) * B;
      MapMat<T>(GH, G3, B).noalias() = R * CMapMat<T>(H + col0 * u, u, B);
      for (int b = 0; b < B; ++b) {
        T* g = G + (col0 + b) * G3;
        const T* gh = GH + static_cast<std::ptrdiff_t>(b) * G3;
        MapArr<T> r(g, u), z(g + u, u), n(g + 2 * u, u), hn(HN + (col0 + b) * u, u);
        r = (r + br + CMapArr<T>(gh, u)).logistic();
        z = (z + bz + CMapArr<T>(gh + u, u)).logistic();
        hn = CMapArr<T>(gh + 2 * u, u) + bhn;
        n = (n + bn + r * hn).tanh();
        CMapArr<T> h_prev(H + (col0 + b) * u, u);
        MapArr<T>(H + (col0 + B + b) * u, u) = n + z * (h_prev - n);
      }
      if (this->hook_) this->hook_->transform_activation(std::span<T>(H + (col0 + B) * u, static_cast<std::size_t>(B) * u));
    }
    for (int b = 0; b < B; ++b) {
      T* s = state.data(this->info_.index, first_slot + b);
      const std::ptrdiff_t last = static_cast<std::ptrdiff_t>(pass.Tn) * B + b;
      std::copy(H + last * u, H + (last + 1) * u, s);
    }
    this->out_ = H + static_cast<std::ptrdiff_t>(B) * u;
  }

  void backward(const Pass<T>& pass, T* dout, T* din) override {
    const int in = this->info_.input_dim, u = this->info_.units, B = pass.B;
    const std::ptrdiff_t G3 = 3 * u;
    const T* G = gates_.data();
    const T* H = h_.data();
    const T* HN = hn_.data();
    T* dGx = grow(dgx_, static_cast<std::size_t>(G3) * pass.N);
    T* dGh = grow(dgh_, static_cast<std::size_t>(G3) * pass.N);
    T* dh_next = grow(dh_next_, static_cast<std::size_t>(u) * B);
    std::fill(dh_next, dh_next + static_cast<std::ptrdiff_t>(u) * B, T(0));
    CMapMat<T> R(this->param(pass, 1), G3, u);
    for (int t = pass.Tn - 1; t >= 0; --t) {
      const std::ptrdiff_t col0 = static_cast<std::ptrdiff_t>(t) * B;
      for (int b = 0; b < B; ++b) {
        const T* g = G + (col0 + b) * G3;
        CMapArr<T> r(g, u), z(g + u, u), n(g + 2 * u, u), hn(HN + (col0 + b) * u, u);
        CMapArr<T> h_prev(H + (col0 + b) * u, u);
        MapArr<T> dh(dout + (col0 + b) * u, u);
        MapArr<T> dh_direct(dh_next + static_cast<std::ptrdiff_t>(b) * u, u);
        dh += dh_direct;
        T* dgx = dGx + (col0 + b) * G3;
        T* dgh = dGh + (col0 + b) * G3;
        MapArr<T> dan(dgx + 2 * u, u);
        dan = dh * (T(1) - z) * (T(1) - n.square());
        MapArr<T>(dgx, u) = dan * hn * r * (T(1) - r);
        MapArr<T>(dgx + u, u) = dh * (h_prev - n) * z * (T(1) - z);
        MapArr<T>(dgh, 2 * u) = CMapArr<T>(dgx, 2 * u);
        MapArr<T>(dgh + 2 * u, u) = dan * r;
        dh_direct = dh * z;
      }
      if (t > 0)
        MapMat<T>(dh_next, u, B).noalias() += R.transpose() * CMapMat<T>(dGh + col0 * G3, G3, B);
    }
    CMapMat<T> dGxm(dGx, G3, pass.N), dGhm(dGh, G3, pass.N);
    MapMat<T>(this->grad(pass, 0), G3, in).noalias() = dGxm * CMapMat<T>(this->x_, in, pass.N).transpose();
    MapMat<T>(this->grad(pass, 1), G3, u).noalias() = dGhm * CMapMat<T>(H, u, pass.N).transpose();
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(this->grad(pass, 2), G3) = dGxm.rowwise().sum();
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(this->grad(pass, 3), u) = dGhm.bottomRows(u).rowwise().sum();
    if (din) {
      MapMat<T>(din, in, pass.N).noalias() = CMapMat<T>(this->param(pass, 0), G3, in).transpose() * dGxm;
      this->undrop(pass, din);
    }
  }

 private:
  Buffer<T> gates_, h_, hn_, gh_, dgx_, dgh_, dh_next_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------------

template <typename T>
Worker<T>::Worker(const Network<T>& network) : network_(&network) {
  for (const LayerInfo& info : network.layers()) {
    switch (info.spec.type) {
      case LayerType::fc: layers_.push_back(std::make_unique<FcWork<T>>(network, info)); break;
      case LayerType::conv1d: layers_.push_back(std::make_unique<ConvWork<T>>(network, info)); break;
      case LayerType::lstm: layers_.push_back(std::make_unique<LstmWork<T>>(network, info)); break;
      case LayerType::gru: layers_.push_back(std::make_unique<GruWork<T>>(network, info)); break;
    }
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

  // Time-major copy of the features: column t * B + b.
  if (input_.size() < static_cast<std::size_t>(D) * pass.N) input_.resize(static_cast<std::size_t>(D) * pass.N);
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < Tn; ++t) {
      const T* source = slice.features + (static_cast<std::ptrdiff_t>(b) * Tn + t) * D;
      std::copy(source, source + D, input_.data() + (static_cast<std::ptrdiff_t>(t) * B + b) * D);
    }

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

  const T* x = input_.data();
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const bool masked = has_masks_ && network_->layers()[l].spec.input_dropout > 0.0;
    layers_[l]->forward(pass, x, masked ? masks_.data() + mask_offset_[l] : nullptr, state, first_slot);
    x = layers_[l]->output();
  }
  const int O = network_->output_dim();
  const T scale = static_cast<T>(network_->arch().scalar_output);
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < Tn; ++t) {
      const T* source = x + (static_cast<std::ptrdiff_t>(t) * B + b) * O;
      T* target = output + (static_cast<std::ptrdiff_t>(b) * Tn + t) * O;
      if (scale == T(1)) std::copy(source, source + O, target);
      else for (int k = 0; k < O; ++k) target[k] = source[k] * scale;
    }
}

template <typename T>
void Worker<T>::backward(std::span<const T* const> params, const T* grad_output, std::span<T* const> grads) {
  const int B = sequences_, Tn = frames_, O = network_->output_dim();
  if (B <= 0) throw std::logic_error("nn::Worker::backward without forward");
  if (grads.size() != network_->parameter_specs().size())
    throw std::invalid_argument("nn::Worker::backward: wrong number of gradient tensors");
  Pass<T> pass{B, Tn, B * Tn, params, grads};
  std::size_t widest = 0;
  for (const LayerInfo& info : network_->layers())
    widest = std::max({widest, static_cast<std::size_t>(info.units), static_cast<std::size_t>(info.input_dim)});
  const std::size_t size = widest * static_cast<std::size_t>(pass.N);
  if (grad_a_.size() < size) grad_a_.resize(size);
  if (grad_b_.size() < size) grad_b_.resize(size);
  T* dout = grad_a_.data();
  T* din = grad_b_.data();
  const T scale = static_cast<T>(network_->arch().scalar_output);
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < Tn; ++t) {
      T* target = dout + (static_cast<std::ptrdiff_t>(t) * B + b) * O;
      if (valid_ && !valid_[static_cast<std::ptrdiff_t>(b) * Tn + t]) {
        std::fill(target, target + O, T(0));
        continue;
      }
      const T* source = grad_output + (static_cast<std::ptrdiff_t>(b) * Tn + t) * O;
      for (int k = 0; k < O; ++k) target[k] = source[k] * scale;
    }
  for (std::size_t l = layers_.size(); l-- > 0;) {
    layers_[l]->backward(pass, dout, l > 0 ? din : nullptr);
    std::swap(dout, din);
  }
}

template class Network<float>;
template class Network<double>;
template class StreamState<float>;
template class StreamState<double>;
template class Worker<float>;
template class Worker<double>;

}  // namespace nnse::nn
