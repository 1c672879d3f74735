#pragma once
// A one-line progress bar on stderr for batch commands ("[#####.....] 12/40 name"); silent when stderr is not
// a terminal except for the final line, so logs stay readable.
#include <cstdio>
#include <string>
#include <unistd.h>

namespace nnse::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::size_t total) : total_(total), terminal_(::isatty(STDERR_FILENO) != 0) {}
  void update(std::size_t done, const std::string& label) {
    if (!terminal_ && done != total_) return;
    constexpr int kWidth = 30;
    const int filled = total_ ? static_cast<int>(kWidth * done / total_) : kWidth;
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(kWidth - filled), '.');
    std::fprintf(stderr, "%s[%s] %zu/%zu %s\033[K", terminal_ ? "\r" : "", bar.c_str(), done, total_, label.c_str());
    if (done == total_) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  std::size_t total_;
  bool terminal_;
};

}  // namespace nnse::cli
