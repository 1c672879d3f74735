#include "nnse/model/checkpoint.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <thread>

#include "nnse/model/checkpoint_average.h"
#include "nnse/model/checkpoint_match.h"
#include "nnse/model/model_folder.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::model {
namespace {
namespace fs = std::filesystem;

const char* kArch =
    "# tiny test arch\n"
    "input_neurons 8\n"
    "dropprob 0.0\n"
    "layer_type lstm\n"
    "layer_neurons 4\n"
    "activation tanh\n"
    "dropprob 0.0\n"
    "layer_type fc\n"
    "layer_neurons 5\n"
    "activation sigmoid\n";

Checkpoint sample_checkpoint(int epoch, int scale = 1) {
  std::mt19937 rng(static_cast<unsigned>(epoch + 17));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto random_vector = [&](int n) {
    Eigen::VectorXf v(n);
    for (int i = 0; i < n; ++i) v[i] = normal(rng);
    return v;
  };
  Checkpoint c;
  c.epoch = epoch;
  c.arch_text = kArch;
  c.frontend.mel_bands = 8;
  c.loss_config = {{"name", "cmix"}, {"c", 0.3}, {"a", 0.3}, {"eps", 1e-8}};
  c.options = {{"seed", 1}, {"batch_size", 4}};
  c.parameters = {
      {"layer0.lstm.input_weight", {8 * scale, 16}, false, random_vector(8 * scale * 16)},
      {"layer0.lstm.bias", {16}, true, random_vector(16)},
      {"layer1.fc.weight", {4, 5}, false, random_vector(20)},
      {"layer1.fc.bias", {5}, true, random_vector(5)},
  };
  for (const auto& p : c.parameters) {
    c.adam.first_moment.push_back(random_vector(static_cast<int>(p.value.size())));
    c.adam.second_moment.push_back(random_vector(static_cast<int>(p.value.size())).cwiseAbs());
  }
  c.adam.step = 1234 + epoch;
  c.rng_state = std::string("rng\0state with binary \xff bytes ", 30) + std::to_string(epoch);
  c.feature_mean = {-3.0f, -2.5f, -2.0f, -1.5f, -1.25f, -1.0f, -1.1f, -1.2f};
  c.feature_inv_std = {0.6f, 0.61f, 0.62f, 0.63f, 0.64f, 0.65f, 0.7f, 0.75f};
  for (int e = 0; e <= epoch; ++e) {
    c.train_loss.push_back(0.02 / (e + 1));
    c.valid_loss.push_back(e == 0 ? std::numeric_limits<double>::quiet_NaN() : 0.03 / (e + 1));
  }
  return c;
}

void expect_same(const Checkpoint& a, const Checkpoint& b) {
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.arch_text, b.arch_text);
  EXPECT_TRUE(a.frontend == b.frontend);
  EXPECT_EQ(a.loss_config, b.loss_config);
  EXPECT_EQ(a.options, b.options);
  EXPECT_EQ(a.rng_state, b.rng_state);
  EXPECT_EQ(a.feature_mean, b.feature_mean);
  EXPECT_EQ(a.feature_inv_std, b.feature_inv_std);
  ASSERT_EQ(a.train_loss.size(), b.train_loss.size());
  EXPECT_EQ(0, std::memcmp(a.train_loss.data(), b.train_loss.data(), a.train_loss.size() * sizeof(double)));
  EXPECT_EQ(0, std::memcmp(a.valid_loss.data(), b.valid_loss.data(), a.valid_loss.size() * sizeof(double)));
  ASSERT_EQ(a.parameters.size(), b.parameters.size());
  for (std::size_t i = 0; i < a.parameters.size(); ++i) {
    EXPECT_EQ(a.parameters[i].name, b.parameters[i].name);
    EXPECT_EQ(a.parameters[i].shape, b.parameters[i].shape);
    EXPECT_EQ(a.parameters[i].is_bias, b.parameters[i].is_bias);
    EXPECT_EQ(a.parameters[i].value, b.parameters[i].value);
    EXPECT_EQ(a.adam.first_moment[i], b.adam.first_moment[i]);
    EXPECT_EQ(a.adam.second_moment[i], b.adam.second_moment[i]);
  }
  EXPECT_EQ(a.adam.step, b.adam.step);
}

