#pragma once
// Random spectral coloration for training mixtures (augmentation, off by default): a cascade of peaking
// biquads with random centre frequency, width and gain. Real microphones, rooms and codecs tilt and ripple the
// spectrum by several dB, and a noise type seen through different such filters is, to the model, a new noise;
// with the small corpora this toolkit targets, that variety is what lets a model cope with speakers and noises
// it never saw. Speech gets one coloration (applied alike to the model input and the target, so the target
// stays a filtered version of the same talker) and the noise an independent one.
//
// Peaking filter (Bristow-Johnson's audio-EQ formulas): gain g dB at f0, 0 dB far from it, bandwidth set by Q.
#include <array>
#include <span>
#include <vector>

namespace nnse {
class Rng;  // util/random.h
}  // namespace nnse

namespace nnse::data {

using nnse::Rng;

struct Biquad {
  // Normalized so that a0 = 1: y[n] = b0 x[n] + b1 x[n-1] + b2 x[n-2] - a1 y[n-1] - a2 y[n-2].
  double b0 = 1.0, b1 = 0.0, b2 = 0.0, a1 = 0.0, a2 = 0.0;
  static Biquad peaking(double f0_hz, double q, double gain_db, int sample_rate);
  // Magnitude response in dB at `hz`.
  double response_db(double hz, int sample_rate) const;
};

struct ColorationOptions {
  double max_db = 0.0;        // each band's gain is uniform in [-max_db, max_db]; 0 = no coloration
  int bands = 3;
  double min_hz = 100.0, max_hz = 7000.0;  // centre frequencies, log-uniform
  double min_q = 0.5, max_q = 2.0;
};

// Draws `options.bands` peaking filters (empty when max_db is 0).
std::vector<Biquad> random_coloration(Rng& rng, const ColorationOptions& options, int sample_rate);

// Runs the cascade (at most 16 sections, as ColorationOptions::bands allows) over the signal in place, from
// zero state.
void apply_coloration(const std::vector<Biquad>& filters, std::span<float> signal);

// One signal and its cascade, for apply_colorations().
struct ColorationJob {
  const std::vector<Biquad>* filters;
  std::span<float> signal;
};

// Several independent signals of equal length (a mix's speech input, target and noise) in one pass, each with
// exactly the arithmetic apply_coloration() does on it alone (so the same floats). A cascade is one long chain
// of dependent multiply-adds per sample; running the signals side by side lets the processor overlap their
// chains instead of waiting on one at a time. At most 4 jobs; throws nnse::Error for more or unequal lengths.
void apply_colorations(std::span<const ColorationJob> jobs);

}  // namespace nnse::data
