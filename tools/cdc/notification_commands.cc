// cdc notification list|unread|read|read-all|prefs|watch, cdc follow|
// unfollow|follows and cdc events: one function per command, and the text
// form of what cdc-notifications answers.
#include <google/protobuf/empty.pb.h>

#include <cstdio>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/status_macros.h"
#include "tools/cdc/commands.h"
#include "tools/cdc/text_output.h"

ABSL_FLAG(int, page_size, 0,
          "notification list: how many to fetch a call, 1 to 200 (default "
          "200); every page is listed");
ABSL_FLAG(std::string, up_to, "",
          "notification read-all: the newest notification to mark read "
          "(default: every one)");
ABSL_FLAG(std::vector<std::string>, off, {},
          "notification prefs: event types to turn off, e.g. "
          "comment-replied,comment-endorsed");
ABSL_FLAG(std::vector<std::string>, on, {},
          "notification prefs: event types to turn on again");
ABSL_FLAG(std::string, last_seen, "",
          "notification watch: first replay the notifications after this "
          "one");
ABSL_FLAG(std::string, cursor, "",
          "events: resume after the item this cursor came with");
ABSL_FLAG(bool, earliest, false,
          "events: start with every event the streams still keep (default: "
          "only events from now on)");

namespace cdc::cli {
namespace {

using Stub = v1::NotificationsService::Stub;
using Operands = std::vector<std::string>;

// Cells of a notification list show this much of a summary, and of a
// follow list this much of a title.
constexpr size_t kSummaryExcerptWidth = 60;
constexpr size_t kTitleExcerptWidth = 48;
// A summary is at most 300 characters; a streamed line shows all of it.
constexpr size_t kSummaryWidth = 300;

// --- Text output --------------------------------------------------------

// "*" for an unread notification, "-" for a read one.
std::string ReadMark(const v1::Notification& notification) {
  return notification.read() ? "-" : "*";
}

// "Name (members/x)", or "the system" when nobody acted.
std::string ActorText(absl::string_view actor, absl::string_view name) {
  if (actor.empty()) return "the system";
  if (name.empty()) return std::string(actor);
  return absl::StrCat(name, " (", actor, ")");
}

std::string NotificationText(const v1::Notification& notification) {
  return Fields()
      .Add("name", notification.name())
      .Add("type", EnumLabel(notification.event_type()))
      .Add("summary", notification.summary())
      .Add("about", notification.target())
      .Add("by",
           ActorText(notification.actor(), notification.actor_display_name()))
      .Add("read", notification.read() ? "yes" : "no")
      .Add("time", FormatTime(notification.create_time()))
      .Add("event", notification.event_id())
      .Format();
}

std::string NotificationListText(
    const v1::ListNotificationsResponse& response) {
  if (response.notifications().empty()) return "no notifications\n";
  Table table({"NEW", "TIME", "TYPE", "SUMMARY", "NAME"});
  for (const v1::Notification& notification : response.notifications()) {
    table.AddRow({notification.read() ? "" : "*",
                  FormatTime(notification.create_time()),
                  EnumLabel(notification.event_type()),
                  Excerpt(notification.summary(), kSummaryExcerptWidth),
                  notification.name()});
  }
  return table.Format();
}

// One streamed notification: the columns of a list row, unaligned.
std::string NotificationLine(const v1::Notification& notification) {
  return absl::StrJoin(
      {ReadMark(notification), FormatTime(notification.create_time()),
       EnumLabel(notification.event_type()),
       Excerpt(notification.summary(), kSummaryWidth), notification.name()},
      "  ");
}

// Only the number, so that `$(cdc notification unread)` works.
std::string UnreadCountText(const v1::GetUnreadCountResponse& response) {
  return absl::StrCat(response.unread_count());
}

std::string PreferencesText(const v1::NotificationPreferences& preferences) {
  std::string text = Fields()
                         .Add("name", preferences.name())
                         .Add("updated", FormatTime(preferences.update_time()))
                         .Add("etag", preferences.etag())
                         .Format();
  Table table({"EVENT TYPE", "NOTIFIES YOU"});
  for (const auto& setting : preferences.event_types()) {
    table.AddRow(
        {EnumLabel(setting.event_type()), setting.enabled() ? "on" : "off"});
  }
  absl::StrAppend(&text, "\n", table.Format());
  return text;
}

std::string FollowText(const v1::FollowedTarget& follow) {
  return Fields()
      .Add("name", follow.name())
      .Add("target", follow.target())
      .Add("title", follow.title())
      .Add("since", FormatTime(follow.create_time()))
      .Format();
}

std::string FollowListText(const v1::ListFollowsResponse& response) {
  if (response.follows().empty()) return "no follows\n";
  Table table({"TARGET", "TITLE", "SINCE"});
  for (const v1::FollowedTarget& follow : response.follows()) {
    table.AddRow({follow.target(), Excerpt(follow.title(), kTitleExcerptWidth),
                  FormatTime(follow.create_time())});
  }
  return table.Format();
}

// The kind of an event: its payload's field number is the EventType + 20
// (events.proto). Unspecified for a payload this build does not know.
v1::EventType TypeOf(const v1::Event& event) {
  const int type = static_cast<int>(event.payload_case()) - 20;
  return v1::EventType_IsValid(type) ? static_cast<v1::EventType>(type)
                                     : v1::EVENT_TYPE_UNSPECIFIED;
}

// One streamed event: time, id, type, consultation, actor and the cursor to
// resume after it.
std::string EventLine(const v1::WatchEventsResponse& response) {
  const v1::Event& event = response.event();
  const auto or_dash = [](absl::string_view value) {
    return value.empty() ? std::string("-") : std::string(value);
  };
  return absl::StrJoin({FormatTime(event.time()), or_dash(event.id()),
                        EnumLabel(TypeOf(event)), or_dash(event.consultation()),
                        or_dash(event.actor()), or_dash(response.cursor())},
                       "  ");
}

// --- Arguments ------------------------------------------------------------

// NOTIFICATION: "members/<member>/notifications/<n>", as listed. What
// names it in messages: an operand or a "--flag".
absl::StatusOr<std::string> NotificationName(absl::string_view what,
                                             absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  if (parts.size() != 4 || parts[0] != "members" || parts[1].empty() ||
      parts[2] != "notifications" || parts[3].empty()) {
    return UsageError(absl::StrCat(
        what, "\"", text,
        "\" is not a notification name; give "
        "members/<member>/notifications/<n>, as `cdc notification list` "
        "prints it"));
  }
  return std::string(text);
}

// The name in an optional notification flag, or "" when not given.
absl::StatusOr<std::string> OptionalNotification(absl::string_view flag,
                                                 const std::string& text) {
  if (text.empty()) return std::string();
  return NotificationName(absl::StrCat("--", flag, ": "), text);
}

// TARGET of follow and unfollow: a resource name such as
// consultations/x/sections/y or comments/c, checked by the server.
absl::StatusOr<std::string> FollowTarget(absl::string_view text) {
  if (!absl::StrContains(text, '/')) {
    return UsageError(
        absl::StrCat("\"", text,
                     "\" is not a target; give a resource name such as "
                     "consultations/<id>/sections/<key> or comments/<id>"));
  }
  return std::string(text);
}

// --limit: 0 (no limit) or more.
absl::StatusOr<int> LimitFlag() {
  const int limit = absl::GetFlag(FLAGS_limit);
  if (limit < 0) return UsageError("--limit must be 1 or more");
  return limit;
}

// The items of a comma-separated flag value, blanks dropped.
std::vector<std::string> ListItems(absl::string_view text) {
  return absl::StrSplit(text, ',', absl::SkipWhitespace());
}

// Event types named by `flag`, as ParseEnum reads them.
absl::StatusOr<std::vector<v1::EventType>> EventTypes(
    absl::string_view flag, const std::vector<std::string>& texts) {
  std::vector<v1::EventType> types;
  for (const std::string& text : texts) {
    CDC_ASSIGN_OR_RETURN(v1::EventType type,
                         ParseEnum<v1::EventType>(flag, text));
    types.push_back(type);
  }
  return types;
}

// --- Commands ---------------------------------------------------------------

absl::Status List(Cli& cli, const Operands&) {
  v1::ListNotificationsRequest request;
  request.set_unread_only(absl::GetFlag(FLAGS_unread));
  const int page_size = absl::GetFlag(FLAGS_page_size);
  if (page_size < 0 || page_size > 200) {
    return UsageError("--page_size must be 1 to 200");
  }
  request.set_page_size(page_size);
  return cli.ListAndPrint(&Stub::ListNotifications, request,
                          NotificationListText);
}

absl::Status Unread(Cli& cli, const Operands&) {
  return cli.CallAndPrint(&Stub::GetUnreadCount, v1::GetUnreadCountRequest(),
                          UnreadCountText);
}

absl::Status Read(Cli& cli, const Operands& operands) {
  v1::MarkNotificationReadRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_name(),
                       NotificationName("", operands[0]));
  return cli.CallAndPrint(&Stub::MarkNotificationRead, request,
                          NotificationText);
}

absl::Status ReadAll(Cli& cli, const Operands&) {
  v1::MarkAllNotificationsReadRequest request;
  CDC_ASSIGN_OR_RETURN(
      *request.mutable_up_to(),
      OptionalNotification("up_to", absl::GetFlag(FLAGS_up_to)));
  return cli.CallAndSay(&Stub::MarkAllNotificationsRead, request,
                        request.up_to().empty()
                            ? "marked every notification read"
                            : absl::StrCat("marked every notification up to ",
                                           request.up_to(), " read"));
}

absl::Status Prefs(Cli& cli, const Operands&) {
  CDC_ASSIGN_OR_RETURN(std::vector<v1::EventType> off,
                       EventTypes("off", absl::GetFlag(FLAGS_off)));
  CDC_ASSIGN_OR_RETURN(std::vector<v1::EventType> on,
                       EventTypes("on", absl::GetFlag(FLAGS_on)));
  // The setting each type named gets, in the order given.
  std::vector<std::pair<v1::EventType, bool>> changes;
  for (const auto& [types, enabled] :
       {std::pair{&off, false}, std::pair{&on, true}}) {
    for (v1::EventType type : *types) {
      auto it = absl::c_find_if(
          changes, [&](const auto& change) { return change.first == type; });
      if (it == changes.end()) {
        changes.emplace_back(type, enabled);
      } else if (it->second != enabled) {
        return UsageError(
            absl::StrCat(EnumLabel(type), " is given to both --off and --on"));
      }
    }
  }
  if (changes.empty()) {
    return cli.CallAndPrint(&Stub::GetPreferences, v1::GetPreferencesRequest(),
                            PreferencesText);
  }

  // Read, change, write back with the etag: a concurrent change is ABORTED,
  // not overwritten.
  v1::UpdatePreferencesRequest request;
  v1::NotificationPreferences& preferences = *request.mutable_preferences();
  CDC_RETURN_IF_ERROR(cli.Call(&Stub::GetPreferences,
                               v1::GetPreferencesRequest(), &preferences));
  for (const auto& [type, enabled] : changes) {
    auto& settings = *preferences.mutable_event_types();
    // A copy: clang 14 cannot capture a structured binding in a lambda.
    auto it = absl::c_find_if(settings, [wanted = type](const auto& setting) {
      return setting.event_type() == wanted;
    });
    // A type the server does not list notifies nobody; it says so.
    auto& setting = it != settings.end() ? *it : *settings.Add();
    setting.set_event_type(type);
    setting.set_enabled(enabled);
  }
  preferences.clear_update_time();
  request.mutable_update_mask()->add_paths("event_types");
  return cli.CallAndPrint(&Stub::UpdatePreferences, request, PreferencesText);
}

absl::Status Watch(Cli& cli, const Operands&) {
  v1::SubscribeRequest request;
  CDC_ASSIGN_OR_RETURN(
      *request.mutable_last_seen(),
      OptionalNotification("last_seen", absl::GetFlag(FLAGS_last_seen)));
  CDC_ASSIGN_OR_RETURN(const int limit, LimitFlag());
  int printed = 0;
  return cli.CallLiveStream(
      &Stub::Subscribe, request,
      [&](const v1::SubscribeResponse& response) -> absl::StatusOr<bool> {
        if (response.has_heartbeat()) {
          if (response.heartbeat().truncated()) {
            std::fputs(
                "cdc: the notifications right after --last_seen are no "
                "longer kept; replaying from the oldest kept\n",
                stderr);
          }
          return true;
        }
        if (!response.has_notification()) return true;  // a newer kind
        cli.PrintText(cli.json() ? Cli::JsonLine(response.notification())
                                 : NotificationLine(response.notification()));
        return limit == 0 || ++printed < limit;
      });
}

absl::Status Follow(Cli& cli, const Operands& operands) {
  v1::FollowRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_target(), FollowTarget(operands[0]));
  return cli.CallAndPrint(&Stub::Follow, request, FollowText);
}

