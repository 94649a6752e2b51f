// cdc-comments on community targets (topics, conversations, resources)
// with the real cdc-community answering CheckTargetAccess, over a real
// Redis, a real cdc-members and real gRPC servers on loopback: the same
// comment machinery as on sections, with only the access decision, the
// private-message event and post search differing.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/status_matchers.h"
#include "services/community/community_test_support.h"

namespace cdc::comments {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::IsOkAndHolds;
using ::cdc::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;
using Code = absl::StatusCode;
using Kind = v1::Event::PayloadCase;

class CommunityTargetsTest : public community::testing::CommunityServerTest {
 protected:
  void SetUp() override {
    CommunityServerTest::SetUp();
    if (HasFatalFailure()) return;
    facilitator_ =
        NewMember("fatou@example.org", "SEN",
                  v1::ORGANISATION_TYPE_CIVIL_SOCIETY, v1::ROLE_MEMBER);
    outsider_ = NewMember("olga@example.org", "UKR",
                          v1::ORGANISATION_TYPE_ACADEMIA, v1::ROLE_MEMBER);
  }

  // An OPEN space "gaps" facilitated by facilitator_, joined by member_ and
  // other_, with one topic started by member_; returns the topic's name.
  std::string OpenTopic() {
    EXPECT_THAT(MakeSpace("gaps", v1::Space::OPEN, {NameOf(facilitator_)}),
                IsOk());
    EXPECT_THAT(JoinAs(member_, "gaps"), IsOk());
    EXPECT_THAT(JoinAs(other_, "gaps"), IsOk());
    auto topic = StartTopic(member_, "gaps", "Consent in small surveys");
    EXPECT_THAT(topic, IsOk());
    return topic.ok() ? topic->name() : "";
  }

  absl::StatusOr<v1::Topic> CloseTopic(const std::string& token,
                                       const std::string& name) {
    v1::CloseTopicRequest request;
    request.set_name(name);
    request.set_reason("Concluded.");
    return CallC<v1::CloseTopicRequest, v1::Topic>(
        &v1::CommunityService::Stub::CloseTopic, request, token);
  }

  absl::StatusOr<v1::Resource> ShareResource(const std::string& token,
                                             const std::string& title) {
    v1::CreateResourceRequest request;
    request.mutable_resource()->set_title(title);
    request.mutable_resource()->set_link("https://example.org/toolkit");
    request.mutable_resource()->set_type(v1::Resource::TOOLKIT);
    return CallC<v1::CreateResourceRequest, v1::Resource>(
        &v1::CommunityService::Stub::CreateResource, request, token);
  }

  absl::StatusOr<v1::ListCommentRevisionsResponse> Revisions(
      const std::string& token, const std::string& name) {
    v1::ListCommentRevisionsRequest request;
    request.set_parent(name);
    return CallK<v1::ListCommentRevisionsRequest,
                 v1::ListCommentRevisionsResponse>(
        &v1::CommentsService::Stub::ListCommentRevisions, request, token);
  }

  absl::StatusOr<v1::ListModerationActionsResponse> Actions(
      const std::string& token, const std::string& space) {
    v1::ListModerationActionsRequest request;
    request.set_space(space);
    return CallK<v1::ListModerationActionsRequest,
                 v1::ListModerationActionsResponse>(
        &v1::CommentsService::Stub::ListModerationActions, request, token);
  }

  // The flagged queue as `token`, for `space` ("" = all of it).
  absl::StatusOr<std::vector<std::string>> Queue(const std::string& token,
                                                 const std::string& space) {
    v1::ListCommentsRequest request;
    request.set_flagged_only(true);
    request.set_space(space);
    return ListNames(token, request);
  }

  absl::StatusOr<std::vector<std::string>> ByAuthor(const std::string& token,
                                                    const std::string& author) {
    v1::ListCommentsRequest request;
    request.set_author(author);
    return ListNames(token, request);
  }

  absl::StatusOr<v1::SearchCommentsResponse> Search(
      const std::string& token, const std::vector<std::string>& words,
      const std::string& space = "", int limit = 0) {
    v1::SearchCommentsRequest request;
    for (const std::string& w : words) request.add_words(w);
    request.set_space(space);
    request.set_limit(limit);
    return CallK<v1::SearchCommentsRequest, v1::SearchCommentsResponse>(
        &v1::CommentsService::Stub::SearchComments, request, token);
  }

