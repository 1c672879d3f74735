#include "nnse/data/shard.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <spdlog/spdlog.h>
#include <thread>

#include "nnse/audio/audio_io.h"
#include "nnse/data/checksum.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"

namespace nnse::data {
namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little, "the shard writer stores samples in host byte order");

namespace {

constexpr char kMagic[8] = {'N', 'N', 'S', 'E', 'S', 'H', 'R', 'D'};
constexpr char kEndMagic[8] = {'N', 'N', 'S', 'E', 'E', 'N', 'D', '!'};
constexpr char kRecordMagic[4] = {'N', 'R', 'E', 'C'};
constexpr std::size_t kPreambleBytes = 8 + 4 + 4 + 8;
constexpr std::size_t kRecordHeadBytes = 4 + 4 + 8 + 4 + 4;
constexpr std::size_t kFooterTailBytes = 8 + 4 + 4 + 8;

void put(std::vector<std::uint8_t>& out, const void* data, std::size_t size) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  out.insert(out.end(), p, p + size);
}
void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) { put(out, &v, 4); }
void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v) { put(out, &v, 8); }

template <typename T>
T get(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

std::size_t bytes_per_sample(SampleFormat format) { return format == SampleFormat::int16 ? 2 : 4; }

void put_samples(std::vector<std::uint8_t>& out, const std::vector<float>& x, SampleFormat format) {
  if (format == SampleFormat::float32) {
    put(out, x.data(), x.size() * sizeof(float));
    return;
  }
  const std::size_t at = out.size();
  out.resize(at + x.size() * 2);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::int16_t v = audio::to_pcm16(x[i]);
    std::memcpy(out.data() + at + 2 * i, &v, 2);
  }
}

std::vector<float> get_samples(const std::uint8_t* p, std::size_t n, SampleFormat format) {
  std::vector<float> x(n);
  if (format == SampleFormat::float32) {
    std::memcpy(x.data(), p, n * sizeof(float));
  } else {
    for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<float>(get<std::int16_t>(p + 2 * i)) / 32768.0f;
  }
  return x;
}

struct Stopped {};

}  // namespace

std::string to_string(SampleFormat format) { return format == SampleFormat::int16 ? "int16" : "float32"; }

SampleFormat sample_format_from_string(const std::string& name) {
  if (name == "int16") return SampleFormat::int16;
  if (name == "float32") return SampleFormat::float32;
  throw Error("unknown sample format '" + name + "' (expected int16 or float32)");
}

std::string shard_file_name(const std::string& split, std::size_t k) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "-%05zu.nnshard", k);
  return split + buffer;
}

void write_shard(const fs::path& target, nlohmann::json header, SampleFormat format, std::size_t count,
                 const std::function<Clip(std::size_t)>& clip_at) {
  header["format"] = "nnse-shard";
  header["version"] = kShardVersion;
  header["sample_format"] = to_string(format);
  header["records"] = count;
  produce_file_atomic(target, [&](const fs::path& temporary) {
    std::FILE* f = std::fopen(temporary.c_str(), "wb");
    if (!f) throw Error(temporary, std::string("cannot create: ") + std::strerror(errno));
    struct Closer {
      std::FILE* f;
      ~Closer() {
        if (f) std::fclose(f);
      }
    } closer{f};
    std::uint64_t position = 0;
    auto write = [&](const std::vector<std::uint8_t>& bytes) {
      if (std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
        throw Error(target, std::string("write failed: ") + std::strerror(errno));
      }
      position += bytes.size();
    };
    const std::string text = header.dump();
    std::vector<std::uint8_t> bytes;
    put(bytes, kMagic, 8);
    put_u32(bytes, kShardVersion);
    put_u32(bytes, 0);
    put_u64(bytes, text.size());
    put(bytes, text.data(), text.size());
    put_u32(bytes, crc32(0, text.data(), text.size()));
    write(bytes);
    std::vector<std::uint64_t> offsets;
    offsets.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      const Clip clip = clip_at(i);
      if (clip.noisy.size() != clip.clean.size()) throw Error(target, "clip with noisy and clean of different lengths");
      const std::string meta = nlohmann::json(clip.meta).dump();
      bytes.clear();
      bytes.reserve(kRecordHeadBytes + meta.size() + 2 * clip.noisy.size() * bytes_per_sample(format) + 4);
      put(bytes, kRecordMagic, 4);
      put_u32(bytes, static_cast<std::uint32_t>(meta.size()));
      put_u64(bytes, clip.noisy.size());
      put_u32(bytes, static_cast<std::uint32_t>(format));
      put_u32(bytes, 0);
      put(bytes, meta.data(), meta.size());
      put_samples(bytes, clip.noisy, format);
      put_samples(bytes, clip.clean, format);
      put_u32(bytes, crc32(0, bytes.data(), bytes.size()));
      offsets.push_back(position);
      write(bytes);
    }
    bytes.clear();
    for (const auto offset : offsets) put_u64(bytes, offset);
    put_u64(bytes, offsets.size());
    put_u32(bytes, crc32(0, bytes.data(), bytes.size()));
    put_u32(bytes, 0);
    put(bytes, kEndMagic, 8);
    write(bytes);
    if (std::fflush(f) != 0) throw Error(target, std::string("write failed: ") + std::strerror(errno));
    const int rc = std::fclose(f);
    closer.f = nullptr;
    if (rc != 0) throw Error(target, std::string("write failed: ") + std::strerror(errno));
  });
}

