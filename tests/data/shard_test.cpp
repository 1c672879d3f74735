// Shards: round trip, corruption and truncation detection naming the file, atomic writes, interrupted runs,
// resume, thread-count independence, and the shard clip source.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "data_fixtures.h"
#include "nnse/data/clip_source.h"
#include "nnse/data/shard.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::data {
namespace {
namespace fs = std::filesystem;

struct Fixture {
  test::ScratchDir dir{"nnse-shard"};
  std::shared_ptr<Corpus> corpus;
  std::shared_ptr<Mixer> mixer;
  Fixture() {
    test::make_manifest_corpus(dir / "corpus", {.speech_files = 20});
    corpus = std::make_shared<Corpus>(CorpusSources{.corpus = dir / "corpus"}, 16000, std::make_shared<SkipLog>());
    MixConfig config;
    config.seed = 5;
    config.clip_seconds = 2.0;
    config.datasize_noise = -1;
    mixer = std::make_shared<Mixer>(corpus, Split::train, config);
  }
};

std::vector<fs::path> shard_files(const fs::path& folder) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(folder)) {
    if (e.path().extension() == ".nnshard") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::set<std::string> leftovers(const fs::path& folder) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(folder)) {
    if (e.path().filename().string().find(".tmp-") != std::string::npos) out.insert(e.path().filename().string());
  }
  return out;
}

void flip_byte(const fs::path& file, std::uint64_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x20);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

using test::error_of;

TEST(Shard, RoundTripKeepsAudioAndMetadata) {
  Fixture f;
  for (const SampleFormat format : {SampleFormat::float32, SampleFormat::int16}) {
    const fs::path file = f.dir / ("one-" + to_string(format) + ".nnshard");
    write_shard(file, {{"note", "test"}}, format, 3, [&](std::size_t i) { return f.mixer->make(i); });
    ShardReader reader(file);
    ASSERT_EQ(reader.size(), 3u);
    EXPECT_EQ(reader.header().at("note"), "test");
    EXPECT_EQ(reader.header().at("sample_format"), to_string(format));
    reader.verify();
    for (std::size_t i = 0; i < 3; ++i) {
      const Clip original = f.mixer->make(i);
      const Clip stored = reader.read(i);
      EXPECT_EQ(nlohmann::json(stored.meta), nlohmann::json(original.meta));
      ASSERT_EQ(stored.noisy.size(), original.noisy.size());
      const float tolerance = format == SampleFormat::float32 ? 0.0f : 0.5f / 32768.0f + 1e-7f;
      for (std::size_t k = 0; k < stored.noisy.size(); ++k) {
        ASSERT_NEAR(stored.noisy[k], original.noisy[k], tolerance);
        ASSERT_NEAR(stored.clean[k], original.clean[k], tolerance);
      }
    }
  }
}

TEST(Shard, TruncationIsDetectedAndNamesTheFile) {
  Fixture f;
  const fs::path file = f.dir / "cut.nnshard";
  write_shard(file, {}, SampleFormat::int16, 2, [&](std::size_t i) { return f.mixer->make(i); });
  const auto size = fs::file_size(file);
  for (const std::uint64_t keep : {size - 1, size - 30, size / 2, std::uint64_t{40}, std::uint64_t{0}}) {
    fs::resize_file(file, keep);
    const std::string message = error_of([&] { ShardReader reader(file); });
    EXPECT_NE(message.find(file.string()), std::string::npos) << message;
    EXPECT_NE(message.find("truncated"), std::string::npos) << keep << ": " << message;
  }
}

