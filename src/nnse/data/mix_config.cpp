#include "nnse/data/mix_config.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "nnse/data/snr.h"
#include "nnse/util/error.h"

namespace nnse::data {
namespace {

std::int64_t seconds_to_samples(double seconds, int rate) { return std::llround(seconds * rate); }

}  // namespace

std::size_t MixConfig::clip_samples() const {
  return static_cast<std::size_t>(seconds_to_samples(clip_seconds, frontend.sample_rate));
}

void MixConfig::validate() const {
  auto fail = [](const std::string& setting, const std::string& problem) { throw Error("--" + setting, problem); };
  if (frontend.sample_rate <= 0) fail("sample-rate", "must be positive");
  if (!(clip_seconds > 0.0 && clip_seconds <= 3600.0)) fail("clip-seconds", "must be in (0, 3600]");
  if (clip_samples() < 16) fail("clip-seconds", "too short");
  if (datasize_noise == 0 || datasize_noise < -1) fail("datasize-noise", "must be positive or -1 (everything)");
  if (snr_db.empty()) fail("snr", "the SNR list is empty");
  for (const double s : snr_db) {
    if (!snr_is_valid(s)) fail("snr", "SNR values must be in [-40, 60] dB or 'clean'");
  }
  if (!(speed_perturb >= 0.0 && speed_perturb <= 0.3)) fail("speed-perturb", "must be in [0, 0.3]");
  if (!(formant_warp >= 0.0 && formant_warp <= 0.3)) fail("formant-warp", "must be in [0, 0.3]");
  if (!(sim_room_prob >= 0.0 && sim_room_prob <= 1.0)) fail("sim-room-prob", "must be in [0, 1]");
  if (!(babble_prob >= 0.0 && babble_prob <= 1.0)) fail("babble-prob", "must be in [0, 1]");
  if (!(babble_min_talkers >= 1 && babble_min_talkers <= babble_max_talkers && babble_max_talkers <= 64)) {
    fail("babble-talkers", "need 1 <= min <= max <= 64");
  }
  if (!(min_peak > 0.0 && min_peak <= max_peak && max_peak <= 1.0)) fail("peak", "need 0 < min_peak <= max_peak <= 1");
  if (!(reverb_prob >= 0.0 && reverb_prob <= 1.0)) fail("reverb-prob", "must be in [0, 1]");
  if (!(rir.extra_decay_db_per_second >= 0.0 && rir.extra_decay_db_per_second <= 1000.0)) {
    fail("target-late-decay", "must be in [0, 1000] dB/s");
  }
  if (!(pad_min_seconds >= 0.0 && pad_min_seconds < pad_max_seconds)) fail("pad", "need 0 <= pad_min < pad_max");
  if (!(utterance_gain_db >= 0.0)) fail("utterance-gain-db", "must not be negative");
  if (!(one_shot_max_seconds >= 0.0)) fail("one-shot-max-seconds", "must not be negative");
  if (!(typing_gap_min_seconds > 0.0 && typing_gap_min_seconds < typing_gap_max_seconds)) {
    fail("typing-gap", "need 0 < min < max");
  }
  if (!(typing_pause_prob >= 0.0 && typing_pause_prob <= 1.0)) fail("typing-pause-prob", "must be in [0, 1]");
  if (!(typing_pause_min_seconds > 0.0 && typing_pause_min_seconds < typing_pause_max_seconds)) {
    fail("typing-pause", "need 0 < min < max");
  }
  if (!(level.frame_seconds > 0.0 && level.threshold_db > 0.0)) fail("active-level", "frame and threshold must be positive");
  if (!(frontend.dc_pole >= 0.0 && frontend.dc_pole < 1.0)) fail("dc-pole", "must be in [0, 1)");
  if (!(coloration.max_db >= 0.0 && coloration.max_db <= 24.0)) fail("eq-db", "must be in [0, 24]");
  if (coloration.bands < 0 || coloration.bands > 16) fail("eq-db", "bands must be in [0, 16]");
}

void to_json(nlohmann::json& j, const MixConfig& c) {
  nlohmann::json snrs = nlohmann::json::array();
  for (const double snr : c.snr_db) snrs.push_back(snr_json(snr));
  j = nlohmann::json{
      {"seed", c.seed},
      {"clip_seconds", c.clip_seconds},
      {"datasize_noise", c.datasize_noise},
      {"snr_db", snrs},
      {"min_peak", c.min_peak},
      {"max_peak", c.max_peak},
      {"reverb_prob", c.reverb_prob},
      {"pad_min_seconds", c.pad_min_seconds},
      {"pad_max_seconds", c.pad_max_seconds},
      {"utterance_gain_db", c.utterance_gain_db},
      {"one_shot_max_seconds", c.one_shot_max_seconds},
      {"typing", {{"gap_min_seconds", c.typing_gap_min_seconds}, {"gap_max_seconds", c.typing_gap_max_seconds},
                  {"pause_prob", c.typing_pause_prob}, {"pause_min_seconds", c.typing_pause_min_seconds},
                  {"pause_max_seconds", c.typing_pause_max_seconds}}},
      {"rir", {{"max_seconds_after_peak", c.rir.max_seconds_after_peak},
               {"max_samples_before_peak", c.rir.max_samples_before_peak},
               {"early_samples", c.rir.early_samples},
               {"extra_decay_db_per_second", c.rir.extra_decay_db_per_second}}},
      {"active_level", {{"frame_seconds", c.level.frame_seconds}, {"threshold_db", c.level.threshold_db}}},
      // Only the front-end settings the mixer uses: the trainer checks its own config against these.
      {"frontend", {{"sample_rate", c.frontend.sample_rate}, {"dc_pole", c.frontend.dc_pole},
                    {"dc_removal", c.frontend.dc_removal}}},
  };
  // Written only when on, so recipes (and shards) made without augmentation keep their identity.
  if (c.coloration.max_db > 0.0) {
    j["coloration"] = {{"max_db", c.coloration.max_db}, {"bands", c.coloration.bands},
                       {"min_hz", c.coloration.min_hz}, {"max_hz", c.coloration.max_hz},
                       {"min_q", c.coloration.min_q}, {"max_q", c.coloration.max_q}};
  }
  if (c.speed_perturb > 0.0) j["speed_perturb"] = c.speed_perturb;
  if (c.formant_warp > 0.0) j["formant_warp"] = c.formant_warp;
  if (c.sim_room_prob > 0.0) {
    const RoomOptions& r = c.room;
    j["sim_room"] = {{"prob", c.sim_room_prob}, {"size_m", {r.min_size_m, r.max_size_m}},
                     {"height_m", {r.min_height_m, r.max_height_m}}, {"rt60_s", {r.min_rt60_s, r.max_rt60_s}},
                     {"distance_m", {r.min_distance_m, r.max_distance_m}}, {"wall_margin_m", r.wall_margin_m},
                     {"max_seconds", r.max_seconds}};
  }
  if (c.peak_uniform_in_db) j["peak_uniform_in_db"] = true;
  if (c.babble_prob > 0.0) {
    j["babble"] = {{"prob", c.babble_prob}, {"talkers", {c.babble_min_talkers, c.babble_max_talkers}}};
  }
}

void from_json(const nlohmann::json& j, MixConfig& c) {
  const MixConfig d;
  c.seed = j.value("seed", d.seed);
  c.clip_seconds = j.value("clip_seconds", d.clip_seconds);
  c.datasize_noise = j.value("datasize_noise", d.datasize_noise);
  c.snr_db = d.snr_db;
  if (j.contains("snr_db")) {
    c.snr_db.clear();
    for (const auto& snr : j.at("snr_db")) c.snr_db.push_back(snr_from_json(snr));
  }
  c.speed_perturb = j.value("speed_perturb", d.speed_perturb);
  c.formant_warp = j.value("formant_warp", d.formant_warp);
  if (j.contains("babble")) {
    const auto& b = j.at("babble");
    c.babble_prob = b.value("prob", 0.0);
    if (b.contains("talkers")) {
      c.babble_min_talkers = b.at("talkers").at(0).get<int>();
      c.babble_max_talkers = b.at("talkers").at(1).get<int>();
    }
  }
  if (j.contains("sim_room")) {
    const auto& r = j.at("sim_room");
    c.sim_room_prob = r.value("prob", 0.0);
    auto pair = [&](const char* key, double& lo, double& hi) {
      if (r.contains(key)) {
        lo = r.at(key).at(0).get<double>();
        hi = r.at(key).at(1).get<double>();
      }
    };
    pair("size_m", c.room.min_size_m, c.room.max_size_m);
    pair("height_m", c.room.min_height_m, c.room.max_height_m);
    pair("rt60_s", c.room.min_rt60_s, c.room.max_rt60_s);
    pair("distance_m", c.room.min_distance_m, c.room.max_distance_m);
    c.room.wall_margin_m = r.value("wall_margin_m", c.room.wall_margin_m);
    c.room.max_seconds = r.value("max_seconds", c.room.max_seconds);
  }
  c.min_peak = j.value("min_peak", d.min_peak);
  c.max_peak = j.value("max_peak", d.max_peak);
  c.peak_uniform_in_db = j.value("peak_uniform_in_db", d.peak_uniform_in_db);
  c.reverb_prob = j.value("reverb_prob", d.reverb_prob);
  c.pad_min_seconds = j.value("pad_min_seconds", d.pad_min_seconds);
  c.pad_max_seconds = j.value("pad_max_seconds", d.pad_max_seconds);
  c.utterance_gain_db = j.value("utterance_gain_db", d.utterance_gain_db);
  c.one_shot_max_seconds = j.value("one_shot_max_seconds", d.one_shot_max_seconds);
  const auto typing = j.value("typing", nlohmann::json::object());
  c.typing_gap_min_seconds = typing.value("gap_min_seconds", d.typing_gap_min_seconds);
  c.typing_gap_max_seconds = typing.value("gap_max_seconds", d.typing_gap_max_seconds);
  c.typing_pause_prob = typing.value("pause_prob", d.typing_pause_prob);
  c.typing_pause_min_seconds = typing.value("pause_min_seconds", d.typing_pause_min_seconds);
  c.typing_pause_max_seconds = typing.value("pause_max_seconds", d.typing_pause_max_seconds);
  const auto rir = j.value("rir", nlohmann::json::object());
  c.rir.max_seconds_after_peak = rir.value("max_seconds_after_peak", d.rir.max_seconds_after_peak);
  c.rir.max_samples_before_peak = rir.value("max_samples_before_peak", d.rir.max_samples_before_peak);
  c.rir.early_samples = rir.value("early_samples", d.rir.early_samples);
  c.rir.extra_decay_db_per_second = rir.value("extra_decay_db_per_second", d.rir.extra_decay_db_per_second);
  const auto level = j.value("active_level", nlohmann::json::object());
  c.level.frame_seconds = level.value("frame_seconds", d.level.frame_seconds);
  c.level.threshold_db = level.value("threshold_db", d.level.threshold_db);
  const auto frontend = j.value("frontend", nlohmann::json::object());
  c.frontend.sample_rate = frontend.value("sample_rate", d.frontend.sample_rate);
  c.frontend.dc_pole = frontend.value("dc_pole", d.frontend.dc_pole);
  c.frontend.dc_removal = frontend.value("dc_removal", d.frontend.dc_removal);
  const auto coloration = j.value("coloration", nlohmann::json::object());
  c.coloration.max_db = coloration.value("max_db", d.coloration.max_db);
  c.coloration.bands = coloration.value("bands", d.coloration.bands);
  c.coloration.min_hz = coloration.value("min_hz", d.coloration.min_hz);
  c.coloration.max_hz = coloration.value("max_hz", d.coloration.max_hz);
  c.coloration.min_q = coloration.value("min_q", d.coloration.min_q);
  c.coloration.max_q = coloration.value("max_q", d.coloration.max_q);
}

}  // namespace nnse::data
