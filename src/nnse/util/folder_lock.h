#pragma once
// An exclusive lock on a folder that one process writes (a model folder during training): flock() on a lock
// file inside it. The kernel drops the lock when the process ends, however it ends (kill -9 included), so a
// stale lock file never blocks the next run; a second process gets a clear error instead of interleaving
// checkpoints and loss histories with the first.
#include <filesystem>
#include <string>

namespace nnse {

class FolderLock {
 public:
  // Creates the folder if needed and locks "<folder>/<kLockFileName>" without waiting. Throws nnse::Error naming
  // the folder and `what_holds_it` ("another nnse train") when another process holds the lock.
  FolderLock(const std::filesystem::path& folder, const std::string& what_holds_it);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

  static constexpr const char* kLockFileName = ".nnse.lock";

 private:
  int fd_ = -1;
};

}  // namespace nnse
