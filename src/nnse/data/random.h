#pragma once
// Counter-based randomness for the data pipeline. Every random decision is drawn from a generator whose seed is
// derived from *what* is being decided (run seed, split, epoch, clip index, purpose), never from a shared stream,
// so any clip can be regenerated alone and results never depend on thread count or generation order.
//
// Derivation: key = mix64(... mix64(mix64(seed ^ C0) ^ part1) ^ part2 ...), mix64 = SplitMix64's finalizer;
// the generator is xoshiro256** seeded from the key with SplitMix64. The distributions below are written out
// (not std::uniform_*_distribution, whose output differs between standard libraries) so shards are
// byte-identical on every platform.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "nnse/util/random.h"

namespace nnse::data {

using nnse::mix64;
using nnse::Rng;  // the one generator (util/random.h), keyed by derive_key below

// Derives a key from a seed and a list of 64-bit parts (order matters).
std::uint64_t derive_key(std::uint64_t seed, std::initializer_list<std::uint64_t> parts);
// Stable 64-bit hash of a text (FNV-1a followed by mix64): file names, purpose tags.
std::uint64_t hash_text(std::string_view text);

// Purposes of the random streams (part of every key, so two decisions never share a stream).
enum class Stream : std::uint64_t {
  speech_order = 0x5e1ec7,  // which utterances an (epoch, noise type) uses, and in what order
  padding = 0x9add,         // silence lengths around utterances and their gains
  clip = 0xc11b,            // SNR, level, reverb, noise file and offset of one clip
  coloration = 0xc0102,     // random spectral coloration of one clip's speech and noise (augmentation)
  speed = 0x5bee0,          // speed perturbation of one clip's speech (augmentation)
  room = 0x4004,            // simulated room of one clip (augmentation)
  babble = 0xbabb1e,        // whether one clip's noise is babble, and its talkers (augmentation)
  formant = 0xf0a7,         // formant warp factor of one clip's speech (augmentation)
};

}  // namespace nnse::data
