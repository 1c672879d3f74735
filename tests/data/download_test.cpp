// Downloads end to end against a small HTTP server on 127.0.0.1 started by the test (POSIX sockets, one thread,
// Range requests, a mode that cuts the connection after N bytes), serving tiny archives built here with libarchive
// in the real corpora's layouts. Every socket operation has a timeout and every loop a bound, so nothing can hang.
#include <archive.h>
#include <archive_entry.h>
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "data_fixtures.h"
#include "nnse/data/checksum.h"
#include "nnse/data/corpus.h"
#include "nnse/data/download.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::data {
namespace {
namespace fs = std::filesystem;

class LoopbackServer {
 public:
  struct Request {
    std::string path;
    std::int64_t range_start = -1;  // -1: no Range header
  };

  LoopbackServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listener_ < 0) throw std::runtime_error("socket");
    const int yes = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1 only
    address.sin_port = 0;                              // any free port
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || ::listen(listener_, 8) != 0) {
      throw std::runtime_error("bind/listen");
    }
    socklen_t length = sizeof(address);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }

  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void put(const std::string& path, std::string content) {
    std::lock_guard lock(mutex_);
    files_[path] = std::move(content);
  }
  // The next `responses` responses send only `bytes` body bytes, then drop the connection.
  void cut(std::size_t bytes, int responses = 1) {
    std::lock_guard lock(mutex_);
    cut_bytes_ = bytes;
    cuts_left_ = responses;
  }
  void ignore_range(bool ignore) { ignore_range_ = ignore; }
  std::vector<Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    // Bounded by stop_: poll wakes up every 50 ms.
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      timeval timeout{2, 0};
      ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
      ::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
      handle(client);
      ::close(client);
    }
  }

  void handle(int client) {
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
      const ssize_t got = ::recv(client, buffer, sizeof(buffer), 0);
      if (got <= 0) return;
      request.append(buffer, static_cast<std::size_t>(got));
    }
    std::smatch m;
    if (!std::regex_search(request, m, std::regex("^GET ([^ ]+) HTTP/1\\.[01]"))) return;
    Request r;
    r.path = m[1];
    if (std::regex_search(request, m, std::regex("\r\nRange: bytes=([0-9]+)-", std::regex::icase))) {
      r.range_start = std::stoll(m[1]);
    }
    std::string content;
    bool found = false;
    std::size_t limit = std::string::npos;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(r);
      const auto it = files_.find(r.path);
      if (it != files_.end()) {
        found = true;
        content = it->second;
      }
      if (cuts_left_ > 0) {
        --cuts_left_;
        limit = cut_bytes_;
      }
    }
    if (!found) {
      send_all(client, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    std::size_t start = 0;
    std::string head;
    if (r.range_start >= 0 && !ignore_range_) {
      start = static_cast<std::size_t>(r.range_start);
      if (start >= content.size()) {
        send_all(client, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
      }
      head = "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + std::to_string(start) + "-" +
             std::to_string(content.size() - 1) + "/" + std::to_string(content.size()) + "\r\n";
    } else {
      head = "HTTP/1.1 200 OK\r\n";
    }
    head += "Content-Length: " + std::to_string(content.size() - start) + "\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n";
    send_all(client, head);
    const std::string body = content.substr(start, std::min(limit, content.size() - start));
    send_all(client, body);
  }

  static void send_all(int client, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(client, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> ignore_range_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> files_;
  std::vector<Request> requests_;
  std::size_t cut_bytes_ = 0;
  int cuts_left_ = 0;
};

struct Entry {
  std::string name;
  std::string content;
  bool symlink = false;  // content is the link target
};

// A .tar.gz built with libarchive.
std::string make_tar_gz(const fs::path& file, const std::vector<Entry>& entries) {
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  if (archive_write_open_filename(a, file.c_str()) != ARCHIVE_OK) throw std::runtime_error("archive open");
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    if (e.symlink) {
      archive_entry_set_filetype(entry, AE_IFLNK);
      archive_entry_set_symlink(entry, e.content.c_str());
      archive_entry_set_perm(entry, 0777);
      archive_write_header(a, entry);
    } else {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_perm(entry, 0644);
      archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
      archive_write_header(a, entry);
      archive_write_data(a, e.content.data(), e.content.size());
    }
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  return read_file_bytes(file);
}

std::string flac_bytes(const fs::path& scratch, std::uint32_t seed) {
  const fs::path file = scratch / ("tmp-" + std::to_string(seed) + ".flac");
  test::write_audio(file, test::tone_burst(0.5, seed));
  return read_file_bytes(file);
}

// A miniature of the real dev-clean archive: LibriSpeech/dev-clean/<speaker>/<chapter>/<utt>.flac.
std::string mini_librispeech(const fs::path& scratch) {
  std::vector<Entry> entries = {{"LibriSpeech/README.TXT", "LibriSpeech ASR corpus (miniature)\n"}};
  for (int speaker = 0; speaker < 3; ++speaker) {
    for (int utt = 0; utt < 4; ++utt) {
      const std::string id = std::to_string(84 + speaker) + "-121123-000" + std::to_string(utt);
      entries.push_back({"LibriSpeech/dev-clean/" + std::to_string(84 + speaker) + "/121123/" + id + ".flac",
                         flac_bytes(scratch, static_cast<std::uint32_t>(10 * speaker + utt))});
    }
    entries.push_back({"LibriSpeech/dev-clean/" + std::to_string(84 + speaker) + "/121123/trans.txt", "TEXT\n"});
  }
  return make_tar_gz(scratch / "dev-clean.tar.gz", entries);
}

DownloadEntry entry_for(const std::string& content, const std::string& path = "resources/12/dev-clean.tar.gz") {
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(content.data()), content.size());
  return {"test-dev-clean", path, content.size(), sha256_hex(bytes), md5_hex(bytes), "LibriSpeech/dev-clean", "test"};
}

DownloadOptions fast_options(const LoopbackServer& server) {
  DownloadOptions o;
  o.mirror = server.base();
  o.attempts = 1;
  o.retry_delay_seconds = 0.0;
  o.connect_timeout_seconds = 5;
  o.stall_timeout_seconds = 5;
  o.progress = true;  // exercised; goes to stderr
  return o;
}

std::vector<std::string> hidden_leftovers(const fs::path& folder) {
  std::vector<std::string> out;
  if (!fs::exists(folder)) return out;
  for (const auto& e : fs::recursive_directory_iterator(folder)) {
    const std::string name = e.path().filename().string();
    if (name.find(".nnse-extract") != std::string::npos || name.find(".part") != std::string::npos) out.push_back(name);
  }
  return out;
}

using test::error_of;

TEST(Download, FetchesVerifiesAndExtractsIntoTheCorpusLayout) {
  test::ScratchDir dir("nnse-download");
  LoopbackServer server;
  const std::string archive = mini_librispeech(dir.path());
  server.put("/resources/12/dev-clean.tar.gz", archive);
  const fs::path data = dir / "data";
  const auto entry = entry_for(archive);
  const auto result = fetch_dataset(entry, data, fast_options(server));
  EXPECT_FALSE(result.already_present);
  EXPECT_EQ(result.sha256, entry.sha256);
  EXPECT_TRUE(fs::exists(data / "LibriSpeech/dev-clean/84/121123/84-121123-0000.flac"));
  EXPECT_TRUE(fs::exists(data / "LibriSpeech/README.TXT"));
  EXPECT_FALSE(fs::exists(data / "downloads/dev-clean.tar.gz"));  // removed after extraction (no --keep-archive)
  EXPECT_TRUE(hidden_leftovers(data).empty());
  // The data folder now works as a corpus: LibriSpeech dev-clean is the valid split.
  Corpus corpus({.speech = data}, 16000, nullptr);
  EXPECT_EQ(corpus.files(Split::valid).speech.size(), 12u);
  // A second run finds it done and does not download again.
  const auto before = server.requests().size();
  EXPECT_TRUE(fetch_dataset(entry, data, fast_options(server)).already_present);
  EXPECT_EQ(server.requests().size(), before);
}

TEST(Download, InterruptedTransferIsResumedWithARangeRequest) {
  test::ScratchDir dir("nnse-download");
  LoopbackServer server;
  const std::string archive = mini_librispeech(dir.path());
  server.put("/resources/12/dev-clean.tar.gz", archive);
  const auto entry = entry_for(archive);
  const fs::path file = dir / "data/downloads/dev-clean.tar.gz";
  const std::size_t cut = archive.size() / 3;
  server.cut(cut);
  const std::string url = download_url(entry, server.base());
  const std::string message = error_of([&] { download_file(url, file, {entry.size, entry.sha256, entry.md5}, fast_options(server)); });
  EXPECT_NE(message.find("kept"), std::string::npos) << message;
  ASSERT_TRUE(fs::exists(file.string() + ".part"));
  EXPECT_EQ(fs::file_size(file.string() + ".part"), cut);
  EXPECT_FALSE(fs::exists(file));

  EXPECT_EQ(download_file(url, file, {entry.size, entry.sha256, entry.md5}, fast_options(server)), entry.sha256);
  EXPECT_EQ(read_file_bytes(file), archive);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].range_start, -1);
  EXPECT_EQ(requests[1].range_start, static_cast<std::int64_t>(cut));  // resumed, not restarted
}

