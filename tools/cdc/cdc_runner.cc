#include "tools/cdc/cdc_runner.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace cdc::cli::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

}  // namespace

const char* CdcBinary() { return CDC_BIN; }

CdcRun RunCdc(const std::vector<std::string>& args,
              const std::vector<std::string>& env, const std::string& input) {
  return RunProgram(CDC_BIN, args, env, input);
}

CdcRun RunProgram(const std::string& path, const std::vector<std::string>& args,
                  const std::vector<std::string>& env,
                  const std::string& input) {
  CdcRun run;
  char dir_template[] = "/tmp/cdc_cli_test.XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return run;
  const std::string dir = dir_template;
  const std::string in = dir + "/in", out = dir + "/out", err = dir + "/err";
  std::ofstream(in) << input;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> argv_strings = {path};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = env;
  env_strings.push_back("PATH=/usr/bin:/bin");
  std::vector<char*> envp;
  for (std::string& variable : env_strings) envp.push_back(variable.data());
  envp.push_back(nullptr);

  pid_t pid;
  if (posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(),
                  envp.data()) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  run.out = ReadFile(out);
  run.err = ReadFile(err);
  for (const std::string& file : {in, out, err}) unlink(file.c_str());
  rmdir(dir.c_str());
  return run;
}

}  // namespace cdc::cli::testing
