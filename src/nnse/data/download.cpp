#include "nnse/data/download.h"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "nnse/data/checksum.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"

namespace nnse::data {
namespace fs = std::filesystem;

// THE table of downloadable corpora. Sources of the numbers (none is made up):
//   LibriSpeech sizes and MD5s: OpenSLR's published https://www.openslr.org/resources/12/md5sum.txt and the
//     sizes Kaldi's egs/librispeech/s5/local/download_and_untar.sh checks;
//   LibriSpeech SHA-256s: the checksums torchaudio's LIBRISPEECH dataset verifies (_CHECKSUMS);
//   MUSAN size and MD5: as published with OpenSLR resource 17 and checked by several public recipes. No SHA-256
//     is published for MUSAN, so its SHA-256 is empty: verified when known, i.e. not verified; size and MD5 are.
const std::vector<DownloadEntry>& download_table() {
  static const std::vector<DownloadEntry> table = {
      {"librispeech-train-clean-100", "resources/12/train-clean-100.tar.gz", 6387309499ULL,
       "d4ddd1d5a6ab303066f14971d768ee43278a5f2a0aa43dc716b0e64ecbbbf6e2", "2a93770f6d5c6c964bc36631d331a522",
       "LibriSpeech/train-clean-100", "LibriSpeech, 100 h of clean read English (train split)"},
      {"librispeech-train-clean-360", "resources/12/train-clean-360.tar.gz", 23049477885ULL,
       "146a56496217e96c14334a160df97fffedd6e0a04e66b9c5af0d40be3c792ecf", "c0e676e450a7ff2f54aeade5171606fa",
       "LibriSpeech/train-clean-360", "LibriSpeech, 360 h of clean read English (train split; the reference's)"},
      {"librispeech-dev-clean", "resources/12/dev-clean.tar.gz", 337926286ULL,
       "76f87d090650617fca0cac8f88b9416e0ebf80350acb97b343a85fa903728ab3", "42e2234ba48799c1f50f24a7926300a1",
       "LibriSpeech/dev-clean", "LibriSpeech dev-clean, 5.4 h (valid split)"},
      {"librispeech-test-clean", "resources/12/test-clean.tar.gz", 346663984ULL,
       "39fde525e59672dc6d1551919b1478f724438a95aa55f874b576be21967e6c23", "32fa31d27d2e1cad72775fee3f4849a9",
       "LibriSpeech/test-clean", "LibriSpeech test-clean, 5.4 h (test split)"},
      {"musan", "resources/17/musan.tar.gz", 11086114085ULL, /* no published SHA-256 */ "",
       "0c472d4fc0c5141eca47ad1ffeb2a7df", "musan", "MUSAN music, noise (and speech, never used), 109 h"},
  };
  return table;
}

const DownloadEntry& find_download(const std::string& name) {
  std::string known;
  for (const auto& entry : download_table()) {
    if (entry.name == name || entry.name == "librispeech-" + name) return entry;
    known += (known.empty() ? "" : ", ") + entry.name;
  }
  throw Error("--download", "unknown corpus '" + name + "' (known: " + known + ")");
}

std::string resolve_mirror(const std::string& option) {
  std::string mirror = option;
  if (mirror.empty()) {
    const char* env = std::getenv("NNSE_MIRROR");
    if (env && *env) mirror = env;
  }
  if (mirror.empty()) mirror = kDefaultMirror;
  while (!mirror.empty() && mirror.back() == '/') mirror.pop_back();
  if (mirror.rfind("https://", 0) != 0 && mirror.rfind("http://", 0) != 0) {
    throw Error("--mirror", "'" + mirror + "' is not an http(s) URL");
  }
  return mirror;
}

std::string download_url(const DownloadEntry& entry, const std::string& mirror) {
  return resolve_mirror(mirror) + "/" + entry.path;
}

namespace {

std::once_flag curl_once;

std::string human_bytes(double bytes) {
  char buffer[32];
  if (bytes >= 1e9) std::snprintf(buffer, sizeof(buffer), "%.2f GB", bytes / 1e9);
  else std::snprintf(buffer, sizeof(buffer), "%.1f MB", bytes / 1e6);
  return buffer;
}

// One line on stderr, redrawn in place on a terminal; elsewhere (logs, CI) a line every 10 %.
class ProgressBar {
 public:
  ProgressBar(std::string label, bool enabled) : label_(std::move(label)), enabled_(enabled), tty_(::isatty(2) == 1) {}
  void update(std::uint64_t done, std::uint64_t total) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!started_) {
      started_ = true;
      start_ = now;
      start_bytes_ = done;
    }
    const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0;
    if (tty_) {
      if (now - last_ < std::chrono::milliseconds(200) && done != total) return;
    } else {
      const int decile = static_cast<int>(fraction * 10);
      if (decile == last_decile_) return;
      last_decile_ = decile;
    }
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(done - start_bytes_) / seconds : 0.0;
    char line[256];
    if (total > 0) {
      const int width = 30;
      const int filled = static_cast<int>(fraction * width);
      std::string bar(static_cast<std::size_t>(filled), '#');
      bar.resize(width, '.');
      const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0.0;
      std::snprintf(line, sizeof(line), "%s [%s] %5.1f%% %s / %s  %s/s  ETA %d:%02d", label_.c_str(), bar.c_str(),
                    100.0 * fraction, human_bytes(static_cast<double>(done)).c_str(),
                    human_bytes(static_cast<double>(total)).c_str(), human_bytes(rate).c_str(),
                    static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
    } else {
      std::snprintf(line, sizeof(line), "%s %s  %s/s", label_.c_str(), human_bytes(static_cast<double>(done)).c_str(),
                    human_bytes(rate).c_str());
    }
    std::fprintf(stderr, tty_ ? "\r%s\033[K" : "%s\n", line);
    std::fflush(stderr);
    drawn_ = true;
  }
  void finish() {
    if (enabled_ && tty_ && drawn_) std::fprintf(stderr, "\n");
    drawn_ = false;
  }

