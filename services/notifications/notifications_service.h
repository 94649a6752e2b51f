// cdc-notifications' gRPC surface: validates, authorizes, calls the store
// (or the live hub for the two streams) and maps the status.
#pragma once

#include <grpcpp/channel.h>

#include <memory>

#include "cdc/v1/comments.grpc.pb.h"
#include "cdc/v1/community.grpc.pb.h"
#include "cdc/v1/consultations.grpc.pb.h"
#include "cdc/v1/notifications.grpc.pb.h"
#include "services/common/auth.h"
#include "services/common/clock.h"
#include "services/notifications/live_hub.h"
#include "services/notifications/notifications_store.h"

namespace cdc::notifications {

// The unary methods are synchronous; the two streams use the callback API,
// so that open streams cost no thread each.
using NotificationsServiceBase =
    v1::NotificationsService::WithCallbackMethod_Subscribe<
        v1::NotificationsService::WithCallbackMethod_WatchEvents<
            v1::NotificationsService::Service>>;

class NotificationsService final : public NotificationsServiceBase {
 public:
  // `consultations` (sections), `comments` (threads) and `community`
  // (spaces, topics, resources) are asked, with the caller's token, whether
  // a target to follow exists and is readable, and for its title.
  NotificationsService(NotificationsStore* store, LiveHub* hub,
                       Authenticator* authenticator,
                       std::shared_ptr<grpc::Channel> consultations,
                       std::shared_ptr<grpc::Channel> comments,
                       std::shared_ptr<grpc::Channel> community,
                       const Clock& clock);
  ~NotificationsService() override;

  grpc::Status ListNotifications(
      grpc::ServerContext* context, const v1::ListNotificationsRequest* request,
      v1::ListNotificationsResponse* response) override;
  grpc::Status GetUnreadCount(grpc::ServerContext* context,
                              const v1::GetUnreadCountRequest* request,
                              v1::GetUnreadCountResponse* response) override;
  grpc::Status MarkNotificationRead(
      grpc::ServerContext* context,
      const v1::MarkNotificationReadRequest* request,
      v1::Notification* response) override;
  grpc::Status MarkAllNotificationsRead(
      grpc::ServerContext* context,
      const v1::MarkAllNotificationsReadRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status GetPreferences(grpc::ServerContext* context,
                              const v1::GetPreferencesRequest* request,
                              v1::NotificationPreferences* response) override;
  grpc::Status UpdatePreferences(
      grpc::ServerContext* context, const v1::UpdatePreferencesRequest* request,
      v1::NotificationPreferences* response) override;
  grpc::Status Follow(grpc::ServerContext* context,
                      const v1::FollowRequest* request,
                      v1::FollowedTarget* response) override;
  grpc::Status Unfollow(grpc::ServerContext* context,
                        const v1::UnfollowRequest* request,
                        google::protobuf::Empty* response) override;
  grpc::Status ListFollows(grpc::ServerContext* context,
                           const v1::ListFollowsRequest* request,
                           v1::ListFollowsResponse* response) override;

  grpc::ServerWriteReactor<v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* context,
      const v1::SubscribeRequest* request) override;
  grpc::ServerWriteReactor<v1::WatchEventsResponse>* WatchEvents(
      grpc::CallbackServerContext* context,
      const v1::WatchEventsRequest* request) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cdc::notifications
