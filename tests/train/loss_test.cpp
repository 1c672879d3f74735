#include "nnse/train/loss.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <complex>
#include <random>
#include <thread>

#include "nnse/dsp/stft.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::train {
namespace {

using cf = std::complex<float>;

const std::vector<std::string> kSpectral = {"mag_mse",   "mag_mae", "log_mse", "cplx_mse",  "cplx_mae",
                                            "cmag_mse",  "ccplx_mse", "cmix",  "spec_corr", "nnse_pow"};
// A weighted sum (combined_loss.h) is checked like its time-domain term.
const std::vector<std::string> kTime = {"si_sdr", "wsdr", "tsnr", "wsdr+0.5*cmag_mse", "wsdr+bwsdr"};

// A batch that owns its arrays. Gains lie on a 2^-10 grid so that G +- 2^-12 is exact in float and finite
// differences see the loss formula, not rounding of the perturbed gain.
struct Data {
  int sequences = 0, frames = 0, bins = 0;
  std::vector<cf> noisy, clean;
  std::vector<float> gain;
  std::vector<std::uint8_t> valid;
  mutable std::vector<const cf*> noisy_rows, clean_rows;

  std::size_t size() const { return noisy.size(); }
  double valid_frames() const { return static_cast<double>(std::count(valid.begin(), valid.end(), 1)); }

  LossBatch batch() const { return range(0, sequences); }
  // The returned batch points into this object (its arrays and row pointers, which every call rewrites with the
  // same values): it stays valid until the arrays are reassigned.
  LossBatch range(int first, int count) const {
    const auto new_noisy_rows = sequence_rows(noisy, sequences, frames, bins);
    const auto new_clean_rows = sequence_rows(clean, sequences, frames, bins);
    noisy_rows.assign(new_noisy_rows.begin(), new_noisy_rows.end());  // in place: earlier batches stay valid
    clean_rows.assign(new_clean_rows.begin(), new_clean_rows.end());
    LossBatch b;
    b.sequences = count;
    b.frames = frames;
    b.bins = bins;
    const auto off = static_cast<std::size_t>(first) * static_cast<std::size_t>(frames * bins);
    b.noisy = noisy_rows.data() + first;
    b.clean = clean_rows.data() + first;
    b.gain = gain.data() + off;
    b.valid = valid.data() + static_cast<std::size_t>(first * frames);
    b.total_valid_frames = valid_frames();
    b.total_sequences = sequences;
    return b;
  }
};

float grid_gain(std::mt19937& rng) {
  std::uniform_int_distribution<int> step(52, 1536);  // 0.05 .. 1.5
  return static_cast<float>(step(rng)) / 1024.0f;
}

// Random spectra with padded tails of different lengths; the gains are moved (on their grid) away from the
// kinks of the absolute-value losses so a central difference never straddles one.
Data random_data(int bins, std::uint32_t seed, const std::vector<int>& valid_frames = {12, 9, 5}) {
  Data d;
  d.sequences = static_cast<int>(valid_frames.size());
  d.frames = *std::max_element(valid_frames.begin(), valid_frames.end());
  d.bins = bins;
  const std::size_t n = static_cast<std::size_t>(d.sequences * d.frames * bins);
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  d.noisy.resize(n);
  d.clean.resize(n);
  d.gain.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    d.noisy[i] = cf(normal(rng), normal(rng));
    d.clean[i] = 0.6f * cf(normal(rng), normal(rng));
    const double ay = std::abs(std::complex<double>(d.noisy[i]));
    const double as = std::abs(std::complex<double>(d.clean[i]));
    for (int tries = 0; tries < 100; ++tries) {
      d.gain[i] = grid_gain(rng);
      const double g = d.gain[i];
      const double er = d.clean[i].real() - g * d.noisy[i].real(), ei = d.clean[i].imag() - g * d.noisy[i].imag();
      const double margin = 1e-2;
      if (std::abs(as - g * ay) > margin * ay && std::abs(er) > margin * std::abs(d.noisy[i].real()) &&
          std::abs(ei) > margin * std::abs(d.noisy[i].imag())) {
        break;
      }
    }
  }
  d.valid.assign(static_cast<std::size_t>(d.sequences * d.frames), 0);
  for (int s = 0; s < d.sequences; ++s) {
    for (int t = 0; t < valid_frames[static_cast<std::size_t>(s)]; ++t) d.valid[static_cast<std::size_t>(s * d.frames + t)] = 1;
  }
  return d;
}

