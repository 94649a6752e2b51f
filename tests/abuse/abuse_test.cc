// Abuse (issue 11, item 7), against the real services on loopback over a
// real Redis, the real gateway (HTTP/JSON and its gRPC front) and real
// clients:
//   - password guessing is slowed through every door (HTTP, the gRPC front,
//     a service's own port), and a caller cannot choose the address it is
//     counted under;
//   - no secret (password, token, token hash, password hash) shows in the
//     logs of every service and the gateway, in error answers, or in the
//     gateway's /metrics;
//   - very long, deeply nested, invalid-UTF-8 and unknown inputs get a clear
//     error at every entry point (every method of every service, directly
//     and through the front; the HTTP side), and everything stays up;
//   - page sizes are bounded.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/auth.h"
#include "services/common/crypto.h"
#include "services/common/status.h"
#include "services/community/community_test_support.h"
#include "services/gateway/gateway_stack_test_support.h"
#include "services/gateway/http_server.h"
#include "services/gateway/rate_limiter.h"
#include "services/notifications/notifications_test_support.h"

namespace cdc::abuse {
namespace {

namespace http = boost::beast::http;
using gateway::testing::HttpReply;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPassword[] = "Abuse-test passphrase 7319";
constexpr int kSignInLimit = 5;  // the default per account and address

// What a gRPC call answered.
struct Answer {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  std::string retry_after;  // the "retry-after" trailer, if any
};

// Calls `method` ("/cdc.v1.X/Y") on `channel` with `bytes` as the request,
// as `token` (none when empty) and with `metadata`. A server stream is read
// to its end (every request sent here is refused before any message).
Answer CallRaw(const std::shared_ptr<grpc::Channel>& channel,
               const std::string& method, const std::string& bytes,
               const std::string& token = "", bool server_streaming = false,
               const std::map<std::string, std::string>& metadata = {}) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(20));
  grpc::CompletionQueue queue;
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  void* tag = nullptr;
  bool ok = false;
  if (!server_streaming) {
    auto call = stub.PrepareUnaryCall(&context, method, request, &queue);
    call->StartCall();
    call->Finish(&response, &status, &status);
    queue.Next(&tag, &ok);
  } else {
    auto call = stub.PrepareCall(&context, method, &queue);
    call->StartCall(&queue);
    queue.Next(&tag, &ok);
    call->WriteLast(request, grpc::WriteOptions(), &request);
    queue.Next(&tag, &ok);
    bool more = true;
    while (more) {
      call->Read(&response, &response);
      more = queue.Next(&tag, &ok) && ok;
    }
    call->Finish(&status, &status);
    queue.Next(&tag, &ok);
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  Answer answer{status.error_code(), status.error_message(), ""};
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("retry-after");
  if (it != trailers.end()) {
    answer.retry_after = std::string(it->second.data(), it->second.size());
  }
  return answer;
}

// The wire form of a message whose field path `path` (outermost first) is
// a length-delimited field holding `value`, nothing else set.
std::string Nested(
    const std::vector<const google::protobuf::FieldDescriptor*>& path,
    const std::string& value) {
  std::string inner = value;
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    std::string out;
    {
      google::protobuf::io::StringOutputStream stream(&out);
      google::protobuf::io::CodedOutputStream coded(&stream);
      coded.WriteTag(google::protobuf::internal::WireFormatLite::MakeTag(
          (*it)->number(), google::protobuf::internal::WireFormatLite::
                               WIRETYPE_LENGTH_DELIMITED));
      coded.WriteVarint32(static_cast<uint32_t>(inner.size()));
      coded.WriteRaw(inner.data(), static_cast<int>(inner.size()));
    }
    inner = std::move(out);
  }
  return inner;
}

