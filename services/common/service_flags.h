// The flags every cdc service binary has, each also settable from the
// environment (see flags.h):
//   --listen_address   CDC_LISTEN_ADDRESS   where gRPC listens
//   --redis_address    CDC_REDIS_ADDRESS    "host:port" or "unix:/path"
//   --redis_pool_size  CDC_REDIS_POOL_SIZE  connections per process
//   --redis_timeout    CDC_REDIS_TIMEOUT    per command, e.g. 2s
//   --health_interval  CDC_HEALTH_INTERVAL  Redis PING period for health
#pragma once

#include "absl/status/statusor.h"
#include "services/common/redis.h"
#include "services/common/server.h"

namespace cdc {

// Both fail with INVALID_ARGUMENT naming the flag when a value is unusable.
absl::StatusOr<ServerOptions> ServerOptionsFromFlags();
absl::StatusOr<RedisOptions> RedisOptionsFromFlags();

}  // namespace cdc
