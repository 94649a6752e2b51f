// Notifications for the community, end to end over loopback: real
// cdc-members, cdc-consultations, cdc-comments and cdc-community write
// events to a real Redis; a real cdc-notifications replica consumes them
// and checks follows with cdc-community.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/community/community_test_support.h"
#include "services/notifications/notifications_test_support.h"

namespace cdc::notifications {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class CommunityNotificationsTest
    : public testing::NotificationsFixture<
          community::testing::CommunityServerTest> {
 protected:
  // The notifications of `token`'s inbox of `type`, newest first.
  std::vector<v1::Notification> OfType(const std::string& token,
                                       v1::EventType type) {
    std::vector<v1::Notification> out;
    for (const v1::Notification& n : Inbox(token)) {
      if (n.event_type() == type) out.push_back(n);
    }
    return out;
  }

  // The inbox of `token` without the approval of their own membership,
  // newest first.
  std::vector<v1::Notification> Told(const std::string& token) {
    std::vector<v1::Notification> out;
    for (const v1::Notification& n : Inbox(token)) {
      if (n.event_type() != v1::EVENT_TYPE_MEMBER_APPROVED) out.push_back(n);
    }
    return out;
  }

  // The event feed (WatchEvents) of `token` from its start, up to the first
  // event `last` accepts; gives up after 10 s.
  std::vector<v1::Event> FeedUntil(
      const std::string& token,
      const std::function<bool(const v1::Event&)>& last) {
    auto context = As(token);
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(10));
    v1::WatchEventsRequest request;
    request.set_start(v1::WatchEventsRequest::EARLIEST);
    auto reader = n_->WatchEvents(context.get(), request);
    std::vector<v1::Event> events;
    v1::WatchEventsResponse response;
    while (reader->Read(&response)) {
      if (!response.has_event()) continue;
      events.push_back(response.event());
      if (last(response.event())) break;
    }
    context->TryCancel();
    (void)reader->Finish();
    return events;
  }

  // A Subscribe stream of `token` that gives up after 10 s, so that a
  // missing notification fails the test instead of hanging it.
  Stream SubscribeFor10s(const std::string& token) {
    Stream stream;
    stream.context = As(token);
    stream.context->set_deadline(std::chrono::system_clock::now() +
                                 std::chrono::seconds(10));
    stream.reader = n_->Subscribe(stream.context.get(), v1::SubscribeRequest());
    v1::SubscribeResponse first;  // a heartbeat: the stream is open
    EXPECT_TRUE(stream.reader->Read(&first));
    EXPECT_TRUE(first.has_heartbeat());
    return stream;
  }
};

TEST_F(CommunityNotificationsTest, FollowersOfATopicHearOfOthersPostsLive) {
  ASSERT_THAT(MakeSpace("methods"), IsOk());
  ASSERT_THAT(JoinAs(member_, "methods"), IsOk());
  ASSERT_THAT(JoinAs(other_, "methods"), IsOk());
  auto topic = StartTopic(member_, "methods", "Small-area estimates");
  ASSERT_THAT(topic, IsOk());

  auto follow = FollowTarget(member_, topic->name());
  ASSERT_THAT(follow, IsOk());
  EXPECT_EQ(follow->target(), topic->name());
  EXPECT_EQ(follow->title(), "Small-area estimates");

  Stream stream = SubscribeFor10s(member_);
  ASSERT_THAT(Comment(member_, topic->name(), "My own post."), IsOk());
  auto post = Comment(other_, topic->name(), "Census frames help.");
  ASSERT_THAT(post, IsOk());
  auto reply = Reply(other_, post->name(), "And admin data.");
  ASSERT_THAT(reply, IsOk());

  // Live: the other member's post and reply, not the follower's own post.
  std::vector<v1::Notification> live = stream.Next(2);
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].event_type(), v1::EVENT_TYPE_COMMENT_CREATED);
  EXPECT_EQ(live[0].target(), post->name());
  EXPECT_EQ(live[0].actor(), NameOf(other_));
  EXPECT_THAT(live[0].summary(), HasSubstr("posted in a topic you follow"));
  EXPECT_EQ(live[1].event_type(), v1::EVENT_TYPE_COMMENT_REPLIED);
  EXPECT_EQ(live[1].target(), reply->name());
  stream.context->TryCancel();

  Settle();
  EXPECT_EQ(OfType(member_, v1::EVENT_TYPE_COMMENT_CREATED).size(), 1u);
  EXPECT_EQ(OfType(member_, v1::EVENT_TYPE_COMMENT_REPLIED).size(), 1u);
  EXPECT_THAT(Told(other_), IsEmpty());  // their own acts

  // Unfollowed, nothing more.
  v1::UnfollowRequest unfollow;
  unfollow.set_target(topic->name());
  ASSERT_THAT(
      (CallN<v1::UnfollowRequest, google::protobuf::Empty>(
          &v1::NotificationsService::Stub::Unfollow, unfollow, member_)),
      IsOk());
  ASSERT_THAT(Comment(other_, topic->name(), "One more."), IsOk());
  Settle();
  EXPECT_EQ(OfType(member_, v1::EVENT_TYPE_COMMENT_CREATED).size(), 1u);
}

