// CommunityService's handlers for spaces, topics, private conversations,
// blocks and CheckTargetAccess: authenticate, authorize, validate, call
// CommunityStore, map the status. Who may do what is in community.proto.
//
// Writes read the records they depend on, decide here, and let the store
// write only if what was read still holds (compare-and-set); a concurrent
// change makes the handler read and decide again (Retrying).
//
// Spaces, topics and conversations are for MEMBER and SECRETARIAT callers
// (community.proto); observers and partner tokens are refused them
// (PERMISSION_DENIED, or NOT_FOUND where the proto says so) and have only
// the library. Members read OPEN spaces' topics; invite-only spaces are
// listed to every member, their topics only to their members and the
// secretariat. A topic one may not read, and a conversation one is not in,
// answer NOT_FOUND with the same words as one that does not exist.
#include "services/community/community_service.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/support/async_unary_call.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cdc/v1/events.pb.h"
#include "services/common/auth.h"
#include "services/common/crypto.h"
#include "services/common/handler.h"
#include "services/common/page_token.h"
#include "services/common/shard_index.h"
#include "services/common/status.h"
#include "services/common/status_macros.h"
#include "services/common/validation.h"
#include "services/community/community_store.h"
#include "services/community/fields.h"
#include "services/community/library_store.h"

