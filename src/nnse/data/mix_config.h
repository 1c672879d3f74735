#pragma once
// How the mixer (mixer.h) makes clips: clip length, speech per noise type, SNRs, levels, reverberation, noise
// sequencing and the train-only augmentations. Part of every shard's and feature-statistics cache's recipe, so
// it reads and writes JSON.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "nnse/data/coloration.h"
#include "nnse/data/level.h"
#include "nnse/data/reverb.h"
#include "nnse/data/room.h"
#include "nnse/data/snr.h"
#include "nnse/dsp/frontend_config.h"

namespace nnse::data {

struct MixConfig {
  std::uint64_t seed = 1;
  double clip_seconds = 25.0;             // reference MAX_LEN_SP; 5 chunks of 500 frames for the trainer
  std::int64_t datasize_noise = 20000;    // reference default; -1 = every speech file of the split
  // SNR choices; +infinity means a clean clip (no noise added: the model must learn to leave speech alone).
  std::vector<double> snr_db = {-6, -3, 0, 3, 6, 9, 12, 15, 30};
  double min_peak = 0.01, max_peak = 0.95;
  // How the peak is drawn in [min_peak, max_peak]: uniform in amplitude (the reference's; about 1 % of clips
  // peak below -34 dBFS), or uniform in dB, so quiet microphones are as common as loud ones.
  bool peak_uniform_in_db = false;
  double reverb_prob = 0.2;
  double pad_min_seconds = 0.25, pad_max_seconds = 2.0;
  double utterance_gain_db = 3.0;
  double one_shot_max_seconds = 1.0;
  double typing_gap_min_seconds = 0.08, typing_gap_max_seconds = 0.30;
  double typing_pause_prob = 0.15, typing_pause_min_seconds = 0.4, typing_pause_max_seconds = 1.5;
  RirOptions rir;
  ActiveLevelOptions level;
  // Augmentation (coloration.h), train split only: valid and test mixtures stay as recorded so that they
  // measure real conditions. Off by default (the reference has none).
  ColorationOptions coloration;
  // Augmentation, train split only: each clip's speech is played at a random speed in [1 - s, 1 + s] (tempo and
  // pitch together, by resampling, as Kaldi's speed perturbation): new voices from the same speakers. 0 = off.
  double speed_perturb = 0.0;
  // Augmentation, train split only: each clip's speech gets its formants moved by a random factor in [1 - w, 1 + w]
  // at an unchanged pitch (formant_warp.h: vocal-tract-length perturbation): voices the corpus does not hold. 0 = off.
  double formant_warp = 0.0;
  // Augmentation, train split only: this share of clips is reverberated in a simulated room (room.h) instead of
  // with a corpus RIR: many rooms, not the corpus's few. 0 = off.
  double sim_room_prob = 0.0;
  RoomOptions room;
  // Augmentation, train split only: this share of clips gets babble as its noise instead of a recording of its
  // noise type: `babble_talkers` (drawn in [min, max]) other stretches of the split's own speech stream, summed.
  // The corpora hold no babble recordings, and crowds are a common real noise. 0 = off.
  double babble_prob = 0.0;
  int babble_min_talkers = 3, babble_max_talkers = 8;
  dsp::FrontendConfig frontend;  // sample_rate, dc_pole and dc_removal are used here

  std::size_t clip_samples() const;
  // Throws nnse::Error naming the offending setting.
  void validate() const;
};

void to_json(nlohmann::json& j, const MixConfig& config);
void from_json(const nlohmann::json& j, MixConfig& config);

}  // namespace nnse::data
