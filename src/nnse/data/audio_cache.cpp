#include "nnse/data/audio_cache.h"

#include <algorithm>
#include <cmath>

#include "nnse/audio/audio_io.h"
#include "nnse/data/level.h"
#include "nnse/dsp/dc_filter.h"
#include "nnse/util/error.h"
#include "nnse/util/stage_profile.h"

namespace nnse::data {

// DC-remover state is kept every kDcBlock samples: a range read restarts the filter at most this many samples
// before the range (8 bytes per 1024 samples, 0.4 % of the 16-bit storage).
constexpr std::size_t kDcBlock = 1024;

// What is kept per file: either the ready result (float storage, or an error) or its 16-bit samples before
// DC removal plus the level measured at decode time and the DC remover's state at every block start.
struct StoredAudio {
  std::shared_ptr<const DecodedAudio> ready;
  std::vector<std::int16_t, MappedAllocator<std::int16_t>> pcm16;
  std::vector<double> dc_output;  // the remover's previous output before sample k * kDcBlock; empty: no DC removal
  double active_power = 0.0;
  bool dc = false;
  std::size_t bytes() const;
};

AudioCache::AudioCache(int sample_rate, double dc_pole, bool dc_removal, std::size_t budget_bytes,
                       std::shared_ptr<SkipLog> skipped)
    : sample_rate_(sample_rate),
      dc_pole_(dc_pole),
      dc_removal_(dc_removal),
      budget_(budget_bytes),
      skipped_(skipped ? std::move(skipped) : std::make_shared<SkipLog>()) {}

namespace {

constexpr float kPcm16Scale = 1.0f / 32768.0f;

// The 16-bit values of `samples` when every one is k / 32768 for an int16 k (exactly what libsndfile gives for
// 16-bit files), otherwise empty.
std::vector<std::int16_t, MappedAllocator<std::int16_t>> exact_pcm16(std::span<const float> samples) {
  std::vector<std::int16_t, MappedAllocator<std::int16_t>> pcm(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const float scaled = samples[i] * 32768.0f;  // exact: a power-of-two scale
    if (!(scaled >= -32768.0f && scaled <= 32767.0f) || scaled != std::nearbyint(scaled)) return {};
    if (scaled == 0.0f && std::signbit(scaled)) return {};  // -0 would come back as +0
    pcm[i] = static_cast<std::int16_t>(scaled);
  }
  return pcm;
}

}  // namespace

std::size_t StoredAudio::bytes() const {
  return pcm16.size() * sizeof(std::int16_t) + dc_output.size() * sizeof(double) +
         (ready ? ready->samples.size() * sizeof(float) : 0) + 128;
}

const std::string& AudioRef::error() const {
  static const std::string none;
  return floats_ ? floats_->error : none;
}

void AudioRef::read(std::size_t offset, std::span<float> out) const {
  if (offset > size_ || out.size() > size_ - offset) {
    throw Error("audio cache: range [" + std::to_string(offset) + ", " + std::to_string(offset + out.size()) +
                ") outside a file of " + std::to_string(size_) + " samples");
  }
  if (floats_) {
    std::copy_n(floats_->samples.begin() + static_cast<std::ptrdiff_t>(offset), out.size(), out.begin());
    return;
  }
  const auto& pcm = stored_->pcm16;
  if (stored_->dc_output.empty()) {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(pcm[offset + i]) * kPcm16Scale;
    return;
  }
  // Resume the remover at the block start before `offset` with the state the whole-file pass had there: the same
  // arithmetic on the same inputs, so the same floats.
  const std::size_t block = offset / kDcBlock * kDcBlock;
  const double previous_input = block > 0 ? static_cast<double>(static_cast<float>(pcm[block - 1]) * kPcm16Scale) : 0.0;
  dsp::DcRemover remover(dc_pole_);
  remover.set_state(previous_input, stored_->dc_output[block / kDcBlock]);
  for (std::size_t i = block; i < offset; ++i) remover.process(static_cast<float>(pcm[i]) * kPcm16Scale);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = remover.process(static_cast<float>(pcm[offset + i]) * kPcm16Scale);
}

void AudioCache::remove_dc(std::span<float> samples, bool dc) const {
  if (!dc || !dc_removal_) return;
  dsp::DcRemover remover(dc_pole_);
  remover.process(samples);
}

std::shared_ptr<const AudioCache::Stored> AudioCache::decode(const std::filesystem::path& file, bool dc,
                                                            std::shared_ptr<const DecodedAudio>& audio) const {
  const profile::Scope scope(profile::Stage::decode);
  auto out = std::make_shared<DecodedAudio>();
  try {
    const std::vector<float> samples = audio::read_mono(file, sample_rate_, false);
    if (samples.empty()) throw std::runtime_error("contains no audio samples");
    out->samples.assign(samples.begin(), samples.end());
  } catch (const std::exception& e) {
    std::string reason = e.what();
    const std::string prefix = file.string() + ": ";
    if (reason.rfind(prefix, 0) == 0) {
      reason = reason.substr(prefix.size());
    } else if (!dynamic_cast<const Error*>(&e)) {
      reason = std::string("cannot decode (") + e.what() + "; broken header?)";
    }
    out->samples.clear();
    out->error = reason;
    skipped_->add(file.string(), reason);
    auto stored = std::make_shared<Stored>();
    stored->ready = out;
    audio = std::move(out);
    return stored;
  }
  auto stored = std::make_shared<Stored>();
  stored->pcm16 = exact_pcm16(out->samples);
  stored->dc = dc;
  if (dc && dc_removal_ && !stored->pcm16.empty()) {
    // The same pass as remove_dc(), noting the state at every block start for AudioRef::read().
    dsp::DcRemover remover(dc_pole_);
    std::span<float> all(out->samples.data(), out->samples.size());
    stored->dc_output.reserve(all.size() / kDcBlock + 1);
    for (std::size_t start = 0; start < all.size(); start += kDcBlock) {
      stored->dc_output.push_back(remover.previous_output());
      remover.process(all.subspan(start, std::min(kDcBlock, all.size() - start)));
    }
  } else {
    remove_dc(out->samples, dc);
  }
  out->active_power = active_speech_level(out->samples, sample_rate_).power;
  stored->active_power = out->active_power;
  if (stored->pcm16.empty()) stored->ready = out;
  audio = std::move(out);
  return stored;
}

std::shared_ptr<const DecodedAudio> AudioCache::expand(const Stored& stored) const {
  if (stored.ready) return stored.ready;
  const profile::Scope scope(profile::Stage::expand);
  auto out = std::make_shared<DecodedAudio>();
  out->samples.resize(stored.pcm16.size());
  for (std::size_t i = 0; i < stored.pcm16.size(); ++i) out->samples[i] = static_cast<float>(stored.pcm16[i]) * kPcm16Scale;
  remove_dc(out->samples, stored.dc);
  out->active_power = stored.active_power;
  return out;
}

std::shared_ptr<const DecodedAudio> AudioCache::get(const std::filesystem::path& file, bool dc) {
  std::shared_ptr<const DecodedAudio> fresh;
  const auto stored = lookup(file, dc, fresh);
  return fresh ? fresh : expand(*stored);
}

AudioRef AudioCache::ref(const std::filesystem::path& file, bool dc) {
  AudioRef ref;
  std::shared_ptr<const DecodedAudio> fresh;
  ref.stored_ = lookup(file, dc, fresh);
  ref.floats_ = fresh ? fresh : ref.stored_->ready;
  ref.dc_pole_ = dc_pole_;
  ref.size_ = ref.floats_ ? ref.floats_->samples.size() : ref.stored_->pcm16.size();
  ref.active_power_ = ref.floats_ ? ref.floats_->active_power : ref.stored_->active_power;
  return ref;
}

std::shared_ptr<const StoredAudio> AudioCache::lookup(const std::filesystem::path& file, bool dc,
                                                      std::shared_ptr<const DecodedAudio>& fresh) {
  const std::string key = (dc ? "dc:" : "raw:") + file.string();
  std::promise<std::shared_ptr<const Stored>> promise;
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
  std::shared_ptr<const Stored> value;
  try {
    value = decode(file, dc, fresh);  // the decoder's own floats: no expansion of what it just stored
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
    it->second.bytes = value->bytes();
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
