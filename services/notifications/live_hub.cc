#include "services/notifications/live_hub.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/log.h"
#include "services/common/status.h"

namespace cdc::notifications {
namespace {

google::protobuf::Timestamp Now() {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(
      absl::ToUnixMillis(absl::Now()));
}

// Notifications a hint carried that may wait for one member's worker.
constexpr size_t kMaxDirectItems = 64;

std::string MemberId(absl::string_view name) {
  return std::string(absl::StripPrefix(name, "members/"));
}

}  // namespace

bool BroadcastAdmits(const v1::Principal& member, const BroadcastEntry& entry) {
  if (entry.notification.actor() == member.member()) return false;
  if (member.role() == v1::ROLE_SECRETARIAT) return true;
  if (entry.kind != Broadcast::kRoundAudience ||
      member.role() != v1::ROLE_MEMBER) {
    return false;
  }
  const auto& types = entry.audience.organisation_types();
  const auto& countries = entry.audience.countries();
  const bool type_ok =
      types.empty() || std::find(types.begin(), types.end(),
                                 member.organisation_type()) != types.end();
  const bool country_ok =
      countries.empty() || std::find(countries.begin(), countries.end(),
                                     member.country()) != countries.end();
  return type_ok && country_ok;
}

// A server stream that writes a bounded queue of messages one at a time.
// gRPC may run OnWriteDone on the thread that called StartWrite, so writes
// and Finish are started outside the lock; `writing_` makes sure only one
// thread does so at a time.
template <typename Response>
class QueuedStream : public grpc::ServerWriteReactor<Response> {
 public:
  QueuedStream(grpc::CallbackServerContext* context, int capacity)
      : context_(context), capacity_(capacity) {}

  // Free places in the queue; 0 once closed.
  int Room() const {
    absl::MutexLock lock(&mu_);
    return closed_ ? 0 : capacity_ - static_cast<int>(queue_.size());
  }

  bool closed() const {
    absl::MutexLock lock(&mu_);
    return closed_;
  }

  // When the last write completed, or the queue was last found empty.
  absl::Time last_progress() const {
    absl::MutexLock lock(&mu_);
    return queue_.empty() && !writing_ ? absl::Now() : progress_;
  }

  // When a message was last queued.
  absl::Time last_sent() const {
    absl::MutexLock lock(&mu_);
    return sent_;
  }

  // Queues a message; false when closed or full.
  bool Push(Response message) {
    {
      absl::MutexLock lock(&mu_);
      if (closed_ || static_cast<int>(queue_.size()) >= capacity_) {
        return false;
      }
      queue_.push_back(std::move(message));
      sent_ = absl::Now();
      if (writing_) return true;
      writing_ = true;
      progress_ = absl::Now();
      current_ = std::move(queue_.front());
      queue_.pop_front();
    }
    this->StartWrite(&current_);
    return true;
  }

  // Ends the stream once the write in flight (if any) is done; queued
  // messages are dropped.
  void Close(const grpc::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      if (closed_) return;
      closed_ = true;
      queue_.clear();
      if (writing_) {
        pending_finish_ = status;
        return;
      }
    }
    this->Finish(status);
  }

