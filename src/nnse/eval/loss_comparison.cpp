#include "nnse/eval/loss_comparison.h"

#include <fmt/format.h>

#include <cairo.h>

#include <algorithm>
#include <memory>
#include <numbers>

#include "nnse/plot/figure.h"
#include "nnse/plot/font_caches.h"
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

struct CairoDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};

void chart_text(cairo_t* cr, double x, double y, const std::string& s, double size, double ax, double ay,
                bool bold = false, bool vertical = false) {
  cairo_save(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t te;
  cairo_text_extents(cr, s.c_str(), &te);
  cairo_translate(cr, x, y);
  if (vertical) cairo_rotate(cr, -std::numbers::pi / 2.0);
  cairo_move_to(cr, -te.x_advance * ax, -te.y_bearing - te.height * ay);
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  cairo_show_text(cr, s.c_str());
  cairo_restore(cr);
}

// One panel: a bar per loss (NaN: no bar, "n/a"), zero line, y ticks, names under the bars.
void bar_panel(cairo_t* cr, double x0, double y0, double w, double h, const std::string& title,
               const std::string& y_label, const std::vector<std::string>& names, const std::vector<double>& values,
               const std::vector<plot::Rgb>& colors, bool unit_interval) {
  const double left = x0 + 88, right = x0 + w - 15, top = y0 + 34, bottom = y0 + h - 110;
  chart_text(cr, x0 + w / 2, y0 + 10, title, 15, 0.5, 0.0, true);
  chart_text(cr, x0 + 6, (top + bottom) / 2, y_label, 12, 0.5, 0.0, false, true);
  double lo = 0, hi = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (hi - lo <= 0) hi = lo + (unit_interval ? 0.01 : 1.0);
  const auto ticks = plot::nice_ticks(lo, hi, 5);
  if (!ticks.empty()) {
    lo = std::min(lo, ticks.front());
    hi = std::max(hi, ticks.back());
  }
  const double pad = 0.06 * (hi - lo);
  hi += pad;
  if (lo < 0) lo -= pad;
  auto y_of = [&](double v) { return bottom - (v - lo) / (hi - lo) * (bottom - top); };
  cairo_set_line_width(cr, 1.0);
  for (double t : ticks) {
    const double y = y_of(t);
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_move_to(cr, left, y);
    cairo_line_to(cr, right, y);
    cairo_stroke(cr);
    const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1.0;
    const int decimals = std::clamp(static_cast<int>(std::ceil(-std::log10(step) - 1e-9)), 0, 6);
    chart_text(cr, left - 6, y, fmt::format("{:.{}f}", std::fabs(t) < 1e-6 * step ? 0.0 : t, decimals), 11, 1.0, 0.5);
  }
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  cairo_move_to(cr, left, y_of(0));
  cairo_line_to(cr, right, y_of(0));
  cairo_stroke(cr);
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_stroke(cr);
  const double slot = (right - left) / static_cast<double>(std::max<std::size_t>(1, names.size()));
  for (std::size_t i = 0; i < names.size(); ++i) {
    const double cx = left + slot * (static_cast<double>(i) + 0.5);
    const double v = values[i];
    if (std::isfinite(v)) {
      const double y1 = y_of(v), y0b = y_of(0);
      cairo_set_source_rgb(cr, colors[i].r / 255.0, colors[i].g / 255.0, colors[i].b / 255.0);
      cairo_rectangle(cr, cx - 0.35 * slot, std::min(y1, y0b), 0.7 * slot, std::fabs(y1 - y0b));
      cairo_fill(cr);
      const std::string label = unit_interval ? fmt::format("{:+.4f}", v) : number_text(v, false, true);
      chart_text(cr, cx, v >= 0 ? y1 - 3 : y1 + 3, label, 10, 0.5, v >= 0 ? 1.0 : 0.0);
    } else {
      chart_text(cr, cx, y_of(0) - 3, "n/a", 10, 0.5, 1.0);
    }
    chart_text(cr, cx, bottom + 6, names[i], 11, 1.0, 0.5, false, true);
  }
}

void write_chart(const std::filesystem::path& file, const LossComparison& comparison) {
  plot::release_font_caches_at_exit();
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
  const int cell_w = 560, cell_h = 340, header = 50;
  const int cols = panels.size() > 1 ? 2 : 1;
  const int rows = static_cast<int>((panels.size() + static_cast<std::size_t>(cols) - 1) / static_cast<std::size_t>(cols));
  std::unique_ptr<cairo_surface_t, CairoDeleter> surface(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, cols * cell_w, header + rows * cell_h));
  std::unique_ptr<cairo_t, CairoDeleter> context(cairo_create(surface.get()));
  cairo_t* cr = context.get();
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  std::string subtitle;
  if (comparison.budget.contains("epochs")) {
    const std::string epochs = comparison.budget["epochs"].dump();
    subtitle = fmt::format(", {} epoch{} each", epochs, epochs == "1" ? "" : "s");
  }
  chart_text(cr, cols * cell_w / 2.0, 14, "Loss comparison: improvement over the noisy input (test split" + subtitle + ")", 17,
             0.5, 0.0, true);
  for (std::size_t p = 0; p < panels.size(); ++p) {
    std::vector<double> values;
    for (const auto* run : runs) {
      const auto* g = overall(*run);
      values.push_back(g ? gain_over_noisy(columns[panels[p].column], g->metrics[panels[p].column]) : std::nan(""));
    }
    const double x0 = static_cast<double>(static_cast<int>(p) % cols * cell_w);
    const double y0 = header + static_cast<double>(static_cast<int>(p) / cols * cell_h);
    bar_panel(cr, x0, y0, cell_w, cell_h, panels[p].title, panels[p].y_label, names, values, colors,
              is_unit_interval(columns[panels[p].column].key));
  }
  cairo_surface_flush(surface.get());
  produce_file_atomic(file, [&](const std::filesystem::path& temporary) {
    if (cairo_surface_write_to_png(surface.get(), temporary.c_str()) != CAIRO_STATUS_SUCCESS) {
      throw Error(file, "cannot write PNG");
    }
  });
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
