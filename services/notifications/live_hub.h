// The live side of one replica: its open Subscribe and WatchEvents streams.
//
// Streams hold no copy of what they send. A Subscribe stream remembers the
// last inbox number it sent and a WatchEvents stream its cursor; whenever
// something may have changed (a Pub/Sub hint from any replica, a
// heartbeat tick, a resubscription after a Redis outage, room freed by the
// client) the stream is queued, and a worker reads what lies after its
// position from Redis and writes it. So a lost hint costs latency, never a
// notification, and the same read path serves the replay after a reconnect
// and live delivery: no gap and no repeat.
//
// Each stream buffers at most a bounded number of messages. Reads fetch
// only what fits (backpressure); a client that leaves the buffer full for
// `stall_timeout` is ended (RESOURCE_EXHAUSTED, or CANCELLED when it reads
// nothing at all) and resumes later from its last position. A few workers serve
// all streams, so thousands of idle streams cost no threads, and a slow client
// never holds a worker.
//
// A fan-out wakes many members at once (one hint names up to 200), so a
// worker takes up to `batch` queued members at a time and reads all their
// inboxes in one pipelined round trip. Reads that can only find nothing are
// skipped: a member catches up on broadcasts only when one was announced
// since its last catch-up (or recheck_interval passed), and a stream whose
// buffer drains is read again only when its last read was cut short by the
// buffer. And a delivery of one notification to many carries it in its
// hint with each member's number for it: a stream whose position is just
// before that number is sent it without reading anything (any gap, a full
// buffer or a broadcast catch-up falls back to the read).
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cdc/v1/common.pb.h"
#include "cdc/v1/notifications.pb.h"
#include "services/common/auth.h"
#include "services/common/redis.h"
#include "services/notifications/event_cursor.h"
#include "services/notifications/notifications_store.h"

namespace cdc::notifications {

// Whether a broadcast is for `member`: the secretariat hears every
// broadcast; MEMBER accounts hear round broadcasts whose audience admits
// their organisation type and country; nobody hears of their own act.
bool BroadcastAdmits(const v1::Principal& member, const BroadcastEntry& entry);

class LiveHub final {
 public:
  struct Options {
    absl::Duration heartbeat_interval = absl::Seconds(15);
    int subscribe_buffer = 256;  // messages queued per Subscribe stream
    int watch_buffer = 1024;     // per WatchEvents stream
    // A stream whose buffer stays full this long is ended.
    absl::Duration stall_timeout = absl::Seconds(30);
    int max_streams_per_member = 10;  // Subscribe streams on this replica
    // WatchEvents streams look at the event streams at least this often,
    // even without a hint.
    absl::Duration watch_poll = absl::Seconds(1);
    int workers = 2;
    // Queued members a worker serves together, their inbox reads in one
    // pipelined round trip.
    int batch = 64;
    // How often an open stream's token is checked again, so that a revoked
    // or expired token, a suspension or a role change ends it.
    absl::Duration recheck_interval = absl::Seconds(30);
    // How often a WatchEvents stream checks that the streams still hold
    // its position (a reader slower than trimming gets OUT_OF_RANGE).
    absl::Duration retention_check_interval = absl::Seconds(10);
  };

  LiveHub(NotificationsStore* store, Authenticator* authenticator,
          const RedisOptions& redis, Options options);
  // Shutdown, then stops the threads once gRPC is done with the streams.
  ~LiveHub();

  // Ends every open stream with UNAVAILABLE ("reconnect") and refuses new
  // ones. Call before the server's graceful shutdown, which would otherwise
  // wait for streams that never end by themselves.
  void Shutdown();
  LiveHub(const LiveHub&) = delete;
  LiveHub& operator=(const LiveHub&) = delete;

  // A Subscribe stream for `member` (already authorized), replaying after
  // inbox number `last_seen` (the service fixes it at the call: for "only new
  // ones", the newest number then). RESOURCE_EXHAUSTED when
  // the member has too many streams here.
  // `token` is the caller's, checked again every recheck_interval.
  absl::StatusOr<grpc::ServerWriteReactor<v1::SubscribeResponse>*>
  OpenSubscription(grpc::CallbackServerContext* context, std::string token,
                   const v1::Principal& member, int64_t last_seen);

  // A WatchEvents stream from `cursor`, showing what `role` may see.
  absl::StatusOr<grpc::ServerWriteReactor<v1::WatchEventsResponse>*> OpenWatch(
      grpc::CallbackServerContext* context, std::string token, v1::Role role,
      const EventCursor& cursor, EventFilter filter);

  int open_streams() const;

  // Reads and writes what is pending for every stream now (tests use it to
  // avoid waiting for a tick).
  void Poke();

 private:
  class Subscription;
  class Watch;
  // A notification a hint carried, numbered for one member.
  struct DirectItem {
    int64_t seq = 0;
    std::shared_ptr<const v1::Notification> notification;
  };
  // What a worker has to send a member's streams besides what it reads.
  struct MemberWork {
    std::vector<DirectItem> direct;  // in order of number
    bool must_read = false;          // the inbox may hold more than `direct`
  };
  struct MemberStreams {
    std::vector<std::shared_ptr<Subscription>> streams;
    MemberWork work;  // taken by the worker that serves the member
    bool queued = false;
    bool running = false;
    bool again = false;  // asked for while running: run once more
    // The hub's broadcast_generation_ at the member's last catch-up (0:
    // never), and when that was.
    int64_t caught_up_generation = 0;
    absl::Time caught_up_at = absl::InfinitePast();
  };
  struct Task {
    std::string member_id;         // a member's Subscribe streams, or
    std::shared_ptr<Watch> watch;  // one WatchEvents stream
  };

  void QueueMember(const std::string& member_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void QueueWatch(const std::shared_ptr<Watch>& watch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void QueueEverything() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnHint(const std::string& channel, const std::string& message);
  void Remove(Subscription* stream);
  void Remove(Watch* watch);
  void WakeMember(const std::string& member_id);
  void WakeWatch(const std::shared_ptr<Watch>& watch);

  void Work();
  void Tick();
  void ServeMembers(const std::vector<std::string>& member_ids);
  // Token re-checks and the broadcast catch-up of one member; returns its
  // open streams, and moves its pending work to `work`.
  std::vector<std::shared_ptr<Subscription>> PrepareMember(
      const std::string& member_id, MemberWork* work);
  // Sends `stream` the items of `direct` after its position, when they
  // follow it without a gap and fit its buffer; false (nothing sent) when
  // the stream must read its inbox instead.
  static bool SendDirect(Subscription& stream,
                         const std::vector<DirectItem>& direct);
  void ServeWatch(Watch& watch);

  NotificationsStore* const store_;
  Authenticator* const authenticator_;
  const Options options_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, MemberStreams> members_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Watch>> watches_ ABSL_GUARDED_BY(mu_);
  std::deque<Task> tasks_ ABSL_GUARDED_BY(mu_);
  // Moves on every broadcast hint and every (re)subscription to the hints
  // (hints may have been missed): members caught up at an older one catch
  // up again.
  int64_t broadcast_generation_ ABSL_GUARDED_BY(mu_) = 1;

  std::vector<std::thread> workers_;
  std::thread ticker_;
  std::unique_ptr<RedisSubscriber> hints_;  // last: starts after the rest
};

}  // namespace cdc::notifications