  // Ends a stream whose client has stopped reading. Its status cannot
  // reach a client that reads nothing (flow control holds it back like any
  // message), so the call is also cancelled: the client sees CANCELLED or,
  // if it was only slow, `status`; either way the buffer is freed. Finish
  // is held back until TryCancel has returned, so that the call (and its
  // context) cannot be done and freed under it.
  void Abort(const grpc::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      if (closed_) return;  // finishing already: the context may be gone
      closed_ = true;
      queue_.clear();
      pending_finish_ = status;
      holding_finish_ = true;
    }
    context_->TryCancel();
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      holding_finish_ = false;
      if (!writing_) {
        finish = std::move(pending_finish_);
        pending_finish_.reset();
      }
    }
    if (finish.has_value()) this->Finish(*finish);
  }

  void OnWriteDone(bool ok) override {
    std::optional<grpc::Status> finish;
    bool write = false;
    {
      absl::MutexLock lock(&mu_);
      progress_ = absl::Now();
      if (!ok && !closed_) {  // the client is gone
        closed_ = true;
        queue_.clear();
        pending_finish_ = grpc::Status::CANCELLED;
      }
      if (!queue_.empty()) {
        current_ = std::move(queue_.front());
        queue_.pop_front();
        write = true;
      } else {
        writing_ = false;
        if (!holding_finish_) {  // else Abort finishes
          finish = std::move(pending_finish_);
          pending_finish_.reset();
        }
      }
    }
    if (write) {
      this->StartWrite(&current_);
    } else if (finish.has_value()) {
      this->Finish(*finish);
    } else {
      Drained();
    }
  }

  void OnCancel() override { Close(grpc::Status::CANCELLED); }

 protected:
  // The queue has just become empty: the owner may fetch more.
  virtual void Drained() = 0;

 private:
  grpc::CallbackServerContext* const context_;
  const int capacity_;
  mutable absl::Mutex mu_;
  std::deque<Response> queue_ ABSL_GUARDED_BY(mu_);
  Response current_;  // the message being written; owned by the writer
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool holding_finish_ ABSL_GUARDED_BY(mu_) = false;  // Abort in progress
  std::optional<grpc::Status> pending_finish_ ABSL_GUARDED_BY(mu_);
  absl::Time progress_ ABSL_GUARDED_BY(mu_) = absl::Now();
  absl::Time sent_ ABSL_GUARDED_BY(mu_) = absl::Now();
};

// One Subscribe stream. Its position is touched only by the worker serving
// its member (one at a time), so it needs no lock of its own.
class LiveHub::Subscription final : public QueuedStream<v1::SubscribeResponse> {
 public:
  Subscription(LiveHub* hub, grpc::CallbackServerContext* context,
               std::string token, v1::Principal member, int64_t last_seen)
      : QueuedStream(context, hub->options_.subscribe_buffer),
        token(std::move(token)),
        member(std::move(member)),
        hub_(hub),
        member_id_(MemberId(this->member.member())),
        last_seen_(last_seen) {}

  const std::string& member_id() const { return member_id_; }
  int64_t last_seen() const { return last_seen_; }

  std::shared_ptr<Subscription> self;  // released in OnDone
  // The rest is the worker's (one at a time per member).
  const std::string token;  // checked again every recheck_interval
  v1::Principal member;     // as of the last check
  absl::Time checked = absl::Now();
  bool started = false;  // the first heartbeat is sent
  int64_t position = 0;  // the last inbox number queued
  // Whether a drained buffer should wake the member: set before the worker
  // looks at the buffer's room, and cleared only by a read that found
  // fewer notifications than there was room for, or by sending a hint's
  // notifications that all fitted (so nothing was left behind). A stream that
  // was full, or whose read was cut short by its room, reads again once the
  // client has taken what it has.
  std::atomic<bool> read_again{true};

  void OnDone() override {
    std::shared_ptr<Subscription> keep = std::move(self);
    hub_->Remove(this);
  }

 private:
  void Drained() override {
    if (read_again.load()) hub_->WakeMember(member_id_);
  }

  LiveHub* const hub_;
  const std::string member_id_;
  const int64_t last_seen_;
};

// One WatchEvents stream.
class LiveHub::Watch final : public QueuedStream<v1::WatchEventsResponse> {
 public:
  Watch(LiveHub* hub, grpc::CallbackServerContext* context, std::string token,
        v1::Role role, const EventCursor& cursor, EventFilter filter)
      : QueuedStream(context, hub->options_.watch_buffer),
        token(std::move(token)),
        role(role),
        cursor(cursor),
        filter(std::move(filter)),
        hub_(hub) {}

  std::shared_ptr<Watch> self;  // released in OnDone
  const std::string token;
  // The worker's.
  v1::Role role;  // as of the last check
  absl::Time checked = absl::Now();
  absl::Time retained_checked = absl::Now();
  EventCursor cursor;
  const EventFilter filter;
  // Scheduling, guarded by the hub's mutex.
  bool queued = false;
  bool running = false;
  bool again = false;

  void OnDone() override {
    std::shared_ptr<Watch> keep = std::move(self);
    hub_->Remove(this);
  }

 private:
  void Drained() override {
    absl::MutexLock lock(&hub_->mu_);
    for (const auto& watch : hub_->watches_) {
      if (watch.get() == this) hub_->QueueWatch(watch);
    }
  }

  LiveHub* const hub_;
};

