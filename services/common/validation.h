// Field checks shared by every service. Each returns OK or INVALID_ARGUMENT
// with a message that names the field and says what is wrong, e.g.
// "member.email: must be an email address like name@example.org".
#pragma once

#include <google/protobuf/field_mask.pb.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cdc {

enum class TextKind {
  kSingleLine,  // names, titles: no control characters at all
  kMultiLine,   // bodies: newline and tab allowed
};

// Number of Unicode code points in valid UTF-8 `text`, or an error when
// `text` is not valid UTF-8 (overlong forms and surrogates included).
absl::StatusOr<size_t> CodePointCount(absl::string_view text);

// Valid UTF-8, between `min` and `max` code points, no control characters
// (but newline and tab in kMultiLine), and not only white space when min > 0.
absl::Status CheckText(absl::string_view field, absl::string_view value,
                       size_t min, size_t max,
                       TextKind kind = TextKind::kSingleLine);

// A plausible email address: 3..254 characters, one '@', a local part of
// 1..64 printable ASCII characters, a domain of dot-separated labels with a
// dot in it. (Deliverability is the secretariat's check, not ours.)
absl::Status CheckEmail(absl::string_view field, absl::string_view value);

// The canonical form used for lookups: ASCII lower case.
std::string CanonicalEmail(absl::string_view email);

// An assigned ISO 3166-1 alpha-3 code, upper case.
absl::Status CheckCountry(absl::string_view field, absl::string_view value);

// A well-formed BCP 47 language tag such as "en", "fr-CA", "zh-Hant-TW".
absl::Status CheckLanguageTag(absl::string_view field, absl::string_view value);

// Empty, or 1..64 printable ASCII characters.
absl::Status CheckRequestId(absl::string_view field, absl::string_view value);

// Parses "<collection>/<id>" (e.g. "members/0a1b...") and returns the id,
// which must be 1..64 characters of [a-z0-9-].
absl::StatusOr<std::string> ParseResourceId(absl::string_view field,
                                            absl::string_view name,
                                            absl::string_view collection);

// The distinct paths of an update mask, in order. INVALID_ARGUMENT
// ("update_mask: ...") when it is empty or names more than `max_paths`
// paths (repeats included), so that a mask cannot multiply a request's
// work.
absl::StatusOr<std::vector<std::string>> DistinctPaths(
    const google::protobuf::FieldMask& mask, size_t max_paths = 16);

// Page sizes: 0 -> `default_size`; negative is an error; above `max_size`
// is clamped to it (AIP-158).
absl::StatusOr<int> CheckPageSize(int page_size, int default_size = 50,
                                  int max_size = 200);

}  // namespace cdc
