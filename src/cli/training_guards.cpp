#include "cli/training_guards.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "nnse/model/model_folder.h"
#include "nnse/nn/arch.h"
#include "nnse/train/memory_estimate.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"
#include "nnse/util/system_memory.h"

namespace nnse::cli {
namespace fs = std::filesystem;

void fit_batch_to_data_and_memory(train::TrainOptions& options, std::size_t training_clips, int processes) {
  // Over several processes the batch stays a multiple of their number (each trains an equal share).
  const auto n = static_cast<std::size_t>(std::max(1, processes));
  const std::size_t fitting_clips = (training_clips + n - 1) / n * n;
  if (training_clips > 0 && static_cast<std::size_t>(options.batch_size) > fitting_clips) {
    spdlog::warn("--batch-size {} is more than the {} training clips; using {} (a larger batch would only hold empty "
                 "slots)", options.batch_size, training_clips, fitting_clips);
    options.batch_size = static_cast<int>(fitting_clips);
  }
  // Each process holds its share of the batch.
  const int local_batch = std::max(1, options.batch_size / static_cast<int>(n));
  const auto available = available_memory_bytes();
  if (!available) return;
  const nn::Arch arch = nn::load_arch_file(options.arch_file);
  const train::MemoryEstimate estimate = train::estimate_training_memory(arch, options.frontend, options.threads);
  const std::uint64_t needed = estimate.total(local_batch, options.chunk_frames);
  if (needed <= *available) return;
  const std::uint64_t room = *available > estimate.fixed_bytes ? *available - estimate.fixed_bytes : 0;
  const std::uint64_t fitting = room / (estimate.per_frame_bytes * static_cast<std::uint64_t>(options.chunk_frames));
  throw Error("--batch-size", fmt::format("{} sequences x --chunk-frames {} need about {:.1f} GB for training, more "
                                          "than the {:.1f} GB of memory available; use --batch-size {} or less (or "
                                          "fewer --chunk-frames)",
                                          local_batch, options.chunk_frames, static_cast<double>(needed) / 1e9,
                                          static_cast<double>(*available) / 1e9, fitting * n));
}

void prepare_resume(const fs::path& model_dir, const model::EpochSelection& selection, bool rewind) {
  if (selection.kind != model::EpochSelection::Kind::number) return;
  const auto latest = model::latest_epoch(model_dir);
  if (!latest || *latest <= selection.epoch) return;
  const int from = selection.epoch, newest = *latest;
  if (!rewind) {
    throw Error(model_dir, fmt::format("has epochs up to {}; --epoch-loaded {} would train from epoch {} and replace "
                                       "epochs {}..{} and their loss history. Add --rewind to do that (the newer "
                                       "checkpoints and loss_history.csv are kept in checkpoints/rewound-from-epoch-{}/"
                                       "), or use --epoch-loaded latest",
                                       newest, from, from + 1, from + 1, newest, newest));
  }
  const fs::path backup = model::checkpoint_dir(model_dir) / fmt::format("rewound-from-epoch-{}", newest);
  std::error_code ec;
  fs::create_directories(backup, ec);
  if (ec) throw Error(backup, "cannot create folder: " + ec.message());
  for (const char* name : {"loss_history.csv", "loss_history.png"}) {
    if (fs::exists(model_dir / name)) fs::copy_file(model_dir / name, backup / name, fs::copy_options::overwrite_existing);
  }
  for (int epoch = from + 1; epoch <= newest; ++epoch) {
    const fs::path file = model::checkpoint_path(model_dir, epoch);
    if (!fs::exists(file)) continue;
    fs::rename(file, backup / file.filename(), ec);
    if (ec) throw Error(file, "cannot move into " + backup.string() + ": " + ec.message());
  }
  // `latest` must never name a checkpoint that is no longer there.
  write_file_atomic(model::latest_path(model_dir), std::to_string(from) + "\n");
  spdlog::warn("rewinding {} to epoch {}: epochs {}..{} and the loss history are kept in {}; training continues at "
               "epoch {}", model_dir.string(), from, from + 1, newest, backup.string(), from + 1);
}

}  // namespace nnse::cli
