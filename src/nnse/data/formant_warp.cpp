#include "nnse/data/formant_warp.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <string>

#include "nnse/dsp/fft.h"
#include "nnse/util/error.h"

namespace nnse::data {
namespace {

constexpr int kFrame = 512;                // 32 ms at 16 kHz: a few pitch periods, short against formant motion
constexpr int kHop = kFrame / 2;           // periodic Hann at half overlap sums to exactly 1
constexpr int kFft = 2 * kFrame;           // the frame sits in the middle: the zero-phase filter's spread fits
constexpr int kOrder = 16;                 // LPC order: 8 resonances below 8 kHz, the usual rule of fs/1000 + 2-4
constexpr double kBoundary = 0.6;          // share of fs/2 where the warp turns into the line to fs/2 (VTLP's)
constexpr double kMaxRatio = 10.0;         // +-20 dB: deep envelope valleys are not boosted further
constexpr double kNoiseCorrection = 1e-4;  // r[0] *= 1 + this: a -40 dB floor keeps the fit well conditioned

void check(double alpha, int sample_rate) {
  if (!(alpha >= 0.5 && alpha <= 2.0)) throw Error("formant warp: alpha must be in [0.5, 2], got " + std::to_string(alpha));
  if (sample_rate <= 0) throw Error("formant warp: sample rate must be positive");
}

// LPC coefficients a[0] = 1 .. a[kOrder] of a windowed frame (Levinson-Durbin); false for a silent frame.
bool lpc(const std::array<double, kFrame>& x, std::array<double, kOrder + 1>& a) {
  std::array<double, kOrder + 1> r{};
  for (int lag = 0; lag <= kOrder; ++lag) {
    double sum = 0.0;
    for (int n = lag; n < kFrame; ++n) sum += x[static_cast<std::size_t>(n)] * x[static_cast<std::size_t>(n - lag)];
    r[static_cast<std::size_t>(lag)] = sum;
  }
  if (!(r[0] > 0.0)) return false;
  r[0] *= 1.0 + kNoiseCorrection;
  a.fill(0.0);
  a[0] = 1.0;
  double error = r[0];
  std::array<double, kOrder + 1> previous{};
  for (int i = 1; i <= kOrder; ++i) {
    double acc = r[static_cast<std::size_t>(i)];
    for (int j = 1; j < i; ++j) acc += a[static_cast<std::size_t>(j)] * r[static_cast<std::size_t>(i - j)];
    const double k = -acc / error;
    previous = a;
    for (int j = 1; j < i; ++j) a[static_cast<std::size_t>(j)] += k * previous[static_cast<std::size_t>(i - j)];
    a[static_cast<std::size_t>(i)] = k;
    error *= 1.0 - k * k;
    if (!(error > 0.0)) break;  // a perfectly predictable frame: the fit so far is exact enough
  }
  return true;
}

}  // namespace

namespace {

// VTLP's piecewise-linear warp: f -> alpha f up to `in`, then the straight line from (in, out) to (fs/2, fs/2).
struct WarpKnee {
  double nyquist, in, out;
  WarpKnee(double alpha, int sample_rate) {
    check(alpha, sample_rate);
    nyquist = sample_rate / 2.0;
    out = kBoundary * nyquist * std::min(alpha, 1.0);
    in = out / alpha;
  }
};

}  // namespace

double formant_warp_map(double hz, double alpha, int sample_rate) {
  const WarpKnee knee(alpha, sample_rate);
  if (hz <= knee.in) return alpha * hz;
  return knee.nyquist - (knee.nyquist - knee.out) / (knee.nyquist - knee.in) * (knee.nyquist - hz);
}

double formant_warp_inverse(double hz, double alpha, int sample_rate) {
  const WarpKnee knee(alpha, sample_rate);
  if (hz <= knee.out) return hz / alpha;
  return knee.nyquist - (knee.nyquist - knee.in) / (knee.nyquist - knee.out) * (knee.nyquist - hz);
}

std::vector<float> warp_formants(std::span<const float> speech, double alpha, int sample_rate) {
  check(alpha, sample_rate);
  const auto length = static_cast<std::ptrdiff_t>(speech.size());
  std::vector<float> out(speech.size(), 0.0f);
  if (speech.empty()) return out;
  const int bins = kFft / 2 + 1;
  // Where each bin's new envelope comes from: a fractional bin of the old one (the LPC envelope is smooth on this
  // grid, so linear interpolation between bins is exact enough and costs nothing next to the FFTs).
  std::vector<double> source_bin(static_cast<std::size_t>(bins));
  const double bin_hz = static_cast<double>(sample_rate) / kFft;
  for (int k = 0; k < bins; ++k) {
    source_bin[static_cast<std::size_t>(k)] =
        std::clamp(formant_warp_inverse(k * bin_hz, alpha, sample_rate) / bin_hz, 0.0, static_cast<double>(bins - 1));
  }
  std::array<double, kFrame> window{}, frame{};
  for (int n = 0; n < kFrame; ++n) {
    window[static_cast<std::size_t>(n)] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * n / kFrame);
  }
  dsp::RealFft fft(kFft);
  std::vector<float> buffer(kFft);
  std::vector<dsp::Complex> spectrum(static_cast<std::size_t>(bins)), envelope(static_cast<std::size_t>(bins));
  std::vector<float> a_padded(kFft, 0.0f);
  std::vector<double> inverse_envelope(static_cast<std::size_t>(bins));  // |A(e^{jw})| on the bins
  std::array<double, kOrder + 1> a{};
  constexpr int kOffset = (kFft - kFrame) / 2;
  // Frames start one hop before the signal so that every sample lies under two windows that sum to 1.
  for (std::ptrdiff_t start = -kHop; start < length; start += kHop) {
    for (int n = 0; n < kFrame; ++n) {
      const std::ptrdiff_t i = start + n;
      frame[static_cast<std::size_t>(n)] =
          i >= 0 && i < length ? window[static_cast<std::size_t>(n)] * speech[static_cast<std::size_t>(i)] : 0.0;
    }
    if (!lpc(frame, a)) continue;  // silence adds nothing
    std::fill(buffer.begin(), buffer.end(), 0.0f);
    for (int n = 0; n < kFrame; ++n) buffer[static_cast<std::size_t>(kOffset + n)] = static_cast<float>(frame[static_cast<std::size_t>(n)]);
    fft.forward(buffer, spectrum);
    for (int m = 0; m <= kOrder; ++m) a_padded[static_cast<std::size_t>(m)] = static_cast<float>(a[static_cast<std::size_t>(m)]);
    fft.forward(a_padded, envelope);
    for (int k = 0; k < bins; ++k) inverse_envelope[static_cast<std::size_t>(k)] = std::abs(envelope[static_cast<std::size_t>(k)]);
    for (int k = 0; k < bins; ++k) {
      const auto kk = static_cast<std::size_t>(k);
      const double pos = source_bin[kk];
      const auto lo = static_cast<std::size_t>(pos);
      const std::size_t hi = std::min(lo + 1, static_cast<std::size_t>(bins - 1));
      const double frac = pos - static_cast<double>(lo);
      const double at_source = (1.0 - frac) * inverse_envelope[lo] + frac * inverse_envelope[hi];
      // new envelope / old envelope = (1 / |A(phi^-1(w))|) / (1 / |A(w)|)
      const double ratio = std::clamp(inverse_envelope[kk] / std::max(at_source, 1e-30), 1.0 / kMaxRatio, kMaxRatio);
      spectrum[kk] *= static_cast<float>(ratio);
    }
    fft.inverse(spectrum, buffer);
    for (int m = 0; m < kFft; ++m) {
      const std::ptrdiff_t i = start - kOffset + m;
      if (i >= 0 && i < length) out[static_cast<std::size_t>(i)] += buffer[static_cast<std::size_t>(m)];
    }
  }
  return out;
}

}  // namespace nnse::data
