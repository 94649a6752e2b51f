// The whole of cdc as separate processes, for the fault tests: a
// redis-server of its own (Unix socket and AOF in a temporary directory) and
// the real service binaries of this build (cdc-members, cdc-consultations,
// cdc-comments, cdc-notifications, cdc-community, cdc-gateway), each on a
// Unix socket in that directory, so that tests run side by side cannot race
// for ports. Any service or Redis can be killed with SIGKILL and started
// again on the same socket, which is what the tests are for.
//
// Every child dies with the thread that started it (PR_SET_PDEATHSIG), so a
// crashed test leaves no process behind: start and restart from one thread.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/redis.h"
#include "services/common/redis_test_server.h"
#include "tools/bench/client.h"

namespace cdc::faults {

using ::cdc::testing::RedisTestServer;

// The services, in the order they are started (each one's dependencies
// first; cdc-community and cdc-comments call each other, and channels
// connect on first use).
inline const std::vector<std::string>& ServiceNames() {
  static const auto* names =
      new std::vector<std::string>{"members",       "consultations", "comments",
                                   "notifications", "community",     "gateway"};
  return *names;
}

struct ClusterOptions {
  std::string appendfsync = "always";  // Redis' AOF policy
  // cdc-notifications' --claim_idle: how soon a restarted consumer takes
  // over what its killed predecessor left pending (30 s in production).
  std::string claim_idle = "1s";
  int members = 4;   // seeded member accounts (argon2id makes each slow)
  int sections = 4;  // sections s1.. of the seeded consultation
};

class Cluster final {
 public:
  // Starts Redis and every service, waits until each reports SERVING, makes
  // a secretariat token and seeds members and the consultation "fault" with
  // an open round (cdc-load's seed, through the API).
  static absl::StatusOr<std::unique_ptr<Cluster>> Start(ClusterOptions options);
  ~Cluster();  // kills every child

  // "unix:<dir>/<name>.sock": where the service listens (the gateway's
  // gRPC front for "gateway").
  std::string Address(const std::string& name) const;

  // Starts the service's binary (it must not be running).
  absl::Status StartService(const std::string& name);
  // SIGKILL, and waits for the process.
  void KillService(const std::string& name);
  bool Running(const std::string& name) const;

  // The service's grpc.health.v1 answer for "" ("SERVING", "NOT_SERVING")
  // or, when it does not answer, the gRPC code's name. For the gateway,
  // whose gRPC front is SERVING while it runs, NOT_SERVING while its
  // readiness (GET /readyz: every backend SERVING) is not 200.
  std::string Health(const std::string& name) const;
  // Polls Health every 10 ms until it is `want`; returns how long it took,
  // or DEADLINE_EXCEEDED after `timeout`.
  absl::StatusOr<absl::Duration> WaitHealth(const std::string& name,
                                            const std::string& want,
                                            absl::Duration timeout) const;

  RedisTestServer& redis_server() { return *redis_; }
  RedisClient& redis() { return *client_; }  // direct reads for checks
  const std::string& token() const { return token_; }  // secretariat
  const std::vector<bench::Account>& accounts() const { return accounts_; }
  std::string Section(int i) const;  // "consultations/fault/sections/s<i>"
  const std::string& directory() const { return redis_->directory(); }

  // The last lines of every service's log, for a failed test's output.
  std::string LogTails() const;

 private:
  explicit Cluster(ClusterOptions options) : options_(std::move(options)) {}
  absl::Status Seed();

  ClusterOptions options_;
  std::unique_ptr<RedisTestServer> redis_;
  std::unique_ptr<RedisClient> client_;
  std::map<std::string, pid_t> pids_;
  std::vector<std::string> environment_;  // KEY=VALUE for the services
  int http_port_ = 0;  // the gateway's HTTP side, for /readyz
  std::string token_;
  std::vector<bench::Account> accounts_;
};

}  // namespace cdc::faults
