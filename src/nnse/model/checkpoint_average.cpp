#include "nnse/model/checkpoint_average.h"

#include <Eigen/Core>
#include <cmath>
#include <string>
#include <utility>

#include "nnse/model/checkpoint_match.h"
#include "nnse/util/error.h"

namespace nnse::model {
namespace fs = std::filesystem;

namespace {

// The sum of the weights (one per file, finite, >= 0, not all 0); refuses anything else naming what is wrong.
double checked_weight_total(const std::vector<double>& weights, std::size_t files) {
  if (weights.size() != files) {
    throw Error("average", std::to_string(weights.size()) + " weights for " + std::to_string(files) +
                               " checkpoints: give one weight per checkpoint");
  }
  double total = 0.0;
  for (double w : weights) {
    if (!std::isfinite(w) || w < 0.0) {
      throw Error("average", "weights must be finite and >= 0, got " + std::to_string(w));
    }
    total += w;
  }
  if (!(total > 0.0)) throw Error("average", "the weights sum to 0: at least one must be positive");
  return total;
}

}  // namespace

Checkpoint average_checkpoints(const std::vector<fs::path>& files, const std::vector<double>& weights) {
  if (files.empty()) throw Error("average", "no checkpoints to average");
  const std::vector<double> w = weights.empty() ? std::vector<double>(files.size(), 1.0) : weights;
  const double total = checked_weight_total(w, files.size());
  const Checkpoint first = load_checkpoint(files.front());
  // Sums in double: 30 float32 checkpoints summed in float would lose the low bits the average keeps.
  std::vector<Eigen::VectorXd> sums;
  sums.reserve(first.parameters.size());
  for (const auto& tensor : first.parameters) sums.push_back(w[0] * tensor.value.cast<double>());
  Checkpoint newest = first;
  for (std::size_t i = 1; i < files.size(); ++i) {
    Checkpoint next = load_checkpoint(files[i]);
    check_compatible(next, files[i], first.arch_text, first.frontend);
    if (next.feature_mean != first.feature_mean || next.feature_inv_std != first.feature_inv_std) {
      throw Error(files[i], "feature statistics differ from " + files.front().string() +
                                "'s: only checkpoints of one training (or fine-tunes of one start) can be averaged");
    }
    check_parameter_layout(next, files[i], first.parameters);
    for (std::size_t t = 0; t < sums.size(); ++t) sums[t] += w[i] * next.parameters[t].value.cast<double>();
    if (next.epoch >= newest.epoch) newest = std::move(next);
  }
  Checkpoint out = newest;
  out.arch_text = first.arch_text;
  for (std::size_t t = 0; t < sums.size(); ++t) out.parameters[t].value = (sums[t] / total).cast<float>();
  out.adam.first_moment.clear();
  out.adam.second_moment.clear();
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(f.string());
  out.options["averaged_from"] = names;
  if (!weights.empty()) out.options["averaged_weights"] = weights;
  return out;
}

}  // namespace nnse::model