std::unique_ptr<Loss> loss(const std::string& name, double c = 0.3, double a = 0.3, double eps = -1) {
  return make_loss(LossConfig{name, c, a, eps}, dsp::FrontendConfig{});
}

double value(const Loss& l, const Data& d) { return l.evaluate(d.batch(), nullptr); }

std::vector<float> gradient(const Loss& l, const Data& d, double* v = nullptr) {
  std::vector<float> g(d.size(), -123.0f);
  const double x = l.evaluate(d.batch(), g.data());
  if (v) *v = x;
  return g;
}

double central_difference(const Loss& l, Data& d, std::size_t i, float h) {
  const float g0 = d.gain[i];
  d.gain[i] = g0 + h;
  const double up = value(l, d);
  d.gain[i] = g0 - h;
  const double down = value(l, d);
  d.gain[i] = g0;
  return (up - down) / (2.0 * static_cast<double>(h));
}

double max_abs(const std::vector<float>& v) {
  double m = 0.0;
  for (float x : v) m = std::max(m, static_cast<double>(std::abs(x)));
  return m;
}

TEST(Loss, NamesFactoryAndKnobValidation) {
  const std::vector<std::string> expected = {"mag_mse",   "mag_mae", "log_mse", "cplx_mse", "cplx_mae", "cmag_mse",
                                             "ccplx_mse", "cmix",    "si_sdr",  "wsdr",     "spec_corr", "nnse_pow", "tsnr",
                                             "bwsdr"};
  EXPECT_EQ(loss_names(), expected);
  for (const auto& name : loss_names()) {
    const auto l = loss(name);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->describe().rfind(name, 0), 0u) << l->describe();
  }
  try {
    loss("bogus");
    FAIL() << "unknown loss accepted";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("bogus"), std::string::npos);
    for (const auto& name : loss_names()) EXPECT_NE(message.find(name), std::string::npos) << message;
  }
  EXPECT_THROW(loss("cmix", 0.0), Error);
  EXPECT_THROW(loss("cmix", 1.5), Error);
  EXPECT_THROW(loss("cmix", 0.3, -0.1), Error);
  EXPECT_THROW(loss("cmix", 0.3, 1.1), Error);
  EXPECT_THROW(loss("log_mse", 0.3, 0.3, 0.0), Error);
  EXPECT_THROW(loss("log_mse", 0.3, 0.3, std::nan("")), Error);
  EXPECT_NE(loss("cmix", 0.5, 0.7, 1e-4)->describe().find("c=0.5, a=0.7, eps=0.0001"), std::string::npos);
  EXPECT_EQ(default_loss_eps("log_mse"), 1e-8);
  EXPECT_EQ(default_loss_eps("nnse_pow"), 1e-6);
  EXPECT_THROW(default_loss_eps("nope"), Error);
}

class SpectralGradient : public ::testing::TestWithParam<std::string> {};

