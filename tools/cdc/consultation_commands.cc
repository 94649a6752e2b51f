// cdc consultation create|import|open|extend|close|publish|list|show: one
// function per command, and the text form of what cdc-consultations
// answers.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/status_macros.h"
#include "tools/cdc/commands.h"
#include "tools/cdc/text_output.h"

ABSL_FLAG(std::vector<std::string>, audience_types, {},
          "consultation create: organisation types that may comment, e.g. "
          "civil-society,academia (default: all)");
ABSL_FLAG(std::vector<std::string>, audience_countries, {},
          "consultation create: countries that may comment, e.g. KEN,FRA "
          "(default: all)");
ABSL_FLAG(bool, validate_only, false,
          "consultation import: check and preview; store nothing");
ABSL_FLAG(std::string, closes_at, "",
          "consultation open/extend: when the round closes (TIME)");
ABSL_FLAG(std::string, opens_at, "",
          "consultation open: when the round opens (TIME; default now)");
ABSL_FLAG(int, draft_version, 0,
          "consultation open: the draft version (default: the latest)");
ABSL_FLAG(bool, sections, false,
          "consultation show: also list the sections (table of contents)");

namespace cdc::cli {
namespace {

using Stub = v1::ConsultationsService::Stub;
using Operands = std::vector<std::string>;

// --- Text output --------------------------------------------------------

std::string AudienceText(const v1::Audience& audience) {
  std::vector<std::string> parts;
  if (audience.organisation_types_size() > 0) {
    std::vector<std::string> types;
    for (int type : audience.organisation_types()) {
      types.push_back(EnumLabel(static_cast<v1::OrganisationType>(type)));
    }
    parts.push_back(
        absl::StrCat("organisation types ", absl::StrJoin(types, ", ")));
  }
  if (audience.countries_size() > 0) {
    parts.push_back(
        absl::StrCat("countries ", absl::StrJoin(audience.countries(), ", ")));
  }
  if (parts.empty()) return "every approved member";
  return absl::StrJoin(parts, "; ");
}

std::string StateText(const v1::Consultation& consultation) {
  std::string state = EnumLabel(consultation.state());
  if (consultation.state() == v1::Consultation::OPEN) {
    absl::StrAppend(&state, consultation.accepting_comments()
                                ? " (accepting comments)"
                                : " (not accepting comments now)");
  }
  return state;
}

std::string RoundsTable(const v1::Consultation& consultation) {
  Table table({"ROUND", "VERSION", "OPENS AT", "CLOSES AT", "PUBLISHED"});
  for (const v1::Round& round : consultation.rounds()) {
    table.AddRow({absl::StrCat(round.number()),
                  absl::StrCat(round.draft_version()),
                  FormatTime(round.opens_at()),
                  absl::StrCat(FormatTime(round.closes_at()),
                               round.closed_early() ? " (closed early)" : ""),
                  FormatTime(round.publish_time())});
  }
  return table.Format();
}

std::string ConsultationText(const v1::Consultation& consultation) {
  std::string version = consultation.current_version() == 0
                            ? "none imported"
                            : absl::StrCat(consultation.current_version());
  if (consultation.latest_version() != consultation.current_version()) {
    absl::StrAppend(&version,
                    " (latest imported: ", consultation.latest_version(), ")");
  }
  Fields fields;
  fields.Add("name", consultation.name())
      .Add("title", consultation.title())
      .Add("state", StateText(consultation))
      .Add("audience", AudienceText(consultation.audience()))
      .Add("round", consultation.current_round() == 0
                        ? "none yet"
                        : absl::StrCat(consultation.current_round()))
      .Add("draft version", version)
      .Add("opens at", FormatTime(consultation.opens_at()))
      .Add("closes at", FormatTime(consultation.closes_at()))
      .Add("created by", consultation.created_by())
      .Add("created", FormatTime(consultation.create_time()))
      .Add("updated", FormatTime(consultation.update_time()))
      .Add("etag", consultation.etag())
      .Add("description", consultation.description());
  std::string text = fields.Format();
  if (consultation.rounds_size() > 0) {
    absl::StrAppend(&text, "\n", RoundsTable(consultation));
  }
  return text;
}

// A table of contents: titles indented by heading level.
std::string SectionsTable(
    const google::protobuf::RepeatedPtrField<v1::Section>& sections) {
  int top_level = 6;
  for (const v1::Section& section : sections) {
    top_level = std::min(top_level, section.level());
  }
  Table table({"ORDER", "KEY", "TITLE", "CHANGE"});
  for (const v1::Section& section : sections) {
    const std::string indent(2 * std::max(0, section.level() - top_level), ' ');
    table.AddRow({section.removed() ? "" : absl::StrCat(section.order()),
                  section.key(), absl::StrCat(indent, section.title()),
                  section.removed() ? "removed" : EnumLabel(section.change())});
  }
  return table.Format();
}

std::string DraftVersionText(const v1::DraftVersion& draft) {
  Fields fields;
  fields
      .Add("draft", absl::StrCat(draft.name(),
                                 draft.validate_only()
                                     ? "  (preview only: nothing was stored)"
                                     : ""))
      .Add("version", absl::StrCat(draft.version()))
      .Add("sections",
           absl::StrCat(draft.section_count(), " (", draft.added_count(),
                        " added, ", draft.modified_count(), " modified, ",
                        draft.removed_count(), " removed)"))
      .Add("source", absl::StrCat(draft.source_size_bytes(), " bytes, sha256 ",
                                  draft.source_sha256()));
  if (!draft.validate_only()) {
    fields.Add("imported by", draft.imported_by())
        .Add("imported", FormatTime(draft.import_time()));
  }
  fields.Add("warnings", draft.warnings().empty()
                             ? "none"
                             : absl::StrJoin(draft.warnings(), "\n"));
  std::string text = fields.Format();
  if (draft.sections_size() > 0) {
    absl::StrAppend(&text, "\n", SectionsTable(draft.sections()));
  }
  return text;
}

std::string ConsultationListText(
    const v1::ListConsultationsResponse& response) {
  if (response.consultations().empty()) return "no consultations\n";
  Table table({"ID", "STATE", "ROUND", "VERSION", "CLOSES AT", "TITLE"});
  for (const v1::Consultation& consultation : response.consultations()) {
    table.AddRow({std::string(ResourceId(consultation.name())),
                  EnumLabel(consultation.state()),
                  absl::StrCat(consultation.current_round()),
                  absl::StrCat(consultation.current_version()),
                  FormatTime(consultation.closes_at()), consultation.title()});
  }
  return table.Format();
}

// --- Arguments ------------------------------------------------------------

// The TIME in a flag, as a Timestamp; relative times count from `now`.
absl::StatusOr<google::protobuf::Timestamp> TimeFlag(
    absl::string_view flag, const absl::Flag<std::string>& value,
    absl::Time now) {
  CDC_ASSIGN_OR_RETURN(absl::Time time,
                       ParseTime(flag, absl::GetFlag(value), now));
  return ToTimestamp(time);
}

// The whole of a file, or of stdin for "-".
absl::StatusOr<std::string> ReadInput(const std::string& path) {
  std::FILE* file = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return UsageError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::string contents;
  char buffer[64 * 1024];
  size_t read;
  while ((read = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
    contents.append(buffer, read);
  }
  const bool failed = std::ferror(file) != 0;
  const int error = errno;
  if (file != stdin) std::fclose(file);
  if (failed) {
    return UsageError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(error)));
  }
  return contents;
}

// --- Commands ---------------------------------------------------------------

absl::Status Create(Cli& cli, const Operands&) {
  CDC_RETURN_IF_ERROR(RequireFlag("title", absl::GetFlag(FLAGS_title)));
  v1::CreateConsultationRequest request;
  v1::Consultation& consultation = *request.mutable_consultation();
  consultation.set_title(absl::GetFlag(FLAGS_title));
  consultation.set_description(absl::GetFlag(FLAGS_description));
  for (const std::string& type : absl::GetFlag(FLAGS_audience_types)) {
    CDC_ASSIGN_OR_RETURN(
        v1::OrganisationType value,
        ParseEnum<v1::OrganisationType>("audience_types", type));
    consultation.mutable_audience()->add_organisation_types(value);
  }
  for (const std::string& country : absl::GetFlag(FLAGS_audience_countries)) {
    consultation.mutable_audience()->add_countries(
        absl::AsciiStrToUpper(country));
  }
  request.set_consultation_id(absl::GetFlag(FLAGS_id));
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  return cli.CallAndPrint(&Stub::CreateConsultation, request, ConsultationText);
}

absl::Status Import(Cli& cli, const Operands& operands) {
  v1::ImportDraftRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_parent(),
                       ResourceName("consultations", operands[0]));
  CDC_ASSIGN_OR_RETURN(*request.mutable_markdown(), ReadInput(operands[1]));
  request.set_validate_only(absl::GetFlag(FLAGS_validate_only));
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  return cli.CallAndPrint(&Stub::ImportDraft, request, DraftVersionText);
}

