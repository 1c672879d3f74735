#pragma once
// Checks of numeric options, attached with ->check() so that a bad value stops the command while the command line
// is parsed, before any data is read or any file is written, with an error that names the option (CLI11 prefixes
// the message with it). CLI11's own Range lets NaN through (every comparison with NaN is false); these do not.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>

#include "nnse/dsp/frontend_config.h"

namespace nnse::cli {

namespace detail {
// The value as a double, or NaN-with-ok=false when the text is not a number at all (CLI11 reports that itself).
inline bool parse_number(const std::string& text, double& value) {
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end != text.c_str() && *end == '\0';
}
inline std::string show(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}
}  // namespace detail

// lo <= value <= hi, finite.
inline CLI::Validator finite_in(double lo, double hi) {
  const std::string range = "[" + detail::show(lo) + ", " + detail::show(hi) + "]";
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        double v = 0;
        if (!detail::parse_number(text, v)) return {};
        if (!std::isfinite(v)) return "value " + text + " is not a finite number (allowed: " + range + ")";
        if (v < lo || v > hi) return "value " + text + " is outside " + range;
        return {};
      },
      "in " + range);
}

// value > lo (strictly), finite; for rates and lengths where zero means nothing.
inline CLI::Validator finite_above(double lo, double hi) {
  const std::string range = "(" + detail::show(lo) + ", " + detail::show(hi) + "]";
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        double v = 0;
        if (!detail::parse_number(text, v)) return {};
        if (!std::isfinite(v)) return "value " + text + " is not a finite number (allowed: " + range + ")";
        if (v <= lo || v > hi) return "value " + text + " is outside " + range;
        return {};
      },
      "in " + range);
}

// The most threads any command accepts: more than any machine it runs on, few enough to catch typos (1000).
inline constexpr int kMaxThreads = 256;
inline CLI::Validator thread_count() { return finite_in(1, kMaxThreads); }


// A clip must hold at least one analysis window, or there is no frame to train or evaluate on.
inline CLI::Validator clip_seconds() {
  const dsp::FrontendConfig frontend;
  const double one_frame = static_cast<double>(frontend.window_length) / frontend.sample_rate;
  return finite_in(one_frame, 3600);
}

}  // namespace nnse::cli