TEST(Shard, FlippedBytesAreDetectedAndNameTheFile) {
  Fixture f;
  const fs::path file = f.dir / "flip.nnshard";
  write_shard(file, {}, SampleFormat::int16, 3, [&](std::size_t i) { return f.mixer->make(i); });
  const auto size = fs::file_size(file);
  const std::string pristine = read_file_bytes(file);
  // Positions in the header, in the audio of records 0 and 2, in the record table and in the end marker.
  for (const std::uint64_t offset : {std::uint64_t{30}, size / 5, size - 1000, size - 40, size - 3}) {
    write_file_atomic(file, pristine);
    flip_byte(file, offset);
    const std::string message = error_of([&] {
      ShardReader reader(file);
      reader.verify();
    });
    EXPECT_NE(message.find(file.string()), std::string::npos) << "offset " << offset << ": " << message;
  }
  // Corruption inside a record is found when that record is read (training never sees it).
  write_file_atomic(file, pristine);
  flip_byte(file, size / 2);
  ShardReader reader(file);
  std::size_t failures = 0;
  for (std::size_t i = 0; i < reader.size(); ++i) {
    const std::string message = error_of([&] { (void)reader.read(i); });
    if (!message.empty()) {
      ++failures;
      EXPECT_NE(message.find("checksum mismatch"), std::string::npos) << message;
      EXPECT_NE(message.find(file.string()), std::string::npos);
    }
  }
  EXPECT_EQ(failures, 1u);
}

TEST(Shard, FailedWriteLeavesNothingBehind) {
  Fixture f;
  const fs::path file = f.dir / "out" / "broken.nnshard";
  EXPECT_THROW(write_shard(file, {}, SampleFormat::int16, 4,
                           [&](std::size_t i) -> Clip {
                             if (i == 2) throw Error("simulated failure while mixing");
                             return f.mixer->make(i);
                           }),
               Error);
  EXPECT_FALSE(fs::exists(file));
  EXPECT_TRUE(leftovers(f.dir / "out").empty());
}

TEST(Shard, ShardsDoNotDependOnThreadCount) {
  Fixture f;
  ShardJobOptions one{.out = f.dir / "one", .records_per_shard = 3, .threads = 1};
  ShardJobOptions three{.out = f.dir / "three", .records_per_shard = 3, .threads = 3};
  const auto a = write_shards(*f.mixer, one);
  const auto b = write_shards(*f.mixer, three);
  ASSERT_TRUE(a.complete && b.complete);
  EXPECT_EQ(a.shards, (f.mixer->size() + 2) / 3);
  EXPECT_EQ(a.clips, f.mixer->size());
  const auto files = shard_files(one.out);
  ASSERT_EQ(files.size(), a.shards);
  for (const auto& file : files) {
    EXPECT_EQ(read_file_bytes(file), read_file_bytes(three.out / file.filename())) << file;
  }
  EXPECT_EQ(read_file_bytes(one.out / "index.json"), read_file_bytes(three.out / "index.json"));
}

TEST(Shard, InterruptedRunLeavesOnlyCompleteShardsAndResumes) {
  Fixture f;
  ShardJobOptions options{.out = f.dir / "run", .records_per_shard = 2, .threads = 2};
  std::atomic<int> clips_made{0};
  options.should_stop = [&] { return clips_made++ >= 7; };  // stops in the middle of a shard
  const auto partial = write_shards(*f.mixer, options);
  EXPECT_FALSE(partial.complete);
  EXPECT_TRUE(leftovers(options.out).empty());
  const auto present = shard_files(options.out);
  EXPECT_LT(present.size(), partial.shards);
  for (const auto& file : present) {
    ShardReader reader(file);  // every shard on disk is complete and valid
    reader.verify();
  }
  // Training refuses the unfinished folder.
  const std::string refused = error_of([&] { ShardClipSource source(options.out); });
  EXPECT_NE(refused.find("incomplete"), std::string::npos) << refused;

  // A killed run also leaves a temporary file; the resume removes it.
  std::ofstream(options.out / "train-00099.nnshard.tmp-12345") << "partial";
  options.should_stop = nullptr;
  const auto resumed = write_shards(*f.mixer, options);
  EXPECT_TRUE(resumed.complete);
  EXPECT_EQ(resumed.reused, present.size());
  EXPECT_EQ(resumed.written, resumed.shards - present.size());
  EXPECT_TRUE(leftovers(options.out).empty());

  ShardJobOptions fresh{.out = f.dir / "fresh", .records_per_shard = 2, .threads = 1};
  ASSERT_TRUE(write_shards(*f.mixer, fresh).complete);
  for (const auto& file : shard_files(fresh.out)) {
    EXPECT_EQ(read_file_bytes(file), read_file_bytes(options.out / file.filename())) << file;
  }
}

