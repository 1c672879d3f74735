// `mpirun -np 2 nnse train` against `nnse train` (issue 15): two processes with half of batch B each train the
// model one process trains with batch B, only rank 0 writes into the model folder, a checkpoint of either resumes
// in the other, and a killed rank ends the job with nothing half-written.
//
// Why some comparisons are exact: the engine cuts a batch into shards of consecutive sequences and adds the shard
// gradients left to right; the processes add theirs in rank order (train/distributed.h). With batch 4, one process
// with 2 threads has shards {0,1} {2,3}, and 2 processes with 1 thread each have the very same shards, so every
// float operation is the same and the weights must be bit-identical. With 1 thread, one process makes one shard
// {0,1,2,3}: the same sums grouped differently, equal up to float rounding only (see kTolerance).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <string>

#include "cli/cli_fixtures.h"
#include "nnse/model/checkpoint.h"
#include "nnse/model/model_folder.h"
#include "test_support.h"

namespace nnse::test {
namespace {
namespace fs = std::filesystem;

// Dropout on the recurrent layer's input and random initial states (the default) make the test check that every
// process draws the masks and states of its slots of the whole batch, not of its own sub-batch.
const char* kArchText =
    "input_neurons 72\ndropprob 0.0\n"
    "layer_type conv1d\nnum_filters 6\nkernel_size 3\nactivation tanh\ndropprob 0.0\n"
    "layer_type lstm\nlayer_neurons 8\nactivation tanh\ndropprob 0.2\n"
    "layer_type fc\nlayer_neurons 257\nactivation sigmoid\n";

// Float rounding only: each gradient value is a sum of the same per-sequence terms grouped differently, about one
// rounding (6e-8 relative) per step apart. Adam divides by sqrt(v), so a relative gradient change moves a weight by
// about lr x that change per step; over 20 steps at lr 4e-4 that is ~1e-9. A value whose gradient nearly cancels can
// change by more (Adam's first steps move every weight by ~lr whatever the gradient's size), hence the bound 4e-5,
// a tenth of one step (lr = 4e-4) and far below what a different batch split moves the weights (>= 1e-3 here).
constexpr double kTolerance = 4e-5;

class TwoRanksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir("nnse-mpi");
    arch_ = *dir_ / "def_mpitiny.txt";
    write_file_atomic(arch_, std::string(kArchText));
    shards_ = write_tiny_shards(dir_->path());  // 6 train and 6 valid clips of 1 s (100 frames)
    // The reference: one process, batch 4, 2 threads, 2 epochs.
    const CommandResult one = train_one("one", "--threads 2 --epochs 2");
    ASSERT_EQ(one.exit_code, 0) << one.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (std::string(NNSE_MPIEXEC).empty()) GTEST_SKIP() << "no mpirun";
  }

  // Batch 4 of 6 clips, chunks of 20 frames: 10 steps per epoch, the last 5 with clips in slots 0 and 1 only, so
  // rank 1's slots are idle there.
  static std::string args(const std::string& models, const std::string& extra) {
    const std::string batch = extra.find("--batch-size") == std::string::npos ? "--batch-size 4 " : "";
    const std::string seed = extra.find("--seed") == std::string::npos ? "--seed 3 " : "";
    return "train --nn-arch " + arch_.string() + " --data " + shards_.string() + " --models-dir " +
           (dir_->path() / models).string() + " --chunk-frames 20 --data-threads 0 " +
           "--loss 'wsdr+0.5*cmix' --progress-seconds 0 " + batch + seed + extra;
  }
  static CommandResult train_one(const std::string& models, const std::string& extra) {
    return run_nnse(args(models, extra));
  }
  // mpirun for 2 processes on this machine, as root too. Open MPI's shared-memory transport copies between
  // processes with process_vm_readv, which containers often forbid (CI may run in one): plain copies instead.
  static std::string mpirun() {
    return "OMPI_MCA_btl_vader_single_copy_mechanism=none " + std::string(NNSE_MPIEXEC) +
           " --oversubscribe --allow-run-as-root ";
  }
  static CommandResult train_two(const std::string& models, const std::string& extra, const std::string& env = "") {
    return run_shell(env + mpirun() + "-np 2 " + (env.empty() ? "" : "-x NNSE_MPI_TEST_KILL ") + NNSE_BINARY + " " +
                     args(models, extra));
  }
  static fs::path model_dir(const std::string& models) { return dir_->path() / models / "mpitiny"; }
  static model::Checkpoint checkpoint(const std::string& models, int epoch) {
    return model::load_checkpoint(model::checkpoint_path(model_dir(models), epoch));
  }
  static std::string history(const std::string& models) { return read_file_bytes(model_dir(models) / "loss_history.csv"); }

