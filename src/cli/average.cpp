// nnse average CKPT... --out FILE: one checkpoint whose weights are the mean of several checkpoints of one network
// (model/checkpoint_average.h); the result is used like any checkpoint (--model FILE).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/subcommand.h"
#include "nnse/model/checkpoint.h"
#include "nnse/model/checkpoint_average.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/output_path.h"

namespace nnse::cli {
namespace {

struct AverageOptions {
  std::vector<std::string> checkpoints;
  std::vector<double> weights;
  std::string out;
};

void run_average(const AverageOptions& o) {
  std::vector<std::filesystem::path> files(o.checkpoints.begin(), o.checkpoints.end());
  for (const auto& f : files) refuse_output_over_input(o.out, f);
  const model::Checkpoint averaged = model::average_checkpoints(files, o.weights);
  write_file_atomic(o.out, model::encode_checkpoint(averaged));
  const std::string what =
      o.weights.empty() ? "the mean" : fmt::format("the weighted mean ({})", fmt::join(o.weights, ", "));
  std::fputs(fmt::format("wrote {}: {} of {} checkpoints (epoch {}, {} parameter tensors)\n", o.out, what,
                         files.size(), averaged.epoch, averaged.parameters.size())
                 .c_str(),
             stdout);
}

void setup_average(CLI::App& parent) {
  auto options = std::make_shared<AverageOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "average", "Average the weights of checkpoints of one network (the last epochs of a run, or seeds of a fine-tune)");
  cmd->add_option("checkpoints", options->checkpoints,
                  "Checkpoint files (models_trained/<model>/checkpoints/epoch_N); same arch, front end and feature "
                  "statistics")
      ->required()
      ->expected(2, -1);
  cmd->add_option("--weights", options->weights,
                  "One weight per checkpoint, comma-separated (>= 0, not all 0): the weighted mean sum(w x) / sum(w), "
                  "e.g. 1,3 for a quarter of the first; default: equal")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--out", options->out, "The averaged checkpoint (written atomically; use it with --model FILE)")
      ->required();
  cmd->callback([options] { run_average(*options); });
}

const Registration registration{"average", 75, &setup_average};

}  // namespace
}  // namespace nnse::cli
