#include "nnse/util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "nnse/util/error.h"

namespace nnse {
namespace fs = std::filesystem;

namespace {

fs::path temporary_path_for(const fs::path& target) {
  return fs::path(target.string() + ".tmp-" + std::to_string(::getpid()));
}

void fsync_path(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) {
    if (directory) return;  // some filesystems refuse to open folders; the rename is still atomic
    throw Error(path, std::string("cannot open for fsync: ") + std::strerror(errno));
  }
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0 && !directory) throw Error(path, std::string("fsync failed: ") + std::strerror(errno));
}

void commit(const fs::path& temporary, const fs::path& target) {
  fsync_path(temporary, false);
  std::error_code ec;
  fs::rename(temporary, target, ec);
  if (ec) {
    fs::remove(temporary, ec);
    throw Error(target, "cannot rename temporary file into place: " + ec.message());
  }
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  fsync_path(folder, true);
}

}  // namespace

void produce_file_atomic(const fs::path& target, const std::function<void(const fs::path&)>& produce) {
  if (target.has_parent_path() && !target.parent_path().empty()) {
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) throw Error(target.parent_path(), "cannot create folder: " + ec.message());
  }
  const fs::path temporary = temporary_path_for(target);
  try {
    produce(temporary);
  } catch (...) {
    std::error_code ec;
    fs::remove(temporary, ec);
    throw;
  }
  commit(temporary, target);
}

void write_file_atomic(const fs::path& target, std::span<const std::uint8_t> bytes) {
  produce_file_atomic(target, [&](const fs::path& temporary) {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(temporary, "cannot open for writing");
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) throw Error(target, "write failed (disk full?)");
  });
}

void write_file_atomic(const fs::path& target, const std::string& text) {
  write_file_atomic(target, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()),
                                                          text.size()));
}

std::string read_file_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file, fs::exists(file) ? "cannot open for reading" : "no such file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw Error(file, "read failed");
  return buffer.str();
}

}  // namespace nnse