// Runs `body`, expects an nnse::Error whose message names `file` and contains `needle`.
template <typename F>
void expect_error(F&& body, const std::string& file, const std::string& needle) {
  try {
    body();
    ADD_FAILURE() << "no error thrown (expected '" << needle << "')";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(file), std::string::npos) << message;
    EXPECT_NE(message.find(needle), std::string::npos) << message;
  }
}

TEST(Checkpoint, ModelNameFollowsTheReference) {
  EXPECT_EQ(model_name_from_arch("nn_arch/def_se_nn_arch72_mel.txt"), "se_nn_arch72_mel");
  EXPECT_EQ(model_name_from_arch("my_arch.txt"), "my_arch");
  EXPECT_EQ(model_dir("models_trained", "x/def_tiny.txt"), fs::path("models_trained/tiny"));
  EXPECT_EQ(checkpoint_path("m/tiny", 12), fs::path("m/tiny/checkpoints/epoch_12"));
  EXPECT_EQ(latest_path("m/tiny"), fs::path("m/tiny/checkpoints/latest"));
}

TEST(Checkpoint, EncodeDecodeRoundTripsEverythingBitExactly) {
  const Checkpoint c = sample_checkpoint(3);
  const Checkpoint d = decode_checkpoint(encode_checkpoint(c), "mem");
  expect_same(c, d);
  EXPECT_TRUE(std::isnan(d.valid_loss[0]));
}

TEST(Checkpoint, EmptyAdamStateRoundTrips) {
  Checkpoint c = sample_checkpoint(0);
  c.adam = {};
  const Checkpoint d = decode_checkpoint(encode_checkpoint(c), "mem");
  EXPECT_TRUE(d.adam.first_moment.empty());
  EXPECT_EQ(d.adam.step, 0);
}

TEST(Checkpoint, InconsistentInputIsRefusedOnSave) {
  Checkpoint c = sample_checkpoint(1);
  c.parameters[0].shape = {3, 3};
  EXPECT_THROW(encode_checkpoint(c), Error);
  c = sample_checkpoint(1);
  c.adam.first_moment.pop_back();
  EXPECT_THROW(encode_checkpoint(c), Error);
}

TEST(Checkpoint, SaveWritesEpochFileThenLatest) {
  test::ScratchDir dir;
  const fs::path model = dir / "tiny";
  EXPECT_EQ(latest_epoch(model), std::nullopt);
  const fs::path p0 = save_checkpoint(model, sample_checkpoint(0));
  const fs::path p1 = save_checkpoint(model, sample_checkpoint(1));
  EXPECT_EQ(p1, model / "checkpoints" / "epoch_1");
  EXPECT_TRUE(fs::exists(p0));
  EXPECT_EQ(read_file_bytes(model / "checkpoints" / "latest"), "1\n");
  EXPECT_EQ(latest_epoch(model), 1);
  expect_same(load_checkpoint(p1), sample_checkpoint(1));
  // No temporaries are left behind.
  for (const auto& entry : fs::directory_iterator(model / "checkpoints")) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  }
}

TEST(Checkpoint, EveryFlippedByteIsDetected) {
  const std::string bytes = encode_checkpoint(sample_checkpoint(2));
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x10);
    EXPECT_THROW(decode_checkpoint(damaged, "ckpt"), Error) << "byte " << i;
  }
  std::string damaged = bytes;
  damaged[bytes.size() / 2] ^= 1;
  expect_error([&] { decode_checkpoint(damaged, "models/x/checkpoints/epoch_2"); }, "models/x/checkpoints/epoch_2",
               "checksum");
}

TEST(Checkpoint, EveryTruncationIsDetected) {
  const std::string bytes = encode_checkpoint(sample_checkpoint(2));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THROW(decode_checkpoint(bytes.substr(0, n), "ckpt"), Error) << "length " << n;
  }
  expect_error([&] { decode_checkpoint(bytes.substr(0, bytes.size() - 100), "f/epoch_2"); }, "f/epoch_2",
               "truncated");
  expect_error([&] { decode_checkpoint(bytes + "xx", "f/epoch_2"); }, "f/epoch_2", "trailing");
  expect_error([&] { decode_checkpoint("", "f/epoch_2"); }, "f/epoch_2", "not an nnse checkpoint");
}

