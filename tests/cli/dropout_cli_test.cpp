// `nnse train --dropout P`: every layer's input dropout for the run instead of the arch file's, so a training can
// be finished without dropout (docs/experiments.md "Dropout off for the last epochs").
#include <gtest/gtest.h>

#include <string>

#include "cli/cli_fixtures.h"

namespace nnse {
namespace {
namespace fs = std::filesystem;

std::string with_dropout(std::string arch, const std::string& rate) {
  for (std::size_t at = arch.find("dropprob 0.0"); at != std::string::npos; at = arch.find("dropprob 0.0", at + 1)) {
    arch.replace(at, 12, "dropprob " + rate);
  }
  return arch;
}

// Trains the tiny model for two epochs into DIR/models from an arch text; returns its loss history.
std::string train_history(const test::ScratchDir& dir, const fs::path& shards, const std::string& arch_text,
                          const std::string& extra) {
  const fs::path arch = dir / "arch" / "def_tiny.txt";
  write_file_atomic(arch, arch_text);
  const auto r = test::run_nnse(test::tiny_train_args(dir.path(), arch, shards) + " --batch-size 2 --epochs 2 " +
                                extra + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return read_file_bytes(dir / "models" / "tiny" / "loss_history.csv");
}

TEST(DropoutCli, OverridesTheArchFilesRatesAndKeepsItsText) {
  test::ScratchDir data;
  const fs::path shards = test::write_tiny_shards(data.path());
  const std::string none = test::kTinyArchText;
  const std::string half = with_dropout(none, "0.5");
  ASSERT_NE(half, none);

  test::ScratchDir a, b, c;
  const std::string file_without = train_history(a, shards, none, "");
  const std::string overridden = train_history(b, shards, half, "--dropout 0");
  const std::string file_with = train_history(c, shards, half, "");
  EXPECT_EQ(overridden, file_without) << "--dropout 0 over a 0.5 arch file trains exactly as a 0.0 arch file";
  EXPECT_NE(file_with, file_without) << "dropout 0.5 must change training (else the test shows nothing)";

  // The checkpoint keeps the arch file's text and records the override; it resumes under either file.
  const std::string checkpoint = read_file_bytes(b / "models" / "tiny" / "checkpoints" / "epoch_1");
  EXPECT_NE(checkpoint.find("dropprob 0.5"), std::string::npos);
  EXPECT_NE(checkpoint.find("\"dropout\":0.0"), std::string::npos);
  const fs::path arch = b / "arch" / "def_tiny.txt";
  write_file_atomic(arch, none);
  const auto r = test::run_nnse(test::tiny_train_args(b.path(), arch, shards) +
                                " --batch-size 2 --epochs 3 --epoch-loaded latest 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

}  // namespace
}  // namespace nnse
