#pragma once
// Each subcommand lives in its own file and registers itself with one line:
//   static const nnse::cli::Registration reg{"features", 10, &setup_features};
// `setup` adds the subcommand's options to the CLI11 app and sets its callback. `order` sorts --help.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace nnse::cli {

using Setup = void (*)(CLI::App& parent);

struct Registration {
  Registration(const char* name, int order, Setup setup);
};

struct Entry {
  const char* name;
  int order;
  Setup setup;
};
std::vector<Entry>& registry();

// "--nn-arch,--nn_arch": the dash spelling plus the reference scripts' underscore spelling, when it differs.
std::string flag(const std::string& dashed);

}  // namespace nnse::cli
