#include "services/members/members_service.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/crypto.h"
#include "services/common/handler.h"
#include "services/common/keys.h"
#include "services/common/page_token.h"
#include "services/common/status_macros.h"
#include "services/common/validation.h"

namespace cdc::members {
namespace {

using google::protobuf::util::TimeUtil;

constexpr size_t kMaxDisplayName = 100;
constexpr size_t kMaxOrganisation = 200;
constexpr size_t kMaxBiography = 2000;
constexpr size_t kMaxReason = 1000;
constexpr int kMaxLanguages = 10;

// The profile paths UpdateMember accepts.
const std::set<std::string>& UpdatablePaths() {
  static const auto* const paths = new std::set<std::string>{
      "display_name", "organisation", "organisation_type",
      "country",      "languages",    "biography"};
  return *paths;
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(t));
}

// Checks one profile field of `m` (prefix names it, e.g. "member.").
absl::Status CheckProfileField(const v1::Member& m, absl::string_view path) {
  const std::string field = absl::StrCat("member.", path);
  if (path == "display_name") {
    return CheckText(field, m.display_name(), 1, kMaxDisplayName);
  }
  if (path == "organisation") {
    return CheckText(field, m.organisation(), 1, kMaxOrganisation);
  }
  if (path == "organisation_type") {
    if (m.organisation_type() == v1::ORGANISATION_TYPE_UNSPECIFIED ||
        !v1::OrganisationType_IsValid(m.organisation_type())) {
      return absl::InvalidArgumentError(
          absl::StrCat(field,
                       ": must be one of the organisation types, e.g. "
                       "ORGANISATION_TYPE_CIVIL_SOCIETY"));
    }
    return absl::OkStatus();
  }
  if (path == "country") return CheckCountry(field, m.country());
  if (path == "languages") {
    if (m.languages().empty() || m.languages_size() > kMaxLanguages) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": must list 1 to ", kMaxLanguages, " languages"));
    }
    std::set<std::string> seen;
    for (int i = 0; i < m.languages_size(); ++i) {
      CDC_RETURN_IF_ERROR(
          CheckLanguageTag(absl::StrCat(field, "[", i, "]"), m.languages(i)));
      if (!seen.insert(m.languages(i)).second) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, "[", i, "]: ", m.languages(i), " is listed twice"));
      }
    }
    return absl::OkStatus();
  }
  if (path == "biography") {
    return CheckText(field, m.biography(), 0, kMaxBiography,
                     TextKind::kMultiLine);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("update_mask: ", path, " cannot be updated; updatable: ",
                   absl::StrJoin(UpdatablePaths(), ", ")));
}

bool IsSecretariat(const v1::Principal& principal) {
  return principal.role() == v1::ROLE_SECRETARIAT;
}

// What a caller may see of a member: email and the secretariat's reasons
// only for the member and the secretariat.
v1::Member Visible(const v1::Member& member, const v1::Principal* viewer) {
  v1::Member visible = member;
  const bool privileged =
      viewer != nullptr &&
      (IsSecretariat(*viewer) || viewer->member() == member.name());
  if (!privileged) {
    visible.clear_email();
    visible.clear_state_reason();
  }
  return visible;
}

absl::Status NotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(name, " does not exist"));
}

absl::Status CheckRole(absl::string_view field, v1::Role role) {
  if (role == v1::ROLE_MEMBER || role == v1::ROLE_OBSERVER ||
      role == v1::ROLE_SECRETARIAT) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field,
      ": must be ROLE_MEMBER, ROLE_OBSERVER or ROLE_SECRETARIAT (a "
      "partner's role comes with its API token)"));
}

v1::ApiToken ToApiToken(const TokenRecord& token) {
  v1::ApiToken out;
  out.set_name(absl::StrCat("tokens/", token.token_id));
  out.set_member(absl::StrCat("members/", token.member_id));
  out.set_display_name(token.display_name);
  out.set_role(v1::ROLE_PARTNER);
  *out.mutable_create_time() = ToProto(token.create_time);
  *out.mutable_expire_time() = ToProto(token.expire_time);
  out.set_revoked(token.revoked);
  out.set_created_by(token.created_by);
  return out;
}

