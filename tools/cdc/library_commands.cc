// cdc resource ... and cdc initiative ...: one function per command, and the
// text form of what cdc-community answers about the resource library and
// the initiative map.
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/status_macros.h"
#include "tools/cdc/commands.h"
#include "tools/cdc/record_export.h"
#include "tools/cdc/text_output.h"

ABSL_FLAG(std::string, summary, "",
          "resource create/update: what it is (light Markdown)");
ABSL_FLAG(std::string, link, "", "resource create/update: its http(s) address");
ABSL_FLAG(std::vector<std::string>, countries, {},
          "ISO 3166-1 alpha-3 codes, e.g. KEN,UGA: resource create/update "
          "(empty: global), initiative create/update (required)");
ABSL_FLAG(std::vector<std::string>, sdg_goals, {},
          "SDG goals 1..17, e.g. 5,16: resource create/update, initiative "
          "create/update");
ABSL_FLAG(int, sdg_goal, 0,
          "resource list, initiative list/counts/export: only those with "
          "this SDG goal (1..17)");
ABSL_FLAG(std::string, shared_by, "",
          "resource list: only those shared by this member");
ABSL_FLAG(std::string, order, "",
          "resource list: newest (default) or most-endorsed");
ABSL_FLAG(std::string, lead_organisation, "",
          "initiative create/update: the lead organisation's name");
ABSL_FLAG(std::vector<std::string>, partners, {},
          "initiative create/update: partner organisations, comma-separated");
ABSL_FLAG(std::vector<std::string>, sdg_indicators, {},
          "initiative create/update: SDG indicators, e.g. 5.2.1,17.18.1");
ABSL_FLAG(std::string, level, "",
          "initiative create/update (required), list/counts/export (filter): "
          "the level of participation: informing, consulting, engaging or "
          "driving");
ABSL_FLAG(std::vector<std::string>, data_topics, {},
          "initiative create/update: what data it produces, e.g. "
          "water,gender-based-violence");
ABSL_FLAG(std::string, status, "",
          "initiative create/update (required), list/counts/export (filter): "
          "planned, active or completed");
ABSL_FLAG(std::vector<std::string>, links, {},
          "initiative create/update: http(s) addresses, comma-separated");
ABSL_FLAG(std::string, region, "",
          "initiative list/counts/export: only those in this SDG region, e.g. "
          "sub-saharan-africa");
ABSL_FLAG(std::string, review_state, "",
          "initiative list/counts/export: submitted, approved (default) or "
          "returned");
ABSL_FLAG(std::string, submitted_by, "",
          "initiative list/counts/export: only those this member submitted");
ABSL_FLAG(std::string, note, "",
          "initiative approve (optional), return (required): the note to the "
          "submitter");