TEST(Checkpoint, WrongVersionIsNamed) {
  std::string bytes = encode_checkpoint(sample_checkpoint(2));
  const std::uint32_t future = kCheckpointVersion + 1;
  std::memcpy(bytes.data() + 8, &future, sizeof(future));
  expect_error([&] { decode_checkpoint(bytes, "f/epoch_2"); }, "f/epoch_2", "version " + std::to_string(future));
}

TEST(Checkpoint, CorruptFileOnDiskNamesTheFile) {
  test::ScratchDir dir;
  const fs::path model = dir / "tiny";
  const fs::path path = save_checkpoint(model, sample_checkpoint(4));
  std::string bytes = read_file_bytes(path);
  bytes[bytes.size() - 40] ^= 0x01;
  write_file_atomic(path, bytes);
  expect_error([&] { load_checkpoint(path); }, path.string(), "corrupt");
  write_file_atomic(path, bytes.substr(0, 30));
  expect_error([&] { load_checkpoint(path); }, path.string(), "truncated");
  expect_error([&] { load_checkpoint(model / "checkpoints" / "epoch_9"); }, "epoch_9", "not found");
}

TEST(Checkpoint, EpochSelectionParsing) {
  EXPECT_EQ(EpochSelection::parse("random").kind, EpochSelection::Kind::random);
  EXPECT_EQ(EpochSelection::parse("latest").kind, EpochSelection::Kind::latest);
  const auto n = EpochSelection::parse("17");
  EXPECT_EQ(n.kind, EpochSelection::Kind::number);
  EXPECT_EQ(n.epoch, 17);
  EXPECT_EQ(n.to_string(), "17");
  for (const char* bad : {"", "-1", "abc", "3x", "Latest", "1.5"}) {
    expect_error([&] { EpochSelection::parse(bad); }, "--epoch-loaded", "expected random, latest");
  }
}

TEST(Checkpoint, ResolveSelection) {
  test::ScratchDir dir;
  const fs::path model = dir / "tiny";
  EXPECT_EQ(resolve_checkpoint(model, EpochSelection::parse("random")), std::nullopt);
  expect_error([&] { resolve_checkpoint(model, EpochSelection::parse("latest")); }, "latest", "no checkpoint");
  save_checkpoint(model, sample_checkpoint(0));
  save_checkpoint(model, sample_checkpoint(1));
  EXPECT_EQ(resolve_checkpoint(model, EpochSelection::parse("latest")), checkpoint_path(model, 1));
  EXPECT_EQ(resolve_checkpoint(model, EpochSelection::parse("0")), checkpoint_path(model, 0));
  expect_error([&] { resolve_checkpoint(model, EpochSelection::parse("5")); }, "epoch_5", "not found");
  write_file_atomic(latest_path(model), std::string("garbage\n"));
  expect_error([&] { resolve_checkpoint(model, EpochSelection::parse("latest")); }, "latest", "malformed");
  write_file_atomic(latest_path(model), std::string("7\n"));
  expect_error([&] { resolve_checkpoint(model, EpochSelection::parse("latest")); }, "epoch_7", "missing");
}

TEST(Checkpoint, ArchComparisonIgnoresCommentsAndSpacingOnly) {
  const Checkpoint c = sample_checkpoint(1);
  const std::string recommented = std::string("# another comment\n\n") + "input_neurons   8  # eight\n" +
                                  (kArch + std::string(kArch).find("dropprob"));
  EXPECT_NO_THROW(check_compatible(c, "ck", recommented, c.frontend));
  std::string changed = kArch;
  changed.replace(changed.find("layer_neurons 5"), 15, "layer_neurons 6");
  expect_error([&] { check_compatible(c, "m/epoch_1", changed, c.frontend); }, "m/epoch_1",
               "different nn_arch");
  expect_error([&] { check_compatible(c, "m/epoch_1", changed, c.frontend); }, "m/epoch_1", "layer_neurons 6");
}

TEST(Checkpoint, ArchComparisonIgnoresDropoutRates) {
  const Checkpoint c = sample_checkpoint(1);
  std::string other_dropout = kArch;
  const auto at = other_dropout.find("dropprob");
  ASSERT_NE(at, std::string::npos);
  const auto end = other_dropout.find('\n', at);
  other_dropout.replace(at, end - at, "dropprob 0.25");
  ASSERT_NE(other_dropout, std::string(kArch));
  EXPECT_NO_THROW(check_compatible(c, "ck", other_dropout, c.frontend));
  EXPECT_EQ(weights_arch_text(other_dropout), weights_arch_text(kArch));
  EXPECT_NE(canonical_arch_text(other_dropout), canonical_arch_text(kArch));
  EXPECT_EQ(weights_arch_text(kArch).find("dropprob"), std::string::npos);
}