// "tokens/<24 hex>" -> the token id.
absl::StatusOr<std::string> ParseTokenName(absl::string_view name) {
  CDC_ASSIGN_OR_RETURN(std::string id, ParseResourceId("name", name, "tokens"));
  if (id.size() != kTokenIdLength) {
    return absl::InvalidArgumentError(
        "name: must be a token name like tokens/{24 hex digits}");
  }
  return id;
}

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("authorization: ", why));
}

}  // namespace

MembersService::MembersService(MembersStore* store, const Clock& clock,
                               MembersServiceOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      hasher_(options_.password),
      throttle_(store->redis(), options_.sign_in) {}

absl::StatusOr<std::string> MembersService::AdmitPasswordCheck(
    grpc::ServerContext& context, absl::string_view email) {
  std::string address = ClientAddress(context, options_.trusted_proxies);
  CDC_ASSIGN_OR_RETURN(SignInThrottle::Decision decision,
                       throttle_.Admit(email, address, clock_.Now()));
  if (decision.allowed) return address;
  const absl::Status refusal = SignInThrottle::Refusal(decision);
  context.AddTrailingMetadata(
      "retry-after", std::to_string(absl::ToInt64Seconds(
                         decision.retry_after + absl::Milliseconds(999))));
  return refusal;
}

v1::Event MembersService::NewEvent(absl::string_view actor,
                                   absl::string_view display_name) const {
  v1::Event event;
  *event.mutable_time() = ToProto(clock_.Now());
  event.set_actor(std::string(actor));
  if (!actor.empty()) event.set_actor_display_name(std::string(display_name));
  return event;
}

absl::StatusOr<v1::Principal> MembersService::Authenticate(
    absl::string_view token) {
  CDC_ASSIGN_OR_RETURN(TokenParts parts, ParseToken(token));
  absl::StatusOr<TokenLookup> lookup = store_->LookupToken(parts.token_id);
  if (absl::IsNotFound(lookup.status())) {
    return Unauthenticated("the token is not valid");
  }
  if (!lookup.ok()) return lookup.status();
  const TokenRecord& stored = lookup->token;
  if (!ConstantTimeEquals(Sha256(parts.secret), stored.secret_sha256)) {
    return Unauthenticated("the token is not valid");
  }
  if (stored.revoked) return Unauthenticated("the token has been revoked");
  if (clock_.Now() >= stored.expire_time) {
    return Unauthenticated("the token has expired; sign in again");
  }
  if (!lookup->member_found ||
      lookup->member.member.state() != v1::Member::ACTIVE) {
    return Unauthenticated("the token's member is not active");
  }
  // A partner acts through a MEMBER account; if the account's role changed
  // (demoted to observer, say), its API tokens stop.
  if (stored.kind == TokenRecord::Kind::kApi &&
      lookup->member.member.role() != v1::ROLE_MEMBER) {
    return Unauthenticated("the token's account no longer acts for a partner");
  }
  const v1::Member& member = lookup->member.member;
  v1::Principal principal;
  principal.set_member(member.name());
  principal.set_role(stored.kind == TokenRecord::Kind::kApi ? v1::ROLE_PARTNER
                                                            : member.role());
  principal.set_organisation_type(member.organisation_type());
  principal.set_organisation(member.organisation());
  principal.set_country(member.country());
  principal.set_display_name(member.display_name());
  principal.set_token(absl::StrCat("tokens/", stored.token_id));
  *principal.mutable_expire_time() = ToProto(stored.expire_time);
  return principal;
}

absl::StatusOr<v1::SignInResponse> MembersService::IssueSession(
    const MemberRecord& record) {
  const std::string member_id = record.member.name().substr(8);
  TokenParts parts = NewToken(member_id);
  TokenRecord token;
  token.token_id = parts.token_id;
  token.member_id = member_id;
  token.kind = TokenRecord::Kind::kSession;
  token.secret_sha256 = Sha256(parts.secret);
  token.create_time = clock_.Now();
  token.expire_time = token.create_time + options_.session_ttl;
  absl::Status stored =
      store_->CreateToken(token, /*event=*/nullptr, record.token_gen);
  if (absl::IsAborted(stored)) {
    return absl::UnauthenticatedError(
        "the password or the membership changed while signing in; sign in "
        "again");
  }
  if (absl::IsFailedPrecondition(stored)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the membership is ", stored.message()));
  }
  CDC_RETURN_IF_ERROR(stored);
  v1::SignInResponse response;
  response.set_token(FormatToken(parts));
  *response.mutable_expire_time() = ToProto(token.expire_time);
  *response.mutable_member() = record.member;
  return response;
}

absl::StatusOr<v1::SignInResponse> MembersService::BootstrapSecretariat(
    const BootstrapRequest& request) {
  v1::Member member;
  member.set_email(CanonicalEmail(request.email));
  member.set_display_name(request.display_name);
  member.set_organisation(request.organisation);
  member.set_organisation_type(
      v1::ORGANISATION_TYPE_REGIONAL_OR_INTERNATIONAL_ORGANISATION);
  member.set_country(request.country);
  member.add_languages("en");
  CDC_RETURN_IF_ERROR(CheckEmail("email", member.email()));
  for (absl::string_view path : {"display_name", "organisation", "country"}) {
    CDC_RETURN_IF_ERROR(CheckProfileField(member, path));
  }
  absl::StatusOr<MemberRecord> existing = store_->FindByEmail(member.email());
  if (existing.ok()) {
    if (existing->member.role() != v1::ROLE_SECRETARIAT ||
        existing->member.state() != v1::Member::ACTIVE) {
      return absl::FailedPreconditionError(
          absl::StrCat(member.email(),
                       " belongs to a member who is not an active "
                       "secretariat account"));
    }
    return IssueSession(*existing);
  }
  if (!absl::IsNotFound(existing.status())) return existing.status();

  MemberFilter secretariat;
  secretariat.role = v1::ROLE_SECRETARIAT;
  CDC_ASSIGN_OR_RETURN(Page<MemberRecord> others,
                       store_->ListMembers(secretariat, "", 1));
  if (!others.items.empty()) {
    return absl::FailedPreconditionError(
        "a secretariat account already exists; bootstrap only creates the "
        "first one (use ApproveMember or SetMemberRole for more)");
  }
  std::string password_hash;
  if (!request.password.empty()) {
    CDC_RETURN_IF_ERROR(
        CheckPasswordStrength("password", request.password, member.email()));
    CDC_ASSIGN_OR_RETURN(password_hash, hasher_.Hash(request.password));
  }
  member.set_name(
      absl::StrCat("members/", MembersStore::NewMemberId(member.email())));
  member.set_state(v1::Member::ACTIVE);
  member.set_role(v1::ROLE_SECRETARIAT);
  member.set_state_reason("bootstrap");
  *member.mutable_create_time() = ToProto(clock_.Now());
  v1::Event event = NewEvent("", "");
  event.mutable_member_approved()->set_member(member.name());
  event.mutable_member_approved()->set_role(v1::ROLE_SECRETARIAT);
  CDC_ASSIGN_OR_RETURN(MemberRecord created,
                       store_->CreateMember(member, password_hash, "", event));
  return IssueSession(created);
}

grpc::Status MembersService::ApplyForMembership(
    grpc::ServerContext*, const v1::ApplyForMembershipRequest* request,
    v1::Member* response) {
  return Handle("ApplyForMembership", [&]() -> absl::Status {
    v1::Member member;
    const v1::Member& in = request->member();
    CDC_RETURN_IF_ERROR(CheckEmail("member.email", in.email()));
    member.set_email(CanonicalEmail(in.email()));
    member.set_display_name(in.display_name());
    member.set_organisation(in.organisation());
    member.set_organisation_type(in.organisation_type());
    member.set_country(in.country());
    *member.mutable_languages() = in.languages();
    member.set_biography(in.biography());
    for (const std::string& path : UpdatablePaths()) {
      CDC_RETURN_IF_ERROR(CheckProfileField(member, path));
    }
    CDC_RETURN_IF_ERROR(
        CheckPasswordStrength("password", request->password(), member.email()));
    CDC_RETURN_IF_ERROR(CheckRequestId("request_id", request->request_id()));

    CDC_ASSIGN_OR_RETURN(std::string password_hash,
                         hasher_.Hash(request->password()));
    member.set_name(
        absl::StrCat("members/", MembersStore::NewMemberId(member.email())));
    member.set_state(v1::Member::PENDING);
    member.set_role(v1::ROLE_UNSPECIFIED);
    *member.mutable_create_time() = ToProto(clock_.Now());
    v1::Event event = NewEvent(member.name(), member.display_name());
    event.mutable_member_applied()->set_member(member.name());
    event.mutable_member_applied()->set_organisation_type(
        member.organisation_type());
    event.mutable_member_applied()->set_country(member.country());
    CDC_ASSIGN_OR_RETURN(MemberRecord created,
                         store_->CreateMember(member, password_hash,
                                              request->request_id(), event));
    // The applicant may see their own application.
    *response = created.member;
    return absl::OkStatus();
  });
}

grpc::Status MembersService::GetMember(grpc::ServerContext* context,
                                       const v1::GetMemberRequest* request,
                                       v1::Member* response) {
  return Handle("GetMember", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *this));
    CDC_ASSIGN_OR_RETURN(std::string id,
                         ParseResourceId("name", request->name(), "members"));
    absl::StatusOr<MemberRecord> record = store_->GetMember(id);
    if (absl::IsNotFound(record.status())) return NotFound(request->name());
    CDC_RETURN_IF_ERROR(record.status());
    const bool visible = record->member.state() == v1::Member::ACTIVE ||
                         IsSecretariat(caller) ||
                         caller.member() == record->member.name();
    if (!visible) return NotFound(request->name());
    *response = Visible(record->member, &caller);
    return absl::OkStatus();
  });
}

