#include "tools/cdc/text_output.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "services/common/validation.h"

namespace cdc::cli {
namespace {

std::string OrDash(absl::string_view value) {
  return value.empty() ? "-" : std::string(value);
}

void Pad(std::string* out, absl::string_view cell, size_t width) {
  absl::StrAppend(out, cell);
  out->append(width - std::min(width, DisplayWidth(cell)), ' ');
}

}  // namespace

size_t DisplayWidth(absl::string_view text) {
  absl::StatusOr<size_t> count = CodePointCount(text);
  return count.ok() ? *count : text.size();
}

Fields& Fields::Add(absl::string_view key, absl::string_view value) {
  fields_.emplace_back(absl::StrCat(key, ":"), OrDash(value));
  return *this;
}

std::string Fields::Format() const {
  size_t width = 0;
  for (const auto& [key, value] : fields_) {
    width = std::max(width, DisplayWidth(key));
  }
  width += 2;
  std::string out;
  for (const auto& [key, value] : fields_) {
    bool first = true;
    for (absl::string_view line : absl::StrSplit(value, '\n')) {
      if (first) {
        Pad(&out, key, width);
        first = false;
      } else {
        out.append(width, ' ');
      }
      if (line.empty()) {
        // No trailing blanks on a blank line of a value.
        while (!out.empty() && out.back() == ' ') out.pop_back();
      }
      absl::StrAppend(&out, line, "\n");
    }
  }
  return out;
}

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (std::string& cell : cells) cell = OrDash(cell);
  rows_.push_back(std::move(cells));
}

std::string Table::Format() const {
  std::vector<size_t> widths(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) {
    widths[i] = DisplayWidth(headers_[i]);
    for (const auto& row : rows_) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  std::string out;
  const auto append_line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i + 1 == cells.size()) {
        absl::StrAppend(&out, cells[i]);
      } else {
        Pad(&out, cells[i], widths[i] + 2);
      }
    }
    absl::StrAppend(&out, "\n");
  };
  append_line(headers_);
  for (const auto& row : rows_) append_line(row);
  return out;
}

std::string Excerpt(absl::string_view text, size_t width) {
  width = std::max<size_t>(width, 1);
  const size_t line_end = text.find_first_of("\r\n");
  bool cut =
      line_end != absl::string_view::npos &&
      text.find_first_not_of(" \t\r\n", line_end) != absl::string_view::npos;
  text = text.substr(0, line_end);
  if (DisplayWidth(text) + (cut ? 1 : 0) > width) {
    // Keep width - 1 code points, leaving room for the "…".
    size_t points = 0;
    size_t end = 0;
    for (; end < text.size(); ++end) {
      const bool starts_point =
          (static_cast<unsigned char>(text[end]) & 0xC0) != 0x80;
      if (starts_point && points++ == width - 1) break;
    }
    text = text.substr(0, end);
    cut = true;
  }
  return cut ? absl::StrCat(text, "…") : std::string(text);
}

std::string FormatTime(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixSeconds(time.seconds()),
                          absl::UTCTimeZone());
}

}  // namespace cdc::cli