TEST(Checkpoint, FrontendMismatchNamesTheSetting) {
  const Checkpoint c = sample_checkpoint(1);
  dsp::FrontendConfig other = c.frontend;
  other.feature_type = dsp::FeatureType::pspec;
  expect_error([&] { check_compatible(c, "m/epoch_1", c.arch_text, other); }, "m/epoch_1", "feature_type");
  other = c.frontend;
  other.hop_length = 128;
  expect_error([&] { check_compatible(c, "m/epoch_1", c.arch_text, other); }, "m/epoch_1", "hop_length");
}

// Weight averaging (checkpoint_average.h): every parameter is the mean over the inputs, the newest input's
// record is kept, Adam's moments are dropped, and inputs of different trainings are refused.
TEST(CheckpointAverage, MeansEveryParameterAndKeepsTheNewestRecord) {
  test::ScratchDir dir;
  const fs::path model = dir / "tiny";
  std::vector<fs::path> files;
  for (int epoch : {3, 5, 4}) files.push_back(save_checkpoint(model, sample_checkpoint(epoch)));
  const Checkpoint averaged = average_checkpoints(files);
  const Checkpoint c3 = sample_checkpoint(3), c4 = sample_checkpoint(4), c5 = sample_checkpoint(5);
  ASSERT_EQ(averaged.parameters.size(), c3.parameters.size());
  for (std::size_t t = 0; t < averaged.parameters.size(); ++t) {
    EXPECT_EQ(averaged.parameters[t].name, c3.parameters[t].name);
    EXPECT_EQ(averaged.parameters[t].shape, c3.parameters[t].shape);
    for (Eigen::Index i = 0; i < averaged.parameters[t].value.size(); ++i) {
      const double mean = (static_cast<double>(c3.parameters[t].value[i]) + c4.parameters[t].value[i] +
                           c5.parameters[t].value[i]) / 3.0;
      EXPECT_NEAR(averaged.parameters[t].value[i], mean, 1e-6) << averaged.parameters[t].name << "[" << i << "]";
    }
  }
  EXPECT_EQ(averaged.epoch, 5);
  EXPECT_EQ(averaged.train_loss.size(), c5.train_loss.size());
  EXPECT_EQ(averaged.rng_state, c5.rng_state);
  EXPECT_TRUE(averaged.adam.first_moment.empty());
  EXPECT_TRUE(averaged.adam.second_moment.empty());
  ASSERT_TRUE(averaged.options.contains("averaged_from"));
  EXPECT_EQ(averaged.options["averaged_from"].size(), 3u);
  // It round-trips through the file format like any checkpoint.
  const Checkpoint back = decode_checkpoint(encode_checkpoint(averaged), "averaged");
  EXPECT_EQ(back.parameters[0].value, averaged.parameters[0].value);
  // One input is that input.
  EXPECT_EQ(average_checkpoints({files[1]}).parameters[2].value, c5.parameters[2].value);
}

