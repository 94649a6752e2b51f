#include "services/notifications/routing.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/text_format.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/validation.h"

namespace cdc::notifications {
namespace {

// What the members told personally read: member_summary when set.
std::string PersonalSummary(const Routing& routing) {
  return routing.member_summary.empty() ? routing.summary
                                        : routing.member_summary;
}

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

constexpr absl::string_view kEllipsis = "\xE2\x80\xA6";  // "…"

// Every event of the table is Ana's act.
constexpr absl::string_view kByAna = R"pb(actor: "members/ana"
                                          actor_display_name: "Ana López")pb";

v1::Event ParseEvent(absl::string_view text) {
  v1::Event event;
  EXPECT_TRUE(
      google::protobuf::TextFormat::ParseFromString(std::string(text), &event))
      << text;
  return event;
}

std::string Repeat(absl::string_view text, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) absl::StrAppend(&out, text);
  return out;
}

size_t CodePoints(absl::string_view text) {
  absl::StatusOr<size_t> count = CodePointCount(text);
  EXPECT_TRUE(count.ok()) << "not UTF-8: " << text;
  return count.value_or(0);
}

// ---- TypeOf ----

TEST(TypeOfTest, EachTypeIsTheTypeOfItsPayload) {
  const google::protobuf::EnumDescriptor* types = v1::EventType_descriptor();
  const google::protobuf::Descriptor* descriptor = v1::Event::descriptor();
  const google::protobuf::OneofDescriptor* payload =
      descriptor->FindOneofByName("payload");
  ASSERT_NE(payload, nullptr);
  int checked = 0;
  for (int i = 0; i < types->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* type = types->value(i);
    if (type->number() == v1::EVENT_TYPE_UNSPECIFIED) continue;
    SCOPED_TRACE(type->name());
    // events.proto: the payload field number of a type is its value + 20.
    const google::protobuf::FieldDescriptor* field =
        descriptor->FindFieldByNumber(type->number() + 20);
    ASSERT_NE(field, nullptr);
    EXPECT_EQ(field->containing_oneof(), payload);
    // EVENT_TYPE_MEMBER_APPLIED <-> member_applied: the numbers agree with
    // the names, so the rule above really pairs each type with its payload.
    EXPECT_EQ(absl::StrCat("EVENT_TYPE_", absl::AsciiStrToUpper(field->name())),
              type->name());
    v1::Event event;
    event.GetReflection()->MutableMessage(&event, field);
    EXPECT_EQ(TypeOf(event), type->number());
    ++checked;
  }
  EXPECT_EQ(checked, 34);
  EXPECT_EQ(payload->field_count(), checked);
}

TEST(TypeOfTest, NoPayloadIsUnspecified) {
  EXPECT_EQ(TypeOf(v1::Event()), v1::EVENT_TYPE_UNSPECIFIED);
  EXPECT_EQ(TypeOf(ParseEvent(kByAna)), v1::EVENT_TYPE_UNSPECIFIED);
}

// ---- One rule per event type ----

// The expected routing. Cases name only what is not empty; the initializers
// keep -Wmissing-field-initializers quiet about the rest.
struct RuleCase {
  std::string name;   // the test's name: the payload's message
  std::string event;  // the payload (text format), acted by Ana
  std::vector<std::string> members = {};
  std::vector<std::string> follow_targets = {};
  Broadcast broadcast = Broadcast::kNone;
  std::string consultation = "";
  std::string target = "";
  std::string summary = "";
};

// Comment "comments/k1", written by Bo on a section.
constexpr absl::string_view kBosComment = R"pb(
  comment {
    comment: "comments/k1"
    target: "consultations/c1/sections/s1"
    target_kind: TARGET_SECTION
    thread: "comments/k1"
    author: "members/bo"
    consultation: "consultations/c1"
  })pb";