 private:
  std::string label_;
  bool enabled_, tty_;
  bool started_ = false, drawn_ = false;
  std::chrono::steady_clock::time_point start_{}, last_{};
  std::uint64_t start_bytes_ = 0;
  int last_decile_ = -1;
};

struct Transfer {
  std::FILE* file = nullptr;
  std::uint64_t offset = 0;     // bytes already in the file when this attempt started
  std::uint64_t written = 0;    // bytes written by this attempt
  std::uint64_t expected = 0;   // total size when known
  bool checked = false;         // response code / length inspected
  std::string refusal;          // set when the callback aborts the transfer on purpose
  CURL* curl = nullptr;
  ProgressBar* bar = nullptr;
};

std::size_t on_data(char* data, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (!t.checked) {
    t.checked = true;
    long code = 0;
    curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &code);
    if (t.offset > 0 && code == 200) {
      // The server ignored the Range request and sends the whole file: start the file over.
      if (std::fflush(t.file) != 0 || ::ftruncate(::fileno(t.file), 0) != 0 || std::fseek(t.file, 0, SEEK_SET) != 0) {
        t.refusal = "cannot restart the partial file";
        return 0;
      }
      t.offset = 0;
    }
    curl_off_t length = -1;
    curl_easy_getinfo(t.curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    if (t.expected > 0 && length >= 0 && t.offset + static_cast<std::uint64_t>(length) != t.expected) {
      t.refusal = "the server offers " + std::to_string(t.offset + static_cast<std::uint64_t>(length)) +
                  " bytes but the table says " + std::to_string(t.expected) + " (wrong file or mirror)";
      return 0;
    }
  }
  if (t.expected > 0 && t.offset + t.written + bytes > t.expected) {
    t.refusal = "the server sends more than the expected " + std::to_string(t.expected) + " bytes";
    return 0;
  }
  if (std::fwrite(data, 1, bytes, t.file) != bytes) {
    t.refusal = std::string("cannot write the download: ") + std::strerror(errno);
    return 0;
  }
  t.written += bytes;
  return bytes;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto& t = *static_cast<Transfer*>(user);
  const std::uint64_t all = t.expected > 0 ? t.expected : (total > 0 ? t.offset + static_cast<std::uint64_t>(total) : 0);
  if (t.bar) t.bar->update(t.offset + static_cast<std::uint64_t>(std::max<curl_off_t>(now, 0)), all);
  return 0;
}

std::uint64_t file_size_or_zero(const fs::path& file) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  return ec ? 0 : size;
}

bool retryable(CURLcode code, long http) {
  switch (code) {
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    case CURLE_HTTP_RETURNED_ERROR:
      return http >= 500 || http == 408 || http == 429;
    default:
      return false;
  }
}

}  // namespace

