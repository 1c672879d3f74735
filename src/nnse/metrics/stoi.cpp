#include "nnse/metrics/stoi.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <string>

#include "nnse/audio/resample.h"
#include "nnse/dsp/fft.h"
#include "nnse/util/error.h"

namespace nnse::metrics {
namespace stoi_detail {

std::vector<double> window() {
  std::vector<double> w(kFrame);
  for (int n = 0; n < kFrame; ++n) w[static_cast<std::size_t>(n)] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * (n + 1) / (kFrame + 1));
  return w;
}

std::vector<Band> third_octave_bands() {
  const int bins = kFft / 2 + 1;
  auto nearest_bin = [&](double hz) {
    int best = 0;
    for (int k = 1; k < bins; ++k) {
      if (std::abs(k * static_cast<double>(kRate) / kFft - hz) < std::abs(best * static_cast<double>(kRate) / kFft - hz)) best = k;
    }
    return best;
  };
  std::vector<Band> bands;
  for (int j = 0; j < kBands; ++j) {
    const double center = kLowestCenterHz * std::pow(2.0, j / 3.0);
    bands.push_back({nearest_bin(center * std::pow(2.0, -1.0 / 6.0)), nearest_bin(center * std::pow(2.0, 1.0 / 6.0))});
  }
  return bands;
}

Trimmed remove_silent_frames(std::span<const float> clean, std::span<const float> processed) {
  const std::size_t n = std::min(clean.size(), processed.size());
  const std::vector<double> w = window();
  const auto frame = static_cast<std::size_t>(kFrame), hop = static_cast<std::size_t>(kHop);
  std::vector<double> energy_db;
  for (std::size_t start = 0; start + frame <= n; start += hop) {
    double energy = 0.0;
    for (std::size_t i = 0; i < frame; ++i) {
      const double v = w[i] * clean[start + i];
      energy += v * v;
    }
    // The tiny offset keeps an all-zero frame finite (and far below any real frame).
    energy_db.push_back(10.0 * std::log10(energy + 1e-300));
  }
  Trimmed out;
  if (energy_db.empty()) return out;
  const double loudest = *std::max_element(energy_db.begin(), energy_db.end());
  std::size_t kept = 0;
  for (double e : energy_db) kept += e > loudest - kDynamicRangeDb ? 1 : 0;
  const std::size_t length = (kept - 1) * hop + frame;
  std::vector<double> x(length, 0.0), y(length, 0.0);
  std::size_t slot = 0;
  for (std::size_t f = 0; f < energy_db.size(); ++f) {
    if (!(energy_db[f] > loudest - kDynamicRangeDb)) continue;
    const std::size_t from = f * hop, to = slot * hop;
    for (std::size_t i = 0; i < frame; ++i) {
      x[to + i] += w[i] * clean[from + i];
      y[to + i] += w[i] * processed[from + i];
    }
    ++slot;
  }
  out.clean.assign(x.begin(), x.end());
  out.processed.assign(y.begin(), y.end());
  return out;
}

std::vector<std::vector<double>> band_envelopes(std::span<const float> signal) {
  const std::vector<double> w = window();
  const std::vector<Band> bands = third_octave_bands();
  dsp::RealFft fft(kFft);
  std::vector<float> buffer(static_cast<std::size_t>(kFft), 0.0f);
  std::vector<dsp::Complex> spectrum(static_cast<std::size_t>(kFft / 2 + 1));
  std::vector<std::vector<double>> envelopes;
  const auto frame = static_cast<std::size_t>(kFrame);
  for (std::size_t start = 0; start + frame <= signal.size(); start += static_cast<std::size_t>(kHop)) {
    for (std::size_t i = 0; i < frame; ++i) buffer[i] = static_cast<float>(w[i] * signal[start + i]);
    fft.forward(buffer, spectrum);
    std::vector<double> row(bands.size());
    for (std::size_t j = 0; j < bands.size(); ++j) {
      double power = 0.0;
      for (int k = bands[j].first; k < bands[j].last; ++k) power += std::norm(std::complex<double>(spectrum[static_cast<std::size_t>(k)]));
      row[j] = std::sqrt(power);
    }
    envelopes.push_back(std::move(row));
  }
  return envelopes;
}

namespace {

double norm(std::span<const double> v) {
  double sum = 0.0;
  for (double x : v) sum += x * x;
  return std::sqrt(sum);
}

// Removes the mean and scales to unit norm; a constant vector becomes all zeros (it carries no shape).
void standardize(std::span<double> v) {
  double mean = 0.0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double& x : v) x -= mean;
  const double length = norm(v);
  for (double& x : v) x = length > 0.0 ? x / length : 0.0;
}

double dot(std::span<const double> a, std::span<const double> b) {
  double sum = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

using Envelopes = std::vector<std::vector<double>>;

// Both signals at 10 kHz without silence, as band envelopes of equal frame counts (at least one segment).
void prepare(std::span<const float> clean, std::span<const float> processed, int sample_rate, const char* who,
             Envelopes& x, Envelopes& y) {
  if (sample_rate <= 0) throw Error(std::string(who) + ": invalid sample rate " + std::to_string(sample_rate));
  const std::size_t n = std::min(clean.size(), processed.size());
  const std::vector<float> c = audio::resample(clean.first(n), sample_rate, kRate);
  const std::vector<float> p = audio::resample(processed.first(n), sample_rate, kRate);
  const Trimmed trimmed = remove_silent_frames(c, p);
  x = band_envelopes(trimmed.clean);
  y = band_envelopes(trimmed.processed);
  if (x.size() < static_cast<std::size_t>(kSegment)) {
    throw Error(std::string(who) + ": only " + std::to_string(x.size()) + " non-silent frames, " +
                std::to_string(kSegment) + " are needed (about 0.4 s of speech)");
  }
}

}  // namespace

double segment_correlation(std::span<const double> clean, std::span<const double> processed) {
  const std::size_t n = clean.size();
  std::vector<double> x(clean.begin(), clean.end()), y(n, 0.0);
  // Level normalization of the processed envelope, then clipping to at most (1 + 10^(-beta/20)) times the clean
  // one so that a single badly degraded unit cannot dominate.
  const double px = norm(x), py = norm(processed);
  const double limit = 1.0 + std::pow(10.0, -kClipDb / 20.0);
  for (std::size_t i = 0; i < n; ++i) {
    const double scaled = py > 0.0 ? processed[i] * px / py : 0.0;
    y[i] = std::min(scaled, limit * x[i]);
  }
  standardize(x);
  standardize(y);
  return dot(x, y);
}

}  // namespace stoi_detail

