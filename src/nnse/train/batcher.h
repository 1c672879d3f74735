#pragma once
// Clips -> chunk batches for the training engine (reference section 4.2, with variable-length clips).
//
// A batch has B sequence slots of T frames. Each slot walks through consecutive T-frame chunks of one clip, so
// the engine can carry recurrent state from one batch to the next in that slot; the first chunk of a clip has
// new_clip = 1 (state and context reset), frames past a clip's end are padding with valid = 0. When a slot's
// clip is used up it takes the next clip of the epoch's order in the following batch; the epoch ends when no
// slot has anything left. The order is a permutation of the clips drawn from (seed, epoch) when shuffling, the
// natural order otherwise, so a batch's contents depend only on (clips, seed, epoch), never on timing.
//
// Batches are built by a background thread (prefetch) while the engine trains on the previous one; the time
// the consumer spends blocked in next() is measured so the trainer can report its data-wait share.
#include <chrono>
#include <complex>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <span>
#include <string>
#include <vector>

#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/features.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/dsp/stft.h"
#include "nnse/util/mapped_allocator.h"

namespace nnse::train {

// One clip, ready to be cut into chunks: normalized features of the noisy signal and the complex spectra of
// noisy and clean, all row-major [frame][...].
struct PreparedClip {
  std::size_t index = 0;  // position in the clip source
  int frames = 0;
  int feature_dim = 0;
  int bins = 0;
  template <class T>
  using Buffer = std::vector<T, MappedAllocator<T>>;  // megabytes per clip, freed while other clips stay
  Buffer<float> features;                    // [frames][feature_dim]
  Buffer<std::complex<float>> noisy;         // [frames][bins]
  Buffer<std::complex<float>> clean;         // [frames][bins]; empty when prepared without clean rows
  // The time signals those spectra are the STFTs of, frames * hop samples (zero-padded), for losses that read
  // them (LossBatch::noisy_signal); empty unless the featurizer keeps them.
  Buffer<float> noisy_signal, clean_signal;
  double snr_db = 0.0;                       // the mixture's SNR, from the clip's metadata (NaN if unknown)
};

// Turns (noisy, clean) audio into a PreparedClip: block STFT of both (dsp::stft; DC removal is the mixer's job,
// not repeated here), log features of the noisy spectrum, normalized with `stats`. One instance per thread.
class ClipFeaturizer {
 public:
  // keep_signals: also keep the noisy and clean time signals in the PreparedClip (for a time-domain loss).
  // clean_rows = false (only with keep_signals): no clean STFT; PreparedClip::clean stays empty (for a loss that
  // reads only the clean time signal, Loss::reads_clean_rows_with_signals).
  ClipFeaturizer(const dsp::FrontendConfig& config, dsp::FeatureStats stats, bool keep_signals = false,
                 bool clean_rows = true);
  PreparedClip prepare(std::span<const float> noisy, std::span<const float> clean, double snr_db = 0.0);
  // The noisy side only: spectrum and normalized features (enhancement).
  void prepare_noisy(std::span<const float> noisy, dsp::Spectrum& spectrum, dsp::FeatureMatrix& features);
  // Unnormalized log features of a noisy signal (for computing the stats in the first place).
  dsp::FeatureMatrix raw_features(std::span<const float> noisy);
  const dsp::FrontendConfig& config() const { return config_; }
  const dsp::FeatureStats& stats() const { return stats_; }

 private:
  dsp::FrontendConfig config_;
  dsp::FeatureStats stats_;
  dsp::FeatureExtractor extractor_;
  bool keep_signals_ = false;
  bool clean_rows_ = true;
};

// Produces clip `index` of `epoch` (on-the-fly sources make new mixtures each epoch). With
// BatcherOptions::prepare_threads > 0 it is called from that many worker threads at once (for different clips),
// so it must be thread-safe; with 0 it is called from the batch-building thread only.
using ClipPreparer = std::function<PreparedClip(std::size_t index, int epoch)>;

struct Batch {
  int epoch = 0;
  int index = 0;           // batch number within the epoch
  int sequences = 0;       // B
  int frames = 0;          // T
  int feature_dim = 0;
  int bins = 0;
  std::vector<float> features;               // [B][T][feature_dim], zero on padded frames
  std::vector<std::uint8_t> valid;           // [B][T]
  std::vector<std::uint8_t> new_clip;        // [B]: 1 if this chunk is the first of its clip (or the slot is idle)
  std::vector<std::int64_t> clip_index;      // [B]: source index of the slot's clip, -1 if the slot is idle
  std::int64_t valid_frames = 0;             // sum of valid
  // The spectra are not copied: each slot refers to its clip (kept alive here) from the chunk's first frame.
  // A copy would add 2 x B x T x bins complex values per batch in flight (66 MB at 32 x 500 x 257).
  std::vector<std::shared_ptr<const PreparedClip>> clips;  // [B], null if the slot is idle
  std::vector<int> first_frame;                            // [B]: the chunk's first frame within its clip
  // The whole batch, of every process when several build one batch together (BatcherOptions::slot_count): what
  // losses normalize by, so that N processes compute what one process would. In one process: B, the busy slots
  // and valid_frames.
  struct Whole {
    int sequences = 0;
    int busy = 0;                  // slots holding a clip
    std::int64_t valid_frames = 0;
  } whole;

