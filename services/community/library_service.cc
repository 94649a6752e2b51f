// CommunityService's handlers for the resource library and the initiative
// map: authenticate, authorize, validate, call LibraryStore, map the
// status. Who may do what is in community.proto; the checks that depend on
// the stored record (owner, submitter, review state, etag) run inside the
// store's compare-and-set, on the record the write replaces.
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cdc/v1/events.pb.h"
#include "services/common/auth.h"
#include "services/common/clock.h"
#include "services/common/crypto.h"
#include "services/common/handler.h"
#include "services/common/page_token.h"
#include "services/common/status_macros.h"
#include "services/common/validation.h"
#include "services/community/community_service.h"
#include "services/community/fields.h"
#include "services/community/library_store.h"
#include "services/community/regions.h"

namespace cdc::community {
namespace {

constexpr size_t kMaxTitle = 200;
constexpr size_t kMaxSummary = 2000;
constexpr int kMaxResourceCountries = 50;
constexpr int kMaxLanguages = 20;
constexpr int kMaxGoals = 17;
constexpr size_t kMaxDisplayName = 200;
constexpr size_t kMaxDescription = 5000;
constexpr size_t kMaxOrganisation = 200;
constexpr int kMaxPartners = 50;
constexpr int kMaxInitiativeCountries = 60;
constexpr int kMaxIndicators = 50;
constexpr int kMaxDataTopics = 20;
constexpr size_t kMaxDataTopic = 64;
constexpr int kMaxLinks = 10;
constexpr size_t kMaxNote = 2000;
// Count and export read the whole filtered map in pages of this size.
constexpr int kBulkPage = 500;

// Store errors carry the collection's word; the caller hears the name.
absl::Status Explain(const absl::Status& status, absl::string_view name) {
  if (absl::IsNotFound(status)) return NotFound(name);
  if (absl::IsAborted(status) && status.message() == "concurrent change") {
    return absl::AbortedError(absl::StrCat(
        name, " kept changing while this change was written; retry"));
  }
  return status;
}

absl::Status CheckCountries(
    absl::string_view field,
    const google::protobuf::RepeatedPtrField<std::string>& countries, int min,
    int max) {
  CDC_RETURN_IF_ERROR(
      CheckCount(field, countries.size(), min, max, "countries"));
  std::set<std::string> seen;
  for (int i = 0; i < countries.size(); ++i) {
    CDC_RETURN_IF_ERROR(CheckCountry(Indexed(field, i), countries[i]));
    CDC_RETURN_IF_ERROR(CheckDistinct(field, i, countries[i], &seen));
  }
  return absl::OkStatus();
}

absl::Status CheckGoal(absl::string_view field, int goal) {
  if (goal < 1 || goal > kMaxGoals) {
    return Invalid(field, absl::StrCat("must be an SDG goal from 1 to ",
                                       kMaxGoals, " (got ", goal, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckGoals(absl::string_view field,
                        const google::protobuf::RepeatedField<int32_t>& goals) {
  CDC_RETURN_IF_ERROR(CheckCount(field, goals.size(), 0, kMaxGoals, "goals"));
  std::set<std::string> seen;
  for (int i = 0; i < goals.size(); ++i) {
    CDC_RETURN_IF_ERROR(CheckGoal(Indexed(field, i), goals[i]));
    CDC_RETURN_IF_ERROR(CheckDistinct(field, i, absl::StrCat(goals[i]), &seen));
  }
  return absl::OkStatus();
}

absl::Status CheckLanguages(
    absl::string_view field,
    const google::protobuf::RepeatedPtrField<std::string>& languages) {
  CDC_RETURN_IF_ERROR(
      CheckCount(field, languages.size(), 0, kMaxLanguages, "languages"));
  std::set<std::string> seen;
  for (int i = 0; i < languages.size(); ++i) {
    CDC_RETURN_IF_ERROR(CheckLanguageTag(Indexed(field, i), languages[i]));
    CDC_RETURN_IF_ERROR(
        CheckDistinct(field, i, absl::AsciiStrToLower(languages[i]), &seen));
  }
  return absl::OkStatus();
}

// Texts of a list: each min..max characters, distinct when asked.
absl::Status CheckTexts(
    absl::string_view field,
    const google::protobuf::RepeatedPtrField<std::string>& texts, int max_count,
    size_t max_length, bool distinct, absl::string_view what) {
  CDC_RETURN_IF_ERROR(CheckCount(field, texts.size(), 0, max_count, what));
  std::set<std::string> seen;
  for (int i = 0; i < texts.size(); ++i) {
    CDC_RETURN_IF_ERROR(CheckText(Indexed(field, i), texts[i], 1, max_length));
    if (distinct) CDC_RETURN_IF_ERROR(CheckDistinct(field, i, texts[i], &seen));
  }
  return absl::OkStatus();
}

// A required enum: set, and a value this version knows.
template <typename IsValid>
absl::Status CheckRequiredEnum(absl::string_view field, int value,
                               IsValid is_valid, absl::string_view choices) {
  if (value == 0) {
    return Invalid(field, absl::StrCat("is required (", choices, ")"));
  }
  if (!is_valid(value)) {
    return Invalid(field,
                   absl::StrCat("has no value ", value, " (", choices, ")"));
  }
  return absl::OkStatus();
}

// An optional enum filter: unspecified, or a known value.
template <typename IsValid>
absl::Status CheckEnumFilter(absl::string_view field, int value,
                             IsValid is_valid) {
  if (!is_valid(value)) {
    return Invalid(field, absl::StrCat("has no value ", value));
  }
  return absl::OkStatus();
}

constexpr absl::string_view kResourceTypes =
    "GUIDELINE, TOOLKIT, CASE_STUDY, DATASET, TRAINING or OTHER";
constexpr absl::string_view kOrganisationTypes =
    "an ORGANISATION_TYPE_ value such as ORGANISATION_TYPE_CIVIL_SOCIETY";
constexpr absl::string_view kLevels =
    "PARTICIPATION_LEVEL_INFORMING, _CONSULTING, _ENGAGING or _DRIVING";
constexpr absl::string_view kStatuses = "PLANNED, ACTIVE or COMPLETED";

// Checks a resource's writable fields and lower-cases its tags.
absl::Status NormaliseResource(v1::Resource* r) {
  CDC_RETURN_IF_ERROR(CheckText("resource.title", r->title(), 1, kMaxTitle));
  CDC_RETURN_IF_ERROR(CheckText("resource.summary", r->summary(), 0,
                                kMaxSummary, TextKind::kMultiLine));
  CDC_RETURN_IF_ERROR(CheckHttpUrl("resource.link", r->link()));
  CDC_RETURN_IF_ERROR(CheckRequiredEnum(
      "resource.type", r->type(), v1::Resource::Type_IsValid, kResourceTypes));
  CDC_RETURN_IF_ERROR(CheckCountries("resource.countries", r->countries(), 0,
                                     kMaxResourceCountries));
  CDC_RETURN_IF_ERROR(CheckLanguages("resource.languages", r->languages()));
  CDC_RETURN_IF_ERROR(CheckGoals("resource.sdg_goals", r->sdg_goals()));
  return NormaliseTags("resource.tags", r->mutable_tags());
}

// "goal.target.indicator": goal 1..17, target 1..19 or a..j, indicator
// 1..9, in canonical form (no leading zeros). Returns the goal, or 0.
int IndicatorGoal(absl::string_view code) {
  std::vector<absl::string_view> parts = absl::StrSplit(code, '.');
  if (parts.size() != 3) return 0;
  const auto number = [](absl::string_view s, int max) {
    if (s.empty() || s.size() > 2 || s[0] == '0') return 0;
    int n = 0;
    for (char c : s) {
      if (!absl::ascii_isdigit(c)) return 0;
      n = n * 10 + (c - '0');
    }
    return n <= max ? n : 0;
  };
  const int goal = number(parts[0], kMaxGoals);
  const bool target =
      number(parts[1], 19) > 0 ||
      (parts[1].size() == 1 && parts[1][0] >= 'a' && parts[1][0] <= 'j');
  const bool indicator = parts[2].size() == 1 && number(parts[2], 9) > 0;
  return goal > 0 && target && indicator ? goal : 0;
}

absl::Status CheckIndicators(const v1::Initiative& i) {
  constexpr absl::string_view kField = "initiative.sdg_indicators";
  CDC_RETURN_IF_ERROR(CheckCount(kField, i.sdg_indicators_size(), 0,
                                 kMaxIndicators, "indicators"));
  const std::set<int> goals(i.sdg_goals().begin(), i.sdg_goals().end());
  std::set<std::string> seen;
  for (int k = 0; k < i.sdg_indicators_size(); ++k) {
    const std::string& code = i.sdg_indicators(k);
    const int goal = IndicatorGoal(code);
    if (goal == 0) {
      return Invalid(
          Indexed(kField, k),
          absl::StrCat("must be an SDG indicator code goal.target.indicator "
                       "like 5.2.1, 17.18.1 or 6.a.1 (got \"",
                       absl::CHexEscape(code.substr(0, 40)), "\")"));
    }
    if (goals.count(goal) == 0) {
      return Invalid(Indexed(kField, k),
                     absl::StrCat(code, " belongs to goal ", goal,
                                  ", which is not in initiative.sdg_goals"));
    }
    CDC_RETURN_IF_ERROR(CheckDistinct(kField, k, code, &seen));
  }
  return absl::OkStatus();
}

// Checks an initiative's writable fields and derives its regions.
absl::Status NormaliseInitiative(v1::Initiative* i) {
  CDC_RETURN_IF_ERROR(CheckText("initiative.display_name", i->display_name(), 1,
                                kMaxDisplayName));
  CDC_RETURN_IF_ERROR(CheckText("initiative.description", i->description(), 0,
                                kMaxDescription, TextKind::kMultiLine));
  CDC_RETURN_IF_ERROR(CheckText("initiative.lead_organisation",
                                i->lead_organisation(), 1, kMaxOrganisation));
  CDC_RETURN_IF_ERROR(CheckRequiredEnum(
      "initiative.lead_organisation_type", i->lead_organisation_type(),
      v1::OrganisationType_IsValid, kOrganisationTypes));
  CDC_RETURN_IF_ERROR(CheckTexts("initiative.partners", i->partners(),
                                 kMaxPartners, kMaxOrganisation, false,
                                 "partners"));
  CDC_RETURN_IF_ERROR(CheckCountries("initiative.countries", i->countries(), 1,
                                     kMaxInitiativeCountries));
  CDC_RETURN_IF_ERROR(CheckGoals("initiative.sdg_goals", i->sdg_goals()));
  CDC_RETURN_IF_ERROR(CheckIndicators(*i));
  CDC_RETURN_IF_ERROR(CheckRequiredEnum(
      "initiative.participation_level", i->participation_level(),
      v1::ParticipationLevel_IsValid, kLevels));
  CDC_RETURN_IF_ERROR(CheckTexts("initiative.data_topics", i->data_topics(),
                                 kMaxDataTopics, kMaxDataTopic, true,
                                 "data topics"));
  CDC_RETURN_IF_ERROR(CheckRequiredEnum("initiative.status", i->status(),
                                        v1::Initiative::Status_IsValid,
                                        kStatuses));
  CDC_RETURN_IF_ERROR(
      CheckCount("initiative.links", i->links_size(), 0, kMaxLinks, "links"));
  for (int k = 0; k < i->links_size(); ++k) {
    CDC_RETURN_IF_ERROR(
        CheckHttpUrl(Indexed("initiative.links", k), i->links(k)));
  }
  std::set<int> regions;
  for (const std::string& country : i->countries()) {
    const v1::Initiative::Region region = RegionOfCountry(country);
    if (region != v1::Initiative::REGION_UNSPECIFIED) regions.insert(region);
  }
  i->clear_regions();
  for (int region : regions) {
    i->add_regions(static_cast<v1::Initiative::Region>(region));
  }
  return absl::OkStatus();
}

// Copies the writable fields named by `paths` (all when empty is not
// allowed: the caller passes the mask's paths). INVALID_ARGUMENT for an
// unknown path.
absl::Status CopyResourcePaths(const std::vector<std::string>& paths,
                               const v1::Resource& from, v1::Resource* to) {
  for (const std::string& path : paths) {
    if (path == "title") {
      to->set_title(from.title());
    } else if (path == "summary") {
      to->set_summary(from.summary());
    } else if (path == "link") {
      to->set_link(from.link());
    } else if (path == "type") {
      to->set_type(from.type());
    } else if (path == "countries") {
      *to->mutable_countries() = from.countries();
    } else if (path == "languages") {
      *to->mutable_languages() = from.languages();
    } else if (path == "sdg_goals") {
      *to->mutable_sdg_goals() = from.sdg_goals();
    } else if (path == "tags") {
      *to->mutable_tags() = from.tags();
    } else {
      return Invalid("update_mask",
                     absl::StrCat("has unknown path \"", absl::CHexEscape(path),
                                  "\"; the paths are title, summary, link, "
                                  "type, countries, languages, sdg_goals and "
                                  "tags"));
    }
  }
  return absl::OkStatus();
}

absl::Status CopyInitiativePaths(const std::vector<std::string>& paths,
                                 const v1::Initiative& from,
                                 v1::Initiative* to) {
  for (const std::string& path : paths) {
    if (path == "display_name") {
      to->set_display_name(from.display_name());
    } else if (path == "description") {
      to->set_description(from.description());
    } else if (path == "lead_organisation") {
      to->set_lead_organisation(from.lead_organisation());
    } else if (path == "lead_organisation_type") {
      to->set_lead_organisation_type(from.lead_organisation_type());
    } else if (path == "partners") {
      *to->mutable_partners() = from.partners();
    } else if (path == "countries") {
      *to->mutable_countries() = from.countries();
    } else if (path == "sdg_goals") {
      *to->mutable_sdg_goals() = from.sdg_goals();
    } else if (path == "sdg_indicators") {
      *to->mutable_sdg_indicators() = from.sdg_indicators();
    } else if (path == "participation_level") {
      to->set_participation_level(from.participation_level());
    } else if (path == "data_topics") {
      *to->mutable_data_topics() = from.data_topics();
    } else if (path == "status") {
      to->set_status(from.status());
    } else if (path == "links") {
      *to->mutable_links() = from.links();
    } else {
      return Invalid(
          "update_mask",
          absl::StrCat("has unknown path \"", absl::CHexEscape(path),
                       "\"; the paths are display_name, description, "
                       "lead_organisation, lead_organisation_type, partners, "
                       "countries, sdg_goals, sdg_indicators, "
                       "participation_level, data_topics, status and links"));
    }
  }
  return absl::OkStatus();
}

// The input fields of a new initiative: every field not output only.
v1::Initiative InitiativeInput(const v1::Initiative& in) {
  v1::Initiative out;
  CopyInitiativePaths({"display_name", "description", "lead_organisation",
                       "lead_organisation_type", "partners", "countries",
                       "sdg_goals", "sdg_indicators", "participation_level",
                       "data_topics", "status", "links"},
                      in, &out)
      .IgnoreError();  // every path is known
  return out;
}

// Anyone reads APPROVED initiatives; the others only their submitter and
// the secretariat.
bool MayRead(const v1::Principal& caller, const v1::Initiative& i) {
  return i.review_state() == v1::Initiative::APPROVED ||
         IsSecretariat(caller) || i.submitted_by() == caller.member();
}

absl::Status CheckFilter(const v1::InitiativeFilter& f) {
  if (!f.country().empty()) {
    CDC_RETURN_IF_ERROR(CheckCountry("filter.country", f.country()));
  }
  CDC_RETURN_IF_ERROR(CheckEnumFilter("filter.region", f.region(),
                                      v1::Initiative::Region_IsValid));
  CDC_RETURN_IF_ERROR(CheckEnumFilter("filter.lead_organisation_type",
                                      f.lead_organisation_type(),
                                      v1::OrganisationType_IsValid));
  CDC_RETURN_IF_ERROR(CheckEnumFilter("filter.participation_level",
                                      f.participation_level(),
                                      v1::ParticipationLevel_IsValid));
  if (f.sdg_goal() != 0) {
    CDC_RETURN_IF_ERROR(CheckGoal("filter.sdg_goal", f.sdg_goal()));
  }
  CDC_RETURN_IF_ERROR(CheckEnumFilter("filter.status", f.status(),
                                      v1::Initiative::Status_IsValid));
  CDC_RETURN_IF_ERROR(CheckEnumFilter("filter.review_state", f.review_state(),
                                      v1::Initiative::ReviewState_IsValid));
  if (!f.submitted_by().empty()) {
    CDC_RETURN_IF_ERROR(
        ParseResourceId("filter.submitted_by", f.submitted_by(), "members")
            .status());
  }
  return absl::OkStatus();
}

// The filter the store applies for `caller`: review state APPROVED when
// unspecified, and other states only the caller's own submissions unless
// they are the secretariat. nullopt when nothing can match (another
// member's unapproved initiatives).
std::optional<v1::InitiativeFilter> EffectiveFilter(const v1::Principal& caller,
                                                    v1::InitiativeFilter f) {
  if (f.review_state() == v1::Initiative::REVIEW_STATE_UNSPECIFIED) {
    f.set_review_state(v1::Initiative::APPROVED);
  }
  if (f.review_state() != v1::Initiative::APPROVED && !IsSecretariat(caller)) {
    if (f.submitted_by().empty()) f.set_submitted_by(caller.member());
    if (f.submitted_by() != caller.member()) return std::nullopt;
  }
  return f;
}

// What a page token is bound to.
std::string FilterKey(const v1::InitiativeFilter& f) {
  return absl::StrCat("initiatives|", f.country(), "|", f.region(), "|",
                      f.lead_organisation_type(), "|", f.participation_level(),
                      "|", f.sdg_goal(), "|", f.status(), "|", f.review_state(),
                      "|", f.submitted_by());
}

v1::Event NewEvent(const v1::Principal& caller, absl::Time now) {
  v1::Event event;
  *event.mutable_time() = ToProtoTime(now);
  event.set_actor(caller.member());
  event.set_actor_display_name(caller.display_name());
  return event;
}

}  // namespace

// ---- Resource library ----

grpc::Status CommunityService::CreateResource(
    grpc::ServerContext* context, const v1::CreateResourceRequest* request,
    v1::Resource* response) {
  return Handle("CreateResource", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireRole(
        caller, {v1::ROLE_MEMBER, v1::ROLE_PARTNER, v1::ROLE_SECRETARIAT}));
    CDC_RETURN_IF_ERROR(CheckRequestId("request_id", request->request_id()));
    const v1::Resource& in = request->resource();
    v1::Resource r;
    r.set_title(in.title());
    r.set_summary(in.summary());
    r.set_link(in.link());
    r.set_type(in.type());
    *r.mutable_countries() = in.countries();
    *r.mutable_languages() = in.languages();
    *r.mutable_sdg_goals() = in.sdg_goals();
    *r.mutable_tags() = in.tags();
    CDC_RETURN_IF_ERROR(NormaliseResource(&r));
    const absl::Time now = clock_.Now();
    r.set_name(absl::StrCat("resources/", RandomHex(16)));
    r.set_shared_by(caller.member());
    r.set_shared_by_display_name(caller.display_name());
    *r.mutable_create_time() = ToProtoTime(now);
    *r.mutable_update_time() = ToProtoTime(now);
    v1::Event event = NewEvent(caller, now);
    v1::ResourceShared* shared = event.mutable_resource_shared();
    shared->set_resource(r.name());
    shared->set_shared_by(r.shared_by());
    shared->set_type(r.type());
    CDC_ASSIGN_OR_RETURN(
        *response, library_->CreateResource(r, request->request_id(), event));
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::GetResource(
    grpc::ServerContext* context, const v1::GetResourceRequest* request,
    v1::Resource* response) {
  return Handle("GetResource", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_ASSIGN_OR_RETURN(std::string id,
                         ParseResourceId("name", request->name(), "resources"));
    absl::StatusOr<v1::Resource> found =
        library_->GetResource(id, caller.member());
    if (!found.ok()) return Explain(found.status(), request->name());
    *response = *std::move(found);
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::ListResources(
    grpc::ServerContext* context, const v1::ListResourcesRequest* request,
    v1::ListResourcesResponse* response) {
  return Handle("ListResources", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_ASSIGN_OR_RETURN(int page_size, CheckPageSize(request->page_size()));
    ResourceQuery query;
    CDC_RETURN_IF_ERROR(
        CheckEnumFilter("type", request->type(), v1::Resource::Type_IsValid));
    query.type = request->type();
    if (!request->country().empty()) {
      CDC_RETURN_IF_ERROR(CheckCountry("country", request->country()));
      query.country = request->country();
    }
    if (!request->language().empty()) {
      CDC_RETURN_IF_ERROR(CheckLanguageTag("language", request->language()));
      query.language = absl::AsciiStrToLower(request->language());
    }
    if (request->sdg_goal() != 0) {
      CDC_RETURN_IF_ERROR(CheckGoal("sdg_goal", request->sdg_goal()));
      query.sdg_goal = request->sdg_goal();
    }
    if (!request->tag().empty()) {
      query.tag = absl::AsciiStrToLower(request->tag());
      CDC_RETURN_IF_ERROR(CheckTag("tag", query.tag));
    }
    if (!request->shared_by().empty()) {
      CDC_RETURN_IF_ERROR(
          ParseResourceId("shared_by", request->shared_by(), "members")
              .status());
      query.shared_by = request->shared_by();
    }
    CDC_RETURN_IF_ERROR(
        CheckEnumFilter("order_by", request->order_by(),
                        v1::ListResourcesRequest::Order_IsValid));
    query.most_endorsed =
        request->order_by() == v1::ListResourcesRequest::MOST_ENDORSED;
    const std::string filters =
        absl::StrCat("resources|", query.type, "|", query.country, "|",
                     query.language, "|", query.sdg_goal, "|", query.tag, "|",
                     query.shared_by, "|", query.most_endorsed);
    std::string position;
    if (!request->page_token().empty()) {
      CDC_ASSIGN_OR_RETURN(position,
                           DecodePageToken(request->page_token(), filters));
    }
    CDC_ASSIGN_OR_RETURN(
        LibraryPage<v1::Resource> page,
        library_->ListResources(query, position, page_size, caller.member()));
    for (v1::Resource& r : page.items) {
      *response->add_resources() = std::move(r);
    }
    if (!page.next_position.empty()) {
      response->set_next_page_token(
          EncodePageToken(page.next_position, filters));
    }
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::UpdateResource(
    grpc::ServerContext* context, const v1::UpdateResourceRequest* request,
    v1::Resource* response) {
  return Handle("UpdateResource", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireRole(
        caller, {v1::ROLE_MEMBER, v1::ROLE_PARTNER, v1::ROLE_SECRETARIAT}));
    const v1::Resource& in = request->resource();
    CDC_ASSIGN_OR_RETURN(
        std::string id,
        ParseResourceId("resource.name", in.name(), "resources"));
    CDC_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                         DistinctPaths(request->update_mask()));
    v1::Resource probe;
    CDC_RETURN_IF_ERROR(CopyResourcePaths(paths, in, &probe));
    const absl::Time now = clock_.Now();
    absl::StatusOr<v1::Resource> updated = library_->UpdateResource(
        id,
        [&](const v1::Resource& current, v1::Resource* next) -> absl::Status {
          if (!IsSecretariat(caller) &&
              current.shared_by() != caller.member()) {
            return absl::PermissionDeniedError(
                absl::StrCat("only whoever shared ", in.name(),
                             " and the secretariat may change it"));
          }
          if (!in.etag().empty() && in.etag() != current.etag()) {
            return StaleEtag(in.name());
          }
          CDC_RETURN_IF_ERROR(CopyResourcePaths(paths, in, next));
          CDC_RETURN_IF_ERROR(NormaliseResource(next));
          *next->mutable_update_time() = ToProtoTime(now);
          return absl::OkStatus();
        },
        caller.member());
    if (!updated.ok()) return Explain(updated.status(), in.name());
    *response = *std::move(updated);
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::DeleteResource(
    grpc::ServerContext* context, const v1::DeleteResourceRequest* request,
    google::protobuf::Empty*) {
  return Handle("DeleteResource", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_ASSIGN_OR_RETURN(std::string id,
                         ParseResourceId("name", request->name(), "resources"));
    const absl::Status deleted = library_->DeleteResource(
        id, [&](const v1::Resource& current) -> absl::Status {
          if (!IsSecretariat(caller) &&
              current.shared_by() != caller.member()) {
            return absl::PermissionDeniedError(
                absl::StrCat("only whoever shared ", request->name(),
                             " and the secretariat may delete it"));
          }
          if (!request->etag().empty() && request->etag() != current.etag()) {
            return StaleEtag(request->name());
          }
          return absl::OkStatus();
        });
    return Explain(deleted, request->name());
  });
}

namespace {

absl::Status Endorsement(const v1::Principal& caller, absl::string_view name,
                         bool endorse, LibraryStore& library,
                         v1::Resource* response) {
  CDC_ASSIGN_OR_RETURN(std::string id,
                       ParseResourceId("name", name, "resources"));
  absl::StatusOr<v1::Resource> r =
      library.EndorseResource(id, caller.member(), endorse);
  if (absl::IsFailedPrecondition(r.status())) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, " is a resource you shared; endorse other members' resources"));
  }
  if (!r.ok()) return Explain(r.status(), name);
  *response = *std::move(r);
  return absl::OkStatus();
}

}  // namespace

grpc::Status CommunityService::EndorseResource(
    grpc::ServerContext* context, const v1::EndorseResourceRequest* request,
    v1::Resource* response) {
  return Handle("EndorseResource", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireRole(
        caller, {v1::ROLE_MEMBER, v1::ROLE_PARTNER, v1::ROLE_SECRETARIAT}));
    return Endorsement(caller, request->name(), true, *library_, response);
  });
}

grpc::Status CommunityService::UnendorseResource(
    grpc::ServerContext* context, const v1::UnendorseResourceRequest* request,
    v1::Resource* response) {
  return Handle("UnendorseResource", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    return Endorsement(caller, request->name(), false, *library_, response);
  });
}

// ---- Initiative map ----

grpc::Status CommunityService::CreateInitiative(
    grpc::ServerContext* context, const v1::CreateInitiativeRequest* request,
    v1::Initiative* response) {
  return Handle("CreateInitiative", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireRole(
        caller, {v1::ROLE_MEMBER, v1::ROLE_PARTNER, v1::ROLE_SECRETARIAT}));
    CDC_RETURN_IF_ERROR(CheckRequestId("request_id", request->request_id()));
    v1::Initiative i = InitiativeInput(request->initiative());
    CDC_RETURN_IF_ERROR(NormaliseInitiative(&i));
    const absl::Time now = clock_.Now();
    i.set_name(absl::StrCat("initiatives/", RandomHex(16)));
    i.set_review_state(v1::Initiative::SUBMITTED);
    i.set_submitted_by(caller.member());
    *i.mutable_create_time() = ToProtoTime(now);
    *i.mutable_update_time() = ToProtoTime(now);
    v1::Event event = NewEvent(caller, now);
    v1::InitiativeSubmitted* submitted = event.mutable_initiative_submitted();
    submitted->set_initiative(i.name());
    submitted->set_submitted_by(i.submitted_by());
    CDC_ASSIGN_OR_RETURN(
        *response, library_->CreateInitiative(i, request->request_id(), event));
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::GetInitiative(
    grpc::ServerContext* context, const v1::GetInitiativeRequest* request,
    v1::Initiative* response) {
  return Handle("GetInitiative", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_ASSIGN_OR_RETURN(
        std::string id,
        ParseResourceId("name", request->name(), "initiatives"));
    absl::StatusOr<v1::Initiative> found = library_->GetInitiative(id);
    if (!found.ok()) return Explain(found.status(), request->name());
    if (!MayRead(caller, *found)) return NotFound(request->name());
    *response = *std::move(found);
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::ListInitiatives(
    grpc::ServerContext* context, const v1::ListInitiativesRequest* request,
    v1::ListInitiativesResponse* response) {
  return Handle("ListInitiatives", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_ASSIGN_OR_RETURN(int page_size, CheckPageSize(request->page_size()));
    CDC_RETURN_IF_ERROR(CheckFilter(request->filter()));
    const std::optional<v1::InitiativeFilter> filter =
        EffectiveFilter(caller, request->filter());
    const std::string filters = FilterKey(request->filter());
    std::string position;
    if (!request->page_token().empty()) {
      CDC_ASSIGN_OR_RETURN(position,
                           DecodePageToken(request->page_token(), filters));
    }
    if (!filter.has_value()) return absl::OkStatus();
    CDC_ASSIGN_OR_RETURN(
        LibraryPage<v1::Initiative> page,
        library_->ListInitiatives(*filter, position, page_size));
    for (v1::Initiative& i : page.items) {
      *response->add_initiatives() = std::move(i);
    }
    if (!page.next_position.empty()) {
      response->set_next_page_token(
          EncodePageToken(page.next_position, filters));
    }
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::UpdateInitiative(
    grpc::ServerContext* context, const v1::UpdateInitiativeRequest* request,
    v1::Initiative* response) {
  return Handle("UpdateInitiative", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireRole(
        caller, {v1::ROLE_MEMBER, v1::ROLE_PARTNER, v1::ROLE_SECRETARIAT}));
    const v1::Initiative& in = request->initiative();
    CDC_ASSIGN_OR_RETURN(
        std::string id,
        ParseResourceId("initiative.name", in.name(), "initiatives"));
    CDC_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                         DistinctPaths(request->update_mask()));
    v1::Initiative probe;
    CDC_RETURN_IF_ERROR(CopyInitiativePaths(paths, in, &probe));
    const absl::Time now = clock_.Now();
    absl::StatusOr<v1::Initiative> updated = library_->UpdateInitiative(
        id,
        [&](const v1::Initiative& current, v1::Initiative* next,
            v1::Event* event) -> absl::Status {
          if (!MayRead(caller, current)) return NotFound(in.name());
          const bool secretariat = IsSecretariat(caller);
          if (!secretariat && current.submitted_by() != caller.member()) {
            return absl::PermissionDeniedError(
                absl::StrCat("only whoever submitted ", in.name(),
                             " and the secretariat may change it"));
          }
          if (!in.etag().empty() && in.etag() != current.etag()) {
            return StaleEtag(in.name());
          }
          CDC_RETURN_IF_ERROR(CopyInitiativePaths(paths, in, next));
          CDC_RETURN_IF_ERROR(NormaliseInitiative(next));
          *next->mutable_update_time() = ToProtoTime(now);
          // The submitter's edit goes back to review (and off the map); the
          // secretariat's keeps the review state.
          if (!secretariat) {
            next->set_review_state(v1::Initiative::SUBMITTED);
            if (current.review_state() != v1::Initiative::SUBMITTED) {
              *event = NewEvent(caller, now);
              v1::InitiativeSubmitted* submitted =
                  event->mutable_initiative_submitted();
              submitted->set_initiative(in.name());
              submitted->set_submitted_by(current.submitted_by());
              submitted->set_resubmission(true);
            }
          }
          return absl::OkStatus();
        });
    if (!updated.ok()) return Explain(updated.status(), in.name());
    *response = *std::move(updated);
    return absl::OkStatus();
  });
}

namespace {

// Approve and return differ in the states they leave and their event.
absl::Status Review(const v1::Principal& caller, absl::string_view name,
                    absl::string_view note, absl::string_view etag,
                    bool approve, absl::Time now, LibraryStore& library,
                    v1::Initiative* response) {
  CDC_RETURN_IF_ERROR(RequireRole(caller, {v1::ROLE_SECRETARIAT}));
  CDC_RETURN_IF_ERROR(
      CheckText("note", note, approve ? 0 : 1, kMaxNote, TextKind::kMultiLine));
  CDC_ASSIGN_OR_RETURN(std::string id,
                       ParseResourceId("name", name, "initiatives"));
  absl::StatusOr<v1::Initiative> reviewed = library.UpdateInitiative(
      id,
      [&](const v1::Initiative& current, v1::Initiative* next,
          v1::Event* event) -> absl::Status {
        if (!etag.empty() && etag != current.etag()) return StaleEtag(name);
        const v1::Initiative::ReviewState state = current.review_state();
        if (approve && state != v1::Initiative::SUBMITTED) {
          return absl::FailedPreconditionError(absl::StrCat(
              name, " is ", v1::Initiative::ReviewState_Name(state),
              "; only a SUBMITTED initiative can be approved"));
        }
        if (!approve && state == v1::Initiative::RETURNED) {
          return absl::FailedPreconditionError(
              absl::StrCat(name, " is already RETURNED"));
        }
        next->set_review_state(approve ? v1::Initiative::APPROVED
                                       : v1::Initiative::RETURNED);
        next->set_review_note(std::string(note));
        next->set_reviewed_by(caller.member());
        *next->mutable_update_time() = ToProtoTime(now);
        *event = NewEvent(caller, now);
        if (approve) {
          v1::InitiativeApproved* approved =
              event->mutable_initiative_approved();
          approved->set_initiative(current.name());
          approved->set_submitted_by(current.submitted_by());
        } else {
          v1::InitiativeReturned* returned =
              event->mutable_initiative_returned();
          returned->set_initiative(current.name());
          returned->set_submitted_by(current.submitted_by());
          returned->set_note(std::string(note));
        }
        return absl::OkStatus();
      });
  if (!reviewed.ok()) return Explain(reviewed.status(), name);
  *response = *std::move(reviewed);
  return absl::OkStatus();
}

// Every initiative matching the request's filter as `caller` may see it,
// page by page, in display-name order, handed to `each`.
absl::Status ForEachInitiative(
    LibraryStore& library, const v1::Principal& caller,
    const v1::InitiativeFilter& requested,
    const std::function<absl::Status(v1::Initiative)>& each) {
  CDC_RETURN_IF_ERROR(CheckFilter(requested));
  const std::optional<v1::InitiativeFilter> filter =
      EffectiveFilter(caller, requested);
  if (!filter.has_value()) return absl::OkStatus();
  std::string position;
  do {
    CDC_ASSIGN_OR_RETURN(LibraryPage<v1::Initiative> page,
                         library.ListInitiatives(*filter, position, kBulkPage));
    for (v1::Initiative& i : page.items) {
      CDC_RETURN_IF_ERROR(each(std::move(i)));
    }
    position = std::move(page.next_position);
  } while (!position.empty());
  return absl::OkStatus();
}

}  // namespace

grpc::Status CommunityService::ApproveInitiative(
    grpc::ServerContext* context, const v1::ApproveInitiativeRequest* request,
    v1::Initiative* response) {
  return Handle("ApproveInitiative", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    return Review(caller, request->name(), request->note(), request->etag(),
                  true, clock_.Now(), *library_, response);
  });
}

grpc::Status CommunityService::ReturnInitiative(
    grpc::ServerContext* context, const v1::ReturnInitiativeRequest* request,
    v1::Initiative* response) {
  return Handle("ReturnInitiative", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    return Review(caller, request->name(), request->note(), request->etag(),
                  false, clock_.Now(), *library_, response);
  });
}

grpc::Status CommunityService::CountInitiativesByCountry(
    grpc::ServerContext* context,
    const v1::CountInitiativesByCountryRequest* request,
    v1::CountInitiativesByCountryResponse* response) {
  return Handle("CountInitiativesByCountry", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    v1::InitiativeFilter filter = request->filter();
    filter.clear_country();  // counted per country instead
    std::map<std::string, int> counts;
    int initiatives = 0;
    CDC_RETURN_IF_ERROR(
        ForEachInitiative(*library_, caller, filter, [&](v1::Initiative i) {
          ++initiatives;
          for (const std::string& country : i.countries()) ++counts[country];
          return absl::OkStatus();
        }));
    for (const auto& [country, count] : counts) {
      v1::CountInitiativesByCountryResponse::CountryCount* c =
          response->add_counts();
      c->set_country(country);
      c->set_count(count);
    }
    response->set_initiative_count(initiatives);
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::ExportInitiatives(
    grpc::ServerContext* context, const v1::ExportInitiativesRequest* request,
    grpc::ServerWriter<v1::Initiative>* writer) {
  return Handle("ExportInitiatives", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    return ForEachInitiative(
        *library_, caller, request->filter(), [&](v1::Initiative i) {
          if (context->IsCancelled() || !writer->Write(i)) {
            return absl::CancelledError("the client went away");
          }
          return absl::OkStatus();
        });
  });
}

}  // namespace cdc::community
