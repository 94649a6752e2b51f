// cdc-consultations: consultations, draft versions and rounds.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <cstdio>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/flags.h"
#include "services/common/log.h"
#include "services/common/remote_authenticator.h"
#include "services/common/server.h"
#include "services/common/service_flags.h"
#include "services/consultations/consultations_service.h"

ABSL_FLAG(std::string, members_address, "127.0.0.1:7701",
          "cdc-members, for checking tokens");
ABSL_FLAG(absl::Duration, auth_cache_ttl, absl::Seconds(5),
          "how long a checked token is trusted without asking cdc-members");
ABSL_FLAG(absl::Duration, schedule_interval, absl::Seconds(30),
          "how often rounds past closes_at are closed and closing-soon "
          "announced");
ABSL_FLAG(absl::Duration, closing_soon, absl::Hours(48),
          "how long before closes_at a round is announced as closing soon");
ABSL_FLAG(int64_t, event_stream_maxlen, 1'000'000,
          "approximate cap of each event stream");

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "cdc-consultations: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  cdc::BlockTerminationSignals();
  cdc::ParseFlagsWithEnvironment(argc, argv, "cdc-consultations [flags]");
  cdc::SetLogService("consultations");

  absl::StatusOr<cdc::ServerOptions> server_options =
      cdc::ServerOptionsFromFlags();
  if (!server_options.ok()) return Fail(server_options.status());
  absl::StatusOr<cdc::RedisOptions> redis_options =
      cdc::RedisOptionsFromFlags();
  if (!redis_options.ok()) return Fail(redis_options.status());
  const absl::Duration interval = absl::GetFlag(FLAGS_schedule_interval);
  if (interval <= absl::ZeroDuration()) {
    return Fail(
        absl::InvalidArgumentError("--schedule_interval: must be positive"));
  }

  cdc::RedisClient redis(*redis_options);
  auto members = grpc::CreateChannel(absl::GetFlag(FLAGS_members_address),
                                     grpc::InsecureChannelCredentials());
  cdc::RemoteAuthenticator authenticator(
      members, cdc::Clock::Real(),
      {.cache_ttl = absl::GetFlag(FLAGS_auth_cache_ttl)});
  cdc::consultations::ConsultationsStore store(
      &redis,
      {.event_stream_maxlen = absl::GetFlag(FLAGS_event_stream_maxlen)});
  cdc::consultations::ConsultationsService service(
      &store, &authenticator, members, cdc::Clock::Real(),
      {.closing_soon = absl::GetFlag(FLAGS_closing_soon)});

  cdc::ServiceHost host(*server_options, &redis);
  host.AddService(&service, cdc::v1::ConsultationsService::service_full_name());
  if (absl::Status started = host.Start(); !started.ok()) {
    return Fail(started);
  }
  // Times are the source of truth; this only writes down what the clock
  // already decided (closing) and announces what it is about to.
  absl::Notification stop;
  std::thread schedule([&] {
    while (!stop.WaitForNotificationWithTimeout(interval)) {
      absl::StatusOr<int> changes = service.KeepSchedule();
      if (!changes.ok()) {
        cdc::Log(cdc::LogLevel::kWarning, "schedule keeping failed",
                 {{"error", std::string(changes.status().message())}});
      }
    }
  });
  cdc::WaitForTerminationSignal();
  stop.Notify();
  schedule.join();
  host.Shutdown();
  return 0;
}
