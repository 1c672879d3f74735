#pragma once
// Where the trainer's clips come from: shard folders (`nnse data --out DIR`) or a corpus mixed on the fly, chosen
// by the CLI's data options and handed to the trainer, evaluation and compare-losses as one ClipSet per split.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nnse/data/clip_source.h"
#include "nnse/data/mixer.h"
#include "nnse/dsp/frontend_config.h"

namespace nnse::train {

// The clips the trainer reads: a count and a thread-safe getter (clip `index` of `epoch`; sources that make new
// mixtures each epoch use the epoch, fixed ones ignore it). The CLI adapts shard folders and on-the-fly mixers.
struct ClipSet {
  std::size_t size = 0;
  std::function<data::Clip(std::size_t index, int epoch)> get;
  std::string description;  // for messages ("shards in data/train", ...)
  // The audio was DC-filtered with the front end's filter when it was mixed (shards and training mixtures);
  // raw mixtures for evaluation are not, so the enhancer filters them itself, as it does for users' files.
  bool dc_removed = true;
  nlohmann::json recipe;    // how the clips are made (data::ClipSource::recipe()); null: unknown, nothing is cached
  // Samples of every clip when all have one length (the clip sources'), 0: unknown or varying. Training over
  // several processes needs it (BatcherOptions::clip_frames).
  std::size_t clip_samples = 0;
};

// Adapts a data::ClipSource (shards or on-the-fly mixing) to a ClipSet; the set keeps the source alive.
ClipSet clip_set_from(std::shared_ptr<const data::ClipSource> source, std::string description);
// The folder of one split's shards under an `nnse data --out DIR` folder: DIR/<split> when it has an index.json,
// else DIR itself when it has one (a split folder given directly). Throws nnse::Error naming DIR otherwise.
std::filesystem::path shard_split_folder(const std::filesystem::path& data_dir, const std::string& split);


// Where clips come from, as the CLI options say it: shards (`nnse data --out DIR`) or on-the-fly mixing.
struct DataChoice {
  std::filesystem::path data;        // shards root (DIR/train, DIR/valid, DIR/test) or one split's folder
  std::filesystem::path corpus;      // with on_the_fly (or for evaluation without shards)
  std::vector<std::filesystem::path> more_corpora;  // merged into `corpus` (extra voices and noises)
  bool on_the_fly = false;
  std::filesystem::path valid_data;  // validation shards; default DIR/valid when present
  bool no_valid = false;
  std::int64_t datasize_noise = data::MixConfig{}.datasize_noise;  // on-the-fly: speech files per noise type
  double clip_seconds = data::MixConfig{}.clip_seconds;
  double eq_db = 0.0;                // on-the-fly: random spectral coloration of training mixtures (0: off)
  double speed_perturb = 0.0;        // on-the-fly: random speed in [1 - s, 1 + s] of training speech (0: off)
  double formant_warp = 0.0;         // on-the-fly: random formant factor in [1 - w, 1 + w] of training speech (0: off)
  double sim_room_prob = 0.0;        // on-the-fly: share of training clips reverberated in a simulated room
  double babble_prob = 0.0;          // on-the-fly: share of training clips with babble of their own speech as noise
  std::vector<double> snr_db;        // SNR choices (+inf: clean); empty = the mixer's default list
  std::optional<double> reverb_prob; // share of reverberant clips; none = the mixer's default
  // Peak level range in dBFS, drawn uniformly in dB; none = the mixer's default (uniform in amplitude).
  std::optional<std::pair<double, double>> peak_dbfs;
  // Extra decay (dB/s) of the target's late reverberation; none = the mixer's default (reverb.h). 0: the target
  // keeps the room as the input has it, so the network learns to remove noise only.
  std::optional<double> target_late_decay_db_per_s;
  // Mix without DC removal (evaluation): the clips are what a microphone gives, and the enhancer filters them
  // for its features itself. Training mixes DC-removed audio, as the reference does.
  bool raw_audio = false;
  std::uint64_t seed = 1;            // mixing seed
  int threads = 1;                   // for reading the corpus
  // On-the-fly: memory for decoded corpus audio, one budget for all splits. 16-bit audio is kept as int16, so
  // 256 MiB holds about 2 hours; a larger corpus re-decodes the least recently used files when it comes back.
  std::size_t cache_mb = 256;
};
struct TrainingData {
  ClipSet train;
  std::optional<ClipSet> valid;      // none when there is no validation data (or no_valid)
};
// Opens the training (and validation) clips. Throws nnse::Error for missing or mismatched data.
TrainingData open_training_data(const DataChoice& choice, const dsp::FrontendConfig& frontend);
// The clips of one split ("train", "valid", "test"), from shards or, without --data, mixed from the corpus (a fixed
// set: epoch 0). max_clips > 0 keeps only the first clips.
ClipSet open_split_data(const DataChoice& choice, const std::string& split, const dsp::FrontendConfig& frontend,
                        std::size_t max_clips = 0);
// Evaluation over an SNR sweep: the same clips (speech, noise, level) mixed at every SNR of `snrs` (+inf:
// clean input), one after another: snrs.size() x the clips of one SNR. Needs choice.corpus.
ClipSet open_snr_sweep(const DataChoice& choice, const std::string& split, const dsp::FrontendConfig& frontend,
                       const std::vector<double>& snrs, std::size_t max_clips = 0);

}  // namespace nnse::train
