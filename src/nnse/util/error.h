#pragma once
// One error type for everything the user can get wrong: it always names the file (or option) and the problem,
// so the CLI can print it as a single line and exit non-zero.
#include <filesystem>
#include <stdexcept>
#include <string>

namespace nnse {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  Error(const std::filesystem::path& file, const std::string& problem)
      : std::runtime_error(file.string() + ": " + problem) {}
};

}  // namespace nnse
