// Text anchors: where in a section's text a comment points. Pure: no Redis;
// the service calls it on CreateComment with the text of the section in the
// comment's draft version, and stores what it returns.
#pragma once

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cdc/v1/comments.pb.h"

namespace cdc::comments {

// Code points of context ResolveAnchor fills in on a side the caller left
// empty.
inline constexpr size_t kDefaultAnchorContext = 32;

// Resolves a comment's anchor against the section text it quotes (the text
// of the section in the comment's draft version). Offsets are Unicode code
// points of `text`, as in the proto's TextAnchor.
//
// - start == 0 and end == 0: finds `exact` in `text`. Occurrences may
//   overlap ("aaa" occurs twice in "aaaa"). A non-empty prefix must end right
//   before an occurrence and a non-empty suffix start right after it for the
//   occurrence to count; exactly one must be left.
// - otherwise: 0 <= start < end <= length of `text`, text[start, end) must
//   equal `exact`, and a non-empty prefix / suffix must adjoin it.
//
// Returns the anchor with start and end set and, on each side the caller
// left empty, prefix / suffix filled in from `text` (up to
// kDefaultAnchorContext code points, fewer at either end of the text) so
// that a stored anchor can be found again in later versions. A prefix or
// suffix the caller gave is kept as given.
//
// Errors:
//  - INVALID_ARGUMENT, naming the field: exact not 1..2000 code points,
//    prefix or suffix over 200, any of them not valid UTF-8 or holding
//    control characters other than newline and tab (cdc::CheckText,
//    kMultiLine); start or end negative; end < start; end past the end of
//    the text; "anchor: start..end does not hold the quoted text"; a prefix
//    or suffix that does not adjoin; "anchor.exact: does not occur in the
//    section's text" (followed by " with the given prefix/suffix" when
//    `exact` does occur but not with them); "anchor.exact: occurs N times;
//    add a prefix or suffix to say which".
//  - INTERNAL: `text` is not valid UTF-8 or holds more code points than an
//    int32 offset can reach (it is the server's own stored text).
//
// Cost: two linear passes over `text` (to validate it, and to map code
// points to bytes); the search is string_view::find, near-linear on prose,
// O(size(text) * size(exact)) at worst (a run of one repeated character).
absl::StatusOr<cdc::v1::TextAnchor> ResolveAnchor(
    const cdc::v1::TextAnchor& anchor, absl::string_view text);

}  // namespace cdc::comments