TEST(Download, RetriesWithinOneRunAndRestartsWhenTheServerIgnoresRange) {
  test::ScratchDir dir("nnse-download");
  LoopbackServer server;
  const std::string archive = mini_librispeech(dir.path());
  server.put("/resources/12/dev-clean.tar.gz", archive);
  const auto entry = entry_for(archive);
  DownloadOptions options = fast_options(server);
  options.attempts = 4;
  server.cut(1000, 2);  // two broken connections, then a good one
  const fs::path file = dir / "a/dev-clean.tar.gz";
  EXPECT_EQ(download_file(download_url(entry, server.base()), file, {entry.size, entry.sha256, ""}, options), entry.sha256);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].range_start, 1000);
  EXPECT_EQ(requests[2].range_start, 2000);

  // A server without Range support answers 200 with the whole file: the partial file is started over.
  server.ignore_range(true);
  const fs::path other = dir / "b/dev-clean.tar.gz";
  fs::create_directories(other.parent_path());
  write_file_atomic(fs::path(other.string() + ".part"), archive.substr(0, 500));
  EXPECT_EQ(download_file(download_url(entry, server.base()), other, {entry.size, entry.sha256, ""}, options), entry.sha256);
  EXPECT_EQ(read_file_bytes(other), archive);
}

TEST(Download, CorruptedDownloadIsRejectedAndNothingIsExtracted) {
  test::ScratchDir dir("nnse-download");
  LoopbackServer server;
  const std::string archive = mini_librispeech(dir.path());
  std::string corrupted = archive;
  corrupted[corrupted.size() / 2] ^= 0x55;
  server.put("/resources/12/dev-clean.tar.gz", corrupted);
  const auto entry = entry_for(archive);  // the checksums of the good archive
  const fs::path data = dir / "data";
  const std::string message = error_of([&] { fetch_dataset(entry, data, fast_options(server)); });
  EXPECT_NE(message.find("SHA-256 mismatch"), std::string::npos) << message;
  EXPECT_NE(message.find(entry.sha256), std::string::npos);
  EXPECT_FALSE(fs::exists(data / "LibriSpeech"));
  EXPECT_FALSE(fs::exists(data / "downloads/dev-clean.tar.gz"));
  EXPECT_TRUE(hidden_leftovers(data).empty());

  // A wrong size is refused before the body is even stored.
  DownloadEntry wrong_size = entry;
  wrong_size.size += 10;
  const std::string size_message = error_of([&] { fetch_dataset(wrong_size, data, fast_options(server)); });
  EXPECT_NE(size_message.find("bytes"), std::string::npos) << size_message;
  EXPECT_FALSE(fs::exists(data / "LibriSpeech"));
}

