// nnse info --nn-arch FILE: what a model definition builds (layers, shapes, parameters, compute per frame), so an
// arch file can be checked before training.
#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "cli/model_source.h"
#include "cli/subcommand.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/model/model_folder.h"
#include "nnse/nn/arch.h"
#include "nnse/nn/model.h"
#include "nnse/nn/network.h"

namespace nnse::cli {
namespace {

struct InfoOptions {
  std::string nn_arch;
};

void run_info(const InfoOptions& o) {
  model::require_arch_file(o.nn_arch);
  // Shapes only: counting parameters needs no weights (a huge layer would allocate and initialize gigabytes).
  const nn::Arch arch = nn::load_arch_file(o.nn_arch);
  const nn::Network<float> model(arch);
  const dsp::FrontendConfig mel;
  dsp::FrontendConfig pspec, melflat;
  pspec.feature_type = dsp::FeatureType::pspec;
  melflat.feature_type = dsp::FeatureType::melflat;
  std::string fits;
  if (arch.input_neurons == mel.feature_dim()) fits = " (the mel front end: " + std::to_string(mel.mel_bands) + " bands)";
  else if (arch.input_neurons == pspec.feature_dim()) fits = " (the pspec front end: " + std::to_string(pspec.bins()) + " bins)";
  else if (arch.input_neurons == melflat.feature_dim())
    fits = " (the melflat front end: " + std::to_string(melflat.mel_bands) + " bands and their flatness)";
  std::string out;
  out += fmt::format("nn_arch: {}\n", o.nn_arch);
  out += fmt::format("model folder: models_trained/{}\n", model::model_name_from_arch(o.nn_arch));
  out += fmt::format("input: {} features per frame{}\n", arch.input_neurons, fits);
  out += fmt::format("output: {} values per frame{}\n", model.output_dim(),
                     arch.scalar_output != 1.0 ? fmt::format(" (times scalar_output {})", arch.scalar_output) : "");
  bool has_conv = false;
  for (const auto& layer : arch.layers) has_conv |= layer.type == nn::LayerType::conv1d;
  if (has_conv) out += fmt::format("conv1d context: {} frames (kernel_size)\n", arch.kernel_size);
  out += "\n" + nn::describe_network(model);
  const double rate = mel.frame_rate();
  out += fmt::format("compute: {:.2f} M multiply-accumulates per second at {:g} frames/s\n",
                     static_cast<double>(model.macs_per_frame()) * rate / 1e6, rate);
  std::fputs(out.c_str(), stdout);
}

void setup_info(CLI::App& parent) {
  auto options = std::make_shared<InfoOptions>();
  CLI::App* cmd = parent.add_subcommand("info", "Describe a model definition: layers, shapes, parameters, MACs per frame");
  cmd->add_option(flag("nn-arch"), options->nn_arch, "Model definition in the reference nn_arch text format")
      ->required();
  cmd->callback([options] { run_info(*options); });
}

const Registration registration{"info", 90, &setup_info};

}  // namespace
}  // namespace nnse::cli
