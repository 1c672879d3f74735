#pragma once
// `nnse eval`: enhance held-out mixtures with a trained model and compare noisy vs enhanced on every objective
// metric, overall and per input SNR.
//
// Enhancement here is the block form of what the streaming enhancer does: DC-removed noisy audio (the mixer's
// output), (win - hop) zeros appended so the last samples are complete, STFT, normalized log features, the
// network over the whole clip from a zero state with the context history filled with the normalized log floor,
// gain times the noisy STFT (noisy phase), inverse STFT cut to the input length (so it is sample-aligned with the
// clean reference; the streaming enhancer's 20 ms delay is compensated).
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "nnse/metrics/report.h"

namespace nnse::train {

// One metric of MetricReport, for tables: key (JSON), label (table), unit, direction, accessor.
struct MetricColumn {
  const char* key;
  const char* label;
  bool higher_is_better;
  std::optional<double> (*get)(const metrics::MetricReport&);
};
const std::vector<MetricColumn>& metric_columns();

struct ClipEvaluation {
  std::string name;
  double snr_db = std::nan("");  // the mixture's nominal SNR (NaN if unknown)
  metrics::MetricReport noisy;     // the noisy mixture against clean
  metrics::MetricReport enhanced;  // the enhanced signal against clean
};

struct MetricSummary {
  std::string key;
  int count = 0;                    // clips that have this metric (optional metrics may be absent)
  double noisy = std::nan("");      // mean over those clips
  double enhanced = std::nan("");
  double improvement() const { return enhanced - noisy; }
};

struct EvalGroup {
  std::string label;                 // "all" or "SNR 3 dB"
  std::optional<int> snr_db;         // the group's SNR (rounded to 1 dB), none for "all" / unknown
  int clips = 0;
  std::vector<MetricSummary> metrics;  // in metric_columns() order
};

struct EvalReport {
  std::vector<EvalGroup> groups;       // "all" first, then by increasing SNR, then "SNR unknown"
  std::vector<ClipEvaluation> clips;
};

EvalReport summarize(std::vector<ClipEvaluation> clips);
// A fixed-width text table: one block per group, one row per metric (noisy, enhanced, change).
std::string format_table(const EvalReport& report);
nlohmann::json to_json(const EvalReport& report, bool include_clips = true);

}  // namespace nnse::train
