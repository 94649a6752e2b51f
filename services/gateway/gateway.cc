#include "services/gateway/gateway.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cdc/v1/notifications.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/common/auth.h"
#include "services/common/crypto.h"
#include "services/common/log.h"
#include "services/common/status.h"
#include "services/common/status_macros.h"
#include "services/gateway/route_table.h"
#include "services/gateway/transcoder.h"

namespace cdc::gateway {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The client's IP ("203.0.113.9", "2001:db8::1") of "ip:port".
std::string RemoteIp(const HttpRequest& request) {
  return request.remote_address.substr(0, request.remote_address.rfind(':'));
}

// The caller's request id when it is usable in logs and metadata, else a
// new one.
std::string RequestId(const HttpRequest& request) {
  const std::string& given = request.Header("x-request-id");
  if (!given.empty() && given.size() <= 64 &&
      std::all_of(given.begin(), given.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
      })) {
    return given;
  }
  return RandomHex(8);
}

// Whether a header value can travel as gRPC metadata: printable ASCII only
// (gRPC refuses anything else, and must never be handed it).
bool MetadataSafe(absl::string_view value) {
  return value.size() <= 4096 &&
         std::all_of(value.begin(), value.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7e; });
}

// What a client is told of a failed call. Statuses made on the gateway's
// side of a call (an unreachable service, a deadline) and server faults
// carry addresses and internals: they are logged, and the client gets the
// code with a plain message and the request id to quote.
absl::Status ForClient(const grpc::Status& status,
                       const std::string& request_id) {
  const absl::Status s = FromGrpcStatus(status);
  absl::string_view plain;
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
      plain = "the service is unavailable; retry shortly";
      break;
    case absl::StatusCode::kDeadlineExceeded:
      plain = "the service did not answer in time";
      break;
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      plain = "internal error";
      break;
    default:
      return s;
  }
  Log(LogLevel::kWarning, "call failed",
      {{"request_id", request_id},
       {"code", CodeName(s.code())},
       {"error", std::string(s.message())}});
  return absl::Status(s.code(),
                      absl::StrCat(plain, " (request ", request_id, ")"));
}

// Who a stream is counted for: the token's hash, or the client's address
// for calls without one.
std::string CallerKey(const HttpRequest& request) {
  const std::string& authorization = request.Header("authorization");
  if (!authorization.empty()) {
    return absl::StrCat("t:", HexEncode(Sha256(authorization)).substr(0, 32));
  }
  return absl::StrCat("a:", request.remote_address.substr(
                                0, request.remote_address.rfind(':')));
}

HttpResponse JsonResponse(int status, std::string body, const Headers& extra) {
  HttpResponse response;
  response.status = status;
  response.headers = {{"content-type", "application/json"},
                      {"cache-control", "no-store"}};
  response.headers.insert(response.headers.end(), extra.begin(), extra.end());
  response.body = std::move(body);
  return response;
}

HttpResponse ErrorResponse(const absl::Status& status, const Headers& extra) {
  return JsonResponse(HttpStatusFor(status.code()), ErrorJson(status), extra);
}

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromByteBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

// "cdc.v1.MembersService.GetMember" -> ("cdc.v1.MembersService",
// "/cdc.v1.MembersService/GetMember").
std::pair<std::string, std::string> GrpcMethod(absl::string_view full_name) {
  const size_t dot = full_name.rfind('.');
  const std::string service(full_name.substr(0, dot));
  return {service, absl::StrCat("/", service, "/", full_name.substr(dot + 1))};
}

std::string ContentType(absl::string_view path) {
  static const std::pair<absl::string_view, absl::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".md", "text/markdown; charset=utf-8"},
      {".woff2", "font/woff2"},
  };
  for (const auto& [suffix, type] : kTypes) {
    if (absl::EndsWith(path, suffix)) return std::string(type);
  }
  return "application/octet-stream";
}

}  // namespace

// One unary call in flight: the gRPC context and buffers live here until
// the backend answers.
class Gateway::Call {
 public:
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
};

