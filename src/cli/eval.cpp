// nnse eval: enhance every mixture of a held-out split with a trained checkpoint and report noisy vs enhanced vs
// a peer (speexdsp, or an external command with --peer-cmd) for every objective metric, overall and per SNR
// (library: nnse/eval/evaluate.h).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/mix_options.h"
#include "cli/model_source.h"
#include "cli/option_checks.h"
#include "cli/subcommand.h"
#include "nnse/data/mixer.h"
#include "nnse/enhance/enhancer.h"
#include "nnse/eval/evaluate.h"
#include "nnse/train/training_data.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"
#include "nnse/util/output_path.h"

namespace nnse::cli {
namespace {
namespace fs = std::filesystem;

struct EvalCliOptions {
  ModelChoice model;
  train::DataChoice data;
  std::string split = "test";
  std::string json;
  std::string pesq_cmd;
  std::string peer_cmd;
  std::string peer_name = "command";
  std::string snr_sweep;
  std::size_t max_clips = 0;
  int threads = 2;
  GainChoice gains;
  bool no_peer = false;
  bool quantized = false;
  bool per_channel = false;
  bool filtered = false;
};

void run_eval(const EvalCliOptions& o) {
  if (o.json == kStandardOutput) throw Error("--json", "'-' is not possible here: standard output carries the table");
  // load() also checks that a given --nn-arch still describes the checkpoint's network.
  model::TrainedModel trained = model::TrainedModel::load(o.model);
  train::DataChoice data = o.data;
  data.threads = o.threads;
  // Mixtures from a corpus are raw, like a microphone's signal, unless --filtered asks for the training-style
  // DC-removed ones; the enhancer then does exactly what `nnse enhance` does with a file.
  data.raw_audio = !o.filtered;
  const train::ClipSet clips =
      o.snr_sweep.empty()
          ? train::open_split_data(data, o.split, trained.frontend, o.max_clips)
          : train::open_snr_sweep(data, o.split, trained.frontend, data::snr_list_from_string(o.snr_sweep), o.max_clips);
  const std::string& description = clips.description;

  eval::EvalOptions options;
  options.threads = o.threads;
  options.metric_options.pesq_command = o.pesq_cmd;
  options.enhancer = resolve_gain_options(o.gains, trained);
  options.run_peer = !o.no_peer;
  options.peer_command = o.peer_cmd;
  options.peer_name = o.peer_name;
  options.quantized = o.quantized;
  options.per_channel = o.per_channel;
  options.input_dc_removed = clips.dc_removed;
  options.progress = [](std::size_t done, std::size_t total) { spdlog::debug("evaluated {}/{} clips", done, total); };
  spdlog::info("evaluating {} on {} clips of {}", trained.description, clips.size, description);
  const eval::EvalReport report = eval::evaluate_clips(trained.model, trained.frontend, trained.stats, clips, options);

  std::printf("model %s, %s, %zu clips\n", trained.description.c_str(), description.c_str(), clips.size);
  // The text report alone must say what the peer column ran, as the JSON does.
  if (!o.peer_cmd.empty()) std::printf("peer %s: %s\n", o.peer_name.c_str(), o.peer_cmd.c_str());
  std::printf("%s", eval::format_table(report).c_str());
  std::printf("\nchange over the noisy input per group:\n%s", eval::format_change_summary(report).c_str());
  if (const std::string types = eval::format_noise_type_summary(report); !types.empty()) {
    std::printf("\nchange over the noisy input per noise type (every noisy input):\n%s", types.c_str());
  }
  if (o.pesq_cmd.empty()) std::printf("PESQ: absent (give --pesq-cmd to run an external PESQ tool)\n");
  if (!o.json.empty()) {
    nlohmann::json j = eval::to_json(report);
    j["model"] = {{"description", trained.description}, {"checkpoint", trained.checkpoint.string()}};
    j["data"] = {{"description", description}, {"split", o.split}, {"raw_audio", !clips.dc_removed}};
    const double atten = options.enhancer.atten_lim_db;
    j["atten_lim_db"] = std::isinf(atten) ? nlohmann::json(nullptr) : nlohmann::json(atten);
    j["pass_gain"] = options.enhancer.pass_gain;
    j["floor_guard"] = options.enhancer.floor_guard;
    j["pitch_filter"] = options.enhancer.pitch_filter;
    j["quantized"] = o.quantized;
    if (o.quantized) j["per_channel"] = o.per_channel;
    j["pesq_command"] = o.pesq_cmd.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.pesq_cmd);
    j["peer_command"] = o.peer_cmd.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.peer_cmd);
    write_file_atomic(o.json, j.dump(2) + "\n");
    spdlog::info("{}: evaluation report", o.json);
  }
}

