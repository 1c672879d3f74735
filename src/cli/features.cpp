// nnse features: one audio file -> front-end features as a NumPy .npy matrix [frames x dim], optionally
// normalized with saved stats and stacked into network-input contexts, optionally with a spectrogram picture.
#include <spdlog/spdlog.h>

#include <cmath>
#include <string>

#include "cli/subcommand.h"
#include "nnse/dsp/context.h"
#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/frontend.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/plot/figure.h"
#include "nnse/util/error.h"
#include "nnse/util/npy.h"
#include "nnse/util/output_path.h"

namespace nnse::cli {
namespace {

struct FeaturesOptions {
  std::string input;
  std::string feature_type = "mel";
  std::string out;
  std::string plot;
  std::string stats;
  bool context = false;
  bool no_dc = false;
};

// Spectrogram picture: the power spectrum in dB, and for mel the feature matrix itself.
void write_picture(const std::string& file, const std::string& title, const dsp::FeatureMatrix& log_power,
                   const dsp::FeatureMatrix& features, const dsp::FrontendConfig& config) {
  const double seconds = log_power.frames / config.frame_rate();
  std::vector<float> db(log_power.values.size());
  // log_power holds log10(P + offset); 10 log10 is dB.
  for (std::size_t i = 0; i < db.size(); ++i) db[i] = 10.0f * log_power.values[i];
  plot::Figure figure;
  plot::HeatmapOptions spectrum;
  spectrum.title = title + ": power spectrogram";
  spectrum.x_end = seconds;
  spectrum.y_end = config.sample_rate / 2.0 / 1000.0;
  figure.add_heatmap(db, log_power.frames, log_power.dim, spectrum);
  if (config.feature_type == dsp::FeatureType::mel) {
    plot::HeatmapOptions mel;
    mel.title = "log10 mel features (" + std::to_string(config.mel_bands) + " bands)";
    mel.x_end = seconds;
    mel.y_label = "mel band";
    mel.colorbar_label = "log10";
    mel.value_min = std::log10(config.log_offset);
    mel.colormap = plot::Colormap::magma;
    float top = mel.value_min;
    for (float v : features.values) top = std::max(top, v);
    mel.value_max = std::max(static_cast<double>(top), mel.value_min + 1.0);
    figure.add_heatmap(features.values, features.frames, features.dim, mel);
  }
  figure.save_png(file);
}

void run_features(const FeaturesOptions& o) {
  // Outputs never replace an input, and "-" is only for the one output that can go to stdout.
  for (const std::string& input : {o.input, o.stats}) {
    if (input.empty()) continue;
    refuse_output_over_input(o.out, input);
    if (!o.plot.empty()) refuse_output_over_input(o.plot, input);
  }
  if (o.plot == kStandardOutput && o.out == kStandardOutput) {
    throw Error("--plot", "cannot go to standard output together with --out -");
  }
  dsp::FrontendConfig config;
  config.feature_type = dsp::feature_type_from_string(o.feature_type);
  config.dc_removal = !o.no_dc;
  config.validate("--feat-type");
  dsp::FeatureMatrix log_power;
  dsp::FeatureMatrix features = dsp::file_features(o.input, config, true, o.plot.empty() ? nullptr : &log_power);
  if (features.frames == 0) spdlog::warn("{}: no samples, writing an empty feature matrix", o.input);
  if (!o.plot.empty()) {
    write_picture(o.plot, std::filesystem::path(o.input).filename().string(), log_power, features, config);
    spdlog::info("{}: spectrogram picture", o.plot);
  }
  dsp::FeatureMatrix result = features;
  if (!o.stats.empty()) {
    const dsp::FeatureStats stats = dsp::load_feature_stats(o.stats, &config);
    stats.normalize(result);
    if (o.context) result = dsp::stack_context(result, config, stats);
  } else if (o.context) {
    result = dsp::stack_context(result, config.context_frames, dsp::context_fill_frame(config, nullptr));
  }
  write_npy(o.out, result.values, {static_cast<std::size_t>(result.frames), static_cast<std::size_t>(result.dim)});
  spdlog::info("{}: {} frames x {} ({}{}{})", o.out, result.frames, result.dim, dsp::to_string(config.feature_type),
               o.stats.empty() ? "" : ", normalized", o.context ? ", " + std::to_string(config.context_frames) + "-frame context" : "");
}

void setup_features(CLI::App& parent) {
  auto options = std::make_shared<FeaturesOptions>();
  const dsp::FrontendConfig defaults;
  CLI::App* cmd = parent.add_subcommand(
      "features", "Compute front-end features of an audio file (any rate/channels; resampled to " +
                      std::to_string(defaults.sample_rate) + " Hz mono, DC removed, " +
                      std::to_string(defaults.window_length) + "/" + std::to_string(defaults.hop_length) +
                      " sqrt-Hann STFT, " + std::to_string(defaults.fft_size) +
                      "-point FFT) and write them as a float32 .npy matrix [frames x dim]");
  cmd->add_option("input", options->input, "Input audio file (WAV, FLAC, OGG, ...)")->required();
  cmd->add_option(flag("feat-type"), options->feature_type,
                  "Feature type: " + dsp::feature_type_help())
      ->check(CLI::IsMember(dsp::feature_type_names()))
      ->capture_default_str();
  cmd->add_option("-o," + flag("out"), options->out, "Output .npy file (float32, shape [frames, dim]); '-': standard output. Must not be the input")->required();
  cmd->add_option(flag("plot"), options->plot,
                  "Also write a PNG picture: power spectrogram in dB (time x frequency) and, for mel, the features");
  cmd->add_option(flag("stats"), options->stats,
                  "Normalize each band with the mean / inv_std of this stats JSON (from `nnse feature-stats`)");
  cmd->add_flag(flag("context"), options->context,
                "Stack the " + std::to_string(defaults.context_frames) +
                    " most recent frames per row (oldest first, index = tau * dim + band; the history before the "
                    "start holds the (normalized) log floor), giving dim * " +
                    std::to_string(defaults.context_frames) + " columns");
  cmd->add_flag(flag("no-dc-removal"), options->no_dc, "Skip the DC-removal high-pass filter");
  cmd->callback([options] { run_features(*options); });
}

const Registration registration{"features", 10, &setup_features};

}  // namespace
}  // namespace nnse::cli
