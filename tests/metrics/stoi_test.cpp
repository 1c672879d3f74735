#include "nnse/metrics/stoi.h"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>

#include "nnse/audio/audio_io.h"
#include "nnse/audio/resample.h"
#include "nnse/metrics/metrics.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::metrics {
namespace {

constexpr int kRate = 16000;

double energy(const std::vector<float>& x) {
  double e = 0.0;
  for (float v : x) e += static_cast<double>(v) * v;
  return e;
}

std::vector<float> at_snr(const std::vector<float>& speech, const std::vector<float>& noise, double snr_db) {
  const double g = std::sqrt(energy(speech) / energy(noise) * std::pow(10.0, -snr_db / 10.0));
  std::vector<float> out(speech.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = speech[i] + static_cast<float>(g) * noise[i];
  return out;
}

std::vector<float> scaled(const std::vector<float>& a, float gain) {
  std::vector<float> out(a);
  for (auto& x : out) x *= gain;
  return out;
}

// ---- an independent, slow, double-precision STOI / ESTOI written straight from the papers ----
// Direct DFT instead of an FFT, band membership decided per bin by frequency, explicit matrices.
namespace slow {

using Matrix = std::vector<std::vector<double>>;  // [band][frame]

double hann(int n) { return 0.5 * (1.0 - std::cos(2.0 * std::numbers::pi * (n + 1) / 257.0)); }

// Band j holds the bins whose frequency is closer to [lo, hi) than the neighbouring bins' are, i.e. the bins from
// the one nearest to lo up to (excluding) the one nearest to hi.
Matrix envelopes(const std::vector<double>& x) {
  const double df = 10000.0 / 512.0;
  Matrix out(15);
  for (std::size_t start = 0; start + 256 <= x.size(); start += 128) {
    std::vector<double> power(257);
    for (int k = 0; k <= 256; ++k) {
      std::complex<double> sum = 0.0;
      for (int n = 0; n < 256; ++n) sum += hann(n) * x[start + static_cast<std::size_t>(n)] * std::polar(1.0, -2.0 * std::numbers::pi * k * n / 512.0);
      power[static_cast<std::size_t>(k)] = std::norm(sum);
    }
    for (int j = 0; j < 15; ++j) {
      const double center = 150.0 * std::pow(2.0, j / 3.0);
      const double lo = center / std::pow(2.0, 1.0 / 6.0), hi = center * std::pow(2.0, 1.0 / 6.0);
      double sum = 0.0;
      for (int k = 0; k <= 256; ++k) {
        const double f = k * df;
        // k is in the band when it is at or above the bin nearest lo and below the bin nearest hi.
        const bool above_lo = f + df / 2.0 > lo;  // the bin nearest lo is the first whose upper half-bin passes lo
        const bool below_hi = f + df / 2.0 <= hi;
        if (above_lo && below_hi) sum += power[static_cast<std::size_t>(k)];
      }
      out[static_cast<std::size_t>(j)].push_back(std::sqrt(sum));
    }
  }
  return out;
}

void trim(const std::vector<float>& clean, const std::vector<float>& processed, std::vector<double>& x, std::vector<double>& y) {
  std::vector<double> e;
  for (std::size_t s = 0; s + 256 <= clean.size(); s += 128) {
    double sum = 0.0;
    for (int n = 0; n < 256; ++n) sum += std::pow(hann(n) * clean[s + static_cast<std::size_t>(n)], 2);
    e.push_back(sum);
  }
  double loudest = 0.0;
  for (double v : e) loudest = std::max(loudest, v);
  std::vector<std::size_t> keep;
  for (std::size_t f = 0; f < e.size(); ++f) {
    if (e[f] > loudest * 1e-4) keep.push_back(f);  // within 40 dB
  }
  x.assign((keep.size() - 1) * 128 + 256, 0.0);
  y.assign(x.size(), 0.0);
  for (std::size_t i = 0; i < keep.size(); ++i) {
    for (int n = 0; n < 256; ++n) {
      x[i * 128 + static_cast<std::size_t>(n)] += hann(n) * clean[keep[i] * 128 + static_cast<std::size_t>(n)];
      y[i * 128 + static_cast<std::size_t>(n)] += hann(n) * processed[keep[i] * 128 + static_cast<std::size_t>(n)];
    }
  }
}

double correlation(std::vector<double> a, std::vector<double> b) {
  double ma = 0.0, mb = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ma += a[i] / static_cast<double>(a.size());
    mb += b[i] / static_cast<double>(b.size());
  }
  double ab = 0.0, aa = 0.0, bb = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) * (a[i] - ma);
    bb += (b[i] - mb) * (b[i] - mb);
  }
  return ab / std::sqrt(aa * bb);
}

