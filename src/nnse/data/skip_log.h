#pragma once
// Corpus files that could not be used. Every one is reported once (warning with name and reason) the moment it
// is found, kept here, and counted at the end of a run: a file is never dropped silently.
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace nnse::data {

class SkipLog {
 public:
  // Records `file` with `reason`; logs a warning the first time a file is recorded. Thread-safe.
  void add(const std::string& file, const std::string& reason);
  bool contains(const std::string& file) const;
  std::size_t count() const;
  std::vector<std::pair<std::string, std::string>> entries() const;  // sorted by file name

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> entries_;
};

}  // namespace nnse::data
