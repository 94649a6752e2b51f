// The authorization matrix, run: real cdc-members, -consultations,
// -comments, -community and -notifications on loopback over a real Redis,
// and the real gateway (HTTP/JSON and gRPC front) in front of them. Every
// cell of the table (authz_table.cc) is called three ways with the same
// request: directly on the owning service (generic gRPC, serialized
// bytes), through the gateway's gRPC front (the same bytes), and through
// the gateway's HTTP/JSON route for the RPC; each answer must carry the
// cell's expected code.
//
// Principals: the fixture's accounts are made at the FakeClock's start;
// the clock then moves past a session's lifetime, which expires the
// "expired" principal's session, and every other principal signs in anew.
#include "tests/authz/authz_matrix.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "services/community/community_test_support.h"
#include "services/gateway/gateway_stack_test_support.h"
#include "services/gateway/route_table.h"
#include "services/notifications/notifications_test_support.h"

namespace cdc::authz {
namespace {

namespace http = boost::beast::http;
using google::protobuf::DescriptorPool;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;
using google::protobuf::Reflection;
using google::protobuf::ServiceDescriptor;

constexpr char kPassword[] = "correct horse battery staple";

// The contract's files, and the services they declare (found at run time:
// a service or RPC added to them without a row fails the completeness test).
constexpr const char* kProtoFiles[] = {
    "cdc/v1/common.proto",        "cdc/v1/members.proto",
    "cdc/v1/consultations.proto", "cdc/v1/comments.proto",
    "cdc/v1/community.proto",     "cdc/v1/notifications.proto",
    "cdc/v1/events.proto",
};

std::vector<const ServiceDescriptor*> ContractServices() {
  // Linking the generated code registers the files in the pool.
  (void)v1::Member::descriptor();
  (void)v1::Consultation::descriptor();
  (void)v1::Comment::descriptor();
  (void)v1::Space::descriptor();
  (void)v1::Notification::descriptor();
  std::vector<const ServiceDescriptor*> services;
  for (const char* name : kProtoFiles) {
    const google::protobuf::FileDescriptor* file =
        DescriptorPool::generated_pool()->FindFileByName(name);
    if (file == nullptr) continue;
    for (int i = 0; i < file->service_count(); ++i) {
      services.push_back(file->service(i));
    }
  }
  return services;
}

// "cdc.v1.CommentsService/GetComment" -> its descriptor.
const MethodDescriptor* FindMethod(absl::string_view method) {
  const size_t slash = method.find('/');
  if (slash == absl::string_view::npos) return nullptr;
  const ServiceDescriptor* service =
      DescriptorPool::generated_pool()->FindServiceByName(
          std::string(method.substr(0, slash)));
  if (service == nullptr) return nullptr;
  return service->FindMethodByName(std::string(method.substr(slash + 1)));
}

// ---- Codes ----

std::vector<std::string> Codes(const char* text) {
  return absl::StrSplit(text, ' ', absl::SkipEmpty());
}

int CodeOf(absl::string_view token) {
  static const auto* const kCodes = new std::map<std::string, int, std::less<>>{
      {"OK", grpc::StatusCode::OK},
      {"UA", grpc::StatusCode::UNAUTHENTICATED},
      {"PD", grpc::StatusCode::PERMISSION_DENIED},
      {"NF", grpc::StatusCode::NOT_FOUND},
      {"FP", grpc::StatusCode::FAILED_PRECONDITION},
      {"IA", grpc::StatusCode::INVALID_ARGUMENT},
  };
  auto it = kCodes->find(token);
  return it == kCodes->end() ? -1 : it->second;
}

std::string CodeName(int code) {
  return cdc::CodeName(static_cast<absl::StatusCode>(code));
}

// What one call answered.
struct Outcome {
  int code = -1;
  std::string message;
};

// ---- Calls over gRPC, generic: the request as bytes ----

// Calls `method` ("/cdc.v1.X/Y") on `channel` with `bytes` as the request
// and `token` (none when empty). A server stream's answer is the status it
// ends with before its first message, or OK once a message arrives (or it
// stays open and silent for 3 s: the call was accepted).
Outcome CallGrpc(const std::shared_ptr<grpc::Channel>& channel,
                 const std::string& method, const std::string& bytes,
                 const std::string& token, bool streaming) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(streaming ? 3 : 20));
  grpc::CompletionQueue queue;
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::Status status;
  void* tag = nullptr;
  bool ok = false;
  auto wait = [&] { return queue.Next(&tag, &ok) && ok; };
  Outcome outcome;
  if (!streaming) {
    auto call = stub.PrepareUnaryCall(&context, method, request, &queue);
    call->StartCall();
    grpc::ByteBuffer response;
    call->Finish(&response, &status, reinterpret_cast<void*>(1));
    wait();
  } else {
    auto call = stub.PrepareCall(&context, method, &queue);
    call->StartCall(reinterpret_cast<void*>(1));
    wait();
    call->WriteLast(request, grpc::WriteOptions(), reinterpret_cast<void*>(2));
    wait();
    grpc::ByteBuffer response;
    call->Read(&response, reinterpret_cast<void*>(3));
    const bool got_message = wait();
    if (got_message) context.TryCancel();
    call->Finish(&status, reinterpret_cast<void*>(4));
    wait();
    if (got_message ||
        status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      status = grpc::Status::OK;
    }
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  outcome.code = status.error_code();
  outcome.message = status.error_message();
  return outcome;
}

// ---- Calls over HTTP/JSON ----

std::string PercentEncode(absl::string_view text, bool keep_slash) {
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~' || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

// The value of a (possibly nested) string field, "member.name".
std::string FieldText(const Message& message, absl::string_view path) {
  const Message* at = &message;
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field =
        at->GetDescriptor()->FindFieldByName(parts[i]);
    if (field == nullptr) return "";
    if (i + 1 == parts.size()) {
      return at->GetReflection()->GetString(*at, field);
    }
    at = &at->GetReflection()->GetMessage(*at, field);
  }
  return "";
}

std::string ScalarText(const Message& m, const FieldDescriptor* f, int index) {
  const Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(m, f, index)
                              : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r->GetRepeatedInt64(m, f, index)
                              : r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r->GetRepeatedUInt32(m, f, index)
                              : r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r->GetRepeatedUInt64(m, f, index)
                              : r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(rep ? r->GetRepeatedDouble(m, f, index)
                              : r->GetDouble(m, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(rep ? r->GetRepeatedFloat(m, f, index)
                              : r->GetFloat(m, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f))
                 ? "true"
                 : "false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return (rep ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f))->name();
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
    default:
      return "";
  }
}

// Query parameters for every set field of `m` under `prefix` except the
// paths in `skip`, as the transcoder reads them (transcoder.h).
void Flatten(const Message& m, const std::string& prefix,
             const std::set<std::string>& skip,
             std::vector<std::pair<std::string, std::string>>* out) {
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const std::string path = absl::StrCat(prefix, f->name());
    if (skip.count(path) > 0) continue;
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
      for (int i = 0; i < n; ++i) out->emplace_back(path, ScalarText(m, f, i));
      continue;
    }
    if (f->is_repeated()) {
      ADD_FAILURE() << "no query form for repeated message field " << path;
      continue;
    }
    const Message& sub = r->GetMessage(m, f);
    const std::string type = sub.GetDescriptor()->full_name();
    if (type == "google.protobuf.Timestamp") {
      out->emplace_back(
          path, google::protobuf::util::TimeUtil::ToString(
                    static_cast<const google::protobuf::Timestamp&>(sub)));
    } else if (type == "google.protobuf.FieldMask") {
      const auto& mask = static_cast<const google::protobuf::FieldMask&>(sub);
      out->emplace_back(path, absl::StrJoin(mask.paths(), ","));
    } else {
      Flatten(sub, absl::StrCat(path, "."), skip, out);
    }
  }
}

