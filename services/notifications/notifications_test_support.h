// Test support for cdc-notifications: real cdc-members, cdc-consultations
// and cdc-comments (CommentsServerTest) and one or more real
// cdc-notifications replicas on loopback, all over the same real Redis.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cdc/v1/notifications.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/comments/comments_test_support.h"
#include "services/common/keys.h"
#include "services/common/server.h"
#include "services/common/status.h"
#include "services/common/status_matchers.h"
#include "services/notifications/live_hub.h"
#include "services/notifications/notifications_service.h"
#include "services/notifications/notifications_store.h"
#include "services/notifications/notifier.h"

namespace cdc::notifications::testing {

// Fast timings, so that tests wait tens of milliseconds, not seconds.
inline LiveHub::Options FastHub() {
  LiveHub::Options options;
  options.heartbeat_interval = absl::Milliseconds(300);
  options.stall_timeout = absl::Milliseconds(500);
  options.watch_poll = absl::Milliseconds(100);
  options.recheck_interval = absl::Milliseconds(300);
  options.retention_check_interval = absl::Milliseconds(300);
  return options;
}

inline EventConsumer::Options FastConsumer(const std::string& name) {
  EventConsumer::Options options;  // the group is the Notifier's
  options.name = name;
  options.block = absl::Milliseconds(100);
  options.claim_idle = absl::Milliseconds(300);
  options.claim_interval = absl::Milliseconds(100);
  return options;
}

// One cdc-notifications process: store, live hub, service, server and,
// when `consume`, its notifier consuming the events.
struct Replica {
  Replica(RedisClient* redis, const RedisOptions& redis_options,
          Authenticator* authenticator,
          std::shared_ptr<grpc::Channel> consultations,
          std::shared_ptr<grpc::Channel> comments,
          std::shared_ptr<grpc::Channel> community, const Clock& clock,
          const std::string& name, bool consume,
          LiveHub::Options hub_options = FastHub(),
          NotificationsStore::Options store_options = {})
      : store(redis, store_options),
        hub(&store, authenticator, redis_options, hub_options),
        service(&store, &hub, authenticator, std::move(consultations),
                std::move(comments), std::move(community), clock),
        notifier(&store, redis, redis_options, FastConsumer(name)),
        host(ServerOptions{.listen_address = "127.0.0.1:0"}, redis) {
    host.AddService(&service, v1::NotificationsService::service_full_name());
    EXPECT_THAT(host.Start(), cdc::testing::IsOk());
    stub = v1::NotificationsService::NewStub(grpc::CreateChannel(
        host.address(), grpc::InsecureChannelCredentials()));
    if (consume) notifier.Start();
  }
  ~Replica() {
    notifier.Stop();
    hub.Shutdown();
    host.Shutdown();
  }

  NotificationsStore store;
  LiveHub hub;
  NotificationsService service;
  Notifier notifier;
  ServiceHost host;
  std::unique_ptr<v1::NotificationsService::Stub> stub;
};

// The notifications fixture over any fixture derived from
// CommentsServerTest: NotificationsServerTest (below) for cdc-notifications'
// own tests, and over CommunityServerTest when cdc-community runs too
// (community_notifications_test.cc). Starts one consuming replica.
template <typename Base>
class NotificationsFixture : public Base {
 protected:
  using Base::As;
  using Base::authenticator_;
  using Base::clock_;
  using Base::community_address_;
  using Base::host_c_;
  using Base::host_k_;
  using Base::member_names_;
  using Base::redis;
  using Base::redis_options;

  void SetUp() override {
    Base::SetUp();
    if (::testing::Test::HasFatalFailure()) return;
    replica_ = NewReplica("replica-a", /*consume=*/true);
    n_ = replica_->stub.get();
  }

  void TearDown() override {
    replica_.reset();
    Base::TearDown();
  }

  std::unique_ptr<Replica> NewReplica(
      const std::string& name, bool consume,
      LiveHub::Options hub_options = FastHub(),
      NotificationsStore::Options store_options = {}) {
    return std::make_unique<Replica>(
        &redis(), redis_options(), authenticator_.get(),
        grpc::CreateChannel(host_c_->address(),
                            grpc::InsecureChannelCredentials()),
        grpc::CreateChannel(host_k_->address(),
                            grpc::InsecureChannelCredentials()),
        // cdc-community, when a subclass starts it there.
        grpc::CreateChannel(community_address_,
                            grpc::InsecureChannelCredentials()),
        clock_, name, consume, hub_options, store_options);
  }

  // Polls `done` every 20 ms for up to 10 s.
  static bool WaitFor(const std::function<bool()>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return done();
  }

