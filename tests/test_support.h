#pragma once
// Shared helpers for the unit tests: scratch folders, synthetic signals, and running the nnse binary.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "nnse/util/error.h"

namespace nnse::test {

// A fresh, empty folder under the system temp dir, removed when the object dies.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag = "nnse-test");
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Deterministic test signals (no files needed).
std::vector<float> sine(double frequency_hz, double seconds, int sample_rate, float amplitude = 0.5f);
std::vector<float> white_noise(std::size_t length, std::uint32_t seed, float amplitude = 0.1f);
// A speech-like signal: harmonic series with a moving pitch and syllable-rate amplitude modulation.
std::vector<float> speech_like(double seconds, int sample_rate, std::uint32_t seed = 1);

// Path of the starter corpus (docs/reference-facts.md section 6: shared/corpus beside the checkout) or empty
// if it is absent.
std::filesystem::path shared_corpus();

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs `nnse <arguments>` (the binary built with the tests) through the shell and captures its output.
CommandResult run_nnse(const std::string& arguments);
CommandResult run_shell(const std::string& command);

double snr_db(const std::vector<float>& reference, const std::vector<float>& test);

// The message of the nnse::Error that run() throws, "" when it throws none (a test that expects an error checks
// what the message says, which "" never does).
template <typename F>
std::string error_of(F&& run) {
  try {
    run();
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

}  // namespace nnse::test
