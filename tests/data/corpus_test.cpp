// Corpus layouts (manifest, plain, LibriSpeech, MUSAN), split assignment and isolation, and unreadable files.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "data_fixtures.h"
#include "nnse/data/corpus.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::data {
namespace {
namespace fs = std::filesystem;


TEST(Corpus, ManifestLayoutWithSplitLists) {
  test::ScratchDir dir("nnse-corpus");
  test::make_manifest_corpus(dir.path());
  Corpus corpus({.corpus = dir.path()}, 16000, std::make_shared<SkipLog>());
  const auto& train = corpus.files(Split::train);
  const auto& valid = corpus.files(Split::valid);
  const auto& test = corpus.files(Split::test);
  EXPECT_EQ(train.speech.size(), 18u);
  EXPECT_EQ(valid.speech.size(), 6u);
  EXPECT_EQ(test.speech.size(), 6u);
  EXPECT_EQ(corpus.noise_types(Split::train), (std::vector<std::string>{"noise/hum", "noise/keys", "noise/street"}));
  EXPECT_EQ(train.rir.size(), 4u);
  // Lengths come from the manifest, groups from the speaker column / folder.
  EXPECT_GT(train.speech.front().samples, 16000 - 2);
  EXPECT_EQ(train.speech.front().group.rfind("spk", 0), 0u);
  EXPECT_EQ(corpus.skipped()->count(), 0u);
}

TEST(Corpus, SplitsNeverShareFiles) {
  test::ScratchDir dir("nnse-corpus");
  test::make_manifest_corpus(dir.path(), {.split_lists = false});  // hash rule
  Corpus corpus({.corpus = dir.path()}, 16000, nullptr);
  for (const Kind kind : {Kind::speech, Kind::noise, Kind::rir}) {
    std::set<std::string> seen;
    std::size_t total = 0;
    for (const Split split : {Split::train, Split::valid, Split::test}) {
      for (const auto& f : corpus.files(split).of(kind)) {
        EXPECT_TRUE(seen.insert(f.name).second) << f.name << " is in two splits";
        // Speech by speaker (whole speakers per split), noise and RIRs by file name.
        const std::string key = kind == Kind::speech ? "speaker:" + f.group : fs::path(f.name).stem().string();
        EXPECT_EQ(hash_split(key), split) << f.name;
        ++total;
      }
    }
    EXPECT_GT(total, 0u);
  }
}

TEST(Corpus, HashSplitReproducesTheStarterCorpusRule) {
  // The starter corpus assigns by md5(key) mod 100 of the file name without extension (except fillets_cs).
  const fs::path shared = test::shared_corpus();
  if (shared.empty()) GTEST_SKIP() << "the starter corpus is not present (docs/reference-facts.md section 6)";
  std::size_t checked = 0;
  for (const Split split : {Split::train, Split::valid, Split::test}) {
    std::ifstream list(shared / "splits" / (to_string(split) + ".txt"));
    for (std::string line; std::getline(list, line);) {
      if (line.find("fillets_cs") != std::string::npos || line.find("asterisk") == std::string::npos) continue;
      EXPECT_EQ(hash_split(fs::path(line).stem().string()), split) << line;
      ++checked;
    }
  }
  EXPECT_GT(checked, 100u);
}

TEST(Corpus, PlainFoldersAreSearchedRecursivelyAndGroupedByFirstFolder) {
  test::ScratchDir dir("nnse-corpus");
  for (int i = 0; i < 12; ++i) {
    test::write_audio(dir / ("speech/a/b/utt" + std::to_string(i) + ".wav"), test::tone_burst(0.5, static_cast<std::uint32_t>(i)));
  }
  test::write_audio(dir / "noise/fan/x/fan.flac", test::noise_signal(2.0, 1));
  test::write_audio(dir / "noise/top.wav", test::noise_signal(2.0, 2));
  std::ofstream(dir / "speech/readme.txt") << "not audio";
  Corpus corpus({.speech = dir / "speech", .noise = dir / "noise"}, 16000, nullptr);
  std::size_t speech = 0;
  std::set<std::string> groups;
  for (const Split split : {Split::train, Split::valid, Split::test}) {
    speech += corpus.files(split).speech.size();
    for (const auto& f : corpus.files(split).noise) groups.insert(f.group);
    for (const auto& f : corpus.files(split).speech) EXPECT_EQ(f.samples, 8000);  // probed from the header
  }
  EXPECT_EQ(speech, 12u);
  EXPECT_EQ(groups, (std::set<std::string>{"fan", "noise"}));
}

TEST(Corpus, LibriSpeechSubsetsGiveTheSplit) {
  test::ScratchDir dir("nnse-corpus");
  const fs::path root = dir / "LibriSpeech";
  for (const std::string subset : {"train-clean-100", "train-clean-360", "dev-clean", "test-clean"}) {
    for (int spk = 0; spk < 2; ++spk) {
      test::write_audio(root / subset / std::to_string(100 + spk) / "7" / (std::to_string(100 + spk) + "-7-0000.flac"),
                        test::tone_burst(0.3, static_cast<std::uint32_t>(spk)));
    }
  }
  std::ofstream(root / "train-clean-100" / "100" / "7" / "100-7.trans.txt") << "TEXT\n";
  EXPECT_EQ(detect_layout(dir.path()).layout, Layout::librispeech);
  test::write_audio(dir / "noise" / "n.wav", test::noise_signal(1.0, 1));
  Corpus corpus({.speech = dir.path(), .noise = dir / "noise"}, 16000, nullptr);
  EXPECT_EQ(corpus.files(Split::train).speech.size(), 4u);
  EXPECT_EQ(corpus.files(Split::valid).speech.size(), 2u);
  EXPECT_EQ(corpus.files(Split::test).speech.size(), 2u);
  for (const auto& f : corpus.files(Split::valid).speech) EXPECT_EQ(f.name.rfind("dev-clean/", 0), 0u) << f.name;
  EXPECT_EQ(corpus.files(Split::train).speech.front().group, "100");  // speaker
  EXPECT_EQ(librispeech_split("train-other-500"), Split::train);
  // A single subset folder works too, and LibriSpeech is never noise.
  Corpus dev({.speech = root / "dev-clean", .noise = dir / "noise"}, 16000, nullptr);
  EXPECT_EQ(dev.files(Split::valid).speech.size(), 2u);
  EXPECT_TRUE(dev.files(Split::train).speech.empty());
  EXPECT_THROW(Corpus({.noise = root}, 16000, nullptr), Error);
}

TEST(Corpus, MusanUsesNoiseAndMusicButNeverSpeech) {
  test::ScratchDir dir("nnse-corpus");
  const fs::path root = dir / "musan";
  for (int i = 0; i < 20; ++i) {
    test::write_audio(root / "noise" / "free-sound" / ("noise-free-sound-" + std::to_string(i) + ".wav"), test::noise_signal(0.5, static_cast<std::uint32_t>(i)));
    test::write_audio(root / "music" / "jamendo" / ("music-jamendo-" + std::to_string(i) + ".wav"), test::noise_signal(0.5, static_cast<std::uint32_t>(50 + i)));
    test::write_audio(root / "speech" / "librivox" / ("speech-librivox-" + std::to_string(i) + ".wav"), test::tone_burst(0.5, static_cast<std::uint32_t>(i)));
  }
  Corpus corpus({.corpus = dir.path()}, 16000, nullptr);  // a download folder: musan/ beside (no) LibriSpeech/
  std::size_t noise = 0;
  std::set<std::string> groups;
  for (const Split split : {Split::train, Split::valid, Split::test}) {
    EXPECT_TRUE(corpus.files(split).speech.empty());
    for (const auto& f : corpus.files(split).noise) {
      EXPECT_EQ(f.name.find("speech"), std::string::npos) << f.name;
      EXPECT_EQ(hash_split(fs::path(f.name).stem().string()), split);
      groups.insert(f.group);
      ++noise;
    }
  }
  EXPECT_EQ(noise, 40u);
  EXPECT_EQ(groups, (std::set<std::string>{"musan/music/jamendo", "musan/noise/free-sound"}));
  EXPECT_THROW(Corpus({.speech = root}, 16000, nullptr), Error);  // MUSAN is never speech
}

TEST(Corpus, UnreadableFilesAreReportedWithReasonAndSkipped) {
  test::ScratchDir dir("nnse-corpus");
  for (int i = 0; i < 10; ++i) {
    test::write_audio(dir / ("speech/utt" + std::to_string(i) + ".wav"), test::tone_burst(0.5, static_cast<std::uint32_t>(i)));
  }
  std::ofstream(dir / "speech/garbage.flac") << "this is not a FLAC file at all, just text";
  std::ofstream(dir / "speech/empty.wav");
  test::write_audio(dir / "noise/n.wav", test::noise_signal(1.0, 1));
  auto skipped = std::make_shared<SkipLog>();
  Corpus corpus({.speech = dir / "speech", .noise = dir / "noise"}, 16000, skipped);
  std::size_t speech = 0;
  for (const Split split : {Split::train, Split::valid, Split::test}) speech += corpus.files(split).speech.size();
  EXPECT_EQ(speech, 10u);
  ASSERT_EQ(skipped->count(), 2u);
  const auto entries = skipped->entries();
  EXPECT_NE(entries[0].first.find("empty.wav"), std::string::npos);
  EXPECT_NE(entries[0].second.find("empty"), std::string::npos) << entries[0].second;
  EXPECT_NE(entries[1].first.find("garbage.flac"), std::string::npos);
  EXPECT_FALSE(entries[1].second.empty());
}

TEST(Corpus, BadInputsAreClearErrors) {
  test::ScratchDir dir("nnse-corpus");
  EXPECT_THROW(Corpus({.corpus = dir / "missing"}, 16000, nullptr), Error);
  EXPECT_THROW(Corpus({.corpus = dir.path()}, 16000, nullptr), Error);  // no manifest, no LibriSpeech/musan
  EXPECT_THROW(Corpus({}, 16000, nullptr), Error);
  EXPECT_THROW(split_from_string("training"), Error);
  EXPECT_EQ(splits_from_option("all").size(), 3u);
}

TEST(Corpus, MoreCorporaAreMergedAndNamesMustBeUnique) {
  test::ScratchDir a("nnse-corpus-a"), b("nnse-corpus-b");
  test::make_manifest_corpus(a.path());
  test::make_manifest_corpus(b.path());
  // b's files renamed into their own folders, as a second corpus (extra voices and noises) would have them.
  const Corpus one(CorpusSources{.corpus = a.path()}, 16000, nullptr);
  const std::size_t speech_a = one.files(Split::train).speech.size();
  EXPECT_THROW(Corpus(CorpusSources{.corpus = a.path(), .more_corpora = {b.path()}}, 16000, nullptr), Error);
  test::ScratchDir c("nnse-corpus-c");
  test::TinyCorpusOptions options;
  options.speech_files = 10;
  test::make_manifest_corpus(c.path() / "inner", options);
  // Same layout but different names: prefix every path of c's manifest and split lists with "extra_".
  const auto rewrite = [](const std::filesystem::path& file) {
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string out;
    std::istringstream lines(text);
    std::string line;
    bool header = file.filename() == "MANIFEST.tsv";
    while (std::getline(lines, line)) {
      out += (header || line.empty() ? "" : "extra_") + line + "\n";
      header = false;
    }
    std::ofstream(file) << out;
  };
  const auto inner = c.path() / "inner";
  rewrite(inner / "MANIFEST.tsv");
  for (const char* split : {"train", "valid", "test"}) rewrite(inner / "splits" / (std::string(split) + ".txt"));
  for (const char* kind : {"speech", "noise", "rir"}) {
    if (std::filesystem::exists(inner / kind)) std::filesystem::rename(inner / kind, inner / (std::string("extra_") + kind));
  }
  const Corpus merged(CorpusSources{.corpus = a.path(), .more_corpora = {inner}}, 16000, nullptr);
  EXPECT_GT(merged.files(Split::train).speech.size(), speech_a);
  std::set<std::string> names;
  for (const auto& f : merged.files(Split::train).speech) names.insert(f.name);
  EXPECT_TRUE(std::any_of(names.begin(), names.end(), [](const std::string& n) { return n.rfind("extra_", 0) == 0; }));
}

}  // namespace
}  // namespace nnse::data