struct HttpCallParts {
  http::verb verb;
  std::string target;  // path and query
  std::string body;    // JSON, or empty
};

// The HTTP request that the gateway turns back into `request` for `route`.
HttpCallParts ToHttp(const gateway::Route& route, const Message& request) {
  HttpCallParts parts;
  parts.verb =
      http::string_to_verb(std::string(route.verb.data(), route.verb.size()));
  std::string path(route.pattern);
  std::set<std::string> bound;
  size_t open;
  while ((open = path.find('{')) != std::string::npos) {
    const size_t close = path.find('}', open);
    const std::string inner = path.substr(open + 1, close - open - 1);
    const std::string field = inner.substr(0, inner.find('='));
    bound.insert(field);
    path.replace(open, close - open + 1,
                 PercentEncode(FieldText(request, field), true));
  }
  std::vector<std::pair<std::string, std::string>> query;
  google::protobuf::util::JsonPrintOptions json;
  if (route.body == "*") {
    (void)google::protobuf::util::MessageToJsonString(request, &parts.body,
                                                      json);
  } else {
    std::set<std::string> skip = bound;
    if (!route.body.empty()) {
      const std::string body_field(route.body);
      skip.insert(body_field);
      const FieldDescriptor* f =
          request.GetDescriptor()->FindFieldByName(body_field);
      (void)google::protobuf::util::MessageToJsonString(
          request.GetReflection()->GetMessage(request, f), &parts.body, json);
    }
    Flatten(request, "", skip, &query);
  }
  std::vector<std::string> pieces;
  for (const auto& [key, value] : query) {
    pieces.push_back(absl::StrCat(PercentEncode(key, false), "=",
                                  PercentEncode(value, false)));
  }
  parts.target = pieces.empty()
                     ? path
                     : absl::StrCat(path, "?", absl::StrJoin(pieces, "&"));
  return parts;
}