grpc::Status MembersService::ListMembers(grpc::ServerContext* context,
                                         const v1::ListMembersRequest* request,
                                         v1::ListMembersResponse* response) {
  return Handle("ListMembers", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *this));
    CDC_RETURN_IF_ERROR(
        RequireRole(caller, {v1::ROLE_MEMBER, v1::ROLE_SECRETARIAT}));
    CDC_ASSIGN_OR_RETURN(int page_size, CheckPageSize(request->page_size()));
    MemberFilter filter;
    if (request->organisation_type() != v1::ORGANISATION_TYPE_UNSPECIFIED) {
      if (!v1::OrganisationType_IsValid(request->organisation_type())) {
        return absl::InvalidArgumentError(
            "organisation_type: is not an organisation type");
      }
      filter.organisation_type = request->organisation_type();
    }
    if (!request->country().empty()) {
      CDC_RETURN_IF_ERROR(CheckCountry("country", request->country()));
      filter.country = request->country();
    }
    if (!v1::Member::State_IsValid(request->state())) {
      return absl::InvalidArgumentError("state: is not a member state");
    }
    filter.state = request->state();
    if (!IsSecretariat(caller)) {
      if (filter.state != v1::Member::STATE_UNSPECIFIED &&
          filter.state != v1::Member::ACTIVE) {
        return absl::PermissionDeniedError(
            "state: only the secretariat sees members who are not ACTIVE");
      }
      filter.state = v1::Member::ACTIVE;
    }
    const std::string filters = absl::StrCat(filter.organisation_type, "|",
                                             filter.country, "|", filter.state);
    std::string position;
    if (!request->page_token().empty()) {
      CDC_ASSIGN_OR_RETURN(position,
                           DecodePageToken(request->page_token(), filters));
    }
    CDC_ASSIGN_OR_RETURN(Page<MemberRecord> page,
                         store_->ListMembers(filter, position, page_size));
    for (const MemberRecord& record : page.items) {
      *response->add_members() = Visible(record.member, &caller);
    }
    if (!page.next_position.empty()) {
      response->set_next_page_token(
          EncodePageToken(page.next_position, filters));
    }
    return absl::OkStatus();
  });
}

