// GCC 12 reports -W(maybe-)uninitialized inside its own AVX-512 intrinsics (_mm512_undefined_*) when Eigen's packet
// code is inlined: a known false positive, not about this file's code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
// Eigen's SIMD packet types carry vector attributes that GCC drops when they are template arguments (harmless).
#pragma GCC diagnostic ignored "-Wignored-attributes"
#include "nnse/nn/network.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <type_traits>

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
using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <typename T>
using MapMat = Eigen::Map<Mat<T>>;
template <typename T>
using CMapMat = Eigen::Map<const Mat<T>>;
template <typename T>
using MapVec = Eigen::Map<Vec<T>>;
template <typename T>
using CMapVec = Eigen::Map<const Vec<T>>;
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

// Every column of a rows x cols block := bias (the GEMM then accumulates onto it, which saves Eigen's zero fill).
// (Doubling copies: a few long memcpy calls instead of a short copy per column.)
template <typename T>
void fill_bias(T* block, const T* bias, int rows, int cols) {
  if (cols <= 0) return;
  std::copy(bias, bias + rows, block);
  for (int done = 1; done < cols;) {
    const int n = std::min(done, cols - done);
    std::copy(block, block + static_cast<std::ptrdiff_t>(n) * rows, block + static_cast<std::ptrdiff_t>(done) * rows);
    done += n;
  }
}