// One HTTP request on a new connection, with a 5 s receive timeout. A
// streamed answer (server-sent events, JSON lines) that starts with 200 is
// OK without waiting for its end; otherwise the code is the "code" of the
// gateway's error body.
Outcome CallHttp(int port, const HttpCallParts& parts, const std::string& token,
                 bool streaming) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  Outcome outcome;
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  beast::error_code ec;
  socket.connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) {
    outcome.message = absl::StrCat("connect: ", ec.message());
    return outcome;
  }
  timeval timeout{.tv_sec = 5, .tv_usec = 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout,
             sizeof timeout);
  http::request<http::string_body> request(parts.verb, parts.target, 11);
  request.set(http::field::host, "localhost");
  if (!token.empty()) {
    request.set(http::field::authorization, "Bearer " + token);
  }
  if (!parts.body.empty()) {
    request.set(http::field::content_type, "application/json");
  }
  request.body() = parts.body;
  request.prepare_payload();
  http::write(socket, request, ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 << 20);
  http::read_header(socket, buffer, parser, ec);
  if (ec) {
    outcome.message = absl::StrCat("read: ", ec.message());
    return outcome;
  }
  const int status = static_cast<int>(parser.get().result_int());
  if (status == 200 && streaming) {
    outcome.code = grpc::StatusCode::OK;
    return outcome;
  }
  http::read(socket, buffer, parser, ec);
  const std::string& body = parser.get().body();
  if (status == 200) {
    outcome.code = grpc::StatusCode::OK;
    return outcome;
  }
  outcome.message = absl::StrCat("HTTP ", status, " ", body);
  const size_t at = body.find("\"code\":");
  int code = -1;
  if (at != std::string::npos) {
    const size_t start = at + 7;
    size_t end = start;
    while (end < body.size() && absl::ascii_isdigit(body[end])) ++end;
    (void)absl::SimpleAtoi(body.substr(start, end - start), &code);
  }
  outcome.code = code;
  return outcome;
}

// ---- The fixture: the services, the gateway, and the World ----

