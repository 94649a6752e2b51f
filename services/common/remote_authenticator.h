// Token authentication for services that do not own the tokens: asks
// cdc-members (MembersService.Authenticate, with the caller's own token as
// the credential, so no service-to-service secret exists) and caches each
// answer briefly, because every call of every service needs it.
//
// The cache makes revocation take effect within `cache_ttl` in those
// services (cdc-members itself checks the store at every call). Refusals are
// never cached: a token refused once is asked about again next time.
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cdc/v1/members.grpc.pb.h"
#include "services/common/auth.h"
#include "services/common/clock.h"

namespace cdc {

class RemoteAuthenticator final : public Authenticator {
 public:
  struct Options {
    absl::Duration cache_ttl = absl::Seconds(5);  // 0: no cache
    size_t max_entries = 100'000;  // the cache is cleared when full
    absl::Duration deadline = absl::Seconds(2);  // per call to cdc-members
  };

  // `clock` must outlive the authenticator.
  RemoteAuthenticator(std::shared_ptr<grpc::Channel> members,
                      const Clock& clock, Options options);

  // UNAUTHENTICATED as cdc-members answers; UNAVAILABLE when cdc-members
  // cannot be reached in time.
  absl::StatusOr<v1::Principal> Authenticate(absl::string_view token) override;

 private:
  struct Entry {
    v1::Principal principal;
    absl::Time expires;  // of this cache entry
  };

  const std::unique_ptr<v1::MembersService::Stub> members_;
  const Clock& clock_;
  const Options options_;
  absl::Mutex mu_;
  // Keyed by the token's SHA-256, so no token is kept in memory.
  absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cdc
