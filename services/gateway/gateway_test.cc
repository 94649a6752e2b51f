// cdc-gateway's HTTP side against the real services: real members,
// consultations, comments and notifications on loopback over a real Redis,
// the real gateway and HTTP server, and a real HTTP client (Beast).
#include "services/gateway/gateway.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/gateway/gateway_stack_test_support.h"
#include "services/gateway/grpc_front.h"
#include "services/gateway/http_server.h"
#include "services/gateway/http_test_client.h"
#include "services/gateway/rate_limiter.h"
#include "services/gateway/route_table.h"
#include "services/gateway/test_certificate.h"
#include "services/notifications/notifications_test_support.h"

namespace cdc::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using ::testing::HasSubstr;

using testing::HttpReply;

class GatewayTest : public notifications::testing::NotificationsServerTest {
 protected:
  void SetUp() override {
    notifications::testing::NotificationsServerTest::SetUp();
    if (HasFatalFailure()) return;
    web_root_ = std::filesystem::temp_directory_path() /
                absl::StrCat("cdc-web-", getpid(), "-", rand());
    std::filesystem::create_directories(web_root_ / "assets");
    std::ofstream(web_root_ / "index.html")
        << "<!doctype html><title>cdc</title>";
    std::ofstream(web_root_ / "assets" / "app.js") << "console.log('cdc');";
    bo_ = NewMember("bo@example.org", "KEN", v1::ORGANISATION_TYPE_ACADEMIA,
                    v1::ROLE_MEMBER);
    ASSERT_TRUE(OpenConsultation());
    StartGateway(/*rate_per_token=*/0);
  }

  void TearDown() override {
    StopGateway();
    std::filesystem::remove_all(web_root_);
    notifications::testing::NotificationsServerTest::TearDown();
  }

  std::map<std::string, std::string> BackendAddresses() {
    return {
        {"cdc.v1.MembersService", host_->address()},
        {"cdc.v1.ConsultationsService", host_c_->address()},
        {"cdc.v1.CommentsService", host_k_->address()},
        {"cdc.v1.NotificationsService", replica_->host.address()},
    };
  }

  // Small limits, so that the tests can reach them.
  void StartGateway(int64_t rate_per_token) {
    limiter_ = std::make_unique<RateLimiter>(
        &redis(), RateLimiter::Options{.per_token_per_minute = rate_per_token,
                                       .per_address_per_minute = 0});
    testing::GatewayStack::Options options;
    options.backends = BackendAddresses();
    options.limiter = limiter_.get();
    options.gateway.web_root = web_root_.string();
    options.gateway.cors_origins = {"https://consult.example.org"};
    options.gateway.max_streams_per_caller = 2;
    options.http.body_limit = 64 * 1024;
    options.http.header_timeout = absl::Milliseconds(500);
    options.http.idle_timeout = absl::Seconds(1);
    auto stack = testing::GatewayStack::Start(std::move(options));
    ASSERT_THAT(stack, cdc::testing::IsOk());
    stack_ = std::move(*stack);
  }

  void StopGateway() { stack_.reset(); }

  // One request on a new connection.
  HttpReply Call(http::verb verb, const std::string& target,
                 const std::string& body = "", const std::string& token = "",
                 std::map<std::string, std::string> headers = {}) {
    return stack_->Http(verb, target, body, token, headers);
  }

  std::string bo_;  // a second MEMBER token
  std::filesystem::path web_root_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<testing::GatewayStack> stack_;
};

TEST_F(GatewayTest, HealthAndReadinessFollowTheBackends) {
  HttpReply health = Call(http::verb::get, "/healthz");
  EXPECT_EQ(health.status, 200);
  HttpReply ready = Call(http::verb::get, "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_THAT(ready.body, HasSubstr("\"cdc.v1.CommentsService\":\"SERVING\""));
  host_k_->Shutdown();  // cdc-comments stops
  ASSERT_TRUE(WaitFor([&] { return !stack_->gateway().Ready(); }));
  ready = Call(http::verb::get, "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_THAT(ready.body,
              HasSubstr("\"cdc.v1.CommentsService\":\"NOT_SERVING\""));
  EXPECT_EQ(Call(http::verb::get, "/healthz").status, 200);  // still up
}

