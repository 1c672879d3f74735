#include "nnse/train/batcher.h"

#include <algorithm>
#include <map>
#include <utility>

#include "nnse/dsp/stft.h"
#include "nnse/util/error.h"
#include "nnse/util/random.h"
#include "nnse/util/stage_profile.h"

namespace nnse::train {

void Batch::resize(int b, int t, int dim, int k) {
  sequences = b;
  frames = t;
  feature_dim = dim;
  bins = k;
  const auto bt = static_cast<std::size_t>(b) * static_cast<std::size_t>(t);
  features.assign(bt * static_cast<std::size_t>(dim), 0.0f);
  valid.assign(bt, 0);
  new_clip.assign(static_cast<std::size_t>(b), 0);
  clip_index.assign(static_cast<std::size_t>(b), -1);
  clips.assign(static_cast<std::size_t>(b), nullptr);
  first_frame.assign(static_cast<std::size_t>(b), 0);
  valid_frames = 0;
}

namespace {

// Slot s's rows of one spectrum (`side` = &PreparedClip::noisy or ::clean) from the chunk's first frame.
template <class Rows>
const std::complex<float>* chunk_rows(const Batch& batch, int s, Rows PreparedClip::*side) {
  const auto& clip = batch.clips[static_cast<std::size_t>(s)];
  if (!clip || ((*clip).*side).empty()) return nullptr;  // empty: a clip prepared without clean rows
  return ((*clip).*side).data() +
         static_cast<std::size_t>(batch.first_frame[static_cast<std::size_t>(s)]) * static_cast<std::size_t>(batch.bins);
}

}  // namespace

const std::complex<float>* Batch::noisy(int s) const { return chunk_rows(*this, s, &PreparedClip::noisy); }

const std::complex<float>* Batch::clean(int s) const { return chunk_rows(*this, s, &PreparedClip::clean); }

namespace {

// Slot s's samples of one time signal (`side` = &PreparedClip::noisy_signal or ::clean_signal) from the chunk's
// first hop; nullptr if the clip does not keep it.
const float* chunk_samples(const Batch& batch, int s, PreparedClip::Buffer<float> PreparedClip::*side) {
  const auto& clip = batch.clips[static_cast<std::size_t>(s)];
  if (!clip || ((*clip).*side).empty()) return nullptr;
  const auto hop = ((*clip).*side).size() / static_cast<std::size_t>(clip->frames);
  return ((*clip).*side).data() + static_cast<std::size_t>(batch.first_frame[static_cast<std::size_t>(s)]) * hop;
}

}  // namespace

const float* Batch::noisy_signal(int s) const { return chunk_samples(*this, s, &PreparedClip::noisy_signal); }

const float* Batch::clean_signal(int s) const { return chunk_samples(*this, s, &PreparedClip::clean_signal); }

void Batch::release_clips() { std::fill(clips.begin(), clips.end(), nullptr); }

ClipFeaturizer::ClipFeaturizer(const dsp::FrontendConfig& config, dsp::FeatureStats stats, bool keep_signals,
                               bool clean_rows)
    : config_(config),
      stats_(std::move(stats)),
      extractor_(config),
      keep_signals_(keep_signals),
      clean_rows_(clean_rows || !keep_signals) {
  if (stats_.dim() != config_.feature_dim()) {
    throw Error("feature stats have " + std::to_string(stats_.dim()) + " bands, the front end produces " +
                std::to_string(config_.feature_dim()));
  }
}

PreparedClip ClipFeaturizer::prepare(std::span<const float> noisy, std::span<const float> clean, double snr_db) {
  if (noisy.size() != clean.size()) {
    throw Error("clip: noisy has " + std::to_string(noisy.size()) + " samples, clean has " +
                std::to_string(clean.size()));
  }
  const profile::Scope scope(profile::Stage::features);
  // Straight into the clip's own buffers: the same values as stft() + FeatureExtractor::process() + normalize(),
  // without a temporary copy of each spectrum.
  PreparedClip clip;
  clip.frames = dsp::stft_frame_count(noisy.size(), config_);
  clip.feature_dim = config_.feature_dim();
  clip.bins = config_.bins();
  const auto frames = static_cast<std::size_t>(clip.frames);
  const auto bins = static_cast<std::size_t>(clip.bins), dim = static_cast<std::size_t>(clip.feature_dim);
  clip.noisy.resize(frames * bins);
  clip.features.resize(frames * dim);
  dsp::stft_into(noisy, config_, clip.noisy);
  if (clean_rows_) {
    clip.clean.resize(frames * bins);
    dsp::stft_into(clean, config_, clip.clean);
  }
  for (std::size_t t = 0; t < frames; ++t) {
    const std::span<float> row(clip.features.data() + t * dim, dim);
    extractor_.process_frame({clip.noisy.data() + t * bins, bins}, row);
    stats_.normalize(row);
  }
  if (keep_signals_) {
    const std::size_t padded = frames * static_cast<std::size_t>(config_.hop_length);
    for (auto [from, to] : {std::pair{noisy, &clip.noisy_signal}, std::pair{clean, &clip.clean_signal}}) {
      to->assign(padded, 0.0f);
      std::copy(from.begin(), from.end(), to->begin());
    }
  }
  clip.snr_db = snr_db;
  return clip;
}

void ClipFeaturizer::prepare_noisy(std::span<const float> noisy, dsp::Spectrum& spectrum,
                                   dsp::FeatureMatrix& features) {
  spectrum = dsp::stft(noisy, config_);
  features = extractor_.process(spectrum);
  stats_.normalize(features);
}

dsp::FeatureMatrix ClipFeaturizer::raw_features(std::span<const float> noisy) {
  return extractor_.process(dsp::stft(noisy, config_));
}

std::vector<std::size_t> epoch_order(std::size_t count, std::uint64_t seed, int epoch, bool shuffle) {
  std::vector<std::size_t> order(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = i;
  if (!shuffle || count < 2) return order;
  SplitMix64 stream(seed * 0x2545F4914F6CDD1Dull + static_cast<std::uint64_t>(epoch) + 1);
  stream.next();
  for (std::size_t i = count - 1; i > 0; --i) {
    const auto j = static_cast<std::size_t>(stream.below(static_cast<std::uint64_t>(i) + 1));
    std::swap(order[i], order[j]);
  }
  return order;
}

// Prepares the clips of one epoch's order on worker threads, at most `depth` ahead of the consumer, and hands them
// out strictly in order: what a slot receives never depends on which worker was faster.
class ClipWindow {
 public:
  ClipWindow(const std::vector<std::size_t>& order, int epoch, const ClipPreparer& preparer, int threads,
             std::size_t depth)
      : order_(order), epoch_(epoch), preparer_(preparer), depth_(std::max<std::size_t>(1, depth)) {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
  }
  ~ClipWindow() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    space_.notify_all();
    for (auto& w : workers_) w.join();
  }
  ClipWindow(const ClipWindow&) = delete;
  ClipWindow& operator=(const ClipWindow&) = delete;

  // The clip at `position` of the order; positions must be taken in increasing order.
  PreparedClip take(std::size_t position) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return done_.count(position) > 0; });
    auto node = done_.extract(position);
    consumed_ = position + 1;
    lock.unlock();
    space_.notify_all();
    if (node.mapped().error) std::rethrow_exception(node.mapped().error);
    return std::move(node.mapped().clip);
  }

 private:
  struct Result {
    PreparedClip clip;
    std::exception_ptr error;
  };
  void work() {
    for (;;) {
      std::size_t position = 0;
      {
        std::unique_lock lock(mutex_);
        space_.wait(lock, [&] { return stopping_ || (next_ < order_.size() && next_ < consumed_ + depth_); });
        if (stopping_) return;
        position = next_++;
      }
      Result result;
      try {
        result.clip = preparer_(order_[position], epoch_);
      } catch (...) {
        result.error = std::current_exception();
      }
      {
        std::lock_guard lock(mutex_);
        done_.emplace(position, std::move(result));
      }
      ready_.notify_all();
    }
  }

  const std::vector<std::size_t>& order_;
  int epoch_;
  const ClipPreparer& preparer_;
  std::size_t depth_;
  std::mutex mutex_;
  std::condition_variable ready_, space_;
  std::map<std::size_t, Result> done_;
  std::size_t next_ = 0;      // next position handed to a worker
  std::size_t consumed_ = 0;  // positions before this were taken
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// The deterministic part: which clip each slot holds and which frames go into the next batch.
class Batcher::Producer {
 public:
  Producer(std::size_t clip_count, const ClipPreparer& preparer, const BatcherOptions& options)
      : clip_count_(clip_count), preparer_(preparer), options_(options), feature_dim_(options.feature_dim),
        bins_(options.bins) {}