absl::Status Unfollow(Cli& cli, const Operands& operands) {
  v1::UnfollowRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_target(), FollowTarget(operands[0]));
  return cli.CallAndSay(&Stub::Unfollow, request,
                        absl::StrCat("not following ", request.target()));
}

absl::Status Follows(Cli& cli, const Operands&) {
  return cli.ListAndPrint(&Stub::ListFollows, v1::ListFollowsRequest(),
                          FollowListText);
}

absl::Status Events(Cli& cli, const Operands&) {
  v1::WatchEventsRequest request;
  request.set_cursor(absl::GetFlag(FLAGS_cursor));
  if (absl::GetFlag(FLAGS_earliest)) {
    if (!request.cursor().empty()) {
      return UsageError("give --cursor or --earliest, not both");
    }
    request.set_start(v1::WatchEventsRequest::EARLIEST);
  }
  for (const std::string& consultation :
       ListItems(absl::GetFlag(FLAGS_consultation))) {
    CDC_ASSIGN_OR_RETURN(*request.add_consultations(),
                         ResourceName("consultations", consultation));
  }
  CDC_ASSIGN_OR_RETURN(
      std::vector<v1::EventType> types,
      EventTypes("type", ListItems(absl::GetFlag(FLAGS_type))));
  for (v1::EventType type : types) request.add_event_types(type);
  const std::string format = absl::AsciiStrToLower(absl::GetFlag(FLAGS_format));
  if (!format.empty() && format != "text" && format != "jsonl") {
    return UsageError(absl::StrCat("--format: unknown value \"",
                                   absl::GetFlag(FLAGS_format),
                                   "\"; one of: text, jsonl"));
  }
  const bool jsonl = format == "jsonl";
  CDC_ASSIGN_OR_RETURN(const int limit, LimitFlag());
  int printed = 0;
  // Heartbeats are not printed: the cursor of the last event printed
  // resumes with nothing lost and nothing repeated.
  return cli.CallLiveStream(
      &Stub::WatchEvents, request,
      [&](const v1::WatchEventsResponse& response) -> absl::StatusOr<bool> {
        if (!response.has_event()) return true;
        cli.PrintText(jsonl ? Cli::JsonLine(response) : EventLine(response));
        return limit == 0 || ++printed < limit;
      });
}

}  // namespace

