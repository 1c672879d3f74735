// Finding and loading a trained model: the bundled default, a model folder, --nn-arch + --epoch-loaded, and the
// checks that refuse a model that does not match what the caller expects.
#include "nnse/model/trained_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::model {
namespace {
namespace fs = std::filesystem;

const fs::path kBundled = fs::path(NNSE_SOURCE_DIR) / kBundledModelFolder;

TEST(TrainedModel, NoChoiceMeansTheBundledModel) {
  const TrainedModel trained = TrainedModel::load({});
  EXPECT_EQ(fs::weakly_canonical(trained.checkpoint), fs::weakly_canonical(kBundled / kCheckpointFileInModelFolder));
  EXPECT_EQ(trained.model.input_dim(), trained.frontend.feature_dim());  // the bundled arch: 72 mel bands in
  EXPECT_EQ(trained.stats.dim(), trained.frontend.feature_dim());
  EXPECT_NE(trained.description.find("model.ckpt (epoch " + std::to_string(trained.epoch) + ")"), std::string::npos)
      << trained.description;
}

TEST(TrainedModel, AFolderAndItsCheckpointFileGiveTheSameModel) {
  ModelChoice by_folder;
  by_folder.model = kBundled.string();
  ModelChoice by_file;
  by_file.model = (kBundled / kCheckpointFileInModelFolder).string();
  EXPECT_EQ(resolve_checkpoint_file(by_folder), resolve_checkpoint_file(by_file));
}

TEST(TrainedModel, RefusesAWrongFeatureTypeAndMissingFiles) {
  ModelChoice pspec;
  pspec.model = kBundled.string();
  pspec.feat_type = "pspec";
  EXPECT_THROW(TrainedModel::load(pspec), Error);

  ModelChoice missing_arch;
  missing_arch.nn_arch = "no/such/arch.txt";
  try {
    resolve_checkpoint_file(missing_arch);
    FAIL() << "a missing arch file was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("arch file no/such/arch.txt not found"), std::string::npos) << e.what();
  }

  test::ScratchDir dir;
  ModelChoice empty_folder;
  empty_folder.model = dir.path().string();
  EXPECT_THROW(resolve_checkpoint_file(empty_folder), Error);
}

TEST(TrainedModel, AnArchAndAnEpochFindTheCheckpointInTheModelsFolder) {
  ModelChoice choice;
  choice.nn_arch = (fs::path(NNSE_SOURCE_DIR) / "nn_arch" / "def_se_nn_arch72_mel.txt").string();
  test::ScratchDir dir;
  choice.models_dir = dir.path().string();
  choice.epoch_loaded = "random";
  EXPECT_THROW(resolve_checkpoint_file(choice), Error);  // untrained weights are not a trained model
  choice.epoch_loaded = "latest";
  EXPECT_THROW(resolve_checkpoint_file(choice), Error);  // nothing trained in an empty models folder
}

TEST(TrainedModel, AModelFolderCarriesItsRecommendedEnhancerSettings) {
  test::ScratchDir dir;
  fs::copy_file(kBundled / kCheckpointFileInModelFolder, dir / kCheckpointFileInModelFolder);
  ModelChoice choice;
  choice.model = dir.path().string();
  const TrainedModel without = TrainedModel::load(choice);
  EXPECT_FALSE(without.recommended.atten_lim_db.has_value());
  EXPECT_FALSE(without.recommended.pass_gain.has_value());
  EXPECT_FALSE(without.recommended.floor_guard.has_value());
  EXPECT_FALSE(without.recommended.pitch_filter.has_value());

  test::run_shell("printf '{\"atten_lim_db\": 12, \"pass_gain\": 0.7, \"floor_guard\": 10, \"pitch_filter\": 0.5}' > " +
                  (dir / kSettingsFileInModelFolder).string());
  const TrainedModel with = TrainedModel::load(choice);
  EXPECT_EQ(with.recommended.atten_lim_db, 12.0);
  EXPECT_EQ(with.recommended.pass_gain, 0.7);
  EXPECT_EQ(with.recommended.floor_guard, 10.0);
  EXPECT_EQ(with.recommended.pitch_filter, 0.5);

  test::run_shell("printf '{\"atten_lim_db\": null}' > " + (dir / kSettingsFileInModelFolder).string());
  EXPECT_TRUE(std::isinf(*TrainedModel::load(choice).recommended.atten_lim_db));

  for (const char* bad : {"{\"pass_gain\": 2}", "{\"floor_guard\": -1}", "{\"pitch_filter\": 1.5}",
                          "{\"pitch_filter\": -0.1}", "{\"floor_guard\": \"on\"}", "{\"atten_lim_db\": -3}",
                          "{\"pass_gain\": 0}", "{\"pitch_filter\": null}", "not json", "[1]"}) {
    test::run_shell(std::string("printf '") + bad + "' > " + (dir / kSettingsFileInModelFolder).string());
    try {
      TrainedModel::load(choice);
      FAIL() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(kSettingsFileInModelFolder), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace nnse::model