// x <- act(x) over a contiguous block (one vectorized pass).
template <typename T>
void activate(Activation activation, T* x, std::size_t n) {
  MapArr<T> X(x, static_cast<Eigen::Index>(n));
  switch (activation) {
    case Activation::tanh: X = X.tanh(); break;
    case Activation::sigmoid: X = X.logistic(); break;
    case Activation::relu6: X = X.max(T(0)).min(T(6)); break;
    case Activation::linear: break;
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

// sum <- (first ? 0 : sum) + the sum of the block's columns (contiguous column adds, unlike Eigen's rowwise()).
template <typename T>
void add_columns(T* sum, const T* block, int rows, int cols, bool first) {
  MapArr<T> s(sum, rows);
  if (first) s.setZero();
  for (int c = 0; c < cols; ++c) s += CMapArr<T>(block + static_cast<std::ptrdiff_t>(c) * rows, rows);
}

// C (=|+=) A * B^T: gradients accumulate over the time blocks of a chunk.
template <typename T, typename A, typename B>
void gemm_abt(T* c, int rows, int cols, const A& a, const B& b, bool first) {
  MapMat<T> C(c, rows, cols);
  if (first) C.noalias() = a * b.transpose();
  else C.noalias() += a * b.transpose();
}


// C[M x N] = A[M x K] * B[K x N], all column-major, M a multiple of the SIMD packet size, A's leading dimension M.
// The recurrent product of one time step is small (e.g. 288 x 72 times 72 x 8): a general GEMM would repack A at
// every step, which costs about as much as the arithmetic. Here A is packed once per chunk (RecurrentProduct) and
// the kernel keeps a 4-packet x 4-column block of C in registers while it streams A's columns.
template <typename T>
void packed_multiply(const T* A, int M, int K, const T* B, int ldb, int N, T* C, int ldc) {
  using Packet = typename Eigen::internal::packet_traits<T>::type;
  constexpr int P = Eigen::internal::packet_traits<T>::size;
  auto block = [&](auto rows_tag, auto cols_tag, int i0, int j0) {
    constexpr int RP = decltype(rows_tag)::value, NC = decltype(cols_tag)::value;
    Packet acc[RP][NC];
#pragma GCC unroll 4
    for (int r = 0; r < RP; ++r)
#pragma GCC unroll 4
      for (int c = 0; c < NC; ++c) acc[r][c] = Eigen::internal::pset1<Packet>(T(0));
    const T* a = A + i0;
    const T* b = B + static_cast<std::ptrdiff_t>(j0) * ldb;
    for (int k = 0; k < K; ++k, a += M) {
      Packet x[RP];
#pragma GCC unroll 4
      for (int r = 0; r < RP; ++r) x[r] = Eigen::internal::ploadu<Packet>(a + r * P);
#pragma GCC unroll 4
      for (int c = 0; c < NC; ++c) {
        const Packet y = Eigen::internal::pset1<Packet>(b[static_cast<std::ptrdiff_t>(c) * ldb + k]);
#pragma GCC unroll 4
        for (int r = 0; r < RP; ++r) acc[r][c] = Eigen::internal::pmadd(x[r], y, acc[r][c]);
      }
    }
#pragma GCC unroll 4
    for (int c = 0; c < NC; ++c)
#pragma GCC unroll 4
      for (int r = 0; r < RP; ++r)
        Eigen::internal::pstoreu(C + static_cast<std::ptrdiff_t>(j0 + c) * ldc + i0 + r * P, acc[r][c]);
  };
  auto rows = [&](auto cols_tag, int j0) {
    int i0 = 0;
    for (; i0 + 4 * P <= M; i0 += 4 * P) block(std::integral_constant<int, 4>{}, cols_tag, i0, j0);
    switch ((M - i0) / P) {
      case 3: block(std::integral_constant<int, 3>{}, cols_tag, i0, j0); break;
      case 2: block(std::integral_constant<int, 2>{}, cols_tag, i0, j0); break;
      case 1: block(std::integral_constant<int, 1>{}, cols_tag, i0, j0); break;
      default: break;
    }
  };
  int j0 = 0;
  for (; j0 + 4 <= N; j0 += 4) rows(std::integral_constant<int, 4>{}, j0);
  switch (N - j0) {
    case 3: rows(std::integral_constant<int, 3>{}, j0); break;
    case 2: rows(std::integral_constant<int, 2>{}, j0); break;
    case 1: rows(std::integral_constant<int, 1>{}, j0); break;
    default: break;
  }
}

// R [rows x cols] (column-major: a recurrent kernel's R^T, gates x units) packed for the per-step products
// R * h (forward) and R^T * dgates (backward), rows padded to whole packets; results have the padded leading
// dimensions forward_ld() / backward_ld().
template <typename T>
class RecurrentProduct {
 public:
  void prepare_forward(const T* R, int rows, int cols) {
    rows_ = rows;
    cols_ = cols;
    forward_ld_ = pad(rows);
    T* a = grow(forward_, static_cast<std::size_t>(forward_ld_) * cols);
    for (int k = 0; k < cols; ++k) {
      std::copy(R + static_cast<std::ptrdiff_t>(k) * rows, R + static_cast<std::ptrdiff_t>(k + 1) * rows,
                a + static_cast<std::ptrdiff_t>(k) * forward_ld_);
      std::fill(a + static_cast<std::ptrdiff_t>(k) * forward_ld_ + rows, a + static_cast<std::ptrdiff_t>(k + 1) * forward_ld_, T(0));
    }
  }
  void prepare_backward(const T* R, int rows, int cols) {
    rows_ = rows;
    cols_ = cols;
    backward_ld_ = pad(cols);
    T* a = grow(backward_, static_cast<std::size_t>(backward_ld_) * rows);
    std::fill(a, a + static_cast<std::ptrdiff_t>(backward_ld_) * rows, T(0));
    for (int k = 0; k < cols; ++k)
      for (int r = 0; r < rows; ++r) a[static_cast<std::ptrdiff_t>(r) * backward_ld_ + k] = R[static_cast<std::ptrdiff_t>(k) * rows + r];
  }
  // out [forward_ld x n] = R * h [cols x n] (leading dimension cols).
  void forward(const T* h, int n, T* out) const { packed_multiply(forward_.data(), forward_ld_, cols_, h, cols_, n, out, forward_ld_); }
  // out [backward_ld x n] = R^T * g [rows x n] (leading dimension ldg).
  void backward(const T* g, int ldg, int n, T* out) const {
    packed_multiply(backward_.data(), backward_ld_, rows_, g, ldg, n, out, backward_ld_);
  }
  int forward_ld() const { return forward_ld_; }
  int backward_ld() const { return backward_ld_; }

 private:
  static int pad(int n) {
    constexpr int P = Eigen::internal::packet_traits<T>::size;
    return (n + P - 1) / P * P;
  }
  Buffer<T> forward_, backward_;
  int rows_ = 0, cols_ = 0, forward_ld_ = 0, backward_ld_ = 0;
};

template <typename T>
struct Pass {
  int B = 0, Tn = 0, N = 0;
  std::span<const T* const> params;
  std::span<T* const> grads;
};

}  // namespace

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
class LstmWork final : public LayerWork<T> {
 public:
  LstmWork(const Network<T>& network, const LayerInfo& info) : LayerWork<T>(network, info), gates_transform_(info.units) {}

  void bind(const Pass<T>& pass, const T* input, const T* mask, StreamState<T>& state, int first_slot) override {
    LayerWork<T>::bind(pass, input, mask, state, first_slot);
    const int u = this->info_.units, B = pass.B;
    const std::size_t n = static_cast<std::size_t>(pass.N);
    grow(gates_, 4 * static_cast<std::size_t>(u) * n);
    T* H = grow(h_, static_cast<std::size_t>(u) * (n + B));
    T* C = grow(c_, static_cast<std::size_t>(u) * (n + B));
    grow(tanh_c_, static_cast<std::size_t>(u) * B);
    for (int b = 0; b < B; ++b) {
      const T* s = state.data(this->info_.index, first_slot + b);
      std::copy(s, s + u, H + static_cast<std::ptrdiff_t>(b) * u);
      std::copy(s + u, s + 2 * u, C + static_cast<std::ptrdiff_t>(b) * u);
    }
    this->out_ = H + static_cast<std::ptrdiff_t>(B) * u;
    recurrent_.prepare_forward(this->param(pass, 1), 4 * u, u);
    grow(step_, static_cast<std::size_t>(recurrent_.forward_ld()) * B);
  }

  void forward(const Pass<T>& pass, int t0, int t1) override {
    const int in = this->info_.input_dim, u = this->info_.units, B = pass.B;
    const int G4 = 4 * u, cols = (t1 - t0) * B;
    const T* x = this->block_input(pass, t0, t1);
    T* G = gates_.data();
    T* H = h_.data();
    T* C = c_.data();
    T* TC = tanh_c_.data();  // tanh(c) of one step; backward recomputes it
    fill_bias(G + this->column(pass, t0, G4), this->param(pass, 2), G4, cols);
    MapMat<T>(G + this->column(pass, t0, G4), G4, cols).noalias() += CMapMat<T>(this->param(pass, 0), G4, in) * CMapMat<T>(x, in, cols);
    const auto& gt = gates_transform_;
    T* S = step_.data();
    const int ld = recurrent_.forward_ld();
    for (int t = t0; t < t1; ++t) {
      const std::ptrdiff_t col0 = static_cast<std::ptrdiff_t>(t) * B;
      recurrent_.forward(H + col0 * u, B, S);
      for (int b = 0; b < B; ++b) {
        MapArr<T> g(G + (col0 + b) * G4, G4);
        g = ((g + CMapArr<T>(S + static_cast<std::ptrdiff_t>(b) * ld, G4)) * gt.scale).logistic() * gt.factor + gt.offset;
        MapArr<T>(C + (col0 + B + b) * u, u) = g.segment(u, u) * CMapArr<T>(C + (col0 + b) * u, u) +
                                              g.segment(0, u) * g.segment(2 * u, u);
      }
      MapArr<T>(TC, static_cast<Eigen::Index>(u) * B) = CMapArr<T>(C + (col0 + B) * u, static_cast<Eigen::Index>(u) * B).tanh();
      for (int b = 0; b < B; ++b)
        MapArr<T>(H + (col0 + B + b) * u, u) = CMapArr<T>(G + (col0 + b) * G4 + 3 * u, u) * CMapArr<T>(TC + static_cast<std::ptrdiff_t>(b) * u, u);
      if (this->hook_) this->hook_->transform_activation(std::span<T>(H + (col0 + B) * u, static_cast<std::size_t>(B) * u));
    }
    if (t1 == pass.Tn)
      for (int b = 0; b < B; ++b) {
        T* s = this->state_->data(this->info_.index, this->first_slot_ + b);
        const std::ptrdiff_t last = static_cast<std::ptrdiff_t>(pass.Tn) * B + b;
        std::copy(H + last * u, H + (last + 1) * u, s);
        std::copy(C + last * u, C + (last + 1) * u, s + u);
      }
  }

  void backward(const Pass<T>& pass, int t0, int t1, T* din) override {
    const int in = this->info_.input_dim, u = this->info_.units, B = pass.B;
    const int G4 = 4 * u, cols = (t1 - t0) * B;
    const bool first = t1 == pass.Tn;
    const T* G = gates_.data();
    const T* C = c_.data();
    T* TC = tanh_c_.data();
    T* dout = this->dout_.data();
    T* dG = grow(dgates_, static_cast<std::size_t>(G4) * cols);  // this block's gate gradients only
    T* dh_next = grow(dh_next_, static_cast<std::size_t>(u) * B);
    T* dc_next = grow(dc_next_, static_cast<std::size_t>(u) * B);
    if (first) {
      std::fill(dh_next, dh_next + static_cast<std::ptrdiff_t>(u) * B, T(0));
      std::fill(dc_next, dc_next + static_cast<std::ptrdiff_t>(u) * B, T(0));
      recurrent_.prepare_backward(this->param(pass, 1), G4, u);
      grow(step_, static_cast<std::size_t>(recurrent_.backward_ld()) * B);
    }
    T* S = step_.data();
    const int ld = recurrent_.backward_ld();
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
      if (t > 0) {
        recurrent_.backward(dG + (col0 - static_cast<std::ptrdiff_t>(t0) * B) * G4, G4, B, S);
        for (int b = 0; b < B; ++b)
          std::copy(S + static_cast<std::ptrdiff_t>(b) * ld, S + static_cast<std::ptrdiff_t>(b) * ld + u,
                    dh_next + static_cast<std::ptrdiff_t>(b) * u);
      }
    }
    const T* dg0 = dG;
    CMapMat<T> dGm(dg0, G4, cols);
    add_columns(this->grad(pass, 2), dg0, G4, cols, first);
    gemm_abt(this->grad(pass, 0), G4, in, dGm, CMapMat<T>(this->block_input(pass, t0, t1), in, cols), first);
    gemm_abt(this->grad(pass, 1), G4, u, dGm, CMapMat<T>(h_.data() + this->column(pass, t0, u), u, cols), first);
    if (din) {
      MapMat<T>(din + this->column(pass, t0, in), in, cols).noalias() = CMapMat<T>(this->param(pass, 0), G4, in).transpose() * dGm;
      this->undrop(pass, din, t0, t1);
    }
  }

 private:
  GateTransform<T> gates_transform_;
  RecurrentProduct<T> recurrent_;
  Buffer<T> gates_, h_, c_, tanh_c_, dgates_, dh_next_, dc_next_, step_;
};