std::vector<Command> NotificationCommands() {
  return {
      {"notification list",
       {},
       "[--unread] [--page_size N]",
       "lists your notifications, newest first; * marks the unread ones",
       List},
      {"notification unread",
       {},
       "",
       "prints how many of your notifications are unread",
       Unread},
      {"notification read",
       {"NOTIFICATION"},
       "",
       "marks a notification read",
       Read},
      {"notification read-all",
       {},
       "[--up_to NOTIFICATION]",
       "marks every notification read, or every one up to NOTIFICATION",
       ReadAll},
      {"notification prefs",
       {},
       "[--off TYPE,TYPE] [--on TYPE,TYPE]",
       "shows which event types notify you, after turning the ones given off "
       "or on",
       Prefs},
      {"notification watch",
       {},
       "[--last_seen NOTIFICATION] [--limit N]",
       "prints each new notification as it arrives, until interrupted; "
       "--last_seen first replays the ones after it",
       Watch},
      {"follow",
       {"TARGET"},
       "",
       "follows a section or a comment's thread, to hear of new comments on "
       "it",
       Follow},
      {"unfollow", {"TARGET"}, "", "stops following a target", Unfollow},
      {"follows", {}, "", "lists what you follow, newest first", Follows},
      {"events",
       {},
       "[--cursor C | --earliest] [--consultation C,C] [--type TYPE,TYPE] "
       "[--limit N] [--format text|jsonl]",
       "prints every domain event as it happens, with the cursor to resume "
       "after it (partners, secretariat)",
       Events},
  };
}

}  // namespace cdc::cli
