#include "services/members/sign_in_throttle.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/auth.h"
#include "services/common/crypto.h"

namespace cdc::members {
namespace {

// KEYS: account+address, address, account counters, known addresses.
// ARGV: their three limits (0: none), window ms, the address.
// Returns {"", 0} when admitted (the attempt counted), or {limit, ms left}.
const RedisScript& AdmitScript() {
  static const RedisScript* script = new RedisScript(R"lua(
local names = {'account_address', 'address', 'account'}
for i = 1, 3 do
  local limit = tonumber(ARGV[i])
  local exempt = i == 3 and redis.call('ZSCORE', KEYS[4], ARGV[5])
  if limit > 0 and not exempt then
    local n = tonumber(redis.call('GET', KEYS[i]) or '0')
    if n >= limit then
      local left = redis.call('PTTL', KEYS[i])
      if left < 0 then left = tonumber(ARGV[4]) end
      return {names[i], left}
    end
  end
end
for i = 1, 3 do
  if redis.call('INCR', KEYS[i]) == 1 then
    redis.call('PEXPIRE', KEYS[i], ARGV[4])
  end
end
return {'', 0}
)lua");
  return *script;
}

// KEYS: as AdmitScript. ARGV: the address, now ms, known ttl ms, how many
// known addresses to keep.
const RedisScript& SucceededScript() {
  static const RedisScript* script = new RedisScript(R"lua(
redis.call('DEL', KEYS[1])
for i = 2, 3 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then
    redis.call('DECR', KEYS[i])
  end
end
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -1 - tonumber(ARGV[4]))
redis.call('PEXPIRE', KEYS[4], ARGV[3])
return 0
)lua");
  return *script;
}

// The 4 or 16 bytes of an IP address; "" when `ip` is not one.
std::string IpBytes(absl::string_view ip) {
  const std::string text(ip);
  unsigned char bytes[16];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) {
    return std::string(reinterpret_cast<char*>(bytes), 4);
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
    // An IPv4-mapped address (::ffff:a.b.c.d) is that IPv4 address.
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0,    0,
                                                  0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(kMapped, kMapped + 12, bytes)) {
      return std::string(reinterpret_cast<char*>(bytes) + 12, 4);
    }
    return std::string(reinterpret_cast<char*>(bytes), 16);
  }
  return "";
}

}  // namespace

SignInThrottle::SignInThrottle(RedisClient* redis,
                               SignInThrottleOptions options)
    : redis_(redis), options_(options) {}

std::vector<std::string> SignInThrottle::Keys(absl::string_view canonical_email,
                                              absl::string_view address) const {
  const std::string account = HexEncode(Sha256(canonical_email)).substr(0, 32);
  return {absl::StrCat("members:{signin}:aa:", account, ":", address),
          absl::StrCat("members:{signin}:a:", address),
          absl::StrCat("members:{signin}:acct:", account),
          absl::StrCat("members:{signin}:known:", account)};
}

absl::StatusOr<SignInThrottle::Decision> SignInThrottle::Admit(
    absl::string_view canonical_email, absl::string_view address, absl::Time) {
  absl::StatusOr<RedisReply> reply =
      redis_->Eval(AdmitScript(), Keys(canonical_email, address),
                   {std::to_string(options_.per_account_address),
                    std::to_string(options_.per_address),
                    std::to_string(options_.per_account),
                    std::to_string(std::max<int64_t>(
                        1, absl::ToInt64Milliseconds(options_.window))),
                    std::string(address)});
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() != 2) {
    return absl::InternalError("sign-in throttle: malformed reply");
  }
  Decision decision;
  if (!reply->elements[0].str.empty()) {
    decision.allowed = false;
    decision.limit = reply->elements[0].str;
    decision.retry_after = absl::Milliseconds(reply->elements[1].integer);
  }
  return decision;
}

absl::Status SignInThrottle::Succeeded(absl::string_view canonical_email,
                                       absl::string_view address,
                                       absl::Time now) {
  return redis_
      ->Eval(SucceededScript(), Keys(canonical_email, address),
             {std::string(address), std::to_string(absl::ToUnixMillis(now)),
              std::to_string(
                  absl::ToInt64Milliseconds(options_.known_address_ttl)),
              std::to_string(options_.max_known_addresses)})
      .status();
}

absl::Status SignInThrottle::Refusal(const Decision& decision) {
  const char* what = decision.limit == "account_address"
                         ? "for this account from this address"
                     : decision.limit == "address" ? "from this address"
                                                   : "for this account";
  // Rounded up: retrying after the time given must not be refused again.
  const int64_t seconds = std::max<int64_t>(
      1, absl::ToInt64Seconds(decision.retry_after + absl::Milliseconds(999)));
  return absl::ResourceExhaustedError(absl::StrCat(
      "too many failed sign-ins ", what, "; retry after ", seconds, " s"));
}

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(
    absl::string_view field, const std::vector<std::string>& entries) {
  TrustedProxies trusted;
  for (const std::string& entry : entries) {
    if (entry.empty()) continue;
    const size_t slash = entry.find('/');
    Network network;
    network.bytes = IpBytes(absl::string_view(entry).substr(0, slash));
    const int bits = static_cast<int>(network.bytes.size() * 8);
    network.prefix = bits;
    if (slash != std::string::npos &&
        !absl::SimpleAtoi(absl::string_view(entry).substr(slash + 1),
                          &network.prefix)) {
      network.prefix = -1;
    }
    if (network.bytes.empty() || network.prefix < 0 || network.prefix > bits) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": ", entry, " is not an IP address or network (10.0.0.0/8)"));
    }
    trusted.networks_.push_back(std::move(network));
  }
  return trusted;
}

TrustedProxies TrustedProxies::Loopback() {
  return *Parse("trusted_proxies", {"127.0.0.1", "::1"});
}

bool TrustedProxies::Contains(absl::string_view ip) const {
  const std::string bytes = IpBytes(ip);
  for (const Network& network : networks_) {
    if (network.bytes.size() != bytes.size()) continue;
    int bits = network.prefix;
    size_t i = 0;
    for (; bits >= 8; bits -= 8, ++i) {
      if (bytes[i] != network.bytes[i]) break;
    }
    if (bits >= 8) continue;  // a whole byte differed
    const unsigned mask = (0xFF00u >> bits) & 0xFFu;
    if (bits == 0 || ((static_cast<unsigned char>(bytes[i]) ^
                       static_cast<unsigned char>(network.bytes[i])) &
                      mask) == 0) {
      return true;
    }
  }
  return false;
}

std::string ClientAddress(const grpc::ServerContextBase& context,
                          const TrustedProxies& trusted) {
  const std::string peer = PeerIp(context);
  if (!trusted.Contains(peer)) return peer;
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find(kClientAddressKey);
  if (it == metadata.end()) return peer;
  const absl::string_view forwarded(it->second.data(), it->second.size());
  // Only an IP address: the value becomes part of a Redis key.
  return IpBytes(forwarded).empty() ? peer : std::string(forwarded);
}

}  // namespace cdc::members
