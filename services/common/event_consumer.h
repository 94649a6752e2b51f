// Reading the domain-event streams: entry and event ids, and EventConsumer,
// a consumer group over the 16 streams that hands each event to a handler.
//
// Every write appends its domain event to its shard's stream
// (EventStreamKey(k), field kEventField) in the same script. A service that
// reacts to events (cdc-notifications fills inboxes, cdc-community keeps
// comment counts) runs an EventConsumer with a group of its own: each group
// sees every event, and the replicas of one service share its group, so
// that each event is handled by one of them.
//
// Delivery is at least once: an event is acknowledged (XACK) only after its
// handler returned OK, so a handler must be idempotent.
//
// Order is kept per shard within one consumer: after a handler error that
// shard stops. Its entries this consumer holds unacknowledged (the failed
// one first) are read again (XREADGROUP ... 0) after a delay, retry_delay
// doubling per failure of the same entry up to claim_idle / 2, and handled
// in order before any new entry of that shard is read (">"); the other
// shards go on meanwhile. Events another replica read and never
// acknowledged (it died) are claimed after claim_idle (XAUTOCLAIM) and join
// the claimer's own pending entries of their shard, handled in id order.
// Replicas of one group read disjoint batches of a shard at the same time,
// so ACROSS replicas a shard's events may be handled out of order: handlers
// must not depend on it (keep sets and maxima, not sequences).
#pragma once

#include <array>
#include <atomic>
#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cdc/v1/events.pb.h"
#include "services/common/keys.h"
#include "services/common/redis.h"

namespace cdc {

// A Redis stream entry id, "<ms>-<seq>". {0, 0} is before every entry.
struct StreamId {
  uint64_t ms = 0;   // the entry's time in Unix milliseconds
  uint64_t seq = 0;  // its number within that millisecond

  friend auto operator<=>(const StreamId&, const StreamId&) = default;
  std::string ToString() const;  // "1712345678901-0"
};

// INVALID_ARGUMENT unless `text` is "<ms>-<seq>" in canonical decimal.
absl::StatusOr<StreamId> ParseStreamId(absl::string_view text);

// Event.id of the entry `id` of shard `shard`'s stream: "s3-1712345678901-0".
std::string EventId(int shard, const StreamId& id);

// The shard and entry of an Event.id; INVALID_ARGUMENT when malformed.
absl::StatusOr<std::pair<int, StreamId>> ParseEventId(absl::string_view text);

// One entry read from an event stream.
struct StreamEntry {
  int shard = 0;      // whose stream it is in
  StreamId id;        // its id in that stream
  std::string event;  // the serialized cdc.v1.Event ("" when absent)
};

// The entries of shard `shard`'s stream in `list`, a reply of XRANGE,
// XREADGROUP (one stream's part) or XAUTOCLAIM (its second element).
// Entries deleted while pending (nil) are left out. INTERNAL on an entry id
// that is not "<ms>-<seq>".
absl::StatusOr<std::vector<StreamEntry>> ParseStreamEntries(
    int shard, const RedisReply& list);

class EventConsumer final {
 public:
  // Handles one event (event.id() is set). OK acknowledges it; an error
  // leaves it pending, to be retried (up to Options::max_attempts).
  using Handler = std::function<absl::Status(const v1::Event& event)>;

  struct Options {
    std::string group;  // the consumer group: one per consuming service
    std::string name;   // unique per replica; empty: host-pid-random
    int batch = 100;    // entries per shard per read
    absl::Duration block = absl::Seconds(2);  // wait for new entries
    // An entry pending this long with any consumer of the group is taken
    // over: its consumer is presumed dead.
    absl::Duration claim_idle = absl::Seconds(30);
    absl::Duration claim_interval = absl::Seconds(5);  // how often to look
    // An event that fails this many times on one replica is logged and
    // acknowledged, so that it cannot block its shard for ever.
    int max_attempts = 10;
    // The wait before a failed event is tried again; it doubles per failure
    // of that event, up to claim_idle / 2 (so that no other replica
    // presumes this one dead while it retries).
    absl::Duration retry_delay = absl::Milliseconds(250);
    // Optional: runs on the consumer thread after each non-empty batch was
    // handled and acknowledged (cdc-notifications wakes its event feeds).
    std::function<void()> after_batch = nullptr;
  };

  // `redis` serves acknowledgements and claims; the consumer opens one
  // connection of its own from `redis_options` for its blocking reads.
  EventConsumer(RedisClient* redis, const RedisOptions& redis_options,
                Options options, Handler handler);
  ~EventConsumer();  // stops
  EventConsumer(const EventConsumer&) = delete;
  EventConsumer& operator=(const EventConsumer&) = delete;

  // Starts the consumer thread, which first creates the group on every
  // shard's stream (from the stream's start, so that no event written
  // before the first start is missed; retried while Redis is down).
  void Start();
  // Stops and joins the thread; returns within about `block`. Idempotent.
  void Stop();

  const std::string& name() const { return options_.name; }
  // Entries handled with OK (unreadable ones included) and acknowledged.
  int64_t processed() const { return processed_.load(); }

 private:
  // What the consumer knows of its part of one shard's stream; the
  // consumer thread's only.
  struct ShardState {
    // This consumer holds entries of the shard it has not acknowledged (a
    // handler failed, an XACK failed, entries were claimed, or an earlier
    // run under this name left some): they are read again and handled
    // before any new entry of the shard.
    bool backlog = true;
    absl::Time retry_at = absl::InfinitePast();  // not before
    // The entry that failed last and its failures in a row. One per shard
    // (a failure stops the shard), so the bookkeeping cannot grow.
    StreamId failed;
    int attempts = 0;
  };

  absl::Status EnsureGroups();
  // XREADGROUP of `shards` from `from`: ">" (new entries, waiting up to
  // `block`) or "0" (this consumer's pending entries, no waiting).
  absl::StatusOr<std::vector<StreamEntry>> Read(const std::vector<int>& shards,
                                                absl::string_view from,
                                                absl::Duration block);
  // Claims, without handling them, the entries of `shard` idle longer than
  // claim_idle, up to `batch` from `*start` on; `*start` becomes "0-0" when
  // the scan is complete. Returns how many were claimed.
  absl::StatusOr<size_t> ClaimIdle(int shard, std::string* start);
  absl::Status Ack(const std::vector<StreamEntry>& entries);
  absl::Status Handle(const StreamEntry& entry);
  // Handles `entries` in order and acknowledges those done. A failure
  // stops its shard for the rest of `entries` and schedules its retry.
  void HandleAndAck(const std::vector<StreamEntry>& entries);
  // Handles again the pending entries of the shards whose retry is due.
  void HandleBacklog();
  void ClaimStale();
  void Run();

  RedisClient* const redis_;
  Options options_;
  const Handler handler_;
  RedisClient blocking_;  // one connection, for XREADGROUP BLOCK
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> processed_{0};
  std::array<ShardState, kShardCount> shards_;
  std::thread thread_;
};

}  // namespace cdc
