#pragma once
// The trainable state of a model as the rest of the system sees it: an ordered list of named flat tensors.
// The engine (layers, optimizer) owns the arithmetic; checkpoints, export and parity tests only see this.
#include "nnse/nn/eigen_diagnostics.h"
NNSE_EIGEN_WARNINGS_OFF
#include <Eigen/Core>
NNSE_EIGEN_WARNINGS_ON
#include <cstdint>
#include <string>
#include <vector>

namespace nnse::nn {

struct ParameterTensor {
  std::string name;          // "layer0.conv1d.weight", "layer1.lstm.recurrent_weight", ... (stable across runs)
  std::vector<int> shape;    // logical shape, row-major; value.size() == product(shape)
  bool is_bias = false;      // biases are clipped to [-4, 4), weights to [-8, 8) (reference section 4.5)
  Eigen::VectorXf value;
};

using ParameterSet = std::vector<ParameterTensor>;

// Adam's moments, one pair per parameter tensor (same order and sizes as the ParameterSet).
struct AdamState {
  std::vector<Eigen::VectorXf> first_moment;
  std::vector<Eigen::VectorXf> second_moment;
  std::int64_t step = 0;
};

}  // namespace nnse::nn
