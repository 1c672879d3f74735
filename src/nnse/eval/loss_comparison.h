#pragma once
// `nnse compare-losses`: one model per loss, everything else identical, each evaluated on the same split; the
// report (markdown table, CSV and chart) of the comparison.
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nnse/eval/evaluate.h"

namespace nnse::eval {

// `nnse compare-losses` (issue 6): one model per loss, everything else identical, each evaluated on the same split.
struct LossRun {
  std::string loss;                  // loss name
  std::string describe;              // Loss::describe() (resolved knobs)
  enum class Status { trained, diverged, failed } status = Status::trained;
  std::string message;               // why it diverged / failed
  int epochs = 0;                    // epochs on disk (last good epoch + 1)
  double train_loss = std::nan("");  // of the last good epoch (each loss on its own scale)
  double valid_loss = std::nan("");
  double seconds = 0.0;              // training time of this invocation
  std::optional<EvalReport> eval;    // of the last good checkpoint, when there is one
};
std::string to_string(LossRun::Status status);

struct LossComparison {
  std::string command;               // the exact command that produced it
  nlohmann::json budget;             // epochs, batch, chunk, lr, seed, data, ...
  std::vector<LossRun> runs;
};

// Writes out_dir/loss_comparison.md (tables: enhanced value and improvement over noisy per metric, per loss;
// the noisy input as the first row; diverged/failed runs listed with their reason), loss_comparison.csv and
// loss_comparison.png (bar charts of the improvement over noisy per metric, one bar per loss). Returns the
// markdown text.
std::string write_loss_comparison(const std::filesystem::path& out_dir, const LossComparison& comparison);

}  // namespace nnse::eval
