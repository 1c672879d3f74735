#pragma once
// Internal to data/: listing one folder of each corpus layout (corpus.h describes the layouts) into files with
// their split, kind and group. kind_filter is the kind the caller asks for (an int of Kind), or -1 for every kind
// (only a manifest folder holds several).
#include <filesystem>
#include <vector>

#include "nnse/data/corpus.h"
#include "nnse/data/skip_log.h"

namespace nnse::data {

// What listing one folder found, before Corpus sorts it into the splits.
struct ListedFile {
  CorpusFile file;
  Split split;
  Kind kind;
};

// manifest layout: MANIFEST.tsv names each file's kind and group; splits/*.txt (or a hash of the name) its split.
void list_manifest(const std::filesystem::path& root, int kind_filter, int sample_rate, std::vector<ListedFile>& listed);
// LibriSpeech: the subset folder decides the split, the speaker folder the group.
void list_librispeech(const std::filesystem::path& folder, const std::filesystem::path& root, int kind_filter,
                      std::vector<ListedFile>& listed);
// MUSAN: its noise and music parts are noise; the split is a hash of the file name.
void list_musan(const std::filesystem::path& folder, const std::filesystem::path& root, int kind_filter,
                std::vector<ListedFile>& listed);
// Any other folder: every audio file below it, of the kind the caller says.
void list_plain(const std::filesystem::path& folder, const std::filesystem::path& root, int kind_filter,
                SkipLog& skipped, std::vector<ListedFile>& listed);

}  // namespace nnse::data
