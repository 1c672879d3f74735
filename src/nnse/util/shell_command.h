#pragma once
// A user's command template run through the shell, once per file or pair of files: `--pesq-cmd` (metrics) and
// `--peer-cmd` (eval). One home for the quoting of paths into the template, for running it, and for what counts
// as failure, so both options behave alike.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace nnse {

// Single-quoted for /bin/sh, so paths with spaces, quotes or '$' reach the tool as one argument, unchanged.
std::string shell_quote(const std::string& text);

// Every "{name}" placeholder of the template replaced by its shell-quoted path. Placeholders not listed stay.
std::string fill_command_template(std::string command_template,
                                  const std::vector<std::pair<std::string, std::filesystem::path>>& placeholders);

// Runs `command` with /bin/sh and returns what it printed on standard output (and standard error too when
// `with_stderr`; otherwise standard error goes where nnse's goes). A command that cannot be started, is killed
// or exits non-zero throws nnse::Error naming `option`, the command, the exit status and the start of its
// output: a failing tool is an error, never a result.
std::string run_shell_command(const std::string& command, const std::string& option, bool with_stderr = false);

}  // namespace nnse
