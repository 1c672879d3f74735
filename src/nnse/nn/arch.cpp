#include "nnse/nn/arch.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>

#include "nnse/util/error.h"

namespace nnse::nn {

std::string to_string(LayerType type) {
  switch (type) {
    case LayerType::fc: return "fc";
    case LayerType::conv1d: return "conv1d";
    case LayerType::lstm: return "lstm";
    case LayerType::gru: return "gru";
  }
  return "?";
}

std::string to_string(Activation activation) {
  switch (activation) {
    case Activation::relu6: return "relu6";
    case Activation::tanh: return "tanh";
    case Activation::sigmoid: return "sigmoid";
    case Activation::linear: return "linear";
  }
  return "?";
}

namespace {

template <typename V>
struct Entry {
  V value;
  int line;
};

class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(int line, const std::string& problem) const {
    throw Error(source_ + ":" + std::to_string(line) + ": " + problem);
  }

  int parse_int(const std::string& key, const std::string& value, int line, int minimum) const {
    int result = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), result);
    if (ec != std::errc() || end != value.data() + value.size())
      fail(line, "'" + key + "' expects an integer, got '" + value + "'");
    if (result < minimum)
      fail(line, "'" + key + "' expects an integer >= " + std::to_string(minimum) + ", got " + value);
    return result;
  }

  double parse_real(const std::string& key, const std::string& value, int line) const {
    // strtod accepts what Python's float() accepts for ordinary numbers ("0.25", "1e-1", ".5").
    std::istringstream in(value);
    in.imbue(std::locale::classic());
    double result = 0;
    char rest = 0;
    if (!(in >> result) || (in >> rest) || !std::isfinite(result))
      fail(line, "'" + key + "' expects a number, got '" + value + "'");
    return result;
  }

  Arch parse(std::string_view text) {
    Arch arch;
    arch.source = source_;
    arch.text = std::string(text);
    std::optional<Entry<int>> input_neurons, kernel_size, strides, len_filter, len_lookahead;
    std::optional<Entry<double>> scalar_output;
    std::vector<Entry<LayerType>> types;
    std::vector<Entry<int>> sizes;
    std::vector<Entry<Activation>> activations;
    std::vector<Entry<double>> dropprobs;
    std::vector<std::optional<Entry<bool>>> concats;  // per layer_type seen so far

    int line_number = 0;
    std::istringstream lines{std::string(text)};
    for (std::string line; std::getline(lines, line);) {
      ++line_number;
      if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
      std::istringstream words(line);
      std::vector<std::string> tokens;
      for (std::string word; words >> word;) tokens.push_back(word);
      if (tokens.empty()) continue;
      const std::string& key = tokens[0];
      const int n = line_number;
      auto single_value = [&]() -> const std::string& {
        if (tokens.size() != 2)
          fail(n, "expected '" + key + " VALUE' (one value), found " + std::to_string(tokens.size() - 1) +
                      " values");
        return tokens[1];
      };
      auto set_once_int = [&](std::optional<Entry<int>>& slot, int minimum) {
        int value = parse_int(key, single_value(), n, minimum);
        if (slot) fail(n, "'" + key + "' given twice (first on line " + std::to_string(slot->line) + ")");
        slot = Entry<int>{value, n};
      };
      if (key == "input_neurons") {
        set_once_int(input_neurons, 1);
      } else if (key == "layer_type") {
        const std::string& name = single_value();
        LayerType type;
        if (name == "fc") type = LayerType::fc;
        else if (name == "conv1d") type = LayerType::conv1d;
        else if (name == "lstm") type = LayerType::lstm;
        else if (name == "gru") type = LayerType::gru;
        else if (name == "conv2d")
          fail(n, "layer type 'conv2d' is not supported (it is Python-only in the reference): expected fc, "
                  "conv1d, lstm or gru");
        else fail(n, "unknown layer type '" + name + "': expected fc, conv1d, lstm or gru");
        types.push_back({type, n});
        concats.emplace_back();
      } else if (key == "concat_input") {
        const int value = parse_int(key, single_value(), n, 0);
        if (value > 1) fail(n, "'concat_input' expects 0 or 1, got " + tokens[1]);
        if (types.empty()) fail(n, "'concat_input' before any 'layer_type': it belongs to the layer above it");
        if (concats.back())
          fail(n, "'concat_input' given twice for the layer of line " + std::to_string(types.back().line) +
                      " (first on line " + std::to_string(concats.back()->line) + ")");
        concats.back() = Entry<bool>{value == 1, n};
      } else if (key == "layer_neurons" || key == "num_filters") {
        sizes.push_back({parse_int(key, single_value(), n, 1), n});
      } else if (key == "activation") {
        const std::string& name = single_value();
        Activation activation;
        if (name == "relu6") activation = Activation::relu6;
        else if (name == "tanh") activation = Activation::tanh;
        else if (name == "sigmoid") activation = Activation::sigmoid;
        else if (name == "linear") activation = Activation::linear;
        else fail(n, "unknown activation '" + name + "': expected relu6, tanh, sigmoid or linear");
        activations.push_back({activation, n});
      } else if (key == "kernel_size") {
        int value = parse_int(key, single_value(), n, 1);
        if (!kernel_size) kernel_size = Entry<int>{value, n};  // the reference uses the first one only
      } else if (key == "strides") {
        int value = parse_int(key, single_value(), n, 1);
        if (!strides) {
          if (value != 1) fail(n, "strides " + std::to_string(value) + " is not supported: expected 1 (no time downsampling)");
          strides = Entry<int>{value, n};
        }
      } else if (key == "dropprob") {
        double p = parse_real(key, single_value(), n);
        if (p < 0.0 || p >= 1.0) fail(n, "'dropprob' expects a rate in [0, 1), got " + tokens[1]);
        dropprobs.push_back({p, n});
      } else if (key == "scalar_output") {
        double value = parse_real(key, single_value(), n);
        if (scalar_output) fail(n, "'scalar_output' given twice (first on line " + std::to_string(scalar_output->line) + ")");
        scalar_output = Entry<double>{value, n};
      } else if (key == "len_filter") {
        set_once_int(len_filter, 1);
      } else if (key == "len_lookahead") {
        set_once_int(len_lookahead, 0);
      } else {
        fail(n, "unknown key '" + key +
                    "': expected input_neurons, layer_type, layer_neurons, num_filters, activation, kernel_size, "
                    "strides, dropprob, scalar_output, len_filter, len_lookahead or concat_input");
      }
    }

    const int last_line = std::max(line_number, 1);
    if (types.empty()) fail(last_line, "no 'layer_type' line: expected at least one layer");
    if (!input_neurons)
      fail(types.front().line, "missing 'input_neurons N': expected the input dimension before the first layer");
    const std::size_t layer_count = types.size();
    auto check_count = [&](const auto& list, const std::string& what) {
      if (list.size() < layer_count) {
        const auto& layer = types[list.size()];
        fail(layer.line, "layer " + std::to_string(list.size()) + " (" + to_string(layer.value) + ") has no " + what +
                             ": expected one per layer_type (" + std::to_string(layer_count) + " layers, found " +
                             std::to_string(list.size()) + ")");
      }
      if (list.size() > layer_count)
        fail(list[layer_count].line, "one " + what + " too many: expected one per layer_type (" +
                                         std::to_string(layer_count) + " layers, found " + std::to_string(list.size()) + ")");
    };
    check_count(sizes, "size ('layer_neurons N' or 'num_filters N')");
    check_count(activations, "'activation'");
    check_count(dropprobs, "'dropprob' (element i is the dropout on the input of layer i)");

    arch.input_neurons = input_neurons->value;
    if (kernel_size) arch.kernel_size = kernel_size->value;
    if (scalar_output) arch.scalar_output = scalar_output->value;
    if (len_filter) arch.len_filter = len_filter->value;
    if (len_lookahead) arch.len_lookahead = len_lookahead->value;
    for (std::size_t i = 0; i < layer_count; ++i) {
      LayerSpec layer;
      layer.type = types[i].value;
      layer.units = sizes[i].value;
      layer.activation = activations[i].value;
      layer.input_dropout = dropprobs[i].value;
      layer.line = types[i].line;
      layer.concat_input = concats[i] && concats[i]->value;
      arch.layers.push_back(layer);
    }
    if (concats.back() && concats.back()->value)
      fail(concats.back()->line, "'concat_input 1' on the last layer: the output must be the network's gains alone");
    arch.layers.back().units *= arch.len_filter;
    return arch;
  }

 private:
  std::string source_;
};

}  // namespace

Arch parse_arch(std::string_view text, const std::string& source) { return Parser(source).parse(text); }

Arch load_arch_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file, "cannot open the nn_arch file");
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw Error(file, "cannot read the nn_arch file");
  return parse_arch(content.str(), file.string());
}

}  // namespace nnse::nn
