#include "nnse/data/checksum.h"

#include <openssl/evp.h>

#include <array>
#include <bit>
#include <cstring>
#include <fstream>
#include <vector>

#include "nnse/util/error.h"

namespace nnse::data {

namespace {

using CrcTables = std::array<std::array<std::uint32_t, 256>, 8>;

CrcTables make_crc_tables() {
  CrcTables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t i = 0; i < 256; ++i) {
    for (std::size_t k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFFu];
  }
  return t;
}

const CrcTables& crc_tables() {
  static const CrcTables tables = make_crc_tables();
  return tables;
}

std::string to_hex(const unsigned char* data, unsigned size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned i = 0; i < size; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 15]);
  }
  return out;
}

}  // namespace

std::uint32_t crc32(std::uint32_t crc, const void* data, std::size_t size) {
  const auto& t = crc_tables();
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::uint32_t c = ~crc;
  // Slicing-by-8: eight table lookups per 8 input bytes instead of one per byte.
  while (size >= 8) {
    std::uint32_t lo = 0, hi = 0;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    if constexpr (std::endian::native == std::endian::big) {
      lo = __builtin_bswap32(lo);
      hi = __builtin_bswap32(hi);
    }
    lo ^= c;
    c = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^ t[3][hi & 0xFF] ^
        t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    p += 8;
    size -= 8;
  }
  while (size-- > 0) c = t[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
  return ~c;
}

std::uint32_t crc32(std::uint32_t crc, std::span<const std::uint8_t> bytes) {
  return crc32(crc, bytes.data(), bytes.size());
}

struct Digest::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() {
    if (ctx) EVP_MD_CTX_free(ctx);
  }
};

Digest::Digest(Algorithm algorithm) : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  const EVP_MD* md = algorithm == Algorithm::sha256 ? EVP_sha256() : EVP_md5();
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx, md, nullptr) != 1) throw Error("cannot initialise a digest");
}

Digest::~Digest() = default;

void Digest::update(const void* data, std::size_t size) {
  if (EVP_DigestUpdate(impl_->ctx, data, size) != 1) throw Error("digest update failed");
}

std::string Digest::hex() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, out, &size) != 1) throw Error("digest final failed");
  return to_hex(out, size);
}

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
  Digest d(Digest::Algorithm::sha256);
  d.update(bytes.data(), bytes.size());
  return d.hex();
}

std::string md5_hex(std::span<const std::uint8_t> bytes) {
  Digest d(Digest::Algorithm::md5);
  d.update(bytes.data(), bytes.size());
  return d.hex();
}

FileDigests digest_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file, "cannot open for reading");
  Digest sha(Digest::Algorithm::sha256), md5(Digest::Algorithm::md5);
  std::vector<char> buffer(1 << 20);
  FileDigests result;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    sha.update(buffer.data(), got);
    md5.update(buffer.data(), got);
    result.size += got;
  }
  if (in.bad()) throw Error(file, "read failed");
  result.sha256 = sha.hex();
  result.md5 = md5.hex();
  return result;
}

}  // namespace nnse::data