ShardReader::ShardReader(const fs::path& file) : path_(file) {
  fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail(errno == ENOENT ? "no such shard" : std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail(std::string("cannot stat: ") + std::strerror(errno));
  file_size_ = static_cast<std::uint64_t>(st.st_size);
  auto read_at = [&](std::uint64_t offset, std::size_t size) {
    std::vector<std::uint8_t> buffer(size);
    std::size_t done = 0;
    while (done < size) {
      const ssize_t got = ::pread(fd_, buffer.data() + done, size - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) fail("truncated: read past the end of the file");
      done += static_cast<std::size_t>(got);
    }
    return buffer;
  };
  if (file_size_ < kPreambleBytes + 4 + kFooterTailBytes) {
    fail("truncated: " + std::to_string(file_size_) + " bytes is too short for a shard");
  }
  const auto pre = read_at(0, kPreambleBytes);
  if (std::memcmp(pre.data(), kMagic, 8) != 0) fail("not an nnse shard (bad magic)");
  const auto version = get<std::uint32_t>(pre.data() + 8);
  if (version == 0 || version > kShardVersion) {
    fail("shard format version " + std::to_string(version) + " is not supported (this nnse reads version " +
         std::to_string(kShardVersion) + ")");
  }
  const auto header_bytes = get<std::uint64_t>(pre.data() + 16);
  if (header_bytes > file_size_ - kPreambleBytes - 4 - kFooterTailBytes) fail("truncated or corrupted: header length exceeds the file");
  const std::uint64_t header_end = kPreambleBytes + header_bytes + 4;
  const auto header_raw = read_at(kPreambleBytes, static_cast<std::size_t>(header_bytes) + 4);
  if (crc32(0, header_raw.data(), static_cast<std::size_t>(header_bytes)) !=
      get<std::uint32_t>(header_raw.data() + header_bytes)) {
    fail("header checksum mismatch (corrupted)");
  }
  try {
    header_ = nlohmann::json::parse(header_raw.begin(), header_raw.begin() + static_cast<std::ptrdiff_t>(header_bytes));
    format_ = sample_format_from_string(header_.at("sample_format").get<std::string>());
  } catch (const std::exception& e) {
    fail(std::string("header is not valid: ") + e.what());
  }
  const auto tail = read_at(file_size_ - kFooterTailBytes, kFooterTailBytes);
  if (std::memcmp(tail.data() + 16, kEndMagic, 8) != 0) {
    fail("truncated or corrupted: the end marker is missing (was the file cut off?)");
  }
  const auto count = get<std::uint64_t>(tail.data());
  if (count > (file_size_ - header_end) / (kRecordHeadBytes + 4 + 8)) fail("corrupted: impossible record count");
  table_offset_ = file_size_ - kFooterTailBytes - 8 * count;
  if (table_offset_ < header_end) fail("corrupted: record table overlaps the header");
  auto table = read_at(table_offset_, static_cast<std::size_t>(8 * count + 8));
  if (crc32(0, table.data(), table.size()) != get<std::uint32_t>(tail.data() + 8)) {
    fail("record table checksum mismatch (corrupted)");
  }
  offsets_.resize(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < offsets_.size(); ++i) offsets_[i] = get<std::uint64_t>(table.data() + 8 * i);
  for (std::size_t i = 0; i < offsets_.size(); ++i) {
    const std::uint64_t begin = offsets_[i];
    const std::uint64_t end = i + 1 < offsets_.size() ? offsets_[i + 1] : table_offset_;
    if ((i == 0 && begin != header_end) || end < begin + kRecordHeadBytes + 4) {
      fail("corrupted: record table is inconsistent at record " + std::to_string(i));
    }
  }
  if (offsets_.empty() && table_offset_ != header_end) fail("corrupted: data without records");
  if (header_.value("records", std::uint64_t{0}) != count) fail("corrupted: header and record table disagree on the record count");
}

ShardReader::~ShardReader() {
  if (fd_ >= 0) ::close(fd_);
}

void ShardReader::fail(const std::string& problem) const { throw Error(path_, problem); }

Clip ShardReader::read(std::size_t i) const {
  if (i >= offsets_.size()) fail("record " + std::to_string(i) + " out of range (" + std::to_string(offsets_.size()) + " records)");
  const std::uint64_t begin = offsets_[i];
  const std::uint64_t end = i + 1 < offsets_.size() ? offsets_[i + 1] : table_offset_;
  const auto size = static_cast<std::size_t>(end - begin);
  std::vector<std::uint8_t> buffer(size);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = ::pread(fd_, buffer.data() + done, size - done, static_cast<off_t>(begin + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) fail("truncated: record " + std::to_string(i) + " lies past the end of the file");
    done += static_cast<std::size_t>(got);
  }
  const std::string where = "record " + std::to_string(i) + " of " + std::to_string(offsets_.size());
  if (crc32(0, buffer.data(), size - 4) != get<std::uint32_t>(buffer.data() + size - 4)) {
    fail(where + ": checksum mismatch (corrupted data); the shard must be rebuilt");
  }
  if (std::memcmp(buffer.data(), kRecordMagic, 4) != 0) fail(where + ": bad record marker");
  const auto meta_bytes = get<std::uint32_t>(buffer.data() + 4);
  const auto samples = get<std::uint64_t>(buffer.data() + 8);
  const auto format = static_cast<SampleFormat>(get<std::uint32_t>(buffer.data() + 16));
  if (format != format_) fail(where + ": sample format differs from the header");
  if (kRecordHeadBytes + meta_bytes + 2 * samples * bytes_per_sample(format) + 4 != size) {
    fail(where + ": record length is inconsistent");
  }
  Clip clip;
  try {
    const auto* meta = reinterpret_cast<const char*>(buffer.data() + kRecordHeadBytes);
    clip.meta = nlohmann::json::parse(meta, meta + meta_bytes).get<ClipMeta>();
  } catch (const std::exception& e) {
    fail(where + ": metadata is not valid: " + e.what());
  }
  const std::uint8_t* audio = buffer.data() + kRecordHeadBytes + meta_bytes;
  clip.noisy = get_samples(audio, static_cast<std::size_t>(samples), format);
  clip.clean = get_samples(audio + samples * bytes_per_sample(format), static_cast<std::size_t>(samples), format);
  return clip;
}

void ShardReader::verify() const {
  for (std::size_t i = 0; i < offsets_.size(); ++i) (void)read(i);
}

namespace {

nlohmann::json read_json_file(const fs::path& file) {
  try {
    return nlohmann::json::parse(read_file_bytes(file));
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(file, std::string("not valid JSON: ") + e.what());
  }
}

std::string describe_difference(const nlohmann::json& had, const nlohmann::json& wanted) {
  const auto patch = nlohmann::json::diff(had, wanted);
  std::string out;
  std::size_t shown = 0;
  for (const auto& op : patch) {
    if (shown++ == 3) {
      out += ", ...";
      break;
    }
    if (!out.empty()) out += ", ";
    out += op.value("path", std::string("?"));
  }
  return out;
}

// Creates the output folder, refuses one that holds shards of another recipe, marks it as ours and not complete
// (before the first shard exists), and removes the temporaries of a run that was killed.
void claim_output_folder(const fs::path& out, const std::string& split, const nlohmann::json& recipe) {
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw Error(out, "cannot create folder: " + ec.message());
  const fs::path index_path = out / "index.json";
  if (fs::exists(index_path)) {
    const auto index = read_json_file(index_path);
    if (index.value("recipe", nlohmann::json()) != recipe) {
      throw Error(out, "holds shards made with a different recipe (differences at " +
                           describe_difference(index.value("recipe", nlohmann::json()), recipe) +
                           "); use another --out or delete the folder");
    }
  }
  write_file_atomic(index_path, nlohmann::json{{"format", "nnse-shard-index"}, {"version", kShardVersion},
                                               {"complete", false}, {"recipe", recipe}}.dump(2) + "\n");
  for (const auto& entry : fs::directory_iterator(out, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(split + "-", 0) == 0 && name.find(".nnshard.tmp-") != std::string::npos) fs::remove(entry.path(), ec);
  }
}

// Whether a shard left by an earlier run holds exactly clips [first, first + count) of this recipe, intact.
bool existing_shard_is_valid(const fs::path& target, const nlohmann::json& recipe, std::size_t first,
                             std::size_t count) {
  try {
    ShardReader reader(target);
    const auto& h = reader.header();
    if (h.value("recipe", nlohmann::json()) != recipe) throw Error(target, "made with a different recipe");
    if (h.value("first_clip", std::size_t{0}) != first || reader.size() != count) {
      throw Error(target, "holds a different clip range");
    }
    reader.verify();
    return true;
  } catch (const Error& e) {
    spdlog::warn("replacing invalid shard: {}", e.what());
    return false;
  }
}

// The index of a complete job: every shard with its clip range and size, and the files the corpus skipped.
void write_index(const fs::path& out, const Mixer& mixer, const nlohmann::json& recipe, const std::string& split,
                 std::size_t total, std::size_t per, std::size_t shard_count) {
  nlohmann::json shards = nlohmann::json::array();
  for (std::size_t k = 0; k < shard_count; ++k) {
    const std::string name = shard_file_name(split, k);
    shards.push_back({{"file", name}, {"first_clip", k * per}, {"clips", std::min(per, total - k * per)},
                      {"bytes", fs::file_size(out / name)}});
  }
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& [file, reason] : mixer.corpus().skipped()->entries()) skipped.push_back({{"file", file}, {"reason", reason}});
  const nlohmann::json index = {{"format", "nnse-shard-index"},
                                {"version", kShardVersion},
                                {"complete", true},
                                {"recipe", recipe},
                                {"split", split},
                                {"clips", total},
                                {"sample_rate", mixer.config().frontend.sample_rate},
                                {"clip_samples", mixer.config().clip_samples()},
                                {"shards", shards},
                                {"skipped_files", skipped}};
  write_file_atomic(out / "index.json", index.dump(2) + "\n");
}

}  // namespace

