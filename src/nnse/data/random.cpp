#include "nnse/data/random.h"

namespace nnse::data {

std::uint64_t derive_key(std::uint64_t seed, std::initializer_list<std::uint64_t> parts) {
  std::uint64_t key = mix64(seed ^ 0x6e6e73652d646174ULL);  // "nnse-dat": separates keys from raw seeds
  for (const std::uint64_t part : parts) key = mix64(key ^ part);
  return key;
}

std::uint64_t hash_text(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return mix64(h);
}

}  // namespace nnse::data
