#include "services/gateway/grpc_front.h"

#include <grpcpp/client_context.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/client_callback.h>
#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/status.h>
#include <grpcpp/support/string_ref.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/common/auth.h"
#include "services/common/crypto.h"
#include "services/common/log.h"
#include "services/common/status.h"

namespace cdc::gateway {

namespace {

constexpr char kRequestIdKey[] = "x-request-id";

absl::string_view View(grpc::string_ref s) {
  return absl::string_view(s.data(), s.size());
}

// "cdc.v1.MembersService" of "/cdc.v1.MembersService/GetMember"; "" when
// the method name has not that shape.
absl::string_view ServiceOf(absl::string_view method) {
  if (!absl::ConsumePrefix(&method, "/")) return "";
  const size_t slash = method.find('/');
  if (slash == absl::string_view::npos || slash == 0 ||
      slash + 1 == method.size()) {
    return "";
  }
  return method.substr(0, slash);
}

// Ends a call the front cannot route, without touching any backend. The
// caller still gets its x-request-id, to quote when asking why.
class Refusal final : public grpc::ServerGenericBidiReactor {
 public:
  Refusal(grpc::GenericCallbackServerContext* context,
          const std::string& request_id, grpc::Status status) {
    context->AddInitialMetadata(kRequestIdKey, request_id);
    Finish(std::move(status));
  }
  void OnDone() override { delete this; }
};

}  // namespace

bool ForwardsMetadata(absl::string_view key) {
  if (key.empty() || key[0] == ':') return false;  // HTTP/2 pseudo-headers
  // grpc-timeout, grpc-encoding, grpc-status, grpc-status-details-bin, ...:
  // each leg's transport writes its own (the deadline and status are passed
  // as such, not as headers).
  if (absl::StartsWith(key, "grpc-")) return false;
  static constexpr absl::string_view kTransportKeys[] = {
      "accept-encoding",
      "connection",
      "content-encoding",
      "content-length",
      "content-type",
      "host",
      "keep-alive",
      "proxy-authenticate",
      "proxy-authorization",
      "proxy-connection",
      "te",
      "trailer",
      "transfer-encoding",
      "upgrade",
      "user-agent",
  };
  for (absl::string_view reserved : kTransportKeys) {
    if (key == reserved) return false;
  }
  return true;
}

bool IsValidRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return false;
    }
  }
  return true;
}

std::string RequestIdFor(absl::string_view incoming) {
  return IsValidRequestId(incoming) ? std::string(incoming) : RandomHex(32);
}

// One proxied call. This object is the server-side reactor (facing the
// caller) and owns backend_, the client-side reactor of the call to the
// backend. Bytes flow through two pumps, each with at most one operation
// in flight:
//
//   upstream:   caller read -> backend write -> caller read -> ...
//               -> backend WritesDone when the caller half-closes
//   downstream: backend initial metadata -> caller initial metadata;
//               backend read -> caller write -> backend read -> ...
//
// and the backend's final status and trailing metadata finish the caller's
// call. A pump never asks one side for the next message before the other
// side took the previous one, so gRPC flow control reaches from the
// backend to the caller and back.
//
// Lifetime: the backend call's OnDone may only run once nothing else will
// start an operation on it. Operations on it are started from the server
// reactions too, so each pump holds the backend call (a ClientBidiReactor
// hold) until it stops. The caller's call is finished from the backend's
// OnDone, hence after every backend reaction and after the last operation
// either pump starts on the caller's side; this object deletes itself
// when both sides' OnDone have run. No lock is held while an operation is
// started: gRPC may run its reaction on the starting thread.
class GrpcFront::Call final : public grpc::ServerGenericBidiReactor {
 public:
  Call(GrpcFront* front, grpc::GenericCallbackServerContext* context,
       grpc::GenericStub* stub, const std::string& request_id)
      : front_(front),
        context_(context),
        request_id_(request_id),
        backend_(this) {
    for (const auto& [key, value] : context_->client_metadata()) {
      const absl::string_view k = View(key);
      // The client address is the front's to say, never the caller's.
      if (!ForwardsMetadata(k) || k == kRequestIdKey ||
          k == kClientAddressKey) {
        continue;
      }
      backend_context_.AddMetadata(std::string(k), std::string(View(value)));
    }
    backend_context_.AddMetadata(kRequestIdKey, request_id);
    backend_context_.AddMetadata(kClientAddressKey, PeerIp(*context_));
    // The caller's deadline, unchanged (none stays none): the backend
    // gives up when the caller does.
    backend_context_.set_deadline(context_->deadline());
    context_->AddInitialMetadata(kRequestIdKey, request_id);

    stub->PrepareBidiStreamingCall(&backend_context_, context_->method(),
                                   grpc::StubOptions(), &backend_);
    backend_.AddMultipleHolds(2);  // one per pump
    StartRead(&request_);          // upstream starts
    backend_.StartCall();          // downstream starts with its metadata
  }

