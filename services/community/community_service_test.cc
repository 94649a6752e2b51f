// cdc-community's spaces, topics, conversations, blocks, CheckTargetAccess
// and activity, against a real Redis and real cdc-members, cdc-comments and
// cdc-community servers (CommunityServerTest).
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/status_matchers.h"
#include "services/common/word_index.h"
#include "services/community/community_test_support.h"

namespace cdc::community {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using AccessAnswer = v1::CheckTargetAccessResponse;
using Stub = v1::CommunityService::Stub;

class CommunityServiceTest : public testing::CommunityServerTest {
 protected:
  // A member of a given name (display name = email).
  std::string Member(const std::string& email) {
    return NewMember(email, "FRA", v1::ORGANISATION_TYPE_ACADEMIA,
                     v1::ROLE_MEMBER);
  }

  absl::StatusOr<v1::ListTopicsResponse> ListTopics(
      const std::string& token, v1::ListTopicsRequest request) {
    return CallC<v1::ListTopicsRequest, v1::ListTopicsResponse>(
        &Stub::ListTopics, request, token);
  }

  // Titles of the space's topics as `token` lists them (one page of 200).
  std::vector<std::string> TopicTitles(const std::string& token,
                                       const std::string& space,
                                       v1::ListTopicsRequest request = {}) {
    request.set_parent(SpaceName(space));
    request.set_page_size(200);
    auto page = ListTopics(token, request);
    EXPECT_THAT(page, IsOk());
    std::vector<std::string> titles;
    if (!page.ok()) return titles;
    for (const v1::Topic& t : page->topics()) titles.push_back(t.title());
    return titles;
  }

  absl::StatusOr<v1::Space> UpdateSpace(const v1::Space& space,
                                        const std::vector<std::string>& paths,
                                        const std::string& token = "") {
    v1::UpdateSpaceRequest request;
    *request.mutable_space() = space;
    for (const std::string& p : paths)
      request.mutable_update_mask()->add_paths(p);
    return CallC<v1::UpdateSpaceRequest, v1::Space>(
        &Stub::UpdateSpace, request,
        token.empty() ? secretariat_token_ : token);
  }

  absl::StatusOr<v1::Space> Archive(const std::string& id) {
    v1::Space space;
    space.set_name(SpaceName(id));
    space.set_state(v1::Space::ARCHIVED);
    return UpdateSpace(space, {"state"});
  }

  template <typename Request>
  absl::StatusOr<v1::Topic> TopicCall(
      grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                   v1::Topic*),
      const std::string& token, const std::string& name) {
    Request request;
    request.set_name(name);
    return CallC<Request, v1::Topic>(method, request, token);
  }
  absl::StatusOr<v1::Topic> Pin(const std::string& token,
                                const std::string& name, bool pinned = true) {
    v1::PinTopicRequest request;
    request.set_name(name);
    request.set_pinned(pinned);
    return CallC<v1::PinTopicRequest, v1::Topic>(&Stub::PinTopic, request,
                                                 token);
  }
  absl::StatusOr<v1::Topic> CloseTopic(const std::string& token,
                                       const std::string& name,
                                       const std::string& reason = "") {
    v1::CloseTopicRequest request;
    request.set_name(name);
    request.set_reason(reason);
    return CallC<v1::CloseTopicRequest, v1::Topic>(&Stub::CloseTopic, request,
                                                   token);
  }
  absl::StatusOr<v1::Topic> Reopen(const std::string& token,
                                   const std::string& name) {
    return TopicCall<v1::ReopenTopicRequest>(&Stub::ReopenTopic, token, name);
  }
  absl::StatusOr<v1::Topic> ArchiveTopic(const std::string& token,
                                         const std::string& name) {
    return TopicCall<v1::ArchiveTopicRequest>(&Stub::ArchiveTopic, token, name);
  }
  absl::StatusOr<v1::Topic> MarkRead(const std::string& token,
                                     const std::string& name) {
    return TopicCall<v1::MarkTopicReadRequest>(&Stub::MarkTopicRead, token,
                                               name);
  }

  absl::StatusOr<v1::Topic> EditTopic(const std::string& token,
                                      const std::string& name,
                                      const std::string& title,
                                      const std::string& etag = "") {
    v1::UpdateTopicRequest request;
    request.mutable_topic()->set_name(name);
    request.mutable_topic()->set_title(title);
    request.mutable_topic()->set_etag(etag);
    request.mutable_update_mask()->add_paths("title");
    return CallC<v1::UpdateTopicRequest, v1::Topic>(&Stub::UpdateTopic, request,
                                                    token);
  }

  absl::StatusOr<v1::ListConversationsResponse> Conversations(
      const std::string& token) {
    return CallC<v1::ListConversationsRequest, v1::ListConversationsResponse>(
        &Stub::ListConversations, v1::ListConversationsRequest(), token);
  }
  absl::Status LeaveConversation(const std::string& token,
                                 const std::string& name) {
    v1::LeaveConversationRequest request;
    request.set_name(name);
    return CallC<v1::LeaveConversationRequest, google::protobuf::Empty>(
               &Stub::LeaveConversation, request, token)
        .status();
  }
  absl::StatusOr<v1::Conversation> MarkConversationRead(
      const std::string& token, const std::string& name) {
    v1::MarkConversationReadRequest request;
    request.set_name(name);
    return CallC<v1::MarkConversationReadRequest, v1::Conversation>(
        &Stub::MarkConversationRead, request, token);
  }

  // A comment event as cdc-comments writes it, read back with stream id
  // "s0-<seq>-0" (`seq` orders the events of one comment).
  v1::Event CommentEvent(v1::Event::PayloadCase kind, const std::string& target,
                         const std::string& comment, const std::string& actor,
                         absl::Time time, int seq) {
    v1::Event event;
    event.set_id(absl::StrCat("s0-", seq, "-0"));
    *event.mutable_time() = consultations::testing::At(time);
    event.set_actor(actor);
    v1::CommentRef ref;
    ref.set_comment(comment);
    ref.set_target(target);
    ref.set_author(actor);
    switch (kind) {
      case v1::Event::kCommentCreated:
        *event.mutable_comment_created()->mutable_comment() = ref;
        break;
      case v1::Event::kCommentReplied:
        *event.mutable_comment_replied()->mutable_comment() = ref;
        break;
      case v1::Event::kCommentHidden:
        *event.mutable_comment_hidden()->mutable_comment() = ref;
        break;
      case v1::Event::kCommentWithdrawn:
        *event.mutable_comment_withdrawn()->mutable_comment() = ref;
        break;
      case v1::Event::kCommentRestored:
        *event.mutable_comment_restored()->mutable_comment() = ref;
        event.mutable_comment_restored()->set_was_hidden(true);
        break;
      case v1::Event::kPrivateMessageSent: {
        auto* sent = event.mutable_private_message_sent();
        sent->set_conversation(target);
        sent->set_comment(comment);
        sent->set_sender(actor);
        break;
      }
      default:
        ADD_FAILURE() << "not a comment event";
    }
    return event;
  }

  // A new post by `actor` on `target` now, applied as the consumer would.
  void Post(const std::string& target, const std::string& actor,
            const std::string& comment) {
    static int seq = 1;
    const auto kind = absl::StartsWith(target, "conversations/")
                          ? v1::Event::kPrivateMessageSent
                          : v1::Event::kCommentCreated;
    ASSERT_THAT(community_store_->ApplyCommentEvent(CommentEvent(
                    kind, target, comment, actor, clock_.Now(), seq++)),
                IsOk());
  }
};

std::string Repeat(size_t n) { return std::string(n, 'x'); }

// NOT_FOUND worded exactly as for a `name` that does not exist: what every
// answer about a conversation one is not in, or a topic one may not read,
// must be, so that nothing tells it apart from a missing one.
auto Missing(const std::string& name) {
  return StatusIs(absl::StatusCode::kNotFound,
                  ::testing::Eq(absl::StrCat(name, " does not exist")));
}

// ---- Spaces ----

