// cdc-notifications' keyspace in Redis.
//
// A member's inbox, preferences and follows live in the member's shard
// ({sk}, k = ShardOfText(member id)), so one script updates them together:
//
//   notif:{sk}:inbox:<m>     zset    notification seq -> seq (the inbox)
//   notif:{sk}:unread:<m>    zset    the unread subset of the inbox
//   notif:{sk}:body:<m>      hash    seq -> serialized cdc.v1.Notification
//   notif:{sk}:seen:<m>      zset    event id -> seq: at most once per event
//   notif:{sk}:meta:<m>      hash    seq (last given), trimmed (highest seq
//                                    dropped by the cap), bcast (broadcasts
//                                    read up to), off (",13,22,": types
//                                    turned off), pver, pms (preferences'
//                                    version and update time)
//   notif:{sk}:follows:<m>   zset    followed target -> follow time (ms)
//   notif:{sk}:titles:<m>    hash    followed target -> its title
//
// Followers of a target live in the target's shard (k = ShardOfText(target)):
//
//   notif:{sk}:followers:<target>  set  member ids
//
// Broadcasts (events for a whole audience) are written once, in their own
// shard {bc}, and copied into an inbox when its member next reads it
// (fan-out on read; see docs/ARCHITECTURE.md):
//
//   notif:{bc}:seq          string  the last broadcast number
//   notif:{bc}:log          hash    number -> "<audience>\n<Notification>"
//   notif:{bc}:events       zset    event id -> number: at most once
//   notif:{bc}:audiences    hash    "consultations/{c}" -> its round
//                                   audience, from RoundOpened
//
// Live hints go over Pub/Sub: "notifications:live" carries the ids of
// members whose inbox grew (and, for a delivery of one notification,
// that notification and each member's number for it: see LiveHint),
// "notifications:broadcast" a new broadcast's number. The inbox is the
// record: a hint's notification is sent only as the very next number of a
// stream, and whoever can publish to Redis can write the inbox anyway.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cdc/v1/common.pb.h"
#include "cdc/v1/consultations.pb.h"
#include "cdc/v1/notifications.pb.h"
#include "services/common/event_consumer.h"
#include "services/common/redis.h"
#include "services/notifications/event_cursor.h"
#include "services/notifications/routing.h"

namespace cdc::notifications {

inline constexpr absl::string_view kLiveChannel = "notifications:live";
inline constexpr absl::string_view kBroadcastChannel =
    "notifications:broadcast";
// "The event streams grew": wakes WatchEvents streams on every replica.
inline constexpr absl::string_view kEventsChannel = "notifications:events";
// The consumer group every replica of cdc-notifications shares.
inline constexpr absl::string_view kConsumerGroup = "notifications";

// What a hint on kLiveChannel says: whose inboxes received something and,
// when the delivery gave one notification to all of them, that
// notification and each member's number for it (a stream just before
// that number can be sent it without reading it back).
struct LiveHint {
  struct Delivered {
    std::string member_id;
    int64_t seq = 0;  // 0: not given
  };
  std::vector<Delivered> members;
  std::shared_ptr<const v1::Notification> notification;  // null: not given
};

// Reads a hint: "<id>,<id>..." or "+<id>:<seq>,...\n<notification>".
LiveHint ParseLiveHint(absl::string_view message);

// One notification of an inbox.
struct InboxItem {
  int64_t seq = 0;                // its number in the inbox
  v1::Notification notification;  // name and read filled in
};

// A slice of an inbox and the inbox's counters at the time of reading.
struct InboxSlice {
  std::vector<InboxItem> items;
  int64_t last_seq = 0;         // the newest number given
  int64_t trimmed_through = 0;  // numbers up to this were dropped by the cap
  int64_t unread_count = 0;     // unread notifications in the inbox
};

// A broadcast waiting to be copied into the inboxes of its audience.
struct BroadcastEntry {
  int64_t number = 0;
  // Who it is for: kSecretariat, or kRoundAudience with the audience.
  Broadcast kind = Broadcast::kNone;
  v1::Audience audience;  // kRoundAudience: empty lists admit everyone
  v1::Notification notification;
};

struct Preferences {
  std::vector<int> disabled;  // event types turned off, ascending
  std::string etag;           // "p<version>"
  int64_t update_ms = 0;      // 0: never updated
};

struct Follow {
  std::string target;
  std::string title;
  int64_t create_ms = 0;
};

class NotificationsStore final {
 public:
  struct Options {
    int inbox_capacity = 1000;      // newest notifications kept per inbox
    int broadcast_capacity = 1000;  // newest broadcasts kept
    int max_follows = 1000;         // follows per member
  };