using namespace stoi_detail;

double stoi(std::span<const float> clean, std::span<const float> processed, int sample_rate) {
  Envelopes x, y;
  prepare(clean, processed, sample_rate, "STOI", x, y);
  const auto segment = static_cast<std::size_t>(kSegment);
  std::vector<double> a(segment), b(segment);
  double total = 0.0;
  std::size_t count = 0;
  for (std::size_t end = segment; end <= x.size(); ++end) {
    for (std::size_t j = 0; j < static_cast<std::size_t>(kBands); ++j) {
      for (std::size_t i = 0; i < segment; ++i) {
        a[i] = x[end - segment + i][j];
        b[i] = y[end - segment + i][j];
      }
      total += segment_correlation(a, b);
      ++count;
    }
  }
  return total / static_cast<double>(count);
}

double estoi(std::span<const float> clean, std::span<const float> processed, int sample_rate) {
  Envelopes x, y;
  prepare(clean, processed, sample_rate, "ESTOI", x, y);
  const auto segment = static_cast<std::size_t>(kSegment), bands = static_cast<std::size_t>(kBands);
  // One segment as a bands x frames matrix, rows (band envelopes over time) normalized first, then columns
  // (spectra of single frames); stored column-major so each column is contiguous.
  auto normalized = [&](const Envelopes& e, std::size_t first) {
    std::vector<double> m(bands * segment);
    std::vector<double> row(segment);
    for (std::size_t j = 0; j < bands; ++j) {
      for (std::size_t i = 0; i < segment; ++i) row[i] = e[first + i][j];
      standardize(row);
      for (std::size_t i = 0; i < segment; ++i) m[i * bands + j] = row[i];
    }
    for (std::size_t i = 0; i < segment; ++i) standardize(std::span<double>(m.data() + i * bands, bands));
    return m;
  };
  double total = 0.0;
  std::size_t count = 0;
  for (std::size_t end = segment; end <= x.size(); ++end) {
    const std::vector<double> a = normalized(x, end - segment), b = normalized(y, end - segment);
    total += dot(a, b) / static_cast<double>(segment);
    ++count;
  }
  return total / static_cast<double>(count);
}

}  // namespace nnse::metrics
