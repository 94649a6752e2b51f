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
#include "services/common/log.h"
#include "services/common/remote_authenticator.h"
#include "services/common/server.h"
#include "services/common/service_flags.h"
#include "services/consultations/consultations_service.h"

ABSL_FLAG(absl::Duration, schedule_interval, absl::Seconds(30),
          "how often rounds past closes_at are closed and closing-soon "
          "announced");
ABSL_FLAG(absl::Duration, closing_soon, absl::Hours(48),
          "how long before closes_at a round is announced as closing soon");

int main(int argc, char** argv) {
  const cdc::ServiceSetup setup = cdc::SetUpService(
      argc, argv, "consultations", "cdc-consultations [flags]");
  const absl::Duration interval = absl::GetFlag(FLAGS_schedule_interval);
  if (interval <= absl::ZeroDuration()) {
    return cdc::FailService(
        "consultations", absl::InvalidArgumentError("--schedule_interval: must "
                                                    "be positive"));
  }

  cdc::RedisClient redis(setup.redis);
  auto members = cdc::MembersChannelFromFlags();
  cdc::RemoteAuthenticator authenticator(members, cdc::Clock::Real(),
                                         cdc::AuthenticatorOptionsFromFlags());
  cdc::consultations::ConsultationsStore store(
      &redis, {.event_stream_maxlen = setup.event_stream_maxlen});
  cdc::consultations::ConsultationsService service(
      &store, &authenticator, members, cdc::Clock::Real(),
      {.closing_soon = absl::GetFlag(FLAGS_closing_soon)});

  cdc::ServiceHost host(setup.server, &redis);
  host.AddService(&service, cdc::v1::ConsultationsService::service_full_name());
  if (absl::Status started = host.Start(); !started.ok()) {
    return cdc::FailService("consultations", started);
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