namespace cdc::cli {
namespace {

using Stub = v1::CommunityService::Stub;
using Operands = std::vector<std::string>;

constexpr size_t kTitleExcerptWidth = 48;

// --- Text output --------------------------------------------------------

// "1, 5, 16" from a repeated int32 field.
template <typename Repeated>
std::string Numbers(const Repeated& values) {
  return absl::StrJoin(values, ", ");
}

std::string ResourceText(const v1::Resource& resource) {
  return Fields()
      .Add("name", resource.name())
      .Add("title", resource.title())
      .Add("type", EnumLabel(resource.type()))
      .Add("link", resource.link())
      .Add("countries", resource.countries().empty()
                            ? "global"
                            : absl::StrJoin(resource.countries(), ", "))
      .Add("languages", absl::StrJoin(resource.languages(), ", "))
      .Add("SDG goals", Numbers(resource.sdg_goals()))
      .Add("tags", absl::StrJoin(resource.tags(), ", "))
      .Add("shared by", absl::StrCat(resource.shared_by_display_name(), " (",
                                     resource.shared_by(), ")"))
      .Add("endorsements",
           absl::StrCat(
               resource.endorsement_count(),
               resource.endorsed_by_caller() ? " (yours included)" : ""))
      .Add("comments", absl::StrCat(resource.comment_count()))
      .Add("created", FormatTime(resource.create_time()))
      .Add("updated", FormatTime(resource.update_time()))
      .Add("etag", resource.etag())
      .Add("summary", resource.summary())
      .Format();
}

std::string ResourceListText(const v1::ListResourcesResponse& response) {
  if (response.resources().empty()) return "no resources\n";
  Table table(
      {"ID", "TYPE", "ENDORSED", "COMMENTS", "COUNTRIES", "CREATED", "TITLE"});
  for (const v1::Resource& resource : response.resources()) {
    table.AddRow({std::string(ResourceId(resource.name())),
                  EnumLabel(resource.type()),
                  absl::StrCat(resource.endorsement_count()),
                  absl::StrCat(resource.comment_count()),
                  resource.countries().empty()
                      ? "global"
                      : absl::StrJoin(resource.countries(), ","),
                  FormatTime(resource.create_time()),
                  Excerpt(resource.title(), kTitleExcerptWidth)});
  }
  return table.Format();
}

std::string RegionsText(const v1::Initiative& initiative) {
  std::vector<std::string> regions;
  for (int region : initiative.regions()) {
    regions.push_back(EnumLabel(static_cast<v1::Initiative::Region>(region)));
  }
  return absl::StrJoin(regions, ", ");
}

std::string ReviewText(const v1::Initiative& initiative) {
  std::string review = EnumLabel(initiative.review_state());
  if (!initiative.reviewed_by().empty()) {
    absl::StrAppend(&review, " by ", initiative.reviewed_by());
  }
  return review;
}

std::string InitiativeText(const v1::Initiative& initiative) {
  return Fields()
      .Add("name", initiative.name())
      .Add("display name", initiative.display_name())
      .Add("lead",
           absl::StrCat(initiative.lead_organisation(), " (",
                        EnumLabel(initiative.lead_organisation_type()), ")"))
      .Add("partners", absl::StrJoin(initiative.partners(), "\n"))
      .Add("countries", absl::StrJoin(initiative.countries(), ", "))
      .Add("regions", RegionsText(initiative))
      .Add("SDG goals", Numbers(initiative.sdg_goals()))
      .Add("SDG indicators", absl::StrJoin(initiative.sdg_indicators(), ", "))
      .Add("participation", EnumLabel(initiative.participation_level()))
      .Add("data topics", absl::StrJoin(initiative.data_topics(), ", "))
      .Add("status", EnumLabel(initiative.status()))
      .Add("links", absl::StrJoin(initiative.links(), "\n"))
      .Add("review", ReviewText(initiative))
      .Add("review note", initiative.review_note())
      .Add("submitted by", initiative.submitted_by())
      .Add("created", FormatTime(initiative.create_time()))
      .Add("updated", FormatTime(initiative.update_time()))
      .Add("etag", initiative.etag())
      .Add("description", initiative.description())
      .Format();
}

std::string InitiativeListText(const v1::ListInitiativesResponse& response) {
  if (response.initiatives().empty()) return "no initiatives\n";
  Table table(
      {"ID", "REVIEW", "STATUS", "LEVEL", "COUNTRIES", "LEAD", "DISPLAY NAME"});
  for (const v1::Initiative& initiative : response.initiatives()) {
    table.AddRow({std::string(ResourceId(initiative.name())),
                  EnumLabel(initiative.review_state()),
                  EnumLabel(initiative.status()),
                  EnumLabel(initiative.participation_level()),
                  absl::StrJoin(initiative.countries(), ","),
                  Excerpt(initiative.lead_organisation(), kTitleExcerptWidth),
                  Excerpt(initiative.display_name(), kTitleExcerptWidth)});
  }
  return table.Format();
}

std::string CountsText(const v1::CountInitiativesByCountryResponse& response) {
  Table table({"COUNTRY", "INITIATIVES"});
  for (const auto& count : response.counts()) {
    table.AddRow({count.country(), absl::StrCat(count.count())});
  }
  return absl::StrCat(
      table.Format(), "\n",
      Fields()
          .Add("initiatives", absl::StrCat(response.initiative_count()))
          .Add("countries", absl::StrCat(response.counts_size()))
          .Format());
}

// --- Arguments ------------------------------------------------------------

// An enum flag: unspecified when not given, else as ParseEnum reads it.
template <typename Enum>
absl::StatusOr<Enum> EnumFlag(absl::string_view flag,
                              const absl::Flag<std::string>& value) {
  const std::string text = absl::GetFlag(value);
  if (text.empty()) return static_cast<Enum>(0);
  return ParseEnum<Enum>(flag, text);
}

// --sdg_goal: 0 (any) or a goal; the server checks the range.
absl::StatusOr<int> SdgGoalFlag() {
  const int goal = absl::GetFlag(FLAGS_sdg_goal);
  if (goal < 0) return UsageError("--sdg_goal must be 1 to 17");
  return goal;
}

// --sdg_goals as numbers; the server checks the range.
absl::StatusOr<std::vector<int>> SdgGoals() {
  std::vector<int> goals;
  for (const std::string& text : absl::GetFlag(FLAGS_sdg_goals)) {
    int goal = 0;
    if (!absl::SimpleAtoi(text, &goal)) {
      return UsageError(absl::StrCat("--sdg_goals: \"", text,
                                     "\" is not a number; give goals 1 to 17, "
                                     "e.g. 5,16"));
    }
    goals.push_back(goal);
  }
  return goals;
}

// Replaces a repeated string field with a list flag's items.
void SetList(google::protobuf::RepeatedPtrField<std::string>* field,
             const std::vector<std::string>& items) {
  field->Clear();
  for (const std::string& item : items) *field->Add() = item;
}

// --countries in upper case, as ISO 3166-1 alpha-3 codes are written.
std::vector<std::string> Countries() {
  std::vector<std::string> countries = absl::GetFlag(FLAGS_countries);
  for (std::string& country : countries) absl::AsciiStrToUpper(&country);
  return countries;
}

// Every Resource field the flags give; an update sends only the masked
// ones.
absl::Status FillResource(v1::Resource* resource) {
  resource->set_title(absl::GetFlag(FLAGS_title));
  resource->set_summary(absl::GetFlag(FLAGS_summary));
  resource->set_link(absl::GetFlag(FLAGS_link));
  CDC_ASSIGN_OR_RETURN(v1::Resource::Type type,
                       EnumFlag<v1::Resource::Type>("type", FLAGS_type));
  resource->set_type(type);
  SetList(resource->mutable_countries(), Countries());
  SetList(resource->mutable_languages(), absl::GetFlag(FLAGS_languages));
  CDC_ASSIGN_OR_RETURN(std::vector<int> goals, SdgGoals());
  resource->mutable_sdg_goals()->Assign(goals.begin(), goals.end());
  SetList(resource->mutable_tags(), absl::GetFlag(FLAGS_tags));
  return absl::OkStatus();
}

// Every Initiative field the flags give, as FillResource.
absl::Status FillInitiative(v1::Initiative* initiative) {
  initiative->set_display_name(absl::GetFlag(FLAGS_name));
  initiative->set_description(absl::GetFlag(FLAGS_description));
  initiative->set_lead_organisation(absl::GetFlag(FLAGS_lead_organisation));
  CDC_ASSIGN_OR_RETURN(v1::OrganisationType type,
                       EnumFlag<v1::OrganisationType>("organisation_type",
                                                      FLAGS_organisation_type));
  initiative->set_lead_organisation_type(type);
  SetList(initiative->mutable_partners(), absl::GetFlag(FLAGS_partners));
  SetList(initiative->mutable_countries(), Countries());
  CDC_ASSIGN_OR_RETURN(std::vector<int> goals, SdgGoals());
  initiative->mutable_sdg_goals()->Assign(goals.begin(), goals.end());
  SetList(initiative->mutable_sdg_indicators(),
          absl::GetFlag(FLAGS_sdg_indicators));
  CDC_ASSIGN_OR_RETURN(v1::ParticipationLevel level,
                       EnumFlag<v1::ParticipationLevel>("level", FLAGS_level));
  initiative->set_participation_level(level);
  SetList(initiative->mutable_data_topics(), absl::GetFlag(FLAGS_data_topics));
  CDC_ASSIGN_OR_RETURN(
      v1::Initiative::Status status,
      EnumFlag<v1::Initiative::Status>("status", FLAGS_status));
  initiative->set_status(status);
  SetList(initiative->mutable_links(), absl::GetFlag(FLAGS_links));
  return absl::OkStatus();
}

// The filter flags of initiative list, counts and export.
absl::StatusOr<v1::InitiativeFilter> InitiativeFilterFlags() {
  v1::InitiativeFilter filter;
  filter.set_country(absl::AsciiStrToUpper(absl::GetFlag(FLAGS_country)));
  CDC_ASSIGN_OR_RETURN(
      v1::Initiative::Region region,
      EnumFlag<v1::Initiative::Region>("region", FLAGS_region));
  filter.set_region(region);
  CDC_ASSIGN_OR_RETURN(v1::OrganisationType type,
                       EnumFlag<v1::OrganisationType>("organisation_type",
                                                      FLAGS_organisation_type));
  filter.set_lead_organisation_type(type);
  CDC_ASSIGN_OR_RETURN(v1::ParticipationLevel level,
                       EnumFlag<v1::ParticipationLevel>("level", FLAGS_level));
  filter.set_participation_level(level);
  CDC_ASSIGN_OR_RETURN(int goal, SdgGoalFlag());
  filter.set_sdg_goal(goal);
  CDC_ASSIGN_OR_RETURN(
      v1::Initiative::Status status,
      EnumFlag<v1::Initiative::Status>("status", FLAGS_status));
  filter.set_status(status);
  CDC_ASSIGN_OR_RETURN(v1::Initiative::ReviewState review_state,
                       EnumFlag<v1::Initiative::ReviewState>(
                           "review_state", FLAGS_review_state));
  filter.set_review_state(review_state);
  CDC_ASSIGN_OR_RETURN(
      *filter.mutable_submitted_by(),
      OptionalName("members", absl::GetFlag(FLAGS_submitted_by)));
  return filter;
}

// --- Resources
// ----------------------------------------------------------------

absl::Status ResourceCreate(Cli& cli, const Operands&) {
  CDC_RETURN_IF_ERROR(RequireFlags({{"title", absl::GetFlag(FLAGS_title)},
                                    {"link", absl::GetFlag(FLAGS_link)},
                                    {"type", absl::GetFlag(FLAGS_type)}}));
  v1::CreateResourceRequest request;
  CDC_RETURN_IF_ERROR(FillResource(request.mutable_resource()));
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  return cli.CallAndPrint(&Stub::CreateResource, request, ResourceText);
}

absl::Status ResourceGet(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::GetResourceRequest>(
                                         "resources", operands[0]));
  return cli.CallAndPrint(&Stub::GetResource, request, ResourceText);
}

absl::Status ResourceList(Cli& cli, const Operands&) {
  v1::ListResourcesRequest request;
  CDC_ASSIGN_OR_RETURN(v1::Resource::Type type,
                       EnumFlag<v1::Resource::Type>("type", FLAGS_type));
  request.set_type(type);
  request.set_country(absl::AsciiStrToUpper(absl::GetFlag(FLAGS_country)));
  request.set_language(absl::GetFlag(FLAGS_language));
  CDC_ASSIGN_OR_RETURN(int goal, SdgGoalFlag());
  request.set_sdg_goal(goal);
  request.set_tag(absl::GetFlag(FLAGS_tag));
  CDC_ASSIGN_OR_RETURN(*request.mutable_shared_by(),
                       OptionalName("members", absl::GetFlag(FLAGS_shared_by)));
  CDC_ASSIGN_OR_RETURN(
      v1::ListResourcesRequest::Order order,
      EnumFlag<v1::ListResourcesRequest::Order>("order", FLAGS_order));
  request.set_order_by(order);
  return cli.ListAndPrint(&Stub::ListResources, request, ResourceListText);
}

absl::Status ResourceUpdate(Cli& cli, const Operands& operands) {
  v1::UpdateResourceRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_update_mask(),
                       cli.UpdateMask({{"title", "title"},
                                       {"summary", "summary"},
                                       {"link", "link"},
                                       {"type", "type"},
                                       {"countries", "countries"},
                                       {"languages", "languages"},
                                       {"sdg_goals", "sdg_goals"},
                                       {"tags", "tags"}}));
  v1::Resource& resource = *request.mutable_resource();
  CDC_ASSIGN_OR_RETURN(*resource.mutable_name(),
                       ResourceName("resources", operands[0]));
  CDC_RETURN_IF_ERROR(FillResource(&resource));
  resource.set_etag(absl::GetFlag(FLAGS_etag));
  return cli.CallAndPrint(&Stub::UpdateResource, request, ResourceText);
}

