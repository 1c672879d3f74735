// nnse: train, evaluate and deploy tiny recurrent speech enhancers. Subcommands register themselves
// (subcommand.h); this file only builds the app, runs it and turns errors into one line and exit code 1.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <exception>

#include "cli/subcommand.h"
#include "nnse/util/error.h"
#include "nnse/util/temp_files.h"

namespace nnse::cli {

std::vector<Entry>& registry() {
  static std::vector<Entry> entries;
  return entries;
}

Registration::Registration(const char* name, int order, Setup setup) { registry().push_back({name, order, setup}); }

std::string flag(const std::string& dashed) {
  std::string underscored = dashed;
  std::replace(underscored.begin(), underscored.end(), '-', '_');
  if (underscored == dashed) return "--" + dashed;
  return "--" + dashed + ",--" + underscored;
}

}  // namespace nnse::cli

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_st("nnse"));
  // Ctrl-C / kill must not leave "<output>.tmp-<pid>" files behind (util/temp_files.h).
  nnse::install_temp_file_cleanup();
  spdlog::set_pattern("%^%l%$: %v");
  CLI::App app{"nnse: train, evaluate, quantize and deploy tiny recurrent speech-enhancement models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "nnse 0.1.0");
  app.add_flag_callback("-v,--verbose", [] { spdlog::set_level(spdlog::level::debug); }, "Print debug messages")
      ->trigger_on_parse();
  auto entries = nnse::cli::registry();
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  for (const auto& entry : entries) entry.setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const nnse::Error& e) {
    std::fprintf(stderr, "nnse: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nnse: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