// Every element of dL/dG against a central difference of the loss itself (double arithmetic inside).
TEST_P(SpectralGradient, MatchesFiniteDifferencesEverywhere) {
  for (const double c : {0.3, 0.7}) {
    Data d = random_data(17, 7);
    const auto l = loss(GetParam(), c, 0.4);
    const std::vector<float> g = gradient(*l, d);
    const double scale = max_abs(g);
    ASSERT_GT(scale, 0.0);
    const float h = 1.0f / 4096.0f;
    for (std::size_t i = 0; i < d.size(); ++i) {
      const double fd = central_difference(*l, d, i, h);
      ASSERT_NEAR(g[i], fd, 1e-4 * scale + 1e-4 * std::abs(fd)) << GetParam() << " c=" << c << " element " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Loss, SpectralGradient, ::testing::ValuesIn(kSpectral));

class TimeGradient : public ::testing::TestWithParam<std::string> {};

// The inverse STFT runs in float, so single elements are checked against the largest gradient and the full
// gradient along random directions (where the rounding averages out) much more tightly.
TEST_P(TimeGradient, MatchesFiniteDifferences) {
  Data d = random_data(dsp::FrontendConfig{}.bins(), 11, {10, 7, 4});
  const auto l = loss(GetParam());
  const std::vector<float> g = gradient(*l, d);
  const double scale = max_abs(g);
  ASSERT_GT(scale, 0.0);
  // Padded frames get no gradient.
  for (int s = 0; s < d.sequences; ++s) {
    for (int t = 0; t < d.frames; ++t) {
      if (d.valid[static_cast<std::size_t>(s * d.frames + t)]) continue;
      for (int k = 0; k < d.bins; ++k) ASSERT_EQ(g[static_cast<std::size_t>((s * d.frames + t) * d.bins + k)], 0.0f);
    }
  }
  // Elements: the 20 largest plus 40 random ones.
  std::vector<std::size_t> order(d.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::partial_sort(order.begin(), order.begin() + 20, order.end(),
                    [&](std::size_t x, std::size_t y) { return std::abs(g[x]) > std::abs(g[y]); });
  std::vector<std::size_t> picks(order.begin(), order.begin() + 20);
  std::mt19937 rng(3);
  std::uniform_int_distribution<std::size_t> any(0, d.size() - 1);
  for (int i = 0; i < 40; ++i) picks.push_back(any(rng));
  for (std::size_t i : picks) {
    const double fd = central_difference(*l, d, i, 1.0f / 512.0f);
    EXPECT_NEAR(g[i], fd, 5e-3 * scale + 5e-3 * std::abs(fd)) << GetParam() << " element " << i;
  }
  // Directional derivatives: (L(G + h v) - L(G - h v)) / 2h == <grad, v>.
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int trial = 0; trial < 3; ++trial) {
    std::vector<float> v(d.size());
    for (auto& x : v) x = normal(rng);
    const std::vector<float> g0 = d.gain;
    const double h = 1e-3;
    double predicted = 0.0;
    for (std::size_t i = 0; i < v.size(); ++i) predicted += static_cast<double>(g[i]) * v[i];
    for (std::size_t i = 0; i < v.size(); ++i) d.gain[i] = g0[i] + static_cast<float>(h) * v[i];
    const double up = value(*l, d);
    for (std::size_t i = 0; i < v.size(); ++i) d.gain[i] = g0[i] - static_cast<float>(h) * v[i];
    const double down = value(*l, d);
    d.gain = g0;
    EXPECT_NEAR((up - down) / (2.0 * h), predicted, 2e-3 * std::abs(predicted)) << GetParam();
  }
}

INSTANTIATE_TEST_SUITE_P(Loss, TimeGradient, ::testing::ValuesIn(kTime), [](const auto& info) {
  std::string name = info.param;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
});

// bwsdr's arithmetic is all double (no inverse STFT), so every element matches a central difference tightly.
TEST(Loss, BandWsdrGradientMatchesFiniteDifferencesEverywhere) {
  Data d = random_data(dsp::FrontendConfig{}.bins(), 23, {6, 4, 2});
  const auto l = loss("bwsdr");
  const std::vector<float> g = gradient(*l, d);
  const double scale = max_abs(g);
  ASSERT_GT(scale, 0.0);
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double fd = central_difference(*l, d, i, 1.0f / 4096.0f);
    ASSERT_NEAR(g[i], fd, 1e-4 * scale + 1e-4 * std::abs(fd)) << "element " << i;
  }
}

// What bwsdr is for: noise left in a band where the speech is 40 dB quieter costs it as much as noise left in
// the loudest band (every band counts alike), while wsdr, weighted by energy, hardly notices it.
TEST(Loss, BandWsdrCountsAQuietBandLikeALoudOne) {
  const dsp::FrontendConfig fe;
  Data d = random_data(fe.bins(), 29, {8});
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  // Two whole bands each (edges at bins 8, 14, 20 and 151, 181, 215): 250-625 Hz and 4.7-6.7 kHz. Above bin 126
  // (3.9 kHz) the speech is 40 dB quieter.
  const int loud_lo = 8, loud_hi = 20, quiet_lo = 151, quiet_hi = 215;
  for (int t = 0; t < d.frames; ++t) {
    for (int k = 0; k < d.bins; ++k) {
      const auto i = static_cast<std::size_t>(t * d.bins + k);
      const float level = k >= 126 ? 0.01f : 1.0f;
      d.clean[i] = level * cf(normal(rng), normal(rng));
      d.noisy[i] = d.clean[i] + 0.3f * level * cf(normal(rng), normal(rng));
      d.gain[i] = std::min(1.0f, std::abs(d.clean[i]) / std::abs(d.noisy[i]));  // close to ideal
    }
  }
  const auto leave_noise = [&](int lo, int hi) {
    Data out = d;
    for (int t = 0; t < d.frames; ++t) {
      for (int k = lo; k < hi; ++k) out.gain[static_cast<std::size_t>(t * d.bins + k)] = 1.0f;
    }
    return out;
  };
  const Data loud = leave_noise(loud_lo, loud_hi), quiet = leave_noise(quiet_lo, quiet_hi);
  const auto cost = [&](const std::string& name, const Data& x) { return value(*loss(name), x) - value(*loss(name), d); };
  EXPECT_GT(cost("bwsdr", loud), 0.0);
  EXPECT_GT(cost("bwsdr", quiet), 0.5 * cost("bwsdr", loud));
  EXPECT_GT(cost("wsdr", loud), 0.0);
  EXPECT_LT(cost("wsdr", quiet), 0.01 * cost("wsdr", loud));
}

TEST(Loss, BandWsdrNeedsTheFrontEndsBins) {
  Data d = random_data(17, 7);
  EXPECT_THROW(value(*loss("bwsdr"), d), Error);
}

// A combined loss is exactly the weighted sum of its terms, in value and in gradient.
TEST(Loss, CombinedIsTheWeightedSumOfItsTerms) {
  Data d = random_data(dsp::FrontendConfig{}.bins(), 5, {9, 6});
  const auto sum = loss("wsdr + 2.5*cmag_mse");
  const auto a = loss("wsdr");
  const auto b = loss("cmag_mse");
  double vs = 0, va = 0, vb = 0;
  const auto gs = gradient(*sum, d, &vs);
  const auto ga = gradient(*a, d, &va);
  const auto gb = gradient(*b, d, &vb);
  EXPECT_NEAR(vs, va + 2.5 * vb, 1e-12 * (1.0 + std::abs(vs)));
  for (std::size_t i = 0; i < gs.size(); ++i) ASSERT_NEAR(gs[i], ga[i] + 2.5f * gb[i], 1e-6f * (1.0f + std::abs(gs[i])));
  EXPECT_NE(sum->describe().find("2.5 x [cmag_mse"), std::string::npos) << sum->describe();
}

TEST(Loss, CombinedRejectsBadTerms) {
  for (const char* bad : {"wsdr+", "+wsdr", "wsdr+nope", "wsdr+0*cmag_mse", "wsdr+-1*cmag_mse", "wsdr+x*cmag_mse",
                          "wsdr+wsdr", "2*"}) {
    EXPECT_THROW(loss(bad), Error) << bad;
  }
}

// With the time signals the spectra are STFTs of (LossBatch::noisy_signal / clean_signal, as the trainer passes
// them), the time-domain losses skip the inverse STFTs of S and Y: same value and gradient up to float rounding.
// Each sequence is a chunk from the middle of its signals (rows 5.. of their STFT), with padding after its valid
// frames, as in training.
TEST(Loss, TimeSignalsGiveTheSameLossAsTheRows) {
  const dsp::FrontendConfig config;
  const auto hop = static_cast<std::size_t>(config.hop_length), bins = static_cast<std::size_t>(config.bins());
  const std::vector<int> valid_frames = {40, 25, 9};
  Data d = random_data(config.bins(), 31, valid_frames);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.1f);
  const int skip = 5;  // the chunk starts at row 5 of its signals' STFT
  const std::size_t samples = static_cast<std::size_t>(d.frames + skip) * hop;
  std::vector<std::vector<float>> clean_signals, noisy_signals;
  for (int s = 0; s < d.sequences; ++s) {
    std::vector<float> clean(samples), noisy(samples);
    for (std::size_t i = 0; i < samples; ++i) {
      clean[i] = static_cast<float>(std::sin(0.05 * static_cast<double>(i) + s)) * 0.3f + normal(rng) * 0.2f;
      noisy[i] = clean[i] + normal(rng);
    }
    const dsp::Spectrum cs = dsp::stft(clean, config), ns = dsp::stft(noisy, config);
    const std::size_t row0 = static_cast<std::size_t>(skip) * bins, out0 = static_cast<std::size_t>(s * d.frames) * bins;
    std::copy_n(cs.values.begin() + static_cast<std::ptrdiff_t>(row0), static_cast<std::size_t>(d.frames) * bins,
                d.clean.begin() + static_cast<std::ptrdiff_t>(out0));
    std::copy_n(ns.values.begin() + static_cast<std::ptrdiff_t>(row0), static_cast<std::size_t>(d.frames) * bins,
                d.noisy.begin() + static_cast<std::ptrdiff_t>(out0));
    clean_signals.push_back(std::move(clean));
    noisy_signals.push_back(std::move(noisy));
  }
  std::vector<const float*> clean_from, noisy_from;
  for (int s = 0; s < d.sequences; ++s) {
    clean_from.push_back(clean_signals[static_cast<std::size_t>(s)].data() + static_cast<std::size_t>(skip) * hop);
    noisy_from.push_back(noisy_signals[static_cast<std::size_t>(s)].data() + static_cast<std::size_t>(skip) * hop);
  }
  for (const auto& name : kTime) {
    const auto l = loss(name);
    EXPECT_TRUE(l->uses_signals()) << name;
    std::vector<float> from_rows(d.size()), from_signals(d.size());
    const double expected = l->evaluate(d.batch(), from_rows.data());
    LossBatch with = d.batch();
    with.clean_signal = clean_from.data();
    with.noisy_signal = noisy_from.data();
    const double got = l->evaluate(with, from_signals.data());
    EXPECT_NEAR(got, expected, 1e-6 * std::abs(expected)) << name;
    const double scale = max_abs(from_rows);
    for (std::size_t i = 0; i < from_rows.size(); ++i) {
      ASSERT_NEAR(from_signals[i], from_rows[i], 1e-4 * scale) << name << " element " << i;
    }
    // A loss that reads only the signals gives exactly the same without the clean rows (the trainer then computes
    // no clean STFT); one that reads them refuses a batch without them.
    std::vector<const std::complex<float>*> no_rows(static_cast<std::size_t>(d.sequences), nullptr);
    LossBatch lean = with;
    lean.clean = no_rows.data();
    if (l->reads_clean_rows_with_signals()) {
      EXPECT_THROW(l->evaluate(lean, nullptr), Error) << name;
    } else {
      std::vector<float> lean_grad(d.size());
      EXPECT_EQ(l->evaluate(lean, lean_grad.data()), got) << name;
      EXPECT_EQ(lean_grad, from_signals) << name;
    }
  }
  EXPECT_FALSE(loss("wsdr")->reads_clean_rows_with_signals());
  EXPECT_TRUE(loss("wsdr+0.5*cmag_mse")->reads_clean_rows_with_signals());
  EXPECT_TRUE(loss("cmix")->reads_clean_rows_with_signals());
  EXPECT_FALSE(loss("cmix")->uses_signals());
}

