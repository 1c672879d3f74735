// `nnse info --nn-arch FILE` end to end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "test_support.h"

namespace nnse {
namespace {

using ::testing::HasSubstr;

const std::string kReference = std::string(NNSE_SOURCE_DIR) + "/nn_arch/def_se_nn_arch72_mel.txt";

TEST(InfoCli, ReferenceArch) {
  auto r = test::run_nnse("info --nn-arch " + kReference);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("parameters: 102,209 (101,448 weights + 761 biases)"));
  EXPECT_THAT(r.output, HasSubstr("multiply-accumulates per frame: 101,448"));
  EXPECT_THAT(r.output, HasSubstr("6x72 -> 72"));
  EXPECT_THAT(r.output, HasSubstr("72 -> 257"));
  EXPECT_THAT(r.output, HasSubstr("models_trained/se_nn_arch72_mel"));
  // The reference scripts' underscore spelling.
  auto alias = test::run_nnse("info --nn_arch " + kReference);
  EXPECT_EQ(alias.exit_code, 0) << alias.output;
  EXPECT_EQ(alias.output, r.output);
}

TEST(InfoCli, MalformedArchIsOneLineWithFileAndLine) {
  test::ScratchDir dir("nnse-info");
  const auto file = dir / "def_bad.txt";
  std::ofstream(file) << "input_neurons 8\ndropprob 0\nlayer_type fc\nlayer_neurons 4\nactivation softmax\n";
  auto r = test::run_nnse("info --nn-arch " + file.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr(file.string() + ":5: unknown activation 'softmax'"));
  auto missing = test::run_nnse("info");
  EXPECT_NE(missing.exit_code, 0);
}

}  // namespace
}  // namespace nnse