absl::Status ResourceDelete(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::DeleteResourceRequest>(
                                         "resources", operands[0]));
  request.set_etag(absl::GetFlag(FLAGS_etag));
  return cli.CallAndSay(&Stub::DeleteResource, request,
                        absl::StrCat("deleted ", request.name()));
}

absl::Status ResourceEndorse(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::EndorseResourceRequest>(
                                         "resources", operands[0]));
  return cli.CallAndPrint(&Stub::EndorseResource, request, ResourceText);
}

absl::Status ResourceUnendorse(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::UnendorseResourceRequest>(
                                         "resources", operands[0]));
  return cli.CallAndPrint(&Stub::UnendorseResource, request, ResourceText);
}

// --- Initiatives
// --------------------------------------------------------------

absl::Status InitiativeCreate(Cli& cli, const Operands&) {
  CDC_RETURN_IF_ERROR(RequireFlags(
      {{"name", absl::GetFlag(FLAGS_name)},
       {"lead_organisation", absl::GetFlag(FLAGS_lead_organisation)},
       {"organisation_type", absl::GetFlag(FLAGS_organisation_type)},
       {"countries", absl::StrJoin(absl::GetFlag(FLAGS_countries), ",")},
       {"level", absl::GetFlag(FLAGS_level)},
       {"status", absl::GetFlag(FLAGS_status)}}));
  v1::CreateInitiativeRequest request;
  CDC_RETURN_IF_ERROR(FillInitiative(request.mutable_initiative()));
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  return cli.CallAndPrint(&Stub::CreateInitiative, request, InitiativeText);
}