  void reset(int epoch) {
    window_.reset();  // joins the previous epoch's workers before their order changes
    epoch_ = epoch;
    order_ = epoch_order(clip_count_, options_.seed, epoch, options_.shuffle);
    // The positions this batcher prepares: all, or those of its slots (position p goes to slot p % batch_size).
    mine_.clear();
    if (partial()) {
      const auto b = static_cast<std::size_t>(options_.batch_size);
      for (std::size_t p = 0; p < order_.size(); ++p)
        if (owns(p % b)) mine_.push_back(order_[p]);
    }
    const std::vector<std::size_t>& prepared = partial() ? mine_ : order_;
    if (options_.prepare_threads > 0 && !prepared.empty()) {
      const int threads = std::min<int>(options_.prepare_threads, static_cast<int>(prepared.size()));
      const auto depth = options_.prepare_depth > 0 ? static_cast<std::size_t>(options_.prepare_depth)
                                                    : 2 * static_cast<std::size_t>(threads);
      window_ = std::make_unique<ClipWindow>(prepared, epoch_, preparer_, threads, depth);
    }
    next_clip_ = 0;
    next_mine_ = 0;
    batch_index_ = 0;
    slots_.assign(static_cast<std::size_t>(options_.batch_size), Slot{});
  }

  // Fills `batch` with the next chunk of every slot (of this batcher's slots); false when the epoch has no frames
  // left in any slot.
  bool fill(Batch& batch) {
    const profile::Scope scope(profile::Stage::batching);
    bool any = false;
    std::vector<bool> starts(slots_.size(), false);
    for (std::size_t s = 0; s < slots_.size(); ++s) {
      Slot& slot = slots_[s];
      while (!slot.busy || slot.next_frame >= slot.frames) {
        slot = Slot{};
        if (next_clip_ >= order_.size()) break;
        const std::size_t position = next_clip_++;
        slot.busy = true;
        starts[s] = true;
        if (!owns(s)) {
          slot.frames = options_.clip_frames;  // another process prepares it
          continue;
        }
        const std::size_t index = order_[position];
        const std::size_t local = partial() ? next_mine_++ : position;
        auto clip = std::make_shared<PreparedClip>(window_ ? window_->take(local) : preparer_(index, epoch_));
        clip->index = index;
        check_layout(*clip);
        slot.frames = clip->frames;
        slot.clip = std::move(clip);
      }
      any = any || slot.busy;
    }
    if (!any) return false;

    const int first_slot = partial() ? options_.first_slot : 0;
    batch.resize(partial() ? options_.slot_count : options_.batch_size, options_.chunk_frames, feature_dim_, bins_);
    batch.epoch = epoch_;
    batch.index = batch_index_++;
    batch.whole = {};
    batch.whole.sequences = options_.batch_size;
    const auto t_max = static_cast<std::size_t>(options_.chunk_frames);
    const auto dim = static_cast<std::size_t>(feature_dim_);
    for (std::size_t s = 0; s < slots_.size(); ++s) {
      Slot& slot = slots_[s];
      const std::size_t b = s - static_cast<std::size_t>(first_slot);  // the slot in this batch, if owns(s)
      if (!slot.busy) {
        if (owns(s)) batch.new_clip[b] = 1;  // idle: nothing to carry
        continue;
      }
      const auto first = static_cast<std::size_t>(slot.next_frame);
      const std::size_t count = std::min(t_max, static_cast<std::size_t>(slot.frames) - first);
      ++batch.whole.busy;
      batch.whole.valid_frames += static_cast<std::int64_t>(count);
      if (owns(s)) {
        const PreparedClip& clip = *slot.clip;
        batch.new_clip[b] = starts[s] ? 1 : 0;
        batch.clip_index[b] = static_cast<std::int64_t>(clip.index);
        std::copy_n(clip.features.begin() + static_cast<std::ptrdiff_t>(first * dim), count * dim,
                    batch.features.begin() + static_cast<std::ptrdiff_t>(b * t_max * dim));
        batch.clips[b] = slot.clip;
        batch.first_frame[b] = slot.next_frame;
        std::fill_n(batch.valid.begin() + static_cast<std::ptrdiff_t>(b * t_max), count, std::uint8_t{1});
        batch.valid_frames += static_cast<std::int64_t>(count);
      }
      slot.next_frame += static_cast<int>(count);
      if (slot.next_frame >= slot.frames) slot = Slot{};  // used up: only batches still refer to its clip
    }
    return true;
  }

