#include "tools/cdc/record_export.h"

#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/status_macros.h"
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

// A repeated enum field (stored as ints) as labels joined by ";".
template <typename Enum, typename Repeated>
std::string CsvEnums(const Repeated& values) {
  std::vector<std::string> labels;
  for (int value : values) labels.push_back(CsvEnum(static_cast<Enum>(value)));
  return absl::StrJoin(labels, ";");
}

std::string CsvTime(const google::protobuf::Timestamp& time) {
  return time.seconds() == 0 && time.nanos() == 0 ? "" : FormatTime(time);
}

std::string JsonLine(const google::protobuf::Message& message) {
  return absl::StrCat(Cli::JsonLine(message), "\n");
}

std::vector<std::string> RecordCells(const v1::RecordEntry& entry) {
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

std::vector<std::string> InitiativeCells(const v1::Initiative& initiative) {
  return {initiative.name(),
          initiative.display_name(),
          initiative.description(),
          initiative.lead_organisation(),
          CsvEnum(initiative.lead_organisation_type()),
          absl::StrJoin(initiative.partners(), ";"),
          absl::StrJoin(initiative.countries(), ";"),
          CsvEnums<v1::Initiative::Region>(initiative.regions()),
          absl::StrJoin(initiative.sdg_goals(), ";"),
          absl::StrJoin(initiative.sdg_indicators(), ";"),
          CsvEnum(initiative.participation_level()),
          absl::StrJoin(initiative.data_topics(), ";"),
          CsvEnum(initiative.status()),
          absl::StrJoin(initiative.links(), ";"),
          CsvEnum(initiative.review_state()),
          initiative.review_note(),
          initiative.reviewed_by(),
          initiative.submitted_by(),
          CsvTime(initiative.create_time()),
          CsvTime(initiative.update_time())};
}

}  // namespace

absl::StatusOr<ExportFormat> ParseExportFormat(absl::string_view text) {
  const std::string format = absl::AsciiStrToLower(text);
  if (format == "csv" || format.empty()) return ExportFormat::kCsv;
  if (format == "jsonl") return ExportFormat::kJsonLines;
  return UsageError(absl::StrCat("--format: unknown value \"", text,
                                 "\"; one of: csv, jsonl"));
}

absl::Status WriteExport(
    const std::string& path, std::string header,
    absl::FunctionRef<
        absl::Status(absl::FunctionRef<absl::Status(absl::string_view line)>)>
        stream) {
  CDC_ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> output,
                       OutputFile::Open(path));
  CDC_RETURN_IF_ERROR(stream([&](absl::string_view line) {
    return output->Write(absl::StrCat(std::exchange(header, ""), line));
  }));
  CDC_RETURN_IF_ERROR(output->Write(header));
  return output->Commit();
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

std::string RecordHeader(ExportFormat format) {
  return format == ExportFormat::kCsv ? CsvRecord(RecordColumns()) : "";
}

std::string RecordLine(ExportFormat format, const v1::RecordEntry& entry) {
  return format == ExportFormat::kCsv ? CsvRecord(RecordCells(entry))
                                      : JsonLine(entry);
}

const std::vector<std::string>& InitiativeColumns() {
  static const auto* const kColumns =
      new std::vector<std::string>{"name",
                                   "display_name",
                                   "description",
                                   "lead_organisation",
                                   "lead_organisation_type",
                                   "partners",
                                   "countries",
                                   "regions",
                                   "sdg_goals",
                                   "sdg_indicators",
                                   "participation_level",
                                   "data_topics",
                                   "status",
                                   "links",
                                   "review_state",
                                   "review_note",
                                   "reviewed_by",
                                   "submitted_by",
                                   "create_time",
                                   "update_time"};
  return *kColumns;
}

std::string InitiativeHeader(ExportFormat format) {
  return format == ExportFormat::kCsv ? CsvRecord(InitiativeColumns()) : "";
}

std::string InitiativeLine(ExportFormat format,
                           const v1::Initiative& initiative) {
  return format == ExportFormat::kCsv ? CsvRecord(InitiativeCells(initiative))
                                      : JsonLine(initiative);
}

}  // namespace cdc::cli