// S = G0 Y with a real G0: every loss reaches its optimum at G = G0.
TEST(Loss, OptimumAtTheIdealGain) {
  Data d = random_data(dsp::FrontendConfig{}.bins(), 21, {8, 6});
  for (std::size_t i = 0; i < d.size(); ++i) d.clean[i] = d.gain[i] * d.noisy[i];
  for (const auto& name : kSpectral) {
    const auto l = loss(name);
    double v = 0.0;
    const std::vector<float> g = gradient(*l, d, &v);
    EXPECT_NEAR(v, 0.0, 1e-6) << name;
    // The absolute-value losses sit on their kink there (any subgradient is right); the others are flat.
    if (name != "mag_mae" && name != "cplx_mae") {
      EXPECT_LT(max_abs(g), 1e-5) << name;
    }
  }
  EXPECT_LT(value(*loss("si_sdr"), d), -80.0);  // SI-SDR above 80 dB
  EXPECT_NEAR(value(*loss("wsdr"), d), -1.0, 1e-6);
  EXPECT_NEAR(value(*loss("bwsdr"), d), -1.0, 1e-6);
  // Off the optimum every loss is worse.
  Data off = d;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> factor(0.3f, 1.0f);  // not one common factor: spec_corr ignores that
  for (auto& g : off.gain) g *= factor(rng);
  for (const auto& name : loss_names()) EXPECT_GT(value(*loss(name), off), value(*loss(name), d) + 1e-3) << name;
}

