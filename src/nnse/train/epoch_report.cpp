#include "nnse/train/epoch_report.h"

#include <fmt/format.h>

#include <cmath>

namespace nnse::train {

std::string format_profile(const EpochReport& r) {
  if (!r.profiled) return {};
  const double cpu = r.profile.total();
  std::string out = fmt::format("  profile epoch {}: {:.2f} CPU-s in stages over {:.2f} s wall (train {:.2f} s, of "
                                "which data wait {:.2f} s; valid {:.2f} s; checkpoint {:.2f} s)\n",
                                r.epoch, cpu, r.seconds, r.train_seconds, r.data_wait_seconds, r.valid_seconds,
                                r.checkpoint_seconds);
  for (int i = 0; i < profile::kStageCount; ++i) {
    const auto stage = static_cast<profile::Stage>(i);
    const double seconds = r.profile.seconds[static_cast<std::size_t>(i)];
    out += fmt::format("    {:<17} {:8.3f} CPU-s {:5.1f}%  ({} calls)\n", profile::stage_name(stage), seconds,
                       cpu > 0 ? 100.0 * seconds / cpu : 0.0, r.profile.calls[static_cast<std::size_t>(i)]);
  }
  return out;
}

std::string format_epoch(const EpochReport& r) {
  const std::string valid = std::isfinite(r.valid_loss) ? fmt::format("{:.6g}", r.valid_loss) : "-";
  std::string line =
      fmt::format("epoch {}: train loss {:.6g}, valid loss {} | {} steps, {} skipped | {:.1f} s, data wait {:.1f}%",
                  r.epoch, r.train_loss, valid, r.steps, r.skipped_steps, r.seconds, 100.0 * r.data_wait_share);
  // Training frames per second of the train pass (validation and checkpoint excluded): what the engine benchmark's
  // frames/s compares with.
  if (r.train_seconds > 0) line += fmt::format(", {:.0f} frames/s", static_cast<double>(r.frames) / r.train_seconds);
  if (r.peak_memory_mib > 0) line += fmt::format(", peak memory {:.0f} MiB", r.peak_memory_mib);
  return line;
}

}  // namespace nnse::train
