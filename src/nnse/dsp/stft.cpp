#include "nnse/dsp/stft.h"

#include <algorithm>
#include <string>

#include "nnse/dsp/window.h"
#include "nnse/util/error.h"

namespace nnse::dsp {
namespace {

std::size_t to_size(int n) { return static_cast<std::size_t>(n); }

void check_size(const char* where, std::size_t got, int expected) {
  if (got != to_size(expected)) {
    throw Error(std::string(where) + ": expected " + std::to_string(expected) + " values, got " + std::to_string(got));
  }
}

// First input sample of frame t (negative for the first frames, whose history lies before the stream start).
std::ptrdiff_t frame_start(int t, const FrontendConfig& c) {
  return static_cast<std::ptrdiff_t>(t) * c.hop_length - c.history_length();
}

// frame[n] = signal[start + n] * window[n] for n < window.size(), zero where start + n lies outside the signal.
// (frame[window.size() .. fft_size) is left as it is: the callers keep it zero.)
void window_frame(std::span<const float> signal, std::ptrdiff_t start, const std::vector<float>& window, float* frame) {
  const auto win = static_cast<std::ptrdiff_t>(window.size()), length = static_cast<std::ptrdiff_t>(signal.size());
  const std::ptrdiff_t begin = std::clamp<std::ptrdiff_t>(-start, 0, win);
  const std::ptrdiff_t end = std::clamp<std::ptrdiff_t>(length - start, begin, win);
  for (std::ptrdiff_t n = 0; n < begin; ++n) frame[n] = 0.0f;
  for (std::ptrdiff_t n = begin; n < end; ++n) {
    frame[n] = signal[static_cast<std::size_t>(start + n)] * window[static_cast<std::size_t>(n)];
  }
  for (std::ptrdiff_t n = end; n < win; ++n) frame[n] = 0.0f;
}

// Block mode transforms this many frames at a time (FrameFft batches them in its vector lanes); 32 frames of a
// 512-point FFT are 64 KB of scratch.
constexpr int kBlockFrames = 4 * FrameFft::kLanes;

}  // namespace

Spectrum::Spectrum(int frames_, int bins_)
    : frames(frames_), bins(bins_), values(static_cast<std::size_t>(frames_) * static_cast<std::size_t>(bins_)) {}

// ---- streaming analysis ----

StftAnalyzer::StftAnalyzer(const FrontendConfig& config)
    : config_(config),
      window_(stft_window(config)),
      buffer_(to_size(config.window_length), 0.0f),
      frame_(to_size(config.fft_size), 0.0f),
      fft_(config.fft_size) {}

void StftAnalyzer::reset() { std::fill(buffer_.begin(), buffer_.end(), 0.0f); }

void StftAnalyzer::process_hop(std::span<const float> hop_samples, std::span<Complex> bins_out) {
  check_size("StftAnalyzer::process_hop (samples)", hop_samples.size(), config_.hop_length);
  check_size("StftAnalyzer::process_hop (bins)", bins_out.size(), config_.bins());
  const auto history = to_size(config_.history_length());
  std::copy(buffer_.begin() + static_cast<std::ptrdiff_t>(buffer_.size() - history), buffer_.end(), buffer_.begin());
  std::copy(hop_samples.begin(), hop_samples.end(), buffer_.begin() + static_cast<std::ptrdiff_t>(history));
  // frame_[win..fft) stays zero from construction.
  for (std::size_t n = 0; n < buffer_.size(); ++n) frame_[n] = buffer_[n] * window_[n];
  fft_.forward(frame_, bins_out);
}

// ---- streaming synthesis ----

StftSynthesizer::StftSynthesizer(const FrontendConfig& config)
    : config_(config),
      window_(stft_window(config)),
      time_(to_size(config.fft_size), 0.0f),
      accumulator_(to_size(config.window_length), 0.0f),
      fft_(config.fft_size) {}

void StftSynthesizer::reset() { std::fill(accumulator_.begin(), accumulator_.end(), 0.0f); }

void StftSynthesizer::process_frame(std::span<const Complex> bins, std::span<float> hop_out) {
  check_size("StftSynthesizer::process_frame (bins)", bins.size(), config_.bins());
  check_size("StftSynthesizer::process_frame (samples)", hop_out.size(), config_.hop_length);
  fft_.inverse(bins, time_);
  const std::size_t win = accumulator_.size();
  for (std::size_t n = 0; n < win; ++n) accumulator_[n] += time_[n] * window_[n];
  // The first hop samples have now received all win/hop overlapping frames.
  const auto hop = to_size(config_.hop_length);
  std::copy(accumulator_.begin(), accumulator_.begin() + static_cast<std::ptrdiff_t>(hop), hop_out.begin());
  std::copy(accumulator_.begin() + static_cast<std::ptrdiff_t>(hop), accumulator_.end(), accumulator_.begin());
  std::fill(accumulator_.end() - static_cast<std::ptrdiff_t>(hop), accumulator_.end(), 0.0f);
}

// ---- block mode ----

int stft_frame_count(std::size_t length, const FrontendConfig& config) {
  const auto hop = to_size(config.hop_length);
  return static_cast<int>((length + hop - 1) / hop);
}

Spectrum stft(std::span<const float> signal, const FrontendConfig& config) {
  Spectrum spectrum(stft_frame_count(signal.size(), config), config.bins());
  stft_into(signal, config, spectrum.values);
  return spectrum;
}

void stft_into(std::span<const float> signal, const FrontendConfig& config, std::span<Complex> out) {
  config.validate("stft");
  const int frames = stft_frame_count(signal.size(), config);
  const auto bins = to_size(config.bins()), fft_size = to_size(config.fft_size);
  check_size("stft_into (output)", out.size(), frames * config.bins());
  const std::vector<float> window = stft_window(config);
  // kBlockFrames windowed frames at a time (zero-padded to fft_size), transformed together.
  std::vector<float> block(to_size(kBlockFrames) * fft_size, 0.0f);
  FrameFft fft(config.fft_size);
  for (int first = 0; first < frames; first += kBlockFrames) {
    const int count = std::min(kBlockFrames, frames - first);
    for (int f = 0; f < count; ++f) {
      window_frame(signal, frame_start(first + f, config), window, block.data() + to_size(f) * fft_size);
    }
    fft.forward_many({block.data(), to_size(count) * fft_size}, out.subspan(to_size(first) * bins, to_size(count) * bins));
  }
}

std::vector<float> istft(const Spectrum& spectrum, const FrontendConfig& config, std::size_t length) {
  if (spectrum.bins != config.bins()) {
    throw Error("istft: spectrum has " + std::to_string(spectrum.bins) + " bins, config expects " +
                std::to_string(config.bins()));
  }
  return istft(spectrum.values, spectrum.frames, config, length);
}

std::vector<float> istft(std::span<const Complex> rows, int frames, const FrontendConfig& config, std::size_t length) {
  config.validate("istft");
  const auto bins = to_size(config.bins()), fft_size = to_size(config.fft_size);
  if (frames < 0 || rows.size() < to_size(frames) * bins) {
    throw Error("istft: " + std::to_string(rows.size()) + " values do not hold " + std::to_string(frames) +
                " frames of " + std::to_string(bins) + " bins");
  }
  const std::vector<float> window = stft_window(config);
  std::vector<float> block(to_size(kBlockFrames) * fft_size);
  std::vector<float> out(length, 0.0f);
  FrameFft fft(config.fft_size);
  const auto total = static_cast<std::ptrdiff_t>(length);
  // Frames that start at or past the end add nothing.
  int used = 0;
  while (used < frames && frame_start(used, config) < total) ++used;
  for (int first = 0; first < used; first += kBlockFrames) {
    const int count = std::min(kBlockFrames, used - first);
    fft.inverse_many(rows.subspan(to_size(first) * bins, to_size(count) * bins), {block.data(), to_size(count) * fft_size});
    for (int f = 0; f < count; ++f) {
      const float* time = block.data() + to_size(f) * fft_size;
      const std::ptrdiff_t start = frame_start(first + f, config);
      // The frame's samples that land in [0, length).
      const std::ptrdiff_t begin = std::max<std::ptrdiff_t>(0, -start);
      const std::ptrdiff_t end = std::min<std::ptrdiff_t>(config.window_length, total - start);
      for (std::ptrdiff_t n = begin; n < end; ++n) {
        out[static_cast<std::size_t>(start + n)] += time[n] * window[static_cast<std::size_t>(n)];
      }
    }
  }
  return out;
}

std::vector<float> istft_of_stft(std::span<const float> signal, int frames, const FrontendConfig& config,
                                 std::size_t length) {
  config.validate("istft_of_stft");
  if (frames < 0 || signal.size() < length) {
    throw Error("istft_of_stft: " + std::to_string(signal.size()) + " samples for " + std::to_string(length) +
                " output samples, " + std::to_string(frames) + " frames");
  }
  const std::vector<float> window = stft_window(config);
  std::vector<double> squared(window.size());
  for (std::size_t n = 0; n < window.size(); ++n) squared[n] = static_cast<double>(window[n]) * window[n];
  const auto hop = static_cast<std::ptrdiff_t>(config.hop_length), history = static_cast<std::ptrdiff_t>(config.history_length());
  std::vector<float> out(length);
  // Sample p of hop h lies in frames h .. h + history/hop (those among 0..frames-1), at offset
  // p + history - (t - h) hop of frame t; the cover of a hop depends only on how many of those frames exist.
  const std::ptrdiff_t overlap = history / hop + 1;
  const auto cover_of = [&](std::ptrdiff_t present) {
    std::vector<double> cover(static_cast<std::size_t>(hop), 0.0);
    for (std::ptrdiff_t p = 0; p < hop; ++p) {
      double sum = 0.0;
      for (std::ptrdiff_t j = 0; j < present; ++j) sum += squared[static_cast<std::size_t>(p + history - j * hop)];
      cover[static_cast<std::size_t>(p)] = sum;
    }
    return cover;
  };
  const std::vector<double> full = cover_of(overlap);
  std::vector<double> partial;
  for (std::ptrdiff_t h = 0; h * hop < static_cast<std::ptrdiff_t>(length); ++h) {
    const std::ptrdiff_t present = std::min<std::ptrdiff_t>(overlap, frames - h);
    if (present < overlap) partial = cover_of(present);
    const std::vector<double>& cover = present < overlap ? partial : full;
    const auto first = static_cast<std::size_t>(h * hop);
    const std::size_t count = std::min(static_cast<std::size_t>(hop), length - first);
    for (std::size_t p = 0; p < count; ++p) {
      out[first + p] = static_cast<float>(static_cast<double>(signal[first + p]) * cover[p]);
    }
  }
  return out;
}

Spectrum istft_adjoint(std::span<const float> grad_signal, const FrontendConfig& config, int frames) {
  config.validate("istft_adjoint");
  if (frames < 0) throw Error("istft_adjoint: negative frame count");
  // istft is, per frame, x -> window * first_win(irfft(X)) placed at frame_start. The adjoint of placing and
  // windowing is windowing a slice of the gradient; the adjoint of irfft (x[n] = (1/N) sum_k c_k Re(X_k e^{+i..}),
  // c_k = 1 for bins 0 and N/2, 2 otherwise) is (c_k / N) times the forward DFT of that slice.
  Spectrum grad(frames, config.bins());
  const auto bins = to_size(config.bins()), fft_size = to_size(config.fft_size);
  const std::vector<float> window = stft_window(config);
  std::vector<float> block(to_size(kBlockFrames) * fft_size, 0.0f);
  FrameFft fft(config.fft_size);
  const float inner = 2.0f / static_cast<float>(config.fft_size);
  const float edge = 1.0f / static_cast<float>(config.fft_size);
  const int last = config.bins() - 1;
  for (int first = 0; first < frames; first += kBlockFrames) {
    const int count = std::min(kBlockFrames, frames - first);
    for (int f = 0; f < count; ++f) {
      window_frame(grad_signal, frame_start(first + f, config), window, block.data() + to_size(f) * fft_size);
    }
    fft.forward_many({block.data(), to_size(count) * fft_size},
                     std::span<Complex>(grad.values).subspan(to_size(first) * bins, to_size(count) * bins));
    for (int t = first; t < first + count; ++t) {
      std::span<Complex> out = grad.frame(t);
      out[0] = Complex(out[0].real() * edge, 0.0f);
      out[to_size(last)] = Complex(out[to_size(last)].real() * edge, 0.0f);
      for (int k = 1; k < last; ++k) out[to_size(k)] *= inner;
    }
  }
  return grad;
}

}  // namespace nnse::dsp
