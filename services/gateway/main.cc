// cdc-gateway: one door for browsers (HTTP/JSON, server-sent events, the
// web UI) and for partner systems and the CLI (gRPC).
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cdc/v1/comments.grpc.pb.h"
#include "cdc/v1/community.grpc.pb.h"
#include "cdc/v1/consultations.grpc.pb.h"
#include "cdc/v1/members.grpc.pb.h"
#include "cdc/v1/notifications.grpc.pb.h"
#include "services/common/log.h"
#include "services/common/server.h"
#include "services/common/service_flags.h"
#include "services/gateway/gateway.h"
#include "services/gateway/grpc_front.h"
#include "services/gateway/http_server.h"
#include "services/gateway/metrics.h"
#include "services/gateway/rate_limiter.h"

ABSL_FLAG(std::string, http_address, "127.0.0.1:7780",
          "where the HTTP/JSON API, server-sent events and the web UI listen");
ABSL_FLAG(std::string, consultations_address, "127.0.0.1:7702",
          "cdc-consultations");
ABSL_FLAG(std::string, comments_address, "127.0.0.1:7703", "cdc-comments");
ABSL_FLAG(std::string, notifications_address, "127.0.0.1:7704",
          "cdc-notifications");
ABSL_FLAG(std::string, community_address, "127.0.0.1:7705",
          "cdc-community; empty: its methods are not served");
ABSL_FLAG(std::string, web_root, "gateway/web",
          "the web UI's files, served at /");
ABSL_FLAG(std::vector<std::string>, cors_origins, {},
          "origins allowed to call the API from a browser, comma-separated");
ABSL_FLAG(int64_t, body_limit, 1 << 20, "largest request body, bytes");
ABSL_FLAG(int64_t, rate_per_token, 600,
          "requests per minute per token (0: unlimited)");
ABSL_FLAG(int64_t, rate_per_address, 1200,
          "requests per minute per client address (0: unlimited)");
ABSL_FLAG(absl::Duration, request_deadline, absl::Seconds(30),
          "deadline of each API call to a service");
ABSL_FLAG(int, http_threads, 2, "threads serving HTTP connections");
ABSL_FLAG(int, max_connections_per_address, 256,
          "HTTP connections open at once from one client address; more get "
          "429 (0: no cap)");
ABSL_FLAG(int, max_streams_per_caller, 10,
          "open HTTP streams (server-sent events, JSON lines) per token, or "
          "per address without one");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain; with --tls_key_file, HTTPS and gRPC over "
          "TLS on both ports");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of the certificate");

namespace {

// The whole of a file, or NOT_FOUND naming the flag.
absl::StatusOr<std::string> ReadFile(const std::string& flag,
                                     const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("--", flag, ": cannot read ", path));
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace

int main(int argc, char** argv) {
  const cdc::ServiceSetup setup =
      cdc::SetUpService(argc, argv, "gateway", "cdc-gateway [flags]");
  cdc::RedisClient redis(setup.redis);

  auto channel = [](const std::string& address) {
    return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  };
  std::map<std::string, std::shared_ptr<grpc::Channel>> backends = {
      {std::string(cdc::v1::MembersService::service_full_name()),
       cdc::MembersChannelFromFlags()},
      {std::string(cdc::v1::ConsultationsService::service_full_name()),
       channel(absl::GetFlag(FLAGS_consultations_address))},
      {std::string(cdc::v1::CommentsService::service_full_name()),
       channel(absl::GetFlag(FLAGS_comments_address))},
      {std::string(cdc::v1::NotificationsService::service_full_name()),
       channel(absl::GetFlag(FLAGS_notifications_address))},
  };
  if (!absl::GetFlag(FLAGS_community_address).empty()) {
    backends[std::string(cdc::v1::CommunityService::service_full_name())] =
        channel(absl::GetFlag(FLAGS_community_address));
  }

  cdc::gateway::RateLimiter limiter(
      &redis,
      {.per_token_per_minute = absl::GetFlag(FLAGS_rate_per_token),
       .per_address_per_minute = absl::GetFlag(FLAGS_rate_per_address)});
  cdc::gateway::Metrics metrics;
  cdc::gateway::Gateway::Options options;
  options.backends = backends;
  options.web_root = absl::GetFlag(FLAGS_web_root);
  options.cors_origins = absl::GetFlag(FLAGS_cors_origins);
  options.deadline = absl::GetFlag(FLAGS_request_deadline);
  options.max_streams_per_caller = absl::GetFlag(FLAGS_max_streams_per_caller);
  auto gateway =
      std::make_unique<cdc::gateway::Gateway>(options, &limiter, &metrics);

  cdc::gateway::HttpServer::Options http_options;
  const std::string http_address = absl::GetFlag(FLAGS_http_address);
  const size_t colon = http_address.rfind(':');
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(http_address.substr(colon + 1), &http_options.port)) {
    return cdc::FailService(
        "gateway",
        absl::InvalidArgumentError("--http_address: must be \"host:port\""));
  }
  http_options.address = http_address.substr(0, colon);
  http_options.body_limit =
      static_cast<size_t>(absl::GetFlag(FLAGS_body_limit));
  http_options.threads = absl::GetFlag(FLAGS_http_threads);
  http_options.max_connections_per_address =
      absl::GetFlag(FLAGS_max_connections_per_address);
  std::shared_ptr<grpc::ServerCredentials> grpc_credentials;
  const std::string cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  const std::string key_file = absl::GetFlag(FLAGS_tls_key_file);
  if (cert_file.empty() != key_file.empty()) {
    return cdc::FailService(
        "gateway", absl::InvalidArgumentError(
                       "--tls_cert_file and --tls_key_file go together"));
  }
  if (!cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadFile("tls_cert_file", cert_file);
    absl::StatusOr<std::string> key = ReadFile("tls_key_file", key_file);
    if (!cert.ok()) return cdc::FailService("gateway", cert.status());
    if (!key.ok()) return cdc::FailService("gateway", key.status());
    http_options.tls_certificate_pem = *cert;
    http_options.tls_key_pem = *key;
    grpc::SslServerCredentialsOptions tls;
    tls.pem_key_cert_pairs.push_back({*key, *cert});
    grpc_credentials = grpc::SslServerCredentials(tls);
  }
  cdc::gateway::HttpServer http(
      http_options, [&](cdc::gateway::HttpRequest request,
                        std::shared_ptr<cdc::gateway::Exchange> exchange) {
        gateway->Handle(std::move(request), std::move(exchange));
      });
  if (absl::Status started = http.Start(); !started.ok()) {
    return cdc::FailService("gateway", started);
  }

  // The same limits on the gRPC front: RESOURCE_EXHAUSTED instead of 429.
  cdc::gateway::GrpcFront front(backends,
                                cdc::gateway::GrpcAdmission(&limiter));
  int grpc_port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> grpc_server =
      cdc::gateway::StartGrpcFront(&front, setup.server.listen_address,
                                   &grpc_port,
                                   {.credentials = grpc_credentials});
  if (!grpc_server.ok())
    return cdc::FailService("gateway", grpc_server.status());

  cdc::Log(cdc::LogLevel::kInfo, "health SERVING: gateway listening",
           {{"http", http_address}, {"grpc", setup.server.listen_address}});
  cdc::WaitForTerminationSignal();
  cdc::Log(cdc::LogLevel::kInfo, "stopping");
  http.Stop();
  (*grpc_server)->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  gateway.reset();
  cdc::Log(cdc::LogLevel::kInfo, "stopped");
  return 0;
}