absl::Status Open(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::OpenRoundRequest>(
                                         "consultations", operands[0]));
  CDC_RETURN_IF_ERROR(RequireFlag("closes_at", absl::GetFlag(FLAGS_closes_at)));
  const absl::Time now = absl::Now();
  CDC_ASSIGN_OR_RETURN(*request.mutable_closes_at(),
                       TimeFlag("closes_at", FLAGS_closes_at, now));
  if (!absl::GetFlag(FLAGS_opens_at).empty()) {
    CDC_ASSIGN_OR_RETURN(*request.mutable_opens_at(),
                         TimeFlag("opens_at", FLAGS_opens_at, now));
  }
  if (absl::GetFlag(FLAGS_draft_version) < 0) {
    return UsageError("--draft_version must be 1 or more (0: the latest)");
  }
  request.set_draft_version(absl::GetFlag(FLAGS_draft_version));
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  return cli.CallAndPrint(&Stub::OpenRound, request, ConsultationText);
}

absl::Status Extend(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::ExtendRoundRequest>(
                                         "consultations", operands[0]));
  CDC_RETURN_IF_ERROR(RequireFlag("closes_at", absl::GetFlag(FLAGS_closes_at)));
  CDC_ASSIGN_OR_RETURN(*request.mutable_closes_at(),
                       TimeFlag("closes_at", FLAGS_closes_at, absl::Now()));
  return cli.CallAndPrint(&Stub::ExtendRound, request, ConsultationText);
}

