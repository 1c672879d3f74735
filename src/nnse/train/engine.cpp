#include "nnse/train/engine.h"

#include <algorithm>
#include <cmath>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <sstream>
#include <thread>

#include "nnse/nn/random.h"
#include "nnse/util/error.h"
#include "nnse/util/stage_profile.h"

namespace nnse::train {

// A fixed set of threads that run one job at a time: job(i) for i = 0..size-1, the caller being thread 0.
struct Engine::Pool {
  explicit Pool(int size) : errors(static_cast<std::size_t>(size)) {
    for (int i = 1; i < size; ++i) threads.emplace_back([this, i] { loop(i); });
  }
  ~Pool() {
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    start.notify_all();
    for (auto& t : threads) t.join();
  }

  // Runs call(context, i) for i in [0, count) with count <= size; rethrows the first exception (lowest i).
  void run(int count, void (*call)(void*, int), void* context) {
    {
      std::lock_guard lock(mutex);
      job = call;
      job_context = context;
      job_count = count;
      pending = static_cast<int>(threads.size());
      ++generation;
    }
    start.notify_all();
    execute(0);
    {
      std::unique_lock lock(mutex);
      done.wait(lock, [this] { return pending == 0; });
    }
    for (int i = 0; i < count; ++i)
      if (errors[static_cast<std::size_t>(i)]) {
        std::exception_ptr error = errors[static_cast<std::size_t>(i)];
        for (auto& e : errors) e = nullptr;
        std::rethrow_exception(error);
      }
  }

 private:
  void execute(int i) {
    if (i >= job_count) return;
    try {
      job(job_context, i);
    } catch (...) {
      errors[static_cast<std::size_t>(i)] = std::current_exception();
    }
  }
  void loop(int i) {
    std::uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock lock(mutex);
        start.wait(lock, [&] { return stop || generation != seen; });
        if (stop) return;
        seen = generation;
      }
      execute(i);
      {
        std::lock_guard lock(mutex);
        --pending;
      }
      done.notify_one();
    }
  }

  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors;
  std::mutex mutex;
  std::condition_variable start, done;
  void (*job)(void*, int) = nullptr;
  void* job_context = nullptr;
  int job_count = 0;
  int pending = 0;
  std::uint64_t generation = 0;
  bool stop = false;
};

