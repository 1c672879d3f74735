// Forward semantics: chunking with carried state, batch independence, conv1d padding, dropout masks, model
// construction and initialization.
#include <gtest/gtest.h>

#include "nnse/nn/eigen_diagnostics.h"
NNSE_EIGEN_WARNINGS_OFF
#include <Eigen/Dense>
NNSE_EIGEN_WARNINGS_ON
#include <cmath>
#include <filesystem>
#include <vector>

#include "nnse/nn/model.h"
#include "nnse/nn/network.h"
#include "nnse/nn/random.h"

namespace nnse::nn {
namespace {

const std::filesystem::path kArchDir = std::filesystem::path(NNSE_SOURCE_DIR) / "nn_arch";

const char kMixed[] =
    "input_neurons 4\ndropprob 0.2\n"
    "layer_type conv1d\nnum_filters 6\nkernel_size 3\nactivation tanh\ndropprob 0.25\n"
    "layer_type lstm\nlayer_neurons 5\nactivation tanh\ndropprob 0.1\n"
    "layer_type gru\nlayer_neurons 4\nactivation tanh\ndropprob 0.3\n"
    "layer_type fc\nlayer_neurons 3\nactivation sigmoid\n";

struct Net {
  explicit Net(const char* text, std::uint64_t seed = 1) : model(parse_arch(text, "t.txt"), seed), net(model.arch()) {
    for (const auto& t : model.parameters()) params.emplace_back(t.value.data(), t.value.data() + t.value.size());
    for (auto& p : params) pointers.push_back(p.data());
  }
  Model model;
  Network<double> net;
  std::vector<std::vector<double>> params;
  std::vector<const double*> pointers;
};

std::vector<double> random_features(int sequences, int frames, int dim, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(sequences) * frames * dim);
  for (double& x : v) x = rng.normal();
  return v;
}

// Frames [begin, end) of every sequence, as a contiguous [sequences][end-begin][dim] block.
std::vector<double> frames_of(const std::vector<double>& all, int sequences, int frames, int dim, int begin, int end) {
  std::vector<double> out;
  for (int s = 0; s < sequences; ++s)
    for (int t = begin; t < end; ++t)
      for (int d = 0; d < dim; ++d) out.push_back(all[(static_cast<std::size_t>(s) * frames + t) * dim + d]);
  return out;
}

TEST(Network, ChunkedRunsEqualOneRunWithCarriedState) {
  Net n(kMixed);
  const int S = 3, T = 11, D = 4, O = 3;
  auto features = random_features(S, T, D, 5);
  std::vector<double> pad = {-2.0, -1.5, -1.0, -0.5};

  StreamState<double> whole_state(n.net, S);
  whole_state.set_pad_frame(pad);
  for (int s = 0; s < S; ++s) whole_state.reset(s);
  Worker<double> worker(n.net);
  std::vector<double> whole(static_cast<std::size_t>(S) * T * O);
  worker.forward(n.pointers, {S, T, features.data(), nullptr}, whole_state, 0, nullptr, whole.data());

  for (int steps : {1, 4}) {  // the whole chunk again, in time blocks
    StreamState<double> state(n.net, S);
    state.set_pad_frame(pad);
    for (int s = 0; s < S; ++s) state.reset(s);
    Worker<double> blocked(n.net);
    blocked.set_block_steps(steps);
    std::vector<double> y(whole.size());
    blocked.forward(n.pointers, {S, T, features.data(), nullptr}, state, 0, nullptr, y.data());
    for (std::size_t i = 0; i < whole.size(); ++i) ASSERT_NEAR(y[i], whole[i], 1e-12) << i;
  }
  for (const std::vector<int>& cuts : {std::vector<int>{0, 1, 2, 3, 11}, std::vector<int>{0, 5, 11}}) {
    StreamState<double> state(n.net, S);
    state.set_pad_frame(pad);
    for (int s = 0; s < S; ++s) state.reset(s);
    std::vector<double> pieces(whole.size());
    for (std::size_t c = 0; c + 1 < cuts.size(); ++c) {
      const int begin = cuts[c], end = cuts[c + 1], len = end - begin;
      auto part = frames_of(features, S, T, D, begin, end);
      std::vector<double> out(static_cast<std::size_t>(S) * len * O);
      worker.forward(n.pointers, {S, len, part.data(), nullptr}, state, 0, nullptr, out.data());
      for (int s = 0; s < S; ++s)
        for (int t = 0; t < len; ++t)
          for (int o = 0; o < O; ++o)
            pieces[(static_cast<std::size_t>(s) * T + begin + t) * O + o] = out[(static_cast<std::size_t>(s) * len + t) * O + o];
    }
    for (std::size_t i = 0; i < whole.size(); ++i) ASSERT_NEAR(pieces[i], whole[i], 1e-12) << i;
  }
}

TEST(Network, SequencesAreIndependentOfTheirBatchNeighbours) {
  Net n(kMixed);
  const int S = 4, T = 6, D = 4, O = 3;
  auto features = random_features(S, T, D, 6);
  DropoutKey key{9, 3, 0};
  StreamState<double> state(n.net, S);
  Worker<double> worker(n.net);
  std::vector<double> together(static_cast<std::size_t>(S) * T * O);
  worker.forward(n.pointers, {S, T, features.data(), nullptr}, state, 0, &key, together.data());
  // The same sequences split 1 + 3 over two workers (slots 0 and 1..3): masks follow the batch index.
  StreamState<double> split_state(n.net, S);
  Worker<double> a(n.net), b(n.net);
  std::vector<double> split(together.size());
  DropoutKey key_a{9, 3, 0}, key_b{9, 3, 1};
  a.forward(n.pointers, {1, T, features.data(), nullptr}, split_state, 0, &key_a, split.data());
  b.forward(n.pointers, {3, T, features.data() + T * D, nullptr}, split_state, 1, &key_b, split.data() + T * O);
  for (std::size_t i = 0; i < together.size(); ++i) ASSERT_NEAR(split[i], together[i], 1e-12) << i;
  // Another step draws other masks.
  DropoutKey other{9, 4, 0};
  StreamState<double> state2(n.net, S);
  std::vector<double> changed(together.size());
  worker.forward(n.pointers, {S, T, features.data(), nullptr}, state2, 0, &other, changed.data());
  EXPECT_NE(changed, together);
}

TEST(Network, Conv1dHistoryStartsWithThePadFrame) {
  // A pure conv1d + fc network: output frame t of x with history = pad equals output frame t + K-1 of
  // [pad, pad, x] (any history), since those frames see exactly the same stacked input.
  Net n("input_neurons 3\ndropprob 0\nlayer_type conv1d\nnum_filters 4\nkernel_size 3\nactivation tanh\ndropprob 0\n"
        "layer_type fc\nlayer_neurons 2\nactivation linear\n");
  const int T = 5, D = 3, O = 2, K = 3;
  auto x = random_features(1, T, D, 7);
  std::vector<double> pad = {0.5, -1.0, 2.0};
  StreamState<double> state(n.net, 1);
  state.set_pad_frame(pad);
  state.reset(0);
  const double* h = state.data(0, 0);
  for (int j = 0; j < K - 1; ++j)
    for (int d = 0; d < D; ++d) EXPECT_EQ(h[j * D + d], pad[static_cast<std::size_t>(d)]);
  Worker<double> worker(n.net);
  std::vector<double> y(T * O);
  worker.forward(n.pointers, {1, T, x.data(), nullptr}, state, 0, nullptr, y.data());

  std::vector<double> padded;
  for (int j = 0; j < K - 1; ++j) padded.insert(padded.end(), pad.begin(), pad.end());
  padded.insert(padded.end(), x.begin(), x.end());
  StreamState<double> zero(n.net, 1);
  std::vector<double> y2((T + K - 1) * O);
  worker.forward(n.pointers, {1, T + K - 1, padded.data(), nullptr}, zero, 0, nullptr, y2.data());
  for (int t = 0; t < T; ++t)
    for (int o = 0; o < O; ++o) EXPECT_NEAR(y[t * O + o], y2[(t + K - 1) * O + o], 1e-12);
  // The history after the chunk holds the last K-1 raw frames.
  for (int j = 0; j < K - 1; ++j)
    for (int d = 0; d < D; ++d) EXPECT_EQ(h[j * D + d], x[static_cast<std::size_t>((T - (K - 1) + j) * D + d)]);
}

TEST(Network, DropoutMaskIsSharedOverTimeAndScaled) {
  // fc with linear activation, zero bias, identity weights: output = input * mask.
  Net n("input_neurons 6\ndropprob 0.5\nlayer_type fc\nlayer_neurons 6\nactivation linear\n");
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) n.params[0][static_cast<std::size_t>(i * 6 + j)] = i == j ? 1.0 : 0.0;
  std::fill(n.params[1].begin(), n.params[1].end(), 0.0);
  const int S = 40, T = 3;
  std::vector<double> ones(static_cast<std::size_t>(S) * T * 6, 1.0);
  StreamState<double> state(n.net, S);
  Worker<double> worker(n.net);
  std::vector<double> y(ones.size());
  DropoutKey key{1, 1, 0};
  worker.forward(n.pointers, {S, T, ones.data(), nullptr}, state, 0, &key, y.data());
  int dropped = 0;
  for (int s = 0; s < S; ++s)
    for (int d = 0; d < 6; ++d) {
      const double first = y[(static_cast<std::size_t>(s) * T) * 6 + d];
      EXPECT_TRUE(first == 0.0 || first == 2.0) << first;
      dropped += first == 0.0;
      for (int t = 1; t < T; ++t) EXPECT_EQ(y[(static_cast<std::size_t>(s) * T + t) * 6 + d], first);
    }
  EXPECT_GT(dropped, 80);  // 240 draws at p = 0.5
  EXPECT_LT(dropped, 160);
}

