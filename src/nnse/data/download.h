#pragma once
// `nnse data --download NAME`: fetches a public corpus over HTTPS (libcurl) with a progress bar on stderr,
// resumes partial downloads (HTTP Range), verifies size, SHA-256 and MD5 where known, and extracts the archive
// with libarchive into the data folder. Extraction goes to a hidden temporary folder inside the data folder
// first; only a complete, verified extraction is moved into place, so a failed or interrupted run never leaves
// half an archive where the corpus readers would find it. Entries with absolute paths, '..' components, links
// pointing outside, or special files are refused.
//
// The URLs, sizes and checksums live in ONE table (download_table()). The base URL can be replaced (a mirror,
// or the tests' loopback server) with --mirror or the NNSE_MIRROR environment variable.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace nnse::data {

struct DownloadEntry {
  std::string name;        // what --download takes, e.g. "librispeech-dev-clean"
  std::string path;        // below the base URL, e.g. "resources/12/dev-clean.tar.gz"
  std::uint64_t size = 0;  // bytes; 0 = unknown
  std::string sha256;      // lower-case hex; empty = not published, not verified
  std::string md5;         // lower-case hex; empty = unknown
  std::string provides;    // the folder the archive must create, relative to the data folder
  std::string description;
};

inline constexpr const char* kDefaultMirror = "https://www.openslr.org";

const std::vector<DownloadEntry>& download_table();
// By name ("librispeech-dev-clean"; "dev-clean" works too); throws nnse::Error listing the known names.
const DownloadEntry& find_download(const std::string& name);
// `option` if not empty, else $NNSE_MIRROR if set, else kDefaultMirror; without a trailing slash.
std::string resolve_mirror(const std::string& option);
std::string download_url(const DownloadEntry& entry, const std::string& mirror);

struct DownloadOptions {
  std::string mirror;                 // resolved base URL (resolve_mirror)
  int attempts = 5;                   // transfers tried (each resumes where the last one stopped)
  double retry_delay_seconds = 2.0;   // before the 2nd attempt; doubles each time
  long connect_timeout_seconds = 30;
  long stall_timeout_seconds = 60;    // a transfer slower than 1 byte/s for this long is abandoned
  bool progress = true;               // progress bar on stderr
  bool keep_archive = false;          // keep DATA/downloads/<archive> after extraction
};

struct Expected {
  std::uint64_t size = 0;  // 0 = unknown
  std::string sha256, md5;
};

// Downloads `url` to `file`, through `file`.part which a later call resumes. Verifies what `expected` knows;
// on a checksum or size mismatch the download is deleted and nnse::Error says so. Returns the SHA-256.
std::string download_file(const std::string& url, const std::filesystem::path& file, const Expected& expected,
                          const DownloadOptions& options);

// Extracts `archive` (tar, tar.gz, zip, ... as libarchive reads them) into `destination`: first into a temporary
// folder inside it, then moved into place (merging with folders that exist). Throws nnse::Error naming the
// archive for unsafe entries or a corrupted archive; then nothing of it is left in `destination`.
// `must_create` (relative path, may be empty) must exist in the archive.
void extract_archive(const std::filesystem::path& archive, const std::filesystem::path& destination,
                     const std::string& must_create = "", bool progress = false);

struct FetchResult {
  std::filesystem::path folder;  // data_dir / entry.provides
  bool already_present = false;
  std::string sha256;
};

// Download + verify + extract; skipped when an earlier run completed it (marker in DATA/.nnse-downloads/).
FetchResult fetch_dataset(const DownloadEntry& entry, const std::filesystem::path& data_dir,
                          const DownloadOptions& options);

}  // namespace nnse::data
