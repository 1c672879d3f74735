#include "nnse/dsp/frame_fft.h"

#include <cmath>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "nnse/util/error.h"

// This file is compiled with -ffp-contract=off (src/CMakeLists.txt): a multiply followed by an add must round
// twice in the one-frame (float) and the batched (vector) instantiation alike, or the two would differ in the last
// bit wherever the compiler fused one and not the other.

namespace nnse::dsp {
namespace {

// kLanes floats side by side: GCC/Clang vector extension, lowered to the widest registers -march allows.
typedef float Lanes __attribute__((vector_size(FrameFft::kLanes * sizeof(float))));

bool power_of_two(int n) { return n > 0 && (n & (n - 1)) == 0; }

std::size_t to_size(int n) { return static_cast<std::size_t>(n); }

// Complex FFT of length m (a power of two), radix-2 Stockham (self-sorting: no bit reversal), on the split arrays
// (re[0], im[0]) with (re[1], im[1]) as the other buffer of each pass. tw = exp(-2 pi i j / m), j < m/2. Returns
// which pair holds the result. T is float (one frame) or Lanes (kLanes frames, one per lane).
template <class T>
int complex_forward(T* const re[2], T* const im[2], int m, const float* tw_re, const float* tw_im) {
  int from = 0;
  for (int n = m, s = 1; n > 1; n /= 2, s *= 2) {
    const int half = n / 2;
    const T* xr = re[from];
    const T* xi = im[from];
    T* yr = re[1 - from];
    T* yi = im[1 - from];
    for (int p = 0; p < half; ++p) {
      const float wr = tw_re[p * s], wi = tw_im[p * s];
      for (int q = 0; q < s; ++q) {
        const int a = q + s * p, b = a + s * half, even = q + 2 * s * p, odd = even + s;
        const T ar = xr[a], ai = xi[a], br = xr[b], bi = xi[b];
        const T dr = ar - br, di = ai - bi;
        yr[even] = ar + br;
        yi[even] = ai + bi;
        yr[odd] = dr * wr - di * wi;
        yi[odd] = dr * wi + di * wr;
      }
    }
    from = 1 - from;
  }
  return from;
}

}  // namespace

// Buffers of m + 1 values (the split needs bin N/2 = m) for both value types; only those of the used type are
// touched by a call.
struct FrameFft::Plan {
  int half = 0;                      // m = N/2: the length of the complex FFT
  std::vector<float> tw_re, tw_im;   // exp(-2 pi i j / m), j < m/2
  std::vector<float> sp_re, sp_im;   // exp(-2 pi i k / N), k <= m: the real-input split
  std::vector<float> one_re[2], one_im[2];
  std::vector<Lanes> many_re[2], many_im[2];

  explicit Plan(int size) : half(size / 2) {
    const auto m = to_size(half);
    for (std::size_t j = 0; j < m / 2; ++j) {
      const double angle = -2.0 * std::numbers::pi * static_cast<double>(j) / static_cast<double>(m);
      tw_re.push_back(static_cast<float>(std::cos(angle)));
      tw_im.push_back(static_cast<float>(std::sin(angle)));
    }
    for (std::size_t k = 0; k <= m; ++k) {
      const double angle = -2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(size);
      sp_re.push_back(static_cast<float>(std::cos(angle)));
      sp_im.push_back(static_cast<float>(std::sin(angle)));
    }
    for (int i = 0; i < 2; ++i) {
      one_re[i].assign(m + 1, 0.0f);
      one_im[i].assign(m + 1, 0.0f);
      many_re[i].assign(m + 1, Lanes{});
      many_im[i].assign(m + 1, Lanes{});
    }
  }

  // Forward: buffer 0 holds z[n] = x[2n] + i x[2n+1]; returns the buffer that holds X[0..m].
  // X[k] = E[k] + W^k O[k] with E = (Z[k] + conj Z[m-k]) / 2, O = (Z[k] - conj Z[m-k]) / 2i, W = exp(-2 pi i / N).
  template <class T>
  int forward(T* const re[2], T* const im[2]) const {
    const int m = half;
    const int z = complex_forward(re, im, m, tw_re.data(), tw_im.data());
    const T* zr = re[z];
    const T* zi = im[z];
    T* xr = re[1 - z];
    T* xi = im[1 - z];
    xr[0] = zr[0] + zi[0];
    xi[0] = T{};
    xr[m] = zr[0] - zi[0];
    xi[m] = T{};
    for (int k = 1; k < m; ++k) {
      const T ar = zr[k], ai = zi[k], br = zr[m - k], bi = -zi[m - k];
      const T er = (ar + br) * 0.5f, ei = (ai + bi) * 0.5f;
      const T odd_r = (ai - bi) * 0.5f, odd_i = (br - ar) * 0.5f;  // (A - B) / 2i
      const float wr = sp_re[to_size(k)], wi = sp_im[to_size(k)];
      xr[k] = er + (odd_r * wr - odd_i * wi);
      xi[k] = ei + (odd_r * wi + odd_i * wr);
    }
    return 1 - z;
  }