absl::Status InitiativeGet(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::GetInitiativeRequest>(
                                         "initiatives", operands[0]));
  return cli.CallAndPrint(&Stub::GetInitiative, request, InitiativeText);
}

absl::Status InitiativeList(Cli& cli, const Operands&) {
  v1::ListInitiativesRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_filter(), InitiativeFilterFlags());
  return cli.ListAndPrint(&Stub::ListInitiatives, request, InitiativeListText);
}

absl::Status InitiativeUpdate(Cli& cli, const Operands& operands) {
  v1::UpdateInitiativeRequest request;
  CDC_ASSIGN_OR_RETURN(
      *request.mutable_update_mask(),
      cli.UpdateMask({{"name", "display_name"},
                      {"description", "description"},
                      {"lead_organisation", "lead_organisation"},
                      {"organisation_type", "lead_organisation_type"},
                      {"partners", "partners"},
                      {"countries", "countries"},
                      {"sdg_goals", "sdg_goals"},
                      {"sdg_indicators", "sdg_indicators"},
                      {"level", "participation_level"},
                      {"data_topics", "data_topics"},
                      {"status", "status"},
                      {"links", "links"}}));
  v1::Initiative& initiative = *request.mutable_initiative();
  CDC_RETURN_IF_ERROR(FillInitiative(&initiative));
  CDC_ASSIGN_OR_RETURN(*initiative.mutable_name(),
                       ResourceName("initiatives", operands[0]));
  initiative.set_etag(absl::GetFlag(FLAGS_etag));
  return cli.CallAndPrint(&Stub::UpdateInitiative, request, InitiativeText);
}

