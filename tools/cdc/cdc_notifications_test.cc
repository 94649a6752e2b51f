// The cdc tool's notification commands, follows and `cdc events` end to end
// against a real cdc-notifications replica next to real cdc-comments,
// cdc-consultations and cdc-members (over a real Redis, on loopback): the
// built binary runs as a child process, as in the other tests of the tool.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/notifications/notifications_test_support.h"
#include "tools/cdc/cdc_runner.h"

namespace cdc::cli {
namespace {

using ::cdc::cli::testing::CdcRun;
using ::cdc::cli::testing::RunCdc;
using ::cdc::testing::IsOk;
using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

// The lines of `text`, without their LFs.
std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// A regex matching `text` literally.
std::string Literal(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (absl::string_view("\\.^$|()[]{}*+?").find(c) !=
        absl::string_view::npos) {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

class CdcNotificationsTest
    : public notifications::testing::NotificationsServerTest {
 protected:
  void SetUp() override {
    NotificationsServerTest::SetUp();
    if (HasFatalFailure()) return;
    bo_ = NewMember("bo@example.org", "KEN", v1::ORGANISATION_TYPE_ACADEMIA,
                    v1::ROLE_MEMBER);
    ASSERT_TRUE(OpenConsultation());
  }

  // Runs cdc as `token` against the test's four services, named by their
  // environment variables.
  CdcRun Cdc(const std::string& token, const std::vector<std::string>& args) {
    return RunCdc(args,
                  {"CDC_TOKEN=" + token,
                   "CDC_MEMBERS_ADDRESS=" + MembersServerTest::host_->address(),
                   "CDC_CONSULTATIONS_ADDRESS=" + host_c_->address(),
                   "CDC_COMMENTS_ADDRESS=" + host_k_->address(),
                   "CDC_NOTIFICATIONS_ADDRESS=" + replica_->host.address()});
  }

  // Runs cdc and expects it to succeed; returns its stdout.
  std::string Ok(const std::string& token,
                 const std::vector<std::string>& args) {
    const CdcRun run = Cdc(token, args);
    EXPECT_EQ(run.exit_code, 0) << absl::StrJoin(args, " ") << ": " << run.err;
    EXPECT_EQ(run.err, "") << absl::StrJoin(args, " ");
    return run.out;
  }

  // Runs cdc and expects it to fail with `exit_code`; returns its stderr.
  std::string Fails(const std::string& token,
                    const std::vector<std::string>& args, int exit_code) {
    const CdcRun run = Cdc(token, args);
    EXPECT_EQ(run.exit_code, exit_code) << absl::StrJoin(args, " ");
    EXPECT_EQ(run.out, "") << absl::StrJoin(args, " ");
    return run.err;
  }

  // A comment by member_ that bo_ replies to, and every event consumed: the
  // reply notification is in member_'s inbox.
  v1::Comment RepliedComment() {
    absl::StatusOr<v1::Comment> comment =
        Comment(member_, Section("principles"), "Add consent.");
    EXPECT_THAT(comment, IsOk());
    if (!comment.ok()) return v1::Comment();
    EXPECT_THAT(Reply(bo_, comment->name(), "Agreed."), IsOk());
    Settle();
    return *comment;
  }

  // The newest reply notification of member_'s inbox.
  v1::Notification ReplyNotification() {
    for (const v1::Notification& n : Inbox(member_)) {
      if (n.event_type() == v1::EVENT_TYPE_COMMENT_REPLIED) return n;
    }
    ADD_FAILURE() << "no reply notification";
    return v1::Notification();
  }

  // One line of `cdc events --format jsonl`, parsed.
  static v1::WatchEventsResponse EventItem(const std::string& line) {
    // A JSON object, with the cursor beside the event ...
    google::protobuf::Struct object;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &object).ok())
        << line;
    EXPECT_EQ(object.fields().at("cursor").kind_case(),
              google::protobuf::Value::kStringValue)
        << line;
    EXPECT_EQ(object.fields().at("event").kind_case(),
              google::protobuf::Value::kStructValue)
        << line;
    // ... that reads back, strictly, as what the server sent.
    v1::WatchEventsResponse item;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &item).ok())
        << line;
    EXPECT_FALSE(item.cursor().empty()) << line;
    EXPECT_FALSE(item.event().id().empty()) << line;
    return item;
  }