// One server-streaming call, relayed as it comes: as server-sent events for
// the notification stream (each frame's id is the notification's name, so
// the browser's Last-Event-ID resumes it), else as JSON lines
// ({"result": ...} per message, {"error": ...} if it fails midway, as
// grpc-gateway streams). gRPC's callback API pushes each message; no
// thread waits per stream. The HTTP head goes out once the service has
// accepted the call, so a refusal (401, 403, ...) is a plain HTTP error.
class Gateway::Streamed final
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  enum class Format { kServerSentEvents, kJsonLines };

  Streamed(Gateway* gateway, std::shared_ptr<Exchange> exchange, Format format,
           std::unique_ptr<google::protobuf::Message> item, Headers extra,
           std::function<void(HttpResponse)> respond, std::string request_id,
           std::string route, std::string caller)
      : caller_(std::move(caller)),
        request_id_(std::move(request_id)),
        route_(std::move(route)),
        gateway_(gateway),
        exchange_(std::move(exchange)),
        format_(format),
        item_(std::move(item)),
        extra_(std::move(extra)),
        respond_(std::move(respond)) {}

  void Start(const std::shared_ptr<grpc::Channel>& channel,
             const std::string& method, const std::string& request) {
    request_ = ToByteBuffer(request);
    grpc::GenericStub stub(channel);
    stub.PrepareBidiStreamingCall(&context, method, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }

  void OnReadInitialMetadataDone(bool ok) override {
    if (!ok) return;  // refused at once: OnDone answers with the error
    // The access log's line and the request count, as for any request.
    gateway_->metrics_->Observe(route_, 200, absl::Now() - start_);
    Log(LogLevel::kInfo, "http stream",
        {{"request_id", request_id_}, {"route", route_}});
    // Counted open before the client can see the head, as it is counted
    // closed only after its slot is free: the gauge never lags the cap.
    started_ = true;
    gateway_->metrics_->StreamOpened();
    exchange_->StartStream(Head());
    // Weak: the connection keeps its callbacks until it closes, and a
    // strong reference there would make a cycle with exchange_ that leaks
    // both when the server stops with the stream open (LeakSanitizer
    // found it). While the call runs, streams_ keeps this alive.
    exchange_->OnClose([weak = std::weak_ptr<Streamed>(Self())] {
      if (std::shared_ptr<Streamed> self = weak.lock()) {
        self->context.TryCancel();
      }
    });
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows with the status
    if (!exchange_->Send(Frame())) {
      context.TryCancel();  // the client is gone or far behind
      return;
    }
    StartRead(&response_);
  }

  void OnWriteDone(bool) override {}

  void OnDone(const grpc::Status& status) override {
    const absl::Status result = FromGrpcStatus(status);
    if (!started_ && status.ok()) {
      // A stream with nothing in it (an export that matches nothing): a
      // complete, empty answer.
      gateway_->metrics_->Observe(route_, 200, absl::Now() - start_);
      respond_(Head());
    } else if (!started_) {
      respond_(ErrorResponse(ForClient(status, request_id_), extra_));
    } else {
      if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
        exchange_->Send(
            format_ == Format::kServerSentEvents
                ? absl::StrCat("event: error\ndata: ", ErrorJson(result),
                               "\n\n")
                : absl::StrCat("{\"error\":", ErrorJson(result), "}\n"));
      }
      exchange_->Finish();
      Log(LogLevel::kInfo, "http stream ended",
          {{"request_id", request_id_},
           {"code", CodeName(result.code())},
           {"ms",
            std::to_string(absl::ToInt64Milliseconds(absl::Now() - start_))}});
    }
    std::shared_ptr<Streamed> keep;  // released last: this may go with it
    {
      absl::MutexLock lock(&gateway_->mu_);
      auto open = gateway_->open_by_caller_.find(caller_);
      if (open != gateway_->open_by_caller_.end() && --open->second <= 0) {
        gateway_->open_by_caller_.erase(open);
      }
      auto& streams = gateway_->streams_;
      for (auto it = streams.begin(); it != streams.end(); ++it) {
        if (it->get() == this) {
          keep = std::move(*it);
          streams.erase(it);
          break;
        }
      }
    }
    // Counted closed only once its caller's slot is free again, so that
    // the gauge never shows room the cap does not give.
    if (started_) gateway_->metrics_->StreamClosed();
  }

  grpc::ClientContext context;
  const std::string& caller() const { return caller_; }

 private:
  // The answer's status line and headers.
  HttpResponse Head() const {
    HttpResponse head;
    head.headers = {{"content-type", format_ == Format::kServerSentEvents
                                         ? "text/event-stream"
                                         : "application/x-ndjson"},
                    {"cache-control", "no-store"},
                    {"x-accel-buffering", "no"}};
    head.headers.insert(head.headers.end(), extra_.begin(), extra_.end());
    return head;
  }

  std::shared_ptr<Streamed> Self() {
    absl::MutexLock lock(&gateway_->mu_);
    for (const auto& s : gateway_->streams_) {
      if (s.get() == this) return s;
    }
    return nullptr;
  }

  std::string Frame() {
    absl::StatusOr<std::string> json =
        item_->ParseFromString(FromByteBuffer(response_))
            ? ResponseToJson(*item_)
            : absl::InternalError("unreadable message from the service");
    if (format_ == Format::kJsonLines) {
      return json.ok()
                 ? absl::StrCat("{\"result\":", *json, "}\n")
                 : absl::StrCat("{\"error\":", ErrorJson(json.status()), "}\n");
    }
    if (!json.ok()) {
      return absl::StrCat("event: error\ndata: ", ErrorJson(json.status()),
                          "\n\n");
    }
    const auto* notification =
        item_->GetDescriptor()->FindFieldByName("notification");
    const google::protobuf::Reflection* reflection = item_->GetReflection();
    if (notification != nullptr && reflection->HasField(*item_, notification)) {
      const auto& message = reflection->GetMessage(*item_, notification);
      const auto* name = message.GetDescriptor()->FindFieldByName("name");
      return absl::StrCat(
          "id: ", message.GetReflection()->GetString(message, name),
          "\nevent: notification\ndata: ", *json, "\n\n");
    }
    return absl::StrCat("event: heartbeat\ndata: ", *json, "\n\n");
  }

  const std::string caller_;  // what streams are counted under
  const std::string request_id_;
  const std::string route_;
  const absl::Time start_ = absl::Now();
  Gateway* const gateway_;
  std::shared_ptr<Exchange> exchange_;
  const Format format_;
  std::unique_ptr<google::protobuf::Message> item_;
  const Headers extra_;
  const std::function<void(HttpResponse)> respond_;  // errors before start
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  bool started_ = false;  // the HTTP head is sent (or on its way)
};

