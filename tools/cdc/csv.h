// CSV as RFC 4180 defines it, for `cdc export`: records of fields separated
// by commas and ended by CRLF. A field is quoted when it holds a comma, a
// double quote, a CR or an LF, a quote inside it doubled; every other field
// is written as it is. Bytes pass through unchanged, so UTF-8 text stays
// UTF-8 (no byte order mark is written).
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace cdc::cli {

// `value` as one CSV field: as it is, or quoted with its quotes doubled.
// "a,b" -> "\"a,b\"", "say \"hi\"" -> "\"say \"\"hi\"\"\"", "" -> "".
std::string CsvField(absl::string_view value);

// One record: the fields joined by commas, then CRLF. A record of no
// fields is an empty line ("\r\n").
std::string CsvRecord(absl::Span<const std::string> fields);

}  // namespace cdc::cli
