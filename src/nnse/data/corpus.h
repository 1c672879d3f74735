#pragma once
// Corpora: folders of audio files, each file assigned to one split (train / valid / test) and one kind
// (speech / noise / rir). Layouts understood (detected per folder, see detect_layout):
//   manifest     a folder with MANIFEST.tsv (columns path kind source speaker_or_group license duration_s) and
//                optional splits/{train,valid,test}.txt, paths relative to the folder (the starter
//                corpus, docs/reference-facts.md section 6)
//   librispeech  LibriSpeech/<subset>/<speaker>/<chapter>/*.flac; the subset decides the split: train-* -> train,
//                dev-* -> valid, test-* -> test
//   musan        musan/{noise,music,speech}/<source>/...: noise and music are noise, speech is never used
//   plain        any folder, searched recursively for audio files; splits/{train,valid,test}.txt when present
// Without split lists, a file goes to a split by hashing its name (hash_split; the starter corpus's own rule).
// A split only ever contains its own files; nothing here moves a file between splits. Each layout is listed by
// corpus_layouts.cpp.
//
// Noise "types" (the unit of --datasize-noise, reference 2.4) are the folders below the kind's root:
// "noise/ufoai" in the manifest layout, "noise/free-sound" or "music/jamendo" in MUSAN, the first folder level
// of a plain folder (files at its top level take the folder's own name).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "nnse/data/skip_log.h"

namespace nnse::data {

enum class Split { train = 0, valid = 1, test = 2 };
std::string to_string(Split split);
Split split_from_string(const std::string& name);  // throws nnse::Error for unknown names
// "train", "valid", "test" or "all".
std::vector<Split> splits_from_option(const std::string& name);

enum class Kind { speech, noise, rir };
std::string to_string(Kind kind);

enum class Layout { manifest, librispeech, musan, plain };
std::string to_string(Layout layout);

struct CorpusFile {
  std::filesystem::path path;  // where it is read from
  std::string name;            // stable identifier written into metadata: path relative to the corpus root
  std::string group;           // noise type, speaker, or folder
  std::int64_t samples = -1;   // length at the pipeline's sample rate; -1 until known
};

struct SplitFiles {
  std::vector<CorpusFile> speech, noise, rir;  // each sorted by name
  const std::vector<CorpusFile>& of(Kind kind) const;
};

// Where the audio comes from: either one folder holding every kind (manifest layout), or one folder per kind
// (any layout; a manifest folder given as --speech contributes only its speech files, and so on).
struct CorpusSources {
  std::filesystem::path corpus{};
  // Further corpus folders (same rules as `corpus`), merged in: e.g. the starter corpus plus extra voices. A file
  // name (path relative to its corpus) may appear in only one of them.
  std::vector<std::filesystem::path> more_corpora{};
  std::filesystem::path speech{}, noise{}, rir{};
};

// Split by hashing: the first 32 bits of md5(key) mod 100; < 80 train, < 90 valid, else test.
Split hash_split(std::string_view key);
// The split of a LibriSpeech subset folder name, or throws nnse::Error for names that are not subsets.
Split librispeech_split(const std::string& subset);
bool is_librispeech_subset(const std::string& name);
bool is_audio_file(const std::filesystem::path& file);

// The layout of `folder` and the folder the layout is rooted at (e.g. DIR/LibriSpeech for a data folder).
struct DetectedLayout {
  Layout layout = Layout::plain;
  std::filesystem::path root;
};
DetectedLayout detect_layout(const std::filesystem::path& folder);

class Corpus {
 public:
  // Lists the files (cheap). Lengths are found per split on first use: from the manifest when it has them,
  // otherwise by opening each file's header (`threads` at a time). Files that cannot be opened go to `skipped`.
  Corpus(const CorpusSources& sources, int sample_rate, std::shared_ptr<SkipLog> skipped, int threads = 1);
  ~Corpus();
  Corpus(const Corpus&) = delete;
  Corpus& operator=(const Corpus&) = delete;

  // The usable files of a split (lengths known, unreadable ones removed). Thread-safe.
  const SplitFiles& files(Split split) const;
  // Sorted distinct noise groups of a split.
  std::vector<std::string> noise_types(Split split) const;
  int sample_rate() const { return sample_rate_; }
  const std::shared_ptr<SkipLog>& skipped() const { return skipped_; }
  // Where each kind came from (folder and layout) and the file counts per split; goes into shard headers.
  nlohmann::json summary() const;

 private:
  struct Origin {
    Kind kind;
    std::filesystem::path folder;
    Layout layout;
  };
  void add_corpus(const std::filesystem::path& corpus);
  void add_folder(const std::filesystem::path& folder, int kind_filter);
  void resolve(Split split) const;

  int sample_rate_;
  int threads_;
  std::shared_ptr<SkipLog> skipped_;
  std::vector<Origin> origins_;
  mutable SplitFiles splits_[3];
  mutable std::once_flag resolved_[3];
};

}  // namespace nnse::data
