// The flags every cdc service binary has, each also settable from the
// environment (see flags.h):
//   --listen_address   CDC_LISTEN_ADDRESS   where gRPC listens
//   --redis_address    CDC_REDIS_ADDRESS    "host:port" or "unix:/path"
//   --redis_pool_size  CDC_REDIS_POOL_SIZE  connections per process
//   --redis_timeout    CDC_REDIS_TIMEOUT    per command, e.g. 2s
//   --health_interval  CDC_HEALTH_INTERVAL  Redis PING period for health
//   --event_stream_maxlen  CDC_EVENT_STREAM_MAXLEN  cap of each event stream
// and, for services that check tokens with cdc-members:
//   --members_address  CDC_MEMBERS_ADDRESS  where cdc-members listens
//   --auth_cache_ttl   CDC_AUTH_CACHE_TTL   how long a checked token is trusted
//
// SetUpService and ServeUntilTerminated are the start and the end of every
// service's main; what lies between is the service's own wiring.
#pragma once

#include <grpcpp/channel.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/redis.h"
#include "services/common/remote_authenticator.h"
#include "services/common/server.h"

namespace cdc {

// Both fail with INVALID_ARGUMENT naming the flag when a value is unusable.
absl::StatusOr<ServerOptions> ServerOptionsFromFlags();
absl::StatusOr<RedisOptions> RedisOptionsFromFlags();

// What every service reads at start.
struct ServiceSetup {
  std::vector<std::string> args;    // positional arguments, argv[0] first
  ServerOptions server;             // from the common flags
  RedisOptions redis;               // from the common flags
  int64_t event_stream_maxlen = 0;  // --event_stream_maxlen
};

// Blocks SIGINT and SIGTERM (see server.h), parses flags and CDC_*
// variables, names the process in its log lines ("service": <name>) and
// reads the common flags. Exits with status 2 and a message naming the flag
// when one is unusable.
ServiceSetup SetUpService(int argc, char** argv, const std::string& name,
                          const char* usage);

// Starts `host`, serves until SIGINT or SIGTERM, shuts down gracefully, and
// returns main's exit code. `before_shutdown` runs first on termination:
// services with endless streams end them there, so that the graceful
// shutdown does not wait for them.
int ServeUntilTerminated(const std::string& name, ServiceHost& host,
                         const std::function<void()>& before_shutdown = {});

// Prints "cdc-<name>: <status>" to stderr and returns 1, for main.
int FailService(const std::string& name, const absl::Status& status);

// A channel to cdc-members (--members_address) and the token cache
// settings (--auth_cache_ttl), for RemoteAuthenticator.
std::shared_ptr<grpc::Channel> MembersChannelFromFlags();
RemoteAuthenticator::Options AuthenticatorOptionsFromFlags();

}  // namespace cdc