LiveHub::LiveHub(NotificationsStore* store, Authenticator* authenticator,
                 const RedisOptions& redis, Options options)
    : store_(store), authenticator_(authenticator), options_(options) {
  for (int i = 0; i < options_.workers; ++i) {
    workers_.emplace_back([this] { Work(); });
  }
  ticker_ = std::thread([this] { Tick(); });
  hints_ = std::make_unique<RedisSubscriber>(
      redis,
      std::vector<std::string>{std::string(kLiveChannel),
                               std::string(kBroadcastChannel),
                               std::string(kEventsChannel)},
      [this](const std::string& channel, const std::string& message) {
        OnHint(channel, message);
      },
      [this] {
        absl::MutexLock lock(&mu_);
        ++broadcast_generation_;  // a broadcast hint may have been missed
        QueueEverything();
      });
}

void LiveHub::Shutdown() {
  std::vector<std::shared_ptr<Subscription>> subscriptions;
  std::vector<std::shared_ptr<Watch>> watches;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& [id, member] : members_) {
      subscriptions.insert(subscriptions.end(), member.streams.begin(),
                           member.streams.end());
    }
    watches = watches_;
  }
  const grpc::Status going(grpc::StatusCode::UNAVAILABLE,
                           "server shutting down; reconnect");
  for (auto& s : subscriptions) s->Close(going);
  for (auto& w : watches) w->Close(going);
}

LiveHub::~LiveHub() {
  Shutdown();
  hints_.reset();
  ticker_.join();
  for (std::thread& worker : workers_) worker.join();
  // Streams call back into the hub until gRPC is done with them (OnDone);
  // the server's shutdown normally sees to that before the hub goes.
  absl::MutexLock lock(&mu_);
  auto all_done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return members_.empty() && watches_.empty();
  };
  mu_.AwaitWithTimeout(absl::Condition(&all_done), absl::Seconds(10));
}

absl::StatusOr<grpc::ServerWriteReactor<v1::SubscribeResponse>*>
LiveHub::OpenSubscription(grpc::CallbackServerContext* context,
                          std::string token, const v1::Principal& member,
                          int64_t last_seen) {
  auto stream = std::make_shared<Subscription>(this, context, std::move(token),
                                               member, last_seen);
  stream->self = stream;
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    stream->self.reset();
    return absl::UnavailableError("server shutting down; reconnect");
  }
  MemberStreams& entry = members_[stream->member_id()];
  if (static_cast<int>(entry.streams.size()) >=
      options_.max_streams_per_member) {
    stream->self.reset();
    if (entry.streams.empty()) members_.erase(stream->member_id());
    return absl::ResourceExhaustedError(
        absl::StrCat("at most ", options_.max_streams_per_member,
                     " notification streams per member; close one first"));
  }
  entry.streams.push_back(stream);
  QueueMember(stream->member_id());
  // Headers now, not with the first message, so that a proxy (the gateway)
  // knows at once that the call was accepted.
  stream->StartSendInitialMetadata();
  return stream.get();
}

absl::StatusOr<grpc::ServerWriteReactor<v1::WatchEventsResponse>*>
LiveHub::OpenWatch(grpc::CallbackServerContext* context, std::string token,
                   v1::Role role, const EventCursor& cursor,
                   EventFilter filter) {
  auto watch = std::make_shared<Watch>(this, context, std::move(token), role,
                                       cursor, std::move(filter));
  watch->self = watch;
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    watch->self.reset();
    return absl::UnavailableError("server shutting down; reconnect");
  }
  watches_.push_back(watch);
  QueueWatch(watch);
  watch->StartSendInitialMetadata();
  return watch.get();
}

int LiveHub::open_streams() const {
  absl::MutexLock lock(&mu_);
  int count = static_cast<int>(watches_.size());
  for (const auto& [id, member] : members_) {
    count += static_cast<int>(member.streams.size());
  }
  return count;
}

void LiveHub::Poke() {
  absl::MutexLock lock(&mu_);
  QueueEverything();
}

void LiveHub::QueueMember(const std::string& member_id) {
  auto it = members_.find(member_id);
  if (it == members_.end() || stopping_) return;
  MemberStreams& member = it->second;
  if (member.running) {
    member.again = true;
  } else if (!member.queued) {
    member.queued = true;
    tasks_.push_back(Task{.member_id = member_id, .watch = nullptr});
  }
}

