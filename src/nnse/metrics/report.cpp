#include "nnse/metrics/report.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "nnse/audio/audio_io.h"
#include "nnse/metrics/metrics.h"
#include "nnse/metrics/pesq_output.h"
#include "nnse/metrics/stoi.h"
#include "nnse/util/error.h"

namespace nnse::metrics {
namespace {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

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

// A private scratch folder for the WAV files handed to the PESQ tool, removed when done.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() / ("nnse-pesq-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

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
  if (!options.pesq_command.empty()) {
    TempDir dir;
    const fs::path ref = dir.path() / "reference.wav", deg = dir.path() / "degraded.wav";
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
}

void from_json(const nlohmann::json& j, MetricReport& r) {
  r.si_sdr = j.at("si_sdr_db").get<double>();
  r.snr = j.at("snr_db").get<double>();
  r.segmental_snr = j.at("segmental_snr_db").get<double>();
  r.lsd = j.at("lsd_db").get<double>();
  r.stoi = get(j, "stoi");
  r.estoi = get(j, "estoi");
  r.pesq = get(j, "pesq");
}

double external_pesq(const std::string& command_template, const fs::path& reference,
                                    const fs::path& degraded) {
  std::string command = command_template;
  if (command.find("{ref}") == std::string::npos && command.find("{deg}") == std::string::npos) {
    command += " {ref} {deg}";
  }
  replace_all(command, "{ref}", shell_quote(reference.string()));
  replace_all(command, "{deg}", shell_quote(degraded.string()));
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) throw Error("--pesq-cmd", "cannot run '" + command + "'");
  std::string output;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe)) output += buffer.data();
  const int status = ::pclose(pipe);
  // A failing tool is an error, not a missing score: a table with PESQ "absent" would hide a broken setup.
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = status != -1 && WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                                               : std::string("killed or not run");
    throw Error("--pesq-cmd", "'" + command + "' failed (" + how + ")" + (output.empty() ? "" : ": " + output.substr(0, 200)));
  }
  return parse_pesq_output(output, command);
}

}  // namespace nnse::metrics
