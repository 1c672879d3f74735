// Issue 14, points 4, 5 and 8: limits and options are checked before any work. On the old code `--snr -1000`
// wrote NaN shards, `--threads 0`, `--lr nan` ... started work, `nnse info` allocated every weight of a huge
// arch, and enhance ignored an --nn-arch that no longer described the checkpoint.
#include <gtest/gtest.h>

#include "cli/cli_fixtures.h"
#include "nnse/audio/audio_io.h"

namespace nnse {
namespace {
namespace fs = std::filesystem;

TEST(OptionLimitsCli, NumericOptionsAreValidatedBeforeWork) {
  test::ScratchDir dir;
  const fs::path arch = test::write_tiny_arch(dir.path());
  const std::string train = "train --nn-arch " + arch.string() + " --data " + (dir / "absent").string() +
                            " --models-dir " + (dir / "models").string();
  struct Case {
    std::string arguments, option;
  };
  const std::vector<Case> cases = {
      {"data --corpus " + (dir / "absent").string() + " --out " + (dir / "shards").string() + " --snr -1000", "--snr"},
      {"data --corpus " + (dir / "absent").string() + " --out " + (dir / "shards").string() + " --snr 5,nan", "--snr"},
      {"data --corpus " + (dir / "absent").string() + " --out " + (dir / "shards").string() + " --threads 0", "--threads"},
      {train + " --threads 1000", "--threads"},
      {train + " --lr -1", "--lr"},
      {train + " --lr nan", "--lr"},
      {train + " --clip-norm nan", "--clip-norm"},
      {train + " --prefetch -1", "--prefetch"},
      {train + " --clip-seconds 0.001", "--clip-seconds"},
      {"eval --data " + (dir / "absent").string() + " --threads 0", "--threads"},
      {train + " --peak-dbfs -5,-50", "--peak-dbfs"},
      {train + " --peak-dbfs 3,6", "--peak-dbfs"},
      {train + " --peak-dbfs -20", "--peak-dbfs"},
      {train + " --target-late-decay -1", "--target-late-decay"},
      {train + " --dropout 1.5", "--dropout"},
      {train + " --dropout nan", "--dropout"},
      {train + " --formant-warp 0.5", "--formant-warp"},
      // Augmentations act while clips are mixed: with shards (--data) they would silently do nothing.
      {train + " --formant-warp 0.1", "--formant-warp"},
      {train + " --speed-perturb 0.1", "--speed-perturb"},
      {train + " --babble-prob 0.25", "--babble-prob"},
      // The enhancer settings share one range table with enhancer.json (model::kEnhancerSettingFields).
      {"eval --data " + (dir / "absent").string() + " --atten-lim-db -3", "--atten-lim-db"},
      {"eval --data " + (dir / "absent").string() + " --pass-gain 0", "--pass-gain"},
      {"eval --data " + (dir / "absent").string() + " --pass-gain 1.5", "--pass-gain"},
      {"eval --data " + (dir / "absent").string() + " --floor-guard nan", "--floor-guard"},
      {"eval --data " + (dir / "absent").string() + " --pitch-filter 1.01", "--pitch-filter"},
      {"eval --data " + (dir / "absent").string() + " --pitch-filter x", "--pitch-filter"},
  };
  for (const auto& c : cases) {
    const auto r = test::run_nnse(c.arguments + " 2>&1");
    EXPECT_NE(r.exit_code, 0) << c.arguments << "\n" << r.output;
    EXPECT_NE(r.output.find(c.option), std::string::npos) << c.arguments << "\n" << r.output;
  }
  EXPECT_FALSE(fs::exists(dir / "shards"));
  EXPECT_FALSE(fs::exists(dir / "models"));
}

TEST(OptionLimitsCli, InfoCountsAHugeArchWithoutAllocatingIt) {
  if (test::kUnderAsan) GTEST_SKIP() << "ulimit -v cannot be combined with AddressSanitizer's shadow memory";
  test::ScratchDir dir;
  // An 8000-unit LSTM: 256 M parameters, 1 GB of float weights (and the old code drew them all).
  write_file_atomic(dir / "def_huge.txt", std::string("input_neurons 72\nlayer_type lstm\nlayer_neurons 8000\n"
                                                      "activation tanh\ndropprob 0\nlayer_type fc\n"
                                                      "layer_neurons 257\nactivation sigmoid\ndropprob 0\n"));
  const auto r = test::run_shell("ulimit -v 700000; " + std::string(NNSE_BINARY) + " info --nn-arch " +
                                 (dir / "def_huge.txt").string() + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("parameters: 260,392,257"), std::string::npos) << r.output;
}

TEST(OptionLimitsCli, BatchSizeIsCappedToTheDataAndCheckedAgainstMemory) {
  test::ScratchDir dir;
  const fs::path arch = test::write_tiny_arch(dir.path());
  const fs::path shards = test::write_tiny_shards(dir.path());
  const std::string common = test::tiny_train_args(dir.path(), arch, shards) + " --epochs 1 --no-valid";  // --batch-size per case
  // Far more than the 6 clips: capped with a message (the old code allocated 1000 batch slots).
  auto r = test::run_nnse(common + " --batch-size 1000 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("--batch-size 1000 is more than the 6 training clips; using 6"), std::string::npos)
      << r.output;
  // Terabytes: refused before any allocation, naming the option and what would fit.
  const std::string limit = test::kUnderAsan ? "" : "ulimit -v 4000000; ";
  r = test::run_shell(limit + std::string(NNSE_BINARY) + " train --nn-arch " + arch.string() + " --data " +
                      shards.string() + " --models-dir " + (dir / "models2").string() +
                      " --epochs 1 --no-valid --threads 1 --batch-size 4 --chunk-frames 500000000 2>&1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--batch-size: 4 sequences x --chunk-frames 500000000 need about"), std::string::npos)
      << r.output;
}

TEST(OptionLimitsCli, EnhanceChecksTheArchFileAgainstTheCheckpoint) {
  test::ScratchDir dir;
  audio::write_wav16(dir / "in.wav", test::speech_like(0.5, 16000, 3), 16000);
  // A missing arch file is named as such (it used to say "no checkpoint to resume from").
  auto r = test::run_nnse("enhance " + (dir / "in.wav").string() + " " + (dir / "out.wav").string() +
                          " --nn-arch " + (dir / "def_typo.txt").string() + " 2>&1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("arch file " + (dir / "def_typo.txt").string() + " not found"), std::string::npos)
      << r.output;
  // The bundled checkpoint filed under an arch file whose text has since changed: refused, like train and eval.
  const fs::path bundled = fs::path(NNSE_SOURCE_DIR) / "models" / "se_nn_arch72_mel" / "model.ckpt";
  const fs::path checkpoints = dir / "models" / "tiny" / "checkpoints";
  fs::create_directories(checkpoints);
  fs::copy_file(bundled, checkpoints / "epoch_0");
  write_file_atomic(checkpoints / "latest", std::string("0\n"));
  const fs::path arch = test::write_tiny_arch(dir.path());
  for (const std::string& command : {"enhance " + (dir / "in.wav").string() + " " + (dir / "out.wav").string(),
                                    "test --recording 0 --test-wavefile " + (dir / "in.wav").string() +
                                        " --results-dir " + (dir / "results").string()}) {
    r = test::run_nnse(command + " --nn-arch " + arch.string() + " --models-dir " + (dir / "models").string() + " 2>&1");
    EXPECT_EQ(r.exit_code, 1) << command << "\n" << r.output;
    EXPECT_NE(r.output.find("arch"), std::string::npos) << r.output;
  }
  EXPECT_FALSE(fs::exists(dir / "out.wav"));
}

}  // namespace
}  // namespace nnse
