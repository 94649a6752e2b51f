// Who is calling, and may they? Shared by every service, so that a service
// reached without the gateway is still closed.
//
// Tokens look like "cdc_<token id>_<secret>": the token id (24 lower-case
// hex digits, the first 16 being the member's id) names the stored record
// and is not secret; the secret is 256 random bits in unpadded base64url,
// stored only as its SHA-256 hash and compared in constant time.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>

#include <initializer_list>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cdc/v1/common.pb.h"

namespace cdc {

struct TokenParts {
  std::string token_id;  // 24 hex digits; the first 16 are the member id
  std::string secret;    // 43 base64url characters
};

inline constexpr size_t kTokenIdLength = 24;
inline constexpr size_t kMemberIdLength = 16;

// A new token for `member_id`: a fresh token id and secret.
TokenParts NewToken(absl::string_view member_id);
std::string FormatToken(const TokenParts& parts);

// UNAUTHENTICATED when `token` is not in the shape above.
absl::StatusOr<TokenParts> ParseToken(absl::string_view token);

// The token from "authorization: Bearer <token>"; UNAUTHENTICATED when the
// header is missing, not a bearer token, or its token is blank.
absl::StatusOr<std::string> BearerToken(const grpc::ServerContextBase& context);

// Turns a token into the principal it stands for.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // UNAUTHENTICATED when the token is unknown, revoked, expired or its
  // member is no longer active; UNAVAILABLE when that cannot be known now.
  virtual absl::StatusOr<v1::Principal> Authenticate(
      absl::string_view token) = 0;
};

// BearerToken + Authenticate.
absl::StatusOr<v1::Principal> AuthenticateCall(
    const grpc::ServerContextBase& context, Authenticator& authenticator);

// A client context for a call made on the caller's behalf to another cdc
// service: the caller's bearer token passed on, and a deadline (the
// caller's own when sooner).
std::unique_ptr<grpc::ClientContext> ForwardCaller(
    const grpc::ServerContextBase& context,
    absl::Duration timeout = absl::Seconds(5));

// Metadata under which the gateway passes its client's IP address to the
// service it calls (cdc-members counts failed sign-ins by it). A service
// believes it only from peers it trusts: anyone may send the key.
inline constexpr char kClientAddressKey[] = "x-cdc-client-address";

// The IP the gRPC peer of `context` connects from ("127.0.0.1", "::1"), or
// "local" for a Unix socket; "" when gRPC reports none.
std::string PeerIp(const grpc::ServerContextBase& context);

// PERMISSION_DENIED unless the principal's role is one of `allowed`.
absl::Status RequireRole(const v1::Principal& principal,
                         std::initializer_list<v1::Role> allowed);

// "SECRETARIAT", "MEMBER", ...
std::string RoleName(v1::Role role);

// "members/{id}" of the principal, or "" for none.
inline const std::string& MemberName(const v1::Principal& principal) {
  return principal.member();
}

}  // namespace cdc