TEST(Download, ArchiveBrokenHalfwayLeavesNothingExtracted) {
  // Checksums unknown (as for a corpus without published hashes): the damage shows only while extracting.
  test::ScratchDir dir("nnse-download");
  LoopbackServer server;
  const std::string archive = mini_librispeech(dir.path());
  const std::string truncated = archive.substr(0, archive.size() * 2 / 3);
  server.put("/resources/12/dev-clean.tar.gz", truncated);
  DownloadEntry entry = entry_for(truncated);
  entry.sha256.clear();
  entry.md5.clear();
  entry.size = 0;
  const fs::path data = dir / "data";
  const std::string message = error_of([&] { fetch_dataset(entry, data, fast_options(server)); });
  EXPECT_NE(message.find("archive"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(data / "LibriSpeech"));  // although its first files were readable
  EXPECT_TRUE(hidden_leftovers(data).empty());
  EXPECT_FALSE(fs::exists(data / ".nnse-downloads" / (entry.name + ".json")));
}

TEST(Download, UnsafeArchiveEntriesAreRefused) {
  test::ScratchDir dir("nnse-download");
  const fs::path target = dir / "data";
  const std::vector<std::vector<Entry>> evil = {
      {{"musan/noise/a.wav", "x"}, {"../escaped.txt", "owned"}},
      {{"/tmp/nnse-absolute-escape.txt", "owned"}},
      {{"musan/../../escaped.txt", "owned"}},
      {{"musan/link", "../../", true}, {"musan/noise/b.wav", "x"}},
  };
  for (std::size_t i = 0; i < evil.size(); ++i) {
    const fs::path file = dir / ("evil" + std::to_string(i) + ".tar.gz");
    make_tar_gz(file, evil[i]);
    const std::string message = error_of([&] { extract_archive(file, target, "musan"); });
    EXPECT_NE(message.find("refusing"), std::string::npos) << i << ": " << message;
    EXPECT_FALSE(fs::exists(dir / "escaped.txt"));
    EXPECT_FALSE(fs::exists("/tmp/nnse-absolute-escape.txt"));
    EXPECT_FALSE(fs::exists(target / "musan")) << i;
    EXPECT_TRUE(hidden_leftovers(target).empty());
  }
  // A MUSAN-shaped archive is fine, and merges with what is there.
  make_tar_gz(dir / "ok.tar.gz", {{"musan/noise/free-sound/noise-free-sound-0000.wav", flac_bytes(dir.path(), 1)},
                                  {"musan/README", "MUSAN"}});
  extract_archive(dir / "ok.tar.gz", target, "musan");
  make_tar_gz(dir / "ok2.tar.gz", {{"musan/music/rfm/music-rfm-0000.wav", flac_bytes(dir.path(), 2)}});
  extract_archive(dir / "ok2.tar.gz", target, "musan");
  EXPECT_TRUE(fs::exists(target / "musan/noise/free-sound/noise-free-sound-0000.wav"));
  EXPECT_TRUE(fs::exists(target / "musan/music/rfm/music-rfm-0000.wav"));
  const std::string missing = error_of([&] { extract_archive(dir / "ok2.tar.gz", target, "LibriSpeech/dev-clean"); });
  EXPECT_NE(missing.find("does not contain"), std::string::npos) << missing;
}

TEST(Download, TableHoldsTheRealCorporaAndTheMirrorIsOverridable) {
  for (const std::string name : {"librispeech-train-clean-100", "librispeech-train-clean-360", "librispeech-dev-clean",
                                 "librispeech-test-clean", "musan"}) {
    const auto& entry = find_download(name);
    EXPECT_GT(entry.size, 0u) << name;
    EXPECT_TRUE(entry.sha256.empty() || std::regex_match(entry.sha256, std::regex("[0-9a-f]{64}"))) << name;
    EXPECT_TRUE(std::regex_match(entry.md5, std::regex("[0-9a-f]{32}"))) << name;
    EXPECT_EQ(download_url(entry, "").rfind("https://www.openslr.org/resources/", 0), 0u) << name;
  }
  EXPECT_EQ(find_download("dev-clean").name, "librispeech-dev-clean");
  EXPECT_EQ(download_url(find_download("musan"), ""), "https://www.openslr.org/resources/17/musan.tar.gz");
  EXPECT_EQ(download_url(find_download("train-clean-100"), ""), "https://www.openslr.org/resources/12/train-clean-100.tar.gz");
  EXPECT_THROW(find_download("librispeech-everything"), Error);
  ::setenv("NNSE_MIRROR", "http://127.0.0.1:9/", 1);
  EXPECT_EQ(download_url(find_download("musan"), ""), "http://127.0.0.1:9/resources/17/musan.tar.gz");
  EXPECT_EQ(download_url(find_download("musan"), "https://mirror.example/"), "https://mirror.example/resources/17/musan.tar.gz");
  ::unsetenv("NNSE_MIRROR");
  EXPECT_THROW(resolve_mirror("ftp://example.org"), Error);
}

TEST(Download, MissingFileIsAClearError) {
  test::ScratchDir dir("nnse-download");
  LoopbackServer server;
  const auto entry = entry_for("whatever");
  const std::string message = error_of([&] { fetch_dataset(entry, dir / "data", fast_options(server)); });
  EXPECT_NE(message.find("404"), std::string::npos) << message;
  EXPECT_TRUE(hidden_leftovers(dir / "data").empty());
}

TEST(Download, CommandLineUsesTheTableAndTheMirror) {
  // The real table's dev-clean entry against the loopback mirror serving a miniature: the size check refuses it,
  // and the command says so on one line with a non-zero exit.
  test::ScratchDir dir("nnse-download");
  LoopbackServer server;
  server.put("/resources/12/dev-clean.tar.gz", mini_librispeech(dir.path()));
  const auto result = test::run_nnse("data --download dev-clean --data-dir " + (dir / "data").string() + " --mirror " +
                                     server.base());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("337926286"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(dir / "data/LibriSpeech"));
  ASSERT_FALSE(server.requests().empty());
  EXPECT_EQ(server.requests()[0].path, "/resources/12/dev-clean.tar.gz");
}

}  // namespace
}  // namespace nnse::data
