#include "services/common/service_flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

ABSL_FLAG(std::string, listen_address, "127.0.0.1:0",
          "host:port for gRPC; port 0 picks a free one");
ABSL_FLAG(std::string, redis_address, "127.0.0.1:6379",
          "Redis as host:port or unix:/path/to/socket");
ABSL_FLAG(int, redis_pool_size, 32, "Redis connections kept per process");
ABSL_FLAG(absl::Duration, redis_timeout, absl::Seconds(2),
          "timeout of one Redis command");
ABSL_FLAG(absl::Duration, health_interval, absl::Seconds(1),
          "how often health PINGs Redis");

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

}  // namespace cdc