  std::string bo_;  // a second MEMBER token: academia, KEN
};

TEST_F(CdcNotificationsTest, ListsCountsAndMarksAReplyRead) {
  RepliedComment();
  const std::vector<v1::Notification> inbox = Inbox(member_);
  const v1::Notification reply = ReplyNotification();
  ASSERT_FALSE(reply.name().empty());
  const int unread = Unread(member_);
  ASSERT_GE(unread, 1);

  EXPECT_EQ(Ok(member_, {"notification", "unread"}),
            absl::StrCat(unread, "\n"));
  const std::string list = Ok(member_, {"notification", "list"});
  const std::vector<std::string> lines = Lines(list);
  ASSERT_THAT(lines, SizeIs(inbox.size() + 1));
  EXPECT_THAT(lines[0], MatchesRegex("NEW +TIME +TYPE +SUMMARY +NAME"));
  EXPECT_THAT(
      list,
      ContainsRegex(absl::StrCat(
          "\n\\* +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +comment-replied +",
          "bo@example\\.org replied to your comment +", Literal(reply.name()),
          "\n")));
  // Newest first, as the server lists them; every page.
  for (size_t i = 0; i < inbox.size(); ++i) {
    EXPECT_THAT(lines[i + 1], HasSubstr(inbox[i].name())) << i;
  }
  EXPECT_EQ(Ok(member_, {"notification", "list", "--page_size", "1"}), list);
  v1::ListNotificationsResponse json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  Ok(member_, {"--json", "notification", "list"}), &json)
                  .ok());
  ASSERT_EQ(json.notifications_size(), static_cast<int>(inbox.size()));
  EXPECT_EQ(json.notifications(0).name(), inbox[0].name());
  EXPECT_THAT(Ok(member_, {"notification", "list", "--unread"}),
              HasSubstr(reply.name()));

  EXPECT_THAT(
      Ok(member_, {"notification", "read", reply.name()}),
      AllOf(StartsWith(absl::StrCat("name:     ", reply.name(), "\n")),
            HasSubstr("\ntype:     comment-replied\n"),
            HasSubstr("\nby:       bo@example.org (" + MemberOf(bo_) + ")\n"),
            HasSubstr("\nread:     yes\n")));
  EXPECT_EQ(Unread(member_), unread - 1);
  EXPECT_EQ(Ok(member_, {"notification", "unread"}),
            absl::StrCat(unread - 1, "\n"));
  EXPECT_THAT(Ok(member_, {"notification", "list", "--unread"}),
              Not(HasSubstr(reply.name())));
  EXPECT_THAT(Ok(member_, {"notification", "list"}),
              ContainsRegex("\n- +[^\n]+ +" + Literal(reply.name()) + "\n"));

  // Up to the oldest: the newer ones stay unread; then all of them.
  const std::string oldest = inbox.back().name();
  EXPECT_EQ(
      Ok(member_, {"notification", "read-all", "--up_to", oldest}),
      absl::StrCat("marked every notification up to ", oldest, " read\n"));
  EXPECT_EQ(Ok(member_, {"notification", "read-all"}),
            "marked every notification read\n");
  EXPECT_EQ(Ok(member_, {"notification", "unread"}), "0\n");
  EXPECT_EQ(Ok(member_, {"notification", "list", "--unread"}),
            "no notifications\n");

  // Another member's notification is not in the caller's inbox.
  EXPECT_THAT(Fails(bo_, {"notification", "read", reply.name()}, 1),
              StartsWith("cdc: NOT_FOUND: "));
}

