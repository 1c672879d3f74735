// The one home of running a user's command template (--pesq-cmd, --peer-cmd): quoting, placeholders, failures.
#include "nnse/util/shell_command.h"

#include <gtest/gtest.h>

#include "nnse/util/error.h"

namespace nnse {
namespace {

TEST(ShellCommand, QuotedTextReachesTheCommandUnchanged) {
  for (const std::string text : {"plain", "with space", "it's", "$HOME `x` \"q\" \\ *", "'", ""}) {
    EXPECT_EQ(run_shell_command("printf '%s' " + shell_quote(text), "--test"), text);
  }
}

TEST(ShellCommand, PlaceholdersAreReplacedByQuotedPathsEverywhere) {
  EXPECT_EQ(fill_command_template("tool {in} {out} --log {in}.log", {{"{in}", "/tmp/a b.wav"}, {"{out}", "o.wav"}}),
            "tool '/tmp/a b.wav' 'o.wav' --log '/tmp/a b.wav'.log");
  // A path that spells a placeholder is not replaced again; unknown placeholders stay.
  EXPECT_EQ(fill_command_template("x {in} {other}", {{"{in}", "{in}"}}), "x '{in}' {other}");
}

TEST(ShellCommand, FailureIsAnErrorNamingTheOptionCommandStatusAndOutput) {
  EXPECT_EQ(run_shell_command("echo out; echo err >&2", "--test", true), "out\nerr\n");
  EXPECT_EQ(run_shell_command("echo out # a comment", "--test", true), "out\n");
  try {
    run_shell_command("echo first; echo second >&2; exit 4", "--test", true);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("--test: 'echo first; echo second >&2; exit 4' failed (exit status 4): ", 0), 0u) << message;
    EXPECT_NE(message.find("first | second"), std::string::npos) << message;  // one line
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  EXPECT_THROW(run_shell_command("kill -9 $$", "--test"), Error);
}

}  // namespace
}  // namespace nnse
