#pragma once
// `nnse eval`: enhance held-out mixtures with a trained model and compare noisy, enhanced and a peer (speexdsp
// in-process, or an external command such as RNNoise) on every objective metric, overall and per input SNR
// (clean inputs in a group of their own).
//
// Enhancement is exactly what `nnse enhance` does: the streaming enhance::Enhancer, one clip at a time from a
// fresh state, output sample-aligned with the input (its 20 ms delay compensated). There is one enhancement
// path in nnse; this is it.
#include <cmath>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/enhance/enhancer.h"
#include "nnse/metrics/report.h"
#include "nnse/nn/model.h"
#include "nnse/train/training_data.h"

namespace nnse::eval {

// One metric of MetricReport, for tables: key (JSON), label (table), direction, accessor.
struct MetricColumn {
  const char* key;
  const char* label;
  bool higher_is_better;
  std::optional<double> (*get)(const metrics::MetricReport&);
};
const std::vector<MetricColumn>& metric_columns();

struct ClipEvaluation {
  std::string name;
  double snr_db = std::nan("");  // the mixture's nominal SNR (+inf: clean input; NaN if unknown)
  metrics::MetricReport noisy;     // the noisy mixture against clean
  metrics::MetricReport enhanced;  // the enhanced signal against clean
  std::optional<metrics::MetricReport> peer;  // the classical peer's output against clean, when run
  // The corpus files mixed into the clip (empty when none of that kind is mixed in), so per-voice or per-noise
  // figures can be read from a report without rebuilding the mixtures.
  std::vector<std::string> speech_files = {};
  std::vector<std::string> noise_files = {};
  std::string noise_type = {};  // the mixer's noise type of the clip (data::ClipMeta), empty if unknown
};

struct MetricSummary {
  std::string key;
  int count = 0;                    // clips that have this metric (optional metrics may be absent)
  double noisy = std::nan("");      // mean over those clips
  double enhanced = std::nan("");
  double peer = std::nan("");       // NaN when the peer did not run
  double improvement() const { return enhanced - noisy; }
  double peer_improvement() const { return peer - noisy; }
};

struct EvalGroup {
  std::string label;                 // "all", "SNR 3 dB", "clean", "SNR unknown"
  std::optional<int> snr_db;         // the group's SNR (rounded to 1 dB), none for the others
  bool clean = false;                // inputs without noise
  int clips = 0;
  std::vector<MetricSummary> metrics;  // in metric_columns() order
};

struct EvalReport {
  // "all" (every clip with noise) first, then by increasing SNR, "clean", then "SNR unknown"
  std::vector<EvalGroup> groups;
  // The noisy inputs again, per noise type (ClipEvaluation::noise_type, e.g. "noise/fillets_fx"; clips without
  // one are left out), in name order: where a model or its peer helps and where not. Empty when the clips hold
  // fewer than two types.
  std::vector<EvalGroup> noise_types;
  std::vector<ClipEvaluation> clips;
  std::string peer_name;               // empty when no peer ran
};

EvalReport summarize(std::vector<ClipEvaluation> clips, std::string peer_name = "");
// A fixed-width text table: one block per group, one row per metric (noisy, enhanced, change, and the peer's
// value and change when it ran).
std::string format_table(const EvalReport& report);
// One markdown row per group: the change of each metric over noisy for the model (and the peer), for model cards;
// the clean group shows the outputs' own scores against their inputs instead.
std::string format_change_summary(const EvalReport& report);
// The same rows for report.noise_types (empty text when there are none).
std::string format_noise_type_summary(const EvalReport& report);
nlohmann::json to_json(const EvalReport& report, bool include_clips = true);

struct EvalOptions {
  int threads = 2;            // clips enhanced and measured in parallel
  metrics::MetricOptions metric_options;  // --pesq-cmd
  enhance::EnhancerOptions enhancer;      // attenuation limit, ...
  bool run_peer = true;                   // also run a peer on every clip: speexdsp, or peer_command
  // Non-empty: the peer is this external command (CommandPeer, `--peer-cmd`), labelled peer_name in the report.
  std::string peer_command;
  std::string peer_name = "command";
  bool quantized = false;                 // run the fixed-point runtime (deploy::QuantizedEnhancer) instead
  bool per_channel = false;               // with quantized: per-output-channel weight formats
  // True when the clips' audio was already DC-filtered with the front end's filter (shards, training-style
  // mixing): the features then must not filter it again. Raw mixtures (what users feed) leave it false.
  bool input_dc_removed = false;
  std::function<void(std::size_t done, std::size_t total)> progress;  // after each clip (may be empty)
};

// Enhances every clip (epoch 0 of the set) and measures noisy, enhanced and peer against clean.
EvalReport evaluate_clips(const nn::Model& model, const dsp::FrontendConfig& frontend, const dsp::FeatureStats& stats,
                          const train::ClipSet& clips, const EvalOptions& options);

}  // namespace nnse::eval
