#include "nnse/data/skip_log.h"

#include <spdlog/spdlog.h>

namespace nnse::data {

void SkipLog::add(const std::string& file, const std::string& reason) {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    first = entries_.emplace(file, reason).second;
  }
  if (first) spdlog::warn("skipping corpus file {}: {}", file, reason);
}

bool SkipLog::contains(const std::string& file) const {
  std::lock_guard lock(mutex_);
  return entries_.count(file) > 0;
}

std::size_t SkipLog::count() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::vector<std::pair<std::string, std::string>> SkipLog::entries() const {
  std::lock_guard lock(mutex_);
  return {entries_.begin(), entries_.end()};
}

}  // namespace nnse::data
