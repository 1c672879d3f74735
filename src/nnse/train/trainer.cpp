#include "nnse/train/trainer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>

#include <sys/resource.h>

#include "nnse/data/clip_source.h"
#include "nnse/dsp/context.h"
#include "nnse/dsp/stft.h"
#include "nnse/model/model_folder.h"
#include "nnse/nn/model.h"
#include "nnse/train/batcher.h"
#include "nnse/train/distributed.h"
#include "nnse/train/engine.h"
#include "nnse/train/lr_schedule.h"
#include "nnse/train/start_point.h"
#include "nnse/util/error.h"

namespace nnse::train {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
// Peak resident set size of the process (Linux reports ru_maxrss in KiB).
double peak_memory_mib() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0.0;
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double clip_snr(const data::Clip& clip) { return clip.meta.snr_db ? *clip.meta.snr_db : kNaN; }

// Featurizers keep scratch buffers, so each concurrent preparation borrows its own.
class FeaturizerPool {
 public:
  // keep_signals: the clips also keep their time signals (for a loss that reads them, Loss::uses_signals);
  // clean_rows = false: and no clean STFT (a loss that then reads only the signals; without them it has no effect).
  FeaturizerPool(const dsp::FrontendConfig& config, const dsp::FeatureStats& stats, bool keep_signals,
                 bool clean_rows)
      : config_(config), stats_(stats), keep_signals_(keep_signals), clean_rows_(clean_rows) {}
  PreparedClip prepare(const data::Clip& clip) {
    std::unique_ptr<ClipFeaturizer> featurizer;
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        featurizer = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (!featurizer) featurizer = std::make_unique<ClipFeaturizer>(config_, stats_, keep_signals_, clean_rows_);
    PreparedClip prepared = featurizer->prepare(clip.noisy, clip.clean, clip_snr(clip));
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(featurizer));
    return prepared;
  }

 private:
  dsp::FrontendConfig config_;
  dsp::FeatureStats stats_;
  bool keep_signals_ = false, clean_rows_ = true;
  std::mutex mutex_;
  std::vector<std::unique_ptr<ClipFeaturizer>> free_;
};

ClipPreparer make_preparer(const ClipSet& clips, FeaturizerPool& pool) {
  return [&clips, &pool](std::size_t index, int epoch) { return pool.prepare(clips.get(index, epoch)); };
}

// The loss callback for one batch: each engine thread evaluates its range of sequences against the batch totals.
class BatchLoss {
 public:
  explicit BatchLoss(const Loss& loss) : loss_(loss) {}
  // `stage`: where --profile charges the loss (training loss, or part of the validation pass).
  void set_batch(const Batch& batch, profile::Stage stage) {
    batch_ = &batch;
    stage_ = stage;
    active_ = batch.whole.busy;  // of every process's slots: losses normalize by the whole batch
    const auto sequences = static_cast<std::size_t>(batch.sequences);
    noisy_.resize(sequences);
    clean_.resize(sequences);
    noisy_signal_.resize(sequences);
    clean_signal_.resize(sequences);
    signals_ = true;  // every busy slot's clip kept its time signals
    for (int s = 0; s < batch.sequences; ++s) {
      const auto i = static_cast<std::size_t>(s);
      noisy_[i] = batch.noisy(s);
      clean_[i] = batch.clean(s);
      noisy_signal_[i] = batch.noisy_signal(s);
      clean_signal_[i] = batch.clean_signal(s);
      if (noisy_[i] && !noisy_signal_[i]) signals_ = false;
    }
  }
  LossFn function() {
    return [this](int first, int count, const float* output, float* grad) {
      const profile::Scope scope(stage_);
      const Batch& b = *batch_;
      const auto frames = static_cast<std::size_t>(b.frames);
      LossBatch lb;
      lb.sequences = count;
      lb.frames = b.frames;
      lb.bins = b.bins;
      lb.noisy = noisy_.data() + first;
      lb.clean = clean_.data() + first;
      lb.gain = output;
      lb.valid = b.valid.data() + static_cast<std::size_t>(first) * frames;
      lb.total_valid_frames = static_cast<double>(b.whole.valid_frames);
      lb.total_sequences = active_;
      if (signals_) {
        lb.noisy_signal = noisy_signal_.data() + first;
        lb.clean_signal = clean_signal_.data() + first;
      }
      return loss_.evaluate(lb, grad);
    };
  }

