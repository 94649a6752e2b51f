// Plain-text output of the `cdc` tool, for people: blocks of aligned
// "key: value" lines and tables with aligned columns. Widths count Unicode
// code points, so titles in any Latin, Cyrillic or Arabic script line up.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace cdc::cli {

// Code points in `text` (UTF-8), or its bytes when it is not valid UTF-8.
size_t DisplayWidth(absl::string_view text);

// "key:  value" lines, the values starting in one column. An empty value
// prints as "-"; a value with several lines continues on the next lines,
// indented to the value column.
class Fields final {
 public:
  Fields& Add(absl::string_view key, absl::string_view value);
  std::string Format() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;  // in order
};

// Columns separated by two spaces, each as wide as its widest cell, under a
// header line; no trailing blanks. Empty cells print as "-".
class Table final {
 public:
  explicit Table(std::vector<std::string> headers);
  // `cells` has one entry per header (missing ones are empty, extra ones
  // are dropped).
  void AddRow(std::vector<std::string> cells);
  std::string Format() const;

 private:
  std::vector<std::string> headers_;            // column titles
  std::vector<std::vector<std::string>> rows_;  // each headers_.size() long
};

// The first line of `text`, cut to at most `width` code points; "…" ends
// it when anything was left out (a cut or further lines). For table cells.
std::string Excerpt(absl::string_view text, size_t width);

// RFC 3339 in UTC to the second, "2026-12-31T23:59:00Z"; "-" when unset
// (zero).
std::string FormatTime(const google::protobuf::Timestamp& time);

}  // namespace cdc::cli
