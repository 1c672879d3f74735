#include "nnse/eval/loss_comparison.h"

#include <fmt/format.h>

#include <algorithm>

#include "nnse/plot/figure.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"

namespace nnse::eval {

std::string to_string(LossRun::Status status) {
  switch (status) {
    case LossRun::Status::trained: return "trained";
    case LossRun::Status::diverged: return "diverged";
    case LossRun::Status::failed: return "failed";
  }
  return "?";
}

namespace {

const EvalGroup* overall(const LossRun& run) {
  if (!run.eval || run.eval->groups.empty()) return nullptr;
  return &run.eval->groups.front();
}

std::string number_text(double v, bool unit_interval, bool sign = false) {
  if (!std::isfinite(v)) return "n/a";
  if (unit_interval) return sign ? fmt::format("{:+.3f}", v) : fmt::format("{:.3f}", v);
  return sign ? fmt::format("{:+.2f}", v) : fmt::format("{:.2f}", v);
}

bool is_unit_interval(const std::string& key) { return key == "stoi" || key == "estoi"; }

// "Better" direction folded in: positive = improvement (LSD is a distance, so its reduction counts).
double gain_over_noisy(const MetricColumn& column, const MetricSummary& m) {
  if (m.count == 0) return std::nan("");
  return column.higher_is_better ? m.improvement() : -m.improvement();
}

// Bar charts of the improvement over the noisy input, one panel per metric that any run has, one bar per loss.
void write_chart(const std::filesystem::path& file, const LossComparison& comparison) {
  std::vector<std::string> names;
  std::vector<const LossRun*> runs;
  for (const auto& run : comparison.runs) {
    names.push_back(run.status == LossRun::Status::trained ? run.loss : run.loss + " (" + to_string(run.status) + ")");
    runs.push_back(&run);
  }
  std::vector<plot::Rgb> colors;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    colors.push_back(plot::colormap_lookup(plot::Colormap::viridis,
                                           runs.size() < 2 ? 0.3 : 0.9 * static_cast<double>(i) / static_cast<double>(runs.size() - 1)));
  }
  struct Panel {
    std::size_t column;
    std::string title, y_label;
  };
  std::vector<Panel> panels;
  const auto& columns = metric_columns();
  for (std::size_t c = 0; c < columns.size(); ++c) {
    bool any = false;
    for (const auto* run : runs) {
      if (const auto* g = overall(*run)) any = any || g->metrics[c].count > 0;
    }
    if (!any) continue;
    const std::string key = columns[c].key;
    const std::string unit = is_unit_interval(key) ? "" : (key == "pesq" ? " MOS" : " dB");
    panels.push_back({c, std::string(columns[c].label) + (columns[c].higher_is_better ? " improvement" : " reduction"),
                      (columns[c].higher_is_better ? "enhanced - noisy" : "noisy - enhanced") + unit});
  }
  if (panels.empty()) panels.push_back({0, "SI-SDR improvement", "enhanced - noisy dB"});
  std::string subtitle;
  if (comparison.budget.contains("epochs")) {
    const std::string epochs = comparison.budget["epochs"].dump();
    subtitle = fmt::format(", {} epoch{} each", epochs, epochs == "1" ? "" : "s");
  }
  plot::Figure figure(800);
  figure.set_title("Loss comparison: improvement over the noisy input (test split" + subtitle + ")");
  for (const auto& panel : panels) {
    const bool unit_interval = is_unit_interval(columns[panel.column].key);
    std::vector<plot::Bar> bars;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const auto* g = overall(*runs[i]);
      const double v = g ? gain_over_noisy(columns[panel.column], g->metrics[panel.column]) : std::nan("");
      const std::string label = unit_interval ? fmt::format("{:+.4f}", v) : number_text(v, false, true);
      bars.push_back({names[i], v, label, colors[i]});
    }
    plot::BarOptions options;
    options.title = panel.title;
    options.y_label = panel.y_label;
    options.min_span = unit_interval ? 0.01 : 1.0;
    figure.add_bars(bars, options);
  }
  figure.save_png(file);
}

}  // namespace

