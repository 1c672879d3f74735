#include "nnse/nn/arch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::nn {
namespace {

using ::testing::HasSubstr;

const std::filesystem::path kReferenceArch = std::filesystem::path(NNSE_SOURCE_DIR) / "nn_arch/def_se_nn_arch72_mel.txt";

TEST(ArchParser, ReferenceArchMatchesReferenceTable) {
  Arch arch = load_arch_file(kReferenceArch);
  EXPECT_EQ(arch.input_neurons, 72);
  EXPECT_EQ(arch.kernel_size, 6);
  EXPECT_EQ(arch.strides, 1);
  EXPECT_DOUBLE_EQ(arch.scalar_output, 1.0);
  ASSERT_EQ(arch.layers.size(), 5u);
  const LayerType types[] = {LayerType::conv1d, LayerType::lstm, LayerType::fc, LayerType::fc, LayerType::fc};
  const int units[] = {72, 72, 72, 72, 257};
  const Activation activations[] = {Activation::tanh, Activation::tanh, Activation::tanh, Activation::tanh,
                                    Activation::sigmoid};
  // Element i of the dropprob list is the dropout on the input of layer i (reference table 3.2).
  const double dropouts[] = {0.1, 0.25, 0.25, 0.25, 0.25};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(arch.layers[i].type, types[i]) << i;
    EXPECT_EQ(arch.layers[i].units, units[i]) << i;
    EXPECT_EQ(arch.layers[i].activation, activations[i]) << i;
    EXPECT_DOUBLE_EQ(arch.layers[i].input_dropout, dropouts[i]) << i;
  }
  EXPECT_EQ(arch.output_dim(), 257);
  EXPECT_EQ(arch.layer_input_dim(2), 72);
  EXPECT_EQ(arch.layers[1].line, 11);
}

TEST(ArchParser, KeepsTextVerbatim) {
  const std::string text = "# a comment\ninput_neurons 4\ndropprob 0\nlayer_type fc\nlayer_neurons 2\nactivation linear\n";
  Arch arch = parse_arch(text, "x.txt");
  EXPECT_EQ(arch.text, text);
  EXPECT_EQ(arch.source, "x.txt");
}

TEST(ArchParser, DropprobInsideLayerBlockAppliesToNextLayerInput) {
  // The block layout suggests 0.3 belongs to the first fc; the reference applies it to the second one's input.
  Arch arch = parse_arch(
      "input_neurons 8\n"
      "dropprob 0.05\n"
      "layer_type fc\nlayer_neurons 6\nactivation relu6\ndropprob 0.3\n"
      "layer_type gru\nlayer_neurons 5\nactivation tanh\ndropprob 0.2\n"
      "layer_type fc\nlayer_neurons 3\nactivation linear\n",
      "t.txt");
  ASSERT_EQ(arch.layers.size(), 3u);
  EXPECT_DOUBLE_EQ(arch.layers[0].input_dropout, 0.05);
  EXPECT_DOUBLE_EQ(arch.layers[1].input_dropout, 0.3);
  EXPECT_DOUBLE_EQ(arch.layers[2].input_dropout, 0.2);
  EXPECT_EQ(arch.layers[1].type, LayerType::gru);
  EXPECT_EQ(arch.layers[0].activation, Activation::relu6);
}

TEST(ArchParser, FirstKernelSizeAndStridesOnlyCommentsBlanksAndWhitespace) {
  Arch arch = parse_arch(
      "   # leading comment\n"
      "\n"
      "input_neurons\t10   # trailing comment\n"
      "dropprob 0.1\r\n"
      "layer_type conv1d\nnum_filters 7\nkernel_size 3\nstrides 1\nactivation tanh\ndropprob 0\n"
      "layer_type conv1d\nnum_filters 4\nkernel_size 9\nstrides 5\nactivation sigmoid\n"
      "scalar_output 0.5\n"
      "\n\n",
      "t.txt");
  EXPECT_EQ(arch.kernel_size, 3);  // the second kernel_size (and its strides 5) are ignored, as in the reference
  EXPECT_EQ(arch.strides, 1);
  EXPECT_DOUBLE_EQ(arch.scalar_output, 0.5);
  EXPECT_EQ(arch.input_neurons, 10);
  EXPECT_EQ(arch.layers[1].units, 4);
}