// The path to the first string field of `type` (depth first, at most three
// messages deep); empty when it has none.
std::vector<const google::protobuf::FieldDescriptor*> FirstStringField(
    const google::protobuf::Descriptor* type, int depth = 0) {
  using google::protobuf::FieldDescriptor;
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    if (field->type() == FieldDescriptor::TYPE_STRING) return {field};
  }
  if (depth >= 2) return {};
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    if (field->type() != FieldDescriptor::TYPE_MESSAGE || field->is_map()) {
      continue;
    }
    auto rest = FirstStringField(field->message_type(), depth + 1);
    if (!rest.empty()) {
      rest.insert(rest.begin(), field);
      return rest;
    }
  }
  return {};
}

class AbuseTest : public notifications::testing::NotificationsFixture<
                      community::testing::CommunityServerTest> {
 protected:
  void SetUp() override {
    NotificationsFixture::SetUp();
    if (HasFatalFailure()) return;
    direct_ = gateway::testing::BackendChannels(BackendAddresses());
    limiter_ = std::make_unique<gateway::RateLimiter>(
        &redis(),
        gateway::RateLimiter::Options{.per_token_per_minute = 100000,
                                      .per_address_per_minute = 100000});
    gateway::testing::GatewayStack::Options options;  // 1 MiB bodies
    options.backends = BackendAddresses();
    options.limiter = limiter_.get();
    options.grpc_front = true;
    auto stack = gateway::testing::GatewayStack::Start(std::move(options));
    ASSERT_THAT(stack, cdc::testing::IsOk());
    stack_ = std::move(*stack);
    front_channel_ = stack_->front_channel();
  }

  void TearDown() override {
    stack_.reset();
    NotificationsFixture::TearDown();
  }

  std::map<std::string, std::string> BackendAddresses() {
    return {
        {"cdc.v1.MembersService", host_->address()},
        {"cdc.v1.ConsultationsService", host_c_->address()},
        {"cdc.v1.CommentsService", host_k_->address()},
        {"cdc.v1.CommunityService", host_cm_->address()},
        {"cdc.v1.NotificationsService", replica_->host.address()},
    };
  }

  HttpReply Http(http::verb verb, const std::string& target,
                 const std::string& body = "", const std::string& token = "",
                 const std::map<std::string, std::string>& headers = {}) {
    return stack_->Http(verb, target, body, token, headers);
  }

  // The gateway and the services answer (a trivial call through each).
  void ExpectAllUp() {
    EXPECT_EQ(Http(http::verb::get, "/healthz").status, 200);
    EXPECT_EQ(Http(http::verb::get, "/readyz").status, 200);
    HttpReply me =
        Http(http::verb::get, "/v1/members:authenticate", "", member_);
    EXPECT_EQ(me.status, 200) << me.body;
    for (const auto& [service, channel] : direct_) {
      grpc::health::v1::HealthCheckRequest request;
      request.set_service(service);
      grpc::health::v1::HealthCheckResponse response;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(10));
      EXPECT_TRUE(grpc::health::v1::Health::NewStub(channel)
                      ->Check(&context, request, &response)
                      .ok())
          << service;
      EXPECT_EQ(response.status(),
                grpc::health::v1::HealthCheckResponse::SERVING)
          << service;
    }
  }

  std::map<std::string, std::shared_ptr<grpc::Channel>> direct_;
  std::unique_ptr<gateway::RateLimiter> limiter_;
  std::unique_ptr<gateway::testing::GatewayStack> stack_;
  std::shared_ptr<grpc::Channel> front_channel_;
};

// Sends `head` (an HTTP request head, CRLFs included) and `body` on a new
// connection to 127.0.0.1:`port`, ignoring a failure to send all of it (the
// server may answer and close early), and reads the answer.
HttpReply RawHttp(int port, const std::string& head, const std::string& body) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  beast::error_code ec;
  asio::write(stream, asio::buffer(head), ec);
  if (!ec && !body.empty()) asio::write(stream, asio::buffer(body), ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  http::read(stream, buffer, parser, ec);
  HttpReply reply;
  if (ec) return reply;
  reply.status = static_cast<int>(parser.get().result_int());
  reply.body = parser.get().body();
  return reply;
}

// ---- Constant-time comparison ----