// With arbitrary S, the magnitude-only losses vanish at G = |S| / |Y|.
TEST(Loss, MagnitudeLossesVanishAtTheMagnitudeRatio) {
  Data d = random_data(33, 5);
  for (std::size_t i = 0; i < d.size(); ++i) d.gain[i] = std::abs(d.clean[i]) / std::abs(d.noisy[i]);
  for (const std::string name : {"mag_mse", "mag_mae", "log_mse", "cmag_mse", "spec_corr", "nnse_pow"}) {
    EXPECT_NEAR(value(*loss(name), d), 0.0, 1e-6) << name;
  }
  EXPECT_GT(value(*loss("cplx_mse"), d), 0.1);
  EXPECT_GT(value(*loss("ccplx_mse"), d), 0.1);
}

// tsnr on clean input (Y = S) with G = 1 sits at its cap, 30 dB (tau = 1e-3 of the input's energy); unlike si_sdr
// it counts a level change as error: half the level is an SNR of 20 log10(2) = 6.02 dB.
TEST(Loss, TsnrIsCappedAtThirtyDbAboveTheInputAndCountsTheLevel) {
  Data d = random_data(dsp::FrontendConfig{}.bins(), 4, {9, 9});
  for (std::size_t i = 0; i < d.size(); ++i) {
    d.clean[i] = d.noisy[i];
    d.gain[i] = 1.0f;
  }
  const auto l = loss("tsnr");
  EXPECT_NEAR(value(*l, d), -30.0, 1e-3);
  Data half = d;
  for (auto& g : half.gain) g = 0.5f;
  // |s - s/2|^2 + 1e-3 |s|^2 = (0.25 + 0.001) |s|^2
  EXPECT_NEAR(value(*l, half), 10.0 * std::log10(0.251), 1e-3);
  EXPECT_LT(value(*loss("si_sdr"), half), -60.0);  // si_sdr sees no error at all in a level change
}

