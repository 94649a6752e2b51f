// The forms `cdc export` writes the comment–response record in: CSV (RFC
// 4180, csv.h) with a header row, one row per RecordEntry, for people and
// spreadsheets; or JSON Lines, one proto3 JSON object per entry, for
// programs.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cdc/v1/comments.pb.h"

namespace cdc::cli {

enum class RecordFormat { kCsv, kJsonLines };

// "csv" or "jsonl", in any case. Usage error naming --format otherwise.
absl::StatusOr<RecordFormat> ParseRecordFormat(absl::string_view text);

// The CSV columns, in order: consultation, round, draft_version,
// section_key, ..., create_time, disposition_time.
const std::vector<std::string>& RecordColumns();

// What the output starts with, even when the record is empty: the CSV
// header row (CRLF); nothing for JSON Lines.
std::string RecordHeader(RecordFormat format);

// One entry. CSV: a row of RecordColumns() ending in CRLF; names as the
// server gives them ("consultations/x", "comments/y"), enums as cdc prints
// them ("partly-accepted", "civil-society") and empty when unspecified,
// times RFC 3339 in UTC to the second and empty when unset. JSON Lines: the
// entry as proto3 JSON on one line ending in LF, lowerCamelCase names,
// enums by their proto names, fields with default values included.
std::string RecordLine(RecordFormat format, const v1::RecordEntry& entry);

}  // namespace cdc::cli