TEST_F(CdcNotificationsTest, FollowsASectionAndAThreadAndUnfollowsThem) {
  const std::string section = Section("privacy");
  absl::StatusOr<v1::Comment> comment =
      Comment(bo_, Section("principles"), "Principles first.");
  ASSERT_THAT(comment, IsOk());

  EXPECT_THAT(Ok(member_, {"follow", section}),
              AllOf(StartsWith("name:    " + MemberOf(member_) + "/follows/"),
                    HasSubstr("\ntarget:  " + section + "\n"),
                    HasSubstr("\ntitle:   Privacy\n")));
  EXPECT_THAT(Ok(member_, {"follow", comment->name()}),
              HasSubstr("\ntitle:   Principles first.\n"));
  std::string follows = Ok(member_, {"follows"});
  EXPECT_THAT(Lines(follows), SizeIs(3));
  EXPECT_THAT(follows,
              AllOf(StartsWith("TARGET "),
                    ContainsRegex("\n" + Literal(section) + " +Privacy +"),
                    HasSubstr("\n" + comment->name() + " ")));

  EXPECT_EQ(Ok(member_, {"unfollow", section}),
            "not following " + section + "\n");
  follows = Ok(member_, {"follows"});
  EXPECT_THAT(follows,
              AllOf(Not(HasSubstr(section)), HasSubstr(comment->name())));
  Ok(member_, {"unfollow", comment->name()});
  EXPECT_EQ(Ok(member_, {"follows"}), "no follows\n");

  EXPECT_THAT(Fails(member_, {"follow", "consultations/cph"}, 1),
              StartsWith("cdc: INVALID_ARGUMENT: "));
  EXPECT_THAT(Fails(member_, {"follow", Section("nowhere")}, 1),
              StartsWith("cdc: NOT_FOUND: "));
}

TEST_F(CdcNotificationsTest, TurnsEventTypesOffAndOnAgain) {
  EXPECT_THAT(Ok(member_, {"notification", "prefs"}),
              AllOf(StartsWith("name:     " + MemberOf(member_) +
                               "/notificationPreferences\n"),
                    ContainsRegex("\nEVENT TYPE +NOTIFIES YOU\n"),
                    ContainsRegex("\ncomment-replied +on\n"),
                    ContainsRegex("\ncomment-endorsed +on\n")));

  EXPECT_THAT(Ok(member_, {"notification", "prefs", "--off",
                           "COMMENT_REPLIED,EVENT_TYPE_COMMENT_ENDORSED"}),
              AllOf(ContainsRegex("\ncomment-replied +off\n"),
                    ContainsRegex("\ncomment-endorsed +off\n"),
                    ContainsRegex("\ndisposition-set +on\n")));
  // Stored: the server says so too.
  v1::GetPreferencesRequest get;
  absl::StatusOr<v1::NotificationPreferences> stored =
      CallN<v1::GetPreferencesRequest, v1::NotificationPreferences>(
          &v1::NotificationsService::Stub::GetPreferences, get, member_);
  ASSERT_THAT(stored, IsOk());
  for (const auto& setting : stored->event_types()) {
    EXPECT_EQ(setting.enabled(),
              setting.event_type() != v1::EVENT_TYPE_COMMENT_REPLIED &&
                  setting.event_type() != v1::EVENT_TYPE_COMMENT_ENDORSED)
        << v1::EventType_Name(setting.event_type());
  }

  v1::NotificationPreferences json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  Ok(member_, {"--json", "notification", "prefs", "--on",
                               "comment-replied"}),
                  &json)
                  .ok());
  EXPECT_EQ(json.name(), stored->name());
  EXPECT_NE(json.etag(), stored->etag());
  EXPECT_THAT(Ok(member_, {"notification", "prefs"}),
              AllOf(ContainsRegex("\ncomment-replied +on\n"),
                    ContainsRegex("\ncomment-endorsed +off\n")));

  // Decisions about one's own account cannot be turned off: the server's
  // answer.
  EXPECT_THAT(
      Fails(member_, {"notification", "prefs", "--off", "member-approved"}, 1),
      StartsWith("cdc: INVALID_ARGUMENT: "));
  EXPECT_THAT(
      Fails(member_, {"notification", "prefs", "--off", "comment-rplied"}, 2),
      StartsWith("cdc: --off: unknown value \"comment-rplied\"; one of: "
                 "member-applied, member-approved, "));
  EXPECT_THAT(Fails(member_,
                    {"notification", "prefs", "--off", "comment-replied",
                     "--on", "COMMENT_REPLIED"},
                    2),
              StartsWith("cdc: comment-replied is given to both --off and "
                         "--on\n"));
}

