#include "nnse/metrics/report.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "nnse/audio/audio_io.h"
#include "nnse/metrics/metrics.h"
#include "nnse/metrics/pesq_output.h"
#include "nnse/metrics/stoi.h"
#include "nnse/util/error.h"
#include "nnse/util/shell_command.h"
#include "nnse/util/temp_files.h"

namespace nnse::metrics {
namespace {

namespace fs = std::filesystem;

std::optional<double> optional_metric(double (*metric)(std::span<const float>, std::span<const float>, int),
                                      std::span<const float> clean, std::span<const float> processed, int rate) {
  try {
    return metric(clean, processed, rate);
  } catch (const Error&) {
    return std::nullopt;  // too short after silence removal: reported as absent, not as a made-up value
  }
}

void put(nlohmann::json& j, const char* key, const std::optional<double>& value) {
  if (value) {
    j[key] = *value;
  } else {
    j[key] = nullptr;
  }
}

std::optional<double> get(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return j.at(key).get<double>();
}

}  // namespace

MetricReport compute_metrics(std::span<const float> clean, std::span<const float> processed, int sample_rate,
                             const MetricOptions& options) {
  const std::size_t n = std::min(clean.size(), processed.size());
  clean = clean.first(n);
  processed = processed.first(n);
  MetricReport report;
  report.si_sdr = si_sdr(clean, processed);
  report.snr = snr(clean, processed);
  report.segmental_snr = segmental_snr(clean, processed, sample_rate);
  report.lsd = log_spectral_distance(clean, processed, sample_rate);
  report.stoi = optional_metric(&metrics::stoi, clean, processed, sample_rate);
  report.estoi = optional_metric(&metrics::estoi, clean, processed, sample_rate);
  report.onset_gain = onset_gain(clean, processed, sample_rate);
  if (!options.pesq_command.empty()) {
    ScratchFolder dir("pesq");
    const fs::path ref = dir.file("reference.wav"), deg = dir.file("degraded.wav");
    audio::write_wav16(ref, clean, sample_rate);
    audio::write_wav16(deg, processed, sample_rate);
    report.pesq = external_pesq(options.pesq_command, ref, deg);
  }
  return report;
}

void to_json(nlohmann::json& j, const MetricReport& r) {
  j = nlohmann::json::object();
  j["si_sdr_db"] = r.si_sdr;
  j["snr_db"] = r.snr;
  j["segmental_snr_db"] = r.segmental_snr;
  j["lsd_db"] = r.lsd;
  put(j, "stoi", r.stoi);
  put(j, "estoi", r.estoi);
  put(j, "pesq", r.pesq);
  put(j, "onset_gain_db", r.onset_gain);
}

void from_json(const nlohmann::json& j, MetricReport& r) {
  r.si_sdr = j.at("si_sdr_db").get<double>();
  r.snr = j.at("snr_db").get<double>();
  r.segmental_snr = j.at("segmental_snr_db").get<double>();
  r.lsd = j.at("lsd_db").get<double>();
  r.stoi = get(j, "stoi");
  r.estoi = get(j, "estoi");
  r.pesq = get(j, "pesq");
  r.onset_gain = get(j, "onset_gain_db");
}

double external_pesq(const std::string& command_template, const fs::path& reference,
                                    const fs::path& degraded) {
  std::string command = command_template;
  if (command.find("{ref}") == std::string::npos && command.find("{deg}") == std::string::npos) {
    command += " {ref} {deg}";
  }
  command = fill_command_template(command, {{"{ref}", reference}, {"{deg}", degraded}});
  const std::string output = run_shell_command(command, "--pesq-cmd");
  return parse_pesq_output(output, command);
}

}  // namespace nnse::metrics
