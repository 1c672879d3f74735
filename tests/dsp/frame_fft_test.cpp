#include "nnse/dsp/frame_fft.h"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <vector>

#include "nnse/dsp/fft.h"
#include "nnse/util/error.h"

namespace nnse::dsp {
namespace {

std::vector<float> random_signal(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng);
  return x;
}

// The DFT in double precision, straight from its definition.
std::vector<std::complex<double>> reference_dft(const float* x, int n) {
  std::vector<std::complex<double>> out(static_cast<std::size_t>(n / 2 + 1));
  for (int k = 0; k <= n / 2; ++k) {
    std::complex<double> sum = 0.0;
    for (int j = 0; j < n; ++j) {
      const double angle = -2.0 * std::numbers::pi * static_cast<double>((static_cast<long long>(k) * j) % n) / n;
      sum += static_cast<double>(x[j]) * std::complex<double>(std::cos(angle), std::sin(angle));
    }
    out[static_cast<std::size_t>(k)] = sum;
  }
  return out;
}

// Largest error relative to the largest magnitude of the reference.
template <class A, class B>
double relative_error(const A& got, const B& want) {
  double error = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    error = std::max(error, std::abs(std::complex<double>(got[i]) - std::complex<double>(want[i])));
    scale = std::max(scale, std::abs(std::complex<double>(want[i])));
  }
  return error / scale;
}

class FrameFftSizes : public ::testing::TestWithParam<int> {};

TEST_P(FrameFftSizes, ForwardMatchesTheDoublePrecisionDft) {
  const int n = GetParam();
  FrameFft fft(n);
  const auto x = random_signal(static_cast<std::size_t>(n), 1);
  std::vector<Complex> out(static_cast<std::size_t>(fft.bins()));
  fft.forward(x, out);
  EXPECT_LT(relative_error(out, reference_dft(x.data(), n)), 2e-6) << "size " << n;
  // Bins 0 and N/2 of a real signal are real.
  EXPECT_EQ(out.front().imag(), 0.0f);
  EXPECT_EQ(out.back().imag(), 0.0f);
}

TEST_P(FrameFftSizes, InverseUndoesForward) {
  const int n = GetParam();
  FrameFft fft(n);
  const auto x = random_signal(static_cast<std::size_t>(n), 2);
  std::vector<Complex> spectrum(static_cast<std::size_t>(fft.bins()));
  std::vector<float> back(static_cast<std::size_t>(n));
  fft.forward(x, spectrum);
  // The inverse ignores the imaginary parts of bins 0 and N/2.
  spectrum.front().imag(5.0f);
  spectrum.back().imag(-3.0f);
  fft.inverse(spectrum, back);
  for (int i = 0; i < n; ++i) EXPECT_NEAR(back[static_cast<std::size_t>(i)], x[static_cast<std::size_t>(i)], 2e-6) << i;
}

TEST_P(FrameFftSizes, AgreesWithKissfftWithinRounding) {
  const int n = GetParam();
  FrameFft fft(n);
  RealFft kiss(n);
  const auto x = random_signal(static_cast<std::size_t>(n), 3);
  std::vector<Complex> a(static_cast<std::size_t>(fft.bins())), b(a.size());
  fft.forward(x, a);
  kiss.forward(x, b);
  EXPECT_LT(relative_error(a, b), 2e-6);
  std::vector<float> ya(static_cast<std::size_t>(n)), yb(ya.size());
  fft.inverse(b, ya);
  kiss.inverse(b, yb);
  for (std::size_t i = 0; i < ya.size(); ++i) EXPECT_NEAR(ya[i], yb[i], 2e-6) << i;
}

// 512 is the front end's; 4 is the smallest of the own transform; 480 and 6 are not powers of two (kissfft).
INSTANTIATE_TEST_SUITE_P(FrameFft, FrameFftSizes, ::testing::Values(4, 8, 64, 512, 1024, 6, 480));

// Any number of frames, whole vector batches and a remainder: each frame's result is bit for bit that of the
// one-frame transform (the streaming STFT and the block STFT rely on this to give identical frames).
TEST(FrameFft, ManyFramesAreBitIdenticalToOneAtATime) {
  for (const int n : {512, 64, 480}) {
    FrameFft fft(n);
    const auto size = static_cast<std::size_t>(n), bins = static_cast<std::size_t>(fft.bins());
    for (const std::size_t frames : {1u, 7u, 8u, 9u, 19u}) {
      const auto x = random_signal(frames * size, static_cast<std::uint32_t>(frames));
      std::vector<Complex> many(frames * bins), one(bins);
      fft.forward_many(x, many);
      for (std::size_t f = 0; f < frames; ++f) {
        fft.forward({x.data() + f * size, size}, one);
        for (std::size_t k = 0; k < bins; ++k) {
          ASSERT_EQ(many[f * bins + k], one[k]) << "size " << n << ", " << frames << " frames, frame " << f << ", bin " << k;
        }
      }
      std::vector<float> back_many(frames * size), back_one(size);
      fft.inverse_many(many, back_many);
      for (std::size_t f = 0; f < frames; ++f) {
        fft.inverse({many.data() + f * bins, bins}, back_one);
        for (std::size_t i = 0; i < size; ++i) {
          ASSERT_EQ(back_many[f * size + i], back_one[i]) << "size " << n << ", frame " << f << ", sample " << i;
        }
      }
    }
  }
}

TEST(FrameFft, RejectsBadSizesAndShapes) {
  EXPECT_THROW(FrameFft(0), Error);
  EXPECT_THROW(FrameFft(7), Error);
  FrameFft fft(16);
  std::vector<float> x(16 * 2 + 1);
  std::vector<Complex> y(9 * 2);
  EXPECT_THROW(fft.forward_many(x, y), Error);  // not whole frames
  x.resize(32);
  y.resize(9 * 3);
  EXPECT_THROW(fft.forward_many(x, y), Error);  // output of another frame count
  EXPECT_THROW(fft.forward({x.data(), 8}, {y.data(), 9}), Error);
}

}  // namespace
}  // namespace nnse::dsp
