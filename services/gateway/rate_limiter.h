// Per-token and per-address request limits shared by every gateway replica:
// the counts live in Redis, so a client cannot multiply its allowance by
// spreading requests over replicas.
//
// Fixed one-minute windows, counted by one script per request (one round
// trip) that increments both the token's and the address's counter. Tokens
// are counted under their SHA-256, never stored. When Redis cannot answer
// the limiter lets requests through (and logs): losing the limits for a
// while is better than refusing everyone.
#pragma once

#include <grpcpp/generic/async_generic_service.h>

#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/common/redis.h"

namespace cdc::gateway {

class RateLimiter {
 public:
  struct Options {
    int64_t per_token_per_minute = 600;    // 0: unlimited
    int64_t per_address_per_minute = 300;  // 0: unlimited
  };

  struct Decision {
    bool allowed = true;
    absl::Duration retry_after;  // when refused: until the window ends
    std::string limit;           // when refused: "token" or "address"
  };

  RateLimiter(RedisClient* redis, Options options);

  // Counts one request of `token` (may be empty) from `address` (an IP).
  Decision Admit(absl::string_view token, absl::string_view address,
                 absl::Time now);

 private:
  RedisClient* const redis_;
  const Options options_;
};

// The gRPC front's admission with `limiter` (which must outlive it): the
// bearer token from the "authorization" metadata and the caller's IP;
// RESOURCE_EXHAUSTED with the time to wait in the message when refused.
std::function<grpc::Status(const grpc::GenericCallbackServerContext&)>
GrpcAdmission(RateLimiter* limiter);

}  // namespace cdc::gateway
