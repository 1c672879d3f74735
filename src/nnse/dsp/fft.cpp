#include "nnse/dsp/fft.h"

#include <kiss_fftr.h>

#include <string>
#include <vector>

#include "nnse/util/error.h"

namespace nnse::dsp {

struct RealFft::Impl {
  kiss_fftr_cfg forward = nullptr;
  kiss_fftr_cfg inverse = nullptr;
  // kissfft's own complex type: copying through it avoids relying on std::complex / kiss_fft_cpx aliasing.
  std::vector<kiss_fft_cpx> spectrum;
  ~Impl() {
    if (forward) kiss_fftr_free(forward);
    if (inverse) kiss_fftr_free(inverse);
  }
};

RealFft::RealFft(int size) : size_(size), impl_(std::make_unique<Impl>()) {
  if (size <= 0 || size % 2 != 0) throw Error("RealFft: size must be positive and even, got " + std::to_string(size));
  impl_->forward = kiss_fftr_alloc(size, 0, nullptr, nullptr);
  impl_->inverse = kiss_fftr_alloc(size, 1, nullptr, nullptr);
  if (!impl_->forward || !impl_->inverse) throw Error("RealFft: cannot allocate a plan of size " + std::to_string(size));
  impl_->spectrum.resize(static_cast<std::size_t>(bins()));
}

RealFft::~RealFft() = default;
RealFft::RealFft(RealFft&&) noexcept = default;
RealFft& RealFft::operator=(RealFft&&) noexcept = default;

void RealFft::forward(std::span<const float> in, std::span<Complex> out) {
  if (in.size() != static_cast<std::size_t>(size_) || out.size() != static_cast<std::size_t>(bins())) {
    throw Error("RealFft::forward: expected " + std::to_string(size_) + " samples and " + std::to_string(bins()) +
                " bins, got " + std::to_string(in.size()) + " and " + std::to_string(out.size()));
  }
  kiss_fftr(impl_->forward, in.data(), impl_->spectrum.data());
  for (std::size_t k = 0; k < out.size(); ++k) out[k] = Complex(impl_->spectrum[k].r, impl_->spectrum[k].i);
}

void RealFft::inverse(std::span<const Complex> in, std::span<float> out) {
  if (in.size() != static_cast<std::size_t>(bins()) || out.size() != static_cast<std::size_t>(size_)) {
    throw Error("RealFft::inverse: expected " + std::to_string(bins()) + " bins and " + std::to_string(size_) +
                " samples, got " + std::to_string(in.size()) + " and " + std::to_string(out.size()));
  }
  for (std::size_t k = 0; k < in.size(); ++k) impl_->spectrum[k] = kiss_fft_cpx{in[k].real(), in[k].imag()};
  kiss_fftri(impl_->inverse, impl_->spectrum.data(), out.data());
  const float scale = 1.0f / static_cast<float>(size_);
  for (float& v : out) v *= scale;
}

}  // namespace nnse::dsp