 private:
  // Several processes build one batch: the slot walk is the same in all of them only when every clip has the
  // announced length (see BatcherOptions::slot_count).
  bool partial() const { return options_.slot_count > 0 && options_.slot_count < options_.batch_size; }
  bool owns(std::size_t slot) const {
    return !partial() || (slot >= static_cast<std::size_t>(options_.first_slot) &&
                          slot < static_cast<std::size_t>(options_.first_slot + options_.slot_count));
  }

  void check_layout(const PreparedClip& clip) {
    if (feature_dim_ == 0) {
      feature_dim_ = clip.feature_dim;
      bins_ = clip.bins;
    }
    if (partial() && clip.frames != options_.clip_frames) {
      throw Error("clip " + std::to_string(clip.index) + " has " + std::to_string(clip.frames) + " frames, not " +
                  std::to_string(options_.clip_frames) + ": training over several processes needs clips of one "
                  "length (as `nnse data` shards and --on-the-fly mixing make them)");
    }
    const auto frames = static_cast<std::size_t>(clip.frames);
    if (clip.frames < 0 || clip.feature_dim != feature_dim_ || clip.bins != bins_ ||
        clip.features.size() != frames * static_cast<std::size_t>(feature_dim_) ||
        clip.noisy.size() != frames * static_cast<std::size_t>(bins_) ||
        (!clip.clean.empty() && clip.clean.size() != clip.noisy.size())) {
      throw Error("clip " + std::to_string(clip.index) + ": prepared data has an inconsistent layout (" +
                  std::to_string(clip.frames) + " frames, dim " + std::to_string(clip.feature_dim) + ", bins " +
                  std::to_string(clip.bins) + "; batch expects dim " + std::to_string(feature_dim_) + ", bins " +
                  std::to_string(bins_) + ")");
    }
  }

