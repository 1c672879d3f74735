// nnse average CKPT... --out FILE: one checkpoint whose weights are the mean of several checkpoints of one network
// (model/checkpoint_average.h); the result is used like any checkpoint (--model FILE).
#include <fmt/format.h>

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
  std::string out;
};

void run_average(const AverageOptions& o) {
  std::vector<std::filesystem::path> files(o.checkpoints.begin(), o.checkpoints.end());
  for (const auto& f : files) refuse_output_over_input(o.out, f);
  const model::Checkpoint averaged = model::average_checkpoints(files);
  write_file_atomic(o.out, model::encode_checkpoint(averaged));
  std::fputs(fmt::format("wrote {}: the mean of {} checkpoints (epoch {}, {} parameter tensors)\n", o.out,
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
  cmd->add_option("--out", options->out, "The averaged checkpoint (written atomically; use it with --model FILE)")
      ->required();
  cmd->callback([options] { run_average(*options); });
}

const Registration registration{"average", 75, &setup_average};

}  // namespace
}  // namespace nnse::cli
