// `nnse convert` end to end with the bundled model.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "test_support.h"

namespace nnse {
namespace {

TEST(ConvertCli, WritesTheTwoFilesForTheBundledModel) {
  test::ScratchDir dir;
  auto r = test::run_nnse("convert --net-id 3 --net-name se --out-dir " + dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("def_nn3_se.h"), std::string::npos) << r.output;
  std::ifstream source(dir / "def_nn3_se.c");
  std::stringstream text;
  text << source.rdbuf();
  EXPECT_NE(text.str().find("const nnsp_model nnsp_model_se = {"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "def_nn3_se.h"));
  r = test::run_nnse("convert --net-name 3x --out-dir " + dir.path().string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("C identifier"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace nnse
