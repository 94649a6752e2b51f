// cdc: the command-line client of the cdc services.
//
//   cdc consultation create --title "..."      cdc member list
//   cdc consultation import x draft.md         cdc sign-in --email ...
//   cdc comment create TARGET --body "..."     cdc export x --format csv
//   cdc help                                   (every command)
//
// Flags → the command named by the arguments (commands.h) → its function.
// Exit status: 0 done, 1 the call failed, 2 usage error.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "services/common/flags.h"
#include "services/common/status.h"
#include "tools/cdc/cdc_cli.h"
#include "tools/cdc/commands.h"

namespace {

// Reports a command's outcome on stderr and returns the exit status.
// `command` is the one that ran, if any: its usage follows a usage error.
int Finish(const absl::Status& status, const cdc::cli::Command* command) {
  if (cdc::cli::IsUsageError(status)) {
    std::fprintf(stderr, "cdc: %s\n", std::string(status.message()).c_str());
    if (command != nullptr) {
      std::fprintf(stderr, "usage: %s\n", cdc::cli::Usage(*command).c_str());
    }
  } else if (!status.ok()) {
    std::fprintf(stderr, "cdc: %s: %s\n", cdc::CodeName(status.code()),
                 std::string(status.message()).c_str());
  }
  return cdc::cli::ExitCode(status);
}

}  // namespace

int main(int argc, char** argv) {
  const absl::StatusOr<std::vector<std::string>> flags_given =
      cdc::cli::CheckCommandLineFlags(argc, argv);
  if (!flags_given.ok()) return Finish(flags_given.status(), nullptr);
  const std::string help = cdc::cli::HelpText();
  // absl would print this too, but exit with status 1.
  if (absl::c_linear_search(*flags_given, "help")) {
    std::fputs(help.c_str(), stdout);
    return 0;
  }
  const std::vector<std::string> args =
      cdc::ParseFlagsWithEnvironment(argc, argv, help.c_str());

  absl::StatusOr<cdc::cli::Invocation> invocation =
      cdc::cli::Resolve(args, *flags_given);
  if (!invocation.ok()) return Finish(invocation.status(), nullptr);
  absl::StatusOr<cdc::cli::CliOptions> options =
      cdc::cli::CliOptionsFromFlags();
  if (!options.ok()) return Finish(options.status(), nullptr);
  options->flags_given = *flags_given;

  cdc::cli::Cli cli(*std::move(options));
  return Finish(invocation->command->run(cli, invocation->operands),
                invocation->command);
}
