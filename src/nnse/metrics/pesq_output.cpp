#include "nnse/metrics/pesq_output.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <optional>
#include <sstream>
#include <vector>

#include "nnse/util/error.h"

namespace nnse::metrics {
namespace {

bool is_separator(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '=' || c == ':' || c == ',' || c == ';' || c == '(' ||
         c == ')' || c == '[' || c == ']';
}

// Tokens of the line that are entirely a finite decimal number.
std::vector<double> standalone_numbers(const std::string& line) {
  std::vector<double> numbers;
  std::string token;
  auto flush = [&] {
    if (!token.empty()) {
      char* end = nullptr;
      const double value = std::strtod(token.c_str(), &end);
      // strtod also takes "nan", "inf" and hex; a score is plain digits.
      const bool plain = token.find_first_not_of("0123456789+-.eE") == std::string::npos;
      if (plain && end == token.c_str() + token.size() && std::isfinite(value)) numbers.push_back(value);
    }
    token.clear();
  };
  for (char c : line) {
    if (is_separator(c)) flush();
    else token += c;
  }
  flush();
  return numbers;
}

bool mentions_score(std::string line) {
  std::transform(line.begin(), line.end(), line.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return line.find("PESQ") != std::string::npos || line.find("MOS") != std::string::npos;
}

std::string shortened(const std::string& output) {
  std::string text = output.substr(0, 200);
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text.empty() ? "(nothing)" : text;
}

}  // namespace

double parse_pesq_output(const std::string& output, const std::string& command) {
  std::vector<std::string> lines;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::optional<double> score;
  for (auto it = lines.rbegin(); it != lines.rend() && !score; ++it) {
    if (!mentions_score(*it)) continue;
    const auto numbers = standalone_numbers(*it);
    if (!numbers.empty()) score = numbers.back();
  }
  if (!score) {
    std::vector<double> all;
    for (const auto& line : lines) {
      const auto numbers = standalone_numbers(line);
      all.insert(all.end(), numbers.begin(), numbers.end());
    }
    if (all.size() != 1) {
      throw Error("--pesq-cmd", "no unambiguous score in the output of '" + command +
                                    "' (need a line mentioning PESQ or MOS with the score, or a single number): " +
                                    shortened(output));
    }
    score = all.front();
  }
  if (*score < kPesqMin || *score > kPesqMax) {
    throw Error("--pesq-cmd", fmt::format("'{}' printed the score {:g}, outside the PESQ range [{:g}, {:g}]", command,
                                          *score, kPesqMin, kPesqMax));
  }
  return *score;
}

}  // namespace nnse::metrics
