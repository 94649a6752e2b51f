// Line diff of two section texts, for GetSectionDiff.
#pragma once

#include <vector>

#include "absl/strings/string_view.h"
#include "cdc/v1/consultations.pb.h"

namespace cdc::consultations {

// Every line of `from` and `to` in order, each EQUAL (in both; from_line and
// to_line set), DELETE (only in `from`; to_line 0) or INSERT (only in `to`;
// from_line 0), with 1-based line numbers. The edit script is minimal: as
// many EQUAL lines as the longest common subsequence allows. Within a changed
// stretch the DELETEs come before the INSERTs.
//
// Lines are split on '\n' only; a final '\n' does not start another line
// ("a\n" and "a" are both the one line "a"), and "" has no lines. A '\r' is
// an ordinary character (texts are normalised to LF upstream).
//
// Cost: the common prefix and suffix, and lines that occur in only one of
// the texts, are settled in linear time; Myers' O(ND) algorithm with linear
// space runs on the rest, so large texts with few changes are fast whatever
// their size. The worst case, O((N+M)*D) time, is long texts whose shared
// lines were reordered wholesale: about 0.15 s for 5,000 shuffled lines,
// 15 s for 50,000 (the most a 100,000-character section can hold).
std::vector<cdc::v1::DiffLine> DiffLines(absl::string_view from,
                                         absl::string_view to);

}  // namespace cdc::consultations