TEST_F(CommunityServiceTest,
       SecretariatCreatesSpaceWhoseFacilitatorsAreMembers) {
  auto space = MakeSpace("gaps", v1::Space::OPEN, {NameOf(member_)});
  ASSERT_THAT(space, IsOk());
  EXPECT_EQ(space->name(), "spaces/gaps");
  EXPECT_EQ(space->title(), "Space gaps");
  EXPECT_EQ(space->state(), v1::Space::ACTIVE);
  EXPECT_EQ(space->visibility(), v1::Space::OPEN);
  EXPECT_THAT(space->facilitators(), ElementsAre(NameOf(member_)));
  EXPECT_EQ(space->member_count(), 1);
  EXPECT_FALSE(space->caller_is_member());
  EXPECT_FALSE(space->etag().empty());

  auto seen = GetSpace(member_, "gaps");
  ASSERT_THAT(seen, IsOk());
  EXPECT_TRUE(seen->caller_is_member());
  EXPECT_TRUE(seen->caller_is_facilitator());

  std::vector<v1::Event> created;
  for (const v1::Event& e : StreamEvents(CommunityStore::SpacesShard())) {
    if (e.has_space_created()) created.push_back(e);
  }
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].space_created().space(), "spaces/gaps");
  EXPECT_THAT(created[0].space_created().facilitators(),
              ElementsAre(NameOf(member_)));
  EXPECT_EQ(created[0].actor(), secretariat_);
  EXPECT_FALSE(created[0].actor_display_name().empty());
}

