#include "services/common/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"

namespace cdc {
namespace {

constexpr char kVersion = '1';
constexpr size_t kFingerprintSize = 8;

std::string Fingerprint(absl::string_view filters) {
  return Sha256(filters).substr(0, kFingerprintSize);
}

}  // namespace

std::string EncodePageToken(absl::string_view position,
                            absl::string_view filters) {
  std::string raw;
  raw.reserve(1 + kFingerprintSize + position.size());
  raw.push_back(kVersion);
  absl::StrAppend(&raw, Fingerprint(filters), position);
  std::string token;
  absl::WebSafeBase64Escape(raw, &token);
  return token;
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token,
                                            absl::string_view filters) {
  std::string raw;
  if (token.size() > 1024 || !absl::WebSafeBase64Unescape(token, &raw) ||
      raw.size() < 1 + kFingerprintSize || raw[0] != kVersion) {
    return absl::InvalidArgumentError(
        "page_token: is not a token this service issued");
  }
  if (raw.substr(1, kFingerprintSize) != Fingerprint(filters)) {
    return absl::InvalidArgumentError(
        "page_token: was issued for other filters; start again without it");
  }
  return raw.substr(1 + kFingerprintSize);
}

}  // namespace cdc