  // Upstream: a message from the caller, or the caller's half-close (or
  // the end of the caller's call).
  void OnReadDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      if (upstream_ == Upstream::kClosed) return;  // abandoned
      upstream_ = ok ? Upstream::kWriting : Upstream::kClosed;
    }
    if (ok) {
      backend_.StartWrite(&request_);
      return;
    }
    backend_.StartWritesDone();
    backend_.RemoveHold();
  }

  // Downstream: the caller took the previous message, or is gone.
  void OnWriteDone(bool ok) override {
    if (ok) {
      backend_.StartRead(&response_);
      return;
    }
    // Nobody will read the rest of the backend's answer.
    backend_context_.TryCancel();
    backend_.RemoveHold();
  }

  // The caller went away, or its deadline passed.
  void OnCancel() override { backend_context_.TryCancel(); }

  void OnDone() override { SideDone(); }

 private:
  enum class Upstream {
    kReading,  // a caller read is in flight
    kWriting,  // a backend write is in flight
    kClosed,   // stopped; the upstream's hold on the backend call is gone
  };

  class Backend final
      : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
   public:
    explicit Backend(Call* call) : call_(call) {}
    void OnReadInitialMetadataDone(bool ok) override {
      call_->OnBackendInitialMetadata(ok);
    }
    void OnReadDone(bool ok) override { call_->OnBackendReadDone(ok); }
    void OnWriteDone(bool ok) override { call_->OnBackendWriteDone(ok); }
    void OnDone(const grpc::Status& status) override {
      call_->OnBackendDone(status);
    }

   private:
    Call* const call_;
  };

  // Downstream begins: the backend's initial metadata goes to the caller
  // before any message, then the first message is asked for. When there
  // is none (a trailers-only answer, or a failed call) no message follows
  // either, and the final status carries the caller's initial metadata.
  void OnBackendInitialMetadata(bool ok) {
    if (!ok) {
      DownstreamEnded();
      return;
    }
    for (const auto& [key, value] :
         backend_context_.GetServerInitialMetadata()) {
      const absl::string_view k = View(key);
      if (!ForwardsMetadata(k) || k == kRequestIdKey) continue;
      context_->AddInitialMetadata(std::string(k), std::string(View(value)));
    }
    StartSendInitialMetadata();
    backend_.StartRead(&response_);
  }

  // Downstream: a message from the backend, or the end of its answer.
  void OnBackendReadDone(bool ok) {
    if (ok) {
      StartWrite(&response_);
      return;
    }
    DownstreamEnded();
  }

  // Upstream: the backend took the previous message, or its call is over.
  void OnBackendWriteDone(bool ok) {
    bool read;
    {
      absl::MutexLock lock(&mu_);
      read = ok && !backend_ended_;
      upstream_ = read ? Upstream::kReading : Upstream::kClosed;
      starting_read_ = read;
    }
    if (!read) {
      backend_.RemoveHold();
      return;
    }
    StartRead(&request_);
    bool release;
    {
      absl::MutexLock lock(&mu_);
      starting_read_ = false;
      release = release_after_start_;
      release_after_start_ = false;
    }
    if (release) backend_.RemoveHold();
  }

  // The backend sends nothing more: its call is over, its status on the
  // way. An upstream waiting for the caller is abandoned (the caller's
  // remaining messages have nowhere to go), so that the backend's OnDone,
  // and with it the caller's final status, need not wait for the caller's
  // next message.
  void DownstreamEnded() {
    bool abandon = false;
    {
      absl::MutexLock lock(&mu_);
      backend_ended_ = true;
      if (upstream_ == Upstream::kReading) {
        upstream_ = Upstream::kClosed;
        // A read being started right now must be started before the
        // caller's call can be finished: its starter lets go instead.
        if (starting_read_) {
          release_after_start_ = true;
        } else {
          abandon = true;
        }
      }
    }
    if (abandon) backend_.RemoveHold();
    backend_.RemoveHold();
  }

  // Both pumps stopped and the backend's status is in: it becomes the
  // caller's, with the backend's trailing metadata.
  void OnBackendDone(const grpc::Status& status) {
    for (const auto& [key, value] :
         backend_context_.GetServerTrailingMetadata()) {
      const absl::string_view k = View(key);
      if (!ForwardsMetadata(k)) continue;
      context_->AddTrailingMetadata(std::string(k), std::string(View(value)));
    }
    // The access log: one line per call, with the id the backend saw too.
    Log(LogLevel::kInfo, "grpc",
        {{"request_id", request_id_},
         {"method", context_->method()},
         {"code", CodeName(static_cast<absl::StatusCode>(status.error_code()))},
         {"ms",
          std::to_string(absl::ToInt64Milliseconds(absl::Now() - start_))},
         {"peer", context_->peer()}});
    Finish(status);
    SideDone();
  }

  // Deletes this call when both the caller's and the backend's calls are
  // done; the front is told last, after which it may go away.
  void SideDone() {
    if (sides_left_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    GrpcFront* const front = front_;
    delete this;
    front->CallEnded();
  }

  GrpcFront* const front_;
  grpc::GenericCallbackServerContext* const context_;
  const std::string request_id_;
  const absl::Time start_ = absl::Now();
  grpc::ClientContext backend_context_;
  Backend backend_;
  grpc::ByteBuffer request_;   // caller -> backend, one message at a time
  grpc::ByteBuffer response_;  // backend -> caller, one message at a time

  absl::Mutex mu_;
  Upstream upstream_ ABSL_GUARDED_BY(mu_) = Upstream::kReading;
  // OnBackendWriteDone is between deciding on a caller read and having
  // started it.
  bool starting_read_ ABSL_GUARDED_BY(mu_) = false;
  // The upstream was abandoned meanwhile: its hold goes once the read is
  // started.
  bool release_after_start_ ABSL_GUARDED_BY(mu_) = false;
  // The backend's answer ended.
  bool backend_ended_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int> sides_left_{2};
};

