// The authorization matrix's one table: for every RPC (and, where the
// contract treats targets differently, every variant of its target) how to
// build a valid request for a cell, and the code each principal must get on
// its own and on another member's resource.
//
// Every expected code comes from the contract: the comments of the services
// and RPCs in proto/cdc/v1. The rules the rows apply, in this order:
// 1. No token, or one that is unknown, revoked, expired or whose member is
//    suspended: UNAUTHENTICATED, except for the two calls that need none
//    (ApplyForMembership, SignIn), which ignore the token.
// 2. A call reserved to roles the caller lacks ("Secretariat:", "MEMBER or
//    SECRETARIAT:", moderators, "PERMISSION_DENIED (observer)") is
//    PERMISSION_DENIED, whatever it names.
// 3. Something the caller may not read is NOT_FOUND: draft consultations
//    (all but the secretariat), unpublished ones (observers), section
//    comments of an unpublished round (observers), a topic (observers and
//    partners; in an invite-only space, non-members), conversations and their
//    messages (everyone but their participants, the secretariat included,
//    unless a participant flagged the message), hidden comments (everyone
//    but their author and the moderators), initiatives not approved
//    (everyone but the submitter and the secretariat), a notification of
//    another inbox.
// 4. A caller who may read it but may not do that to it (not the author,
//    not a moderator, not in the audience, blocked) is PERMISSION_DENIED;
//    a state that forbids it (endorsing one's own) FAILED_PRECONDITION.
// 5. Inboxes, preferences and follows are their member's alone, and partner
//    tokens have none: PERMISSION_DENIED.
// Where the contract is silent, the row follows the service; those cells
// are listed in docs/RELIABILITY.md ("Authorization matrix").
#include <google/protobuf/util/time_util.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cdc/v1/comments.pb.h"
#include "cdc/v1/community.pb.h"
#include "cdc/v1/consultations.pb.h"
#include "cdc/v1/members.pb.h"
#include "cdc/v1/notifications.pb.h"
#include "tests/authz/authz_matrix.h"

