#pragma once
// The data-parallel training step. A batch of sequences is split into contiguous shards of about 8 sequences (at
// least one per thread); the threads take shards as they become free and run forward, the caller's loss and
// backward on each into the shard's private gradient, and the shard gradients are summed in shard order. Results
// for a given (seed, thread count) are bit-identical from run to run, and equal to one thread's up to float
// rounding (exactly equal while the batch has at least 8 sequences per thread: the shards then depend on the
// batch size only).
//
// State: the engine keeps, per batch slot (= sequence index in the batch), the state carried from one chunk of
// a clip to the next (lstm/gru state, conv1d history). A slot starts afresh before a chunk when the chunk's
// new_clip flag is set, when the slot was never used, or when its previous chunk had padded frames (a clip ends
// at its first padded frame). train_step, evaluate and forward share these slots.
#include "nnse/nn/eigen_diagnostics.h"
NNSE_EIGEN_WARNINGS_OFF
#include <Eigen/Core>
NNSE_EIGEN_WARNINGS_ON
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "nnse/nn/model.h"
#include "nnse/nn/parameters.h"
#include "nnse/train/adam.h"

namespace nnse::train {

struct ChunkInput {
  int sequences = 0, frames = 0, input_dim = 0;
  const float* features = nullptr;        // [sequences][frames][input_dim], normalized
  const std::uint8_t* valid = nullptr;    // [sequences][frames], 1 = real frame; null = all real. Padding is
                                          // expected at the end of a clip; padded frames get zero gradient.
  const std::uint8_t* new_clip = nullptr; // [sequences], 1 = this chunk starts a clip in that slot; null = none
};

// Called once per shard for a contiguous range of sequences [first, first + count) (the ranges cover the batch),
// concurrently from several threads for disjoint ranges (it must be safe to call that way), with that range's
// network output [count][frames][output_dim]. grad_output arrives zeroed.
// Returns the range's loss contribution and writes dLoss/dOutput, same layout. Contributions of all ranges are
// summed; normalize by batch totals (not per range) so the sum is the batch loss.
using LossFn = std::function<double(int first, int count, const float* output, float* grad_output)>;

struct EngineOptions {
  int threads = 1;                // worker threads (the caller's thread is one of them); <= 0: all cores
  std::uint64_t seed = 1;         // dropout masks and random initial states
  AdamOptions adam;               // Keras defaults: lr 4e-4, beta1 0.9, beta2 0.999, epsilon 1e-7
  double clip_norm = 0.0;         // rescale the gradient to this global L2 norm when larger; 0 = off (reference)
  ClipRange clip;                 // weights [-8, 8 - 2^-5], biases [-4, 4 - 2^-6], applied after every update
  // At a clip start in train_step, lstm/gru state is drawn as in the reference's training (h ~ truncated
  // N(0, 1/sqrt(n_in)) clipped to [-1, 1), c ~ truncated N(0, 1)); false = zeros. evaluate/forward use zeros.
  bool random_initial_state = true;
  // conv1d history at a clip start: the normalized log floor, (log10(2^-15) - mean) * inv_std per band; empty =
  // zeros. Size input_dim.
  std::vector<float> pad_frame;
  // Data parallel over processes (train/distributed.h): this process's sequences are slots first_slot,
  // first_slot + 1, ... of the whole batch. Dropout masks and initial states are drawn for the whole batch's slot,
  // so N processes draw what one process would for the same slots.
  int first_slot = 0;
  // Data parallel over processes: sums a step's gradient (every tensor, flattened in order) and its loss over all
  // processes, leaving bit-identical values in each, before the norm, the skip decision and Adam. Empty: this
  // process holds the whole batch.
  std::function<void(std::span<float> gradient, std::span<double> loss)> process_sum;
};

struct StepResult {
  double loss = 0.0;              // sum of the loss callback's contributions
  double gradient_norm = 0.0;     // global L2 norm of the summed gradient, before clipping
  bool clipped = false;           // the gradient was rescaled to clip_norm
  bool skipped = false;           // loss or gradient not finite: no update, the batch's slots start afresh
  std::int64_t skipped_steps = 0; // skipped steps so far, this one included
  std::int64_t step = 0;          // train_step calls so far, this one included (skipped ones count)
};

class Engine {
 public:
  // The model must outlive the engine. The Adam state starts at zero moments.
  Engine(nn::Model& model, EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Forward with dropout, loss, backward (truncated at the chunk start), gradient sum, non-finite check,
  // gradient-norm clip, Adam, weight clip.
  StepResult train_step(const ChunkInput& input, const LossFn& loss);
  // Forward without dropout (zero initial states), loss; no update. State is carried like in train_step.
  double evaluate(const ChunkInput& input, const LossFn& loss);
  // Inference: output [sequences][frames][output_dim]; no dropout, zero initial states, state carried.
  void forward(const ChunkInput& input, float* output);
  // What train_step would apply (before gradient clipping): loss and summed gradient, one vector per parameter
  // tensor, without updating anything but the carried state. training = true uses the next step's dropout masks
  // and initial states (the step counter does not advance). For gradient checks and the PyTorch oracle.
  double compute_gradient(const ChunkInput& input, const LossFn& loss, std::vector<Eigen::VectorXf>& gradient,
                          bool training = false);

  nn::AdamState& adam_state() { return adam_; }
  const nn::AdamState& adam_state() const { return adam_; }
  // Opaque, printable; restoring it makes later steps draw the same masks and initial states.
  std::string rng_state() const;
  void set_rng_state(const std::string& state);  // throws nnse::Error for a malformed string

  void set_pad_frame(std::span<const float> pad);  // see EngineOptions::pad_frame
  void set_learning_rate(double rate) { options_.adam.learning_rate = rate; }  // from the next step on
  void reset_state();                              // every slot starts afresh at its next chunk
  int threads() const { return threads_; }
  std::int64_t step() const { return step_; }
  std::int64_t skipped_steps() const { return skipped_; }
  nn::Model& model() { return model_; }
  const EngineOptions& options() const { return options_; }

 private:
  enum class Mode { train, evaluate, infer };
  struct Pool;
  double run(const ChunkInput& input, const LossFn* loss, Mode mode, float* output, bool backward);
  void prepare(const ChunkInput& input, Mode mode);
  void gather_parameters();
  void sum_shards();
  double gradient_norm() const;
  void sum_over_processes(double& loss);
  int shard_count(int sequences) const;
  void ensure_shards(int shards);
  template <typename Job>
  void run_shard(Job& job, int shard);
  // Sequences per shard: the batch is cut into shards of about this many sequences (at least one per thread),
  // which threads take dynamically, so a thread held up by the OS does not hold up the step; per-core speed is
  // nearly the same from 8 to 32 sequences. Shards depend on the batch size only (given at least as many shards
  // as threads), so results are then bit-identical whatever the thread count.
  static constexpr int kShardSequences = 8;

  nn::Model& model_;
  EngineOptions options_;
  int threads_ = 1;
  int shards_ = 1;  // shards of the last chunk
  std::unique_ptr<Pool> pool_;
  std::vector<nn::Worker<float>> workers_;     // per shard
  nn::StreamState<float> state_;
  std::vector<std::uint8_t> fresh_;            // per slot: start afresh before the next chunk
  std::vector<std::vector<Eigen::VectorXf>> worker_gradients_;
  std::vector<Eigen::VectorXf> gradient_;
  std::vector<Eigen::VectorXf> effective_;     // hooked layers: the transformed parameters
  std::vector<const float*> parameter_pointers_;
  std::vector<std::vector<float*>> gradient_pointers_;
  std::vector<float> output_, grad_output_;
  std::vector<double> contributions_;
  std::vector<float> flat_gradient_;           // process_sum's buffer
  nn::AdamState adam_;
  std::int64_t step_ = 0;
  std::int64_t skipped_ = 0;
};

}  // namespace nnse::train