TEST_F(GatewayTest, ReadsAndWritesGoThroughAsJson) {
  HttpReply member = Call(http::verb::get,
                          absl::StrCat("/v1/", MemberOf(member_)), "", member_);
  ASSERT_EQ(member.status, 200) << member.body;
  EXPECT_THAT(member.body, HasSubstr("\"displayName\":\"amina@example.org\""));
  EXPECT_EQ(member.headers["content-type"], "application/json");
  EXPECT_FALSE(member.headers["x-request-id"].empty());

  HttpReply comment =
      Call(http::verb::post, "/v1/comments?request_id=gw-1",
           R"({"target": "consultations/cph/sections/principles",
          "body": "Through the gateway.", "type": "GENERAL"})",
           member_);
  ASSERT_EQ(comment.status, 200) << comment.body;
  EXPECT_THAT(comment.body, HasSubstr("\"body\":\"Through the gateway.\""));
}

TEST_F(GatewayTest, ErrorsHaveTheGrpcCodeAndTheMappedStatus) {
  HttpReply anonymous = Call(http::verb::get, "/v1/members");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_THAT(anonymous.body, HasSubstr("\"code\":16"));
  HttpReply missing = Call(http::verb::get, "/v1/nothing/here", "", member_);
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(missing.body, HasSubstr("\"code\":5"));
  HttpReply wrong_verb = Call(
      http::verb::put, absl::StrCat("/v1/", MemberOf(member_)), "{}", member_);
  EXPECT_EQ(wrong_verb.status, 405);
  EXPECT_THAT(wrong_verb.headers["allow"], HasSubstr("GET"));
  HttpReply malformed =
      Call(http::verb::post, "/v1/comments", "{not json", member_);
  EXPECT_EQ(malformed.status, 400);
  EXPECT_THAT(malformed.body, HasSubstr("\"code\":3"));
  HttpReply unknown = Call(http::verb::post, "/v1/comments",
                           R"({"target": "x", "colour": "red"})", member_);
  EXPECT_EQ(unknown.status, 400);
  HttpReply wrong_type =
      Call(http::verb::post, "/v1/comments", R"({"target": 7})", member_);
  EXPECT_EQ(wrong_type.status, 400);
  HttpReply denied =
      Call(http::verb::post, "/v1/consultations?consultation_id=x",
           R"({"title": "Mine"})", member_);
  EXPECT_EQ(denied.status, 403);
  HttpReply too_big = Call(http::verb::post, "/v1/comments",
                           std::string(100 * 1024, ' '), member_);
  EXPECT_EQ(too_big.status, 413);
}

TEST_F(GatewayTest, EveryRouteReachesItsService) {
  // Signing out (or changing the password) ends the session: those last.
  std::vector<const Route*> routes;
  for (const Route& route : Routes()) routes.push_back(&route);
  std::stable_partition(routes.begin(), routes.end(), [](const Route* r) {
    return !absl::StrContains(r->method, "SignOut") &&
           !absl::StrContains(r->method, "ChangePassword");
  });
  int reached = 0;
  for (const Route* r : routes) {
    const Route& route = *r;
    if (absl::StartsWith(route.method, "cdc.v1.CommunityService")) continue;
    if (route.server_streaming) continue;
    const std::string path = testing::SamplePath(route);
    const std::string verb(route.verb);
    HttpReply reply =
        Call(http::string_to_verb(verb), path,
             verb == "GET" || verb == "DELETE" ? "" : "{}", secretariat_token_);
    EXPECT_NE(reply.status, 0) << verb << " " << path;
    EXPECT_NE(reply.status, 405) << verb << " " << path << ": " << reply.body;
    EXPECT_NE(reply.status, 501) << verb << " " << path << ": " << reply.body;
    EXPECT_THAT(reply.body, ::testing::Not(HasSubstr("no route")))
        << verb << " " << path;
    // The secretariat's token is good until the sign-out at the end: the
    // service itself answered, about the request rather than the caller.
    if (!absl::StrContains(route.method, "ChangePassword")) {
      EXPECT_NE(reply.status, 401) << verb << " " << path << ": " << reply.body;
    }
    ++reached;
  }
  EXPECT_GE(reached, 50);
}

