#include "services/consultations/consultations_service.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/client_context.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/crypto.h"
#include "services/common/handler.h"
#include "services/common/page_token.h"
#include "services/common/status.h"
#include "services/common/status_macros.h"
#include "services/common/validation.h"
#include "services/consultations/line_diff.h"
#include "services/consultations/markdown.h"

namespace cdc::consultations {
namespace {

using google::protobuf::util::TimeUtil;
using State = v1::Consultation::State;
using Write = ConsultationsStore::Write;

constexpr size_t kMaxTitle = 200;
constexpr size_t kMaxDescription = 5000;
constexpr size_t kMaxSectionTitle = 200;
constexpr size_t kMaxSectionText = 100000;
constexpr int kMaxAudienceCountries = 250;
constexpr int kMaxWriteAttempts = 5;

int64_t Millis(absl::Time t) { return absl::ToUnixMillis(t); }
google::protobuf::Timestamp ToProto(int64_t ms) {
  return TimeUtil::MillisecondsToTimestamp(ms);
}
int64_t ToMillis(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMilliseconds(t);
}
std::string Num(int64_t n) { return absl::StrCat(n); }

// Within what google.protobuf.Timestamp allows (years 1..9999), so the
// millisecond arithmetic below cannot overflow.
bool IsValidTime(const google::protobuf::Timestamp& t) {
  return t.seconds() >= -62'135'596'800 && t.seconds() <= 253'402'300'799 &&
         t.nanos() >= 0 && t.nanos() <= 999'999'999;
}

std::string ConsultationName(absl::string_view id) {
  return absl::StrCat("consultations/", id);
}
std::string SectionName(absl::string_view id, absl::string_view key) {
  return absl::StrCat("consultations/", id, "/sections/", key);
}

// A round as stored in the consultation's hash ("r<n>.<field>").
struct RoundRecord {
  int number = 0;
  int draft_version = 0;
  int64_t opens_ms = 0;
  int64_t closes_ms = 0;
  bool closed_early = false;
  int64_t publish_ms = 0;  // 0: not published
};

std::string RoundField(int number, absl::string_view field) {
  return absl::StrCat("r", number, ".", field);
}

RoundRecord ReadRound(const RecordFields& fields, int number) {
  RoundRecord round;
  round.number = number;
  round.draft_version = IntField(fields, RoundField(number, "v"));
  round.opens_ms = IntField(fields, RoundField(number, "open"));
  round.closes_ms = IntField(fields, RoundField(number, "close"));
  round.closed_early = IntField(fields, RoundField(number, "early")) == 1;
  round.publish_ms = IntField(fields, RoundField(number, "pub"));
  return round;
}

int CurrentRound(const RecordFields& f) { return IntField(f, "current_round"); }
int LatestVersion(const RecordFields& f) {
  return IntField(f, "latest_version");
}
int CurrentVersion(const RecordFields& f) {
  return IntField(f, "current_version");
}

// The state as the clock sees it: an OPEN round whose closes_at has passed
// is CLOSED, whether or not anything has written that down yet.
State EffectiveState(const RecordFields& fields, absl::Time now) {
  const auto stored = static_cast<State>(IntField(fields, "state"));
  if (stored == v1::Consultation::OPEN &&
      Millis(now) >= ReadRound(fields, CurrentRound(fields)).closes_ms) {
    return v1::Consultation::CLOSED;
  }
  return stored;
}

// The newest draft version of a published round; 0 when none is.
int NewestPublishedVersion(const RecordFields& fields) {
  int version = 0;
  for (int n = 1; n <= CurrentRound(fields); ++n) {
    RoundRecord round = ReadRound(fields, n);
    if (round.publish_ms > 0) version = std::max(version, round.draft_version);
  }
  return version;
}

v1::Audience ReadAudience(const RecordFields& fields) {
  v1::Audience audience;
  for (absl::string_view type : absl::StrSplit(StringField(fields, "aud_types"),
                                               ',', absl::SkipEmpty())) {
    int value = 0;
    if (absl::SimpleAtoi(type, &value)) {
      audience.add_organisation_types(static_cast<v1::OrganisationType>(value));
    }
  }
  for (absl::string_view country : absl::StrSplit(
           StringField(fields, "aud_countries"), ',', absl::SkipEmpty())) {
    audience.add_countries(std::string(country));
  }
  return audience;
}

std::vector<std::pair<std::string, std::string>> AudienceFields(
    const v1::Audience& audience) {
  std::vector<std::string> types;
  for (int type : audience.organisation_types()) types.push_back(Num(type));
  return {{"aud_types", absl::StrJoin(types, ",")},
          {"aud_countries", absl::StrJoin(audience.countries(), ",")}};
}

v1::Consultation ToConsultation(const RecordFields& fields, absl::Time now) {
  v1::Consultation c;
  const std::string id = StringField(fields, "id");
  c.set_name(ConsultationName(id));
  c.set_title(StringField(fields, "title"));
  c.set_description(StringField(fields, "description"));
  c.set_state(EffectiveState(fields, now));
  *c.mutable_audience() = ReadAudience(fields);
  c.set_current_round(CurrentRound(fields));
  c.set_current_version(CurrentVersion(fields));
  c.set_latest_version(LatestVersion(fields));
  for (int n = 1; n <= c.current_round(); ++n) {
    const RoundRecord record = ReadRound(fields, n);
    v1::Round* round = c.add_rounds();
    round->set_number(n);
    round->set_draft_version(record.draft_version);
    *round->mutable_opens_at() = ToProto(record.opens_ms);
    *round->mutable_closes_at() = ToProto(record.closes_ms);
    round->set_closed_early(record.closed_early);
    if (record.publish_ms > 0) {
      *round->mutable_publish_time() = ToProto(record.publish_ms);
    }
  }
  if (c.current_round() > 0) {
    const v1::Round& current = c.rounds(c.current_round() - 1);
    *c.mutable_opens_at() = current.opens_at();
    *c.mutable_closes_at() = current.closes_at();
    const int64_t now_ms = Millis(now);
    c.set_accepting_comments(c.state() == v1::Consultation::OPEN &&
                             ToMillis(current.opens_at()) <= now_ms &&
                             now_ms < ToMillis(current.closes_at()));
  }
  c.set_created_by(StringField(fields, "created_by"));
  *c.mutable_create_time() = ToProto(IntField(fields, "create_ms"));
  *c.mutable_update_time() = ToProto(IntField(fields, "update_ms"));
  c.set_etag(StringField(fields, "version"));
  return c;
}

bool IsSecretariat(const v1::Principal& p) {
  return p.role() == v1::ROLE_SECRETARIAT;
}

// Whether `caller` may see the consultation at all (else NOT_FOUND).
bool MaySee(const v1::Principal& caller, const RecordFields& fields,
            absl::Time now) {
  if (IsSecretariat(caller)) return true;
  if (caller.role() == v1::ROLE_OBSERVER) {
    return NewestPublishedVersion(fields) > 0;
  }
  return EffectiveState(fields, now) != v1::Consultation::DRAFT;
}

// The newest draft version `caller` may read: everything for the
// secretariat; up to the current round's for members and partners; up to
// the newest published round's for observers.
int NewestVisibleVersion(const v1::Principal& caller,
                         const RecordFields& fields) {
  if (IsSecretariat(caller)) return LatestVersion(fields);
  if (caller.role() == v1::ROLE_OBSERVER) return NewestPublishedVersion(fields);
  return CurrentRound(fields) > 0 ? CurrentVersion(fields) : 0;
}

absl::Status NotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(name, " does not exist"));
}

