#include "nnse/enhance/pitch_filter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "nnse/util/error.h"

namespace nnse::enhance {
namespace {

const dsp::FrontendConfig kConfig{};

// A voice-like harmonic signal (fundamental f0, ten harmonics falling 3 dB each) plus white noise.
std::vector<float> harmonic(double f0, int samples, double noise_rms, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, static_cast<float>(noise_rms));
  std::vector<float> x(static_cast<std::size_t>(samples));
  for (int n = 0; n < samples; ++n) {
    double v = 0.0;
    for (int h = 1; h <= 10; ++h) {
      v += 0.1 * std::pow(10.0, -3.0 * (h - 1) / 20.0) * std::sin(2.0 * std::numbers::pi * h * f0 * n / 16000.0);
    }
    x[static_cast<std::size_t>(n)] = static_cast<float>(v) + noise(rng);
  }
  return x;
}

struct Frames {
  std::vector<std::vector<dsp::Complex>> spectrum, pitch;
  std::vector<int> lags;
};

Frames analyze(PitchFilter& filter, const std::vector<float>& x) {
  dsp::StftAnalyzer analyzer(kConfig);
  Frames f;
  const auto hop = static_cast<std::size_t>(kConfig.hop_length);
  const auto bins = static_cast<std::size_t>(kConfig.bins());
  for (std::size_t start = 0; start + hop <= x.size(); start += hop) {
    std::span<const float> samples(x.data() + start, hop);
    f.spectrum.emplace_back(bins);
    f.pitch.emplace_back(bins);
    analyzer.process_hop(samples, f.spectrum.back());
    filter.analyze_hop(samples, f.pitch.back());
    f.lags.push_back(filter.last_lag());
  }
  return f;
}

double band_energy(const std::vector<dsp::Complex>& s, int lo, int hi) {
  double e = 0.0;
  for (int k = lo; k < hi; ++k) e += std::norm(s[static_cast<std::size_t>(k)]);
  return e;
}

TEST(PitchFilter, FindsThePeriodOfAVoicedFrame) {
  PitchFilter filter(kConfig, PitchFilterOptions{.strength = 1.0});
  const auto frames = analyze(filter, harmonic(200.0, 16000, 0.0, 1));
  // 200 Hz = 80 samples; once the history holds a window and the longest lag, every frame finds it.
  for (std::size_t t = 10; t < frames.lags.size(); ++t) EXPECT_EQ(frames.lags[t], 80) << "frame " << t;
}

TEST(PitchFilter, LeavesABandThatKeepsUnityGainAlone) {
  PitchFilter filter(kConfig, PitchFilterOptions{.strength = 1.0});
  auto frames = analyze(filter, harmonic(180.0, 8000, 0.002, 2));
  const std::vector<float> unity(static_cast<std::size_t>(kConfig.bins()), 1.0f);
  for (std::size_t t = 10; t < frames.spectrum.size(); ++t) {
    auto filtered = frames.spectrum[t];
    filter.apply(filtered, frames.pitch[t], unity);
    for (std::size_t k = 0; k < filtered.size(); ++k) {
      EXPECT_NEAR(std::abs(filtered[k] - frames.spectrum[t][k]), 0.0, 1e-4 * (std::abs(frames.spectrum[t][k]) + 1e-3))
          << "frame " << t << " bin " << k;
    }
  }
}

TEST(PitchFilter, LowersTheNoiseBetweenHarmonicsAndKeepsTheBandLevel) {
  // 250 Hz fundamental = 8 bins apart: harmonic h sits on bin 8h; bins 8h +- 3..4 lie between harmonics. The
  // filter works up to 1.2 kHz: harmonics 1-4 (bin 32 = 1 kHz).
  PitchFilter filter(kConfig, PitchFilterOptions{.strength = 1.0});
  auto frames = analyze(filter, harmonic(250.0, 16000, 0.03, 3));
  const std::vector<float> half(static_cast<std::size_t>(kConfig.bins()), 0.5f);
  double on_before = 0, off_before = 0, on_after = 0, off_after = 0, total_before = 0, total_after = 0;
  for (std::size_t t = 10; t < frames.spectrum.size(); ++t) {
    auto filtered = frames.spectrum[t];
    filter.apply(filtered, frames.pitch[t], half);
    for (int h = 1; h <= 4; ++h) {
      on_before += band_energy(frames.spectrum[t], 8 * h - 1, 8 * h + 2);
      on_after += band_energy(filtered, 8 * h - 1, 8 * h + 2);
      off_before += band_energy(frames.spectrum[t], 8 * h + 3, 8 * h + 6);
      off_after += band_energy(filtered, 8 * h + 3, 8 * h + 6);
    }
    total_before += band_energy(frames.spectrum[t], 0, kConfig.bins());
    total_after += band_energy(filtered, 0, kConfig.bins());
  }
  const double ratio_before = 10.0 * std::log10(on_before / off_before);
  const double ratio_after = 10.0 * std::log10(on_after / off_after);
  EXPECT_GT(ratio_after, ratio_before + 2.0) << "harmonic-to-between ratio " << ratio_before << " -> " << ratio_after;
  EXPECT_NEAR(10.0 * std::log10(total_after / total_before), 0.0, 0.5);
}

TEST(PitchFilter, LeavesTheBinsAbove1400HzAlone) {
  // The filter's top band is centred on 1.2 kHz, the next centre (1.4 kHz = bin 44.8, rounded to 45) is the
  // first bin that passes unchanged, while the bins below it are filtered.
  PitchFilter filter(kConfig, PitchFilterOptions{.strength = 1.0});
  auto frames = analyze(filter, harmonic(250.0, 16000, 0.03, 3));
  const std::vector<float> half(static_cast<std::size_t>(kConfig.bins()), 0.5f);
  int changed_below = 0;
  for (std::size_t t = 10; t < frames.spectrum.size(); ++t) {
    auto filtered = frames.spectrum[t];
    filter.apply(filtered, frames.pitch[t], half);
    for (std::size_t k = 0; k < filtered.size(); ++k) {
      if (k >= 45) {
        EXPECT_EQ(filtered[k], frames.spectrum[t][k]) << "frame " << t << " bin " << k;
      } else if (std::abs(filtered[k] - frames.spectrum[t][k]) > 1e-3f * std::abs(frames.spectrum[t][k])) {
        ++changed_below;
      }
    }
  }
  EXPECT_GT(changed_below, 1000);
}

TEST(PitchFilter, PassesNoiseWithoutAPitchAtItsLevel) {
  PitchFilter filter(kConfig, PitchFilterOptions{.strength = 1.0});
  std::mt19937 rng(4);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::vector<float> x(8000);
  for (auto& v : x) v = noise(rng);
  auto frames = analyze(filter, x);
  const std::vector<float> half(static_cast<std::size_t>(kConfig.bins()), 0.5f);
  for (std::size_t t = 10; t < frames.spectrum.size(); ++t) {
    auto filtered = frames.spectrum[t];
    filter.apply(filtered, frames.pitch[t], half);
    const double before = band_energy(frames.spectrum[t], 0, kConfig.bins());
    const double after = band_energy(filtered, 0, kConfig.bins());
    EXPECT_NEAR(10.0 * std::log10(after / before), 0.0, 0.5) << "frame " << t;
  }
}

TEST(PitchFilter, OffChangesNothingAndSilenceGivesNoPitch) {
  PitchFilter off(kConfig, PitchFilterOptions{});
  EXPECT_FALSE(off.enabled());
  PitchFilter filter(kConfig, PitchFilterOptions{.strength = 1.0});
  const auto frames = analyze(filter, std::vector<float>(4000, 0.0f));
  for (int lag : frames.lags) EXPECT_EQ(lag, 0);
  for (const auto& p : frames.pitch) {
    for (const auto& v : p) EXPECT_EQ(v, dsp::Complex(0.0f, 0.0f));
  }
}

TEST(PitchFilter, RejectsBadSettings) {
  EXPECT_THROW(PitchFilter(kConfig, PitchFilterOptions{.strength = -0.1}), Error);
  EXPECT_THROW(PitchFilter(kConfig, PitchFilterOptions{.strength = 1.5}), Error);
  EXPECT_THROW(PitchFilter(kConfig, PitchFilterOptions{.strength = 1.0, .min_pitch_hz = 500, .max_pitch_hz = 60}),
               Error);
  // A front end whose window is not a multiple of 4 cannot run the quarter-rate search; off, the filter is fine.
  dsp::FrontendConfig odd = kConfig;
  odd.hop_length = 161;
  odd.window_length = 483;
  EXPECT_THROW(PitchFilter(odd, PitchFilterOptions{.strength = 0.5}), Error);
  EXPECT_NO_THROW(PitchFilter(odd, PitchFilterOptions{}));
}

}  // namespace
}  // namespace nnse::enhance