std::string write_loss_comparison(const std::filesystem::path& out_dir, const LossComparison& comparison) {
  const auto& columns = metric_columns();
  const LossRun* reference = nullptr;
  for (const auto& run : comparison.runs) {
    if (overall(run)) {
      reference = &run;
      break;
    }
  }
  // Columns with no value anywhere (PESQ without --pesq-cmd) are still listed, as "absent".
  std::string md = "# Loss comparison\n\n";
  md += "Produced by:\n\n```\n" + comparison.command + "\n```\n\n";
  md += "Budget and data (identical for every loss): `" + comparison.budget.dump() + "`\n\n";
  if (reference) {
    md += fmt::format("## Objective metrics on the evaluation split ({} clips)\n\n",
                      reference->eval->groups.front().clips);
  } else {
    md += "## Objective metrics\n\nNo run produced a checkpoint to evaluate.\n\n";
  }
  md += "Each cell: the enhanced signal's mean, and in parentheses its change from the noisy input (for LSD lower "
        "is better). The best change per metric is in bold.\n\n";
  md += "| loss | status | epochs |";
  for (const auto& c : columns) md += fmt::format(" {} |", c.label);
  md += "\n|---|---|---|";
  for (std::size_t i = 0; i < columns.size(); ++i) md += "---|";
  md += "\n";
  if (reference) {
    md += "| noisy input | | |";
    for (const auto& m : overall(*reference)->metrics) {
      md += " " + (m.count ? number_text(m.noisy, is_unit_interval(m.key)) : std::string("absent")) + " |";
    }
    md += "\n";
  }
  std::vector<double> best(columns.size(), -std::numeric_limits<double>::infinity());
  for (const auto& run : comparison.runs) {
    if (const auto* g = overall(run)) {
      for (std::size_t c = 0; c < columns.size(); ++c) {
        const double v = gain_over_noisy(columns[c], g->metrics[c]);
        if (std::isfinite(v)) best[c] = std::max(best[c], v);
      }
    }
  }
  for (const auto& run : comparison.runs) {
    md += fmt::format("| {} | {} | {} |", run.loss, to_string(run.status), run.epochs);
    const auto* g = overall(run);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (!g || g->metrics[c].count == 0) {
        md += g ? " absent |" : " - |";
        continue;
      }
      const auto& m = g->metrics[c];
      const bool unit = is_unit_interval(m.key);
      std::string cell = number_text(m.enhanced, unit) + " (" + number_text(m.improvement(), unit, true) + ")";
      if (comparison.runs.size() > 1 && gain_over_noisy(columns[c], m) == best[c]) cell = "**" + cell + "**";
      md += " " + cell + " |";
    }
    md += "\n";
  }
  md += "\n## Training\n\nFinal losses are each on their own loss's scale (not comparable across rows).\n\n";
  md += "| loss | definition | epochs | final train loss | final valid loss | training time (s) |\n|---|---|---|---|---|---|\n";
  for (const auto& run : comparison.runs) {
    std::string definition;
    for (char ch : run.describe) definition += ch == '|' ? std::string("\\|") : std::string(1, ch);
    md += fmt::format("| {} | {} | {} | {} | {} | {:.0f} |\n", run.loss, definition, run.epochs,
                      std::isfinite(run.train_loss) ? fmt::format("{:.6g}", run.train_loss) : "-",
                      std::isfinite(run.valid_loss) ? fmt::format("{:.6g}", run.valid_loss) : "-", run.seconds);
  }
  bool any_problem = false;
  for (const auto& run : comparison.runs) any_problem = any_problem || run.status != LossRun::Status::trained;
  if (any_problem) {
    md += "\n## Runs that did not finish\n\n";
    for (const auto& run : comparison.runs) {
      if (run.status == LossRun::Status::trained) continue;
      md += fmt::format("- **{}** {}: {}{}\n", run.loss, to_string(run.status), run.message,
                        run.eval ? " (the table shows its last good checkpoint)" : "");
    }
  }
  md += "\n![loss comparison](loss_comparison.png)\n";

  std::string csv = "loss,status,epochs,train_loss,valid_loss,train_seconds";
  for (const auto& c : columns) csv += fmt::format(",{0}_noisy,{0}_enhanced,{0}_improvement", c.key);
  csv += "\n";
  auto csv_number = [](double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : std::string(); };
  for (const auto& run : comparison.runs) {
    csv += fmt::format("{},{},{},{},{},{:.1f}", run.loss, to_string(run.status), run.epochs, csv_number(run.train_loss),
                       csv_number(run.valid_loss), run.seconds);
    const auto* g = overall(run);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (!g || g->metrics[c].count == 0) {
        csv += ",,,";
        continue;
      }
      const auto& m = g->metrics[c];
      csv += "," + csv_number(m.noisy) + "," + csv_number(m.enhanced) + "," + csv_number(m.improvement());
    }
    csv += "\n";
  }

  std::filesystem::create_directories(out_dir);
  write_file_atomic(out_dir / "loss_comparison.md", md);
  write_file_atomic(out_dir / "loss_comparison.csv", csv);
  write_chart(out_dir / "loss_comparison.png", comparison);
  return md;
}

}  // namespace nnse::eval
