#include "nnse/util/shell_command.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>

#include "nnse/util/error.h"

namespace nnse {

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

std::string fill_command_template(std::string command,
                                  const std::vector<std::pair<std::string, std::filesystem::path>>& placeholders) {
  for (const auto& [placeholder, path] : placeholders) {
    const std::string quoted = shell_quote(path.string());
    // Past each replacement, so a path that happens to contain a placeholder's spelling is not replaced again.
    for (std::size_t at = command.find(placeholder); at != std::string::npos;
         at = command.find(placeholder, at + quoted.size())) {
      command.replace(at, placeholder.size(), quoted);
    }
  }
  return command;
}

std::string run_shell_command(const std::string& command, const std::string& option, bool with_stderr) {
  // The newline ends a trailing '#' comment of the user's command before the redirection.
  const std::string line = with_stderr ? "(" + command + "\n) 2>&1" : command;
  FILE* pipe = ::popen(line.c_str(), "r");
  if (!pipe) throw Error(option, "cannot run '" + command + "'");
  std::string output;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe)) output += buffer.data();
  const int status = ::pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = status != -1 && WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                                               : std::string("killed or not run");
    std::string said = output.substr(0, 400);
    while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
    // One line, as every nnse error is printed.
    for (std::size_t at = said.find('\n'); at != std::string::npos; at = said.find('\n', at)) said.replace(at, 1, " | ");
    throw Error(option, "'" + command + "' failed (" + how + ")" + (said.empty() ? "" : ": " + said));
  }
  return output;
}

}  // namespace nnse