 private:
  const Loss& loss_;
  const Batch* batch_ = nullptr;
  profile::Stage stage_ = profile::Stage::loss;
  int active_ = 0;
  std::vector<const std::complex<float>*> noisy_, clean_;  // [sequences] the batch's spectrum rows
  std::vector<const float*> noisy_signal_, clean_signal_;  // [sequences] their time signals, if the clips keep them
  bool signals_ = false;
};

ChunkInput chunk_input(const Batch& batch) {
  ChunkInput input;
  input.sequences = batch.sequences;
  input.frames = batch.frames;
  input.input_dim = batch.feature_dim;
  input.features = batch.features.data();
  input.valid = batch.valid.data();
  input.new_clip = batch.new_clip.data();
  return input;
}

// Steps of an epoch, estimated from its first batch before one epoch has run: every clip as long as the first
// batch's clips, cut into chunks, in rounds of one clip per slot.
std::int64_t estimate_steps(const Batch& first, std::size_t clip_count) {
  int frames = 0;
  for (const auto& clip : first.clips) {
    if (clip) frames = std::max(frames, clip->frames);
  }
  const auto slots = static_cast<std::size_t>(first.whole.sequences);
  if (frames <= 0 || first.frames <= 0 || slots == 0) return 0;
  const std::int64_t chunks = (frames + first.frames - 1) / first.frames;
  const auto rounds = static_cast<std::int64_t>((clip_count + slots - 1) / slots);
  return chunks * rounds;
}

// This process's part of every batch: slots [first, first + count) of options.batch_size (count 0: all).
struct SlotRange {
  int first = 0, count = 0;
};

SlotRange slot_range(const Processes& processes, int batch_size) {
  const int n = processes.size();
  if (n == 1) return {};
  if (batch_size % n != 0) {
    throw CollectiveError("--batch-size", fmt::format("{} sequences do not split evenly over the {} processes of this mpirun; "
                                            "use a multiple of {} (each process trains batch-size / {} of them)",
                                                      batch_size, n, n, n));
  }
  return {processes.rank() * (batch_size / n), batch_size / n};
}

LrSchedule learning_rate_schedule(const TrainOptions& options) {
  LrSchedule schedule;
  schedule.initial = options.learning_rate;
  schedule.final = options.final_learning_rate;
  schedule.decay_start = options.lr_decay_start;
  schedule.last_epoch = options.epochs - 1;
  schedule.validate();
  return schedule;
}

EngineOptions engine_options(const TrainOptions& options, const dsp::FeatureStats& stats, Processes& processes,
                             SlotRange range) {
  EngineOptions engine;
  engine.first_slot = range.first;
  if (processes.size() > 1) {
    engine.process_sum = [&processes](std::span<float> gradient, std::span<double> loss) {
      processes.sum(gradient);
      processes.sum(loss);
    };
  }
  engine.threads = options.threads;
  engine.seed = options.seed;
  engine.adam.learning_rate = options.learning_rate;
  engine.clip_norm = options.clip_norm;
  engine.random_initial_state = options.random_initial_state;
  engine.pad_frame = dsp::context_fill_frame(options.frontend, &stats);
  return engine;
}

BatcherOptions batcher_options(const TrainOptions& options, SlotRange range, const ClipSet& clips) {
  BatcherOptions batch;
  if (range.count > 0) {
    if (clips.clip_samples == 0)
      throw Error(clips.description, "training over several processes needs clips of one known length");
    batch.first_slot = range.first;
    batch.slot_count = range.count;
    batch.clip_frames = dsp::stft_frame_count(clips.clip_samples, options.frontend);
    batch.feature_dim = options.frontend.feature_dim();
    batch.bins = options.frontend.bins();
  }
  batch.batch_size = options.batch_size;
  batch.chunk_frames = options.chunk_frames;
  batch.seed = options.seed;
  batch.prefetch = options.prefetch;
  batch.prepare_threads = options.data_threads;
  batch.shuffle = true;
  return batch;
}

// The passes of one epoch over the parts that live as long as the run.
struct EpochPasses {
  const TrainOptions& options;
  Engine& engine;
  BatchLoss& batch_loss;
  const LossFn& loss_fn;
  Batcher& train_batcher;
  Batcher* valid_batcher;       // nullptr: no validation set
  std::size_t train_clip_count;
  Processes& processes;
  std::int64_t last_epoch_steps = 0;  // the step count of an epoch is known exactly once one has run

