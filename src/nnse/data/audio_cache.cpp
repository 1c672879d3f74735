#include "nnse/data/audio_cache.h"

#include "nnse/audio/audio_io.h"
#include "nnse/data/level.h"
#include "nnse/dsp/dc_filter.h"
#include "nnse/util/error.h"

namespace nnse::data {

AudioCache::AudioCache(int sample_rate, double dc_pole, bool dc_removal, std::size_t budget_bytes,
                       std::shared_ptr<SkipLog> skipped)
    : sample_rate_(sample_rate),
      dc_pole_(dc_pole),
      dc_removal_(dc_removal),
      budget_(budget_bytes),
      skipped_(skipped ? std::move(skipped) : std::make_shared<SkipLog>()) {}

std::shared_ptr<const DecodedAudio> AudioCache::decode(const std::filesystem::path& file, bool dc) const {
  auto out = std::make_shared<DecodedAudio>();
  try {
    out->samples = audio::read_mono(file, sample_rate_, false);
    if (out->samples.empty()) throw std::runtime_error("contains no audio samples");
  } catch (const std::exception& e) {
    std::string reason = e.what();
    const std::string prefix = file.string() + ": ";
    if (reason.rfind(prefix, 0) == 0) {
      reason = reason.substr(prefix.size());
    } else if (!dynamic_cast<const Error*>(&e)) {
      reason = std::string("cannot decode (") + e.what() + "; broken header?)";
    }
    out->samples.clear();
    out->samples.shrink_to_fit();
    out->error = reason;
    skipped_->add(file.string(), reason);
    return out;
  }
  if (dc && dc_removal_) {
    dsp::DcRemover remover(dc_pole_);
    remover.process(out->samples);
  }
  out->active_power = active_speech_level(out->samples, sample_rate_).power;
  return out;
}

std::shared_ptr<const DecodedAudio> AudioCache::get(const std::filesystem::path& file, bool dc) {
  const std::string key = (dc ? "dc:" : "raw:") + file.string();
  std::promise<std::shared_ptr<const DecodedAudio>> promise;
  Future future;
  bool owner = false;
  {
    std::lock_guard lock(mutex_);
    auto it = slots_.find(key);
    if (it != slots_.end()) {
      if (it->second.ready) lru_.splice(lru_.begin(), lru_, it->second.lru);
      future = it->second.future;
    } else {
      Slot slot;
      slot.future = promise.get_future().share();
      future = slot.future;
      slots_.emplace(key, std::move(slot));
      owner = true;
    }
  }
  if (!owner) return future.get();  // decoded, or being decoded by another thread
  std::shared_ptr<const DecodedAudio> value;
  try {
    value = decode(file, dc);
  } catch (...) {
    promise.set_exception(std::current_exception());
    std::lock_guard lock(mutex_);
    slots_.erase(key);
    throw;
  }
  promise.set_value(value);
  std::lock_guard lock(mutex_);
  auto it = slots_.find(key);
  if (it != slots_.end()) {
    it->second.ready = true;
    it->second.bytes = value->samples.size() * sizeof(float) + 128;
    lru_.push_front(key);
    it->second.lru = lru_.begin();
    bytes_ += it->second.bytes;
    evict_locked();
  }
  return value;
}

void AudioCache::evict_locked() {
  // Keep the entry just added even if it alone exceeds the budget: the caller holds it anyway.
  while (bytes_ > budget_ && lru_.size() > 1) {
    const std::string key = lru_.back();
    lru_.pop_back();
    auto it = slots_.find(key);
    if (it != slots_.end()) {
      bytes_ -= it->second.bytes;
      slots_.erase(it);
    }
  }
}

std::size_t AudioCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace nnse::data
