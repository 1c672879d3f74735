// Issue 14, point 10: temporaries do not outlive their process. On the old code a signal left
// "<output>.tmp-<pid>" behind and nothing ever removed the ones of dead processes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include "nnse/util/output_path.h"
#include "nnse/util/temp_files.h"
#include "test_support.h"

namespace nnse {
namespace {
namespace fs = std::filesystem;

pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

TEST(TempFiles, ASignalRemovesRegisteredTemporariesAndStillKills) {
  test::ScratchDir dir;
  const fs::path target = dir / "out.wav";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    install_temp_file_cleanup();
    OutputFile output(target);
    std::ofstream(output.temporary()) << "half a file";
    std::raise(SIGTERM);
    ::_exit(3);  // not reached: the handler re-raises with the default action
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  EXPECT_FALSE(fs::exists(dir / ("out.wav.tmp-" + std::to_string(child))));
  EXPECT_FALSE(fs::exists(target));
}

TEST(TempFiles, StaleTemporariesOfDeadProcessesAreSweptWhenAFolderIsWritten) {
  test::ScratchDir dir;
  const fs::path stale = dir / ("epoch_3.tmp-" + std::to_string(dead_pid()));
  const fs::path live = dir / ("epoch_4.tmp-" + std::to_string(::getppid()));  // a running process: kept
  const fs::path unrelated = dir / "notes.tmp-draft";
  for (const auto& file : {stale, live, unrelated}) std::ofstream(file) << "x";
  OutputFile output(dir / "latest");
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(unrelated));
}

TEST(TempFiles, InterruptedEnhanceLeavesNoTemporary) {
  test::ScratchDir dir;
  // Ctrl-C while the output is being written (its temporary exists); afterwards the folder holds no temporary.
  const auto r = test::run_shell(
      "cd '" + dir.path().string() + "' || exit 1; "
      "sox -n -r 16000 -c 1 -b 16 long.wav synth 1200 sine 300 >/dev/null 2>&1 || exit 77; " +
      std::string(NNSE_BINARY) + " enhance long.wav out.wav >/dev/null 2>&1 & pid=$!; "
      "for i in $(seq 400); do ls out.wav.tmp-* >/dev/null 2>&1 && break; sleep 0.05; done; "
      "kill -INT $pid; wait $pid; echo status=$?; ls");
  if (r.exit_code == 77) GTEST_SKIP() << "sox is not installed";
  EXPECT_NE(r.output.find("status=130"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(".tmp-"), std::string::npos) << r.output;
}

TEST(TempFiles, AScratchFolderGoesWithItsObjectAndOnASignal) {
  fs::path kept;
  {
    ScratchFolder scratch("test");
    kept = scratch.path();
    EXPECT_TRUE(fs::is_directory(kept));
    EXPECT_EQ(kept.parent_path(), fs::temp_directory_path());
    std::ofstream(scratch.file("a.wav")) << "x";
    std::ofstream(scratch.path() / "made-by-a-tool.txt") << "y";
  }
  EXPECT_FALSE(fs::exists(kept));

  // Killed while a tool's files exist: the registered file and then the folder are removed.
  int pipe_ends[2];
  ASSERT_EQ(::pipe(pipe_ends), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    install_temp_file_cleanup();
    ScratchFolder scratch("test");
    std::ofstream(scratch.file("in.wav")) << "half a file";
    const std::string path = scratch.path().string();
    if (::write(pipe_ends[1], path.c_str(), path.size()) < 0) ::_exit(4);
    std::raise(SIGTERM);
    ::_exit(3);
  }
  ::close(pipe_ends[1]);
  char buffer[4096] = {};
  const ssize_t got = ::read(pipe_ends[0], buffer, sizeof(buffer) - 1);
  ::close(pipe_ends[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_GT(got, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  EXPECT_FALSE(fs::exists(fs::path(buffer) / "in.wav"));
  EXPECT_FALSE(fs::exists(fs::path(buffer)));
}

}  // namespace
}  // namespace nnse