  std::size_t clip_count_;
  const ClipPreparer& preparer_;
  const BatcherOptions& options_;
  int epoch_ = 0;
  std::vector<std::size_t> order_;
  std::vector<std::size_t> mine_;   // several processes: the clips of this batcher's slots, in order
  std::size_t next_clip_ = 0;
  std::size_t next_mine_ = 0;
  int batch_index_ = 0;
  std::vector<Slot> slots_;
  int feature_dim_ = 0;
  int bins_ = 0;
  std::unique_ptr<ClipWindow> window_;
};

Batcher::Batcher(std::size_t clip_count, ClipPreparer preparer, BatcherOptions options)
    : clip_count_(clip_count), preparer_(std::move(preparer)), options_(options) {
  if (options_.batch_size < 1) throw Error("--batch-size", "must be at least 1");
  if (options_.chunk_frames < 1) throw Error("--chunk-frames", "must be at least 1");
  if (options_.prefetch < 0) options_.prefetch = 0;
  if (options_.slot_count < 0 || options_.first_slot < 0 || options_.first_slot + options_.slot_count > options_.batch_size)
    throw Error("batcher: slots " + std::to_string(options_.first_slot) + " + " + std::to_string(options_.slot_count) +
                " outside a batch of " + std::to_string(options_.batch_size));
  if (options_.slot_count > 0 && options_.slot_count < options_.batch_size && options_.clip_frames < 1)
    throw Error("batcher: a batch shared by several processes needs the clips' frame count");
  producer_ = std::make_unique<Producer>(clip_count_, preparer_, options_);
}

