// `nnse data` end to end: plain folders and a manifest corpus, split folders with index.json, the skipped-file
// count, a run killed with SIGKILL that leaves only complete shards and resumes to the same bytes, --verify.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "data_fixtures.h"
#include "nnse/data/clip_source.h"
#include "nnse/util/atomic_file.h"
#include "test_support.h"

namespace nnse::data {
namespace {
namespace fs = std::filesystem;

std::vector<fs::path> shards_in(const fs::path& folder) {
  std::vector<fs::path> out;
  if (!fs::exists(folder)) return out;
  for (const auto& e : fs::directory_iterator(folder)) {
    if (e.path().extension() == ".nnshard") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(DataCommand, MakesShardsForEverySplitAndCountsSkippedFiles) {
  test::ScratchDir dir("nnse-data-cli");
  test::make_manifest_corpus(dir / "corpus");
  // Plain folders this time: speech and noise of the same synthetic corpus, plus one broken noise file.
  std::ofstream(dir / "corpus/noise/hum/broken.wav") << "RIFF but not really a wave file";
  const auto result = test::run_nnse("data --speech " + (dir / "corpus/speech").string() + " --noise " +
                                     (dir / "corpus/noise").string() + " --rir " + (dir / "corpus/rir").string() +
                                     " --split all --clip-seconds 3 --datasize-noise 8 --threads 2 --preview 1 --out " +
                                     (dir / "out").string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("skipped 1 unreadable corpus file"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("broken.wav"), std::string::npos);
  for (const char* split : {"train", "valid", "test"}) {
    const ShardClipSource source(dir / "out" / split, true);
    EXPECT_GT(source.size(), 0u) << split;
    EXPECT_EQ(source.clip_samples(), 48000u);
    EXPECT_EQ(source.get(0, 0).meta.split, split);
    EXPECT_TRUE(fs::exists(dir / "out" / split / "preview/clip-00000-noisy.wav"));
  }
  const auto verify = test::run_nnse("data --verify " + (dir / "out").string());
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  // A flipped byte is found by --verify, which names the shard.
  const auto shard = shards_in(dir / "out/train").front();
  {
    std::fstream f(shard, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(shard) / 2));
    f.put('\x7f');
  }
  const auto bad = test::run_nnse("data --verify " + (dir / "out").string());
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find(shard.string()), std::string::npos) << bad.output;
}

TEST(DataCommand, KilledRunLeavesCompleteShardsAndResumesToTheSameBytes) {
  test::ScratchDir dir("nnse-data-cli");
  test::make_manifest_corpus(dir / "corpus", {.speech_files = 40});
  const std::string common = "data --corpus " + (dir / "corpus").string() +
                             " --clip-seconds 4 --records-per-shard 1 --threads 1 --seed 3 --out ";
  const fs::path out = dir / "killed";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string command = std::string(NNSE_BINARY) + " " + common + out.string() + " >/dev/null 2>&1";
    ::execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Kill it as soon as the first shard exists (bounded wait: 60 s).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (shards_in(out / "train").empty() && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) == child) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  const auto survivors = shards_in(out / "train");
  for (const auto& shard : survivors) {
    ShardReader reader(shard);  // complete and valid, whatever the moment of the kill
    reader.verify();
  }
  const auto resumed = test::run_nnse(common + out.string());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const auto fresh = test::run_nnse(common + (dir / "fresh").string());
  ASSERT_EQ(fresh.exit_code, 0) << fresh.output;
  const auto all = shards_in(dir / "fresh/train");
  ASSERT_EQ(shards_in(out / "train").size(), all.size());
  for (const auto& shard : all) EXPECT_EQ(read_file_bytes(shard), read_file_bytes(out / "train" / shard.filename()));
  for (const auto& e : fs::directory_iterator(out / "train")) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
}

TEST(DataCommand, StarterCorpusSmoke) {
  const fs::path shared = test::shared_corpus();
  if (shared.empty()) GTEST_SKIP() << "the starter corpus is not present (docs/reference-facts.md section 6)";
  test::ScratchDir dir("nnse-data-cli");
  const auto result = test::run_nnse("data --corpus " + shared.string() +
                                     " --split valid --max-clips 6 --clip-seconds 5 --threads 2 --out " +
                                     (dir / "out").string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const ShardClipSource source(dir / "out/valid", true);
  EXPECT_EQ(source.size(), 6u);
  for (std::size_t i = 0; i < source.size(); ++i) {
    const Clip clip = source.get(i, 0);
    EXPECT_FALSE(clip.meta.speech.empty());
    for (const auto& piece : clip.meta.speech) EXPECT_EQ(piece.file.rfind("speech/", 0), 0u);
  }
}

TEST(DataCommand, UsageErrorsAreOneLine) {
  test::ScratchDir dir("nnse-data-cli");
  auto r = test::run_nnse("data --out " + (dir / "x").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--corpus"), std::string::npos) << r.output;
  r = test::run_nnse("data --download nonsense --data-dir " + (dir / "d").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("unknown corpus"), std::string::npos) << r.output;
  r = test::run_nnse("data --list-downloads");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("librispeech-train-clean-360"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace nnse::data