TEST(AbuseConstantTimeEqualsTest, ComparesWholeValuesOfAnyContent) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals(Sha256("secret"), Sha256("secret")));
  EXPECT_FALSE(ConstantTimeEquals(Sha256("secret"), Sha256("Secret")));
  // A difference in the last byte only, and embedded zero bytes.
  std::string a(32, '\0'), b(32, '\0');
  EXPECT_TRUE(ConstantTimeEquals(a, b));
  b[31] = 1;
  EXPECT_FALSE(ConstantTimeEquals(a, b));
  // Different lengths, even when one is a prefix of the other.
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
}

// ---- Password guessing, through every door ----

TEST_F(AbuseTest, GuessingIsSlowedOverHttpWithRetryAfter) {
  const std::string body = absl::StrCat(
      R"({"email":"amina@example.org","password":"wrong guess 1234"})");
  for (int i = 0; i < kSignInLimit; ++i) {
    HttpReply reply = Http(http::verb::post, "/v1/members:signIn", body);
    EXPECT_EQ(reply.status, 401) << reply.body;
  }
  HttpReply refused = Http(http::verb::post, "/v1/members:signIn", body);
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("too many failed sign-ins"));
  int seconds = 0;
  EXPECT_TRUE(absl::SimpleAtoi(refused.headers["retry-after"], &seconds));
  EXPECT_GT(seconds, 0);
  // The right password too, during the lockout.
  HttpReply right = Http(
      http::verb::post, "/v1/members:signIn",
      R"({"email":"amina@example.org","password":"correct horse battery staple"})");
  EXPECT_EQ(right.status, 429) << right.body;
}

TEST_F(AbuseTest, TheFrontCountsTheCallerNotTheAddressItClaims) {
  v1::SignInRequest request;
  request.set_email("amina@example.org");
  request.set_password("wrong guess 1234");
  const std::string bytes = request.SerializeAsString();
  // A new made-up address on every guess: the front replaces it with the
  // caller's own, so the guesses are counted together.
  for (int i = 0; i < kSignInLimit; ++i) {
    Answer answer =
        CallRaw(front_channel_, "/cdc.v1.MembersService/SignIn", bytes, "",
                false, {{kClientAddressKey, absl::StrCat("203.0.113.", i)}});
    EXPECT_EQ(answer.code, grpc::StatusCode::UNAUTHENTICATED) << answer.message;
  }
  Answer refused =
      CallRaw(front_channel_, "/cdc.v1.MembersService/SignIn", bytes, "", false,
              {{kClientAddressKey, "203.0.113.250"}});
  EXPECT_EQ(refused.code, grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.message, HasSubstr("retry after"));
  EXPECT_FALSE(refused.retry_after.empty());
}

// ---- No secret in logs, errors or metrics ----

