#include "services/comments/anchor.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/validation.h"

namespace cdc::comments {
namespace {

using ::cdc::v1::TextAnchor;

constexpr size_t kMaxExact = 2000;   // code points; the proto's limit
constexpr size_t kMaxContext = 200;  // code points of prefix or suffix

// Everything below works on bytes and relies on UTF-8 being
// self-synchronising: in valid UTF-8, a code point starts at every byte that
// is not 10xxxxxx, and a byte search for valid UTF-8 can only match at code
// point boundaries. Both `text` and the anchor's strings are checked first.
bool IsContinuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Code points in valid UTF-8 `text`.
size_t Length(absl::string_view text) {
  size_t count = 0;
  for (char c : text) count += IsContinuation(c) ? 0 : 1;
  return count;
}

// The byte offset `count` code points after byte `from` (a boundary), or the
// end of `text` if it has fewer.
size_t Forward(absl::string_view text, size_t from, size_t count) {
  for (; count > 0 && from < text.size(); --count) {
    ++from;
    while (from < text.size() && IsContinuation(text[from])) ++from;
  }
  return from;
}

// The byte offset `count` code points before byte `from`, or 0.
size_t Back(absl::string_view text, size_t from, size_t count) {
  for (; count > 0 && from > 0; --count) {
    --from;
    while (from > 0 && IsContinuation(text[from])) --from;
  }
  return from;
}

// Whether `prefix` ends right before byte `begin` and `suffix` starts right
// at byte `stop`. An empty one always does.
bool Adjoins(absl::string_view text, size_t begin, size_t stop,
             absl::string_view prefix, absl::string_view suffix) {
  return absl::EndsWith(text.substr(0, begin), prefix) &&
         absl::StartsWith(text.substr(stop), suffix);
}

absl::Status CheckFields(const TextAnchor& anchor) {
  if (absl::Status s = CheckText("anchor.exact", anchor.exact(), 1, kMaxExact,
                                 TextKind::kMultiLine);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckText("anchor.prefix", anchor.prefix(), 0,
                                 kMaxContext, TextKind::kMultiLine);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckText("anchor.suffix", anchor.suffix(), 0,
                                 kMaxContext, TextKind::kMultiLine);
      !s.ok()) {
    return s;
  }
  if (anchor.start() < 0) {
    return absl::InvalidArgumentError("anchor.start: must not be negative");
  }
  if (anchor.end() < 0) {
    return absl::InvalidArgumentError("anchor.end: must not be negative");
  }
  if (anchor.end() < anchor.start()) {
    return absl::InvalidArgumentError(
        "anchor.end: must not be less than anchor.start");
  }
  return absl::OkStatus();
}

// The byte offset of the one occurrence of the anchor's exact text that its
// prefix and suffix allow. Overlapping occurrences all count: searching on
// from one byte past each match finds them, and a match can only start on a
// code point boundary anyway.
absl::StatusOr<size_t> FindOnly(const TextAnchor& anchor,
                                absl::string_view text) {
  const absl::string_view exact = anchor.exact();
  size_t occurrences = 0;  // of exact, whatever its neighbours
  size_t matches = 0;      // of those, the ones prefix and suffix adjoin
  size_t first_match = 0;
  for (size_t at = text.find(exact); at != absl::string_view::npos;
       at = text.find(exact, at + 1)) {
    ++occurrences;
    if (Adjoins(text, at, at + exact.size(), anchor.prefix(),
                anchor.suffix())) {
      if (matches == 0) first_match = at;
      ++matches;
    }
  }
  if (matches == 1) return first_match;
  if (matches > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("anchor.exact: occurs ", matches,
                     " times; add a prefix or suffix to say which"));
  }
  std::string message = "anchor.exact: does not occur in the section's text";
  if (occurrences > 0) {
    // It does occur, so the context given is what rules it out.
    const bool prefix = !anchor.prefix().empty();
    const bool suffix = !anchor.suffix().empty();
    absl::StrAppend(&message, " with the given ",
                    prefix && suffix ? "prefix and suffix"
                    : prefix         ? "prefix"
                                     : "suffix");
  }
  return absl::InvalidArgumentError(message);
}

}  // namespace

absl::StatusOr<TextAnchor> ResolveAnchor(const TextAnchor& anchor,
                                         absl::string_view text) {
  if (absl::Status s = CheckFields(anchor); !s.ok()) return s;
  const absl::StatusOr<size_t> text_length = CodePointCount(text);
  if (!text_length.ok()) {
    return absl::InternalError("section text: is not valid UTF-8");
  }
  if (*text_length > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return absl::InternalError(
        "section text: is too long for anchor offsets to reach its end");
  }

  const absl::string_view exact = anchor.exact();
  size_t begin;             // byte offset of the quoted text in `text`
  size_t start;             // its code point offset
  if (anchor.end() == 0) {  // and so start == 0: find it
    const absl::StatusOr<size_t> found = FindOnly(anchor, text);
    if (!found.ok()) return found.status();
    begin = *found;
    start = Length(text.substr(0, begin));
  } else {
    const size_t end = static_cast<size_t>(anchor.end());
    if (end > *text_length) {
      return absl::InvalidArgumentError(
          absl::StrCat("anchor.end: must be at most ", *text_length,
                       ", the length of the section's text"));
    }
    start = static_cast<size_t>(anchor.start());
    begin = Forward(text, 0, start);
    const size_t past = Forward(text, begin, end - start);
    if (text.substr(begin, past - begin) != exact) {
      return absl::InvalidArgumentError(
          "anchor: start..end does not hold the quoted text");
    }
    if (!Adjoins(text, begin, past, anchor.prefix(), "")) {
      return absl::InvalidArgumentError(
          "anchor.prefix: does not end right before the quoted text");
    }
    if (!Adjoins(text, begin, past, "", anchor.suffix())) {
      return absl::InvalidArgumentError(
          "anchor.suffix: does not start right after the quoted text");
    }
  }
  const size_t stop = begin + exact.size();

  TextAnchor resolved = anchor;
  resolved.set_start(static_cast<int32_t>(start));
  resolved.set_end(static_cast<int32_t>(start + Length(exact)));
  if (resolved.prefix().empty()) {
    const size_t from = Back(text, begin, kDefaultAnchorContext);
    resolved.set_prefix(std::string(text.substr(from, begin - from)));
  }
  if (resolved.suffix().empty()) {
    const size_t to = Forward(text, stop, kDefaultAnchorContext);
    resolved.set_suffix(std::string(text.substr(stop, to - stop)));
  }
  return resolved;
}

}  // namespace cdc::comments