TEST(Loss, SiSdrIgnoresTheOutputLevel) {
  Data d = random_data(dsp::FrontendConfig{}.bins(), 4, {9, 9});
  // A target correlated with the estimate (an SI-SDR of a few dB), so float rounding in the inverse STFT
  // does not dominate the comparison.
  std::mt19937 rng(8);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  for (std::size_t i = 0; i < d.size(); ++i) d.clean[i] = 0.8f * d.gain[i] * d.noisy[i] + cf(normal(rng), normal(rng));
  const auto l = loss("si_sdr");
  double v = 0.0;
  const std::vector<float> g = gradient(*l, d, &v);
  Data louder = d;
  for (auto& x : louder.gain) x *= 4.0f;  // exact in float
  EXPECT_NEAR(value(*l, louder), v, 1e-6 * std::abs(v));
  // Euler: a scale-invariant loss has <dL/dG, G> = 0.
  double radial = 0.0, norm_g = 0.0, norm_x = 0.0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    radial += static_cast<double>(g[i]) * d.gain[i];
    norm_g += static_cast<double>(g[i]) * g[i];
    norm_x += static_cast<double>(d.gain[i]) * d.gain[i];
  }
  EXPECT_LT(std::abs(radial), 1e-4 * std::sqrt(norm_g * norm_x));
  // The clean level does not matter either.
  Data quieter = d;
  for (auto& x : quieter.clean) x *= 0.25f;
  EXPECT_NEAR(value(*l, quieter), v, 1e-6 * std::abs(v));
}