namespace cdc::community {
namespace {

using google::protobuf::util::TimeUtil;
using Access = v1::CheckTargetAccessResponse;

constexpr size_t kMaxSpaceTitle = 100;
constexpr size_t kMaxSpaceDescription = 2000;
constexpr int kMaxFacilitators = 20;
constexpr size_t kMaxTopicTitle = 200;
constexpr size_t kMaxTopicBody = 20000;
constexpr size_t kMaxCloseReason = 1000;
constexpr size_t kMaxSubject = 200;
constexpr int kMaxParticipants = 20;  // the caller included
constexpr int kMaxWriteAttempts = 5;

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list,
              absl::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

absl::Status ReadOnly(const v1::Space& space) {
  return absl::FailedPreconditionError(
      absl::StrCat(space.name(), " is ARCHIVED: it is read-only"));
}

// Runs `attempt` (read, decide, write) again while its write finds that
// what it read has changed meanwhile.
absl::Status Retrying(const std::function<absl::Status()>& attempt) {
  for (int i = 0; i < kMaxWriteAttempts; ++i) {
    const absl::Status status = attempt();
    if (!absl::IsAborted(status) || status.message() != kConcurrentChange) {
      return status;
    }
  }
  return absl::AbortedError(
      "the record kept changing while this call ran; try again");
}

// The caller's role lets them use spaces, topics and conversations.
bool TakesPart(const v1::Principal& caller) {
  return caller.role() == v1::ROLE_MEMBER ||
         caller.role() == v1::ROLE_SECRETARIAT;
}

// PERMISSION_DENIED unless TakesPart.
absl::Status RequireParticipant(const v1::Principal& caller) {
  return RequireRole(caller, {v1::ROLE_MEMBER, v1::ROLE_SECRETARIAT});
}

// ---- Names ----

// "3..63 characters of a-z, 0-9 and -, starting with a letter".
absl::Status CheckSpaceId(absl::string_view id) {
  bool ok = id.size() >= 3 && id.size() <= 63 && id[0] >= 'a' && id[0] <= 'z';
  for (char c : id) {
    if (!(c >= 'a' && c <= 'z') && !absl::ascii_isdigit(c) && c != '-') {
      ok = false;
    }
  }
  if (ok) return absl::OkStatus();
  return Invalid("space_id",
                 "must be 3 to 63 characters of a-z, 0-9 and \"-\", starting "
                 "with a letter");
}

absl::StatusOr<std::string> ParseSpaceName(absl::string_view field,
                                           absl::string_view name) {
  return ParseResourceId(field, name, "spaces");
}

struct TopicName {
  std::string space;  // space id
  std::string topic;  // topic id
};

absl::StatusOr<TopicName> ParseTopicName(absl::string_view field,
                                         absl::string_view name) {
  const size_t at = name.find("/topics/");
  if (at != absl::string_view::npos) {
    absl::StatusOr<std::string> space =
        ParseResourceId(field, name.substr(0, at), "spaces");
    absl::StatusOr<std::string> topic =
        ParseResourceId(field, absl::StrCat("t/", name.substr(at + 8)), "t");
    if (space.ok() && topic.ok()) return TopicName{*space, *topic};
  }
  return Invalid(field,
                 "must be a topic name like spaces/{space}/topics/{topic}");
}

absl::StatusOr<std::string> ParseConversationName(absl::string_view field,
                                                  absl::string_view name) {
  return ParseResourceId(field, name, "conversations");
}

std::string SpaceMemberName(absl::string_view space, absl::string_view member) {
  return absl::StrCat("spaces/", space, "/members/", IdOf(member));
}

// ---- Fields ----

absl::Status CheckTopicTitle(absl::string_view title) {
  return CheckText("topic.title", title, 1, kMaxTopicTitle);
}
absl::Status CheckTopicBody(absl::string_view body) {
  return CheckText("topic.body", body, 1, kMaxTopicBody, TextKind::kMultiLine);
}

absl::Status CheckVisibility(v1::Space::Visibility visibility) {
  if (visibility == v1::Space::OPEN || visibility == v1::Space::INVITE_ONLY) {
    return absl::OkStatus();
  }
  return Invalid("space.visibility", "must be OPEN or INVITE_ONLY");
}

// A time the caller read up to: unset means now; never later than now.
absl::StatusOr<absl::Time> ReadTimeOf(bool has_time,
                                      const google::protobuf::Timestamp& time,
                                      absl::Time now) {
  if (!has_time) return now;
  // Years 1..9999, as google.protobuf.Timestamp allows.
  if (time.seconds() < -62'135'596'800 || time.seconds() > 253'402'300'799 ||
      time.nanos() < 0 || time.nanos() > 999'999'999) {
    return Invalid("read_time", "is not a valid time");
  }
  return std::min(FromProtoTime(time), now);
}

// ---- Space rights ----

// `space` as read for `caller` (caller_is_member is theirs).
bool MayReadTopics(const v1::Principal& caller, const v1::Space& space) {
  if (!TakesPart(caller)) return false;
  return IsSecretariat(caller) || space.visibility() == v1::Space::OPEN ||
         space.caller_is_member();
}

bool MayModerate(const v1::Principal& caller, const v1::Space& space) {
  return IsSecretariat(caller) ||
         Contains(space.facilitators(), caller.member());
}

// A SpaceMember for `member` (name, organisation) joining now.
v1::SpaceMember NewSpaceMember(absl::string_view space,
                               absl::string_view member,
                               absl::string_view display_name,
                               absl::string_view organisation,
                               absl::string_view added_by, absl::Time now) {
  v1::SpaceMember m;
  m.set_name(SpaceMemberName(space, member));
  m.set_member(std::string(member));
  m.set_display_name(std::string(display_name));
  m.set_organisation(std::string(organisation));
  m.set_added_by(std::string(added_by));
  *m.mutable_join_time() = ToProtoTime(now);
  return m;
}

// ---- Blocked members' page positions ----

std::string BlockPosition(const v1::BlockedMember& b) {
  return IndexEntry(
      NewestFirstSortKey(TimeUtil::TimestampToMilliseconds(b.create_time())),
      IdOf(b.member()));
}

// Facilitators first, then by display name.
std::string MemberPosition(const v1::SpaceMember& m) {
  return IndexEntry(absl::StrCat(m.facilitator() ? "0" : "1",
                                 absl::AsciiStrToLower(m.display_name())),
                    IdOf(m.member()));
}

// What CheckTargetAccess says when `why` stands in the way of posting.
void Refuse(Access* access, Access::Reason why, std::string message) {
  access->set_may_post(false);
  access->set_reason(why);
  access->set_message(std::move(message));
}

}  // namespace

// Helpers that need the service's dependencies.
namespace {

// A member as cdc-members shows it to the caller (whose token is
// forwarded): members see ACTIVE members only, the secretariat everyone.
// NOT_FOUND when the caller may not see it.
absl::StatusOr<v1::Member> LookUpMember(v1::MembersService::Stub& members,
                                        const grpc::ServerContext& context,
                                        absl::string_view name) {
  v1::GetMemberRequest request;
  request.set_name(std::string(name));
  v1::Member member;
  CDC_RETURN_IF_ERROR(FromGrpcStatus(
      members.GetMember(ForwardCaller(context).get(), request, &member)));
  return member;
}

// An ACTIVE member named in `field` whose role lets them take part in
// spaces and conversations (MEMBER or SECRETARIAT): the only accounts that
// become facilitators, space members or participants.
absl::StatusOr<v1::Member> ActiveMember(v1::MembersService::Stub& members,
                                        const grpc::ServerContext& context,
                                        absl::string_view field,
                                        absl::string_view name) {
  CDC_RETURN_IF_ERROR(ParseResourceId(field, name, "members").status());
  absl::StatusOr<v1::Member> member = LookUpMember(members, context, name);
  if (absl::IsNotFound(member.status()) ||
      (member.ok() && member->state() != v1::Member::ACTIVE)) {
    return Invalid(field, absl::StrCat(name, " is not an ACTIVE member"));
  }
  CDC_RETURN_IF_ERROR(member.status());
  if (member->role() != v1::ROLE_MEMBER &&
      member->role() != v1::ROLE_SECRETARIAT) {
    return Invalid(field, absl::StrCat(name, " is ", RoleName(member->role()),
                                       ", who cannot take part; only members "
                                       "and the secretariat can"));
  }
  return member;
}

// For each of `names` ("members/{m}"), whether cdc-members shows it to the
// caller as an ACTIVE member (members see only ACTIVE ones; the secretariat
// sees every state). The questions go out together rather than one after
// another: a page of a space's members may need two hundred answers.
absl::StatusOr<std::vector<bool>> AreActive(
    v1::MembersService::Stub& members, const grpc::ServerContext& context,
    const std::vector<std::string>& names) {
  struct Pending {
    v1::GetMemberRequest request;
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::Member>> reader;
    v1::Member member;
    grpc::Status status;
  };
  grpc::CompletionQueue queue;
  std::vector<Pending> pending(names.size());  // never resized: tags
  for (size_t i = 0; i < names.size(); ++i) {
    Pending& p = pending[i];
    p.request.set_name(names[i]);
    p.context = ForwardCaller(context);
    p.reader = members.AsyncGetMember(p.context.get(), p.request, &queue);
    p.reader->Finish(&p.member, &p.status, &p);
  }
  void* tag = nullptr;
  bool ok = false;
  for (size_t done = 0; done < names.size() && queue.Next(&tag, &ok); ++done) {
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  std::vector<bool> active;
  for (const Pending& p : pending) {
    if (!p.status.ok() &&
        p.status.error_code() != grpc::StatusCode::NOT_FOUND) {
      return FromGrpcStatus(p.status);
    }
    active.push_back(p.status.ok() && p.member.state() == v1::Member::ACTIVE);
  }
  return active;
}

}  // namespace

CommunityService::CommunityService(Dependencies d)
    : store_(d.store),
      library_(d.library),
      authenticator_(d.authenticator),
      members_(d.members != nullptr ? v1::MembersService::NewStub(d.members)
                                    : nullptr),
      comments_(d.comments != nullptr ? v1::CommentsService::NewStub(d.comments)
                                      : nullptr),
      clock_(d.clock != nullptr ? *d.clock : Clock::Real()) {}

CommunityService::~CommunityService() = default;

// ---- Spaces ----

grpc::Status CommunityService::CreateSpace(
    grpc::ServerContext* context, const v1::CreateSpaceRequest* request,
    v1::Space* response) {
  return Handle("CreateSpace", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireRole(caller, {v1::ROLE_SECRETARIAT}));
    v1::Space in = request->space();
    CDC_RETURN_IF_ERROR(
        CheckText("space.title", in.title(), 1, kMaxSpaceTitle));
    CDC_RETURN_IF_ERROR(CheckText("space.description", in.description(), 0,
                                  kMaxSpaceDescription, TextKind::kMultiLine));
    if (in.visibility() == v1::Space::VISIBILITY_UNSPECIFIED) {
      in.set_visibility(v1::Space::OPEN);
    }
    CDC_RETURN_IF_ERROR(CheckVisibility(in.visibility()));
    if (!request->space_id().empty()) {
      CDC_RETURN_IF_ERROR(CheckSpaceId(request->space_id()));
    }
    CDC_RETURN_IF_ERROR(CheckRequestId("request_id", request->request_id()));
    if (in.facilitators_size() > kMaxFacilitators) {
      return Invalid(
          "space.facilitators",
          absl::StrCat("holds at most ", kMaxFacilitators, " members (got ",
                       in.facilitators_size(), ")"));
    }
    const absl::Time now = clock_.Now();
    const std::string id = request->space_id().empty()
                               ? absl::StrCat("space-", RandomHex(10))
                               : request->space_id();
    std::vector<v1::SpaceMember> facilitators;
    std::set<std::string> seen;
    for (int i = 0; i < in.facilitators_size(); ++i) {
      const std::string field = Indexed("space.facilitators", i);
      CDC_ASSIGN_OR_RETURN(
          v1::Member m,
          ActiveMember(*members_, *context, field, in.facilitators(i)));
      if (!seen.insert(m.name()).second) {
        return Invalid(field, absl::StrCat("repeats ", m.name()));
      }
      facilitators.push_back(NewSpaceMember(id, m.name(), m.display_name(),
                                            m.organisation(), caller.member(),
                                            now));
    }
    v1::Space space;
    space.set_name(absl::StrCat("spaces/", id));
    space.set_title(in.title());
    space.set_description(in.description());
    space.set_visibility(in.visibility());
    for (const v1::SpaceMember& f : facilitators) {
      space.add_facilitators(f.member());
    }
    space.set_state(v1::Space::ACTIVE);
    *space.mutable_create_time() = ToProtoTime(now);
    *space.mutable_update_time() = ToProtoTime(now);
    v1::Event event;
    *event.mutable_time() = ToProtoTime(now);
    event.set_actor(caller.member());
    event.set_actor_display_name(caller.display_name());
    v1::SpaceCreated* created = event.mutable_space_created();
    created->set_space(space.name());
    created->set_visibility(space.visibility());
    *created->mutable_facilitators() = space.facilitators();
    std::string made = id;
    CDC_RETURN_IF_ERROR(Retrying([&]() -> absl::Status {
      // A retry finds the space its first attempt made.
      if (!request->request_id().empty()) {
        CDC_ASSIGN_OR_RETURN(std::optional<std::string> prior,
                             store_->FindRequest(caller.member(), "space",
                                                 request->request_id()));
        if (prior.has_value()) {
          made = *prior;
          return absl::OkStatus();
        }
      }
      absl::StatusOr<SpaceRecord> existing =
          store_->GetSpace(id, caller.member());
      if (existing.ok()) {
        return absl::AlreadyExistsError(
            absl::StrCat("space_id: ", space.name(), " already exists"));
      }
      if (!absl::IsNotFound(existing.status())) return existing.status();
      return store_->CreateSpace(space, facilitators, caller.member(),
                                 request->request_id(), event);
    }));
    absl::StatusOr<SpaceRecord> record =
        store_->GetSpace(made, caller.member(), /*count_unread=*/true);
    if (absl::IsNotFound(record.status())) {
      return NotFound(absl::StrCat("spaces/", made));
    }
    CDC_RETURN_IF_ERROR(record.status());
    *response = std::move(record->space);
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::GetSpace(grpc::ServerContext* context,
                                        const v1::GetSpaceRequest* request,
                                        v1::Space* response) {
  return Handle("GetSpace", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireParticipant(caller));
    CDC_ASSIGN_OR_RETURN(std::string id,
                         ParseSpaceName("name", request->name()));
    absl::StatusOr<SpaceRecord> record =
        store_->GetSpace(id, caller.member(), /*count_unread=*/true);
    if (absl::IsNotFound(record.status())) return NotFound(request->name());
    CDC_RETURN_IF_ERROR(record.status());
    *response = std::move(record->space);
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::ListSpaces(grpc::ServerContext* context,
                                          const v1::ListSpacesRequest* request,
                                          v1::ListSpacesResponse* response) {
  return Handle("ListSpaces", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireParticipant(caller));
    CDC_ASSIGN_OR_RETURN(int page_size, CheckPageSize(request->page_size()));
    v1::Space::State state = request->state();
    if (state == v1::Space::STATE_UNSPECIFIED) state = v1::Space::ACTIVE;
    if (!v1::Space::State_IsValid(state)) {
      return Invalid("state", "is not a space state");
    }
    const std::string filters =
        absl::StrCat(request->joined_only() ? "joined" : "all", "|", state);
    std::string position;
    if (!request->page_token().empty()) {
      CDC_ASSIGN_OR_RETURN(position,
                           DecodePageToken(request->page_token(), filters));
    }
    CDC_ASSIGN_OR_RETURN(
        Page<SpaceRecord> page,
        store_->ListSpaces(caller.member(), request->joined_only(), state,
                           position, page_size));
    for (SpaceRecord& record : page.items) {
      *response->add_spaces() = std::move(record.space);
    }
    if (!page.next_position.empty()) {
      response->set_next_page_token(
          EncodePageToken(page.next_position, filters));
    }
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::UpdateSpace(
    grpc::ServerContext* context, const v1::UpdateSpaceRequest* request,
    v1::Space* response) {
  return Handle("UpdateSpace", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireRole(caller, {v1::ROLE_SECRETARIAT}));
    const v1::Space& in = request->space();
    CDC_ASSIGN_OR_RETURN(std::string id,
                         ParseSpaceName("space.name", in.name()));
    CDC_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                         DistinctPaths(request->update_mask()));
    const absl::Time now = clock_.Now();
    std::vector<v1::SpaceMember> facilitators;  // when "facilitators"
    bool set_facilitators = false;
    for (const std::string& path : paths) {
      if (path == "title") {
        CDC_RETURN_IF_ERROR(
            CheckText("space.title", in.title(), 1, kMaxSpaceTitle));
      } else if (path == "description") {
        CDC_RETURN_IF_ERROR(CheckText("space.description", in.description(), 0,
                                      kMaxSpaceDescription,
                                      TextKind::kMultiLine));
      } else if (path == "visibility") {
        CDC_RETURN_IF_ERROR(CheckVisibility(in.visibility()));
      } else if (path == "state") {
        if (in.state() != v1::Space::ACTIVE &&
            in.state() != v1::Space::ARCHIVED) {
          return Invalid("space.state", "must be ACTIVE or ARCHIVED");
        }
      } else if (path == "facilitators") {
        set_facilitators = true;
        if (in.facilitators_size() > kMaxFacilitators) {
          return Invalid(
              "space.facilitators",
              absl::StrCat("holds at most ", kMaxFacilitators, " members (got ",
                           in.facilitators_size(), ")"));
        }
        std::set<std::string> seen;
        for (int i = 0; i < in.facilitators_size(); ++i) {
          const std::string field = Indexed("space.facilitators", i);
          CDC_ASSIGN_OR_RETURN(
              v1::Member m,
              ActiveMember(*members_, *context, field, in.facilitators(i)));
          if (!seen.insert(m.name()).second) {
            return Invalid(field, absl::StrCat("repeats ", m.name()));
          }
          facilitators.push_back(NewSpaceMember(id, m.name(), m.display_name(),
                                                m.organisation(),
                                                caller.member(), now));
        }
      } else {
        return Invalid("update_mask",
                       absl::StrCat(path,
                                    " cannot be updated; updatable: title, "
                                    "description, visibility, facilitators, "
                                    "state"));
      }
    }
    CDC_RETURN_IF_ERROR(Retrying([&]() -> absl::Status {
      absl::StatusOr<SpaceRecord> current =
          store_->GetSpace(id, caller.member());
      if (absl::IsNotFound(current.status())) return NotFound(in.name());
      CDC_RETURN_IF_ERROR(current.status());
      if (!in.etag().empty() && in.etag() != current->space.etag()) {
        return StaleEtag(in.name());
      }
      v1::Space next = current->space;
      for (const std::string& path : paths) {
        if (path == "title") next.set_title(in.title());
        if (path == "description") next.set_description(in.description());
        if (path == "visibility") next.set_visibility(in.visibility());
        if (path == "state") next.set_state(in.state());
      }
      // Every facilitator is (made) a member in the same script, so that a
      // member leaving or being removed meanwhile cannot leave a
      // facilitator outside their space (the store adds only the missing).
      std::vector<v1::SpaceMember> joining;
      if (set_facilitators) {
        next.clear_facilitators();
        for (const v1::SpaceMember& f : facilitators) {
          next.add_facilitators(f.member());
          joining.push_back(f);
        }
      }
      *next.mutable_update_time() = ToProtoTime(now);
      return store_->UpdateSpace(next, current->version, joining);
    }));
    CDC_ASSIGN_OR_RETURN(
        SpaceRecord record,
        store_->GetSpace(id, caller.member(), /*count_unread=*/true));
    *response = std::move(record.space);
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::JoinSpace(grpc::ServerContext* context,
                                         const v1::JoinSpaceRequest* request,
                                         v1::Space* response) {
  return Handle("JoinSpace", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireParticipant(caller));
    CDC_ASSIGN_OR_RETURN(std::string id,
                         ParseSpaceName("name", request->name()));
    CDC_RETURN_IF_ERROR(Retrying([&]() -> absl::Status {
      absl::StatusOr<SpaceRecord> current =
          store_->GetSpace(id, caller.member());
      if (absl::IsNotFound(current.status())) return NotFound(request->name());
      CDC_RETURN_IF_ERROR(current.status());
      if (current->space.caller_is_member()) return absl::OkStatus();
      if (current->space.visibility() != v1::Space::OPEN) {
        return absl::PermissionDeniedError(
            absl::StrCat(request->name(),
                         " is invite-only: its facilitators add its members"));
      }
      if (current->space.state() == v1::Space::ARCHIVED) {
        return ReadOnly(current->space);
      }
      return store_->AddMember(
          id,
          NewSpaceMember(id, caller.member(), caller.display_name(),
                         caller.organisation(), "", clock_.Now()),
          current->version);
    }));
    CDC_ASSIGN_OR_RETURN(
        SpaceRecord record,
        store_->GetSpace(id, caller.member(), /*count_unread=*/true));
    *response = std::move(record.space);
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::LeaveSpace(grpc::ServerContext* context,
                                          const v1::LeaveSpaceRequest* request,
                                          v1::Space* response) {
  return Handle("LeaveSpace", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    // It answers with the space, which only members and the secretariat
    // may see.
    CDC_RETURN_IF_ERROR(RequireParticipant(caller));
    CDC_ASSIGN_OR_RETURN(std::string id,
                         ParseSpaceName("name", request->name()));
    CDC_RETURN_IF_ERROR(Retrying([&]() -> absl::Status {
      absl::StatusOr<SpaceRecord> current =
          store_->GetSpace(id, caller.member());
      if (absl::IsNotFound(current.status())) return NotFound(request->name());
      CDC_RETURN_IF_ERROR(current.status());
      if (!current->space.caller_is_member()) return absl::OkStatus();
      if (current->space.caller_is_facilitator()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "you facilitate ", request->name(),
            ": the secretariat must first remove you from its facilitators"));
      }
      return store_->RemoveMember(id, caller.member(), current->version);
    }));
    CDC_ASSIGN_OR_RETURN(
        SpaceRecord record,
        store_->GetSpace(id, caller.member(), /*count_unread=*/true));
    *response = std::move(record.space);
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::AddSpaceMember(
    grpc::ServerContext* context, const v1::AddSpaceMemberRequest* request,
    v1::SpaceMember* response) {
  return Handle("AddSpaceMember", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireParticipant(caller));
    CDC_ASSIGN_OR_RETURN(std::string id,
                         ParseSpaceName("space", request->space()));
    std::optional<v1::Member> member;  // looked up once
    CDC_RETURN_IF_ERROR(Retrying([&]() -> absl::Status {
      absl::StatusOr<SpaceRecord> current =
          store_->GetSpace(id, caller.member());
      if (absl::IsNotFound(current.status())) return NotFound(request->space());
      CDC_RETURN_IF_ERROR(current.status());
      if (!MayModerate(caller, current->space)) {
        return absl::PermissionDeniedError(
            absl::StrCat("only the facilitators of ", request->space(),
                         " and the secretariat add its members"));
      }
      if (current->space.state() == v1::Space::ARCHIVED) {
        return ReadOnly(current->space);
      }
      if (!member.has_value()) {
        CDC_ASSIGN_OR_RETURN(member, ActiveMember(*members_, *context, "member",
                                                  request->member()));
      }
      CDC_ASSIGN_OR_RETURN(std::optional<v1::SpaceMember> present,
                           store_->GetMember(id, member->name()));
      if (present.has_value()) {
        *response = *std::move(present);
        return absl::OkStatus();
      }
      *response =
          NewSpaceMember(id, member->name(), member->display_name(),
                         member->organisation(), caller.member(), clock_.Now());
      return store_->AddMember(id, *response, current->version);
    }));
    CDC_ASSIGN_OR_RETURN(SpaceRecord record,
                         store_->GetSpace(id, caller.member()));
    response->set_facilitator(
        Contains(record.space.facilitators(), response->member()));
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::RemoveSpaceMember(
    grpc::ServerContext* context, const v1::RemoveSpaceMemberRequest* request,
    google::protobuf::Empty* /*response*/) {
  return Handle("RemoveSpaceMember", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireParticipant(caller));
    CDC_ASSIGN_OR_RETURN(std::string id,
                         ParseSpaceName("space", request->space()));
    CDC_RETURN_IF_ERROR(
        ParseResourceId("member", request->member(), "members").status());
    return Retrying([&]() -> absl::Status {
      absl::StatusOr<SpaceRecord> current =
          store_->GetSpace(id, caller.member());
      if (absl::IsNotFound(current.status())) return NotFound(request->space());
      CDC_RETURN_IF_ERROR(current.status());
      if (!MayModerate(caller, current->space)) {
        return absl::PermissionDeniedError(
            absl::StrCat("only the facilitators of ", request->space(),
                         " and the secretariat remove its members"));
      }
      if (Contains(current->space.facilitators(), request->member())) {
        return absl::FailedPreconditionError(
            absl::StrCat(request->member(), " facilitates ", request->space(),
                         ": remove them from its facilitators first"));
      }
      CDC_ASSIGN_OR_RETURN(std::optional<v1::SpaceMember> present,
                           store_->GetMember(id, request->member()));
      if (!present.has_value()) {
        return NotFound(SpaceMemberName(id, request->member()));
      }
      return store_->RemoveMember(id, request->member(), current->version);
    });
  });
}

grpc::Status CommunityService::ListSpaceMembers(
    grpc::ServerContext* context, const v1::ListSpaceMembersRequest* request,
    v1::ListSpaceMembersResponse* response) {
  return Handle("ListSpaceMembers", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireParticipant(caller));
    CDC_ASSIGN_OR_RETURN(std::string id,
                         ParseSpaceName("parent", request->parent()));
    CDC_ASSIGN_OR_RETURN(int page_size, CheckPageSize(request->page_size()));
    std::string position;
    if (!request->page_token().empty()) {
      CDC_ASSIGN_OR_RETURN(
          position, DecodePageToken(request->page_token(), request->parent()));
    }
    absl::StatusOr<SpaceRecord> space = store_->GetSpace(id, caller.member());
    if (absl::IsNotFound(space.status())) return NotFound(request->parent());
    CDC_RETURN_IF_ERROR(space.status());
    if (!MayReadTopics(caller, space->space)) {
      return absl::PermissionDeniedError(
          absl::StrCat(request->parent(),
                       " is invite-only: only its members see who belongs"));
    }
    // Spaces have hundreds of members at most: sorted here, paged by the
    // position of the last one shown. Members no longer ACTIVE (suspended)
    // stay in the space but are not shown: cdc-members is asked about the
    // candidates in order until the page and one more are found.
    CDC_ASSIGN_OR_RETURN(std::vector<v1::SpaceMember> members,
                         store_->Members(id));
    std::vector<std::pair<std::string, v1::SpaceMember>> sorted;
    for (v1::SpaceMember& m : members) {
      m.set_facilitator(Contains(space->space.facilitators(), m.member()));
      std::string key = MemberPosition(m);
      if (key > position) sorted.emplace_back(std::move(key), std::move(m));
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    const size_t wanted = static_cast<size_t>(page_size) + 1;
    std::vector<size_t> shown;  // positions in `sorted` of ACTIVE members
    for (size_t next = 0; next < sorted.size() && shown.size() < wanted;) {
      const size_t end =
          std::min(sorted.size(), next + (wanted - shown.size()));
      std::vector<std::string> names;
      for (size_t i = next; i < end; ++i) {
        names.push_back(sorted[i].second.member());
      }
      CDC_ASSIGN_OR_RETURN(std::vector<bool> active,
                           AreActive(*members_, *context, names));
      for (size_t i = next; i < end; ++i) {
        if (active[i - next]) shown.push_back(i);
      }
      next = end;
    }
    for (size_t k = 0; k < shown.size(); ++k) {
      if (k == static_cast<size_t>(page_size)) {
        response->set_next_page_token(
            EncodePageToken(sorted[shown[k - 1]].first, request->parent()));
        break;
      }
      *response->add_space_members() = std::move(sorted[shown[k]].second);
    }
    return absl::OkStatus();
  });
}

// ---- Topics ----

namespace {

// A topic's space and the topic as `caller` may see them: NOT_FOUND (named
// after the topic) when either is missing or the caller may not read the
// space's topics.
struct TopicView {
  SpaceRecord space;
  TopicRecord topic;
};

absl::StatusOr<TopicView> ReadTopic(CommunityStore& store,
                                    const v1::Principal& caller,
                                    absl::string_view name,
                                    const TopicName& parsed) {
  absl::StatusOr<SpaceRecord> space =
      store.GetSpace(parsed.space, caller.member());
  if (absl::IsNotFound(space.status())) return NotFound(name);
  CDC_RETURN_IF_ERROR(space.status());
  if (!MayReadTopics(caller, space->space)) return NotFound(name);
  absl::StatusOr<TopicRecord> topic =
      store.GetTopic(parsed.space, parsed.topic, caller.member());
  if (absl::IsNotFound(topic.status())) return NotFound(name);
  CDC_RETURN_IF_ERROR(topic.status());
  return TopicView{*std::move(space), *std::move(topic)};
}

// A facilitator's (or the secretariat's) change of a topic: decides the
// new topic from the current one, or refuses.
using TopicDecision =
    std::function<absl::Status(const v1::Topic& current, v1::Topic* next)>;

}  // namespace

grpc::Status CommunityService::CreateTopic(
    grpc::ServerContext* context, const v1::CreateTopicRequest* request,
    v1::Topic* response) {
  return Handle("CreateTopic", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireParticipant(caller));
    CDC_ASSIGN_OR_RETURN(std::string space_id,
                         ParseSpaceName("parent", request->parent()));
    CDC_RETURN_IF_ERROR(CheckRequestId("request_id", request->request_id()));
    std::string made;
    CDC_RETURN_IF_ERROR(Retrying([&]() -> absl::Status {
      if (!request->request_id().empty()) {
        CDC_ASSIGN_OR_RETURN(
            std::optional<std::string> prior,
            store_->FindRequest(caller.member(), request->parent(),
                                request->request_id()));
        if (prior.has_value()) {
          made = *prior;
          return absl::OkStatus();
        }
      }
      absl::StatusOr<SpaceRecord> space =
          store_->GetSpace(space_id, caller.member());
      if (absl::IsNotFound(space.status())) return NotFound(request->parent());
      CDC_RETURN_IF_ERROR(space.status());
      if (!space->space.caller_is_member()) {
        return absl::PermissionDeniedError(
            absl::StrCat("you are not a member of ", request->parent(),
                         space->space.visibility() == v1::Space::OPEN
                             ? ": join it first"
                             : ": ask one of its facilitators to add you"));
      }
      if (space->space.state() == v1::Space::ARCHIVED) {
        return ReadOnly(space->space);
      }
      v1::Topic topic = request->topic();
      CDC_RETURN_IF_ERROR(CheckTopicTitle(topic.title()));
      CDC_RETURN_IF_ERROR(CheckTopicBody(topic.body()));
      CDC_RETURN_IF_ERROR(NormaliseTags("topic.tags", topic.mutable_tags()));
      const absl::Time now = clock_.Now();
      made = RandomHex(12);
      v1::Topic stored;
      stored.set_name(absl::StrCat(request->parent(), "/topics/", made));
      stored.set_title(topic.title());
      stored.set_body(topic.body());
      *stored.mutable_tags() = topic.tags();
      stored.set_author(caller.member());
      stored.set_author_display_name(caller.display_name());
      stored.set_state(v1::Topic::OPEN);
      *stored.mutable_create_time() = ToProtoTime(now);
      *stored.mutable_update_time() = ToProtoTime(now);
      v1::Event event;
      *event.mutable_time() = ToProtoTime(now);
      event.set_actor(caller.member());
      event.set_actor_display_name(caller.display_name());
      v1::TopicStarted* started = event.mutable_topic_started();
      started->set_topic(stored.name());
      started->set_space(request->parent());
      started->set_author(caller.member());
      *started->mutable_tags() = stored.tags();
      return store_->CreateTopic(stored, space->version, request->request_id(),
                                 event);
    }));
    // A retry answers the topic its first attempt made only if the caller
    // may still read it (they may have left or been removed since).
    const std::string name = absl::StrCat(request->parent(), "/topics/", made);
    CDC_ASSIGN_OR_RETURN(TopicView view, ReadTopic(*store_, caller, name,
                                                   TopicName{space_id, made}));
    *response = std::move(view.topic.topic);
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::GetTopic(grpc::ServerContext* context,
                                        const v1::GetTopicRequest* request,
                                        v1::Topic* response) {
  return Handle("GetTopic", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_ASSIGN_OR_RETURN(TopicName parsed,
                         ParseTopicName("name", request->name()));
    CDC_ASSIGN_OR_RETURN(TopicView view,
                         ReadTopic(*store_, caller, request->name(), parsed));
    *response = std::move(view.topic.topic);
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::ListTopics(grpc::ServerContext* context,
                                          const v1::ListTopicsRequest* request,
                                          v1::ListTopicsResponse* response) {
  return Handle("ListTopics", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireParticipant(caller));
    CDC_ASSIGN_OR_RETURN(std::string space_id,
                         ParseSpaceName("parent", request->parent()));
    CDC_ASSIGN_OR_RETURN(int page_size, CheckPageSize(request->page_size()));
    if (!v1::Topic::State_IsValid(request->state())) {
      return Invalid("state", "is not a topic state");
    }
    TopicFilter filter;
    filter.state = request->state();
    if (!request->tag().empty()) {
      google::protobuf::RepeatedPtrField<std::string> tag;
      tag.Add(std::string(request->tag()));
      CDC_RETURN_IF_ERROR(NormaliseTags("tag", &tag));
      filter.tag = tag[0];
    }
    if (!request->author().empty()) {
      CDC_RETURN_IF_ERROR(
          ParseResourceId("author", request->author(), "members").status());
      filter.author = request->author();
    }
    filter.unread_only = request->unread_only();
    const std::string filters = absl::StrJoin(
        {request->parent(), absl::StrCat(filter.state), filter.tag,
         filter.author, std::string(filter.unread_only ? "1" : "0")},
        "|");
    std::string position;
    if (!request->page_token().empty()) {
      CDC_ASSIGN_OR_RETURN(position,
                           DecodePageToken(request->page_token(), filters));
    }
    absl::StatusOr<SpaceRecord> space =
        store_->GetSpace(space_id, caller.member());
    if (absl::IsNotFound(space.status())) return NotFound(request->parent());
    CDC_RETURN_IF_ERROR(space.status());
    if (!MayReadTopics(caller, space->space)) {
      return absl::PermissionDeniedError(
          absl::StrCat(request->parent(),
                       " is invite-only: only its members read its topics"));
    }
    CDC_ASSIGN_OR_RETURN(Page<TopicRecord> page,
                         store_->ListTopics(space_id, caller.member(), filter,
                                            position, page_size));
    for (TopicRecord& record : page.items) {
      *response->add_topics() = std::move(record.topic);
    }
    if (!page.next_position.empty()) {
      response->set_next_page_token(
          EncodePageToken(page.next_position, filters));
    }
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::UpdateTopic(
    grpc::ServerContext* context, const v1::UpdateTopicRequest* request,
    v1::Topic* response) {
  return Handle("UpdateTopic", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireParticipant(caller));
    v1::Topic in = request->topic();
    CDC_ASSIGN_OR_RETURN(TopicName parsed,
                         ParseTopicName("topic.name", in.name()));
    CDC_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                         DistinctPaths(request->update_mask()));
    CDC_RETURN_IF_ERROR(Retrying([&]() -> absl::Status {
      CDC_ASSIGN_OR_RETURN(TopicView view,
                           ReadTopic(*store_, caller, in.name(), parsed));
      const v1::Topic& current = view.topic.topic;
      const bool moderator = MayModerate(caller, view.space.space);
      if (!moderator && current.author() != caller.member()) {
        return absl::PermissionDeniedError(
            absl::StrCat("only the author of ", in.name(),
                         ", its space's facilitators and the secretariat "
                         "edit it"));
      }
      if (view.space.space.state() == v1::Space::ARCHIVED) {
        return ReadOnly(view.space.space);
      }
      if (!moderator && current.state() != v1::Topic::OPEN) {
        return absl::FailedPreconditionError(absl::StrCat(
            in.name(), " is ", v1::Topic::State_Name(current.state()),
            ": its author can no longer edit it"));
      }
      v1::Topic next = current;
      for (const std::string& path : paths) {
        if (path == "title") {
          CDC_RETURN_IF_ERROR(CheckTopicTitle(in.title()));
          next.set_title(in.title());
        } else if (path == "body") {
          CDC_RETURN_IF_ERROR(CheckTopicBody(in.body()));
          next.set_body(in.body());
        } else if (path == "tags") {
          CDC_RETURN_IF_ERROR(NormaliseTags("topic.tags", in.mutable_tags()));
          *next.mutable_tags() = in.tags();
        } else {
          return Invalid("update_mask",
                         absl::StrCat(path,
                                      " cannot be updated; updatable: title, "
                                      "body, tags"));
        }
      }
      if (!in.etag().empty() && in.etag() != current.etag()) {
        return StaleEtag(in.name());
      }
      *next.mutable_update_time() = ToProtoTime(clock_.Now());
      return store_->UpdateTopic(next, view.topic.version, view.space.version,
                                 0);
    }));
    CDC_ASSIGN_OR_RETURN(TopicView view,
                         ReadTopic(*store_, caller, in.name(), parsed));
    *response = std::move(view.topic.topic);
    return absl::OkStatus();
  });
}

namespace {

// A facilitator's or the secretariat's change of a topic's state or pin:
// reads, checks the rights and that the space is not archived, lets
// `decide` make the new topic, and writes it (counting it out of the
// space's topics when it becomes ARCHIVED). Answers the topic after it.
absl::Status ModerateTopic(CommunityStore& store, const v1::Principal& caller,
                           absl::string_view name, absl::Time now,
                           const TopicDecision& decide, v1::Topic* response) {
  CDC_RETURN_IF_ERROR(RequireParticipant(caller));
  CDC_ASSIGN_OR_RETURN(TopicName parsed, ParseTopicName("name", name));
  CDC_RETURN_IF_ERROR(Retrying([&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(TopicView view,
                         ReadTopic(store, caller, name, parsed));
    if (!MayModerate(caller, view.space.space)) {
      return absl::PermissionDeniedError(
          absl::StrCat("only the facilitators of ", view.space.space.name(),
                       " and the secretariat do this"));
    }
    if (view.space.space.state() == v1::Space::ARCHIVED) {
      return ReadOnly(view.space.space);
    }
    const v1::Topic& current = view.topic.topic;
    v1::Topic next = current;
    CDC_RETURN_IF_ERROR(decide(current, &next));
    *next.mutable_update_time() = ToProtoTime(now);
    const int archived = next.state() == v1::Topic::ARCHIVED &&
                         current.state() != v1::Topic::ARCHIVED;
    return store.UpdateTopic(next, view.topic.version, view.space.version,
                             -archived);
  }));
  CDC_ASSIGN_OR_RETURN(TopicView view, ReadTopic(store, caller, name, parsed));
  *response = std::move(view.topic.topic);
  return absl::OkStatus();
}

absl::Status WrongTopicState(const v1::Topic& topic, absl::string_view need) {
  return absl::FailedPreconditionError(absl::StrCat(
      topic.name(), " is ", v1::Topic::State_Name(topic.state()), "; ", need));
}

}  // namespace

grpc::Status CommunityService::PinTopic(grpc::ServerContext* context,
                                        const v1::PinTopicRequest* request,
                                        v1::Topic* response) {
  return Handle("PinTopic", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    return ModerateTopic(
        *store_, caller, request->name(), clock_.Now(),
        [&](const v1::Topic& current, v1::Topic* next) -> absl::Status {
          if (current.state() == v1::Topic::ARCHIVED) {
            return WrongTopicState(current, "an archived topic is read-only");
          }
          next->set_pinned(request->pinned());
          return absl::OkStatus();
        },
        response);
  });
}

grpc::Status CommunityService::CloseTopic(grpc::ServerContext* context,
                                          const v1::CloseTopicRequest* request,
                                          v1::Topic* response) {
  return Handle("CloseTopic", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    return ModerateTopic(
        *store_, caller, request->name(), clock_.Now(),
        [&](const v1::Topic& current, v1::Topic* next) -> absl::Status {
          CDC_RETURN_IF_ERROR(CheckText("reason", request->reason(), 0,
                                        kMaxCloseReason, TextKind::kMultiLine));
          if (current.state() != v1::Topic::OPEN) {
            return WrongTopicState(current, "only an OPEN topic can be closed");
          }
          next->set_state(v1::Topic::CLOSED);
          next->set_close_reason(request->reason());
          return absl::OkStatus();
        },
        response);
  });
}

grpc::Status CommunityService::ReopenTopic(
    grpc::ServerContext* context, const v1::ReopenTopicRequest* request,
    v1::Topic* response) {
  return Handle("ReopenTopic", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    return ModerateTopic(
        *store_, caller, request->name(), clock_.Now(),
        [&](const v1::Topic& current, v1::Topic* next) -> absl::Status {
          if (current.state() != v1::Topic::CLOSED) {
            return WrongTopicState(current,
                                   "only a CLOSED topic can be reopened");
          }
          next->set_state(v1::Topic::OPEN);
          next->clear_close_reason();
          return absl::OkStatus();
        },
        response);
  });
}

grpc::Status CommunityService::ArchiveTopic(
    grpc::ServerContext* context, const v1::ArchiveTopicRequest* request,
    v1::Topic* response) {
  return Handle("ArchiveTopic", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    return ModerateTopic(
        *store_, caller, request->name(), clock_.Now(),
        [&](const v1::Topic& current, v1::Topic* next) -> absl::Status {
          if (current.state() == v1::Topic::ARCHIVED) {
            return WrongTopicState(current, "it is archived already");
          }
          next->set_state(v1::Topic::ARCHIVED);
          next->set_pinned(false);  // out of the default list, not on top
          return absl::OkStatus();
        },
        response);
  });
}

grpc::Status CommunityService::MarkTopicRead(
    grpc::ServerContext* context, const v1::MarkTopicReadRequest* request,
    v1::Topic* response) {
  return Handle("MarkTopicRead", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_ASSIGN_OR_RETURN(TopicName parsed,
                         ParseTopicName("name", request->name()));
    CDC_RETURN_IF_ERROR(
        ReadTopic(*store_, caller, request->name(), parsed).status());
    CDC_ASSIGN_OR_RETURN(absl::Time read,
                         ReadTimeOf(request->has_read_time(),
                                    request->read_time(), clock_.Now()));
    CDC_RETURN_IF_ERROR(store_->MarkTopicRead(parsed.space, parsed.topic,
                                              caller.member(), read));
    CDC_ASSIGN_OR_RETURN(TopicView view,
                         ReadTopic(*store_, caller, request->name(), parsed));
    *response = std::move(view.topic.topic);
    return absl::OkStatus();
  });
}