Batcher::~Batcher() { stop(); }

void Batcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Batcher::start_epoch(int epoch) {
  stop();
  {
    std::lock_guard lock(mutex_);
    for (auto& batch : ready_) {
      batch->release_clips();
      spare_.push_back(std::move(batch));
    }
    ready_.clear();
    finished_ = false;
    stopping_ = false;
    error_ = nullptr;
  }
  wait_seconds_ = 0.0;
  epoch_ = epoch;
  producer_->reset(epoch);
  if (options_.prefetch > 0) thread_ = std::thread([this] { produce_loop(); });
}

std::unique_ptr<Batch> Batcher::take_spare() {
  std::lock_guard lock(mutex_);
  if (spare_.empty()) return std::make_unique<Batch>();
  auto batch = std::move(spare_.back());
  spare_.pop_back();
  return batch;
}

void Batcher::recycle(std::unique_ptr<Batch> batch) {
  if (!batch) return;
  batch->release_clips();
  std::lock_guard lock(mutex_);
  if (spare_.size() < static_cast<std::size_t>(options_.prefetch) + 1) spare_.push_back(std::move(batch));
}

void Batcher::produce_loop() {
  try {
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return stopping_ || ready_.size() < static_cast<std::size_t>(options_.prefetch); });
        if (stopping_) return;
      }
      auto batch = take_spare();
      const bool more = producer_->fill(*batch);
      {
        std::lock_guard lock(mutex_);
        if (more) {
          ready_.push_back(std::move(batch));
        } else {
          finished_ = true;
        }
      }
      changed_.notify_all();
      if (!more) return;
    }
  } catch (...) {
    {
      std::lock_guard lock(mutex_);
      error_ = std::current_exception();
      finished_ = true;
    }
    changed_.notify_all();
  }
}

std::unique_ptr<Batch> Batcher::next() {
  const auto start = std::chrono::steady_clock::now();
  if (options_.prefetch == 0) {
    auto batch = take_spare();
    const bool more = producer_->fill(*batch);
    wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (more) return batch;
    std::lock_guard lock(mutex_);
    release_spares_locked();
    return nullptr;
  }
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !ready_.empty() || finished_; });
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!ready_.empty()) {
    auto batch = std::move(ready_.front());
    ready_.pop_front();
    lock.unlock();
    changed_.notify_all();
    return batch;
  }
  if (error_) {
    auto error = error_;
    error_ = nullptr;
    std::rethrow_exception(error);
  }
  release_spares_locked();
  return nullptr;
}

void Batcher::release_spares_locked() {
  // An idle batcher (epoch done) gives its batch buffers back, so a train and a valid batcher never hold theirs at once.
  std::vector<std::unique_ptr<Batch>>().swap(spare_);
}

}  // namespace nnse::train
