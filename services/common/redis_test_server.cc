#include "services/common/redis_test_server.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#ifndef CDC_REDIS_SERVER
#define CDC_REDIS_SERVER "redis-server"
#endif

namespace cdc::testing {

absl::StatusOr<std::unique_ptr<RedisTestServer>> RedisTestServer::Start(
    std::vector<std::string> extra_args) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/cdc-redis-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError("cannot create a temporary directory");
  }
  std::unique_ptr<RedisTestServer> server(
      new RedisTestServer(pattern, std::move(extra_args)));
  absl::Status launched = server->Launch();
  if (!launched.ok()) return launched;
  return server;
}

RedisTestServer::RedisTestServer(std::string directory,
                                 std::vector<std::string> args)
    : directory_(std::move(directory)),
      socket_path_(directory_ + "/redis.sock"),
      args_(std::move(args)) {}

RedisTestServer::~RedisTestServer() {
  Stop(/*kill=*/true);
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

absl::Status RedisTestServer::Launch() {
  std::vector<std::string> argv = {CDC_REDIS_SERVER,
                                   "--port",
                                   "0",
                                   "--unixsocket",
                                   socket_path_,
                                   "--unixsocketperm",
                                   "700",
                                   "--dir",
                                   directory_,
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--loglevel",
                                   "warning",
                                   "--logfile",
                                   directory_ + "/redis.log"};
  argv.insert(argv.end(), args_.begin(), args_.end());
  std::vector<char*> raw;
  for (std::string& arg : argv) raw.push_back(arg.data());
  raw.push_back(nullptr);

  // The child must not outlive a test process that crashes, nor keep its
  // stdout and stderr open: ctest waits for those to close, so an orphaned
  // redis-server would hang the whole run. Its own output goes to the log.
  const std::string log_path = directory_ + "/redis.log";
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int log_fd =
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    // Only async-signal-safe calls between fork and exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died already
    if (null_fd < 0 || log_fd < 0 || dup2(null_fd, 0) < 0 ||
        dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0) {
      _exit(127);
    }
    close_range(3, ~0U, 0);  // e.g. hiredis sockets, which lack CLOEXEC
    execvp(raw[0], raw.data());
    _exit(127);
  }
  if (null_fd >= 0) close(null_fd);
  if (log_fd >= 0) close(log_fd);
  if (pid_ < 0) return absl::InternalError("fork failed");
  // Wait for the socket to answer PING.
  RedisOptions options;
  options.address = address();
  options.min_backoff = absl::Milliseconds(1);
  options.max_backoff = absl::Milliseconds(10);
  RedisClient client(options);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (client.Ping().ok()) return absl::OkStatus();
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(absl::StrCat(
          "redis-server exited at start; see ", directory_, "/redis.log"));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError("redis-server did not answer in 10s");
}

void RedisTestServer::Stop(bool kill) {
  if (pid_ <= 0) return;
  ::kill(pid_, kill ? SIGKILL : SIGTERM);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

absl::Status RedisTestServer::Restart() {
  Stop();
  return Launch();
}

RedisTestServer* RedisTest::server_ = nullptr;

void RedisTest::SetUpTestSuite() {
  auto server = RedisTestServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = server->release();
}

void RedisTest::TearDownTestSuite() {
  delete server_;
  server_ = nullptr;
}

RedisOptions RedisTest::redis_options() {
  RedisOptions options;
  options.address = server_->address();
  return options;
}

void RedisTest::SetUp() {
  ASSERT_NE(server_, nullptr);
  if (!server_->running()) {
    ASSERT_TRUE(server_->Restart().ok());
  }
  redis_ = std::make_unique<RedisClient>(redis_options());
  auto flushed = redis_->Command({"FLUSHALL"});
  ASSERT_TRUE(flushed.ok()) << flushed.status();
}

}  // namespace cdc::testing