namespace cdc::authz {
namespace {

using google::protobuf::util::TimeUtil;

constexpr char kNone[] = "-- -- -- -- -- -- -- -- --";
constexpr char kPassword[] = "correct horse battery staple";

template <typename T>
Request Make(T message) {
  return std::make_unique<T>(std::move(message));
}

const std::string& NameOf(const Account* account) {
  static const std::string* const kEmpty = new std::string();
  return account == nullptr ? *kEmpty : account->name;
}

// Someone other than the caller: the second member for the MEMBER, else
// the MEMBER.
const Account* Peer(World& w, const Cell& c) {
  return w.Of(c.who == Who::kMember ? Who::kOther : Who::kMember);
}

google::protobuf::Timestamp InHours(int hours) {
  return TimeUtil::MillisecondsToTimestamp(
      absl::ToUnixMillis(absl::Now() + absl::Hours(hours)));
}

// ---- MembersService ----

Request Apply(World& w, const Cell&) {
  v1::ApplyForMembershipRequest r;
  v1::Member* m = r.mutable_member();
  m->set_email(w.NewEmail());
  m->set_display_name("Applicant");
  m->set_organisation("Data for All");
  m->set_organisation_type(v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
  m->set_country("KEN");
  m->add_languages("en");
  r.set_password(kPassword);
  return Make(std::move(r));
}

Request GetMember(World&, const Cell& c) {
  v1::GetMemberRequest r;
  r.set_name(NameOf(c.owner));
  return Make(std::move(r));
}

Request GetApplicant(World& w, const Cell&) {
  v1::GetMemberRequest r;
  r.set_name(w.Applicant());
  return Make(std::move(r));
}

Request ListMembers(World&, const Cell&) {
  return Make(v1::ListMembersRequest());
}

Request ListPendingMembers(World&, const Cell&) {
  v1::ListMembersRequest r;
  r.set_state(v1::Member::PENDING);
  return Make(std::move(r));
}

Request UpdateMember(World&, const Cell& c) {
  v1::UpdateMemberRequest r;
  r.mutable_member()->set_name(NameOf(c.owner));
  r.mutable_member()->set_biography("Edited by the authorization matrix.");
  r.mutable_update_mask()->add_paths("biography");
  return Make(std::move(r));
}

Request ApproveMember(World& w, const Cell&) {
  v1::ApproveMemberRequest r;
  r.set_name(w.Applicant());
  r.set_role(v1::ROLE_MEMBER);
  return Make(std::move(r));
}

Request RejectMember(World& w, const Cell&) {
  v1::RejectMemberRequest r;
  r.set_name(w.Applicant());
  r.set_reason("Not an organisation working on citizen data.");
  return Make(std::move(r));
}

// Own side: the caller itself; other side: a fresh ACTIVE member.
Request SuspendMember(World& w, const Cell& c) {
  v1::SuspendMemberRequest r;
  r.set_name(c.side == Side::kOwn ? NameOf(c.owner) : w.ActiveMember());
  r.set_reason("Breach of the code of conduct.");
  return Make(std::move(r));
}

Request ReinstateMember(World& w, const Cell& c) {
  v1::ReinstateMemberRequest r;
  r.set_name(c.side == Side::kOwn ? NameOf(c.owner) : w.SuspendedMember());
  return Make(std::move(r));
}

// Own side: the caller making itself SECRETARIAT.
Request SetMemberRole(World& w, const Cell& c) {
  v1::SetMemberRoleRequest r;
  if (c.side == Side::kOwn) {
    r.set_name(NameOf(c.owner));
    r.set_role(v1::ROLE_SECRETARIAT);
  } else {
    r.set_name(w.ActiveMember());
    r.set_role(v1::ROLE_OBSERVER);
  }
  return Make(std::move(r));
}

Request ChangePassword(World&, const Cell& c) {
  v1::ChangePasswordRequest r;
  r.set_current_password(c.caller != nullptr ? c.caller->password : kPassword);
  r.set_new_password("a new and rather long passphrase 42");
  return Make(std::move(r));
}

Request SignIn(World& w, const Cell&) {
  v1::SignInRequest r;
  r.set_email(w.Of(Who::kMember)->email);
  r.set_password(w.Of(Who::kMember)->password);
  return Make(std::move(r));
}

Request SignInSuspended(World& w, const Cell&) {
  v1::SignInRequest r;
  r.set_email(w.Of(Who::kSuspended)->email);
  r.set_password(w.Of(Who::kSuspended)->password);
  return Make(std::move(r));
}

Request SignOut(World&, const Cell&) { return Make(v1::SignOutRequest()); }

Request Authenticate(World&, const Cell&) {
  return Make(v1::AuthenticateRequest());
}

Request CreateApiToken(World& w, const Cell&) {
  v1::CreateApiTokenRequest r;
  r.set_member(w.Of(Who::kOther)->name);
  r.set_display_name("Matrix portal");
  return Make(std::move(r));
}

Request ListApiTokens(World&, const Cell&) {
  return Make(v1::ListApiTokensRequest());
}

Request RevokeApiToken(World& w, const Cell&) {
  v1::RevokeApiTokenRequest r;
  r.set_name(w.ApiToken());
  return Make(std::move(r));
}

// ---- ConsultationsService ----

Request CreateConsultation(World&, const Cell&) {
  v1::CreateConsultationRequest r;
  r.mutable_consultation()->set_title("A consultation by the matrix");
  return Make(std::move(r));
}

template <Stage stage>
Request GetConsultation(World& w, const Cell&) {
  v1::GetConsultationRequest r;
  r.set_name(w.Consultation(stage, false));
  return Make(std::move(r));
}

Request ListConsultations(World&, const Cell&) {
  return Make(v1::ListConsultationsRequest());
}

Request UpdateConsultation(World& w, const Cell&) {
  v1::UpdateConsultationRequest r;
  r.mutable_consultation()->set_name(w.Consultation(Stage::kOpen, false));
  r.mutable_consultation()->set_description("Edited by the matrix.");
  r.mutable_update_mask()->add_paths("description");
  return Make(std::move(r));
}

Request ImportDraft(World& w, const Cell&) {
  v1::ImportDraftRequest r;
  r.set_parent(w.Consultation(Stage::kDraft, false));
  r.set_markdown("# Importance of citizen data {#importance}\nIt matters.\n");
  return Make(std::move(r));
}

template <Stage stage>
Request GetSection(World& w, const Cell&) {
  v1::GetSectionRequest r;
  r.set_name(w.Section(stage));
  return Make(std::move(r));
}

template <Stage stage>
Request ListSections(World& w, const Cell&) {
  v1::ListSectionsRequest r;
  r.set_parent(w.Consultation(stage, false));
  return Make(std::move(r));
}

Request OpenRound(World& w, const Cell&) {
  v1::OpenRoundRequest r;
  r.set_name(w.Consultation(Stage::kDraft, true));
  // The services' clock is ahead of the wall clock (the matrix moved it
  // past a session's lifetime): a week and a half from now is after it.
  *r.mutable_closes_at() = InHours(24 * 10);
  return Make(std::move(r));
}

Request ExtendRound(World& w, const Cell&) {
  v1::ExtendRoundRequest r;
  r.set_name(w.Consultation(Stage::kOpen, true));
  *r.mutable_closes_at() = InHours(24 * 10);
  return Make(std::move(r));
}

Request CloseRound(World& w, const Cell&) {
  v1::CloseRoundRequest r;
  r.set_name(w.Consultation(Stage::kOpen, true));
  return Make(std::move(r));
}

Request PublishRecord(World& w, const Cell&) {
  v1::PublishRecordRequest r;
  r.set_name(w.Consultation(Stage::kClosed, true));
  return Make(std::move(r));
}

template <Stage stage>
Request GetSectionDiff(World& w, const Cell&) {
  v1::GetSectionDiffRequest r;
  r.set_name(w.Section(stage));
  return Make(std::move(r));
}

// Own side: about the caller; other side: naming the owner.
template <Stage stage>
Request CheckParticipation(World& w, const Cell& c) {
  v1::CheckParticipationRequest r;
  r.set_target(w.Section(stage));
  if (c.side == Side::kOther) r.set_member(NameOf(c.owner));
  return Make(std::move(r));
}

// ---- CommentsService ----

template <On on>
Request CreateComment(World& w, const Cell& c) {
  v1::CreateCommentRequest r;
  std::string target;
  switch (on) {
    case On::kSection:
      target = w.Section(Stage::kOpen);
      break;
    case On::kResource:
      target = w.Resource(w.Of(Who::kSecretariat), false);
      break;
    case On::kTopic:
      target = w.Topic(SpaceKind::kCommons, nullptr, false);
      break;
    case On::kConversation:
      target = w.Conversation(c, false);
      break;
    default:
      break;
  }
  r.mutable_comment()->set_target(target);
  r.mutable_comment()->set_body("Written by the authorization matrix.");
  return Make(std::move(r));
}

Request CreateCommentOutsideAudience(World& w, const Cell&) {
  v1::CreateCommentRequest r;
  r.mutable_comment()->set_target(w.RestrictedSection());
  r.mutable_comment()->set_body("Written by the authorization matrix.");
  return Make(std::move(r));
}

Request CreateCommentWhenBlocked(World& w, const Cell& c) {
  v1::CreateCommentRequest r;
  r.mutable_comment()->set_target(w.BlockedConversation(c));
  r.mutable_comment()->set_body("Written by the authorization matrix.");
  return Make(std::move(r));
}

// A reply to the owner's section comment.
Request CreateReply(World& w, const Cell& c) {
  v1::CreateCommentRequest r;
  r.mutable_comment()->set_parent(w.Comment(On::kSection, c, false));
  r.mutable_comment()->set_body("A reply by the authorization matrix.");
  return Make(std::move(r));
}

// A topic of the invite-only space the matrix's callers are not in.
Request CreateCommentInVault(World& w, const Cell&) {
  v1::CreateCommentRequest r;
  r.mutable_comment()->set_target(w.Topic(SpaceKind::kVault, nullptr, false));
  r.mutable_comment()->set_body("Written by the authorization matrix.");
  return Make(std::move(r));
}

template <On on, bool hidden = false>
Request GetComment(World& w, const Cell& c) {
  v1::GetCommentRequest r;
  r.set_name(w.Comment(on, c, false, hidden));
  return Make(std::move(r));
}

template <On on>
Request ListThread(World& w, const Cell& c) {
  v1::ListCommentsRequest r;
  r.set_thread(w.Comment(on, c, false));
  return Make(std::move(r));
}

Request ListFlagged(World&, const Cell&) {
  v1::ListCommentsRequest r;
  r.set_flagged_only(true);
  return Make(std::move(r));
}

template <On on>
Request UpdateComment(World& w, const Cell& c) {
  v1::UpdateCommentRequest r;
  r.mutable_comment()->set_name(w.Comment(on, c, false));
  r.mutable_comment()->set_body("Edited by the authorization matrix.");
  r.mutable_update_mask()->add_paths("body");
  return Make(std::move(r));
}

template <On on>
Request ListRevisions(World& w, const Cell& c) {
  v1::ListCommentRevisionsRequest r;
  r.set_parent(w.Comment(on, c, false));
  return Make(std::move(r));
}

template <On on>
Request WithdrawComment(World& w, const Cell& c) {
  v1::WithdrawCommentRequest r;
  r.set_name(w.Comment(on, c, true));
  return Make(std::move(r));
}

template <On on>
Request EndorseComment(World& w, const Cell& c) {
  v1::EndorseCommentRequest r;
  r.set_name(w.Comment(on, c, false));
  return Make(std::move(r));
}

template <On on>
Request UnendorseComment(World& w, const Cell& c) {
  v1::UnendorseCommentRequest r;
  r.set_name(w.Comment(on, c, false));
  return Make(std::move(r));
}

template <On on>
Request FlagComment(World& w, const Cell& c) {
  v1::FlagCommentRequest r;
  r.set_name(w.Comment(on, c, true));
  r.set_flag_reason(v1::ModerationAction::OFF_TOPIC);
  return Make(std::move(r));
}

template <On on>
Request HideComment(World& w, const Cell& c) {
  v1::HideCommentRequest r;
  r.set_name(w.Comment(on, c, true));
  r.set_reason("Hidden by the authorization matrix.");
  return Make(std::move(r));
}

template <On on>
Request RestoreComment(World& w, const Cell& c) {
  v1::RestoreCommentRequest r;
  r.set_name(w.Comment(on, c, true, /*hidden=*/true));
  r.set_reason("Restored by the authorization matrix.");
  return Make(std::move(r));
}

Request ListModerationActions(World&, const Cell&) {
  return Make(v1::ListModerationActionsRequest());
}

template <On on>
Request SetDisposition(World& w, const Cell& c) {
  v1::SetDispositionRequest r;
  r.set_name(w.Comment(on, c, false));
  r.mutable_disposition()->set_outcome(v1::Disposition::NOTED);
  r.mutable_disposition()->set_response("Noted by the matrix.");
  return Make(std::move(r));
}

template <Stage stage>
Request GetCommentStatistics(World& w, const Cell&) {
  v1::GetCommentStatisticsRequest r;
  r.set_scope(w.Consultation(stage, false));
  return Make(std::move(r));
}

template <Stage stage, int round = 0>
Request ExportRecord(World& w, const Cell&) {
  v1::ExportRecordRequest r;
  r.set_consultation(w.Consultation(stage, false));
  r.set_round(round);
  return Make(std::move(r));
}

Request SearchComments(World&, const Cell&) {
  v1::SearchCommentsRequest r;
  r.add_words("matrix");
  return Make(std::move(r));
}

// ---- CommunityService: spaces and topics ----

Request CreateSpace(World&, const Cell&) {
  v1::CreateSpaceRequest r;
  r.mutable_space()->set_title("A space by the matrix");
  return Make(std::move(r));
}

template <SpaceKind kind>
Request GetSpace(World& w, const Cell&) {
  v1::GetSpaceRequest r;
  r.set_name(w.Space(kind, false));
  return Make(std::move(r));
}

Request ListSpaces(World&, const Cell&) {
  return Make(v1::ListSpacesRequest());
}

Request UpdateSpace(World& w, const Cell&) {
  v1::UpdateSpaceRequest r;
  r.mutable_space()->set_name(w.Space(SpaceKind::kCommons, false));
  r.mutable_space()->set_description("Edited by the matrix.");
  r.mutable_update_mask()->add_paths("description");
  return Make(std::move(r));
}

// A fresh space of `kind`'s visibility that nobody has joined.
template <SpaceKind kind>
Request JoinSpace(World& w, const Cell&) {
  v1::JoinSpaceRequest r;
  r.set_name(w.Space(kind, true));
  return Make(std::move(r));
}

// Own side: a fresh open space the owner is in; other side: one nobody is.
Request LeaveSpace(World& w, const Cell& c) {
  v1::LeaveSpaceRequest r;
  r.set_name(c.side == Side::kOwn ? w.Space(SpaceKind::kPlaza, true, c.owner)
                                  : w.Space(SpaceKind::kPlaza, true));
  return Make(std::move(r));
}

Request AddSpaceMember(World& w, const Cell& c) {
  v1::AddSpaceMemberRequest r;
  r.set_space(w.Space(SpaceKind::kVault, true));
  r.set_member(NameOf(c.owner));
  return Make(std::move(r));
}

// A fresh invite-only space holding the owner, who is removed.
Request RemoveSpaceMember(World& w, const Cell& c) {
  v1::RemoveSpaceMemberRequest r;
  r.set_space(w.Space(SpaceKind::kVault, true, c.owner));
  r.set_member(NameOf(c.owner));
  return Make(std::move(r));
}

template <SpaceKind kind>
Request ListSpaceMembers(World& w, const Cell&) {
  v1::ListSpaceMembersRequest r;
  r.set_parent(w.Space(kind, false));
  return Make(std::move(r));
}

template <SpaceKind kind>
Request CreateTopic(World& w, const Cell&) {
  v1::CreateTopicRequest r;
  r.set_parent(w.Space(kind, false));
  r.mutable_topic()->set_title("A topic by the matrix");
  r.mutable_topic()->set_body("Let us talk about the matrix.");
  return Make(std::move(r));
}

// The owner's topic in the commons; in the vault, its member's topic.
template <SpaceKind kind>
Request GetTopic(World& w, const Cell& c) {
  v1::GetTopicRequest r;
  r.set_name(
      w.Topic(kind, kind == SpaceKind::kVault ? nullptr : c.owner, false));
  return Make(std::move(r));
}

template <SpaceKind kind>
Request ListTopics(World& w, const Cell&) {
  v1::ListTopicsRequest r;
  r.set_parent(w.Space(kind, false));
  return Make(std::move(r));
}

Request UpdateTopic(World& w, const Cell& c) {
  v1::UpdateTopicRequest r;
  r.mutable_topic()->set_name(w.Topic(SpaceKind::kCommons, c.owner, false));
  r.mutable_topic()->set_body("Edited by the matrix.");
  r.mutable_update_mask()->add_paths("body");
  return Make(std::move(r));
}

Request PinTopic(World& w, const Cell& c) {
  v1::PinTopicRequest r;
  r.set_name(w.Topic(SpaceKind::kCommons, c.owner, false));
  r.set_pinned(true);
  return Make(std::move(r));
}

Request CloseTopic(World& w, const Cell& c) {
  v1::CloseTopicRequest r;
  r.set_name(w.Topic(SpaceKind::kCommons, c.owner, true));
  return Make(std::move(r));
}

Request ReopenTopic(World& w, const Cell& c) {
  v1::ReopenTopicRequest r;
  r.set_name(w.Topic(SpaceKind::kCommons, c.owner, true, /*closed=*/true));
  return Make(std::move(r));
}

Request ArchiveTopic(World& w, const Cell& c) {
  v1::ArchiveTopicRequest r;
  r.set_name(w.Topic(SpaceKind::kCommons, c.owner, true));
  return Make(std::move(r));
}

template <SpaceKind kind>
Request MarkTopicRead(World& w, const Cell& c) {
  v1::MarkTopicReadRequest r;
  r.set_name(
      w.Topic(kind, kind == SpaceKind::kVault ? nullptr : c.owner, false));
  return Make(std::move(r));
}

// ---- CommunityService: conversations and blocks ----

Request CreateConversation(World& w, const Cell& c) {
  v1::CreateConversationRequest r;
  r.mutable_conversation()->add_participants(Peer(w, c)->name);
  r.mutable_conversation()->set_subject("The matrix");
  return Make(std::move(r));
}

Request CreateConversationWithBlocker(World& w, const Cell& c) {
  v1::CreateConversationRequest r;
  r.mutable_conversation()->add_participants(w.Blocker(c.caller));
  return Make(std::move(r));
}

Request GetConversation(World& w, const Cell& c) {
  v1::GetConversationRequest r;
  r.set_name(w.Conversation(c, false));
  return Make(std::move(r));
}

Request ListConversations(World&, const Cell&) {
  return Make(v1::ListConversationsRequest());
}

Request LeaveConversation(World& w, const Cell& c) {
  v1::LeaveConversationRequest r;
  r.set_name(w.Conversation(c, true));
  return Make(std::move(r));
}

Request MarkConversationRead(World& w, const Cell& c) {
  v1::MarkConversationReadRequest r;
  r.set_name(w.Conversation(c, false));
  return Make(std::move(r));
}

Request BlockMember(World& w, const Cell&) {
  v1::BlockMemberRequest r;
  r.set_member(w.ActiveMember());
  return Make(std::move(r));
}

Request BlockSecretariat(World& w, const Cell&) {
  v1::BlockMemberRequest r;
  r.set_member(w.Of(Who::kSecretariat)->name);
  return Make(std::move(r));
}

Request UnblockMember(World& w, const Cell&) {
  v1::UnblockMemberRequest r;
  r.set_member(w.ActiveMember());
  return Make(std::move(r));
}

Request ListBlockedMembers(World&, const Cell&) {
  return Make(v1::ListBlockedMembersRequest());
}

// ---- CommunityService: library, initiatives, search, access ----

Request CreateResource(World&, const Cell&) {
  v1::CreateResourceRequest r;
  r.mutable_resource()->set_title("A guide by the matrix");
  r.mutable_resource()->set_link("https://example.org/matrix");
  r.mutable_resource()->set_type(v1::Resource::GUIDELINE);
  return Make(std::move(r));
}

Request GetResource(World& w, const Cell& c) {
  v1::GetResourceRequest r;
  r.set_name(w.Resource(c.owner, false));
  return Make(std::move(r));
}

Request ListResources(World&, const Cell&) {
  return Make(v1::ListResourcesRequest());
}

Request UpdateResource(World& w, const Cell& c) {
  v1::UpdateResourceRequest r;
  r.mutable_resource()->set_name(w.Resource(c.owner, false));
  r.mutable_resource()->set_summary("Edited by the matrix.");
  r.mutable_update_mask()->add_paths("summary");
  return Make(std::move(r));
}

Request DeleteResource(World& w, const Cell& c) {
  v1::DeleteResourceRequest r;
  r.set_name(w.Resource(c.owner, true));
  return Make(std::move(r));
}

Request EndorseResource(World& w, const Cell& c) {
  v1::EndorseResourceRequest r;
  r.set_name(w.Resource(c.owner, false));
  return Make(std::move(r));
}

Request UnendorseResource(World& w, const Cell& c) {
  v1::UnendorseResourceRequest r;
  r.set_name(w.Resource(c.owner, false));
  return Make(std::move(r));
}

Request CreateInitiative(World&, const Cell&) {
  v1::CreateInitiativeRequest r;
  v1::Initiative* i = r.mutable_initiative();
  i->set_display_name("Water points by the matrix");
  i->set_lead_organisation("Water Watch");
  i->set_lead_organisation_type(v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
  i->add_countries("KEN");
  i->set_participation_level(v1::PARTICIPATION_LEVEL_ENGAGING);
  i->set_status(v1::Initiative::ACTIVE);
  return Make(std::move(r));
}

template <bool approved>
Request GetInitiative(World& w, const Cell& c) {
  v1::GetInitiativeRequest r;
  r.set_name(w.Initiative(c.owner, false, approved));
  return Make(std::move(r));
}

Request ListInitiatives(World&, const Cell&) {
  return Make(v1::ListInitiativesRequest());
}

Request ListSubmittedInitiatives(World&, const Cell&) {
  v1::ListInitiativesRequest r;
  r.mutable_filter()->set_review_state(v1::Initiative::SUBMITTED);
  return Make(std::move(r));
}

template <bool approved>
Request UpdateInitiative(World& w, const Cell& c) {
  v1::UpdateInitiativeRequest r;
  r.mutable_initiative()->set_name(w.Initiative(c.owner, true, approved));
  r.mutable_initiative()->set_description("Edited by the matrix.");
  r.mutable_update_mask()->add_paths("description");
  return Make(std::move(r));
}

Request ApproveInitiative(World& w, const Cell& c) {
  v1::ApproveInitiativeRequest r;
  r.set_name(w.Initiative(c.owner, true, false));
  return Make(std::move(r));
}

Request ReturnInitiative(World& w, const Cell& c) {
  v1::ReturnInitiativeRequest r;
  r.set_name(w.Initiative(c.owner, true, false));
  r.set_note("Please add the partners.");
  return Make(std::move(r));
}

Request CountInitiatives(World&, const Cell&) {
  return Make(v1::CountInitiativesByCountryRequest());
}

// Every approved initiative: at least one exists.
Request ExportInitiatives(World& w, const Cell&) {
  w.Initiative(w.Of(Who::kSecretariat), false, true);
  return Make(v1::ExportInitiativesRequest());
}

// A filter that matches nothing: the stream ends without a message.
Request ExportNoInitiatives(World&, const Cell&) {
  v1::ExportInitiativesRequest r;
  r.mutable_filter()->set_country("NZL");
  return Make(std::move(r));
}

Request Search(World&, const Cell&) {
  v1::SearchRequest r;
  r.set_query("matrix");
  return Make(std::move(r));
}

// Own side: about the caller; other side: naming the owner.
Request CheckTopicAccess(World& w, const Cell& c) {
  v1::CheckTargetAccessRequest r;
  r.set_target(w.Topic(SpaceKind::kCommons, nullptr, false));
  if (c.side == Side::kOther) r.set_member(NameOf(c.owner));
  return Make(std::move(r));
}

Request CheckResourceAccess(World& w, const Cell& c) {
  v1::CheckTargetAccessRequest r;
  r.set_target(w.Resource(w.Of(Who::kSecretariat), false));
  if (c.side == Side::kOther) r.set_member(NameOf(c.owner));
  return Make(std::move(r));
}

// About the caller, on their own conversation or on one they are not in.
Request CheckConversationAccess(World& w, const Cell& c) {
  v1::CheckTargetAccessRequest r;
  r.set_target(w.Conversation(c, false));
  return Make(std::move(r));
}

// Naming the owner, on the owner's conversation the caller is not in.
Request CheckNamedConversationAccess(World& w, const Cell& c) {
  v1::CheckTargetAccessRequest r;
  r.set_target(w.Conversation(c, false));
  r.set_member(NameOf(c.owner));
  return Make(std::move(r));
}

// ---- NotificationsService ----

Request ListNotifications(World&, const Cell& c) {
  v1::ListNotificationsRequest r;
  r.set_parent(NameOf(c.owner));
  return Make(std::move(r));
}

Request GetUnreadCount(World&, const Cell& c) {
  v1::GetUnreadCountRequest r;
  r.set_parent(NameOf(c.owner));
  return Make(std::move(r));
}

Request MarkNotificationRead(World& w, const Cell& c) {
  v1::MarkNotificationReadRequest r;
  r.set_name(w.Notification(c.owner));
  return Make(std::move(r));
}

Request MarkAllNotificationsRead(World&, const Cell& c) {
  v1::MarkAllNotificationsReadRequest r;
  r.set_parent(NameOf(c.owner));
  return Make(std::move(r));
}

// The caller's own inbox, up to a notification of the owner's inbox.
Request MarkAllReadUpToAnother(World& w, const Cell& c) {
  v1::MarkAllNotificationsReadRequest r;
  // Anonymous has no inbox: it names the owner's (its route needs one).
  r.set_parent(NameOf(c.caller != nullptr ? c.caller : c.owner));
  r.set_up_to(w.Notification(c.owner));
  return Make(std::move(r));
}

Request GetPreferences(World&, const Cell& c) {
  v1::GetPreferencesRequest r;
  r.set_name(absl::StrCat(NameOf(c.owner), "/notificationPreferences"));
  return Make(std::move(r));
}

Request UpdatePreferences(World&, const Cell& c) {
  v1::UpdatePreferencesRequest r;
  r.mutable_preferences()->set_name(
      absl::StrCat(NameOf(c.owner), "/notificationPreferences"));
  v1::NotificationPreferences::EventTypeSetting* setting =
      r.mutable_preferences()->add_event_types();
  setting->set_event_type(v1::EVENT_TYPE_COMMENT_ENDORSED);
  setting->set_enabled(false);
  r.mutable_update_mask()->add_paths("event_types");
  return Make(std::move(r));
}

Request Follow(World& w, const Cell& c) {
  v1::FollowRequest r;
  r.set_parent(NameOf(c.owner));
  r.set_target(w.Resource(w.Of(Who::kSecretariat), false));
  return Make(std::move(r));
}

Request Unfollow(World& w, const Cell& c) {
  v1::UnfollowRequest r;
  r.set_parent(NameOf(c.owner));
  r.set_target(w.Resource(w.Of(Who::kSecretariat), false));
  return Make(std::move(r));
}

Request ListFollows(World&, const Cell& c) {
  v1::ListFollowsRequest r;
  r.set_parent(NameOf(c.owner));
  return Make(std::move(r));
}

Request Subscribe(World&, const Cell& c) {
  v1::SubscribeRequest r;
  r.set_parent(NameOf(c.owner));
  return Make(std::move(r));
}

Request WatchEvents(World&, const Cell&) {
  v1::WatchEventsRequest r;
  r.set_start(v1::WatchEventsRequest::EARLIEST);
  return Make(std::move(r));
}

// Column order: anonymous observer member other partner secretariat
// suspended revoked expired.
constexpr char kMembers[] = "cdc.v1.MembersService/";
constexpr char kConsultations[] = "cdc.v1.ConsultationsService/";
constexpr char kComments[] = "cdc.v1.CommentsService/";
constexpr char kCommunity[] = "cdc.v1.CommunityService/";
constexpr char kNotifications[] = "cdc.v1.NotificationsService/";

// Rows are written with the service prefix split off for width; Rows()
// joins them once.
struct ShortRow {
  const char* service;
  const char* method;
  const char* variant;
  Builder build;
  const char* own;
  const char* other;
  bool fresh_caller = false;
};

const ShortRow kTable[] = {
    // ---- MembersService ----
    //                                               A  O  M  T  P  S  X  R  E
    {kMembers, "ApplyForMembership", "a new applicant", Apply,
     "OK OK OK OK OK OK OK OK OK", kNone},
    {kMembers, "GetMember", "a member", GetMember, "-- OK OK OK OK OK UA UA UA",
     "UA OK OK OK OK OK UA UA UA"},
    {kMembers, "GetMember", "a pending applicant", GetApplicant, kNone,
     "UA NF NF NF NF OK UA UA UA"},
    {kMembers, "ListMembers", "the directory", ListMembers,
     "UA PD OK OK PD OK UA UA UA", kNone},
    {kMembers, "ListMembers", "pending applications", ListPendingMembers,
     "UA PD PD PD PD OK UA UA UA", kNone},
    {kMembers, "UpdateMember", "a profile", UpdateMember,
     "-- OK OK OK PD OK UA UA UA", "UA PD PD PD PD OK UA UA UA"},
    {kMembers, "ApproveMember", "a fresh applicant", ApproveMember,
     "UA PD PD PD PD OK UA UA UA", kNone},
    {kMembers, "RejectMember", "a fresh applicant", RejectMember,
     "UA PD PD PD PD OK UA UA UA", kNone},
    {kMembers, "SuspendMember", "oneself / a fresh member", SuspendMember,
     "-- PD PD PD PD FP UA UA UA", "UA PD PD PD PD OK UA UA UA", true},
    {kMembers, "ReinstateMember", "oneself / a fresh suspended member",
     ReinstateMember, "-- PD PD PD PD FP UA UA UA",
     "UA PD PD PD PD OK UA UA UA"},
    {kMembers, "SetMemberRole", "oneself to SECRETARIAT / a fresh member",
     SetMemberRole, "-- PD PD PD PD FP UA UA UA", "UA PD PD PD PD OK UA UA UA",
     true},
    {kMembers, "ChangePassword", "one's own", ChangePassword,
     "UA OK OK OK PD OK UA UA UA", kNone, true},
    {kMembers, "SignIn", "a member's password", SignIn,
     "OK OK OK OK OK OK OK OK OK", kNone},
    {kMembers, "SignIn", "a suspended member's password", SignInSuspended,
     "FP FP FP FP FP FP FP FP FP", kNone},
    {kMembers, "SignOut", "the call's token", SignOut,
     "UA OK OK OK FP OK UA UA UA", kNone, true},
    {kMembers, "Authenticate", "the call's token", Authenticate,
     "UA OK OK OK OK OK UA UA UA", kNone},
    {kMembers, "CreateApiToken", "for a member", CreateApiToken,
     "UA PD PD PD PD OK UA UA UA", kNone},
    {kMembers, "ListApiTokens", "all", ListApiTokens,
     "UA PD PD PD PD OK UA UA UA", kNone},
    {kMembers, "RevokeApiToken", "a fresh API token", RevokeApiToken,
     "UA PD PD PD PD OK UA UA UA", kNone},

    // ---- ConsultationsService ----
    //                                               A  O  M  T  P  S  X  R  E
    {kConsultations, "CreateConsultation", "new", CreateConsultation,
     "UA PD PD PD PD OK UA UA UA", kNone},
    {kConsultations, "GetConsultation", "open round",
     GetConsultation<Stage::kOpen>, "UA NF OK OK OK OK UA UA UA", kNone},
    {kConsultations, "GetConsultation", "draft", GetConsultation<Stage::kDraft>,
     "UA NF NF NF NF OK UA UA UA", kNone},
    {kConsultations, "GetConsultation", "published",
     GetConsultation<Stage::kPublished>, "UA OK OK OK OK OK UA UA UA", kNone},
    {kConsultations, "ListConsultations", "all", ListConsultations,
     "UA OK OK OK OK OK UA UA UA", kNone},
    {kConsultations, "UpdateConsultation", "open round", UpdateConsultation,
     "UA PD PD PD PD OK UA UA UA", kNone},
    {kConsultations, "ImportDraft", "draft", ImportDraft,
     "UA PD PD PD PD OK UA UA UA", kNone},
    {kConsultations, "GetSection", "open round", GetSection<Stage::kOpen>,
     "UA NF OK OK OK OK UA UA UA", kNone},
    {kConsultations, "GetSection", "draft", GetSection<Stage::kDraft>,
     "UA NF NF NF NF OK UA UA UA", kNone},
    {kConsultations, "GetSection", "published", GetSection<Stage::kPublished>,
     "UA OK OK OK OK OK UA UA UA", kNone},
    {kConsultations, "ListSections", "open round", ListSections<Stage::kOpen>,
     "UA NF OK OK OK OK UA UA UA", kNone},
    {kConsultations, "ListSections", "draft", ListSections<Stage::kDraft>,
     "UA NF NF NF NF OK UA UA UA", kNone},
    {kConsultations, "ListSections", "published",
     ListSections<Stage::kPublished>, "UA OK OK OK OK OK UA UA UA", kNone},
    {kConsultations, "OpenRound", "a fresh draft", OpenRound,
     "UA PD PD PD PD OK UA UA UA", kNone},
    {kConsultations, "ExtendRound", "a fresh open round", ExtendRound,
     "UA PD PD PD PD OK UA UA UA", kNone},
    {kConsultations, "CloseRound", "a fresh open round", CloseRound,
     "UA PD PD PD PD OK UA UA UA", kNone},
    {kConsultations, "PublishRecord", "a fresh closed round", PublishRecord,
     "UA PD PD PD PD OK UA UA UA", kNone},
    {kConsultations, "GetSectionDiff", "open round",
     GetSectionDiff<Stage::kOpen>, "UA NF OK OK OK OK UA UA UA", kNone},
    {kConsultations, "GetSectionDiff", "draft", GetSectionDiff<Stage::kDraft>,
     "UA NF NF NF NF OK UA UA UA", kNone},
    {kConsultations, "GetSectionDiff", "published",
     GetSectionDiff<Stage::kPublished>, "UA OK OK OK OK OK UA UA UA", kNone},
    {kConsultations, "CheckParticipation", "open round (self / named)",
     CheckParticipation<Stage::kOpen>, "UA NF OK OK OK OK UA UA UA",
     "UA PD PD PD PD OK UA UA UA"},
    {kConsultations, "CheckParticipation", "draft (self)",
     CheckParticipation<Stage::kDraft>, "UA NF NF NF NF OK UA UA UA", kNone},
    {kConsultations, "CheckParticipation", "published (self)",
     CheckParticipation<Stage::kPublished>, "UA OK OK OK OK OK UA UA UA",
     kNone},

    // ---- CommentsService ----
    //                                               A  O  M  T  P  S  X  R  E
    {kComments, "CreateComment", "section", CreateComment<On::kSection>,
     "UA PD OK OK OK OK UA UA UA", kNone},
    {kComments, "CreateComment", "section outside the audience (BRA only)",
     CreateCommentOutsideAudience, "UA PD PD OK PD OK UA UA UA", kNone},
    {kComments, "CreateComment", "reply on a section", CreateReply, kNone,
     "UA PD OK OK OK OK UA UA UA"},
    {kComments, "CreateComment", "resource", CreateComment<On::kResource>,
     "UA PD OK OK OK OK UA UA UA", kNone},
    {kComments, "CreateComment", "open space topic", CreateComment<On::kTopic>,
     "UA PD OK OK NF OK UA UA UA", kNone},
    {kComments, "CreateComment", "invite-only topic, not in",
     CreateCommentInVault, "UA PD NF NF NF PD UA UA UA", kNone},
    {kComments, "CreateComment", "conversation",
     CreateComment<On::kConversation>, "-- -- OK OK -- OK UA UA UA",
     "UA PD NF NF NF NF UA UA UA"},

    {kComments, "CreateComment", "conversation, the peer blocks the caller",
     CreateCommentWhenBlocked, "-- -- PD PD -- OK UA UA UA", kNone},

    {kComments, "GetComment", "section", GetComment<On::kSection>,
     "-- -- OK OK OK OK UA UA UA", "UA NF OK OK OK OK UA UA UA"},
    {kComments, "GetComment", "resource", GetComment<On::kResource>,
     "-- -- OK OK OK OK UA UA UA", "UA OK OK OK OK OK UA UA UA"},
    {kComments, "GetComment", "topic", GetComment<On::kTopic>,
     "-- -- OK OK -- OK UA UA UA", "UA NF OK OK NF OK UA UA UA"},
    {kComments, "GetComment", "conversation", GetComment<On::kConversation>,
     "-- -- OK OK -- OK UA UA UA", "UA NF NF NF NF NF UA UA UA"},
    {kComments, "GetComment", "the peer's message", GetComment<On::kPeer>,
     kNone, "-- -- OK OK -- OK UA UA UA"},
    {kComments, "GetComment", "flagged message, not a participant",
     GetComment<On::kFlagged>, kNone, "UA NF NF NF NF OK UA UA UA"},
    {kComments, "GetComment", "hidden, section", GetComment<On::kSection, true>,
     "-- -- OK OK OK OK UA UA UA", "UA NF NF NF NF OK UA UA UA"},
    {kComments, "GetComment", "hidden, resource",
     GetComment<On::kResource, true>, "-- -- OK OK OK OK UA UA UA",
     "UA NF NF NF NF OK UA UA UA"},

    {kComments, "ListComments", "thread on a section", ListThread<On::kSection>,
     "-- -- OK OK OK OK UA UA UA", "UA NF OK OK OK OK UA UA UA"},
    {kComments, "ListComments", "thread on a resource",
     ListThread<On::kResource>, "-- -- OK OK OK OK UA UA UA",
     "UA OK OK OK OK OK UA UA UA"},
    {kComments, "ListComments", "thread on a topic", ListThread<On::kTopic>,
     "-- -- OK OK -- OK UA UA UA", "UA NF OK OK NF OK UA UA UA"},
    {kComments, "ListComments", "thread in a conversation",
     ListThread<On::kConversation>, "-- -- OK OK -- OK UA UA UA",
     "UA NF NF NF NF NF UA UA UA"},
    {kComments, "ListComments", "flagged_only", ListFlagged,
     "UA PD PD PD PD OK UA UA UA", kNone},

    {kComments, "UpdateComment", "section", UpdateComment<On::kSection>,
     "-- -- OK OK OK OK UA UA UA", "UA NF PD PD PD PD UA UA UA"},
    {kComments, "UpdateComment", "resource", UpdateComment<On::kResource>,
     "-- -- OK OK OK OK UA UA UA", "UA PD PD PD PD PD UA UA UA"},
    {kComments, "UpdateComment", "topic", UpdateComment<On::kTopic>,
     "-- -- OK OK -- OK UA UA UA", "UA NF PD PD NF PD UA UA UA"},
    {kComments, "UpdateComment", "conversation",
     UpdateComment<On::kConversation>, "-- -- OK OK -- OK UA UA UA",
     "UA NF NF NF NF NF UA UA UA"},
    {kComments, "UpdateComment", "the peer's message", UpdateComment<On::kPeer>,
     kNone, "-- -- PD PD -- PD UA UA UA"},

    {kComments, "ListCommentRevisions", "section", ListRevisions<On::kSection>,
     "-- -- OK OK OK OK UA UA UA", "UA NF OK OK OK OK UA UA UA"},
    {kComments, "ListCommentRevisions", "resource",
     ListRevisions<On::kResource>, "-- -- OK OK OK OK UA UA UA",
     "UA OK OK OK OK OK UA UA UA"},
    {kComments, "ListCommentRevisions", "topic", ListRevisions<On::kTopic>,
     "-- -- OK OK -- OK UA UA UA", "UA NF OK OK NF OK UA UA UA"},
    {kComments, "ListCommentRevisions", "conversation",
     ListRevisions<On::kConversation>, "-- -- OK OK -- OK UA UA UA",
     "UA NF NF NF NF NF UA UA UA"},

    {kComments, "WithdrawComment", "section", WithdrawComment<On::kSection>,
     "-- -- OK OK OK OK UA UA UA", "UA NF PD PD PD PD UA UA UA"},
    {kComments, "WithdrawComment", "resource", WithdrawComment<On::kResource>,
     "-- -- OK OK OK OK UA UA UA", "UA PD PD PD PD PD UA UA UA"},
    {kComments, "WithdrawComment", "topic", WithdrawComment<On::kTopic>,
     "-- -- OK OK -- OK UA UA UA", "UA NF PD PD NF PD UA UA UA"},
    {kComments, "WithdrawComment", "conversation",
     WithdrawComment<On::kConversation>, "-- -- OK OK -- OK UA UA UA",
     "UA NF NF NF NF NF UA UA UA"},
    {kComments, "WithdrawComment", "the peer's message",
     WithdrawComment<On::kPeer>, kNone, "-- -- PD PD -- PD UA UA UA"},

    {kComments, "EndorseComment", "section", EndorseComment<On::kSection>,
     "-- -- FP FP FP FP UA UA UA", "UA PD OK OK OK OK UA UA UA"},
    {kComments, "EndorseComment", "resource", EndorseComment<On::kResource>,
     "-- -- FP FP FP FP UA UA UA", "UA PD OK OK OK OK UA UA UA"},
    {kComments, "EndorseComment", "topic", EndorseComment<On::kTopic>,
     "-- -- FP FP -- FP UA UA UA", "UA PD OK OK NF OK UA UA UA"},
    {kComments, "EndorseComment", "conversation",
     EndorseComment<On::kConversation>, "-- -- FP FP -- FP UA UA UA",
     "UA PD NF NF NF NF UA UA UA"},
    {kComments, "EndorseComment", "the peer's message",
     EndorseComment<On::kPeer>, kNone, "-- -- OK OK -- OK UA UA UA"},

    {kComments, "UnendorseComment", "section", UnendorseComment<On::kSection>,
     "-- -- OK OK OK OK UA UA UA", "UA PD OK OK OK OK UA UA UA"},
    {kComments, "UnendorseComment", "resource", UnendorseComment<On::kResource>,
     "-- -- OK OK OK OK UA UA UA", "UA PD OK OK OK OK UA UA UA"},
    {kComments, "UnendorseComment", "topic", UnendorseComment<On::kTopic>,
     "-- -- OK OK -- OK UA UA UA", "UA PD OK OK NF OK UA UA UA"},
    {kComments, "UnendorseComment", "conversation",
     UnendorseComment<On::kConversation>, "-- -- OK OK -- OK UA UA UA",
     "UA PD NF NF NF NF UA UA UA"},

    {kComments, "FlagComment", "section", FlagComment<On::kSection>,
     "-- -- FP FP FP FP UA UA UA", "UA PD OK OK OK OK UA UA UA"},
    {kComments, "FlagComment", "resource", FlagComment<On::kResource>,
     "-- -- FP FP FP FP UA UA UA", "UA PD OK OK OK OK UA UA UA"},
    {kComments, "FlagComment", "topic", FlagComment<On::kTopic>,
     "-- -- FP FP -- FP UA UA UA", "UA PD OK OK NF OK UA UA UA"},
    {kComments, "FlagComment", "conversation", FlagComment<On::kConversation>,
     "-- -- FP FP -- FP UA UA UA", "UA PD NF NF NF NF UA UA UA"},
    {kComments, "FlagComment", "the peer's message", FlagComment<On::kPeer>,
     kNone, "-- -- OK OK -- OK UA UA UA"},

    {kComments, "HideComment", "section", HideComment<On::kSection>,
     "-- -- PD PD PD OK UA UA UA", "UA PD PD PD PD OK UA UA UA"},
    {kComments, "HideComment", "resource", HideComment<On::kResource>,
     "-- -- PD PD PD OK UA UA UA", "UA PD PD PD PD OK UA UA UA"},
    {kComments, "HideComment", "topic", HideComment<On::kTopic>,
     "-- -- PD PD -- OK UA UA UA", "UA PD PD PD PD OK UA UA UA"},
    {kComments, "HideComment", "conversation", HideComment<On::kConversation>,
     "-- -- PD PD -- OK UA UA UA", "UA PD NF NF PD NF UA UA UA"},
    {kComments, "HideComment", "flagged message, not a participant",
     HideComment<On::kFlagged>, kNone, "UA PD NF NF PD OK UA UA UA"},

    {kComments, "RestoreComment", "hidden, section",
     RestoreComment<On::kSection>, "-- -- PD PD PD OK UA UA UA",
     "UA PD NF NF PD OK UA UA UA"},
    {kComments, "RestoreComment", "hidden, resource",
     RestoreComment<On::kResource>, "-- -- PD PD PD OK UA UA UA",
     "UA PD NF NF PD OK UA UA UA"},
    {kComments, "RestoreComment", "hidden, topic", RestoreComment<On::kTopic>,
     "-- -- PD PD -- OK UA UA UA", "UA PD NF NF PD OK UA UA UA"},
    {kComments, "RestoreComment", "hidden, conversation",
     RestoreComment<On::kConversation>, "-- -- PD PD -- OK UA UA UA", kNone},

    {kComments, "ListModerationActions", "all", ListModerationActions,
     "UA PD PD PD PD OK UA UA UA", kNone},
    {kComments, "SetDisposition", "section", SetDisposition<On::kSection>,
     "-- -- PD PD PD OK UA UA UA", "UA PD PD PD PD OK UA UA UA"},
    {kComments, "SetDisposition", "resource (not a section)",
     SetDisposition<On::kResource>, "-- -- PD PD PD IA UA UA UA",
     "UA PD PD PD PD IA UA UA UA"},
    {kComments, "GetCommentStatistics", "open round",
     GetCommentStatistics<Stage::kOpen>, "UA NF OK OK OK OK UA UA UA", kNone},
    {kComments, "GetCommentStatistics", "draft",
     GetCommentStatistics<Stage::kDraft>, "UA NF NF NF NF OK UA UA UA", kNone},
    {kComments, "GetCommentStatistics", "published",
     GetCommentStatistics<Stage::kPublished>, "UA OK OK OK OK OK UA UA UA",
     kNone},
    {kComments, "ExportRecord", "round 1, open (not published)",
     ExportRecord<Stage::kOpen, 1>, "UA NF FP FP FP OK UA UA UA", kNone},
    {kComments, "ExportRecord", "latest published round, none yet",
     ExportRecord<Stage::kOpen>, "UA NF NF NF NF OK UA UA UA", kNone},
    {kComments, "ExportRecord", "published", ExportRecord<Stage::kPublished>,
     "UA OK OK OK OK OK UA UA UA", kNone},
    {kComments, "SearchComments", "a word", SearchComments,
     "UA OK OK OK OK OK UA UA UA", kNone},

    // ---- CommunityService ----
    //                                               A  O  M  T  P  S  X  R  E
    {kCommunity, "CreateSpace", "new", CreateSpace,
     "UA PD PD PD PD OK UA UA UA", kNone},
    {kCommunity, "GetSpace", "open", GetSpace<SpaceKind::kCommons>,
     "UA PD OK OK PD OK UA UA UA", kNone},
    {kCommunity, "GetSpace", "invite-only, not in", GetSpace<SpaceKind::kVault>,
     "UA PD OK OK PD OK UA UA UA", kNone},
    {kCommunity, "ListSpaces", "all", ListSpaces, "UA PD OK OK PD OK UA UA UA",
     kNone},
    {kCommunity, "UpdateSpace", "open", UpdateSpace,
     "UA PD PD PD PD OK UA UA UA", kNone},
    {kCommunity, "JoinSpace", "a fresh open space",
     JoinSpace<SpaceKind::kPlaza>, "UA PD OK OK PD OK UA UA UA", kNone},
    {kCommunity, "JoinSpace", "a fresh invite-only space",
     JoinSpace<SpaceKind::kVault>, "UA PD PD PD PD PD UA UA UA", kNone},
    {kCommunity, "LeaveSpace", "a space one is in / is not in", LeaveSpace,
     "-- -- OK OK -- OK UA UA UA", "UA PD OK OK PD OK UA UA UA"},
    {kCommunity, "AddSpaceMember", "to a fresh invite-only space",
     AddSpaceMember, kNone, "UA PD PD PD PD OK UA UA UA"},
    {kCommunity, "RemoveSpaceMember", "from a fresh invite-only space",
     RemoveSpaceMember, "-- -- PD PD -- OK UA UA UA",
     "UA PD PD PD PD OK UA UA UA"},
    {kCommunity, "ListSpaceMembers", "open",
     ListSpaceMembers<SpaceKind::kCommons>, "UA PD OK OK PD OK UA UA UA",
     kNone},
    {kCommunity, "ListSpaceMembers", "invite-only, not in",
     ListSpaceMembers<SpaceKind::kVault>, "UA PD PD PD PD OK UA UA UA", kNone},
    {kCommunity, "CreateTopic", "open, joined",
     CreateTopic<SpaceKind::kCommons>, "UA PD OK OK PD OK UA UA UA", kNone},
    {kCommunity, "CreateTopic", "open, not joined",
     CreateTopic<SpaceKind::kPlaza>, "UA PD PD PD PD PD UA UA UA", kNone},
    {kCommunity, "CreateTopic", "invite-only, not in",
     CreateTopic<SpaceKind::kVault>, "UA PD PD PD PD PD UA UA UA", kNone},
    {kCommunity, "GetTopic", "open", GetTopic<SpaceKind::kCommons>,
     "-- -- OK OK -- OK UA UA UA", "UA NF OK OK NF OK UA UA UA"},
    {kCommunity, "GetTopic", "invite-only, not in", GetTopic<SpaceKind::kVault>,
     kNone, "UA NF NF NF NF OK UA UA UA"},
    {kCommunity, "ListTopics", "open", ListTopics<SpaceKind::kCommons>,
     "UA PD OK OK PD OK UA UA UA", kNone},
    {kCommunity, "ListTopics", "invite-only, not in",
     ListTopics<SpaceKind::kVault>, "UA PD PD PD PD OK UA UA UA", kNone},
    {kCommunity, "UpdateTopic", "open", UpdateTopic,
     "-- -- OK OK -- OK UA UA UA", "UA PD PD PD PD OK UA UA UA"},
    {kCommunity, "PinTopic", "open", PinTopic, "-- -- PD PD -- OK UA UA UA",
     "UA PD PD PD PD OK UA UA UA"},
    {kCommunity, "CloseTopic", "a fresh open topic", CloseTopic,
     "-- -- PD PD -- OK UA UA UA", "UA PD PD PD PD OK UA UA UA"},
    {kCommunity, "ReopenTopic", "a fresh closed topic", ReopenTopic,
     "-- -- PD PD -- OK UA UA UA", "UA PD PD PD PD OK UA UA UA"},
    {kCommunity, "ArchiveTopic", "a fresh topic", ArchiveTopic,
     "-- -- PD PD -- OK UA UA UA", "UA PD PD PD PD OK UA UA UA"},
    {kCommunity, "MarkTopicRead", "open", MarkTopicRead<SpaceKind::kCommons>,
     "-- -- OK OK -- OK UA UA UA", "UA NF OK OK NF OK UA UA UA"},
    {kCommunity, "MarkTopicRead", "invite-only, not in",
     MarkTopicRead<SpaceKind::kVault>, kNone, "UA NF NF NF NF OK UA UA UA"},

    {kCommunity, "CreateConversation", "with a member", CreateConversation,
     "UA PD OK OK PD OK UA UA UA", kNone},
    {kCommunity, "CreateConversation", "with a member who blocks the caller",
     CreateConversationWithBlocker, "UA PD PD PD PD OK UA UA UA", kNone},
    {kCommunity, "GetConversation", "one's own / one not in", GetConversation,
     "-- -- OK OK -- OK UA UA UA", "UA NF NF NF NF NF UA UA UA"},
    {kCommunity, "ListConversations", "one's own", ListConversations,
     "UA PD OK OK PD OK UA UA UA", kNone},
    {kCommunity, "LeaveConversation", "a fresh one", LeaveConversation,
     "-- -- OK OK -- OK UA UA UA", "UA NF NF NF NF NF UA UA UA"},
    {kCommunity, "MarkConversationRead", "one's own / one not in",
     MarkConversationRead, "-- -- OK OK -- OK UA UA UA",
     "UA NF NF NF NF NF UA UA UA"},
    {kCommunity, "BlockMember", "a fresh member", BlockMember,
     "UA PD OK OK PD OK UA UA UA", kNone},
    {kCommunity, "BlockMember", "the secretariat", BlockSecretariat,
     "UA PD FP FP PD -- UA UA UA", kNone},
    {kCommunity, "UnblockMember", "a fresh member", UnblockMember,
     "UA PD OK OK PD OK UA UA UA", kNone},
    {kCommunity, "ListBlockedMembers", "one's own", ListBlockedMembers,
     "UA PD OK OK PD OK UA UA UA", kNone},

    {kCommunity, "CreateResource", "new", CreateResource,
     "UA PD OK OK OK OK UA UA UA", kNone},
    {kCommunity, "GetResource", "shared", GetResource,
     "-- -- OK OK OK OK UA UA UA", "UA OK OK OK OK OK UA UA UA"},
    {kCommunity, "ListResources", "all", ListResources,
     "UA OK OK OK OK OK UA UA UA", kNone},
    {kCommunity, "UpdateResource", "shared", UpdateResource,
     "-- -- OK OK OK OK UA UA UA", "UA PD PD PD PD OK UA UA UA"},
    {kCommunity, "DeleteResource", "a fresh one", DeleteResource,
     "-- -- OK OK OK OK UA UA UA", "UA PD PD PD PD OK UA UA UA"},
    {kCommunity, "EndorseResource", "shared", EndorseResource,
     "-- -- FP FP FP FP UA UA UA", "UA PD OK OK OK OK UA UA UA"},
    {kCommunity, "UnendorseResource", "shared", UnendorseResource,
     "-- -- OK OK OK OK UA UA UA", "UA OK OK OK OK OK UA UA UA"},
    {kCommunity, "CreateInitiative", "new", CreateInitiative,
     "UA PD OK OK OK OK UA UA UA", kNone},
    {kCommunity, "GetInitiative", "submitted", GetInitiative<false>,
     "-- -- OK OK OK OK UA UA UA", "UA NF NF NF NF OK UA UA UA"},
    {kCommunity, "GetInitiative", "approved", GetInitiative<true>,
     "-- -- OK OK OK OK UA UA UA", "UA OK OK OK OK OK UA UA UA"},
    {kCommunity, "ListInitiatives", "approved", ListInitiatives,
     "UA OK OK OK OK OK UA UA UA", kNone},
    {kCommunity, "ListInitiatives", "submitted", ListSubmittedInitiatives,
     "UA OK OK OK OK OK UA UA UA", kNone},
    {kCommunity, "UpdateInitiative", "a fresh submitted one",
     UpdateInitiative<false>, "-- -- OK OK OK OK UA UA UA",
     "UA PD NF NF NF OK UA UA UA"},
    {kCommunity, "UpdateInitiative", "a fresh approved one",
     UpdateInitiative<true>, "-- -- OK OK OK OK UA UA UA",
     "UA PD PD PD PD OK UA UA UA"},
    {kCommunity, "ApproveInitiative", "a fresh submitted one",
     ApproveInitiative, "-- -- PD PD PD OK UA UA UA",
     "UA PD PD PD PD OK UA UA UA"},
    {kCommunity, "ReturnInitiative", "a fresh submitted one", ReturnInitiative,
     "-- -- PD PD PD OK UA UA UA", "UA PD PD PD PD OK UA UA UA"},
    {kCommunity, "CountInitiativesByCountry", "approved", CountInitiatives,
     "UA OK OK OK OK OK UA UA UA", kNone},
    {kCommunity, "ExportInitiatives", "approved", ExportInitiatives,
     "UA OK OK OK OK OK UA UA UA", kNone},
    {kCommunity, "ExportInitiatives", "none match", ExportNoInitiatives,
     "UA OK OK OK OK OK UA UA UA", kNone},
    {kCommunity, "Search", "a word", Search, "UA OK OK OK OK OK UA UA UA",
     kNone},
    {kCommunity, "CheckTargetAccess", "topic (self / named)", CheckTopicAccess,
     "UA NF OK OK NF OK UA UA UA", "UA PD PD PD PD OK UA UA UA"},
    {kCommunity, "CheckTargetAccess", "resource (self / named)",
     CheckResourceAccess, "UA OK OK OK OK OK UA UA UA",
     "UA PD PD PD PD OK UA UA UA"},
    {kCommunity, "CheckTargetAccess", "conversation (self)",
     CheckConversationAccess, "-- -- OK OK -- OK UA UA UA",
     "UA NF NF NF NF NF UA UA UA"},
    {kCommunity, "CheckTargetAccess", "conversation (named)",
     CheckNamedConversationAccess, kNone, "UA PD PD PD PD NF UA UA UA"},

    // ---- NotificationsService ----
    //                                               A  O  M  T  P  S  X  R  E
    {kNotifications, "ListNotifications", "inbox", ListNotifications,
     "-- OK OK OK PD OK UA UA UA", "UA PD PD PD PD PD UA UA UA"},
    {kNotifications, "GetUnreadCount", "inbox", GetUnreadCount,
     "-- OK OK OK PD OK UA UA UA", "UA PD PD PD PD PD UA UA UA"},
    {kNotifications, "MarkNotificationRead", "a notification",
     MarkNotificationRead, "-- OK OK OK PD OK UA UA UA",
     "UA NF NF NF PD NF UA UA UA"},
    {kNotifications, "MarkAllNotificationsRead", "inbox",
     MarkAllNotificationsRead, "-- OK OK OK PD OK UA UA UA",
     "UA PD PD PD PD PD UA UA UA"},
    {kNotifications, "MarkAllNotificationsRead",
     "own inbox, up_to in another's", MarkAllReadUpToAnother, kNone,
     "UA IA IA IA PD IA UA UA UA"},
    {kNotifications, "GetPreferences", "preferences", GetPreferences,
     "-- OK OK OK PD OK UA UA UA", "UA PD PD PD PD PD UA UA UA"},
    {kNotifications, "UpdatePreferences", "preferences", UpdatePreferences,
     "-- OK OK OK PD OK UA UA UA", "UA PD PD PD PD PD UA UA UA"},
    {kNotifications, "Follow", "a resource", Follow,
     "-- PD OK OK PD OK UA UA UA", "UA PD PD PD PD PD UA UA UA"},
    {kNotifications, "Unfollow", "a resource", Unfollow,
     "-- OK OK OK PD OK UA UA UA", "UA PD PD PD PD PD UA UA UA"},
    {kNotifications, "ListFollows", "follows", ListFollows,
     "-- OK OK OK PD OK UA UA UA", "UA PD PD PD PD PD UA UA UA"},
    {kNotifications, "Subscribe", "inbox", Subscribe,
     "-- OK OK OK PD OK UA UA UA", "UA PD PD PD PD PD UA UA UA"},
    {kNotifications, "WatchEvents", "every event", WatchEvents,
     "UA PD PD PD OK OK UA UA UA", kNone},
};

}  // namespace

absl::Span<const Row> Rows() {
  static const std::vector<Row>* const rows = [] {
    auto* out = new std::vector<Row>();
    // The full method names live as long as the process.
    static std::vector<std::string>* const names =
        new std::vector<std::string>();
    names->reserve(std::size(kTable));
    for (const ShortRow& row : kTable) {
      names->push_back(absl::StrCat(row.service, row.method));
    }
    for (size_t i = 0; i < std::size(kTable); ++i) {
      const ShortRow& row = kTable[i];
      out->push_back(Row{(*names)[i].c_str(), row.variant, row.build, row.own,
                         row.other, row.fresh_caller});
    }
    return out;
  }();
  return *rows;
}

}  // namespace cdc::authz
