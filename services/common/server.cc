#include "services/common/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <signal.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.pb.h"
#include "services/common/log.h"

namespace cdc {

namespace {

// gRPC answers a request it cannot parse (a proto3 string field holding
// invalid UTF-8, or bytes that are not the method's request message) with
// INTERNAL (UNIMPLEMENTED for a callback server stream) and no text, which
// reads as a server fault. This turns it into INVALID_ARGUMENT that says
// so. Only for methods with one request message, parsed before the handler
// runs: there a missing message can only mean that parsing failed.
class UnparsableRequest final : public grpc::experimental::Interceptor {
 public:
  explicit UnparsableRequest(grpc::experimental::ServerRpcInfo* info)
      : info_(info) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      unparsed_ = true;
    }
    if (unparsed_ && methods->QueryInterceptionHookPoint(
                         InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      // The sync API answers INTERNAL, the callback API's streaming
      // handlers UNIMPLEMENTED; neither with any text.
      if ((status.error_code() == grpc::StatusCode::INTERNAL ||
           status.error_code() == grpc::StatusCode::UNIMPLEMENTED) &&
          status.error_message().empty()) {
        methods->ModifySendStatus(grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("request: not a valid request message for ",
                         info_->method(),
                         " (a string field that is not UTF-8, or bytes that "
                         "are not protobuf)")));
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* const info_;
  bool unparsed_ = false;
};

class UnparsableRequestFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    using Type = grpc::experimental::ServerRpcInfo::Type;
    if (info->type() != Type::UNARY && info->type() != Type::SERVER_STREAMING) {
      return nullptr;
    }
    return new UnparsableRequest(info);
  }
};

RedisOptions OneConnection(RedisOptions options) {
  options.pool_size = 1;
  return options;
}

}  // namespace

ServiceHost::ServiceHost(ServerOptions options, RedisClient* redis)
    : options_(std::move(options)),
      health_redis_(OneConnection(redis->options())) {}

ServiceHost::~ServiceHost() { Shutdown(); }

void ServiceHost::AddService(grpc::Service* service, std::string health_name) {
  services_.emplace_back(service, std::move(health_name));
}

absl::Status ServiceHost::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  // gRPC's built-in health service carries no descriptor of its own
  // (grpc/grpc#36665): without this, reflection lists grpc.health.v1.Health
  // but cannot describe it to stock clients.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen_address,
                           grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(options_.max_message_bytes));
  for (auto& [service, name] : services_) builder.RegisterService(service);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<UnparsableRequestFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on ", options_.listen_address));
  }
  CheckHealth();
  health_thread_ = std::thread([this] { HealthLoop(); });
  Log(LogLevel::kInfo, "serving", {{"address", address()}});
  return absl::OkStatus();
}

std::string ServiceHost::address() const {
  // A Unix socket has no port (gRPC reports 1 for it): its address is the
  // one it was asked to listen on.
  if (absl::StartsWith(options_.listen_address, "unix:")) {
    return options_.listen_address;
  }
  const size_t colon = options_.listen_address.rfind(':');
  return absl::StrCat(options_.listen_address.substr(0, colon), ":", port_);
}

bool ServiceHost::serving() const {
  absl::MutexLock lock(&mu_);
  return serving_;
}

void ServiceHost::CheckHealth() {
  const absl::Status ping = health_redis_.Ping();
  const bool serving = ping.ok();
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    // The overall status ("") and each service's follow Redis together:
    // none of them can do anything without it.
    auto* health = server_->GetHealthCheckService();
    health->SetServingStatus(serving);
    for (const auto& [service, name] : services_) {
      health->SetServingStatus(name, serving);
    }
    if (serving == serving_ && health_reported_) return;
    serving_ = serving;
    health_reported_ = true;
  }
  if (serving) {
    Log(LogLevel::kInfo, "health SERVING: redis answers");
  } else {
    Log(LogLevel::kWarning, "health NOT_SERVING: redis unreachable",
        {{"error", std::string(ping.message())}});
  }
}

void ServiceHost::HealthLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    const bool stop = mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                                           options_.health_interval);
    if (stop) break;
    mu_.Unlock();
    CheckHealth();
    mu_.Lock();
  }
}

void ServiceHost::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
    stopping_ = true;
  }
  if (health_thread_.joinable()) health_thread_.join();
  if (server_ != nullptr) {
    server_->Shutdown(
        absl::ToChronoTime(absl::Now() + options_.shutdown_grace));
    server_->Wait();
    Log(LogLevel::kInfo, "stopped");
  }
}

void BlockTerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  Log(LogLevel::kInfo, "shutting down", {{"signal", strsignal(signal_number)}});
  return signal_number;
}

}  // namespace cdc
