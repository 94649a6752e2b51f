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
// handler returned OK, so a handler must be idempotent. Order is kept per
// shard: after a handler error the rest of that shard's batch waits, and
// the failed event comes back first (XAUTOCLAIM, after claim_idle). Events
// another replica read and never acknowledged (it died) are claimed the
// same way.
#pragma once

#include <atomic>
#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cdc/v1/events.pb.h"
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
  absl::Status EnsureGroups();
  absl::StatusOr<std::vector<StreamEntry>> ReadNew();
  // Claims up to `batch` entries of `shard` idle longer than claim_idle,
  // from `*start` on; `*start` becomes "0-0" when the scan is complete.
  absl::StatusOr<std::vector<StreamEntry>> ClaimIdle(int shard,
                                                     std::string* start);
  absl::Status Ack(const std::vector<StreamEntry>& entries);
  absl::Status Handle(const StreamEntry& entry);
  void HandleAndAck(const std::vector<StreamEntry>& entries);
  void ClaimStale();
  void Run();

  RedisClient* const redis_;
  Options options_;
  const Handler handler_;
  RedisClient blocking_;  // one connection, for XREADGROUP BLOCK
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> processed_{0};
  // Failed attempts per event id; the consumer thread's only.
  absl::flat_hash_map<std::string, int> attempts_;
  std::thread thread_;
};

}  // namespace cdc
