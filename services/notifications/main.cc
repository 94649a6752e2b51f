// cdc-notifications: consumes the domain events into inboxes, and serves
// inboxes, follows, live notification streams and the partner event feed.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/remote_authenticator.h"
#include "services/common/server.h"
#include "services/common/service_flags.h"
#include "services/notifications/live_hub.h"
#include "services/notifications/notifications_service.h"
#include "services/notifications/notifications_store.h"
#include "services/notifications/notifier.h"

ABSL_FLAG(std::string, consultations_address, "127.0.0.1:7702",
          "cdc-consultations, asked whether a section to follow exists");
ABSL_FLAG(std::string, comments_address, "127.0.0.1:7703",
          "cdc-comments, asked whether a thread to follow exists");
ABSL_FLAG(std::string, community_address, "127.0.0.1:7705",
          "cdc-community, asked whether a space, topic or resource to follow "
          "exists and is readable");
ABSL_FLAG(bool, consume, true,
          "consume the event streams (replicas share the work); false serves "
          "only the API and the streams");
ABSL_FLAG(absl::Duration, heartbeat_interval, absl::Seconds(15),
          "heartbeat after this much silence on a stream");
ABSL_FLAG(absl::Duration, claim_idle, absl::Seconds(30),
          "take over events another replica left pending this long");
ABSL_FLAG(absl::Duration, stall_timeout, absl::Seconds(30),
          "end a stream whose client leaves its buffer full this long");

int main(int argc, char** argv) {
  const cdc::ServiceSetup setup = cdc::SetUpService(
      argc, argv, "notifications", "cdc-notifications [flags]");
  cdc::RedisClient redis(setup.redis);
  cdc::RemoteAuthenticator authenticator(cdc::MembersChannelFromFlags(),
                                         cdc::Clock::Real(),
                                         cdc::AuthenticatorOptionsFromFlags());
  cdc::notifications::NotificationsStore store(&redis, {});
  cdc::notifications::LiveHub::Options live;
  live.heartbeat_interval = absl::GetFlag(FLAGS_heartbeat_interval);
  live.stall_timeout = absl::GetFlag(FLAGS_stall_timeout);
  cdc::notifications::LiveHub hub(&store, &authenticator, setup.redis, live);
  cdc::notifications::NotificationsService service(
      &store, &hub, &authenticator,
      grpc::CreateChannel(absl::GetFlag(FLAGS_consultations_address),
                          grpc::InsecureChannelCredentials()),
      grpc::CreateChannel(absl::GetFlag(FLAGS_comments_address),
                          grpc::InsecureChannelCredentials()),
      grpc::CreateChannel(absl::GetFlag(FLAGS_community_address),
                          grpc::InsecureChannelCredentials()),
      cdc::Clock::Real());
  cdc::EventConsumer::Options consuming;
  consuming.claim_idle = absl::GetFlag(FLAGS_claim_idle);
  cdc::notifications::Notifier notifier(&store, &redis, setup.redis, consuming);
  if (absl::GetFlag(FLAGS_consume)) notifier.Start();

  cdc::ServiceHost host(setup.server, &redis);
  host.AddService(&service, cdc::v1::NotificationsService::service_full_name());
  return cdc::ServeUntilTerminated("notifications", host, [&] {
    hub.Shutdown();
    notifier.Stop();
  });
}
