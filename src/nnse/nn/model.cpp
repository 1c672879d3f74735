#include "nnse/nn/model.h"

#include <algorithm>
#include <fmt/format.h>

#include "nnse/nn/eigen_diagnostics.h"
NNSE_EIGEN_WARNINGS_OFF
#include <Eigen/QR>
NNSE_EIGEN_WARNINGS_ON
#include <cmath>

#include "nnse/nn/random.h"
#include "nnse/util/error.h"

namespace nnse::nn {

namespace {

std::string with_commas(std::int64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

void glorot_uniform(Eigen::VectorXf& value, int fan_in, int fan_out, Rng& rng) {
  const double limit = std::sqrt(6.0 / (fan_in + fan_out));
  for (Eigen::Index i = 0; i < value.size(); ++i) value[i] = static_cast<float>(rng.uniform(-limit, limit));
}

// Keras Orthogonal for a [rows, cols] kernel with rows < cols: QR of a (cols x rows) normal matrix, signs fixed
// by diag(R), transposed, so the rows are orthonormal.
void orthogonal(Eigen::VectorXf& value, int rows, int cols, Rng& rng) {
  const int tall = std::max(rows, cols), wide = std::min(rows, cols);
  Eigen::MatrixXd a(tall, wide);
  for (Eigen::Index j = 0; j < a.cols(); ++j)
    for (Eigen::Index i = 0; i < a.rows(); ++i) a(i, j) = rng.normal();
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
  Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(tall, wide);
  const Eigen::MatrixXd r = qr.matrixQR().topRows(wide).triangularView<Eigen::Upper>();
  for (int k = 0; k < wide; ++k)
    if (r(k, k) < 0) q.col(k) = -q.col(k);
  // value is row-major [rows, cols].
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j)
      value[static_cast<Eigen::Index>(i) * cols + j] = static_cast<float>(rows < cols ? q(j, i) : q(i, j));
}

}  // namespace

Model::Model(const Arch& arch, std::uint64_t seed) : network_(std::make_unique<Network<float>>(arch)) {
  for (const ParameterSpec& spec : network_->parameter_specs()) {
    ParameterTensor tensor;
    tensor.name = spec.name;
    tensor.shape = spec.shape;
    tensor.is_bias = spec.is_bias;
    tensor.value = Eigen::VectorXf::Zero(static_cast<Eigen::Index>(spec.size()));
    parameters_.push_back(std::move(tensor));
  }
  initialize(seed);
}

Model Model::from_file(const std::filesystem::path& arch_file, std::uint64_t seed) {
  return Model(load_arch_file(arch_file), seed);
}

Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

void Model::initialize(std::uint64_t seed) {
  for (const LayerInfo& layer : network_->layers()) {
    for (int k = 0; k < layer.parameter_count; ++k) {
      const int index = layer.first_parameter + k;
      Eigen::VectorXf& value = parameters_[static_cast<std::size_t>(index)].value;
      Rng rng(stream_key({seed, static_cast<std::uint64_t>(index), 0x696e6974 /* "init" */}));
      value.setZero();
      const int in = layer.input_dim, u = layer.units;
      switch (layer.spec.type) {
        case LayerType::fc:
          if (k == 0) glorot_uniform(value, in, u, rng);
          break;
        case LayerType::conv1d:
          if (k == 0) {
            double stddev = 1.0 / std::sqrt(static_cast<double>(layer.kernel) * in);
            if (layer.spec.activation == Activation::relu6) stddev *= std::sqrt(2.0);
            for (Eigen::Index i = 0; i < value.size(); ++i) value[i] = static_cast<float>(stddev * rng.normal());
          }
          break;
        case LayerType::lstm:
        case LayerType::gru: {
          const int gates = layer.spec.type == LayerType::lstm ? 4 : 3;
          if (k == 0) glorot_uniform(value, in, gates * u, rng);
          if (k == 1) orthogonal(value, u, gates * u, rng);
          if (k == 2 && layer.spec.type == LayerType::lstm) value.segment(u, u).setOnes();  // unit_forget_bias
          break;
        }
      }
    }
  }
}

void Model::check_parameters() const {
  const auto& specs = network_->parameter_specs();
  if (parameters_.size() != specs.size())
    throw Error("model parameters", "expected " + std::to_string(specs.size()) + " tensors, found " +
                                        std::to_string(parameters_.size()));
  for (std::size_t i = 0; i < specs.size(); ++i)
    if (parameters_[i].name != specs[i].name || static_cast<std::size_t>(parameters_[i].value.size()) != specs[i].size())
      throw Error("model parameters", "tensor " + std::to_string(i) + " is '" + parameters_[i].name + "' with " +
                                          std::to_string(parameters_[i].value.size()) + " values, expected '" +
                                          specs[i].name + "' with " + std::to_string(specs[i].size()));
}

std::string Model::summary() const { return describe_network(*network_); }

std::string describe_network(const Network<float>& network) {
  std::string out;
  std::size_t shape_width = 14;  // "72 -> 72 + input" (concat_input) is wider than the usual shapes
  for (const LayerInfo& layer : network.layers()) shape_width = std::max(shape_width, layer.shape_text().size());
  out += fmt::format("{:<3} {:<7} {:<{}} {:<10} {:>8} {:>10} {:>10}\n", "#", "type", "in -> out", shape_width,
                     "activation", "dropout", "params", "MACs/frame");
  std::int64_t weights = 0, biases = 0;
  for (const LayerInfo& layer : network.layers()) {
    const bool recurrent = layer.spec.type == LayerType::lstm || layer.spec.type == LayerType::gru;
    out += fmt::format("{:<3} {:<7} {:<{}} {:<10} {:>8.2f} {:>10} {:>10}\n", layer.index, to_string(layer.spec.type),
                       layer.shape_text(), shape_width, recurrent ? std::string("(gates)") : to_string(layer.spec.activation),
                       layer.spec.input_dropout, with_commas(layer.weights + layer.biases),
                       with_commas(layer.macs_per_frame));
    weights += layer.weights;
    biases += layer.biases;
  }
  out += fmt::format("parameters: {} ({} weights + {} biases)\n", with_commas(weights + biases), with_commas(weights),
                     with_commas(biases));
  out += fmt::format("multiply-accumulates per frame: {}\n", with_commas(network.macs_per_frame()));
  out += "tensors:\n";
  for (const ParameterSpec& tensor : network.parameter_specs()) {
    std::string shape;
    for (std::size_t i = 0; i < tensor.shape.size(); ++i) shape += (i ? "x" : "") + std::to_string(tensor.shape[i]);
    out += fmt::format("  {:<32} [{}]\n", tensor.name, shape);
  }
  return out;
}

}  // namespace nnse::nn