  void resize(int sequences, int frames, int feature_dim, int bins);
  // Sequence s's noisy / clean spectrum from the chunk's first frame: its valid frames, `bins` values each,
  // consecutive. nullptr for an idle slot.
  const std::complex<float>* noisy(int s) const;
  const std::complex<float>* clean(int s) const;
  // Sequence s's noisy / clean time signal from the chunk's first hop (LossBatch::noisy_signal); nullptr for an
  // idle slot or a clip prepared without its signals.
  const float* noisy_signal(int s) const;
  const float* clean_signal(int s) const;
  // Drops the references to clips (a recycled batch must not keep them in memory).
  void release_clips();
};

struct BatcherOptions {
  int batch_size = 32;
  int chunk_frames = 500;
  bool shuffle = true;
  std::uint64_t seed = 1;
  int prefetch = 2;        // batches built ahead of the consumer (0: build in next(), no thread)
  int prepare_threads = 0; // workers preparing clips ahead, in epoch order (0: prepared when a slot needs one)
  int prepare_depth = 0;   // clips prepared ahead at most (0: 2 per worker)
  // Data parallel over processes: this batcher builds slots [first_slot, first_slot + slot_count) of the
  // batch_size-slot batch (0: all), exactly what those slots hold in one process's batch; the other slots are
  // followed without preparing their clips. That needs every clip to have clip_frames frames (the clip sources
  // make clips of one length; a different one is refused): slot s then holds clip position k * batch_size + s
  // of the epoch's order in its k-th round.
  int first_slot = 0;
  int slot_count = 0;
  int clip_frames = 0;
  // The clips' layout when known in advance (0: the first clip's). A process whose slots get no clip in an epoch
  // (fewer clips than slots) still builds batches of the right shape from it.
  int feature_dim = 0;
  int bins = 0;
};

// Clip order for an epoch: a permutation of 0..count-1 from (seed, epoch) (Fisher-Yates on a splitmix64
// stream, so it is the same on every platform and standard library).
std::vector<std::size_t> epoch_order(std::size_t count, std::uint64_t seed, int epoch, bool shuffle);

class Batcher {
 public:
  Batcher(std::size_t clip_count, ClipPreparer preparer, BatcherOptions options);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Starts producing the batches of `epoch` (stops a previous epoch that was not consumed to the end).
  void start_epoch(int epoch);
  // The next batch of the current epoch, or nullptr when the epoch is done (the batcher then frees its batch
  // buffers). Rethrows a preparer's exception.
  std::unique_ptr<Batch> next();
  // Hands a consumed batch back so its buffers are reused (optional).
  void recycle(std::unique_ptr<Batch> batch);

  // The epoch of the last start_epoch() (-1 before the first).
  int epoch() const { return epoch_; }
  // Seconds the consumer spent blocked in next() since start_epoch().
  double wait_seconds() const { return wait_seconds_; }
  std::size_t clip_count() const { return clip_count_; }
  const BatcherOptions& options() const { return options_; }

 private:
  struct Slot {
    std::shared_ptr<const PreparedClip> clip;  // null for another process's slot
    bool busy = false;
    int frames = 0;
    int next_frame = 0;
  };
  class Producer;  // walks the slots; runs on the prefetch thread or inline

  void stop();
  void produce_loop();
  void release_spares_locked();
  std::unique_ptr<Batch> take_spare();

  std::size_t clip_count_;
  ClipPreparer preparer_;
  BatcherOptions options_;
  std::unique_ptr<Producer> producer_;

  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::unique_ptr<Batch>> ready_;
  std::vector<std::unique_ptr<Batch>> spare_;
  bool finished_ = false;   // producer reached the end of the epoch
  bool stopping_ = false;   // consumer asked the producer to quit
  std::exception_ptr error_;
  double wait_seconds_ = 0.0;
  int epoch_ = -1;
};

}  // namespace nnse::train