TEST_F(CommunityNotificationsTest, FollowersOfAResourceHearOfItsComments) {
  v1::CreateResourceRequest create;
  create.mutable_resource()->set_title("Guide to citizen data");
  create.mutable_resource()->set_link("https://example.org/guide");
  create.mutable_resource()->set_type(v1::Resource::GUIDELINE);
  auto resource = CallC<v1::CreateResourceRequest, v1::Resource>(
      &v1::CommunityService::Stub::CreateResource, create, member_);
  ASSERT_THAT(resource, IsOk());
  auto follow = FollowTarget(member_, resource->name());
  ASSERT_THAT(follow, IsOk());
  EXPECT_EQ(follow->title(), "Guide to citizen data");

  auto comment = Comment(other_, resource->name(), "Used it in Brazil.");
  ASSERT_THAT(comment, IsOk());
  Settle();
  auto created = OfType(member_, v1::EVENT_TYPE_COMMENT_CREATED);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].target(), comment->name());
  EXPECT_THAT(created[0].summary(),
              HasSubstr("commented on a resource you follow"));
  EXPECT_THAT(FollowTarget(member_, "resources/nope"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(CommunityNotificationsTest, FollowersOfASpaceHearOfItsNewTopics) {
  ASSERT_THAT(MakeSpace("roadmaps"), IsOk());
  ASSERT_THAT(JoinAs(member_, "roadmaps"), IsOk());
  ASSERT_THAT(JoinAs(other_, "roadmaps"), IsOk());
  auto follow = FollowTarget(member_, "spaces/roadmaps");
  ASSERT_THAT(follow, IsOk());
  EXPECT_EQ(follow->title(), "Space roadmaps");
  ASSERT_THAT(FollowTarget(other_, "spaces/roadmaps"), IsOk());

  auto topic = StartTopic(other_, "roadmaps", "Kenya's roadmap", "Let us talk.",
                          {"kenya", "census"});
  ASSERT_THAT(topic, IsOk());
  Settle();
  auto started = OfType(member_, v1::EVENT_TYPE_TOPIC_STARTED);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].target(), topic->name());
  // Names and the actor only: a follower may have lost access since.
  EXPECT_THAT(started[0].event().topic_started().tags(), IsEmpty());
  EXPECT_FALSE(absl::StrContains(started[0].SerializeAsString(), "kenya"));
  EXPECT_FALSE(
      absl::StrContains(started[0].SerializeAsString(), "Kenya's roadmap"));
  // The author follows the space too, but is not told of their own topic.
  EXPECT_THAT(OfType(other_, v1::EVENT_TYPE_TOPIC_STARTED), IsEmpty());
}

