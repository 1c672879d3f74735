// The bundled model's output on the bundled examples, pinned bit for bit: refactors of the enhancement path
// (model loading, the network, the front end) must not change a single output sample. The pinned values live in
// bundled_output_checksums.txt, beside this file, with the command that regenerates them.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace nnse {
namespace {
namespace fs = std::filesystem;

const fs::path kChecksumFile = fs::path(NNSE_SOURCE_DIR) / "tests" / "enhance" / "bundled_output_checksums.txt";
const std::vector<std::string> kExamples = {"noisy_city_3dB.wav", "noisy_music_5dB.wav"};

// The widest vector / FMA instruction set the build may use: float results can differ between these.
std::string cpu_flavour() {
#if defined(__AVX512F__)
  return "avx512";
#elif defined(__AVX2__) && defined(__FMA__)
  return "avx2-fma";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "generic";
#endif
}

std::uint64_t fnv1a64(const std::vector<std::int16_t>& samples) {
  std::uint64_t hash = 14695981039346656037ull;
  for (std::int16_t sample : samples) {
    const auto value = static_cast<std::uint16_t>(sample);
    for (int byte = 0; byte < 2; ++byte) {  // little-endian bytes, as in the WAV file
      hash ^= static_cast<std::uint8_t>(value >> (8 * byte));
      hash *= 1099511628211ull;
    }
  }
  return hash;
}

std::vector<std::int16_t> read_int16(const fs::path& file) {
  SF_INFO info{};
  SNDFILE* sf = sf_open(file.c_str(), SFM_READ, &info);
  if (sf == nullptr) throw std::runtime_error("cannot open " + file.string());
  std::vector<std::int16_t> samples(static_cast<std::size_t>(info.frames * info.channels));
  sf_readf_short(sf, samples.data(), info.frames);
  sf_close(sf);
  return samples;
}

std::string hex(std::uint64_t value) {
  std::ostringstream out;
  out << std::hex << value;
  return out.str();
}

struct ChecksumFile {
  std::vector<std::string> comments;                      // the header, kept on rewrite
  std::map<std::pair<std::string, std::string>, std::string> pinned;  // (example, flavour) -> checksum

  static ChecksumFile read(const fs::path& file) {
    ChecksumFile result;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') {
        result.comments.push_back(line);
        continue;
      }
      std::istringstream fields(line);
      std::string example, flavour, checksum;
      fields >> example >> flavour >> checksum;
      result.pinned[{example, flavour}] = checksum;
    }
    return result;
  }

  void write(const fs::path& file) const {
    std::ofstream out(file);
    for (const auto& line : comments) out << line << '\n';
    for (const auto& [key, checksum] : pinned) out << key.first << ' ' << key.second << ' ' << checksum << '\n';
  }
};

std::string enhanced_checksum(const std::string& example, const test::ScratchDir& dir, const std::string& extra = "") {
  const fs::path input = fs::path(NNSE_SOURCE_DIR) / "examples" / example;
  const fs::path output = dir / ("enhanced_" + example);
  const auto run = test::run_nnse("enhance " + input.string() + " " + output.string() + extra);
  if (run.exit_code != 0) throw std::runtime_error(run.output);
  return hex(fnv1a64(read_int16(output)));
}

// Checks each example's output (`nnse enhance IN OUT` + extra) against its pinned line of `flavour`; with
// NNSE_REWRITE_CHECKSUMS set, rewrites that flavour's lines instead. Returns how many examples had a line and were
// checked, or -1 after a rewrite.
int check_pinned(const std::string& flavour, const std::string& extra) {
  test::ScratchDir dir;
  ChecksumFile file = ChecksumFile::read(kChecksumFile);
  if (std::getenv("NNSE_REWRITE_CHECKSUMS") != nullptr) {
    for (const auto& example : kExamples) file.pinned[{example, flavour}] = enhanced_checksum(example, dir, extra);
    file.write(kChecksumFile);
    return -1;
  }
  int checked = 0;
  for (const auto& example : kExamples) {
    const auto pinned = file.pinned.find({example, flavour});
    if (pinned == file.pinned.end()) continue;
    EXPECT_EQ(enhanced_checksum(example, dir, extra), pinned->second)
        << example << ": the bundled model's output (" << flavour << ") changed (see " << kChecksumFile
        << " to regenerate)";
    ++checked;
  }
  return checked;
}

TEST(BundledModelOutput, MatchesThePinnedChecksums) {
#if defined(__SANITIZE_ADDRESS__)
  // Sanitizer instrumentation changes the code the compiler generates, and with it the last bits of float results;
  // the pin is of the optimized build (the sanitizer run checks memory and undefined behaviour, not output bits).
  GTEST_SKIP() << "the pinned checksums are of the build without sanitizers";
#endif
  const std::string flavour = cpu_flavour();
  const int checked = check_pinned(flavour, "");
  if (checked < 0) GTEST_SKIP() << "rewrote the " << flavour << " lines of " << kChecksumFile;
  if (checked == 0) GTEST_SKIP() << "no pinned checksums for CPU flavour " << flavour << " in " << kChecksumFile;
}

// The fixed-point runtime (`--quantized`, the device's arithmetic) gives the same samples on every CPU: its lines
// ("quantized" in the flavour column) are checked everywhere, also where no float line is pinned, and must exist.
TEST(BundledModelOutput, QuantizedMatchesThePinnedChecksumsOnEveryCpu) {
  const int checked = check_pinned("quantized", " --quantized");
  if (checked < 0) GTEST_SKIP() << "rewrote the quantized lines of " << kChecksumFile;
  EXPECT_EQ(checked, static_cast<int>(kExamples.size())) << "an example has no quantized line in " << kChecksumFile;
}

}  // namespace
}  // namespace nnse