// Closed forms of the normalization: a constant per-bin error gives that error whatever the padding and
// batch shape, and nnse_pow sums over bins.
TEST(Loss, NormalizationIsPerValidFrameAndBin) {
  Data d = random_data(9, 2, {6, 3, 1});
  for (std::size_t i = 0; i < d.size(); ++i) {
    d.noisy[i] = cf(2.0f, 0.0f);
    d.clean[i] = cf(0.0f, 1.5f);
    d.gain[i] = 0.25f;  // |S_hat| = 0.5, |S| = 1.5
  }
  EXPECT_NEAR(value(*loss("mag_mse"), d), 1.0, 1e-12);
  EXPECT_NEAR(value(*loss("mag_mae"), d), 1.0, 1e-12);
  EXPECT_NEAR(value(*loss("cplx_mse"), d), 1.5 * 1.5 + 0.5 * 0.5, 1e-12);
  EXPECT_NEAR(value(*loss("cplx_mae"), d), 2.0, 1e-12);
  const double e = 1e-6;
  const double cp = std::pow(1.5 + e, 0.6) - std::pow(e, 0.6) - std::pow(0.5 + e, 0.6) + std::pow(e, 0.6);
  EXPECT_NEAR(value(*loss("nnse_pow"), d), 9.0 * cp * cp, 1e-10);
  const double c3s = std::pow(1.5 + e, 0.3) - std::pow(e, 0.3), c3h = std::pow(0.5 + e, 0.3) - std::pow(e, 0.3);
  EXPECT_NEAR(value(*loss("cmag_mse"), d), (c3s - c3h) * (c3s - c3h), 1e-10);
  // Phases are 90 degrees apart: |c3s j - c3h|^2.
  EXPECT_NEAR(value(*loss("ccplx_mse"), d), c3s * c3s + c3h * c3h, 1e-10);
  EXPECT_NEAR(value(*loss("cmix", 0.3, 0.25), d), 0.75 * (c3s - c3h) * (c3s - c3h) + 0.25 * (c3s * c3s + c3h * c3h), 1e-10);
  const double lm = std::log10(2.25 + 1e-8) - std::log10(0.25 + 1e-8);
  EXPECT_NEAR(value(*loss("log_mse"), d), lm * lm, 1e-10);
  // Constant spectra have identical shapes: spec_corr is 1 - (1 - tiny).
  EXPECT_NEAR(value(*loss("spec_corr"), d), 0.0, 1e-6);
}

// Disjoint sequence ranges, evaluated on two threads, add up to the whole batch.
TEST(Loss, RangesSumToTheBatchAcrossThreads) {
  Data d = random_data(dsp::FrontendConfig{}.bins(), 9, {7, 4, 7, 2});
  for (const auto& name : loss_names()) {
    const auto l = loss(name);
    double full = 0.0;
    const std::vector<float> g = gradient(*l, d, &full);
    std::vector<float> split(d.size(), -1.0f);
    double first = 0.0, second = 0.0;
    const std::size_t half = static_cast<std::size_t>(1 * d.frames * d.bins);
    const LossBatch head = d.range(0, 1), tail = d.range(1, 3);
    std::thread worker([&] { first = l->evaluate(head, split.data()); });
    second = l->evaluate(tail, split.data() + half);
    worker.join();
    EXPECT_NEAR(first + second, full, 1e-12 * std::max(1.0, std::abs(full))) << name;
    EXPECT_EQ(split, g) << name;
  }
}

