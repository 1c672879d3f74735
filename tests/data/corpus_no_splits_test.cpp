// Issue 14, point 7: a corpus without splits/ used to fall back silently to a per-file hash split that spread each
// speaker over train, valid and test. Now whole speakers go to one split, and the fallback is announced.
#include <gtest/gtest.h>

#include <map>

#include "data/data_fixtures.h"
#include "nnse/data/corpus.h"
#include "test_support.h"

namespace nnse::data {
namespace {

TEST(CorpusWithoutSplits, KeepsEachSpeakerInOneSplit) {
  test::ScratchDir dir;
  test::TinyCorpusOptions options;
  options.split_lists = false;
  options.speech_files = 30;  // 3 speakers x 10 utterances
  test::make_manifest_corpus(dir.path(), options);
  const Corpus corpus({.corpus = dir.path()}, 16000, nullptr);
  std::map<std::string, Split> split_of_speaker;
  std::size_t files = 0;
  for (const Split split : {Split::train, Split::valid, Split::test}) {
    for (const auto& f : corpus.files(split).speech) {
      const auto [it, inserted] = split_of_speaker.emplace(f.group, split);
      EXPECT_EQ(it->second, split) << "speaker " << f.group << " is in two splits (" << f.name << ")";
      ++files;
    }
  }
  EXPECT_EQ(files, 30u);
  EXPECT_EQ(split_of_speaker.size(), 3u);
}

TEST(CorpusWithoutSplits, TheFallbackIsAnnouncedNamingTheFolder) {
  test::ScratchDir dir;
  test::make_manifest_corpus(dir / "corpus", {.split_lists = false});
  const auto r = test::run_nnse("data --corpus " + (dir / "corpus").string() + " --split train --max-clips 1 --out " +
                                (dir / "shards").string() + " --threads 1 2>&1");
  EXPECT_NE(r.output.find((dir / "corpus").string() + ": no splits/ folder"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("NOT the corpus's own split"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace nnse::data
