#pragma once
// What one epoch of `nnse train` did (losses, steps, time, memory, the checkpoint it wrote) and its printed forms.
#include <cstdint>
#include <filesystem>
#include <string>

#include "nnse/util/stage_profile.h"

namespace nnse::train {

struct EpochReport {
  int epoch = 0;
  double train_loss = 0.0;        // mean over the epoch's valid frames of the batch losses
  double valid_loss = 0.0;        // NaN without a validation set
  std::int64_t steps = 0;
  std::int64_t skipped_steps = 0; // non-finite steps the engine did not apply
  std::int64_t frames = 0;        // valid training frames
  double seconds = 0.0;           // train + validation + checkpoint
  double data_wait_share = 0.0;   // share of the train pass spent waiting for batches
  double peak_memory_mib = 0.0;   // the process's peak resident memory so far (0: unknown)
  std::filesystem::path checkpoint;
  // Wall-clock parts of `seconds`, and the train pass's time blocked on data.
  double train_seconds = 0.0, valid_seconds = 0.0, checkpoint_seconds = 0.0, data_wait_seconds = 0.0;
  bool profiled = false;          // TrainOptions::profile: `profile` holds this epoch's CPU time per stage
  profile::Totals profile;
};

// One line per epoch, as `nnse train` prints it.
std::string format_epoch(const EpochReport& report);
// The --profile table of an epoch (several lines, each ending in a newline): CPU seconds per stage, their share,
// and the wall-clock split. Empty when the report was not profiled.
std::string format_profile(const EpochReport& report);

}  // namespace nnse::train
