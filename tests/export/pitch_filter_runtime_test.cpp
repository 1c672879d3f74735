// The runtime's fixed-point pitch filter (runtime/src/pitch_filter.h) against its float original, the enhancer's
// (nnse/enhance/pitch_filter.h): the same lags on voiced frames, and the same filtered spectra to within the
// fixed-point's rounding.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "nnse/dsp/stft.h"
#include "nnse/enhance/pitch_filter.h"
#include "src/pitch_filter.h"

namespace nnse::deploy {
namespace {

const dsp::FrontendConfig kConfig{};

// A voice-like signal whose pitch glides from f0_start to f0_end (ten harmonics falling 3 dB each) plus white
// noise, as int16 samples.
std::vector<std::int16_t> gliding_voice(double f0_start, double f0_end, int samples, double noise_rms, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, noise_rms);
  std::vector<std::int16_t> x(static_cast<std::size_t>(samples));
  double phase = 0.0;
  for (int n = 0; n < samples; ++n) {
    const double f0 = f0_start + (f0_end - f0_start) * n / samples;
    phase += 2.0 * std::numbers::pi * f0 / 16000.0;
    double v = 0.0;
    for (int h = 1; h <= 10; ++h) v += 0.08 * std::pow(10.0, -3.0 * (h - 1) / 20.0) * std::sin(h * phase);
    x[static_cast<std::size_t>(n)] =
        static_cast<std::int16_t>(std::lround(std::clamp((v + noise(rng)) * 32768.0, -32768.0, 32767.0)));
  }
  return x;
}

// Runs both searches over the signal hop by hop; returns the pairs of lags (float, fixed) of every frame.
std::vector<std::pair<int, int>> both_lags(const std::vector<std::int16_t>& x) {
  enhance::PitchFilter filter(kConfig, enhance::PitchFilterOptions{.strength = 1.0});
  std::vector<std::int16_t> history(NNSP_PITCH_HIST, 0);
  std::vector<std::int16_t> scratch(NNSP_PITCH_SCRATCH);
  std::vector<float> hop(NNSP_HOP);
  std::vector<dsp::Complex> pitch_bins(NNSP_BINS);
  std::vector<std::pair<int, int>> lags;
  for (std::size_t start = 0; start + NNSP_HOP <= x.size(); start += NNSP_HOP) {
    for (int n = 0; n < NNSP_HOP; ++n)
      hop[static_cast<std::size_t>(n)] = x[start + static_cast<std::size_t>(n)] / 32768.0f;
    filter.analyze_hop(hop, pitch_bins);
    std::move(history.begin() + NNSP_HOP, history.end(), history.begin());
    std::copy(x.begin() + static_cast<std::ptrdiff_t>(start), x.begin() + static_cast<std::ptrdiff_t>(start) + NNSP_HOP,
              history.end() - NNSP_HOP);
    lags.emplace_back(filter.last_lag(), nnsp_pitch_find_lag(history.data(), scratch.data()));
  }
  return lags;
}

TEST(RuntimePitchFilter, FindsTheFloatFiltersLagsOnAVoice) {
  const auto lags = both_lags(gliding_voice(110.0, 240.0, 32000, 0.005, 1));
  int compared = 0, equal = 0;
  for (std::size_t t = 8; t < lags.size(); ++t) {  // once the history holds the longest lag
    ++compared;
    equal += lags[t].first == lags[t].second;
    EXPECT_LE(std::abs(lags[t].first - lags[t].second), 1) << "frame " << t;
    EXPECT_GT(lags[t].second, 0) << "frame " << t;
  }
  EXPECT_GE(equal, compared * 9 / 10) << equal << " of " << compared << " lags equal";
}

TEST(RuntimePitchFilter, SilenceHasNoLag) {
  std::vector<std::int16_t> history(NNSP_PITCH_HIST, 0), scratch(NNSP_PITCH_SCRATCH);
  EXPECT_EQ(nnsp_pitch_find_lag(history.data(), scratch.data()), 0);
}

// The float spectrum as runtime mantissas at exponent -shift (value = mantissa 2^exp, int16 sample units).
std::vector<std::int32_t> to_mantissas(const std::vector<dsp::Complex>& bins, int shift) {
  std::vector<std::int32_t> m(2 * bins.size());
  for (std::size_t k = 0; k < bins.size(); ++k) {
    m[2 * k] = static_cast<std::int32_t>(std::lround(std::ldexp(bins[k].real() * 32768.0, shift)));
    m[2 * k + 1] = static_cast<std::int32_t>(std::lround(std::ldexp(bins[k].imag() * 32768.0, shift)));
  }
  return m;
}

// The inverse of to_mantissas: runtime mantissas at exponent exp as the float spectrum.
std::vector<dsp::Complex> from_mantissas(const std::vector<std::int32_t>& m, int exp) {
  std::vector<dsp::Complex> v(m.size() / 2);
  for (std::size_t k = 0; k < v.size(); ++k) {
    v[k] = dsp::Complex(static_cast<float>(std::ldexp(m[2 * k], exp) / 32768.0),
                        static_cast<float>(std::ldexp(m[2 * k + 1], exp) / 32768.0));
  }
  return v;
}

// The runtime's output against the float filter's: the difference's energy and the float filter's change of its
// input, each over the float output's energy.
struct Difference {
  double error_db, change;
};
Difference difference(const std::vector<dsp::Complex>& got, const std::vector<dsp::Complex>& expected,
                      const std::vector<dsp::Complex>& input) {
  double error = 0.0, energy = 0.0, change = 0.0;
  for (std::size_t k = 0; k < expected.size(); ++k) {
    error += std::norm(got[k] - expected[k]);
    energy += std::norm(expected[k]);
    change += std::norm(expected[k] - input[k]);
  }
  return {10.0 * std::log10(error / energy), change / energy};
}

// Feeds x to an STFT analyzer and a float pitch filter of the given strength hop by hop; calls
// visit(filter, spectrum, pitch_bins, frame) for every frame from the tenth on (the history then holds the
// longest lag) that has a pitch.
template <typename Visit>
void for_each_voiced_frame(const std::vector<std::int16_t>& x, double strength, Visit&& visit) {
  enhance::PitchFilter filter(kConfig, enhance::PitchFilterOptions{.strength = strength});
  dsp::StftAnalyzer analyzer(kConfig);
  std::vector<float> hop(NNSP_HOP);
  std::vector<dsp::Complex> spectrum(NNSP_BINS), pitch_bins(NNSP_BINS);
  for (std::size_t start = 0; start + NNSP_HOP <= x.size(); start += NNSP_HOP) {
    for (int n = 0; n < NNSP_HOP; ++n)
      hop[static_cast<std::size_t>(n)] = x[start + static_cast<std::size_t>(n)] / 32768.0f;
    analyzer.process_hop(hop, spectrum);
    filter.analyze_hop(hop, pitch_bins);
    if (start >= 10 * NNSP_HOP && filter.last_lag() != 0) visit(filter, spectrum, pitch_bins, start / NNSP_HOP);
  }
}

// The runtime filter on one frame given as the float spectra (mantissas at exponent -8): the input's mantissas, the
// output's and the output's exponent.
struct RuntimeFrame {
  std::vector<std::int32_t> before, spec;
  int exp = -8;
};
RuntimeFrame run_runtime(const std::vector<dsp::Complex>& spectrum, const std::vector<dsp::Complex>& pitch_bins,
                         const std::vector<std::int16_t>& gains_q15, std::int32_t strength_q15) {
  RuntimeFrame f;
  f.before = to_mantissas(spectrum, 8);
  f.spec = f.before;
  auto pspec = to_mantissas(pitch_bins, 8);
  std::vector<std::int64_t> scratch(NNSP_PITCH_APPLY_SCRATCH);
  nnsp_pitch_filter_apply(f.spec.data(), &f.exp, pspec.data(), -8, gains_q15.data(), nullptr, strength_q15,
                          scratch.data());
  return f;
}

// The float filter and the runtime's on the same frames (noisy voice, gains 0.3-1 varying over the bins, no
// floor): the difference's energy at least 40 dB below the filtered frame's, and the filter does change frames.
TEST(RuntimePitchFilter, FiltersFramesAsTheFloatFilterDoes) {
  std::vector<float> gains(NNSP_BINS);
  std::vector<std::int16_t> gains_q15(NNSP_BINS);
  for (std::size_t k = 0; k < gains.size(); ++k) {
    gains[k] = 0.3f + 0.7f * static_cast<float>((k * 37) % 100) / 100.0f;
    gains_q15[k] = static_cast<std::int16_t>(std::lround(gains[k] * 32767.0f));
  }
  int frames = 0, changed = 0;
  for_each_voiced_frame(gliding_voice(150.0, 170.0, 16000, 0.02, 2), 0.5,
                        [&](enhance::PitchFilter& filter, const std::vector<dsp::Complex>& spectrum,
                            const std::vector<dsp::Complex>& pitch_bins, std::size_t frame) {
                          const auto [before, spec, exp] = run_runtime(spectrum, pitch_bins, gains_q15, 16384);
                          auto expected = spectrum;
                          filter.apply(expected, pitch_bins, gains);
                          const auto d = difference(from_mantissas(spec, exp), expected, spectrum);
                          ++frames;
                          changed += d.change > 1e-3;
                          EXPECT_LT(d.error_db, -40.0) << "frame " << frame;
                        });
  EXPECT_GT(frames, 80);
  EXPECT_GT(changed, frames / 2) << "the filter should change most voiced frames with gains below 1";
}

// With unity gains (32767, the runtime's 1) no band is filtered: the frame comes back as it went in, up to the
// common exponent's rounding.
TEST(RuntimePitchFilter, LeavesAFrameOfUnityGainsAsItIs) {
  const std::vector<std::int16_t> unity(NNSP_BINS, 32767);
  int frames = 0;
  for_each_voiced_frame(gliding_voice(200.0, 200.0, 8000, 0.001, 3), 1.0,
                        [&](enhance::PitchFilter&, const std::vector<dsp::Complex>& spectrum,
                            const std::vector<dsp::Complex>& pitch_bins, std::size_t frame) {
                          const auto [before, spec, exp] = run_runtime(spectrum, pitch_bins, unity, 32768);
                          double error = 0.0, energy = 0.0;
                          for (std::size_t i = 0; i < spec.size(); ++i) {
                            const double d = std::ldexp(spec[i], exp + 8) - before[i];
                            error += d * d;
                            energy += static_cast<double>(before[i]) * before[i];
                          }
                          ++frames;
                          EXPECT_LT(10.0 * std::log10(error / energy + 1e-30), -70.0) << "frame " << frame;
                        });
  EXPECT_GT(frames, 30);
}

// The runtime filters the bins below 1.4 kHz (the bands up to 1.2 kHz) only: the bins from 45 up come back as they
// went in (the spectrum's exponent unchanged on these frames), while the bins below change.
TEST(RuntimePitchFilter, LeavesTheBinsFrom1400HzAlone) {
  const std::vector<std::int16_t> gains_q15(NNSP_BINS, 9830);  // 0.3
  int frames = 0, changed = 0;
  for_each_voiced_frame(gliding_voice(140.0, 180.0, 16000, 0.02, 4), 1.0,
                        [&](enhance::PitchFilter&, const std::vector<dsp::Complex>& spectrum,
                            const std::vector<dsp::Complex>& pitch_bins, std::size_t frame) {
                          const auto [before, spec, exp] = run_runtime(spectrum, pitch_bins, gains_q15, 32768);
                          ASSERT_EQ(exp, -8) << "frame " << frame;
                          for (std::size_t i = 2 * 45; i < spec.size(); ++i) {
                            ASSERT_EQ(spec[i], before[i]) << "frame " << frame << " value " << i;
                          }
                          for (std::size_t i = 0; i < 2 * 45; ++i) changed += spec[i] != before[i];
                          ++frames;
                        });
  EXPECT_GT(frames, 80);
  EXPECT_GT(changed, frames * 45);
}

// A spectrum whose filtered bins sit just below 2^31 and grow in the filter (P in phase with X on three bins of
// four, against it on the fourth: the in-phase bins come out louder than they went in, rescale and all): the filtered
// bins come back at an exponent where they fit, every other bin is the input shifted down by the difference,
// rounded, and the result is still the float filter's to within -40 dB.
TEST(RuntimePitchFilter, KeepsAFullScaleSpectrumInRange) {
  constexpr int kExp = -8;  // value = mantissa 2^kExp / 32768, as to_mantissas
  std::mt19937 rng(6);
  std::uniform_int_distribution<int> quadrant(0, 3);  // phases on the axes: one part of each value near 2^31
  std::vector<std::int32_t> spec(2 * NNSP_BINS), pspec(2 * NNSP_BINS);
  for (std::size_t k = 0; k < NNSP_BINS; ++k) {
    const double magnitude = k < 45 ? 0.99 * 2147483647.0 : 1e8;
    const double phi = quadrant(rng) * std::numbers::pi / 2.0, sign = k % 4 == 3 ? -1.0 : 1.0;
    spec[2 * k] = static_cast<std::int32_t>(std::lround(magnitude * std::cos(phi)));
    spec[2 * k + 1] = static_cast<std::int32_t>(std::lround(magnitude * std::sin(phi)));
    pspec[2 * k] = static_cast<std::int32_t>(std::lround(sign * magnitude * std::cos(phi)));
    pspec[2 * k + 1] = static_cast<std::int32_t>(std::lround(sign * magnitude * std::sin(phi)));
  }
  const auto spectrum = from_mantissas(spec, kExp), pitch_bins = from_mantissas(pspec, kExp);
  const std::vector<float> gains(NNSP_BINS, 0.3f);
  const std::vector<std::int16_t> gains_q15(NNSP_BINS, 9830);
  std::vector<std::int64_t> scratch(NNSP_PITCH_APPLY_SCRATCH);
  const auto before = spec;
  int exp = kExp;
  nnsp_pitch_filter_apply(spec.data(), &exp, pspec.data(), kExp, gains_q15.data(), nullptr, 16384, scratch.data());
  const int down = exp - kExp;
  ASSERT_GT(down, 0) << "the filtered bins fit at the spectrum's exponent: the test no longer reaches that path";
  for (std::size_t i = 2 * 45; i < spec.size(); ++i) {
    ASSERT_EQ(spec[i], (before[i] >> down) + ((before[i] >> (down - 1)) & 1)) << "value " << i;
  }
  enhance::PitchFilter filter(kConfig, enhance::PitchFilterOptions{.strength = 0.5});
  auto expected = spectrum;
  filter.apply(expected, pitch_bins, gains);
  const auto d = difference(from_mantissas(spec, exp), expected, spectrum);
  EXPECT_GT(d.change, 0.01) << "the float filter should change this frame";
  EXPECT_LT(d.error_db, -40.0);
}

}  // namespace
}  // namespace nnse::deploy