TEST_F(CommunityServiceTest, OnlyTheSecretariatCreatesAndUpdatesSpaces) {
  v1::CreateSpaceRequest request;
  request.set_space_id("mine");
  request.mutable_space()->set_title("Mine");
  EXPECT_THAT((CallC<v1::CreateSpaceRequest, v1::Space>(&Stub::CreateSpace,
                                                        request, member_)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_THAT(MakeSpace("gaps", v1::Space::OPEN, {NameOf(member_)}), IsOk());
  v1::Space change;
  change.set_name(SpaceName("gaps"));
  change.set_title("Taken over");
  EXPECT_THAT(UpdateSpace(change, {"title"}, member_),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(CommunityServiceTest, CreateSpaceRefusesBadInputAndWritesNothing) {
  const auto keys = CommunityKeys();
  auto create = [&](const std::string& id, const std::string& title,
                    const std::string& description,
                    const std::vector<std::string>& facilitators) {
    v1::CreateSpaceRequest request;
    request.set_space_id(id);
    request.mutable_space()->set_title(title);
    request.mutable_space()->set_description(description);
    for (const auto& f : facilitators) {
      request.mutable_space()->add_facilitators(f);
    }
    return CallC<v1::CreateSpaceRequest, v1::Space>(&Stub::CreateSpace, request,
                                                    secretariat_token_);
  };
  EXPECT_THAT(
      create("gaps", "", "", {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("space.title")));
  EXPECT_THAT(
      create("gaps", Repeat(101), "", {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 100")));
  EXPECT_THAT(create("gaps", "Gaps", Repeat(2001), {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("space.description: must be at most 2000")));
  EXPECT_THAT(
      create("9gaps", "Gaps", "", {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("space_id")));
  EXPECT_THAT(create("gaps", "Gaps", "", {"members/0000000000000000"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("space.facilitators[0]: members/"
                                 "0000000000000000 is not an ACTIVE member")));
  EXPECT_THAT(create("gaps", "Gaps", "", {NameOf(member_), NameOf(observer_)}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("space.facilitators[1]")));
  EXPECT_THAT(create("gaps", "Gaps", "", {NameOf(member_), NameOf(member_)}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("space.facilitators[1]: repeats")));
  EXPECT_THAT(
      create("gaps", "Gaps", "", std::vector<std::string>(21, NameOf(member_))),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 20")));
  EXPECT_EQ(CommunityKeys(), keys);

  ASSERT_THAT(MakeSpace("gaps"), IsOk());
  EXPECT_THAT(MakeSpace("gaps"),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("spaces/gaps already exists")));
}

TEST_F(CommunityServiceTest, CreateSpaceRepeatedWithItsRequestIdReturnsIt) {
  v1::CreateSpaceRequest request;
  request.mutable_space()->set_title("Country case studies");
  request.set_request_id("req-1");
  auto first = CallC<v1::CreateSpaceRequest, v1::Space>(
      &Stub::CreateSpace, request, secretariat_token_);
  auto second = CallC<v1::CreateSpaceRequest, v1::Space>(
      &Stub::CreateSpace, request, secretariat_token_);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(first->name(), second->name());
  EXPECT_TRUE(absl::StartsWith(first->name(), "spaces/space-"));
}

TEST_F(CommunityServiceTest, MembersJoinAndLeaveOpenSpaces) {
  ASSERT_THAT(MakeSpace("gaps", v1::Space::OPEN, {NameOf(member_)}), IsOk());
  auto joined = JoinAs(other_, "gaps");
  ASSERT_THAT(joined, IsOk());
  EXPECT_TRUE(joined->caller_is_member());
  EXPECT_FALSE(joined->caller_is_facilitator());
  EXPECT_EQ(joined->member_count(), 2);
  auto again = JoinAs(other_, "gaps");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->member_count(), 2);

  v1::LeaveSpaceRequest leave;
  leave.set_name(SpaceName("gaps"));
  auto left =
      CallC<v1::LeaveSpaceRequest, v1::Space>(&Stub::LeaveSpace, leave, other_);
  ASSERT_THAT(left, IsOk());
  EXPECT_FALSE(left->caller_is_member());
  EXPECT_EQ(left->member_count(), 1);
  EXPECT_THAT((CallC<v1::LeaveSpaceRequest, v1::Space>(&Stub::LeaveSpace, leave,
                                                       other_)),
              IsOk());
  EXPECT_THAT((CallC<v1::LeaveSpaceRequest, v1::Space>(&Stub::LeaveSpace, leave,
                                                       member_)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("facilitators")));
  EXPECT_THAT(JoinAs(observer_, "gaps"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(JoinAs(other_, "nowhere"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("spaces/nowhere does not exist")));
}

TEST_F(CommunityServiceTest, InviteOnlySpacesAreJoinedOnlyByBeingAdded) {
  ASSERT_THAT(MakeSpace("sensitive", v1::Space::INVITE_ONLY, {NameOf(member_)}),
              IsOk());
  const std::string third = Member("third@example.org");
  EXPECT_THAT(
      JoinAs(other_, "sensitive"),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("invite-only")));
  EXPECT_THAT(AddMember("sensitive", NameOf(third), other_),
              StatusIs(absl::StatusCode::kPermissionDenied));

  auto added = AddMember("sensitive", NameOf(other_), member_);
  ASSERT_THAT(added, IsOk());
  EXPECT_EQ(added->name(), absl::StrCat("spaces/sensitive/members/",
                                        NameOf(other_).substr(8)));
  EXPECT_EQ(added->member(), NameOf(other_));
  EXPECT_EQ(added->display_name(), "bruno@example.org");
  EXPECT_EQ(added->added_by(), NameOf(member_));
  EXPECT_FALSE(added->facilitator());
  auto again = AddMember("sensitive", NameOf(other_));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->added_by(), NameOf(member_));  // adding again: unchanged
  EXPECT_TRUE(GetSpace(other_, "sensitive")->caller_is_member());

  EXPECT_THAT(AddMember("sensitive", "members/0000000000000000", member_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("member: members/0000000000000000")));

  v1::RemoveSpaceMemberRequest remove;
  remove.set_space(SpaceName("sensitive"));
  remove.set_member(NameOf(other_));
  auto removing = [&](const std::string& token) {
    return CallC<v1::RemoveSpaceMemberRequest, google::protobuf::Empty>(
        &Stub::RemoveSpaceMember, remove, token);
  };
  EXPECT_THAT(removing(third), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(removing(member_), IsOk());
  EXPECT_THAT(removing(member_), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(GetSpace(other_, "sensitive")->caller_is_member());
  remove.set_member(NameOf(member_));
  EXPECT_THAT(removing(secretariat_token_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("facilitates")));
}

TEST_F(CommunityServiceTest, InviteOnlyTopicsAreReadOnlyByItsMembers) {
  ASSERT_THAT(MakeSpace("sensitive", v1::Space::INVITE_ONLY, {NameOf(member_)}),
              IsOk());
  auto topic = StartTopic(member_, "sensitive", "Consent");
  ASSERT_THAT(topic, IsOk());

  // The space is listed to everyone; its topics are not.
  v1::ListSpacesRequest all;
  auto listed = CallC<v1::ListSpacesRequest, v1::ListSpacesResponse>(
      &Stub::ListSpaces, all, other_);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->spaces_size(), 1);
  EXPECT_EQ(listed->spaces(0).unread_count(), 0);
  EXPECT_THAT(
      GetTopic(other_, topic->name()),
      StatusIs(absl::StatusCode::kNotFound,
               HasSubstr(absl::StrCat(topic->name(), " does not exist"))));
  v1::ListTopicsRequest request;
  request.set_parent(SpaceName("sensitive"));
  EXPECT_THAT(ListTopics(other_, request),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(GetTopic(observer_, topic->name()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(GetTopic(secretariat_token_, topic->name()), IsOk());

  ASSERT_THAT(AddMember("sensitive", NameOf(other_), member_), IsOk());
  EXPECT_THAT(GetTopic(other_, topic->name()), IsOk());
  EXPECT_THAT(TopicTitles(other_, "sensitive"), ElementsAre("Consent"));
}

TEST_F(CommunityServiceTest, AnArchivedSpaceIsReadOnly) {
  ASSERT_THAT(MakeSpace("gaps", v1::Space::OPEN, {NameOf(member_)}), IsOk());
  auto topic = StartTopic(member_, "gaps", "Before");
  ASSERT_THAT(topic, IsOk());
  auto archived = Archive("gaps");
  ASSERT_THAT(archived, IsOk());
  EXPECT_EQ(archived->state(), v1::Space::ARCHIVED);

  EXPECT_THAT(StartTopic(member_, "gaps", "After"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("spaces/gaps is ARCHIVED")));
  EXPECT_THAT(JoinAs(other_, "gaps"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(AddMember("gaps", NameOf(other_)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Pin(member_, topic->name()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(EditTopic(member_, topic->name(), "Renamed"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(GetTopic(other_, topic->name()), IsOk());  // still readable

  v1::ListSpacesRequest active;
  auto listed = CallC<v1::ListSpacesRequest, v1::ListSpacesResponse>(
      &Stub::ListSpaces, active, other_);
  ASSERT_THAT(listed, IsOk());
  EXPECT_THAT(listed->spaces(), IsEmpty());
  v1::ListSpacesRequest archived_only;
  archived_only.set_state(v1::Space::ARCHIVED);
  listed = CallC<v1::ListSpacesRequest, v1::ListSpacesResponse>(
      &Stub::ListSpaces, archived_only, other_);
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->spaces_size(), 1);

  v1::Space reactivate;
  reactivate.set_name(SpaceName("gaps"));
  reactivate.set_state(v1::Space::ACTIVE);
  ASSERT_THAT(UpdateSpace(reactivate, {"state"}), IsOk());
  EXPECT_THAT(StartTopic(member_, "gaps", "After"), IsOk());
}

TEST_F(CommunityServiceTest, UpdateSpaceGuardsItsEtagAndAddsNewFacilitators) {
  auto space = MakeSpace("gaps");
  ASSERT_THAT(space, IsOk());
  v1::Space change;
  change.set_name(space->name());
  change.set_title("Methodological gaps");
  change.add_facilitators(NameOf(other_));
  change.set_etag(space->etag());
  auto updated = UpdateSpace(change, {"title", "facilitators"});
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ(updated->title(), "Methodological gaps");
  EXPECT_THAT(updated->facilitators(), ElementsAre(NameOf(other_)));
  EXPECT_EQ(updated->member_count(), 1);
  EXPECT_NE(updated->etag(), space->etag());
  EXPECT_TRUE(GetSpace(other_, "gaps")->caller_is_facilitator());

  EXPECT_THAT(UpdateSpace(change, {"title"}),  // the old etag
              StatusIs(absl::StatusCode::kAborted, HasSubstr("etag")));
  change.clear_etag();
  EXPECT_THAT(
      UpdateSpace(change, {"member_count"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("update_mask")));
  change.set_visibility(v1::Space::VISIBILITY_UNSPECIFIED);
  EXPECT_THAT(UpdateSpace(change, {"visibility"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("space.visibility")));
  change.set_name("spaces/nowhere");
  EXPECT_THAT(UpdateSpace(change, {"title"}),
              StatusIs(absl::StatusCode::kNotFound));

  // A facilitator no longer named stays a member, and may now leave.
  v1::Space none;
  none.set_name(space->name());
  ASSERT_THAT(UpdateSpace(none, {"facilitators"}), IsOk());
  v1::LeaveSpaceRequest leave;
  leave.set_name(space->name());
  EXPECT_THAT((CallC<v1::LeaveSpaceRequest, v1::Space>(&Stub::LeaveSpace, leave,
                                                       other_)),
              IsOk());
}

TEST_F(CommunityServiceTest, ListSpacesPagesByTitleAndFiltersJoinedOnes) {
  ASSERT_THAT(MakeSpace("c-space"), IsOk());  // "Space c-space"
  ASSERT_THAT(MakeSpace("a-space"), IsOk());
  ASSERT_THAT(MakeSpace("b-space"), IsOk());
  ASSERT_THAT(JoinAs(other_, "b-space"), IsOk());

  v1::ListSpacesRequest request;
  request.set_page_size(2);
  std::vector<std::string> names;
  do {
    auto page = CallC<v1::ListSpacesRequest, v1::ListSpacesResponse>(
        &Stub::ListSpaces, request, other_);
    ASSERT_THAT(page, IsOk());
    for (const v1::Space& s : page->spaces()) names.push_back(s.name());
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  EXPECT_THAT(
      names, ElementsAre("spaces/a-space", "spaces/b-space", "spaces/c-space"));

  request.set_page_size(2);
  auto first = CallC<v1::ListSpacesRequest, v1::ListSpacesResponse>(
      &Stub::ListSpaces, request, other_);
  ASSERT_THAT(first, IsOk());
  request.set_page_token(first->next_page_token());
  request.set_joined_only(true);
  EXPECT_THAT(
      (CallC<v1::ListSpacesRequest, v1::ListSpacesResponse>(&Stub::ListSpaces,
                                                            request, other_)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  request.clear_page_token();
  auto joined = CallC<v1::ListSpacesRequest, v1::ListSpacesResponse>(
      &Stub::ListSpaces, request, other_);
  ASSERT_THAT(joined, IsOk());
  ASSERT_EQ(joined->spaces_size(), 1);
  EXPECT_EQ(joined->spaces(0).name(), "spaces/b-space");
  EXPECT_TRUE(joined->spaces(0).caller_is_member());
}

TEST_F(CommunityServiceTest, ListSpaceMembersPutsFacilitatorsFirst) {
  const std::string zed = Member("zed@example.org");
  const std::string ann = Member("ann@example.org");
  const std::string reader = Member("reader@example.org");  // not in it
  ASSERT_THAT(MakeSpace("gaps", v1::Space::OPEN, {NameOf(zed)}), IsOk());
  ASSERT_THAT(JoinAs(other_, "gaps"), IsOk());
  ASSERT_THAT(JoinAs(ann, "gaps"), IsOk());
  v1::ListSpaceMembersRequest request;
  request.set_parent(SpaceName("gaps"));
  request.set_page_size(2);
  std::vector<std::string> names;
  do {
    auto page =
        CallC<v1::ListSpaceMembersRequest, v1::ListSpaceMembersResponse>(
            &Stub::ListSpaceMembers, request, reader);
    ASSERT_THAT(page, IsOk());
    for (const auto& m : page->space_members()) {
      names.push_back(m.display_name());
      EXPECT_EQ(m.facilitator(), m.member() == NameOf(zed));
    }
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  EXPECT_THAT(names, ElementsAre("zed@example.org", "ann@example.org",
                                 "bruno@example.org"));
}

TEST_F(CommunityServiceTest, ListSpaceMembersLeavesOutSuspendedMembers) {
  const std::string zed = Member("zed@example.org");
  const std::string ann = Member("ann@example.org");
  const std::string bob = Member("bob@example.org");
  ASSERT_THAT(MakeSpace("gaps", v1::Space::OPEN, {NameOf(zed)}), IsOk());
  for (const std::string& token : {ann, bob, other_}) {
    ASSERT_THAT(JoinAs(token, "gaps"), IsOk());
  }
  v1::SuspendMemberRequest suspend;
  suspend.set_name(NameOf(ann));
  suspend.set_reason("Spam.");
  v1::Member suspended;
  ASSERT_TRUE(
      stub_->SuspendMember(As(secretariat_token_).get(), suspend, &suspended)
          .ok());

  // Page by page (of one), a suspended member is skipped, not a short page.
  for (const std::string& token : {other_, secretariat_token_}) {
    SCOPED_TRACE(token);
    v1::ListSpaceMembersRequest request;
    request.set_parent(SpaceName("gaps"));
    request.set_page_size(1);
    std::vector<std::string> names;
    do {
      auto page =
          CallC<v1::ListSpaceMembersRequest, v1::ListSpaceMembersResponse>(
              &Stub::ListSpaceMembers, request, token);
      ASSERT_THAT(page, IsOk());
      ASSERT_EQ(page->space_members_size(), 1);
      names.push_back(page->space_members(0).display_name());
      request.set_page_token(page->next_page_token());
    } while (!request.page_token().empty());
    EXPECT_THAT(names, ElementsAre("zed@example.org", "bob@example.org",
                                   "bruno@example.org"));
  }
}

// community.proto: spaces, topics and conversations are for MEMBER and
// SECRETARIAT callers. Observers and partner tokens have the library only.
TEST_F(CommunityServiceTest, SpacesAndTopicsAreForMembersAndTheSecretariat) {
  ASSERT_THAT(MakeSpace("gaps", v1::Space::OPEN, {NameOf(member_)}), IsOk());
  auto topic = StartTopic(member_, "gaps", "Open question");
  ASSERT_THAT(topic, IsOk());
  const std::string& t = topic->name();
  auto post = Comment(member_, t, "A first answer.");
  ASSERT_THAT(post, IsOk());

  const auto denied = StatusIs(absl::StatusCode::kPermissionDenied);
  const std::string partner = NewPartner(member_);
  for (const std::string& token : {observer_, partner}) {
    SCOPED_TRACE(token);
    EXPECT_THAT(GetSpace(token, "gaps"), denied);
    EXPECT_THAT((CallC<v1::ListSpacesRequest, v1::ListSpacesResponse>(
                    &Stub::ListSpaces, v1::ListSpacesRequest(), token)),
                denied);
    v1::ListTopicsRequest topics;
    topics.set_parent(SpaceName("gaps"));
    EXPECT_THAT(ListTopics(token, topics), denied);
    v1::ListSpaceMembersRequest members;
    members.set_parent(SpaceName("gaps"));
    EXPECT_THAT(
        (CallC<v1::ListSpaceMembersRequest, v1::ListSpaceMembersResponse>(
            &Stub::ListSpaceMembers, members, token)),
        denied);
    v1::LeaveSpaceRequest leave;
    leave.set_name(SpaceName("gaps"));
    EXPECT_THAT((CallC<v1::LeaveSpaceRequest, v1::Space>(&Stub::LeaveSpace,
                                                         leave, token)),
                denied);
    EXPECT_THAT(GetTopic(token, t), Missing(t));
    EXPECT_THAT(MarkRead(token, t), Missing(t));
    // Nor through cdc-comments: not the thread, not a post in it.
    v1::ListCommentsRequest on_topic;
    on_topic.set_target(t);
    EXPECT_THAT(List(token, on_topic), Missing(t));
    EXPECT_THAT(GetComment(token, post->name()), Missing(post->name()));
  }
  EXPECT_THAT(Flag(partner, post->name()), Missing(post->name()));
  EXPECT_THAT(Flag(observer_, post->name()), denied);

  // Nor can a facilitator make them members of a space.
  EXPECT_THAT(
      AddMember("gaps", NameOf(observer_), member_),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr(absl::StrCat("member: ", NameOf(observer_),
                                      " is OBSERVER, who cannot take part"))));
  v1::ListSpaceMembersRequest members;
  members.set_parent(SpaceName("gaps"));
  auto listed =
      CallC<v1::ListSpaceMembersRequest, v1::ListSpaceMembersResponse>(
          &Stub::ListSpaceMembers, members, member_);
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->space_members_size(), 1);
}

// ---- Topics ----

TEST_F(CommunityServiceTest, MembersStartTopicsAndEveryoneHearsOfIt) {
  ASSERT_THAT(MakeSpace("gaps"), IsOk());
  ASSERT_THAT(JoinAs(member_, "gaps"), IsOk());
  auto topic =
      StartTopic(member_, "gaps", "Small-area estimates",
                 "How do we **combine** sources?", {"SAE", "data-2030"});
  ASSERT_THAT(topic, IsOk());
  EXPECT_TRUE(absl::StartsWith(topic->name(), "spaces/gaps/topics/"));
  EXPECT_THAT(topic->tags(), ElementsAre("sae", "data-2030"));
  EXPECT_EQ(topic->author(), NameOf(member_));
  EXPECT_EQ(topic->author_display_name(), "amina@example.org");
  EXPECT_EQ(topic->state(), v1::Topic::OPEN);
  EXPECT_EQ(topic->post_count(), 0);
  EXPECT_FALSE(topic->has_unread());  // its author has read it
  EXPECT_EQ(GetSpace(member_, "gaps")->topic_count(), 1);

  std::vector<v1::Event> started;
  for (const v1::Event& e : StreamEvents(CommunityStore::SpacesShard())) {
    if (e.has_topic_started()) started.push_back(e);
  }
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].topic_started().topic(), topic->name());
  EXPECT_EQ(started[0].topic_started().space(), "spaces/gaps");
  EXPECT_THAT(started[0].topic_started().tags(),
              ElementsAre("sae", "data-2030"));
  EXPECT_EQ(started[0].actor(), NameOf(member_));
  EXPECT_EQ(started[0].actor_display_name(), "amina@example.org");

  EXPECT_THAT(StartTopic(other_, "gaps", "Not a member"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("join it first")));
  EXPECT_THAT(StartTopic(observer_, "gaps", "Observer"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(GetTopic(other_, topic->name()), IsOk());  // open to members
}

TEST_F(CommunityServiceTest, CreateTopicRefusesBadInputWithItsLimits) {
  ASSERT_THAT(MakeSpace("gaps"), IsOk());
  ASSERT_THAT(JoinAs(member_, "gaps"), IsOk());
  const auto keys = CommunityKeys();
  const auto events = StreamEvents(CommunityStore::SpacesShard()).size();
  EXPECT_THAT(StartTopic(member_, "gaps", Repeat(201)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("topic.title: must be at most 200")));
  EXPECT_THAT(
      StartTopic(member_, "gaps", "Title", ""),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("topic.body")));
  EXPECT_THAT(
      StartTopic(member_, "gaps", "Title", Repeat(20001)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 20000")));
  EXPECT_THAT(
      StartTopic(member_, "gaps", "Title", "Body",
                 {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("topic.tags: holds at most 10 tags (got 11)")));
  EXPECT_THAT(StartTopic(member_, "gaps", "Title", "Body", {"no spaces"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("topic.tags[0]: must be 1 to 32")));
  EXPECT_THAT(
      StartTopic(member_, "gaps", "Title", "Body", {Repeat(33)}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("topic.tags[0]")));
  EXPECT_THAT(StartTopic(member_, "gaps", "Title", "Body", {"Gaps", "gaps"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("topic.tags[1]: repeats \"gaps\"")));
  EXPECT_THAT(StartTopic(member_, "nowhere", "Title"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(CommunityKeys(), keys);
  EXPECT_EQ(StreamEvents(CommunityStore::SpacesShard()).size(), events);
}

TEST_F(CommunityServiceTest, CreateTopicRepeatedWithItsRequestIdReturnsIt) {
  ASSERT_THAT(MakeSpace("gaps"), IsOk());
  ASSERT_THAT(JoinAs(member_, "gaps"), IsOk());
  auto first = StartTopic(member_, "gaps", "Once", "Body", {}, "r1");
  auto second = StartTopic(member_, "gaps", "Once", "Body", {}, "r1");
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(first->name(), second->name());
  EXPECT_EQ(GetSpace(member_, "gaps")->topic_count(), 1);
}

TEST_F(CommunityServiceTest, ACreateTopicRetryAnswersOnlyWhatOneMayRead) {
  ASSERT_THAT(MakeSpace("sensitive", v1::Space::INVITE_ONLY, {NameOf(member_)}),
              IsOk());
  ASSERT_THAT(AddMember("sensitive", NameOf(other_), member_), IsOk());
  auto first = StartTopic(other_, "sensitive", "Once", "Body", {}, "r1");
  ASSERT_THAT(first, IsOk());

  v1::RemoveSpaceMemberRequest remove;
  remove.set_space(SpaceName("sensitive"));
  remove.set_member(NameOf(other_));
  ASSERT_THAT((CallC<v1::RemoveSpaceMemberRequest, google::protobuf::Empty>(
                  &Stub::RemoveSpaceMember, remove, member_)),
              IsOk());
  EXPECT_THAT(StartTopic(other_, "sensitive", "Once", "Body", {}, "r1"),
              Missing(first->name()));

  ASSERT_THAT(AddMember("sensitive", NameOf(other_), member_), IsOk());
  auto again = StartTopic(other_, "sensitive", "Once", "Body", {}, "r1");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->name(), first->name());
  EXPECT_EQ(GetSpace(member_, "sensitive")->topic_count(), 1);
}

TEST_F(CommunityServiceTest, TopicsListPinnedFirstThenLatestActivity) {
  ASSERT_THAT(MakeSpace("gaps", v1::Space::OPEN, {NameOf(member_)}), IsOk());
  ASSERT_THAT(JoinAs(other_, "gaps"), IsOk());
  auto one = StartTopic(member_, "gaps", "One", "Body", {"sdg"});
  clock_.Advance(absl::Seconds(1));
  auto two = StartTopic(other_, "gaps", "Two", "Body");
  clock_.Advance(absl::Seconds(1));
  auto three = StartTopic(member_, "gaps", "Three", "Body", {"sdg"});
  ASSERT_THAT(three, IsOk());
  EXPECT_THAT(TopicTitles(other_, "gaps"), ElementsAre("Three", "Two", "One"));

  ASSERT_THAT(Pin(member_, one->name()), IsOk());
  EXPECT_THAT(TopicTitles(other_, "gaps"), ElementsAre("One", "Three", "Two"));

  clock_.Advance(absl::Seconds(1));
  Post(two->name(), NameOf(member_), "comments/0aaa");
  EXPECT_THAT(TopicTitles(other_, "gaps"), ElementsAre("One", "Two", "Three"));
  auto bumped = GetTopic(other_, two->name());
  ASSERT_THAT(bumped, IsOk());
  EXPECT_EQ(bumped->post_count(), 1);
  EXPECT_EQ(bumped->last_activity_time(),
            consultations::testing::At(clock_.Now()));

  v1::ListTopicsRequest tagged;
  tagged.set_tag("SDG");
  EXPECT_THAT(TopicTitles(other_, "gaps", tagged), ElementsAre("One", "Three"));
  v1::ListTopicsRequest by_author;
  by_author.set_author(NameOf(other_));
  EXPECT_THAT(TopicTitles(other_, "gaps", by_author), ElementsAre("Two"));

  ASSERT_THAT(CloseTopic(member_, three->name()), IsOk());
  ASSERT_THAT(ArchiveTopic(member_, one->name()), IsOk());
  EXPECT_THAT(TopicTitles(other_, "gaps"), ElementsAre("Two", "Three"));
  v1::ListTopicsRequest closed;
  closed.set_state(v1::Topic::CLOSED);
  EXPECT_THAT(TopicTitles(other_, "gaps", closed), ElementsAre("Three"));
  v1::ListTopicsRequest archived;
  archived.set_state(v1::Topic::ARCHIVED);
  EXPECT_THAT(TopicTitles(other_, "gaps", archived), ElementsAre("One"));

  // Pages of one, with a token bound to the filters.
  v1::ListTopicsRequest paged;
  paged.set_parent(SpaceName("gaps"));
  paged.set_page_size(1);
  std::vector<std::string> titles;
  do {
    auto page = ListTopics(other_, paged);
    ASSERT_THAT(page, IsOk());
    for (const v1::Topic& t : page->topics()) titles.push_back(t.title());
    paged.set_page_token(page->next_page_token());
  } while (!paged.page_token().empty());
  EXPECT_THAT(titles, ElementsAre("Two", "Three"));
  paged.set_page_size(1);
  auto first = ListTopics(other_, paged);
  ASSERT_THAT(first, IsOk());
  paged.set_page_token(first->next_page_token());
  paged.set_tag("sdg");
  EXPECT_THAT(
      ListTopics(other_, paged),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST_F(CommunityServiceTest, UnreadCountsFollowActivityAndReadPositions) {
  ASSERT_THAT(MakeSpace("gaps", v1::Space::OPEN, {NameOf(member_)}), IsOk());
  ASSERT_THAT(JoinAs(other_, "gaps"), IsOk());
  clock_.Advance(absl::Seconds(1));
  auto one = StartTopic(member_, "gaps", "One");
  clock_.Advance(absl::Seconds(1));
  auto two = StartTopic(member_, "gaps", "Two");
  ASSERT_THAT(two, IsOk());

  EXPECT_EQ(GetSpace(other_, "gaps")->unread_count(), 2);
  EXPECT_EQ(GetSpace(member_, "gaps")->unread_count(), 0);  // their own
  EXPECT_EQ(GetSpace(Member("reader@example.org"), "gaps")->unread_count(),
            0);  // not a member
  v1::ListTopicsRequest unread;
  unread.set_unread_only(true);
  EXPECT_THAT(TopicTitles(other_, "gaps", unread), ElementsAre("Two", "One"));

  clock_.Advance(absl::Seconds(1));
  auto read = MarkRead(other_, one->name());
  ASSERT_THAT(read, IsOk());
  EXPECT_FALSE(read->has_unread());
  EXPECT_EQ(read->caller_last_read_time(),
            consultations::testing::At(clock_.Now()));
  EXPECT_EQ(GetSpace(other_, "gaps")->unread_count(), 1);
  EXPECT_THAT(TopicTitles(other_, "gaps", unread), ElementsAre("Two"));
  // An earlier read time than the stored one changes nothing.
  v1::MarkTopicReadRequest earlier;
  earlier.set_name(one->name());
  *earlier.mutable_read_time() =
      consultations::testing::At(clock_.Now() - absl::Hours(1));
  auto kept = CallC<v1::MarkTopicReadRequest, v1::Topic>(&Stub::MarkTopicRead,
                                                         earlier, other_);
  ASSERT_THAT(kept, IsOk());
  EXPECT_EQ(kept->caller_last_read_time(), read->caller_last_read_time());

  // A new post by someone else makes it unread again; one's own does not.
  clock_.Advance(absl::Seconds(1));
  Post(one->name(), NameOf(member_), "comments/0bbb");
  EXPECT_TRUE(GetTopic(other_, one->name())->has_unread());
  EXPECT_EQ(GetSpace(other_, "gaps")->unread_count(), 2);
  EXPECT_FALSE(GetTopic(member_, one->name())->has_unread());
  clock_.Advance(absl::Seconds(1));
  Post(two->name(), NameOf(other_), "comments/0ccc");
  EXPECT_FALSE(GetTopic(other_, two->name())->has_unread());
  EXPECT_EQ(GetSpace(other_, "gaps")->unread_count(), 1);
  EXPECT_GT(GetSpace(other_, "gaps")->last_activity_time().seconds(), 0);
}

TEST_F(CommunityServiceTest, AuthorsEditOpenTopicsAndFacilitatorsAnyTopic) {
  ASSERT_THAT(MakeSpace("gaps", v1::Space::OPEN, {NameOf(member_)}), IsOk());
  ASSERT_THAT(JoinAs(other_, "gaps"), IsOk());
  const std::string third = Member("third@example.org");
  ASSERT_THAT(JoinAs(third, "gaps"), IsOk());
  auto topic = StartTopic(other_, "gaps", "Draft title", "Body", {"old"});
  ASSERT_THAT(topic, IsOk());

  auto edited =
      EditTopic(other_, topic->name(), "Household surveys", topic->etag());
  ASSERT_THAT(edited, IsOk());
  EXPECT_EQ(edited->title(), "Household surveys");
  EXPECT_THAT(EditTopic(other_, topic->name(), "Again", topic->etag()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("etag")));
  EXPECT_THAT(EditTopic(third, topic->name(), "Mine now"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(
      EditTopic(other_, topic->name(), Repeat(201)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("topic.title")));

  // Search finds it by its new words, not its old ones.
  auto hits = community_store_->SearchTopics(Words("household"), NameOf(third),
                                             false, "", 10);
  ASSERT_THAT(hits, IsOk());
  ASSERT_EQ(hits->first.size(), 1u);
  EXPECT_EQ(hits->first[0].topic.name(), topic->name());
  EXPECT_EQ(hits->second, 1);
  hits = community_store_->SearchTopics(Words("draft"), NameOf(third), false,
                                        "", 10);
  ASSERT_THAT(hits, IsOk());
  EXPECT_TRUE(hits->first.empty());

  ASSERT_THAT(CloseTopic(member_, topic->name(), "Answered."), IsOk());
  EXPECT_THAT(
      EditTopic(other_, topic->name(), "After closing"),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is CLOSED")));
  EXPECT_THAT(EditTopic(member_, topic->name(), "Tidied by facilitator"),
              IsOk());
  EXPECT_THAT(EditTopic(secretariat_token_, topic->name(), "By secretariat"),
              IsOk());
}

TEST_F(CommunityServiceTest, FacilitatorsPinCloseReopenAndArchiveTopics) {
  ASSERT_THAT(MakeSpace("gaps", v1::Space::OPEN, {NameOf(member_)}), IsOk());
  ASSERT_THAT(JoinAs(other_, "gaps"), IsOk());
  auto topic = StartTopic(other_, "gaps", "Question");
  ASSERT_THAT(topic, IsOk());
  const std::string& name = topic->name();

  EXPECT_THAT(Pin(other_, name), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CloseTopic(other_, name),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(Pin(member_, name)->pinned());
  EXPECT_FALSE(Pin(member_, name, false)->pinned());

  EXPECT_THAT(CloseTopic(member_, name, Repeat(1001)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("reason: must be at most 1000")));
  auto closed = CloseTopic(member_, name, "Moved to the sensitive-data space.");
  ASSERT_THAT(closed, IsOk());
  EXPECT_EQ(closed->state(), v1::Topic::CLOSED);
  EXPECT_EQ(closed->close_reason(), "Moved to the sensitive-data space.");
  EXPECT_THAT(
      CloseTopic(member_, name),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is CLOSED")));
  auto reopened = Reopen(member_, name);
  ASSERT_THAT(reopened, IsOk());
  EXPECT_EQ(reopened->state(), v1::Topic::OPEN);
  EXPECT_TRUE(reopened->close_reason().empty());
  EXPECT_THAT(Reopen(member_, name),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  // The secretariat moderates without belonging to the space.
  auto archived = ArchiveTopic(secretariat_token_, name);
  ASSERT_THAT(archived, IsOk());
  EXPECT_EQ(archived->state(), v1::Topic::ARCHIVED);
  EXPECT_EQ(GetSpace(member_, "gaps")->topic_count(), 0);
  EXPECT_THAT(ArchiveTopic(member_, name),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Pin(member_, name),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Reopen(member_, name),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Archived topics stay readable, and findable.
  EXPECT_THAT(GetTopic(other_, name), IsOk());
  auto hits = community_store_->SearchTopics(Words("question"), NameOf(other_),
                                             false, "spaces/gaps", 10);
  ASSERT_THAT(hits, IsOk());
  EXPECT_EQ(hits->second, 1);
  EXPECT_THAT(Pin(member_, "spaces/gaps/topics/nothing"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Pin(member_, "topics/x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("name: must be a topic name")));
}

TEST_F(CommunityServiceTest, SearchTopicsReturnsOnlyWhatTheMemberMayRead) {
  ASSERT_THAT(MakeSpace("open"), IsOk());
  ASSERT_THAT(MakeSpace("closed", v1::Space::INVITE_ONLY, {NameOf(member_)}),
              IsOk());
  ASSERT_THAT(JoinAs(member_, "open"), IsOk());
  ASSERT_THAT(StartTopic(member_, "open", "Citizen data quality"), IsOk());
  ASSERT_THAT(StartTopic(member_, "closed", "Citizen data consent",
                         "Citizen data about citizen data"),
              IsOk());
  auto spaces = community_store_->ReadableSpaces(NameOf(other_), false);
  ASSERT_THAT(spaces, IsOk());
  EXPECT_THAT(*spaces, ElementsAre("spaces/open"));
  EXPECT_THAT(*community_store_->ReadableSpaces(NameOf(member_), false),
              UnorderedElementsAre("spaces/open", "spaces/closed"));

  auto hits = community_store_->SearchTopics(Words("citizen data"),
                                             NameOf(other_), false, "", 10);
  ASSERT_THAT(hits, IsOk());
  EXPECT_EQ(hits->second, 1);
  hits = community_store_->SearchTopics(Words("citizen data"), secretariat_,
                                        true, "", 10);
  ASSERT_THAT(hits, IsOk());
  EXPECT_EQ(hits->second, 2);
  ASSERT_EQ(hits->first.size(), 2u);
  EXPECT_EQ(hits->first[0].topic.title(), "Citizen data consent");  // best
  EXPECT_GT(hits->first[0].score, hits->first[1].score);
  hits = community_store_->SearchTopics(Words("citizen"), secretariat_, true,
                                        "spaces/open", 1);
  ASSERT_THAT(hits, IsOk());
  EXPECT_EQ(hits->second, 1);
}

// ---- Conversations ----

TEST_F(CommunityServiceTest, ConversationsExistOnlyForTheirParticipants) {
  const std::string third = Member("third@example.org");
  auto c = StartConversation(member_, {NameOf(other_)}, "Our data");
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT(c->participants(), ElementsAre(NameOf(member_), NameOf(other_)));
  EXPECT_EQ(c->creator(), NameOf(member_));
  EXPECT_EQ(c->subject(), "Our data");
  EXPECT_THAT(GetConversation(other_, c->name()), IsOk());

  const std::vector<std::string> outsiders = {third, secretariat_token_,
                                              observer_, NewPartner(third),
                                              NewPartner(member_)};
  for (const std::string& token : outsiders) {
    SCOPED_TRACE(token);
    const auto not_found = Missing(c->name());
    EXPECT_THAT(GetConversation(token, c->name()), not_found);
    EXPECT_THAT(LeaveConversation(token, c->name()), not_found);
    EXPECT_THAT(MarkConversationRead(token, c->name()), not_found);
    EXPECT_THAT(Access(token, c->name()), not_found);
    auto listed = Conversations(token);
    if (listed.ok()) {
      EXPECT_THAT(listed->conversations(), IsEmpty());
    }
  }
  EXPECT_THAT(GetConversation(third, "conversations/nothing"),
              Missing("conversations/nothing"));
  // Nor may the secretariat learn of it by asking about a participant.
  EXPECT_THAT(Access(secretariat_token_, c->name(), NameOf(member_)),
              Missing(c->name()));
  EXPECT_THAT(
      Access(secretariat_token_, "conversations/nothing", NameOf(member_)),
      Missing("conversations/nothing"));
  auto mine = Conversations(other_);
  ASSERT_THAT(mine, IsOk());
  ASSERT_EQ(mine->conversations_size(), 1);
  EXPECT_EQ(mine->conversations(0).name(), c->name());
}

TEST_F(CommunityServiceTest, CreateConversationRepeatedWithItsRequestId) {
  v1::CreateConversationRequest request;
  request.mutable_conversation()->add_participants(NameOf(other_));
  request.set_request_id("hello-1");
  auto first = CallC<v1::CreateConversationRequest, v1::Conversation>(
      &Stub::CreateConversation, request, member_);
  auto second = CallC<v1::CreateConversationRequest, v1::Conversation>(
      &Stub::CreateConversation, request, member_);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(first->name(), second->name());
  EXPECT_EQ(Conversations(other_)->conversations_size(), 1);
}

TEST_F(CommunityServiceTest, CreateConversationRefusesBadParticipants) {
  const auto keys = CommunityKeys();
  EXPECT_THAT(StartConversation(member_, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("1 to 19 other members")));
  EXPECT_THAT(StartConversation(member_, {NameOf(member_)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("got 0")));
  std::vector<std::string> many;
  for (int i = 0; i < 20; ++i) {
    many.push_back(absl::StrCat("members/00000000000000", 10 + i));
  }
  EXPECT_THAT(
      StartConversation(member_, many),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("got 20")));
  EXPECT_THAT(StartConversation(member_, {"members/0000000000000000"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("conversation.participants[0]: members/"
                                 "0000000000000000 is not an ACTIVE member")));
  EXPECT_THAT(StartConversation(member_, {NameOf(other_), NameOf(observer_)}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("conversation.participants[1]")));
  EXPECT_THAT(
      StartConversation(member_, {NameOf(other_), NameOf(other_)}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("repeats")));
  EXPECT_THAT(StartConversation(member_, {NameOf(other_)}, Repeat(201)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("conversation.subject: must be at most 200")));
  EXPECT_THAT(StartConversation(observer_, {NameOf(other_)}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(CommunityKeys(), keys);
}

TEST_F(CommunityServiceTest, ALeftConversationStaysForTheOthers) {
  const std::string third = Member("third@example.org");
  auto c = StartConversation(member_, {NameOf(other_), NameOf(third)});
  ASSERT_THAT(c, IsOk());
  ASSERT_THAT(LeaveConversation(member_, c->name()), IsOk());
  EXPECT_THAT(GetConversation(member_, c->name()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Conversations(member_)->conversations(), IsEmpty());
  auto still = GetConversation(other_, c->name());
  ASSERT_THAT(still, IsOk());
  EXPECT_THAT(still->participants(),
              ElementsAre(NameOf(other_), NameOf(third)));
  EXPECT_TRUE(Access(other_, c->name())->may_post());

  ASSERT_THAT(LeaveConversation(third, c->name()), IsOk());
  auto alone = Access(other_, c->name());
  ASSERT_THAT(alone, IsOk());
  EXPECT_TRUE(alone->may_read());
  EXPECT_FALSE(alone->may_post());
  EXPECT_EQ(alone->reason(), AccessAnswer::NO_OTHER_PARTICIPANT);
}

TEST_F(CommunityServiceTest, MessagesOrderConversationsAndMarkThemUnread) {
  const std::string third = Member("third@example.org");
  auto first = StartConversation(member_, {NameOf(other_)}, "First");
  clock_.Advance(absl::Seconds(1));
  auto second = StartConversation(member_, {NameOf(third)}, "Second");
  ASSERT_THAT(second, IsOk());
  auto listed = Conversations(member_);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->conversations_size(), 2);
  EXPECT_EQ(listed->conversations(0).subject(), "Second");
  EXPECT_FALSE(listed->conversations(0).has_unread());

  clock_.Advance(absl::Seconds(1));
  Post(first->name(), NameOf(other_), "comments/0ddd");
  listed = Conversations(member_);
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->conversations(0).subject(), "First");
  EXPECT_TRUE(listed->conversations(0).has_unread());
  EXPECT_EQ(listed->conversations(0).message_count(), 1);
  EXPECT_FALSE(GetConversation(other_, first->name())->has_unread());

  auto read = MarkConversationRead(member_, first->name());
  ASSERT_THAT(read, IsOk());
  EXPECT_FALSE(read->has_unread());
  EXPECT_EQ(read->caller_last_read_time(),
            consultations::testing::At(clock_.Now()));

  v1::ListConversationsRequest paged;
  paged.set_page_size(1);
  auto page =
      CallC<v1::ListConversationsRequest, v1::ListConversationsResponse>(
          &Stub::ListConversations, paged, member_);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->conversations_size(), 1);
  paged.set_page_token(page->next_page_token());
  page = CallC<v1::ListConversationsRequest, v1::ListConversationsResponse>(
      &Stub::ListConversations, paged, member_);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->conversations_size(), 1);
  EXPECT_EQ(page->conversations(0).subject(), "Second");
  EXPECT_TRUE(page->next_page_token().empty());
}

TEST_F(CommunityServiceTest, BlocksStopConversationsInBothDirections) {
  auto existing = StartConversation(member_, {NameOf(other_)});
  ASSERT_THAT(existing, IsOk());
  clock_.Advance(absl::Seconds(1));
  auto blocked = Block(other_, NameOf(member_));
  ASSERT_THAT(blocked, IsOk());
  EXPECT_EQ(blocked->member(), NameOf(member_));
  EXPECT_EQ(blocked->display_name(), "amina@example.org");
  EXPECT_EQ(blocked->name(), absl::StrCat(NameOf(other_), "/blockedMembers/",
                                          NameOf(member_).substr(8)));
  clock_.Advance(absl::Seconds(1));
  auto again = Block(other_, NameOf(member_));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->create_time(), blocked->create_time());

  EXPECT_THAT(StartConversation(member_, {NameOf(other_)}),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("has blocked you")));
  EXPECT_THAT(StartConversation(other_, {NameOf(member_)}),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("you have blocked")));
  auto access = Access(member_, existing->name());
  ASSERT_THAT(access, IsOk());
  EXPECT_TRUE(access->may_read());
  EXPECT_FALSE(access->may_post());
  EXPECT_EQ(access->reason(), AccessAnswer::BLOCKED);
  EXPECT_TRUE(Access(other_, existing->name())->may_post());

  const std::string third = Member("third@example.org");
  clock_.Advance(absl::Seconds(1));
  ASSERT_THAT(Block(other_, NameOf(third)), IsOk());
  auto list =
      CallC<v1::ListBlockedMembersRequest, v1::ListBlockedMembersResponse>(
          &Stub::ListBlockedMembers, v1::ListBlockedMembersRequest(), other_);
  ASSERT_THAT(list, IsOk());
  ASSERT_EQ(list->blocked_members_size(), 2);
  EXPECT_EQ(list->blocked_members(0).member(), NameOf(third));  // newest
  EXPECT_EQ(list->blocked_members(1).member(), NameOf(member_));

  EXPECT_THAT(
      Block(other_, NameOf(other_)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("yourself")));
  EXPECT_THAT(Block(other_, secretariat_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("secretariat")));
  EXPECT_THAT(Block(other_, "members/0000000000000000"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("member: members/0000000000000000")));

  v1::UnblockMemberRequest unblock;
  unblock.set_member(NameOf(member_));
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT((CallC<v1::UnblockMemberRequest, google::protobuf::Empty>(
                    &Stub::UnblockMember, unblock, other_)),
                IsOk());
  }
  EXPECT_THAT(StartConversation(member_, {NameOf(other_)}), IsOk());
  EXPECT_TRUE(Access(member_, existing->name())->may_post());
}

// ---- CheckTargetAccess ----

TEST_F(CommunityServiceTest, CheckTargetAccessAnswersPerRoleOnTopics) {
  const std::string facilitator = Member("facilitator@example.org");
  ASSERT_THAT(MakeSpace("gaps", v1::Space::OPEN, {NameOf(facilitator)}),
              IsOk());
  ASSERT_THAT(JoinAs(member_, "gaps"), IsOk());
  auto topic = StartTopic(member_, "gaps", "Question");
  ASSERT_THAT(topic, IsOk());
  const std::string& t = topic->name();

  auto mine = Access(member_, t);
  ASSERT_THAT(mine, IsOk());
  EXPECT_TRUE(mine->may_read());
  EXPECT_TRUE(mine->may_post());
  EXPECT_FALSE(mine->may_moderate());
  EXPECT_EQ(mine->reason(), AccessAnswer::REASON_UNSPECIFIED);
  EXPECT_EQ(mine->space(), "spaces/gaps");
  EXPECT_EQ(mine->title(), "Question");

  auto outsider = Access(other_, t);
  ASSERT_THAT(outsider, IsOk());
  EXPECT_TRUE(outsider->may_read());
  EXPECT_FALSE(outsider->may_post());
  EXPECT_EQ(outsider->reason(), AccessAnswer::NOT_A_SPACE_MEMBER);
  EXPECT_THAT(outsider->message(), HasSubstr("join it first"));

  // Topics are for members and the secretariat: to an observer or a
  // partner token (or the secretariat asking about an observer) this one
  // is as missing as one that does not exist.
  EXPECT_THAT(Access(member_, "spaces/gaps/topics/nothing"),
              Missing("spaces/gaps/topics/nothing"));
  EXPECT_THAT(Access(observer_, t), Missing(t));
  EXPECT_THAT(Access(NewPartner(member_), t), Missing(t));
  EXPECT_THAT(Access(secretariat_token_, t, NameOf(observer_)), Missing(t));

  EXPECT_TRUE(Access(facilitator, t)->may_moderate());
  auto secretariat = Access(secretariat_token_, t);
  ASSERT_THAT(secretariat, IsOk());
  EXPECT_TRUE(secretariat->may_moderate());
  EXPECT_TRUE(secretariat->may_read());

  // Only the secretariat asks about someone else.
  EXPECT_THAT(Access(other_, t, NameOf(member_)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  auto about = Access(secretariat_token_, t, NameOf(other_));
  ASSERT_THAT(about, IsOk());
  EXPECT_EQ(about->reason(), AccessAnswer::NOT_A_SPACE_MEMBER);

  ASSERT_THAT(CloseTopic(facilitator, t, "Done here."), IsOk());
  EXPECT_EQ(Access(member_, t)->reason(), AccessAnswer::TOPIC_CLOSED);
  EXPECT_THAT(Access(member_, t)->message(), HasSubstr("Done here."));
  ASSERT_THAT(ArchiveTopic(facilitator, t), IsOk());
  EXPECT_EQ(Access(member_, t)->reason(), AccessAnswer::TOPIC_ARCHIVED);
  ASSERT_THAT(Archive("gaps"), IsOk());
  EXPECT_EQ(Access(member_, t)->reason(), AccessAnswer::SPACE_ARCHIVED);
  EXPECT_TRUE(Access(member_, t)->may_read());

  EXPECT_THAT(Access(member_, "spaces/gaps/topics/nothing"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(
      Access(member_, "consultations/c/sections/s"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("target")));
}

TEST_F(CommunityServiceTest, CheckTargetAccessHidesInviteOnlyTopics) {
  ASSERT_THAT(MakeSpace("sensitive", v1::Space::INVITE_ONLY, {NameOf(member_)}),
              IsOk());
  auto topic = StartTopic(member_, "sensitive", "Consent");
  ASSERT_THAT(topic, IsOk());
  const std::string& t = topic->name();
  const std::string missing = "spaces/sensitive/topics/nothing";
  EXPECT_THAT(Access(other_, missing), Missing(missing));

  // Neither its title, nor its state, nor a close reason, nor that it
  // exists: an outsider's answer is a missing topic's, in every state.
  EXPECT_THAT(Access(other_, t), Missing(t));
  EXPECT_THAT(Access(observer_, t), Missing(t));
  EXPECT_THAT(Access(secretariat_token_, t, NameOf(other_)), Missing(t));
  ASSERT_THAT(CloseTopic(member_, t, "Confidential findings."), IsOk());
  EXPECT_THAT(Access(other_, t), Missing(t));
  ASSERT_THAT(ArchiveTopic(member_, t), IsOk());
  EXPECT_THAT(Access(other_, t), Missing(t));

  auto secretariat = Access(secretariat_token_, t);
  ASSERT_THAT(secretariat, IsOk());
  EXPECT_TRUE(secretariat->may_read());
  EXPECT_EQ(secretariat->title(), "Consent");
  auto facilitator = Access(member_, t);
  ASSERT_THAT(facilitator, IsOk());
  EXPECT_TRUE(facilitator->may_read());
  EXPECT_EQ(facilitator->reason(), AccessAnswer::TOPIC_ARCHIVED);
}

// cdc-comments asks CheckTargetAccess: through it too, an outsider cannot
// tell a topic of an invite-only space from one that does not exist.
TEST_F(CommunityServiceTest, CommentsOnAnInviteOnlyTopicAreMissingToOutsiders) {
  ASSERT_THAT(MakeSpace("sensitive", v1::Space::INVITE_ONLY, {NameOf(member_)}),
              IsOk());
  auto topic = StartTopic(member_, "sensitive", "Consent");
  ASSERT_THAT(topic, IsOk());
  const std::string& t = topic->name();
  auto post = Comment(member_, t, "Our registry approach.");
  ASSERT_THAT(post, IsOk());
  ASSERT_THAT(CloseTopic(member_, t, "Confidential findings."), IsOk());
  const std::string missing = "spaces/sensitive/topics/nothing";

  for (const std::string& token :
       {other_, observer_, NewPartner(other_), NewPartner(member_)}) {
    SCOPED_TRACE(token);
    if (token == observer_) {  // who may comment on nothing, anywhere
      EXPECT_EQ(Comment(token, t, "Hello?").status(),
                Comment(token, missing, "Hello?").status());
    } else {
      EXPECT_THAT(Comment(token, missing, "Hello?"), Missing(missing));
      EXPECT_THAT(Comment(token, t, "Hello?"), Missing(t));
    }
    v1::ListCommentsRequest on_topic;
    on_topic.set_target(missing);
    EXPECT_THAT(List(token, on_topic), Missing(missing));
    on_topic.set_target(t);
    EXPECT_THAT(List(token, on_topic), Missing(t));
    EXPECT_THAT(GetComment(token, "comments/0123456789abcdef"),
                Missing("comments/0123456789abcdef"));
    EXPECT_THAT(GetComment(token, post->name()), Missing(post->name()));
  }
  EXPECT_THAT(GetComment(member_, post->name()), IsOk());
}

TEST_F(CommunityServiceTest, CheckTargetAccessOnResourcesLetsPartnersPost) {
  v1::CreateResourceRequest create;
  create.mutable_resource()->set_title("Toolkit");
  create.mutable_resource()->set_link("https://example.org/toolkit");
  create.mutable_resource()->set_type(v1::Resource::TOOLKIT);
  auto resource = CallC<v1::CreateResourceRequest, v1::Resource>(
      &Stub::CreateResource, create, member_);
  ASSERT_THAT(resource, IsOk());
  auto partner = Access(NewPartner(other_), resource->name());
  ASSERT_THAT(partner, IsOk());
  EXPECT_TRUE(partner->may_post());
  EXPECT_EQ(partner->title(), "Toolkit");
  auto observer = Access(observer_, resource->name());
  ASSERT_THAT(observer, IsOk());
  EXPECT_TRUE(observer->may_read());
  EXPECT_EQ(observer->reason(), AccessAnswer::ROLE_MAY_NOT_POST);
  EXPECT_TRUE(Access(secretariat_token_, resource->name())->may_moderate());
  EXPECT_THAT(Access(member_, "resources/nothing"),
              StatusIs(absl::StatusCode::kNotFound));
}

// ---- Activity from comment events ----

TEST_F(CommunityServiceTest, CommentEventsCountOnceAndInOrder) {
  ASSERT_THAT(MakeSpace("gaps"), IsOk());
  ASSERT_THAT(JoinAs(member_, "gaps"), IsOk());
  auto topic = StartTopic(member_, "gaps", "Counting");
  ASSERT_THAT(topic, IsOk());
  const std::string& t = topic->name();
  const std::string who = NameOf(other_);
  const absl::Time at = clock_.Now() + absl::Minutes(1);
  auto apply = [&](v1::Event::PayloadCase kind, int seq) {
    ASSERT_THAT(community_store_->ApplyCommentEvent(
                    CommentEvent(kind, t, "comments/0eee", who, at, seq)),
                IsOk());
  };
  auto count = [&] { return GetTopic(member_, t)->post_count(); };
  apply(v1::Event::kCommentCreated, 100);
  apply(v1::Event::kCommentCreated, 100);  // delivered twice
  EXPECT_EQ(count(), 1);
  EXPECT_EQ(GetTopic(member_, t)->last_activity_time(),
            consultations::testing::At(at));
  apply(v1::Event::kCommentHidden, 200);
  EXPECT_EQ(count(), 0);
  apply(v1::Event::kCommentCreated, 100);  // an old one, late
  EXPECT_EQ(count(), 0);
  apply(v1::Event::kCommentRestored, 300);
  EXPECT_EQ(count(), 1);
  apply(v1::Event::kCommentWithdrawn, 400);
  EXPECT_EQ(count(), 0);
  // Events about other targets or missing topics change nothing.
  EXPECT_THAT(community_store_->ApplyCommentEvent(CommentEvent(
                  v1::Event::kCommentCreated, "spaces/gaps/topics/nothing",
                  "comments/0fff", who, at, 1)),
              IsOk());
  EXPECT_THAT(community_store_->ApplyCommentEvent(CommentEvent(
                  v1::Event::kCommentCreated, "consultations/c/sections/s",
                  "comments/0fff", who, at, 1)),
              IsOk());
  EXPECT_FALSE(absl::c_any_of(CommunityKeys(), [](const std::string& key) {
    return absl::StrContains(key, "nothing");
  }));
}

// ---- A discussion runs on cdc-comments ----

TEST_F(CommunityServiceTest, ADiscussionThreadReusesTheCommentMachinery) {
  const std::string facilitator = Member("facilitator@example.org");
  ASSERT_THAT(MakeSpace("gaps", v1::Space::OPEN, {NameOf(facilitator)}),
              IsOk());
  ASSERT_THAT(JoinAs(member_, "gaps"), IsOk());
  ASSERT_THAT(JoinAs(other_, "gaps"), IsOk());
  auto topic = StartTopic(member_, "gaps", "Participatory mapping");
  ASSERT_THAT(topic, IsOk());
  const std::string& t = topic->name();

  auto post = Comment(other_, t, "We mapped informal settlements.");
  ASSERT_THAT(post, IsOk());
  EXPECT_EQ(post->space(), "spaces/gaps");
  clock_.Advance(absl::Seconds(1));
  auto reply = Reply(member_, post->name(), "How did you check quality?");
  ASSERT_THAT(reply, IsOk());
  EXPECT_THAT(Endorse(member_, post->name()), IsOk());
  EXPECT_THAT(Flag(facilitator, reply->name()), IsOk());
  EXPECT_THAT(Comment(observer_, t, "Observer"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  const std::string outsider = Member("outsider@example.org");
  EXPECT_THAT(Comment(outsider, t, "Not a member"),
              StatusIs(absl::StatusCode::kPermissionDenied));

  SettleCommunity();
  auto counted = GetTopic(member_, t);
  ASSERT_THAT(counted, IsOk());
  EXPECT_EQ(counted->post_count(), 2);
  EXPECT_EQ(counted->last_activity_time(), reply->create_time());

  // The facilitator moderates in their space.
  EXPECT_THAT(Hide(reply->name(), "Off topic.", facilitator), IsOk());
  SettleCommunity();
  EXPECT_EQ(GetTopic(member_, t)->post_count(), 1);
  EXPECT_THAT(Hide(post->name(), "No.", other_),
              StatusIs(absl::StatusCode::kPermissionDenied));

  ASSERT_THAT(CloseTopic(facilitator, t), IsOk());
  EXPECT_THAT(Comment(other_, t, "Too late"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(CommunityServiceTest, PrivateMessagesAreCountedAndBlockedWriters) {
  auto c = StartConversation(member_, {NameOf(other_)}, "Hello");
  ASSERT_THAT(c, IsOk());
  clock_.Advance(absl::Seconds(1));
  auto message = Comment(other_, c->name(), "Hi Amina");
  ASSERT_THAT(message, IsOk());
  SettleCommunity();
  auto seen = GetConversation(member_, c->name());
  ASSERT_THAT(seen, IsOk());
  EXPECT_EQ(seen->message_count(), 1);
  EXPECT_TRUE(seen->has_unread());
  EXPECT_FALSE(GetConversation(other_, c->name())->has_unread());

  const std::string third = Member("third@example.org");
  EXPECT_THAT(Comment(third, c->name(), "Let me in"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(Block(member_, NameOf(other_)), IsOk());
  EXPECT_THAT(Comment(other_, c->name(), "Still there?"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace cdc::community