grpc::Status MembersService::UpdateMember(
    grpc::ServerContext* context, const v1::UpdateMemberRequest* request,
    v1::Member* response) {
  return Handle("UpdateMember", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *this));
    const v1::Member& in = request->member();
    CDC_ASSIGN_OR_RETURN(std::string id,
                         ParseResourceId("member.name", in.name(), "members"));
    const bool own =
        caller.member() == in.name() && caller.role() != v1::ROLE_PARTNER;
    if (!own && !IsSecretariat(caller)) {
      return absl::PermissionDeniedError(
          "member.name: you may update only your own profile");
    }
    CDC_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                         DistinctPaths(request->update_mask()));
    for (const std::string& path : paths) {
      CDC_RETURN_IF_ERROR(CheckProfileField(in, path));
      // Audiences admit members by organisation type and country: only the
      // secretariat changes them once a member is in.
      if ((path == "organisation_type" || path == "country") &&
          !IsSecretariat(caller)) {
        return absl::PermissionDeniedError(absl::StrCat(
            "update_mask: ", path,
            " decides which consultations you may comment on; ask the "
            "secretariat to change it"));
      }
    }
    v1::Member values = in;
    *values.mutable_update_time() = ToProto(clock_.Now());
    v1::Event event = NewEvent(caller.member(), caller.display_name());
    event.mutable_member_profile_updated()->set_member(in.name());
    for (const std::string& path : paths) {
      event.mutable_member_profile_updated()->add_changed_fields(path);
    }
    absl::StatusOr<MemberRecord> updated =
        store_->UpdateProfile(id, values, paths, in.etag(), event);
    if (absl::IsNotFound(updated.status())) return NotFound(in.name());
    CDC_RETURN_IF_ERROR(updated.status());
    *response = Visible(updated->member, &caller);
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::Principal> MembersService::AuthenticateSecretariat(
    const grpc::ServerContext& context) {
  CDC_ASSIGN_OR_RETURN(v1::Principal caller, AuthenticateCall(context, *this));
  CDC_RETURN_IF_ERROR(RequireRole(caller, {v1::ROLE_SECRETARIAT}));
  return caller;
}

