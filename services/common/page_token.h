// Opaque page tokens for List methods.
//
// A token carries the sort position after which the next page starts and a
// fingerprint of the request's filters, so that a token reused with other
// filters is refused (AIP-158) instead of silently returning a wrong page.
// Tokens are not secret and not signed: a forged one can only move the start
// of a listing the caller may read anyway.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cdc {

// `filters` is any string that identifies the request's filters.
std::string EncodePageToken(absl::string_view position,
                            absl::string_view filters);

// Returns the position; INVALID_ARGUMENT ("page_token: ...") when the token
// is malformed or was made for other filters.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token,
                                            absl::string_view filters);

}  // namespace cdc
