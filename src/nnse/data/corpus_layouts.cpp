// The corpus layouts of corpus.h: how a folder's layout is detected, and how each layout's files are listed with
// their split (the corpus's split lists, LibriSpeech subsets, or a hash), kind and group.
#include "nnse/data/corpus_layouts.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "nnse/data/checksum.h"
#include "nnse/util/error.h"

namespace nnse::data {
namespace fs = std::filesystem;

namespace {

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

bool looks_like_musan(const fs::path& folder) {
  return is_dir(folder / "noise") && is_dir(folder / "music");
}

bool has_librispeech_subsets(const fs::path& folder) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.is_directory() && is_librispeech_subset(entry.path().filename().string())) return true;
  }
  return false;
}

// Audio files below `folder`, sorted, hidden entries (temporary extraction folders, dot files) left out.
std::vector<fs::path> scan_audio(const fs::path& folder) {
  std::vector<fs::path> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, ec);
  if (ec) throw Error(folder, "cannot list folder: " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw Error(folder, "cannot list folder: " + ec.message());
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && is_audio_file(it->path())) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string relative_name(const fs::path& file, const fs::path& root) {
  return file.lexically_relative(root).generic_string();
}

// The first `levels` components of a relative name's folder ("noise/ufoai/x.flac", 2 -> "noise/ufoai").
std::string leading_folders(const std::string& name, int levels, const std::string& fallback) {
  const fs::path parent = fs::path(name).parent_path();
  std::string out;
  int n = 0;
  for (const auto& part : parent) {
    if (n == levels) break;
    if (!out.empty()) out += "/";
    out += part.generic_string();
    ++n;
  }
  return out.empty() ? fallback : out;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, '\t')) out.push_back(cell);
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\n')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  s = s.substr(i);
  if (s.rfind("./", 0) == 0) s = s.substr(2);
  return s;
}

// splits/{train,valid,test}.txt of a folder, as relative name -> split; empty when the folder has none.
std::map<std::string, Split> read_split_lists(const fs::path& root) {
  std::map<std::string, Split> out;
  if (!is_dir(root / "splits")) return out;
  for (const Split split : {Split::train, Split::valid, Split::test}) {
    const fs::path list = root / "splits" / (to_string(split) + ".txt");
    std::ifstream in(list);
    if (!in) continue;
    for (std::string line; std::getline(in, line);) {
      line = trim(line);
      if (line.empty() || line[0] == '#') continue;
      const auto [it, inserted] = out.emplace(line, split);
      if (!inserted && it->second != split) {
        throw Error(list, "'" + line + "' is listed in more than one split (" + to_string(it->second) + " and " +
                              to_string(split) + ")");
      }
    }
  }
  return out;
}

// Said loudly because it changes what the numbers mean: without the corpus's own split lists, files the corpus
// authors meant for valid/test may land in training, and evaluation on "test" is no longer held out.
void warn_no_split_lists(const fs::path& root, bool by_speaker) {
  spdlog::warn("{}: no splits/ folder (splits/train.txt, valid.txt, test.txt): files are assigned to train/valid/test "
               "by a hash of {} (80/10/10). This is NOT the corpus's own split: valid/test results are only "
               "comparable between runs on this same folder. Add splits/*.txt to fix the split.",
               root.string(), by_speaker ? "the speaker (speech: whole speakers per split) or file name (noise, RIRs)"
                                         : "the file name");
}

// Whether files of this kind are asked for (kind_filter < 0: every kind).
bool wanted(int kind_filter, Kind kind) { return kind_filter < 0 || kind_filter == static_cast<int>(kind); }

}  // namespace

Split hash_split(std::string_view key) {
  const std::string hex = md5_hex({reinterpret_cast<const std::uint8_t*>(key.data()), key.size()});
  const auto bucket = std::stoul(hex.substr(0, 8), nullptr, 16) % 100;
  if (bucket < 80) return Split::train;
  if (bucket < 90) return Split::valid;
  return Split::test;
}

bool is_librispeech_subset(const std::string& name) {
  for (const char* prefix : {"train-", "dev-", "test-"}) {
    if (name.rfind(prefix, 0) == 0 && (name.find("clean") != std::string::npos || name.find("other") != std::string::npos)) {
      return true;
    }
  }
  return false;
}

