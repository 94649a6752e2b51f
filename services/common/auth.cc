#include "services/common/auth.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/crypto.h"

namespace cdc {
namespace {

constexpr absl::string_view kPrefix = "cdc_";
constexpr size_t kSecretBytes = 32;
constexpr size_t kSecretLength = 43;  // base64url of 32 bytes, unpadded

absl::Status Malformed() {
  return absl::UnauthenticatedError("authorization: malformed token");
}

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

}  // namespace

TokenParts NewToken(absl::string_view member_id) {
  TokenParts parts;
  parts.token_id =
      absl::StrCat(member_id, RandomHex(kTokenIdLength - member_id.size()));
  absl::WebSafeBase64Escape(RandomBytes(kSecretBytes), &parts.secret);
  return parts;
}

std::string FormatToken(const TokenParts& parts) {
  return absl::StrCat(kPrefix, parts.token_id, "_", parts.secret);
}

absl::StatusOr<TokenParts> ParseToken(absl::string_view token) {
  if (token.size() != kPrefix.size() + kTokenIdLength + 1 + kSecretLength ||
      !absl::StartsWith(token, kPrefix)) {
    return Malformed();
  }
  token.remove_prefix(kPrefix.size());
  TokenParts parts;
  const absl::string_view id = token.substr(0, kTokenIdLength);
  if (!IsLowerHex(id) || token[kTokenIdLength] != '_') return Malformed();
  const absl::string_view secret = token.substr(kTokenIdLength + 1);
  for (char c : secret) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_') return Malformed();
  }
  parts.token_id = std::string(id);
  parts.secret = std::string(secret);
  return parts;
}

absl::StatusOr<std::string> BearerToken(
    const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "authorization: this call needs a token (authorization: Bearer "
        "<token>)");
  }
  const absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kScheme = "Bearer ";
  const absl::string_view token =
      value.size() > kScheme.size()
          ? absl::StripAsciiWhitespace(value.substr(kScheme.size()))
          : absl::string_view();
  // A blank token is refused here, so authenticators never see "".
  if (token.empty() ||
      !absl::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
    return absl::UnauthenticatedError(
        "authorization: expected \"Bearer <token>\"");
  }
  return std::string(token);
}

std::unique_ptr<grpc::ClientContext> ForwardCaller(
    const grpc::ServerContextBase& context, absl::Duration timeout) {
  auto forward = std::make_unique<grpc::ClientContext>();
  forward->set_deadline(
      std::min(context.deadline(), absl::ToChronoTime(absl::Now() + timeout)));
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it != metadata.end()) {
    forward->AddMetadata("authorization",
                         std::string(it->second.data(), it->second.size()));
  }
  return forward;
}

absl::StatusOr<v1::Principal> AuthenticateCall(
    const grpc::ServerContextBase& context, Authenticator& authenticator) {
  absl::StatusOr<std::string> token = BearerToken(context);
  if (!token.ok()) return token.status();
  return authenticator.Authenticate(*token);
}

std::string PeerIp(const grpc::ServerContextBase& context) {
  // "ipv4:127.0.0.1:5555", "ipv6:[::1]:5555", "unix:/path", "unix:".
  const std::string peer = context.peer();
  if (absl::StartsWith(peer, "unix")) return "local";
  const size_t start = peer.find(':') + 1;
  const size_t end = peer.rfind(':');
  if (start == 0 || end <= start) return "";
  std::string address = peer.substr(start, end - start);
  if (address.size() > 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  return address;
}

std::string RoleName(v1::Role role) {
  std::string name = v1::Role_Name(role);
  return absl::StartsWith(name, "ROLE_") ? name.substr(5) : name;
}

absl::Status RequireRole(const v1::Principal& principal,
                         std::initializer_list<v1::Role> allowed) {
  for (v1::Role role : allowed) {
    if (principal.role() == role) return absl::OkStatus();
  }
  std::vector<std::string> names;
  for (v1::Role role : allowed) names.push_back(RoleName(role));
  return absl::PermissionDeniedError(
      absl::StrCat("this call needs the role ", absl::StrJoin(names, " or "),
                   "; the caller is ", RoleName(principal.role())));
}

}  // namespace cdc
