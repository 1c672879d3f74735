#include "nnse/model/model_folder.h"

#include <charconv>

#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"

namespace nnse::model {
namespace fs = std::filesystem;

std::string model_name_from_arch(const fs::path& arch_file) {
  std::string name = arch_file.filename().string();
  if (name.size() > 4 && name.ends_with(".txt")) name.resize(name.size() - 4);
  if (name.size() > 4 && name.starts_with("def_")) name = name.substr(4);
  if (name.empty()) throw Error(arch_file, "cannot derive a model name from this arch file name");
  return name;
}

fs::path model_dir(const fs::path& models_dir, const fs::path& arch_file) {
  return models_dir / model_name_from_arch(arch_file);
}
fs::path checkpoint_dir(const fs::path& model_dir) { return model_dir / "checkpoints"; }
fs::path checkpoint_path(const fs::path& model_dir, int epoch) {
  return checkpoint_dir(model_dir) / ("epoch_" + std::to_string(epoch));
}
fs::path latest_path(const fs::path& model_dir) { return checkpoint_dir(model_dir) / "latest"; }

namespace {
std::optional<int> parse_epoch_number(std::string_view text) {
  int value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || text.empty()) return std::nullopt;
  return value;
}
}  // namespace

std::optional<int> latest_epoch(const fs::path& model_dir) {
  const fs::path path = latest_path(model_dir);
  if (!fs::exists(path)) return std::nullopt;
  std::string text = read_file_bytes(path);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  const auto epoch = parse_epoch_number(text);
  if (!epoch) throw Error(path, "malformed: expected an epoch number, found '" + text.substr(0, 40) + "'");
  return epoch;
}

EpochSelection EpochSelection::parse(const std::string& text) {
  EpochSelection s;
  if (text == "random") return s;
  if (text == "latest") {
    s.kind = Kind::latest;
    return s;
  }
  const auto epoch = parse_epoch_number(text);
  if (!epoch) throw Error("--epoch-loaded", "expected random, latest or an epoch number, got '" + text + "'");
  s.kind = Kind::number;
  s.epoch = *epoch;
  return s;
}

std::string EpochSelection::to_string() const {
  switch (kind) {
    case Kind::random: return "random";
    case Kind::latest: return "latest";
    case Kind::number: return std::to_string(epoch);
  }
  return "?";
}

std::optional<fs::path> resolve_checkpoint(const fs::path& model_dir, const EpochSelection& selection) {
  switch (selection.kind) {
    case EpochSelection::Kind::random: return std::nullopt;
    case EpochSelection::Kind::latest: {
      const auto epoch = latest_epoch(model_dir);
      if (!epoch) throw Error(latest_path(model_dir), "no checkpoint to resume from (--epoch-loaded latest)");
      const fs::path path = checkpoint_path(model_dir, *epoch);
      if (!fs::exists(path)) throw Error(path, "named by " + latest_path(model_dir).string() + " but missing");
      return path;
    }
    case EpochSelection::Kind::number: {
      const fs::path path = checkpoint_path(model_dir, selection.epoch);
      if (!fs::exists(path)) throw Error(path, "checkpoint not found (--epoch-loaded " + selection.to_string() + ")");
      return path;
    }
  }
  return std::nullopt;
}

}  // namespace nnse::model