TEST_F(AbuseTest, NoSecretAppearsInLogsErrorsOrMetrics) {
  std::string errors;  // every error message and error body, together
  auto note = [&](const HttpReply& reply) {
    if (reply.status >= 300) absl::StrAppend(&errors, reply.body, "\n");
    for (const auto& [name, value] : reply.headers) {
      absl::StrAppend(&errors, name, ": ", value, "\n");
    }
  };
  ::testing::internal::CaptureStderr();

  // Sign-up and approval.
  const std::string application = absl::StrCat(
      R"({"member":{"email":"zanele@example.org","displayName":"Zanele",)",
      R"("organisation":"Stats SA","organisationType":)",
      R"("ORGANISATION_TYPE_NATIONAL_STATISTICAL_OFFICE","country":"ZAF",)",
      R"("languages":["en"]},"password":")", kPassword, R"("})");
  HttpReply applied = Http(http::verb::post, "/v1/members:apply", application);
  ASSERT_EQ(applied.status, 200) << applied.body;
  const size_t at = applied.body.find("members/");
  ASSERT_NE(at, std::string::npos);
  const std::string name = applied.body.substr(at, 8 + 16);
  HttpReply approved =
      Http(http::verb::post, absl::StrCat("/v1/", name, ":approve"),
           R"({"role":"ROLE_MEMBER"})", secretariat_token_);
  ASSERT_EQ(approved.status, 200) << approved.body;

  // Wrong passwords (through HTTP, the front and directly), then the right.
  std::vector<std::string> wrong;
  // (Four failures: one fewer than the lockout, all from 127.0.0.1.)
  for (int i = 0; i < 2; ++i) {
    wrong.push_back(absl::StrCat("Wrong-guess-", i, "-qzx"));
    note(Http(http::verb::post, "/v1/members:signIn",
              absl::StrCat(R"({"email":"zanele@example.org","password":")",
                           wrong.back(), R"("})")));
  }
  v1::SignInRequest guess;
  guess.set_email("zanele@example.org");
  guess.set_password("Wrong-guess-front-qzx");
  wrong.push_back(guess.password());
  Answer front = CallRaw(front_channel_, "/cdc.v1.MembersService/SignIn",
                         guess.SerializeAsString());
  absl::StrAppend(&errors, front.message, "\n");
  guess.set_password("Wrong-guess-direct-qzx");
  wrong.push_back(guess.password());
  Answer direct =
      CallRaw(direct_["cdc.v1.MembersService"], "/cdc.v1.MembersService/SignIn",
              guess.SerializeAsString());
  absl::StrAppend(&errors, direct.message, "\n");
  HttpReply session =
      Http(http::verb::post, "/v1/members:signIn",
           absl::StrCat(R"({"email":"zanele@example.org","password":")",
                        kPassword, R"("})"));
  ASSERT_EQ(session.status, 200) << session.body;
  const size_t token_at = session.body.find("cdc_");
  ASSERT_NE(token_at, std::string::npos);
  const std::string token = session.body.substr(token_at, 4 + 24 + 1 + 43);

  // The token used, misused and changed.
  note(Http(http::verb::get, absl::StrCat("/v1/", name), "", token));
  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  note(Http(http::verb::get, absl::StrCat("/v1/", name), "", forged));
  note(Http(http::verb::get, "/v1/members", "", absl::StrCat(token, "x")));
  note(
      Http(http::verb::get, "/v1/members", "", "", {{"authorization", token}}));
  Answer front_forged = CallRaw(
      front_channel_, "/cdc.v1.MembersService/Authenticate", "", forged);
  absl::StrAppend(&errors, front_forged.message, "\n");
  const std::string new_password = "Another passphrase 8642";
  note(Http(http::verb::post, absl::StrCat("/v1/", name, ":changePassword"),
            absl::StrCat(R"({"currentPassword":"Wrong-current-qzx",)",
                         R"("newPassword":")", new_password, R"("})"),
            token));
  wrong.push_back("Wrong-current-qzx");
  note(Http(http::verb::post, absl::StrCat("/v1/", name, ":changePassword"),
            absl::StrCat(R"({"currentPassword":")", kPassword,
                         R"(","newPassword":"short"})"),
            token));

  // An API token: issued, used, revoked, refused.
  HttpReply issued = Http(
      http::verb::post, "/v1/tokens",
      absl::StrCat(R"({"member":")", name, R"(","displayName":"Partner"})"),
      secretariat_token_);
  ASSERT_EQ(issued.status, 200) << issued.body;
  const size_t secret_at = issued.body.find("cdc_");
  ASSERT_NE(secret_at, std::string::npos);
  const std::string api_token = issued.body.substr(secret_at, 4 + 24 + 1 + 43);
  const size_t token_name_at = issued.body.find("tokens/");
  const std::string token_name = issued.body.substr(token_name_at, 7 + 24);
  note(Http(http::verb::get, "/v1/members:authenticate", "", api_token));
  note(Http(http::verb::delete_, absl::StrCat("/v1/", token_name), "",
            secretariat_token_));
  note(Http(http::verb::get, "/v1/members:authenticate", "", api_token));
  note(Http(http::verb::post, "/v1/members:signOut", "{}", token));
  note(Http(http::verb::get, "/v1/members:authenticate", "", token));

  const HttpReply metrics = Http(http::verb::get, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  const std::string logs = ::testing::internal::GetCapturedStderr();

  // What must never be shown: passwords (right and wrong), tokens, their
  // secrets and the secrets' hashes, the stored password hash.
  std::vector<std::string> secrets = {kPassword, new_password,
                                      secretariat_token_};
  secrets.insert(secrets.end(), wrong.begin(), wrong.end());
  for (const std::string& t : {token, api_token, secretariat_token_}) {
    const std::string secret = t.substr(4 + 24 + 1);
    const std::string hash = Sha256(secret);
    secrets.push_back(t);
    secrets.push_back(secret);
    secrets.push_back(HexEncode(hash));
    secrets.push_back(absl::Base64Escape(hash));
    secrets.push_back(absl::WebSafeBase64Escape(hash));
    secrets.push_back(HexEncode(Sha256(t)));  // the rate limiter's key
    secrets.push_back(HexEncode(Sha256(t)).substr(0, 32));
  }
  auto keys = redis().Command(
      {"KEYS", absl::StrCat("members:*:member:", name.substr(8))});
  ASSERT_THAT(keys, cdc::testing::IsOk());
  ASSERT_EQ(keys->elements.size(), 1u);
  auto hash = redis().Command({"HGET", keys->elements[0].str, "pw"});
  ASSERT_THAT(hash, cdc::testing::IsOk());
  ASSERT_TRUE(absl::StartsWith(hash->str, "$argon2id$")) << hash->str;
  secrets.push_back(hash->str);
  // Its salt and digest, each on its own.
  for (absl::string_view part : absl::StrSplit(hash->str, '$')) {
    if (part.size() >= 16) secrets.push_back(std::string(part));
  }

  ASSERT_THAT(logs, HasSubstr("\"msg\":\"http\""));  // the capture works
  ASSERT_THAT(errors, HasSubstr("the email or the password is wrong"));
  for (const std::string& secret : secrets) {
    EXPECT_THAT(logs, Not(HasSubstr(secret))) << "in the logs";
    EXPECT_THAT(errors, Not(HasSubstr(secret))) << "in an error";
    EXPECT_THAT(metrics.body, Not(HasSubstr(secret))) << "in /metrics";
  }
}

