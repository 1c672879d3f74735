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

#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/metrics/report.h"
#include "nnse/nn/model.h"
#include "nnse/train/batcher.h"
#include "nnse/train/engine.h"

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

// Enhances whole signals (already DC-removed) with the engine's inference pass, several clips per call. Each
// output has its input's length and is sample-aligned with it.
class BlockEnhancer {
 public:
  // The engine's pad frame must be the normalized log floor of `stats` (context_fill_frame).
  BlockEnhancer(Engine& engine, const dsp::FrontendConfig& frontend, const dsp::FeatureStats& stats);
  std::vector<std::vector<float>> enhance(const std::vector<std::span<const float>>& noisy);

 private:
  Engine& engine_;
  dsp::FrontendConfig frontend_;
  ClipFeaturizer featurizer_;
};

struct EvalOptions {
  int threads = 2;            // engine threads and metric workers
  int clips_per_batch = 8;    // clips enhanced per engine call
  metrics::MetricOptions metric_options;  // --pesq-cmd
  std::function<void(std::size_t done, std::size_t total)> progress;  // after each batch (may be empty)
};

// Enhances every clip (epoch 0 of the set) and measures noisy and enhanced against clean.
EvalReport evaluate_clips(nn::Model& model, const dsp::FrontendConfig& frontend, const dsp::FeatureStats& stats,
                          const ClipSet& clips, const EvalOptions& options);

// Cairo's text drawing leaves cairo and fontconfig caches allocated for the life of the process, which the
// sanitizer CI run reports as leaks. Registers (once) an exit handler that frees them; call it before drawing
// text with cairo (the comparison chart, plot::Figure pictures).
void release_font_caches_at_exit();

// `nnse compare-losses` (issue 6): one model per loss, everything else identical, each evaluated on the same split.
struct LossRun {
  std::string loss;                  // loss name
  std::string describe;              // Loss::describe() (resolved knobs)
  enum class Status { trained, diverged, failed } status = Status::trained;
  std::string message;               // why it diverged / failed
  int epochs = 0;                    // epochs on disk (last good epoch + 1)
  double train_loss = std::nan("");  // of the last good epoch (each loss on its own scale)
  double valid_loss = std::nan("");
  double seconds = 0.0;              // training time of this invocation
  std::optional<EvalReport> eval;    // of the last good checkpoint, when there is one
};
std::string to_string(LossRun::Status status);

struct LossComparison {
  std::string command;               // the exact command that produced it
  nlohmann::json budget;             // epochs, batch, chunk, lr, seed, data, ...
  std::vector<LossRun> runs;
};

// Writes out_dir/loss_comparison.md (tables: enhanced value and improvement over noisy per metric, per loss;
// the noisy input as the first row; diverged/failed runs listed with their reason), loss_comparison.csv and
// loss_comparison.png (bar charts of the improvement over noisy per metric, one bar per loss). Returns the
// markdown text.
std::string write_loss_comparison(const std::filesystem::path& out_dir, const LossComparison& comparison);

}  // namespace nnse::train