TEST(ArchParser, DefaultsAndLenFilter) {
  Arch arch = parse_arch("input_neurons 3\ndropprob 0\nlayer_type fc\nlayer_neurons 4\nactivation sigmoid\nlen_filter 3\n",
                         "t.txt");
  EXPECT_EQ(arch.kernel_size, 1);
  EXPECT_EQ(arch.len_filter, 3);
  EXPECT_EQ(arch.len_lookahead, 1);
  EXPECT_EQ(arch.output_dim(), 12);  // the last layer's size times len_filter
}

TEST(ArchParser, PspecVariantShipsWithSameLayers) {
  Arch arch = load_arch_file(std::filesystem::path(NNSE_SOURCE_DIR) / "nn_arch/def_se_nn_arch257_pspec.txt");
  EXPECT_EQ(arch.input_neurons, 257);
  EXPECT_EQ(arch.layers.size(), 5u);
  EXPECT_EQ(arch.output_dim(), 257);
}

struct Malformed {
  const char* name;
  const char* text;
  const char* location;  // "file:line"
  const char* expected;  // part of the message
};

class ArchParserErrors : public ::testing::TestWithParam<Malformed> {};

TEST_P(ArchParserErrors, NameFileLineAndWhatWasExpected) {
  const Malformed& m = GetParam();
  test::ScratchDir dir("nnse-arch");
  auto file = dir / (std::string(m.name) + ".txt");
  std::ofstream(file) << m.text;
  try {
    load_arch_file(file);
    FAIL() << "no error for " << m.name;
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_THAT(message, HasSubstr(file.string() + ":" + m.location + ": ")) << message;
    EXPECT_THAT(message, HasSubstr(m.expected)) << message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Files, ArchParserErrors,
    ::testing::Values(
        Malformed{"unknown_layer", "input_neurons 4\ndropprob 0\nlayer_type dense\nlayer_neurons 2\nactivation tanh\n", "3",
                  "expected fc, conv1d, lstm or gru"},
        Malformed{"conv2d", "input_neurons 4\ndropprob 0\nlayer_type conv2d\nlayer_neurons 2\nactivation tanh\n", "3",
                  "not supported"},
        Malformed{"bad_activation", "input_neurons 4\ndropprob 0\nlayer_type fc\nlayer_neurons 2\nactivation relu\n", "5",
                  "expected relu6, tanh, sigmoid or linear"},
        Malformed{"not_integer", "input_neurons 4\ndropprob 0\nlayer_type fc\nlayer_neurons 2.5\nactivation tanh\n", "4",
                  "'layer_neurons' expects an integer"},
        Malformed{"zero_units", "input_neurons 4\ndropprob 0\nlayer_type fc\nlayer_neurons 0\nactivation tanh\n", "4",
                  "expects an integer >= 1"},
        Malformed{"missing_value", "input_neurons\ndropprob 0\nlayer_type fc\nlayer_neurons 2\nactivation tanh\n", "1",
                  "expected 'input_neurons VALUE' (one value)"},
        Malformed{"extra_value", "input_neurons 4 5\ndropprob 0\nlayer_type fc\nlayer_neurons 2\nactivation tanh\n", "1",
                  "(one value), found 2"},
        Malformed{"unknown_key", "input_neurons 4\ndropprob 0\nlayer_type fc\nsize 2\nactivation tanh\n", "4",
                  "unknown key 'size': expected input_neurons"},
        Malformed{"dropprob_range", "input_neurons 4\ndropprob 1.0\nlayer_type fc\nlayer_neurons 2\nactivation tanh\n", "2",
                  "rate in [0, 1)"},
        Malformed{"dropprob_text", "input_neurons 4\ndropprob abc\nlayer_type fc\nlayer_neurons 2\nactivation tanh\n", "2",
                  "'dropprob' expects a number"},
        Malformed{"missing_activation",
                  "input_neurons 4\ndropprob 0\nlayer_type fc\nlayer_neurons 2\nactivation tanh\ndropprob 0\n"
                  "layer_type fc\nlayer_neurons 2\n",
                  "7", "layer 1 (fc) has no 'activation': expected one per layer_type (2 layers, found 1)"},
        Malformed{"missing_dropprob", "input_neurons 4\nlayer_type fc\nlayer_neurons 2\nactivation tanh\n", "2",
                  "layer 0 (fc) has no 'dropprob'"},
        Malformed{"extra_dropprob",
                  "input_neurons 4\ndropprob 0\nlayer_type fc\nlayer_neurons 2\nactivation tanh\ndropprob 0.5\n", "6",
                  "one 'dropprob' (element i is the dropout on the input of layer i) too many"},
        Malformed{"missing_size", "input_neurons 4\ndropprob 0\nlayer_type lstm\nactivation tanh\n", "3",
                  "has no size ('layer_neurons N' or 'num_filters N')"},
        Malformed{"missing_input", "dropprob 0\nlayer_type fc\nlayer_neurons 2\nactivation tanh\n", "2",
                  "missing 'input_neurons N'"},
        Malformed{"twice_input", "input_neurons 4\ninput_neurons 5\ndropprob 0\nlayer_type fc\nlayer_neurons 2\nactivation tanh\n",
                  "2", "given twice (first on line 1)"},
        Malformed{"no_layers", "input_neurons 4\n# nothing else\n", "2", "expected at least one layer"},
        Malformed{"strides", "input_neurons 4\ndropprob 0\nlayer_type conv1d\nnum_filters 2\nkernel_size 3\nstrides 2\nactivation tanh\n",
                  "6", "expected 1"},
        Malformed{"empty", "", "1", "expected at least one layer"},
        Malformed{"concat_before_layer", "input_neurons 4\nconcat_input 1\ndropprob 0\nlayer_type fc\nlayer_neurons 2\nactivation tanh\n",
                  "2", "'concat_input' before any 'layer_type'"},
        Malformed{"concat_value", "input_neurons 4\ndropprob 0\nlayer_type fc\nlayer_neurons 2\nconcat_input 2\nactivation tanh\n",
                  "5", "'concat_input' expects 0 or 1, got 2"},
        Malformed{"concat_twice",
                  "input_neurons 4\ndropprob 0\nlayer_type fc\nconcat_input 1\nlayer_neurons 2\nconcat_input 0\nactivation tanh\n"
                  "dropprob 0\nlayer_type fc\nlayer_neurons 2\nactivation tanh\n",
                  "6", "'concat_input' given twice for the layer of line 3 (first on line 4)"},
        Malformed{"concat_last", "input_neurons 4\ndropprob 0\nlayer_type fc\nlayer_neurons 2\nactivation tanh\nconcat_input 1\n",
                  "6", "'concat_input 1' on the last layer"}),
    [](const ::testing::TestParamInfo<Malformed>& info) { return std::string(info.param.name); });

TEST(ArchParser, ConcatInputBelongsToTheLayerAboveAndWidensItsOutput) {
  const Arch arch = parse_arch(
      "input_neurons 4\ndropprob 0\n"
      "layer_type conv1d\nnum_filters 5\nkernel_size 2\nactivation tanh\nconcat_input 1\ndropprob 0\n"
      "layer_type lstm\nlayer_neurons 3\nactivation tanh\nconcat_input 1\ndropprob 0\n"
      "layer_type fc\nlayer_neurons 6\nactivation tanh\nconcat_input 0\ndropprob 0\n"
      "layer_type fc\nlayer_neurons 2\nactivation sigmoid\n",
      "concat.txt");
  ASSERT_EQ(arch.layers.size(), 4u);
  EXPECT_TRUE(arch.layers[0].concat_input);
  EXPECT_TRUE(arch.layers[1].concat_input);
  EXPECT_FALSE(arch.layers[2].concat_input);
  EXPECT_FALSE(arch.layers[3].concat_input);
  EXPECT_EQ(arch.layer_output_dim(0), 5 + 4);
  EXPECT_EQ(arch.layer_input_dim(1), 9);
  EXPECT_EQ(arch.layer_output_dim(1), 3 + 9);
  EXPECT_EQ(arch.layer_input_dim(2), 12);
  EXPECT_EQ(arch.layer_input_dim(3), 6);
  EXPECT_EQ(arch.output_dim(), 2);
}

TEST(ArchParser, UnreadableFileIsNamed) {
  try {
    load_arch_file("/nonexistent/def_x.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/def_x.txt"));
  }
}

}  // namespace
}  // namespace nnse::nn
