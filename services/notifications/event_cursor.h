// The partner event feed's pieces that need no Redis: the opaque cursor,
// filters and what each role may see of an event. Stream entry and event
// ids are in services/common/event_consumer.h.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cdc/v1/common.pb.h"
#include "cdc/v1/events.pb.h"
#include "cdc/v1/notifications.pb.h"
#include "services/common/event_consumer.h"
#include "services/common/keys.h"

namespace cdc::notifications {

// Where a reader of all the event streams is: the last entry it has passed
// in each shard's stream.
struct EventCursor {
  std::array<StreamId, kShardCount> positions{};

  friend bool operator==(const EventCursor&, const EventCursor&) = default;
};

// Opaque, URL-safe, at most 512 characters. It carries a version and a
// checksum, so that a truncated, edited or foreign cursor (a page token, a
// cursor of another format) is refused.
std::string EncodeEventCursor(const EventCursor& cursor);

// INVALID_ARGUMENT ("cursor: ...") when `text` is not a cursor made by
// EncodeEventCursor.
absl::StatusOr<EventCursor> DecodeEventCursor(absl::string_view text);

// A WatchEvents request's filters, validated once.
struct EventFilter {
  absl::flat_hash_set<std::string> consultations;  // empty: every event
  absl::flat_hash_set<int> event_types;            // empty: every type

  bool Matches(const v1::Event& event) const;
};

// INVALID_ARGUMENT naming the field: more than 50 consultations or one not
// "consultations/{c}", more than 64 event types or an unknown or
// unspecified one.
absl::StatusOr<EventFilter> MakeEventFilter(
    const v1::WatchEventsRequest& request);

// What a caller of `role` may see of `event` on the event feed, or nothing.
// Private conversations are their participants' alone: no role ever sees
// PrivateMessageSent or a comment event whose target is a conversation (nor
// one on a target of no known kind, nor a payload this build does not
// know). Within that, SECRETARIAT sees every event unchanged (spaces and
// topics included: it moderates them); PARTNER only round events (opened,
// extended, closing soon, closed, record published), comment events on
// sections except CommentFlagged, ResourceShared and InitiativeApproved,
// with actor and actor_display_name cleared on (un)endorsements; never
// space, topic or resource-comment events; other roles nothing. The table
// is in README.md ("The partner feed").
std::optional<v1::Event> ViewForRole(const v1::Event& event, v1::Role role);

}  // namespace cdc::notifications
