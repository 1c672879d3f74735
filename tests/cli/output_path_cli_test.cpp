// Issue 14, points 1, 2, 3 and 11 (output "-"): what writing an output does to whatever is at its path. On the old
// code every output was renamed over its path: a FIFO or a symlink became a regular file, an output equal to the
// input destroyed it, folder mode lost outputs on name clashes, and "-" made a file named "-".
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_fixtures.h"
#include "nnse/audio/audio_io.h"
#include "nnse/util/atomic_file.h"

namespace nnse {
namespace {
namespace fs = std::filesystem;

std::string head(const fs::path& file, std::size_t n) { return read_file_bytes(file).substr(0, n); }

void write_speech(const fs::path& file, double seconds = 0.5) {
  audio::write_wav16(file, test::speech_like(seconds, 16000, 3), 16000);
}

TEST(OutputPathCli, FifoIsWrittenThroughAndStaysAFifo) {
  test::ScratchDir dir;
  write_speech(dir / "in.wav");
  const fs::path fifo = dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto r = test::run_shell("cat '" + fifo.string() + "' > '" + (dir / "got").string() + "' & " +
                                 std::string(NNSE_BINARY) + " features '" + (dir / "in.wav").string() + "' -o '" +
                                 fifo.string() + "' 2>&1; status=$?; wait; exit $status");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::is_fifo(fifo)) << "the FIFO was replaced by a regular file";
  EXPECT_EQ(head(dir / "got", 6), "\x93NUMPY");
}

TEST(OutputPathCli, SymlinksAreFollowedAndStayLinks) {
  test::ScratchDir dir;
  write_speech(dir / "in.wav");
  write_file_atomic(dir / "real.npy", std::string("old"));
  fs::create_symlink("real.npy", dir / "link.npy");
  fs::create_symlink("new.npy", dir / "dangling.npy");
  for (const char* out : {"link.npy", "dangling.npy"}) {
    const auto r = test::run_nnse("features " + (dir / "in.wav").string() + " -o " + (dir / out).string() + " 2>&1");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(fs::is_symlink(dir / out)) << out << " was replaced by a regular file";
  }
  EXPECT_EQ(head(dir / "real.npy", 6), "\x93NUMPY");
  EXPECT_EQ(head(dir / "new.npy", 6), "\x93NUMPY");
}

TEST(OutputPathCli, DashIsStandardOutput) {
  test::ScratchDir dir;
  write_speech(dir / "in.wav");
  // Subshells: run_shell appends 2>&1, which must not send the log into the data file.
  auto r = test::run_shell("(cd '" + dir.path().string() + "' && " + std::string(NNSE_BINARY) +
                           " features in.wav -o - > feats.npy 2>log.txt)");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(head(dir / "feats.npy", 6), "\x93NUMPY");
  r = test::run_shell("(cd '" + dir.path().string() + "' && " + std::string(NNSE_BINARY) +
                      " enhance in.wav - > out.wav 2>log.txt)");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(head(dir / "out.wav", 4), "RIFF");
  EXPECT_FALSE(fs::exists(dir / "-")) << "a file named '-' was created";
}

TEST(OutputPathCli, OutputEqualToInputIsRefusedBeforeAnyWork) {
  test::ScratchDir dir;
  write_speech(dir / "x.wav");
  const std::string original = read_file_bytes(dir / "x.wav");
  fs::create_symlink("x.wav", dir / "alias.wav");
  fs::create_hard_link(dir / "x.wav", dir / "hard.wav");
  const std::vector<std::string> commands = {
      "features " + (dir / "x.wav").string() + " -o " + (dir / "x.wav").string(),
      "enhance " + (dir / "x.wav").string() + " " + (dir / "x.wav").string(),
      "enhance " + (dir / "x.wav").string() + " " + (dir / "alias.wav").string(),
      "enhance " + (dir / "x.wav").string() + " " + (dir / "." / "hard.wav").string(),
      "enhance " + dir.path().string() + " " + (dir / ".").string(),
  };
  for (const auto& command : commands) {
    const auto r = test::run_nnse(command + " 2>&1");
    EXPECT_EQ(r.exit_code, 1) << command << "\n" << r.output;
    EXPECT_TRUE(r.output.find("is the input") != std::string::npos) << command << "\n" << r.output;
    EXPECT_EQ(read_file_bytes(dir / "x.wav"), original) << command << " changed the input";
  }
}

TEST(OutputPathCli, FolderModeKeepsEveryOutputOnNameClashes) {
  test::ScratchDir dir;
  write_speech(dir / "in" / "a.wav");
  // The same audio as FLAC and AIFF: three inputs that all used to become out/a.wav.
  const auto samples = audio::read_mono(dir / "in" / "a.wav", 16000, false);
  test::write_audio(dir / "in" / "a.flac", samples);
  {
    SF_INFO info{};
    info.samplerate = 16000;
    info.channels = 1;
    info.format = SF_FORMAT_AIFF | SF_FORMAT_PCM_16;
    SNDFILE* sf = sf_open((dir / "in" / "a.aiff").c_str(), SFM_WRITE, &info);
    ASSERT_NE(sf, nullptr);
    sf_write_float(sf, samples.data(), static_cast<sf_count_t>(samples.size()));
    sf_close(sf);
  }
  const auto r = test::run_nnse("enhance " + (dir / "in").string() + " " + (dir / "out").string() + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "out" / "a.wav"));
  EXPECT_TRUE(fs::exists(dir / "out" / "a.flac.wav")) << r.output;
  EXPECT_TRUE(fs::exists(dir / "out" / "a.aiff.wav")) << r.output;
}

}  // namespace
}  // namespace nnse
