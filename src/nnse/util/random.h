#pragma once
// The one random number generator of nnse (xoshiro256** seeded through SplitMix64) and the SplitMix64 stream
// itself. Every stream is derived from the integers that say *what* is being decided (the key functions live with
// their users: nn::stream_key for weights, dropout and states; data::derive_key for mixtures), never drawn from a
// shared generator, so results do not depend on thread count or order. The distributions are written out (not
// std::*_distribution, whose output differs between standard libraries) so results are the same on every platform.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nnse {

// SplitMix64's finalizer: a bijective 64-bit mix with good avalanche (of x + the golden-ratio increment).
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// xoshiro256**, its state filled from the key by SplitMix64.
class Rng {
 public:
  explicit Rng(std::uint64_t key) {
    std::uint64_t x = key;
    for (auto& word : s_) {
      x += 0x9e3779b97f4a7c15ULL;
      word = mix64(x);
    }
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1), 53 random bits
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  bool chance(double probability) { return uniform() < probability; }
  std::uint64_t below(std::uint64_t n);                       // [0, n), unbiased (Lemire); n > 0
  std::int64_t between(std::int64_t low, std::int64_t high);  // [low, high); high > low
  std::vector<std::size_t> permutation(std::size_t n);        // Fisher-Yates permutation of 0..n-1
  // Box-Muller; one normal per call (the second value is dropped so a stream's use is easy to reason about).
  double normal();
  // TensorFlow's truncated_normal: values beyond two standard deviations are redrawn.
  double truncated_normal(double stddev);

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// SplitMix64 as a generator of its own: the batcher's epoch shuffles are drawn from it (kept so that training
// batches stay what they were).
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t state) : state_(state) {}
  std::uint64_t next() {
    const std::uint64_t value = mix64(state_);
    state_ += 0x9e3779b97f4a7c15ULL;
    return value;
  }
  // Uniform in [0, bound) without modulo bias (rejection on the top partial range).
  std::uint64_t below(std::uint64_t bound) {
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
    for (;;) {
      const std::uint64_t r = next();
      if (r < limit) return r % bound;
    }
  }

 private:
  std::uint64_t state_;
};

}  // namespace nnse