Gateway::Gateway(Options options, RateLimiter* limiter, Metrics* metrics)
    : options_(std::move(options)), limiter_(limiter), metrics_(metrics) {
  readiness_ = std::thread([this] { WatchReadiness(); });
}

Gateway::~Gateway() {
  std::vector<std::shared_ptr<Streamed>> streams;
  {
    // Every call in flight is cancelled; cancellation completes promptly,
    // so the wait below is short, and no callback outlives the gateway.
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    streams = streams_;
    for (Call* call : calls_) call->context.TryCancel();
  }
  for (auto& s : streams) s->context.TryCancel();
  streams.clear();
  {
    absl::MutexLock lock(&mu_);
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return in_flight_ == 0 && streams_.empty();
    };
    mu_.Await(absl::Condition(&idle));
  }
  readiness_.join();
}

bool Gateway::Ready() const {
  absl::MutexLock lock(&mu_);
  if (serving_.size() < options_.backends.size()) return false;
  for (const auto& [name, serving] : serving_) {
    if (!serving) return false;
  }
  return true;
}

// Asks every backend's standard health service, over and over.
void Gateway::WatchReadiness() {
  std::map<std::string, std::unique_ptr<grpc::health::v1::Health::Stub>> stubs;
  for (const auto& [name, channel] : options_.backends) {
    stubs[name] = grpc::health::v1::Health::NewStub(channel);
  }
  for (;;) {
    std::map<std::string, bool> serving;
    for (const auto& [name, stub] : stubs) {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
      grpc::health::v1::HealthCheckRequest request;
      request.set_service(name);
      grpc::health::v1::HealthCheckResponse response;
      serving[name] =
          stub->Check(&context, request, &response).ok() &&
          response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
    }
    absl::MutexLock lock(&mu_);
    serving_ = std::move(serving);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                             options_.readiness_interval)) {
      return;
    }
  }
}

