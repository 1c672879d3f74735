#pragma once
// Real FFT of one fixed size (kissfft underneath). The plans and scratch buffers are made once per object, so
// transforming a frame never allocates. Not thread-safe: one object per thread.
#include <complex>
#include <memory>
#include <span>

namespace nnse::dsp {

using Complex = std::complex<float>;

class RealFft {
 public:
  explicit RealFft(int size);  // size must be even
  ~RealFft();
  RealFft(RealFft&&) noexcept;
  RealFft& operator=(RealFft&&) noexcept;
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;

  int size() const { return size_; }
  int bins() const { return size_ / 2 + 1; }
  // Unnormalized DFT: out[k] = sum_n in[n] e^{-2 pi i k n / N}, k = 0..N/2. in.size() == N, out.size() == N/2+1.
  void forward(std::span<const float> in, std::span<Complex> out);
  // Normalized inverse (1/N) of a Hermitian spectrum; the imaginary parts of bins 0 and N/2 are ignored.
  void inverse(std::span<const Complex> in, std::span<float> out);

 private:
  struct Impl;
  int size_ = 0;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nnse::dsp
