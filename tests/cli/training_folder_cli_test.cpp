// Issue 14, points 9 and 11: a model folder is one training's at a time, and resuming from an older epoch says
// what happens and keeps the history it replaces. On the old code a second training ran into the same folder, and
// `--epoch-loaded 0` after three epochs silently rewrote `latest` and loss_history.csv.
#include <gtest/gtest.h>

#include <algorithm>

#include "cli/cli_fixtures.h"
#include "nnse/util/folder_lock.h"

namespace nnse {
namespace {
namespace fs = std::filesystem;

std::size_t line_count(const fs::path& file) {
  const std::string text = read_file_bytes(file);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(TrainingFolderCli, ResumingFromAnOlderEpochNeedsRewindAndKeepsTheHistory) {
  test::ScratchDir dir;
  const fs::path arch = test::write_tiny_arch(dir.path());
  const fs::path shards = test::write_tiny_shards(dir.path());
  const std::string common = test::tiny_train_args(dir.path(), arch, shards) + " --batch-size 2";
  auto r = test::run_nnse(common + " --epochs 3 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const fs::path model = dir / "models" / "tiny";
  const std::string history = read_file_bytes(model / "loss_history.csv");
  ASSERT_EQ(line_count(model / "loss_history.csv"), 4u);  // header + epochs 0..2

  r = test::run_nnse(common + " --epochs 2 --epoch-loaded 0 2>&1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--rewind"), std::string::npos) << r.output;
  EXPECT_EQ(read_file_bytes(model / "loss_history.csv"), history) << "refused, but the history changed";
  EXPECT_EQ(read_file_bytes(model / "checkpoints" / "latest"), "2\n");

  r = test::run_nnse(common + " --epochs 2 --epoch-loaded 0 --rewind 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("rewinding"), std::string::npos) << r.output;
  const fs::path backup = model / "checkpoints" / "rewound-from-epoch-2";
  EXPECT_EQ(read_file_bytes(backup / "loss_history.csv"), history);
  EXPECT_TRUE(fs::exists(backup / "epoch_2"));
  EXPECT_EQ(read_file_bytes(model / "checkpoints" / "latest"), "1\n");
}

TEST(TrainingFolderCli, ASecondTrainingIntoTheSameFolderIsRefused) {
  test::ScratchDir dir;
  const fs::path arch = test::write_tiny_arch(dir.path());
  const fs::path shards = test::write_tiny_shards(dir.path());
  // This test process plays the first training.
  const FolderLock first(dir / "models" / "tiny", "the test");
  const auto r = test::run_nnse(test::tiny_train_args(dir.path(), arch, shards) + " --batch-size 2 --epochs 1 2>&1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("is in use by another nnse train"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "models" / "tiny" / "checkpoints"));
}

TEST(TrainingFolderCli, FeatureStatsSkipsAndReportsABadFileInAFolder) {
  test::ScratchDir dir;
  test::write_audio(dir / "in" / "good.wav", test::speech_like(0.5, 16000, 2));
  write_file_atomic(dir / "in" / "broken.wav", std::string("RIFF but not really"));
  const auto r = test::run_nnse("feature-stats " + (dir / "in").string() + " -o " + (dir / "stats.json").string() + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("broken.wav"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("skipped"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir / "stats.json"));
  // Named explicitly, the same file still stops the command.
  const auto named = test::run_nnse("feature-stats " + (dir / "in" / "broken.wav").string() + " -o " +
                                    (dir / "named.json").string() + " 2>&1");
  EXPECT_EQ(named.exit_code, 1) << named.output;
}

}  // namespace
}  // namespace nnse