TEST_F(CdcNotificationsTest, EventsPrintJsonLinesThatResumeFromTheirCursor) {
  const std::vector<std::string> first_two =
      Lines(Ok(secretariat_token_,
               {"events", "--earliest", "--limit", "2", "--format", "jsonl"}));
  ASSERT_THAT(first_two, SizeIs(2));
  const v1::WatchEventsResponse first = EventItem(first_two[0]);
  const v1::WatchEventsResponse second = EventItem(first_two[1]);
  EXPECT_NE(first.event().id(), second.event().id());

  // Resuming after the first gives the second.
  const std::vector<std::string> resumed =
      Lines(Ok(secretariat_token_, {"events", "--cursor", first.cursor(),
                                    "--limit", "1", "--format", "jsonl"}));
  ASSERT_THAT(resumed, SizeIs(1));
  EXPECT_EQ(EventItem(resumed[0]).event().id(), second.event().id());

  // Text: time, id, type, consultation, actor, cursor.
  const std::vector<std::string> text =
      Lines(Ok(secretariat_token_, {"events", "--earliest", "--limit", "1"}));
  ASSERT_THAT(text, SizeIs(1));
  const std::vector<std::string> columns = absl::StrSplit(text[0], "  ");
  ASSERT_THAT(columns, SizeIs(6)) << text[0];
  EXPECT_THAT(columns[0], MatchesRegex("[0-9-]{10}T[0-9:]{8}Z"));
  EXPECT_EQ(columns[1], first.event().id());
  EXPECT_THAT(columns[2], MatchesRegex("[a-z-]+"));
  EXPECT_EQ(columns[5], first.cursor());

  // Filters: one consultation (by its id) and one type.
  const std::vector<std::string> opened = Lines(
      Ok(secretariat_token_, {"events", "--earliest", "--consultation", "cph",
                              "--type", "round-opened,EVENT_TYPE_ROUND_CLOSED",
                              "--limit", "1", "--format", "jsonl"}));
  ASSERT_THAT(opened, SizeIs(1));
  const v1::WatchEventsResponse round = EventItem(opened[0]);
  EXPECT_TRUE(round.event().has_round_opened()) << opened[0];
  EXPECT_EQ(round.event().consultation(), "consultations/cph");
  const std::vector<std::string> opened_text =
      Lines(Ok(secretariat_token_, {"events", "--cursor", first.cursor(),
                                    "--consultation", "consultations/cph",
                                    "--type", "round-opened", "--limit", "1"}));
  ASSERT_THAT(opened_text, SizeIs(1));
  EXPECT_THAT(opened_text[0],
              HasSubstr(absl::StrCat("  ", round.event().id(),
                                     "  round-opened  consultations/cph  ",
                                     secretariat_, "  ")));

  // Stream errors: the server's code, exit status 1.
  EXPECT_THAT(Fails(member_, {"events", "--limit", "1"}, 1),
              StartsWith("cdc: PERMISSION_DENIED: "));
  EXPECT_THAT(Fails(secretariat_token_, {"events", "--cursor", "bogus"}, 1),
              StartsWith("cdc: INVALID_ARGUMENT: "));
}

TEST_F(CdcNotificationsTest, WatchPrintsANotificationAsItArrives) {
  const v1::Comment comment = RepliedComment();
  ASSERT_FALSE(comment.name().empty());
  // Every broadcast is in the inbox before the stream opens.
  ASSERT_GE(Unread(member_), 2);

  std::future<CdcRun> watch = std::async(std::launch::async, [&] {
    return Cdc(member_, {"notification", "watch", "--limit", "1"});
  });
  EXPECT_TRUE(WaitFor([&] {
    return replica_->hub.open_streams() > 0 ||
           watch.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }));
  EXPECT_THAT(Reply(bo_, comment.name(), "Live."), IsOk());
  if (watch.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    replica_.reset();  // ends the stream, so that cdc exits
    watch.wait();
    FAIL() << "cdc notification watch printed nothing in 10 s";
  }
  const CdcRun run = watch.get();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  const v1::Notification live = Inbox(member_).front();
  EXPECT_EQ(live.event_type(), v1::EVENT_TYPE_COMMENT_REPLIED);
  EXPECT_THAT(run.out, MatchesRegex(absl::StrCat(
                           "\\*  [0-9-]{10}T[0-9:]{8}Z  comment-replied  "
                           "bo@example\\.org replied to your comment  ",
                           Literal(live.name()), "\n")));

  // From --last_seen: what came after it, at once; as JSON with --json.
  const std::vector<v1::Notification> inbox = Inbox(member_);
  ASSERT_GE(inbox.size(), 2u);
  EXPECT_THAT(
      Ok(member_, {"notification", "watch", "--last_seen", inbox[1].name(),
                   "--limit", "1"}),
      MatchesRegex(absl::StrCat(".*  ", Literal(inbox[0].name()), "\n")));
  const std::string json =
      Ok(member_, {"--json", "notification", "watch", "--last_seen",
                   inbox[1].name(), "--limit", "1"});
  ASSERT_THAT(Lines(json), SizeIs(1));
  v1::Notification parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok())
      << json;
  EXPECT_EQ(parsed.name(), inbox[0].name());

  // A stream the server refuses: its code, exit status 1.
  EXPECT_THAT(Fails(member_,
                    {"notification", "watch", "--last_seen",
                     MemberOf(bo_) + "/notifications/1"},
                    1),
              StartsWith("cdc: INVALID_ARGUMENT: "));
}

