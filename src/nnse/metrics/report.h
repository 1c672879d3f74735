#pragma once
// All objective metrics of one (clean, processed) pair, and the hook for an external PESQ tool.
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>

namespace nnse::metrics {

struct MetricReport {
  double si_sdr = 0;         // dB
  double snr = 0;            // dB
  double segmental_snr = 0;  // dB
  double lsd = 0;            // dB (lower is better)
  std::optional<double> stoi;   // absent when the signal is too short (under ~0.4 s of speech)
  std::optional<double> estoi;
  std::optional<double> pesq;   // only from an external tool (MetricOptions::pesq_command); absent otherwise
  std::optional<double> onset_gain;  // dB; absent when the clean signal has no word onset after a pause (metrics.h)
};

struct MetricOptions {
  // Command template for an external PESQ tool (see external_pesq); empty = PESQ not computed.
  std::string pesq_command;
};

// Lengths may differ: the common leading part is compared.
MetricReport compute_metrics(std::span<const float> clean, std::span<const float> processed, int sample_rate,
                             const MetricOptions& options = {});

// {"si_sdr_db", "snr_db", "segmental_snr_db", "lsd_db", "stoi", "estoi", "pesq", "onset_gain_db"}; absent values are
// null (and a missing "onset_gain_db", as in reports written before it existed, reads as absent).
void to_json(nlohmann::json& j, const MetricReport& report);
void from_json(const nlohmann::json& j, MetricReport& report);

// Runs a user's PESQ command through the shell and returns the score it printed on stdout (how it is found and
// range-checked: pesq_output.h). Throws nnse::Error naming --pesq-cmd when the command fails (non-zero exit) or
// its output holds no unambiguous score in the PESQ range. "{ref}" and "{deg}" in the template are replaced
// by the shell-quoted file paths; a template without them gets both appended, reference first. Example:
//   "pesq +16000 {ref} {deg}"  (ITU-T P.862 tool: its "MOS-LQO" line ends with the score)
double external_pesq(const std::string& command_template, const std::filesystem::path& reference,
                                    const std::filesystem::path& degraded);

}  // namespace nnse::metrics