// ---- Conversations ----

namespace {

// The conversation if `who` takes part in it; NOT_FOUND otherwise, the
// same answer as for a conversation that does not exist. Conversations are
// for members and the secretariat: an observer, or a partner system acting
// for a participant's organisation, finds none.
absl::StatusOr<ConversationRecord> ReadConversation(CommunityStore& store,
                                                    const v1::Principal& who,
                                                    absl::string_view name) {
  CDC_ASSIGN_OR_RETURN(std::string id, ParseConversationName("name", name));
  if (!RequireParticipant(who).ok()) return NotFound(name);
  absl::StatusOr<ConversationRecord> record =
      store.GetConversation(id, who.member());
  if (absl::IsNotFound(record.status()) ||
      (record.ok() &&
       !Contains(record->conversation.participants(), who.member()))) {
    return NotFound(name);
  }
  return record;
}

}  // namespace

grpc::Status CommunityService::CreateConversation(
    grpc::ServerContext* context, const v1::CreateConversationRequest* request,
    v1::Conversation* response) {
  return Handle("CreateConversation", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireParticipant(caller));
    const v1::Conversation& in = request->conversation();
    CDC_RETURN_IF_ERROR(
        CheckText("conversation.subject", in.subject(), 0, kMaxSubject));
    CDC_RETURN_IF_ERROR(CheckRequestId("request_id", request->request_id()));
    std::vector<std::string> participants = {caller.member()};
    std::vector<int> positions;  // of the others in the request
    for (int i = 0; i < in.participants_size(); ++i) {
      const std::string& p = in.participants(i);
      if (std::find(participants.begin(), participants.end(), p) !=
          participants.end()) {
        if (p == caller.member()) continue;
        return Invalid(Indexed("conversation.participants", i),
                       absl::StrCat("repeats ", p));
      }
      participants.push_back(p);
      positions.push_back(i);
    }
    const int others = static_cast<int>(participants.size()) - 1;
    if (others < 1 || others > kMaxParticipants - 1) {
      return Invalid("conversation.participants",
                     absl::StrCat("must name 1 to ", kMaxParticipants - 1,
                                  " other members (", kMaxParticipants,
                                  " participants with you); got ", others));
    }
    for (int k = 0; k < others; ++k) {
      CDC_RETURN_IF_ERROR(
          ActiveMember(*members_, *context,
                       Indexed("conversation.participants", positions[k]),
                       participants[k + 1])
              .status());
    }
    const std::vector<std::string> others_list(participants.begin() + 1,
                                               participants.end());
    const absl::Time now = clock_.Now();
    std::string made = RandomHex(20);
    CDC_RETURN_IF_ERROR(Retrying([&]() -> absl::Status {
      if (!request->request_id().empty()) {
        CDC_ASSIGN_OR_RETURN(
            std::optional<std::string> prior,
            store_->FindRequest(caller.member(), "conversation",
                                request->request_id()));
        if (prior.has_value()) {
          made = *prior;
          return absl::OkStatus();
        }
      }
      CDC_ASSIGN_OR_RETURN(std::vector<bool> blocking,
                           store_->BlockedBy(others_list, caller.member()));
      CDC_ASSIGN_OR_RETURN(std::vector<v1::BlockedMember> blocked,
                           store_->Blocks(caller.member()));
      for (size_t k = 0; k < others_list.size(); ++k) {
        if (blocking[k]) {
          return absl::PermissionDeniedError(absl::StrCat(
              others_list[k], " has blocked you: you cannot write to them"));
        }
      }
      for (const v1::BlockedMember& b : blocked) {
        if (std::find(others_list.begin(), others_list.end(), b.member()) !=
            others_list.end()) {
          return absl::PermissionDeniedError(
              absl::StrCat("you have blocked ", b.member(),
                           ": unblock them first to write to them"));
        }
      }
      v1::Conversation c;
      c.set_name(absl::StrCat("conversations/", made));
      for (const std::string& p : participants) c.add_participants(p);
      c.set_subject(in.subject());
      c.set_creator(caller.member());
      *c.mutable_create_time() = ToProtoTime(now);
      return store_->CreateConversation(c, request->request_id());
    }));
    CDC_ASSIGN_OR_RETURN(
        ConversationRecord record,
        ReadConversation(*store_, caller,
                         absl::StrCat("conversations/", made)));
    *response = std::move(record.conversation);
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::GetConversation(
    grpc::ServerContext* context, const v1::GetConversationRequest* request,
    v1::Conversation* response) {
  return Handle("GetConversation", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_ASSIGN_OR_RETURN(ConversationRecord record,
                         ReadConversation(*store_, caller, request->name()));
    *response = std::move(record.conversation);
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::ListConversations(
    grpc::ServerContext* context, const v1::ListConversationsRequest* request,
    v1::ListConversationsResponse* response) {
  return Handle("ListConversations", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireParticipant(caller));
    CDC_ASSIGN_OR_RETURN(int page_size, CheckPageSize(request->page_size()));
    std::string position;
    if (!request->page_token().empty()) {
      CDC_ASSIGN_OR_RETURN(position,
                           DecodePageToken(request->page_token(), "inbox"));
    }
    CDC_ASSIGN_OR_RETURN(
        Page<ConversationRecord> page,
        store_->ListConversations(caller.member(), position, page_size));
    for (ConversationRecord& record : page.items) {
      *response->add_conversations() = std::move(record.conversation);
    }
    if (!page.next_position.empty()) {
      response->set_next_page_token(
          EncodePageToken(page.next_position, "inbox"));
    }
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::LeaveConversation(
    grpc::ServerContext* context, const v1::LeaveConversationRequest* request,
    google::protobuf::Empty* /*response*/) {
  return Handle("LeaveConversation", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    return Retrying([&]() -> absl::Status {
      CDC_ASSIGN_OR_RETURN(ConversationRecord record,
                           ReadConversation(*store_, caller, request->name()));
      return store_->LeaveConversation(IdOf(request->name()), caller.member(),
                                       record.version);
    });
  });
}

grpc::Status CommunityService::MarkConversationRead(
    grpc::ServerContext* context,
    const v1::MarkConversationReadRequest* request,
    v1::Conversation* response) {
  return Handle("MarkConversationRead", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(
        ReadConversation(*store_, caller, request->name()).status());
    CDC_ASSIGN_OR_RETURN(absl::Time read,
                         ReadTimeOf(request->has_read_time(),
                                    request->read_time(), clock_.Now()));
    CDC_RETURN_IF_ERROR(store_->MarkConversationRead(IdOf(request->name()),
                                                     caller.member(), read));
    CDC_ASSIGN_OR_RETURN(ConversationRecord record,
                         ReadConversation(*store_, caller, request->name()));
    *response = std::move(record.conversation);
    return absl::OkStatus();
  });
}

// ---- Blocks ----

grpc::Status CommunityService::BlockMember(
    grpc::ServerContext* context, const v1::BlockMemberRequest* request,
    v1::BlockedMember* response) {
  return Handle("BlockMember", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireParticipant(caller));
    CDC_ASSIGN_OR_RETURN(
        std::string id,
        ParseResourceId("member", request->member(), "members"));
    if (request->member() == caller.member()) {
      return Invalid("member", "you cannot block yourself");
    }
    absl::StatusOr<v1::Member> member =
        LookUpMember(*members_, *context, request->member());
    if (absl::IsNotFound(member.status())) {
      return Invalid("member",
                     absl::StrCat(request->member(), " is not a member"));
    }
    CDC_RETURN_IF_ERROR(member.status());
    if (member->role() == v1::ROLE_SECRETARIAT) {
      return absl::FailedPreconditionError(absl::StrCat(
          request->member(), " is of the secretariat, who cannot be blocked"));
    }
    v1::BlockedMember blocked;
    blocked.set_name(absl::StrCat(caller.member(), "/blockedMembers/", id));
    blocked.set_member(member->name());
    blocked.set_display_name(member->display_name());
    *blocked.mutable_create_time() = ToProtoTime(clock_.Now());
    CDC_ASSIGN_OR_RETURN(*response, store_->Block(caller.member(), blocked));
    return absl::OkStatus();
  });
}

