#include "nnse/data/formant_warp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

#include "nnse/dsp/fft.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::data {
namespace {

constexpr int kRate = 16000;

// A sustained vowel: a 125 Hz pulse train through two resonances (formants) at 800 and 2200 Hz.
std::vector<float> vowel(double seconds) {
  const auto n = static_cast<std::size_t>(seconds * kRate);
  std::vector<float> x(n, 0.0f);
  for (std::size_t i = 0; i < n; i += kRate / 125) x[i] = 1.0f;
  for (const double f : {800.0, 2200.0}) {
    const double r = 0.97, w = 2.0 * std::numbers::pi * f / kRate;
    const double a1 = -2.0 * r * std::cos(w), a2 = r * r;
    double y1 = 0.0, y2 = 0.0;
    for (auto& v : x) {
      const double y = v - a1 * y1 - a2 * y2;
      y2 = y1;
      y1 = y;
      v = static_cast<float>(y);
    }
  }
  const float peak = *std::max_element(x.begin(), x.end(), [](float a, float b) { return std::abs(a) < std::abs(b); });
  for (auto& v : x) v *= 0.5f / std::abs(peak);
  return x;
}

// Power spectrum of the middle 4096 samples (Hann window).
std::vector<double> power_spectrum(const std::vector<float>& x) {
  const int n = 4096;
  const std::size_t start = x.size() / 2 - static_cast<std::size_t>(n / 2);
  std::vector<float> frame(n);
  for (int i = 0; i < n; ++i) {
    frame[static_cast<std::size_t>(i)] =
        x[start + static_cast<std::size_t>(i)] * static_cast<float>(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * i / n));
  }
  dsp::RealFft fft(n);
  std::vector<dsp::Complex> spectrum(static_cast<std::size_t>(fft.bins()));
  fft.forward(frame, spectrum);
  std::vector<double> power(spectrum.size());
  for (std::size_t k = 0; k < power.size(); ++k) power[k] = std::norm(spectrum[k]);
  return power;
}

double hz_of_bin(std::size_t k) { return static_cast<double>(k) * kRate / 4096.0; }

// The strongest harmonic between lo and hi Hz (the formant's position, to a harmonic).
double strongest_harmonic_hz(const std::vector<double>& power, double lo, double hi) {
  std::size_t best = 0;
  for (std::size_t k = 0; k < power.size(); ++k) {
    if (hz_of_bin(k) >= lo && hz_of_bin(k) <= hi && (best == 0 || power[k] > power[best])) best = k;
  }
  return hz_of_bin(best);
}

TEST(FormantWarp, AlphaOneGivesTheInputBack) {
  const std::vector<float> x = test::speech_like(1.3, kRate, 2);
  const std::vector<float> y = warp_formants(x, 1.0, kRate);
  ASSERT_EQ(y.size(), x.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, static_cast<double>(std::abs(y[i] - x[i])));
  EXPECT_LT(worst, 1e-5);
}

// The formants move by alpha, the harmonics stay on the 125 Hz grid (the pitch is kept).
TEST(FormantWarp, MovesFormantsAndKeepsThePitch) {
  const std::vector<float> x = vowel(1.0);
  const auto before = power_spectrum(x);
  for (const double alpha : {0.85, 1.15}) {
    const std::vector<float> y = warp_formants(x, alpha, kRate);
    ASSERT_EQ(y.size(), x.size());
    const auto after = power_spectrum(y);
    const double f1 = strongest_harmonic_hz(before, 500, 1200), f1w = strongest_harmonic_hz(after, 500, 1200);
    const double f2 = strongest_harmonic_hz(before, 1700, 3000), f2w = strongest_harmonic_hz(after, 1700, 3000);
    // The strongest harmonic moves with the formant (to within one harmonic, 125 Hz).
    EXPECT_NEAR(f1w, alpha * f1, 130.0) << alpha;
    EXPECT_NEAR(f2w, alpha * f2, 130.0) << alpha;
    EXPECT_GT(std::abs(f2w - f2), 200.0) << alpha;
    // Every strong spectral peak is still a multiple of 125 Hz.
    const double top = *std::max_element(after.begin(), after.end());
    for (std::size_t k = 1; k + 1 < after.size(); ++k) {
      if (after[k] > 0.01 * top && after[k] >= after[k - 1] && after[k] >= after[k + 1]) {
        const double harmonic = hz_of_bin(k) / 125.0;
        EXPECT_NEAR(harmonic, std::round(harmonic), 0.05) << alpha << " peak at " << hz_of_bin(k) << " Hz";
      }
    }
  }
}

TEST(FormantWarp, MapIsVtlpsPiecewiseLine) {
  for (const double alpha : {0.8, 1.0, 1.2}) {
    EXPECT_DOUBLE_EQ(formant_warp_map(0.0, alpha, kRate), 0.0);
    EXPECT_NEAR(formant_warp_map(8000.0, alpha, kRate), 8000.0, 1e-9);
    EXPECT_NEAR(formant_warp_map(1000.0, alpha, kRate), alpha * 1000.0, 1e-9);  // below the knee: alpha f
    double last = -1.0;
    for (double hz = 0.0; hz <= 8000.0; hz += 50.0) {
      const double mapped = formant_warp_map(hz, alpha, kRate);
      EXPECT_GT(mapped, last);
      last = mapped;
      EXPECT_NEAR(formant_warp_inverse(mapped, alpha, kRate), hz, 1e-9);
    }
  }
  EXPECT_THROW(formant_warp_map(100.0, 3.0, kRate), Error);
  EXPECT_THROW(warp_formants(std::vector<float>(100, 0.0f), 0.2, kRate), Error);
  EXPECT_THROW(warp_formants(std::vector<float>(100, 0.0f), 1.1, 0), Error);
}

TEST(FormantWarp, SilenceAndShortInputStayFinite) {
  EXPECT_TRUE(warp_formants(std::vector<float>{}, 1.1, kRate).empty());
  const auto silent = warp_formants(std::vector<float>(1000, 0.0f), 1.1, kRate);
  EXPECT_TRUE(std::all_of(silent.begin(), silent.end(), [](float v) { return v == 0.0f; }));
  const auto tiny = warp_formants(std::vector<float>{0.5f, -0.25f, 0.1f}, 0.9, kRate);
  ASSERT_EQ(tiny.size(), 3u);
  for (float v : tiny) EXPECT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace nnse::data
