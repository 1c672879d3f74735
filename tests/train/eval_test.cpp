#include "nnse/train/evaluate.h"

#include <gtest/gtest.h>

namespace nnse::train {
namespace {

metrics::MetricReport report(double si_sdr, std::optional<double> stoi) {
  metrics::MetricReport r;
  r.si_sdr = si_sdr;
  r.snr = si_sdr + 1;
  r.segmental_snr = si_sdr / 2;
  r.lsd = 10 - si_sdr / 4;
  r.stoi = stoi;
  r.estoi = stoi ? std::optional<double>(*stoi - 0.1) : std::nullopt;
  return r;
}

TEST(EvalSummary, GroupsBySnrAndAveragesLikeWithLike) {
  std::vector<ClipEvaluation> clips = {
      {"a", 0.2, report(0, 0.6), report(6, 0.7)},
      {"b", -0.3, report(2, std::nullopt), report(10, std::nullopt)},
      {"c", 6.0, report(6, 0.8), report(9, 0.85)},
      {"d", std::nan(""), report(1, 0.5), report(0, 0.4)},
  };
  const EvalReport r = summarize(clips);
  ASSERT_EQ(r.groups.size(), 4u);
  EXPECT_EQ(r.groups[0].label, "all");
  EXPECT_EQ(r.groups[0].clips, 4);
  EXPECT_EQ(r.groups[1].label, "SNR 0 dB");
  EXPECT_EQ(r.groups[1].snr_db, 0);
  EXPECT_EQ(r.groups[1].clips, 2);
  EXPECT_EQ(r.groups[2].label, "SNR 6 dB");
  EXPECT_EQ(r.groups[3].label, "SNR unknown");

  const auto& si = r.groups[0].metrics[0];
  EXPECT_EQ(si.key, "si_sdr_db");
  EXPECT_EQ(si.count, 4);
  EXPECT_DOUBLE_EQ(si.noisy, (0 + 2 + 6 + 1) / 4.0);
  EXPECT_DOUBLE_EQ(si.enhanced, (6 + 10 + 9 + 0) / 4.0);
  const auto& stoi0 = r.groups[1].metrics[4];
  EXPECT_EQ(stoi0.key, "stoi");
  EXPECT_EQ(stoi0.count, 1);  // clip b has no STOI
  EXPECT_DOUBLE_EQ(stoi0.noisy, 0.6);
  EXPECT_NEAR(stoi0.improvement(), 0.1, 1e-12);
  const auto& pesq = r.groups[0].metrics[6];
  EXPECT_EQ(pesq.key, "pesq");
  EXPECT_EQ(pesq.count, 0);

  const std::string table = format_table(r);
  EXPECT_NE(table.find("all (4 clips)"), std::string::npos) << table;
  EXPECT_NE(table.find("SNR 0 dB (2 clips)"), std::string::npos) << table;
  EXPECT_NE(table.find("PESQ"), std::string::npos);
  EXPECT_NE(table.find("absent"), std::string::npos);
  EXPECT_NE(table.find("(worse)"), std::string::npos);  // the unknown-SNR group got worse

  const auto j = to_json(r);
  EXPECT_EQ(j["groups"][0]["metrics"]["si_sdr_db"]["clips"], 4);
  EXPECT_TRUE(j["groups"][0]["metrics"]["pesq"]["noisy"].is_null());
  EXPECT_EQ(j["clips"].size(), 4u);
  EXPECT_TRUE(j["clips"][3]["snr_db"].is_null());
  EXPECT_FALSE(to_json(r, false).contains("clips"));
}

TEST(EvalSummary, NoSnrMetadataGivesOnlyTheOverallGroup) {
  const EvalReport r = summarize({{"a", std::nan(""), report(0, 0.6), report(1, 0.7)}});
  ASSERT_EQ(r.groups.size(), 1u);
  EXPECT_EQ(r.groups[0].label, "all");
}

}  // namespace
}  // namespace nnse::train
