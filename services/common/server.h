// Runs a cdc service's gRPC server with what every server must have:
// grpc.health.v1 whose status follows a real Redis PING (NOT_SERVING while
// Redis is unreachable, SERVING again when it answers), server reflection so
// stock tools can list and call it, and a graceful shutdown.
//
// main.cc:   BlockTerminationSignals(); ... host.Start(); ...
//            WaitForTerminationSignal(); host.Shutdown();
// tests:     ServiceHost host({.listen_address = "127.0.0.1:0"}, &redis);
#pragma once

#include <grpcpp/server.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/redis.h"

namespace cdc {

struct ServerOptions {
  std::string listen_address = "127.0.0.1:0";         // port 0: pick a free one
  absl::Duration health_interval = absl::Seconds(1);  // Redis PING period
  absl::Duration shutdown_grace = absl::Seconds(5);   // for calls in flight
  size_t max_message_bytes = 4 << 20;                 // per request
};

class ServiceHost final {
 public:
  // Health PINGs the Redis `redis` talks to, over a connection of its own.
  ServiceHost(ServerOptions options, RedisClient* redis);
  ~ServiceHost();

  // Registers a service before Start. `health_name` is its full name, e.g.
  // "cdc.v1.MembersService", under which health reports it. The service
  // must outlive the host.
  void AddService(grpc::Service* service, std::string health_name);

  // Binds and starts serving; health is set from a first PING before
  // returning. FAILED_PRECONDITION when the address cannot be bound.
  absl::Status Start();

  // The bound port (after Start).
  int port() const { return port_; }
  std::string address() const;

  // Stops accepting calls, lets running ones finish within the grace period,
  // then cancels the rest. Idempotent.
  void Shutdown();

  // Whether the last PING succeeded.
  bool serving() const;

 private:
  void HealthLoop();
  void CheckHealth();

  const ServerOptions options_;
  // Health PINGs over a connection of its own: on the shared pool a PING
  // would queue behind busy calls and report a loaded replica as down.
  RedisClient health_redis_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::thread health_thread_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool serving_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  bool health_reported_ ABSL_GUARDED_BY(mu_) = false;  // first log done
};

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts
// later; call first thing in main.
void BlockTerminationSignals();

// Waits for SIGINT or SIGTERM (blocked by BlockTerminationSignals) and
// returns its number.
int WaitForTerminationSignal();

}  // namespace cdc
