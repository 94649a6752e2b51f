// Reads every domain event with the shared consumer group and turns it into
// notifications: at least once from the streams (XREADGROUP, XACK, and
// XAUTOCLAIM for what a crashed replica left pending), at most once per
// inbox (each inbox remembers the events it holds). Replicas share the work:
// each event goes to one of them.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/common/redis.h"
#include "services/notifications/notifications_store.h"

namespace cdc::notifications {

class EventConsumer final {
 public:
  struct Options {
    std::string name;  // unique per replica; empty: host-pid-random
    int batch = 100;   // entries per shard per read
    absl::Duration block = absl::Seconds(2);  // wait for new entries
    // An entry pending this long with any replica is taken over: its
    // replica is presumed dead.
    absl::Duration claim_idle = absl::Seconds(30);
    absl::Duration claim_interval = absl::Seconds(5);  // how often to look
    // A event that fails this many times on one replica is logged and
    // acknowledged, so that it cannot block its shard for ever.
    int max_attempts = 10;
  };

  // `redis` is the replica's Redis settings; the consumer opens its own
  // connection for blocking reads.
  EventConsumer(NotificationsStore* store, RedisClient* redis,
                const RedisOptions& redis_options, Options options);
  ~EventConsumer();  // stops

  void Start();
  void Stop();  // returns within about `block`

  // Turns one stream entry into notifications. OK also for an entry that
  // cannot be read (logged and skipped, so it does not block the stream).
  absl::Status Process(const StreamEntry& entry);

  const std::string& name() const { return options_.name; }
  int64_t processed() const { return processed_.load(); }

 private:
  void Run();
  void ProcessAndAck(const std::vector<StreamEntry>& entries);
  void ClaimStale();

  NotificationsStore* const store_;
  RedisClient* const redis_;
  Options options_;
  RedisClient blocking_;  // one connection, for XREADGROUP BLOCK
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> processed_{0};
  // Failed attempts per event id; the consumer thread's only.
  absl::flat_hash_map<std::string, int> attempts_;
  std::thread thread_;
};

}  // namespace cdc::notifications
