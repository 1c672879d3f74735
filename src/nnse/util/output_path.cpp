#include "nnse/util/output_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <utility>

#include "nnse/util/error.h"
#include "nnse/util/temp_files.h"

namespace nnse {
namespace fs = std::filesystem;

namespace {

std::string last_error() { return std::strerror(errno); }

// Follows a chain of symlinks by hand: fs::canonical refuses dangling links, but a dangling link names the file
// the user wants created.
fs::path follow_symlinks(const fs::path& requested) {
  fs::path path = requested;
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(path, ec))) return path;
    const fs::path next = fs::read_symlink(path, ec);
    if (ec) throw Error(requested, "cannot read symlink: " + ec.message());
    path = next.is_absolute() ? next : (path.parent_path() / next).lexically_normal();
  }
  throw Error(requested, "too many levels of symlinks");
}

void fsync_path(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) {
    if (directory) return;  // some filesystems refuse to open folders; the rename is still atomic
    throw Error(path, "cannot open for fsync: " + last_error());
  }
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0 && !directory) throw Error(path, "fsync failed: " + last_error());
}

// A private temporary for outputs that are not regular files: in the temp folder, never beside a device node.
fs::path private_temporary() {
  static std::atomic<int> counter{0};
  return temporary_path_for(fs::temp_directory_path() / ("nnse-output-" + std::to_string(counter++)));
}

void copy_into(const fs::path& temporary, int fd, const fs::path& requested) {
  std::ifstream in(temporary, std::ios::binary);
  if (!in) throw Error(requested, "cannot reopen the finished temporary " + temporary.string());
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::size_t left = static_cast<std::size_t>(in.gcount());
    const char* at = buffer.data();
    while (left > 0) {
      const ssize_t n = ::write(fd, at, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw Error(requested, "write failed: " + last_error());
      at += n;
      left -= static_cast<std::size_t>(n);
    }
  }
}

}  // namespace

OutputDestination resolve_output(const fs::path& requested) {
  if (requested.empty()) throw Error("output path is empty");
  if (requested == kStandardOutput) return {requested, OutputKind::standard_output};
  const fs::path path = follow_symlinks(requested);
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) return {path, OutputKind::regular};
  if (fs::is_directory(status)) throw Error(requested, "is a folder; give a file name for this output");
  if (fs::is_regular_file(status)) return {path, OutputKind::regular};
  return {path, OutputKind::stream};
}

OutputFile::OutputFile(const fs::path& requested) : requested_(requested), destination_(resolve_output(requested)) {
  if (destination_.kind == OutputKind::standard_output && ::isatty(STDOUT_FILENO)) {
    throw Error("output '-'", "standard output is a terminal; redirect it (> file, | program) or name a file");
  }
  if (destination_.kind == OutputKind::regular) {
    const fs::path folder = destination_.path.parent_path();
    if (!folder.empty()) {
      std::error_code ec;
      fs::create_directories(folder, ec);
      if (ec) throw Error(folder, "cannot create folder: " + ec.message());
    }
    remove_stale_temp_files(folder);
    temporary_ = temporary_path_for(destination_.path);
  } else {
    temporary_ = private_temporary();
  }
  registration_ = std::make_unique<TempFileRegistration>(temporary_);
}

OutputFile::~OutputFile() {
  if (!committed_) {
    std::error_code ec;
    fs::remove(temporary_, ec);
  }
}

void OutputFile::commit() {
  if (committed_) return;
  if (destination_.kind == OutputKind::regular) {
    fsync_path(temporary_, false);
    std::error_code ec;
    fs::rename(temporary_, destination_.path, ec);
    if (ec) throw Error(requested_, "cannot rename temporary file into place: " + ec.message());
    committed_ = true;
    const fs::path folder = destination_.path.has_parent_path() ? destination_.path.parent_path() : fs::path(".");
    fsync_path(folder, true);
    return;
  }
  if (destination_.kind == OutputKind::standard_output) {
    copy_into(temporary_, STDOUT_FILENO, requested_);
  } else {
    // No O_CREAT, no O_TRUNC: the node must still be what it was; a FIFO blocks here until a reader opens it.
    const int fd = ::open(destination_.path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw Error(requested_, "cannot open for writing: " + last_error());
    try {
      copy_into(temporary_, fd, requested_);
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (::close(fd) != 0) throw Error(requested_, "closing failed: " + last_error());
  }
  std::error_code ec;
  fs::remove(temporary_, ec);
  committed_ = true;
}

bool same_file(const fs::path& a, const fs::path& b) {
  struct stat sa {}, sb {};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void refuse_output_over_input(const fs::path& output, const fs::path& input) {
  if (output == kStandardOutput) return;
  if (same_file(output, input)) {
    throw Error(output, "is the input " + input.string() + " itself; writing it would destroy the input (choose "
                        "another output name)");
  }
}

void refuse_outputs_over_inputs(const std::vector<fs::path>& outputs, const std::vector<fs::path>& inputs) {
  std::map<std::pair<dev_t, ino_t>, const fs::path*> by_identity;
  for (const auto& input : inputs) {
    struct stat s {};
    if (::stat(input.c_str(), &s) == 0) by_identity.emplace(std::make_pair(s.st_dev, s.st_ino), &input);
  }
  for (const auto& output : outputs) {
    struct stat s {};
    if (output == kStandardOutput || ::stat(output.c_str(), &s) != 0) continue;
    const auto it = by_identity.find({s.st_dev, s.st_ino});
    if (it != by_identity.end()) refuse_output_over_input(output, *it->second);
  }
}

}  // namespace nnse
