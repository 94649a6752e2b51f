// Who hears of a domain event, decided from the event alone.
//
// RouteEvent is the one place that knows the recipient rules of
// notifications.proto. It reads nothing: every fact it needs is in the
// event (producers put the parent's author, the comment's author, the
// round's audience, ... into the event for this purpose). The consumer
// then resolves the three kinds of recipient:
//   - `members`: told personally (fan-out on write, one inbox entry each);
//   - `follow_targets`: the followers of these targets are told (fan-out on
//     write, in batches, by the consumer);
//   - `broadcast`: a whole audience is told (fan-out on read: written once,
//     copied into an inbox when its member next reads it).
// The actor is never among the recipients: the consumer drops `not_told`
// (the actor included) from followers, and broadcasts skip the actor.
#pragma once

#include <string>
#include <vector>

#include "cdc/v1/events.pb.h"

namespace cdc::notifications {

// Who a broadcast is for.
enum class Broadcast {
  kNone,
  // Every MEMBER and SECRETARIAT admitted by the audience of
  // Routing.consultation's rounds (the consumer keeps it from RoundOpened).
  kRoundAudience,
  // Every SECRETARIAT member.
  kSecretariat,
};

struct Routing {
  // "members/{id}" told personally; never the actor; no repeats.
  std::vector<std::string> members;
  // "consultations/{c}/sections/{key}", "comments/{root}",
  // "spaces/{s}/topics/{t}", "resources/{r}" or "spaces/{s}" whose
  // followers are told (each once, however many of them they follow).
  std::vector<std::string> follow_targets;
  // "members/{id}" never told, not even as followers: the actor, and the
  // author of a topic started for them.
  std::vector<std::string> not_told;
  Broadcast broadcast = Broadcast::kNone;
  // "consultations/{c}" for kRoundAudience; else empty.
  std::string consultation;
  // Notification.target: the resource the notification is about.
  std::string target;
  // Notification.summary: 1..300 characters of plain text.
  std::string summary;
  // When set, the summary for `members` (who are addressed directly, e.g.
  // "replied to your comment"), while followers read `summary`.
  std::string member_summary;

  bool empty() const {
    return members.empty() && follow_targets.empty() &&
           broadcast == Broadcast::kNone;
  }
};

// The event's type, from its payload (EVENT_TYPE_UNSPECIFIED for none).
v1::EventType TypeOf(const v1::Event& event);

// Who hears of `event`, what about, and in what words.
Routing RouteEvent(const v1::Event& event);

// What a notification keeps of `event` (Notification.event). Routing reads
// the event alone, so it cannot tell whether a follower of a space or a
// topic may still read it (removed from an invite-only space, or the space
// made invite-only, after they followed: README.md, "Not done"). So what
// an inbox keeps of a community event is names and the actor, as the
// summaries say, never its words: TopicStarted loses its tags.
v1::Event InboxCopy(const v1::Event& event);

}  // namespace cdc::notifications
