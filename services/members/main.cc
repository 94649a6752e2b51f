// cdc-members: membership, sign-in and tokens.
//
//   cdc-members [flags]             serve gRPC
//   cdc-members bootstrap --email=secretariat@example.org
//                                   create the first secretariat account (or
//                                   re-issue its token) and print the token
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/flags.h"
#include "services/common/log.h"
#include "services/common/server.h"
#include "services/common/service_flags.h"
#include "services/members/members_service.h"

ABSL_FLAG(absl::Duration, session_ttl, absl::Hours(24 * 7),
          "how long a sign-in session lasts");
ABSL_FLAG(int, argon2_memory_kib, 19 * 1024, "argon2id memory cost, KiB");
ABSL_FLAG(int, argon2_iterations, 2, "argon2id passes");
ABSL_FLAG(int64_t, event_stream_maxlen, 1'000'000,
          "approximate cap of each event stream");
ABSL_FLAG(std::string, email, "", "bootstrap: the secretariat's email");
ABSL_FLAG(std::string, display_name, "Secretariat", "bootstrap: its name");
ABSL_FLAG(std::string, bootstrap_password, "",
          "bootstrap: optional password so the account can also sign in");

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "cdc-members: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  cdc::BlockTerminationSignals();
  const std::vector<std::string> args = cdc::ParseFlagsWithEnvironment(
      argc, argv, "cdc-members [bootstrap] [flags]; see --help");
  cdc::SetLogService("members");

  absl::StatusOr<cdc::ServerOptions> server_options =
      cdc::ServerOptionsFromFlags();
  if (!server_options.ok()) return Fail(server_options.status());
  absl::StatusOr<cdc::RedisOptions> redis_options =
      cdc::RedisOptionsFromFlags();
  if (!redis_options.ok()) return Fail(redis_options.status());

  cdc::members::MembersServiceOptions options;
  options.session_ttl = absl::GetFlag(FLAGS_session_ttl);
  options.password.memory_kib = absl::GetFlag(FLAGS_argon2_memory_kib);
  options.password.iterations = absl::GetFlag(FLAGS_argon2_iterations);
  if (options.session_ttl <= absl::ZeroDuration() ||
      options.password.memory_kib < 8 || options.password.iterations < 1) {
    return Fail(absl::InvalidArgumentError(
        "--session_ttl, --argon2_memory_kib (>= 8) and --argon2_iterations "
        "(>= 1) must be positive"));
  }

  cdc::RedisClient redis(*redis_options);
  cdc::members::MembersStore store(
      &redis,
      {.event_stream_maxlen = absl::GetFlag(FLAGS_event_stream_maxlen)});
  cdc::members::MembersService service(&store, cdc::Clock::Real(), options);

  if (args.size() > 1) {
    if (args[1] != "bootstrap" || args.size() > 2) {
      return Fail(absl::InvalidArgumentError(
          "unknown command; the only one is: bootstrap --email=..."));
    }
    cdc::members::BootstrapRequest request;
    request.email = absl::GetFlag(FLAGS_email);
    request.display_name = absl::GetFlag(FLAGS_display_name);
    request.password = absl::GetFlag(FLAGS_bootstrap_password);
    absl::StatusOr<cdc::v1::SignInResponse> session =
        service.BootstrapSecretariat(request);
    if (!session.ok()) return Fail(session.status());
    // The token goes to stdout alone, for scripts; shown this once.
    std::printf("%s\n", session->token().c_str());
    return 0;
  }

  cdc::ServiceHost host(*server_options, &redis);
  host.AddService(&service, cdc::v1::MembersService::service_full_name());
  if (absl::Status started = host.Start(); !started.ok()) {
    return Fail(started);
  }
  cdc::WaitForTerminationSignal();
  host.Shutdown();
  return 0;
}
