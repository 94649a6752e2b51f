// cdc-notifications end to end over loopback: real members, consultations
// and comments services write events to a real Redis; real notifications
// replicas consume them and serve inboxes and streams.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/page_token.h"
#include "services/notifications/notifications_test_support.h"

namespace cdc::notifications {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

class NotificationsTest : public testing::NotificationsServerTest {
 protected:
  void SetUp() override {
    NotificationsServerTest::SetUp();
    if (HasFatalFailure()) return;
    bo_ = NewMember("bo@example.org", "KEN", v1::ORGANISATION_TYPE_ACADEMIA,
                    v1::ROLE_MEMBER);
    ASSERT_TRUE(OpenConsultation());
  }

  std::string bo_;  // a second MEMBER token: academia, KEN
};

TEST_F(NotificationsTest, ReplyNotifiesTheParentsAuthorButNotTheReplier) {
  auto comment = Comment(member_, Section("principles"), "Add consent.");
  ASSERT_THAT(comment, IsOk());
  ASSERT_THAT(Reply(bo_, comment->name(), "Agreed."), IsOk());
  ASSERT_THAT(Reply(member_, comment->name(), "Thanks."), IsOk());  // own
  Settle();
  std::vector<v1::Notification> replies;
  for (const auto& n : Inbox(member_)) {
    if (n.event_type() == v1::EVENT_TYPE_COMMENT_REPLIED) replies.push_back(n);
  }
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].actor(), MemberOf(bo_));
  EXPECT_EQ(replies[0].actor_display_name(), "bo@example.org");
  EXPECT_EQ(replies[0].summary(), "bo@example.org replied to your comment");
  EXPECT_EQ(replies[0].target(),
            replies[0].event().comment_replied().comment().comment());
  EXPECT_FALSE(replies[0].read());
  EXPECT_EQ(replies[0].event().id(), replies[0].event_id());
  EXPECT_EQ(Count(member_, v1::EVENT_TYPE_COMMENT_REPLIED), 1);
  EXPECT_EQ(Count(bo_, v1::EVENT_TYPE_COMMENT_REPLIED), 0);
}

TEST_F(NotificationsTest, EndorsementDispositionAndModerationReachTheAuthor) {
  auto comment = Comment(member_, Section("privacy"), "Say more on consent.");
  ASSERT_THAT(comment, IsOk());
  ASSERT_THAT(Endorse(bo_, comment->name()), IsOk());
  ASSERT_THAT(Endorse(member_, comment->name()),
              Not(IsOk()));  // own comment: refused, nothing to notify
  ASSERT_THAT(Flag(bo_, comment->name()), IsOk());
  ASSERT_THAT(Hide(comment->name(), "Off topic"), IsOk());
  ASSERT_THAT(Restore(comment->name(), "On reflection, fine"), IsOk());
  ASSERT_THAT(Close("cph"), IsOk());
  ASSERT_THAT(Dispose(comment->name(), v1::Disposition::ACCEPTED, "Done."),
              IsOk());
  Settle();
  std::vector<v1::EventType> types = Types(member_);
  for (v1::EventType type :
       {v1::EVENT_TYPE_COMMENT_ENDORSED, v1::EVENT_TYPE_COMMENT_HIDDEN,
        v1::EVENT_TYPE_COMMENT_RESTORED, v1::EVENT_TYPE_DISPOSITION_SET}) {
    EXPECT_EQ(std::count(types.begin(), types.end(), type), 1)
        << v1::EventType_Name(type);
  }
  // Flags are for the secretariat, never the author or the flagger.
  EXPECT_THAT(types, Not(Contains(v1::EVENT_TYPE_COMMENT_FLAGGED)));
  EXPECT_EQ(Count(bo_, v1::EVENT_TYPE_COMMENT_FLAGGED), 0);
  EXPECT_EQ(Count(secretariat_token_, v1::EVENT_TYPE_COMMENT_FLAGGED), 1);
  // The endorser hears nothing of their own endorsement.
  EXPECT_EQ(Count(bo_, v1::EVENT_TYPE_COMMENT_ENDORSED), 0);
}