  // The training pass: fills the report's step, frame and loss figures. Returns an empty string, or why training
  // diverged.
  std::string train(int epoch, Clock::time_point epoch_start, EpochReport& report,
                    const std::function<void(const StepProgress&)>& on_step) {
    StepProgress progress;
    progress.epoch = epoch;
    progress.total_steps = last_epoch_steps;
    progress.total_exact = last_epoch_steps > 0;
    if (train_batcher.epoch() != epoch) train_batcher.start_epoch(epoch);
    double loss_sum = 0.0;
    std::int64_t consecutive_skips = 0;
    while (auto batch = train_batcher.next()) {
      if (progress.total_steps == 0) progress.total_steps = estimate_steps(*batch, train_clip_count);
      batch_loss.set_batch(*batch, profile::Stage::loss);
      const StepResult step = engine.train_step(chunk_input(*batch), loss_fn);
      ++report.steps;
      if (step.skipped) {
        ++report.skipped_steps;
        if (++consecutive_skips >= options.max_consecutive_skips) {
          return fmt::format(
              "training diverged: {} consecutive steps with a non-finite loss or gradient in epoch {} (step {}); "
              "stopped without saving this epoch",
              consecutive_skips, epoch, report.steps);
        }
      } else {
        consecutive_skips = 0;
        loss_sum += step.loss * static_cast<double>(batch->whole.valid_frames);
        report.frames += batch->whole.valid_frames;
      }
      progress.frames += batch->whole.valid_frames;
      train_batcher.recycle(std::move(batch));
      if (on_step) {
        progress.steps = report.steps;
        progress.total_steps = std::max(progress.total_steps, progress.steps);
        progress.seconds = seconds_since(epoch_start);
        progress.data_wait_seconds = train_batcher.wait_seconds();
        on_step(progress);
      }
    }
    last_epoch_steps = report.steps;
    const double train_seconds = seconds_since(epoch_start);
    report.train_seconds = train_seconds;
    report.data_wait_seconds = train_batcher.wait_seconds();
    report.train_loss = report.frames > 0 ? loss_sum / static_cast<double>(report.frames) : kNaN;
    report.data_wait_share = train_seconds > 0 ? train_batcher.wait_seconds() / train_seconds : 0.0;
    return {};
  }

  // The validation pass: fixed clips (epoch 0 of the source), natural order, no dropout, zero initial state.
  // NaN without a validation set. (The next epoch's batches start after it, not during it: the train and valid
  // batchers each hold a batch worth of whole clips, and both at once would double the pipeline's peak memory.)
  double validate() {
    if (!valid_batcher) return kNaN;
    valid_batcher->start_epoch(0);
    double valid_sum = 0.0;
    std::int64_t valid_frames = 0;
    while (auto batch = valid_batcher->next()) {
      batch_loss.set_batch(*batch, profile::Stage::validation);
      // With several processes each evaluates its share of the whole batch's loss (normalized by the whole batch);
      // the shares are summed per batch as in training, so the valid loss adds up as in one process.
      double batch_loss_value = engine.evaluate(chunk_input(*batch), loss_fn);
      processes.sum(std::span<double>(&batch_loss_value, 1));
      valid_sum += batch_loss_value * static_cast<double>(batch->whole.valid_frames);
      valid_frames += batch->whole.valid_frames;
      valid_batcher->recycle(std::move(batch));
    }
    return valid_frames > 0 ? valid_sum / static_cast<double>(valid_frames) : kNaN;
  }
};

}  // namespace