grpc::Status CommunityService::UnblockMember(
    grpc::ServerContext* context, const v1::UnblockMemberRequest* request,
    google::protobuf::Empty* /*response*/) {
  return Handle("UnblockMember", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireParticipant(caller));
    CDC_RETURN_IF_ERROR(
        ParseResourceId("member", request->member(), "members").status());
    return store_->Unblock(caller.member(), request->member());
  });
}

grpc::Status CommunityService::ListBlockedMembers(
    grpc::ServerContext* context, const v1::ListBlockedMembersRequest* request,
    v1::ListBlockedMembersResponse* response) {
  return Handle("ListBlockedMembers", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_RETURN_IF_ERROR(RequireParticipant(caller));
    CDC_ASSIGN_OR_RETURN(int page_size, CheckPageSize(request->page_size()));
    std::string position;
    if (!request->page_token().empty()) {
      CDC_ASSIGN_OR_RETURN(position,
                           DecodePageToken(request->page_token(), "blocks"));
    }
    CDC_ASSIGN_OR_RETURN(std::vector<v1::BlockedMember> blocks,
                         store_->Blocks(caller.member()));
    std::vector<std::pair<std::string, v1::BlockedMember>> sorted;
    for (v1::BlockedMember& b : blocks) {
      std::string key = BlockPosition(b);
      if (key > position) sorted.emplace_back(std::move(key), std::move(b));
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (i == static_cast<size_t>(page_size)) {
        response->set_next_page_token(
            EncodePageToken(sorted[i - 1].first, "blocks"));
        break;
      }
      *response->add_blocked_members() = std::move(sorted[i].second);
    }
    return absl::OkStatus();
  });
}

