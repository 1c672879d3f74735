#include "nnse/data/corpus.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "nnse/audio/audio_io.h"
#include "nnse/data/corpus_layouts.h"
#include "nnse/util/error.h"

namespace nnse::data {
namespace fs = std::filesystem;

std::string to_string(Split split) {
  switch (split) {
    case Split::train: return "train";
    case Split::valid: return "valid";
    case Split::test: return "test";
  }
  return "?";
}

Split split_from_string(const std::string& name) {
  if (name == "train") return Split::train;
  if (name == "valid") return Split::valid;
  if (name == "test") return Split::test;
  throw Error("unknown split '" + name + "' (expected train, valid or test)");
}

std::vector<Split> splits_from_option(const std::string& name) {
  if (name == "all") return {Split::train, Split::valid, Split::test};
  return {split_from_string(name)};
}

std::string to_string(Kind kind) {
  switch (kind) {
    case Kind::speech: return "speech";
    case Kind::noise: return "noise";
    case Kind::rir: return "rir";
  }
  return "?";
}

const std::vector<CorpusFile>& SplitFiles::of(Kind kind) const {
  switch (kind) {
    case Kind::speech: return speech;
    case Kind::noise: return noise;
    case Kind::rir: return rir;
  }
  return speech;
}

namespace {

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

}  // namespace

Corpus::Corpus(const CorpusSources& sources, int sample_rate, std::shared_ptr<SkipLog> skipped, int threads)
    : sample_rate_(sample_rate), threads_(std::max(1, threads)), skipped_(std::move(skipped)) {
  if (!skipped_) skipped_ = std::make_shared<SkipLog>();
  if (!sources.corpus.empty()) add_corpus(sources.corpus);
  for (const auto& more : sources.more_corpora) add_corpus(more);
  if (!sources.speech.empty()) add_folder(fs::absolute(sources.speech).lexically_normal(), static_cast<int>(Kind::speech));
  if (!sources.noise.empty()) add_folder(fs::absolute(sources.noise).lexically_normal(), static_cast<int>(Kind::noise));
  if (!sources.rir.empty()) add_folder(fs::absolute(sources.rir).lexically_normal(), static_cast<int>(Kind::rir));
  if (origins_.empty()) throw Error("no corpus given (--corpus, or --speech and --noise)");
  std::set<std::string> names;
  for (auto& split : splits_) {
    for (auto* list : {&split.speech, &split.noise, &split.rir}) {
      std::sort(list->begin(), list->end(), [](const CorpusFile& a, const CorpusFile& b) { return a.name < b.name; });
      // Names identify files in clip metadata and shards, so two corpora must not both have one.
      for (const auto& file : *list) {
        if (!names.insert(file.name).second) {
          throw Error(file.path, "its name '" + file.name + "' is also a file of another corpus or split given");
        }
      }
    }
  }
}

void Corpus::add_corpus(const fs::path& corpus) {
  const fs::path folder = fs::absolute(corpus).lexically_normal();
  if (!is_dir(folder)) throw Error(folder, "corpus folder does not exist");
  if (fs::exists(folder / "MANIFEST.tsv")) {
    add_folder(folder, -1);
    return;
  }
  // A download folder: LibriSpeech for speech, MUSAN for noise, side by side.
  bool any = false;
  if (is_dir(folder / "LibriSpeech")) add_folder(folder / "LibriSpeech", static_cast<int>(Kind::speech)), any = true;
  if (is_dir(folder / "musan")) add_folder(folder / "musan", static_cast<int>(Kind::noise)), any = true;
  if (!any) {
    throw Error(folder, "not a corpus folder: it has no MANIFEST.tsv and no LibriSpeech/ or musan/ folder "
                        "(use --speech/--noise/--rir for plain folders)");
  }
}

Corpus::~Corpus() = default;

void Corpus::add_folder(const fs::path& folder, int kind_filter) {
  const DetectedLayout detected = detect_layout(folder);
  const fs::path& root = detected.root;
  std::vector<ListedFile> listed;

  switch (detected.layout) {
    case Layout::manifest: list_manifest(root, kind_filter, sample_rate_, listed); break;
    case Layout::librispeech: list_librispeech(folder, root, kind_filter, listed); break;
    case Layout::musan: list_musan(folder, root, kind_filter, listed); break;
    case Layout::plain: list_plain(folder, root, kind_filter, *skipped_, listed); break;
  }

  std::set<Kind> kinds;
  for (auto& item : listed) {
    kinds.insert(item.kind);
    auto& split = splits_[static_cast<int>(item.split)];
    auto& list = item.kind == Kind::speech ? split.speech : item.kind == Kind::noise ? split.noise : split.rir;
    list.push_back(std::move(item.file));
  }
  if (listed.empty()) spdlog::warn("{}: no audio files found ({} layout)", folder.string(), to_string(detected.layout));
  for (const Kind kind : kinds) origins_.push_back({kind, folder, detected.layout});
  if (kinds.empty() && kind_filter >= 0) origins_.push_back({static_cast<Kind>(kind_filter), folder, detected.layout});
}

void Corpus::resolve(Split split) const {
  SplitFiles& files = splits_[static_cast<int>(split)];
  std::vector<CorpusFile*> pending;
  for (auto* list : {&files.speech, &files.noise, &files.rir}) {
    for (auto& file : *list) pending.push_back(&file);
  }
  if (!pending.empty() && std::any_of(pending.begin(), pending.end(), [](auto* f) { return f->samples < 0; })) {
    spdlog::debug("reading the headers of the {} split's files", to_string(split));
  }
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < pending.size(); i = next++) {
      CorpusFile& file = *pending[i];
      std::error_code ec;
      if (!fs::is_regular_file(file.path, ec)) {
        skipped_->add(file.path.string(), fs::exists(file.path, ec) ? "not a regular file" : "no such file");
        file.samples = 0;
        continue;
      }
      if (file.samples >= 0) continue;
      try {
        audio::AudioReader reader(file.path, sample_rate_, false);
        file.samples = reader.output_length();
      } catch (const std::exception& e) {
        std::string reason = e.what();
        const std::string prefix = file.path.string() + ": ";
        if (reason.rfind(prefix, 0) == 0) reason = reason.substr(prefix.size());
        skipped_->add(file.path.string(), reason);
        file.samples = 0;
      }
    }
  };
  const int workers = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(threads_), pending.size() / 64 + 1));
  std::vector<std::thread> pool;
  for (int t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();
  for (auto* list : {&files.speech, &files.noise, &files.rir}) {
    std::erase_if(*list, [](const CorpusFile& f) { return f.samples <= 0; });
  }
}

const SplitFiles& Corpus::files(Split split) const {
  std::call_once(resolved_[static_cast<int>(split)], [&] { resolve(split); });
  return splits_[static_cast<int>(split)];
}

std::vector<std::string> Corpus::noise_types(Split split) const {
  std::set<std::string> groups;
  for (const auto& file : files(split).noise) groups.insert(file.group);
  return {groups.begin(), groups.end()};
}

nlohmann::json Corpus::summary() const {
  nlohmann::json origins = nlohmann::json::array();
  for (const auto& origin : origins_) {
    origins.push_back({{"kind", to_string(origin.kind)}, {"folder", origin.folder.string()}, {"layout", to_string(origin.layout)}});
  }
  return {{"origins", origins}};
}

}  // namespace nnse::data
