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
#include "nnse/train/batcher.h"
#include "nnse/train/checkpoint.h"
#include "nnse/train/loss.h"
#include "nnse/train/progress.h"
#include "nnse/util/stage_profile.h"

namespace nnse::nn {
class Model;
}

namespace nnse::train {

struct TrainOptions {
  std::filesystem::path arch_file;                 // nn_arch text file; the model folder is named after it
  std::filesystem::path models_dir = "models_trained";
  int epochs = 1;                                  // train until epochs 0 .. epochs-1 exist
  EpochSelection epoch_loaded;                     // random | latest | N (resume at N + 1)
  LossConfig loss;
  int batch_size = 32;
  int chunk_frames = 500;
  double learning_rate = 4e-4;
  double clip_norm = 0.0;                          // global gradient-norm clip; 0 = off (the reference)
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
};

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

struct TrainResult {
  enum class Status { completed, nothing_to_do, diverged } status = Status::completed;
  int first_epoch = 0;             // the first epoch this run trained
  int last_good_epoch = -1;        // the newest checkpoint on disk at the end (-1: none)
  std::vector<EpochReport> epochs;
  std::string message;             // why training stopped, for diverged runs
  std::filesystem::path model_dir;
};

// Where clips come from, as the CLI options say it: shards (`nnse data --out DIR`) or on-the-fly mixing.
struct DataChoice {
  std::filesystem::path data;        // shards root (DIR/train, DIR/valid, DIR/test) or one split's folder
  std::filesystem::path corpus;      // with on_the_fly (or for evaluation without shards)
  std::vector<std::filesystem::path> more_corpora;  // merged into `corpus` (extra voices and noises)
  bool on_the_fly = false;
  std::filesystem::path valid_data;  // validation shards; default DIR/valid when present
  bool no_valid = false;
  std::int64_t datasize_noise = data::MixConfig{}.datasize_noise;  // on-the-fly: speech files per noise type
  double clip_seconds = data::MixConfig{}.clip_seconds;
  double eq_db = 0.0;                // on-the-fly: random spectral coloration of training mixtures (0: off)
  double speed_perturb = 0.0;        // on-the-fly: random speed in [1 - s, 1 + s] of training speech (0: off)
  double sim_room_prob = 0.0;        // on-the-fly: share of training clips reverberated in a simulated room
  std::vector<double> snr_db;        // SNR choices (+inf: clean); empty = the mixer's default list
  std::optional<double> reverb_prob; // share of reverberant clips; none = the mixer's default
  // Mix without DC removal (evaluation): the clips are what a microphone gives, and the enhancer filters them
  // for its features itself. Training mixes DC-removed audio, as the reference does.
  bool raw_audio = false;
  std::uint64_t seed = 1;            // mixing seed
  int threads = 1;                   // for reading the corpus
  // On-the-fly: memory for decoded corpus audio, one budget for all splits. 16-bit audio is kept as int16, so
  // 256 MiB holds about 2 hours; a larger corpus re-decodes the least recently used files when it comes back.
  std::size_t cache_mb = 256;
};
struct TrainingData {
  ClipSet train;
  std::optional<ClipSet> valid;      // none when there is no validation data (or no_valid)
};
// Opens the training (and validation) clips. Throws nnse::Error for missing or mismatched data.
TrainingData open_training_data(const DataChoice& choice, const dsp::FrontendConfig& frontend);
// The clips of one split ("train", "valid", "test"), from shards or, without --data, mixed from the corpus (a fixed
// set: epoch 0). max_clips > 0 keeps only the first clips.
ClipSet open_split_data(const DataChoice& choice, const std::string& split, const dsp::FrontendConfig& frontend,
                        std::size_t max_clips = 0);
// Evaluation over an SNR sweep: the same clips (speech, noise, level) mixed at every SNR of `snrs` (+inf:
// clean input), one after another: snrs.size() x the clips of one SNR. Needs choice.corpus.
ClipSet open_snr_sweep(const DataChoice& choice, const std::string& split, const dsp::FrontendConfig& frontend,
                       const std::vector<double>& snrs, std::size_t max_clips = 0);

// One line per epoch, as `nnse train` prints it.
std::string format_epoch(const EpochReport& report);
// The --profile table of an epoch (several lines, each ending in a newline): CPU seconds per stage, their share,
// and the wall-clock split. Empty when the report was not profiled.
std::string format_profile(const EpochReport& report);

// Statistics of the noisy features of every clip (epoch 0), in clip order (the result does not depend on the
// thread count).
dsp::FeatureStats compute_training_stats(const ClipSet& clips, const dsp::FrontendConfig& config, int threads,
                                         std::int64_t* frames_out = nullptr);

// Runs the whole loop. `valid` may be null. `on_epoch` is called after each epoch's checkpoint is on disk.
// Throws nnse::Error for unusable options, data or checkpoints.
// `on_step`, if given, is called after every training step (for a progress line).
TrainResult train(const TrainOptions& options, const ClipSet& train_clips, const ClipSet* valid_clips,
                  const std::function<void(const EpochReport&)>& on_epoch = {},
                  const std::function<void(const StepProgress&)>& on_step = {});

}  // namespace nnse::train