TrainResult train(const TrainOptions& options, const ClipSet& train_clips, const ClipSet* valid_clips,
                  const std::function<void(const EpochReport&)>& on_epoch,
                  const std::function<void(const StepProgress&)>& on_step) {
  const dsp::FrontendConfig& frontend = options.frontend;
  frontend.validate("front-end config");
  if (options.epochs < 0) throw Error("--epochs", "must not be negative");
  if (options.max_consecutive_skips < 1) throw Error("max consecutive skipped steps must be at least 1");
  if (train_clips.size == 0) throw Error(train_clips.description, "no training clips");
  const LrSchedule lr_schedule = learning_rate_schedule(options);  // validated before any work
  nn::Model model = build_model(options);
  const auto loss = make_loss(options.loss, frontend);
  const std::unique_ptr<Processes> one = options.processes ? nullptr : single_process();
  Processes& processes = options.processes ? *options.processes : *one;
  // Only rank 0 reads and writes the model folder (it may be on rank 0's machine only); the others receive the
  // start epoch, statistics, weights and optimizer state from it.
  const bool writer = processes.rank() == 0;
  const SlotRange range = slot_range(processes, options.batch_size);

  TrainResult result;
  result.model_dir = model::model_dir(options.models_dir, options.arch_file);
  const fs::path& dir = result.model_dir;
  check_same_job(processes, options, model, train_clips, valid_clips && valid_clips->size > 0 ? valid_clips : nullptr);
  StartPoint start;
  if (writer) start = resume_or_start(options, train_clips, model, dir);
  share_start(processes, start);
  result.first_epoch = start.epoch;
  result.last_good_epoch = start.epoch - 1;
  if (start.epoch >= options.epochs) {
    result.status = TrainResult::Status::nothing_to_do;
    result.message = fmt::format("epoch {} is already trained; --epochs {} asks for nothing more", start.epoch - 1,
                                 options.epochs);
    return result;
  }

  if (options.prepare_model) options.prepare_model(model);
  Engine engine(model, engine_options(options, start.stats, processes, range));
  if (writer) restore_optimizer(engine, start, model);
  share_training_state(processes, model, engine);

  FeaturizerPool featurizers(frontend, start.stats, loss->uses_signals(), loss->reads_clean_rows_with_signals());
  const BatcherOptions batch_options = batcher_options(options, range, train_clips);
  Batcher train_batcher(train_clips.size, make_preparer(train_clips, featurizers), batch_options);
  std::unique_ptr<Batcher> valid_batcher;
  if (valid_clips && valid_clips->size > 0) {
    BatcherOptions valid_options = batcher_options(options, range, *valid_clips);
    valid_options.shuffle = false;
    valid_batcher = std::make_unique<Batcher>(valid_clips->size, make_preparer(*valid_clips, featurizers),
                                              valid_options);
  }
  spdlog::info("training {} ({} parameters) on {} clips, {} validation clips; loss {}; epochs {}..{}",
               model::model_name_from_arch(options.arch_file), model.parameter_count(), train_clips.size,
               valid_batcher ? valid_clips->size : 0, loss->describe(), start.epoch, options.epochs - 1);
  if (processes.size() > 1 && writer) {
    spdlog::info("data parallel over {} processes: {} sequences per process and step (batch {}), gradients summed "
                 "in rank order", processes.size(), range.count, options.batch_size);
  }

  if (options.final_learning_rate) spdlog::info("{}", lr_schedule.describe());
  BatchLoss batch_loss(*loss);
  const LossFn loss_fn = batch_loss.function();
  EpochPasses passes{options,       engine, batch_loss, loss_fn, train_batcher, valid_batcher.get(),
                     train_clips.size, processes};
  if (options.profile) profile::set_enabled(true);
  for (int epoch = start.epoch; epoch < options.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    const profile::Totals profile_start = profile::totals();
    EpochReport report;
    report.epoch = epoch;
    engine.set_learning_rate(lr_schedule.at(epoch));
    result.message = passes.train(epoch, epoch_start, report, writer ? on_step : nullptr);
    if (!result.message.empty()) {
      result.status = TrainResult::Status::diverged;
      break;
    }
    report.valid_loss = passes.validate();
    report.valid_seconds = seconds_since(epoch_start) - report.train_seconds;
    engine.reset_state();
    if (!std::isfinite(report.train_loss) || (valid_batcher && !std::isfinite(report.valid_loss))) {
      result.status = TrainResult::Status::diverged;
      result.message = fmt::format(
          "training diverged: epoch {} ended with a non-finite loss (train {}, valid {}; {} of {} steps skipped); "
          "stopped without saving this epoch",
          epoch, report.train_loss, report.valid_loss, report.skipped_steps, report.steps);
      break;
    }

    const auto checkpoint_start = Clock::now();
    start.train_history.push_back(report.train_loss);
    start.valid_history.push_back(report.valid_loss);
    check_same_weights(processes, model, engine, epoch);
    if (writer) report.checkpoint = save_epoch(options, dir, epoch, model, engine, start);
    result.last_good_epoch = epoch;
    report.checkpoint_seconds = seconds_since(checkpoint_start);
    report.seconds = seconds_since(epoch_start);
    report.profiled = options.profile;
    if (options.profile) report.profile = profile::totals() - profile_start;
    report.peak_memory_mib = peak_memory_mib();
    result.epochs.push_back(report);
    if (on_epoch && writer) on_epoch(report);
  }
  if (result.status == TrainResult::Status::diverged) {
    result.message += result.last_good_epoch >= 0
                          ? fmt::format("; the last good checkpoint is {}",
                                        model::checkpoint_path(dir, result.last_good_epoch).string())
                          : std::string("; no checkpoint was written");
  }
  return result;
}

}  // namespace nnse::train
