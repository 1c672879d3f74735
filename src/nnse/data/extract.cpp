// Safe archive extraction (libarchive) for `nnse data --download`: into a hidden staging folder first, then
// merged into place, refusing entries that would land outside the destination (see download.h).
#include <archive.h>
#include <archive_entry.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "nnse/data/download.h"
#include "nnse/data/progress_bar.h"
#include "nnse/util/error.h"

namespace nnse::data {
namespace fs = std::filesystem;

namespace {

// A relative path with no '..' component and no root: safe to join to the extraction folder.
bool safe_relative(const std::string& name) {
  if (name.empty() || name[0] == '/' || name[0] == '\\') return false;
  const fs::path p(name);
  if (p.has_root_name() || p.has_root_directory()) return false;
  for (const auto& part : p) {
    if (part == "..") return false;
  }
  return true;
}

void merge_into(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (fs::is_directory(from) && fs::is_directory(to)) {
    for (const auto& entry : fs::directory_iterator(from)) merge_into(entry.path(), to / entry.path().filename());
    fs::remove(from, ec);
    return;
  }
  if (fs::exists(to) && fs::is_directory(to) != fs::is_directory(from)) fs::remove_all(to, ec);
  fs::rename(from, to, ec);
  if (ec) throw Error(to, "cannot move the extracted file into place: " + ec.message());
}

struct ArchiveCloser {
  archive* reader;
  archive* writer;
  ~ArchiveCloser() {
    if (reader) archive_read_free(reader);
    if (writer) archive_write_free(writer);
  }
};

}  // namespace

void extract_archive(const fs::path& archive_file, const fs::path& destination, const std::string& must_create,
                     bool progress) {
  std::error_code ec;
  fs::create_directories(destination, ec);
  if (ec) throw Error(destination, "cannot create folder: " + ec.message());
  const fs::path staging = destination / (".nnse-extract-" + archive_file.filename().string() + "-" + std::to_string(::getpid()));
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) throw Error(staging, "cannot create folder: " + ec.message());
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code e;
      if (!path.empty()) fs::remove_all(path, e);
    }
  } cleanup{staging};

  archive* reader = archive_read_new();
  archive* writer = archive_write_disk_new();
  ArchiveCloser closer{reader, writer};
  archive_read_support_filter_all(reader);
  archive_read_support_format_all(reader);
  // Entries are checked above all by safe_relative() below; these flags are a second line of defence (not
  // NOABSOLUTEPATHS: every entry is rewritten to an absolute path inside the staging folder).
  archive_write_disk_set_options(writer, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                             ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  auto fail = [&](const std::string& problem) -> void { throw Error(archive_file, problem); };
  if (archive_read_open_filename(reader, archive_file.c_str(), 1 << 20) != ARCHIVE_OK) {
    fail(std::string("cannot open archive: ") + archive_error_string(reader));
  }
  ProgressBar bar("extracting " + archive_file.filename().string(), progress);
  const auto archive_bytes = file_size_or_zero(archive_file);
  std::size_t files = 0;
  for (;;) {
    archive_entry* entry = nullptr;
    const int r = archive_read_next_header(reader, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) fail(std::string("corrupted archive: ") + archive_error_string(reader));
    const char* raw = archive_entry_pathname(entry);
    const std::string name = raw ? raw : "";
    if (!safe_relative(name)) fail("refusing unsafe entry '" + name + "' (absolute path or '..')");
    const auto type = archive_entry_filetype(entry);
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
      fail("refusing entry '" + name + "': not a regular file, folder or link");
    }
    if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(entry);
      const fs::path resolved = (fs::path(name).parent_path() / (target ? target : "")).lexically_normal();
      if (!target || !safe_relative(target) || !safe_relative(resolved.generic_string())) {
        fail("refusing link '" + name + "' pointing outside the archive");
      }
    }
    if (const char* hardlink = archive_entry_hardlink(entry)) {
      if (!safe_relative(hardlink)) fail("refusing hard link '" + name + "' pointing outside the archive");
      archive_entry_set_hardlink(entry, (staging / hardlink).c_str());
    }
    archive_entry_set_pathname(entry, (staging / name).c_str());
    if (archive_write_header(writer, entry) < ARCHIVE_WARN) fail("cannot extract '" + name + "': " + archive_error_string(writer));
    if (archive_entry_size(entry) > 0) {
      const void* block = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      for (;;) {
        const int rr = archive_read_data_block(reader, &block, &size, &offset);
        if (rr == ARCHIVE_EOF) break;
        if (rr < ARCHIVE_WARN) fail("corrupted archive at '" + name + "': " + archive_error_string(reader));
        if (archive_write_data_block(writer, block, size, offset) < ARCHIVE_WARN) {
          fail("cannot write '" + name + "': " + archive_error_string(writer));
        }
      }
    }
    if (archive_write_finish_entry(writer) < ARCHIVE_WARN) fail("cannot finish '" + name + "': " + archive_error_string(writer));
    ++files;
    const la_int64_t consumed = archive_filter_bytes(reader, -1);
    bar.update(static_cast<std::uint64_t>(std::max<la_int64_t>(consumed, 0)), archive_bytes);
  }
  bar.finish();
  if (files == 0) fail("the archive is empty");
  if (!must_create.empty() && !fs::exists(staging / must_create)) {
    fail("the archive does not contain '" + must_create + "' (wrong file?)");
  }
  for (const auto& entry : fs::directory_iterator(staging)) merge_into(entry.path(), destination / entry.path().filename());
  spdlog::info("{}: extracted {} entries into {}", archive_file.string(), files, destination.string());
}

}  // namespace nnse::data
