// nnse convert: a trained model as C tables for the fixed-point runtime (runtime/), def_nn{id}_{name}.h/.c as the
// reference's c_code_table_converter.py writes them.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <optional>
#include <string>

#include "cli/model_source.h"
#include "cli/subcommand.h"
#include "nnse/export/c_writer.h"
#include "nnse/export/quantize.h"
#include "nnse/util/error.h"

namespace nnse::cli {
namespace {

struct ConvertArgs {
  ModelChoice model;
  int net_id = 3;
  std::string net_name = "se";
  std::string out_dir = ".";
  bool per_channel = false;
  std::optional<double> pass_gain;
  std::optional<double> floor_guard;
  std::optional<double> pitch_filter;
};

// Where a default written into the tables came from, for the log line: the option (nothing to add), the model
// folder's enhancer.json, or neither.
const char* source(const std::optional<double>& given, const std::optional<double>& recommended) {
  return given ? "" : (recommended ? ", the model's enhancer.json" : ", none");
}

void run(const ConvertArgs& args) {
  if (args.net_id < 0) throw Error("--net-id", "must not be negative");
  const model::TrainedModel trained = model::TrainedModel::load(args.model);
  spdlog::info("model: {}", trained.description);
  deploy::QuantizeOptions options;
  options.per_channel = args.per_channel;
  // The pass level the runtime applies unless its caller gives another (nnsp_params.pass_gain_q15 = 0).
  options.pass_gain = args.pass_gain.value_or(trained.recommended.pass_gain.value_or(1.0));
  options.floor_guard = args.floor_guard.value_or(trained.recommended.floor_guard.value_or(0.0));
  options.pitch_filter = args.pitch_filter.value_or(trained.recommended.pitch_filter.value_or(0.0));
  deploy::QuantizedModel quantized;
  deploy::quantize_into(trained.model, trained.frontend, trained.stats, options, quantized);
  const auto files = deploy::write_c_model(quantized, args.net_id, args.net_name, args.out_dir);
  std::printf("%s\n%s\n", files.header.string().c_str(), files.source.string().c_str());
  spdlog::info("{} layers, {} bytes of weights and biases ({} formats), runtime arena {} bytes, default pass gain {} "
               "(Q15 {}{}), default noise-floor guard {} (Q8 {}{}), default pitch filter {} (Q15 {}{})",
               quantized.model().num_layers, quantized.weight_bytes(), args.per_channel ? "per-channel" : "per-tensor",
               nnsp_arena_size(&quantized.model()), options.pass_gain, quantized.model().pass_gain_q15,
               source(args.pass_gain, trained.recommended.pass_gain), options.floor_guard,
               quantized.model().floor_guard_q8, source(args.floor_guard, trained.recommended.floor_guard),
               options.pitch_filter, quantized.model().pitch_filter_q15,
               source(args.pitch_filter, trained.recommended.pitch_filter));
}

void setup_convert(CLI::App& parent) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = parent.add_subcommand("convert", "Write a trained model as C tables for the fixed-point runtime");
  add_model_options(*cmd, args->model, true);
  cmd->add_option(flag("net-id"), args->net_id, "Number in the file names def_nn{id}_{name}.h/.c")->capture_default_str();
  cmd->add_option(flag("net-name"), args->net_name, "Name of the model symbol nnsp_model_{name} (a C identifier)")
      ->capture_default_str();
  cmd->add_option(flag("out-dir"), args->out_dir, "Folder for the two files")->capture_default_str();
  cmd->add_flag(flag("per-channel"), args->per_channel,
                "One power-of-two weight format per output channel instead of per tensor");
  cmd->add_option_function<double>(
         flag("pass-gain"), [args](double v) { args->pass_gain = v; },
         "Default pass level written into the tables (the runtime's, unless its caller sets one). Default: the "
         "model's enhancer.json, else 1 (none)")
      ->check(CLI::Range(0.01, 1.0));
  cmd->add_option_function<double>(
         flag("floor-guard"), [args](double v) { args->floor_guard = v; },
         "Default noise-floor guard written into the tables (the runtime's, unless its caller sets one; 0 = none). "
         "Default: the model's enhancer.json, else 0")
      ->check(CLI::Range(0.0, 255.99));
  cmd->add_option_function<double>(
         flag("pitch-filter"), [args](double v) { args->pitch_filter = v; },
         "Default pitch filter strength written into the tables (the runtime's, unless its caller sets one; 0 = "
         "none). Default: the model's enhancer.json, else 0")
      ->check(CLI::Range(0.0, 1.0));
  cmd->callback([args] { run(*args); });
}

const Registration registration{"convert", 80, &setup_convert};

}  // namespace
}  // namespace nnse::cli
