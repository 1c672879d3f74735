// Random spectral coloration (augmentation): the filter's response, its implementation against that response,
// and the draw's bounds. How the mixer uses it is tested in mixer_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "nnse/data/coloration.h"
#include "nnse/data/level.h"
#include "nnse/data/random.h"
#include "nnse/util/error.h"

namespace nnse::data {
namespace {

constexpr int kRate = 16000;

TEST(Coloration, PeakingFilterHasItsGainAtTheCentreAndNoneAtDcAndNyquist) {
  for (const double gain : {-9.0, -3.0, 4.0, 12.0}) {
    const Biquad f = Biquad::peaking(1000.0, 1.0, gain, kRate);
    EXPECT_NEAR(f.response_db(1000.0, kRate), gain, 1e-9);
    EXPECT_NEAR(f.response_db(0.0, kRate), 0.0, 1e-9);
    EXPECT_NEAR(f.response_db(kRate / 2.0, kRate), 0.0, 1e-9);
    // Between: strictly between 0 dB and the peak gain, on the peak's side.
    const double half_way = f.response_db(1500.0, kRate);
    EXPECT_GT(std::fabs(half_way), 0.1);
    EXPECT_LT(std::fabs(half_way), std::fabs(gain));
    EXPECT_GT(half_way * gain, 0.0);
  }
}

TEST(Coloration, FilteringASineScalesItByTheResponse) {
  // The time-domain recursion against the analytic response: steady-state amplitude of a sine.
  const std::vector<Biquad> cascade = {Biquad::peaking(700.0, 0.7, 6.0, kRate), Biquad::peaking(3000.0, 1.5, -8.0, kRate)};
  for (const double hz : {200.0, 700.0, 1800.0, 3000.0, 6000.0}) {
    std::vector<float> x(kRate);
    for (std::size_t n = 0; n < x.size(); ++n) x[n] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * hz * n / kRate));
    apply_coloration(cascade, x);
    double expected_db = 0.0;
    for (const auto& f : cascade) expected_db += f.response_db(hz, kRate);
    const std::span<const float> settled(x.data() + kRate / 2, kRate / 2);  // past the transient
    const double rms = std::sqrt(mean_power(settled));
    EXPECT_NEAR(20 * std::log10(rms / (0.5 / std::sqrt(2.0))), expected_db, 0.05) << hz << " Hz";
  }
}

TEST(Coloration, SilenceAfterSoundDecaysToExactZero) {
  // Long silences must not leave the filter states in the (slow) subnormal range: the output becomes exact zeros.
  const std::vector<Biquad> cascade = {Biquad::peaking(300.0, 0.5, 9.0, kRate), Biquad::peaking(5000.0, 2.0, -9.0, kRate)};
  std::vector<float> x(2 * kRate, 0.0f);
  for (int n = 0; n < 1600; ++n) x[static_cast<std::size_t>(n)] = static_cast<float>(std::sin(0.3 * n));
  apply_coloration(cascade, x);
  EXPECT_NE(x[1700], 0.0f);  // the ring-down is still there just after the sound
  for (std::size_t n = kRate; n < x.size(); ++n) ASSERT_EQ(x[n], 0.0f) << n;
}

// The one-signal cascade as it was written before signals were run side by side: the reference the interleaved
// pass must reproduce bit for bit (the training losses of seeded runs depend on every sample).
void reference_cascade(const std::vector<Biquad>& filters, std::vector<float>& signal) {
  std::vector<double> s1(filters.size(), 0.0), s2(filters.size(), 0.0);
  for (std::size_t n = 0; n < signal.size(); ++n) {
    double x = signal[n];
    for (std::size_t i = 0; i < filters.size(); ++i) {
      const Biquad& f = filters[i];
      const double y = f.b0 * x + s1[i];
      s1[i] = f.b1 * x - f.a1 * y + s2[i];
      s2[i] = f.b2 * x - f.a2 * y;
      x = y;
    }
    signal[n] = static_cast<float>(x);
    if (n % 64 == 0) {
      for (std::size_t i = 0; i < filters.size(); ++i) {
        if (std::fabs(s1[i]) < 1e-30) s1[i] = 0.0;
        if (std::fabs(s2[i]) < 1e-30) s2[i] = 0.0;
      }
    }
  }
}

TEST(Coloration, SignalsRunSideBySideGiveExactlyTheirOwnResults) {
  ColorationOptions options;
  options.max_db = 9.0;
  Rng rng(17);
  std::vector<std::vector<Biquad>> cascades;
  std::vector<std::vector<float>> signals, expected;
  for (int j = 0; j < 3; ++j) {
    cascades.push_back(random_coloration(rng, options, kRate));
    std::vector<float> x(3000);
    for (std::size_t n = 0; n < x.size(); ++n) {
      // Sound, then silence (the subnormal flush must happen at the same samples), then sound again.
      x[n] = (n < 1000 || n > 2500) ? static_cast<float>(std::sin(0.01 * (j + 1) * n) + 0.3 * rng.uniform(-1.0, 1.0)) : 0.0f;
    }
    signals.push_back(x);
    reference_cascade(cascades.back(), x);
    expected.push_back(x);
  }
  std::vector<ColorationJob> jobs;
  for (int j = 0; j < 3; ++j) jobs.push_back({&cascades[static_cast<std::size_t>(j)], signals[static_cast<std::size_t>(j)]});
  apply_colorations(jobs);
  for (std::size_t j = 0; j < 3; ++j) {
    for (std::size_t n = 0; n < signals[j].size(); ++n) ASSERT_EQ(signals[j][n], expected[j][n]) << j << " " << n;
  }
  // The one-signal entry point too.
  std::vector<float> alone(signals[0].size(), 0.25f), reference = alone;
  apply_coloration(cascades[0], alone);
  reference_cascade(cascades[0], reference);
  EXPECT_EQ(alone, reference);

  std::vector<float> shorter(10);
  std::vector<ColorationJob> unequal = {{&cascades[0], signals[0]}, {&cascades[1], shorter}};
  EXPECT_THROW(apply_colorations(unequal), Error);
  std::vector<ColorationJob> too_many(5, ColorationJob{&cascades[0], shorter});
  EXPECT_THROW(apply_colorations(too_many), Error);
}

TEST(Coloration, DrawIsBoundedDeterministicAndEmptyWhenOff) {
  ColorationOptions options;
  Rng off(1);
  EXPECT_TRUE(random_coloration(off, options, kRate).empty());
  options.max_db = 6.0;
  Rng a(7), b(7), c(8);
  const auto fa = random_coloration(a, options, kRate);
  const auto fb = random_coloration(b, options, kRate);
  const auto fc = random_coloration(c, options, kRate);
  ASSERT_EQ(fa.size(), static_cast<std::size_t>(options.bands));
  for (std::size_t i = 0; i < fa.size(); ++i) EXPECT_EQ(fa[i].b0, fb[i].b0);
  EXPECT_NE(fa[0].b0, fc[0].b0);
  // Any frequency: the cascade cannot exceed bands x max_db.
  for (int seed = 0; seed < 20; ++seed) {
    Rng r(static_cast<std::uint64_t>(seed));
    const auto filters = random_coloration(r, options, kRate);
    for (double hz = 0; hz <= 8000; hz += 250) {
      double total = 0;
      for (const auto& f : filters) total += f.response_db(hz, kRate);
      EXPECT_LE(std::fabs(total), options.bands * options.max_db + 1e-9);
    }
  }
}

}  // namespace
}  // namespace nnse::data