TEST_F(GatewayTest, RateLimitsAnswer429WithRetryAfter) {
  StopGateway();
  StartGateway(/*rate_per_token=*/3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Call(http::verb::get, "/v1/members", "", member_).status, 200);
  }
  HttpReply limited = Call(http::verb::get, "/v1/members", "", member_);
  EXPECT_EQ(limited.status, 429);
  EXPECT_THAT(limited.body, HasSubstr("\"code\":8"));
  EXPECT_FALSE(limited.headers["retry-after"].empty());
  // Another token has its own allowance.
  EXPECT_EQ(Call(http::verb::get, "/v1/members", "", bo_).status, 200);
}

TEST_F(GatewayTest, TheGrpcFrontHasTheSameLimits) {
  RateLimiter limiter(&redis(),
                      {.per_token_per_minute = 2, .per_address_per_minute = 0});
  GrpcFront front(testing::BackendChannels(BackendAddresses()),
                  GrpcAdmission(&limiter));
  int port = 0;
  auto server = StartGrpcFront(&front, "127.0.0.1:0", &port);
  ASSERT_THAT(server, cdc::testing::IsOk());
  auto members = v1::MembersService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  auto call = [&](const std::string& token) {
    v1::Principal principal;
    return members
        ->Authenticate(As(token).get(), v1::AuthenticateRequest(), &principal)
        .error_code();
  };
  EXPECT_EQ(call(member_), grpc::StatusCode::OK);
  EXPECT_EQ(call(member_), grpc::StatusCode::OK);
  EXPECT_EQ(call(member_), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(call(bo_), grpc::StatusCode::OK);  // its own allowance
  (*server)->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
}

TEST_F(GatewayTest, ServesTheWebUiWithTypesAndCaching) {
  HttpReply index = Call(http::verb::get, "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(index.headers["cache-control"], "no-cache");
  HttpReply script = Call(http::verb::get, "/assets/app.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_THAT(script.headers["cache-control"], HasSubstr("max-age"));
  EXPECT_EQ(Call(http::verb::get, "/../etc/passwd").status, 404);
  EXPECT_EQ(Call(http::verb::get, "/nope.html").status, 404);
}

TEST_F(GatewayTest, CorsAllowsListedOriginsOnly) {
  HttpReply preflight = Call(http::verb::options, "/v1/members", "", "",
                             {{"origin", "https://consult.example.org"},
                              {"access-control-request-method", "GET"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.headers["access-control-allow-origin"],
            "https://consult.example.org");
  HttpReply foreign = Call(http::verb::options, "/v1/members", "", "",
                           {{"origin", "https://evil.example"}});
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(foreign.headers.count("access-control-allow-origin"), 0u);
}

TEST_F(GatewayTest, SilentClientsAreDisconnected) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                         stack_->http_port()));
  char byte;
  beast::error_code ec;
  socket.read_some(asio::buffer(&byte, 1), ec);  // waits for the close
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset)
      << ec.message();
  // Garbage is a 400, and the gateway keeps serving others.
  asio::ip::tcp::socket other(io);
  other.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                        stack_->http_port()));
  asio::write(other, asio::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
  std::string answer(12, '\0');
  asio::read(other, asio::buffer(answer), ec);
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 400");
  EXPECT_EQ(Call(http::verb::get, "/healthz").status, 200);
}

