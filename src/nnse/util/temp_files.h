#pragma once
// Temporary files ("<target>.tmp-<pid>") that must not outlive the process that writes them.
//
// A write registers its temporary while it exists. On SIGINT, SIGTERM or SIGHUP the handler installed by
// install_temp_file_cleanup() unlinks every registered temporary (then removes registered folders, once empty) and re-raises the signal with its default
// action, so Ctrl-C in `nnse enhance` leaves no half-written 200 MB file behind and the exit status still says
// "killed by SIGINT". kill -9 cannot be caught: remove_stale_temp_files() sweeps what a dead process left, the
// first time a run writes into a folder.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace nnse {

// "<target>.tmp-<this pid>": the one spelling of a temporary, so the sweep below recognises them.
std::filesystem::path temporary_path_for(const std::filesystem::path& target);

// Registers a temporary for removal on a fatal signal for as long as the object lives. Registration is best
// effort: with more simultaneous temporaries than the fixed table holds (signal handlers cannot allocate), the
// extra ones are only removed by their writers and by the stale sweep.
class TempFileRegistration {
 public:
  explicit TempFileRegistration(const std::filesystem::path& temporary);
  ~TempFileRegistration();
  TempFileRegistration(const TempFileRegistration&) = delete;
  TempFileRegistration& operator=(const TempFileRegistration&) = delete;

 private:
  int slot_ = -1;
};

// A private folder "<system temp>/nnse-<tag>-<pid>-<n>" for the files handed to an external tool (--pesq-cmd,
// --peer-cmd), removed with everything in it when the object goes. The folder and the files named through
// file() are registered like the temporaries above, so a fatal signal removes them too (a tool's own extra files
// only go with the destructor).
class ScratchFolder {
 public:
  explicit ScratchFolder(const std::string& tag);
  ~ScratchFolder();
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // path() / name, registered for removal on a fatal signal; the file itself is not created.
  std::filesystem::path file(const std::string& name);

 private:
  std::filesystem::path path_;
  std::vector<std::unique_ptr<TempFileRegistration>> registrations_;
};

// Installs the SIGINT / SIGTERM / SIGHUP handler (idempotent). Commands that handle SIGINT themselves (graceful
// stop in `nnse data`) may replace it for a while and restore it afterwards.
void install_temp_file_cleanup();

// Removes "<name>.tmp-<pid>" files in `folder` whose pid is no longer a running process. Each folder is swept
// once per process (writing thousands of shards into one folder does not list it thousands of times).
// Returns how many files were removed.
std::size_t remove_stale_temp_files(const std::filesystem::path& folder);

}  // namespace nnse
