#pragma once
// Active speech level, a simplified ITU-T P.56: the signal is cut into 20 ms frames, and the level is the mean
// power of the frames whose energy lies within `threshold_db` of the loudest frame. Pauses, the silences put
// between utterances and a low recording floor therefore do not count, so an SNR set on this level means the
// same thing for a clip that is 30 % speech and one that is 90 % speech.
// Simplified against P.56: no envelope smoothing and no hangover (P.56 adds 200 ms after each active stretch,
// which would count a little silence as speech), and a fixed threshold relative to the maximum instead of
// P.56's iterative 15.9 dB margin.
#include <cstddef>
#include <span>

namespace nnse::data {

struct ActiveLevel {
  double power = 0.0;              // mean square of the active frames (0 when the signal is silent)
  double active_fraction = 0.0;    // share of frames counted as active
  std::size_t active_frames = 0;
};

struct ActiveLevelOptions {
  double frame_seconds = 0.02;
  double threshold_db = 40.0;  // frames more than this below the loudest frame are inactive
};

ActiveLevel active_speech_level(std::span<const float> signal, int sample_rate, const ActiveLevelOptions& options = {});

// Mean square over the whole signal.
double mean_power(std::span<const float> signal);

}  // namespace nnse::data