Split librispeech_split(const std::string& subset) {
  if (!is_librispeech_subset(subset)) throw Error(subset, "not a LibriSpeech subset name");
  if (subset.rfind("train-", 0) == 0) return Split::train;
  if (subset.rfind("dev-", 0) == 0) return Split::valid;
  return Split::test;
}

bool is_audio_file(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::set<std::string> known = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif",
                                              ".aiff", ".au",  ".w64", ".caf", ".sph"};
  return known.count(ext) > 0;
}

std::string to_string(Layout layout) {
  switch (layout) {
    case Layout::manifest: return "manifest";
    case Layout::librispeech: return "librispeech";
    case Layout::musan: return "musan";
    case Layout::plain: return "plain";
  }
  return "?";
}

DetectedLayout detect_layout(const fs::path& folder) {
  if (!is_dir(folder)) throw Error(folder, "no such folder");
  if (fs::exists(folder / "MANIFEST.tsv")) return {Layout::manifest, folder};
  if (is_dir(folder / "LibriSpeech")) return {Layout::librispeech, folder / "LibriSpeech"};
  if (has_librispeech_subsets(folder)) return {Layout::librispeech, folder};
  if (is_librispeech_subset(folder.filename().string())) return {Layout::librispeech, folder};
  if (is_dir(folder / "musan") && looks_like_musan(folder / "musan")) return {Layout::musan, folder / "musan"};
  if (looks_like_musan(folder)) return {Layout::musan, folder};
  return {Layout::plain, folder};
}