template <typename T>
class GruWork final : public LayerWork<T> {
 public:
  using LayerWork<T>::LayerWork;

  void bind(const Pass<T>& pass, const T* input, const T* mask, StreamState<T>& state, int first_slot) override {
    LayerWork<T>::bind(pass, input, mask, state, first_slot);
    const int u = this->info_.units, B = pass.B;
    const std::size_t n = static_cast<std::size_t>(pass.N);
    grow(gates_, 3 * static_cast<std::size_t>(u) * n);
    T* H = grow(h_, static_cast<std::size_t>(u) * (n + B));
    grow(hn_, static_cast<std::size_t>(u) * n);
    recurrent_.prepare_forward(this->param(pass, 1), 3 * u, u);
    grow(gh_, static_cast<std::size_t>(recurrent_.forward_ld()) * B);
    for (int b = 0; b < B; ++b) {
      const T* s = state.data(this->info_.index, first_slot + b);
      std::copy(s, s + u, H + static_cast<std::ptrdiff_t>(b) * u);
    }
    this->out_ = H + static_cast<std::ptrdiff_t>(B) * u;
  }

  void forward(const Pass<T>& pass, int t0, int t1) override {
    const int in = this->info_.input_dim, u = this->info_.units, B = pass.B;
    const int G3 = 3 * u, cols = (t1 - t0) * B;
    const T* x = this->block_input(pass, t0, t1);
    T* G = gates_.data();
    T* H = h_.data();
    T* HN = hn_.data();
    T* GH = gh_.data();
    fill_bias(G + this->column(pass, t0, G3), this->param(pass, 2), G3, cols);
    MapMat<T>(G + this->column(pass, t0, G3), G3, cols).noalias() += CMapMat<T>(this->param(pass, 0), G3, in) * CMapMat<T>(x, in, cols);
    CMapArr<T> bhn(this->param(pass, 3), u);
    const int ld = recurrent_.forward_ld();
    for (int t = t0; t < t1; ++t) {
      const std::ptrdiff_t col0 = static_cast<std::ptrdiff_t>(t) * B;
      recurrent_.forward(H + col0 * u, B, GH);
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
      if (this->hook_) this->hook_->transform_activation(std::span<T>(H + (col0 + B) * u, static_cast<std::size_t>(B) * u));
    }
    if (t1 == pass.Tn)
      for (int b = 0; b < B; ++b) {
        T* s = this->state_->data(this->info_.index, this->first_slot_ + b);
        const std::ptrdiff_t last = static_cast<std::ptrdiff_t>(pass.Tn) * B + b;
        std::copy(H + last * u, H + (last + 1) * u, s);
      }
  }