absl::Status WrongState(absl::string_view name, State state,
                        absl::string_view needs) {
  return absl::FailedPreconditionError(absl::StrCat(
      name, " is ", v1::Consultation::State_Name(state), "; ", needs));
}

absl::StatusOr<std::string> ParseConsultationName(absl::string_view field,
                                                  absl::string_view name) {
  return ParseResourceId(field, name, "consultations");
}

// "consultations/{c}/sections/{key}" -> {c, key}.
absl::StatusOr<std::pair<std::string, std::string>> ParseSectionName(
    absl::string_view field, absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "consultations" ||
      parts[2] != "sections") {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        ": must be a section name like consultations/{c}/sections/{key}"));
  }
  CDC_ASSIGN_OR_RETURN(
      std::string id,
      ParseResourceId(field, absl::StrCat("consultations/", parts[1]),
                      "consultations"));
  CDC_ASSIGN_OR_RETURN(
      std::string key,
      ParseResourceId(field, absl::StrCat("sections/", parts[3]), "sections"));
  return std::make_pair(id, key);
}

absl::Status CheckConsultationId(absl::string_view id) {
  const bool shape_ok =
      id.size() >= 3 && id.size() <= 63 && id[0] >= 'a' && id[0] <= 'z' &&
      std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      });
  if (shape_ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "consultation_id: must be 3 to 63 characters of a-z, 0-9 and -, "
      "starting with a letter");
}

absl::Status CheckAudience(const v1::Audience& audience) {
  std::set<int> types;
  for (int i = 0; i < audience.organisation_types_size(); ++i) {
    const int type = audience.organisation_types(i);
    if (type == v1::ORGANISATION_TYPE_UNSPECIFIED ||
        !v1::OrganisationType_IsValid(type) || !types.insert(type).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("consultation.audience.organisation_types[", i,
                       "]: must be a distinct organisation type"));
    }
  }
  if (audience.countries_size() > kMaxAudienceCountries) {
    return absl::InvalidArgumentError(
        absl::StrCat("consultation.audience.countries: at most ",
                     kMaxAudienceCountries, " countries"));
  }
  std::set<std::string> countries;
  for (int i = 0; i < audience.countries_size(); ++i) {
    const std::string field =
        absl::StrCat("consultation.audience.countries[", i, "]");
    CDC_RETURN_IF_ERROR(CheckCountry(field, audience.countries(i)));
    if (!countries.insert(audience.countries(i)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", audience.countries(i), " is listed twice"));
    }
  }
  return absl::OkStatus();
}

bool InAudience(const v1::Audience& audience, v1::OrganisationType type,
                absl::string_view country) {
  const bool type_ok = audience.organisation_types().empty() ||
                       std::find(audience.organisation_types().begin(),
                                 audience.organisation_types().end(),
                                 type) != audience.organisation_types().end();
  const bool country_ok =
      audience.countries().empty() ||
      std::find(audience.countries().begin(), audience.countries().end(),
                country) != audience.countries().end();
  return type_ok && country_ok;
}

// A draft version's sections by key (present and removed).
using SectionsByKey = std::map<std::string, v1::Section>;

absl::StatusOr<SectionsByKey> ParseDraftSections(const RecordFields& draft) {
  SectionsByKey sections;
  for (const auto& [field, value] : draft) {
    if (!absl::StartsWith(field, "s:")) continue;
    v1::Section section;
    if (!section.ParseFromString(value)) {
      return absl::DataLossError("a stored section does not parse");
    }
    sections[section.key()] = std::move(section);
  }
  return sections;
}

std::vector<std::string> SplitKeys(absl::string_view joined) {
  return absl::StrSplit(joined, '\n', absl::SkipEmpty());
}

}  // namespace

class ConsultationsService::Impl {
 public:
  Impl(ConsultationsStore* store, Authenticator* authenticator,
       std::shared_ptr<grpc::Channel> members, const Clock& clock,
       ConsultationsServiceOptions options)
      : store_(store),
        authenticator_(authenticator),
        members_(v1::MembersService::NewStub(std::move(members))),
        clock_(clock),
        options_(options) {}

  absl::StatusOr<v1::Principal> Caller(const grpc::ServerContext& context) {
    return AuthenticateCall(context, *authenticator_);
  }

