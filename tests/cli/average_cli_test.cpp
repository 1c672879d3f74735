// `nnse average CKPT... --out FILE` end to end (model/checkpoint_average.h has the unit tests).
#include <gtest/gtest.h>

#include "cli/cli_fixtures.h"

namespace nnse {
namespace {
namespace fs = std::filesystem;

// `nnse average`: the mean of a run's last checkpoints is a checkpoint that enhance reads; an output over one of
// the inputs is refused before anything is written.
TEST(TrainingFolderCli, AverageWritesAUsableCheckpointAndNeverOverwritesAnInput) {
  test::ScratchDir dir;
  const fs::path arch = test::write_tiny_arch(dir.path());
  const fs::path shards = test::write_tiny_shards(dir.path());
  auto r = test::run_nnse(test::tiny_train_args(dir.path(), arch, shards) + " --batch-size 2 --epochs 3 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const fs::path checkpoints = dir / "models" / "tiny" / "checkpoints";
  const std::string e1 = (checkpoints / "epoch_1").string(), e2 = (checkpoints / "epoch_2").string();
  const fs::path averaged = dir / "avg.ckpt";
  r = test::run_nnse("average " + e1 + " " + e2 + " --out " + averaged.string() + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("the mean of 2 checkpoints"), std::string::npos) << r.output;
  test::write_audio(dir / "in.wav", test::speech_like(0.5, 16000, 3));
  r = test::run_nnse("enhance " + (dir / "in.wav").string() + " " + (dir / "out.wav").string() + " --model " +
                     averaged.string() + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "out.wav"));

  const std::string before = read_file_bytes(e2);
  r = test::run_nnse("average " + e1 + " " + e2 + " --out " + e2 + " 2>&1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(read_file_bytes(e2), before);
  // Weights: a weighted mean is said so; a weight count that does not match is refused before anything is written.
  // (--weights takes one comma-separated value, so it may also stand before the checkpoints.)
  r = test::run_nnse("average --weights 1,3 " + e1 + " " + e2 + " --out " + (dir / "w.ckpt").string() + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("the weighted mean (1, 3) of 2 checkpoints"), std::string::npos) << r.output;
  EXPECT_NE(read_file_bytes(dir / "w.ckpt"), read_file_bytes(averaged));
  r = test::run_nnse("average " + e1 + " " + e2 + " --weights 1 --out " + (dir / "x.ckpt").string() + " 2>&1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("1 weights for 2 checkpoints"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "x.ckpt"));
  r = test::run_nnse("average " + e1 + " " + (dir / "nope").string() + " --out " + (dir / "x.ckpt").string() + " 2>&1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("nope"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "x.ckpt"));
}

}  // namespace
}  // namespace nnse