TEST_F(GatewayTest, ServerSentEventsStreamAndResume) {
  auto comment = Comment(member_, Section("principles"), "Add consent.");
  ASSERT_THAT(comment, cdc::testing::IsOk());

  // Opens the stream and returns the socket; reads "event:" blocks.
  auto open = [&](asio::io_context& io, const std::string& last_event_id) {
    auto socket = std::make_unique<asio::ip::tcp::socket>(io);
    socket->connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                            stack_->http_port()));
    std::string request = absl::StrCat(
        "GET /v1/notifications:stream HTTP/1.1\r\nHost: x\r\nAuthorization: "
        "Bearer ",
        member_, "\r\n");
    if (!last_event_id.empty()) {
      absl::StrAppend(&request, "Last-Event-ID: ", last_event_id, "\r\n");
    }
    request += "\r\n";
    asio::write(*socket, asio::buffer(request));
    return socket;
  };
  // Reads until `count` notification events arrived (0: until the first
  // heartbeat, which says the subscription is live); returns their ids.
  asio::streambuf buffer;
  auto ids = [&buffer](asio::ip::tcp::socket& socket, int count,
                       std::string* all) -> std::vector<std::string> {
    std::vector<std::string> out;
    beast::error_code ec;
    while (static_cast<int>(out.size()) < count ||
           (count == 0 && !absl::StrContains(*all, "event: heartbeat"))) {
      asio::read_until(socket, buffer, "\n\n", ec);
      if (ec) break;
      std::string frame(asio::buffers_begin(buffer.data()),
                        asio::buffers_begin(buffer.data()) + buffer.size());
      const size_t end = frame.find("\n\n") + 2;
      buffer.consume(end);
      frame = frame.substr(0, end);
      *all += frame;
      if (absl::StrContains(frame, "event: notification")) {
        const size_t id = frame.find("id: ");
        out.push_back(frame.substr(id + 4, frame.find('\n', id) - id - 4));
      }
    }
    return out;
  };

  asio::io_context io;
  auto first = open(io, "");
  std::string text;
  ids(*first, 0, &text);  // live: what comes now reaches it
  ASSERT_THAT(Reply(bo_, comment->name(), "one"), cdc::testing::IsOk());
  std::vector<std::string> got = ids(*first, 1, &text);
  ASSERT_EQ(got.size(), 1u) << text;
  EXPECT_THAT(text, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(text, HasSubstr("content-type: text/event-stream"));
  EXPECT_THAT(text, HasSubstr("event: heartbeat"));
  first->close();

  ASSERT_THAT(Reply(bo_, comment->name(), "two"), cdc::testing::IsOk());
  ASSERT_THAT(Reply(bo_, comment->name(), "three"), cdc::testing::IsOk());
  buffer.consume(buffer.size());
  auto second = open(io, got[0]);
  std::string more;
  std::vector<std::string> resumed = ids(*second, 2, &more);
  ASSERT_EQ(resumed.size(), 2u) << more;
  EXPECT_NE(resumed[0], got[0]);
  EXPECT_NE(resumed[1], resumed[0]);
  EXPECT_TRUE(WaitFor([&] { return stack_->metrics().open_streams() == 1; }));
  second->close();
  EXPECT_TRUE(WaitFor([&] { return stack_->metrics().open_streams() == 0; }));
}