  absl::StatusOr<v1::Principal> Secretariat(
      const grpc::ServerContext& context) {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, Caller(context));
    CDC_RETURN_IF_ERROR(RequireRole(caller, {v1::ROLE_SECRETARIAT}));
    return caller;
  }

  v1::Event NewEvent(const v1::Principal* actor, absl::string_view id) {
    v1::Event event;
    *event.mutable_time() = ToProto(Millis(clock_.Now()));
    if (actor != nullptr) {
      event.set_actor(actor->member());
      event.set_actor_display_name(actor->display_name());
    }
    event.set_consultation(ConsultationName(id));
    return event;
  }

  // Reads a consultation the caller may see; NOT_FOUND otherwise.
  absl::StatusOr<RecordFields> ReadVisible(const v1::Principal& caller,
                                           absl::string_view id) {
    absl::StatusOr<RecordFields> fields = store_->Get(id);
    if (absl::IsNotFound(fields.status()) ||
        (fields.ok() && !MaySee(caller, *fields, clock_.Now()))) {
      return NotFound(ConsultationName(id));
    }
    return fields;
  }

  // What a write decides: a write to apply, or an answer without writing
  // (a repeated request_id).
  struct Decision {
    std::optional<Write> write;
  };
  using Decide = std::function<absl::StatusOr<Decision>(const RecordFields&)>;

  struct MutateOptions {
    // "req:<request id>" of a request that may be a retry. When the record
    // has it, the first attempt made its change and made the caller's etag
    // stale: the etag is not checked, and `decide` (which answers the
    // repeat) sees the record as it is.
    std::string request_field;
    // For transitions that overwrite the stored state (OpenRound,
    // PublishRecord): a round whose closes_at has passed by then but which
    // is still stored OPEN is first written down as closed, with its
    // RoundClosed event, as the schedule keeper would have; else that close
    // would never be announced.
    std::optional<absl::Time> close_ended_round_at;
  };

  // Reads, decides and writes, again from the read when another write came
  // in between. Returns the consultation's fields after the write.
  absl::StatusOr<RecordFields> Mutate(absl::string_view id,
                                      absl::string_view etag,
                                      const Decide& decide,
                                      const MutateOptions& options = {}) {
    std::string expected_etag(etag);
    for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
      absl::StatusOr<RecordFields> fields = store_->Get(id);
      if (absl::IsNotFound(fields.status())) {
        return NotFound(ConsultationName(id));
      }
      CDC_RETURN_IF_ERROR(fields.status());
      const bool repeated =
          !options.request_field.empty() &&
          !StringField(*fields, options.request_field).empty();
      if (!repeated && !expected_etag.empty() &&
          StringField(*fields, "version") != expected_etag) {
        return StaleEtag();
      }
      std::optional<Write> write;
      bool catching_up = false;
      if (!repeated && options.close_ended_round_at.has_value()) {
        write = ClosedByTime(id, *fields, *options.close_ended_round_at);
        catching_up = write.has_value();
      }
      if (!catching_up) {
        CDC_ASSIGN_OR_RETURN(Decision decision, decide(*fields));
        if (!decision.write.has_value()) return fields;
        write = std::move(decision.write);
      }
      write->id = std::string(id);
      write->expected_version = StringField(*fields, "version");
      write->etag = expected_etag;
      absl::StatusOr<int64_t> version = store_->Apply(*write);
      if (absl::IsAborted(version.status()) &&
          version.status().message() == kConcurrentChange) {
        continue;
      }
      if (absl::IsAborted(version.status())) return StaleEtag();
      CDC_RETURN_IF_ERROR(version.status());
      if (catching_up) {
        // The caller's etag held for the record as it was; the close by
        // time is what they saw, so the decision follows on its version.
        if (!expected_etag.empty()) expected_etag = Num(*version);
        continue;
      }
      for (auto& [field, value] : write->fields) (*fields)[field] = value;
      (*fields)["version"] = Num(*version);
      return fields;
    }
    return absl::AbortedError(
        "the consultation kept changing while this call ran; try again");
  }

  // The write that records the close of a round whose closes_at is not
  // after `now` and which is still stored OPEN (state CLOSED, with a
  // RoundClosed event); nullopt for any other record.
  std::optional<Write> ClosedByTime(absl::string_view id,
                                    const RecordFields& current,
                                    absl::Time now) {
    if (IntField(current, "state") != v1::Consultation::OPEN) {
      return std::nullopt;
    }
    const int round = CurrentRound(current);
    const RoundRecord record = ReadRound(current, round);
    if (Millis(now) < record.closes_ms) return std::nullopt;
    Write write;
    write.fields = {{"state", Num(v1::Consultation::CLOSED)},
                    {"update_ms", Num(Millis(now))}};
    write.event = NewEvent(nullptr, id);
    auto* closed = write.event.mutable_round_closed();
    closed->set_consultation(ConsultationName(id));
    closed->set_round(round);
    *closed->mutable_close_time() = ToProto(record.closes_ms);
    closed->set_closed_early(false);
    return write;
  }

  // One consultation changed by the secretariat: authenticates, parses
  // the name, reads-decides-writes with `decide` (given the caller, the id,
  // the record and the time) and answers with the consultation as it is
  // after the write. `close_ended_round`: see MutateOptions.
  using ChangeDecide = std::function<absl::StatusOr<Decision>(
      const v1::Principal& caller, const std::string& id,
      const RecordFields& current, absl::Time now)>;
  absl::StatusOr<v1::Consultation> Change(const grpc::ServerContext& context,
                                          absl::string_view name,
                                          absl::string_view etag,
                                          const ChangeDecide& decide,
                                          bool close_ended_round = false) {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, Secretariat(context));
    CDC_ASSIGN_OR_RETURN(std::string id, ParseConsultationName("name", name));
    const absl::Time now = clock_.Now();
    MutateOptions options;
    if (close_ended_round) options.close_ended_round_at = now;
    CDC_ASSIGN_OR_RETURN(RecordFields fields,
                         Mutate(
                             id, etag,
                             [&](const RecordFields& current) {
                               return decide(caller, id, current, now);
                             },
                             options));
    return ToConsultation(fields, now);
  }

  static absl::Status StaleEtag() {
    return absl::AbortedError(
        "etag: the consultation was changed since you read it; read it "
        "again and retry");
  }

  // The sections of `version` in the answer's order: present ones in
  // document order, then removed ones.
  absl::StatusOr<std::vector<v1::Section>> OrderedSections(
      absl::string_view id, int version, bool include_removed) {
    absl::StatusOr<RecordFields> draft = store_->GetDraft(id, version);
    if (absl::IsNotFound(draft.status())) {
      return absl::NotFoundError(absl::StrCat(
          ConsultationName(id), "/versions/", version, " does not exist"));
    }
    CDC_RETURN_IF_ERROR(draft.status());
    CDC_ASSIGN_OR_RETURN(SectionsByKey by_key, ParseDraftSections(*draft));
    std::vector<v1::Section> ordered;
    std::vector<std::string> keys = SplitKeys(StringField(*draft, "order"));
    if (include_removed) {
      for (std::string& key : SplitKeys(StringField(*draft, "removed"))) {
        keys.push_back(std::move(key));
      }
    }
    for (const std::string& key : keys) {
      auto it = by_key.find(key);
      if (it != by_key.end()) ordered.push_back(it->second);
    }
    return ordered;
  }

  // Builds draft version `version` from the parsed Markdown, comparing each
  // section with version - 1 (`previous`, empty for the first).
  v1::DraftVersion BuildDraft(absl::string_view id, int version,
                              const ParsedDraft& parsed,
                              const SectionsByKey& previous) {
    v1::DraftVersion draft;
    draft.set_name(absl::StrCat(ConsultationName(id), "/versions/", version));
    draft.set_version(version);
    std::set<std::string> present;
    for (const ParsedSection& in : parsed.sections) {
      v1::Section* s = draft.add_sections();
      s->set_name(SectionName(id, in.key));
      s->set_key(in.key);
      s->set_parent_key(in.parent_key);
      s->set_level(in.level);
      s->set_order(in.order);
      s->set_title(in.title);
      s->set_text(in.text);
      s->set_version(version);
      s->set_line(in.line);
      auto before = previous.find(in.key);
      if (before == previous.end() || before->second.removed()) {
        s->set_change(v1::SectionDiff::ADDED);
        draft.set_added_count(draft.added_count() + 1);
      } else if (before->second.title() != in.title ||
                 before->second.text() != in.text) {
        s->set_change(v1::SectionDiff::MODIFIED);
        draft.set_modified_count(draft.modified_count() + 1);
      } else {
        s->set_change(v1::SectionDiff::UNCHANGED);
      }
      present.insert(in.key);
    }
    draft.set_section_count(draft.sections_size());
    // Sections that disappear stay as history, with their last content.
    for (const auto& [key, before] : previous) {
      if (present.count(key)) continue;
      v1::Section* s = draft.add_sections();
      *s = before;
      s->set_version(version);
      s->set_change(before.removed() ? v1::SectionDiff::UNCHANGED
                                     : v1::SectionDiff::REMOVED);
      if (!before.removed()) draft.set_removed_count(draft.removed_count() + 1);
      s->set_removed(true);
    }
    for (const std::string& warning : parsed.warnings) {
      draft.add_warnings(warning);
    }
    return draft;
  }

  ConsultationsStore* const store_;
  Authenticator* const authenticator_;
  const std::unique_ptr<v1::MembersService::Stub> members_;
  const Clock& clock_;
  const ConsultationsServiceOptions options_;
};