TEST_F(CdcNotificationsTest, BadCommandLinesAreUsageErrors) {
  EXPECT_THAT(Fails(member_, {"notification"}, 2),
              StartsWith("cdc: `cdc notification` needs a command: list, "
                         "unread, read, read-all, prefs, watch\n"));
  EXPECT_THAT(Fails(member_, {"notification", "delete"}, 2),
              HasSubstr("unknown command \"notification delete\""));
  EXPECT_THAT(Fails(member_, {"notification", "read"}, 2),
              StartsWith("cdc: missing argument\nusage: cdc notification read "
                         "NOTIFICATION\n"));
  EXPECT_THAT(Fails(member_, {"notification", "read", "12"}, 2),
              StartsWith("cdc: \"12\" is not a notification name; give "
                         "members/<member>/notifications/<n>"));
  EXPECT_THAT(Fails(member_, {"notification", "read-all", "--up_to", "x/y"}, 2),
              StartsWith("cdc: --up_to: \"x/y\" is not a notification name"));
  EXPECT_THAT(Fails(member_, {"notification", "list", "--page_size", "500"}, 2),
              StartsWith("cdc: --page_size must be 1 to 200\n"));
  EXPECT_THAT(Fails(member_, {"notification", "list", "--limit", "1"}, 2),
              StartsWith("cdc: --limit does not apply to `cdc notification "
                         "list`\nusage: cdc notification list [--unread] "
                         "[--page_size N]\n"));
  EXPECT_THAT(Fails(member_, {"notification", "watch", "--unread"}, 2),
              HasSubstr("--unread does not apply"));
  EXPECT_THAT(Fails(member_, {"notification", "unread", "now"}, 2),
              StartsWith("cdc: too many arguments\n"));
  EXPECT_THAT(Fails(member_, {"notification", "list", "--bogus"}, 2),
              StartsWith("cdc: unknown flag --bogus\n"));
  EXPECT_THAT(Fails(member_, {"follow"}, 2),
              StartsWith("cdc: missing argument\nusage: cdc follow TARGET\n"));
  EXPECT_THAT(Fails(member_, {"unfollow", "privacy"}, 2),
              StartsWith("cdc: \"privacy\" is not a target; "));
  EXPECT_THAT(Fails(member_, {"follows", "--title", "x"}, 2),
              HasSubstr("--title does not apply to `cdc follows`"));

  EXPECT_THAT(
      Fails(secretariat_token_, {"events", "--format", "csv"}, 2),
      StartsWith("cdc: --format: unknown value \"csv\"; one of: text, jsonl\n"
                 "usage: cdc events "));
  EXPECT_THAT(
      Fails(secretariat_token_, {"events", "--earliest", "--cursor", "c"}, 2),
      StartsWith("cdc: give --cursor or --earliest, not both\n"));
  EXPECT_THAT(Fails(secretariat_token_, {"events", "--type", "replied"}, 2),
              StartsWith("cdc: --type: unknown value \"replied\"; one of: "));
  EXPECT_THAT(Fails(secretariat_token_, {"events", "--consultation", "a/b"}, 2),
              HasSubstr("is not a consultations name"));
  EXPECT_THAT(Fails(secretariat_token_, {"events", "--limit", "-1"}, 2),
              StartsWith("cdc: --limit must be 1 or more\n"));
  EXPECT_THAT(
      Fails(secretariat_token_,
            {"events", "--type", "round-opened", "--type", "round-closed"}, 2),
      StartsWith("cdc: --type is given more than once; give a list "
                 "as one comma-separated value\n"));
  EXPECT_THAT(Fails(secretariat_token_, {"events", "--limit", "two"}, 2),
              StartsWith("cdc: --limit: "));
}

}  // namespace
}  // namespace cdc::cli