  // Inverse: buffer 0 holds X[0..m] (the imaginary parts of bins 0 and m are ignored); returns the buffer that
  // holds conj(m z) where z[n] = x[2n] + i x[2n+1] up to the factor 1/N the caller applies (it negates the
  // imaginary parts: the inverse complex FFT is done as conj(FFT(conj(.)))).
  template <class T>
  int inverse(T* const re[2], T* const im[2]) const {
    const int m = half;
    T* xr = re[0];
    T* xi = im[0];
    T* zr = re[1];
    T* zi = im[1];
    xi[0] = T{};
    xi[m] = T{};
    for (int k = 0; k < m; ++k) {
      const T ar = xr[k], ai = xi[k], br = xr[m - k], bi = -xi[m - k];
      const T er = ar + br, ei = ai + bi;  // 2 E[k]
      const T fr = ar - br, fi = ai - bi;  // 2 W^k O[k]
      const float wr = sp_re[to_size(k)], wi = sp_im[to_size(k)];
      const T dr = fr * wr + fi * wi, di = fi * wr - fr * wi;  // 2 O[k] = 2 W^k O[k] conj(W^k)
      zr[k] = er - di;                                          // conj(2 E + 2i O)
      zi[k] = -(ei + dr);
    }
    T* const swapped_re[2] = {zr, xr};
    T* const swapped_im[2] = {zi, xi};
    const int result = complex_forward(swapped_re, swapped_im, m, tw_re.data(), tw_im.data());
    return result == 0 ? 1 : 0;  // index into the original (re, im) pairs
  }
};

FrameFft::FrameFft(int size) : size_(size) {
  if (size <= 0 || size % 2 != 0) throw Error("FrameFft: size must be positive and even, got " + std::to_string(size));
  if (power_of_two(size) && size >= 4) {
    plan_ = std::make_unique<Plan>(size);
  } else {
    fallback_ = std::make_unique<RealFft>(size);
  }
}

FrameFft::~FrameFft() = default;
FrameFft::FrameFft(FrameFft&&) noexcept = default;
FrameFft& FrameFft::operator=(FrameFft&&) noexcept = default;

namespace {

// The lanes of a Lanes array seen as floats (GCC and Clang let vector types alias their element type): lane l of
// element j is at [j * kLanes] of the returned pointer.
float* lane_values(Lanes* values, std::size_t lane) { return reinterpret_cast<float*>(values) + lane; }

// Transposes kLanes frames (frame l starts at in[l * frame_stride]) into split arrays: element j of lane l gets
// in[l * frame_stride + pair * j] (real) and the value after it (imaginary), j < count.
void load_lanes(const float* in, std::size_t frame_stride, std::size_t count, std::size_t pair, Lanes* re, Lanes* im) {
  constexpr auto lanes = static_cast<std::size_t>(FrameFft::kLanes);
  for (std::size_t l = 0; l < lanes; ++l) {
    const float* x = in + l * frame_stride;
    float* r = lane_values(re, l);
    float* i = lane_values(im, l);
    for (std::size_t j = 0; j < count; ++j) {
      r[j * lanes] = x[pair * j];
      i[j * lanes] = x[pair * j + 1];
    }
  }
}

void check_frames(const char* where, std::size_t values, std::size_t per_frame, std::size_t results,
                  std::size_t per_result) {
  if (values % per_frame != 0 || results != values / per_frame * per_result) {
    throw Error(std::string(where) + ": " + std::to_string(values) + " input values and room for " +
                std::to_string(results) + " output values do not make whole frames of " + std::to_string(per_frame) +
                " -> " + std::to_string(per_result));
  }
}

}  // namespace

void FrameFft::forward(std::span<const float> in, std::span<Complex> out) {
  if (in.size() != to_size(size_) || out.size() != to_size(bins())) {
    throw Error("FrameFft::forward: expected " + std::to_string(size_) + " samples and " + std::to_string(bins()) +
                " bins, got " + std::to_string(in.size()) + " and " + std::to_string(out.size()));
  }
  forward_many(in, out);
}

void FrameFft::inverse(std::span<const Complex> in, std::span<float> out) {
  if (in.size() != to_size(bins()) || out.size() != to_size(size_)) {
    throw Error("FrameFft::inverse: expected " + std::to_string(bins()) + " bins and " + std::to_string(size_) +
                " samples, got " + std::to_string(in.size()) + " and " + std::to_string(out.size()));
  }
  inverse_many(in, out);
}

void FrameFft::forward_many(std::span<const float> in, std::span<Complex> out) {
  const auto n = to_size(size_), b = to_size(bins());
  check_frames("FrameFft::forward_many", in.size(), n, out.size(), b);
  const std::size_t frames = in.size() / n;
  if (fallback_) {
    for (std::size_t f = 0; f < frames; ++f) fallback_->forward(in.subspan(f * n, n), out.subspan(f * b, b));
    return;
  }
  Plan& p = *plan_;
  const auto m = to_size(p.half);
  constexpr auto lanes = static_cast<std::size_t>(kLanes);
  std::size_t f = 0;
  // Whole batches of kLanes frames in the vector lanes; the remaining frames one at a time (the same results).
  for (; f + lanes <= frames; f += lanes) {
    Lanes* const re[2] = {p.many_re[0].data(), p.many_re[1].data()};
    Lanes* const im[2] = {p.many_im[0].data(), p.many_im[1].data()};
    load_lanes(in.data() + f * n, n, m, 2, re[0], im[0]);
    const int r = p.forward(re, im);
    for (std::size_t l = 0; l < lanes; ++l) {
      const float* yr = lane_values(re[r], l);
      const float* yi = lane_values(im[r], l);
      Complex* y = out.data() + (f + l) * b;
      for (std::size_t k = 0; k < b; ++k) y[k] = Complex(yr[k * lanes], yi[k * lanes]);
    }
  }
  for (; f < frames; ++f) {
    float* const re[2] = {p.one_re[0].data(), p.one_re[1].data()};
    float* const im[2] = {p.one_im[0].data(), p.one_im[1].data()};
    const float* x = in.data() + f * n;
    for (std::size_t j = 0; j < m; ++j) {
      re[0][j] = x[2 * j];
      im[0][j] = x[2 * j + 1];
    }
    const int r = p.forward(re, im);
    Complex* y = out.data() + f * b;
    for (std::size_t k = 0; k < b; ++k) y[k] = Complex(re[r][k], im[r][k]);
  }
}

void FrameFft::inverse_many(std::span<const Complex> in, std::span<float> out) {
  const auto n = to_size(size_), b = to_size(bins());
  check_frames("FrameFft::inverse_many", in.size(), b, out.size(), n);
  const std::size_t frames = in.size() / b;
  if (fallback_) {
    for (std::size_t f = 0; f < frames; ++f) fallback_->inverse(in.subspan(f * b, b), out.subspan(f * n, n));
    return;
  }
  Plan& p = *plan_;
  const auto m = to_size(p.half);
  const float scale = 1.0f / static_cast<float>(size_);  // a power of two: exact
  constexpr auto lanes = static_cast<std::size_t>(kLanes);
  std::size_t f = 0;
  for (; f + lanes <= frames; f += lanes) {
    Lanes* const re[2] = {p.many_re[0].data(), p.many_re[1].data()};
    Lanes* const im[2] = {p.many_im[0].data(), p.many_im[1].data()};
    load_lanes(reinterpret_cast<const float*>(in.data() + f * b), 2 * b, b, 2, re[0], im[0]);
    const int r = p.inverse(re, im);
    for (std::size_t l = 0; l < lanes; ++l) {
      const float* zr = lane_values(re[r], l);
      const float* zi = lane_values(im[r], l);
      float* y = out.data() + (f + l) * n;
      for (std::size_t j = 0; j < m; ++j) {
        y[2 * j] = zr[j * lanes] * scale;
        y[2 * j + 1] = -zi[j * lanes] * scale;
      }
    }
  }
  for (; f < frames; ++f) {
    float* const re[2] = {p.one_re[0].data(), p.one_re[1].data()};
    float* const im[2] = {p.one_im[0].data(), p.one_im[1].data()};
    const Complex* x = in.data() + f * b;
    for (std::size_t k = 0; k < b; ++k) {
      re[0][k] = x[k].real();
      im[0][k] = x[k].imag();
    }
    const int r = p.inverse(re, im);
    float* y = out.data() + f * n;
    for (std::size_t j = 0; j < m; ++j) {
      y[2 * j] = re[r][j] * scale;
      y[2 * j + 1] = -im[r][j] * scale;
    }
  }
}

}  // namespace nnse::dsp
