#pragma once
// Shards: the files `nnse data --out DIR` writes, each holding a run of consecutive clips (noisy + clean audio
// and metadata), enough for the trainer to recompute the complex STFT.
//
// Format (version 1, little-endian):
//   "NNSESHRD"  u32 version  u32 flags(0)  u64 header_bytes  header JSON  u32 crc32(header JSON)
//   record*:    "NREC"  u32 meta_bytes  u64 samples  u32 sample_format(0 int16, 1 float32)  u32 reserved(0)
//               meta JSON  noisy[samples]  clean[samples]  u32 crc32(everything of the record before it)
//   footer:     u64 record_offset[count]  u64 count  u32 crc32(offsets and count)  u32 reserved  "NNSEEND!"
// The header JSON holds the recipe (mixer.h: config, split, corpus fingerprint), the sample rate and format and
// the clip range. Opening a shard checks its structure (magic, version, header checksum, end marker, record
// table, sizes), so a truncated shard is refused at once; reading a record checks its CRC-32, so a flipped byte
// is refused before it reaches training. Every failure is an nnse::Error naming the shard file.
//
// Shards are written atomically (temporary file, fsync, rename): a shard file that exists is complete.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nnse/data/mixer.h"

namespace nnse::data {

inline constexpr std::uint32_t kShardVersion = 1;

enum class SampleFormat { int16 = 0, float32 = 1 };
std::string to_string(SampleFormat format);
SampleFormat sample_format_from_string(const std::string& name);  // "int16" or "float32"

// Writes `count` clips, clip_at(0) .. clip_at(count - 1), into `target` atomically. An exception from clip_at
// (or a write error) leaves no file behind. `header` gets the format fields added.
void write_shard(const std::filesystem::path& target, nlohmann::json header, SampleFormat format, std::size_t count,
                 const std::function<Clip(std::size_t)>& clip_at);

class ShardReader {
 public:
  // Opens and checks the structure; throws nnse::Error(file, problem).
  explicit ShardReader(const std::filesystem::path& file);
  ~ShardReader();
  ShardReader(const ShardReader&) = delete;
  ShardReader& operator=(const ShardReader&) = delete;

  std::size_t size() const { return offsets_.size(); }
  const nlohmann::json& header() const { return header_; }
  const std::filesystem::path& path() const { return path_; }
  std::uint64_t bytes() const { return file_size_; }
  SampleFormat format() const { return format_; }
  // Reads record `i` and checks its CRC. Thread-safe (positional reads).
  Clip read(std::size_t i) const;
  // Reads every record (checks every CRC).
  void verify() const;

 private:
  void fail(const std::string& problem) const;
  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t file_size_ = 0;
  std::uint64_t table_offset_ = 0;
  nlohmann::json header_;
  SampleFormat format_ = SampleFormat::int16;
  std::vector<std::uint64_t> offsets_;
};

struct ShardJobOptions {
  std::filesystem::path out{};            // this split's folder (created); shards and index.json go there
  std::size_t records_per_shard = 32;
  SampleFormat format = SampleFormat::int16;
  int threads = 1;
  std::size_t max_clips = 0;              // 0 = every clip of the recipe; otherwise the first max_clips
  std::function<bool()> should_stop{};    // polled between clips; true abandons the shard being written
};

struct ShardJobResult {
  std::size_t shards = 0, written = 0, reused = 0, replaced = 0;
  std::size_t clips = 0;
  double audio_seconds = 0.0;  // of the clips written by this run (noisy only)
  double wall_seconds = 0.0;
  bool complete = false;       // every shard present and index.json written
};

// Makes the shards of `mixer` (epoch 0) in options.out, resuming: a shard that already exists, passes verify()
// and carries the same recipe and clip range is kept; anything else is (re)written. A folder holding a
// different recipe is refused. index.json ("complete": true) is written last, listing every shard.
ShardJobResult write_shards(const Mixer& mixer, const ShardJobOptions& options);

// The shard file name of shard k of a split.
std::string shard_file_name(const std::string& split, std::size_t k);

}  // namespace nnse::data