ConsultationsService::ConsultationsService(
    ConsultationsStore* store, Authenticator* authenticator,
    std::shared_ptr<grpc::Channel> members, const Clock& clock,
    ConsultationsServiceOptions options)
    : impl_(std::make_unique<Impl>(store, authenticator, std::move(members),
                                   clock, options)) {}

ConsultationsService::~ConsultationsService() = default;

grpc::Status ConsultationsService::CreateConsultation(
    grpc::ServerContext* context, const v1::CreateConsultationRequest* request,
    v1::Consultation* response) {
  return Handle("CreateConsultation", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Secretariat(*context));
    const v1::Consultation& in = request->consultation();
    CDC_RETURN_IF_ERROR(
        CheckText("consultation.title", in.title(), 1, kMaxTitle));
    CDC_RETURN_IF_ERROR(CheckText("consultation.description", in.description(),
                                  0, kMaxDescription, TextKind::kMultiLine));
    CDC_RETURN_IF_ERROR(CheckAudience(in.audience()));
    CDC_RETURN_IF_ERROR(CheckRequestId("request_id", request->request_id()));
    std::string id = request->consultation_id();
    if (!id.empty()) {
      CDC_RETURN_IF_ERROR(CheckConsultationId(id));
    } else if (!request->request_id().empty()) {
      // The same request always names the same consultation, so a retry
      // finds the first one.
      id = absl::StrCat("c-",
                        HexEncode(Sha256(absl::StrCat(caller.member(), "\n",
                                                      request->request_id())))
                            .substr(0, 12));
    } else {
      id = absl::StrCat("c-", RandomHex(12));
    }
    const absl::Time now = impl_->clock_.Now();
    // A retry finds the consultation its first attempt made, also when the
    // two race and the first wins the create.
    auto made_by_this_request = [&]() -> std::optional<RecordFields> {
      if (request->request_id().empty()) return std::nullopt;
      absl::StatusOr<RecordFields> prior = impl_->store_->Get(id);
      if (!prior.ok() ||
          StringField(*prior, "create_request") != request->request_id()) {
        return std::nullopt;
      }
      return *std::move(prior);
    };
    if (std::optional<RecordFields> prior = made_by_this_request()) {
      *response = ToConsultation(*prior, now);
      return absl::OkStatus();
    }
    Write write;
    write.id = id;
    write.fields = {{"id", id},
                    {"title", in.title()},
                    {"description", in.description()},
                    {"state", Num(v1::Consultation::DRAFT)},
                    {"current_round", "0"},
                    {"current_version", "0"},
                    {"latest_version", "0"},
                    {"created_by", caller.member()},
                    {"create_ms", Num(Millis(now))},
                    {"update_ms", Num(Millis(now))},
                    {"create_request", request->request_id()}};
    for (auto& field : AudienceFields(in.audience())) {
      write.fields.push_back(std::move(field));
    }
    write.index_entry = IndexEntry(NewestFirstSortKey(Millis(now)), id);
    write.event = impl_->NewEvent(&caller, id);
    write.event.mutable_consultation_created()->set_consultation(
        ConsultationName(id));
    write.event.mutable_consultation_created()->set_title(in.title());
    absl::StatusOr<int64_t> version = impl_->store_->Apply(write);
    if (absl::IsAlreadyExists(version.status())) {
      if (std::optional<RecordFields> prior = made_by_this_request()) {
        *response = ToConsultation(*prior, now);
        return absl::OkStatus();
      }
      return absl::AlreadyExistsError(absl::StrCat(
          "consultation_id: ", ConsultationName(id), " already exists"));
    }
    CDC_RETURN_IF_ERROR(version.status());
    RecordFields fields(write.fields.begin(), write.fields.end());
    fields["version"] = Num(*version);
    *response = ToConsultation(fields, now);
    return absl::OkStatus();
  });
}

grpc::Status ConsultationsService::GetConsultation(
    grpc::ServerContext* context, const v1::GetConsultationRequest* request,
    v1::Consultation* response) {
  return Handle("GetConsultation", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_ASSIGN_OR_RETURN(std::string id,
                         ParseConsultationName("name", request->name()));
    CDC_ASSIGN_OR_RETURN(RecordFields fields, impl_->ReadVisible(caller, id));
    *response = ToConsultation(fields, impl_->clock_.Now());
    return absl::OkStatus();
  });
}

grpc::Status ConsultationsService::ListConsultations(
    grpc::ServerContext* context, const v1::ListConsultationsRequest* request,
    v1::ListConsultationsResponse* response) {
  return Handle("ListConsultations", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_ASSIGN_OR_RETURN(int page_size, CheckPageSize(request->page_size()));
    if (!v1::Consultation::State_IsValid(request->state())) {
      return absl::InvalidArgumentError("state: is not a consultation state");
    }
    const std::string filters = Num(request->state());
    std::string position;
    if (!request->page_token().empty()) {
      CDC_ASSIGN_OR_RETURN(position,
                           DecodePageToken(request->page_token(), filters));
    }
    // State and visibility depend on the clock and the caller, so they are
    // applied here; a page may hold fewer than page_size consultations
    // (AIP-158 allows it), and the token continues after the last one read.
    CDC_ASSIGN_OR_RETURN(IndexPage page,
                         impl_->store_->List(position, page_size));
    const absl::Time now = impl_->clock_.Now();
    for (const IndexedRecord& record : page.records) {
      if (!MaySee(caller, record.fields, now)) continue;
      v1::Consultation c = ToConsultation(record.fields, now);
      if (request->state() != v1::Consultation::STATE_UNSPECIFIED &&
          c.state() != request->state()) {
        continue;
      }
      *response->add_consultations() = std::move(c);
    }
    if (!page.next_position.empty()) {
      response->set_next_page_token(
          EncodePageToken(page.next_position, filters));
    }
    return absl::OkStatus();
  });
}