TEST(Model, ReferenceArchCounts) {
  Model model = Model::from_file(kArchDir / "def_se_nn_arch72_mel.txt", 1);
  EXPECT_EQ(model.parameter_count(), 102209);
  EXPECT_EQ(model.macs_per_frame(), 101448);
  EXPECT_EQ(model.input_dim(), 72);
  EXPECT_EQ(model.output_dim(), 257);
  const std::vector<std::string> names = {
      "layer0.conv1d.weight", "layer0.conv1d.bias", "layer1.lstm.weight", "layer1.lstm.recurrent_weight",
      "layer1.lstm.bias",     "layer2.fc.weight",   "layer2.fc.bias",     "layer3.fc.weight",
      "layer3.fc.bias",       "layer4.fc.weight",   "layer4.fc.bias"};
  ASSERT_EQ(model.parameters().size(), names.size());
  std::int64_t total = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(model.parameters()[i].name, names[i]);
    total += model.parameters()[i].value.size();
  }
  EXPECT_EQ(total, 102209);
  EXPECT_EQ(model.parameters()[0].shape, (std::vector<int>{6, 72, 72}));
  EXPECT_EQ(model.parameters()[3].shape, (std::vector<int>{72, 288}));
  EXPECT_TRUE(model.parameters()[4].is_bias);
  EXPECT_FALSE(model.parameters()[3].is_bias);
  EXPECT_NE(model.arch_text().find("layer_type lstm"), std::string::npos);
  EXPECT_NE(model.summary().find("102,209"), std::string::npos);
}

