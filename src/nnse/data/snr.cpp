#include "nnse/data/snr.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "nnse/util/error.h"

namespace nnse::data {

bool snr_is_valid(double snr_db) {
  return (snr_db >= -40.0 && snr_db <= 60.0) || (std::isinf(snr_db) && snr_db > 0);
}

double snr_from_string(const std::string& text) {
  if (text == "clean" || text == "inf") return std::numeric_limits<double>::infinity();
  std::size_t used = 0;
  double value = std::nan("");
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(value)) {
    throw Error("--snr", "'" + text + "' is not an SNR in dB (a number, or 'clean' for no noise)");
  }
  if (!snr_is_valid(value)) throw Error("--snr", "'" + text + "' is outside [-40, 60] dB");
  return value;
}

std::string snr_to_string(double snr_db) {
  if (std::isinf(snr_db) && snr_db > 0) return "clean";
  std::ostringstream out;
  out << snr_db;
  return out.str();
}

std::vector<double> snr_list_from_string(const std::string& text) {
  std::vector<double> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) values.push_back(snr_from_string(item));
  if (values.empty()) throw Error("--snr", "the SNR list is empty");
  return values;
}

nlohmann::json snr_json(double snr) { return std::isinf(snr) ? nlohmann::json("clean") : nlohmann::json(snr); }

double snr_from_json(const nlohmann::json& j) {
  return j.is_string() ? snr_from_string(j.get<std::string>()) : j.get<double>();
}

}  // namespace nnse::data