void setup_eval(CLI::App& parent) {
  auto o = std::make_shared<EvalCliOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "eval",
      "Enhance every mixture of a split with a trained checkpoint (the streaming enhancer of `nnse enhance`, one "
      "clip at a time from a fresh state, output aligned with the input) and report SI-SDR, SNR, segSNR, LSD, STOI, "
      "ESTOI (and PESQ with --pesq-cmd) of noisy vs enhanced vs a peer (speexdsp, or --peer-cmd), overall, per SNR "
      "and per noise type");
  add_model_options(*cmd, o->model, true);
  cmd->add_option(flag("data"), o->data.data, "Shards from `nnse data --out DIR` (reads DIR/<split>)");
  cmd->add_option(flag("corpus"), o->data.corpus, "Or mix the split's clips from this corpus");
  cmd->add_option(flag("split"), o->split, "Split to evaluate")
      ->check(CLI::IsMember({"train", "valid", "test"}))
      ->capture_default_str();
  cmd->add_option(flag("json"), o->json, "Also write the report (groups and per-clip metrics) as JSON (not '-': stdout carries the table)");
  cmd->add_option(flag("pesq-cmd"), o->pesq_cmd,
                  "External PESQ command template, e.g. \"pesq +16000 {ref} {deg}\": the score is the last number of its last "
                  "line mentioning PESQ or MOS (or its only number), and must be in [-0.5, 4.64]; a command that fails "
                  "(non-zero exit) stops the evaluation");
  cmd->add_option(flag("max-clips"), o->max_clips, "Evaluate only the first N clips (0: all)");
  cmd->add_option(flag("datasize-noise"), o->data.datasize_noise, "With --corpus: speech files per noise type")
      ->capture_default_str();
  cmd->add_option(flag("clip-seconds"), o->data.clip_seconds, "With --corpus: clip length in seconds (at least one 30 ms frame)")
      ->check(clip_seconds())
      ->capture_default_str();
  cmd->add_option(flag("threads"), o->threads, "Threads for the network and the metrics")
      ->check(thread_count())
      ->capture_default_str();
  cmd->add_option(flag("seed"), o->data.seed, "With --corpus: mixing seed")->capture_default_str();
  add_mix_options(*cmd, o->data, false);
  cmd->add_option(flag("snr-sweep"), o->snr_sweep,
                  "With --corpus: mix every clip at each of these SNRs (comma-separated dB; 'clean' = no noise), e.g. "
                  "-5,0,5,10,15,20,30,clean");
  add_gain_options(*cmd, o->gains);
  cmd->add_flag(flag("quantized"), o->quantized,
                "Run the fixed-point runtime (runtime/, int8 weights) on the model quantized in memory");
  cmd->add_flag(flag("per-channel"), o->per_channel,
                "With --quantized: one power-of-two weight format per output channel (nnse convert --per-channel)")
      ->needs("--quantized");
  CLI::Option* peer_cmd =
      cmd->add_option(flag("peer-cmd"), o->peer_cmd,
                      "Compare with an external command instead of speexdsp, run once per clip: a template with {in} "
                      "(the mixture, a 16-bit mono WAV at 16 kHz) and {out} (where it must write its output: a mono WAV "
                      "at 16 kHz, sample-aligned, of the same length within 10 ms), e.g. \"node "
                      "scripts/peers/rnnoise/rnnoise.mjs {in} {out}\" (RNNoise, see docs/generalization.md); a command "
                      "that fails, writes nothing or a wrong rate or length stops the evaluation");
  cmd->add_option(flag("peer-name"), o->peer_name, "With --peer-cmd: the peer's label in the table and JSON")
      ->needs(peer_cmd)
      ->capture_default_str();
  cmd->add_flag(flag("no-peer"), o->no_peer, "Do not run a peer (speexdsp or --peer-cmd) next to the model")
      ->excludes(peer_cmd);
  cmd->add_flag(flag("filtered"), o->filtered,
                "With --corpus: evaluate DC-removed mixtures as training sees them (default: raw audio, as users' "
                "files are)");
  cmd->callback([o] { run_eval(*o); });
}

const Registration registration{"eval", 50, &setup_eval};

}  // namespace
}  // namespace nnse::cli
