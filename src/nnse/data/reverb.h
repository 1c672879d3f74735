#pragma once
// Reverberation for training mixtures (reference 2.2 step 4). The input gets the full room impulse response; the
// target keeps the direct path and early reflections unchanged (up to `early_samples` after the peak) and the
// rest with an extra decay, so the network learns to remove late reverberation only.
// Differences from the reference, on purpose: the peak is argmax |h| (the reference's max(h) == h lookup fails
// when the strongest tap is negative); the output is aligned so the direct path lands where the dry speech is
// (the reference's mode 'same' shifts it by half the RIR length); the RIR keeps up to `max_seconds_after_peak`
// after its peak instead of the first 3000 samples; convolution is by FFT (overlap-add).
#include <cstddef>
#include <span>
#include <vector>

namespace nnse::data {

struct RirOptions {
  double max_seconds_after_peak = 1.0;
  int max_samples_before_peak = 32;  // pre-peak taps kept (2 ms at 16 kHz); more would be acausal ringing
  int early_samples = 80;            // 5 ms at 16 kHz, as the reference
  double extra_decay_db_per_second = 60.0;  // reference tau = 1/3 s: 10^(-3 t), i.e. -60 dB per second
};

struct PreparedRir {
  std::vector<float> full;    // trimmed RIR
  std::vector<float> target;  // direct path + early reflections, later taps with the extra decay
  std::size_t peak = 0;       // index of argmax |full|
};

// Throws nnse::Error when the RIR is empty or all zeros.
PreparedRir prepare_rir(std::span<const float> rir, int sample_rate, const RirOptions& options = {});

// Full linear convolution of x with each kernel, by FFT overlap-add; returns, per kernel, the `length` output
// samples starting at full-convolution index `offset` (samples outside the convolution are 0).
std::vector<std::vector<float>> fft_convolve(std::span<const float> x, const std::vector<std::vector<float>>& kernels,
                                             std::size_t offset, std::size_t length);

}  // namespace nnse::data
