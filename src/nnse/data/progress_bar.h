#pragma once
// Internal to the download and extraction steps (download.cpp, extract.cpp): the progress line on stderr and a
// tolerant file size.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>

namespace nnse::data {

inline std::uint64_t file_size_or_zero(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  return ec ? 0 : size;
}

inline std::string human_bytes(double bytes) {
  char buffer[32];
  if (bytes >= 1e9) std::snprintf(buffer, sizeof(buffer), "%.2f GB", bytes / 1e9);
  else std::snprintf(buffer, sizeof(buffer), "%.1f MB", bytes / 1e6);
  return buffer;
}

// One line on stderr, redrawn in place on a terminal; elsewhere (logs, CI) a line every 10 %.
class ProgressBar {
 public:
  ProgressBar(std::string label, bool enabled) : label_(std::move(label)), enabled_(enabled), tty_(::isatty(2) == 1) {}
  void update(std::uint64_t done, std::uint64_t total) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!started_) {
      started_ = true;
      start_ = now;
      start_bytes_ = done;
    }
    const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0;
    if (tty_) {
      if (now - last_ < std::chrono::milliseconds(200) && done != total) return;
    } else {
      const int decile = static_cast<int>(fraction * 10);
      if (decile == last_decile_) return;
      last_decile_ = decile;
    }
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(done - start_bytes_) / seconds : 0.0;
    char line[256];
    if (total > 0) {
      const int width = 30;
      const int filled = static_cast<int>(fraction * width);
      std::string bar(static_cast<std::size_t>(filled), '#');
      bar.resize(width, '.');
      const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0.0;
      std::snprintf(line, sizeof(line), "%s [%s] %5.1f%% %s / %s  %s/s  ETA %d:%02d", label_.c_str(), bar.c_str(),
                    100.0 * fraction, human_bytes(static_cast<double>(done)).c_str(),
                    human_bytes(static_cast<double>(total)).c_str(), human_bytes(rate).c_str(),
                    static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
    } else {
      std::snprintf(line, sizeof(line), "%s %s  %s/s", label_.c_str(), human_bytes(static_cast<double>(done)).c_str(),
                    human_bytes(rate).c_str());
    }
    std::fprintf(stderr, tty_ ? "\r%s\033[K" : "%s\n", line);
    std::fflush(stderr);
    drawn_ = true;
  }
  void finish() {
    if (enabled_ && tty_ && drawn_) std::fprintf(stderr, "\n");
    drawn_ = false;
  }

 private:
  std::string label_;
  bool enabled_, tty_;
  bool started_ = false, drawn_ = false;
  std::chrono::steady_clock::time_point start_{}, last_{};
  std::uint64_t start_bytes_ = 0;
  int last_decile_ = -1;
};

}  // namespace nnse::data