absl::Status MembersService::RunTransition(
    const v1::Principal& caller, absl::string_view name, Transition transition,
    const std::function<void(v1::Event&)>& describe, v1::Member* response) {
  CDC_ASSIGN_OR_RETURN(std::string id,
                       ParseResourceId("name", name, "members"));
  v1::Event event = NewEvent(caller.member(), caller.display_name());
  describe(event);
  absl::StatusOr<MemberRecord> record =
      store_->ApplyTransition(id, transition, event);
  if (absl::IsNotFound(record.status())) return NotFound(name);
  if (absl::IsFailedPrecondition(record.status())) {
    std::vector<std::string> from;
    for (v1::Member::State state : transition.from) {
      from.push_back(v1::Member::State_Name(state));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        name, " is ", record.status().message(),
        "; this needs a member who is ", absl::StrJoin(from, " or ")));
  }
  CDC_RETURN_IF_ERROR(record.status());
  *response = record->member;
  return absl::OkStatus();
}

grpc::Status MembersService::ApproveMember(
    grpc::ServerContext* context, const v1::ApproveMemberRequest* request,
    v1::Member* response) {
  return Handle("ApproveMember", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateSecretariat(*context));
    const v1::Role role = request->role() == v1::ROLE_UNSPECIFIED
                              ? v1::ROLE_MEMBER
                              : request->role();
    CDC_RETURN_IF_ERROR(CheckRole("role", role));
    Transition transition{
        {v1::Member::PENDING}, v1::Member::ACTIVE, role, "", false};
    return RunTransition(
        caller, request->name(), transition,
        [&](v1::Event& event) {
          event.mutable_member_approved()->set_member(request->name());
          event.mutable_member_approved()->set_role(role);
        },
        response);
  });
}