absl::Status Close(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::CloseRoundRequest>(
                                         "consultations", operands[0]));
  return cli.CallAndPrint(&Stub::CloseRound, request, ConsultationText);
}

absl::Status Publish(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::PublishRecordRequest>(
                                         "consultations", operands[0]));
  return cli.CallAndPrint(&Stub::PublishRecord, request, ConsultationText);
}

absl::Status List(Cli& cli, const Operands&) {
  v1::ListConsultationsRequest request;
  if (const std::string state = absl::GetFlag(FLAGS_state); !state.empty()) {
    CDC_ASSIGN_OR_RETURN(v1::Consultation::State value,
                         ParseEnum<v1::Consultation::State>("state", state));
    request.set_state(value);
  }
  return cli.ListAndPrint(&Stub::ListConsultations, request,
                          ConsultationListText);
}

absl::Status Show(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::GetConsultationRequest>(
                                         "consultations", operands[0]));
  if (!absl::GetFlag(FLAGS_sections)) {
    return cli.CallAndPrint(&Stub::GetConsultation, request, ConsultationText);
  }
  v1::Consultation consultation;
  CDC_RETURN_IF_ERROR(cli.Call(&Stub::GetConsultation, request, &consultation));
  // The table of contents of the current version (none before an import).
  v1::ListSectionsResponse contents;
  if (consultation.latest_version() > 0) {
    v1::ListSectionsRequest list;
    list.set_parent(consultation.name());
    list.set_headings_only(true);
    CDC_RETURN_IF_ERROR(cli.CallAllPages(&Stub::ListSections, list, &contents));
  }
  if (cli.json()) {
    std::vector<std::string> sections;
    for (const v1::Section& section : contents.sections()) {
      sections.push_back(Cli::Json(section));
    }
    cli.PrintText(absl::StrCat("{\"consultation\": ", Cli::Json(consultation),
                               ",\n\"sections\": [",
                               absl::StrJoin(sections, ",\n"), "]}"));
    return absl::OkStatus();
  }
  cli.PrintText(absl::StrCat(ConsultationText(consultation), "\n",
                             contents.sections().empty()
                                 ? "no sections: no draft imported yet\n"
                                 : SectionsTable(contents.sections())));
  return absl::OkStatus();
}

}  // namespace

std::vector<Command> ConsultationCommands() {
  return {
      {"consultation create",
       {},
       "--title T [--description D] [--id ID] [--audience_types T1,T2] "
       "[--audience_countries KEN,FRA] [--request_id R]",
       "creates a consultation in state draft (secretariat)",
       Create},
      {"consultation import",
       {"NAME", "FILE"},
       "[--validate_only] [--request_id R]",
       "imports a Markdown draft from FILE (- for stdin) as a new version",
       Import},
      {"consultation open",
       {"NAME"},
       "--closes_at TIME [--opens_at TIME] [--draft_version N] "
       "[--request_id R]",
       "opens a round of comments, now or scheduled",
       Open},
      {"consultation extend",
       {"NAME"},
       "--closes_at TIME",
       "moves the open round's closing time later",
       Extend},
      {"consultation close", {"NAME"}, "", "closes the open round now", Close},
      {"consultation publish",
       {"NAME"},
       "",
       "publishes the comment-response record of the closed round",
       Publish},
      {"consultation list",
       {},
       "[--state DRAFT|OPEN|CLOSED|PUBLISHED]",
       "lists the consultations you may see, newest first",
       List},
      {"consultation show",
       {"NAME"},
       "[--sections]",
       "shows a consultation and its rounds; --sections adds the contents",
       Show},
  };
}

}  // namespace cdc::cli