namespace {

constexpr std::uint64_t kStatePurpose = 0x5354415445ULL;  // "STATE": initial-state streams

int resolve_threads(int requested) {
  if (requested > 0) return requested;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace

Engine::Engine(nn::Model& model, EngineOptions options)
    : model_(model),
      options_(std::move(options)),
      threads_(resolve_threads(options_.threads)),
      pool_(std::make_unique<Pool>(threads_)),
      state_(model.network(), 0) {
  model_.check_parameters();
  const auto& params = model_.parameters();
  for (const auto& tensor : params) gradient_.push_back(Eigen::VectorXf::Zero(tensor.value.size()));
  effective_.resize(params.size());
  adam_ = make_adam_state(params);
  set_pad_frame(options_.pad_frame);
}

Engine::~Engine() = default;

void Engine::set_pad_frame(std::span<const float> pad) {
  if (!pad.empty() && static_cast<int>(pad.size()) != model_.input_dim())
    throw Error("engine", "pad frame has " + std::to_string(pad.size()) + " values, the model input has " +
                              std::to_string(model_.input_dim()));
  options_.pad_frame.assign(pad.begin(), pad.end());
  state_.set_pad_frame(pad);
}

void Engine::reset_state() { std::fill(fresh_.begin(), fresh_.end(), std::uint8_t{1}); }

std::string Engine::rng_state() const {
  return "nnse-engine-rng v1 seed=" + std::to_string(options_.seed) + " step=" + std::to_string(step_);
}

void Engine::set_rng_state(const std::string& text) {
  std::istringstream in(text);
  std::string tag, version, seed_field, step_field, extra;
  if (!(in >> tag >> version >> seed_field >> step_field) || (in >> extra) || tag != "nnse-engine-rng" ||
      version != "v1" || !seed_field.starts_with("seed=") || !step_field.starts_with("step="))
    throw Error("engine RNG state", "expected 'nnse-engine-rng v1 seed=<n> step=<n>', got '" + text + "'");
  try {
    std::size_t used = 0;
    const std::string seed_text = seed_field.substr(5), step_text = step_field.substr(5);
    const std::uint64_t seed = std::stoull(seed_text, &used);
    if (used != seed_text.size()) throw std::invalid_argument("seed");
    const long long step = std::stoll(step_text, &used);
    if (used != step_text.size() || step < 0) throw std::invalid_argument("step");
    options_.seed = seed;
    step_ = step;
  } catch (const std::logic_error&) {
    throw Error("engine RNG state", "malformed number in '" + text + "'");
  }
}

int Engine::shard_count(int sequences) const {
  return std::max((sequences + kShardSequences - 1) / kShardSequences, std::min(threads_, sequences));
}

void Engine::ensure_shards(int shards) {
  const auto& params = model_.parameters();
  while (static_cast<int>(workers_.size()) < shards) {
    workers_.emplace_back(model_.network());
    auto& grads = worker_gradients_.emplace_back();
    auto& pointers = gradient_pointers_.emplace_back();
    for (const auto& tensor : params) grads.push_back(Eigen::VectorXf::Zero(tensor.value.size()));
    for (auto& g : grads) pointers.push_back(g.data());
    contributions_.push_back(0.0);
  }
}

void Engine::prepare(const ChunkInput& input, Mode mode) {
  if (input.sequences <= 0 || input.frames <= 0)
    throw Error("engine", "empty chunk (" + std::to_string(input.sequences) + " sequences x " +
                              std::to_string(input.frames) + " frames)");
  if (input.input_dim != model_.input_dim())
    throw Error("engine", "chunk has " + std::to_string(input.input_dim) + " features per frame, the model expects " +
                              std::to_string(model_.input_dim()));
  if (!input.features) throw Error("engine", "chunk without features");
  if (state_.slots() < input.sequences) {
    state_.ensure_slots(input.sequences);
    fresh_.resize(static_cast<std::size_t>(input.sequences), 1);
  }
  for (int s = 0; s < input.sequences; ++s) {
    auto& fresh = fresh_[static_cast<std::size_t>(s)];
    if (!fresh && !(input.new_clip && input.new_clip[s])) continue;
    state_.reset(s);
    if (mode == Mode::train && options_.random_initial_state)
      state_.randomize_recurrent(s, nn::stream_key({options_.seed, static_cast<std::uint64_t>(step_),
                                                    static_cast<std::uint64_t>(options_.first_slot + s),
                                                    kStatePurpose}));
    fresh = 0;
  }
}

void Engine::gather_parameters() {
  auto& params = model_.parameters();
  model_.check_parameters();
  parameter_pointers_.resize(params.size());
  const auto& network = model_.network();
  for (const nn::LayerInfo& layer : network.layers()) {
    nn::LayerHook<float>* hook = network.hook(layer.index);
    for (int k = 0; k < layer.parameter_count; ++k) {
      const auto i = static_cast<std::size_t>(layer.first_parameter + k);
      if (!hook) {
        parameter_pointers_[i] = params[i].value.data();
        continue;
      }
      effective_[i].resize(params[i].value.size());
      hook->transform_parameter(k, std::span<const float>(params[i].value.data(), static_cast<std::size_t>(params[i].value.size())),
                                std::span<float>(effective_[i].data(), static_cast<std::size_t>(effective_[i].size())));
      parameter_pointers_[i] = effective_[i].data();
    }
  }
}

double Engine::run(const ChunkInput& input, const LossFn* loss, Mode mode, float* output, bool backward) {
  prepare(input, mode);
  gather_parameters();
  const int S = input.sequences, T = input.frames, D = input.input_dim, O = model_.output_dim();
  const std::size_t out_size = static_cast<std::size_t>(S) * T * O;
  if (!output) {
    if (output_.size() < out_size) output_.resize(out_size);
    output = output_.data();
  }
  if (loss && grad_output_.size() < out_size) grad_output_.resize(out_size);
  const int shards = shard_count(S);
  ensure_shards(shards);
  shards_ = shards;

  struct Job {
    Engine* self;
    const ChunkInput* input;
    const LossFn* loss;
    Mode mode;
    float* output;
    bool backward;
    int shards, S, T, D, O;
    std::atomic<int> next{0};
  } job{this, &input, loss, mode, output, backward, shards, S, T, D, O};

  // Threads take shards in any order; each shard's arithmetic does not depend on which thread runs it.
  auto call = [](void* context, int) {
    Job& j = *static_cast<Job*>(context);
    for (int w; (w = j.next.fetch_add(1)) < j.shards;) j.self->run_shard(j, w);
  };
  pool_->run(std::min(threads_, shards), call, &job);

  // A clip ends at its first padded frame: the slot starts afresh at its next chunk.
  if (input.valid)
    for (int s = 0; s < S; ++s) {
      const std::uint8_t* v = input.valid + static_cast<std::size_t>(s) * T;
      if (std::find(v, v + T, std::uint8_t{0}) != v + T) fresh_[static_cast<std::size_t>(s)] = 1;
    }
  double total = 0.0;
  for (int w = 0; w < shards; ++w) total += contributions_[static_cast<std::size_t>(w)];
  return total;
}

template <typename Job>
void Engine::run_shard(Job& j, int w) {
  Engine& e = *this;
  const profile::Scope scope(j.mode == Mode::train ? profile::Stage::forward_backward : profile::Stage::validation);
  {
    // Contiguous ranges whose sizes differ by at most one, in batch order.
    const int first = static_cast<int>(static_cast<std::int64_t>(j.S) * w / j.shards);
    const int count = static_cast<int>(static_cast<std::int64_t>(j.S) * (w + 1) / j.shards) - first;
    const std::size_t frame0 = static_cast<std::size_t>(first) * j.T;
    nn::ChunkSlice<float> slice{count, j.T, j.input->features + frame0 * j.D,
                                j.input->valid ? j.input->valid + frame0 : nullptr};
    nn::DropoutKey key{e.options_.seed, static_cast<std::uint64_t>(e.step_), e.options_.first_slot + first};
    float* out = j.output + frame0 * j.O;
    auto& worker = e.workers_[static_cast<std::size_t>(w)];
    worker.forward(e.parameter_pointers_, slice, e.state_, first, j.mode == Mode::train ? &key : nullptr, out);
    e.contributions_[static_cast<std::size_t>(w)] = 0.0;
    if (!j.loss) return;
    float* grad = e.grad_output_.data() + frame0 * j.O;
    std::fill(grad, grad + static_cast<std::size_t>(count) * j.T * j.O, 0.0f);
    e.contributions_[static_cast<std::size_t>(w)] = (*j.loss)(first, count, out, grad);
    if (j.backward) worker.backward(e.parameter_pointers_, grad, e.gradient_pointers_[static_cast<std::size_t>(w)]);
  }
}

void Engine::sum_shards() {
  for (std::size_t i = 0; i < gradient_.size(); ++i) {
    Eigen::VectorXf& g = gradient_[i];
    g = worker_gradients_[0][i];
    for (int w = 1; w < shards_; ++w) g += worker_gradients_[static_cast<std::size_t>(w)][i];
  }
}

double Engine::gradient_norm() const {
  double squared = 0.0;
  for (const Eigen::VectorXf& g : gradient_) squared += g.cast<double>().squaredNorm();
  return std::sqrt(squared);
}

void Engine::sum_over_processes(double& loss) {
  const profile::Scope scope(profile::Stage::process_sum);
  std::size_t total = 0;
  for (const auto& g : gradient_) total += static_cast<std::size_t>(g.size());
  flat_gradient_.resize(total);
  float* at = flat_gradient_.data();
  for (const auto& g : gradient_) at = std::copy(g.data(), g.data() + g.size(), at);
  options_.process_sum(flat_gradient_, std::span<double>(&loss, 1));
  const float* from = flat_gradient_.data();
  for (auto& g : gradient_) {
    std::copy(from, from + g.size(), g.data());
    from += g.size();
  }
}

StepResult Engine::train_step(const ChunkInput& input, const LossFn& loss) {
  check_adam_state(adam_, model_.parameters(), "engine");
  StepResult result;
  result.loss = run(input, &loss, Mode::train, nullptr, true);
  const profile::Scope scope(profile::Stage::optimizer);
  sum_shards();
  // Over processes: every process then holds the whole batch's gradient and loss, so the norm, the skip decision
  // and the update below are the same everywhere.
  if (options_.process_sum) sum_over_processes(result.loss);
  result.gradient_norm = gradient_norm();
  ++step_;
  result.step = step_;
  if (!std::isfinite(result.loss) || !std::isfinite(result.gradient_norm)) {
    result.skipped = true;
    result.skipped_steps = ++skipped_;
    for (int s = 0; s < input.sequences; ++s) fresh_[static_cast<std::size_t>(s)] = 1;
    return result;
  }
  result.skipped_steps = skipped_;
  if (options_.clip_norm > 0.0 && result.gradient_norm > options_.clip_norm) {
    const auto scale = static_cast<float>(options_.clip_norm / result.gradient_norm);
    for (auto& g : gradient_) g *= scale;
    result.clipped = true;
  }
  adam_update(model_.parameters(), gradient_, adam_, options_.adam);
  clip_parameters(model_.parameters(), options_.clip);
  return result;
}

double Engine::compute_gradient(const ChunkInput& input, const LossFn& loss, std::vector<Eigen::VectorXf>& gradient,
                                bool training) {
  const double value = run(input, &loss, training ? Mode::train : Mode::evaluate, nullptr, true);
  sum_shards();
  gradient = gradient_;
  return value;
}

double Engine::evaluate(const ChunkInput& input, const LossFn& loss) {
  return run(input, &loss, Mode::evaluate, nullptr, false);
}

void Engine::forward(const ChunkInput& input, float* output) {
  if (!output) throw Error("engine", "forward without an output buffer");
  run(input, nullptr, Mode::infer, output, false);
}

}  // namespace nnse::train
