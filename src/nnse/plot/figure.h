#pragma once
// Pictures for people: a Figure is a column of panels of the same width, saved as PNG (cairo, written
// atomically), under an optional title. Three panel kinds: heat maps (spectrograms, masks, features: a
// [time x frequency] matrix with a colour bar), line plots (waveforms, gains, losses vs time, with legend) and bar
// charts (one value per named item, such as a metric per loss).
//
//   plot::Figure figure;
//   figure.add_heatmap(noisy_db, frames, 257, {.title = "noisy", .x_end = seconds, .y_end = 8.0});
//   figure.add_lines({{.label = "enhanced", .values = samples, .x_step = 1.0 / 16000}}, {.title = "waveform"});
//   figure.save_png("enhance.png");
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace nnse::plot {

enum class Colormap { viridis, magma, gray };

// Colour of position v in [0, 1] (clamped) as 8-bit RGB.
struct Rgb {
  unsigned char r = 0, g = 0, b = 0;
};
Rgb colormap_lookup(Colormap map, double v);

struct HeatmapOptions {
  std::string title;
  std::string x_label = "time (s)";
  std::string y_label = "frequency (kHz)";
  // Axis values at the outer edges of the first/last column (time) and row (frequency). When end <= start the
  // axis counts columns / rows instead.
  double x_start = 0.0, x_end = 0.0;
  double y_start = 0.0, y_end = 0.0;
  // Colour range; NaN (default) = automatic: [max - dynamic_range, max] of the finite values.
  double value_min = std::numeric_limits<double>::quiet_NaN();
  double value_max = std::numeric_limits<double>::quiet_NaN();
  double dynamic_range = 80.0;
  std::string colorbar_label = "dB";
  Colormap colormap = Colormap::viridis;
  int height = 260;  // pixels of the whole panel
};

struct LineSeries {
  std::string label;
  std::vector<float> values;
  double x_start = 0.0;  // x of values[0]
  double x_step = 1.0;   // x distance between values (1 / sample_rate for a waveform in seconds)
};

struct LineOptions {
  std::string title;
  std::string x_label = "time (s)";
  std::string y_label = "amplitude";
  // y range; NaN = automatic (the data's range with a margin).
  double y_min = std::numeric_limits<double>::quiet_NaN();
  double y_max = std::numeric_limits<double>::quiet_NaN();
  bool legend = true;
  int height = 200;
};

struct Bar {
  std::string name;          // written under the bar, reading upwards
  double value = 0.0;        // NaN: no bar, "n/a" in its place
  std::string value_label;   // at the bar's end: above a positive bar, below a negative one
  Rgb colour{31, 119, 180};
};

struct BarOptions {
  std::string title;
  std::string y_label;
  double min_span = 1.0;     // the y range when every value is the same (all zero, say)
  int name_height = 110;     // pixels under the plot for the bar names
  int height = 340;
};

class Figure {
 public:
  explicit Figure(int width = 1000);
  // values: row-major [columns x rows] = [time x frequency]; row 0 is drawn at the bottom. Non-finite values
  // take the lowest colour.
  Figure& add_heatmap(std::span<const float> values, int columns, int rows, const HeatmapOptions& options);
  Figure& add_lines(const std::vector<LineSeries>& series, const LineOptions& options);
  // The y axis always includes 0, from which the bars start.
  Figure& add_bars(const std::vector<Bar>& bars, const BarOptions& options);
  // A heading above the first panel (empty: none).
  Figure& set_title(std::string title);

  int width() const { return width_; }
  int height() const;  // sum of the panels' heights, plus the title's
  std::size_t panels() const { return panels_.size(); }
  // Throws nnse::Error naming the file if there is nothing to draw or it cannot be written.
  void save_png(const std::filesystem::path& file) const;

 private:
  struct Heatmap {
    std::vector<float> values;
    int columns = 0, rows = 0;
    HeatmapOptions options;
  };
  struct Lines {
    std::vector<LineSeries> series;
    LineOptions options;
  };
  struct Bars {
    std::vector<Bar> bars;
    BarOptions options;
  };
  struct Panel {
    enum class Kind { heatmap, lines, bars } kind = Kind::heatmap;
    Heatmap heatmap;
    Lines lines;
    Bars bars;
    int height = 0;
  };
  int width_;
  std::string title_;
  std::vector<Panel> panels_;
};

// "Nice" axis ticks (steps of 1, 2 or 5 x 10^n) covering [lo, hi], about `target` of them.
std::vector<double> nice_ticks(double lo, double hi, int target);

}  // namespace nnse::plot
