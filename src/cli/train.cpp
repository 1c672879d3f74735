// nnse train: the epoch loop (library: nnse/train/trainer.h) over shards written by `nnse data` or over
// mixtures made on the fly from a corpus, with checkpoints that resume exactly (--epoch-loaded).
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "cli/mix_options.h"
#include "cli/model_source.h"
#include "cli/option_checks.h"
#include "cli/subcommand.h"
#include "cli/training_guards.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/export/qat.h"
#include "nnse/model/model_folder.h"
#include "nnse/train/distributed.h"
#include "nnse/train/trainer.h"
#include "nnse/util/error.h"
#include "nnse/util/folder_lock.h"

namespace nnse::cli {
namespace {
namespace fs = std::filesystem;

struct TrainCliOptions {
  std::string nn_arch;
  std::string feat_type = "mel";
  std::string epoch_loaded = "random";
  bool rewind = false;
  bool qat = false;
  train::DataChoice data;
  train::TrainOptions train;
  double progress_seconds = 30.0;
};

void train_here(TrainCliOptions o, train::Processes& processes) {
  const bool writer = processes.rank() == 0;
  o.train.arch_file = o.nn_arch;
  o.train.epoch_loaded = model::EpochSelection::parse(o.epoch_loaded);
  o.train.frontend.feature_type = dsp::feature_type_from_string(o.feat_type);
  o.train.frontend.validate("--feat-type");
  o.data.seed = o.train.seed;
  o.data.threads = o.train.threads;
  if (o.qat) {
    o.train.prepare_model = [](nn::Model& model) {
      deploy::enable_qat(model);
      spdlog::info("quantization-aware training: int8 weights, int16 biases and activations as `nnse convert` "
                   "rounds them (per-tensor formats), straight-through gradients");
    };
  }
  model::require_arch_file(o.nn_arch);
  const train::TrainingData data = train::open_training_data(o.data, o.train.frontend);
  if (!data.valid && !o.data.no_valid) spdlog::warn("no validation data: the valid loss is not measured");
  fit_batch_to_data_and_memory(o.train, data.train.size, processes.size());
  o.train.processes = &processes;
  // One training per model folder at a time: two would interleave checkpoints and loss histories. Over several
  // processes only rank 0 touches the folder.
  const fs::path dir = model::model_dir(o.train.models_dir, o.nn_arch);
  std::optional<FolderLock> lock;
  if (writer) {
    lock.emplace(dir, "another nnse train");
    prepare_resume(dir, o.train.epoch_loaded, o.rewind);
  }
  // Progress goes to stderr, so stdout keeps one line per epoch (and the --profile tables) for logs and scripts.
  train::ProgressLine progress(stderr, ::isatty(STDERR_FILENO) != 0, o.progress_seconds);
  const auto result = train::train(
      o.train, data.train, data.valid ? &*data.valid : nullptr,
      [&progress](const train::EpochReport& e) {
        progress.finish();
        std::printf("%s\n%s", train::format_epoch(e).c_str(), train::format_profile(e).c_str());
        std::fflush(stdout);
      },
      [&progress](const train::StepProgress& p) { progress.update(p); });
  // A diverged run diverged in every process alike (they hold the same weights).
  if (result.status == train::TrainResult::Status::diverged) {
    throw train::CollectiveError(result.model_dir, result.message);
  }
  if (!writer) return;  // rank 0 reports for the job
  if (result.status == train::TrainResult::Status::nothing_to_do) {
    std::printf("%s: %s\n", result.model_dir.c_str(), result.message.c_str());
    return;
  }
  std::printf("%s: trained epochs %d..%d; latest checkpoint %s\n", result.model_dir.c_str(), result.first_epoch,
              result.last_good_epoch, model::checkpoint_path(result.model_dir, result.last_good_epoch).c_str());
}

// `nnse train`, or one process of `mpirun -np N nnse train` (train/distributed.h).
void run_train(const TrainCliOptions& o) {
  const std::unique_ptr<train::Processes> processes = train::open_processes();
  if (processes->size() == 1) return train_here(o, *processes);
  // Only rank 0 logs; the others print errors only (each names its rank).
  if (processes->rank() != 0) spdlog::set_level(spdlog::level::err);
  // Open MPI binds each rank to one core by default for up to 2 ranks (to a socket above): the engine threads
  // would then share it.
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (::sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) < o.train.threads) {
    spdlog::warn("{} may run on {} core(s) but trains with --threads {}; start mpirun with --bind-to none (or "
                 "--map-by node:PE={}) so that each rank's threads get cores of their own",
                 processes->describe(), CPU_COUNT(&cpus), o.train.threads, o.train.threads);
  }
  try {
    train_here(o, *processes);
  } catch (const train::CollectiveError& e) {
    // Every process stopped here alike: rank 0 says why, and all end normally with exit code 1.
    if (processes->rank() == 0) std::fprintf(stderr, "nnse: error: %s\n", e.what());
    throw CLI::RuntimeError(1);
  } catch (const std::exception& e) {
    // A failure in one process (data, disk, a lost peer) would leave the others waiting in their next collective:
    // say which rank failed and why, then end the whole job. Checkpoints are written atomically (util/
    // atomic_file.h), so the model folder keeps its last complete epoch.
    std::fprintf(stderr, "nnse: error (%s): %s\n", processes->describe().c_str(), e.what());
    processes->abort_all(1);
  }
}

void setup_train(CLI::App& parent) {
  auto o = std::make_shared<TrainCliOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "train",
      "Train a model: per epoch a shuffled train pass over chunked clips (state carried across the chunks of a clip), "
      "a validation pass, and a checkpoint in MODELS_DIR/<arch name>/checkpoints/epoch_<N> (+ latest)");
  cmd->add_option(flag("nn-arch"), o->nn_arch, "Model definition (nn_arch text format); names the model folder")
      ->required();
  cmd->add_option(flag("data"), o->data.data,
                  "Shards from `nnse data --out DIR`: trains on DIR/train, validates on DIR/valid when present");
  cmd->add_option(flag("corpus"), o->data.corpus, "Corpus folder to mix from (with --on-the-fly)");
  cmd->add_flag(flag("on-the-fly"), o->data.on_the_fly,
                "Mix new training clips from --corpus every epoch instead of reading shards (validation: the "
                "corpus's valid split, fixed)");
  cmd->add_option(flag("valid-data"), o->data.valid_data, "Validation shards (a `nnse data` folder or a split folder)");
  cmd->add_flag(flag("no-valid"), o->data.no_valid, "Skip the validation pass");
  o->train.epochs = 1000;  // the reference's -n default
  cmd->add_option("-n," + flag("epochs"), o->train.epochs, "Train until this many epochs exist (epochs 0 .. N-1)")
      ->check(finite_in(0, 1e7))
      ->capture_default_str();
  cmd->add_option(flag("epoch-loaded"), o->epoch_loaded,
                  "random: fresh weights from epoch 0; latest or N: resume from that checkpoint at the next epoch (N older "
                  "than the newest epoch needs --rewind)")
      ->capture_default_str();
  cmd->add_flag(flag("rewind"), o->rewind,
                "Allow --epoch-loaded N when later epochs exist: they and loss_history.csv are moved to "
                "checkpoints/rewound-from-epoch-<newest>/ (kept, not deleted) and training continues at N+1");
  cmd->add_option(flag("feat-type"), o->feat_type, "Features: " + dsp::feature_type_help())
      ->check(CLI::IsMember(dsp::feature_type_names()))
      ->capture_default_str();
  std::string loss_list;
  for (const auto& name : train::loss_names()) loss_list += (loss_list.empty() ? "" : ", ") + name;
  cmd->add_option(flag("loss"), o->train.loss.name, "Training loss: " + loss_list +
                  "; or a weighted sum such as \"wsdr+0.5*cmag_mse\"")->capture_default_str();
  cmd->add_option(flag("loss-c"), o->train.loss.c, "Power-law compression exponent c")->check(finite_in(0, 10))->capture_default_str();
  cmd->add_option(flag("loss-a"), o->train.loss.a, "Weight of the complex term in cmix")->check(finite_in(0, 1))->capture_default_str();
  cmd->add_option(flag("loss-eps"), o->train.loss.eps, "Loss guard eps (-1: the loss's default)")
      ->check(finite_in(-1, 1))
      ->capture_default_str();
  cmd->add_option("-b," + flag("batch-size"), o->train.batch_size, "Sequences per step (capped to the number of training clips; refused when the estimated memory does not fit)")
      ->check(finite_in(1, 1e9))
      ->capture_default_str();
  cmd->add_option("-t," + flag("chunk-frames"), o->train.chunk_frames, "Frames per chunk (truncated BPTT length)")
      ->check(finite_in(1, 1e9))
      ->capture_default_str();
  cmd->add_option(flag("lr"), o->train.learning_rate, "Adam learning rate")->check(finite_above(0, 10))->capture_default_str();
  cmd->add_option_function<double>(
         flag("lr-final"), [o](double rate) { o->train.final_learning_rate = rate; },
         "Cosine decay of the learning rate from --lr at epoch --lr-decay-start to this at the last epoch "
         "(--epochs - 1); a function of the epoch, so resumed runs follow it (default: constant --lr)")
      ->check(finite_above(0, 10));
  cmd->add_option(flag("lr-decay-start"), o->train.lr_decay_start,
                  "With --lr-final: the last epoch at --lr, where the decay starts (e.g. the epoch a fine-tune "
                  "resumes from)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  cmd->add_option_function<double>(
         flag("dropout"), [o](double rate) { o->train.dropout = rate; },
         "Every layer's input dropout for this run instead of the arch file's dropprob values, e.g. 0 to finish "
         "a training without dropout (the checkpoints still fit the arch file)")
      ->check(finite_in(0, 0.95));
  cmd->add_option(flag("clip-norm"), o->train.clip_norm, "Global gradient-norm clip (0: off, as the reference)")
      ->check(finite_in(0, 1e9))
      ->capture_default_str();
  cmd->add_option(flag("threads"), o->train.threads, "Training threads")->check(thread_count())->capture_default_str();
  cmd->add_option(flag("seed"), o->train.seed, "Seed of initialization, clip order, dropout and mixing")
      ->capture_default_str();
  cmd->add_option(flag("models-dir"), o->train.models_dir,
                  "Where model folders go (a model folder is locked while a training writes it: a second training "
                  "into it is refused)")
      ->capture_default_str();
  cmd->add_option(flag("max-skipped-steps"), o->train.max_consecutive_skips,
                  "Stop after this many consecutive non-finite steps")
      ->check(finite_in(1, 1e9))
      ->capture_default_str();
  cmd->add_option(flag("prefetch"), o->train.prefetch, "Batches assembled ahead of the engine (0: least memory; more can hide data preparation on spare cores, at up to one more clip per batch slot in memory)")
      ->check(finite_in(0, 64))
      ->capture_default_str();
  cmd->add_option(flag("data-threads"), o->train.data_threads,
                  "Threads reading/mixing and featurizing clips ahead of training (0: the batch thread does it)")
      ->check(finite_in(0, kMaxThreads))
      ->capture_default_str();
  cmd->add_flag(flag("qat"), o->qat,
                "Quantization-aware training: the forward pass uses int8 weights, int16 biases and int16 activations "
                "rounded as `nnse convert` rounds them (per-tensor formats), gradients pass straight through");
  cmd->add_flag(flag("profile"), o->train.profile,
                "After each epoch, print the CPU time per pipeline stage (decode, mixing, reverb, coloration, "
                "features, forward/backward, loss, optimizer, validation, checkpoint) and the wall-clock split");
  cmd->add_option(flag("stats-cache-dir"), o->train.stats_cache_dir,
                  "Where feature statistics are kept by data recipe and front end, so a fresh model on the same data "
                  "skips computing them (default: MODELS_DIR/feature_stats_cache)");
  cmd->add_option(flag("progress-seconds"), o->progress_seconds,
                  "When stderr is not a terminal: a plain progress line every N seconds of an epoch (0: none; on a "
                  "terminal one line is updated in place)")
      ->capture_default_str();
  cmd->add_flag_callback(
      flag("zero-initial-state"), [o] { o->train.random_initial_state = false; },
      "Start each training clip from a zero recurrent state (the reference draws a random one)");
  cmd->add_option(flag("datasize-noise"), o->data.datasize_noise,
                  "With --on-the-fly: speech files per noise type (-1: all)")
      ->capture_default_str();
  cmd->add_option(flag("clip-seconds"), o->data.clip_seconds, "With --on-the-fly: clip length in seconds (at least one 30 ms frame)")
      ->check(clip_seconds())
      ->capture_default_str();
  cmd->add_option(flag("cache-mb"), o->data.cache_mb,
                  "With --on-the-fly: memory for decoded corpus audio (MiB, train and valid together)")
      ->check(finite_in(0, 1 << 24))
      ->capture_default_str();
  cmd->add_option(flag("eq-db"), o->data.eq_db,
                  "With --on-the-fly, augmentation: random peaking-EQ coloration of training speech and noise, each band up to +-N dB (train split only; 0: off)")
      ->check(finite_in(0, 24))
      ->capture_default_str();
  add_mix_options(*cmd, o->data, true);
  cmd->callback([o] { run_train(*o); });
}

const Registration registration{"train", 40, &setup_train};

}  // namespace
}  // namespace nnse::cli
