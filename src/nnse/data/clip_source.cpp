#include "nnse/data/clip_source.h"

#include <algorithm>
#include <chrono>

#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"

namespace nnse::data {
namespace fs = std::filesystem;

OnTheFlyClipSource::OnTheFlyClipSource(std::shared_ptr<const Mixer> mixer) : mixer_(std::move(mixer)) {
  if (!mixer_) throw Error("OnTheFlyClipSource: no mixer");
}

OnTheFlyClipSource::OnTheFlyClipSource(const CorpusSources& sources, Split split, const MixConfig& config, int threads)
    : mixer_(std::make_shared<Mixer>(
          std::make_shared<Corpus>(sources, config.frontend.sample_rate, std::make_shared<SkipLog>(), threads), split,
          config)) {}

ShardClipSource::ShardClipSource(const fs::path& folder, bool verify_now) {
  const fs::path index_path = folder / "index.json";
  if (!fs::exists(index_path)) {
    std::string hint;
    for (const char* split : {"train", "valid", "test"}) {
      if (fs::exists(folder / split / "index.json")) hint += std::string(hint.empty() ? "" : ", ") + (folder / split).string();
    }
    throw Error(folder, "no index.json: not a shard folder" + (hint.empty() ? std::string() : " (split folders: " + hint + ")"));
  }
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(read_file_bytes(index_path));
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(index_path, std::string("not valid JSON: ") + e.what());
  }
  if (index.value("format", std::string()) != "nnse-shard-index") throw Error(index_path, "not an nnse shard index");
  if (!index.value("complete", false)) {
    throw Error(index_path, "the shard set is incomplete (the `nnse data` run was interrupted); run the same command "
                            "again to finish it");
  }
  recipe_ = index.at("recipe");
  sample_rate_ = index.at("sample_rate").get<int>();
  clip_samples_ = index.at("clip_samples").get<std::size_t>();
  for (const auto& entry : index.at("shards")) {
    const fs::path file = folder / entry.at("file").get<std::string>();
    auto reader = std::make_unique<ShardReader>(file);
    const auto& header = reader->header();
    if (header.value("recipe", nlohmann::json()) != recipe_) throw Error(file, "recipe differs from index.json");
    if (header.value("first_clip", std::size_t{0}) != total_ || reader->size() != entry.at("clips").get<std::size_t>()) {
      throw Error(file, "clip range differs from index.json");
    }
    if (reader->bytes() != entry.at("bytes").get<std::uint64_t>()) throw Error(file, "size differs from index.json");
    if (verify_now) reader->verify();
    first_.push_back(total_);
    total_ += reader->size();
    shards_.push_back(std::move(reader));
  }
  if (total_ != index.at("clips").get<std::size_t>()) throw Error(index_path, "clip count does not match its shards");
}

Clip ShardClipSource::get(std::size_t index, int /*epoch*/) const {
  if (index >= total_) {
    throw Error("clip index " + std::to_string(index) + " out of range (" + std::to_string(total_) + " clips)");
  }
  const auto it = std::upper_bound(first_.begin(), first_.end(), index);
  const auto shard = static_cast<std::size_t>(it - first_.begin()) - 1;
  Clip clip = shards_[shard]->read(index - first_[shard]);
  if (clip.noisy.size() != clip_samples_) throw Error(shards_[shard]->path(), "record with an unexpected length");
  return clip;
}

ClipPrefetcher::ClipPrefetcher(std::shared_ptr<const ClipSource> source, std::vector<std::size_t> order, int epoch,
                               int threads, std::size_t depth)
    : source_(std::move(source)), order_(std::move(order)), epoch_(epoch), depth_(std::max<std::size_t>(depth, 1)) {
  for (int t = 0; t < std::max(1, threads); ++t) workers_.emplace_back([this] { work(); });
}

ClipPrefetcher::~ClipPrefetcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  space_.notify_all();
  ready_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ClipPrefetcher::work() {
  for (;;) {
    std::size_t position = 0;
    {
      std::unique_lock lock(mutex_);
      space_.wait(lock, [&] { return stopping_ || dispatched_ >= order_.size() || dispatched_ < consumed_ + depth_; });
      if (stopping_ || dispatched_ >= order_.size()) return;
      position = dispatched_++;
      window_.resize(std::max(window_.size(), position - consumed_ + 1));
    }
    Slot slot;
    try {
      slot.clip = source_->get(order_[position], epoch_);
    } catch (...) {
      slot.error = std::current_exception();
    }
    slot.ready = true;
    {
      std::lock_guard lock(mutex_);
      window_[position - consumed_] = std::move(slot);
    }
    ready_.notify_all();
  }
}

bool ClipPrefetcher::next(Clip& clip) {
  std::unique_lock lock(mutex_);
  if (consumed_ >= order_.size()) return false;
  const auto started = std::chrono::steady_clock::now();
  ready_.wait(lock, [&] { return !window_.empty() && window_.front().ready; });
  waited_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  Slot slot = std::move(window_.front());
  window_.pop_front();
  ++consumed_;
  lock.unlock();
  space_.notify_all();
  if (slot.error) std::rethrow_exception(slot.error);
  clip = std::move(slot.clip);
  return true;
}

}  // namespace nnse::data