  // Largest |a - b| over weights and Adam moments.
  static double max_difference(const model::Checkpoint& a, const model::Checkpoint& b) {
    EXPECT_EQ(a.parameters.size(), b.parameters.size());
    double worst = 0.0;
    auto compare = [&worst](const Eigen::VectorXf& x, const Eigen::VectorXf& y) {
      EXPECT_EQ(x.size(), y.size());
      if (x.size() != y.size()) return;
      worst = std::max(worst, static_cast<double>((x - y).cwiseAbs().maxCoeff()));
    };
    for (std::size_t i = 0; i < a.parameters.size() && i < b.parameters.size(); ++i) {
      compare(a.parameters[i].value, b.parameters[i].value);
      compare(a.adam.first_moment[i], b.adam.first_moment[i]);
      compare(a.adam.second_moment[i], b.adam.second_moment[i]);
    }
    return worst;
  }
  static bool bit_identical(const model::Checkpoint& a, const model::Checkpoint& b) {
    if (a.parameters.size() != b.parameters.size()) return false;
    for (std::size_t i = 0; i < a.parameters.size(); ++i) {
      if (a.parameters[i].value != b.parameters[i].value) return false;
      if (a.adam.first_moment[i] != b.adam.first_moment[i] || a.adam.second_moment[i] != b.adam.second_moment[i])
        return false;
    }
    return a.adam.step == b.adam.step && a.train_loss == b.train_loss && a.valid_loss == b.valid_loss;
  }
  static std::set<std::string> files_under(const fs::path& root) {
    std::set<std::string> names;
    for (const auto& entry : fs::recursive_directory_iterator(root)) names.insert(fs::relative(entry.path(), root).string());
    return names;
  }

  static ScratchDir* dir_;
  static fs::path arch_, shards_;
};

ScratchDir* TwoRanksTest::dir_ = nullptr;
fs::path TwoRanksTest::arch_, TwoRanksTest::shards_;

TEST_F(TwoRanksTest, TwoRanksWithHalfTheBatchEachTrainWhatOneProcessTrains) {
  const CommandResult two = train_two("two", "--threads 1 --epochs 2");
  ASSERT_EQ(two.exit_code, 0) << two.output;
  // Every process checks after every epoch that all hold the same weights and Adam state (a hash gathered by rank 0).
  EXPECT_NE(two.output.find("epoch 1: weights and Adam state bit-identical on all 2 ranks"), std::string::npos)
      << two.output;
  // Same shards, same order of additions (see the top of this file): the same bits as one process.
  EXPECT_TRUE(bit_identical(checkpoint("one", 1), checkpoint("two", 1)));
  EXPECT_EQ(history("one"), history("two"));  // train and valid loss of both epochs
  // Rank 1 wrote nothing: the folders hold the same files, and only rank 0 printed the epoch lines.
  EXPECT_EQ(files_under(dir_->path() / "one"), files_under(dir_->path() / "two"));
  std::size_t epoch_lines = 0;
  for (std::size_t at = two.output.find("\nepoch "); at != std::string::npos; at = two.output.find("\nepoch ", at + 1))
    ++epoch_lines;
  EXPECT_EQ(epoch_lines, 2u) << two.output;
}

TEST_F(TwoRanksTest, DifferentShardsEqualOneProcessUpToRounding) {
  const CommandResult one = train_one("one_thread", "--threads 1 --epochs 2");
  ASSERT_EQ(one.exit_code, 0) << one.output;
  const CommandResult two = train_two("two_b", "--threads 1 --epochs 2");
  ASSERT_EQ(two.exit_code, 0) << two.output;
  const double difference = max_difference(checkpoint("one_thread", 1), checkpoint("two_b", 1));
  std::printf("largest weight or moment difference, 2 ranks vs 1 thread: %.3g\n", difference);
  EXPECT_LE(difference, kTolerance);
  // And the tolerance is tight enough to matter: another batch split (batch 2) trains visibly different weights.
  const CommandResult other = train_one("batch2", "--threads 1 --epochs 2 --batch-size 2");
  ASSERT_EQ(other.exit_code, 0) << other.output;
  const double other_split = max_difference(checkpoint("one_thread", 1), checkpoint("batch2", 1));
  std::printf("largest weight or moment difference, batch 2 vs batch 4: %.3g\n", other_split);
  EXPECT_GT(other_split, 25 * kTolerance);
}