// ---- Bad inputs over HTTP ----

TEST_F(AbuseTest, HttpRefusesHugeNestedInvalidAndUnknownInputsClearly) {
  struct Case {
    std::string what;
    http::verb verb;
    std::string target;
    std::string body;
    int status;
    std::string says;  // in the error body
  };
  // Far more than the socket buffers hold: the client is still writing
  // when the gateway refuses, and must still get the refusal.
  const std::string path_8mb(8 << 20, 'a');
  std::vector<Case> cases = {
      {"a 900 KB field", http::verb::post, "/v1/members:apply",
       absl::StrCat(R"({"member":{"email":"x@example.org","displayName":")",
                    std::string(900 << 10, 'a'),
                    R"(","organisation":"Org","country":"KEN",)",
                    R"("organisationType":"ORGANISATION_TYPE_ACADEMIA",)",
                    R"("languages":["en"]},"password":"p"})"),
       400, "member.display_name"},
      {"a 900 KB password", http::verb::post, "/v1/members:signIn",
       absl::StrCat(R"({"email":"x@example.org","password":")",
                    std::string(900 << 10, 'a'), R"("})"),
       400, "password:"},
      {"100,000 nested arrays", http::verb::post, "/v1/members:signIn",
       std::string(100000, '['), 400, "body:"},
      {"100,000 nested objects", http::verb::post, "/v1/members:apply",
       [] {
         std::string s;
         for (int i = 0; i < 100000; ++i) s += R"({"member":)";
         return s;
       }(),
       400, "body:"},
      {"invalid UTF-8 in a JSON string", http::verb::post, "/v1/members:signIn",
       "{\"email\":\"a\xff\xfe@example.org\",\"password\":\"p\"}", 400,
       "UTF-8"},
      {"an overlong UTF-8 form", http::verb::post, "/v1/members:apply",
       "{\"member\":{\"email\":\"x@example.org\",\"displayName\":\"\xc0\xaf\"},"
       "\"password\":\"p\"}",
       400, "UTF-8"},
      {"invalid UTF-8 in the query", http::verb::get,
       "/v1/members?country=%FF%FE", "", 400, "UTF-8"},
      {"invalid UTF-8 in the path", http::verb::get, "/v1/members/%FF%FE%FD",
       "", 400, ""},
      {"an unknown field", http::verb::post, "/v1/members:signIn",
       R"({"email":"x@example.org","password":"p","isAdmin":true})", 400,
       "isAdmin"},
      {"an unknown query parameter", http::verb::get,
       "/v1/members?is_admin=true", "", 400, "is_admin"},
      {"a page size past int32", http::verb::get,
       "/v1/members?page_size=99999999999999", "", 400, "page_size"},
      {"a negative page size", http::verb::get, "/v1/members?page_size=-1", "",
       400, "page_size"},
      {"an 8 KB page token", http::verb::get,
       absl::StrCat("/v1/members?page_token=", std::string(8000, 'A')), "", 400,
       "page_token"},
      {"an 8 MB path", http::verb::get, absl::StrCat("/v1/members/", path_8mb),
       "", 431, ""},
  };
  // A 10 MB body: refused from its Content-Length, before it is read.
  HttpReply huge = RawHttp(stack_->http_port(),
                           "POST /v1/members:signIn HTTP/1.1\r\n"
                           "host: localhost\r\n"
                           "content-type: application/json\r\n"
                           "content-length: 10485760\r\n\r\n",
                           std::string(64 << 10, 'a'));
  EXPECT_EQ(huge.status, 413) << huge.body;
  EXPECT_THAT(huge.body, HasSubstr("bytes"));
  // The same without a length (chunked): refused once the limit is passed.
  std::string chunks;
  for (int i = 0; i < 40; ++i) {
    absl::StrAppend(&chunks, "40000\r\n", std::string(256 << 10, 'a'), "\r\n");
  }
  HttpReply chunked = RawHttp(stack_->http_port(),
                              "POST /v1/members:signIn HTTP/1.1\r\n"
                              "host: localhost\r\n"
                              "content-type: application/json\r\n"
                              "transfer-encoding: chunked\r\n\r\n",
                              chunks);
  EXPECT_EQ(chunked.status, 413) << chunked.body;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    HttpReply reply = Http(c.verb, c.target, c.body, member_);
    EXPECT_EQ(reply.status, c.status) << reply.body.substr(0, 300);
    EXPECT_THAT(reply.body, HasSubstr(c.says));
    if (reply.status != 413 && reply.status != 431) {
      EXPECT_THAT(reply.body, HasSubstr("\"message\":"));
    }
    // Never echoed whole.
    EXPECT_LT(reply.body.size(), 4096u);
  }
  ExpectAllUp();
}

