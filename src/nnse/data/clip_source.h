#pragma once
// The one interface the trainer reads training material through, whatever its origin:
//   ShardClipSource     clips stored by `nnse data --out` (the same clips every epoch);
//   OnTheFlyClipSource  clips mixed on demand by the same Mixer (new mixtures every epoch).
// Both give Clip{noisy, clean, meta} at the sample rate of their recipe, all clips of one source the same length.
// get() is thread-safe and deterministic: the same (index, epoch) always gives the same clip.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "nnse/data/mixer.h"
#include "nnse/data/shard.h"

namespace nnse::data {

class ClipSource {
 public:
  virtual ~ClipSource() = default;
  // Clips per epoch.
  virtual std::size_t size() const = 0;
  // Clip `index` (< size()) of `epoch` (>= 0). Shards ignore the epoch. Throws nnse::Error (naming the shard for a
  // corrupted record) rather than return bad data.
  virtual Clip get(std::size_t index, int epoch) const = 0;
  virtual int sample_rate() const = 0;
  virtual std::size_t clip_samples() const = 0;
  // True when get(i, e) differs between epochs (on-the-fly mixing).
  virtual bool varies_with_epoch() const = 0;
  // How the clips are made (Mixer::recipe(), plus storage details for shards).
  virtual nlohmann::json recipe() const = 0;
};

class OnTheFlyClipSource final : public ClipSource {
 public:
  explicit OnTheFlyClipSource(std::shared_ptr<const Mixer> mixer);
  // Convenience: reads the corpus and builds the mixer for `split`.
  OnTheFlyClipSource(const CorpusSources& sources, Split split, const MixConfig& config, int threads = 1);

  std::size_t size() const override { return mixer_->size(); }
  Clip get(std::size_t index, int epoch) const override { return mixer_->make(index, epoch); }
  int sample_rate() const override { return mixer_->config().frontend.sample_rate; }
  std::size_t clip_samples() const override { return mixer_->config().clip_samples(); }
  bool varies_with_epoch() const override { return true; }
  nlohmann::json recipe() const override { return mixer_->recipe(); }
  const Mixer& mixer() const { return *mixer_; }

 private:
  std::shared_ptr<const Mixer> mixer_;
};

class ShardClipSource final : public ClipSource {
 public:
  // `folder` is one split's output folder (OUT/train). Reads index.json and opens every shard it lists. Refuses,
  // with an nnse::Error naming the file: a folder without a complete index (interrupted run), a missing or
  // truncated shard, a shard whose recipe or clip range differs from the index. verify_now additionally reads
  // every record and checks its CRC (otherwise each record is checked when read).
  explicit ShardClipSource(const std::filesystem::path& folder, bool verify_now = false);

  std::size_t size() const override { return total_; }
  Clip get(std::size_t index, int epoch) const override;
  int sample_rate() const override { return sample_rate_; }
  std::size_t clip_samples() const override { return clip_samples_; }
  bool varies_with_epoch() const override { return false; }
  nlohmann::json recipe() const override { return recipe_; }
  std::size_t shard_count() const { return shards_.size(); }

 private:
  std::vector<std::unique_ptr<ShardReader>> shards_;
  std::vector<std::size_t> first_;  // first clip index of each shard
  std::size_t total_ = 0;
  int sample_rate_ = 0;
  std::size_t clip_samples_ = 0;
  nlohmann::json recipe_;
};

// Reads clips ahead on background threads so the consumer never waits for mixing or disk when the workers keep
// up: next() returns the clips of `order` in that order. Up to `depth` clips are held. Errors from get() are
// rethrown by next() for the clip that failed.
class ClipPrefetcher {
 public:
  ClipPrefetcher(std::shared_ptr<const ClipSource> source, std::vector<std::size_t> order, int epoch, int threads,
                 std::size_t depth = 8);
  ~ClipPrefetcher();
  ClipPrefetcher(const ClipPrefetcher&) = delete;
  ClipPrefetcher& operator=(const ClipPrefetcher&) = delete;
  // False when every clip of `order` has been returned.
  bool next(Clip& clip);
  // Seconds next() spent waiting for a clip that was not ready yet.
  double waited_seconds() const { return waited_; }

 private:
  struct Slot {
    bool ready = false;
    Clip clip;
    std::exception_ptr error;
  };
  void work();

  std::shared_ptr<const ClipSource> source_;
  std::vector<std::size_t> order_;
  int epoch_;
  std::size_t depth_;
  std::mutex mutex_;
  std::condition_variable ready_, space_;
  std::deque<Slot> window_;      // slots for positions [consumed_, consumed_ + window_.size())
  std::size_t consumed_ = 0;     // position of window_.front()
  std::size_t dispatched_ = 0;   // next position handed to a worker
  bool stopping_ = false;
  double waited_ = 0.0;
  std::vector<std::thread> workers_;
};

}  // namespace nnse::data
