#include "nnse/train/progress.h"

#include <fmt/format.h>

#include <cmath>

namespace nnse::train {

namespace {

std::string clock_text(double seconds) {
  const auto total = static_cast<std::int64_t>(std::llround(std::max(0.0, seconds)));
  if (total >= 3600) return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
  return fmt::format("{}:{:02}", total / 60, total % 60);
}

std::string rate_text(double per_second) {
  if (per_second >= 1e6) return fmt::format("{:.2f}M", per_second / 1e6);
  if (per_second >= 1e3) return fmt::format("{:.1f}k", per_second / 1e3);
  return fmt::format("{:.0f}", per_second);
}

}  // namespace

std::string format_progress(const StepProgress& p) {
  std::string total = "?";
  if (p.total_steps > 0) total = (p.total_exact ? "" : "~") + std::to_string(p.total_steps);
  const double rate = p.seconds > 0.0 ? static_cast<double>(p.frames) / p.seconds : 0.0;
  const double wait = p.seconds > 0.0 ? 100.0 * p.data_wait_seconds / p.seconds : 0.0;
  std::string line = fmt::format("epoch {}: {}/{} steps, {} frames/s, data wait {:.0f}%", p.epoch, p.steps, total,
                                 rate_text(rate), wait);
  if (p.total_steps > 0 && p.steps > 0) {
    const double left = p.seconds / static_cast<double>(p.steps) *
                        static_cast<double>(std::max<std::int64_t>(0, p.total_steps - p.steps));
    line += ", ETA " + clock_text(left);
  }
  return line;
}

ProgressLine::ProgressLine(std::FILE* out, bool terminal, double plain_every, double min_interval)
    : out_(out), terminal_(terminal), plain_every_(plain_every), min_interval_(min_interval) {}

void ProgressLine::update(const StepProgress& p) {
  if (p.epoch != epoch_) {
    epoch_ = p.epoch;
    last_written_ = -1.0;
  }
  if (terminal_) {
    const bool last = p.total_steps > 0 && p.steps >= p.total_steps;
    if (last_written_ >= 0.0 && p.seconds - last_written_ < min_interval_ && !last) return;
    std::fprintf(out_, "\r%s\033[K", format_progress(p).c_str());
    open_ = true;
  } else {
    // The first line after plain_every seconds, then one per plain_every: short epochs print none.
    const double since = last_written_ < 0.0 ? p.seconds : p.seconds - last_written_;
    if (!(plain_every_ > 0.0) || since < plain_every_) return;
    std::fprintf(out_, "%s\n", format_progress(p).c_str());
  }
  last_written_ = p.seconds;
  std::fflush(out_);
}

void ProgressLine::finish() {
  if (terminal_ && open_) {
    std::fprintf(out_, "\r\033[K");
    std::fflush(out_);
  }
  open_ = false;
  epoch_ = -1;
}

}  // namespace nnse::train
