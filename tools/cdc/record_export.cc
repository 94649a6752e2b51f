#include "tools/cdc/record_export.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tools/cdc/cdc_cli.h"
#include "tools/cdc/csv.h"
#include "tools/cdc/text_output.h"

namespace cdc::cli {
namespace {

// An enum as cdc prints it, but empty (not "-") when unspecified: an empty
// cell reads as "none" in a spreadsheet.
template <typename Enum>
std::string CsvEnum(Enum value) {
  return static_cast<int>(value) == 0 ? "" : EnumLabel(value);
}

std::string CsvTime(const google::protobuf::Timestamp& time) {
  return time.seconds() == 0 && time.nanos() == 0 ? "" : FormatTime(time);
}

std::vector<std::string> CsvCells(const v1::RecordEntry& entry) {
  return {entry.consultation(),
          absl::StrCat(entry.round()),
          absl::StrCat(entry.draft_version()),
          entry.section_key(),
          entry.section_title(),
          absl::StrCat(entry.section_order()),
          entry.comment(),
          entry.parent(),
          entry.author_organisation(),
          CsvEnum(entry.author_organisation_type()),
          entry.author_country(),
          CsvEnum(entry.type()),
          entry.body(),
          entry.proposed_change(),
          entry.quote(),
          entry.language(),
          absl::StrCat(entry.endorsement_count()),
          CsvEnum(entry.disposition()),
          entry.response(),
          CsvTime(entry.create_time()),
          CsvTime(entry.disposition_time())};
}

std::string JsonLine(const v1::RecordEntry& entry) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  // A RecordEntry has nothing that cannot be JSON; without whitespace, and
  // with newlines in strings escaped, it is one line.
  if (!google::protobuf::util::MessageToJsonString(entry, &json, options)
           .ok()) {
    json = "{}";
  }
  return absl::StrCat(json, "\n");
}

}  // namespace

absl::StatusOr<RecordFormat> ParseRecordFormat(absl::string_view text) {
  const std::string format = absl::AsciiStrToLower(text);
  if (format == "csv") return RecordFormat::kCsv;
  if (format == "jsonl") return RecordFormat::kJsonLines;
  return UsageError(absl::StrCat("--format: unknown value \"", text,
                                 "\"; one of: csv, jsonl"));
}

const std::vector<std::string>& RecordColumns() {
  static const auto* const kColumns =
      new std::vector<std::string>{"consultation",
                                   "round",
                                   "draft_version",
                                   "section_key",
                                   "section_title",
                                   "section_order",
                                   "comment",
                                   "parent",
                                   "author_organisation",
                                   "author_organisation_type",
                                   "author_country",
                                   "type",
                                   "body",
                                   "proposed_change",
                                   "quote",
                                   "language",
                                   "endorsement_count",
                                   "disposition",
                                   "response",
                                   "create_time",
                                   "disposition_time"};
  return *kColumns;
}

std::string RecordHeader(RecordFormat format) {
  return format == RecordFormat::kCsv ? CsvRecord(RecordColumns()) : "";
}

std::string RecordLine(RecordFormat format, const v1::RecordEntry& entry) {
  return format == RecordFormat::kCsv ? CsvRecord(CsvCells(entry))
                                      : JsonLine(entry);
}

}  // namespace cdc::cli
