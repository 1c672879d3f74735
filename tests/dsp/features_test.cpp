#include "nnse/dsp/features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <filesystem>

#include "nnse/audio/audio_io.h"
#include "nnse/dsp/dc_filter.h"
#include "nnse/dsp/frontend.h"
#include "nnse/dsp/mel.h"
#include "nnse/dsp/window.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::dsp {
namespace {

// Power spectrum of frame t computed directly in double (DFT by definition, no FFT).
std::vector<double> direct_power(const std::vector<float>& x, int t, const FrontendConfig& c) {
  std::vector<double> w(std::size_t(c.window_length));
  for (int n = 0; n < c.window_length; ++n) {
    w[std::size_t(n)] = std::sqrt(double(c.hop_length) / c.window_length * (1.0 - std::cos(2.0 * M_PI * n / c.window_length)));
  }
  std::vector<double> p(std::size_t(c.bins()));
  for (int k = 0; k < c.bins(); ++k) {
    std::complex<double> sum = 0.0;
    for (int n = 0; n < c.window_length; ++n) {
      const long i = long(c.hop_length) * t - c.history_length() + n;
      if (i < 0 || i >= long(x.size())) continue;
      sum += double(x[std::size_t(i)]) * w[std::size_t(n)] * std::polar(1.0, -2.0 * M_PI * k * n / c.fft_size);
    }
    p[std::size_t(k)] = std::norm(sum);
  }
  return p;
}

TEST(Features, PowerSpectrumAndLog) {
  const std::vector<Complex> bins{{3.0f, 4.0f}, {0.0f, 0.0f}, {-1.0f, 2.0f}};
  std::vector<float> p(3);
  power_spectrum(bins, p);
  EXPECT_EQ(p, (std::vector<float>{25.0f, 0.0f, 5.0f}));
  log_compress(p, 1.0 / 32768.0);
  EXPECT_NEAR(p[0], std::log10(25.0 + 1.0 / 32768.0), 1e-6);
  EXPECT_NEAR(p[1], -4.51545, 1e-5);  // log10(2^-15), the reference's floor
  EXPECT_NEAR(log_floor(FrontendConfig{}), -4.51545, 1e-5);
}

TEST(Features, FullScaleSineReachesReferenceScale) {
  // A full-scale sine at a bin centre: |X| = A * sum(w) / 2 = 0.5 * sum(w) with the unnormalized DFT.
  FrontendConfig config;
  config.feature_type = FeatureType::pspec;
  const double f = 64 * 31.25;
  std::vector<float> x(16000);
  for (std::size_t n = 0; n < x.size(); ++n) x[n] = float(std::sin(2.0 * M_PI * f * double(n) / 16000.0));
  const auto spectrum = stft(x, config);
  double wsum = 0.0;
  for (float v : stft_window(config)) wsum += v;
  EXPECT_NEAR(std::abs(spectrum.at(50, 64)), 0.5 * wsum, 0.5 * wsum * 1e-3);
  EXPECT_LE(std::abs(spectrum.at(50, 64)), 256.0f);  // the reference's |X| <= 256 bound
}

TEST(Features, PspecAndMelMatchDirectDftInDouble) {
  FrontendConfig config;
  const auto x = test::speech_like(0.5, config.sample_rate, 9);
  const auto spectrum = stft(x, config);
  config.feature_type = FeatureType::pspec;
  const auto pspec = compute_features(spectrum, config);
  config.feature_type = FeatureType::mel;
  const auto mel = compute_features(spectrum, config);
  ASSERT_EQ(pspec.dim, 257);
  ASSERT_EQ(mel.dim, 72);
  ASSERT_EQ(pspec.frames, 50);
  ASSERT_EQ(mel.frames, 50);
  const auto matrix = mel_filterbank_matrix(config);
  for (int t : {0, 1, 7, 23, 49}) {
    const auto p = direct_power(x, t, config);
    for (int k = 0; k < 257; ++k) {
      const double expected = std::log10(p[std::size_t(k)] + config.log_offset);
      EXPECT_NEAR(pspec.at(t, k), expected, 1e-4 + 2e-6 / (p[std::size_t(k)] + config.log_offset)) << t << "," << k;
    }
    for (int m = 0; m < 72; ++m) {
      double sum = 0.0;
      for (int k = 0; k < 257; ++k) sum += double(matrix[std::size_t(m) * 257 + std::size_t(k)]) * p[std::size_t(k)];
      EXPECT_NEAR(mel.at(t, m), std::log10(sum + config.log_offset), 1e-4) << t << "," << m;
    }
  }
  // Silence gives exactly the floor.
  const std::vector<float> silence(800, 0.0f);
  const auto floor_features = extract_features(silence, config);
  for (float v : floor_features.values) EXPECT_FLOAT_EQ(v, log_floor(config));
}

TEST(Features, ExtractorFrameEqualsBlock) {
  const FrontendConfig config;
  const auto x = test::white_noise(3200, 4, 0.2f);
  const auto spectrum = stft(x, config);
  const auto block = compute_features(spectrum, config);
  FeatureExtractor extractor(config);
  std::vector<float> frame(72);
  for (int t = 0; t < spectrum.frames; ++t) {
    extractor.process_frame(spectrum.frame(t), frame);
    for (int m = 0; m < 72; ++m) ASSERT_EQ(frame[std::size_t(m)], block.at(t, m));
  }
  EXPECT_THROW(extractor.process_frame(spectrum.frame(0), std::span<float>(frame).first(10)), Error);
}

TEST(Features, MelflatIsZeroForFlatBandsAndNegativeForPeakyOnes) {
  FrontendConfig config;
  config.feature_type = FeatureType::melflat;
  FeatureExtractor extractor(config);
  ASSERT_EQ(extractor.feature_dim(), 144);
  const MelFilterbank bank(config);
  std::vector<Complex> flat(257, Complex(1.0f, 0.0f)), peaky(257);
  for (std::size_t k = 0; k < peaky.size(); k += 2) peaky[k] = Complex(1.0f, 1.0f);  // power 2 on even bins, 0 between
  std::vector<float> f(144), p(144);
  extractor.process_frame(flat, f);
  extractor.process_frame(peaky, p);
  for (int b = 0; b < 72; ++b) {
    EXPECT_NEAR(f[std::size_t(72 + b)], 0.0f, 1e-5) << b;
    if (bank.weights(b).size() < 2) {
      EXPECT_EQ(p[std::size_t(72 + b)], 0.0f) << b;  // one bin has no within-band shape
    } else {
      // Half the weight on log10(2) and half on the floor, against log10(about 1): far below zero.
      EXPECT_LT(p[std::size_t(72 + b)], -1.0f) << b;
    }
  }
  // The first half is the mel feature itself.
  config.feature_type = FeatureType::mel;
  FeatureExtractor mel(config);
  std::vector<float> m(72);
  mel.process_frame(peaky, m);
  for (int b = 0; b < 72; ++b) EXPECT_EQ(p[std::size_t(b)], m[std::size_t(b)]) << b;
}

TEST(Features, StreamingFrontendAndFileFeaturesEqualBlockExtraction) {
  for (auto type : {FeatureType::mel, FeatureType::pspec, FeatureType::melflat}) {
    FrontendConfig config;
    config.feature_type = type;
    const auto fixture = std::filesystem::path(NNSE_TEST_FIXTURES) / "speech/agent-pass-2s5.flac";
    auto x = audio::read_mono(fixture, 16000, false);
    x.resize(x.size() - 50);  // a partial last hop
    test::ScratchDir dir;
    audio::write_wav16(dir / "cut.wav", x, 16000);
    x = audio::read_mono(dir / "cut.wav", 16000, false);
    const auto block = extract_features(x, config);
    ASSERT_EQ(block.frames, 250);
    FeatureMatrix log_power;
    const auto streamed = file_features(dir / "cut.wav", config, false, &log_power);
    ASSERT_EQ(streamed.frames, block.frames);
    ASSERT_EQ(streamed.dim, block.dim);
    for (std::size_t i = 0; i < block.values.size(); ++i) ASSERT_EQ(streamed.values[i], block.values[i]) << i;
    ASSERT_EQ(log_power.frames, 250);
    ASSERT_EQ(log_power.dim, 257);
    if (type == FeatureType::pspec) {
      EXPECT_EQ(log_power.values, block.values);
    }
  }
}

TEST(Features, DcRemovalIsAppliedWhenConfigured) {
  FrontendConfig config;
  std::vector<float> x(8000, 0.25f);  // pure DC
  const auto with = extract_features(x, config);
  config.dc_removal = false;
  const auto without = extract_features(x, config);
  ASSERT_EQ(with.frames, 50);
  EXPECT_GT(without.at(40, 0), 2.0f);  // large DC bin
  EXPECT_LT(with.at(40, 0), -4.0f);    // removed (near the floor)
}

}  // namespace
}  // namespace nnse::dsp
