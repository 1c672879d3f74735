#pragma once
// Real FFT of the STFT's frames: many frames of one size at a time (issue 17: the training STFTs and the
// time-domain losses transform tens of thousands of 512-point frames per step, and kissfft's one-at-a-time scalar
// transform was most of their cost).
//
// For power-of-two sizes it is its own radix-2 Stockham FFT (a complex FFT of size/2 plus the real-input split),
// written once over a value type that is either one float or a vector of kLanes floats: a batch transforms kLanes
// frames side by side, one per vector lane, with exactly the operations of the one-frame transform, so a frame's
// result is bit-for-bit the same whether it was transformed alone (streaming) or in a batch (block STFT), and
// whatever batch it fell into. Other even sizes go to RealFft (kissfft) one frame at a time.
//
// Same conventions as RealFft: forward is the unnormalized DFT (bins 0..N/2), inverse the normalized (1/N)
// inverse of a Hermitian spectrum that ignores the imaginary parts of bins 0 and N/2. Not thread-safe: one object
// per thread; the scratch buffers are made once, so no call allocates.
#include <cstddef>
#include <memory>
#include <span>

#include "nnse/dsp/fft.h"

namespace nnse::dsp {

class FrameFft {
 public:
  static constexpr int kLanes = 8;  // frames per vector batch

  explicit FrameFft(int size);  // size must be even
  ~FrameFft();
  FrameFft(FrameFft&&) noexcept;
  FrameFft& operator=(FrameFft&&) noexcept;
  FrameFft(const FrameFft&) = delete;
  FrameFft& operator=(const FrameFft&) = delete;

  int size() const { return size_; }
  int bins() const { return size_ / 2 + 1; }

  // One frame: in.size() == size(), out.size() == bins() (and the reverse for inverse()).
  void forward(std::span<const float> in, std::span<Complex> out);
  void inverse(std::span<const Complex> in, std::span<float> out);
  // Any number of consecutive frames: `in` holds n frames of size() samples, `out` n rows of bins() values (and
  // the reverse for inverse_many()). Each frame's result is identical to forward() / inverse() of that frame.
  void forward_many(std::span<const float> in, std::span<Complex> out);
  void inverse_many(std::span<const Complex> in, std::span<float> out);

 private:
  struct Plan;
  int size_ = 0;
  std::unique_ptr<Plan> plan_;  // null: not a power of two, `fallback_` does the work
  std::unique_ptr<RealFft> fallback_;
};

}  // namespace nnse::dsp