TEST_F(TwoRanksTest, CheckpointsResumeWithAnyNumberOfProcesses) {
  // Epoch 0 with two processes, epoch 1 with one; and the other way round. Both equal two epochs in one process.
  ASSERT_EQ(train_two("two_then_one", "--threads 1 --epochs 1").exit_code, 0);
  const CommandResult one = train_one("two_then_one", "--threads 2 --epochs 2 --epoch-loaded latest");
  ASSERT_EQ(one.exit_code, 0) << one.output;
  EXPECT_TRUE(bit_identical(checkpoint("one", 1), checkpoint("two_then_one", 1)));

  ASSERT_EQ(train_one("one_then_two", "--threads 2 --epochs 1").exit_code, 0);
  const CommandResult two = train_two("one_then_two", "--threads 1 --epochs 2 --epoch-loaded 0");
  ASSERT_EQ(two.exit_code, 0) << two.output;
  EXPECT_NE(two.output.find("resuming from"), std::string::npos) << two.output;
  EXPECT_TRUE(bit_identical(checkpoint("one", 1), checkpoint("one_then_two", 1)));
  EXPECT_EQ(history("one"), history("one_then_two"));
}

TEST_F(TwoRanksTest, KilledRankStopsTheJobAndLeavesTheLastCompleteCheckpoint) {
  // Rank 1 SIGKILLs itself at its 37th sum: epoch 0 makes 30 (10 steps with 2 each, for gradient and loss, and 10
  // validation batches with one), so this is the gradient of the 4th step of epoch 1.
  const CommandResult killed = train_two("killed", "--threads 1 --epochs 3", "NNSE_MPI_TEST_KILL=1:37 ");
  EXPECT_NE(killed.exit_code, 0) << killed.output;
  // Open MPI's own message names the rank and the signal.
  EXPECT_NE(killed.output.find("rank 1"), std::string::npos) << killed.output;
  EXPECT_NE(killed.output.find("signal 9"), std::string::npos) << killed.output;
  const fs::path dir = model_dir("killed");
  EXPECT_EQ(model::latest_epoch(dir), 0);
  EXPECT_FALSE(fs::exists(model::checkpoint_path(dir, 1)));
  for (const auto& name : files_under(dir)) EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
  EXPECT_TRUE(bit_identical(checkpoint("one", 0), checkpoint("killed", 0)));
  // The job resumes from there (here with one process) and trains what an uninterrupted run trains.
  const CommandResult resumed = train_one("killed", "--threads 2 --epochs 2 --epoch-loaded latest");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_TRUE(bit_identical(checkpoint("one", 1), checkpoint("killed", 1)));
}

TEST_F(TwoRanksTest, ProcessesThatDoNotSeeTheSameJobAreRefused) {
  // Rank 1 started with another seed (as it would see another corpus copy): refused before the first step, not a
  // hang at the first epoch whose step counts differ.
  const CommandResult mixed = run_shell(mpirun() + "-np 1 " + NNSE_BINARY + " " + args("mixed", "--epochs 1") + " : -np 1 " +
                                        NNSE_BINARY + " " + args("mixed", "--epochs 1 --seed 4"));
  EXPECT_NE(mixed.exit_code, 0) << mixed.output;
  EXPECT_NE(mixed.output.find("rank 1 does not see the job rank 0 sees"), std::string::npos) << mixed.output;
  EXPECT_FALSE(fs::exists(model::checkpoint_path(model_dir("mixed"), 0)));
}

TEST_F(TwoRanksTest, BatchThatDoesNotSplitEvenlyIsRefused) {
  const CommandResult odd = train_two("odd", "--threads 1 --epochs 1 --batch-size 3");
  EXPECT_NE(odd.exit_code, 0) << odd.output;
  EXPECT_NE(odd.output.find("do not split evenly over the 2 processes"), std::string::npos) << odd.output;
  EXPECT_FALSE(fs::exists(model::checkpoint_path(model_dir("odd"), 0)));
}

}  // namespace
}  // namespace nnse::test
