// cdc-members: membership, sign-in and tokens.
//
//   cdc-members [flags]             serve gRPC
//   cdc-members bootstrap --email=secretariat@example.org
//                                   create the first secretariat account (or
//                                   re-issue its token) and print the token
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/server.h"
#include "services/common/service_flags.h"
#include "services/members/members_service.h"

ABSL_FLAG(absl::Duration, session_ttl, absl::Hours(24 * 7),
          "how long a sign-in session lasts");
ABSL_FLAG(int, argon2_memory_kib, 19 * 1024, "argon2id memory cost, KiB");
ABSL_FLAG(int, argon2_iterations, 2, "argon2id passes");
ABSL_FLAG(absl::Duration, sign_in_window, absl::Minutes(15),
          "how long failed sign-ins are counted, and a lockout lasts");
ABSL_FLAG(int64_t, sign_in_failures_per_account_address, 5,
          "failed sign-ins of one account from one address per window");
ABSL_FLAG(int64_t, sign_in_failures_per_address, 50,
          "failed sign-ins from one address per window, any accounts");
ABSL_FLAG(int64_t, sign_in_failures_per_account, 100,
          "failed sign-ins of one account per window from addresses it has "
          "not signed in from");
ABSL_FLAG(std::vector<std::string>, trusted_proxies,
          std::vector<std::string>({"127.0.0.1", "::1"}),
          "IP addresses or networks (the gateway's) whose x-cdc-client-address "
          "metadata is believed for sign-in throttling");
ABSL_FLAG(std::string, email, "", "bootstrap: the secretariat's email");
ABSL_FLAG(std::string, display_name, "Secretariat", "bootstrap: its name");
ABSL_FLAG(std::string, bootstrap_password, "",
          "bootstrap: optional password so the account can also sign in");

int main(int argc, char** argv) {
  const cdc::ServiceSetup setup = cdc::SetUpService(
      argc, argv, "members", "cdc-members [bootstrap] [flags]; see --help");
  auto fail = [](const absl::Status& status) {
    return cdc::FailService("members", status);
  };

  cdc::members::MembersServiceOptions options;
  options.session_ttl = absl::GetFlag(FLAGS_session_ttl);
  options.password.memory_kib = absl::GetFlag(FLAGS_argon2_memory_kib);
  options.password.iterations = absl::GetFlag(FLAGS_argon2_iterations);
  if (options.session_ttl <= absl::ZeroDuration() ||
      options.password.memory_kib < 8 || options.password.iterations < 1) {
    return fail(absl::InvalidArgumentError(
        "--session_ttl, --argon2_memory_kib (>= 8) and --argon2_iterations "
        "(>= 1) must be positive"));
  }

  options.sign_in.window = absl::GetFlag(FLAGS_sign_in_window);
  options.sign_in.per_account_address =
      absl::GetFlag(FLAGS_sign_in_failures_per_account_address);
  options.sign_in.per_address =
      absl::GetFlag(FLAGS_sign_in_failures_per_address);
  options.sign_in.per_account =
      absl::GetFlag(FLAGS_sign_in_failures_per_account);
  if (options.sign_in.window < absl::Seconds(1) ||
      options.sign_in.per_account_address < 0 ||
      options.sign_in.per_address < 0 || options.sign_in.per_account < 0) {
    return fail(absl::InvalidArgumentError(
        "--sign_in_window must be at least 1s and the --sign_in_failures_* "
        "limits >= 0 (0: no limit)"));
  }
  absl::StatusOr<cdc::members::TrustedProxies> trusted =
      cdc::members::TrustedProxies::Parse("--trusted_proxies",
                                          absl::GetFlag(FLAGS_trusted_proxies));
  if (!trusted.ok()) return fail(trusted.status());
  options.trusted_proxies = *std::move(trusted);

  cdc::RedisClient redis(setup.redis);
  cdc::members::MembersStore store(
      &redis, {.event_stream_maxlen = setup.event_stream_maxlen});
  cdc::members::MembersService service(&store, cdc::Clock::Real(), options);

  if (setup.args.size() > 1) {
    if (setup.args[1] != "bootstrap" || setup.args.size() > 2) {
      return fail(absl::InvalidArgumentError(
          "unknown command; the only one is: bootstrap --email=..."));
    }
    cdc::members::BootstrapRequest request;
    request.email = absl::GetFlag(FLAGS_email);
    request.display_name = absl::GetFlag(FLAGS_display_name);
    request.password = absl::GetFlag(FLAGS_bootstrap_password);
    absl::StatusOr<cdc::v1::SignInResponse> session =
        service.BootstrapSecretariat(request);
    if (!session.ok()) return fail(session.status());
    // The token goes to stdout alone, for scripts; shown this once.
    std::printf("%s\n", session->token().c_str());
    return 0;
  }

  cdc::ServiceHost host(setup.server, &redis);
  host.AddService(&service, cdc::v1::MembersService::service_full_name());
  return cdc::ServeUntilTerminated("members", host);
}
