#pragma once
// Reproducible random numbers for initialization, dropout masks and initial states. Every stream is derived
// from a few integers (seed, step, sequence, layer, purpose) instead of being drawn from one shared generator,
// so what a sequence sees never depends on how a batch is split across threads.
#include <cmath>
#include <cstdint>
#include <initializer_list>

namespace nnse::nn {

// splitmix64 finalizer: a bijective 64-bit mix with good avalanche.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A stream key from an ordered list of integers (order matters).
inline std::uint64_t stream_key(std::initializer_list<std::uint64_t> parts) {
  std::uint64_t key = 0x6a09e667f3bcc908ULL;
  for (std::uint64_t part : parts) key = mix64(key ^ mix64(part));
  return key;
}

// xoshiro256** seeded through splitmix64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t x = seed;
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
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  // Box-Muller; one normal per call (the second value is dropped so a stream's use is easy to reason about).
  double normal() {
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925 * u2);
  }
  // TensorFlow's truncated_normal: values beyond two standard deviations are redrawn.
  double truncated_normal(double stddev) {
    for (;;) {
      const double z = normal();
      if (std::fabs(z) <= 2.0) return z * stddev;
    }
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace nnse::nn
