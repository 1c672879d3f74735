#include "nnse/dsp/mel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace nnse::dsp {
namespace {

// Reference 1.6, verified list.
const std::vector<int> kReferenceEdges = {
    0,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,   10,  11,  12,  13,  15,  16,  17,  19,  20,  22,  23,  25,
    27,  28,  30,  32,  34,  36,  38,  40,  42,  45,  47,  50,  52,  55,  58,  60,  63,  66,  69,  73,  76,  80,  83,
    87,  91,  95,  99,  103, 108, 112, 117, 122, 127, 132, 138, 143, 149, 155, 161, 168, 175, 182, 189, 196, 204, 212,
    220, 229, 237, 247, 256};

// The reference definition, written out independently of the library: dense, in double, weights floored to Q15
// and saturated to 32767.
std::vector<double> reference_matrix(const std::vector<int>& b, int bands, int bins) {
  std::vector<double> w(std::size_t(bands) * std::size_t(bins), 0.0);
  for (int m = 1; m <= bands; ++m) {
    for (int k = b[std::size_t(m - 1)]; k < b[std::size_t(m)]; ++k) {
      w[std::size_t(m - 1) * std::size_t(bins) + std::size_t(k)] =
          double(k - b[std::size_t(m - 1)]) / (b[std::size_t(m)] - b[std::size_t(m - 1)]);
    }
    for (int k = b[std::size_t(m)]; k < b[std::size_t(m + 1)]; ++k) {
      w[std::size_t(m - 1) * std::size_t(bins) + std::size_t(k)] =
          double(b[std::size_t(m + 1)] - k) / (b[std::size_t(m + 1)] - b[std::size_t(m)]);
    }
  }
  for (double& v : w) v = std::min(std::floor(v * 32768.0), 32767.0) / 32768.0;
  return w;
}

TEST(Mel, HtkScale) {
  EXPECT_NEAR(hz_to_mel(8000.0), 2840.02, 0.01);
  EXPECT_NEAR(hz_to_mel(700.0), 2595.0 * std::log10(2.0), 1e-9);
  EXPECT_NEAR(mel_to_hz(hz_to_mel(1234.5)), 1234.5, 1e-9);
}

TEST(Mel, BinEdgesEqualReference) {
  const FrontendConfig config;
  EXPECT_EQ(mel_bin_edges(config), kReferenceEdges);
}

TEST(Mel, MatrixEqualsReferenceDefinition) {
  const FrontendConfig config;
  const auto dense = mel_filterbank_matrix(config);
  ASSERT_EQ(dense.size(), 72u * 257u);
  const auto expected = reference_matrix(kReferenceEdges, 72, 257);
  for (std::size_t i = 0; i < dense.size(); ++i) {
    ASSERT_EQ(double(dense[i]), expected[i]) << "band " << i / 257 << " bin " << i % 257;
  }
}

TEST(Mel, LayoutFacts) {
  const FrontendConfig config;
  const MelFilterbank bank(config);
  EXPECT_EQ(bank.bands(), 72);
  EXPECT_EQ(bank.bins(), 257);
  EXPECT_EQ(bank.nonzeros(), 432u);
  const auto dense = bank.dense();
  std::size_t nonzero = 0;
  for (float v : dense) nonzero += v != 0.0f;
  EXPECT_EQ(nonzero, 432u);
  // Filters 0-12 are single-bin identities on bins 0-12 (weight 1 in Q15 = 32767/32768).
  for (int m = 0; m < 13; ++m) {
    EXPECT_EQ(bank.first_bin(m), m);
    ASSERT_EQ(bank.weights(m).size(), 1u) << m;
    EXPECT_EQ(bank.weights(m)[0], 32767.0f / 32768.0f);
  }
  EXPECT_GT(bank.weights(13).size(), 1u);
  // The last filter covers bins 238-255; bin 256 (Nyquist) is in none.
  EXPECT_EQ(bank.first_bin(71), 238);
  EXPECT_EQ(bank.first_bin(71) + int(bank.weights(71).size()) - 1, 255);
  for (int m = 0; m < 72; ++m) {
    EXPECT_FALSE(bank.weights(m).empty()) << m;
    EXPECT_EQ(dense[std::size_t(m) * 257 + 256], 0.0f) << m;
  }
  // Sum over filters per bin (rows of the [257 x 72] transpose the reference trains with): ~1 (0.99997 after the
  // Q15 floor) up to the last centre, then the last filter's falling edge, then 0.
  for (int k = 0; k < 257; ++k) {
    double sum = 0.0;
    for (int m = 0; m < 72; ++m) sum += dense[std::size_t(m) * 257 + std::size_t(k)];
    if (k < 247) {
      EXPECT_NEAR(sum, 1.0, 4e-5) << k;
    } else {
      EXPECT_NEAR(sum, (256 - k) / 9.0, 4e-5) << k;
    }
  }
}

TEST(Mel, ApplyEqualsDenseProductAndExactWeightsOption) {
  FrontendConfig config;
  const MelFilterbank bank(config);
  std::vector<float> power(257);
  for (int k = 0; k < 257; ++k) power[std::size_t(k)] = float(1.0 + 0.37 * k + std::sin(k));
  std::vector<float> mel(72);
  bank.apply(power, mel);
  const auto dense = bank.dense();
  for (int m = 0; m < 72; ++m) {
    double expected = 0.0;
    for (int k = 0; k < 257; ++k) expected += double(dense[std::size_t(m) * 257 + std::size_t(k)]) * power[std::size_t(k)];
    EXPECT_NEAR(mel[std::size_t(m)], expected, 1e-5 * std::abs(expected)) << m;
  }
  config.mel_weight_bits = 0;  // exact triangles: peak exactly 1
  const MelFilterbank exact(config);
  EXPECT_EQ(exact.weights(0)[0], 1.0f);
  EXPECT_EQ(exact.nonzeros(), 432u);
}

TEST(Mel, OtherConfigurations) {
  FrontendConfig config;
  config.fft_size = 256;
  config.window_length = 240;
  config.hop_length = 80;
  config.mel_bands = 22;
  const MelFilterbank bank(config);
  EXPECT_EQ(bank.bands(), 22);
  EXPECT_EQ(bank.bins(), 129);
  for (int m = 0; m < 22; ++m) EXPECT_FALSE(bank.weights(m).empty()) << m;
}

}  // namespace
}  // namespace nnse::dsp