TEST_F(GatewayTest, ServerStreamsComeAsJsonLines) {
  ASSERT_THAT(Comment(member_, Section("principles"), "For the record."),
              cdc::testing::IsOk());
  // A finite stream: the comment-response record, one {"result"} a line.
  HttpReply record = Call(http::verb::get, "/v1/consultations/cph:exportRecord",
                          "", secretariat_token_);
  EXPECT_EQ(record.status, 200) << record.body;
  EXPECT_EQ(record.headers["content-type"], "application/x-ndjson");
  EXPECT_THAT(record.body, HasSubstr("{\"result\":{"));
  EXPECT_THAT(record.body, HasSubstr("For the record."));
  // A refusal before the stream starts is a plain HTTP error.
  HttpReply refused =
      Call(http::verb::get, "/v1/events:watch?start=EARLIEST", "", member_);
  EXPECT_EQ(refused.status, 403) << refused.body;
  HttpReply anonymous = Call(http::verb::get, "/v1/notifications:stream");
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;

  // An endless one: the partner feed, read line by line.
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                         stack_->http_port()));
  asio::write(socket, asio::buffer(absl::StrCat(
                          "GET /v1/events:watch?start=EARLIEST&eventTypes="
                          "EVENT_TYPE_COMMENT_CREATED HTTP/1.1\r\nHost: x\r\n"
                          "Authorization: Bearer ",
                          secretariat_token_, "\r\n\r\n")));
  asio::streambuf buffer;
  beast::error_code ec;
  asio::read_until(socket, buffer, "}\n", ec);
  ASSERT_FALSE(ec) << ec.message();
  std::string text(asio::buffers_begin(buffer.data()),
                   asio::buffers_end(buffer.data()));
  EXPECT_THAT(text, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(text, HasSubstr("application/x-ndjson"));
  EXPECT_THAT(text, HasSubstr("\"commentCreated\""));
  EXPECT_THAT(text, HasSubstr("\"cursor\""));
  socket.close();
  EXPECT_TRUE(WaitFor([&] { return stack_->metrics().open_streams() == 0; }));
}

TEST_F(GatewayTest, ServesHttpsWhenGivenACertificate) {
  const auto [cert, key] = testing::SelfSignedCertificate();
  HttpServer::Options options;
  options.tls_certificate_pem = cert;
  options.tls_key_pem = key;
  HttpServer https(
      options, [this](HttpRequest request, std::shared_ptr<Exchange> exchange) {
        stack_->gateway().Handle(std::move(request), std::move(exchange));
      });
  ASSERT_THAT(https.Start(), cdc::testing::IsOk());

  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.add_certificate_authority(asio::buffer(cert));
  tls.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, tls);
  beast::get_lowest_layer(stream).connect(asio::ip::tcp::endpoint(
      asio::ip::make_address("127.0.0.1"), https.port()));
  stream.handshake(asio::ssl::stream_base::client);
  http::request<http::string_body> request(
      http::verb::get, absl::StrCat("/v1/", MemberOf(member_)), 11);
  request.set(http::field::host, "localhost");
  request.set(http::field::authorization, "Bearer " + member_);
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_THAT(response.body(), HasSubstr("amina@example.org"));

  // Plain HTTP on the TLS port gets no answer but a closed connection.
  HttpReply plain;
  {
    asio::ip::tcp::socket socket(io);
    socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                           https.port()));
    asio::write(socket, asio::buffer(std::string("GET /healthz HTTP/1.1\r\n"
                                                 "Host: x\r\n\r\n")));
    std::string answer(64, '\0');
    beast::error_code ec;
    const size_t n = socket.read_some(asio::buffer(answer), ec);
    EXPECT_FALSE(absl::StartsWith(answer.substr(0, n), "HTTP/1.1 200"));
  }
  https.Stop();
}

TEST_F(GatewayTest, HostileHeadersAndHeadRequestsAreHandled) {
  // Bytes gRPC metadata cannot carry: refused, and the gateway stays up.
  HttpReply bad = Call(http::verb::get, "/v1/members", "", "",
                       {{"authorization", "Bearer \xc3\xa9t\xe9"}});
  EXPECT_EQ(bad.status, 401);
  HttpReply bad_id =
      Call(http::verb::get, "/v1/notifications:stream", "", member_,
           {{"last-event-id", "members/x/notifications/\xc3\xa9"}});
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_THAT(bad_id.body, HasSubstr("last-event-id"));
  EXPECT_EQ(Call(http::verb::get, "/healthz").status, 200);
  // HEAD: the headers of a GET, no body.
  HttpReply head = Call(http::verb::head, "/assets/app.js");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["content-length"], "19");  // console.log('cdc');
  EXPECT_TRUE(head.body.empty());
}

