// Test support: a real redis-server of its own, in a temporary directory,
// listening only on a Unix socket there (no port races between tests run in
// parallel). No mock of Redis exists in cdc.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "services/common/redis.h"

namespace cdc::testing {

class RedisTestServer final {
 public:
  // Starts redis-server with `extra_args` (e.g. {"--appendonly", "yes"})
  // and waits until it answers. The server is killed when the thread that
  // started it (by Start or Restart) exits, so a crashed test leaves none
  // behind: call both from a thread that outlives the server.
  static absl::StatusOr<std::unique_ptr<RedisTestServer>> Start(
      std::vector<std::string> extra_args = {});
  ~RedisTestServer();

  // "unix:<dir>/redis.sock", for RedisOptions::address.
  std::string address() const { return "unix:" + socket_path_; }
  const std::string& directory() const { return directory_; }

  // Stops the server (SIGTERM, or SIGKILL when `kill`), and waits for it.
  void Stop(bool kill = false);
  // Starts it again on the same socket and directory.
  absl::Status Restart();
  bool running() const { return pid_ > 0; }

 private:
  RedisTestServer(std::string directory, std::vector<std::string> args);
  absl::Status Launch();

  std::string directory_;          // temporary; removed by the destructor
  std::string socket_path_;        // inside directory_
  std::vector<std::string> args_;  // extra redis-server arguments
  pid_t pid_ = -1;
};

// A fixture with one Redis per test suite, flushed before every test.
class RedisTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  static RedisTestServer& server() { return *server_; }
  RedisClient& redis() { return *redis_; }
  static RedisOptions redis_options();

 private:
  static RedisTestServer* server_;
  std::unique_ptr<RedisClient> redis_;
};

}  // namespace cdc::testing