  static std::vector<std::string> HitNames(
      const v1::SearchCommentsResponse& response) {
    std::vector<std::string> names;
    for (const auto& hit : response.hits()) names.push_back(hit.comment());
    return names;
  }

  // What SearchComments may and may not find. Every post says "consent".
  struct SearchCorpus {
    std::string visible;       // on the OPEN topic
    std::string hidden;        // on it, hidden by a moderator
    std::string withdrawn;     // on it, withdrawn by its author
    std::string closed_topic;  // in the INVITE_ONLY space, member_ invited
    std::string invited;       // on closed_topic
    std::string message;       // a private message
    std::string review;        // on a resource
  };
  SearchCorpus SeedSearchCorpus() {
    SearchCorpus corpus;
    const std::string open_topic = OpenTopic();
    EXPECT_FALSE(open_topic.empty());
    corpus.visible =
        Posted(member_, open_topic, "Consent forms in rural surveys.");
    corpus.hidden = Posted(other_, open_topic, "Buy consent forms here.");
    EXPECT_THAT(Hide(corpus.hidden, "Spam."), IsOk());
    corpus.withdrawn = Posted(other_, open_topic, "Consent, withdrawn.");
    EXPECT_THAT(Withdraw(other_, corpus.withdrawn), IsOk());

    EXPECT_THAT(MakeSpace("sensitive", v1::Space::INVITE_ONLY), IsOk());
    EXPECT_THAT(AddMember("sensitive", NameOf(member_)), IsOk());
    auto closed_topic = StartTopic(member_, "sensitive", "Registers");
    EXPECT_THAT(closed_topic, IsOk());
    corpus.closed_topic = closed_topic.ok() ? closed_topic->name() : "";
    corpus.invited =
        Posted(member_, corpus.closed_topic, "Consent registers in Kenya.");

    auto conversation = StartConversation(member_, {NameOf(other_)});
    EXPECT_THAT(conversation, IsOk());
    if (conversation.ok()) {
      corpus.message =
          Posted(member_, conversation->name(), "Consent, privately.");
    }

    auto resource = ShareResource(member_, "Consent toolkit");
    EXPECT_THAT(resource, IsOk());
    if (resource.ok()) {
      corpus.review =
          Posted(other_, resource->name(), "This consent toolkit helps.");
    }
    return corpus;
  }

  // A comment's name ("" after recording the failure).
  std::string Posted(const std::string& token, const std::string& target,
                     const std::string& body) {
    auto posted = Comment(token, target, body);
    EXPECT_THAT(posted, IsOk());
    return posted.ok() ? posted->name() : "";
  }

  std::string facilitator_;  // MEMBER, facilitates "gaps"
  std::string outsider_;     // MEMBER in no space or conversation
};

TEST_F(CommunityTargetsTest, ATopicThreadUsesTheWholeCommentMachinery) {
  const std::string topic = OpenTopic();
  ASSERT_FALSE(topic.empty());

  auto post = Comment(member_, topic, "Who consents for a household?");
  ASSERT_THAT(post, IsOk());
  EXPECT_EQ(post->target_kind(), v1::Comment::TARGET_TOPIC);
  EXPECT_EQ(post->space(), "spaces/gaps");
  EXPECT_EQ(post->round(), 0);
  EXPECT_EQ(post->draft_version(), 0);
  EXPECT_EQ(post->consultation(), "");
  auto reply = Reply(other_, post->name(), "Each adult, in our practice.");
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->space(), "spaces/gaps");
  EXPECT_EQ(reply->thread(), post->name());

  auto endorsed = Endorse(other_, post->name());
  ASSERT_THAT(endorsed, IsOk());
  EXPECT_EQ(endorsed->endorsement_count(), 1);
  auto edited =
      Edit(member_, post->name(), "Who consents for a whole household?");
  ASSERT_THAT(edited, IsOk());
  EXPECT_EQ(edited->version(), 2);
  auto revisions = Revisions(other_, post->name());
  ASSERT_THAT(revisions, IsOk());
  ASSERT_EQ(revisions->revisions_size(), 2);
  EXPECT_EQ(revisions->revisions(0).body(), "Who consents for a household?");