grpc::Status ConsultationsService::UpdateConsultation(
    grpc::ServerContext* context, const v1::UpdateConsultationRequest* request,
    v1::Consultation* response) {
  return Handle("UpdateConsultation", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Secretariat(*context));
    const v1::Consultation& in = request->consultation();
    CDC_ASSIGN_OR_RETURN(std::string id,
                         ParseConsultationName("consultation.name", in.name()));
    CDC_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                         DistinctPaths(request->update_mask()));
    std::vector<std::pair<std::string, std::string>> changes;
    bool audience = false;
    for (const std::string& path : paths) {
      if (path == "title") {
        CDC_RETURN_IF_ERROR(
            CheckText("consultation.title", in.title(), 1, kMaxTitle));
        changes.emplace_back("title", in.title());
      } else if (path == "description") {
        CDC_RETURN_IF_ERROR(CheckText("consultation.description",
                                      in.description(), 0, kMaxDescription,
                                      TextKind::kMultiLine));
        changes.emplace_back("description", in.description());
      } else if (path == "audience") {
        CDC_RETURN_IF_ERROR(CheckAudience(in.audience()));
        for (auto& field : AudienceFields(in.audience())) {
          changes.push_back(std::move(field));
        }
        audience = true;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "update_mask: ", path,
            " cannot be updated; updatable: title, description, audience"));
      }
    }
    const absl::Time now = impl_->clock_.Now();
    CDC_ASSIGN_OR_RETURN(
        RecordFields fields,
        impl_->Mutate(
            id, in.etag(),
            [&](const RecordFields& current) -> absl::StatusOr<Impl::Decision> {
              const State state = EffectiveState(current, now);
              if (audience && state != v1::Consultation::DRAFT) {
                return WrongState(
                    in.name(), state,
                    "the audience can be changed only while DRAFT");
              }
              Write write;
              write.fields = changes;
              write.fields.emplace_back("update_ms", Num(Millis(now)));
              write.event = impl_->NewEvent(&caller, id);
              auto* updated = write.event.mutable_consultation_updated();
              updated->set_consultation(in.name());
              for (const std::string& path : paths) {
                updated->add_changed_fields(path);
              }
              return Impl::Decision{std::move(write)};
            }));
    *response = ToConsultation(fields, now);
    return absl::OkStatus();
  });
}

grpc::Status ConsultationsService::ImportDraft(
    grpc::ServerContext* context, const v1::ImportDraftRequest* request,
    v1::DraftVersion* response) {
  return Handle("ImportDraft", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Secretariat(*context));
    CDC_ASSIGN_OR_RETURN(std::string id,
                         ParseConsultationName("parent", request->parent()));
    CDC_RETURN_IF_ERROR(CheckRequestId("request_id", request->request_id()));
    CDC_ASSIGN_OR_RETURN(ParsedDraft parsed, ParseDraft(request->markdown()));
    // The parser checks shape and size; stored text follows the same rules
    // as every other text field (no control characters in titles).
    for (const ParsedSection& section : parsed.sections) {
      CDC_RETURN_IF_ERROR(
          CheckText(absl::StrCat("markdown: line ", section.line, ": title"),
                    section.title, 1, kMaxSectionTitle));
      CDC_RETURN_IF_ERROR(CheckText(
          absl::StrCat("markdown: line ", section.line, ": section text"),
          section.text, 0, kMaxSectionText, TextKind::kMultiLine));
    }
    const absl::Time now = impl_->clock_.Now();
    const std::string request_field =
        request->request_id().empty()
            ? std::string()
            : absl::StrCat("req:import:", request->request_id());
    std::optional<v1::DraftVersion> built;
    CDC_ASSIGN_OR_RETURN(
        RecordFields fields,
        impl_->Mutate(
            id, request->etag(),
            [&](const RecordFields& current) -> absl::StatusOr<Impl::Decision> {
              built.reset();
              if (!request_field.empty() && !request->validate_only() &&
                  !StringField(current, request_field).empty()) {
                return Impl::Decision{};  // answered below from the store
              }
              const State state = EffectiveState(current, now);
              if (state == v1::Consultation::OPEN) {
                return WrongState(request->parent(), state,
                                  "close the round before importing a "
                                  "revised draft");
              }
              // A version no round has used yet is replaced, so every
              // version but the newest was commented on.
              const int used =
                  CurrentRound(current) > 0 ? CurrentVersion(current) : 0;
              const int latest = LatestVersion(current);
              const int version = latest > used ? latest : latest + 1;
              SectionsByKey previous;
              if (version > 1) {
                CDC_ASSIGN_OR_RETURN(RecordFields before,
                                     impl_->store_->GetDraft(id, version - 1));
                CDC_ASSIGN_OR_RETURN(previous, ParseDraftSections(before));
              }
              v1::DraftVersion draft =
                  impl_->BuildDraft(id, version, parsed, previous);
              draft.set_source_sha256(HexEncode(Sha256(request->markdown())));
              draft.set_source_size_bytes(
                  static_cast<int64_t>(request->markdown().size()));
              draft.set_imported_by(caller.member());
              *draft.mutable_import_time() = ToProto(Millis(now));
              if (request->validate_only()) {
                draft.set_validate_only(true);
                built = std::move(draft);
                return Impl::Decision{};
              }
              Write write;
              write.fields = {{"latest_version", Num(version)},
                              {"update_ms", Num(Millis(now))}};
              if (CurrentRound(current) == 0) {
                write.fields.emplace_back("current_version", Num(version));
              }
              if (!request_field.empty()) {
                write.fields.emplace_back(request_field, Num(version));
              }
              write.draft_version = version;
              std::vector<std::string> order, removed;
              for (const v1::Section& section : draft.sections()) {
                (section.removed() ? removed : order).push_back(section.key());
                write.draft_fields.emplace_back(
                    absl::StrCat("s:", section.key()),
                    section.SerializeAsString());
              }
              v1::DraftVersion meta = draft;
              meta.clear_sections();
              write.draft_fields.emplace_back("meta", meta.SerializeAsString());
              write.draft_fields.emplace_back("order",
                                              absl::StrJoin(order, "\n"));
              write.draft_fields.emplace_back("removed",
                                              absl::StrJoin(removed, "\n"));
              write.event = impl_->NewEvent(&caller, id);
              auto* imported = write.event.mutable_draft_imported();
              imported->set_consultation(request->parent());
              imported->set_draft_version(version);
              imported->set_section_count(draft.section_count());
              imported->set_added_count(draft.added_count());
              imported->set_modified_count(draft.modified_count());
              imported->set_removed_count(draft.removed_count());
              built = std::move(draft);
              return Impl::Decision{std::move(write)};
            },
            {.request_field =
                 request->validate_only() ? std::string() : request_field,
             .close_ended_round_at = std::nullopt}));
    if (built.has_value()) {
      *response = *std::move(built);
      return absl::OkStatus();
    }
    // A repeated request: answer with the version it made.
    int version = 0;
    (void)absl::SimpleAtoi(StringField(fields, request_field), &version);
    CDC_ASSIGN_OR_RETURN(RecordFields draft,
                         impl_->store_->GetDraft(id, version));
    if (!response->ParseFromString(StringField(draft, "meta"))) {
      return absl::DataLossError("a stored draft version does not parse");
    }
    CDC_ASSIGN_OR_RETURN(std::vector<v1::Section> sections,
                         impl_->OrderedSections(id, version, true));
    for (v1::Section& section : sections) {
      *response->add_sections() = std::move(section);
    }
    return absl::OkStatus();
  });
}

