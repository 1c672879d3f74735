#pragma once
// Noisy/clean training clips (reference 2.2, with its known bugs fixed), deterministic from a seed.
//
// Speech stream. For each (epoch, noise type) the split's speech files are shuffled and the first N kept
// (N = --datasize-noise for train, ceil(N/5) for valid and test, as reference 2.4; -1 = all). Each utterance
// gets U[0.25, 2) s of silence before and after it (integer sample counts) and a gain that sets its own active
// speech level to 0 dB +- `utterance_gain_db`, and the padded utterances are laid end to end into one
// cyclic stream. The type's clips are equally spaced windows of `clip_seconds` over that stream, so every
// drawn utterance is used once per type and epoch, and a clip holds as many utterances as fit (the reference
// always takes two and zero-pads to 25 s, which leaves short-utterance corpora mostly silent).
// Clip count per type = round(N * (mean utterance length + mean silence) / clip length): it depends only on the
// corpus and the config, never on the epoch, so size() is fixed.
//
// Clip index i -> noise type i mod T, window i / T (types interleave, so any run of clips mixes all types).
//
// Randomness (random.h): the utterance order and silences of (split, epoch, type) come from their own keys;
// everything else about clip i - SNR, level, reverberation, noise file and offset - from
// key(seed, split, epoch, i, "clip"). Any clip can be made alone, in any order, on any thread, bit-identically.
//
// One clip: dry speech window -> optional reverberation (reverb.h; input: full RIR, target: direct path + early
// reflections) -> each of input and target scaled to unit active speech level (level.h) -> noise scaled to unit
// power and by 10^(-SNR/20), SNR uniform from `snr_db` -> noisy = input + noise -> noisy and target scaled by
// one gain so that max |noisy| is uniform in [min_peak, max_peak], or in dB with peak_uniform_in_db (lowered if
// the target would clip).
// With coloration on (train split), the speech (input and target alike) and the noise are each filtered by
// their own random peaking-EQ cascade before the levels are set; its draws come from their own stream.
// Speech and noise are DC-filtered as in the front end (per file, before mixing; the filter is linear and
// time-invariant, so this equals filtering the mixture parts).
//
// Babble (train split, `babble_prob`): the noise is instead 3-8 windows of the same speech stream summed, each
// starting at least two clip lengths after the clip's own window (cyclically), so other utterances and, in a
// corpus of many speakers, mostly other voices.
//
// Noise. A file of the clip's type is drawn uniformly. Longer than the clip: a random crop. Shorter: tiled
// from a random offset. One-shot sounds (shorter than `one_shot_max_seconds`, e.g. single key presses) are
// instead sequenced into a stream: random one-shots of the same type at typing-like gaps with occasional pauses.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nnse/data/audio_cache.h"
#include "nnse/data/clip.h"
#include "nnse/data/corpus.h"
#include "nnse/data/mix_config.h"
#include "nnse/data/random.h"

namespace nnse::data {

// Bumped whenever the same config would give different clips; recorded in every shard.
inline constexpr int kMixingVersion = 1;

class Mixer {
 public:
  // `cache` may be null (a private one with a 512 MiB budget is made). Throws nnse::Error if the split has no
  // speech or no noise.
  Mixer(std::shared_ptr<const Corpus> corpus, Split split, MixConfig config, std::shared_ptr<AudioCache> cache = nullptr);

  std::size_t size() const { return noise_types_.size() * clips_per_type_; }
  std::size_t clips_per_type() const { return clips_per_type_; }
  std::size_t speech_per_type() const { return speech_per_type_; }
  const std::vector<std::string>& noise_types() const { return noise_types_; }
  Split split() const { return split_; }
  const MixConfig& config() const { return config_; }
  const Corpus& corpus() const { return *corpus_; }

  // Clip `index` (< size()) of `epoch`. Thread-safe; a pure function of (corpus, config, split, epoch, index).
  Clip make(std::size_t index, int epoch = 0) const;

  // What defines the clips: mixing version, config, split, corpus fingerprint, sizes. Equal recipes give
  // identical clips.
  nlohmann::json recipe() const;

 private:
  struct Placed {
    std::uint32_t file;     // index into the split's speech list
    std::int64_t start;     // stream position of the utterance's first sample
    std::int64_t length;    // planned samples (the file's length)
    float gain_db;
  };
  struct Plan {
    std::vector<Placed> items;  // sorted by start
    std::int64_t total = 0;     // stream length (cyclic)
  };
  std::shared_ptr<const Plan> plan(int epoch, std::size_t type) const;
  std::vector<float> speech_window(const Plan& plan, std::int64_t start, std::int64_t length,
                                   std::int64_t report_from, std::vector<SpeechPiece>* pieces) const;
  // The random stream `stream` of clip `index` of `epoch` (random.h): each draw of a clip has its own, so one
  // augmentation switched on leaves every other draw as it was.
  Rng clip_stream(int epoch, std::size_t index, Stream stream) const;
  std::vector<float> noise_for(std::size_t type, std::size_t length, class Rng& rng, ClipMeta& meta) const;
  // Babble: talkers drawn from `rng`, each a window of the plan's stream away from the clip's own; empty when
  // every window is silent (the caller then uses the noise type's recordings).
  std::vector<float> babble_for(const Plan& plan, std::int64_t clip_start, std::size_t length, class Rng& rng,
                                ClipMeta& meta) const;

  std::shared_ptr<const Corpus> corpus_;
  Split split_;
  MixConfig config_;
  std::shared_ptr<AudioCache> cache_;
  const SplitFiles* files_ = nullptr;
  std::vector<std::string> noise_types_;
  std::vector<std::vector<std::uint32_t>> noise_by_type_;     // indices into files_->noise
  std::vector<std::vector<std::uint32_t>> one_shots_by_type_;
  std::size_t speech_per_type_ = 0;
  std::size_t clips_per_type_ = 0;
  std::string fingerprint_;
  mutable std::mutex plans_mutex_;
  mutable std::map<std::pair<int, std::size_t>, std::shared_ptr<const Plan>> plans_;
};

}  // namespace nnse::data
