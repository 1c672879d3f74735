#pragma once
// Internal to the training engine (network.h's Worker and the layer files): Eigen views of raw buffers, growable
// aligned buffers and the vectorized element-wise passes every layer kind shares. Not a public API: the float
// reference of the layers, free of the engine, is nn/inference.h.
#include "nnse/nn/eigen_diagnostics.h"
NNSE_EIGEN_WARNINGS_OFF
#include <Eigen/Core>
NNSE_EIGEN_WARNINGS_ON
#include <algorithm>
#include <cstddef>
#include <vector>

#include "nnse/nn/arch.h"

namespace nnse::nn {

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

}  // namespace nnse::nn
