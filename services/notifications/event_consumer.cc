#include "services/notifications/event_consumer.h"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cdc/v1/events.pb.h"
#include "services/common/crypto.h"
#include "services/common/keys.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"
#include "services/notifications/routing.h"

namespace cdc::notifications {
namespace {

std::string DefaultName() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, "-", getpid(), "-", RandomHex(3));
}

RedisOptions BlockingOptions(RedisOptions options, absl::Duration block) {
  options.pool_size = 1;
  options.command_timeout += block;
  return options;
}

// "members/abc" -> "abc".
std::string MemberId(absl::string_view name) {
  return std::string(absl::StripPrefix(name, "members/"));
}

}  // namespace

EventConsumer::EventConsumer(NotificationsStore* store, RedisClient* redis,
                             const RedisOptions& redis_options, Options options)
    : store_(store),
      redis_(redis),
      options_(std::move(options)),
      blocking_(BlockingOptions(redis_options, options_.block)) {
  if (options_.name.empty()) options_.name = DefaultName();
}

EventConsumer::~EventConsumer() { Stop(); }

void EventConsumer::Start() {
  thread_ = std::thread([this] { Run(); });
}

void EventConsumer::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

absl::Status EventConsumer::Process(const StreamEntry& entry) {
  v1::Event event;
  if (!event.ParseFromString(entry.event)) {
    Log(LogLevel::kError, "unreadable event skipped",
        {{"event", EventId(entry.shard, entry.id)}});
    return absl::OkStatus();
  }
  event.set_id(EventId(entry.shard, entry.id));
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
  *notification.mutable_event() = event;

  const std::string actor = MemberId(event.actor());
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

  for (const std::string& target : routing.follow_targets) {
    CDC_ASSIGN_OR_RETURN(std::vector<std::string> followers,
                         store_->Followers(target));
    followers.erase(std::remove(followers.begin(), followers.end(), actor),
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

void EventConsumer::ProcessAndAck(const std::vector<StreamEntry>& entries) {
  std::vector<StreamEntry> done;
  done.reserve(entries.size());
  // After a failure, the rest of that shard's batch waits too, so that the
  // events of one shard (one consultation's round events, say) are
  // processed in order when retried.
  bool shard_failed[kShardCount] = {};
  for (const StreamEntry& entry : entries) {
    if (shard_failed[entry.shard]) continue;
    const std::string id = EventId(entry.shard, entry.id);
    absl::Status status = Process(entry);
    if (status.ok()) {
      done.push_back(entry);
      processed_.fetch_add(1);
      attempts_.erase(id);
      continue;
    }
    if (++attempts_[id] >= options_.max_attempts) {
      // An event that keeps failing must not hold its shard back forever.
      Log(LogLevel::kError, "event given up after repeated failures",
          {{"event", id}, {"error", status.ToString()}});
      done.push_back(entry);
      attempts_.erase(id);
      continue;
    }
    // Left pending: this replica or another takes it again after
    // claim_idle, and inboxes that already got it skip it then.
    Log(LogLevel::kWarning, "event not processed; will retry",
        {{"event", id}, {"error", status.ToString()}});
    shard_failed[entry.shard] = true;
  }
  absl::Status acked = store_->Ack(done);
  if (!acked.ok()) {
    Log(LogLevel::kWarning, "ack failed; events will be retried",
        {{"error", acked.ToString()}});
  }
  // Wakes the event feeds (WatchEvents) of every replica; a lost hint only
  // delays them to their next poll.
  if (!entries.empty()) {
    (void)redis_->Command({"PUBLISH", std::string(kEventsChannel), "1"});
  }
}

void EventConsumer::ClaimStale() {
  for (int shard = 0; shard < kShardCount && !stop_.load(); ++shard) {
    std::string start = "0-0";
    do {
      absl::StatusOr<std::vector<StreamEntry>> claimed = store_->ClaimStale(
          shard, options_.name, options_.claim_idle, options_.batch, &start);
      if (!claimed.ok()) return;  // Redis trouble: the next round retries
      ProcessAndAck(*claimed);
    } while (start != "0-0" && !stop_.load());
  }
}

void EventConsumer::Run() {
  while (!stop_.load()) {
    absl::Status ready = store_->EnsureConsumerGroups();
    if (ready.ok()) break;
    Log(LogLevel::kWarning, "cannot create consumer groups; retrying",
        {{"error", ready.ToString()}});
    absl::SleepFor(absl::Milliseconds(500));
  }
  absl::Time next_claim = absl::InfinitePast();
  while (!stop_.load()) {
    if (absl::Now() >= next_claim) {
      ClaimStale();
      next_claim = absl::Now() + options_.claim_interval;
    }
    absl::StatusOr<std::vector<StreamEntry>> entries = store_->ReadNew(
        blocking_, options_.name, options_.batch, options_.block);
    if (!entries.ok()) {
      // NOGROUP after a FLUSHALL or a lost stream: make the groups again.
      if (entries.status().message().find("NOGROUP") !=
          absl::string_view::npos) {
        (void)store_->EnsureConsumerGroups();
      }
      absl::SleepFor(absl::Milliseconds(200));
      continue;
    }
    ProcessAndAck(*entries);
  }
}

}  // namespace cdc::notifications