std::string download_file(const std::string& url, const fs::path& file, const Expected& expected,
                          const DownloadOptions& options) {
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::error_code ec;
  if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
  const fs::path part = fs::path(file.string() + ".part");
  ProgressBar bar(file.filename().string(), options.progress);
  double delay = options.retry_delay_seconds;
  std::string last_error;
  bool complete = false;
  bool restarted = false;
  for (int attempt = 1; attempt <= std::max(1, options.attempts) && !complete; ++attempt) {
    std::uint64_t offset = file_size_or_zero(part);
    if (expected.size > 0 && offset > expected.size) {
      fs::remove(part, ec);  // longer than the real file: cannot be a prefix of it
      offset = 0;
    }
    if (expected.size > 0 && offset == expected.size) {
      complete = true;  // an earlier run got every byte; only the verification was left
      break;
    }
    if (offset > 0) spdlog::info("{}: resuming at byte {}", url, offset);
    std::FILE* f = std::fopen(part.c_str(), offset > 0 ? "ab" : "wb");
    if (!f) throw Error(part, std::string("cannot open for writing: ") + std::strerror(errno));
    CURL* curl = curl_easy_init();
    if (!curl) {
      std::fclose(f);
      throw Error(url, "cannot initialise libcurl");
    }
    Transfer t;
    t.file = f;
    t.offset = offset;
    t.expected = expected.size;
    t.curl = curl;
    t.bar = &bar;
    char curl_error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "nnse/0.1 (libcurl)");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_seconds);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options.stall_timeout_seconds);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    if (offset > 0) curl_easy_setopt(curl, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(offset));
    const CURLcode code = curl_easy_perform(curl);
    long http = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
    curl_easy_cleanup(curl);
    const bool closed = std::fclose(f) == 0;
    bar.finish();
    if (!t.refusal.empty()) {
      fs::remove(part, ec);
      throw Error(url, t.refusal);
    }
    if (code == CURLE_OK) {
      if (!closed) throw Error(part, "write failed (disk full?)");
      complete = true;
      break;
    }
    last_error = curl_error[0] ? curl_error : curl_easy_strerror(code);
    if (http >= 400) last_error = "HTTP " + std::to_string(http) + " (" + last_error + ")";
    if (code == CURLE_RANGE_ERROR && !restarted) {
      // The server cannot resume (no Range support): start over once, without counting it as a failed attempt.
      spdlog::warn("{}: the server cannot resume downloads; starting over", url);
      fs::remove(part, ec);
      restarted = true;
      --attempt;
      continue;
    }
    if (http == 416) {
      // "Range not satisfiable": the partial file cannot be continued (the file changed); start over.
      fs::remove(part, ec);
    } else if (!retryable(code, http)) {
      if (file_size_or_zero(part) == 0) fs::remove(part, ec);
      throw Error(url, "download failed: " + last_error);
    }
    if (attempt < options.attempts) {
      spdlog::warn("{}: transfer interrupted ({}); retrying in {:.0f} s ({} of {})", url, last_error, delay, attempt + 1,
                   options.attempts);
      std::this_thread::sleep_for(std::chrono::duration<double>(delay));
      delay *= 2;
    }
  }
  if (!complete) {
    throw Error(url, "download failed after " + std::to_string(options.attempts) + " attempts: " + last_error +
                         "; the partial file " + part.string() + " is kept and a new run resumes it");
  }

  const FileDigests digests = digest_file(part);
  auto reject = [&](const std::string& what) {
    fs::remove(part, ec);
    throw Error(url, what + "; the download was deleted (corrupted transfer or a bad mirror): run the command again");
  };
  if (expected.size > 0 && digests.size != expected.size) {
    reject("size mismatch: expected " + std::to_string(expected.size) + " bytes, got " + std::to_string(digests.size));
  }
  if (!expected.sha256.empty() && digests.sha256 != expected.sha256) {
    reject("SHA-256 mismatch: expected " + expected.sha256 + ", got " + digests.sha256);
  }
  if (!expected.md5.empty() && digests.md5 != expected.md5) {
    reject("MD5 mismatch: expected " + expected.md5 + ", got " + digests.md5);
  }
  fs::rename(part, file, ec);
  if (ec) throw Error(file, "cannot move the download into place: " + ec.message());
  return digests.sha256;
}

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

FetchResult fetch_dataset(const DownloadEntry& entry, const fs::path& data_dir, const DownloadOptions& options) {
  FetchResult result;
  result.folder = data_dir / entry.provides;
  const fs::path marker = data_dir / ".nnse-downloads" / (entry.name + ".json");
  std::error_code ec;
  if (fs::exists(marker) && fs::exists(result.folder)) {
    try {
      const auto done = nlohmann::json::parse(read_file_bytes(marker));
      if (done.value("path", std::string()) == entry.path && done.value("complete", false)) {
        result.already_present = true;
        result.sha256 = done.value("sha256", std::string());
        spdlog::info("{}: already downloaded and extracted ({})", entry.name, result.folder.string());
        return result;
      }
    } catch (const std::exception&) {
      // An unreadable marker: fetch again.
    }
  }
  const std::string url = download_url(entry, options.mirror);
  const fs::path archive_file = data_dir / "downloads" / fs::path(entry.path).filename();
  if (fs::exists(archive_file)) {
    // An earlier run downloaded but did not finish extracting: verify the archive again before using it.
    fs::rename(archive_file, fs::path(archive_file.string() + ".part"), ec);
  }
  spdlog::info("{}: downloading {}", entry.name, url);
  result.sha256 = download_file(url, archive_file, {entry.size, entry.sha256, entry.md5}, options);
  try {
    extract_archive(archive_file, data_dir, entry.provides, options.progress);
  } catch (const Error&) {
    // A damaged archive that passed the checks that are known for it: do not keep it for the next run.
    fs::remove(archive_file, ec);
    throw;
  }
  write_file_atomic(marker, nlohmann::json{{"name", entry.name},
                                           {"path", entry.path},
                                           {"url", url},
                                           {"size", fs::file_size(archive_file)},
                                           {"sha256", result.sha256},
                                           {"complete", true}}
                                    .dump(2) + "\n");
  if (!options.keep_archive) fs::remove(archive_file, ec);
  return result;
}

}  // namespace nnse::data