TEST_F(NotificationsTest, RoundEventsReachTheAudienceOnly) {
  // A second consultation whose audience is Kenyan academia.
  ASSERT_THAT(Create("kenya"), IsOk());
  v1::UpdateConsultationRequest update;
  update.mutable_consultation()->set_name("consultations/kenya");
  update.mutable_consultation()->mutable_audience()->add_organisation_types(
      v1::ORGANISATION_TYPE_ACADEMIA);
  update.mutable_consultation()->mutable_audience()->add_countries("KEN");
  update.mutable_update_mask()->add_paths("audience");
  ASSERT_THAT((Call<v1::UpdateConsultationRequest, v1::Consultation>(
                  &v1::ConsultationsService::Stub::UpdateConsultation, update,
                  secretariat_token_)),
              IsOk());
  ASSERT_THAT(Import("kenya", comments::testing::kDraft), IsOk());
  const std::string second_secretariat =
      NewMember("sec2@example.org", "DNK", v1::ORGANISATION_TYPE_UN_AGENCY,
                v1::ROLE_SECRETARIAT);
  ASSERT_THAT(Open("kenya", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  ASSERT_THAT(Close("kenya"), IsOk());
  ASSERT_THAT(Publish("kenya"), IsOk());
  Settle();

  auto round_events = [&](const std::string& token) {
    std::vector<v1::EventType> out;
    for (const auto& n : Inbox(token)) {
      if (n.target() == "consultations/kenya")
        out.insert(out.begin(), n.event_type());
    }
    return out;
  };
  // Bo is Kenyan academia; Amina is Kenyan civil society; the observer
  // reads but is not in any audience.
  EXPECT_THAT(round_events(bo_), ElementsAre(v1::EVENT_TYPE_ROUND_OPENED,
                                             v1::EVENT_TYPE_ROUND_CLOSED,
                                             v1::EVENT_TYPE_RECORD_PUBLISHED));
  EXPECT_THAT(round_events(member_), IsEmpty());
  EXPECT_THAT(round_events(observer_), IsEmpty());
  // The secretariat hears of every round, except its own acts.
  EXPECT_EQ(round_events(second_secretariat).size(), 3u);
  EXPECT_THAT(round_events(secretariat_token_), IsEmpty());
}

TEST_F(NotificationsTest, ABroadcastIsWrittenOnceNotPerMember) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 12; ++i) {
    tokens.push_back(NewMember(absl::StrCat("m", i, "@example.org"), "FRA",
                               v1::ORGANISATION_TYPE_CIVIL_SOCIETY,
                               v1::ROLE_MEMBER));
  }
  Settle();
  auto inbox_keys = [&] {
    auto keys = redis().Command({"KEYS", "notif:*:body:*"});
    return keys.ok() ? keys->elements.size() : 0;
  };
  const size_t before = inbox_keys();
  ASSERT_THAT(Create("wide"), IsOk());
  ASSERT_THAT(Import("wide", comments::testing::kDraft), IsOk());
  ASSERT_THAT(Open("wide", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  Settle();
  // Opening the round wrote one broadcast and no inbox entries...
  EXPECT_EQ(inbox_keys(), before);
  auto broadcasts = redis().Command({"HLEN", "notif:{bc}:log"});
  ASSERT_THAT(broadcasts, IsOk());
  EXPECT_GE(broadcasts->integer, 1);
  // ... and each member finds it on their next read.
  for (const std::string& token : tokens) {
    EXPECT_EQ(Count(token, v1::EVENT_TYPE_ROUND_OPENED), 1);
  }
}

TEST_F(NotificationsTest, MembershipApprovalReachesTheApplicantOnly) {
  Settle();  // the round's broadcast is recorded before Carla joins
  const std::string carla =
      NewMember("carla@example.org", "BRA", v1::ORGANISATION_TYPE_UN_AGENCY,
                v1::ROLE_MEMBER);
  Settle();
  EXPECT_THAT(Types(carla), ElementsAre(v1::EVENT_TYPE_MEMBER_APPROVED));
  // The secretariat heard of the application (and not of its own approval).
  int applications = Count(secretariat_token_, v1::EVENT_TYPE_MEMBER_APPLIED);
  EXPECT_GE(applications, 1);
  for (const auto& n : Inbox(secretariat_token_)) {
    if (n.event_type() == v1::EVENT_TYPE_MEMBER_APPROVED) {
      EXPECT_NE(n.target(), MemberOf(carla))
          << "the secretariat approved Carla itself";
    }
  }
  // A member approved after a round opened does not inherit its broadcast.
  EXPECT_EQ(Count(carla, v1::EVENT_TYPE_ROUND_OPENED), 0);
}

TEST_F(NotificationsTest, PreferencesTurnTypesOffButNotAccountDecisions) {
  auto get = CallN<v1::GetPreferencesRequest, v1::NotificationPreferences>(
      &v1::NotificationsService::Stub::GetPreferences,
      v1::GetPreferencesRequest(), member_);
  ASSERT_THAT(get, IsOk());
  EXPECT_EQ(get->name(), MemberOf(member_) + "/notificationPreferences");
  for (const auto& setting : get->event_types()) EXPECT_TRUE(setting.enabled());

  v1::UpdatePreferencesRequest update;
  update.mutable_preferences()->set_etag(get->etag());
  auto* off = update.mutable_preferences()->add_event_types();
  off->set_event_type(v1::EVENT_TYPE_COMMENT_REPLIED);
  off->set_enabled(false);
  update.mutable_update_mask()->add_paths("event_types");
  auto updated =
      CallN<v1::UpdatePreferencesRequest, v1::NotificationPreferences>(
          &v1::NotificationsService::Stub::UpdatePreferences, update, member_);
  ASSERT_THAT(updated, IsOk());
  EXPECT_NE(updated->etag(), get->etag());
  // The old etag is stale now.
  EXPECT_THAT(
      (CallN<v1::UpdatePreferencesRequest, v1::NotificationPreferences>(
          &v1::NotificationsService::Stub::UpdatePreferences, update, member_)),
      StatusIs(absl::StatusCode::kAborted));

  auto comment = Comment(member_, Section("principles"), "Add consent.");
  ASSERT_THAT(comment, IsOk());
  ASSERT_THAT(Reply(bo_, comment->name(), "Agreed."), IsOk());
  ASSERT_THAT(Endorse(bo_, comment->name()), IsOk());
  Settle();
  EXPECT_EQ(Count(member_, v1::EVENT_TYPE_COMMENT_REPLIED), 0);
  EXPECT_EQ(Count(member_, v1::EVENT_TYPE_COMMENT_ENDORSED), 1);

  // Account decisions cannot be turned off; unknown types are refused.
  update.mutable_preferences()->clear_etag();
  off->set_event_type(v1::EVENT_TYPE_MEMBER_SUSPENDED);
  EXPECT_THAT(
      (CallN<v1::UpdatePreferencesRequest, v1::NotificationPreferences>(
          &v1::NotificationsService::Stub::UpdatePreferences, update, member_)),
      StatusIs(absl::StatusCode::kInvalidArgument));
  off->set_event_type(v1::EVENT_TYPE_API_TOKEN_ISSUED);
  EXPECT_THAT(
      (CallN<v1::UpdatePreferencesRequest, v1::NotificationPreferences>(
          &v1::NotificationsService::Stub::UpdatePreferences, update, member_)),
      StatusIs(absl::StatusCode::kInvalidArgument));
  update.mutable_update_mask()->set_paths(0, "name");
  EXPECT_THAT(
      (CallN<v1::UpdatePreferencesRequest, v1::NotificationPreferences>(
          &v1::NotificationsService::Stub::UpdatePreferences, update, member_)),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(NotificationsTest, FollowersOfASectionAndAThreadHearOfNewComments) {
  auto follow = FollowTarget(bo_, Section("privacy"));
  ASSERT_THAT(follow, IsOk());
  EXPECT_EQ(follow->title(), "Privacy");
  EXPECT_THAT(FollowTarget(bo_, Section("privacy")), IsOk());  // again: same
  auto root = Comment(member_, Section("privacy"), "Consent first.\nMore.");
  ASSERT_THAT(root, IsOk());
  auto reply = Reply(member_, root->name(), "Adding a detail.");
  ASSERT_THAT(reply, IsOk());
  // Following a reply follows its whole thread, titled by the root.
  auto thread = FollowTarget(observer_, reply->name());
  ASSERT_THAT(thread, StatusIs(absl::StatusCode::kPermissionDenied));
  thread = FollowTarget(bo_, reply->name());
  ASSERT_THAT(thread, IsOk());
  EXPECT_EQ(thread->target(), root->name());
  EXPECT_EQ(thread->title(), "Consent first.");
  ASSERT_THAT(Reply(member_, reply->name(), "And another."), IsOk());
  ASSERT_THAT(Comment(bo_, Section("privacy"), "Bo's own comment"), IsOk());
  Settle();
  // Bo heard of Amina's comment and of the reply after he followed the
  // thread; not of the earlier reply, nor of his own comment.
  EXPECT_EQ(Count(bo_, v1::EVENT_TYPE_COMMENT_CREATED), 1);
  EXPECT_EQ(Count(bo_, v1::EVENT_TYPE_COMMENT_REPLIED), 1);

  v1::ListFollowsRequest list;
  list.set_page_size(1);
  auto page = CallN<v1::ListFollowsRequest, v1::ListFollowsResponse>(
      &v1::NotificationsService::Stub::ListFollows, list, bo_);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->follows_size(), 1);
  list.set_page_token(page->next_page_token());
  auto second = CallN<v1::ListFollowsRequest, v1::ListFollowsResponse>(
      &v1::NotificationsService::Stub::ListFollows, list, bo_);
  ASSERT_THAT(second, IsOk());
  ASSERT_EQ(second->follows_size(), 1);
  EXPECT_TRUE(second->next_page_token().empty());
  EXPECT_NE(page->follows(0).target(), second->follows(0).target());

  v1::UnfollowRequest unfollow;
  unfollow.set_target(Section("privacy"));
  ASSERT_THAT((CallN<v1::UnfollowRequest, google::protobuf::Empty>(
                  &v1::NotificationsService::Stub::Unfollow, unfollow, bo_)),
              IsOk());
  ASSERT_THAT(Comment(member_, Section("privacy"), "After unfollow"), IsOk());
  Settle();
  EXPECT_EQ(Count(bo_, v1::EVENT_TYPE_COMMENT_CREATED), 1);

  EXPECT_THAT(FollowTarget(bo_, Section("nope")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(FollowTarget(bo_, "members/x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Community targets are checked by cdc-community
  // (community_notifications_test.cc); malformed ones are refused here.
  for (const char* malformed :
       {"spaces/", "spaces/a/b", "spaces/a/topics/", "spaces/a/topics/T!",
        "spaces/a/topics/t/x", "resources/", "resources/R!", "resources/a/b"}) {
    EXPECT_THAT(FollowTarget(bo_, malformed),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::StartsWith("target: ")))
        << malformed;
  }
  EXPECT_THAT(FollowTarget(bo_, "conversations/x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("cannot be followed")));
}

TEST_F(NotificationsTest, ReadStateUnreadCountAndPaging) {
  auto comment = Comment(member_, Section("principles"), "Add consent.");
  ASSERT_THAT(comment, IsOk());
  for (int i = 0; i < 9; ++i) {
    ASSERT_THAT(Reply(bo_, comment->name(), absl::StrCat("reply ", i)), IsOk());
  }
  Settle();
  const int base = Unread(member_);
  auto inbox = Inbox(member_);
  ASSERT_EQ(static_cast<int>(inbox.size()), base);
  ASSERT_GE(base, 9);
  // Newest first, strictly.
  for (size_t i = 1; i < inbox.size(); ++i) {
    EXPECT_GT(inbox[i - 1].create_time().seconds() * 1000 +
                  inbox[i - 1].create_time().nanos() / 1000000,
              -1);
    EXPECT_NE(inbox[i - 1].name(), inbox[i].name());
  }
  v1::MarkNotificationReadRequest mark;
  mark.set_name(inbox[0].name());
  auto marked = CallN<v1::MarkNotificationReadRequest, v1::Notification>(
      &v1::NotificationsService::Stub::MarkNotificationRead, mark, member_);
  ASSERT_THAT(marked, IsOk());
  EXPECT_TRUE(marked->read());
  EXPECT_EQ(Unread(member_), base - 1);
  EXPECT_EQ(Inbox(member_, /*unread_only=*/true).size(),
            static_cast<size_t>(base - 1));
  // Another member's notification is, for them, not there (the contract).
  EXPECT_THAT(
      (CallN<v1::MarkNotificationReadRequest, v1::Notification>(
          &v1::NotificationsService::Stub::MarkNotificationRead, mark, bo_)),
      StatusIs(absl::StatusCode::kNotFound,
               ::testing::HasSubstr("does not exist")));
  mark.set_name(MemberOf(member_) + "/notifications/99999");
  EXPECT_THAT((CallN<v1::MarkNotificationReadRequest, v1::Notification>(
                  &v1::NotificationsService::Stub::MarkNotificationRead, mark,
                  member_)),
              StatusIs(absl::StatusCode::kNotFound));

  // Everything up to the fourth newest: the three newer stay unread.
  v1::MarkAllNotificationsReadRequest all;
  all.set_up_to(inbox[3].name());
  ASSERT_THAT(
      (CallN<v1::MarkAllNotificationsReadRequest, google::protobuf::Empty>(
          &v1::NotificationsService::Stub::MarkAllNotificationsRead, all,
          member_)),
      IsOk());
  EXPECT_EQ(Unread(member_), 2);
  all.clear_up_to();
  ASSERT_THAT(
      (CallN<v1::MarkAllNotificationsReadRequest, google::protobuf::Empty>(
          &v1::NotificationsService::Stub::MarkAllNotificationsRead, all,
          member_)),
      IsOk());
  EXPECT_EQ(Unread(member_), 0);

  v1::ListNotificationsRequest list;
  list.set_parent(MemberOf(bo_));
  EXPECT_THAT(
      (CallN<v1::ListNotificationsRequest, v1::ListNotificationsResponse>(
          &v1::NotificationsService::Stub::ListNotifications, list, member_)),
      StatusIs(absl::StatusCode::kPermissionDenied));
  list.clear_parent();
  list.set_page_token("garbage");
  EXPECT_THAT(
      (CallN<v1::ListNotificationsRequest, v1::ListNotificationsResponse>(
          &v1::NotificationsService::Stub::ListNotifications, list, member_)),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(NotificationsTest, InboxKeepsTheNewestOnly) {
  replica_.reset();
  replica_ = NewReplica("small", true, testing::FastHub(),
                        NotificationsStore::Options{.inbox_capacity = 5});
  n_ = replica_->stub.get();
  auto comment = Comment(member_, Section("principles"), "Add consent.");
  ASSERT_THAT(comment, IsOk());
  for (int i = 0; i < 8; ++i) {
    ASSERT_THAT(Reply(bo_, comment->name(), absl::StrCat("reply ", i)), IsOk());
  }
  Settle();
  auto inbox = Inbox(member_);
  ASSERT_EQ(inbox.size(), 5u);
  EXPECT_EQ(Unread(member_), 5);
  // A stream resuming from before the kept ones says so.
  Stream stream = Subscribe(member_, MemberOf(member_) + "/notifications/1");
  v1::SubscribeResponse first;
  ASSERT_TRUE(stream.reader->Read(&first));
  ASSERT_TRUE(first.has_heartbeat());
  EXPECT_TRUE(first.heartbeat().truncated());
  EXPECT_EQ(stream.Next(5).size(), 5u);
  stream.context->TryCancel();
}

TEST_F(NotificationsTest, PendingEventsOfADeadConsumerAreDeliveredOnce) {
  auto comment = Comment(member_, Section("principles"), "Add consent.");
  ASSERT_THAT(comment, IsOk());
  ASSERT_THAT(FollowTarget(bo_, comment->name()), IsOk());
  Settle();
  replica_.reset();  // no consumer runs now
  n_ = nullptr;
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(Reply(bo_, comment->name(), absl::StrCat("reply ", i)), IsOk());
  }
  // A consumer reads them and dies before acknowledging, after it has
  // delivered one of them to one inbox.
  std::vector<v1::Event> taken;
  for (int shard = 0; shard < kShardCount; ++shard) {
    // The group exists already (the first replica made it): the dead
    // consumer only joins it.
    auto read =
        redis().Command({"XREADGROUP", "GROUP", std::string(kConsumerGroup),
                         "dead", "STREAMS", EventStreamKey(shard), ">"});
    ASSERT_THAT(read, IsOk());
    if (read->elements.empty()) continue;
    auto entries = ParseStreamEntries(shard, read->elements[0].elements[1]);
    ASSERT_THAT(entries, IsOk());
    for (const StreamEntry& entry : *entries) {
      v1::Event& event = taken.emplace_back();
      ASSERT_TRUE(event.ParseFromString(entry.event));
      event.set_id(EventId(shard, entry.id));
    }
  }
  ASSERT_GE(taken.size(), 5u);
  NotificationsStore store(&redis(), {});
  Notifier half(&store, &redis(), redis_options(),
                testing::FastConsumer("dead"));
  ASSERT_THAT(half.Process(taken.back()), IsOk());

  // A live replica takes the dead one's events over after claim_idle.
  replica_ = NewReplica("survivor", true);
  n_ = replica_->stub.get();
  Settle();
  EXPECT_EQ(Count(member_, v1::EVENT_TYPE_COMMENT_REPLIED), 5);
  // Bo follows the thread but wrote the replies: nothing for him.
  EXPECT_EQ(Count(bo_, v1::EVENT_TYPE_COMMENT_REPLIED), 0);
  std::set<std::string> events;
  for (const auto& n : Inbox(member_)) {
    EXPECT_TRUE(events.insert(n.event_id()).second)
        << "repeated " << n.event_id();
  }
}

TEST_F(NotificationsTest, TwoReplicasShareTheConsumerGroup) {
  auto second = NewReplica("replica-b", true);
  auto comment = Comment(member_, Section("principles"), "Add consent.");
  ASSERT_THAT(comment, IsOk());
  for (int i = 0; i < 30; ++i) {
    ASSERT_THAT(Reply(bo_, comment->name(), absl::StrCat("reply ", i)), IsOk());
  }
  Settle();
  EXPECT_EQ(Count(member_, v1::EVENT_TYPE_COMMENT_REPLIED), 30);
  // Both are members of the one group; each event was processed once.
  std::set<std::string> names;
  for (int shard = 0; shard < kShardCount; ++shard) {
    auto consumers = redis().Command(
        {"XINFO", "CONSUMERS", EventStreamKey(shard), "notifications"});
    ASSERT_THAT(consumers, IsOk());
    for (const auto& c : consumers->elements) names.insert(c.elements[1].str);
  }
  EXPECT_TRUE(names.count("replica-a") && names.count("replica-b"));
  EXPECT_GE(replica_->notifier.processed() + second->notifier.processed(), 30);
}

TEST_F(NotificationsTest, LiveDeliveryReachesAStreamOnAnotherReplica) {
  Settle();
  // Replica B consumes nothing: what reaches its stream came through Redis.
  auto other = NewReplica("replica-b", /*consume=*/false);
  Stream stream = Subscribe(member_, "", other->stub.get());
  v1::SubscribeResponse hello;
  ASSERT_TRUE(stream.reader->Read(&hello));
  ASSERT_TRUE(hello.has_heartbeat());
  const int unread = hello.heartbeat().unread_count();

  auto comment = Comment(member_, Section("principles"), "Add consent.");
  ASSERT_THAT(comment, IsOk());
  ASSERT_THAT(Reply(bo_, comment->name(), "Agreed."), IsOk());
  auto got = stream.Next(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].event_type(), v1::EVENT_TYPE_COMMENT_REPLIED);
  EXPECT_EQ(Unread(member_), unread + 1);
  stream.context->TryCancel();
}

TEST_F(NotificationsTest, ResumeFromLastSeenHasNoGapAndNoRepeat) {
  auto comment = Comment(member_, Section("principles"), "Add consent.");
  ASSERT_THAT(comment, IsOk());
  Stream stream = Subscribe(member_);
  v1::SubscribeResponse hello;  // the stream is live once this arrives
  ASSERT_TRUE(stream.reader->Read(&hello));
  ASSERT_TRUE(hello.has_heartbeat());
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(Reply(bo_, comment->name(), absl::StrCat("first ", i)), IsOk());
  }
  auto seen = stream.Next(3);
  ASSERT_EQ(seen.size(), 3u);
  stream.context->TryCancel();
  (void)stream.reader->Finish();

  for (int i = 0; i < 4; ++i) {
    ASSERT_THAT(Reply(bo_, comment->name(), absl::StrCat("second ", i)),
                IsOk());
  }
  Settle();
  Stream again = Subscribe(member_, seen.back().name());
  auto missed = again.Next(4);
  ASSERT_EQ(missed.size(), 4u);
  std::set<std::string> names;
  for (const auto& n : seen) names.insert(n.name());
  for (const auto& n : missed) {
    EXPECT_TRUE(names.insert(n.name()).second) << "repeated " << n.name();
  }
  // Oldest first, right after the last seen one.
  auto number = [](const v1::Notification& n) {
    return std::stoll(n.name().substr(n.name().rfind('/') + 1));
  };
  EXPECT_EQ(number(missed[0]), number(seen.back()) + 1);
  for (size_t i = 1; i < missed.size(); ++i) {
    EXPECT_EQ(number(missed[i]), number(missed[i - 1]) + 1);
  }
  // Then live again.
  ASSERT_THAT(Reply(bo_, comment->name(), "live"), IsOk());
  auto live = again.Next(1);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(number(live[0]), number(missed.back()) + 1);
  again.context->TryCancel();
}

TEST_F(NotificationsTest, SigningOutEndsTheMembersOpenStreams) {
  Stream stream = Subscribe(bo_);
  v1::SubscribeResponse response;
  ASSERT_TRUE(stream.reader->Read(&response));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + bo_);
  google::protobuf::Empty empty;
  ASSERT_TRUE(stub_->SignOut(&context, v1::SignOutRequest(), &empty).ok());
  while (stream.reader->Read(&response)) {
  }
  EXPECT_EQ(stream.reader->Finish().error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(NotificationsTest, IdleStreamsGetHeartbeats) {
  Stream stream = Subscribe(member_);
  v1::SubscribeResponse response;
  int heartbeats = 0;
  while (heartbeats < 3 && stream.reader->Read(&response)) {
    heartbeats += response.has_heartbeat();
  }
  EXPECT_EQ(heartbeats, 3);
  stream.context->TryCancel();
}

TEST_F(NotificationsTest, SubscribeRefusesOthersAndMalformedPositions) {
  Stream other = Subscribe(member_, "", nullptr, MemberOf(bo_));
  v1::SubscribeResponse response;
  EXPECT_FALSE(other.reader->Read(&response));
  EXPECT_EQ(other.reader->Finish().error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  for (const std::string& last_seen :
       {std::string("nonsense"), MemberOf(bo_) + "/notifications/1",
        MemberOf(member_) + "/notifications/0",
        MemberOf(member_) + "/notifications/999999"}) {
    Stream bad = Subscribe(member_, last_seen);
    EXPECT_FALSE(bad.reader->Read(&response));
    EXPECT_EQ(bad.reader->Finish().error_code(),
              grpc::StatusCode::INVALID_ARGUMENT)
        << last_seen;
  }
  Stream anonymous = Subscribe("");
  EXPECT_FALSE(anonymous.reader->Read(&response));
  EXPECT_EQ(anonymous.reader->Finish().error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(NotificationsTest, AClientThatDoesNotReadIsEndedNotBuffered) {
  replica_.reset();
  LiveHub::Options hub = testing::FastHub();
  hub.subscribe_buffer = 4;
  replica_ = NewReplica("tight", true, hub);
  n_ = replica_->stub.get();
  Settle();
  // Enough notifications to fill the transport's windows and the buffer.
  v1::Notification big;
  big.set_summary(std::string(300, 'x'));
  big.set_event_type(v1::EVENT_TYPE_COMMENT_REPLIED);
  big.mutable_event()->set_actor_display_name(std::string(20000, 'y'));
  const std::string member = MemberOf(member_).substr(8);
  for (int i = 0; i < 200; ++i) {
    big.set_event_id(absl::StrCat("s0-", i, "-0"));
    ASSERT_THAT(replica_->store.Deliver({member}, big), IsOk());
  }
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto channel = grpc::CreateCustomChannel(
      replica_->host.address(), grpc::InsecureChannelCredentials(), args);
  auto stub = v1::NotificationsService::NewStub(channel);
  Stream stream =
      Subscribe(member_, MemberOf(member_) + "/notifications/1", stub.get());
  v1::SubscribeResponse response;
  ASSERT_TRUE(stream.reader->Read(&response));  // the first heartbeat
  // Not reading: the server gives up after stall_timeout.
  ASSERT_TRUE(WaitFor([&] { return replica_->hub.open_streams() == 0; }));
  while (stream.reader->Read(&response)) {
  }
  const grpc::StatusCode code = stream.reader->Finish().error_code();
  EXPECT_TRUE(code == grpc::StatusCode::RESOURCE_EXHAUSTED ||
              code == grpc::StatusCode::CANCELLED)
      << code;
}

TEST(LiveHintTest, ReadsBothFormatsAndWakesMembersOfAMalformedOne) {
  v1::Notification note;
  note.set_event_id("e1");
  LiveHint plain = ParseLiveHint("a,b");
  ASSERT_EQ(plain.members.size(), 2u);
  EXPECT_EQ(plain.members[1].member_id, "b");
  EXPECT_EQ(plain.members[1].seq, 0);
  EXPECT_EQ(plain.notification, nullptr);

  LiveHint carried =
      ParseLiveHint(absl::StrCat("+a:5,b:x:7\n", note.SerializeAsString()));
  ASSERT_EQ(carried.members.size(), 2u);
  EXPECT_EQ(carried.members[0].seq, 5);
  EXPECT_EQ(carried.members[1].member_id, "b:x");  // the last ':' splits
  EXPECT_EQ(carried.members[1].seq, 7);
  ASSERT_NE(carried.notification, nullptr);
  EXPECT_EQ(carried.notification->event_id(), "e1");

  // No notification, a bad one or a bad number: woken, to read (seq 0).
  for (const std::string& bad :
       {std::string("+a:5,b:6"), std::string("+a:5,b:6\n\xff\xff"),
        absl::StrCat("+a:-3,b:x\n", note.SerializeAsString())}) {
    LiveHint hint = ParseLiveHint(bad);
    ASSERT_EQ(hint.members.size(), 2u) << bad;
    EXPECT_EQ(hint.members[0].member_id, "a") << bad;
    EXPECT_EQ(hint.members[0].seq, 0) << bad;
    EXPECT_EQ(hint.members[1].seq, 0) << bad;
  }
}

// The live hub serves members in batches; these tests give it batches of
// 3 and timings that leave no other wake-up than the one under test (no
// heartbeat tick, no periodic re-check within the test), and bound every
// stream by a deadline so that a missed wake-up fails instead of hanging.
class LiveHubTest : public NotificationsTest {
 protected:
  static LiveHub::Options QuietHub() {
    LiveHub::Options hub = testing::FastHub();
    hub.batch = 3;
    hub.heartbeat_interval = absl::Minutes(5);
    hub.stall_timeout = absl::Minutes(5);
    hub.recheck_interval = absl::Minutes(5);
    return hub;
  }

  void UseHub(const LiveHub::Options& hub) {
    replica_.reset();
    replica_ = NewReplica("live", true, hub);
    n_ = replica_->stub.get();
    Settle();
  }

  // Subscribe, ending by itself after 30 s.
  Stream SubscribeWithin(const std::string& token,
                         const std::string& last_seen = "") {
    Stream stream;
    stream.context = As(token);
    stream.context->set_deadline(std::chrono::system_clock::now() +
                                 std::chrono::seconds(30));
    v1::SubscribeRequest request;
    request.set_last_seen(last_seen);
    stream.reader = n_->Subscribe(stream.context.get(), request);
    return stream;
  }

  // A notification as the consumer writes it.
  static v1::Notification Note(const std::string& event_id) {
    v1::Notification note;
    note.set_event_id(event_id);
    note.set_event_type(v1::EVENT_TYPE_COMMENT_REPLIED);
    note.set_summary(event_id);
    return note;
  }

  static int64_t Number(const v1::Notification& n) {
    return std::stoll(n.name().substr(n.name().rfind('/') + 1));
  }
};

TEST_F(LiveHubTest, ManyStreamsServedInBatchesGetEachNotificationOnce) {
  UseHub(QuietHub());
  // 8 members with 2 streams each: 16 streams, served 3 members at a time.
  std::vector<std::string> tokens = {member_, bo_};
  for (int i = 0; i < 6; ++i) {
    tokens.push_back(NewMember(absl::StrCat("f", i, "@example.org"), "FRA",
                               v1::ORGANISATION_TYPE_CIVIL_SOCIETY,
                               v1::ROLE_MEMBER));
  }
  Settle();
  std::vector<std::string> ids;
  std::vector<Stream> streams;
  std::vector<std::string> owners;
  for (const std::string& token : tokens) {
    ids.push_back(MemberOf(token).substr(8));
    for (int copy = 0; copy < 2; ++copy) {
      streams.push_back(SubscribeWithin(token));
      owners.push_back(MemberOf(token));
      v1::SubscribeResponse hello;  // live once this arrives
      ASSERT_TRUE(streams.back().reader->Read(&hello));
      ASSERT_TRUE(hello.has_heartbeat());
    }
  }
  for (int e = 1; e <= 3; ++e) {
    ASSERT_THAT(replica_->store.Deliver(ids, Note(absl::StrCat("fan-", e))),
                IsOk());
  }
  for (size_t i = 0; i < streams.size(); ++i) {
    auto got = streams[i].Next(3);
    ASSERT_EQ(got.size(), 3u) << owners[i];
    for (int e = 0; e < 3; ++e) {
      EXPECT_EQ(got[e].event_id(), absl::StrCat("fan-", e + 1)) << owners[i];
      EXPECT_THAT(got[e].name(), ::testing::StartsWith(owners[i] + "/"));
      if (e > 0) {
        EXPECT_EQ(Number(got[e]), Number(got[e - 1]) + 1);
      }
    }
  }
  // Nothing was sent twice: the next notification on every stream is a
  // new one.
  ASSERT_THAT(replica_->store.Deliver(ids, Note("fan-4")), IsOk());
  for (size_t i = 0; i < streams.size(); ++i) {
    auto got = streams[i].Next(1);
    ASSERT_EQ(got.size(), 1u) << owners[i];
    EXPECT_EQ(got[0].event_id(), "fan-4") << owners[i];
  }
  for (Stream& stream : streams) stream.context->TryCancel();
}

TEST_F(LiveHubTest, AStreamCutShortByItsBufferGetsTheRestWhenItDrains) {
  LiveHub::Options hub = QuietHub();
  hub.subscribe_buffer = 4;
  UseHub(hub);
  const std::string id = MemberOf(member_).substr(8);
  Inbox(member_);  // copies pending broadcasts in first
  ASSERT_THAT(replica_->store.Deliver({id}, Note("mark")), IsOk());
  auto inbox = Inbox(member_);
  ASSERT_FALSE(inbox.empty());
  ASSERT_EQ(inbox[0].event_id(), "mark");
  // Written before the stream opens: their hints wake nobody, so only
  // the stream's own drains can bring the 30 through a buffer of 4.
  for (int i = 0; i < 30; ++i) {
    ASSERT_THAT(replica_->store.Deliver({id}, Note(absl::StrCat("r-", i))),
                IsOk());
  }
  Stream stream = SubscribeWithin(member_, inbox[0].name());
  auto got = stream.Next(30);
  ASSERT_EQ(got.size(), 30u);
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(got[i].event_id(), absl::StrCat("r-", i));
    EXPECT_EQ(Number(got[i]), Number(inbox[0]) + 1 + i);
  }
  // Then live again, without a repeat.
  ASSERT_THAT(replica_->store.Deliver({id}, Note("after")), IsOk());
  auto live = stream.Next(1);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].event_id(), "after");
  stream.context->TryCancel();
}

// A delivery's hint carries its notification: the stream is sent it as the
// inbox has it, and a hint that does not follow the stream's position (a
// gap: here a forged one) is not trusted but read from the inbox instead.
TEST_F(LiveHubTest, AHintsNotificationIsSentOnlyWhenItFollowsTheStream) {
  UseHub(QuietHub());
  const std::string id = MemberOf(member_).substr(8);
  Inbox(member_);  // copies pending broadcasts in first
  Stream stream = SubscribeWithin(member_);
  v1::SubscribeResponse hello;
  ASSERT_TRUE(stream.reader->Read(&hello));
  ASSERT_THAT(replica_->store.Deliver({id}, Note("one")), IsOk());
  auto got = stream.Next(1);
  ASSERT_EQ(got.size(), 1u);
  auto inbox = Inbox(member_);
  ASSERT_FALSE(inbox.empty());
  EXPECT_EQ(got[0].SerializeAsString(), inbox[0].SerializeAsString());
  EXPECT_FALSE(got[0].read());

  v1::Notification forged = Note("forged");
  ASSERT_THAT(redis().Command({"PUBLISH", std::string(kLiveChannel),
                               absl::StrCat("+", id, ":", Number(got[0]) + 5,
                                            "\n", forged.SerializeAsString())}),
              IsOk());
  ASSERT_THAT(replica_->store.Deliver({id}, Note("two")), IsOk());
  auto next = stream.Next(1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].event_id(), "two");
  EXPECT_EQ(Number(next[0]), Number(got[0]) + 1);
  stream.context->TryCancel();
}

// The hint's notification saves the stream's inbox read: one script call
// (the delivery's) and no other.
TEST_F(LiveHubTest, AFanOutsStreamsAreSentTheHintsNotificationWithoutARead) {
  UseHub(QuietHub());
  const std::string id = MemberOf(member_).substr(8);
  Inbox(member_);
  Stream stream = SubscribeWithin(member_);
  v1::SubscribeResponse hello;
  ASSERT_TRUE(stream.reader->Read(&hello));
  auto script_calls = [&]() -> int64_t {
    auto info = redis().Command({"INFO", "commandstats"});
    if (!info.ok()) return -1;
    const size_t at = info->str.find("cmdstat_evalsha:calls=");
    if (at == std::string::npos) return 0;
    return std::stoll(info->str.substr(at + 22));
  };
  // The stream's opening reads (the first, and one more after the hello's
  // write drains) are over once 100 ms pass without a script call.
  for (int i = 0; i < 50; ++i) {
    ASSERT_THAT(redis().Command({"CONFIG", "RESETSTAT"}), IsOk());
    absl::SleepFor(absl::Milliseconds(100));
    if (script_calls() == 0) break;
  }
  ASSERT_THAT(redis().Command({"CONFIG", "RESETSTAT"}), IsOk());
  ASSERT_THAT(replica_->store.Deliver({id}, Note("direct")), IsOk());
  auto got = stream.Next(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].event_id(), "direct");
  EXPECT_EQ(script_calls(), 1);  // the Deliver script only
  stream.context->TryCancel();
}

// A member's streams share the hint's notifications, each from its own
// position: one that replayed from further back and one that was live.
TEST_F(LiveHubTest, TwoStreamsOfAMemberEachGetEveryNotificationOnce) {
  UseHub(QuietHub());
  const std::string id = MemberOf(member_).substr(8);
  Inbox(member_);
  ASSERT_THAT(replica_->store.Deliver({id}, Note("before")), IsOk());
  const std::string before = Inbox(member_)[0].name();
  Stream live = SubscribeWithin(member_);
  v1::SubscribeResponse hello;
  ASSERT_TRUE(live.reader->Read(&hello));
  ASSERT_THAT(replica_->store.Deliver({id}, Note("one")), IsOk());
  auto live_one = live.Next(1);
  ASSERT_EQ(live_one.size(), 1u);
  EXPECT_EQ(live_one[0].event_id(), "one");
  // Opened after "one", replaying from "before": it reads "one" back.
  Stream replay = SubscribeWithin(member_, before);
  auto replay_one = replay.Next(1);
  ASSERT_EQ(replay_one.size(), 1u);
  EXPECT_EQ(replay_one[0].event_id(), "one");
  ASSERT_THAT(replica_->store.Deliver({id}, Note("two")), IsOk());
  ASSERT_THAT(replica_->store.Deliver({id}, Note("three")), IsOk());
  for (Stream* stream : {&live, &replay}) {
    auto got = stream->Next(2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].event_id(), "two");
    EXPECT_EQ(got[1].event_id(), "three");
    EXPECT_EQ(Number(got[0]), Number(live_one[0]) + 1);
    EXPECT_EQ(Number(got[1]), Number(live_one[0]) + 2);
  }
  // Nothing more: a fourth delivery is the next message on both.
  ASSERT_THAT(replica_->store.Deliver({id}, Note("four")), IsOk());
  for (Stream* stream : {&live, &replay}) {
    auto got = stream->Next(1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].event_id(), "four");
    stream->context->TryCancel();
  }
}

TEST_F(LiveHubTest, ABroadcastReachesOpenStreamsLive) {
  UseHub(QuietHub());
  Stream stream = SubscribeWithin(bo_);
  v1::SubscribeResponse hello;
  ASSERT_TRUE(stream.reader->Read(&hello));
  // Bo's stream caught up at its first run; the broadcast of a new round
  // (its hint) makes the hub catch up again.
  ASSERT_THAT(Create("wide"), IsOk());
  ASSERT_THAT(Import("wide", comments::testing::kDraft), IsOk());
  ASSERT_THAT(Open("wide", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  bool heard = false;
  for (;;) {
    auto got = stream.Next(1);
    if (got.empty()) break;  // the deadline
    if (got[0].event_type() == v1::EVENT_TYPE_ROUND_OPENED &&
        got[0].target() == "consultations/wide") {
      heard = true;
      break;
    }
  }
  EXPECT_TRUE(heard);
  stream.context->TryCancel();
}

class WatchEventsTest : public NotificationsTest {
 protected:
  struct Watch {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<v1::WatchEventsResponse>> reader;

    // The next `n` events (heartbeats skipped), each with its cursor.
    std::vector<v1::WatchEventsResponse> Next(int n) {
      std::vector<v1::WatchEventsResponse> out;
      v1::WatchEventsResponse response;
      while (static_cast<int>(out.size()) < n && reader->Read(&response)) {
        if (response.has_event()) out.push_back(response);
      }
      return out;
    }
  };

  Watch Open(const std::string& token, v1::WatchEventsRequest request,
             v1::NotificationsService::Stub* stub = nullptr) {
    Watch watch;
    watch.context = As(token);
    watch.reader =
        (stub ? stub : n_)->WatchEvents(watch.context.get(), request);
    return watch;
  }

  grpc::StatusCode Refusal(const std::string& token,
                           const v1::WatchEventsRequest& request) {
    Watch watch = Open(token, request);
    v1::WatchEventsResponse response;
    while (watch.reader->Read(&response)) {
    }
    return watch.reader->Finish().error_code();
  }

  // A partner token acting for a new member of Amina's organisation;
  // `name` gets its "tokens/{id}".
  std::string PartnerToken(std::string* name = nullptr) {
    const std::string holder =
        NewMember("system@example.org", "KEN",
                  v1::ORGANISATION_TYPE_CIVIL_SOCIETY, v1::ROLE_MEMBER);
    v1::CreateApiTokenRequest request;
    request.set_member(MemberOf(holder));
    request.set_display_name("partner system");
    v1::CreateApiTokenResponse response;
    EXPECT_TRUE(
        stub_->CreateApiToken(As(secretariat_token_).get(), request, &response)
            .ok());
    if (name != nullptr) *name = response.api_token().name();
    return response.secret();
  }
};

TEST_F(WatchEventsTest, ReplaysFromACursorAcrossARestart) {
  v1::WatchEventsRequest request;
  request.set_start(v1::WatchEventsRequest::EARLIEST);
  request.add_event_types(v1::EVENT_TYPE_COMMENT_CREATED);
  auto first = Comment(member_, Section("principles"), "one");
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(Comment(member_, Section("privacy"), "two"), IsOk());
  Watch watch = Open(secretariat_token_, request);
  auto got = watch.Next(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].event().comment_created().comment().comment(),
            first->name());
  const std::string cursor = got[1].cursor();
  watch.context->TryCancel();
  (void)watch.reader->Finish();

  // The service restarts; events happen meanwhile.
  replica_.reset();
  auto third = Comment(bo_, Section("inclusion"), "three");
  ASSERT_THAT(third, IsOk());
  replica_ = NewReplica("restarted", true);
  n_ = replica_->stub.get();

  request.set_cursor(cursor);
  Watch resumed = Open(secretariat_token_, request);
  auto next = resumed.Next(1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].event().comment_created().comment().comment(),
            third->name());
  // And it tails live events.
  auto fourth = Comment(bo_, Section("privacy"), "four");
  ASSERT_THAT(fourth, IsOk());
  auto live = resumed.Next(1);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].event().comment_created().comment().comment(),
            fourth->name());
  resumed.context->TryCancel();
}

TEST_F(WatchEventsTest, FiltersByConsultationAndType) {
  ASSERT_THAT(Create("other"), IsOk());
  v1::WatchEventsRequest request;
  request.set_start(v1::WatchEventsRequest::EARLIEST);
  request.add_consultations("consultations/other");
  Watch watch = Open(secretariat_token_, request);
  auto got = watch.Next(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].event().has_consultation_created());
  EXPECT_EQ(got[0].event().consultation(), "consultations/other");
  watch.context->TryCancel();
}

TEST_F(WatchEventsTest, PartnersSeePublicEventsOnly) {
  const std::string partner = PartnerToken();
  auto comment = Comment(member_, Section("principles"), "Add consent.");
  ASSERT_THAT(comment, IsOk());
  ASSERT_THAT(Flag(bo_, comment->name()), IsOk());
  ASSERT_THAT(Endorse(bo_, comment->name()), IsOk());
  v1::WatchEventsRequest request;
  request.set_start(v1::WatchEventsRequest::EARLIEST);
  Watch watch = Open(partner, request);
  auto got = watch.Next(3);  // round opened, comment created, endorsed
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(got[0].event().has_round_opened());
  EXPECT_TRUE(got[1].event().has_comment_created());
  ASSERT_TRUE(got[2].event().has_comment_endorsed());
  EXPECT_TRUE(got[2].event().actor().empty());
  watch.context->TryCancel();

  EXPECT_EQ(Refusal(member_, request), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Refusal("", request), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(WatchEventsTest, ARevokedTokenEndsItsOpenFeed) {
  std::string token_name;
  const std::string partner = PartnerToken(&token_name);
  v1::WatchEventsRequest request;
  request.set_start(v1::WatchEventsRequest::EARLIEST);
  Watch watch = Open(partner, request);
  ASSERT_EQ(watch.Next(1).size(), 1u);  // the round opened
  v1::RevokeApiTokenRequest revoke;
  revoke.set_name(token_name);
  v1::ApiToken revoked;
  ASSERT_TRUE(
      stub_->RevokeApiToken(As(secretariat_token_).get(), revoke, &revoked)
          .ok());
  v1::WatchEventsResponse response;
  while (watch.reader->Read(&response)) {
  }
  EXPECT_EQ(watch.reader->Finish().error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(WatchEventsTest, RefusesBadCursorsAndFilters) {
  v1::WatchEventsRequest request;
  request.set_cursor("not-a-cursor");
  EXPECT_EQ(Refusal(secretariat_token_, request),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_cursor(EncodePageToken("1", "x"));
  EXPECT_EQ(Refusal(secretariat_token_, request),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.clear_cursor();
  request.add_event_types(static_cast<v1::EventType>(999));
  EXPECT_EQ(Refusal(secretariat_token_, request),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(WatchEventsTest, ACursorOlderThanTheStreamsKeepIsOutOfRange) {
  // Shard 0's stream, trimmed past an old position.
  for (int i = 0; i < 20; ++i) {
    ASSERT_THAT(redis().Command({"XADD", EventStreamKey(0), "*", "event", ""}),
                IsOk());
  }
  EventCursor old;
  old.positions[0] = StreamId{1, 0};
  ASSERT_THAT(redis().Command({"XTRIM", EventStreamKey(0), "MAXLEN", "5"}),
              IsOk());
  v1::WatchEventsRequest request;
  request.set_cursor(EncodeEventCursor(old));
  EXPECT_EQ(Refusal(secretariat_token_, request),
            grpc::StatusCode::OUT_OF_RANGE);
}

}  // namespace
}  // namespace cdc::notifications