// ---- Access ----

grpc::Status CommunityService::CheckTargetAccess(
    grpc::ServerContext* context, const v1::CheckTargetAccessRequest* request,
    v1::CheckTargetAccessResponse* response) {
  return Handle("CheckTargetAccess", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    // Whom the answer is about: the caller, or (for the secretariat) the
    // member named, with that member's role and state.
    v1::Principal subject = caller;
    bool active = true;
    if (!request->member().empty() && request->member() != caller.member()) {
      if (!IsSecretariat(caller)) {
        return absl::PermissionDeniedError(
            "member: only the secretariat may ask about another member");
      }
      CDC_RETURN_IF_ERROR(
          ParseResourceId("member", request->member(), "members").status());
      absl::StatusOr<v1::Member> member =
          LookUpMember(*members_, *context, request->member());
      if (absl::IsNotFound(member.status())) {
        return NotFound(request->member());
      }
      CDC_RETURN_IF_ERROR(member.status());
      subject.set_member(member->name());
      subject.set_role(member->role());
      subject.set_display_name(member->display_name());
      active = member->state() == v1::Member::ACTIVE;
    }
    const std::string& target = request->target();
    Access& access = *response;
    access.set_may_post(true);
    const auto role_check = [&](bool allowed) {
      if (!active) {
        Refuse(&access, Access::ROLE_MAY_NOT_POST,
               absl::StrCat(subject.member(), " is not an ACTIVE member"));
      } else if (!allowed) {
        Refuse(&access, Access::ROLE_MAY_NOT_POST,
               absl::StrCat("the ", RoleName(subject.role()),
                            " role may not post here"));
      }
    };

    if (absl::StartsWith(target, "spaces/")) {
      // A topic the subject may not read (wrong role, or an invite-only
      // space they are not in) answers as one that does not exist: nothing
      // of it — title, state, close reason — is told.
      CDC_ASSIGN_OR_RETURN(TopicName parsed, ParseTopicName("target", target));
      CDC_ASSIGN_OR_RETURN(TopicView view,
                           ReadTopic(*store_, subject, target, parsed));
      const v1::Space& s = view.space.space;
      const v1::Topic& t = view.topic.topic;
      access.set_space(s.name());
      access.set_title(t.title());
      access.set_may_read(active);
      access.set_may_moderate(active && MayModerate(subject, s));
      role_check(/*allowed=*/true);  // readers are members or secretariat
      if (!access.may_post()) return absl::OkStatus();
      if (s.state() == v1::Space::ARCHIVED) {
        Refuse(&access, Access::SPACE_ARCHIVED,
               absl::StrCat(s.name(), " is archived: it is read-only"));
      } else if (t.state() == v1::Topic::ARCHIVED) {
        Refuse(&access, Access::TOPIC_ARCHIVED,
               "this topic is archived: it is read-only");
      } else if (t.state() == v1::Topic::CLOSED) {
        Refuse(&access, Access::TOPIC_CLOSED,
               t.close_reason().empty()
                   ? "this topic is closed: it takes no new posts"
                   : absl::StrCat("this topic is closed: ", t.close_reason()));
      } else if (!s.caller_is_member()) {
        Refuse(&access, Access::NOT_A_SPACE_MEMBER,
               absl::StrCat("only members of ", s.name(), " post here",
                            s.visibility() == v1::Space::OPEN
                                ? ": join it first"
                                : "; it is invite-only"));
      }
      return absl::OkStatus();
    }

    if (absl::StartsWith(target, "conversations/")) {
      CDC_RETURN_IF_ERROR(ParseConversationName("target", target).status());
      // A conversation exists only for its participants: nobody, the
      // secretariat included, learns of another member's one. So the
      // subject here is the caller: ACTIVE, and a participant.
      if (subject.member() != caller.member()) return NotFound(target);
      CDC_ASSIGN_OR_RETURN(ConversationRecord record,
                           ReadConversation(*store_, caller, target));
      const v1::Conversation& c = record.conversation;
      *access.mutable_participants() = c.participants();
      access.set_title(c.subject());
      access.set_may_read(true);
      std::vector<std::string> others;
      for (const std::string& p : c.participants()) {
        if (p != caller.member()) others.push_back(p);
      }
      if (others.empty()) {
        Refuse(&access, Access::NO_OTHER_PARTICIPANT,
               "everyone else has left this conversation");
        return absl::OkStatus();
      }
      CDC_ASSIGN_OR_RETURN(std::vector<bool> blocking,
                           store_->BlockedBy(others, caller.member()));
      for (size_t k = 0; k < others.size(); ++k) {
        if (blocking[k]) {
          Refuse(&access, Access::BLOCKED,
                 absl::StrCat(others[k], " has blocked you"));
          break;
        }
      }
      return absl::OkStatus();
    }

    if (absl::StartsWith(target, "resources/")) {
      CDC_RETURN_IF_ERROR(
          ParseResourceId("target", target, "resources").status());
      absl::StatusOr<std::string> title = library_->ResourceTitle(target);
      if (absl::IsNotFound(title.status())) return NotFound(target);
      CDC_RETURN_IF_ERROR(title.status());
      access.set_title(*title);
      access.set_may_read(active);
      access.set_may_moderate(active && IsSecretariat(subject));
      role_check(subject.role() != v1::ROLE_OBSERVER);
      return absl::OkStatus();
    }

    return Invalid("target",
                   "must be a topic (spaces/{s}/topics/{t}), conversation "
                   "(conversations/{c}) or resource (resources/{r}) name");
  });
}

}  // namespace cdc::community
