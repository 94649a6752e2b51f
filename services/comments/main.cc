// cdc-comments: the one messaging engine.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "services/comments/comments_service.h"
#include "services/common/clock.h"
#include "services/common/flags.h"
#include "services/common/log.h"
#include "services/common/remote_authenticator.h"
#include "services/common/server.h"
#include "services/common/service_flags.h"

ABSL_FLAG(std::string, members_address, "127.0.0.1:7701",
          "cdc-members, for checking tokens");
ABSL_FLAG(std::string, consultations_address, "127.0.0.1:7702",
          "cdc-consultations, which says who may comment on a section");
ABSL_FLAG(absl::Duration, auth_cache_ttl, absl::Seconds(5),
          "how long a checked token is trusted without asking cdc-members");
ABSL_FLAG(int64_t, event_stream_maxlen, 1'000'000,
          "approximate cap of each event stream");

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "cdc-comments: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  cdc::BlockTerminationSignals();
  cdc::ParseFlagsWithEnvironment(argc, argv, "cdc-comments [flags]");
  cdc::SetLogService("comments");

  absl::StatusOr<cdc::ServerOptions> server_options =
      cdc::ServerOptionsFromFlags();
  if (!server_options.ok()) return Fail(server_options.status());
  absl::StatusOr<cdc::RedisOptions> redis_options =
      cdc::RedisOptionsFromFlags();
  if (!redis_options.ok()) return Fail(redis_options.status());

  cdc::RedisClient redis(*redis_options);
  auto members = grpc::CreateChannel(absl::GetFlag(FLAGS_members_address),
                                     grpc::InsecureChannelCredentials());
  auto consultations =
      grpc::CreateChannel(absl::GetFlag(FLAGS_consultations_address),
                          grpc::InsecureChannelCredentials());
  cdc::RemoteAuthenticator authenticator(
      members, cdc::Clock::Real(),
      {.cache_ttl = absl::GetFlag(FLAGS_auth_cache_ttl)});
  cdc::comments::CommentsStore store(
      &redis,
      {.event_stream_maxlen = absl::GetFlag(FLAGS_event_stream_maxlen)});
  cdc::comments::CommentsService service(&store, &authenticator, consultations,
                                         members, cdc::Clock::Real());

  cdc::ServiceHost host(*server_options, &redis);
  host.AddService(&service, cdc::v1::CommentsService::service_full_name());
  if (absl::Status started = host.Start(); !started.ok()) {
    return Fail(started);
  }
  cdc::WaitForTerminationSignal();
  host.Shutdown();
  return 0;
}
