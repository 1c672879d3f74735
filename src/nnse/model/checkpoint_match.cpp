#include "nnse/model/checkpoint_match.h"

#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "nnse/util/error.h"

namespace nnse::model {
namespace fs = std::filesystem;

namespace {

std::string frontend_difference(const dsp::FrontendConfig& saved, const dsp::FrontendConfig& now) {
  const nlohmann::json a = saved;
  const nlohmann::json b = now;
  std::string out;
  for (const auto& [key, value] : a.items()) {
    const auto it = b.find(key);
    if (it == b.end() || *it != value) {
      if (!out.empty()) out += ", ";
      out += key + " " + value.dump() + " (checkpoint) vs " + (it == b.end() ? "missing" : it->dump()) + " (now)";
    }
  }
  return out.empty() ? "settings differ" : out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

}  // namespace

std::string canonical_arch_text(const std::string& arch_text) {
  std::string out;
  for (std::string line : split_lines(arch_text)) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string word, joined;
    while (words >> word) joined += (joined.empty() ? "" : " ") + word;
    if (!joined.empty()) out += joined + "\n";
  }
  return out;
}

std::string weights_arch_text(const std::string& arch_text) {
  std::string out;
  for (const std::string& line : split_lines(canonical_arch_text(arch_text))) {
    if (line.rfind("dropprob ", 0) != 0) out += line + "\n";
  }
  return out;
}

void check_compatible(const Checkpoint& checkpoint, const fs::path& file, const std::string& arch_text,
                      const dsp::FrontendConfig& frontend) {
  const std::string saved = weights_arch_text(checkpoint.arch_text);
  const std::string now = weights_arch_text(arch_text);
  if (saved != now) {
    const auto a = split_lines(saved);
    const auto b = split_lines(now);
    std::size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    const std::string left = i < a.size() ? "'" + a[i] + "'" : "(end)";
    const std::string right = i < b.size() ? "'" + b[i] + "'" : "(end)";
    throw Error(file, "checkpoint was trained with a different nn_arch than the one given (statement " +
                          std::to_string(i + 1) + ": checkpoint " + left + ", given " + right + ")");
  }
  if (!(checkpoint.frontend == frontend)) {
    throw Error(file, "checkpoint was trained with a different feature config: " +
                          frontend_difference(checkpoint.frontend, frontend));
  }
}

void check_parameter_layout(const Checkpoint& checkpoint, const fs::path& file, const nn::ParameterSet& target) {
  if (checkpoint.parameters.size() != target.size()) {
    throw Error(file, "checkpoint has " + std::to_string(checkpoint.parameters.size()) +
                          " parameter tensors, the model has " + std::to_string(target.size()));
  }
  for (std::size_t i = 0; i < target.size(); ++i) {
    const auto& saved = checkpoint.parameters[i];
    auto& live = target[i];
    if (saved.name != live.name || saved.shape != live.shape) {
      auto shape = [](const std::vector<int>& s) {
        std::string out;
        for (int d : s) out += (out.empty() ? "" : "x") + std::to_string(d);
        return out;
      };
      throw Error(file, "parameter " + std::to_string(i) + " is " + saved.name + " [" + shape(saved.shape) +
                            "] in the checkpoint but " + live.name + " [" + shape(live.shape) + "] in the model");
    }
  }
}

void restore_parameters(const Checkpoint& checkpoint, const fs::path& file, nn::ParameterSet& target) {
  check_parameter_layout(checkpoint, file, target);
  for (std::size_t i = 0; i < target.size(); ++i) target[i].value = checkpoint.parameters[i].value;
}

}  // namespace nnse::model
