// cdc-gateway's HTTP side: translates HTTP/JSON to the services' gRPC and
// back, streams notifications as server-sent events, serves the web UI and
// reports health. It holds no domain logic: every call is decided by the
// service behind it, with the caller's own bearer token.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/channel.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/gateway/http_server.h"
#include "services/gateway/metrics.h"
#include "services/gateway/rate_limiter.h"
#include "services/gateway/route_table.h"

namespace cdc::gateway {

class Gateway {
 public:
  struct Options {
    // Full service name ("cdc.v1.MembersService") -> its channel.
    std::map<std::string, std::shared_ptr<grpc::Channel>> backends;
    std::string web_root;                   // static files; "" serves none
    std::vector<std::string> cors_origins;  // allowed Origin values
    absl::Duration deadline = absl::Seconds(30);  // per unary call
    absl::Duration readiness_interval = absl::Seconds(1);
    int max_streams_per_caller = 10;  // open streams per token (or address)
  };

  // `limiter` may be null (no rate limits).
  Gateway(Options options, RateLimiter* limiter, Metrics* metrics);
  ~Gateway();  // cancels open streams and waits for calls in flight

  // The HttpServer's handler.
  void Handle(HttpRequest request, std::shared_ptr<Exchange> exchange);

  // Whether every backend's health said SERVING at the last look.
  bool Ready() const;

 private:
  class Call;
  class Streamed;
  // What a call needs: the request built from the HTTP request, an empty
  // response to parse answers into, the gRPC method and its backend.
  struct Prepared {
    std::unique_ptr<google::protobuf::Message> request;
    std::unique_ptr<google::protobuf::Message> response;
    std::string method;  // "/cdc.v1.MembersService/GetMember"
    std::shared_ptr<grpc::Channel> channel;
  };
  absl::StatusOr<Prepared> Prepare(const HttpRequest& request,
                                   const RouteMatch& match) const;
  void Unary(const HttpRequest& request, const std::string& request_id,
             RouteMatch match, std::function<void(HttpResponse)> respond,
             std::vector<std::pair<std::string, std::string>> extra);
  void Stream(const HttpRequest& request, const std::string& request_id,
              RouteMatch match, std::shared_ptr<Exchange> exchange,
              std::function<void(HttpResponse)> respond,
              std::vector<std::pair<std::string, std::string>> extra);
  HttpResponse Static(const HttpRequest& request) const;
  void WatchReadiness();

  const Options options_;
  RateLimiter* const limiter_;
  Metrics* const metrics_;

  mutable absl::Mutex mu_;
  std::map<std::string, bool> serving_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<Call*> calls_ ABSL_GUARDED_BY(mu_);  // unary calls in flight
  std::map<std::string, int> open_by_caller_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Streamed>> streams_ ABSL_GUARDED_BY(mu_);
  std::thread readiness_;
};

}  // namespace cdc::gateway