TEST(Shard, ResumeReplacesCorruptedShardsAndRefusesAnotherRecipe) {
  Fixture f;
  ShardJobOptions options{.out = f.dir / "run", .records_per_shard = 4, .threads = 1};
  ASSERT_TRUE(write_shards(*f.mixer, options).complete);
  const auto files = shard_files(options.out);
  ASSERT_GE(files.size(), 2u);
  const std::string good = read_file_bytes(files[1]);
  flip_byte(files[1], fs::file_size(files[1]) / 2);
  fs::resize_file(files[0], fs::file_size(files[0]) - 10);

  // Training refuses the damaged folder, naming the shard.
  const std::string refused = error_of([&] { ShardClipSource source(options.out); });
  EXPECT_NE(refused.find(files[0].string()), std::string::npos) << refused;

  const auto again = write_shards(*f.mixer, options);
  EXPECT_TRUE(again.complete);
  EXPECT_EQ(again.replaced, 2u);
  EXPECT_EQ(again.written, 2u);
  EXPECT_EQ(read_file_bytes(files[1]), good);

  MixConfig other = f.mixer->config();
  other.seed = 6;
  const Mixer different(f.corpus, Split::train, other);
  const std::string message = error_of([&] { write_shards(different, options); });
  EXPECT_NE(message.find("different recipe"), std::string::npos) << message;
  EXPECT_NE(message.find("/mix/seed"), std::string::npos) << message;
}

TEST(ShardClipSource, ServesTheStoredClipsAndRefusesCorruption) {
  Fixture f;
  ShardJobOptions options{.out = f.dir / "train", .records_per_shard = 3, .threads = 2};
  ASSERT_TRUE(write_shards(*f.mixer, options).complete);
  ShardClipSource source(options.out, true);
  ASSERT_EQ(source.size(), f.mixer->size());
  EXPECT_FALSE(source.varies_with_epoch());
  EXPECT_EQ(source.sample_rate(), 16000);
  EXPECT_EQ(source.clip_samples(), 32000u);
  EXPECT_EQ(source.recipe().at("mix").at("seed"), 5);
  for (std::size_t i = 0; i < source.size(); i += 4) {
    const Clip stored = source.get(i, 7);
    const Clip made = f.mixer->make(i);  // epoch 0: the shards hold the epoch-0 clips
    EXPECT_EQ(stored.meta.index, i);
    ASSERT_EQ(stored.noisy.size(), made.noisy.size());
    for (std::size_t k = 0; k < made.noisy.size(); k += 97) ASSERT_NEAR(stored.noisy[k], made.noisy[k], 2e-5f);
  }
  const auto files = shard_files(options.out);
  flip_byte(files.back(), fs::file_size(files.back()) - 5000);
  ShardClipSource lazy(options.out);  // structure is fine ...
  const std::string message = error_of([&] { (void)lazy.get(lazy.size() - 1, 0); });  // ... the record is not
  EXPECT_NE(message.find(files.back().string()), std::string::npos) << message;
  EXPECT_THROW(ShardClipSource(options.out, true), Error);
  const std::string not_a_folder = error_of([&] { ShardClipSource wrong(f.dir.path()); });
  EXPECT_NE(not_a_folder.find("index.json"), std::string::npos);
}

}  // namespace
}  // namespace nnse::data
