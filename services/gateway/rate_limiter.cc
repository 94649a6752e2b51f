#include "services/gateway/rate_limiter.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/auth.h"
#include "services/common/crypto.h"
#include "services/common/log.h"

namespace cdc::gateway {
namespace {

// KEYS: token counter ("" key when none), address counter. ARGV: token
// limit, address limit, window seconds. Returns {token count, address
// count}; a counter is created with the window as its lifetime.
const RedisScript& CountScript() {
  static const RedisScript* script = new RedisScript(R"lua(
local counts = {0, 0}
for i = 1, 2 do
  if tonumber(ARGV[i]) > 0 then
    counts[i] = redis.call('INCR', KEYS[i])
    if counts[i] == 1 then redis.call('EXPIRE', KEYS[i], ARGV[3]) end
  end
end
return counts
)lua");
  return *script;
}

}  // namespace

RateLimiter::RateLimiter(RedisClient* redis, Options options)
    : redis_(redis), options_(options) {}

RateLimiter::Decision RateLimiter::Admit(absl::string_view token,
                                         absl::string_view address,
                                         absl::Time now) {
  Decision decision;
  const int64_t window = absl::ToUnixSeconds(now) / 60;
  const absl::Duration left = absl::FromUnixSeconds((window + 1) * 60) - now;
  // Both counters share one hash tag, so one script counts both.
  const std::string token_key =
      token.empty()
          ? "gw:{rl}:t:none"
          : absl::StrCat("gw:{rl}:t:", HexEncode(Sha256(token)).substr(0, 32),
                         ":", window);
  const std::string address_key =
      absl::StrCat("gw:{rl}:a:", address, ":", window);
  absl::StatusOr<RedisReply> counts = redis_->Eval(
      CountScript(), {token_key, address_key},
      {std::to_string(token.empty() ? 0 : options_.per_token_per_minute),
       std::to_string(options_.per_address_per_minute), "120"});
  if (!counts.ok() || counts->elements.size() != 2) {
    Log(LogLevel::kWarning, "rate limits not checked",
        {{"error",
          counts.ok() ? "malformed reply" : counts.status().ToString()}});
    return decision;
  }
  if (options_.per_token_per_minute > 0 &&
      counts->elements[0].integer > options_.per_token_per_minute) {
    decision = {false, left, "token"};
  } else if (options_.per_address_per_minute > 0 &&
             counts->elements[1].integer > options_.per_address_per_minute) {
    decision = {false, left, "address"};
  }
  return decision;
}

std::function<grpc::Status(const grpc::GenericCallbackServerContext&)>
GrpcAdmission(RateLimiter* limiter) {
  return [limiter](const grpc::GenericCallbackServerContext& context) {
    std::string token;
    const auto& metadata = context.client_metadata();
    auto it = metadata.find("authorization");
    if (it != metadata.end()) {
      const absl::string_view value(it->second.data(), it->second.size());
      if (absl::StartsWith(value, "Bearer ")) {
        token = std::string(value.substr(7));
      }
    }
    // "::1", not "[::1]": the form the HTTP side counts under.
    const std::string address = PeerIp(context);
    const RateLimiter::Decision decision =
        limiter->Admit(token, address, absl::Now());
    if (decision.allowed) return grpc::Status::OK;
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("too many requests for this ", decision.limit,
                     "; retry after ",
                     absl::ToInt64Seconds(decision.retry_after) + 1, " s"));
  };
}

}  // namespace cdc::gateway