// Weighted: sum(w x) / sum(w) per parameter (an interpolation between fine-tunes), recorded in the options; a zero
// weight leaves that input out; a wrong count, a negative or non-finite weight and a zero sum are refused.
TEST(CheckpointAverage, WeightedMeanInterpolates) {
  test::ScratchDir dir;
  const fs::path a = save_checkpoint(dir / "a", sample_checkpoint(3));
  const fs::path b = save_checkpoint(dir / "b", sample_checkpoint(5));
  const Checkpoint c3 = sample_checkpoint(3), c5 = sample_checkpoint(5);
  const Checkpoint quarter = average_checkpoints({a, b}, {1.0, 3.0});
  for (std::size_t t = 0; t < quarter.parameters.size(); ++t) {
    for (Eigen::Index i = 0; i < quarter.parameters[t].value.size(); ++i) {
      const double expected = 0.25 * c3.parameters[t].value[i] + 0.75 * c5.parameters[t].value[i];
      EXPECT_NEAR(quarter.parameters[t].value[i], expected, 1e-6) << quarter.parameters[t].name << "[" << i << "]";
    }
  }
  ASSERT_TRUE(quarter.options.contains("averaged_weights"));
  EXPECT_EQ(quarter.options["averaged_weights"].get<std::vector<double>>(), (std::vector<double>{1.0, 3.0}));
  EXPECT_FALSE(average_checkpoints({a, b}).options.contains("averaged_weights"));
  // Scaling every weight changes nothing; a zero weight leaves that input out.
  EXPECT_EQ(average_checkpoints({a, b}, {2.0, 6.0}).parameters[1].value, quarter.parameters[1].value);
  EXPECT_EQ(average_checkpoints({a, b}, {0.0, 1.0}).parameters[1].value, c5.parameters[1].value);
  expect_error([&] { average_checkpoints({a, b}, {1.0}); }, "average", "1 weights for 2 checkpoints");
  expect_error([&] { average_checkpoints({a, b}, {1.0, -1.0}); }, "average", "finite and >= 0");
  expect_error([&] { average_checkpoints({a, b}, {1.0, std::nan("")}); }, "average", "finite and >= 0");
  expect_error([&] { average_checkpoints({a, b}, {0.0, 0.0}); }, "average", "sum to 0");
}

TEST(CheckpointAverage, RefusesCheckpointsOfDifferentTrainings) {
  test::ScratchDir dir;
  const fs::path a = save_checkpoint(dir / "a", sample_checkpoint(1));
  Checkpoint other_stats = sample_checkpoint(2);
  other_stats.feature_mean[0] += 0.5f;
  const fs::path b = save_checkpoint(dir / "b", other_stats);
  expect_error([&] { average_checkpoints({a, b}); }, b.string(), "feature statistics differ");
  const fs::path c = save_checkpoint(dir / "c", sample_checkpoint(2, 2));  // a wider first tensor
  expect_error([&] { average_checkpoints({a, c}); }, c.string(), "parameter 0");
  Checkpoint other_arch = sample_checkpoint(2);
  other_arch.arch_text.replace(other_arch.arch_text.find("layer_neurons 5"), 15, "layer_neurons 6");
  const fs::path d = save_checkpoint(dir / "d", other_arch);
  expect_error([&] { average_checkpoints({a, d}); }, d.string(), "different nn_arch");
  expect_error([&] { average_checkpoints({a, dir / "missing"}); }, (dir / "missing").string(), "not found");
  EXPECT_THROW(average_checkpoints({}), Error);
}

TEST(Checkpoint, RestoreParametersChecksLayout) {
  const Checkpoint c = sample_checkpoint(1);
  nn::ParameterSet target = c.parameters;
  for (auto& p : target) p.value.setZero();
  restore_parameters(c, "ck", target);
  EXPECT_EQ(target[2].value, c.parameters[2].value);
  nn::ParameterSet wrong = c.parameters;
  wrong[1].shape = {17};
  expect_error([&] { restore_parameters(c, "m/epoch_1", wrong); }, "m/epoch_1", "layer0.lstm.bias");
  wrong = c.parameters;
  wrong.pop_back();
  expect_error([&] { restore_parameters(c, "m/epoch_1", wrong); }, "m/epoch_1", "parameter tensors");
}

// A writer killed with SIGKILL at arbitrary moments never leaves a damaged checkpoint behind: every epoch_<N>
// present decodes, and `latest` names one that exists.
TEST(Checkpoint, KillDuringSavesNeverCorruptsExistingCheckpoints) {
  test::ScratchDir dir;
  const fs::path model = dir / "tiny";
  save_checkpoint(model, sample_checkpoint(0, 64));
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> delay_us(0, 20000);
  for (int round = 0; round < 6; ++round) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (int epoch = 1;; ++epoch) save_checkpoint(model, sample_checkpoint(epoch % 5, 64));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    const auto latest = latest_epoch(model);
    ASSERT_TRUE(latest.has_value());
    EXPECT_NO_THROW(load_checkpoint(checkpoint_path(model, *latest)));
    for (const auto& entry : fs::directory_iterator(model / "checkpoints")) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with("epoch_") && name.find(".tmp-") == std::string::npos) {
        EXPECT_NO_THROW(load_checkpoint(entry.path())) << name;
      }
    }
  }
}

}  // namespace
}  // namespace nnse::model
