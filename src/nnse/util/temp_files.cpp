#include "nnse/util/temp_files.h"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <set>

#include "nnse/util/error.h"

namespace nnse {
namespace fs = std::filesystem;

namespace {

// Fixed storage: the signal handler may only read memory that already exists and call async-signal-safe
// functions (unlink, signal, raise).
constexpr int kSlots = 256;
constexpr std::size_t kPathBytes = 4096;
enum SlotState : int { kFree = 0, kClaimed = 1, kReady = 2 };
std::array<std::atomic<int>, kSlots> slot_state{};
char slot_path[kSlots][kPathBytes];

void on_fatal_signal(int signal_number) {
  for (int i = 0; i < kSlots; ++i) {
    if (slot_state[static_cast<std::size_t>(i)].load(std::memory_order_acquire) == kReady) ::unlink(slot_path[i]);
  }
  // Then the registered folders (ScratchFolder), now that their registered files are gone; rmdir leaves a
  // folder that still holds anything, and fails harmlessly on the paths that were files.
  for (int i = 0; i < kSlots; ++i) {
    if (slot_state[static_cast<std::size_t>(i)].load(std::memory_order_acquire) == kReady) ::rmdir(slot_path[i]);
  }
  // Die of the same signal, so the parent shell sees "interrupted" (exit status 128 + signal), not success.
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

// Digits after the last ".tmp-" of a file name, or -1 when it is not a temporary's name.
long temporary_owner(const std::string& name) {
  const std::size_t at = name.rfind(".tmp-");
  if (at == std::string::npos || at + 5 >= name.size()) return -1;
  long pid = 0;
  for (std::size_t i = at + 5; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || pid > 100000000) return -1;
    pid = pid * 10 + (name[i] - '0');
  }
  return pid;
}

bool process_is_gone(long pid) { return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

}  // namespace

fs::path temporary_path_for(const fs::path& target) {
  return fs::path(target.string() + ".tmp-" + std::to_string(::getpid()));
}

TempFileRegistration::TempFileRegistration(const fs::path& temporary) {
  const std::string text = temporary.string();
  if (text.size() >= kPathBytes) return;
  for (int i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (slot_state[static_cast<std::size_t>(i)].compare_exchange_strong(expected, kClaimed)) {
      std::memcpy(slot_path[i], text.c_str(), text.size() + 1);
      slot_state[static_cast<std::size_t>(i)].store(kReady, std::memory_order_release);
      slot_ = i;
      return;
    }
  }
}

TempFileRegistration::~TempFileRegistration() {
  if (slot_ >= 0) slot_state[static_cast<std::size_t>(slot_)].store(kFree, std::memory_order_release);
}

ScratchFolder::ScratchFolder(const std::string& tag) {
  static std::atomic<int> counter{0};
  path_ = fs::temp_directory_path() / ("nnse-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::error_code ec;
  fs::create_directories(path_, ec);
  if (ec) throw Error(path_, "cannot create a scratch folder (" + ec.message() + ")");
  registrations_.push_back(std::make_unique<TempFileRegistration>(path_));
}

ScratchFolder::~ScratchFolder() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path ScratchFolder::file(const std::string& name) {
  fs::path file = path_ / name;
  registrations_.push_back(std::make_unique<TempFileRegistration>(file));
  return file;
}

void install_temp_file_cleanup() {
  for (const int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction action {};
    action.sa_handler = &on_fatal_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(signal_number, &action, nullptr);
  }
}

std::size_t remove_stale_temp_files(const fs::path& folder) {
  static std::mutex mutex;
  static std::set<fs::path> swept;
  std::error_code ec;
  const fs::path key = fs::weakly_canonical(folder.empty() ? fs::path(".") : folder, ec);
  {
    std::lock_guard lock(mutex);
    if (!swept.insert(ec ? folder : key).second) return 0;
  }
  std::size_t removed = 0;
  const long self = static_cast<long>(::getpid());
  for (fs::directory_iterator it(folder.empty() ? fs::path(".") : folder, ec), end; !ec && it != end; it.increment(ec)) {
    const long owner = temporary_owner(it->path().filename().string());
    if (owner < 0 || owner == self || !it->is_regular_file(ec) || !process_is_gone(owner)) continue;
    if (fs::remove(it->path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace nnse
