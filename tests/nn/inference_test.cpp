// The engine-free float inference (nn/inference.h) against the training engine's forward: same model, random
// weights and biases, same features, frame by frame with carried state.
#include "nnse/nn/inference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "nnse/nn/model.h"
#include "nnse/nn/network.h"
#include "nnse/nn/random.h"

namespace nnse::nn {
namespace {

// Every layer kind, every activation, a scalar output and a conv1d at the input (pad frame) and inside.
const char kEveryLayer[] =
    "input_neurons 5\nscalar_output 1.5\ndropprob 0\n"
    "layer_type conv1d\nnum_filters 6\nkernel_size 3\nactivation relu6\ndropprob 0\n"
    "layer_type lstm\nlayer_neurons 7\nactivation tanh\ndropprob 0\n"
    "layer_type conv1d\nnum_filters 4\nactivation tanh\ndropprob 0\n"
    "layer_type gru\nlayer_neurons 5\nactivation tanh\ndropprob 0\n"
    "layer_type fc\nlayer_neurons 6\nactivation linear\ndropprob 0\n"
    "layer_type fc\nlayer_neurons 3\nactivation sigmoid\n";

// Random weights and (unlike the initializer) random biases, so that every bias path is exercised.
void randomize(Model& model, std::uint64_t seed) {
  Rng rng(seed);
  for (auto& tensor : model.parameters())
    for (Eigen::Index i = 0; i < tensor.value.size(); ++i) tensor.value[i] = static_cast<float>(0.5 * rng.normal());
}

std::vector<float> random_frames(int frames, int dim, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(static_cast<std::size_t>(frames) * dim);
  for (float& x : v) x = static_cast<float>(2.0 * rng.normal());
  return v;
}

// The engine's output for one sequence of `frames` frames, run in chunks of `chunk` frames with carried state.
std::vector<float> engine_forward(const Model& model, const std::vector<float>& features, int frames, int chunk,
                                  const std::vector<float>& pad) {
  const Network<float>& network = model.network();
  std::vector<const float*> params;
  for (const auto& tensor : model.parameters()) params.push_back(tensor.value.data());
  StreamState<float> state(network, 1);
  state.set_pad_frame(pad);
  state.reset(0);
  Worker<float> worker(network);
  const int D = model.input_dim(), O = model.output_dim();
  std::vector<float> out(static_cast<std::size_t>(frames) * O);
  for (int t0 = 0; t0 < frames; t0 += chunk) {
    const int n = std::min(chunk, frames - t0);
    worker.forward(params, {1, n, features.data() + static_cast<std::ptrdiff_t>(t0) * D, nullptr}, state, 0, nullptr,
                   out.data() + static_cast<std::ptrdiff_t>(t0) * O);
  }
  return out;
}

// Every layer type with concat_input (the skip paths of network.h).
const char kEveryLayerConcat[] =
    "input_neurons 5\ndropprob 0\n"
    "layer_type conv1d\nnum_filters 6\nkernel_size 3\nactivation relu6\nconcat_input 1\ndropprob 0\n"
    "layer_type lstm\nlayer_neurons 7\nactivation tanh\nconcat_input 1\ndropprob 0\n"
    "layer_type gru\nlayer_neurons 5\nactivation tanh\nconcat_input 1\ndropprob 0\n"
    "layer_type fc\nlayer_neurons 6\nactivation linear\nconcat_input 1\ndropprob 0\n"
    "layer_type fc\nlayer_neurons 3\nactivation sigmoid\n";

class FloatInferenceArchs : public ::testing::TestWithParam<const char*> {};

TEST_P(FloatInferenceArchs, EqualsTheEngineForwardFrameByFrame) {
  Model model(parse_arch(GetParam(), "every_layer.txt"), 3);
  randomize(model, 11);
  const int frames = 40, D = model.input_dim(), O = model.output_dim();
  const auto features = random_frames(frames, D, 5);
  const std::vector<float> pad = {-3.0f, -2.0f, -1.0f, 0.5f, 1.0f};
  const auto expected = engine_forward(model, features, frames, 16, pad);

  FloatInference inference(model);
  inference.reset(pad);
  std::vector<float> y(static_cast<std::size_t>(O));
  double worst = 0.0;
  for (int t = 0; t < frames; ++t) {
    inference.step(std::span<const float>(features.data() + static_cast<std::ptrdiff_t>(t) * D, static_cast<std::size_t>(D)), y);
    for (int o = 0; o < O; ++o)
      worst = std::max(worst, static_cast<double>(std::abs(y[static_cast<std::size_t>(o)] - expected[static_cast<std::size_t>(t * O + o)])));
  }
  // Float rounding only (different summation order): outputs are O(1).
  EXPECT_LT(worst, 2e-5);

  // reset() starts a new stream: the first frames repeat exactly.
  inference.reset(pad);
  inference.step(std::span<const float>(features.data(), static_cast<std::size_t>(D)), y);
  for (int o = 0; o < O; ++o) EXPECT_NEAR(y[static_cast<std::size_t>(o)], expected[static_cast<std::size_t>(o)], 2e-5);
}

INSTANTIATE_TEST_SUITE_P(EveryLayer, FloatInferenceArchs, ::testing::Values(kEveryLayer, kEveryLayerConcat),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return info.index == 0 ? std::string("Plain") : std::string("ConcatInput");
                         });

TEST(FloatInference, TheBundledArchitectureMatchesTheEngine) {
  Model model = Model::from_file(std::filesystem::path(NNSE_SOURCE_DIR) / "nn_arch" / "def_se_nn_arch72_mel.txt", 7);
  randomize(model, 2);
  const int frames = 12, D = model.input_dim(), O = model.output_dim();
  const auto features = random_frames(frames, D, 9);
  const auto expected = engine_forward(model, features, frames, frames, {});
  FloatInference inference(model);
  std::vector<float> y(static_cast<std::size_t>(O));
  for (int t = 0; t < frames; ++t) {
    inference.step(std::span<const float>(features.data() + static_cast<std::ptrdiff_t>(t) * D, static_cast<std::size_t>(D)), y);
    for (int o = 0; o < O; ++o) ASSERT_NEAR(y[static_cast<std::size_t>(o)], expected[static_cast<std::size_t>(t * O + o)], 1e-4) << t;
  }
}

TEST(FloatInference, LayerFunctionsFollowTheirEquations) {
  // fc: y = relu6(W^T x + b) with W [in=2][units=2].
  std::vector<float> y(2);
  dense_forward(std::vector<float>{1, 2, 3, 4}, std::vector<float>{0.5f, -100}, Activation::relu6,
                std::vector<float>{1, 1}, y);
  EXPECT_FLOAT_EQ(y[0], 4.5f);  // 0.5 + 1 + 3
  EXPECT_FLOAT_EQ(y[1], 0.0f);
  // conv1d with K = 2 over scalars: y = w0 x(t-1) + w1 x(t); the history shifts by one frame.
  std::vector<float> history = {10.0f};
  std::vector<float> out(1);
  conv1d_step(std::vector<float>{2, 3}, std::vector<float>{0}, Activation::linear, history, std::vector<float>{1}, out);
  EXPECT_FLOAT_EQ(out[0], 23.0f);
  EXPECT_FLOAT_EQ(history[0], 1.0f);
  // gru with zero weights: r = z = 1/2, n = tanh(b_n + r b_hn), h = n/2 + h/2.
  std::vector<float> h = {0.4f};
  gru_step(std::vector<float>(3, 0.0f), std::vector<float>(3, 0.0f), std::vector<float>{0, 0, 0.2f},
           std::vector<float>{0.6f}, h, std::vector<float>{1.0f});
  EXPECT_NEAR(h[0], 0.5f * std::tanh(0.5f) + 0.2f, 1e-6);
  // lstm with zero weights and biases: i = f = o = 1/2, g = 0: c halves, h = tanh(c)/2.
  std::vector<float> hl = {0.3f}, cl = {0.8f};
  lstm_step(std::vector<float>(4, 0.0f), std::vector<float>(4, 0.0f), std::vector<float>(4, 0.0f), hl, cl,
            std::vector<float>{2.0f});
  EXPECT_NEAR(cl[0], 0.4f, 1e-6);
  EXPECT_NEAR(hl[0], 0.5f * std::tanh(0.4f), 1e-6);
}

}  // namespace
}  // namespace nnse::nn
