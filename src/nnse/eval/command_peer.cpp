#include "nnse/eval/command_peer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "nnse/audio/audio_io.h"
#include "nnse/util/error.h"
#include "nnse/util/shell_command.h"
#include "nnse/util/temp_files.h"

namespace nnse::eval {
namespace {

constexpr const char* kOption = "--peer-cmd";

}  // namespace

CommandPeer::CommandPeer(std::string command_template, std::string name, int sample_rate)
    : template_(std::move(command_template)), name_(std::move(name)), sample_rate_(sample_rate) {
  if (template_.find("{in}") == std::string::npos || template_.find("{out}") == std::string::npos) {
    throw Error(kOption, "'" + template_ + "' must name both {in} (the mixture it reads) and {out} (the WAV it "
                         "writes), e.g. \"node scripts/peers/rnnoise/rnnoise.mjs {in} {out}\"");
  }
  if (name_.empty() || std::any_of(name_.begin(), name_.end(), [](unsigned char c) { return c < 0x20 || c == '|'; })) {
    throw Error("--peer-name", "'" + name_ + "' must be a non-empty label without '|' or control characters");
  }
  if (sample_rate_ <= 0) throw Error(kOption, "sample rate must be positive");
}

std::vector<float> CommandPeer::process(std::span<const float> input) const {
  ScratchFolder scratch("peer");
  const std::filesystem::path in = scratch.file("in.wav"), out = scratch.file("out.wav");
  audio::write_wav16(in, input, sample_rate_);
  const std::string command = fill_command_template(template_, {{"{in}", in}, {"{out}", out}});
  const std::string label = fmt::format("{} ({})", kOption, name_);
  run_shell_command(command, label, true);

  auto problem = [&](const std::string& what) { return Error(label, "'" + command + "': " + what); };
  std::error_code ec;
  if (!std::filesystem::is_regular_file(out, ec)) throw problem("exited 0 but wrote nothing to {out}");
  audio::AudioInfo info;
  try {
    info = audio::probe(out);
  } catch (const Error& e) {
    throw problem(std::string("its output is not readable audio: ") + e.what());
  }
  if (info.sample_rate != sample_rate_) {
    throw problem(fmt::format("its output is at {} Hz, the input at {} Hz (it must write the input's rate)",
                              info.sample_rate, sample_rate_));
  }
  if (info.channels != 1) throw problem(fmt::format("its output has {} channels, not 1", info.channels));
  std::vector<float> output = audio::read_mono(out, sample_rate_, false);
  const auto tolerance = static_cast<std::size_t>(std::lround(kLengthToleranceSeconds * sample_rate_));
  const std::size_t n = input.size();
  if (output.size() + tolerance < n || output.size() > n + tolerance) {
    throw problem(fmt::format("its output has {} samples for an input of {} (they may differ by at most {}: the "
                              "output must be the input's signal, aligned with it)",
                              output.size(), n, tolerance));
  }
  output.resize(n, 0.0f);
  return output;
}

}  // namespace nnse::eval
