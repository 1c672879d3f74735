#include "nnse/util/folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "nnse/util/error.h"

namespace nnse {
namespace fs = std::filesystem;

FolderLock::FolderLock(const fs::path& folder, const std::string& what_holds_it) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) throw Error(folder, "cannot create folder: " + ec.message());
  const fs::path file = folder / kLockFileName;
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(file, std::string("cannot open lock file: ") + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    if (error == EWOULDBLOCK) {
      throw Error(folder, "is in use by " + what_holds_it + " (it holds " + file.string() +
                              "); wait for it to finish or use another folder");
    }
    throw Error(file, std::string("cannot lock: ") + std::strerror(error));
  }
  // For people looking at the folder: which process holds it (the lock itself is the flock, not this text).
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) == 0) {
    const ssize_t written = ::write(fd_, pid.data(), pid.size());
    (void)written;
  }
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace nnse
