#pragma once
// Decoded corpus audio shared by all mixing threads: each file is decoded once (mono, pipeline rate), high-passed
// with the front end's DC remover when asked, and kept while it fits the memory budget (least recently used
// files are dropped first). Two threads asking for the same file wait for one decode. A file that cannot be
// decoded is recorded in the SkipLog once and returned as an entry with `error` set, so callers skip it.
//
// Storage is lossless and compact: a file whose decoded samples are all 16-bit values (k / 32768: 16-bit FLAC or
// WAV at the pipeline rate, mono) is kept as int16 and turned back into exactly the same floats, DC removal
// included, on every get(); anything else (resampled, downmixed, float or 24-bit files) is kept as floats. Corpora
// are mostly 16-bit, so the budget holds about twice the audio a float cache would.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "nnse/data/skip_log.h"
#include "nnse/util/mapped_allocator.h"

namespace nnse::data {

struct DecodedAudio {
  // Mapped: a get() of a long noise file allocates megabytes that live only while one clip is mixed.
  std::vector<float, MappedAllocator<float>> samples;
  double active_power = 0.0;  // active speech level of the whole file (level.h), for speech
  std::string error;          // non-empty: the file is unusable and `samples` is empty
};

struct StoredAudio;  // what the cache keeps per file (audio_cache.cpp)

// One cached file, not expanded: its length and level, and any range of its samples on demand, bit-identical to
// the same range of AudioCache::get()'s floats. Mixing uses a few seconds of a noise file that may last minutes;
// expanding only those seconds (16-bit to float, DC removal resumed from a stored filter state) avoids
// converting and filtering the whole file for every clip.
class AudioRef {
 public:
  std::size_t size() const { return size_; }
  double active_power() const { return active_power_; }
  const std::string& error() const;
  // Writes samples [offset, offset + out.size()); the range must lie inside the file.
  void read(std::size_t offset, std::span<float> out) const;

 private:
  friend class AudioCache;
  std::shared_ptr<const StoredAudio> stored_;
  std::shared_ptr<const DecodedAudio> floats_;  // when the samples are at hand as floats (float storage, fresh decode)
  double dc_pole_ = 0.0;
  std::size_t size_ = 0;
  double active_power_ = 0.0;
};

class AudioCache {
 public:
  AudioCache(int sample_rate, double dc_pole, bool dc_removal, std::size_t budget_bytes,
             std::shared_ptr<SkipLog> skipped);
  // `dc` applies the DC remover (speech and noise); RIRs are read as they are. Thread-safe.
  std::shared_ptr<const DecodedAudio> get(const std::filesystem::path& file, bool dc);
  // The same file without expanding it (see AudioRef). Thread-safe.
  AudioRef ref(const std::filesystem::path& file, bool dc);
  // Memory held by the stored files (2 bytes per sample for 16-bit files, 4 otherwise).
  std::size_t bytes() const;
  int sample_rate() const { return sample_rate_; }

 private:
  using Stored = StoredAudio;
  using Future = std::shared_future<std::shared_ptr<const Stored>>;
  struct Slot {
    Future future;
    std::size_t bytes = 0;
    bool ready = false;
    std::list<std::string>::iterator lru;
  };
  // Reads `file` into what is stored and, in `audio`, the result get() returns.
  std::shared_ptr<const Stored> decode(const std::filesystem::path& file, bool dc,
                                       std::shared_ptr<const DecodedAudio>& audio) const;
  std::shared_ptr<const DecodedAudio> expand(const Stored& stored) const;
  // Looks the file up, decoding it if needed; `fresh` gets the decoder's floats when this call decoded it.
  std::shared_ptr<const Stored> lookup(const std::filesystem::path& file, bool dc,
                                       std::shared_ptr<const DecodedAudio>& fresh);
  void remove_dc(std::span<float> samples, bool dc) const;
  void evict_locked();

  int sample_rate_;
  double dc_pole_;
  bool dc_removal_;
  std::size_t budget_;
  std::shared_ptr<SkipLog> skipped_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Slot> slots_;
  std::list<std::string> lru_;  // most recently used first; only ready slots
  std::size_t bytes_ = 0;
};

}  // namespace nnse::data