TEST_F(GatewayTest, AnUnreachableServiceIsA503WithoutItsInternals) {
  host_k_->Shutdown();
  HttpReply down =
      Call(http::verb::get, "/v1/comments?target=consultations/cph/sections/x",
           "", member_);
  EXPECT_EQ(down.status, 503);
  EXPECT_THAT(down.body, HasSubstr("unavailable"));
  EXPECT_THAT(down.body, ::testing::Not(HasSubstr("127.0.0.1")));
}

TEST_F(GatewayTest, StreamsOutliveTheIdleTimeout) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                         stack_->http_port()));
  asio::write(socket, asio::buffer(absl::StrCat(
                          "GET /v1/notifications:stream HTTP/1.1\r\nHost: x\r\n"
                          "Authorization: Bearer ",
                          member_, "\r\n\r\n")));
  // Heartbeats every 300 ms for 2.5 s, past the 1 s idle timeout.
  asio::streambuf buffer;
  int heartbeats = 0;
  const absl::Time until = absl::Now() + absl::Milliseconds(2500);
  beast::error_code ec;
  while (absl::Now() < until) {
    asio::read_until(socket, buffer, "\n\n", ec);
    ASSERT_FALSE(ec) << ec.message() << " after " << heartbeats;
    std::string frame(asio::buffers_begin(buffer.data()),
                      asio::buffers_end(buffer.data()));
    const size_t end = frame.find("\n\n") + 2;
    heartbeats += absl::StrContains(frame.substr(0, end), "event: heartbeat");
    buffer.consume(end);
  }
  EXPECT_GE(heartbeats, 5);
}

TEST_F(GatewayTest, OpenStreamsPerCallerAreCapped) {
  asio::io_context io;
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> open;
  auto start = [&](const std::string& token) {
    auto socket = std::make_unique<asio::ip::tcp::socket>(io);
    socket->connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                            stack_->http_port()));
    asio::write(*socket, asio::buffer(absl::StrCat(
                             "GET /v1/notifications:stream HTTP/1.1\r\nHost: "
                             "x\r\nAuthorization: Bearer ",
                             token, "\r\n\r\n")));
    std::string status(12, '\0');
    asio::read(*socket, asio::buffer(status));
    open.push_back(std::move(socket));
    return status;
  };
  EXPECT_EQ(start(member_), "HTTP/1.1 200");
  EXPECT_EQ(start(member_), "HTTP/1.1 200");
  EXPECT_EQ(start(member_), "HTTP/1.1 429");  // the cap is 2 here
  EXPECT_EQ(start(bo_), "HTTP/1.1 200");      // another caller's own
  open[0]->close();                           // one closes: room for another
  ASSERT_TRUE(WaitFor([&] { return stack_->metrics().open_streams() <= 2; }));
  EXPECT_EQ(start(member_), "HTTP/1.1 200");
}

TEST_F(GatewayTest, MetricsCountRequestsByRouteAndStatus) {
  Call(http::verb::get, "/healthz");
  Call(http::verb::get, "/v1/members");
  HttpReply metrics = Call(http::verb::get, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(
      metrics.body,
      HasSubstr(
          "cdc_gateway_requests_total{route=\"healthz\",status=\"200\"} 1"));
  EXPECT_THAT(metrics.body, HasSubstr("status=\"401\"} 1"));
  EXPECT_THAT(metrics.body,
              HasSubstr("cdc_gateway_request_duration_seconds_bucket"));
  EXPECT_THAT(metrics.body, HasSubstr("cdc_gateway_open_streams 0"));
}

}  // namespace
}  // namespace cdc::gateway
