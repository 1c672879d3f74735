#include "nnse/train/loss_history.h"

#include <fmt/format.h>

#include <cmath>
#include <string>

#include "nnse/plot/figure.h"
#include "nnse/util/atomic_file.h"

namespace nnse::train {
namespace fs = std::filesystem;

void write_history(const fs::path& model_dir, const std::vector<double>& train, const std::vector<double>& valid) {
  std::string csv = "epoch,train_loss,valid_loss\n";
  for (std::size_t e = 0; e < train.size(); ++e) {
    auto number = [](double v) { return std::isfinite(v) ? fmt::format("{:.9g}", v) : std::string(); };
    csv += fmt::format("{},{},{}\n", e, number(train[e]), number(valid[e]));
  }
  write_file_atomic(model_dir / "loss_history.csv", csv);
  // The curve as a picture (the reference shows it when resuming); only once there is a line to draw.
  if (train.size() < 2) return;
  std::vector<plot::LineSeries> series;
  series.push_back({"train", std::vector<float>(train.begin(), train.end()), 0.0, 1.0});
  bool any_valid = false;
  for (double v : valid) any_valid = any_valid || std::isfinite(v);
  if (any_valid) series.push_back({"valid", std::vector<float>(valid.begin(), valid.end()), 0.0, 1.0});
  plot::LineOptions options;
  options.title = "loss per epoch (" + model_dir.filename().string() + ")";
  options.x_label = "epoch";
  options.y_label = "loss";
  options.height = 320;
  plot::Figure figure(800);
  figure.add_lines(series, options);
  figure.save_png(model_dir / "loss_history.png");
}

}  // namespace nnse::train