const std::vector<RuleCase>& RuleCases() {
  static const auto* const cases = new std::vector<RuleCase>{
      // Members.
      {.name = "MemberApplied",
       .event = R"pb(member_applied {
                       member: "members/ana"
                       organisation_type: ORGANISATION_TYPE_CIVIL_SOCIETY
                       country: "KEN"
                     })pb",
       .broadcast = Broadcast::kSecretariat,
       .target = "members/ana",
       .summary = "Ana López applied for membership (civil society, KEN)"},
      {.name = "MemberApproved",
       .event =
           R"pb(member_approved { member: "members/bo" role: ROLE_MEMBER })pb",
       .members = {"members/bo"},
       .target = "members/bo",
       .summary = "Your membership was approved (role: member)"},
      {.name = "MemberRejected",
       .event = R"pb(member_rejected { member: "members/bo" })pb",
       .members = {"members/bo"},
       .target = "members/bo",
       .summary = "Your membership application was rejected"},
      {.name = "MemberSuspended",
       .event = R"pb(member_suspended { member: "members/bo" })pb",
       .members = {"members/bo"},
       .target = "members/bo",
       .summary = "Your membership was suspended"},
      {.name = "MemberReinstated",
       .event = R"pb(member_reinstated { member: "members/bo" })pb",
       .members = {"members/bo"},
       .target = "members/bo",
       .summary = "Your membership was reinstated"},
      {.name = "MemberRoleChanged",
       .event = R"pb(member_role_changed {
                       member: "members/bo"
                       role: ROLE_PARTNER
                     })pb",
       .members = {"members/bo"},
       .target = "members/bo",
       .summary = "Your role was changed to partner"},
      {.name = "MemberProfileUpdated",
       .event = R"pb(member_profile_updated {
                       member: "members/bo"
                       changed_fields: "organisation"
                     })pb",
       .target = "members/bo",
       .summary = "Ana López updated a profile"},
      {.name = "ApiTokenIssued",
       .event = R"pb(api_token_issued {
                       token: "tokens/t1"
                       member: "members/bo"
                     })pb",
       .target = "tokens/t1",
       .summary = "Ana López issued an API token"},
      {.name = "ApiTokenRevoked",
       .event = R"pb(api_token_revoked {
                       token: "tokens/t1"
                       member: "members/bo"
                     })pb",
       .target = "tokens/t1",
       .summary = "Ana López revoked an API token"},
      // Consultations. 1796115600 = 2026-12-01 09:00 UTC, 1798218000 =
      // 2026-12-25 17:00 UTC, 1798390800 = 2026-12-27 17:00 UTC.
      {.name = "ConsultationCreated",
       .event = R"pb(consultation_created {
                       consultation: "consultations/c1"
                       title: "Gender data"
                     })pb",
       .target = "consultations/c1",
       .summary = "Ana López created a consultation: Gender data"},
      {.name = "ConsultationUpdated",
       .event = R"pb(consultation_updated {
                       consultation: "consultations/c1"
                       changed_fields: "title"
                     })pb",
       .target = "consultations/c1",
       .summary = "Ana López updated a consultation"},
      {.name = "DraftImported",
       .event = R"pb(draft_imported {
                       consultation: "consultations/c1"
                       draft_version: 3
                     })pb",
       .target = "consultations/c1",
       .summary = "Ana López imported draft version 3"},
      {.name = "RoundOpened",
       .event = R"pb(time { seconds: 1796115600 }
                     round_opened {
                       consultation: "consultations/c1"
                       round: 2
                       opens_at { seconds: 1796115600 }
                       closes_at { seconds: 1798218000 }
                     })pb",
       .broadcast = Broadcast::kRoundAudience,
       .consultation = "consultations/c1",
       .target = "consultations/c1",
       .summary = "Round 2 is open for comments until 2026-12-25 17:00 UTC"},
      {.name = "RoundExtended",
       .event = R"pb(round_extended {
                       consultation: "consultations/c1"
                       round: 2
                       previous_closes_at { seconds: 1798218000 }
                       closes_at { seconds: 1798390800 }
                     })pb",
       .broadcast = Broadcast::kRoundAudience,
       .consultation = "consultations/c1",
       .target = "consultations/c1",
       .summary = "Round 2 was extended until 2026-12-27 17:00 UTC"},
      {.name = "RoundClosingSoon",
       .event = R"pb(round_closing_soon {
                       consultation: "consultations/c1"
                       round: 2
                       closes_at { seconds: 1798218000 }
                     })pb",
       .broadcast = Broadcast::kRoundAudience,
       .consultation = "consultations/c1",
       .target = "consultations/c1",
       .summary = "Round 2 closes soon: 2026-12-25 17:00 UTC"},
      {.name = "RoundClosed",
       .event = R"pb(round_closed {
                       consultation: "consultations/c1"
                       round: 2
                       close_time { seconds: 1798218000 }
                     })pb",
       .broadcast = Broadcast::kRoundAudience,
       .consultation = "consultations/c1",
       .target = "consultations/c1",
       .summary = "Round 2 closed"},
      {.name = "RecordPublished",
       .event = R"pb(record_published {
                       consultation: "consultations/c1"
                       round: 2
                     })pb",
       .broadcast = Broadcast::kRoundAudience,
       .consultation = "consultations/c1",
       .target = "consultations/c1",
       .summary = "The comment–response record of round 2 is published"},
      // Comments.
      {.name = "CommentCreated",
       .event = R"pb(comment_created {
                       comment {
                         comment: "comments/k1"
                         target: "consultations/c1/sections/s1"
                         target_kind: TARGET_SECTION
                         thread: "comments/k1"
                         author: "members/ana"
                         consultation: "consultations/c1"
                       }
                       type: GENERAL
                       round: 2
                     })pb",
       .follow_targets = {"consultations/c1/sections/s1"},
       .target = "comments/k1",
       .summary = "Ana López commented on a section you follow"},
      {.name = "CommentReplied",
       .event = R"pb(comment_replied {
                       comment {
                         comment: "comments/k2"
                         target: "consultations/c1/sections/s1"
                         target_kind: TARGET_SECTION
                         thread: "comments/k1"
                         author: "members/ana"
                       }
                       parent: "comments/k1"
                       parent_author: "members/bo"
                     })pb",
       .members = {"members/bo"},
       .follow_targets = {"comments/k1"},
       .target = "comments/k2",
       .summary = "Ana López replied to your comment"},
      {.name = "CommentEdited",
       .event = absl::StrCat("comment_edited {", kBosComment, " version: 2 }"),
       .target = "comments/k1",
       .summary = "Ana López edited a comment"},
      {.name = "CommentWithdrawn",
       .event = absl::StrCat("comment_withdrawn {", kBosComment, "}"),
       .target = "comments/k1",
       .summary = "Ana López withdrew a comment"},
      {.name = "CommentEndorsed",
       .event = absl::StrCat("comment_endorsed {", kBosComment,
                             " endorsement_count: 3 }"),
       .members = {"members/bo"},
       .target = "comments/k1",
       .summary = "Ana López endorsed your comment (3 endorsements)"},
      {.name = "CommentUnendorsed",
       .event = absl::StrCat("comment_unendorsed {", kBosComment,
                             " endorsement_count: 2 }"),
       .target = "comments/k1",
       .summary = "Ana López took back an endorsement"},
      {.name = "CommentFlagged",
       .event = absl::StrCat("comment_flagged {", kBosComment,
                             " flag_reason: SPAM flag_count: 1 }"),
       .broadcast = Broadcast::kSecretariat,
       .target = "comments/k1",
       .summary = "A comment was flagged (spam)"},
      {.name = "CommentHidden",
       .event = absl::StrCat("comment_hidden {", kBosComment,
                             " reason: \"Personal data\" }"),
       .members = {"members/bo"},
       .target = "comments/k1",
       .summary = "Ana López hid your comment: Personal data"},
      {.name = "CommentRestored",
       .event =
           absl::StrCat("comment_restored {", kBosComment,
                        " reason: \"Within the rules\" was_hidden: true }"),
       .members = {"members/bo"},
       .target = "comments/k1",
       .summary = "Ana López restored your comment: Within the rules"},
      {.name = "DispositionSet",
       .event = absl::StrCat("disposition_set {", kBosComment,
                             " outcome: ACCEPTED round: 2 }"),
       .members = {"members/bo"},
       .target = "comments/k1",
       .summary = "Ana López answered your comment: accepted"},
      // Community.
      {.name = "SpaceCreated",
       .event = R"pb(space_created { space: "spaces/s1" visibility: OPEN })pb",
       .target = "spaces/s1",
       .summary = "Ana López created a space"},
      {.name = "TopicStarted",
       .event = R"pb(topic_started {
                       topic: "spaces/s1/topics/t1"
                       space: "spaces/s1"
                       author: "members/ana"
                     })pb",
       .follow_targets = {"spaces/s1"},
       .target = "spaces/s1/topics/t1",
       .summary = "Ana López started a topic in a space you follow"},
      {.name = "PrivateMessageSent",
       .event =
           R"pb(private_message_sent {
                  conversation: "conversations/x1"
                  comment: "comments/m1"
                  sender: "members/ana"
                  participants: [ "members/ana", "members/bo", "members/cy" ]
                })pb",
       .members = {"members/bo", "members/cy"},
       .target = "conversations/x1",
       .summary = "Ana López sent you a private message"},
      {.name = "ResourceShared",
       .event = R"pb(resource_shared {
                       resource: "resources/r1"
                       shared_by: "members/ana"
                       type: TOOLKIT
                     })pb",
       .target = "resources/r1",
       .summary = "Ana López shared a resource"},
      {.name = "InitiativeSubmitted",
       .event = R"pb(initiative_submitted {
                       initiative: "initiatives/i1"
                       submitted_by: "members/ana"
                     })pb",
       .broadcast = Broadcast::kSecretariat,
       .target = "initiatives/i1",
       .summary = "Ana López submitted an initiative for review"},
      {.name = "InitiativeApproved",
       .event = R"pb(initiative_approved {
                       initiative: "initiatives/i1"
                       submitted_by: "members/bo"
                     })pb",
       .members = {"members/bo"},
       .target = "initiatives/i1",
       .summary = "Your initiative was approved and is on the map"},
      {.name = "InitiativeReturned",
       .event = R"pb(initiative_returned {
                       initiative: "initiatives/i1"
                       submitted_by: "members/bo"
                       note: "Please add a link"
                     })pb",
       .members = {"members/bo"},
       .target = "initiatives/i1",
       .summary = "Your initiative was returned: Please add a link"},
  };
  return *cases;
}

class RuleTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(RuleTest, RoutesAsNotificationsProtoSays) {
  const RuleCase& c = GetParam();
  const v1::Event event = ParseEvent(absl::StrCat(kByAna, " ", c.event));
  const Routing routing = RouteEvent(event);
  EXPECT_THAT(routing.members, ElementsAreArray(c.members));
  EXPECT_THAT(routing.follow_targets, ElementsAreArray(c.follow_targets));
  EXPECT_EQ(routing.broadcast, c.broadcast);
  EXPECT_EQ(routing.consultation, c.consultation);
  EXPECT_EQ(routing.target, c.target);
  EXPECT_EQ(PersonalSummary(routing), c.summary);
  EXPECT_EQ(routing.empty(), c.members.empty() && c.follow_targets.empty() &&
                                 c.broadcast == Broadcast::kNone);
}

INSTANTIATE_TEST_SUITE_P(EveryEventType, RuleTest,
                         ::testing::ValuesIn(RuleCases()),
                         [](const ::testing::TestParamInfo<RuleCase>& info) {
                           return info.param.name;
                         });

TEST(RuleCasesTest, CoverEveryEventType) {
  std::set<int> covered;
  for (const RuleCase& c : RuleCases()) {
    const v1::EventType type = TypeOf(ParseEvent(c.event));
    EXPECT_NE(type, v1::EVENT_TYPE_UNSPECIFIED) << c.name;
    EXPECT_TRUE(covered.insert(type).second) << c.name << " twice";
  }
  EXPECT_EQ(covered.size(), 34u);
}

