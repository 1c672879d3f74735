#pragma once
// Internal to the training engine: the per-time-step recurrent product R * h (and R^T * dgates) of lstm and gru,
// with R packed once per chunk for a register-blocked kernel.
#include "nnse/nn/eigen_diagnostics.h"
NNSE_EIGEN_WARNINGS_OFF
#include <Eigen/Core>
NNSE_EIGEN_WARNINGS_ON
#include <algorithm>
#include <type_traits>

#include "nnse/nn/engine_kernels.h"

namespace nnse::nn {

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

}  // namespace nnse::nn