std::pair<double, double> stoi_estoi(const std::vector<float>& clean, const std::vector<float>& processed) {
  std::vector<double> x, y;
  trim(clean, processed, x, y);
  const Matrix X = envelopes(x), Y = envelopes(y);
  const std::size_t frames = X[0].size();
  double stoi_sum = 0.0, estoi_sum = 0.0;
  int stoi_count = 0, estoi_count = 0;
  for (std::size_t m = 29; m < frames; ++m) {
    Matrix xs(15, std::vector<double>(30)), ys(15, std::vector<double>(30));
    for (std::size_t j = 0; j < 15; ++j) {
      for (std::size_t n = 0; n < 30; ++n) {
        xs[j][n] = X[j][m - 29 + n];
        ys[j][n] = Y[j][m - 29 + n];
      }
      // STOI: normalize the processed row to the clean row's energy, clip at -15 dB SDR, correlate.
      double ex = 0.0, ey = 0.0;
      for (std::size_t n = 0; n < 30; ++n) {
        ex += xs[j][n] * xs[j][n];
        ey += ys[j][n] * ys[j][n];
      }
      std::vector<double> clipped(30);
      for (std::size_t n = 0; n < 30; ++n) clipped[n] = std::min(ys[j][n] * std::sqrt(ex / ey), (1.0 + std::pow(10.0, 0.75)) * xs[j][n]);
      stoi_sum += correlation(xs[j], clipped);
      ++stoi_count;
    }
    // ESTOI: rows to zero mean / unit norm, then columns; mean inner product of the columns.
    for (Matrix* mat : {&xs, &ys}) {
      for (auto& row : *mat) {
        double mean = 0.0, norm = 0.0;
        for (double v : row) mean += v / 30.0;
        for (double& v : row) norm += (v - mean) * (v - mean);
        for (double& v : row) v = (v - mean) / std::sqrt(norm);
      }
      for (std::size_t n = 0; n < 30; ++n) {
        double mean = 0.0, norm = 0.0;
        for (std::size_t j = 0; j < 15; ++j) mean += (*mat)[j][n] / 15.0;
        for (std::size_t j = 0; j < 15; ++j) norm += ((*mat)[j][n] - mean) * ((*mat)[j][n] - mean);
        for (std::size_t j = 0; j < 15; ++j) (*mat)[j][n] = ((*mat)[j][n] - mean) / std::sqrt(norm);
      }
    }
    double d = 0.0;
    for (std::size_t j = 0; j < 15; ++j) {
      for (std::size_t n = 0; n < 30; ++n) d += xs[j][n] * ys[j][n] / 30.0;
    }
    estoi_sum += d;
    ++estoi_count;
  }
  return {stoi_sum / stoi_count, estoi_sum / estoi_count};
}

}  // namespace slow

TEST(Stoi, BandTableMatchesTheDefinition) {
  const auto bands = stoi_detail::third_octave_bands();
  ASSERT_EQ(bands.size(), 15u);
  const double df = 10000.0 / 512.0;
  for (int j = 0; j < 15; ++j) {
    const auto& b = bands[static_cast<std::size_t>(j)];
    const double center = 150.0 * std::pow(2.0, j / 3.0);
    // The edges are the bins nearest to center * 2^(-+1/6).
    EXPECT_LE(std::abs(b.first * df - center * std::pow(2.0, -1.0 / 6.0)), df / 2.0 + 1e-9) << j;
    EXPECT_LE(std::abs(b.last * df - center * std::pow(2.0, 1.0 / 6.0)), df / 2.0 + 1e-9) << j;
    EXPECT_LT(b.first, b.last) << j;
    if (j > 0) {
      EXPECT_EQ(b.first, bands[static_cast<std::size_t>(j - 1)].last) << "bands tile the spectrum";
    }
  }
  // The first band holds the bins of 136-166 Hz: 7 (137 Hz) and 8 (156 Hz); the top edge is near 4.28 kHz.
  EXPECT_EQ(bands.front().first, 7);
  EXPECT_EQ(bands.front().last, 9);
  EXPECT_EQ(bands.back().last, 219);
}

TEST(Stoi, MatchesASlowIndependentComputation) {
  // At 10 kHz no resampling happens, so both sides see the same samples. The speech-like signal pauses (its
  // envelope is zero half the time), which exercises the silent-frame removal.
  const int rate = stoi_detail::kRate;
  const auto s = test::speech_like(1.2, rate, 21);
  const auto y = at_snr(s, test::white_noise(s.size(), 22), 0.0);
  const auto [stoi_ref, estoi_ref] = slow::stoi_estoi(s, y);
  EXPECT_NEAR(stoi(s, y, rate), stoi_ref, 1e-5);
  EXPECT_NEAR(estoi(s, y, rate), estoi_ref, 1e-5);
  EXPECT_GT(stoi_ref, 0.3);
  EXPECT_LT(stoi_ref, 0.99);
  // Silence removal drops a real share of the frames here.
  const auto trimmed = stoi_detail::remove_silent_frames(s, y);
  EXPECT_LT(trimmed.clean.size(), s.size() * 9 / 10);
  EXPECT_GT(trimmed.clean.size(), s.size() / 3);
}

