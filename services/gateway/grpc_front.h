// cdc-gateway's gRPC front: one port where partner systems and the `cdc`
// CLI call every cdc service. Each call is routed by its method's service
// name ("/cdc.v1.MembersService/GetMember" -> "cdc.v1.MembersService") to
// that service's backend channel and proxied as opaque bytes, so the front
// needs no per-method code and no knowledge of the messages: a new method,
// or a new streaming RPC, works as soon as its service has a backend.
//
// What passes through, both ways: every message in order, with flow control
// (the front holds at most one message per direction, so a slow reader
// slows the writer down instead of filling the gateway's memory); the
// caller's metadata (authorization, custom keys) minus reserved and
// hop-by-hop keys; the backend's initial and trailing metadata; the final
// status unchanged (code, message, details); the caller's deadline; and
// cancellation (a caller that goes away cancels the backend call, a backend
// that fails ends the caller's call with its status).
//
// Every call also carries an x-request-id, to the backend and back in the
// response's initial metadata: the caller's own when it is well formed
// (1..64 of [A-Za-z0-9-]), otherwise a fresh random one, so that a partner
// can quote it and logs on both sides can be matched.
//
//   GrpcFront front({{"cdc.v1.MembersService", members_channel}, ...});
//   int port = 0;
//   auto server = StartGrpcFront(&front, "0.0.0.0:8443", &port);
//   ...
//   (*server)->Shutdown(deadline);  // before `front` goes away
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cdc::gateway {

class GrpcFront {
 public:
  // Decides whether a call may go on (rate limits); a non-OK status ends
  // it at once with that status.
  using Admission =
      std::function<grpc::Status(const grpc::GenericCallbackServerContext&)>;

  // Service full name ("cdc.v1.MembersService") -> backend channel.
  explicit GrpcFront(
      std::map<std::string, std::shared_ptr<grpc::Channel>> backends,
      Admission admission = nullptr);
  // Waits for calls still finishing; the server that serves service() must
  // have been shut down first (its shutdown ends every open call).
  ~GrpcFront();

  GrpcFront(const GrpcFront&) = delete;
  GrpcFront& operator=(const GrpcFront&) = delete;

  // Register with ServerBuilder::RegisterCallbackGenericService. Services
  // registered on the same server (e.g. health) take precedence over it.
  grpc::CallbackGenericService* service();

  // Calls being proxied right now, for metrics.
  int open_calls() const;

 private:
  class Call;
  class Service;
  friend class Call;

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context);
  void CallEnded();

  // Read-only after construction: shared by every call without a lock.
  const Admission admission_;
  std::map<std::string, std::unique_ptr<grpc::GenericStub>> stubs_;
  std::unique_ptr<Service> service_;
  std::atomic<int> open_calls_{0};
};

// Listening options of the front's own grpc::Server.
struct GrpcFrontServerOptions {
  // Null: plaintext, for loopback or behind a TLS-terminating balancer.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  size_t max_message_bytes = 4 << 20;  // per message the caller sends
};

// Builds and starts a grpc::Server on `address` ("0.0.0.0:8443"; port 0
// picks a free one, written to `*port`) serving `front` and gRPC's standard
// health service (overall status SERVING while the server runs), so that
// load balancers and clients can probe the front itself. Server reflection
// is not offered: the front does not know the backends' descriptors.
// FAILED_PRECONDITION when the address cannot be bound. `front` must
// outlive the server.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcFront(
    GrpcFront* front, const std::string& address, int* port,
    const GrpcFrontServerOptions& options = {});

// Whether the front copies metadata `key` (lower case) from one leg of a
// call to the other. Pseudo-headers, grpc-* keys (deadline, encoding,
// status: the transport or the front set them), HTTP/2 hop-by-hop and
// connection keys, content-type and user-agent are the transport's own;
// everything else, authorization included, is the caller's or the
// backend's to say and passes.
bool ForwardsMetadata(absl::string_view key);

// Whether `id` may be used as an x-request-id: 1..64 of [A-Za-z0-9-].
bool IsValidRequestId(absl::string_view id);

// The x-request-id of a call whose caller sent `incoming` ("" when none):
// `incoming` itself when valid, otherwise 32 random hex digits.
std::string RequestIdFor(absl::string_view incoming);

}  // namespace cdc::gateway
