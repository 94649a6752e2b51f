// Turns every domain event into notifications. A cdc::EventConsumer of the
// group "notifications" (shared by every replica) reads the streams and
// hands each event to Process: at least once from the streams, at most
// once per inbox (each inbox remembers the events it holds).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "cdc/v1/events.pb.h"
#include "services/common/event_consumer.h"
#include "services/common/redis.h"
#include "services/notifications/notifications_store.h"

namespace cdc::notifications {

class Notifier final {
 public:
  // `options.group` is replaced by kConsumerGroup. `redis` is the
  // replica's client; the consumer opens one blocking connection of its
  // own from `redis_options`.
  Notifier(NotificationsStore* store, RedisClient* redis,
           const RedisOptions& redis_options, EventConsumer::Options options);

  void Start() { consumer_.Start(); }
  void Stop() { consumer_.Stop(); }  // returns within about options.block

  // Delivers the notifications `event` causes (routing.h says to whom).
  // Safe to repeat: an inbox that has the event already is left alone.
  absl::Status Process(const v1::Event& event);

  const std::string& name() const { return consumer_.name(); }
  int64_t processed() const { return consumer_.processed(); }

 private:
  NotificationsStore* const store_;
  EventConsumer consumer_;  // last: its thread calls Process
};

}  // namespace cdc::notifications
