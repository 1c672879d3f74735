// `nnse eval --peer-cmd "TEMPLATE" --peer-name NAME`: the peer column of the table and the JSON's "peer" are the
// command's, the text report names the command, its scratch files are gone afterwards, and the option conflicts
// are refused before any work.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_fixtures.h"

namespace nnse {
namespace {
namespace fs = std::filesystem;

TEST(EvalPeerCli, ACommandPeerIsReportedUnderItsNameAndCleansUp) {
  test::ScratchDir dir;
  const fs::path shards = test::write_tiny_shards(dir.path());
  fs::create_directories(dir / "tmp");
  // The bundled model on two valid clips; TMPDIR shows whether a scratch file outlives the run.
  const std::string common = "eval --data " + shards.string() + " --split valid --max-clips 2 --threads 1";
  const auto r = test::run_shell("TMPDIR='" + (dir / "tmp").string() + "' " + std::string(NNSE_BINARY) + " " +
                                 common + " --peer-cmd 'cp {in} {out}' --peer-name copy --json " +
                                 (dir / "report.json").string() + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("peer copy: cp {in} {out}\n"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("speexdsp"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::is_empty(dir / "tmp"));
  nlohmann::json j;
  std::ifstream(dir / "report.json") >> j;
  EXPECT_EQ(j["peer"], "copy");
  EXPECT_EQ(j["peer_command"], "cp {in} {out}");
  ASSERT_EQ(j["clips"].size(), 2u);
  EXPECT_FALSE(j["clips"][1]["speech_files"].empty()) << j["clips"][1];  // the second tiny clip holds speech
  for (const auto& clip : j["clips"]) {
    // Each clip names the corpus files it was mixed from (per-voice figures straight from the report).
    // A clip whose window holds no active speech has no SNR and names no speech file.
    ASSERT_EQ(clip["speech_files"].empty(), clip["snr_db"].is_null()) << clip;
    for (const auto& file : clip["speech_files"]) EXPECT_EQ(file.get<std::string>().rfind("speech/spk", 0), 0u) << clip;
    ASSERT_FALSE(clip["noise_files"].empty()) << clip;
    EXPECT_EQ(clip["noise_files"][0].get<std::string>().rfind("noise/", 0), 0u) << clip;
    // The copy is the mixture as a 16-bit WAV holds it: the noisy scores to within that rounding.
    EXPECT_NEAR(clip["peer"]["si_sdr_db"].get<double>(), clip["noisy"]["si_sdr_db"].get<double>(), 1e-3) << clip;
    EXPECT_NEAR(clip["peer"]["stoi"].get<double>(), clip["noisy"]["stoi"].get<double>(), 1e-4) << clip;
  }

  // A command that fails stops the run with one line naming it; nothing is written.
  const auto failed = test::run_nnse(common + " --peer-cmd 'exit 5 # {in} {out}' --json " +
                                     (dir / "failed.json").string() + " 2>&1");
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_NE(failed.output.find("--peer-cmd (command): 'exit 5 # "), std::string::npos) << failed.output;
  EXPECT_NE(failed.output.find("exit status 5"), std::string::npos) << failed.output;
  EXPECT_FALSE(fs::exists(dir / "failed.json"));

  // --no-peer excludes --peer-cmd, and --peer-name needs it.
  for (const std::string extra : {" --no-peer --peer-cmd 'cp {in} {out}'", " --peer-name rnnoise"}) {
    const auto refused = test::run_nnse(common + extra + " 2>&1");
    EXPECT_NE(refused.exit_code, 0) << extra;
    EXPECT_NE(refused.output.find(extra.find("no-peer") != std::string::npos ? "excludes" : "requires"),
              std::string::npos)
        << extra << "\n" << refused.output;
  }
}

}  // namespace
}  // namespace nnse
