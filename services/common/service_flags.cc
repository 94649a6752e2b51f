#include "services/common/service_flags.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/flags.h"
#include "services/common/log.h"

ABSL_FLAG(std::string, listen_address, "127.0.0.1:0",
          "host:port for gRPC; port 0 picks a free one");
ABSL_FLAG(std::string, redis_address, "127.0.0.1:6379",
          "Redis as host:port or unix:/path/to/socket");
ABSL_FLAG(int, redis_pool_size, 32, "Redis connections kept per process");
ABSL_FLAG(absl::Duration, redis_timeout, absl::Seconds(2),
          "timeout of one Redis command");
ABSL_FLAG(absl::Duration, health_interval, absl::Seconds(1),
          "how often health PINGs Redis");
ABSL_FLAG(int64_t, event_stream_maxlen, 1'000'000,
          "approximate cap of each event stream (XADD MAXLEN ~)");
ABSL_FLAG(std::string, members_address, "127.0.0.1:7701",
          "cdc-members, for checking tokens");
ABSL_FLAG(absl::Duration, auth_cache_ttl, absl::Seconds(5),
          "how long a checked token is trusted without asking cdc-members");

namespace cdc {

absl::StatusOr<ServerOptions> ServerOptionsFromFlags() {
  ServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen_address);
  if (options.listen_address.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        "--listen_address: must be host:port, e.g. 127.0.0.1:50051");
  }
  options.health_interval = absl::GetFlag(FLAGS_health_interval);
  if (options.health_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--health_interval: must be positive");
  }
  return options;
}

absl::StatusOr<RedisOptions> RedisOptionsFromFlags() {
  RedisOptions options;
  options.address = absl::GetFlag(FLAGS_redis_address);
  if (!absl::StartsWith(options.address, "unix:") &&
      options.address.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        "--redis_address: must be host:port or unix:/path/to/socket");
  }
  options.pool_size = absl::GetFlag(FLAGS_redis_pool_size);
  if (options.pool_size < 1) {
    return absl::InvalidArgumentError("--redis_pool_size: must be at least 1");
  }
  options.command_timeout = absl::GetFlag(FLAGS_redis_timeout);
  if (options.command_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--redis_timeout: must be positive");
  }
  return options;
}

ServiceSetup SetUpService(int argc, char** argv, const std::string& name,
                          const char* usage) {
  // Debian's Abseil is built without NDEBUG, so by default every
  // absl::Mutex acquisition (gRPC's own mutexes are absl::Mutex too) runs
  // deadlock detection, which updates a process-wide lock graph under a
  // global lock: 2-3% of a loaded service's CPU in the benchmarks' profile
  // (docs/BENCHMARKS.md), and a point of contention between all threads. It
  // is a debugging aid: the services run without it, the tests (which do
  // not come through here) keep it. Set before any thread starts.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  BlockTerminationSignals();
  ServiceSetup setup;
  setup.args = ParseFlagsWithEnvironment(argc, argv, usage);
  SetLogService(name);
  auto fail = [&](const absl::Status& status) {
    std::fprintf(stderr, "cdc-%s: %s\n", name.c_str(),
                 std::string(status.message()).c_str());
    std::exit(2);
  };
  absl::StatusOr<ServerOptions> server = ServerOptionsFromFlags();
  if (!server.ok()) fail(server.status());
  absl::StatusOr<RedisOptions> redis = RedisOptionsFromFlags();
  if (!redis.ok()) fail(redis.status());
  setup.server = *std::move(server);
  setup.redis = *std::move(redis);
  setup.event_stream_maxlen = absl::GetFlag(FLAGS_event_stream_maxlen);
  if (setup.event_stream_maxlen < 1) {
    fail(absl::InvalidArgumentError(
        "--event_stream_maxlen: must be at least 1"));
  }
  if (absl::GetFlag(FLAGS_auth_cache_ttl) < absl::ZeroDuration()) {
    fail(absl::InvalidArgumentError("--auth_cache_ttl: must not be negative"));
  }
  return setup;
}

int ServeUntilTerminated(const std::string& name, ServiceHost& host,
                         const std::function<void()>& before_shutdown) {
  if (absl::Status started = host.Start(); !started.ok()) {
    return FailService(name, started);
  }
  WaitForTerminationSignal();
  if (before_shutdown) before_shutdown();
  host.Shutdown();
  return 0;
}

int FailService(const std::string& name, const absl::Status& status) {
  std::fprintf(stderr, "cdc-%s: %s\n", name.c_str(), status.ToString().c_str());
  return 1;
}

std::shared_ptr<grpc::Channel> MembersChannelFromFlags() {
  return grpc::CreateChannel(absl::GetFlag(FLAGS_members_address),
                             grpc::InsecureChannelCredentials());
}

RemoteAuthenticator::Options AuthenticatorOptionsFromFlags() {
  RemoteAuthenticator::Options options;
  options.cache_ttl = absl::GetFlag(FLAGS_auth_cache_ttl);
  return options;
}

}  // namespace cdc
