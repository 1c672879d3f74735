#pragma once
// Signal-to-noise ratios of mixtures, in dB; +infinity is a clean clip (no noise added). As text and JSON
// (which has no infinity) a clean SNR is "clean".
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace nnse::data {

// SNRs in [-40, 60] dB (beyond, either the speech or the noise is inaudible) or +infinity (clean).
bool snr_is_valid(double snr_db);
// SNR values as text: a number, or "clean" for +infinity. Throws nnse::Error for anything else.
double snr_from_string(const std::string& text);
std::string snr_to_string(double snr_db);
// A comma-separated list ("-5,0,5,clean").
std::vector<double> snr_list_from_string(const std::string& text);

// As a JSON value: a number, or "clean".
nlohmann::json snr_json(double snr);
double snr_from_json(const nlohmann::json& j);

}  // namespace nnse::data