// The generic service gRPC hands every call no registered service takes.
class GrpcFront::Service final : public grpc::CallbackGenericService {
 public:
  explicit Service(GrpcFront* front) : front_(front) {}
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return front_->CreateReactor(context);
  }

 private:
  GrpcFront* const front_;
};

GrpcFront::GrpcFront(
    std::map<std::string, std::shared_ptr<grpc::Channel>> backends,
    Admission admission)
    : admission_(std::move(admission)),
      service_(std::make_unique<Service>(this)) {
  for (auto& [name, channel] : backends) {
    stubs_[name] = std::make_unique<grpc::GenericStub>(std::move(channel));
  }
}

GrpcFront::~GrpcFront() {
  // A call's last act is to count itself out; its server is already shut
  // down, so the wait is for reactions still running, not for callers.
  while (open_calls() > 0) absl::SleepFor(absl::Milliseconds(1));
}

grpc::CallbackGenericService* GrpcFront::service() { return service_.get(); }

int GrpcFront::open_calls() const {
  return open_calls_.load(std::memory_order_acquire);
}

grpc::ServerGenericBidiReactor* GrpcFront::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  const auto& metadata = context->client_metadata();
  const auto incoming = metadata.find(kRequestIdKey);
  const std::string request_id =
      RequestIdFor(incoming == metadata.end() ? absl::string_view()
                                              : View(incoming->second));
  if (admission_) {
    grpc::Status admitted = admission_(*context);
    if (!admitted.ok()) return new Refusal(context, request_id, admitted);
  }
  const absl::string_view service = ServiceOf(context->method());
  const auto stub = stubs_.find(std::string(service));
  if (stub == stubs_.end()) {
    return new Refusal(
        context, request_id,
        grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                     absl::StrCat("unknown service: ",
                                  service.empty() ? context->method()
                                                  : std::string(service))));
  }
  open_calls_.fetch_add(1, std::memory_order_acq_rel);
  return new Call(this, context, stub->second.get(), request_id);
}

void GrpcFront::CallEnded() {
  open_calls_.fetch_sub(1, std::memory_order_acq_rel);
}

absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcFront(
    GrpcFront* front, const std::string& address, int* port,
    const GrpcFrontServerOptions& options) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address,
                           options.credentials != nullptr
                               ? options.credentials
                               : grpc::InsecureServerCredentials(),
                           port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.RegisterCallbackGenericService(front->service());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || *port == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on ", address));
  }
  return server;
}

}  // namespace cdc::gateway