absl::Status InitiativeApprove(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::ApproveInitiativeRequest>(
                                         "initiatives", operands[0]));
  request.set_note(absl::GetFlag(FLAGS_note));
  request.set_etag(absl::GetFlag(FLAGS_etag));
  return cli.CallAndPrint(&Stub::ApproveInitiative, request, InitiativeText);
}

absl::Status InitiativeReturn(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::ReturnInitiativeRequest>(
                                         "initiatives", operands[0]));
  CDC_RETURN_IF_ERROR(RequireFlag("note", absl::GetFlag(FLAGS_note)));
  request.set_note(absl::GetFlag(FLAGS_note));
  request.set_etag(absl::GetFlag(FLAGS_etag));
  return cli.CallAndPrint(&Stub::ReturnInitiative, request, InitiativeText);
}

absl::Status InitiativeCounts(Cli& cli, const Operands&) {
  v1::CountInitiativesByCountryRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_filter(), InitiativeFilterFlags());
  return cli.CallAndPrint(&Stub::CountInitiativesByCountry, request,
                          CountsText);
}

absl::Status InitiativeExport(Cli& cli, const Operands&) {
  v1::ExportInitiativesRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_filter(), InitiativeFilterFlags());
  CDC_ASSIGN_OR_RETURN(ExportFormat format,
                       ParseExportFormat(absl::GetFlag(FLAGS_format)));
  return WriteExport(absl::GetFlag(FLAGS_output), InitiativeHeader(format),
                     [&](auto write) {
                       return cli.CallStream(
                           &Stub::ExportInitiatives, request,
                           [&](const v1::Initiative& initiative) {
                             return write(InitiativeLine(format, initiative));
                           });
                     });
}