void LiveHub::QueueWatch(const std::shared_ptr<Watch>& watch) {
  if (stopping_) return;
  if (watch->running) {
    watch->again = true;
  } else if (!watch->queued) {
    watch->queued = true;
    tasks_.push_back(Task{.member_id = "", .watch = watch});
  }
}

void LiveHub::QueueEverything() {
  for (auto& [id, member] : members_) {
    member.work.must_read = true;  // hints may have been missed
    QueueMember(id);
  }
  for (const auto& watch : watches_) QueueWatch(watch);
}

void LiveHub::OnHint(const std::string& channel, const std::string& message) {
  // Parsed before taking the lock: once per delivery, not per member.
  LiveHint hint;
  if (channel == kLiveChannel) hint = ParseLiveHint(message);
  absl::MutexLock lock(&mu_);
  if (channel == kLiveChannel) {
    for (const LiveHint::Delivered& delivered : hint.members) {
      auto it = members_.find(delivered.member_id);
      if (it == members_.end()) continue;
      MemberWork& work = it->second.work;
      // Bounded: a member whose worker lags reads its inbox instead.
      if (delivered.seq > 0 && work.direct.size() < kMaxDirectItems) {
        work.direct.push_back(
            {.seq = delivered.seq, .notification = hint.notification});
      } else {
        work.must_read = true;
      }
      QueueMember(delivered.member_id);
    }
  } else if (channel == kBroadcastChannel) {
    ++broadcast_generation_;
    for (const auto& [id, member] : members_) QueueMember(id);
  } else {
    for (const auto& watch : watches_) QueueWatch(watch);
  }
}

void LiveHub::WakeMember(const std::string& member_id) {
  absl::MutexLock lock(&mu_);
  QueueMember(member_id);
}

void LiveHub::Remove(Subscription* stream) {
  absl::MutexLock lock(&mu_);
  auto it = members_.find(stream->member_id());
  if (it == members_.end()) return;
  auto& streams = it->second.streams;
  streams.erase(
      std::remove_if(streams.begin(), streams.end(),
                     [&](const auto& s) { return s.get() == stream; }),
      streams.end());
  if (streams.empty() && !it->second.running && !it->second.queued) {
    members_.erase(it);
  }
}

void LiveHub::Remove(Watch* watch) {
  absl::MutexLock lock(&mu_);
  watches_.erase(
      std::remove_if(watches_.begin(), watches_.end(),
                     [&](const auto& w) { return w.get() == watch; }),
      watches_.end());
}

void LiveHub::Work() {
  const size_t batch = static_cast<size_t>(std::max(1, options_.batch));
  for (;;) {
    std::shared_ptr<Watch> watch;
    std::vector<std::string> member_ids;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](LiveHub* hub) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return hub->stopping_ || !hub->tasks_.empty();
          },
          this));
      if (stopping_) return;
      if (tasks_.front().watch != nullptr) {
        watch = std::move(tasks_.front().watch);
        tasks_.pop_front();
        watch->queued = false;
        watch->running = true;
      } else {
        // The members queued next, up to a batch.
        while (!tasks_.empty() && tasks_.front().watch == nullptr &&
               member_ids.size() < batch) {
          std::string id = std::move(tasks_.front().member_id);
          tasks_.pop_front();
          auto it = members_.find(id);
          if (it == members_.end()) continue;
          it->second.queued = false;
          it->second.running = true;
          member_ids.push_back(std::move(id));
        }
      }
    }
    if (watch != nullptr) {
      ServeWatch(*watch);
      absl::MutexLock lock(&mu_);
      watch->running = false;
      if (watch->again && !watch->closed()) {
        watch->again = false;
        QueueWatch(watch);
      }
      continue;
    }
    if (member_ids.empty()) continue;
    ServeMembers(member_ids);
    absl::MutexLock lock(&mu_);
    for (const std::string& id : member_ids) {
      auto it = members_.find(id);
      if (it == members_.end()) continue;
      it->second.running = false;
      if (it->second.streams.empty()) {
        members_.erase(it);
      } else if (it->second.again) {
        it->second.again = false;
        QueueMember(id);
      }
    }
  }
}