TEST_F(AbuseTest, HugePageSizesAreCappedAtTheMaximum) {
  // 210 members: more than the largest page of ListMembers (200).
  for (int i = 0; i < 210; ++i) {
    v1::ApplyForMembershipRequest apply;
    apply.mutable_member()->set_email(absl::StrCat("m", i, "@example.org"));
    apply.mutable_member()->set_display_name(absl::StrCat("Member ", i));
    apply.mutable_member()->set_organisation("Org");
    apply.mutable_member()->set_organisation_type(
        v1::ORGANISATION_TYPE_ACADEMIA);
    apply.mutable_member()->set_country("KEN");
    apply.mutable_member()->add_languages("en");
    apply.set_password("correct horse battery staple");
    v1::Member member;
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->ApplyForMembership(&context, apply, &member).ok());
  }
  v1::ListMembersRequest request;
  request.set_page_size(2147483647);
  request.set_state(v1::Member::PENDING);
  v1::ListMembersResponse response;
  grpc::Status status =
      stub_->ListMembers(As(secretariat_token_).get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.members_size(), 200);
  EXPECT_FALSE(response.next_page_token().empty());
  HttpReply reply =
      Http(http::verb::get, "/v1/members?state=PENDING&page_size=2147483647",
           "", secretariat_token_);
  ASSERT_EQ(reply.status, 200) << reply.body.substr(0, 300);
  int listed = 0;
  for (size_t at = reply.body.find("\"name\":\"members/");
       at != std::string::npos;
       at = reply.body.find("\"name\":\"members/", at + 1)) {
    ++listed;
  }
  EXPECT_EQ(listed, 200);
}

