// Slows password guessing: failed sign-ins are counted in Redis per account
// and client address, per address and per account, in fixed windows that
// start at the first failure and expire by themselves. Shared by every
// replica (the counts live in Redis).
//
// Policy (the limits are the options below):
//   - one account from one address: after `per_account_address` failures in
//     a window, that address may not try that account until the window ends;
//   - one address, any accounts: after `per_address` failures, that address
//     may not sign in at all until the window ends (password spraying);
//   - one account, any addresses: after `per_account` failures, the account
//     is closed to addresses that have not signed in to it successfully in
//     the last `known_address_ttl` (a distributed attack), but stays open to
//     the member's own known addresses, so an attacker cannot lock a member
//     out from where they usually sign in.
// A refused attempt is not counted and does not extend the window, so a
// lockout always ends `window` after the failure that started it. A right
// password during a lockout is refused like a wrong one (otherwise guessing
// would go on, and a right guess would show itself). A successful sign-in
// clears its account-and-address count and takes its attempt off the other
// two. Attempts are counted before the password is checked, in the same
// script as the check, so that concurrent guesses cannot slip past a limit.
//
// Keys (one hash tag, so each script's keys share a Redis Cluster slot; the
// account is the first 32 hex digits of the SHA-256 of the canonical email,
// so no email is written into a key name):
//   members:{signin}:aa:<account>:<address>  string  failures, PEXPIRE window
//   members:{signin}:a:<address>             string  failures, PEXPIRE window
//   members:{signin}:acct:<account>          string  failures, PEXPIRE window
//   members:{signin}:known:<account>         zset    address -> last success ms
#pragma once

#include <grpcpp/server_context.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/common/redis.h"

namespace cdc::members {

struct SignInThrottleOptions {
  absl::Duration window = absl::Minutes(15);  // a lockout lasts this long
  int64_t per_account_address = 5;            // 0: no such limit
  int64_t per_address = 50;                   // 0: no such limit
  int64_t per_account = 100;                  // 0: no such limit
  absl::Duration known_address_ttl = absl::Hours(24 * 30);
  int max_known_addresses = 20;  // per account, the most recent kept
};

class SignInThrottle final {
 public:
  struct Decision {
    bool allowed = true;
    absl::Duration retry_after;  // when refused: until the window ends
    std::string limit;  // when refused: "account_address", "address", "account"
  };

  // `redis` must outlive the throttle.
  SignInThrottle(RedisClient* redis, SignInThrottleOptions options);

  // Checks the limits for a sign-in to `canonical_email` from `address` and,
  // when allowed, counts the attempt as a failure (undone by Succeeded).
  // UNAVAILABLE when Redis cannot answer.
  absl::StatusOr<Decision> Admit(absl::string_view canonical_email,
                                 absl::string_view address, absl::Time now);

  // The password was right: clears the account-and-address count, takes the
  // attempt off the others, and remembers `address` as known for the
  // account.
  absl::Status Succeeded(absl::string_view canonical_email,
                         absl::string_view address, absl::Time now);

  // RESOURCE_EXHAUSTED for a refusal, naming what was exceeded and when to
  // retry ("retry after N s").
  static absl::Status Refusal(const Decision& decision);

 private:
  std::vector<std::string> Keys(absl::string_view canonical_email,
                                absl::string_view address) const;

  RedisClient* const redis_;
  const SignInThrottleOptions options_;
};

// IP addresses ("10.0.0.7") and networks ("10.0.0.0/8", "::1/128") whose
// calls are trusted to carry the client's address in kClientAddressKey.
class TrustedProxies final {
 public:
  // INVALID_ARGUMENT naming `field` for an entry that is neither.
  static absl::StatusOr<TrustedProxies> Parse(
      absl::string_view field, const std::vector<std::string>& entries);

  // 127.0.0.1 and ::1: a gateway on the same host.
  static TrustedProxies Loopback();

  bool Contains(absl::string_view ip) const;

 private:
  struct Network {
    std::string bytes;  // 4 or 16 bytes
    int prefix = 0;     // bits
  };
  std::vector<Network> networks_;
};

// The address to count a sign-in under: the client address forwarded in
// kClientAddressKey (services/common/auth.h) when the peer is a trusted
// proxy and the value is an IP address, else the peer's (PeerIp).
std::string ClientAddress(const grpc::ServerContextBase& context,
                          const TrustedProxies& trusted);

}  // namespace cdc::members