grpc::Status MembersService::RejectMember(
    grpc::ServerContext* context, const v1::RejectMemberRequest* request,
    v1::Member* response) {
  return Handle("RejectMember", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateSecretariat(*context));
    CDC_RETURN_IF_ERROR(CheckText("reason", request->reason(), 1, kMaxReason,
                                  TextKind::kMultiLine));
    Transition transition{{v1::Member::PENDING},
                          v1::Member::REJECTED,
                          v1::ROLE_UNSPECIFIED,
                          request->reason(),
                          false};
    return RunTransition(
        caller, request->name(), transition,
        [&](v1::Event& event) {
          event.mutable_member_rejected()->set_member(request->name());
        },
        response);
  });
}

grpc::Status MembersService::SuspendMember(
    grpc::ServerContext* context, const v1::SuspendMemberRequest* request,
    v1::Member* response) {
  return Handle("SuspendMember", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateSecretariat(*context));
    CDC_RETURN_IF_ERROR(CheckText("reason", request->reason(), 1, kMaxReason,
                                  TextKind::kMultiLine));
    if (caller.member() == request->name()) {
      return absl::FailedPreconditionError(
          "name: the secretariat cannot suspend its own account");
    }
    Transition transition{{v1::Member::ACTIVE},
                          v1::Member::SUSPENDED,
                          v1::ROLE_UNSPECIFIED,
                          request->reason(),
                          true};
    return RunTransition(
        caller, request->name(), transition,
        [&](v1::Event& event) {
          event.mutable_member_suspended()->set_member(request->name());
        },
        response);
  });
}

grpc::Status MembersService::ReinstateMember(
    grpc::ServerContext* context, const v1::ReinstateMemberRequest* request,
    v1::Member* response) {
  return Handle("ReinstateMember", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateSecretariat(*context));
    Transition transition{{v1::Member::SUSPENDED},
                          v1::Member::ACTIVE,
                          v1::ROLE_UNSPECIFIED,
                          "",
                          false};
    return RunTransition(
        caller, request->name(), transition,
        [&](v1::Event& event) {
          event.mutable_member_reinstated()->set_member(request->name());
        },
        response);
  });
}

grpc::Status MembersService::SetMemberRole(
    grpc::ServerContext* context, const v1::SetMemberRoleRequest* request,
    v1::Member* response) {
  return Handle("SetMemberRole", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateSecretariat(*context));
    CDC_RETURN_IF_ERROR(CheckRole("role", request->role()));
    if (caller.member() == request->name()) {
      return absl::FailedPreconditionError(
          "name: the secretariat cannot change its own role");
    }
    Transition transition{
        {v1::Member::ACTIVE}, v1::Member::ACTIVE, request->role(), "", false};
    return RunTransition(
        caller, request->name(), transition,
        [&](v1::Event& event) {
          event.mutable_member_role_changed()->set_member(request->name());
          event.mutable_member_role_changed()->set_role(request->role());
        },
        response);
  });
}

grpc::Status MembersService::ChangePassword(
    grpc::ServerContext* context, const v1::ChangePasswordRequest* request,
    v1::SignInResponse* response) {
  return Handle("ChangePassword", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *this));
    if (caller.role() == v1::ROLE_PARTNER) {
      return absl::PermissionDeniedError(
          "an API token cannot change the member's password");
    }
    CDC_ASSIGN_OR_RETURN(MemberRecord record,
                         store_->GetMember(caller.member().substr(8)));
    // A stolen session must not become a way to guess the password.
    CDC_ASSIGN_OR_RETURN(const std::string address,
                         AdmitPasswordCheck(*context, record.member.email()));
    if (!hasher_.Verify(record.password_hash, request->current_password())) {
      return absl::UnauthenticatedError(
          "current_password: is not your current password");
    }
    CDC_RETURN_IF_ERROR(
        throttle_.Succeeded(record.member.email(), address, clock_.Now()));
    CDC_RETURN_IF_ERROR(CheckPasswordStrength(
        "new_password", request->new_password(), record.member.email()));
    CDC_ASSIGN_OR_RETURN(std::string hash,
                         hasher_.Hash(request->new_password()));
    CDC_RETURN_IF_ERROR(
        store_->SetPassword(caller.member().substr(8), hash, clock_.Now()));
    // The new session belongs to the generation the change started.
    CDC_ASSIGN_OR_RETURN(MemberRecord changed,
                         store_->GetMember(caller.member().substr(8)));
    CDC_ASSIGN_OR_RETURN(*response, IssueSession(changed));
    return absl::OkStatus();
  });
}

