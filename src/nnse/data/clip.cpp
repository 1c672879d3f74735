#include "nnse/data/clip.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "nnse/data/snr.h"

namespace nnse::data {

void to_json(nlohmann::json& j, const ClipMeta& m) {
  nlohmann::json speech = nlohmann::json::array();
  for (const auto& p : m.speech) {
    speech.push_back({{"file", p.file}, {"clip_offset", p.clip_offset}, {"file_offset", p.file_offset},
                      {"length", p.length}, {"gain_db", p.gain_db}});
  }
  j = nlohmann::json{{"split", m.split},
                     {"epoch", m.epoch},
                     {"index", m.index},
                     {"speech", speech},
                     {"noise_type", m.noise_type},
                     {"noise_files", m.noise_files},
                     {"noise_offset", m.noise_offset},
                     {"one_shot_stream", m.one_shot_stream},
                     {"snr_db", m.snr_db ? snr_json(*m.snr_db) : nlohmann::json(nullptr)},
                     {"peak", m.peak},
                     {"gain", m.gain},
                     {"reverb", m.reverb},
                     {"rir", m.rir},
                     {"active_fraction", m.active_fraction}};
}

void from_json(const nlohmann::json& j, ClipMeta& m) {
  m.split = j.at("split").get<std::string>();
  m.epoch = j.at("epoch").get<int>();
  m.index = j.at("index").get<std::uint64_t>();
  m.speech.clear();
  for (const auto& p : j.at("speech")) {
    m.speech.push_back({p.at("file").get<std::string>(), p.at("clip_offset").get<std::int64_t>(),
                        p.at("file_offset").get<std::int64_t>(), p.at("length").get<std::int64_t>(),
                        p.at("gain_db").get<double>()});
  }
  m.noise_type = j.at("noise_type").get<std::string>();
  m.noise_files = j.at("noise_files").get<std::vector<std::string>>();
  m.noise_offset = j.at("noise_offset").get<std::int64_t>();
  m.one_shot_stream = j.at("one_shot_stream").get<bool>();
  m.snr_db = j.at("snr_db").is_null() ? std::nullopt : std::optional<double>(snr_from_json(j.at("snr_db")));
  m.peak = j.at("peak").get<double>();
  m.gain = j.at("gain").get<double>();
  m.reverb = j.at("reverb").get<bool>();
  m.rir = j.at("rir").get<std::string>();
  m.active_fraction = j.at("active_fraction").get<double>();
}

}  // namespace nnse::data
