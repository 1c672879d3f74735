#pragma once
// Short-time Fourier transform of the front end (reference 1.2, 1.3, 1.5), in two forms that give identical
// frames: streaming (one hop at a time, for real-time enhancement) and block (whole signals, for training).
//
// Frame t covers input samples [hop*t - (win-hop), hop*t + hop) with zeros before the stream start; the frame
// is multiplied by the sqrt-Hann window (window.h), zero-padded at the end to fft_size and transformed with an
// unnormalized DFT; bins 0..fft_size/2 are kept. Synthesis applies the normalized inverse, the same window and
// overlap-add, so analysis followed by synthesis reproduces the input delayed by (win - hop) samples.
#include <complex>
#include <cstddef>
#include <span>
#include <vector>

#include "nnse/dsp/frame_fft.h"
#include "nnse/dsp/frontend_config.h"

namespace nnse::dsp {

using Complex = std::complex<float>;

// A complex spectrogram, row-major [frame][bin].
struct Spectrum {
  int frames = 0;
  int bins = 0;
  std::vector<Complex> values;

  Spectrum() = default;
  Spectrum(int frames, int bins);  // zero-filled

  Complex& at(int t, int k) { return values[index(t, k)]; }
  const Complex& at(int t, int k) const { return values[index(t, k)]; }
  std::span<const Complex> frame(int t) const { return {values.data() + index(t, 0), static_cast<std::size_t>(bins)}; }
  std::span<Complex> frame(int t) { return {values.data() + index(t, 0), static_cast<std::size_t>(bins)}; }

 private:
  std::size_t index(int t, int k) const {
    return static_cast<std::size_t>(t) * static_cast<std::size_t>(bins) + static_cast<std::size_t>(k);
  }
};

// Streaming analysis: each call takes exactly `hop` new samples and produces the bins() values of one frame.
class StftAnalyzer {
 public:
  explicit StftAnalyzer(const FrontendConfig& config);
  // Back to the stream start: the history is zeros again.
  void reset();
  void process_hop(std::span<const float> hop_samples, std::span<Complex> bins_out);
  const FrontendConfig& config() const { return config_; }

 private:
  FrontendConfig config_;
  std::vector<float> window_;
  std::vector<float> buffer_;  // the last `win` input samples
  std::vector<float> frame_;   // windowed and zero-padded to fft_size
  FrameFft fft_;
};

// Streaming synthesis: each call takes one frame of bins() values and emits `hop` finished samples. The output
// is the analysis input delayed by (win - hop) samples (when the frames are unmodified).
class StftSynthesizer {
 public:
  explicit StftSynthesizer(const FrontendConfig& config);
  void reset();
  void process_frame(std::span<const Complex> bins, std::span<float> hop_out);
  const FrontendConfig& config() const { return config_; }
  // Output delay relative to the analysis input, in samples.
  int delay() const { return config_.history_length(); }

 private:
  FrontendConfig config_;
  std::vector<float> window_;
  std::vector<float> time_;         // inverse FFT of the current frame, fft_size samples
  std::vector<float> accumulator_;  // overlap-add of the frames that still contribute, `win` samples
  FrameFft fft_;
};

// Number of frames block mode gives for `length` samples: ceil(length / hop).
int stft_frame_count(std::size_t length, const FrontendConfig& config);

// Block analysis, frame for frame identical to StftAnalyzer fed with the signal zero-padded to a multiple of hop.
Spectrum stft(std::span<const float> signal, const FrontendConfig& config);
// The same into a caller's buffer of stft_frame_count(signal.size()) x bins values (training clips keep their
// spectra in their own memory mappings: writing there directly saves a copy of megabytes per clip).
void stft_into(std::span<const float> signal, const FrontendConfig& config, std::span<Complex> out);

// Overlap-add inverse aligned with the stft() input (the synthesis delay is compensated), returning `length`
// samples. Samples in the last (win - hop) are complete only if the caller appended (win - hop) zeros to the
// signal before stft() (they need frames that were never computed otherwise).
std::vector<float> istft(const Spectrum& spectrum, const FrontendConfig& config, std::size_t length);
// The same from `frames` consecutive rows of config.bins() values held elsewhere (a training chunk's rows inside
// its clip: no copy into a Spectrum first).
std::vector<float> istft(std::span<const Complex> rows, int frames, const FrontendConfig& config, std::size_t length);

// istft() of `frames` rows that are stft() frames of one signal, computed without transforming them: sample i is
// signal[i] times the sum of the squared window over the given frames that cover i. That sum is 1 wherever all
// overlapping frames are among the rows (the window is scaled for that), so only the last (win - hop) samples are
// scaled down, as istft() leaves them. `signal` starts at the first row's hop (the delay-compensated alignment of
// istft's output) and holds at least `length` samples (zeros past the end of the original signal, which stft()
// pads with). Equal to istft() of the rows up to float rounding (tested), at no FFT.
std::vector<float> istft_of_stft(std::span<const float> signal, int frames, const FrontendConfig& config,
                                 std::size_t length);

// The exact adjoint of istft() seen as a real-linear map from (Re, Im) of every bin to samples: for all X and y,
//   <istft(X, length = y.size()), y> == sum over t, k of Re(X)Re(A) + Im(X)Im(A),  A = istft_adjoint(y, frames).
// Back-propagates a time-domain loss gradient to the spectrum. Imaginary parts of bins 0 and fft/2, which the
// inverse ignores, get a zero gradient.
Spectrum istft_adjoint(std::span<const float> grad_signal, const FrontendConfig& config, int frames);

}  // namespace nnse::dsp
