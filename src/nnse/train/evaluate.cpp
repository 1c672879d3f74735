#include "nnse/train/evaluate.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace nnse::train {

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
    double noisy = 0, enhanced = 0;
    for (const ClipEvaluation* clip : clips) {
      const auto a = column.get(clip->noisy);
      const auto b = column.get(clip->enhanced);
      if (!a || !b) continue;  // only clips where both sides exist, so the change compares like with like
      noisy += *a;
      enhanced += *b;
      ++summary.count;
    }
    if (summary.count > 0) {
      summary.noisy = noisy / summary.count;
      summary.enhanced = enhanced / summary.count;
    }
    group.metrics.push_back(summary);
  }
  return group;
}

}  // namespace

EvalReport summarize(std::vector<ClipEvaluation> clips) {
  EvalReport report;
  report.clips = std::move(clips);
  std::vector<const ClipEvaluation*> all;
  std::map<int, std::vector<const ClipEvaluation*>> by_snr;
  std::vector<const ClipEvaluation*> unknown;
  for (const auto& clip : report.clips) {
    all.push_back(&clip);
    if (std::isfinite(clip.snr_db)) {
      by_snr[static_cast<int>(std::lround(clip.snr_db))].push_back(&clip);
    } else {
      unknown.push_back(&clip);
    }
  }
  report.groups.push_back(summarize_group("all", std::nullopt, all));
  for (const auto& [snr, members] : by_snr) {
    report.groups.push_back(summarize_group(fmt::format("SNR {} dB", snr), snr, members));
  }
  if (!unknown.empty() && !by_snr.empty()) report.groups.push_back(summarize_group("SNR unknown", std::nullopt, unknown));
  return report;
}

std::string format_table(const EvalReport& report) {
  std::string out;
  for (const auto& group : report.groups) {
    out += fmt::format("{} ({} clip{})\n", group.label, group.clips, group.clips == 1 ? "" : "s");
    out += fmt::format("  {:<10} {:>10} {:>10} {:>10}\n", "metric", "noisy", "enhanced", "change");
    for (std::size_t i = 0; i < group.metrics.size(); ++i) {
      const auto& m = group.metrics[i];
      const auto& column = metric_columns()[i];
      if (m.count == 0) {
        out += fmt::format("  {:<10} {:>10} {:>10} {:>10}\n", column.label, "absent", "absent", "");
        continue;
      }
      const bool scale_01 = m.key == "stoi" || m.key == "estoi";
      const char* format = scale_01 ? "  {:<10} {:>10.3f} {:>10.3f} {:>+10.3f}{}\n" : "  {:<10} {:>10.2f} {:>10.2f} {:>+10.2f}{}\n";
      const bool better = column.higher_is_better ? m.improvement() > 0 : m.improvement() < 0;
      const std::string partial = m.count < group.clips ? fmt::format("  ({} clips)", m.count) : "";
      out += fmt::format(fmt::runtime(format), column.label, m.noisy, m.enhanced, m.improvement(),
                         (better ? "" : "  (worse)") + partial);
    }
  }
  return out;
}

nlohmann::json to_json(const EvalReport& report, bool include_clips) {
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json j;
  j["groups"] = nlohmann::json::array();
  for (const auto& group : report.groups) {
    nlohmann::json g;
    g["label"] = group.label;
    g["snr_db"] = group.snr_db ? nlohmann::json(*group.snr_db) : nlohmann::json(nullptr);
    g["clips"] = group.clips;
    for (const auto& m : group.metrics) {
      g["metrics"][m.key] = {{"clips", m.count},
                             {"noisy", number(m.noisy)},
                             {"enhanced", number(m.enhanced)},
                             {"improvement", number(m.count > 0 ? m.improvement() : std::nan(""))}};
    }
    j["groups"].push_back(std::move(g));
  }
  if (include_clips) {
    j["clips"] = nlohmann::json::array();
    for (const auto& clip : report.clips) {
      j["clips"].push_back(
          {{"name", clip.name}, {"snr_db", number(clip.snr_db)}, {"noisy", clip.noisy}, {"enhanced", clip.enhanced}});
    }
  }
  return j;
}

}  // namespace nnse::train
