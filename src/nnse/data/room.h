#pragma once
// Simulated rooms for reverberation augmentation: impulse responses of random shoebox rooms by the image-source
// method (Allen & Berkley 1979), so training hears many rooms instead of the corpus's few recorded ones.
//
// Room: walls of uniform absorption set from the drawn RT60 by Sabine's formula (alpha = 0.161 V / (S RT60));
// each image source contributes beta^(wall hits) / distance at its delay, placed with a windowed-sinc fractional
// delay (32 taps), for the first 80 ms after the direct path; after that a Gaussian noise tail decaying 60 dB per
// RT60, level-matched to the image response, up to `max_seconds`. The direct path has amplitude 1 (levels are set
// later by the mixer on the reverberant speech).
#include <cstdint>
#include <vector>

#include "nnse/util/random.h"

namespace nnse::data {

struct RoomOptions {
  double min_size_m = 3.0, max_size_m = 10.0;      // length and width
  double min_height_m = 2.4, max_height_m = 4.0;
  double min_rt60_s = 0.15, max_rt60_s = 0.8;
  double min_distance_m = 0.5, max_distance_m = 4.0;  // source to microphone
  double wall_margin_m = 0.4;                      // nothing closer to a wall than this
  double max_seconds = 0.5;                        // length of the response after the direct path
};

struct RoomDraw {
  double size_m[3] = {0, 0, 0};
  double source_m[3] = {0, 0, 0};
  double mic_m[3] = {0, 0, 0};
  double rt60_s = 0.0;
};

// A random room and source/microphone placement (every draw from `rng`).
RoomDraw draw_room(Rng& rng, const RoomOptions& options);

// The impulse response of `room` at `sample_rate`: the direct path lands at sample 16 (the sinc's half-width), so
// prepare_rir() finds it as the peak. The late tail's noise comes from `tail_rng`.
std::vector<float> room_impulse_response(const RoomDraw& room, int sample_rate, double max_seconds, Rng& tail_rng);

}  // namespace nnse::data
