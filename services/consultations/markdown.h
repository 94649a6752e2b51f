// The draft importer's parser: splits a Markdown draft into sections, one per
// ATX heading, with the stable keys that comments attach to. Pure: no Redis,
// no clock; the service turns a ParsedDraft into a DraftVersion.
//
// What it reads (a deliberate subset of CommonMark):
//  - UTF-8 only; a leading BOM is ignored; CRLF and lone CR read as LF.
//  - A heading is 1..6 '#' after at most 3 spaces, then a space, a tab or the
//    end of the line. An optional closing run of '#' (after a space) is
//    dropped, and a trailing "{#key}" anchor sets the key. Setext headings
//    ("Title" over "===" or "---") are not headings: they earn a warning.
//  - Lines inside fenced code blocks (``` or ~~~) are never headings.
//  - A section's text is every line from its heading to the next heading,
//    blank lines at either end trimmed; sub-sections are sections of their
//    own and not part of their parent's text.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cdc::consultations {

struct ParsedSection {
  std::string key;         // explicit {#key}, or else SlugKey(title)
  std::string parent_key;  // nearest preceding section of a lower level; ""
  int level = 0;           // 1..6, the number of '#'
  int order = 0;           // 0-based position in document order
  std::string title;       // heading without '#'s, closing '#'s and anchor
  std::string text;        // Markdown up to the next heading; LF endings
  int line = 0;            // 1-based line of the heading
};

struct ParsedDraft {
  std::vector<ParsedSection> sections;  // in document order, at least one
  std::vector<std::string> warnings;    // non-fatal, each "line N: ..."
};

// The proto's limits; tests pass smaller ones.
struct DraftLimits {
  size_t max_bytes = 1 << 20;  // of the whole document, BOM and CRs included
  size_t max_sections = 1000;  // headings in the document
  size_t max_title = 200;      // code points of one title
  size_t max_text = 100000;    // code points of one section's text
};

// Parses `markdown` into sections. Errors are INVALID_ARGUMENT with a message
// that starts with "markdown: " and, where one line is at fault, names it as
// "line N": an empty or blank document, a document over max_bytes, invalid
// UTF-8, non-blank text before the first heading, a heading with no title, a
// title or a section's text over its limit, more than max_sections headings,
// a malformed anchor, and a key (explicit or derived) used twice, in which
// case both lines are named. Warnings, in document order: a heading level
// that jumps by more than one, a setext underline (named by its own line),
// a code fence never closed.
absl::StatusOr<ParsedDraft> ParseDraft(absl::string_view markdown,
                                       const DraftLimits& limits = {});

// The key derived from a heading's title: ASCII letters lower-cased, digits
// kept, Latin letters with diacritics (Latin-1 Supplement, Latin Extended-A,
// Romanian ș and ț, combining marks) folded to their base letters ("é" ->
// "e", "æ" -> "ae", "ß" -> "ss"), every other run of characters one "-",
// no "-" at either end, at most 64 characters. When nothing is left (an
// Arabic or Chinese title, say), "s-" and the first 12 hex digits of the
// title's SHA-256. Always a valid key: 1..64 of a-z, 0-9 and "-", starting
// with a letter or digit.
std::string SlugKey(absl::string_view title);

}  // namespace cdc::consultations