void Gateway::Handle(HttpRequest request, std::shared_ptr<Exchange> exchange) {
  const absl::Time start = absl::Now();
  const std::string request_id = RequestId(request);

  // CORS: only listed origins, and only what the API needs.
  Headers extra = {{"x-request-id", request_id}};
  const std::string& origin = request.Header("origin");
  const bool allowed_origin =
      !origin.empty() &&
      std::find(options_.cors_origins.begin(), options_.cors_origins.end(),
                origin) != options_.cors_origins.end();
  if (allowed_origin) {
    extra.push_back({"access-control-allow-origin", origin});
    extra.push_back({"vary", "Origin"});
    extra.push_back(
        {"access-control-expose-headers", "x-request-id, retry-after"});
  }

  // Every answer goes through here: metrics and the access log. It may run
  // later, on a gRPC thread, so it holds copies.
  auto finish = [metrics = metrics_, exchange, start, request_id,
                 method = request.method, path = request.path,
                 remote = request.remote_address](absl::string_view route,
                                                  HttpResponse response) {
    const int status = response.status;
    // Counted before the answer leaves, so that whoever got it sees it.
    metrics->Observe(route, status, absl::Now() - start);
    exchange->Respond(std::move(response));
    Log(LogLevel::kInfo, "http",
        {{"request_id", request_id},
         {"method", method},
         {"path", path},
         {"status", std::to_string(status)},
         {"ms", std::to_string(absl::ToInt64Milliseconds(absl::Now() - start))},
         {"remote", remote}});
  };

  if (request.method == "OPTIONS") {
    HttpResponse preflight;
    preflight.status = allowed_origin ? 204 : 403;
    preflight.headers = extra;
    if (allowed_origin) {
      preflight.headers.push_back({"access-control-allow-methods",
                                   "GET, POST, PATCH, DELETE, OPTIONS"});
      preflight.headers.push_back(
          {"access-control-allow-headers",
           "authorization, content-type, last-event-id, x-request-id"});
      preflight.headers.push_back({"access-control-max-age", "600"});
    }
    return finish("preflight", std::move(preflight));
  }
  if (request.path == "/healthz") {
    return finish("healthz",
                  JsonResponse(200, "{\"status\":\"SERVING\"}", extra));
  }
  if (request.path == "/readyz") {
    const bool ready = Ready();
    std::string body = "{\"status\":";
    body += ready ? "\"SERVING\"" : "\"NOT_SERVING\"";
    body += ",\"backends\":{";
    {
      absl::MutexLock lock(&mu_);
      bool first = true;
      for (const auto& [name, serving] : serving_) {
        if (!first) body += ",";
        first = false;
        AppendJsonString(&body, name);
        body += serving ? ":\"SERVING\"" : ":\"NOT_SERVING\"";
      }
    }
    body += "}}";
    return finish("readyz", JsonResponse(ready ? 200 : 503, body, extra));
  }
  if (request.path == "/metrics") {
    HttpResponse response;
    response.headers = {{"content-type", "text/plain; version=0.0.4"}};
    response.body = metrics_->Render();
    return finish("metrics", std::move(response));
  }
  if (!absl::StartsWith(request.path, "/v1/")) {
    HttpResponse response = Static(request);
    response.headers.insert(response.headers.end(), extra.begin(), extra.end());
    return finish("static", std::move(response));
  }

  // The API: rate limits first, by token and by address.
  const std::string& authorization = request.Header("authorization");
  if (!MetadataSafe(authorization)) {
    return finish("unrouted",
                  ErrorResponse(absl::UnauthenticatedError(
                                    "authorization: malformed header"),
                                extra));
  }
  if (!MetadataSafe(request.Header("last-event-id"))) {
    return finish("unrouted",
                  ErrorResponse(absl::InvalidArgumentError(
                                    "last-event-id: printable ASCII only"),
                                extra));
  }
  if (limiter_ != nullptr) {
    const std::string address = RemoteIp(request);
    const std::string token = absl::StartsWith(authorization, "Bearer ")
                                  ? authorization.substr(7)
                                  : std::string();
    RateLimiter::Decision decision = limiter_->Admit(token, address, start);
    if (!decision.allowed) {
      Headers headers = extra;
      headers.push_back(
          {"retry-after",
           std::to_string(std::max<int64_t>(
               1, absl::ToInt64Seconds(decision.retry_after) + 1))});
      return finish("ratelimit",
                    ErrorResponse(absl::ResourceExhaustedError(absl::StrCat(
                                      "too many requests for this ",
                                      decision.limit, "; retry later")),
                                  headers));
    }
  }

  absl::StatusOr<RouteMatch> match = MatchRoute(request.method, request.path);
  if (!match.ok()) {
    Headers headers = extra;
    if (match.status().code() == absl::StatusCode::kUnimplemented) {
      headers.push_back(
          {"allow", absl::StrJoin(AllowedVerbs(request.path), ", ")});
      HttpResponse response = ErrorResponse(match.status(), headers);
      response.status = 405;
      return finish("unrouted", std::move(response));
    }
    return finish("unrouted", ErrorResponse(match.status(), headers));
  }
  if (match->route->server_streaming) {
    const std::string route(match->route->pattern);
    return Stream(
        request, request_id, *std::move(match), exchange,
        [finish, route](HttpResponse response) {
          finish(route, std::move(response));
        },
        std::move(extra));
  }
  const std::string route(match->route->pattern);
  Unary(
      request, request_id, *std::move(match),
      [finish, route](HttpResponse response) {
        finish(route, std::move(response));
      },
      std::move(extra));
}

