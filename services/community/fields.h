// Field checks and error words shared by cdc-community's handlers
// (community_service.cc, library_service.cc). Each check answers OK or
// INVALID_ARGUMENT naming the field, e.g. "resource.tags[2]: repeats ...".
#pragma once

#include <google/protobuf/repeated_ptr_field.h>

#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cdc/v1/common.pb.h"

namespace cdc::community {

inline constexpr int kMaxTags = 10;
inline constexpr size_t kMaxTagLength = 32;
inline constexpr size_t kMaxUrl = 2048;

// "field[i]", for an element of a repeated field.
std::string Indexed(absl::string_view field, int i);

// The last segment of a resource name: "x" of "spaces/x".
std::string IdOf(absl::string_view name);

bool IsSecretariat(const v1::Principal& p);

// INVALID_ARGUMENT "<field>: <why>".
absl::Status Invalid(absl::string_view field, absl::string_view why);
// NOT_FOUND "<name> does not exist".
absl::Status NotFound(absl::string_view name);
// ABORTED for an etag that no longer matches.
absl::Status StaleEtag(absl::string_view name);

// min..max elements; `what` names them in the message ("tags").
absl::Status CheckCount(absl::string_view field, int count, int min, int max,
                        absl::string_view what);

// `value` (element i of `field`) was not seen before in its list.
absl::Status CheckDistinct(absl::string_view field, int i,
                           const std::string& value,
                           std::set<std::string>* seen);

// 1..kMaxTagLength characters of a-z, 0-9 and "-".
absl::Status CheckTag(absl::string_view field, absl::string_view tag);

// Lower-cases the tags, then checks each, their number (at most kMaxTags)
// and that they are distinct.
absl::Status NormaliseTags(
    absl::string_view field,
    google::protobuf::RepeatedPtrField<std::string>* tags);

// An absolute http or https URL: no other scheme (javascript:, data:,
// ftp:), nothing relative, no spaces or control characters (other
// characters must be percent-encoded), no user name or password before the
// host (a classic disguise), at most kMaxUrl characters.
absl::Status CheckHttpUrl(absl::string_view field, absl::string_view url);

}  // namespace cdc::community
