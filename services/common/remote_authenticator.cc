#include "services/common/remote_authenticator.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/client_context.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"
#include "services/common/status.h"

namespace cdc {

RemoteAuthenticator::RemoteAuthenticator(std::shared_ptr<grpc::Channel> members,
                                         const Clock& clock, Options options)
    : members_(v1::MembersService::NewStub(std::move(members))),
      clock_(clock),
      options_(options) {}

absl::StatusOr<v1::Principal> RemoteAuthenticator::Authenticate(
    absl::string_view token) {
  // Malformed tokens are refused here, without a call.
  absl::StatusOr<TokenParts> parts = ParseToken(token);
  if (!parts.ok()) return parts.status();

  const std::string key = Sha256(token);
  const absl::Time now = clock_.Now();
  if (options_.cache_ttl > absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (now < it->second.expires) return it->second.principal;
      cache_.erase(it);
    }
  }

  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  v1::Principal principal;
  const grpc::Status status =
      members_->Authenticate(&context, v1::AuthenticateRequest(), &principal);
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
      return FromGrpcStatus(status);
    }
    return absl::UnavailableError(absl::StrCat(
        "authorization: cannot check the token with cdc-members now (",
        status.error_message(), ")"));
  }

  if (options_.cache_ttl > absl::ZeroDuration()) {
    const absl::Time token_expiry = absl::FromUnixMillis(
        google::protobuf::util::TimeUtil::TimestampToMilliseconds(
            principal.expire_time()));
    absl::MutexLock lock(&mu_);
    if (cache_.size() >= options_.max_entries) cache_.clear();
    cache_[key] = {principal, std::min(now + options_.cache_ttl, token_expiry)};
  }
  return principal;
}

}  // namespace cdc