grpc::Status MembersService::SignIn(grpc::ServerContext* context,
                                    const v1::SignInRequest* request,
                                    v1::SignInResponse* response) {
  return Handle("SignIn", [&]() -> absl::Status {
    if (request->email().empty()) {
      return absl::InvalidArgumentError("email: is required");
    }
    if (request->password().empty()) {
      return absl::InvalidArgumentError("password: is required");
    }
    // No stored password is longer (CheckPasswordStrength), and argon2id
    // should not be asked to hash megabytes.
    if (request->password().size() > 4 * kMaxPasswordLength) {
      return absl::InvalidArgumentError(absl::StrCat(
          "password: at most ", kMaxPasswordLength, " characters"));
    }
    const absl::Status wrong =
        absl::UnauthenticatedError("the email or the password is wrong");
    const std::string email = CanonicalEmail(request->email());
    // Counted before the password is checked: see SignInThrottle.
    CDC_ASSIGN_OR_RETURN(const std::string address,
                         AdmitPasswordCheck(*context, email));
    absl::StatusOr<MemberRecord> record = CheckEmail("email", email).ok()
                                              ? store_->FindByEmail(email)
                                              : absl::NotFoundError("email");
    if (absl::IsNotFound(record.status())) {
      hasher_.VerifyNothing(request->password());
      return wrong;
    }
    CDC_RETURN_IF_ERROR(record.status());
    if (!hasher_.Verify(record->password_hash, request->password())) {
      return wrong;
    }
    CDC_RETURN_IF_ERROR(throttle_.Succeeded(email, address, clock_.Now()));
    switch (record->member.state()) {
      case v1::Member::ACTIVE:
        break;
      case v1::Member::PENDING:
        return absl::FailedPreconditionError(
            "your application is waiting for the secretariat's approval");
      default:
        return absl::FailedPreconditionError(
            absl::StrCat("your membership is ",
                         v1::Member::State_Name(record->member.state())));
    }
    CDC_ASSIGN_OR_RETURN(*response, IssueSession(*record));
    return absl::OkStatus();
  });
}

grpc::Status MembersService::SignOut(grpc::ServerContext* context,
                                     const v1::SignOutRequest*,
                                     google::protobuf::Empty*) {
  return Handle("SignOut", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *this));
    if (caller.role() == v1::ROLE_PARTNER) {
      return absl::FailedPreconditionError(
          "an API token does not sign out; the secretariat revokes it");
    }
    return store_->DeleteToken(caller.token().substr(7));
  });
}

grpc::Status MembersService::Authenticate(grpc::ServerContext* context,
                                          const v1::AuthenticateRequest*,
                                          v1::Principal* response) {
  return Handle("Authenticate", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(*response, AuthenticateCall(*context, *this));
    return absl::OkStatus();
  });
}

