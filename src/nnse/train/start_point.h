#pragma once
// The trainer's start and save steps (trainer.cpp's train() calls them in order): the model of the arch file,
// where a run starts (a resumed checkpoint or fresh weights with feature statistics), the optimizer it continues,
// and the checkpoint written after each epoch. With several processes (train/distributed.h) rank 0 reads and
// writes the model folder, and the others receive its start through share_start / share_training_state.
#include <filesystem>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "nnse/dsp/feature_stats.h"
#include "nnse/model/checkpoint.h"
#include "nnse/nn/model.h"
#include "nnse/train/distributed.h"
#include "nnse/train/engine.h"
#include "nnse/train/trainer.h"

namespace nnse::train {

nlohmann::json loss_json(const LossConfig& loss);

// The model of options.arch_file, checked against the front end it will be trained with.
nn::Model build_model(const TrainOptions& options);

// Where a run starts: the checkpoint it resumes (if any, its weights already in the model), the feature
// statistics and the loss history so far.
struct StartPoint {
  std::optional<std::filesystem::path> checkpoint_file;
  model::Checkpoint resumed;
  dsp::FeatureStats stats;
  std::vector<double> train_history, valid_history;
  int epoch = 0;
};
StartPoint resume_or_start(const TrainOptions& options, const ClipSet& train_clips, nn::Model& model,
                           const std::filesystem::path& dir);
// Every process must see the same job: the same model, options and clips (a corpus copy that differs on one
// machine would give the processes different step counts, and they would wait for each other forever). Throws
// nnse::Error in every process, naming the first rank that differs from rank 0, when they do not.
void check_same_job(Processes& processes, const TrainOptions& options, const nn::Model& model,
                    const ClipSet& train_clips, const ClipSet* valid_clips);
// Rank 0's start epoch and feature statistics into every process (the rest follows in share_training_state).
void share_start(Processes& processes, StartPoint& start);

// A resumed run continues the checkpoint's optimizer (a checkpoint without moments restarts them at its step).
void restore_optimizer(Engine& engine, const StartPoint& start, const nn::Model& model);
// Rank 0's weights, Adam state and RNG state into every process, so all start from the same bits.
void share_training_state(Processes& processes, nn::Model& model, Engine& engine);
// A hash of the weights and Adam state; rank 0 compares every process's and throws nnse::Error when one differs
// (processes hold identical weights after every step by construction; this checks it once per epoch).
void check_same_weights(Processes& processes, const nn::Model& model, const Engine& engine, int epoch);

// Writes the epoch's checkpoint and the loss history beside it; returns the checkpoint's path.
std::filesystem::path save_epoch(const TrainOptions& options, const std::filesystem::path& dir, int epoch,
                                 const nn::Model& model, const Engine& engine, const StartPoint& start);

}  // namespace nnse::train
