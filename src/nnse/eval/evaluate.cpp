#include "nnse/eval/evaluate.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <map>
#include <mutex>

#include "nnse/dsp/stream_enhancer.h"
#include "nnse/eval/classical_peer.h"
#include "nnse/eval/command_peer.h"
#include "nnse/enhance/stream_factory.h"
#include "nnse/util/error.h"
#include "nnse/util/parallel.h"

namespace nnse::eval {

const std::vector<MetricColumn>& metric_columns() {
  static const std::vector<MetricColumn> columns = {
      {"si_sdr_db", "SI-SDR dB", true, [](const metrics::MetricReport& r) { return std::optional(r.si_sdr); }},
      {"snr_db", "SNR dB", true, [](const metrics::MetricReport& r) { return std::optional(r.snr); }},
      {"segmental_snr_db", "segSNR dB", true,
       [](const metrics::MetricReport& r) { return std::optional(r.segmental_snr); }},
      {"lsd_db", "LSD dB", false, [](const metrics::MetricReport& r) { return std::optional(r.lsd); }},
      {"stoi", "STOI", true, [](const metrics::MetricReport& r) { return r.stoi; }},
      {"estoi", "ESTOI", true, [](const metrics::MetricReport& r) { return r.estoi; }},
      {"pesq", "PESQ", true, [](const metrics::MetricReport& r) { return r.pesq; }},
      {"onset_gain_db", "onset dB", true, [](const metrics::MetricReport& r) { return r.onset_gain; }},
  };
  return columns;
}

namespace {

EvalGroup summarize_group(const std::string& label, std::optional<int> snr,
                          const std::vector<const ClipEvaluation*>& clips) {
  EvalGroup group;
  group.label = label;
  group.snr_db = snr;
  group.clips = static_cast<int>(clips.size());
  for (const auto& column : metric_columns()) {
    MetricSummary summary;
    summary.key = column.key;
    double noisy = 0, enhanced = 0, peer = 0;
    int peer_count = 0;
    for (const ClipEvaluation* clip : clips) {
      const auto a = column.get(clip->noisy);
      const auto b = column.get(clip->enhanced);
      if (!a || !b) continue;  // only clips where both sides exist, so the change compares like with like
      noisy += *a;
      enhanced += *b;
      ++summary.count;
      if (clip->peer) {
        if (const auto c = column.get(*clip->peer)) {
          peer += *c;
          ++peer_count;
        }
      }
    }
    if (summary.count > 0) {
      summary.noisy = noisy / summary.count;
      summary.enhanced = enhanced / summary.count;
      // The peer's mean only when it ran on every one of these clips (else it would not compare like with like).
      if (peer_count == summary.count) summary.peer = peer / peer_count;
    }
    group.metrics.push_back(summary);
  }
  return group;
}

bool better(const MetricColumn& column, double change) { return column.higher_is_better ? change > 0 : change < 0; }

std::string value_text(const std::string& key, double v, bool sign) {
  if (!std::isfinite(v)) return "-";
  const bool unit = key == "stoi" || key == "estoi";
  if (unit) return sign ? fmt::format("{:+.3f}", v) : fmt::format("{:.3f}", v);
  return sign ? fmt::format("{:+.2f}", v) : fmt::format("{:.2f}", v);
}

}  // namespace

EvalReport summarize(std::vector<ClipEvaluation> clips, std::string peer_name) {
  EvalReport report;
  report.clips = std::move(clips);
  report.peer_name = std::move(peer_name);
  std::vector<const ClipEvaluation*> all, clean, unknown;
  std::map<int, std::vector<const ClipEvaluation*>> by_snr;
  for (const auto& clip : report.clips) {
    if (std::isinf(clip.snr_db) && clip.snr_db > 0) {
      clean.push_back(&clip);
      continue;
    }
    all.push_back(&clip);
    if (std::isfinite(clip.snr_db)) {
      by_snr[static_cast<int>(std::lround(clip.snr_db))].push_back(&clip);
    } else {
      unknown.push_back(&clip);
    }
  }
  // "all" averages the noisy inputs: a clean input's 'noisy' score is the metric's ceiling (SI-SDR 120 dB), which
  // would swamp every mean it entered. Clean inputs are their own group.
  if (!all.empty() || clean.empty()) report.groups.push_back(summarize_group("all", std::nullopt, all));
  for (const auto& [snr, members] : by_snr) {
    report.groups.push_back(summarize_group(fmt::format("SNR {} dB", snr), snr, members));
  }
  if (!clean.empty()) {
    report.groups.push_back(summarize_group("clean", std::nullopt, clean));
    report.groups.back().clean = true;
  }
  const bool other_groups = !by_snr.empty() || !clean.empty();
  if (!unknown.empty() && other_groups) report.groups.push_back(summarize_group("SNR unknown", std::nullopt, unknown));
  std::map<std::string, std::vector<const ClipEvaluation*>> by_type;
  for (const ClipEvaluation* clip : all) {
    if (!clip->noise_type.empty()) by_type[clip->noise_type].push_back(clip);
  }
  if (by_type.size() >= 2) {
    for (const auto& [type, members] : by_type) {
      report.noise_types.push_back(summarize_group(type, std::nullopt, members));
    }
  }
  return report;
}

std::string format_table(const EvalReport& report) {
  const bool peer = !report.peer_name.empty();
  std::string out;
  for (const auto& group : report.groups) {
    out += fmt::format("{} ({} clip{})\n", group.label, group.clips, group.clips == 1 ? "" : "s");
    out += fmt::format("  {:<10} {:>10} {:>10} {:>10}", "metric", "noisy", "enhanced", "change");
    if (peer) out += fmt::format(" {:>10} {:>10}", report.peer_name, "change");
    out += "\n";
    for (std::size_t i = 0; i < group.metrics.size(); ++i) {
      const auto& m = group.metrics[i];
      const auto& column = metric_columns()[i];
      if (m.count == 0) {
        out += fmt::format("  {:<10} {:>10} {:>10}\n", column.label, "absent", "absent");
        continue;
      }
      out += fmt::format("  {:<10} {:>10} {:>10} {:>10}", column.label, value_text(m.key, m.noisy, false),
                         value_text(m.key, m.enhanced, false), value_text(m.key, m.improvement(), true));
      if (peer) {
        out += fmt::format(" {:>10} {:>10}", value_text(m.key, m.peer, false),
                           value_text(m.key, m.peer_improvement(), true));
      }
      if (!better(column, m.improvement())) out += "  (worse)";
      if (m.count < group.clips) out += fmt::format("  ({} clips)", m.count);
      out += "\n";
    }
  }
  return out;
}

namespace {

std::string change_rows(const std::vector<EvalGroup>& groups, const std::string& peer_name,
                        const std::string& first_column) {
  const bool peer = !peer_name.empty();
  std::string header = "| " + first_column + " | clips |", rule = "|---|---:|";
  for (const auto& column : metric_columns()) {
    if (std::string(column.key) == "snr_db" || std::string(column.key) == "segmental_snr_db") continue;
    header += fmt::format(" {} model |", column.label);
    rule += "---:|";
    if (peer) {
      header += fmt::format(" {} {} |", column.label, peer_name);
      rule += "---:|";
    }
  }
  std::string out = header + "\n" + rule + "\n";
  for (const auto& group : groups) {
    // A clean input's own score is the metric's ceiling, so a "change" there says nothing: the clean row shows
    // the output's score against its input instead (do no harm: SI-SDR and STOI close to the input's).
    std::string row = fmt::format("| {} | {} |", group.clean ? "clean (output vs input)" : group.label, group.clips);
    for (std::size_t i = 0; i < group.metrics.size(); ++i) {
      const auto& key = group.metrics[i].key;
      if (key == "snr_db" || key == "segmental_snr_db") continue;
      const auto& m = group.metrics[i];
      const double model = group.clean ? m.enhanced : m.improvement();
      const double other = group.clean ? m.peer : m.peer_improvement();
      row += fmt::format(" {} |", m.count ? value_text(key, model, !group.clean) : "-");
      if (peer) row += fmt::format(" {} |", m.count ? value_text(key, other, !group.clean) : "-");
    }
    out += row + "\n";
  }
  return out;
}

}  // namespace

std::string format_change_summary(const EvalReport& report) {
  return change_rows(report.groups, report.peer_name, "input");
}

std::string format_noise_type_summary(const EvalReport& report) {
  return report.noise_types.empty() ? std::string() : change_rows(report.noise_types, report.peer_name, "noise type");
}

nlohmann::json to_json(const EvalReport& report, bool include_clips) {
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json j;
  j["peer"] = report.peer_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(report.peer_name);
  auto group_json = [&number](const EvalGroup& group) {
    nlohmann::json g;
    g["label"] = group.label;
    g["snr_db"] = group.snr_db ? nlohmann::json(*group.snr_db) : nlohmann::json(nullptr);
    g["clean"] = group.clean;
    g["clips"] = group.clips;
    for (const auto& m : group.metrics) {
      g["metrics"][m.key] = {{"clips", m.count},
                             {"noisy", number(m.noisy)},
                             {"enhanced", number(m.enhanced)},
                             {"improvement", number(m.count > 0 ? m.improvement() : std::nan(""))},
                             {"peer", number(m.peer)},
                             {"peer_improvement", number(m.count > 0 ? m.peer_improvement() : std::nan(""))}};
    }
    return g;
  };
  j["groups"] = nlohmann::json::array();
  for (const auto& group : report.groups) j["groups"].push_back(group_json(group));
  j["noise_types"] = nlohmann::json::array();
  for (const auto& group : report.noise_types) j["noise_types"].push_back(group_json(group));
  if (include_clips) {
    j["clips"] = nlohmann::json::array();
    for (const auto& clip : report.clips) {
      nlohmann::json c = {{"name", clip.name},
                          {"snr_db", std::isinf(clip.snr_db) ? nlohmann::json("clean") : number(clip.snr_db)},
                          {"speech_files", clip.speech_files},
                          {"noise_files", clip.noise_files},
                          {"noise_type", clip.noise_type},
                          {"noisy", clip.noisy},
                          {"enhanced", clip.enhanced}};
      if (clip.peer) c["peer"] = *clip.peer;
      j["clips"].push_back(std::move(c));
    }
  }
  return j;
}

EvalReport evaluate_clips(const nn::Model& model, const dsp::FrontendConfig& frontend, const dsp::FeatureStats& stats,
                          const train::ClipSet& clips, const EvalOptions& options) {
  // Pre-filtered clips: the enhancer must not apply the feature high-pass a second time.
  dsp::FrontendConfig enhancer_frontend = frontend;
  if (options.input_dc_removed) enhancer_frontend.dc_removal = false;
  const enhance::RuntimeChoice runtime{.quantized = options.quantized, .per_channel = options.per_channel};
  enhance::check_runtime_settings(options.enhancer, runtime);  // before any worker starts
  // An external command peer is checked (template, name) before any clip is enhanced, and shared: each call
  // runs the command afresh. speexdsp keeps state: one per worker.
  std::optional<CommandPeer> command_peer;
  if (options.run_peer && !options.peer_command.empty()) {
    command_peer.emplace(options.peer_command, options.peer_name, frontend.sample_rate);
  }
  const int workers = std::max(1, std::min<int>(options.threads, static_cast<int>(std::max<std::size_t>(1, clips.size))));
  std::vector<ClipEvaluation> results(clips.size);
  std::atomic<std::size_t> next{0}, done{0};
  std::mutex progress_mutex;
  run_workers(workers, [&](int) {
    try {
      const auto enhancer = enhance::make_stream_enhancer(model, enhancer_frontend, stats, options.enhancer, runtime);
      std::optional<ClassicalPeer> classical_peer;
      if (options.run_peer && !command_peer) classical_peer.emplace(frontend.sample_rate);
      for (std::size_t i = next++; i < clips.size; i = next++) {
        const data::Clip clip = clips.get(i, 0);
        if (clip.noisy.size() != clip.clean.size()) {
          throw Error(clips.description, fmt::format("clip {}: noisy and clean lengths differ", i));
        }
        enhancer->reset();
        const std::vector<float> enhanced = dsp::enhance_whole(*enhancer, clip.noisy);
        ClipEvaluation& r = results[i];
        r.name = fmt::format("{}#{}{}", clip.meta.split.empty() ? "clip" : clip.meta.split, i,
                             clip.meta.noise_type.empty() ? "" : " (" + clip.meta.noise_type + ")");
        r.snr_db = clip.meta.snr_db ? *clip.meta.snr_db : std::nan("");
        for (const auto& piece : clip.meta.speech) r.speech_files.push_back(piece.file);
        r.noise_files = clip.meta.noise_files;
        r.noise_type = clip.meta.noise_type;
        r.noisy = metrics::compute_metrics(clip.clean, clip.noisy, frontend.sample_rate, options.metric_options);
        r.enhanced = metrics::compute_metrics(clip.clean, enhanced, frontend.sample_rate, options.metric_options);
        if (options.run_peer) {
          const std::vector<float> peer_output =
              command_peer ? command_peer->process(clip.noisy) : classical_peer->process(clip.noisy);
          r.peer = metrics::compute_metrics(clip.clean, peer_output, frontend.sample_rate, options.metric_options);
        }
        const std::size_t finished = ++done;
        if (options.progress) {
          std::lock_guard lock(progress_mutex);
          options.progress(finished, clips.size);
        }
      }
    } catch (...) {
      next = clips.size;  // the others stop at their next clip
      throw;
    }
  });
  const std::string peer_name = !options.run_peer ? "" : command_peer ? command_peer->name() : ClassicalPeer::name();
  return summarize(std::move(results), peer_name);
}

}  // namespace nnse::eval
