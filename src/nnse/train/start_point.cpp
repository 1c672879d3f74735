#include "nnse/train/start_point.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <limits>

#include "nnse/model/checkpoint_match.h"
#include "nnse/model/model_folder.h"
#include "nnse/nn/arch.h"
#include "nnse/train/adam.h"
#include "nnse/train/loss_history.h"
#include "nnse/train/training_stats.h"
#include "nnse/util/error.h"
#include "nnse/util/stage_profile.h"

namespace nnse::train {
namespace fs = std::filesystem;

nlohmann::json loss_json(const LossConfig& loss) {
  return {{"name", loss.name}, {"c", loss.c}, {"a", loss.a}, {"eps", loss.eps}};
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

nlohmann::json options_json(const TrainOptions& o) {
  return {{"seed", o.seed},
          {"batch_size", o.batch_size},
          {"chunk_frames", o.chunk_frames},
          {"learning_rate", o.learning_rate},
          {"clip_norm", o.clip_norm},
          {"threads", o.threads},
          {"data_threads", o.data_threads},
          {"random_initial_state", o.random_initial_state}};
}

nlohmann::json options_json_with_processes(const TrainOptions& o) {
  nlohmann::json json = options_json(o);
  // Recorded only when on, so checkpoints of constant-rate runs stay as they were.
  if (o.final_learning_rate) {
    json["final_learning_rate"] = *o.final_learning_rate;
    json["lr_decay_start"] = o.lr_decay_start;
  }
  if (o.dropout) json["dropout"] = *o.dropout;
  // Recorded only for a run over several processes, so a one-process checkpoint stays as it was.
  if (o.processes && o.processes->size() > 1) json["processes"] = o.processes->size();
  return json;
}

}  // namespace

// The model of options.arch_file, checked against the front end it will be trained with.
nn::Model build_model(const TrainOptions& options) {
  const dsp::FrontendConfig& frontend = options.frontend;
  nn::Arch arch = nn::load_arch_file(options.arch_file);
  if (options.dropout) {
    for (auto& layer : arch.layers) layer.input_dropout = *options.dropout;
  }
  nn::Model model(arch, options.seed);
  if (model.input_dim() != frontend.feature_dim()) {
    throw Error(options.arch_file, fmt::format("input_neurons is {} but the {} front end gives {} features per frame",
                                               model.input_dim(), dsp::to_string(frontend.feature_type),
                                               frontend.feature_dim()));
  }
  if (model.output_dim() != frontend.bins()) {
    throw Error(options.arch_file, fmt::format("the last layer has {} outputs; a gain per STFT bin needs {} "
                                               "(len_filter > 1 is not supported for training)",
                                               model.output_dim(), frontend.bins()));
  }
  return model;
}

StartPoint resume_or_start(const TrainOptions& options, const ClipSet& train_clips, nn::Model& model,
                           const fs::path& dir) {
  const dsp::FrontendConfig& frontend = options.frontend;
  StartPoint start;
  start.checkpoint_file = model::resolve_checkpoint(dir, options.epoch_loaded);
  if (start.checkpoint_file) {
    const fs::path& file = *start.checkpoint_file;
    model::Checkpoint& resumed = start.resumed;
    resumed = model::load_checkpoint(file);
    model::check_compatible(resumed, file, model.arch_text(), frontend);
    model::restore_parameters(resumed, file, model.parameters());
    start.stats.mean = resumed.feature_mean;
    start.stats.inv_std = resumed.feature_inv_std;
    if (start.stats.dim() != frontend.feature_dim()) {
      throw Error(file, fmt::format("feature stats have {} bands, expected {}", start.stats.dim(),
                                    frontend.feature_dim()));
    }
    start.train_history = resumed.train_loss;
    start.valid_history = resumed.valid_loss;
    start.train_history.resize(static_cast<std::size_t>(resumed.epoch) + 1, kNaN);
    start.valid_history.resize(static_cast<std::size_t>(resumed.epoch) + 1, kNaN);
    start.epoch = resumed.epoch + 1;
    if (resumed.loss_config != loss_json(options.loss)) {
      spdlog::warn("{}: trained so far with loss {}, continuing with {}", file.string(), resumed.loss_config.dump(),
                   loss_json(options.loss).dump());
    }
    spdlog::info("resuming from {} (epoch {}), next epoch {}", file.string(), resumed.epoch, start.epoch);
    return start;
  }
  if (const auto previous = model::latest_epoch(dir)) {
    spdlog::warn("{}: starting afresh (--epoch-loaded random) over checkpoints up to epoch {}; each is replaced "
                 "when this run reaches it", model::checkpoint_dir(dir).string(), *previous);
  }
  const fs::path stats_file = dir / "feature_stats.json";
  if (fs::exists(stats_file)) {
    start.stats = dsp::load_feature_stats(stats_file, &frontend);
    spdlog::info("{}: reusing feature statistics (delete the file to recompute them)", stats_file.string());
  } else {
    start.stats = training_stats(options, train_clips, stats_file);
  }
  return start;
}

// A resumed run continues the checkpoint's optimizer (a checkpoint without moments restarts them at its step).
void restore_optimizer(Engine& engine, const StartPoint& start, const nn::Model& model) {
  if (!start.checkpoint_file) return;
  if (start.resumed.adam.first_moment.empty()) {
    engine.adam_state() = make_adam_state(model.parameters());
    engine.adam_state().step = start.resumed.adam.step;
  } else {
    check_adam_state(start.resumed.adam, model.parameters(), start.checkpoint_file->string());
    engine.adam_state() = start.resumed.adam;
  }
  engine.set_rng_state(start.resumed.rng_state);
}

// Writes the epoch's checkpoint and the loss history beside it; returns the checkpoint's path.
fs::path save_epoch(const TrainOptions& options, const fs::path& dir, int epoch, const nn::Model& model,
                    const Engine& engine, const StartPoint& start) {
  const profile::Scope checkpoint_scope(profile::Stage::checkpoint);
  model::Checkpoint checkpoint;
  checkpoint.epoch = epoch;
  checkpoint.arch_text = model.arch_text();
  checkpoint.frontend = options.frontend;
  checkpoint.loss_config = loss_json(options.loss);
  checkpoint.options = options_json_with_processes(options);
  checkpoint.feature_mean = start.stats.mean;
  checkpoint.feature_inv_std = start.stats.inv_std;
  checkpoint.parameters = model.parameters();
  checkpoint.adam = engine.adam_state();
  checkpoint.rng_state = engine.rng_state();
  checkpoint.train_loss = start.train_history;
  checkpoint.valid_loss = start.valid_history;
  const fs::path file = model::save_checkpoint(dir, checkpoint);
  write_history(dir, start.train_history, start.valid_history);
  return file;
}

void check_same_job(Processes& processes, const TrainOptions& options, const nn::Model& model,
                    const ClipSet& train_clips, const ClipSet* valid_clips) {
  if (processes.size() == 1) return;
  auto clips = [](const ClipSet* set) {
    return set ? nlohmann::json{{"size", set->size}, {"clip_samples", set->clip_samples}, {"recipe", set->recipe}}
               : nlohmann::json();
  };
  nlohmann::json settings = options_json(options);
  // Thread counts may differ between machines of different sizes: they change no rank's share of the batch.
  settings.erase("threads");
  settings.erase("data_threads");
  const nlohmann::json job = {{"arch", model.arch_text()},     {"options", settings},
                              {"loss", loss_json(options.loss)}, {"epochs", options.epochs},
                              {"train", clips(&train_clips)},   {"valid", clips(valid_clips)}};
  const std::string text = job.dump();
  const std::uint64_t hash = hash_bytes(kHashStart, std::as_bytes(std::span<const char>(text)));
  const std::uint64_t mine[2] = {hash, train_clips.size};
  const auto all = processes.gather_all(std::as_bytes(std::span<const std::uint64_t>(mine)));
  std::vector<std::uint64_t> values(all.size() / sizeof(std::uint64_t));
  std::memcpy(values.data(), all.data(), all.size());
  for (std::size_t r = 1; r < static_cast<std::size_t>(processes.size()); ++r) {
    if (values[2 * r] == values[0]) continue;
    throw CollectiveError(fmt::format("rank {} does not see the job rank 0 sees (its training clips: {}, rank 0's: {}; or the "
                            "arch file, the options or the data recipe differ): every process needs the same data "
                            "at the same path and the same nnse",
                            r, values[2 * r + 1], values[1]));
  }
}

void share_start(Processes& processes, StartPoint& start) {
  if (processes.size() == 1) return;
  std::int64_t epoch = start.epoch;
  broadcast_int64(processes, epoch);
  start.epoch = static_cast<int>(epoch);
  broadcast_floats(processes, start.stats.mean);
  broadcast_floats(processes, start.stats.inv_std);
}

namespace {

void broadcast_vector(Processes& processes, Eigen::VectorXf& values) {
  processes.broadcast(std::as_writable_bytes(std::span<float>(values.data(), static_cast<std::size_t>(values.size()))));
}

}  // namespace

void share_training_state(Processes& processes, nn::Model& model, Engine& engine) {
  if (processes.size() == 1) return;
  // Every process built the same model from the same arch file, so the tensors have the same sizes everywhere.
  for (auto& tensor : model.parameters()) broadcast_vector(processes, tensor.value);
  nn::AdamState& adam = engine.adam_state();
  for (auto& m : adam.first_moment) broadcast_vector(processes, m);
  for (auto& v : adam.second_moment) broadcast_vector(processes, v);
  broadcast_int64(processes, adam.step);
  std::string rng = engine.rng_state();
  broadcast_text(processes, rng);
  engine.set_rng_state(rng);
}

void check_same_weights(Processes& processes, const nn::Model& model, const Engine& engine, int epoch) {
  if (processes.size() == 1) return;
  std::uint64_t hash = kHashStart;
  auto add = [&hash](const Eigen::VectorXf& v) {
    hash = hash_floats(hash, std::span<const float>(v.data(), static_cast<std::size_t>(v.size())));
  };
  for (const auto& tensor : model.parameters()) add(tensor.value);
  for (const auto& m : engine.adam_state().first_moment) add(m);
  for (const auto& v : engine.adam_state().second_moment) add(v);
  const auto all = processes.gather_all(std::as_bytes(std::span<const std::uint64_t>(&hash, 1)));
  std::vector<std::uint64_t> hashes(static_cast<std::size_t>(processes.size()));
  std::memcpy(hashes.data(), all.data(), all.size());
  for (std::size_t r = 1; r < hashes.size(); ++r) {
    if (hashes[r] != hashes[0]) {
      throw Error(fmt::format("after epoch {} the weights of rank {} differ from rank 0's (hash {:016x} vs {:016x}): "
                              "the processes no longer train one model",
                              epoch, r, hashes[r], hashes[0]));
    }
  }
  if (processes.rank() == 0)
    spdlog::info("epoch {}: weights and Adam state bit-identical on all {} ranks (hash {:016x})", epoch,
                 processes.size(), hashes[0]);
}

}  // namespace nnse::train