// The filter flags' part of a usage line (counts: all but --country).
constexpr absl::string_view kCountFilterFlags =
    "[--region R] [--organisation_type T] [--level L] [--sdg_goal N] "
    "[--status planned|active|completed] "
    "[--review_state submitted|approved|returned] [--submitted_by MEMBER]";

// The optional fields' part of initiative create's and update's usage
// lines.
constexpr absl::string_view kFieldFlags =
    "[--description D] [--partners P1,P2] [--sdg_goals 5,16] "
    "[--sdg_indicators 5.2.1] [--data_topics T1,T2] [--links URL1,URL2]";

}  // namespace

std::vector<Command> LibraryCommands() {
  // Usage lines made of the parts above, made once: commands keep views.
  static const auto* const kCreateFlags = new std::string(absl::StrCat(
      "--name N --lead_organisation O --organisation_type T --countries "
      "KEN,UGA --level informing|consulting|engaging|driving --status "
      "planned|active|completed ",
      kFieldFlags, " [--request_id R]"));
  static const auto* const kUpdateFlags = new std::string(
      absl::StrCat("[--name N] [--lead_organisation O] [--organisation_type T] "
                   "[--countries C1,C2] [--level L] [--status S] ",
                   kFieldFlags, " [--etag E]"));
  static const auto* const kFilterFlags =
      new std::string(absl::StrCat("[--country KEN] ", kCountFilterFlags));
  static const auto* const kExportFlags = new std::string(
      absl::StrCat(*kFilterFlags, " [--format csv|jsonl] [--output FILE|-]"));
  return {
      {"resource create",
       {},
       "--title T --link URL --type "
       "guideline|toolkit|case-study|dataset|training|other [--summary S] "
       "[--countries KEN,UGA] [--languages en,fr] [--sdg_goals 5,16] "
       "[--tags a,b] [--request_id R]",
       "shares a resource in the library",
       ResourceCreate},
      {"resource get", {"RESOURCE"}, "", "shows a resource", ResourceGet},
      {"resource list",
       {},
       "[--type T] [--country KEN] [--language L] [--sdg_goal N] [--tag T] "
       "[--shared_by MEMBER] [--order newest|most-endorsed]",
       "lists the library; given together, every filter must hold",
       ResourceList},
      {"resource update",
       {"RESOURCE"},
       "[--title T] [--summary S] [--link URL] [--type T] [--countries C1,C2] "
       "[--languages L1,L2] [--sdg_goals 5,16] [--tags a,b] [--etag E]",
       "changes the fields given (whoever shared it, secretariat)",
       ResourceUpdate},
      {"resource delete",
       {"RESOURCE"},
       "[--etag E]",
       "removes a resource from the library (whoever shared it, secretariat)",
       ResourceDelete},
      {"resource endorse",
       {"RESOURCE"},
       "",
       "endorses a resource someone else shared (once)",
       ResourceEndorse},
      {"resource unendorse",
       {"RESOURCE"},
       "",
       "takes your endorsement back",
       ResourceUnendorse},
      {"initiative create",
       {},
       *kCreateFlags,
       "registers a citizen-data initiative for the map; the secretariat "
       "reviews it",
       InitiativeCreate},
      {"initiative get",
       {"INITIATIVE"},
       "",
       "shows an initiative",
       InitiativeGet},
      {"initiative list",
       {},
       *kFilterFlags,
       "lists initiatives by name (approved ones unless --review_state)",
       InitiativeList},
      {"initiative update",
       {"INITIATIVE"},
       *kUpdateFlags,
       "changes the fields given; the submitter's edit sends it back to "
       "review",
       InitiativeUpdate},
      {"initiative approve",
       {"INITIATIVE"},
       "[--note N] [--etag E]",
       "approves a submitted initiative: it appears on the map (secretariat)",
       InitiativeApprove},
      {"initiative return",
       {"INITIATIVE"},
       "--note N [--etag E]",
       "returns an initiative to its submitter with what to change "
       "(secretariat)",
       InitiativeReturn},
      {"initiative counts",
       {},
       kCountFilterFlags,
       "counts initiatives per country",
       InitiativeCounts},
      {"initiative export",
       {},
       *kExportFlags,
       "writes the initiatives as CSV or JSON Lines",
       InitiativeExport},
  };
}

}  // namespace cdc::cli
