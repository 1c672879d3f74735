#include "nnse/model/checkpoint_average.h"

#include <Eigen/Core>
#include <utility>

#include "nnse/model/checkpoint_match.h"
#include "nnse/util/error.h"

namespace nnse::model {
namespace fs = std::filesystem;

Checkpoint average_checkpoints(const std::vector<fs::path>& files) {
  if (files.empty()) throw Error("average", "no checkpoints to average");
  const Checkpoint first = load_checkpoint(files.front());
  // Sums in double: 30 float32 checkpoints summed in float would lose the low bits the average keeps.
  std::vector<Eigen::VectorXd> sums;
  sums.reserve(first.parameters.size());
  for (const auto& tensor : first.parameters) sums.push_back(tensor.value.cast<double>());
  Checkpoint newest = first;
  for (std::size_t i = 1; i < files.size(); ++i) {
    Checkpoint next = load_checkpoint(files[i]);
    check_compatible(next, files[i], first.arch_text, first.frontend);
    if (next.feature_mean != first.feature_mean || next.feature_inv_std != first.feature_inv_std) {
      throw Error(files[i], "feature statistics differ from " + files.front().string() +
                                "'s: only checkpoints of one training (or fine-tunes of one start) can be averaged");
    }
    check_parameter_layout(next, files[i], first.parameters);
    for (std::size_t t = 0; t < sums.size(); ++t) sums[t] += next.parameters[t].value.cast<double>();
    if (next.epoch >= newest.epoch) newest = std::move(next);
  }
  Checkpoint out = newest;
  out.arch_text = first.arch_text;
  const double n = static_cast<double>(files.size());
  for (std::size_t t = 0; t < sums.size(); ++t) out.parameters[t].value = (sums[t] / n).cast<float>();
  out.adam.first_moment.clear();
  out.adam.second_moment.clear();
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(f.string());
  out.options["averaged_from"] = names;
  return out;
}

}  // namespace nnse::model