class AuthzMatrixTest : public notifications::testing::NotificationsFixture<
                            community::testing::CommunityServerTest>,
                        public World {
 protected:
  void SetUp() override {
    NotificationsFixture::SetUp();
    if (HasFatalFailure()) return;
    MakePrincipals();
    if (HasFatalFailure()) return;
    StartGateway();
  }

  void TearDown() override {
    stack_.reset();
    NotificationsFixture::TearDown();
  }

  // ---- Principals ----

  // Calls `method` of `stub` as `token`; records a failure (naming `what`)
  // and returns an empty response when it fails.
  template <typename Stub, typename Req, typename Resp>
  Resp Do(Stub* stub,
          grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
          const Req& request, const std::string& token, const char* what) {
    Resp response;
    grpc::Status status = (stub->*method)(As(token).get(), request, &response);
    if (!status.ok()) {
      ADD_FAILURE() << "seeding: " << what << ": "
                    << CodeName(status.error_code()) << " "
                    << status.error_message();
      return Resp();
    }
    return response;
  }

  std::string NewEmail() override {
    return absl::StrCat("matrix-", ++serial_, "@example.org");
  }

  // Applies; returns the new member's name.
  std::string Apply(const std::string& email) {
    v1::ApplyForMembershipRequest apply;
    apply.mutable_member()->set_email(email);
    apply.mutable_member()->set_display_name(email);
    apply.mutable_member()->set_organisation("Org");
    apply.mutable_member()->set_organisation_type(
        v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
    apply.mutable_member()->set_country("KEN");
    apply.mutable_member()->add_languages("en");
    apply.set_password(kPassword);
    return Do(stub_.get(), &v1::MembersService::Stub::ApplyForMembership, apply,
              "", "ApplyForMembership")
        .name();
  }

  void Approve(const std::string& name, v1::Role role) {
    v1::ApproveMemberRequest approve;
    approve.set_name(name);
    approve.set_role(role);
    Do(stub_.get(), &v1::MembersService::Stub::ApproveMember, approve,
       secretariat_token_, "ApproveMember");
  }

  void Suspend(const std::string& name) {
    v1::SuspendMemberRequest suspend;
    suspend.set_name(name);
    suspend.set_reason("The matrix suspends.");
    Do(stub_.get(), &v1::MembersService::Stub::SuspendMember, suspend,
       secretariat_token_, "SuspendMember");
  }

  std::string SignIn(const std::string& email) {
    v1::SignInRequest sign_in;
    sign_in.set_email(email);
    sign_in.set_password(kPassword);
    return Do(stub_.get(), &v1::MembersService::Stub::SignIn, sign_in, "",
              "SignIn")
        .token();
  }

  std::string NewApiTokenSecret(const std::string& member) {
    v1::CreateApiTokenRequest create;
    create.set_member(member);
    create.set_display_name("Partner portal");
    return Do(stub_.get(), &v1::MembersService::Stub::CreateApiToken, create,
              secretariat_token_, "CreateApiToken")
        .secret();
  }

  // An ACTIVE account of `role`, signed in.
  Account NewAccount(Who who, v1::Role role) {
    Account account;
    account.who = who;
    account.email = NewEmail();
    account.password = kPassword;
    account.name = Apply(account.email);
    Approve(account.name, role);
    account.token = account.writer = SignIn(account.email);
    return account;
  }

  // The fixture made member_, other_ and observer_ at the clock's start;
  // the rest are made here, then the clock moves past a session's life.
  void MakePrincipals() {
    auto existing = [&](Who who, const std::string& email,
                        const std::string& token) {
      Account a;
      a.who = who;
      a.email = email;
      a.password = kPassword;
      a.name = member_names_[token];
      return a;
    };
    Account observer = existing(Who::kObserver, "obs@example.org", observer_);
    Account member = existing(Who::kMember, "amina@example.org", member_);
    Account other = existing(Who::kOther, "bruno@example.org", other_);
    Account secretariat;
    secretariat.who = Who::kSecretariat;
    secretariat.name = secretariat_;
    secretariat.email = "secretariat@unstats.example.org";
    Account partner = NewAccount(Who::kPartner, v1::ROLE_MEMBER);
    Account suspended = NewAccount(Who::kSuspended, v1::ROLE_MEMBER);
    Account revoked = NewAccount(Who::kRevoked, v1::ROLE_MEMBER);
    Account expired = NewAccount(Who::kExpired, v1::ROLE_MEMBER);
    insider_ = NewAccount(Who::kMember, v1::ROLE_MEMBER);
    const std::string expiring = expired.token;

    clock_.Advance(members::MembersServiceOptions().session_ttl +
                   absl::Hours(1));

    members::BootstrapRequest bootstrap;
    bootstrap.email = secretariat.email;
    auto session = service_->BootstrapSecretariat(bootstrap);
    ASSERT_TRUE(session.ok()) << session.status();
    secretariat_token_ = secretariat.token = secretariat.writer =
        session->token();
    for (Account* a : {&observer, &member, &other, &insider_}) {
      a->token = a->writer = SignIn(a->email);
    }
    observer_ = observer.token;
    member_ = member.token;
    other_ = other.token;
    partner.token = partner.writer = NewApiTokenSecret(partner.name);
    // Revoked: a session signed out of; the member stays active.
    revoked.writer = SignIn(revoked.email);
    revoked.token = SignIn(revoked.email);
    Do(stub_.get(), &v1::MembersService::Stub::SignOut, v1::SignOutRequest(),
       revoked.token, "SignOut");
    // Expired: the session from before the clock moved.
    expired.token = expiring;
    expired.writer = SignIn(expired.email);
    // Suspended: a session that was live when the member was suspended.
    suspended.token = SignIn(suspended.email);
    Suspend(suspended.name);
    suspended.writer.clear();

    for (Account* a : {&observer, &member, &other, &partner, &secretariat,
                       &suspended, &revoked, &expired}) {
      accounts_[static_cast<int>(a->who)] = std::move(*a);
    }
  }

  const Account* Of(Who who) override {
    if (who == Who::kAnonymous) return nullptr;
    return &accounts_[static_cast<int>(who)];
  }

  // A working token of `a`'s member. The suspended member is reinstated
  // for as long as seeding needs it, and suspended again (Resuspend) before
  // any cell's call.
  std::string WriterToken(const Account& a) {
    if (a.who != Who::kSuspended || a.name != Of(Who::kSuspended)->name) {
      return a.writer;
    }
    if (suspended_writer_.empty()) {
      v1::ReinstateMemberRequest reinstate;
      reinstate.set_name(a.name);
      Do(stub_.get(), &v1::MembersService::Stub::ReinstateMember, reinstate,
         secretariat_token_, "ReinstateMember");
      suspended_writer_ = SignIn(a.email);
    }
    return suspended_writer_;
  }

  void Resuspend() {
    if (suspended_writer_.empty()) return;
    Suspend(Of(Who::kSuspended)->name);
    suspended_writer_.clear();
  }

  // A fresh account of the principal's kind (the kinds without a working
  // token keep theirs).
  const Account* Fresh(Who who) {
    switch (who) {
      case Who::kObserver:
        fresh_.push_back(NewAccount(who, v1::ROLE_OBSERVER));
        break;
      case Who::kMember:
      case Who::kOther:
        fresh_.push_back(NewAccount(who, v1::ROLE_MEMBER));
        break;
      case Who::kSecretariat:
        fresh_.push_back(NewAccount(who, v1::ROLE_SECRETARIAT));
        break;
      case Who::kPartner: {
        Account a = NewAccount(who, v1::ROLE_MEMBER);
        a.token = a.writer = NewApiTokenSecret(a.name);
        fresh_.push_back(std::move(a));
        break;
      }
      default:
        return Of(who);
    }
    return &fresh_.back();
  }

  std::string Applicant() override { return Apply(NewEmail()); }

  std::string ActiveMember() override {
    const std::string name = Apply(NewEmail());
    Approve(name, v1::ROLE_MEMBER);
    return name;
  }

  std::string SuspendedMember() override {
    const std::string name = ActiveMember();
    Suspend(name);
    return name;
  }

  std::string ApiToken() override {
    v1::CreateApiTokenRequest create;
    create.set_member(ActiveMember());
    create.set_display_name("Partner portal");
    return Do(stub_.get(), &v1::MembersService::Stub::CreateApiToken, create,
              secretariat_token_, "CreateApiToken")
        .api_token()
        .name();
  }

  // ---- Consultations ----

  std::string Consultation(Stage stage, bool fresh) override {
    const std::string id =
        fresh ? absl::StrCat("fresh-", ++serial_)
              : std::string(stage == Stage::kDraft       ? "drafty"
                            : stage == Stage::kPublished ? "pubd"
                                                         : "cph");
    const std::string name = absl::StrCat("consultations/", id);
    if (!fresh && seeded_.count(name) > 0) return name;
    EXPECT_TRUE(Create(id).ok()) << name;
    EXPECT_TRUE(Import(id, comments::testing::kDraft).ok()) << name;
    if (stage != Stage::kDraft) {
      EXPECT_TRUE(Open(id, absl::ZeroDuration(), absl::Hours(24)).ok());
    }
    if (stage == Stage::kPublished) {
      // A record with a row in it.
      EXPECT_TRUE(Comment(member_, Section("importance", id),
                          "A comment in the published record.")
                      .ok());
    }
    if (stage == Stage::kClosed || stage == Stage::kPublished) {
      EXPECT_TRUE(Close(id).ok()) << name;
    }
    if (stage == Stage::kPublished) {
      EXPECT_TRUE(Publish(id).ok()) << name;
    }
    if (!fresh) seeded_.insert(name);
    return name;
  }

  std::string Section(Stage stage) override {
    return absl::StrCat(Consultation(stage, false), "/sections/importance");
  }
  using CommentsServerTest::Comment;
  using CommentsServerTest::Section;

  std::string RestrictedSection() override {
    const std::string name = "consultations/restricted";
    if (seeded_.insert(name).second) {
      v1::CreateConsultationRequest create;
      create.set_consultation_id("restricted");
      create.mutable_consultation()->set_title("For Brazil");
      create.mutable_consultation()->mutable_audience()->add_countries("BRA");
      Do(c_.get(), &v1::ConsultationsService::Stub::CreateConsultation, create,
         secretariat_token_, "CreateConsultation");
      EXPECT_TRUE(Import("restricted", comments::testing::kDraft).ok());
      EXPECT_TRUE(
          Open("restricted", absl::ZeroDuration(), absl::Hours(24)).ok());
    }
    return absl::StrCat(name, "/sections/importance");
  }

  // ---- Comments ----

  const Account* PeerOf(const Account* a) {
    return a != nullptr && a->name == Of(Who::kMember)->name ? Of(Who::kOther)
                                                             : Of(Who::kMember);
  }

  // Someone who is neither the caller nor the owner.
  const Account* ThirdOf(const Account* caller, const Account* owner) {
    for (Who who : {Who::kOther, Who::kSecretariat, Who::kMember}) {
      const Account* a = Of(who);
      if ((caller == nullptr || a->name != caller->name) &&
          a->name != owner->name) {
        return a;
      }
    }
    return nullptr;
  }

  std::string Comment(On on, const Cell& cell, bool fresh,
                      bool hidden) override {
    const Account* author = cell.owner;
    std::string target;
    const Account* flagger = nullptr;
    switch (on) {
      case On::kSection:
        target = Section(Stage::kOpen);
        break;
      case On::kResource:
        target = Resource(Of(Who::kSecretariat), false);
        break;
      case On::kTopic:
        target = Topic(SpaceKind::kCommons, nullptr, false, false);
        break;
      case On::kConversation:
        target = Conversation(cell, false);
        // The secretariat sees (and so may hide) a conversation it is not
        // in only once a participant has flagged the message.
        if (hidden && cell.side == Side::kOwn) flagger = PeerOf(cell.owner);
        break;
      case On::kPeer: {
        Cell own = cell;
        own.side = Side::kOwn;
        own.owner = cell.caller;
        target = Conversation(own, false);
        author = PeerOf(cell.caller);
        break;
      }
      case On::kFlagged:
        target = Conversation(cell, false);
        flagger = ThirdOf(cell.caller, cell.owner);
        break;
    }
    if (author == nullptr || target.empty()) return "";
    const std::string key = absl::StrCat(author->name, "|", target, "|", hidden,
                                         "|", flagger != nullptr);
    if (!fresh) {
      auto it = comments_.find(key);
      if (it != comments_.end()) return it->second;
    }
    v1::CreateCommentRequest create;
    create.mutable_comment()->set_target(target);
    create.mutable_comment()->set_body(
        absl::StrCat("Matrix comment ", ++serial_, "."));
    const std::string name =
        Do(k_.get(), &v1::CommentsService::Stub::CreateComment, create,
           WriterToken(*author), "CreateComment")
            .name();
    if (flagger != nullptr) {
      v1::FlagCommentRequest flag;
      flag.set_name(name);
      flag.set_flag_reason(v1::ModerationAction::ABUSIVE);
      Do(k_.get(), &v1::CommentsService::Stub::FlagComment, flag,
         WriterToken(*flagger), "FlagComment");
    }
    if (hidden) {
      v1::HideCommentRequest hide;
      hide.set_name(name);
      hide.set_reason("Hidden to seed the matrix.");
      Do(k_.get(), &v1::CommentsService::Stub::HideComment, hide,
         secretariat_token_, "HideComment");
    }
    if (!fresh) comments_[key] = name;
    return name;
  }

  // ---- Community ----

  std::string NewSpace(const std::string& id, v1::Space::Visibility v) {
    v1::CreateSpaceRequest create;
    create.set_space_id(id);
    create.mutable_space()->set_title(absl::StrCat("Space ", id));
    create.mutable_space()->set_visibility(v);
    return Do(cm_.get(), &v1::CommunityService::Stub::CreateSpace, create,
              secretariat_token_, "CreateSpace")
        .name();
  }

  void AddToSpace(const std::string& space, const Account& a) {
    WriterToken(a);  // the suspended member must be ACTIVE to be added
    v1::AddSpaceMemberRequest add;
    add.set_space(space);
    add.set_member(a.name);
    Do(cm_.get(), &v1::CommunityService::Stub::AddSpaceMember, add,
       secretariat_token_, "AddSpaceMember");
  }

  std::string Space(SpaceKind kind, bool fresh,
                    const Account* member) override {
    const v1::Space::Visibility visibility =
        kind == SpaceKind::kCommons || kind == SpaceKind::kPlaza
            ? v1::Space::OPEN
            : v1::Space::INVITE_ONLY;
    if (fresh) {
      const std::string name =
          NewSpace(absl::StrCat("fresh-", ++serial_), visibility);
      if (member != nullptr) AddToSpace(name, *member);
      return name;
    }
    const char* id = kind == SpaceKind::kCommons ? "commons"
                     : kind == SpaceKind::kVault ? "vault"
                                                 : "plaza";
    const std::string name = absl::StrCat("spaces/", id);
    if (seeded_.count(name) > 0) return name;
    seeded_.insert(name);
    NewSpace(id, visibility);
    if (kind == SpaceKind::kCommons) {
      for (Who who : {Who::kMember, Who::kOther, Who::kSecretariat,
                      Who::kSuspended, Who::kRevoked, Who::kExpired}) {
        v1::JoinSpaceRequest join;
        join.set_name(name);
        Do(cm_.get(), &v1::CommunityService::Stub::JoinSpace, join,
           WriterToken(*Of(who)), "JoinSpace");
      }
    }
    if (kind == SpaceKind::kVault) AddToSpace(name, insider_);
    return name;
  }

  std::string Topic(SpaceKind kind, const Account* author, bool fresh,
                    bool closed) override {
    const std::string space = Space(kind, false, nullptr);
    if (author == nullptr) {
      author = kind == SpaceKind::kVault ? &insider_ : Of(Who::kSecretariat);
    }
    const std::string key = absl::StrCat(space, "|", author->name, "|", closed);
    if (!fresh) {
      auto it = topics_.find(key);
      if (it != topics_.end()) return it->second;
    }
    v1::CreateTopicRequest create;
    create.set_parent(space);
    create.mutable_topic()->set_title(absl::StrCat("Topic ", ++serial_));
    create.mutable_topic()->set_body("What does the matrix say?");
    const std::string name =
        Do(cm_.get(), &v1::CommunityService::Stub::CreateTopic, create,
           WriterToken(*author), "CreateTopic")
            .name();
    if (closed) {
      v1::CloseTopicRequest close;
      close.set_name(name);
      Do(cm_.get(), &v1::CommunityService::Stub::CloseTopic, close,
         secretariat_token_, "CloseTopic");
    }
    if (!fresh) topics_[key] = name;
    return name;
  }

  std::string Conversation(const Cell& cell, bool fresh) override {
    const Account* creator = cell.owner;
    if (creator == nullptr) return "";
    const Account* with = cell.side == Side::kOwn
                              ? PeerOf(creator)
                              : ThirdOf(cell.caller, creator);
    const std::string key = absl::StrCat(creator->name, "|", with->name);
    if (!fresh) {
      auto it = conversations_.find(key);
      if (it != conversations_.end()) return it->second;
    }
    v1::CreateConversationRequest create;
    create.mutable_conversation()->add_participants(with->name);
    create.mutable_conversation()->set_subject("The matrix");
    const std::string name =
        Do(cm_.get(), &v1::CommunityService::Stub::CreateConversation, create,
           WriterToken(*creator), "CreateConversation")
            .name();
    if (!fresh) conversations_[key] = name;
    return name;
  }

  std::string Blocker(const Account* blocked) override {
    fresh_.push_back(NewAccount(Who::kMember, v1::ROLE_MEMBER));
    const Account& blocker = fresh_.back();
    if (blocked != nullptr && blocked->who != Who::kSecretariat) {
      WriterToken(*blocked);  // only an ACTIVE member can be blocked
      v1::BlockMemberRequest block;
      block.set_member(blocked->name);
      Do(cm_.get(), &v1::CommunityService::Stub::BlockMember, block,
         blocker.writer, "BlockMember");
    }
    return blocker.name;
  }

  std::string BlockedConversation(const Cell& cell) override {
    if (cell.caller == nullptr) return "";
    WriterToken(*cell.caller);  // a participant must be ACTIVE
    fresh_.push_back(NewAccount(Who::kMember, v1::ROLE_MEMBER));
    const Account& peer = fresh_.back();
    v1::CreateConversationRequest create;
    create.mutable_conversation()->add_participants(cell.caller->name);
    const std::string name =
        Do(cm_.get(), &v1::CommunityService::Stub::CreateConversation, create,
           peer.writer, "CreateConversation")
            .name();
    if (cell.caller->who != Who::kSecretariat) {
      v1::BlockMemberRequest block;
      block.set_member(cell.caller->name);
      Do(cm_.get(), &v1::CommunityService::Stub::BlockMember, block,
         peer.writer, "BlockMember");
    }
    return name;
  }

  std::string Resource(const Account* owner, bool fresh) override {
    if (owner == nullptr) return "";
    if (!fresh) {
      auto it = resources_.find(owner->name);
      if (it != resources_.end()) return it->second;
    }
    v1::CreateResourceRequest create;
    create.mutable_resource()->set_title(absl::StrCat("Guide ", ++serial_));
    create.mutable_resource()->set_link("https://example.org/guide");
    create.mutable_resource()->set_type(v1::Resource::GUIDELINE);
    const std::string name =
        Do(cm_.get(), &v1::CommunityService::Stub::CreateResource, create,
           WriterToken(*owner), "CreateResource")
            .name();
    if (!fresh) resources_[owner->name] = name;
    return name;
  }

  std::string Initiative(const Account* owner, bool fresh,
                         bool approved) override {
    if (owner == nullptr) return "";
    const std::string key = absl::StrCat(owner->name, "|", approved);
    if (!fresh) {
      auto it = initiatives_.find(key);
      if (it != initiatives_.end()) return it->second;
    }
    v1::CreateInitiativeRequest create;
    v1::Initiative* i = create.mutable_initiative();
    i->set_display_name(absl::StrCat("Initiative ", ++serial_));
    i->set_lead_organisation("Water Watch");
    i->set_lead_organisation_type(v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
    i->add_countries("KEN");
    i->set_participation_level(v1::PARTICIPATION_LEVEL_ENGAGING);
    i->set_status(v1::Initiative::ACTIVE);
    const std::string name =
        Do(cm_.get(), &v1::CommunityService::Stub::CreateInitiative, create,
           WriterToken(*owner), "CreateInitiative")
            .name();
    if (approved) {
      v1::ApproveInitiativeRequest approve;
      approve.set_name(name);
      Do(cm_.get(), &v1::CommunityService::Stub::ApproveInitiative, approve,
         secretariat_token_, "ApproveInitiative");
    }
    if (!fresh) initiatives_[key] = name;
    return name;
  }

  // ---- Notifications ----

  std::string NewestNotification(const std::string& token) {
    v1::ListNotificationsRequest list;
    list.set_page_size(1);
    v1::ListNotificationsResponse page =
        Do(n_, &v1::NotificationsService::Stub::ListNotifications, list, token,
           "ListNotifications");
    return page.notifications().empty() ? "" : page.notifications(0).name();
  }

  std::string Notification(const Account* owner) override {
    if (owner == nullptr) return "";
    auto it = notifications_.find(owner->name);
    if (it != notifications_.end()) return it->second;
    // The inbox is read with a session of its member (an API token has
    // none).
    const std::string token = owner->who == Who::kPartner ? SignIn(owner->email)
                                                          : WriterToken(*owner);
    Settle();
    std::string name = NewestNotification(token);
    if (name.empty()) {
      // Someone answers the owner's comment: the owner hears of it.
      Cell cell;
      cell.who = owner->who;
      cell.owner = owner;
      cell.caller = owner;
      v1::CreateCommentRequest reply;
      reply.mutable_comment()->set_parent(
          Comment(On::kSection, cell, false, false));
      reply.mutable_comment()->set_body("An answer to notify the author.");
      Do(k_.get(), &v1::CommentsService::Stub::CreateComment, reply,
         WriterToken(*PeerOf(owner)), "CreateComment (reply)");
      Settle();
      name = NewestNotification(token);
    }
    EXPECT_FALSE(name.empty()) << "no notification for " << owner->name;
    notifications_[owner->name] = name;
    return name;
  }

  // ---- The gateway ----

  std::map<std::string, std::string> BackendAddresses() {
    return {
        {"cdc.v1.MembersService", host_->address()},
        {"cdc.v1.ConsultationsService", host_c_->address()},
        {"cdc.v1.CommentsService", host_k_->address()},
        {"cdc.v1.CommunityService", host_cm_->address()},
        {"cdc.v1.NotificationsService", replica_->host.address()},
    };
  }

  // No rate limits: the matrix makes thousands of calls as one caller.
  void StartGateway() {
    direct_ = gateway::testing::BackendChannels(BackendAddresses());
    gateway::testing::GatewayStack::Options options;
    options.backends = BackendAddresses();
    options.grpc_front = true;
    auto stack = gateway::testing::GatewayStack::Start(std::move(options));
    ASSERT_THAT(stack, cdc::testing::IsOk());
    stack_ = std::move(*stack);
    front_channel_ = stack_->front_channel();
  }

  // ---- Running the table ----

  struct Tally {
    int cells = 0;  // (row, principal, side) cells checked
    int calls = 0;  // calls made (three per cell)
    std::vector<std::string> mismatches;
  };

  // Runs every row of `service` ("cdc.v1.CommentsService").
  Tally Run(const std::string& service) {
    Tally tally;
    const std::map<std::string, const gateway::Route*> routes = RouteIndex();
    for (const Row& row : Rows()) {
      if (!absl::StartsWith(row.method, absl::StrCat(service, "/"))) continue;
      const MethodDescriptor* method = FindMethod(row.method);
      if (method == nullptr) {
        ADD_FAILURE() << row.method << ": not in the contract";
        continue;
      }
      const bool streaming = method->server_streaming();
      auto route = routes.find(row.method);
      const std::vector<std::string> own = Codes(row.own);
      const std::vector<std::string> other = Codes(row.other);
      if (own.size() != kWhoCount || other.size() != kWhoCount) {
        ADD_FAILURE() << row.method << " (" << row.variant
                      << "): a code column has not " << kWhoCount << " codes";
        continue;
      }
      const bool sided = absl::StrContains(row.other, "OK") ||
                         absl::StrContains(row.other, "UA");
      const bool any_own =
          absl::StrContains(row.own, "OK") || absl::StrContains(row.own, "UA");
      for (Side side : {Side::kOwn, Side::kOther}) {
        const std::vector<std::string>& codes =
            side == Side::kOwn ? own : other;
        for (int w = 0; w < kWhoCount; ++w) {
          if (codes[w] == "--") continue;
          const int expected = CodeOf(codes[w]);
          if (expected < 0) {
            ADD_FAILURE() << row.method << ": unknown code " << codes[w];
            continue;
          }
          ++tally.cells;
          const Who who = static_cast<Who>(w);
          const std::string where = absl::StrCat(
              row.method, " [", row.variant, "] as ", kWhoNames[w], " on ",
              sided && any_own ? (side == Side::kOwn ? "own" : "other's")
              : sided          ? "other's"
                               : "-",
              ": expected ", CodeName(expected));
          for (const char* path : {"direct", "front", "http"}) {
            if (absl::string_view(path) == "http" && route == routes.end()) {
              tally.mismatches.push_back(
                  absl::StrCat(where, " via http: no route"));
              continue;
            }
            Cell cell;
            cell.who = who;
            cell.side = side;
            cell.caller = row.fresh_caller ? Fresh(who) : Of(who);
            cell.owner =
                side == Side::kOwn
                    ? cell.caller
                    : Of(who == Who::kMember ? Who::kOther : Who::kMember);
            Request request = row.build(*this, cell);
            Resuspend();
            if (request == nullptr) {
              tally.mismatches.push_back(
                  absl::StrCat(where, " via ", path, ": no request"));
              continue;
            }
            const std::string token =
                cell.caller == nullptr ? "" : cell.caller->token;
            const std::string grpc_method = absl::StrCat("/", row.method);
            Outcome got;
            if (absl::string_view(path) == "direct") {
              got = CallGrpc(direct_[service], grpc_method,
                             request->SerializeAsString(), token, streaming);
            } else if (absl::string_view(path) == "front") {
              got = CallGrpc(front_channel_, grpc_method,
                             request->SerializeAsString(), token, streaming);
            } else {
              got =
                  CallHttp(stack_->http_port(),
                           ToHttp(*route->second, *request), token, streaming);
            }
            ++tally.calls;
            if (got.code != expected) {
              tally.mismatches.push_back(
                  absl::StrCat(where, " via ", path, ", got ",
                               got.code < 0 ? "no code" : CodeName(got.code),
                               ": ", got.message));
            }
          }
        }
      }
    }
    return tally;
  }

  // "cdc.v1.X/Method" -> its HTTP route.
  static std::map<std::string, const gateway::Route*> RouteIndex() {
    std::map<std::string, const gateway::Route*> index;
    for (const gateway::Route& route : gateway::Routes()) {
      std::string method(route.method);
      const size_t dot = method.rfind('.');
      method[dot] = '/';
      index[method] = &route;
    }
    return index;
  }

  void RunAndReport(const std::string& service) {
    const absl::Time start = absl::Now();
    Tally tally = Run(service);
    for (const std::string& m : tally.mismatches) ADD_FAILURE() << m;
    std::printf(
        "[authz] %s: %d cells, %d calls (direct, gRPC front, HTTP), %zu "
        "mismatches, %.1f s\n",
        service.c_str(), tally.cells, tally.calls, tally.mismatches.size(),
        absl::ToDoubleSeconds(absl::Now() - start));
    std::fflush(stdout);
    RecordProperty("cells", tally.cells);
    RecordProperty("calls", tally.calls);
    RecordProperty("mismatches", static_cast<int>(tally.mismatches.size()));
  }

  int serial_ = 0;
  std::array<Account, kWhoCount> accounts_;
  Account insider_;  // the vault's only member; never a caller
  std::deque<Account> fresh_;
  std::string suspended_writer_;
  std::set<std::string> seeded_;
  std::map<std::string, std::string> comments_, topics_, conversations_,
      resources_, initiatives_, notifications_;

  std::map<std::string, std::shared_ptr<grpc::Channel>> direct_;
  std::unique_ptr<gateway::testing::GatewayStack> stack_;
  std::shared_ptr<grpc::Channel> front_channel_;
};

// Every RPC of every service in the contract has a row, and every row
// names an RPC that exists: a new RPC cannot be forgotten.
TEST(AuthzTable, EveryRpcOfTheContractHasARow) {
  std::set<std::string> covered;
  for (const Row& row : Rows()) {
    EXPECT_NE(FindMethod(row.method), nullptr)
        << row.method << " is not an RPC of the contract";
    covered.insert(row.method);
  }
  int methods = 0;
  const std::vector<const ServiceDescriptor*> services = ContractServices();
  EXPECT_EQ(services.size(), 5u)
      << "a new service needs its rows and a backend in AuthzMatrixTest";
  for (const ServiceDescriptor* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      ++methods;
      const std::string name =
          absl::StrCat(service->full_name(), "/", service->method(i)->name());
      EXPECT_EQ(covered.count(name), 1u)
          << name << " has no row in tests/authz/authz_table.cc";
    }
  }
  std::printf("[authz] %d RPCs, %zu rows\n", methods, Rows().size());
}

TEST_F(AuthzMatrixTest, MembersService) {
  RunAndReport("cdc.v1.MembersService");
}

TEST_F(AuthzMatrixTest, ConsultationsService) {
  RunAndReport("cdc.v1.ConsultationsService");
}

TEST_F(AuthzMatrixTest, CommentsService) {
  RunAndReport("cdc.v1.CommentsService");
}

TEST_F(AuthzMatrixTest, CommunityService) {
  RunAndReport("cdc.v1.CommunityService");
}

TEST_F(AuthzMatrixTest, NotificationsService) {
  RunAndReport("cdc.v1.NotificationsService");
}

}  // namespace
}  // namespace cdc::authz