// Heartbeats, stalled clients, and the watch poll.
void LiveHub::Tick() {
  const absl::Duration step =
      std::min({absl::Seconds(1), options_.heartbeat_interval / 4,
                options_.watch_poll, options_.stall_timeout / 4});
  absl::Time next_poll = absl::Now() + options_.watch_poll;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), step)) return;
    }
    const absl::Time now = absl::Now();
    std::vector<std::shared_ptr<Subscription>> subscriptions;
    std::vector<std::shared_ptr<Watch>> watches;
    {
      absl::MutexLock lock(&mu_);
      for (auto& [id, member] : members_) {
        for (auto& s : member.streams) subscriptions.push_back(s);
      }
      watches = watches_;
    }
    const grpc::Status stalled(grpc::StatusCode::RESOURCE_EXHAUSTED,
                               "client too slow; reconnect from the last item "
                               "received");
    for (auto& s : subscriptions) {
      if (s->Room() == 0 && now - s->last_progress() > options_.stall_timeout) {
        s->Abort(stalled);
      } else if (now - s->last_sent() >= options_.heartbeat_interval) {
        WakeMember(s->member_id());
      }
    }
    for (auto& w : watches) {
      if (w->Room() == 0 && now - w->last_progress() > options_.stall_timeout) {
        w->Abort(stalled);
      } else if (now >= next_poll ||
                 now - w->last_sent() >= options_.heartbeat_interval) {
        WakeWatch(w);
      }
    }
    if (now >= next_poll) next_poll = now + options_.watch_poll;
  }
}

void LiveHub::WakeWatch(const std::shared_ptr<Watch>& watch) {
  absl::MutexLock lock(&mu_);
  QueueWatch(watch);
}

std::vector<std::shared_ptr<LiveHub::Subscription>> LiveHub::PrepareMember(
    const std::string& member_id, MemberWork* work) {
  std::vector<std::shared_ptr<Subscription>> streams;
  int64_t generation = 0;
  bool catch_up = false;
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = members_.find(member_id);
    if (it == members_.end()) return streams;
    streams = it->second.streams;
    *work = std::exchange(it->second.work, MemberWork{});
    generation = broadcast_generation_;
    // Only when a broadcast was announced since the last catch-up; now and
    // then regardless, like the token re-check, in case a hint was lost.
    catch_up = it->second.caught_up_generation != generation ||
               now - it->second.caught_up_at >= options_.recheck_interval;
  }
  if (streams.empty()) return streams;
  // Tokens are checked again now and then: a revoked or expired token or a
  // suspension ends the stream, and a role change is seen by broadcasts.
  for (const auto& stream : streams) {
    if (now - stream->checked < options_.recheck_interval) continue;
    absl::StatusOr<v1::Principal> principal =
        authenticator_->Authenticate(stream->token);
    if (principal.ok()) {
      stream->member = *std::move(principal);
      stream->checked = now;
    } else if (principal.status().code() ==
               absl::StatusCode::kUnauthenticated) {
      stream->Close(ToGrpcStatus(principal.status()));
    }  // else cdc-members is unreachable: keep going, check again later
  }
  if (!catch_up) return streams;
  work->must_read = true;  // the catch-up may add to the inbox
  const v1::Principal member = streams.front()->member;
  absl::Status caught_up =
      store_->CatchUpBroadcasts(member_id, [&](const BroadcastEntry& entry) {
        return BroadcastAdmits(member, entry);
      });
  if (!caught_up.ok()) {
    Log(LogLevel::kWarning, "broadcast catch-up failed",
        {{"member", member_id}, {"error", caught_up.ToString()}});
    return streams;  // the next run tries again
  }
  absl::MutexLock lock(&mu_);
  auto it = members_.find(member_id);
  if (it != members_.end()) {
    // The generation read before the catch-up: a broadcast announced
    // meanwhile queues the member again (`again`) and is caught up then.
    it->second.caught_up_generation = generation;
    it->second.caught_up_at = now;
  }
  return streams;
}

