// Issue 14, point 6: the PESQ score comes from an unambiguous place in the tool's output and is range-checked; a
// failing command is an error. On the old code external_pesq took the last number anywhere ("-4.00" from a
// temporary path) and returned "absent" for a failing command.
#include <gtest/gtest.h>

#include "nnse/metrics/pesq_output.h"
#include "nnse/metrics/report.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::metrics {
namespace {

TEST(PesqOutput, ScoreLineWinsOverNumbersInPaths) {
  // The ITU tool's last line, after it echoed its file names.
  EXPECT_EQ(parse_pesq_output("Reading /tmp/nnse-pesq-4-0/reference.wav\n"
                              "P.862 Prediction (Raw MOS, MOS-LQO):  = 2.875   3.125\n",
                              "pesq"),
            3.125);
  // A path after the score line must not be taken as the score.
  EXPECT_EQ(parse_pesq_output("PESQ: 2.5\nwrote /tmp/nnse-pesq-4-00/degraded.wav\n", "tool"), 2.5);
  EXPECT_EQ(parse_pesq_output("3.3\n", "tool"), 3.3);  // a tool printing only the score
}

TEST(PesqOutput, AmbiguousOrOutOfRangeIsAnErrorNamingTheOption) {
  EXPECT_THROW(parse_pesq_output("1 2 3\n", "tool"), Error);                 // which one?
  EXPECT_THROW(parse_pesq_output("PESQ -4.00\n", "tool"), Error);            // outside [-0.5, 4.64]
  EXPECT_THROW(parse_pesq_output("MOS 7\n", "tool"), Error);
  EXPECT_THROW(parse_pesq_output("file /tmp/x-4-0.wav\n", "tool"), Error);   // no standalone number at all
  try {
    parse_pesq_output("PESQ 12\n", "my-pesq");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--pesq-cmd"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("my-pesq"), std::string::npos) << e.what();
  }
}

TEST(PesqOutput, FailingCommandIsAnErrorNotAbsent) {
  test::ScratchDir dir("nnse-pesq-fail");
  try {
    external_pesq("echo 'PESQ 3.0'; exit 2", dir / "r.wav", dir / "d.wav");
    FAIL() << "a failing command must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exit status 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nnse::metrics