TEST(Loss, PaddingDoesNotMatter) {
  Data d = random_data(dsp::FrontendConfig{}.bins(), 13, {6, 3});
  Data changed = d;
  for (int t = 3; t < d.frames; ++t) {
    for (int k = 0; k < d.bins; ++k) {
      const auto i = static_cast<std::size_t>((1 * d.frames + t) * d.bins + k);
      changed.noisy[i] *= 3.0f;
      changed.clean[i] = cf(1.0f, 2.0f);
      changed.gain[i] = 0.0f;
    }
  }
  for (const auto& name : loss_names()) {
    const auto l = loss(name);
    EXPECT_EQ(value(*l, d), value(*l, changed)) << name;
  }
}

// Silence, zero gains and zero noisy bins give finite values and gradients, never NaN.
TEST(Loss, SilenceAndZeroGainStayFinite) {
  Data base = random_data(dsp::FrontendConfig{}.bins(), 17, {5, 5});
  std::vector<Data> cases(4, base);
  for (auto& x : cases[0].clean) x = 0.0f;  // silent target
  for (auto& x : cases[1].gain) x = 0.0f;   // zero gain
  for (auto& x : cases[2].noisy) x = 0.0f;  // silent input
  for (auto& x : cases[3].clean) x = 0.0f;
  for (auto& x : cases[3].noisy) x = 0.0f;
  for (auto& x : cases[3].gain) x = 0.0f;
  for (const auto& name : loss_names()) {
    for (std::size_t c = 0; c < cases.size(); ++c) {
      double v = 0.0;
      const std::vector<float> g = gradient(*loss(name), cases[c], &v);
      EXPECT_TRUE(std::isfinite(v)) << name << " case " << c;
      EXPECT_TRUE(std::all_of(g.begin(), g.end(), [](float x) { return std::isfinite(x); })) << name << " case " << c;
    }
  }
  // At G = 0 the magnitude losses still point towards a larger gain (right derivative; log_mse is even in G
  // and truly flat there).
  for (const std::string name : {"mag_mse", "mag_mae", "cmag_mse", "nnse_pow"}) {
    const std::vector<float> g = gradient(*loss(name), cases[1]);
    EXPECT_LT(*std::max_element(g.begin(), g.end()), 0.0f) << name;
  }
  // Nothing valid at all: zero loss, zero gradient.
  Data none = base;
  std::fill(none.valid.begin(), none.valid.end(), 0);
  for (const auto& name : loss_names()) {
    double v = 1.0;
    const std::vector<float> g = gradient(*loss(name), none, &v);
    EXPECT_EQ(v, 0.0) << name;
    EXPECT_EQ(max_abs(g), 0.0) << name;
  }
}

// On real STFTs of a speech-like signal in noise: a better gain gives a lower loss for every loss.
TEST(Loss, RanksAnOracleMaskAboveTheNoisyInput) {
  const dsp::FrontendConfig fe;
  const std::vector<float> speech = test::speech_like(1.0, fe.sample_rate, 3);
  const std::vector<float> noise = test::white_noise(speech.size(), 4, 0.05f);
  std::vector<float> mix(speech.size());
  for (std::size_t i = 0; i < mix.size(); ++i) mix[i] = speech[i] + noise[i];
  const dsp::Spectrum S = dsp::stft(speech, fe), Y = dsp::stft(mix, fe);
  Data d;
  d.sequences = 1;
  d.frames = S.frames;
  d.bins = S.bins;
  d.clean = S.values;
  d.noisy = Y.values;
  d.valid.assign(static_cast<std::size_t>(d.frames), 1);
  Data passthrough = d, oracle = d;
  passthrough.gain.assign(d.size(), 1.0f);
  oracle.gain.resize(d.size());
  for (std::size_t i = 0; i < d.size(); ++i) {
    const float ay = std::abs(d.noisy[i]);
    oracle.gain[i] = ay > 0.0f ? std::min(1.0f, std::abs(d.clean[i]) / ay) : 0.0f;
  }
  for (const auto& name : loss_names()) {
    EXPECT_LT(value(*loss(name), oracle), value(*loss(name), passthrough)) << name;
  }
}

}  // namespace
}  // namespace nnse::train
