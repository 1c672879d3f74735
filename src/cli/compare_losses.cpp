// nnse compare-losses (issue 6): train one model per loss with the same arch, data, seed and budget, evaluate each
// on the same held-out split, and write loss_comparison.md / .csv / .png. Re-running the same command continues
// unfinished runs from their checkpoints; runs that diverge are reported, not hidden.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include "cli/model_source.h"
#include "cli/option_checks.h"
#include "cli/subcommand.h"
#include "cli/training_guards.h"
#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/eval/loss_comparison.h"
#include "nnse/model/checkpoint.h"
#include "nnse/model/model_folder.h"
#include "nnse/train/trainer.h"
#include "nnse/train/training_stats.h"
#include "nnse/util/error.h"
#include "nnse/util/folder_lock.h"

namespace nnse::cli {
namespace {
namespace fs = std::filesystem;

struct CompareOptions {
  std::string nn_arch;
  std::string losses = "all";
  std::string out = "loss_comparison";
  std::string models_dir;  // default OUT/models
  std::string feat_type = "mel";
  std::string split = "test";
  std::size_t max_eval_clips = 0;
  std::string pesq_cmd;
  train::DataChoice data;
  train::TrainOptions train;
};

std::vector<std::string> parse_losses(const std::string& text) {
  if (text == "all") return train::loss_names();
  std::vector<std::string> names;
  std::stringstream in(text);
  std::string name;
  const auto known = train::loss_names();
  while (std::getline(in, name, ',')) {
    if (name.empty()) continue;
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw Error("--losses", "unknown loss '" + name + "' (valid: all, or a comma list of " + list + ")");
    }
    names.push_back(name);
  }
  if (names.empty()) throw Error("--losses", "no loss given");
  return names;
}

// The command line that reproduces this comparison, every setting spelled out.
std::string command_line(const CompareOptions& o) {
  std::string cmd = fmt::format("nnse compare-losses --nn-arch {} --losses {} --epochs {}", o.nn_arch, o.losses,
                                o.train.epochs);
  if (!o.data.data.empty()) cmd += " --data " + o.data.data.string();
  if (o.data.on_the_fly) {
    cmd += fmt::format(" --corpus {} --on-the-fly --datasize-noise {} --clip-seconds {}", o.data.corpus.string(),
                       o.data.datasize_noise, o.data.clip_seconds);
    if (o.data.eq_db > 0) cmd += fmt::format(" --eq-db {}", o.data.eq_db);
  } else if (!o.data.corpus.empty()) {
    cmd += " --corpus " + o.data.corpus.string();
  }
  if (!o.data.valid_data.empty()) cmd += " --valid-data " + o.data.valid_data.string();
  if (o.data.no_valid) cmd += " --no-valid";
  cmd += fmt::format(" --feat-type {} --batch-size {} --chunk-frames {} --lr {} --loss-c {} --loss-a {} --seed {} "
                     "--threads {} --split {} --out {}",
                     o.feat_type, o.train.batch_size, o.train.chunk_frames, o.train.learning_rate, o.train.loss.c,
                     o.train.loss.a, o.train.seed, o.train.threads, o.split, o.out);
  if (o.train.clip_norm > 0) cmd += fmt::format(" --clip-norm {}", o.train.clip_norm);
  if (o.max_eval_clips > 0) cmd += fmt::format(" --max-eval-clips {}", o.max_eval_clips);
  if (!o.pesq_cmd.empty()) cmd += " --pesq-cmd '" + o.pesq_cmd + "'";
  return cmd;
}

void run_compare(CompareOptions o) {
  const auto losses = parse_losses(o.losses);
  o.train.frontend.feature_type = dsp::feature_type_from_string(o.feat_type);
  o.train.frontend.validate("--feat-type");
  o.train.arch_file = o.nn_arch;
  o.data.seed = o.train.seed;
  o.data.threads = o.train.threads;
  const fs::path out = o.out;
  const fs::path models = o.models_dir.empty() ? out / "models" : fs::path(o.models_dir);
  for (const auto& name : losses) {  // fail early on a bad knob, not after hours of training
    train::LossConfig config = o.train.loss;
    config.name = name;
    train::make_loss(config, o.train.frontend);
  }

  model::require_arch_file(o.nn_arch);
  const train::TrainingData data = train::open_training_data(o.data, o.train.frontend);
  fit_batch_to_data_and_memory(o.train, data.train.size);
  const train::ClipSet eval_clips = train::open_split_data(o.data, o.split, o.train.frontend, o.max_eval_clips);

  // The statistics depend only on the training data: compute them once and give every run the same file.
  std::optional<dsp::FeatureStats> stats;
  std::int64_t stats_frames = 0;

  eval::LossComparison comparison;
  comparison.command = command_line(o);
  comparison.budget = {{"arch", o.nn_arch},
                       {"epochs", o.train.epochs},
                       {"batch_size", o.train.batch_size},
                       {"chunk_frames", o.train.chunk_frames},
                       {"learning_rate", o.train.learning_rate},
                       {"loss_c", o.train.loss.c},
                       {"loss_a", o.train.loss.a},
                       {"seed", o.train.seed},
                       {"threads", o.train.threads},
                       {"train_data", data.train.description},
                       {"train_clips", data.train.size},
                       {"valid_data", data.valid ? data.valid->description : "none"},
                       {"eval_data", eval_clips.description},
                       {"eval_clips", eval_clips.size}};

  for (const auto& name : losses) {
    eval::LossRun run;
    run.loss = name;
    train::TrainOptions options = o.train;
    options.loss.name = name;
    options.models_dir = models / name;
    run.describe = train::make_loss(options.loss, options.frontend)->describe();
    const fs::path dir = model::model_dir(options.models_dir, options.arch_file);
    options.epoch_loaded = model::EpochSelection::parse(model::latest_epoch(dir) ? "latest" : "random");
    std::printf("== %s (%s)\n", name.c_str(), run.describe.c_str());
    std::fflush(stdout);
    const auto start = std::chrono::steady_clock::now();
    try {
      const FolderLock lock(dir, "another nnse train");  // one training per model folder at a time
      if (!fs::exists(dir / "feature_stats.json") && !model::latest_epoch(dir)) {
        if (!stats) stats = train::compute_training_stats(data.train, options.frontend, options.threads, &stats_frames);
        dsp::save_feature_stats(dir / "feature_stats.json", *stats, options.frontend, stats_frames);
      }
      const auto result = train::train(options, data.train, data.valid ? &*data.valid : nullptr,
                                       [](const train::EpochReport& e) {
                                         std::printf("  %s\n", train::format_epoch(e).c_str());
                                         std::fflush(stdout);
                                       });
      if (result.status == train::TrainResult::Status::diverged) {
        run.status = eval::LossRun::Status::diverged;
        run.message = result.message;
        std::printf("  %s\n", result.message.c_str());
      }
    } catch (const Error& e) {
      run.status = eval::LossRun::Status::failed;
      run.message = e.what();
      spdlog::error("{}: {}", name, e.what());
    }
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    if (const auto last = model::latest_epoch(dir)) {
      const fs::path file = model::checkpoint_path(dir, *last);
      try {
        const model::Checkpoint checkpoint = model::load_checkpoint(file);
        run.epochs = checkpoint.epoch + 1;
        run.train_loss = checkpoint.train_loss.back();
        run.valid_loss = checkpoint.valid_loss.back();
        model::TrainedModel trained = model::TrainedModel::from_checkpoint(file);
        eval::EvalOptions eval_options;
        eval_options.threads = o.train.threads;
        eval_options.input_dc_removed = eval_clips.dc_removed;
        eval_options.metric_options.pesq_command = o.pesq_cmd;
        run.eval = eval::evaluate_clips(trained.model, trained.frontend, trained.stats, eval_clips, eval_options);
        const auto& si = run.eval->groups.front().metrics.front();
        std::printf("  evaluated epoch %d on %zu clips: SI-SDR %.2f dB (%+.2f over noisy)\n", checkpoint.epoch,
                    eval_clips.size, si.enhanced, si.improvement());
      } catch (const Error& e) {
        run.status = eval::LossRun::Status::failed;
        run.message = e.what();
        spdlog::error("{}: {}", name, e.what());
      }
    }
    comparison.runs.push_back(std::move(run));
    // Written after every run, so a long comparison shows its progress and survives an interruption.
    eval::write_loss_comparison(out, comparison);
  }
  const std::string md = eval::write_loss_comparison(out, comparison);
  std::printf("\n%s\nwrote %s, %s, %s\n", md.c_str(), (out / "loss_comparison.md").c_str(),
              (out / "loss_comparison.csv").c_str(), (out / "loss_comparison.png").c_str());
}

void setup_compare(CLI::App& parent) {
  auto o = std::make_shared<CompareOptions>();
  o->train.epochs = 10;
  CLI::App* cmd = parent.add_subcommand(
      "compare-losses",
      "Train one model per loss (same arch, data, seed and budget), evaluate each on a held-out split, and write "
      "loss_comparison.md / .csv / .png. Re-running continues unfinished runs");
  cmd->add_option(flag("nn-arch"), o->nn_arch, "Model definition (nn_arch text format)")->required();
  std::string loss_list;
  for (const auto& name : train::loss_names()) loss_list += (loss_list.empty() ? "" : ",") + name;
  cmd->add_option(flag("losses"), o->losses, "all, or a comma list of: " + loss_list)->capture_default_str();
  cmd->add_option("-n," + flag("epochs"), o->train.epochs, "Epochs per loss (the training budget)")
      ->capture_default_str();
  cmd->add_option(flag("data"), o->data.data, "Shards from `nnse data --out DIR` (train, valid, and the eval split)");
  cmd->add_option(flag("corpus"), o->data.corpus, "Corpus to mix from (with --on-the-fly; also the eval split)");
  cmd->add_flag(flag("on-the-fly"), o->data.on_the_fly, "Mix new training clips every epoch");
  cmd->add_option(flag("valid-data"), o->data.valid_data, "Validation shards");
  cmd->add_flag(flag("no-valid"), o->data.no_valid, "Skip validation passes");
  cmd->add_option(flag("datasize-noise"), o->data.datasize_noise, "With --corpus: speech files per noise type")
      ->capture_default_str();
  cmd->add_option(flag("clip-seconds"), o->data.clip_seconds, "With --corpus: clip length in seconds (at least one 30 ms frame)")
      ->check(clip_seconds())
      ->capture_default_str();
  cmd->add_option(flag("eq-db"), o->data.eq_db, "With --on-the-fly, augmentation: random peaking-EQ coloration of training speech and noise, each band up to +-N dB (train split only; 0: off)")
      ->capture_default_str();
  cmd->add_option(flag("split"), o->split, "Split to evaluate on")
      ->check(CLI::IsMember({"valid", "test"}))
      ->capture_default_str();
  cmd->add_option(flag("max-eval-clips"), o->max_eval_clips, "Evaluate on the first N clips only (0: all)");
  cmd->add_option(flag("pesq-cmd"), o->pesq_cmd, "External PESQ command template (see nnse eval)");
  cmd->add_option(flag("out"), o->out, "Output folder for the report (and models/ unless --models-dir)")
      ->capture_default_str();
  cmd->add_option(flag("models-dir"), o->models_dir, "Where the per-loss model folders go (default OUT/models)");
  cmd->add_option(flag("feat-type"), o->feat_type, "Features: " + dsp::feature_type_help())
      ->check(CLI::IsMember(dsp::feature_type_names()))
      ->capture_default_str();
  cmd->add_option(flag("loss-c"), o->train.loss.c, "Compression exponent c for the losses that use it")
      ->capture_default_str();
  cmd->add_option(flag("loss-a"), o->train.loss.a, "Complex-term weight a of cmix")->capture_default_str();
  cmd->add_option("-b," + flag("batch-size"), o->train.batch_size, "Sequences per step")->check(finite_in(1, 1e9))->capture_default_str();
  cmd->add_option("-t," + flag("chunk-frames"), o->train.chunk_frames, "Frames per chunk")->check(finite_in(1, 1e9))->capture_default_str();
  cmd->add_option(flag("lr"), o->train.learning_rate, "Adam learning rate")->check(finite_above(0, 10))->capture_default_str();
  cmd->add_option(flag("clip-norm"), o->train.clip_norm, "Global gradient-norm clip (0: off)")->check(finite_in(0, 1e9))->capture_default_str();
  cmd->add_option(flag("threads"), o->train.threads, "Threads")->check(thread_count())->capture_default_str();
  cmd->add_option(flag("seed"), o->train.seed, "Seed (initialization, order, dropout, mixing)")->capture_default_str();
  cmd->callback([o] { run_compare(*o); });
}

const Registration registration{"compare-losses", 55, &setup_compare};

}  // namespace
}  // namespace nnse::cli