  NotificationsStore(RedisClient* redis, Options options);

  // ---- Written by the consumer ----

  // Adds `notification` to the inbox of each member id, except where that
  // inbox already has its event or its member turned the type off, and
  // publishes the live hint. When `init_broadcast_cursor` is set, members
  // with no broadcast position yet start at it (a new member does not
  // inherit old broadcasts). Returns the member ids that got it.
  absl::StatusOr<std::vector<std::string>> Deliver(
      const std::vector<std::string>& member_ids,
      const v1::Notification& notification,
      std::optional<int64_t> init_broadcast_cursor = std::nullopt);

  // Records a broadcast once per event. For kRoundAudience,
  // `round_audience` (from RoundOpened) is stored for the consultation and
  // later broadcasts of that consultation use the stored one.
  absl::Status AddBroadcast(const v1::Notification& notification,
                            Broadcast kind, absl::string_view consultation,
                            const v1::Audience* round_audience);

  // The newest broadcast's number (0 when none).
  absl::StatusOr<int64_t> LastBroadcast();

  // Copies the broadcasts the member has not yet read and `admits` accepts
  // into the member's inbox, and moves the member's position past them.
  // One round trip when there is nothing new.
  absl::Status CatchUpBroadcasts(
      absl::string_view member_id,
      const std::function<bool(const BroadcastEntry&)>& admits);

  // Followers of a target ("members/..." ids without the prefix).
  absl::StatusOr<std::vector<std::string>> Followers(absl::string_view target);

  // ---- Inbox ----

  // Newest first, numbers below `before` (0: from the newest).
  absl::StatusOr<InboxSlice> ListNewest(absl::string_view member_id,
                                        int64_t before, int limit,
                                        bool unread_only);
  // Oldest first, numbers above `after`.
  absl::StatusOr<InboxSlice> ListAfter(absl::string_view member_id,
                                       int64_t after, int limit);
  // ListAfter for many inboxes in one pipelined round trip (the live hub
  // serves its streams in batches): one result per read, in order. The
  // outer status fails only when the connection does.
  struct InboxRead {
    std::string member_id;
    int64_t after = 0;
    int limit = 0;
  };
  absl::StatusOr<std::vector<absl::StatusOr<InboxSlice>>> ListAfterMany(
      const std::vector<InboxRead>& reads);
  // NOT_FOUND when the number is not in the inbox.
  absl::StatusOr<InboxItem> MarkRead(absl::string_view member_id, int64_t seq);
  // Marks everything up to `up_to` read (0: everything); INVALID_ARGUMENT
  // when up_to is not in the inbox.
  absl::Status MarkAllRead(absl::string_view member_id, int64_t up_to);

  // ---- Preferences ----

  absl::StatusOr<Preferences> GetPreferences(absl::string_view member_id);
  // ABORTED when `expected_etag` is given and stale.
  absl::StatusOr<Preferences> SetPreferences(absl::string_view member_id,
                                             const std::vector<int>& disabled,
                                             absl::string_view expected_etag,
                                             int64_t now_ms);

  // ---- Follows ----

  // Returns the follow, the existing one when already followed;
  // RESOURCE_EXHAUSTED past max_follows.
  absl::StatusOr<Follow> AddFollow(absl::string_view member_id,
                                   absl::string_view target,
                                   absl::string_view title, int64_t now_ms);
  absl::Status RemoveFollow(absl::string_view member_id,
                            absl::string_view target);
  // Every follow of the member, newest first.
  absl::StatusOr<std::vector<Follow>> Follows(absl::string_view member_id);

  // ---- Event streams ----

  // Up to `count` entries of each shard after the cursor's position, in
  // one round trip.
  absl::StatusOr<std::vector<std::vector<StreamEntry>>> ReadStreams(
      const EventCursor& cursor, int count);

  // Each shard's newest entry id ({0,0} when empty).
  absl::StatusOr<EventCursor> LatestPositions();

  // OUT_OF_RANGE when some shard's stream has dropped entries after the
  // cursor's position in it.
  absl::Status CheckRetained(const EventCursor& cursor);

 private:
  RedisClient* const redis_;
  const Options options_;
};

}  // namespace cdc::notifications
