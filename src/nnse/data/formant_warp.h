#pragma once
// Vocal-tract-length perturbation of speech (augmentation, off by default): the spectral envelope of each 32 ms
// frame is stretched along the frequency axis by a factor alpha while its fine structure stays put, so the
// formants move and the pitch does not.
//
// Why: speed perturbation (mix_config.h) moves pitch and formants together, so a corpus of a few dozen voices
// still offers the network only those voices' pitch-to-formant pairings; the models met voices they never heard
// with lower gains on clean speech (docs/experiments.md "A GRU instead of the LSTM"). Shorter and longer vocal
// tracts at the same pitch (Jaitly & Hinton 2013, "VTLP") are new voices the corpus does not hold.
//
// Per frame (512 samples, hop 256, periodic Hann, overlap-added to the original length): the envelope is the
// frame's LPC fit (order 16, autocorrelation method); the frame's spectrum is multiplied by
// |A(e^{jw})| / |A(e^{j phi^-1(w)})|, i.e. the old envelope divided out and the warped one put in, with the
// ratio limited to +-20 dB. phi is the piecewise-linear warp of VTLP: f -> alpha f up to 0.6 fs/2 * min(alpha, 1)
// / alpha, then a straight line to fs/2 (so the band edge stays where it is). alpha = 1 returns the input.
#include <span>
#include <vector>

namespace nnse::data {

// Throws nnse::Error for alpha outside [0.5, 2] or a non-positive sample rate.
std::vector<float> warp_formants(std::span<const float> speech, double alpha, int sample_rate);

// The warp's frequency map phi (Hz -> Hz) and its inverse, for tests and the docs.
double formant_warp_map(double hz, double alpha, int sample_rate);
double formant_warp_inverse(double hz, double alpha, int sample_rate);

}  // namespace nnse::data
