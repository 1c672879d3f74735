#pragma once
// A peer that is an external program (`nnse eval --peer-cmd "TEMPLATE" --peer-name NAME`), e.g. RNNoise through
// scripts/peers/rnnoise/rnnoise.mjs. For each clip the mixture is written to a 16-bit WAV in a private scratch
// folder, the template is run with "{in}" and "{out}" replaced by the quoted paths, and the WAV the command wrote
// is read back and scored like the in-process speexdsp peer. The command must write a mono WAV at the clip's
// rate, sample-aligned with its input and of the same length (up to kLengthTolerance; the rest is padded with
// zeros or cut off); anything else throws nnse::Error naming --peer-cmd, the command and the problem.
#include <span>
#include <string>
#include <vector>

namespace nnse::eval {

class CommandPeer {
 public:
  // The most a command's output may differ in length from its input: 10 ms (a tool working in whole frames).
  static constexpr double kLengthToleranceSeconds = 0.010;

  // Checks the template (both placeholders) and the name (what the report's peer column says) at once.
  CommandPeer(std::string command_template, std::string name, int sample_rate);

  // One clip, from nothing: a fresh run of the command. Safe to call from several threads at once.
  std::vector<float> process(std::span<const float> input) const;
  const std::string& name() const { return name_; }

 private:
  std::string template_;
  std::string name_;
  int sample_rate_;
};

}  // namespace nnse::eval