TEST(Model, ReferenceInitialization) {
  Model a = Model::from_file(kArchDir / "def_se_nn_arch72_mel.txt", 42);
  Model b = Model::from_file(kArchDir / "def_se_nn_arch72_mel.txt", 42);
  Model c = Model::from_file(kArchDir / "def_se_nn_arch72_mel.txt", 43);
  for (std::size_t i = 0; i < a.parameters().size(); ++i) EXPECT_EQ(a.parameters()[i].value, b.parameters()[i].value);
  EXPECT_NE(a.parameters()[0].value, c.parameters()[0].value);
  const auto& p = a.parameters();
  // conv1d: N(0, 1/sqrt(6*72)).
  const Eigen::VectorXf& conv = p[0].value;
  const double std_conv = std::sqrt(conv.cast<double>().squaredNorm() / static_cast<double>(conv.size()));
  EXPECT_NEAR(std_conv, 1.0 / std::sqrt(432.0), 0.002);
  // lstm: unit_forget_bias, other biases 0.
  const Eigen::VectorXf& bias = p[4].value;
  EXPECT_EQ(bias.segment(0, 72).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_EQ(bias.segment(72, 72).minCoeff(), 1.0f);
  EXPECT_EQ(bias.segment(72, 72).maxCoeff(), 1.0f);
  EXPECT_EQ(bias.segment(144, 144).cwiseAbs().maxCoeff(), 0.0f);
  // recurrent kernel [72, 288] orthogonal: rows orthonormal.
  Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> R(p[3].value.data(), 72, 288);
  const Eigen::MatrixXd gram = R.cast<double>() * R.cast<double>().transpose();
  EXPECT_LT((gram - Eigen::MatrixXd::Identity(72, 72)).cwiseAbs().maxCoeff(), 1e-5);
  // lstm kernel and fc glorot-uniform: within the limit, and filling it.
  const double limit_lstm = std::sqrt(6.0 / (72 + 288));
  EXPECT_LE(p[2].value.cwiseAbs().maxCoeff(), limit_lstm);
  EXPECT_GT(p[2].value.cwiseAbs().maxCoeff(), 0.99 * limit_lstm);
  const double limit_out = std::sqrt(6.0 / (72 + 257));
  EXPECT_LE(p[9].value.cwiseAbs().maxCoeff(), limit_out);
  EXPECT_EQ(p[10].value.cwiseAbs().maxCoeff(), 0.0f);
}

TEST(Model, GruParameters) {
  Model m(parse_arch("input_neurons 5\ndropprob 0\nlayer_type gru\nlayer_neurons 4\nactivation tanh\n", "g.txt"), 1);
  ASSERT_EQ(m.parameters().size(), 4u);
  EXPECT_EQ(m.parameters()[0].name, "layer0.gru.weight");
  EXPECT_EQ(m.parameters()[0].shape, (std::vector<int>{5, 12}));
  EXPECT_EQ(m.parameters()[1].shape, (std::vector<int>{4, 12}));
  EXPECT_EQ(m.parameters()[3].name, "layer0.gru.recurrent_bias");
  EXPECT_EQ(m.parameter_count(), 5 * 12 + 4 * 12 + 12 + 4);
  EXPECT_EQ(m.macs_per_frame(), 12 * (5 + 4));
}

}  // namespace
}  // namespace nnse::nn
