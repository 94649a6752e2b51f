// Test support: runs the built `cdc` binary (or a script that uses it) as a
// child process, as a person would, for tests against real services.
#pragma once

#include <string>
#include <vector>

namespace cdc::cli::testing {

struct CdcRun {
  int exit_code = -1;  // -1 when it could not start or did not exit
  std::string out;     // all of stdout
  std::string err;     // all of stderr
};

// Runs the program at `path` with `args`, in the environment `env`
// ("NAME=value"; nothing else but PATH, so the caller's CDC_* variables do
// not leak in) and with `input` on stdin; waits for it to exit.
CdcRun RunProgram(const std::string& path, const std::vector<std::string>& args,
                  const std::vector<std::string>& env = {},
                  const std::string& input = "");

// RunProgram for the built cdc binary.
CdcRun RunCdc(const std::vector<std::string>& args,
              const std::vector<std::string>& env = {},
              const std::string& input = "");

// The path of the built cdc binary.
const char* CdcBinary();

}  // namespace cdc::cli::testing
