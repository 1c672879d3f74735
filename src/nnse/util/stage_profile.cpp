#include "nnse/util/stage_profile.h"

#include <ctime>

namespace nnse::profile {

namespace {

std::atomic<bool> g_enabled{false};
// Nanoseconds, so that one relaxed fetch_add per scope suffices (no atomic double arithmetic).
std::array<std::atomic<std::int64_t>, kStageCount> g_nanoseconds{};
std::array<std::atomic<std::int64_t>, kStageCount> g_calls{};
thread_local Scope* t_innermost = nullptr;

constexpr std::array<std::string_view, kStageCount> kNames = {
    "decode", "cache expand", "mix", "reverb", "coloration", "formant warp", "stft+features", "batching",
    "forward+backward", "loss", "optimizer", "process sum", "validation", "checkpoint"};

}  // namespace

std::string_view stage_name(Stage stage) { return kNames[static_cast<std::size_t>(stage)]; }

double Totals::total() const {
  double sum = 0.0;
  for (const double s : seconds) sum += s;
  return sum;
}

Totals Totals::operator-(const Totals& earlier) const {
  Totals out;
  for (std::size_t i = 0; i < seconds.size(); ++i) {
    out.seconds[i] = seconds[i] - earlier.seconds[i];
    out.calls[i] = calls[i] - earlier.calls[i];
  }
  return out;
}

void set_enabled(bool on) { g_enabled.store(on, std::memory_order_relaxed); }

bool enabled() { return g_enabled.load(std::memory_order_relaxed); }

Totals totals() {
  Totals out;
  for (std::size_t i = 0; i < out.seconds.size(); ++i) {
    out.seconds[i] = static_cast<double>(g_nanoseconds[i].load(std::memory_order_relaxed)) * 1e-9;
    out.calls[i] = g_calls[i].load(std::memory_order_relaxed);
  }
  return out;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Scope::Scope(Stage stage) : stage_(stage) {
  if (!enabled()) return;
  active_ = true;
  start_ = thread_cpu_seconds();
  outer_ = t_innermost;
  if (outer_) outer_->charge(start_);  // the outer stage pauses while this one runs
  t_innermost = this;
}

Scope::~Scope() {
  if (!active_) return;
  const double now = thread_cpu_seconds();
  charge(now);
  g_calls[static_cast<std::size_t>(stage_)].fetch_add(1, std::memory_order_relaxed);
  t_innermost = outer_;
  if (outer_) outer_->start_ = now;  // and resumes from here
}

void Scope::charge(double now) {
  const auto nanoseconds = static_cast<std::int64_t>((now - start_) * 1e9 + 0.5);
  g_nanoseconds[static_cast<std::size_t>(stage_)].fetch_add(nanoseconds, std::memory_order_relaxed);
  start_ = now;
}

}  // namespace nnse::profile
