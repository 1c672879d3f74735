#pragma once
// The reference `nn_arch` text format (docs/reference-facts.md 2.1): `key value` lines, `#` comments, no block
// structure. Every key is collected into a list in file order; element i of each per-layer list belongs to layer i.
// Notably the i-th `dropprob` is the dropout on the *input* of layer i, so the `dropprob` written inside a layer's
// block applies to the next layer, and the first one (after input_neurons) is input dropout.
//
// Differences from the reference loader, all of them rejections of files it would misread:
//   - unknown keys are errors (the reference matches single keys by substring, so `size` would count as
//     `kernel_size`);
//   - a key without exactly one value, a repeated global key (input_neurons, scalar_output, len_filter,
//     len_lookahead) and list lengths that do not match the number of layers are errors;
//   - `strides` other than 1 (time downsampling) and `conv2d` (Python-only in the reference) are not supported.
// `kernel_size` and `strides`: only the first occurrence counts, as in the reference (later ones are ignored).
//
// One extension of ours: `concat_input 1` (or 0) belongs to the layer whose `layer_type` line precedes it; such a
// layer's output is its own output followed by its input (a skip path: the next layer sees both, so gains can
// follow the features without waiting for a recurrent state to turn). It is not allowed on the last layer.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace nnse::nn {

enum class LayerType { fc, conv1d, lstm, gru };
enum class Activation { relu6, tanh, sigmoid, linear };

std::string to_string(LayerType type);
std::string to_string(Activation activation);

struct LayerSpec {
  LayerType type = LayerType::fc;
  int units = 0;                  // layer_neurons / num_filters (the last layer: times len_filter)
  Activation activation = Activation::linear;  // lstm/gru: recorded only, their gates are sigmoid/tanh
  double input_dropout = 0.0;     // dropout rate on this layer's input, one mask per sequence shared over time
  bool concat_input = false;      // output = [own output, input] (`concat_input 1`)
  int line = 0;                   // line of its layer_type key, for messages
};

struct Arch {
  std::string source;             // file name (or a label) used in messages
  std::string text;               // the file content, verbatim (stored in checkpoints)
  int input_neurons = 0;
  int kernel_size = 1;            // num_context: frames a conv1d layer sees (first kernel_size key only)
  int strides = 1;                // num_dnsampl; only 1 is supported
  double scalar_output = 1.0;     // multiplies the network output (not part of the exported C model)
  int len_filter = 1;             // deep-filter length: the last layer's size is multiplied by it
  int len_lookahead = 1;
  std::vector<LayerSpec> layers;

  int input_dim() const { return input_neurons; }
  int output_dim() const { return layers.empty() ? 0 : layer_output_dim(layers.size() - 1); }
  // Input size of layer i (the previous layer's output, or input_neurons for layer 0).
  int layer_input_dim(std::size_t i) const { return i == 0 ? input_neurons : layer_output_dim(i - 1); }
  // Output size of layer i: its units, plus its input size when it concatenates its input.
  int layer_output_dim(std::size_t i) const {
    return layers[i].units + (layers[i].concat_input ? layer_input_dim(i) : 0);
  }
};

// Parses arch text; errors are nnse::Error "<source>:<line>: <problem, and what was expected>".
Arch parse_arch(std::string_view text, const std::string& source);
// Reads and parses a file (errors name the file).
Arch load_arch_file(const std::filesystem::path& file);

}  // namespace nnse::nn