  // Waits until every consumer group (notifications', and community's when
  // it runs) has read and acknowledged every event. The notifier creates
  // its group from its own thread: until that group exists on every shard,
  // an event written earlier is not yet counted anywhere.
  void Settle() {
    ASSERT_TRUE(WaitFor([&] {
      for (int shard = 0; shard < kShardCount; ++shard) {
        auto groups =
            redis().Command({"XINFO", "GROUPS", EventStreamKey(shard)});
        if (!groups.ok()) return false;
        bool notifier_group = false;
        for (const RedisReply& group : groups->elements) {
          const auto& fields = group.elements;
          for (size_t i = 0; i + 1 < fields.size(); i += 2) {
            if (fields[i].str == "name" &&
                fields[i + 1].str == kConsumerGroup) {
              notifier_group = true;
            }
            if ((fields[i].str == "pending" || fields[i].str == "lag") &&
                !(fields[i + 1].type == RedisReply::Type::kInteger &&
                  fields[i + 1].integer == 0)) {
              return false;
            }
          }
        }
        if (!notifier_group) return false;
      }
      return true;
    })) << "the consumer groups did not catch up";
  }

  // Calls `method` on the notifications stub of `stub` as `token`.
  template <typename Request, typename Response, typename Method>
  absl::StatusOr<Response> CallN(
      Method method, const Request& request, const std::string& token,
      v1::NotificationsService::Stub* stub = nullptr) {
    Response response;
    grpc::Status status =
        ((stub ? stub : n_)->*method)(As(token).get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  // Every notification of `token`'s inbox, newest first (all pages).
  std::vector<v1::Notification> Inbox(const std::string& token,
                                      bool unread_only = false) {
    std::vector<v1::Notification> out;
    v1::ListNotificationsRequest request;
    request.set_unread_only(unread_only);
    request.set_page_size(7);  // several pages in most tests
    do {
      auto page =
          CallN<v1::ListNotificationsRequest, v1::ListNotificationsResponse>(
              &v1::NotificationsService::Stub::ListNotifications, request,
              token);
      EXPECT_THAT(page, cdc::testing::IsOk());
      if (!page.ok()) break;
      for (const auto& n : page->notifications()) out.push_back(n);
      request.set_page_token(page->next_page_token());
    } while (!request.page_token().empty());
    return out;
  }

  // The event types of Inbox(token), oldest first.
  std::vector<v1::EventType> Types(const std::string& token) {
    std::vector<v1::EventType> types;
    for (const auto& n : Inbox(token))
      types.insert(types.begin(), n.event_type());
    return types;
  }

  // How many notifications of `type` the inbox holds.
  int Count(const std::string& token, v1::EventType type) {
    int count = 0;
    for (v1::EventType t : Types(token)) count += t == type;
    return count;
  }

  int32_t Unread(const std::string& token) {
    auto count = CallN<v1::GetUnreadCountRequest, v1::GetUnreadCountResponse>(
        &v1::NotificationsService::Stub::GetUnreadCount,
        v1::GetUnreadCountRequest(), token);
    EXPECT_THAT(count, cdc::testing::IsOk());
    return count.ok() ? count->unread_count() : -1;
  }

  absl::StatusOr<v1::FollowedTarget> FollowTarget(const std::string& token,
                                                  const std::string& target) {
    v1::FollowRequest request;
    request.set_target(target);
    return CallN<v1::FollowRequest, v1::FollowedTarget>(
        &v1::NotificationsService::Stub::Follow, request, token);
  }

  std::string MemberOf(const std::string& token) {
    return member_names_[token];
  }

  // Reads Subscribe responses.
  struct Stream {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader;

    // The next `n` notifications (heartbeats skipped); fewer when the
    // stream ends first.
    std::vector<v1::Notification> Next(int n) {
      std::vector<v1::Notification> out;
      v1::SubscribeResponse response;
      while (static_cast<int>(out.size()) < n && reader->Read(&response)) {
        if (response.has_notification()) out.push_back(response.notification());
      }
      return out;
    }
  };

  Stream Subscribe(const std::string& token, const std::string& last_seen = "",
                   v1::NotificationsService::Stub* stub = nullptr,
                   const std::string& parent = "") {
    Stream stream;
    stream.context = As(token);
    v1::SubscribeRequest request;
    request.set_last_seen(last_seen);
    request.set_parent(parent);
    stream.reader =
        (stub ? stub : n_)->Subscribe(stream.context.get(), request);
    return stream;
  }

  std::unique_ptr<Replica> replica_;
  v1::NotificationsService::Stub* n_ = nullptr;  // replica_'s
};

// A class, not an alias, so that subclasses can name it.
class NotificationsServerTest
    : public NotificationsFixture<comments::testing::CommentsServerTest> {};

}  // namespace cdc::notifications::testing
