#include "nnse/dsp/stft.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "nnse/audio/audio_io.h"
#include "nnse/dsp/dc_filter.h"
#include "nnse/dsp/window.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::dsp {
namespace {

const std::filesystem::path kSpeechFixture = std::filesystem::path(NNSE_TEST_FIXTURES) / "speech/agent-pass-2s5.flac";

TEST(Window, MatchesDefinitionAndReferencePeak) {
  const FrontendConfig config;
  const auto w = stft_window(config);
  ASSERT_EQ(w.size(), 480u);
  EXPECT_EQ(w[0], 0.0f);
  EXPECT_NEAR(w[240], std::sqrt(2.0 / 3.0), 1e-7);  // peak sqrt(2/3)
  for (int n = 0; n < 480; ++n) {
    const double expected = std::sqrt((1.0 - std::cos(2.0 * M_PI * n / 480.0)) / 3.0);
    EXPECT_NEAR(w[static_cast<std::size_t>(n)], expected, 1e-7) << n;
    if (n > 0) {
      EXPECT_FLOAT_EQ(w[static_cast<std::size_t>(n)], w[static_cast<std::size_t>(480 - n)]) << n;  // periodic
    }
  }
  // The reference's Q15 table is floor(w * 2^15), 0 .. 26754.
  EXPECT_EQ(static_cast<int>(std::floor(w[240] * 32768.0)), 26754);
}

TEST(Window, SquaredWindowOverlapAddsToOne) {
  const FrontendConfig config;
  const auto w = stft_window(config);
  for (int n = 0; n < config.hop_length; ++n) {
    float sum = 0.0f;
    for (int j = 0; j < config.window_length / config.hop_length; ++j) {
      const float v = w[static_cast<std::size_t>(n + j * config.hop_length)];
      sum += v * v;
    }
    EXPECT_NEAR(sum, 1.0f, 1e-6f) << n;
  }
}

double gain_db(DcRemover& dc, double frequency, int rate) {
  dc.reset();
  const int settle = rate, measure = rate;
  double in_energy = 0.0, out_energy = 0.0;
  for (int n = 0; n < settle + measure; ++n) {
    const float x = static_cast<float>(0.5 * std::sin(2.0 * M_PI * frequency * n / rate));
    const float y = dc.process(x);
    if (n >= settle) {
      in_energy += double(x) * x;
      out_energy += double(y) * y;
    }
  }
  return 10.0 * std::log10(out_energy / in_energy);
}

TEST(DcRemover, RemovesDcPassesHighFrequenciesCornerNear90Hz) {
  const FrontendConfig config;
  DcRemover dc(config.dc_pole);
  float last = 0.0f;
  for (int n = 0; n < 4000; ++n) last = dc.process(0.5f);
  EXPECT_NEAR(last, 0.0f, 1e-6f);
  // |H|^2 = (2 - 2cos w) / (1 - 2a cos w + a^2): unnormalized, so high frequencies pass with a slight boost
  // (2 / (1 + a) at Nyquist, +0.15 dB), and -3 dB falls at ~87 Hz for a = 31630/32768.
  const double a = config.dc_pole;
  auto analytic_db = [&](double f) {
    const double c = std::cos(2.0 * M_PI * f / config.sample_rate);
    return 10.0 * std::log10((2.0 - 2.0 * c) / (1.0 - 2.0 * a * c + a * a));
  };
  for (double f : {20.0, 50.0, 90.0, 300.0, 1000.0, 4000.0, 7000.0}) {
    EXPECT_NEAR(gain_db(dc, f, config.sample_rate), analytic_db(f), 0.02) << f << " Hz";
  }
  EXPECT_NEAR(gain_db(dc, 1000.0, config.sample_rate), 0.0, 0.2);
  EXPECT_NEAR(gain_db(dc, 4000.0, config.sample_rate), 0.0, 0.2);
  EXPECT_NEAR(gain_db(dc, 90.0, config.sample_rate), -3.0, 0.3);
  EXPECT_LT(gain_db(dc, 20.0, config.sample_rate), -12.0);
}

TEST(DcRemover, ImpulseResponseAndReset) {
  const double a = FrontendConfig{}.dc_pole;
  DcRemover dc(a);
  // h[0] = 1, h[n] = (a - 1) a^(n-1).
  EXPECT_FLOAT_EQ(dc.process(1.0f), 1.0f);
  for (int n = 1; n < 50; ++n) EXPECT_NEAR(dc.process(0.0f), (a - 1.0) * std::pow(a, n - 1), 1e-7) << n;
  dc.reset();
  EXPECT_FLOAT_EQ(dc.process(1.0f), 1.0f);
  std::vector<float> block{1.0f, 0.0f, 0.0f};
  dc.reset();
  dc.process(block);
  EXPECT_FLOAT_EQ(block[0], 1.0f);
  EXPECT_NEAR(block[2], (a - 1.0) * a, 1e-7);
  EXPECT_THROW(DcRemover(1.0), Error);
}

TEST(Stft, FrameCountAndSpectrumLayout) {
  const FrontendConfig config;
  EXPECT_EQ(stft_frame_count(0, config), 0);
  EXPECT_EQ(stft_frame_count(160, config), 1);
  EXPECT_EQ(stft_frame_count(161, config), 2);
  EXPECT_EQ(stft_frame_count(400000, config), 2500);  // 25 s -> 2500 frames (reference 1.2)
  Spectrum s(3, 257);
  s.at(1, 2) = Complex(1.0f, 2.0f);
  EXPECT_EQ(s.values[257 + 2], Complex(1.0f, 2.0f));
  EXPECT_EQ(s.frame(1)[2], Complex(1.0f, 2.0f));
  EXPECT_EQ(s.frame(2).size(), 257u);
}

TEST(Stft, FirstFrameHoldsHistoryOfZerosAndMatchesDirectDft) {
  const FrontendConfig config;
  const auto x = test::white_noise(1000, 7, 0.3f);
  const auto spectrum = stft(x, config);
  const auto w = stft_window(config);
  for (int t : {0, 1, 2, 5}) {
    for (int k : {0, 1, 17, 128, 255, 256}) {
      std::complex<double> sum = 0.0;
      for (int n = 0; n < 480; ++n) {
        const int i = 160 * t - 320 + n;
        if (i < 0 || i >= 1000) continue;
        sum += double(x[std::size_t(i)]) * w[std::size_t(n)] * std::polar(1.0, -2.0 * M_PI * k * n / 512.0);
      }
      const auto got = spectrum.at(t, k);
      EXPECT_NEAR(got.real(), sum.real(), 2e-5) << t << "," << k;
      EXPECT_NEAR(got.imag(), sum.imag(), 2e-5) << t << "," << k;
    }
  }
}

TEST(Stft, StreamingEqualsBlock) {
  const FrontendConfig config;
  auto x = test::speech_like(1.0, config.sample_rate, 3);
  x.resize(x.size() - 37);  // not a multiple of hop: block mode pads the end with zeros
  const Spectrum block = stft(x, config);
  ASSERT_EQ(block.frames, 100);
  StftAnalyzer analyzer(config);
  std::vector<float> padded = x;
  padded.resize(std::size_t(block.frames) * 160, 0.0f);
  std::vector<Complex> bins(257);
  for (int pass = 0; pass < 2; ++pass) {  // the second pass checks reset()
    analyzer.reset();
    for (int t = 0; t < block.frames; ++t) {
      analyzer.process_hop(std::span<const float>(padded).subspan(std::size_t(t) * 160, 160), bins);
      for (int k = 0; k < 257; ++k) ASSERT_EQ(bins[std::size_t(k)], block.at(t, k)) << t << "," << k;
    }
  }
  EXPECT_THROW(analyzer.process_hop(std::span<const float>(padded).subspan(0, 100), bins), Error);
}

std::vector<float> load_fixture() {
  auto x = audio::read_mono(kSpeechFixture, 16000, false);
  EXPECT_EQ(x.size(), 40000u);
  return x;
}

TEST(Stft, StreamingAnalysisSynthesisReconstructsSpeechAfterDelay) {
  const FrontendConfig config;
  const auto x = load_fixture();
  StftAnalyzer analyzer(config);
  StftSynthesizer synthesizer(config);
  const int delay = synthesizer.delay();
  ASSERT_EQ(delay, 320);
  std::vector<float> input = x;
  input.resize(x.size() + std::size_t(delay) + 160, 0.0f);  // flush the delay
  input.resize(input.size() / 160 * 160);
  std::vector<float> output(input.size());
  std::vector<Complex> bins(257);
  for (std::size_t start = 0; start < input.size(); start += 160) {
    analyzer.process_hop(std::span<const float>(input).subspan(start, 160), bins);
    synthesizer.process_frame(bins, std::span<float>(output).subspan(start, 160));
  }
  const std::vector<float> aligned(output.begin() + delay, output.begin() + delay + std::ptrdiff_t(x.size()));
  const double snr = test::snr_db(x, aligned);
  EXPECT_GE(snr, 90.0);
  RecordProperty("snr_db", std::to_string(snr));
}

TEST(Stft, BlockAnalysisSynthesisReconstructsSpeech) {
  const FrontendConfig config;
  const auto x = load_fixture();
  std::vector<float> padded = x;
  padded.resize(x.size() + std::size_t(config.history_length()), 0.0f);
  const auto y = istft(stft(padded, config), config, x.size());
  ASSERT_EQ(y.size(), x.size());
  EXPECT_GE(test::snr_db(x, y), 90.0);
}

TEST(Stft, IstftMatchesStreamingSynthesis) {
  const FrontendConfig config;
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  Spectrum s(40, 257);
  for (auto& v : s.values) v = Complex(normal(rng), normal(rng));
  const auto block = istft(s, config, 40 * 160);
  StftSynthesizer synthesizer(config);
  std::vector<float> streamed(40 * 160);
  for (int t = 0; t < 40; ++t) synthesizer.process_frame(s.frame(t), std::span<float>(streamed).subspan(std::size_t(t) * 160, 160));
  // Streaming output sample n corresponds to block sample n - delay.
  for (std::size_t n = 0; n + 320 < streamed.size(); ++n) ASSERT_NEAR(block[n], streamed[n + 320], 1e-5) << n;
}

TEST(Stft, IstftAdjointSatisfiesInnerProductIdentity) {
  const FrontendConfig config;
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  for (const auto& [frames, length] : {std::pair{30, std::size_t{30 * 160}}, std::pair{25, std::size_t{4321}},
                                      std::pair{10, std::size_t{1000}}}) {
    Spectrum x(frames, 257);
    for (auto& v : x.values) v = Complex(normal(rng), normal(rng));
    std::vector<float> y(length);
    for (auto& v : y) v = normal(rng);
    const auto ix = istft(x, config, length);
    const Spectrum a = istft_adjoint(y, config, frames);
    ASSERT_EQ(a.frames, frames);
    ASSERT_EQ(a.bins, 257);
    double lhs = 0.0, rhs = 0.0, scale = 0.0;
    for (std::size_t n = 0; n < length; ++n) {
      lhs += double(ix[n]) * y[n];
      scale += std::abs(double(ix[n]) * y[n]);
    }
    for (std::size_t i = 0; i < x.values.size(); ++i) {
      rhs += double(x.values[i].real()) * a.values[i].real() + double(x.values[i].imag()) * a.values[i].imag();
    }
    EXPECT_NEAR(lhs, rhs, 1e-5 * scale) << frames << " frames, " << length << " samples";
    // Bins 0 and N/2: the inverse ignores their imaginary parts, so their gradient is zero.
    for (int t = 0; t < frames; ++t) {
      EXPECT_EQ(a.at(t, 0).imag(), 0.0f);
      EXPECT_EQ(a.at(t, 256).imag(), 0.0f);
    }
  }
}

// A chunk of a signal's STFT (rows first..first+frames-1, as a training chunk takes them from its clip): istft of the
// rows equals the signal's samples from the chunk's first hop on, scaled only in the last (win - hop) samples,
// which istft_of_stft gives without any FFT. Includes a chunk at the signal's start, one that runs to its
// zero-padded end, and chunks shorter than the window's overlap.
TEST(Stft, IstftOfStftMatchesIstftOfTheRows) {
  const FrontendConfig config;
  const auto hop = static_cast<std::size_t>(config.hop_length);
  std::mt19937 rng(17);
  std::normal_distribution<float> normal;
  std::vector<float> signal(100 * hop - 37);  // not a whole number of hops: the last frame reads padding
  for (auto& v : signal) v = normal(rng);
  const Spectrum spectrum = stft(signal, config);
  ASSERT_EQ(spectrum.frames, 100);
  std::vector<float> padded = signal;
  padded.resize(100 * hop, 0.0f);
  for (const auto& [first, frames] : {std::pair{0, 30}, std::pair{41, 59}, std::pair{10, 1}, std::pair{50, 2},
                                      std::pair{70, 3}}) {
    const std::size_t length = static_cast<std::size_t>(frames) * hop;
    const std::span<const Complex> rows(spectrum.values.data() + static_cast<std::size_t>(first) * 257,
                                        static_cast<std::size_t>(frames) * 257);
    const auto via_fft = istft(rows, frames, config, length);
    const auto direct =
        istft_of_stft(std::span<const float>(padded).subspan(static_cast<std::size_t>(first) * hop), frames, config, length);
    ASSERT_EQ(direct.size(), length);
    for (std::size_t n = 0; n < length; ++n) {
      ASSERT_NEAR(direct[n], via_fft[n], 2e-6 * (1.0 + std::abs(via_fft[n]))) << first << "+" << frames << ": " << n;
      // Away from the tail the chunk's istft is the signal itself.
      if (n + 320 < length) {
        ASSERT_NEAR(direct[n], padded[static_cast<std::size_t>(first) * hop + n], 1e-6) << n;
      }
    }
  }
  EXPECT_THROW(istft_of_stft(std::span<const float>(padded).subspan(0, 10), 1, config, 160), Error);
}

}  // namespace
}  // namespace nnse::dsp
