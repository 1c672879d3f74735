// nnse test: the reference's test_se.py. --recording 1 records 10 s from the default microphone into
// test_wavs/speech.wav first; --recording 0 uses --test-wavefile. Writes test_results/enhanced_<name>.wav and
// test_results/<name>.png (noisy and enhanced spectrograms, mask, waveforms).
#include <spdlog/spdlog.h>

#include "cli/model_source.h"
#include "cli/option_checks.h"
#include "cli/subcommand.h"
#include "nnse/audio/audio_io.h"
#include "nnse/audio/capture.h"
#include "nnse/enhance/enhance_file.h"
#include "nnse/util/error.h"
#include "nnse/util/output_path.h"

namespace nnse::cli {
namespace {
namespace fs = std::filesystem;

struct TestArgs {
  ModelChoice model;
  int recording = 0;
  std::string test_wavefile = "test_wavs/i_like_steak.wav";
  GainChoice gains;
  bool quantized = false;
  std::string results_dir = "test_results";
  std::string recording_file = "test_wavs/speech.wav";
  double record_seconds = 10.0;
};

void run(TestArgs args) {
  if (args.recording == 0) {
    // Paths first, model second: nothing is loaded for a command that is refused.
    const fs::path input(args.test_wavefile);
    const fs::path results(args.results_dir);
    refuse_output_over_input(results / ("enhanced_" + input.stem().string() + ".wav"), input);
    refuse_output_over_input(results / (input.stem().string() + ".png"), input);
  }
  const model::TrainedModel trained = model::TrainedModel::load(args.model);
  spdlog::info("model: {}", trained.description);
  const enhance::EnhancerOptions gains = resolve_gain_options(args.gains, trained);
  fs::path input(args.test_wavefile);
  if (args.recording == 1) {
    auto microphone = audio::open_default_microphone();
    spdlog::info("recording {:.0f} s from '{}' ... speak now", args.record_seconds, microphone->describe());
    const auto samples = audio::record(*microphone, args.record_seconds, trained.frontend.sample_rate);
    input = args.recording_file;
    audio::write_wav16(input, samples, trained.frontend.sample_rate);
    spdlog::info("recorded {}", input.string());
  }
  const std::string name = input.stem().string();
  const fs::path results(args.results_dir);
  const fs::path output = results / ("enhanced_" + name + ".wav");
  const fs::path picture = results / (name + ".png");
  // The runtime keeps no per-frame analysis: --quantized writes the enhanced wav without the picture.
  const auto result = enhance::enhance_file(
      trained, input, output,
      {.picture = args.quantized ? std::nullopt : std::optional<fs::path>(picture), .gains = gains,
       .quantized = args.quantized});
  spdlog::info("{} ({:.1f} s) -> {}{}", input.string(), result.seconds, output.string(),
               args.quantized ? " (quantized runtime, no picture)" : ", picture " + picture.string());
}

void setup(CLI::App& parent) {
  auto args = std::make_shared<TestArgs>();
  CLI::App* command = parent.add_subcommand(
      "test", "Enhance a wav file or a 10 s microphone recording; write the enhanced wav and a picture");
  add_model_options(*command, args->model, true);
  add_gain_options(*command, args->gains);
  command->add_flag(flag("quantized"), args->quantized,
                    "Run the fixed-point runtime (runtime/, int8 weights) on the model quantized in memory (no picture)");
  command->add_option(flag("recording"), args->recording, "1: record from the default microphone first; 0: use --test-wavefile")
      ->check(CLI::IsMember({0, 1}))
      ->capture_default_str();
  command->add_option(flag("test-wavefile"), args->test_wavefile, "Input file with --recording 0")->capture_default_str();
  command->add_option(flag("results-dir"), args->results_dir, "Where enhanced_<name>.wav and <name>.png go")
      ->capture_default_str();
  command->add_option(flag("record-seconds"), args->record_seconds, "Length of the recording with --recording 1")
      ->check(finite_above(0, 3600))
      ->capture_default_str();
  command->callback([args] { run(*args); });
}

const Registration registration{"test", 50, &setup};

}  // namespace
}  // namespace nnse::cli