grpc::Status ConsultationsService::GetSection(
    grpc::ServerContext* context, const v1::GetSectionRequest* request,
    v1::Section* response) {
  return Handle("GetSection", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_ASSIGN_OR_RETURN(auto name, ParseSectionName("name", request->name()));
    CDC_ASSIGN_OR_RETURN(RecordFields fields,
                         impl_->ReadVisible(caller, name.first));
    const int version =
        request->version() == 0 ? CurrentVersion(fields) : request->version();
    if (version < 1 || version > NewestVisibleVersion(caller, fields)) {
      return NotFound(request->name());
    }
    CDC_ASSIGN_OR_RETURN(
        std::vector<std::string> values,
        impl_->store_->GetDraftFields(name.first, version,
                                      {absl::StrCat("s:", name.second)}));
    if (values.empty() || values[0].empty()) return NotFound(request->name());
    if (!response->ParseFromString(values[0])) {
      return absl::DataLossError("a stored section does not parse");
    }
    return absl::OkStatus();
  });
}

grpc::Status ConsultationsService::ListSections(
    grpc::ServerContext* context, const v1::ListSectionsRequest* request,
    v1::ListSectionsResponse* response) {
  return Handle("ListSections", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_ASSIGN_OR_RETURN(std::string id,
                         ParseConsultationName("parent", request->parent()));
    CDC_ASSIGN_OR_RETURN(int page_size,
                         CheckPageSize(request->page_size(), 50, 1000));
    CDC_ASSIGN_OR_RETURN(RecordFields fields, impl_->ReadVisible(caller, id));
    const int version =
        request->version() == 0 ? CurrentVersion(fields) : request->version();
    if (version < 1 || version > NewestVisibleVersion(caller, fields)) {
      return absl::NotFoundError(absl::StrCat(request->parent(), "/versions/",
                                              version, " does not exist"));
    }
    const std::string filters =
        absl::StrCat(version, "|", request->include_removed(), "|",
                     request->headings_only());
    size_t start = 0;
    if (!request->page_token().empty()) {
      CDC_ASSIGN_OR_RETURN(std::string position,
                           DecodePageToken(request->page_token(), filters));
      if (!absl::SimpleAtoi(position, &start)) {
        return absl::InvalidArgumentError("page_token: is malformed");
      }
    }
    CDC_ASSIGN_OR_RETURN(
        std::vector<v1::Section> sections,
        impl_->OrderedSections(id, version, request->include_removed()));
    const size_t end =
        std::min(sections.size(), start + static_cast<size_t>(page_size));
    for (size_t i = start; i < end; ++i) {
      v1::Section* section = response->add_sections();
      *section = std::move(sections[i]);
      if (request->headings_only()) section->clear_text();
    }
    if (end < sections.size()) {
      response->set_next_page_token(EncodePageToken(Num(end), filters));
    }
    return absl::OkStatus();
  });
}

grpc::Status ConsultationsService::OpenRound(
    grpc::ServerContext* context, const v1::OpenRoundRequest* request,
    v1::Consultation* response) {
  return Handle("OpenRound", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Secretariat(*context));
    CDC_ASSIGN_OR_RETURN(std::string id,
                         ParseConsultationName("name", request->name()));
    CDC_RETURN_IF_ERROR(CheckRequestId("request_id", request->request_id()));
    const absl::Time now = impl_->clock_.Now();
    if (request->has_opens_at() && !IsValidTime(request->opens_at())) {
      return absl::InvalidArgumentError("opens_at: is not a valid time");
    }
    const int64_t opens_ms =
        request->has_opens_at() ? ToMillis(request->opens_at()) : Millis(now);
    if (!request->has_closes_at()) {
      return absl::InvalidArgumentError("closes_at: is required");
    }
    if (!IsValidTime(request->closes_at())) {
      return absl::InvalidArgumentError("closes_at: is not a valid time");
    }
    const int64_t closes_ms = ToMillis(request->closes_at());
    const int64_t max_ms =
        absl::ToInt64Milliseconds(impl_->options_.max_round_length);
    if (opens_ms > Millis(now) + max_ms) {
      return absl::InvalidArgumentError(
          "opens_at: must be within 366 days from now");
    }
    if (closes_ms <= opens_ms) {
      return absl::InvalidArgumentError("closes_at: must be after opens_at");
    }
    if (closes_ms <= Millis(now)) {
      return absl::InvalidArgumentError("closes_at: must be in the future");
    }
    if (closes_ms - opens_ms > max_ms) {
      return absl::InvalidArgumentError(
          "closes_at: a round lasts at most 366 days");
    }
    if (request->draft_version() < 0) {
      return absl::InvalidArgumentError("draft_version: must not be negative");
    }
    const std::string request_field =
        request->request_id().empty()
            ? std::string()
            : absl::StrCat("req:open:", request->request_id());
    CDC_ASSIGN_OR_RETURN(
        RecordFields fields,
        impl_->Mutate(
            id, request->etag(),
            [&](const RecordFields& current) -> absl::StatusOr<Impl::Decision> {
              if (!request_field.empty() &&
                  !StringField(current, request_field).empty()) {
                return Impl::Decision{};
              }
              const State state = EffectiveState(current, now);
              if (state == v1::Consultation::OPEN) {
                return WrongState(request->name(), state,
                                  "a round is already open");
              }
              const int latest = LatestVersion(current);
              if (latest == 0) {
                return absl::FailedPreconditionError(absl::StrCat(
                    request->name(), " has no draft; import one first"));
              }
              const int version = request->draft_version() == 0
                                      ? latest
                                      : request->draft_version();
              const int round = CurrentRound(current) + 1;
              if (version > latest) {
                return absl::InvalidArgumentError(
                    absl::StrCat("draft_version: ", version,
                                 " does not exist; the latest is ", latest));
              }
              if (round > 1 && version < CurrentVersion(current)) {
                return absl::InvalidArgumentError(absl::StrCat(
                    "draft_version: must not be older than the previous "
                    "round's (",
                    CurrentVersion(current), ")"));
              }
              Write write;
              write.fields = {{"state", Num(v1::Consultation::OPEN)},
                              {"current_round", Num(round)},
                              {"current_version", Num(version)},
                              {RoundField(round, "v"), Num(version)},
                              {RoundField(round, "open"), Num(opens_ms)},
                              {RoundField(round, "close"), Num(closes_ms)},
                              {RoundField(round, "early"), "0"},
                              {RoundField(round, "pub"), "0"},
                              {"update_ms", Num(Millis(now))}};
              if (!request_field.empty()) {
                write.fields.emplace_back(request_field, Num(round));
              }
              write.event = impl_->NewEvent(&caller, id);
              auto* opened = write.event.mutable_round_opened();
              opened->set_consultation(request->name());
              opened->set_round(round);
              opened->set_draft_version(version);
              *opened->mutable_opens_at() = ToProto(opens_ms);
              *opened->mutable_closes_at() = ToProto(closes_ms);
              *opened->mutable_audience() = ReadAudience(current);
              return Impl::Decision{std::move(write)};
            },
            {.request_field = request_field, .close_ended_round_at = now}));
    *response = ToConsultation(fields, now);
    return absl::OkStatus();
  });
}