// ---- Connections per address are capped ----

TEST(AbuseConnectionCapTest, OneConnectionPastTheCapIsRefusedUntilOneCloses) {
  gateway::HttpServer::Options options;
  options.max_connections_per_address = 3;
  gateway::HttpServer server(
      options,
      [](gateway::HttpRequest, std::shared_ptr<gateway::Exchange> exchange) {
        exchange->Respond({200, {{"content-type", "text/plain"}}, "ok"});
      });
  ASSERT_THAT(server.Start(), cdc::testing::IsOk());
  namespace asio = boost::asio;
  asio::io_context io;
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"),
                                         server.port());
  // Three idle connections, each seen through by one answered request (so
  // that the server has accepted it before the next is opened).
  std::vector<std::unique_ptr<boost::beast::tcp_stream>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<boost::beast::tcp_stream>(io));
    held.back()->connect(endpoint);
    http::request<http::empty_body> request(http::verb::get, "/", 11);
    request.set(http::field::host, "localhost");
    http::write(*held.back(), request);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(*held.back(), buffer, response);
    ASSERT_EQ(response.result_int(), 200u);
  }
  // A fourth from the same address: 429, with a reason and Retry-After.
  gateway::testing::HttpReply refused =
      gateway::testing::HttpCall(server.port(), http::verb::get, "/");
  EXPECT_EQ(refused.status, 429);
  EXPECT_THAT(refused.body, HasSubstr("more than 3 connections"));
  EXPECT_EQ(refused.headers["retry-after"], "1");
  // One closes: its place is given back once the server has seen it go.
  held.pop_back();
  int status = 0;
  for (int attempt = 0; attempt < 100 && status != 200; ++attempt) {
    if (attempt > 0) absl::SleepFor(absl::Milliseconds(20));
    status =
        gateway::testing::HttpCall(server.port(), http::verb::get, "/").status;
  }
  EXPECT_EQ(status, 200);
  server.Stop();
}

// ---- Stream buffers are bounded ----

TEST(AbuseStreamBufferTest,
     AClientThatDoesNotReadGetsItsStreamEndedNotBuffered) {
  // The gateway's SSE and JSON-lines streams write through Exchange::Send;
  // here a handler writes 64 KiB chunks for as long as Send accepts them,
  // to a client that never reads.
  constexpr size_t kChunk = 64 << 10;
  constexpr int kMaxChunks = 1024;  // 64 MiB: far past any bound
  std::promise<int> accepted;
  gateway::HttpServer::Options options;
  options.stream_buffer = 1 << 20;
  gateway::HttpServer server(options, [&](gateway::HttpRequest,
                                          std::shared_ptr<gateway::Exchange>
                                              exchange) {
    exchange->StartStream({200, {{"content-type", "text/event-stream"}}, ""});
    int chunks = 0;
    while (chunks < kMaxChunks && exchange->Send(std::string(kChunk, 'x'))) {
      ++chunks;
    }
    exchange->Finish();
    accepted.set_value(chunks);
  });
  ASSERT_THAT(server.Start(), cdc::testing::IsOk());
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                         server.port()));
  asio::write(socket, asio::buffer(std::string("GET /stream HTTP/1.1\r\n"
                                               "host: localhost\r\n\r\n")));
  // What was taken is the buffer plus what the kernel's socket buffers
  // hold; never the 64 MiB offered.
  const int chunks = accepted.get_future().get();
  std::printf("the stream took %d KiB before Send refused\n",
              chunks * static_cast<int>(kChunk >> 10));
  EXPECT_LT(chunks, kMaxChunks);
  // And Send refused only when the next chunk would not fit: the head and
  // the chunks not yet taken by the kernel already filled the buffer.
  EXPECT_GT(static_cast<size_t>(chunks + 1) * kChunk, options.stream_buffer);
  server.Stop();
}