  // Flags: the space's facilitator sees them and moderates; another member
  // neither sees the queue nor may hide.
  ASSERT_THAT(Flag(other_, post->name(), v1::ModerationAction::OFF_TOPIC),
              IsOk());
  EXPECT_EQ(GetComment(facilitator_, post->name())->flag_count(), 1);
  EXPECT_EQ(GetComment(other_, post->name())->flag_count(), 0);
  EXPECT_THAT(Queue(facilitator_, "spaces/gaps"),
              IsOkAndHolds(ElementsAre(post->name())));
  EXPECT_THAT(Queue(other_, "spaces/gaps"), StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(Queue(facilitator_, ""), StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(Hide(post->name(), "Off topic.", other_),
              StatusIs(Code::kPermissionDenied));

  clock_.Advance(absl::Seconds(1));  // the trail is newest first
  auto hidden = Hide(post->name(), "Off topic.", facilitator_);
  ASSERT_THAT(hidden, IsOk());
  EXPECT_EQ(hidden->state(), v1::Comment::HIDDEN);
  EXPECT_THAT(GetComment(other_, post->name()), StatusIs(Code::kNotFound));
  EXPECT_THAT(GetComment(member_, post->name()), IsOk());  // the author
  EXPECT_EQ(GetComment(facilitator_, post->name())->moderation_reason(),
            "Off topic.");
  auto trail = Actions(facilitator_, "spaces/gaps");
  ASSERT_THAT(trail, IsOk());
  ASSERT_EQ(trail->moderation_actions_size(), 2);
  EXPECT_EQ(trail->moderation_actions(0).kind(), v1::ModerationAction::HIDE);
  EXPECT_EQ(trail->moderation_actions(0).space(), "spaces/gaps");
  EXPECT_THAT(Actions(other_, "spaces/gaps"),
              StatusIs(Code::kPermissionDenied));
  ASSERT_THAT(Restore(post->name(), "Fine after all.", facilitator_), IsOk());
  EXPECT_THAT(GetComment(other_, post->name()), IsOk());

  // Sections only: dispositions.
  EXPECT_THAT(Dispose(post->name(), v1::Disposition::NOTED, "Noted."),
              StatusIs(Code::kInvalidArgument, HasSubstr("sections")));

  EXPECT_THAT(CommentEventKinds(topic),
              ElementsAre(Kind::kCommentCreated, Kind::kCommentReplied,
                          Kind::kCommentEndorsed, Kind::kCommentEdited,
                          Kind::kCommentFlagged, Kind::kCommentHidden,
                          Kind::kCommentRestored));
  for (const v1::Event& event : CommentEvents(topic)) {
    EXPECT_EQ(RefOf(event).space(), "spaces/gaps");
    EXPECT_EQ(RefOf(event).target_kind(), v1::Comment::TARGET_TOPIC);
    EXPECT_EQ(event.consultation(), "");
  }
}

TEST_F(CommunityTargetsTest, PostingNeedsMembershipAnOpenTopicAndNoAnchor) {
  const std::string topic = OpenTopic();
  ASSERT_FALSE(topic.empty());
  auto post = Comment(member_, topic, "Opening remarks.");
  ASSERT_THAT(post, IsOk());

  EXPECT_THAT(Comment(outsider_, topic, "May I?"),
              StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(Comment(observer_, topic, "May I?"),
              StatusIs(Code::kPermissionDenied));
  v1::Comment anchored;
  anchored.set_target(topic);
  anchored.set_body("Quoting.");
  anchored.mutable_anchor()->set_exact("Opening");
  EXPECT_THAT(Post(member_, anchored),
              StatusIs(Code::kInvalidArgument, HasSubstr("comment.anchor")));
  EXPECT_THAT(Comment(member_, "spaces/gaps/topics/nope", "Hello?"),
              StatusIs(Code::kNotFound));

  ASSERT_THAT(CloseTopic(facilitator_, topic), IsOk());
  EXPECT_THAT(Comment(other_, topic, "Too late."),
              StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(Reply(other_, post->name(), "Too late."),
              StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(Edit(member_, post->name(), "Changed."),
              StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(GetComment(other_, post->name()), IsOk());  // still readable
  EXPECT_THAT(CommentEventKinds(topic), ElementsAre(Kind::kCommentCreated));
}

TEST_F(CommunityTargetsTest, InviteOnlyTopicsAreUnreadableToOutsiders) {
  ASSERT_THAT(MakeSpace("sensitive", v1::Space::INVITE_ONLY), IsOk());
  ASSERT_THAT(AddMember("sensitive", NameOf(member_)), IsOk());
  auto topic = StartTopic(member_, "sensitive", "Data on minorities");
  ASSERT_THAT(topic, IsOk());
  auto post = Comment(member_, topic->name(), "Our registry approach.");
  ASSERT_THAT(post, IsOk());

  EXPECT_THAT(GetComment(outsider_, post->name()), StatusIs(Code::kNotFound));
  v1::ListCommentsRequest on_topic;
  on_topic.set_target(topic->name());
  EXPECT_THAT(List(outsider_, on_topic), StatusIs(Code::kNotFound));
  EXPECT_THAT(ByAuthor(outsider_, NameOf(member_)), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ByAuthor(member_, NameOf(member_)),
              IsOkAndHolds(ElementsAre(post->name())));
  EXPECT_THAT(Reply(outsider_, post->name(), "Hi."), StatusIs(Code::kNotFound));
}

TEST_F(CommunityTargetsTest, PrivateMessagesExistOnlyForTheirParticipants) {
  auto conversation = StartConversation(member_, {NameOf(other_)}, "Visit");
  ASSERT_THAT(conversation, IsOk());
  const std::string x = conversation->name();
  auto message = Comment(member_, x, "Can we meet in Nairobi?");
  ASSERT_THAT(message, IsOk());
  EXPECT_EQ(message->target_kind(), v1::Comment::TARGET_CONVERSATION);
  auto answer = Reply(other_, message->name(), "Yes, in May.");
  ASSERT_THAT(answer, IsOk());

  // The events name the participants and carry no text.
  auto events = CommentEvents(x);
  ASSERT_EQ(events.size(), 2u);
  for (const v1::Event& event : events) {
    ASSERT_EQ(event.payload_case(), Kind::kPrivateMessageSent);
    EXPECT_EQ(event.private_message_sent().conversation(), x);
    EXPECT_THAT(event.private_message_sent().participants(),
                UnorderedElementsAre(NameOf(member_), NameOf(other_)));
  }
  EXPECT_EQ(events[0].private_message_sent().sender(), NameOf(member_));
  EXPECT_EQ(events[1].private_message_sent().parent(), message->name());

  // Everyone else: NOT_FOUND, in every read, the secretariat included.
  EXPECT_THAT(GetComment(other_, message->name()), IsOk());
  for (const std::string& token :
       {outsider_, observer_, facilitator_, secretariat_token_}) {
    EXPECT_THAT(GetComment(token, message->name()), StatusIs(Code::kNotFound));
    v1::ListCommentsRequest on_conversation;
    on_conversation.set_target(x);
    EXPECT_THAT(List(token, on_conversation), StatusIs(Code::kNotFound));
    EXPECT_THAT(ByAuthor(token, NameOf(member_)), IsOkAndHolds(IsEmpty()));
    EXPECT_THAT(Flag(token, message->name()), Not(IsOk()));
  }
  EXPECT_THAT(Queue(secretariat_token_, ""), IsOkAndHolds(IsEmpty()));

  // Once a participant flags it, the secretariat sees that one message (not
  // the rest of the conversation) and may hide it; it still may not write.
  ASSERT_THAT(Flag(other_, message->name(), v1::ModerationAction::ABUSIVE),
              IsOk());
  EXPECT_THAT(GetComment(secretariat_token_, message->name()), IsOk());
  EXPECT_THAT(GetComment(secretariat_token_, answer->name()),
              StatusIs(Code::kNotFound));
  EXPECT_THAT(Queue(secretariat_token_, ""),
              IsOkAndHolds(ElementsAre(message->name())));
  EXPECT_THAT(Reply(secretariat_token_, message->name(), "Noted."),
              StatusIs(Code::kNotFound));
  EXPECT_THAT(GetComment(outsider_, message->name()),
              StatusIs(Code::kNotFound));
  auto hidden = Hide(message->name(), "Abusive.");
  ASSERT_THAT(hidden, IsOk());
  EXPECT_THAT(GetComment(secretariat_token_, message->name()), IsOk());
  EXPECT_THAT(GetComment(other_, message->name()), StatusIs(Code::kNotFound));
  EXPECT_THAT(GetComment(member_, message->name()), IsOk());  // the author

  // A participant who blocks the sender stops their messages.
  ASSERT_THAT(Block(other_, NameOf(member_)), IsOk());
  EXPECT_THAT(Comment(member_, x, "Hello?"), StatusIs(Code::kPermissionDenied));
}

TEST_F(CommunityTargetsTest, SearchFindsOnlyReadableVisiblePosts) {
  const SearchCorpus corpus = SeedSearchCorpus();
  ASSERT_FALSE(HasFailure());

  for (const std::string& token : {other_, outsider_}) {
    auto found = Search(token, {"consent"});
    ASSERT_THAT(found, IsOk());
    EXPECT_THAT(HitNames(*found),
                UnorderedElementsAre(corpus.visible, corpus.review));
    EXPECT_EQ(found->total_size(), 2);
  }
  // A member of the invite-only space finds its post too; nobody finds the
  // private message, the hidden post (not even its author) or the
  // withdrawn one.
  for (const std::string& token : {member_, secretariat_token_}) {
    auto found = Search(token, {"consent"});
    ASSERT_THAT(found, IsOk());
    EXPECT_THAT(
        HitNames(*found),
        UnorderedElementsAre(corpus.visible, corpus.invited, corpus.review));
  }
  auto by_author = Search(other_, {"consent", "forms"});
  ASSERT_THAT(by_author, IsOk());
  EXPECT_THAT(HitNames(*by_author), ElementsAre(corpus.visible));

  auto in_space = Search(member_, {"consent"}, "spaces/sensitive");
  ASSERT_THAT(in_space, IsOk());
  ASSERT_THAT(HitNames(*in_space), ElementsAre(corpus.invited));
  EXPECT_EQ(in_space->hits(0).target(), corpus.closed_topic);
  EXPECT_EQ(in_space->hits(0).space(), "spaces/sensitive");
  EXPECT_THAT(in_space->hits(0).snippet(), HasSubstr("Consent registers"));
  EXPECT_GT(in_space->hits(0).score(), 0);

  auto one = Search(member_, {"consent"}, "", 1);
  ASSERT_THAT(one, IsOk());
  EXPECT_EQ(one->hits_size(), 1);
  EXPECT_EQ(one->total_size(), 3);
}

// Taking back what one wrote needs only authorship on community targets:
// neither a block, nor leaving, nor removal, nor a closed topic stands in
// the way; anyone else is refused as before.
TEST_F(CommunityTargetsTest, ABlockedAuthorWithdrawsTheirMessage) {
  auto conversation = StartConversation(member_, {NameOf(other_)}, "Visit");
  ASSERT_THAT(conversation, IsOk());
  auto message = Comment(member_, conversation->name(), "Meet in Nairobi?");
  ASSERT_THAT(message, IsOk());
  ASSERT_THAT(Block(other_, NameOf(member_)), IsOk());
  EXPECT_THAT(Withdraw(other_, message->name()),
              StatusIs(Code::kPermissionDenied));

  auto withdrawn = Withdraw(member_, message->name());
  ASSERT_THAT(withdrawn, IsOk());
  EXPECT_EQ(withdrawn->state(), v1::Comment::WITHDRAWN);
  EXPECT_EQ(GetComment(other_, message->name())->body(), "");
  EXPECT_THAT(CommentEventKinds(conversation->name()),
              ElementsAre(Kind::kPrivateMessageSent, Kind::kCommentWithdrawn));
}

TEST_F(CommunityTargetsTest, AnAuthorWhoLeftTheConversationWithdrawsTheirs) {
  auto conversation = StartConversation(member_, {NameOf(other_)}, "Visit");
  ASSERT_THAT(conversation, IsOk());
  auto message = Comment(member_, conversation->name(), "Meet in Nairobi?");
  ASSERT_THAT(message, IsOk());
  v1::LeaveConversationRequest leave;
  leave.set_name(conversation->name());
  ASSERT_THAT(
      (CallC<v1::LeaveConversationRequest, google::protobuf::Empty>(
          &v1::CommunityService::Stub::LeaveConversation, leave, member_)),
      IsOk());
  EXPECT_THAT(GetComment(member_, message->name()), StatusIs(Code::kNotFound));

  auto withdrawn = Withdraw(member_, message->name());
  ASSERT_THAT(withdrawn, IsOk());
  EXPECT_EQ(withdrawn->state(), v1::Comment::WITHDRAWN);
  auto seen = GetComment(other_, message->name());
  ASSERT_THAT(seen, IsOk());
  EXPECT_EQ(seen->state(), v1::Comment::WITHDRAWN);
  EXPECT_EQ(seen->body(), "");
}

TEST_F(CommunityTargetsTest, RemovedAuthorsWithdrawFromClosedTopicsToo) {
  ASSERT_THAT(
      MakeSpace("sensitive", v1::Space::INVITE_ONLY, {NameOf(facilitator_)}),
      IsOk());
  ASSERT_THAT(AddMember("sensitive", NameOf(member_)), IsOk());
  ASSERT_THAT(AddMember("sensitive", NameOf(other_)), IsOk());
  auto topic = StartTopic(member_, "sensitive", "Registers");
  ASSERT_THAT(topic, IsOk());
  auto first = Comment(member_, topic->name(), "Our registry approach.");
  ASSERT_THAT(first, IsOk());
  auto second = Comment(member_, topic->name(), "And a second thought.");
  ASSERT_THAT(second, IsOk());

  ASSERT_THAT(CloseTopic(facilitator_, topic->name()), IsOk());
  EXPECT_THAT(Withdraw(member_, first->name()), IsOk());
  v1::RemoveSpaceMemberRequest remove;
  remove.set_space("spaces/sensitive");
  remove.set_member(NameOf(member_));
  ASSERT_THAT((CallC<v1::RemoveSpaceMemberRequest, google::protobuf::Empty>(
                  &v1::CommunityService::Stub::RemoveSpaceMember, remove,
                  secretariat_token_)),
              IsOk());
  EXPECT_THAT(GetComment(member_, second->name()), StatusIs(Code::kNotFound));
  EXPECT_THAT(Withdraw(member_, second->name()), IsOk());

  // Others: NOT_FOUND where they may not read, PERMISSION_DENIED where they
  // may; an already withdrawn comment stays as it is.
  EXPECT_THAT(Withdraw(outsider_, first->name()), StatusIs(Code::kNotFound));
  EXPECT_THAT(Withdraw(other_, first->name()),
              StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(Withdraw(member_, first->name()),
              StatusIs(Code::kFailedPrecondition));
}

// Search reads each shard only as deep as it needs and judges candidates
// best first until it has `limit` readable hits: here the twelve best
// matches are in an invite-only space, so an outsider's five hits come
// from deeper down, still best first, and topics (a closed one included)
// are readable as their space is.
TEST_F(CommunityTargetsTest, SearchWalksPastUnreadableMatchesBestFirst) {
  ASSERT_THAT(MakeSpace("sensitive", v1::Space::INVITE_ONLY), IsOk());
  ASSERT_THAT(AddMember("sensitive", NameOf(member_)), IsOk());
  std::vector<std::string> invited;
  for (int t = 0; t < 4; ++t) {
    auto topic = StartTopic(member_, "sensitive", absl::StrCat("Secret ", t));
    ASSERT_THAT(topic, IsOk());
    for (int p = 0; p < 3; ++p) {
      auto post = Comment(member_, topic->name(),
                          absl::StrCat("Consent, consent and consent ", p));
      ASSERT_THAT(post, IsOk());
      invited.push_back(post->name());
    }
  }
  const std::string open_topic = OpenTopic();
  ASSERT_FALSE(open_topic.empty());
  auto second_topic = StartTopic(member_, "gaps", "Proxy respondents");
  ASSERT_THAT(second_topic, IsOk());
  std::vector<std::string> open;
  for (const std::string& topic : {open_topic, second_topic->name()}) {
    for (int p = 0; p < 4; ++p) {
      auto post = Comment(member_, topic, absl::StrCat("Consent note ", p));
      ASSERT_THAT(post, IsOk());
      open.push_back(post->name());
    }
  }
  ASSERT_THAT(CloseTopic(facilitator_, open_topic), IsOk());

  auto outside = Search(outsider_, {"consent"}, "", 5);
  ASSERT_THAT(outside, IsOk());
  ASSERT_EQ(outside->hits_size(), 5);
  std::set<std::string> targets;
  for (int i = 0; i < outside->hits_size(); ++i) {
    EXPECT_THAT(open, ::testing::Contains(outside->hits(i).comment()));
    EXPECT_EQ(outside->hits(i).space(), "spaces/gaps");
    targets.insert(outside->hits(i).target());
    if (i > 0) {
      EXPECT_LE(outside->hits(i).score(), outside->hits(i - 1).score());
    }
  }
  EXPECT_EQ(targets.size(), 2u);  // both topics, the closed one too
  EXPECT_GE(outside->total_size(), 5);
  EXPECT_LE(outside->total_size(), 20);
  auto everything = Search(outsider_, {"consent"});
  ASSERT_THAT(everything, IsOk());
  EXPECT_THAT(HitNames(*everything), UnorderedElementsAreArray(open));
  EXPECT_EQ(everything->total_size(), 8);

  // A member of the space gets its posts first (they match better).
  auto inside = Search(member_, {"consent"}, "", 5);
  ASSERT_THAT(inside, IsOk());
  ASSERT_EQ(inside->hits_size(), 5);
  for (const auto& hit : inside->hits()) {
    EXPECT_THAT(invited, ::testing::Contains(hit.comment()));
  }
  auto all_inside = Search(member_, {"consent"});
  ASSERT_THAT(all_inside, IsOk());
  EXPECT_EQ(all_inside->hits_size(), 20);
  EXPECT_EQ(all_inside->total_size(), 20);
}

// The posts' index rebuilt from the comments alone (what
// --rebuild_search_index runs): after it was deleted and a hidden post and
// a private message were slipped into it, every caller gets exactly the
// answers they got before, and neither stays in the index.
TEST_F(CommunityTargetsTest, RebuildingTheIndexBringsBackTheSameAnswers) {
  const SearchCorpus corpus = SeedSearchCorpus();
  ASSERT_FALSE(HasFailure());
  const auto answers = [&] {
    std::vector<std::string> all;
    for (const std::string& token :
         {member_, other_, outsider_, secretariat_token_}) {
      for (const std::vector<std::string>& words :
           std::vector<std::vector<std::string>>{{"consent"},
                                                 {"consent", "forms"},
                                                 {"buy"},
                                                 {"withdrawn"},
                                                 {"privately"}}) {
        auto found = Search(token, words);
        EXPECT_THAT(found, IsOk());
        all.push_back(found.ok() ? found->DebugString()
                                 : found.status().ToString());
      }
    }
    return all;
  };
  const std::vector<std::string> before = answers();
  auto index_keys = [&] {
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
      auto reply = redis().Command(
          {"SCAN", cursor, "MATCH", "comments:*:ix:*", "COUNT", "1000"});
      EXPECT_THAT(reply, IsOk());
      if (!reply.ok()) break;
      cursor = reply->elements[0].str;
      for (const RedisReply& key : reply->elements[1].elements) {
        keys.push_back(key.str);
      }
    } while (cursor != "0");
    return keys;
  };
  ASSERT_THAT(index_keys(), Not(IsEmpty()));
  for (const std::string& key : index_keys()) {
    ASSERT_THAT(redis().Command({"DEL", key}), IsOk());
  }
  auto IdOf = [](const std::string& name) {
    return name.substr(name.rfind('/') + 1);
  };
  const std::string hidden_words =
      CommentsStore::SearchPrefix(ShardOfId(IdOf(corpus.hidden))) + "w:consent";
  const std::string message_words =
      CommentsStore::SearchPrefix(ShardOfId(IdOf(corpus.message))) +
      "w:privately";
  ASSERT_THAT(redis().Command({"ZADD", hidden_words, "9", IdOf(corpus.hidden)}),
              IsOk());
  ASSERT_THAT(
      redis().Command({"ZADD", message_words, "9", IdOf(corpus.message)}),
      IsOk());
  auto none = Search(member_, {"consent"});
  ASSERT_THAT(none, IsOk());
  EXPECT_THAT(HitNames(*none), IsEmpty());

  // visible, invited and review; hidden and withdrawn dropped, the message
  // never indexed.
  EXPECT_THAT(store_k_->RebuildSearchIndex(), IsOkAndHolds(3));
  EXPECT_EQ(answers(), before);
  EXPECT_THAT(redis().Command({"ZSCORE", hidden_words, IdOf(corpus.hidden)}),
              IsOkAndHolds(
                  ::testing::Field(&RedisReply::type, RedisReply::Type::kNil)));
  EXPECT_THAT(redis().Command({"EXISTS", message_words}),
              IsOkAndHolds(::testing::Field(&RedisReply::integer, 0)));
  // Rebuilding again changes nothing.
  EXPECT_THAT(store_k_->RebuildSearchIndex(), IsOkAndHolds(3));
  EXPECT_EQ(answers(), before);
}

}  // namespace
}  // namespace cdc::comments