void list_manifest(const fs::path& root, int kind_filter, int sample_rate, std::vector<ListedFile>& listed) {
  const fs::path manifest = root / "MANIFEST.tsv";
  std::ifstream in(manifest);
  if (!in) throw Error(manifest, "cannot open for reading");
  std::string line;
  if (!std::getline(in, line)) throw Error(manifest, "empty manifest");
  const auto header = split_tabs(trim(line));
  auto column = [&](const std::string& name) -> int {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  const int c_path = column("path"), c_kind = column("kind"), c_group = column("speaker_or_group"),
            c_duration = column("duration_s");
  if (c_path < 0 || c_kind < 0) throw Error(manifest, "header must name the columns 'path' and 'kind'");
  const auto lists = read_split_lists(root);
  if (lists.empty()) warn_no_split_lists(root, c_group >= 0);
  std::size_t unlisted = 0, line_number = 1;
  std::set<std::string> in_manifest;
  while (std::getline(in, line)) {
    ++line_number;
    line = trim(line);
    if (line.empty()) continue;
    const auto cells = split_tabs(line);
    if (static_cast<int>(cells.size()) <= std::max(c_path, c_kind)) {
      throw Error(manifest, "line " + std::to_string(line_number) + ": too few columns");
    }
    const std::string name = trim(cells[static_cast<std::size_t>(c_path)]);
    const std::string kind_name = cells[static_cast<std::size_t>(c_kind)];
    in_manifest.insert(name);
    Kind kind;
    if (kind_name == "speech") kind = Kind::speech;
    else if (kind_name == "noise") kind = Kind::noise;
    else if (kind_name == "rir") kind = Kind::rir;
    else throw Error(manifest, "line " + std::to_string(line_number) + ": unknown kind '" + kind_name + "'");
    if (!wanted(kind_filter, kind)) continue;
    // Noise types and RIR groups are folders ("noise/ufoai"); speech groups are speakers when the manifest says.
    const bool has_speaker = c_group >= 0 && static_cast<int>(cells.size()) > c_group &&
                             !trim(cells[static_cast<std::size_t>(c_group)]).empty();
    Split split;
    if (lists.empty()) {
      // Whole speakers go to one split, so no valid/test speaker is heard in training.
      split = hash_split(kind == Kind::speech && has_speaker ? "speaker:" + trim(cells[static_cast<std::size_t>(c_group)])
                                                             : fs::path(name).stem().string());
    } else {
      const auto it = lists.find(name);
      if (it == lists.end()) {
        ++unlisted;
        continue;
      }
      split = it->second;
    }
    CorpusFile file;
    file.path = root / name;
    file.name = name;
    file.group = kind == Kind::speech && has_speaker ? cells[static_cast<std::size_t>(c_group)]
                                                     : leading_folders(name, 2, to_string(kind));
    if (c_duration >= 0 && static_cast<int>(cells.size()) > c_duration) {
      try {
        const double seconds = std::stod(cells[static_cast<std::size_t>(c_duration)]);
        if (seconds > 0) file.samples = std::llround(seconds * sample_rate);
      } catch (const std::exception&) {
        // Unknown length: found from the file header later.
      }
    }
    listed.push_back({std::move(file), split, kind});
  }
  if (unlisted > 0) spdlog::warn("{}: {} files are in no split list and are not used", manifest.string(), unlisted);
  for (const auto& [name, split] : lists) {
    if (!in_manifest.count(name)) {
      spdlog::warn("{}: '{}' is in splits/{}.txt but not in MANIFEST.tsv; not used", manifest.string(), name,
                   to_string(split));
    }
  }
}

void list_librispeech(const fs::path& folder, const fs::path& root, int kind_filter, std::vector<ListedFile>& listed) {
  if (kind_filter != static_cast<int>(Kind::speech)) throw Error(folder, "a LibriSpeech folder can only be speech");
  std::vector<fs::path> subsets;
  if (is_librispeech_subset(root.filename().string()) && !has_librispeech_subsets(root)) {
    subsets.push_back(root);
  } else {
    for (const auto& entry : fs::directory_iterator(root)) {
      if (entry.is_directory() && is_librispeech_subset(entry.path().filename().string())) subsets.push_back(entry.path());
    }
    std::sort(subsets.begin(), subsets.end());
  }
  for (const auto& subset : subsets) {
    const Split split = librispeech_split(subset.filename().string());
    const fs::path base = subset.parent_path();
    for (const auto& path : scan_audio(subset)) {
      CorpusFile file;
      file.path = path;
      file.name = relative_name(path, base);  // "train-clean-100/19/198/19-198-0000.flac"
      const fs::path rel = path.lexically_relative(subset);
      file.group = rel.begin() != rel.end() ? rel.begin()->string() : subset.filename().string();
      listed.push_back({std::move(file), split, Kind::speech});
    }
  }
}

void list_musan(const fs::path& folder, const fs::path& root, int kind_filter, std::vector<ListedFile>& listed) {
  if (kind_filter != static_cast<int>(Kind::noise)) {
    throw Error(folder, "a MUSAN folder can only be noise (its speech part is never used)");
  }
  for (const char* part : {"noise", "music"}) {
    if (!is_dir(root / part)) continue;
    for (const auto& path : scan_audio(root / part)) {
      CorpusFile file;
      file.path = path;
      file.name = relative_name(path, root);  // "noise/free-sound/noise-free-sound-0000.wav"
      file.group = "musan/" + leading_folders(file.name, 2, part);
      listed.push_back({std::move(file), hash_split(path.stem().string()), Kind::noise});
    }
  }
}

void list_plain(const fs::path& folder, const fs::path& root, int kind_filter, SkipLog& skipped,
                std::vector<ListedFile>& listed) {
  if (kind_filter < 0) {
    throw Error(folder, "--corpus expects a folder with MANIFEST.tsv (or LibriSpeech/ and musan/ folders); use "
                        "--speech, --noise and --rir for plain folders");
  }
  const Kind kind = static_cast<Kind>(kind_filter);
  const auto lists = read_split_lists(root);
  if (lists.empty()) warn_no_split_lists(root, false);
  for (const auto& path : scan_audio(root)) {
    const std::string name = relative_name(path, root);
    if (name.rfind("splits/", 0) == 0) continue;
    Split split;
    if (lists.empty()) {
      split = hash_split(path.stem().string());
    } else {
      const auto it = lists.find(name);
      if (it == lists.end()) continue;
      split = it->second;
    }
    CorpusFile file;
    file.path = path;
    file.name = name;
    file.group = leading_folders(name, 1, root.filename().string());
    listed.push_back({std::move(file), split, kind});
  }
  for (const auto& [name, split] : lists) {
    if (!fs::exists(root / name)) skipped.add((root / name).string(), "listed in splits/" + to_string(split) + ".txt but missing");
  }
}

}  // namespace nnse::data