TEST(RouteEventTest, NoPayloadTellsNobody) {
  const Routing routing = RouteEvent(ParseEvent(kByAna));
  EXPECT_TRUE(routing.empty());
  EXPECT_THAT(routing.members, IsEmpty());
  EXPECT_THAT(routing.follow_targets, IsEmpty());
  EXPECT_EQ(routing.broadcast, Broadcast::kNone);
  EXPECT_EQ(routing.consultation, "");
  EXPECT_EQ(routing.target, "");
}

// ---- Nobody is told of their own act ----

TEST(RouteEventTest, ReplyToOwnCommentTellsOnlyTheThreadsFollowers) {
  const Routing routing = RouteEvent(ParseEvent(absl::StrCat(kByAna, R"pb(
    comment_replied {
      comment {
        comment: "comments/k2"
        thread: "comments/k1"
        author: "members/ana"
      }
      parent: "comments/k1"
      parent_author: "members/ana"
    })pb")));
  EXPECT_THAT(routing.members, IsEmpty());
  EXPECT_THAT(routing.follow_targets, ElementsAre("comments/k1"));
  EXPECT_EQ(routing.target, "comments/k2");
  EXPECT_EQ(routing.summary, "Ana López replied in a thread you follow");
}

TEST(RouteEventTest, SenderOfPrivateMessageIsNotTold) {
  const Routing routing = RouteEvent(ParseEvent(absl::StrCat(kByAna, R"pb(
    private_message_sent {
      conversation: "conversations/x1"
      sender: "members/ana"
      participants: [ "members/bo", "members/ana" ]
    })pb")));
  EXPECT_THAT(routing.members, ElementsAre("members/bo"));
}

TEST(RouteEventTest, DecisionAboutOneselfTellsNobody) {
  const Routing routing =
      RouteEvent(ParseEvent(absl::StrCat(kByAna,
                                         R"pb(
                                           member_role_changed {
                                             member: "members/ana"
                                             role: ROLE_SECRETARIAT
                                           })pb")));
  EXPECT_TRUE(routing.empty());
  EXPECT_EQ(routing.target, "members/ana");
  EXPECT_EQ(routing.summary, "Your role was changed to secretariat");
}

TEST(RouteEventTest, ActsOfTheSystemTellTheMemberConcerned) {
  // The bootstrap secretariat is approved with no actor.
  const Routing routing = RouteEvent(ParseEvent(R"pb(
    member_approved { member: "members/ana" role: ROLE_SECRETARIAT })pb"));
  EXPECT_THAT(routing.members, ElementsAre("members/ana"));
  EXPECT_EQ(routing.summary,
            "Your membership was approved (role: secretariat)");
}

// ---- Community ----

// A post "comments/p2" by Ana on topic t1 of space s1, replying to Bo's
// post "comments/p1" (the thread's root), or on resource r1.
constexpr absl::string_view kReplyOnTopic = R"pb(
  comment_replied {
    comment {
      comment: "comments/p2"
      target: "spaces/s1/topics/t1"
      target_kind: TARGET_TOPIC
      thread: "comments/p1"
      author: "members/ana"
      space: "spaces/s1"
    }
    parent: "comments/p1"
    parent_author: "members/bo"
  })pb";

TEST(CommunityRoutingTest, NewPostOnATopicTellsTheTopicsFollowers) {
  const Routing routing = RouteEvent(ParseEvent(absl::StrCat(kByAna, R"pb(
    comment_created {
      comment {
        comment: "comments/p1"
        target: "spaces/s1/topics/t1"
        target_kind: TARGET_TOPIC
        thread: "comments/p1"
        author: "members/ana"
        space: "spaces/s1"
      }
    })pb")));
  EXPECT_THAT(routing.members, IsEmpty());
  EXPECT_THAT(routing.follow_targets, ElementsAre("spaces/s1/topics/t1"));
  EXPECT_THAT(routing.not_told, ElementsAre("members/ana"));
  EXPECT_EQ(routing.broadcast, Broadcast::kNone);
  EXPECT_EQ(routing.target, "comments/p1");
  EXPECT_EQ(routing.summary, "Ana López posted in a topic you follow");
}

TEST(CommunityRoutingTest,
     ReplyOnATopicTellsItsFollowersTheThreadsAndTheParent) {
  const Routing routing =
      RouteEvent(ParseEvent(absl::StrCat(kByAna, kReplyOnTopic)));
  EXPECT_THAT(routing.members, ElementsAre("members/bo"));
  EXPECT_THAT(routing.follow_targets,
              ElementsAre("comments/p1", "spaces/s1/topics/t1"));
  EXPECT_EQ(routing.target, "comments/p2");
  EXPECT_EQ(routing.member_summary, "Ana López replied to your comment");
  EXPECT_EQ(routing.summary, "Ana López replied in a discussion you follow");
}

TEST(CommunityRoutingTest, CommentsOnAResourceTellItsFollowers) {
  const Routing created = RouteEvent(ParseEvent(absl::StrCat(kByAna, R"pb(
    comment_created {
      comment {
        comment: "comments/c1"
        target: "resources/r1"
        target_kind: TARGET_RESOURCE
        thread: "comments/c1"
        author: "members/ana"
      }
    })pb")));
  EXPECT_THAT(created.follow_targets, ElementsAre("resources/r1"));
  EXPECT_EQ(created.summary, "Ana López commented on a resource you follow");

  const Routing replied = RouteEvent(ParseEvent(absl::StrCat(kByAna, R"pb(
    comment_replied {
      comment {
        comment: "comments/c2"
        target: "resources/r1"
        target_kind: TARGET_RESOURCE
        thread: "comments/c1"
        author: "members/ana"
      }
      parent: "comments/c1"
      parent_author: "members/cy"
    })pb")));
  EXPECT_THAT(replied.members, ElementsAre("members/cy"));
  EXPECT_THAT(replied.follow_targets,
              ElementsAre("comments/c1", "resources/r1"));
}

TEST(CommunityRoutingTest, ReplyOnASectionStillTellsOnlyTheThreadsFollowers) {
  const Routing routing = RouteEvent(ParseEvent(absl::StrCat(kByAna, R"pb(
    comment_replied {
      comment {
        comment: "comments/k2"
        target: "consultations/c1/sections/s1"
        target_kind: TARGET_SECTION
        thread: "comments/k1"
      }
      parent_author: "members/bo"
    })pb")));
  EXPECT_THAT(routing.follow_targets, ElementsAre("comments/k1"));
}

TEST(CommunityRoutingTest, TopicStartedTellsTheSpacesFollowersButNotTheAuthor) {
  // Written by the author as a rule; should anyone else ever act for them,
  // the author is still not told of their own topic.
  const Routing routing = RouteEvent(ParseEvent(absl::StrCat(kByAna, R"pb(
    topic_started {
      topic: "spaces/s1/topics/t1"
      space: "spaces/s1"
      author: "members/bo"
      tags: "gender"
    })pb")));
  EXPECT_THAT(routing.members, IsEmpty());
  EXPECT_THAT(routing.follow_targets, ElementsAre("spaces/s1"));
  EXPECT_THAT(routing.not_told, ElementsAre("members/bo", "members/ana"));
  EXPECT_EQ(routing.target, "spaces/s1/topics/t1");
}

// A follower may have lost access to the space since they followed it
// (routing cannot know): what they read of a topic or a post in it is
// names and the actor, never its words.
TEST(CommunityRoutingTest, WhatAnInboxKeepsOfTopicsIsNamesAndTheActor) {
  const v1::Event started = ParseEvent(absl::StrCat(kByAna, R"pb(
    topic_started {
      topic: "spaces/s1/topics/t1"
      space: "spaces/s1"
      author: "members/ana"
      tags: [ "whistleblowers", "sources" ]
    })pb"));
  const v1::Event posted = ParseEvent(absl::StrCat(kByAna, R"pb(
    comment_replied {
      comment {
        comment: "comments/k2"
        target: "spaces/s1/topics/t1"
        target_kind: TARGET_TOPIC
        thread: "comments/k1"
        author: "members/ana"
        space: "spaces/s1"
      }
      parent: "comments/k1"
      parent_author: "members/bo"
    })pb"));
  for (const v1::Event& event : {started, posted}) {
    const Routing routing = RouteEvent(event);
    for (const std::string& summary :
         {routing.summary, routing.member_summary}) {
      EXPECT_THAT(summary, ::testing::Not(::testing::HasSubstr("s1")));
      EXPECT_THAT(summary, ::testing::Not(::testing::HasSubstr("t1")));
    }
    EXPECT_THAT(routing.summary, ::testing::StartsWith("Ana López "));
  }
  const v1::Event kept = InboxCopy(started);
  EXPECT_THAT(kept.topic_started().tags(), IsEmpty());
  EXPECT_EQ(kept.topic_started().topic(), "spaces/s1/topics/t1");
  EXPECT_EQ(kept.actor_display_name(), "Ana López");
  // Everything else is kept as it is.
  EXPECT_EQ(InboxCopy(posted).SerializeAsString(), posted.SerializeAsString());
}

TEST(CommunityRoutingTest, PrivateMessageReachesOnlyTheOtherParticipants) {
  const Routing routing = RouteEvent(ParseEvent(absl::StrCat(kByAna, R"pb(
    private_message_sent {
      conversation: "conversations/x1"
      comment: "comments/m2"
      parent: "comments/m1"
      sender: "members/ana"
      participants: [ "members/ana", "members/bo", "members/cy" ]
    })pb")));
  EXPECT_THAT(routing.members, ElementsAre("members/bo", "members/cy"));
  EXPECT_THAT(routing.follow_targets, IsEmpty());
  EXPECT_EQ(routing.broadcast, Broadcast::kNone);
  EXPECT_EQ(routing.target, "conversations/x1");
  EXPECT_EQ(routing.summary, "Ana López sent you a private message");
}

TEST(CommunityRoutingTest, CommentEventsInAConversationTellNobodyMore) {
  // PrivateMessageSent tells the participants; a created or replied event
  // about a message, should one be written, must not reach followers or a
  // parent's author through another path.
  for (absl::string_view payload : {
           R"pb(comment_created {
                  comment {
                    comment: "comments/m1"
                    target: "conversations/x1"
                    target_kind: TARGET_CONVERSATION
                    thread: "comments/m1"
                  }
                })pb",
           R"pb(comment_replied {
                  comment {
                    comment: "comments/m2"
                    target: "conversations/x1"
                    target_kind: TARGET_CONVERSATION
                    thread: "comments/m1"
                  }
                  parent_author: "members/bo"
                })pb",
       }) {
    const Routing routing =
        RouteEvent(ParseEvent(absl::StrCat(kByAna, payload)));
    EXPECT_TRUE(routing.empty()) << payload;
    EXPECT_EQ(routing.target, "conversations/x1");
  }
}

// ---- Clean recipient lists ----

TEST(RouteEventTest, RecipientsAreDistinctAndKeepTheirOrder) {
  const Routing routing = RouteEvent(ParseEvent(absl::StrCat(kByAna, R"pb(
    private_message_sent {
      conversation: "conversations/x1"
      sender: "members/ana"
      participants: [
        "members/cy",
        "members/bo",
        "members/cy",
        "",
        "members/ana",
        "members/bo"
      ]
    })pb")));
  EXPECT_THAT(routing.members, ElementsAre("members/cy", "members/bo"));
}

TEST(RouteEventTest, MissingRecipientNamesAreDropped) {
  const Routing endorsed = RouteEvent(ParseEvent(absl::StrCat(kByAna, R"pb(
    comment_endorsed {
      comment { comment: "comments/k1" }
      endorsement_count: 1
    }
  )pb")));
  EXPECT_TRUE(endorsed.empty());
  EXPECT_EQ(endorsed.target, "comments/k1");

  const Routing created = RouteEvent(ParseEvent(absl::StrCat(kByAna, R"pb(
    comment_created { comment { comment: "comments/k1" } })pb")));
  EXPECT_THAT(created.follow_targets, IsEmpty());
}

// ---- Summaries ----

TEST(SummaryTest, NamelessActorsHaveNeutralWords) {
  struct Case {
    std::string event;
    std::string summary;
  };
  const std::vector<Case> cases =
      {
          {R"pb(member_applied {
                  member: "members/ana"
                  organisation_type: ORGANISATION_TYPE_CIVIL_SOCIETY
                  country: "KEN"
                })pb",
           "New membership application (civil society, KEN)"},
          {R"pb(comment_created {
                  comment { comment: "comments/k1" target_kind: TARGET_TOPIC }
                })pb",
           "New post in a topic you follow"},
          {R"pb(comment_replied {
                  comment { comment: "comments/k2" thread: "comments/k1" }
                  parent_author: "members/bo"
                })pb",
           "Someone replied to your comment"},
          {R"pb(comment_replied {
                  comment { comment: "comments/k2" thread: "comments/k1" }
                })pb",
           "New reply in a thread you follow"},
          {R"pb(comment_endorsed {
                  comment { author: "members/bo" }
                  endorsement_count: 1
                })pb",
           "Someone endorsed your comment (1 endorsement)"},
          {R"pb(disposition_set {
                  comment { author: "members/bo" }
                  outcome: NOT_ACCEPTED
                })pb",
           "The secretariat answered your comment: not accepted"},
          {R"pb(disposition_set {
                  comment { author: "members/bo" }
                  outcome: PARTLY_ACCEPTED
                  previous_outcome: NOTED
                })pb",
           "The secretariat changed the answer to your comment: partly "
           "accepted"},
          {R"pb(comment_hidden {
                  comment { author: "members/bo" }
                  reason: "Off topic"
                })pb",
           "A moderator hid your comment: Off topic"},
          {R"pb(comment_restored {
                  comment { author: "members/bo" }
                  reason: "No rule broken"
                })pb",
           "A moderator dismissed the flags on your comment: No rule broken"},
          {R"pb(topic_started {
                  topic: "spaces/s1/topics/t1"
                  space: "spaces/s1"
                })pb",
           "New topic in a space you follow"},
      };
  for (const Case& c : cases) {
    EXPECT_EQ(PersonalSummary(RouteEvent(ParseEvent(c.event))), c.summary)
        << c.event;
  }
}

TEST(SummaryTest, SaysWhenAScheduledRoundOpens) {
  // Written on 2026-11-30 08:00 UTC for a round opening on 2026-12-01.
  const Routing routing = RouteEvent(ParseEvent(R"pb(
    time { seconds: 1796025600 }
    round_opened {
      consultation: "consultations/c1"
      round: 2
      opens_at { seconds: 1796115600 }
      closes_at { seconds: 1798218000 }
    })pb"));
  EXPECT_EQ(routing.summary,
            "Round 2 opens for comments on 2026-12-01 09:00 UTC until "
            "2026-12-25 17:00 UTC");
}

TEST(SummaryTest, SaysMoreWhenThereIsMore) {
  EXPECT_EQ(RouteEvent(ParseEvent(R"pb(
              round_closed {
                consultation: "consultations/c1"
                round: 2
                closed_early: true
              }
            )pb"))
                .summary,
            "Round 2 closed early");
  EXPECT_EQ(RouteEvent(ParseEvent(R"pb(
              comment_flagged { flag_reason: ABUSIVE flag_count: 3 })pb"))
                .summary,
            "A comment was flagged (abusive, 3 open flags)");
  EXPECT_EQ(
      RouteEvent(ParseEvent(R"pb(
        initiative_submitted { initiative: "initiatives/i1" resubmission: true }
      )pb"))
          .summary,
      "Someone resubmitted an initiative for review");
}

TEST(SummaryTest, IsOneLine) {
  const Routing routing = RouteEvent(ParseEvent(R"pb(
    comment_hidden {
      comment { author: "members/bo" }
      reason: "  Line one\r\n\n\tline two \n"
    })pb"));
  EXPECT_EQ(routing.summary, "A moderator hid your comment: Line one line two");
}

std::string HiddenWithReason(absl::string_view reason) {
  v1::Event event;
  event.mutable_comment_hidden()->mutable_comment()->set_author("members/bo");
  event.mutable_comment_hidden()->set_reason(std::string(reason));
  return RouteEvent(event).summary;
}

TEST(SummaryTest, KeepsAtMost300CodePoints) {
  const std::string prefix = "A moderator hid your comment: ";
  const size_t room = 300 - CodePoints(prefix);

  // Exactly 300 code points: kept whole.
  const std::string fits = Repeat("€", room);
  EXPECT_EQ(HiddenWithReason(fits), prefix + fits);

  // One more: cut to 299 code points and "…", never inside a character.
  const std::string cut = HiddenWithReason(Repeat("€", room + 1));
  EXPECT_EQ(cut, absl::StrCat(prefix, Repeat("€", room - 1), kEllipsis));
  EXPECT_EQ(CodePoints(cut), 300u);
}

TEST(SummaryTest, CutsMixedWidthTextAtACodePointBoundary) {
  // Characters of 1, 2, 3 and 4 bytes, so that the cut falls after each
  // width in turn as the prefix shifts.
  for (int shift = 0; shift < 4; ++shift) {
    const std::string reason =
        absl::StrCat(Repeat("a", shift), Repeat("aé€😀", 200));
    const std::string summary = HiddenWithReason(reason);
    SCOPED_TRACE(shift);
    EXPECT_EQ(CodePoints(summary), 300u);
    EXPECT_TRUE(absl::EndsWith(summary, kEllipsis));
    EXPECT_TRUE(absl::StartsWith(summary, "A moderator hid your comment: a"));
  }
}

}  // namespace
}  // namespace cdc::notifications
