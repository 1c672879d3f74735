// nnse enhance IN OUT: the simplest form. IN may be a file or a folder (every audio file in it, recursively,
// written under OUT with the same relative path and a .wav extension; clashing names: cli/output_names.h).
#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>
#include <set>

#include "cli/model_source.h"
#include "cli/output_names.h"
#include "cli/progress.h"
#include "cli/subcommand.h"
#include "nnse/enhance/enhance_file.h"
#include "nnse/util/error.h"
#include "nnse/util/output_path.h"

namespace nnse::cli {
namespace {
namespace fs = std::filesystem;

struct EnhanceArgs {
  std::string input, output;
  ModelChoice model;
  bool pictures = false;
  GainChoice gains;
  bool quantized = false;
};

bool is_audio_extension(const fs::path& file) {
  static const std::set<std::string> extensions = {".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif", ".au", ".opus", ".mp3"};
  std::string ext = file.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extensions.count(ext) > 0;
}

void run(const EnhanceArgs& args) {
  const fs::path input(args.input), output(args.output);
  // Everything about the paths is checked before the model is loaded: no work is done for a refused command.
  if (!fs::exists(input)) throw Error(input, "no such file or folder");
  enhance::FileEnhanceOptions options;
  auto use_model_gains = [&](const model::TrainedModel& trained) {
    options.gains = resolve_gain_options(args.gains, trained);
    options.quantized = args.quantized;
  };
  if (args.quantized && args.pictures) throw Error("--pictures", "is not available with --quantized");
  if (!fs::is_directory(input)) {
    if (fs::is_directory(output)) throw Error(output, "is a folder; give an output file name (or a folder as input)");
    refuse_output_over_input(output, input);
    if (args.pictures) {
      if (output == kStandardOutput) throw Error("--pictures", "needs an output file name to put the picture beside, not '-'");
      options.picture = fs::path(output).replace_extension(".png");
      refuse_output_over_input(*options.picture, input);
    }
    const model::TrainedModel trained = model::TrainedModel::load(args.model);
    spdlog::info("model: {}", trained.description);
    use_model_gains(trained);
    const auto start = std::chrono::steady_clock::now();
    const auto result = enhance::enhance_file(trained, input, output, options);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    spdlog::info("{} -> {} ({:.1f} s of audio, real-time factor {:.4f})", input.string(), output.string(), result.seconds,
                 elapsed / std::max(result.seconds, 1e-9));
    return;
  }
  if (output == kStandardOutput) throw Error("output '-'", "a folder input needs an output folder, not standard output");
  if (fs::exists(output) && !fs::is_directory(output)) throw Error(output, "is a file; a folder input needs an output folder");
  if (same_file(output, input)) {
    throw Error(output, "is the input folder itself; the enhanced files would replace the noisy ones (give another "
                        "output folder)");
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(input)) {
    if (entry.is_regular_file() && is_audio_extension(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw Error(input, "no audio files in this folder");
  const std::vector<fs::path> targets = enhanced_output_names(files, input, output);
  // An output folder inside or above the input folder can still name an input (e.g. OUT/x.wav is IN/sub/x.wav).
  refuse_outputs_over_inputs(targets, files);
  const model::TrainedModel trained = model::TrainedModel::load(args.model);
  spdlog::info("model: {}", trained.description);
  use_model_gains(trained);
  ProgressBar progress(files.size());
  std::size_t failed = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    progress.update(i, files[i].filename().string());
    const fs::path& target = targets[i];
    options.picture = args.pictures ? std::optional<fs::path>(fs::path(target).replace_extension(".png")) : std::nullopt;
    options.announce = false;
    try {
      enhance::enhance_file(trained, files[i], target, options);
    } catch (const Error& e) {
      // One bad file must not stop a batch: report it by name and carry on, then fail at the end.
      std::fprintf(stderr, "\n");
      spdlog::error("{}", e.what());
      ++failed;
    }
  }
  progress.update(files.size(), "done");
  if (failed > 0) throw Error(input, std::to_string(failed) + " of " + std::to_string(files.size()) + " files could not be enhanced (see above)");
}

void setup(CLI::App& parent) {
  auto args = std::make_shared<EnhanceArgs>();
  CLI::App* command = parent.add_subcommand("enhance", "Enhance a file or every audio file of a folder with a trained model");
  command->add_option("input", args->input, "Noisy audio file (any format/rate/channels libsndfile reads) or folder")
      ->required();
  command->add_option("output", args->output,
                      "Enhanced 16-bit WAV file ('-': standard output), or output folder when input is a folder. "
                      "Folder mode keeps every output: a.flac -> a.wav, but when a.wav, a.flac and a.ogg are all "
                      "there they give a.wav, a.flac.wav and a.ogg.wav. The output may not be the input (refused)")
      ->required();
  add_model_options(*command, args->model, true);
  command->add_flag(flag("pictures"), args->pictures, "Also write a PNG beside each output (spectrograms, mask, waveforms)");
  add_gain_options(*command, args->gains);
  command->add_flag(flag("quantized"), args->quantized,
                    "Run the fixed-point runtime (runtime/, int8 weights) on the model quantized in memory, as the "
                    "device would");
  command->callback([args] { run(*args); });
}

const Registration registration{"enhance", 60, &setup};

}  // namespace
}  // namespace nnse::cli