bool LiveHub::SendDirect(Subscription& stream,
                         const std::vector<DirectItem>& direct) {
  auto next = std::find_if(direct.begin(), direct.end(), [&](const auto& item) {
    return item.seq > stream.position;
  });
  const int count = static_cast<int>(direct.end() - next);
  if (count == 0 || stream.Room() < count) return false;
  for (auto item = next; item != direct.end(); ++item) {
    if (item->seq != stream.position + 1 + (item - next)) return false;
  }
  // Nothing is left behind: a drain need not read again (decided before
  // pushing, since the pushes may drain at once).
  stream.read_again.store(false);
  for (; next != direct.end(); ++next) {
    v1::SubscribeResponse out;
    v1::Notification& notification = *out.mutable_notification();
    notification = *next->notification;
    notification.set_name(absl::StrCat("members/", stream.member_id(),
                                       "/notifications/", next->seq));
    notification.set_read(false);             // just delivered
    if (!stream.Push(std::move(out))) break;  // closed meanwhile
    stream.position = next->seq;
  }
  return true;
}

void LiveHub::ServeMembers(const std::vector<std::string>& member_ids) {
  std::vector<std::shared_ptr<Subscription>> streams;
  absl::flat_hash_map<std::string, MemberWork> works;
  for (const std::string& member_id : member_ids) {
    for (auto& stream : PrepareMember(member_id, &works[member_id])) {
      streams.push_back(std::move(stream));
    }
  }
  if (streams.empty()) return;
  // A drain from here on wakes the member again, until a read shows that
  // nothing was left behind.
  for (const auto& stream : streams) stream->read_again.store(true);

  // A new stream's first message: the unread count, and whether the replay
  // lost anything to the inbox cap.
  std::vector<Subscription*> starting;
  std::vector<NotificationsStore::InboxRead> reads;
  for (const auto& stream : streams) {
    if (stream->started || stream->Room() == 0) continue;
    starting.push_back(stream.get());
    reads.push_back({.member_id = stream->member_id(),
                     .after = std::numeric_limits<int64_t>::max(),
                     .limit = 0});
  }
  if (!starting.empty()) {
    absl::StatusOr<std::vector<absl::StatusOr<InboxSlice>>> counters =
        store_->ListAfterMany(reads);
    for (size_t i = 0; i < starting.size(); ++i) {
      Subscription& stream = *starting[i];
      const absl::StatusOr<InboxSlice>& now =
          counters.ok() ? (*counters)[i] : counters.status();
      if (!now.ok()) {
        stream.Close(ToGrpcStatus(now.status()));
        continue;
      }
      const int64_t last_seen = stream.last_seen();
      // A replay from before what the inbox keeps starts at its oldest.
      stream.position = std::max(last_seen, now->trimmed_through);
      v1::SubscribeResponse hello;
      v1::Heartbeat* heartbeat = hello.mutable_heartbeat();
      *heartbeat->mutable_time() = Now();
      heartbeat->set_unread_count(static_cast<int32_t>(now->unread_count));
      heartbeat->set_truncated(last_seen < now->trimmed_through);
      stream.Push(std::move(hello));
      stream.started = true;
    }
  }

  // What follows each stream's position, as much as its buffer has room
  // for: one pipelined round trip for the whole batch.
  std::vector<Subscription*> reading;
  std::vector<int> limits;
  reads.clear();
  for (const auto& stream : streams) {
    if (!stream->started) continue;  // its first read failed: closed
    const MemberWork& work = works[stream->member_id()];
    if (!work.must_read && SendDirect(*stream, work.direct)) continue;
    const int limit = stream->Room();
    if (limit == 0) continue;  // closed, or full: Drained() asks again
    reading.push_back(stream.get());
    limits.push_back(limit);
    reads.push_back({.member_id = stream->member_id(),
                     .after = stream->position,
                     .limit = limit});
  }
  if (reading.empty()) return;
  absl::StatusOr<std::vector<absl::StatusOr<InboxSlice>>> slices =
      store_->ListAfterMany(reads);
  if (!slices.ok()) {
    Log(LogLevel::kWarning, "inbox read failed",
        {{"members", absl::StrCat(member_ids.size())},
         {"error", slices.status().ToString()}});
    return;  // the next tick retries
  }
  for (size_t i = 0; i < reading.size(); ++i) {
    Subscription& stream = *reading[i];
    absl::StatusOr<InboxSlice>& slice = (*slices)[i];
    if (!slice.ok()) {
      Log(LogLevel::kWarning, "inbox read failed",
          {{"member", stream.member_id()},
           {"error", slice.status().ToString()}});
      continue;  // the next tick retries
    }
    if (stream.position < slice->trimmed_through) {
      // The inbox cap dropped notifications this stream had not sent yet:
      // say so rather than skip them; reconnecting reports `truncated`.
      stream.Close(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                "the stream fell behind the inbox; "
                                "reconnect with last_seen"));
      continue;
    }
    // Decided before pushing, since the pushes may drain at once: only a
    // read cut short by the room needs another one after the drain; what
    // is written later comes with its own hint.
    stream.read_again.store(static_cast<int>(slice->items.size()) == limits[i]);
    for (InboxItem& item : slice->items) {
      v1::SubscribeResponse out;
      *out.mutable_notification() = std::move(item.notification);
      if (!stream.Push(std::move(out))) break;
      stream.position = item.seq;
    }
    if (slice->items.empty() &&
        absl::Now() - stream.last_sent() >= options_.heartbeat_interval) {
      v1::SubscribeResponse beat;
      *beat.mutable_heartbeat()->mutable_time() = Now();
      beat.mutable_heartbeat()->set_unread_count(
          static_cast<int32_t>(slice->unread_count));
      stream.Push(std::move(beat));
    }
  }
}