grpc::Status ConsultationsService::ExtendRound(
    grpc::ServerContext* context, const v1::ExtendRoundRequest* request,
    v1::Consultation* response) {
  return Handle("ExtendRound", [&]() -> absl::Status {
    auto decide = [&](const v1::Principal& caller, const std::string& id,
                      const RecordFields& current,
                      absl::Time now) -> absl::StatusOr<Impl::Decision> {
      if (!request->has_closes_at()) {
        return absl::InvalidArgumentError("closes_at: is required");
      }
      if (!IsValidTime(request->closes_at())) {
        return absl::InvalidArgumentError("closes_at: is not a valid time");
      }
      const int64_t closes_ms = ToMillis(request->closes_at());
      const State state = EffectiveState(current, now);
      if (state != v1::Consultation::OPEN) {
        return WrongState(request->name(), state,
                          "only an OPEN round can be extended; open "
                          "a new round instead");
      }
      const int round = CurrentRound(current);
      const RoundRecord record = ReadRound(current, round);
      if (closes_ms <= record.closes_ms) {
        return absl::InvalidArgumentError(
            "closes_at: must be later than the current closes_at");
      }
      if (closes_ms - record.opens_ms >
          absl::ToInt64Milliseconds(impl_->options_.max_round_length)) {
        return absl::InvalidArgumentError(
            "closes_at: a round lasts at most 366 days");
      }
      Write write;
      write.fields = {{RoundField(round, "close"), Num(closes_ms)},
                      {"update_ms", Num(Millis(now))}};
      write.event = impl_->NewEvent(&caller, id);
      auto* extended = write.event.mutable_round_extended();
      extended->set_consultation(request->name());
      extended->set_round(round);
      *extended->mutable_previous_closes_at() = ToProto(record.closes_ms);
      *extended->mutable_closes_at() = ToProto(closes_ms);
      return Impl::Decision{std::move(write)};
    };
    CDC_ASSIGN_OR_RETURN(*response, impl_->Change(*context, request->name(),
                                                  request->etag(), decide));
    return absl::OkStatus();
  });
}

grpc::Status ConsultationsService::CloseRound(
    grpc::ServerContext* context, const v1::CloseRoundRequest* request,
    v1::Consultation* response) {
  return Handle("CloseRound", [&]() -> absl::Status {
    auto decide = [&](const v1::Principal& caller, const std::string& id,
                      const RecordFields& current,
                      absl::Time now) -> absl::StatusOr<Impl::Decision> {
      const State state = EffectiveState(current, now);
      if (state != v1::Consultation::OPEN) {
        return WrongState(request->name(), state,
                          "only an OPEN round can be closed");
      }
      const int round = CurrentRound(current);
      const RoundRecord record = ReadRound(current, round);
      Write write;
      write.fields = {{"state", Num(v1::Consultation::CLOSED)},
                      {RoundField(round, "close"), Num(Millis(now))},
                      {RoundField(round, "early"), "1"},
                      {"update_ms", Num(Millis(now))}};
      // A round closed before it began ends with an empty window.
      if (record.opens_ms > Millis(now)) {
        write.fields.emplace_back(RoundField(round, "open"), Num(Millis(now)));
      }
      write.event = impl_->NewEvent(&caller, id);
      auto* closed = write.event.mutable_round_closed();
      closed->set_consultation(request->name());
      closed->set_round(round);
      *closed->mutable_close_time() = ToProto(Millis(now));
      closed->set_closed_early(true);
      return Impl::Decision{std::move(write)};
    };
    CDC_ASSIGN_OR_RETURN(*response, impl_->Change(*context, request->name(),
                                                  request->etag(), decide));
    return absl::OkStatus();
  });
}

grpc::Status ConsultationsService::PublishRecord(
    grpc::ServerContext* context, const v1::PublishRecordRequest* request,
    v1::Consultation* response) {
  return Handle("PublishRecord", [&]() -> absl::Status {
    auto decide = [&](const v1::Principal& caller, const std::string& id,
                      const RecordFields& current,
                      absl::Time now) -> absl::StatusOr<Impl::Decision> {
      const State state = EffectiveState(current, now);
      if (state != v1::Consultation::CLOSED) {
        return WrongState(request->name(), state,
                          "only a CLOSED round's record can be "
                          "published");
      }
      const int round = CurrentRound(current);
      Write write;
      write.fields = {{"state", Num(v1::Consultation::PUBLISHED)},
                      {RoundField(round, "pub"), Num(Millis(now))},
                      {"update_ms", Num(Millis(now))}};
      write.event = impl_->NewEvent(&caller, id);
      auto* published = write.event.mutable_record_published();
      published->set_consultation(request->name());
      published->set_round(round);
      return Impl::Decision{std::move(write)};
    };
    CDC_ASSIGN_OR_RETURN(*response, impl_->Change(*context, request->name(),
                                                  request->etag(), decide,
                                                  /*close_ended_round=*/true));
    return absl::OkStatus();
  });
}

grpc::Status ConsultationsService::GetSectionDiff(
    grpc::ServerContext* context, const v1::GetSectionDiffRequest* request,
    v1::SectionDiff* response) {
  return Handle("GetSectionDiff", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_ASSIGN_OR_RETURN(auto name, ParseSectionName("name", request->name()));
    CDC_ASSIGN_OR_RETURN(RecordFields fields,
                         impl_->ReadVisible(caller, name.first));
    const int to = request->to_version() == 0 ? CurrentVersion(fields)
                                              : request->to_version();
    const int from =
        request->from_version() == 0 ? to - 1 : request->from_version();
    if (from < 0 || from >= to) {
      return absl::InvalidArgumentError(
          "from_version: must be before to_version");
    }
    if (to < 1 || to > NewestVisibleVersion(caller, fields)) {
      return NotFound(request->name());
    }
    const std::string field = absl::StrCat("s:", name.second);
    auto read = [&](int version) -> absl::StatusOr<std::optional<v1::Section>> {
      if (version == 0) return std::nullopt;
      CDC_ASSIGN_OR_RETURN(
          std::vector<std::string> values,
          impl_->store_->GetDraftFields(name.first, version, {field}));
      if (values.empty() || values[0].empty()) return std::nullopt;
      v1::Section section;
      if (!section.ParseFromString(values[0])) {
        return absl::DataLossError("a stored section does not parse");
      }
      if (section.removed()) return std::nullopt;
      return section;
    };
    CDC_ASSIGN_OR_RETURN(std::optional<v1::Section> before, read(from));
    CDC_ASSIGN_OR_RETURN(std::optional<v1::Section> after, read(to));
    if (!before.has_value() && !after.has_value()) {
      return NotFound(request->name());
    }
    response->set_section(request->name());
    response->set_from_version(from);
    response->set_to_version(to);
    response->set_from_title(before.has_value() ? before->title() : "");
    response->set_to_title(after.has_value() ? after->title() : "");
    if (!before.has_value()) {
      response->set_change(v1::SectionDiff::ADDED);
    } else if (!after.has_value()) {
      response->set_change(v1::SectionDiff::REMOVED);
    } else if (before->title() != after->title() ||
               before->text() != after->text()) {
      response->set_change(v1::SectionDiff::MODIFIED);
    } else {
      response->set_change(v1::SectionDiff::UNCHANGED);
    }
    response->set_moved(before.has_value() && after.has_value() &&
                        (before->parent_key() != after->parent_key() ||
                         before->level() != after->level()));
    for (v1::DiffLine& line :
         DiffLines(before.has_value() ? before->text() : "",
                   after.has_value() ? after->text() : "")) {
      *response->add_lines() = std::move(line);
    }
    return absl::OkStatus();
  });
}

