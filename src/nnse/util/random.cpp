#include "nnse/util/random.h"

#include <numeric>
#include <utility>

namespace nnse {
namespace {
__extension__ typedef unsigned __int128 u128;  // GCC/Clang extension; -Wpedantic accepts it marked so
}  // namespace

std::uint64_t Rng::below(std::uint64_t n) {
  // Lemire's multiply-shift with rejection of the biased low region.
  u128 m = static_cast<u128>(next()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<u128>(next()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

std::int64_t Rng::between(std::int64_t low, std::int64_t high) {
  return low + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(high - low)));
}

std::vector<std::size_t> Rng::permutation(std::size_t n) {
  std::vector<std::size_t> p(n);
  std::iota(p.begin(), p.end(), std::size_t{0});
  for (std::size_t i = n; i > 1; --i) std::swap(p[i - 1], p[below(i)]);
  return p;
}

double Rng::normal() {
  double u1 = uniform();
  while (u1 <= 0.0) u1 = uniform();
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925 * u2);
}

double Rng::truncated_normal(double stddev) {
  for (;;) {
    const double z = normal();
    if (std::fabs(z) <= 2.0) return z * stddev;
  }
}

}  // namespace nnse