void LiveHub::ServeWatch(Watch& watch) {
  int room = watch.Room();
  if (room == 0) return;
  const absl::Time now = absl::Now();
  if (now - watch.checked >= options_.recheck_interval) {
    absl::StatusOr<v1::Principal> principal =
        authenticator_->Authenticate(watch.token);
    if (principal.ok()) {
      watch.role = principal->role();
      watch.checked = now;
    } else if (principal.status().code() ==
               absl::StatusCode::kUnauthenticated) {
      watch.Close(ToGrpcStatus(principal.status()));
      return;
    }
    if (watch.role != v1::ROLE_PARTNER && watch.role != v1::ROLE_SECRETARIAT) {
      watch.Close(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                               "the event feed is for partner and "
                               "secretariat tokens"));
      return;
    }
  }
  if (now - watch.retained_checked >= options_.retention_check_interval) {
    absl::Status retained = store_->CheckRetained(watch.cursor);
    if (retained.code() == absl::StatusCode::kOutOfRange) {
      watch.Close(ToGrpcStatus(retained));
      return;
    }
    watch.retained_checked = now;
  }
  const int per_shard = std::max(1, std::min(room, 100));
  absl::StatusOr<std::vector<std::vector<StreamEntry>>> read =
      store_->ReadStreams(watch.cursor, per_shard);
  if (!read.ok()) {
    Log(LogLevel::kWarning, "event stream read failed",
        {{"error", read.status().ToString()}});
    return;  // the next poll retries
  }
  std::vector<StreamEntry> entries;
  bool more = false;
  for (auto& shard : *read) {
    if (static_cast<int>(shard.size()) == per_shard) more = true;
    for (auto& e : shard) entries.push_back(std::move(e));
  }
  // Interleave the shards by time; each shard keeps its own order.
  std::stable_sort(entries.begin(), entries.end(),
                   [](const StreamEntry& a, const StreamEntry& b) {
                     return a.id.ms < b.id.ms;
                   });
  bool sent = false;
  for (const StreamEntry& entry : entries) {
    if (room == 0) {
      more = true;
      break;
    }
    EventCursor next = watch.cursor;
    next.positions[entry.shard] = entry.id;
    v1::Event event;
    std::optional<v1::Event> shown;
    if (event.ParseFromString(entry.event)) {
      event.set_id(EventId(entry.shard, entry.id));
      if (watch.filter.Matches(event)) shown = ViewForRole(event, watch.role);
    }
    if (shown.has_value()) {
      v1::WatchEventsResponse out;
      *out.mutable_event() = *std::move(shown);
      out.set_cursor(EncodeEventCursor(next));
      if (!watch.Push(std::move(out))) return;
      --room;
      sent = true;
    }
    watch.cursor = next;  // passes over filtered-out events too
  }
  if (!sent && absl::Now() - watch.last_sent() >= options_.heartbeat_interval) {
    v1::WatchEventsResponse beat;
    *beat.mutable_heartbeat()->mutable_time() = Now();
    beat.set_cursor(EncodeEventCursor(watch.cursor));
    watch.Push(std::move(beat));
  }
  if (more) {
    absl::MutexLock lock(&mu_);
    for (const auto& w : watches_) {
      if (w.get() == &watch) QueueWatch(w);
    }
  }
}

}  // namespace cdc::notifications