absl::StatusOr<Gateway::Prepared> Gateway::Prepare(
    const HttpRequest& request, const RouteMatch& match) const {
  CDC_ASSIGN_OR_RETURN(auto query, ParseQuery(request.query));
  Prepared prepared;
  CDC_ASSIGN_OR_RETURN(prepared.request,
                       BuildRequest(match, request.body, query));
  CDC_ASSIGN_OR_RETURN(prepared.response, NewResponse(*match.route));
  const auto [service, method] = GrpcMethod(match.route->method);
  auto backend = options_.backends.find(service);
  if (backend == options_.backends.end()) {
    return absl::UnimplementedError(
        absl::StrCat(service, " is not served here"));
  }
  prepared.method = method;
  prepared.channel = backend->second;
  return prepared;
}

void Gateway::Unary(const HttpRequest& request, const std::string& request_id,
                    RouteMatch match, std::function<void(HttpResponse)> respond,
                    Headers extra) {
  absl::StatusOr<Prepared> prepared = Prepare(request, match);
  if (!prepared.ok()) return respond(ErrorResponse(prepared.status(), extra));
  auto call = std::make_shared<Call>();
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      return respond(ErrorResponse(
          absl::UnavailableError("gateway shutting down"), extra));
    }
    ++in_flight_;
    calls_.insert(call.get());
  }
  call->context.set_deadline(
      absl::ToChronoTime(absl::Now() + options_.deadline));
  const std::string& authorization = request.Header("authorization");
  if (!authorization.empty()) {
    call->context.AddMetadata("authorization", authorization);
  }
  call->context.AddMetadata("x-request-id", request_id);
  // Whom cdc-members counts failed sign-ins under (it trusts this key
  // only from the gateway's address, see its --trusted_proxies).
  call->context.AddMetadata(kClientAddressKey, RemoteIp(request));
  call->request = ToByteBuffer(prepared->request->SerializeAsString());
  grpc::GenericStub stub(prepared->channel);
  stub.UnaryCall(
      &call->context, prepared->method, grpc::StubOptions(), &call->request,
      &call->response,
      [this, call,
       out = std::shared_ptr<google::protobuf::Message>(
           std::move(prepared->response)),
       request_id, respond = std::move(respond),
       extra = std::move(extra)](grpc::Status status) {
        HttpResponse response;
        if (!status.ok()) {
          // A refusal that says when to come back (cdc-members' sign-in
          // throttle) says it as HTTP does too.
          Headers headers = extra;
          const auto& trailers = call->context.GetServerTrailingMetadata();
          const auto retry = trailers.find("retry-after");
          int64_t seconds = 0;
          if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
              retry != trailers.end() &&
              absl::SimpleAtoi(
                  absl::string_view(retry->second.data(), retry->second.size()),
                  &seconds) &&
              seconds > 0) {
            headers.push_back({"retry-after", std::to_string(seconds)});
          }
          response = ErrorResponse(ForClient(status, request_id), headers);
        } else {
          absl::StatusOr<std::string> json =
              out->ParseFromString(FromByteBuffer(call->response))
                  ? ResponseToJson(*out)
                  : absl::InternalError("unreadable backend response");
          response = json.ok() ? JsonResponse(200, *std::move(json), extra)
                               : ErrorResponse(json.status(), extra);
        }
        respond(std::move(response));
        absl::MutexLock lock(&mu_);
        calls_.erase(call.get());
        --in_flight_;
      });
}

