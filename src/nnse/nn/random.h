#pragma once
// Reproducible random numbers for initialization, dropout masks and initial states. Every stream is derived
// from a few integers (seed, step, sequence, layer, purpose) instead of being drawn from one shared generator,
// so what a sequence sees never depends on how a batch is split across threads. The generator is util/random.h's.
#include <cstdint>
#include <initializer_list>

#include "nnse/util/random.h"

namespace nnse::nn {

using nnse::mix64;
using nnse::Rng;

// A stream key from an ordered list of integers (order matters).
inline std::uint64_t stream_key(std::initializer_list<std::uint64_t> parts) {
  std::uint64_t key = 0x6a09e667f3bcc908ULL;
  for (std::uint64_t part : parts) key = mix64(key ^ mix64(part));
  return key;
}

}  // namespace nnse::nn
