#include "services/notifications/notifier.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/strip.h"
#include "services/common/status_macros.h"
#include "services/notifications/routing.h"

namespace cdc::notifications {
namespace {

// "members/abc" -> "abc".
std::string MemberId(absl::string_view name) {
  return std::string(absl::StripPrefix(name, "members/"));
}

EventConsumer::Options WithGroup(EventConsumer::Options options,
                                 RedisClient* redis) {
  options.group = std::string(kConsumerGroup);
  // Wakes the event feeds (WatchEvents) of every replica once per batch; a
  // lost hint only delays them to their next poll.
  options.after_batch = [redis] {
    (void)redis->Command({"PUBLISH", std::string(kEventsChannel), "1"});
  };
  return options;
}

}  // namespace

Notifier::Notifier(NotificationsStore* store, RedisClient* redis,
                   const RedisOptions& redis_options,
                   EventConsumer::Options options)
    : store_(store),
      consumer_(redis, redis_options, WithGroup(std::move(options), redis),
                [this](const v1::Event& event) { return Process(event); }) {}

absl::Status Notifier::Process(const v1::Event& event) {
  const Routing routing = RouteEvent(event);
  if (routing.empty()) return absl::OkStatus();

  v1::Notification notification;
  notification.set_event_id(event.id());
  notification.set_event_type(TypeOf(event));
  notification.set_summary(routing.summary);
  notification.set_target(routing.target);
  notification.set_actor(event.actor());
  notification.set_actor_display_name(event.actor_display_name());
  *notification.mutable_create_time() = event.time();
  *notification.mutable_event() = InboxCopy(event);

  absl::flat_hash_set<std::string> not_told;
  for (const std::string& name : routing.not_told) {
    not_told.insert(MemberId(name));
  }
  std::vector<std::string> members;
  for (const std::string& name : routing.members) {
    members.push_back(MemberId(name));
  }
  // A member approved now starts reading broadcasts from now on.
  std::optional<int64_t> start_broadcasts;
  if (event.has_member_approved()) {
    CDC_ASSIGN_OR_RETURN(start_broadcasts, store_->LastBroadcast());
  }
  v1::Notification personal = notification;
  if (!routing.member_summary.empty()) {
    personal.set_summary(routing.member_summary);
  }
  CDC_RETURN_IF_ERROR(
      store_->Deliver(members, personal, start_broadcasts).status());

  // A member who follows several of the targets (a topic and a thread in
  // it) is told once: Deliver keeps one notification per event per inbox.
  for (const std::string& target : routing.follow_targets) {
    CDC_ASSIGN_OR_RETURN(std::vector<std::string> followers,
                         store_->Followers(target));
    followers.erase(std::remove_if(followers.begin(), followers.end(),
                                   [&](const std::string& id) {
                                     return not_told.contains(id);
                                   }),
                    followers.end());
    CDC_RETURN_IF_ERROR(store_->Deliver(followers, notification).status());
  }

  if (routing.broadcast != Broadcast::kNone) {
    const v1::Audience* audience =
        event.has_round_opened() ? &event.round_opened().audience() : nullptr;
    CDC_RETURN_IF_ERROR(store_->AddBroadcast(notification, routing.broadcast,
                                             routing.consultation, audience));
  }
  return absl::OkStatus();
}

}  // namespace cdc::notifications