grpc::Status ConsultationsService::CheckParticipation(
    grpc::ServerContext* context, const v1::CheckParticipationRequest* request,
    v1::CheckParticipationResponse* response) {
  return Handle("CheckParticipation", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    std::string id, key;
    if (absl::StrContains(request->target(), "/sections/")) {
      CDC_ASSIGN_OR_RETURN(auto name,
                           ParseSectionName("target", request->target()));
      id = name.first;
      key = name.second;
    } else {
      CDC_ASSIGN_OR_RETURN(id,
                           ParseConsultationName("target", request->target()));
    }
    // Whom we judge: the caller, or (secretariat only) a named member.
    v1::Principal subject = caller;
    bool subject_active = true;
    if (!request->member().empty() && request->member() != caller.member()) {
      if (!IsSecretariat(caller)) {
        return absl::PermissionDeniedError(
            "member: only the secretariat may ask about another member");
      }
      grpc::ClientContext members_context;
      members_context.set_deadline(
          absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
      const auto& metadata = context->client_metadata();
      auto auth = metadata.find("authorization");
      if (auth != metadata.end()) {
        members_context.AddMetadata(
            "authorization",
            std::string(auth->second.data(), auth->second.size()));
      }
      v1::GetMemberRequest get;
      get.set_name(request->member());
      v1::Member member;
      CDC_RETURN_IF_ERROR(FromGrpcStatus(
          impl_->members_->GetMember(&members_context, get, &member)));
      subject.set_member(member.name());
      subject.set_role(member.role());
      subject.set_organisation_type(member.organisation_type());
      subject.set_country(member.country());
      subject_active = member.state() == v1::Member::ACTIVE;
    }
    CDC_ASSIGN_OR_RETURN(RecordFields fields, impl_->ReadVisible(subject, id));
    const absl::Time now = impl_->clock_.Now();
    const v1::Consultation c = ToConsultation(fields, now);
    response->set_may_read(true);
    response->set_state(c.state());
    response->set_round(c.current_round());
    response->set_draft_version(c.current_round() > 0 ? c.current_version()
                                                      : 0);
    if (c.current_round() > 0) {
      *response->mutable_opens_at() = c.opens_at();
      *response->mutable_closes_at() = c.closes_at();
    }
    *response->mutable_check_time() = ToProto(Millis(now));

    using Reason = v1::CheckParticipationResponse;
    auto refuse = [&](Reason::Reason reason, std::string message) {
      response->set_may_comment(false);
      response->set_reason(reason);
      response->set_message(std::move(message));
    };
    std::optional<v1::Section> section;
    if (!key.empty()) {
      const int version = c.current_version();
      if (version < 1 || version > NewestVisibleVersion(subject, fields)) {
        return NotFound(request->target());
      }
      CDC_ASSIGN_OR_RETURN(std::vector<std::string> values,
                           impl_->store_->GetDraftFields(
                               id, version, {absl::StrCat("s:", key)}));
      if (values.empty() || values[0].empty()) {
        return NotFound(request->target());
      }
      section.emplace();
      if (!section->ParseFromString(values[0])) {
        return absl::DataLossError("a stored section does not parse");
      }
      if (request->include_section()) *response->mutable_section() = *section;
    }

    response->set_may_comment(true);
    if (!subject_active) {
      refuse(Reason::MEMBER_NOT_ACTIVE, "the membership is not active");
    } else if (subject.role() == v1::ROLE_OBSERVER) {
      refuse(Reason::ROLE_MAY_NOT_COMMENT, "observers read but do not comment");
    } else if (c.state() != v1::Consultation::OPEN) {
      refuse(c.current_round() > 0 && c.state() == v1::Consultation::CLOSED &&
                     IntField(fields, "state") == v1::Consultation::OPEN
                 ? Reason::ROUND_ENDED
                 : Reason::NOT_OPEN,
             absl::StrCat("the consultation is ",
                          v1::Consultation::State_Name(c.state())));
    } else if (Millis(now) < ToMillis(c.opens_at())) {
      refuse(Reason::ROUND_NOT_STARTED,
             absl::StrCat("the round opens at ",
                          TimeUtil::ToString(c.opens_at())));
    } else if (section.has_value() && section->removed()) {
      refuse(Reason::SECTION_REMOVED,
             "the section is not in the current draft");
    } else if (!IsSecretariat(subject) &&
               !InAudience(c.audience(), subject.organisation_type(),
                           subject.country())) {
      refuse(Reason::NOT_IN_AUDIENCE,
             "this consultation's audience does not include the member's "
             "organisation type or country");
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<int> ConsultationsService::KeepSchedule() {
  CDC_ASSIGN_OR_RETURN(std::vector<std::string> ids, impl_->store_->AllIds());
  int changes = 0;
  absl::Status first_failure;
  for (const std::string& id : ids) {
    const absl::Time now = impl_->clock_.Now();
    bool changed = false;
    absl::StatusOr<RecordFields> result = impl_->Mutate(
        id, "",
        [&](const RecordFields& current) -> absl::StatusOr<Impl::Decision> {
          changed = false;
          if (IntField(current, "state") != v1::Consultation::OPEN) {
            return Impl::Decision{};
          }
          const int round = CurrentRound(current);
          const RoundRecord record = ReadRound(current, round);
          Write write;
          write.event = impl_->NewEvent(nullptr, id);
          if (std::optional<Write> closed =
                  impl_->ClosedByTime(id, current, now)) {
            write = *std::move(closed);
          } else if (Millis(now) >= record.opens_ms &&
                     record.closes_ms - Millis(now) <=
                         absl::ToInt64Milliseconds(
                             impl_->options_.closing_soon) &&
                     IntField(current, "soon_round") != round) {
            write.fields = {{"soon_round", Num(round)}};
            auto* soon = write.event.mutable_round_closing_soon();
            soon->set_consultation(ConsultationName(id));
            soon->set_round(round);
            *soon->mutable_closes_at() = ToProto(record.closes_ms);
          } else {
            return Impl::Decision{};
          }
          changed = true;
          return Impl::Decision{std::move(write)};
        });
    // One consultation that cannot be written now must not hold up the
    // others; the first failure is reported after all were tried.
    if (!result.ok()) {
      if (first_failure.ok()) first_failure = result.status();
      continue;
    }
    if (changed) ++changes;
  }
  if (!first_failure.ok()) return first_failure;
  return changes;
}

}  // namespace cdc::consultations