ShardJobResult write_shards(const Mixer& mixer, const ShardJobOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  if (options.records_per_shard == 0) throw Error("--records-per-shard", "must be positive");
  const std::string split = to_string(mixer.split());
  std::size_t total = mixer.size();
  if (options.max_clips > 0) total = std::min(total, options.max_clips);
  nlohmann::json recipe = mixer.recipe();
  recipe["sample_format"] = to_string(options.format);
  recipe["records_per_shard"] = options.records_per_shard;
  recipe["clips_written"] = total;

  const fs::path& out = options.out;
  claim_output_folder(out, split, recipe);

  const std::size_t per = options.records_per_shard;
  ShardJobResult result;
  result.shards = (total + per - 1) / per;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::exception_ptr failure;
  const double clip_seconds = static_cast<double>(mixer.config().clip_samples()) / mixer.config().frontend.sample_rate;
  auto should_stop = [&] { return stop.load() || (options.should_stop && options.should_stop()); };

  auto work = [&] {
    try {
      for (std::size_t k = next++; k < result.shards && !should_stop(); k = next++) {
        const fs::path target = out / shard_file_name(split, k);
        const std::size_t first = k * per;
        const std::size_t count = std::min(per, total - first);
        if (fs::exists(target)) {
          const bool valid = existing_shard_is_valid(target, recipe, first, count);
          std::lock_guard lock(mutex);
          if (valid) {
            ++result.reused;
            continue;
          }
          ++result.replaced;
        }
        const nlohmann::json header = {{"recipe", recipe}, {"split", split},
                                       {"shard", k},       {"first_clip", first},
                                       {"clips", count},   {"sample_rate", mixer.config().frontend.sample_rate}};
        write_shard(target, header, options.format, count, [&](std::size_t i) {
          if (should_stop()) throw Stopped{};
          return mixer.make(first + i, 0);
        });
        std::lock_guard lock(mutex);
        ++result.written;
        result.clips += count;
        result.audio_seconds += static_cast<double>(count) * clip_seconds;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        spdlog::info("{}: shard {} of {} written ({} done, {:.0f}x real time)", split, k + 1, result.shards,
                     result.written + result.reused, result.audio_seconds / std::max(elapsed, 1e-9));
      }
    } catch (const Stopped&) {
      stop = true;
    } catch (...) {
      std::lock_guard lock(mutex);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
  };
  const int threads = std::max(1, std::min<int>(options.threads, static_cast<int>(std::max<std::size_t>(result.shards, 1))));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (failure) std::rethrow_exception(failure);
  if (stop || (options.should_stop && options.should_stop())) return result;

  write_index(out, mixer, recipe, split, total, per, result.shards);
  result.complete = true;
  return result;
}

}  // namespace nnse::data
