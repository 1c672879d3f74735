#include "cli/output_names.h"

#include <map>

#include "nnse/util/error.h"

namespace nnse::cli {
namespace fs = std::filesystem;

std::vector<fs::path> enhanced_output_names(const std::vector<fs::path>& inputs, const fs::path& input_root,
                                            const fs::path& output_root) {
  std::vector<fs::path> plain(inputs.size());
  std::map<fs::path, int> claims;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    plain[i] = output_root / fs::relative(inputs[i], input_root);
    plain[i].replace_extension(".wav");
    ++claims[plain[i]];
  }
  std::vector<fs::path> names(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const bool keeps_its_name = inputs[i].extension() == ".wav";  // exactly ".wav": "a.WAV" is renamed too
    if (claims[plain[i]] == 1 || keeps_its_name) {
      names[i] = plain[i];
    } else {
      names[i] = output_root / fs::relative(inputs[i], input_root);
      names[i] += ".wav";
    }
  }
  // Still a clash (an input literally named "a.flac.wav" beside "a.flac"): refuse before any work.
  std::map<fs::path, std::size_t> owner;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto [it, inserted] = owner.emplace(names[i], i);
    if (!inserted) {
      throw Error(names[i], "would be written for both " + inputs[it->second].string() + " and " +
                                inputs[i].string() + "; rename one of them");
    }
  }
  return names;
}

}  // namespace nnse::cli
