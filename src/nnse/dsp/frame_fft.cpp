#include "nnse/dsp/frame_fft.h"

#include <cmath>
#include <cstring>
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
const float* lane_values(const Lanes* values, std::size_t lane) { return reinterpret_cast<const float*>(values) + lane; }

static_assert(FrameFft::kLanes == 8, "the lane transposes below are written for 8 lanes");

// In-place 8 x 8 transpose: afterwards v[k][l] is what v[l][k] was. Three rounds of two-vector shuffles, which
// the compiler lowers to the target's permute instructions.
void transpose8(Lanes (&v)[8]) {
  Lanes t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = __builtin_shufflevector(v[i], v[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[i + 1] = __builtin_shufflevector(v[i], v[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = __builtin_shufflevector(t[i], t[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    u[i + 1] = __builtin_shufflevector(t[i], t[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    u[i + 2] = __builtin_shufflevector(t[i + 1], t[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    u[i + 3] = __builtin_shufflevector(t[i + 1], t[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
  for (int i = 0; i < 4; ++i) {
    v[i] = __builtin_shufflevector(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    v[i + 4] = __builtin_shufflevector(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
  }
}

// Moves 8 frames (frame l starts at in[l * stride]) of `pairs` interleaved (re, im) values into split arrays:
// re[j] lane l = in[l * stride + 2j], im[j] lane l = the value after it. Four pairs at a time by a transpose.
void load_lanes(const float* in, std::size_t stride, std::size_t pairs, Lanes* re, Lanes* im) {
  std::size_t j = 0;
  for (; j + 4 <= pairs; j += 4) {
    Lanes v[8];
    for (std::size_t l = 0; l < 8; ++l) std::memcpy(&v[l], in + l * stride + 2 * j, sizeof(Lanes));
    transpose8(v);
    for (std::size_t k = 0; k < 4; ++k) {
      re[j + k] = v[2 * k];
      im[j + k] = v[2 * k + 1];
    }
  }
  for (; j < pairs; ++j) {
    for (std::size_t l = 0; l < 8; ++l) {
      lane_values(re + j, l)[0] = in[l * stride + 2 * j];
      lane_values(im + j, l)[0] = in[l * stride + 2 * j + 1];
    }
  }
}

// The reverse of load_lanes, scaling on the way: out[l * stride + 2j] = re[j] lane l * re_scale, the value after
// it im[j] lane l * im_scale.
void store_lanes(const Lanes* re, const Lanes* im, std::size_t pairs, float re_scale, float im_scale, float* out,
                 std::size_t stride) {
  std::size_t j = 0;
  for (; j + 4 <= pairs; j += 4) {
    Lanes v[8];
    for (std::size_t k = 0; k < 4; ++k) {
      v[2 * k] = re[j + k] * re_scale;
      v[2 * k + 1] = im[j + k] * im_scale;
    }
    transpose8(v);
    for (std::size_t l = 0; l < 8; ++l) std::memcpy(out + l * stride + 2 * j, &v[l], sizeof(Lanes));
  }
  for (; j < pairs; ++j) {
    for (std::size_t l = 0; l < 8; ++l) {
      out[l * stride + 2 * j] = lane_values(re + j, l)[0] * re_scale;
      out[l * stride + 2 * j + 1] = lane_values(im + j, l)[0] * im_scale;
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
    load_lanes(in.data() + f * n, n, m, re[0], im[0]);
    const int r = p.forward(re, im);
    // Scaling by 1 is exact: the same values as the one-frame path.
    store_lanes(re[r], im[r], b, 1.0f, 1.0f, reinterpret_cast<float*>(out.data() + f * b), 2 * b);
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
    load_lanes(reinterpret_cast<const float*>(in.data() + f * b), 2 * b, b, re[0], im[0]);
    const int r = p.inverse(re, im);
    // im * -scale == -im * scale exactly (rounding is symmetric in sign): the one-frame path's values.
    store_lanes(re[r], im[r], m, scale, -scale, out.data() + f * n, n);
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