TEST_F(CommunityNotificationsTest,
       PrivateMessageReachesOnlyTheOtherParticipants) {
  const std::string cy = NewMember(
      "cy@example.org", "FRA", v1::ORGANISATION_TYPE_ACADEMIA, v1::ROLE_MEMBER);
  const std::string outsider =
      NewMember("dee@example.org", "KEN", v1::ORGANISATION_TYPE_ACADEMIA,
                v1::ROLE_MEMBER);
  auto conversation =
      StartConversation(member_, {NameOf(other_), NameOf(cy)}, "Data sharing");
  ASSERT_THAT(conversation, IsOk());
  ASSERT_THAT(
      Comment(member_, conversation->name(), "The secret figure is 42."),
      IsOk());
  Settle();

  for (const std::string& token : {other_, cy}) {
    auto messages = OfType(token, v1::EVENT_TYPE_PRIVATE_MESSAGE_SENT);
    ASSERT_EQ(messages.size(), 1u) << NameOf(token);
    EXPECT_EQ(messages[0].target(), conversation->name());
    EXPECT_EQ(messages[0].actor(), NameOf(member_));
    // Neither the summary nor the event carries the text.
    EXPECT_FALSE(absl::StrContains(messages[0].SerializeAsString(), "secret"));
  }
  EXPECT_THAT(Told(member_), IsEmpty());
  EXPECT_THAT(Told(outsider), IsEmpty());
  EXPECT_THAT(OfType(secretariat_token_, v1::EVENT_TYPE_PRIVATE_MESSAGE_SENT),
              IsEmpty());
  // A conversation is not followed: its participants hear of it anyway.
  EXPECT_THAT(FollowTarget(outsider, conversation->name()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(CommunityNotificationsTest,
       TheFeedShowsNoConversationAndPartnersNoSpaces) {
  ASSERT_THAT(MakeSpace("methods"), IsOk());
  ASSERT_THAT(JoinAs(member_, "methods"), IsOk());
  ASSERT_THAT(JoinAs(other_, "methods"), IsOk());
  auto topic =
      StartTopic(member_, "methods", "Sampling", "Let us talk.", {"sampling"});
  ASSERT_THAT(topic, IsOk());
  auto post = Comment(other_, topic->name(), "Use area frames.");
  ASSERT_THAT(post, IsOk());
  auto conversation = StartConversation(member_, {NameOf(other_)}, "Figures");
  ASSERT_THAT(conversation, IsOk());
  auto message = Comment(member_, conversation->name(), "Between us.");
  ASSERT_THAT(message, IsOk());
  ASSERT_THAT(Edit(member_, message->name(), "Between us two."), IsOk());
  ASSERT_THAT(Flag(other_, message->name()), IsOk());
  // The conversation's events are in the streams...
  EXPECT_GE(CommentEvents(conversation->name()).size(), 3u);
  // ... and the last event of the test, which both feeds show.
  v1::CreateResourceRequest share;
  share.mutable_resource()->set_title("Sampling guide");
  share.mutable_resource()->set_link("https://example.org/sampling");
  share.mutable_resource()->set_type(v1::Resource::GUIDELINE);
  auto resource = CallC<v1::CreateResourceRequest, v1::Resource>(
      &v1::CommunityService::Stub::CreateResource, share, member_);
  ASSERT_THAT(resource, IsOk());
  const auto shared = [&](const v1::Event& event) {
    return event.resource_shared().resource() == resource->name();
  };

  // The secretariat: spaces and topics (it moderates them), never a
  // conversation (a flagged message reaches it through moderation).
  const std::vector<v1::Event> secretariat =
      FeedUntil(secretariat_token_, shared);
  ASSERT_FALSE(secretariat.empty());
  ASSERT_TRUE(shared(secretariat.back()));
  bool topic_started = false;
  bool topic_post = false;
  for (const v1::Event& event : secretariat) {
    EXPECT_FALSE(event.has_private_message_sent()) << event.DebugString();
    EXPECT_NE(RefOf(event).target(), conversation->name())
        << event.DebugString();
    topic_started |= event.topic_started().topic() == topic->name();
    topic_post |= RefOf(event).comment() == post->name();
  }
  EXPECT_TRUE(topic_started);
  EXPECT_TRUE(topic_post);

  // A partner: nothing of spaces, topics or conversations.
  const std::vector<v1::Event> partner = FeedUntil(NewPartner(other_), shared);
  ASSERT_FALSE(partner.empty());
  ASSERT_TRUE(shared(partner.back()));
  for (const v1::Event& event : partner) {
    EXPECT_FALSE(event.has_space_created() || event.has_topic_started() ||
                 event.has_private_message_sent())
        << event.DebugString();
    if (!RefOf(event).comment().empty()) {
      EXPECT_EQ(RefOf(event).target_kind(), v1::Comment::TARGET_SECTION)
          << event.DebugString();
    }
  }
}

TEST_F(CommunityNotificationsTest, OutsidersCannotFollowAnInviteOnlySpace) {
  ASSERT_THAT(MakeSpace("sensitive", v1::Space::INVITE_ONLY, {NameOf(member_)}),
              IsOk());
  auto topic = StartTopic(member_, "sensitive", "Protection of sources");
  ASSERT_THAT(topic, IsOk());

  EXPECT_THAT(FollowTarget(other_, topic->name()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(
      FollowTarget(other_, "spaces/sensitive"),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("invite-only")));
  EXPECT_THAT(FollowTarget(other_, "spaces/sensitive/topics/nope"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(FollowTarget(other_, "spaces/nope"),
              StatusIs(absl::StatusCode::kNotFound));

  // Once added, the member may follow both.
  ASSERT_THAT(AddMember("sensitive", NameOf(other_)), IsOk());
  EXPECT_THAT(FollowTarget(other_, topic->name()), IsOk());
  EXPECT_THAT(FollowTarget(other_, "spaces/sensitive"), IsOk());
}

}  // namespace
}  // namespace cdc::notifications