grpc::Status MembersService::CreateApiToken(
    grpc::ServerContext* context, const v1::CreateApiTokenRequest* request,
    v1::CreateApiTokenResponse* response) {
  return Handle("CreateApiToken", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateSecretariat(*context));
    CDC_ASSIGN_OR_RETURN(
        std::string member_id,
        ParseResourceId("member", request->member(), "members"));
    CDC_RETURN_IF_ERROR(
        CheckText("display_name", request->display_name(), 1, kMaxDisplayName));
    absl::Duration ttl = options_.default_api_token_ttl;
    if (request->has_ttl()) {
      ttl = absl::Seconds(request->ttl().seconds()) +
            absl::Nanoseconds(request->ttl().nanos());
      if (ttl < absl::Hours(1) || ttl > options_.max_api_token_ttl) {
        return absl::InvalidArgumentError(absl::StrCat(
            "ttl: must be between 1 hour and ",
            absl::ToInt64Hours(options_.max_api_token_ttl) / 24, " days"));
      }
    }
    if (ShardOfId(member_id) < 0 || member_id.size() != kMemberIdLength) {
      return NotFound(request->member());
    }
    TokenParts parts = NewToken(member_id);
    TokenRecord token;
    token.token_id = parts.token_id;
    token.member_id = member_id;
    token.kind = TokenRecord::Kind::kApi;
    token.secret_sha256 = Sha256(parts.secret);
    token.create_time = clock_.Now();
    token.expire_time = token.create_time + ttl;
    token.display_name = request->display_name();
    token.created_by = caller.member();
    v1::Event event = NewEvent(caller.member(), caller.display_name());
    event.mutable_api_token_issued()->set_token(
        absl::StrCat("tokens/", token.token_id));
    event.mutable_api_token_issued()->set_member(request->member());
    absl::Status stored = store_->CreateToken(
        token, &event, /*expected_generation=*/-1, v1::ROLE_MEMBER);
    if (absl::IsNotFound(stored)) return NotFound(request->member());
    if (absl::IsFailedPrecondition(stored) &&
        absl::StartsWith(stored.message(), "role ")) {
      return absl::FailedPreconditionError(absl::StrCat(
          request->member(),
          " is not a MEMBER account; API tokens act for member accounts of "
          "partner organisations"));
    }
    if (absl::IsFailedPrecondition(stored)) {
      return absl::FailedPreconditionError(
          absl::StrCat(request->member(), " is ", stored.message(),
                       "; API tokens are issued for ACTIVE members"));
    }
    CDC_RETURN_IF_ERROR(stored);
    *response->mutable_api_token() = ToApiToken(token);
    response->set_secret(FormatToken(parts));
    return absl::OkStatus();
  });
}

grpc::Status MembersService::ListApiTokens(
    grpc::ServerContext* context, const v1::ListApiTokensRequest* request,
    v1::ListApiTokensResponse* response) {
  return Handle("ListApiTokens", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateSecretariat(*context));
    CDC_ASSIGN_OR_RETURN(int page_size, CheckPageSize(request->page_size()));
    std::string member_id;
    if (!request->member().empty()) {
      CDC_ASSIGN_OR_RETURN(
          member_id, ParseResourceId("member", request->member(), "members"));
    }
    const std::string filters =
        absl::StrCat(member_id, "|", request->show_revoked());
    std::string position;
    if (!request->page_token().empty()) {
      CDC_ASSIGN_OR_RETURN(position,
                           DecodePageToken(request->page_token(), filters));
    }
    CDC_ASSIGN_OR_RETURN(
        Page<TokenRecord> page,
        store_->ListApiTokens(member_id, request->show_revoked(), position,
                              page_size));
    for (const TokenRecord& token : page.items) {
      *response->add_api_tokens() = ToApiToken(token);
    }
    if (!page.next_position.empty()) {
      response->set_next_page_token(
          EncodePageToken(page.next_position, filters));
    }
    return absl::OkStatus();
  });
}

grpc::Status MembersService::RevokeApiToken(
    grpc::ServerContext* context, const v1::RevokeApiTokenRequest* request,
    v1::ApiToken* response) {
  return Handle("RevokeApiToken", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateSecretariat(*context));
    CDC_ASSIGN_OR_RETURN(std::string token_id, ParseTokenName(request->name()));
    v1::Event event = NewEvent(caller.member(), caller.display_name());
    event.mutable_api_token_revoked()->set_token(request->name());
    event.mutable_api_token_revoked()->set_member(
        absl::StrCat("members/", token_id.substr(0, kMemberIdLength)));
    absl::StatusOr<TokenRecord> revoked =
        store_->RevokeApiToken(token_id, event);
    if (absl::IsNotFound(revoked.status()) ||
        absl::IsFailedPrecondition(revoked.status())) {
      // A session token's id is nobody else's business: not found either.
      return NotFound(request->name());
    }
    CDC_RETURN_IF_ERROR(revoked.status());
    *response = ToApiToken(*revoked);
    return absl::OkStatus();
  });
}

}  // namespace cdc::members
