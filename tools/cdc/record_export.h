// The forms the `cdc` exports are written in: CSV (RFC 4180, csv.h) with a
// header row, one row per item, for people and spreadsheets; or JSON Lines,
// one proto3 JSON object per item, for programs. Two exports use them:
// `cdc export` (the comment–response record, one RecordEntry a row) and
// `cdc initiative export` (the initiative map, one Initiative a row).
#pragma once

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cdc/v1/comments.pb.h"
#include "cdc/v1/community.pb.h"

namespace cdc::cli {

enum class ExportFormat { kCsv, kJsonLines };

// "csv" or "jsonl", in any case; "" is csv. Usage error naming --format
// otherwise.
absl::StatusOr<ExportFormat> ParseExportFormat(absl::string_view text);

// Writes an export to `path` (OutputFile: "-" is stdout; a file is replaced
// only when the export succeeds). `stream` produces the items, handing
// each item's line to the `write` it is given; `header` goes out with the
// first line, or alone when there is none, so that a refused export writes
// nothing at all. Errors: `stream`'s, or OutputFile's.
absl::Status WriteExport(
    const std::string& path, std::string header,
    absl::FunctionRef<
        absl::Status(absl::FunctionRef<absl::Status(absl::string_view line)>)>
        stream);

// Common to both exports, in CSV: names as the server gives them
// ("consultations/x", "comments/y"), enums as cdc prints them
// ("partly-accepted", "civil-society") and empty when unspecified, times
// RFC 3339 in UTC to the second and empty when unset, lists joined by ";".
// In JSON Lines: the item as proto3 JSON on one line ending in LF,
// lowerCamelCase names, enums by their proto names, fields with default
// values included.

// The record's CSV columns, in order: consultation, round, draft_version,
// section_key, ..., create_time, disposition_time.
const std::vector<std::string>& RecordColumns();
// What the output starts with, even when the record is empty: the CSV
// header row (CRLF); nothing for JSON Lines.
std::string RecordHeader(ExportFormat format);
// One entry: a CSV row of RecordColumns() ending in CRLF, or a JSON line.
std::string RecordLine(ExportFormat format, const v1::RecordEntry& entry);

// The initiative map's CSV columns, in order: name, display_name, ...,
// create_time, update_time.
const std::vector<std::string>& InitiativeColumns();
// As RecordHeader, for the initiative map.
std::string InitiativeHeader(ExportFormat format);
// One initiative: a CSV row of InitiativeColumns() ending in CRLF, or a
// JSON line.
std::string InitiativeLine(ExportFormat format,
                           const v1::Initiative& initiative);

}  // namespace cdc::cli
