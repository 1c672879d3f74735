#include "test_support.h"

#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <random>
#include <sys/wait.h>

namespace nnse::test {
namespace fs = std::filesystem;

ScratchDir::ScratchDir(const std::string& tag) {
  static int counter = 0;
  path_ = fs::temp_directory_path() /
          (tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::vector<float> sine(double frequency_hz, double seconds, int sample_rate, float amplitude) {
  const auto n = static_cast<std::size_t>(seconds * sample_rate);
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = amplitude * static_cast<float>(std::sin(2.0 * std::numbers::pi * frequency_hz * static_cast<double>(i) / sample_rate));
  }
  return x;
}

std::vector<float> white_noise(std::size_t length, std::uint32_t seed, float amplitude) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, amplitude);
  std::vector<float> x(length);
  for (auto& v : x) v = normal(rng);
  return x;
}

std::vector<float> speech_like(double seconds, int sample_rate, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(-0.1, 0.1);
  const auto n = static_cast<std::size_t>(seconds * sample_rate);
  std::vector<float> x(n);
  double phase = 0.0;
  const double base = 110.0 + 40.0 * (jitter(rng) + 0.1);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / sample_rate;
    const double f0 = base * (1.0 + 0.15 * std::sin(2.0 * std::numbers::pi * 0.7 * t));
    phase += 2.0 * std::numbers::pi * f0 / sample_rate;
    double v = 0.0;
    for (int h = 1; h <= 30 && h * f0 < sample_rate / 2.0; ++h) v += std::sin(h * phase) / h;
    const double envelope = std::max(0.0, std::sin(2.0 * std::numbers::pi * 4.0 * t));
    x[i] = static_cast<float>(0.2 * envelope * v);
  }
  return x;
}

fs::path shared_corpus() {
  for (fs::path base : {fs::path(NNSE_SOURCE_DIR) / ".." / "shared" / "corpus", fs::path("..") / "shared" / "corpus"}) {
    if (fs::exists(base / "MANIFEST.tsv")) return fs::weakly_canonical(base);
  }
  return {};
}

CommandResult run_shell(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe)) result.output += buffer.data();
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

CommandResult run_nnse(const std::string& arguments) { return run_shell(std::string(NNSE_BINARY) + " " + arguments); }

double snr_db(const std::vector<float>& reference, const std::vector<float>& test) {
  double signal = 0.0, error = 0.0;
  const std::size_t n = std::min(reference.size(), test.size());
  for (std::size_t i = 0; i < n; ++i) {
    signal += static_cast<double>(reference[i]) * reference[i];
    const double d = static_cast<double>(reference[i]) - test[i];
    error += d * d;
  }
  return 10.0 * std::log10(signal / std::max(error, 1e-300));
}

}  // namespace nnse::test