void Gateway::Stream(const HttpRequest& request, const std::string& request_id,
                     RouteMatch match, std::shared_ptr<Exchange> exchange,
                     std::function<void(HttpResponse)> respond, Headers extra) {
  absl::StatusOr<Prepared> prepared = Prepare(request, match);
  if (!prepared.ok()) return respond(ErrorResponse(prepared.status(), extra));
  std::unique_ptr<google::protobuf::Message>& message = prepared->request;
  const bool events =
      match.route->method ==
      absl::StrCat(v1::NotificationsService::service_full_name(), ".Subscribe");
  if (events) {
    // EventSource sends the id of the last event it got when it reconnects;
    // a notification's id is its name, which is what Subscribe resumes from.
    const std::string& last = request.Header("last-event-id");
    if (!last.empty()) {
      const auto* field =
          message->GetDescriptor()->FindFieldByName("last_seen");
      message->GetReflection()->SetString(message.get(), field, last);
    }
  }
  auto stream = std::make_shared<Streamed>(
      this, exchange,
      events ? Streamed::Format::kServerSentEvents
             : Streamed::Format::kJsonLines,
      std::move(prepared->response), extra, respond, request_id,
      std::string(match.route->pattern), CallerKey(request));
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      return respond(ErrorResponse(
          absl::UnavailableError("gateway shutting down"), extra));
    }
    // Open streams per caller are capped: each holds a connection and a
    // backend call for as long as it lasts.
    int& open = open_by_caller_[stream->caller()];
    if (open >= options_.max_streams_per_caller) {
      if (open == 0) open_by_caller_.erase(stream->caller());
      return respond(
          ErrorResponse(absl::ResourceExhaustedError(absl::StrCat(
                            "at most ", options_.max_streams_per_caller,
                            " open streams per caller; close one first")),
                        extra));
    }
    ++open;
    streams_.push_back(stream);
  }
  const std::string& authorization = request.Header("authorization");
  if (!authorization.empty()) {
    stream->context.AddMetadata("authorization", authorization);
  }
  stream->context.AddMetadata("x-request-id", request_id);
  stream->context.AddMetadata(kClientAddressKey, RemoteIp(request));
  stream->Start(prepared->channel, prepared->method,
                message->SerializeAsString());
}

HttpResponse Gateway::Static(const HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse r = ErrorResponse(
        absl::UnimplementedError("only GET for static files"), {});
    r.status = 405;
    r.headers.push_back({"allow", "GET, HEAD"});
    return r;
  }
  if (request.path.empty() || request.path[0] != '/') {
    return ErrorResponse(absl::NotFoundError("no such file"), {});
  }
  std::string path = request.path == "/" ? "/index.html" : request.path;
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    if (segment == ".." || absl::StrContains(segment, '\\') ||
        absl::StrContains(segment, '%')) {
      return ErrorResponse(absl::NotFoundError("no such file"), {});
    }
  }
  if (options_.web_root.empty()) {
    return ErrorResponse(absl::NotFoundError("no such file"), {});
  }
  // Regular files only (not directories), and not huge ones.
  std::error_code error;
  const std::filesystem::path file_path = options_.web_root + path;
  if (!std::filesystem::is_regular_file(file_path, error) ||
      std::filesystem::file_size(file_path, error) > (16u << 20)) {
    return ErrorResponse(absl::NotFoundError("no such file"), {});
  }
  std::ifstream file(file_path, std::ios::binary);
  if (!file) return ErrorResponse(absl::NotFoundError("no such file"), {});
  std::ostringstream content;
  content << file.rdbuf();
  HttpResponse response;
  response.headers = {
      {"content-type", ContentType(path)},
      {"x-content-type-options", "nosniff"},
      // The page itself is checked on every load, so a new version shows at
      // once; what it loads may be cached for an hour.
      {"cache-control",
       path == "/index.html" ? "no-cache" : "public, max-age=3600"}};
  response.body = content.str();
  return response;
}

}  // namespace cdc::gateway
