#include "nnse/data/download.h"

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
#include "nnse/data/progress_bar.h"
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

// Where a download resumes: the part file's size, or 0 when it is longer than the real file (then it cannot be a
// prefix of it and is deleted).
std::uint64_t resume_offset(const fs::path& part, const Expected& expected) {
  const std::uint64_t offset = file_size_or_zero(part);
  if (expected.size > 0 && offset > expected.size) {
    std::error_code ec;
    fs::remove(part, ec);
    return 0;
  }
  return offset;
}

void configure_transfer(CURL* curl, const std::string& url, const DownloadOptions& options, Transfer& t,
                        char* curl_error, std::uint64_t offset) {
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
}

// How one transfer attempt ended (error: empty when it completed).
struct Attempt {
  CURLcode code = CURLE_OK;
  long http = 0;
  std::string error;
};

// One transfer of `url`, appended to `part` from byte `offset`. Throws nnse::Error for what no retry can fix
// (the part file cannot be opened or written, the transfer was refused).
Attempt transfer_once(const std::string& url, const fs::path& part, std::uint64_t offset, const Expected& expected,
                      const DownloadOptions& options, ProgressBar& bar) {
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
  configure_transfer(curl, url, options, t, curl_error, offset);
  Attempt attempt;
  attempt.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &attempt.http);
  curl_easy_cleanup(curl);
  const bool closed = std::fclose(f) == 0;
  bar.finish();
  if (!t.refusal.empty()) {
    std::error_code ec;
    fs::remove(part, ec);
    throw Error(url, t.refusal);
  }
  if (attempt.code == CURLE_OK) {
    if (!closed) throw Error(part, "write failed (disk full?)");
    return attempt;
  }
  attempt.error = curl_error[0] ? curl_error : curl_easy_strerror(attempt.code);
  if (attempt.http >= 400) attempt.error = "HTTP " + std::to_string(attempt.http) + " (" + attempt.error + ")";
  return attempt;
}

// Checks the complete part file against what `expected` knows (a mismatch deletes it), then moves it into place.
// Returns its SHA-256.
std::string verify_and_install(const std::string& url, const fs::path& part, const fs::path& file,
                               const Expected& expected) {
  std::error_code ec;
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
    const std::uint64_t offset = resume_offset(part, expected);
    if (expected.size > 0 && offset == expected.size) {
      complete = true;  // an earlier run got every byte; only the verification was left
      break;
    }
    if (offset > 0) spdlog::info("{}: resuming at byte {}", url, offset);
    const Attempt result = transfer_once(url, part, offset, expected, options, bar);
    if (result.code == CURLE_OK) {
      complete = true;
      break;
    }
    last_error = result.error;
    if (result.code == CURLE_RANGE_ERROR && !restarted) {
      // The server cannot resume (no Range support): start over once, without counting it as a failed attempt.
      spdlog::warn("{}: the server cannot resume downloads; starting over", url);
      fs::remove(part, ec);
      restarted = true;
      --attempt;
      continue;
    }
    if (result.http == 416) {
      // "Range not satisfiable": the partial file cannot be continued (the file changed); start over.
      fs::remove(part, ec);
    } else if (!retryable(result.code, result.http)) {
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
  return verify_and_install(url, part, file, expected);
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
