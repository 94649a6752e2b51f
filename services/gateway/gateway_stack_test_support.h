// Test support: cdc-gateway as deployed, in one test process. The tests of
// the gateway, the authorization matrix and the abuse suite all put the
// same three parts in front of the real services they start: the Gateway
// (HTTP/JSON transcoding), its HttpServer on a loopback port and, where
// asked, the gRPC front with its own server. GatewayStack starts them in
// that order, waits for readiness, and stops them in the reverse order.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/gateway/gateway.h"
#include "services/gateway/grpc_front.h"
#include "services/gateway/http_server.h"
#include "services/gateway/http_test_client.h"
#include "services/gateway/metrics.h"
#include "services/gateway/rate_limiter.h"

namespace cdc::gateway::testing {

// Insecure loopback channels to the backends, by full service name
// ("cdc.v1.MembersService"), from their addresses.
inline std::map<std::string, std::shared_ptr<grpc::Channel>> BackendChannels(
    const std::map<std::string, std::string>& addresses) {
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
  for (const auto& [service, address] : addresses) {
    channels[service] =
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  }
  return channels;
}

class GatewayStack {
 public:
  struct Options {
    // Full service name -> address; fills gateway.backends and the front's.
    std::map<std::string, std::string> backends;
    // Everything but the backends; readiness is polled every 50 ms.
    Gateway::Options gateway = [] {
      Gateway::Options options;
      options.readiness_interval = absl::Milliseconds(50);
      return options;
    }();
    HttpServer::Options http;        // as deployed: 1 MiB bodies
    RateLimiter* limiter = nullptr;  // null: no rate limits
    bool grpc_front = false;         // also start the gRPC front
  };

  // Starts the gateway, its HTTP server and (when asked) the gRPC front;
  // UNAVAILABLE when the backends do not all answer SERVING within 10 s.
  static absl::StatusOr<std::unique_ptr<GatewayStack>> Start(Options options) {
    std::unique_ptr<GatewayStack> stack(new GatewayStack);
    options.gateway.backends = BackendChannels(options.backends);
    stack->gateway_ = std::make_unique<Gateway>(
        options.gateway, options.limiter, &stack->metrics_);
    Gateway* gateway = stack->gateway_.get();
    stack->http_ = std::make_unique<HttpServer>(
        options.http,
        [gateway](HttpRequest request, std::shared_ptr<Exchange> exchange) {
          gateway->Handle(std::move(request), std::move(exchange));
        });
    if (absl::Status started = stack->http_->Start(); !started.ok()) {
      return started;
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!gateway->Ready() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    if (!gateway->Ready()) {
      return absl::UnavailableError("the gateway's backends are not ready");
    }
    if (options.grpc_front) {
      stack->front_ =
          std::make_unique<GrpcFront>(BackendChannels(options.backends));
      int port = 0;
      auto server = StartGrpcFront(stack->front_.get(), "127.0.0.1:0", &port);
      if (!server.ok()) return server.status();
      stack->front_server_ = std::move(*server);
      stack->front_channel_ = grpc::CreateChannel(
          absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    }
    return stack;
  }

  // The front's server first (its shutdown ends every proxied call), then
  // the front, the HTTP server, and the gateway.
  ~GatewayStack() {
    if (front_server_ != nullptr) {
      front_server_->Shutdown(
          absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
      front_server_->Wait();
    }
    front_.reset();
    if (http_ != nullptr) http_->Stop();
    gateway_.reset();
  }

  GatewayStack(const GatewayStack&) = delete;
  GatewayStack& operator=(const GatewayStack&) = delete;

  Gateway& gateway() { return *gateway_; }
  int http_port() const { return http_->port(); }
  // A channel to the gRPC front; null unless Options::grpc_front.
  const std::shared_ptr<grpc::Channel>& front_channel() const {
    return front_channel_;
  }
  Metrics& metrics() { return metrics_; }

  // One HTTP request on a new connection (see HttpCall).
  HttpReply Http(boost::beast::http::verb verb, const std::string& target,
                 const std::string& body = "", const std::string& token = "",
                 const std::map<std::string, std::string>& headers = {}) const {
    return HttpCall(http_->port(), verb, target, body, token, headers);
  }

 private:
  GatewayStack() = default;

  Metrics metrics_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<GrpcFront> front_;
  std::unique_ptr<grpc::Server> front_server_;
  std::shared_ptr<grpc::Channel> front_channel_;
};

}  // namespace cdc::gateway::testing