  void backward(const Pass<T>& pass, int t0, int t1, T* din) override {
    const int in = this->info_.input_dim, u = this->info_.units, B = pass.B;
    const int G3 = 3 * u, cols = (t1 - t0) * B;
    const bool first = t1 == pass.Tn;
    const T* G = gates_.data();
    const T* H = h_.data();
    const T* HN = hn_.data();
    T* dout = this->dout_.data();
    T* dGx = grow(dgx_, static_cast<std::size_t>(G3) * cols);  // this block's gate gradients only
    T* dGh = grow(dgh_, static_cast<std::size_t>(G3) * cols);
    T* dh_next = grow(dh_next_, static_cast<std::size_t>(u) * B);
    if (first) {
      std::fill(dh_next, dh_next + static_cast<std::ptrdiff_t>(u) * B, T(0));
      recurrent_.prepare_backward(this->param(pass, 1), G3, u);
      grow(step_, static_cast<std::size_t>(recurrent_.backward_ld()) * B);
    }
    T* S = step_.data();
    const int ld = recurrent_.backward_ld();
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
      if (t > 0) {
        recurrent_.backward(dGh + (col0 - static_cast<std::ptrdiff_t>(t0) * B) * G3, G3, B, S);
        for (int b = 0; b < B; ++b)
          MapArr<T>(dh_next + static_cast<std::ptrdiff_t>(b) * u, u) += CMapArr<T>(S + static_cast<std::ptrdiff_t>(b) * ld, u);
      }
    }
    const T* dgx0 = dGx;
    const T* dgh0 = dGh;
    CMapMat<T> dGxm(dgx0, G3, cols), dGhm(dgh0, G3, cols);
    add_columns(this->grad(pass, 2), dgx0, G3, cols, first);
    {
      MapArr<T> s(this->grad(pass, 3), u);
      if (first) s.setZero();
      for (int c = 0; c < cols; ++c) s += CMapArr<T>(dgh0 + static_cast<std::ptrdiff_t>(c) * G3 + 2 * u, u);
    }
    gemm_abt(this->grad(pass, 0), G3, in, dGxm, CMapMat<T>(this->block_input(pass, t0, t1), in, cols), first);
    gemm_abt(this->grad(pass, 1), G3, u, dGhm, CMapMat<T>(H + this->column(pass, t0, u), u, cols), first);
    if (din) {
      MapMat<T>(din + this->column(pass, t0, in), in, cols).noalias() = CMapMat<T>(this->param(pass, 0), G3, in).transpose() * dGxm;
      this->undrop(pass, din, t0, t1);
    }
  }

 private:
  RecurrentProduct<T> recurrent_;
  Buffer<T> gates_, h_, hn_, gh_, dgx_, dgh_, dh_next_, step_;
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
      case LayerType::conv1d: layers_.push_back(std::make_unique<DenseWork<T>>(network, info)); break;
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

template class Network<float>;
template class Network<double>;
template class StreamState<float>;
template class StreamState<double>;
template class Worker<float>;
template class Worker<double>;

}  // namespace nnse::nn
