#include "nnse/eval/loss_comparison.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "nnse/util/atomic_file.h"
#include "test_support.h"

namespace nnse::eval {
namespace {

metrics::MetricReport report(double si_sdr, double stoi) {
  metrics::MetricReport r;
  r.si_sdr = si_sdr;
  r.snr = si_sdr + 1;
  r.segmental_snr = si_sdr / 2;
  r.lsd = 10 - si_sdr / 4;
  r.stoi = stoi;
  r.estoi = stoi - 0.1;
  return r;
}

TEST(LossComparison, WritesMarkdownCsvAndPictureIncludingFailedRuns) {
  test::ScratchDir dir;
  LossComparison comparison;
  comparison.command = "nnse compare-losses --nn-arch a.txt --losses all --epochs 2";
  comparison.budget = {{"epochs", 2}, {"seed", 1}};
  auto run_with = [](const std::string& loss, double gain, LossRun::Status status) {
    LossRun run;
    run.loss = loss;
    run.describe = loss + ": E[(|S| - |G Y|)^2]";
    run.status = status;
    run.epochs = 2;
    run.train_loss = 0.5;
    run.valid_loss = 0.6;
    run.eval = summarize({{"a", 0.0, report(0, 0.6), report(gain, 0.6 + gain / 100), std::nullopt},
                          {"b", 6.0, report(4, 0.8), report(4 + gain, 0.8 + gain / 100), std::nullopt}});
    return run;
  };
  comparison.runs.push_back(run_with("cmix", 5, LossRun::Status::trained));
  comparison.runs.push_back(run_with("mag_mse", 3, LossRun::Status::trained));
  LossRun diverged = run_with("si_sdr", 1, LossRun::Status::diverged);
  diverged.message = "training diverged: 10 consecutive steps";
  comparison.runs.push_back(diverged);
  LossRun failed;
  failed.loss = "wsdr";
  failed.status = LossRun::Status::failed;
  failed.message = "boom";
  comparison.runs.push_back(failed);

  const std::string md = write_loss_comparison(dir.path(), comparison);
  EXPECT_EQ(md, read_file_bytes(dir / "loss_comparison.md"));
  EXPECT_NE(md.find(comparison.command), std::string::npos);
  EXPECT_NE(md.find("| noisy input | | | 2.00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| cmix | trained | 2 | **7.00 (+5.00)** |"), std::string::npos) << md;
  EXPECT_NE(md.find("| mag_mse | trained | 2 | 5.00 (+3.00) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| wsdr | failed | 0 | - |"), std::string::npos) << md;
  EXPECT_NE(md.find("**si_sdr** diverged: training diverged: 10 consecutive steps (the table shows its last good"),
            std::string::npos) << md;
  EXPECT_NE(md.find("**wsdr** failed: boom"), std::string::npos);
  EXPECT_NE(md.find("E[(\\|S\\| - \\|G Y\\|)^2]"), std::string::npos) << "pipes escaped in table cells";
  EXPECT_NE(md.find("| absent |"), std::string::npos);  // PESQ

  const std::string csv = read_file_bytes(dir / "loss_comparison.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
  EXPECT_NE(csv.find("cmix,trained,2,0.5,0.6,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("si_sdr_db_noisy,si_sdr_db_enhanced,si_sdr_db_improvement"), std::string::npos);
  const std::string png = read_file_bytes(dir / "loss_comparison.png");
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
}

}  // namespace
}  // namespace nnse::train
