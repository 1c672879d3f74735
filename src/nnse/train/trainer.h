#pragma once
// The epoch loop behind `nnse train` (reference section 4.6, with checkpoints that resume exactly):
//   for each epoch: train pass over the clips in a per-epoch shuffled order (chunks of --chunk-frames, state
//   carried across the chunks of a clip), validation pass (zero initial state, no dropout, fixed order),
//   checkpoint (epoch_<N> then latest), one report line.
// Feature statistics (reference 1.8) are computed once over the training clips' noisy features (epoch 0) and
// saved as <model dir>/feature_stats.json; a later fresh run reuses that file, like the reference's stats.pkl.
// A resumed run takes stats, weights, Adam state, RNG state and loss history from its checkpoint.
//
// Divergence: the engine skips (does not apply) steps whose loss or gradient is not finite; after
// max_consecutive_skips skipped steps in a row, or an epoch whose train or valid loss is not finite, training
// stops without writing a checkpoint for that epoch, so `latest` keeps naming the last good one.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/model/model_folder.h"
#include "nnse/train/epoch_report.h"
#include "nnse/train/loss.h"
#include "nnse/train/progress.h"
#include "nnse/train/training_data.h"
#include "nnse/util/stage_profile.h"

namespace nnse::nn {
class Model;
}

namespace nnse::train {

class Processes;

struct TrainOptions {
  std::filesystem::path arch_file;                 // nn_arch text file; the model folder is named after it
  std::filesystem::path models_dir = "models_trained";
  int epochs = 1;                                  // train until epochs 0 .. epochs-1 exist
  model::EpochSelection epoch_loaded;                     // random | latest | N (resume at N + 1)
  LossConfig loss;
  int batch_size = 32;
  int chunk_frames = 500;
  double learning_rate = 4e-4;
  // Cosine decay of the learning rate (lr_schedule.h) from `learning_rate` at epoch `lr_decay_start` to this at
  // the last epoch (epochs - 1); none: constant (the reference).
  std::optional<double> final_learning_rate;
  int lr_decay_start = 0;
  double clip_norm = 0.0;                          // global gradient-norm clip; 0 = off (the reference)
  // Every layer's input dropout for this run instead of the arch file's `dropprob` values (none: the file's).
  // The checkpoint keeps the file's text; dropout rates do not change which checkpoints fit (checkpoint_match.h).
  std::optional<double> dropout;
  int threads = 2;
  std::uint64_t seed = 1;                          // initialization, clip order, dropout, initial states
  // Batches assembled ahead of the engine. 0 keeps one clip per batch slot in memory. N > 0 lets the data thread
  // take the next clips before the engine is done with the current ones: it hides clip preparation where all
  // slots start new clips together when there are spare cores, but holds up to two clips per slot there (about
  // 350 MB more at batch 32 with 25 s clips). On 2 cores it measured no faster (docs/perf-training.md).
  int prefetch = 0;
  int data_threads = 2;                            // clips read / mixed / featurized ahead in parallel
  int max_consecutive_skips = 10;
  bool random_initial_state = true;                // reference: random lstm state at a clip start in training
  bool profile = false;                            // CPU time per pipeline stage in every EpochReport
  // Feature statistics reused by data recipe (stats_cache.h); empty: <models_dir>/feature_stats_cache.
  std::filesystem::path stats_cache_dir;
  dsp::FrontendConfig frontend;
  // Called once on the model after its weights are initialized or restored, before the first step: e.g. to
  // install quantization-aware-training hooks (`nnse train --qat`, export/qat.h). Empty = nothing.
  std::function<void(nn::Model&)> prepare_model;
  // Data parallel over processes (`mpirun -np N nnse train`, train/distributed.h): batch_size is the whole batch,
  // each process prepares and trains batch_size / N of its slots, gradients are summed over the processes every
  // step, and only rank 0 writes into the model folder. nullptr: one process, as without mpirun.
  Processes* processes = nullptr;
};

struct TrainResult {
  enum class Status { completed, nothing_to_do, diverged } status = Status::completed;
  int first_epoch = 0;             // the first epoch this run trained
  int last_good_epoch = -1;        // the newest checkpoint on disk at the end (-1: none)
  std::vector<EpochReport> epochs;
  std::string message;             // why training stopped, for diverged runs
  std::filesystem::path model_dir;
};

// Runs the whole loop. `valid` may be null. `on_epoch` is called after each epoch's checkpoint is on disk.
// Throws nnse::Error for unusable options, data or checkpoints.
// `on_step`, if given, is called after every training step (for a progress line).
TrainResult train(const TrainOptions& options, const ClipSet& train_clips, const ClipSet* valid_clips,
                  const std::function<void(const EpochReport&)>& on_epoch = {},
                  const std::function<void(const StepProgress&)>& on_step = {});

}  // namespace nnse::train
