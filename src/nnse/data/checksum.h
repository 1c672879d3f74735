#pragma once
// Checksums of the data pipeline: CRC-32 (IEEE 802.3, the zlib/PNG polynomial) for shard records, and
// streaming SHA-256 / MD5 (OpenSSL libcrypto) for downloads. CRC-32 is written here (slicing-by-8) because
// zlib is not linked into nnse_core; it is bit-compatible with zlib's crc32().
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

namespace nnse::data {

// Continues a CRC-32: crc32(crc32(0, a), b) == crc32(0, a + b).
std::uint32_t crc32(std::uint32_t crc, std::span<const std::uint8_t> bytes);
std::uint32_t crc32(std::uint32_t crc, const void* data, std::size_t size);

class Digest {
 public:
  enum class Algorithm { sha256, md5 };
  explicit Digest(Algorithm algorithm);
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;
  void update(const void* data, std::size_t size);
  std::string hex();  // finishes the digest; lower-case hex

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(std::span<const std::uint8_t> bytes);
std::string md5_hex(std::span<const std::uint8_t> bytes);

struct FileDigests {
  std::uint64_t size = 0;
  std::string sha256, md5;
};
// Streams a file once through both digests; throws nnse::Error naming it if it cannot be read.
FileDigests digest_file(const std::filesystem::path& file);

}  // namespace nnse::data