TEST(Stoi, IdenticalSignalsScoreOne) {
  const auto s = test::speech_like(2.0, kRate, 23);
  EXPECT_NEAR(stoi(s, s, kRate), 1.0, 1e-6);
  EXPECT_NEAR(estoi(s, s, kRate), 1.0, 1e-6);
}

TEST(Stoi, NoiseInsteadOfSpeechScoresLow) {
  const auto s = test::speech_like(3.0, kRate, 24);
  const auto n = test::white_noise(s.size(), 25, 0.1f);
  // STOI does not reach 0 for unrelated signals: clipping the processed envelope at 1 + 10^(15/20) times the
  // clean one makes it follow the clean envelope in the clean signal's quiet stretches. ESTOI has no clipping.
  const double noise_stoi = stoi(s, n, kRate);
  EXPECT_LT(noise_stoi, 0.4);
  EXPECT_LT(std::abs(estoi(s, n, kRate)), 0.1);
  EXPECT_LT(noise_stoi, stoi(s, at_snr(s, n, -10.0), kRate) - 0.1);  // far below even a -10 dB mixture
}

TEST(Stoi, MonotonicInSnr) {
  const auto s = test::speech_like(3.0, kRate, 26);
  const auto n = test::white_noise(s.size(), 27);
  double last_stoi = -1.0, last_estoi = -1.0, last_sdr = -1e9;
  for (double snr_db = -10.0; snr_db <= 20.0; snr_db += 5.0) {
    const auto y = at_snr(s, n, snr_db);
    const double a = stoi(s, y, kRate), b = estoi(s, y, kRate), c = si_sdr(s, y);
    EXPECT_GT(a, last_stoi + 0.002) << snr_db;
    EXPECT_GT(b, last_estoi + 0.002) << snr_db;
    EXPECT_GT(c, last_sdr + 1.0) << snr_db;
    last_stoi = a;
    last_estoi = b;
    last_sdr = c;
  }
  EXPECT_GT(last_stoi, 0.9);
}

TEST(Stoi, InvariantToTheLevelOfEitherSignal) {
  const auto s = test::speech_like(2.0, kRate, 28);
  const auto y = at_snr(s, test::white_noise(s.size(), 29), 0.0);
  const double a = stoi(s, y, kRate), b = estoi(s, y, kRate);
  EXPECT_NEAR(stoi(scaled(s, 3.7f), scaled(y, 0.11f), kRate), a, 1e-5);
  EXPECT_NEAR(estoi(scaled(s, 0.3f), scaled(y, 5.0f), kRate), b, 1e-5);
}

TEST(Stoi, ResamplesOtherRates) {
  // The same material at 16 kHz and at 10 kHz scores nearly the same.
  const auto s16 = test::speech_like(2.0, kRate, 30);
  const auto y16 = at_snr(s16, test::white_noise(s16.size(), 31), 0.0);
  const auto s10 = audio::resample(s16, kRate, 10000), y10 = audio::resample(y16, kRate, 10000);
  EXPECT_NEAR(stoi(s16, y16, kRate), stoi(s10, y10, 10000), 1e-4);
}

TEST(Stoi, RefusesTooShortSignals) {
  const auto s = test::speech_like(0.3, kRate, 32);
  EXPECT_THROW(stoi(s, s, kRate), Error);
  EXPECT_THROW(estoi(s, s, kRate), Error);
  EXPECT_THROW(stoi(s, s, 0), Error);
}

TEST(Stoi, SegmentCorrelationClipsAndNormalizes) {
  const std::vector<double> x = {1, 2, 3, 4, 5, 4, 3, 2};
  std::vector<double> y(x);
  for (auto& v : y) v *= 7.0;  // level does not matter
  EXPECT_NEAR(stoi_detail::segment_correlation(x, y), 1.0, 1e-12);
  // One huge outlier is clipped to 1 + 10^(15/20) times the clean value, so it cannot dominate.
  std::vector<double> outlier(x);
  outlier[0] = 1e6;
  const double clipped = stoi_detail::segment_correlation(x, outlier);
  EXPECT_GT(clipped, -1.0);
  EXPECT_LT(clipped, 1.0);
  EXPECT_EQ(stoi_detail::segment_correlation(x, std::vector<double>(x.size(), 0.0)), 0.0);
}

TEST(Stoi, RealSpeechWhenTheCorpusIsPresent) {
  const auto corpus = test::shared_corpus();
  if (corpus.empty()) GTEST_SKIP() << "the starter corpus is not present (docs/reference-facts.md section 6)";
  const auto speech = audio::read_mono(corpus / "speech/asterisk_en/agent-alreadyon.flac", kRate, false);
  const auto noise = test::white_noise(speech.size(), 33);
  double last = -1.0;
  for (double snr_db : {-5.0, 5.0, 15.0}) {
    const double v = stoi(speech, at_snr(speech, noise, snr_db), kRate);
    EXPECT_GT(v, last) << snr_db;
    last = v;
  }
  EXPECT_NEAR(stoi(speech, speech, kRate), 1.0, 1e-6);
  EXPECT_GT(last, 0.85);
}

}  // namespace
}  // namespace nnse::metrics