// ---- Bad inputs over gRPC, at every method, directly and via the front ----

TEST_F(AbuseTest, EveryMethodRefusesUnparsableRequestsWithInvalidArgument) {
  int methods = 0, checked = 0;
  for (const auto& [service_name, channel] : direct_) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            service_name);
    ASSERT_NE(service, nullptr) << service_name;
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      ++methods;
      if (method->client_streaming()) continue;
      const std::string path =
          absl::StrCat("/", service_name, "/", method->name());
      const bool streaming = method->server_streaming();
      std::vector<std::string> bad = {"\xff\xff\xff\xff"};  // not protobuf
      auto field = FirstStringField(method->input_type());
      if (!field.empty()) bad.push_back(Nested(field, "bad \xff\xfe UTF-8"));
      for (const std::string& bytes : bad) {
        for (const auto& target : {channel, front_channel_}) {
          SCOPED_TRACE(absl::StrCat(path, target == channel ? "" : " (front)",
                                    " ", absl::CHexEscape(bytes.substr(0, 8))));
          Answer answer =
              CallRaw(target, path, bytes, secretariat_token_, streaming);
          EXPECT_EQ(answer.code, grpc::StatusCode::INVALID_ARGUMENT)
              << answer.message;
          EXPECT_THAT(answer.message, HasSubstr("request: "));
          ++checked;
        }
      }
    }
  }
  RecordProperty("methods", methods);
  RecordProperty("malformed_calls", checked);
  std::printf("%d methods, %d malformed calls answered INVALID_ARGUMENT\n",
              methods, checked);
  EXPECT_GT(methods, 50);
  EXPECT_GT(checked, 4 * methods - 20);
  ExpectAllUp();
}

TEST_F(AbuseTest, EveryUnaryMethodRefusesAMegabyteStringClearly) {
  int checked = 0;
  const std::string mb(1 << 20, 'a');
  for (const auto& [service_name, channel] : direct_) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            service_name);
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      if (method->client_streaming() || method->server_streaming()) continue;
      auto field = FirstStringField(method->input_type());
      const std::string path =
          absl::StrCat("/", service_name, "/", method->name());
      // Its filter's country is ignored by contract: counts are per country.
      if (field.empty() ||
          path == "/cdc.v1.CommunityService/CountInitiativesByCountry") {
        continue;
      }
      SCOPED_TRACE(absl::StrCat(path, " ", field.back()->full_name()));
      Answer answer =
          CallRaw(channel, path, Nested(field, mb), secretariat_token_);
      // Refused, with a reason: never taken, never a server fault.
      EXPECT_NE(answer.code, grpc::StatusCode::OK);
      EXPECT_NE(answer.code, grpc::StatusCode::INTERNAL) << answer.message;
      EXPECT_NE(answer.code, grpc::StatusCode::UNKNOWN) << answer.message;
      EXPECT_FALSE(answer.message.empty());
      EXPECT_LT(answer.message.size(), 4096u);  // not echoed whole
      ++checked;
    }
  }
  EXPECT_GT(checked, 40);
  ExpectAllUp();
}

TEST_F(AbuseTest, MessagesOverTheLimitAreRefusedWithAReason) {
  v1::SignInRequest request;
  request.set_email(std::string(5 << 20, 'a'));
  request.set_password("p");
  for (const auto& target :
       {direct_["cdc.v1.MembersService"], front_channel_}) {
    Answer answer = CallRaw(target, "/cdc.v1.MembersService/SignIn",
                            request.SerializeAsString());
    EXPECT_EQ(answer.code, grpc::StatusCode::RESOURCE_EXHAUSTED)
        << answer.message;
    EXPECT_FALSE(answer.message.empty());
  }
  ExpectAllUp();
}

}  // namespace
}  // namespace cdc::abuse
