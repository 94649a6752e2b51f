// cdc-gateway's gRPC front end to end: real cdc-members, -consultations,
// -comments and -notifications on loopback over a real Redis, behind a real
// front, called with the ordinary generated stubs exactly as partner
// systems and the `cdc` CLI call them. A small echo server stands in as a
// backend only where no cdc service can show what the front did (the
// metadata and deadline a backend receives, client and bidi streaming, a
// backend that ends first or is unreachable).
#include "services/gateway/grpc_front.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cdc/v1/comments.grpc.pb.h"
#include "cdc/v1/community.grpc.pb.h"
#include "cdc/v1/consultations.grpc.pb.h"
#include "cdc/v1/members.grpc.pb.h"
#include "cdc/v1/notifications.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/status_matchers.h"
#include "services/gateway/test_certificate.h"
#include "services/notifications/notifications_test_support.h"

namespace cdc::gateway {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// The first value of `key` in a metadata map, or "<none>".
std::string Meta(const std::multimap<grpc::string_ref, grpc::string_ref>& map,
                 const std::string& key) {
  const auto it = map.find(key);
  return it == map.end() ? "<none>"
                         : std::string(it->second.data(), it->second.size());
}

bool IsHex32(const std::string& id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Polls `done` every 10 ms for up to 10 s.
bool WaitFor(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return done();
}

TEST(ForwardsMetadataTest, PassesTheCallersKeysButNotTheTransports) {
  for (const char* key : {"authorization", "x-partner", "trace-bin",
                          "x-forwarded-for", "cookie"}) {
    EXPECT_TRUE(ForwardsMetadata(key)) << key;
  }
  for (const char* key :
       {":authority", ":path", "grpc-timeout", "grpc-encoding",
        "grpc-accept-encoding", "grpc-status", "grpc-status-details-bin", "te",
        "content-type", "user-agent", "host", "connection", "keep-alive",
        "transfer-encoding", "upgrade", "proxy-authorization"}) {
    EXPECT_FALSE(ForwardsMetadata(key)) << key;
  }
}

TEST(RequestIdTest, KeepsAWellFormedIdAndReplacesAnyOther) {
  EXPECT_EQ(RequestIdFor("partner-42"), "partner-42");
  EXPECT_EQ(RequestIdFor(std::string(64, 'a')), std::string(64, 'a'));
  for (const std::string& bad :
       {std::string(), std::string(65, 'a'), std::string("a b"),
        std::string("id_1"), std::string("id\n"), std::string("\xc3\xa9")}) {
    EXPECT_FALSE(IsValidRequestId(bad)) << bad;
    EXPECT_TRUE(IsHex32(RequestIdFor(bad))) << bad;
  }
  EXPECT_NE(RequestIdFor(""), RequestIdFor(""));
}

// ---------------------------------------------------------------------------
// The cdc services behind the front.

class GrpcFrontTest : public notifications::testing::NotificationsServerTest {
 protected:
  void SetUp() override {
    notifications::testing::NotificationsServerTest::SetUp();
    if (HasFatalFailure()) return;
    front_ = std::make_unique<GrpcFront>(
        std::map<std::string, std::shared_ptr<grpc::Channel>>{
            {v1::MembersService::service_full_name(),
             Channel(host_->address())},
            {v1::ConsultationsService::service_full_name(),
             Channel(host_c_->address())},
            {v1::CommentsService::service_full_name(),
             Channel(host_k_->address())},
            {v1::NotificationsService::service_full_name(),
             Channel(replica_->host.address())},
        });
    int port = 0;
    auto server = StartGrpcFront(front_.get(), "127.0.0.1:0", &port);
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
    front_channel_ = Channel(absl::StrCat("127.0.0.1:", port));
    members_ = v1::MembersService::NewStub(front_channel_);
    consultations_ = v1::ConsultationsService::NewStub(front_channel_);
    comments_ = v1::CommentsService::NewStub(front_channel_);
    notifications_ = v1::NotificationsService::NewStub(front_channel_);
  }

  void TearDown() override {
    if (server_ != nullptr) {
      server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
      server_->Wait();
    }
    front_.reset();
    notifications::testing::NotificationsServerTest::TearDown();
  }

  static std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
    return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  }

  // As(token), with a deadline so that a broken test ends instead of
  // hanging.
  static std::unique_ptr<grpc::ClientContext> Bounded(
      const std::string& token, absl::Duration timeout = absl::Seconds(20)) {
    auto context = As(token);
    context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    return context;
  }

  // GetMember of `name` as `token` on `stub`.
  static grpc::Status GetMember(v1::MembersService::Stub* stub,
                                const std::string& token,
                                const std::string& name, v1::Member* member) {
    v1::GetMemberRequest request;
    request.set_name(name);
    return stub->GetMember(Bounded(token).get(), request, member);
  }

  std::unique_ptr<GrpcFront> front_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> front_channel_;
  std::unique_ptr<v1::MembersService::Stub> members_;
  std::unique_ptr<v1::ConsultationsService::Stub> consultations_;
  std::unique_ptr<v1::CommentsService::Stub> comments_;
  std::unique_ptr<v1::NotificationsService::Stub> notifications_;
};

TEST_F(GrpcFrontTest, UnaryCallsActAsTheCallersToken) {
  v1::Principal principal;
  ASSERT_THAT(members_->Authenticate(Bounded(member_).get(),
                                     v1::AuthenticateRequest(), &principal),
              IsOk());
  EXPECT_EQ(principal.member(), member_names_[member_]);
  EXPECT_EQ(principal.role(), v1::ROLE_MEMBER);

  v1::Member through_front;
  v1::Member direct;
  ASSERT_THAT(GetMember(members_.get(), member_, member_names_[member_],
                        &through_front),
              IsOk());
  ASSERT_THAT(GetMember(stub_.get(), member_, member_names_[member_], &direct),
              IsOk());
  EXPECT_EQ(through_front.SerializeAsString(), direct.SerializeAsString());
  EXPECT_EQ(through_front.email(), "amina@example.org");
  EXPECT_TRUE(WaitFor([&] { return front_->open_calls() == 0; }));
}

TEST_F(GrpcFrontTest, ServesTlsWhenGivenACertificate) {
  const auto [cert, key] = testing::SelfSignedCertificate();
  grpc::SslServerCredentialsOptions tls;
  tls.pem_key_cert_pairs.push_back({key, cert});
  GrpcFrontServerOptions options;
  options.credentials = grpc::SslServerCredentials(tls);
  // A front serves one server: this one gets its own.
  GrpcFront tls_front(
      {{v1::MembersService::service_full_name(), Channel(host_->address())}});
  int port = 0;
  auto server = StartGrpcFront(&tls_front, "127.0.0.1:0", &port, options);
  ASSERT_THAT(server, IsOk());
  grpc::SslCredentialsOptions trust;
  trust.pem_root_certs = cert;
  auto secure = v1::MembersService::NewStub(grpc::CreateChannel(
      absl::StrCat("localhost:", port), grpc::SslCredentials(trust)));
  v1::Principal principal;
  EXPECT_THAT(secure->Authenticate(Bounded(member_).get(),
                                   v1::AuthenticateRequest(), &principal),
              IsOk());
  EXPECT_EQ(principal.member(), member_names_[member_]);
  // A plaintext client cannot talk to the TLS port.
  auto plain =
      v1::MembersService::NewStub(Channel(absl::StrCat("127.0.0.1:", port)));
  EXPECT_FALSE(plain
                   ->Authenticate(Bounded(member_).get(),
                                  v1::AuthenticateRequest(), &principal)
                   .ok());
  (*server)->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
}

TEST_F(GrpcFrontTest, ErrorsPassThroughUnchanged) {
  struct Case {
    std::string token;
    std::string name;
  };
  for (const Case& c :
       {Case{member_, "members/nobody"}, Case{"", member_names_[member_]},
        Case{"0123456789abcdef_forged", member_names_[member_]},
        Case{member_, "not a name"}}) {
    v1::Member member;
    const grpc::Status through_front =
        GetMember(members_.get(), c.token, c.name, &member);
    const grpc::Status direct =
        GetMember(stub_.get(), c.token, c.name, &member);
    EXPECT_FALSE(direct.ok()) << c.name;
    EXPECT_EQ(through_front.error_code(), direct.error_code()) << c.name;
    EXPECT_EQ(through_front.error_message(), direct.error_message());
  }
  // A failed call still carries its x-request-id.
  v1::GetMemberRequest request;
  request.set_name("members/nobody");
  v1::Member member;
  auto context = Bounded(member_);
  EXPECT_THAT(members_->GetMember(context.get(), request, &member),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(
      IsHex32(Meta(context->GetServerInitialMetadata(), "x-request-id")));
}

TEST_F(GrpcFrontTest, ServerStreamingExportsTheWholeRecord) {
  ASSERT_TRUE(OpenConsultation());
  for (const char* body : {"one", "two", "three"}) {
    ASSERT_THAT(Comment(member_, Section("principles"), body), IsOk());
  }
  auto direct = Export(secretariat_token_);
  ASSERT_THAT(direct, IsOk());
  ASSERT_EQ(direct->size(), 3u);

  v1::ExportRecordRequest request;
  request.set_consultation("consultations/cph");
  auto context = Bounded(secretariat_token_);
  auto reader = comments_->ExportRecord(context.get(), request);
  std::vector<std::string> rows;
  v1::RecordEntry row;
  while (reader->Read(&row)) rows.push_back(row.SerializeAsString());
  ASSERT_THAT(reader->Finish(), IsOk());
  std::vector<std::string> expected;
  for (const auto& r : *direct) expected.push_back(r.SerializeAsString());
  EXPECT_THAT(rows, ElementsAreArray(expected));

  // A stream that fails before its first message fails the same way.
  auto refused = As(member_);
  auto denied = comments_->ExportRecord(refused.get(), request);
  EXPECT_FALSE(denied->Read(&row));
  EXPECT_THAT(denied->Finish(), StatusIs(absl::StatusCode::kNotFound));
}

// Reads Subscribe responses through the front.
struct Subscription {
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader;

  // The next notification (heartbeats skipped); false when the stream ends.
  bool NextNotification(v1::Notification* out) {
    v1::SubscribeResponse response;
    while (reader->Read(&response)) {
      if (response.has_notification()) {
        *out = response.notification();
        return true;
      }
    }
    return false;
  }
};

TEST_F(GrpcFrontTest, SubscribeDeliversLiveNotifications) {
  const std::string bo = NewMember(
      "bo@example.org", "KEN", v1::ORGANISATION_TYPE_ACADEMIA, v1::ROLE_MEMBER);
  ASSERT_TRUE(OpenConsultation());
  auto comment = Comment(member_, Section("principles"), "Add consent.");
  ASSERT_THAT(comment, IsOk());
  Settle();

  Subscription stream{Bounded(member_), nullptr};
  stream.reader =
      notifications_->Subscribe(stream.context.get(), v1::SubscribeRequest());
  v1::SubscribeResponse first;
  ASSERT_TRUE(stream.reader->Read(&first));
  EXPECT_TRUE(first.has_heartbeat());
  EXPECT_TRUE(IsHex32(
      Meta(stream.context->GetServerInitialMetadata(), "x-request-id")));

  // A reply arrives live, through the front.
  ASSERT_THAT(Reply(bo, comment->name(), "Agreed."), IsOk());
  v1::Notification notification;
  ASSERT_TRUE(stream.NextNotification(&notification));
  EXPECT_EQ(notification.event_type(), v1::EVENT_TYPE_COMMENT_REPLIED);
  stream.context->TryCancel();
  (void)stream.reader->Finish();
}

TEST_F(GrpcFrontTest, TheCallersDeadlineEndsTheBackendStream) {
  Subscription stream{Bounded(member_, absl::Milliseconds(800)), nullptr};
  stream.reader =
      notifications_->Subscribe(stream.context.get(), v1::SubscribeRequest());
  v1::SubscribeResponse response;
  ASSERT_TRUE(stream.reader->Read(&response));  // the first heartbeat
  EXPECT_EQ(replica_->hub.open_streams(), 1);
  while (stream.reader->Read(&response)) {
  }
  EXPECT_THAT(stream.reader->Finish(),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(WaitFor([&] { return replica_->hub.open_streams() == 0; }));
  EXPECT_TRUE(WaitFor([&] { return front_->open_calls() == 0; }));
}

TEST_F(GrpcFrontTest, CancellingEndsTheBackendStream) {
  Subscription stream{Bounded(member_), nullptr};
  stream.reader =
      notifications_->Subscribe(stream.context.get(), v1::SubscribeRequest());
  v1::SubscribeResponse response;
  ASSERT_TRUE(stream.reader->Read(&response));  // the first heartbeat
  EXPECT_EQ(replica_->hub.open_streams(), 1);
  EXPECT_EQ(front_->open_calls(), 1);
  stream.context->TryCancel();
  while (stream.reader->Read(&response)) {
  }
  EXPECT_THAT(stream.reader->Finish(), StatusIs(absl::StatusCode::kCancelled));
  EXPECT_TRUE(WaitFor([&] { return replica_->hub.open_streams() == 0; }));
  EXPECT_TRUE(WaitFor([&] { return front_->open_calls() == 0; }));
}

TEST_F(GrpcFrontTest, AServiceWithoutABackendIsUnimplemented) {
  auto community = v1::CommunityService::NewStub(front_channel_);
  v1::GetSpaceRequest request;
  request.set_name("spaces/x");
  v1::Space space;
  auto context = Bounded(member_);
  context->AddMetadata("x-request-id", "why-1");
  EXPECT_THAT(community->GetSpace(context.get(), request, &space),
              StatusIs(absl::StatusCode::kUnimplemented,
                       HasSubstr("unknown service: cdc.v1.CommunityService")));
  // Refused calls carry their x-request-id too.
  EXPECT_EQ(Meta(context->GetServerInitialMetadata(), "x-request-id"), "why-1");
  EXPECT_EQ(front_->open_calls(), 0);
}

TEST_F(GrpcFrontTest, TheFrontAnswersHealthChecksItself) {
  auto health = grpc::health::v1::Health::NewStub(front_channel_);
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_THAT(health->Check(Bounded("").get(),
                            grpc::health::v1::HealthCheckRequest(), &response),
              IsOk());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(GrpcFrontTest, EveryAnswerCarriesAnXRequestId) {
  v1::Member member;
  // None sent: a fresh one.
  auto fresh = Bounded(member_);
  v1::GetMemberRequest request;
  request.set_name(member_names_[member_]);
  ASSERT_THAT(members_->GetMember(fresh.get(), request, &member), IsOk());
  const std::string id =
      Meta(fresh->GetServerInitialMetadata(), "x-request-id");
  EXPECT_TRUE(IsHex32(id)) << id;
  // The caller's own, when well formed.
  auto own = Bounded(member_);
  own->AddMetadata("x-request-id", "partner-42");
  ASSERT_THAT(members_->GetMember(own.get(), request, &member), IsOk());
  EXPECT_EQ(Meta(own->GetServerInitialMetadata(), "x-request-id"),
            "partner-42");
  // A malformed one is replaced.
  auto bad = Bounded(member_);
  bad->AddMetadata("x-request-id", "not/an id");
  ASSERT_THAT(members_->GetMember(bad.get(), request, &member), IsOk());
  EXPECT_TRUE(IsHex32(Meta(bad->GetServerInitialMetadata(), "x-request-id")));
}

// A partner system, end to end over gRPC through the front only: the
// secretariat admits the partner's organisation and issues it an API
// token; the partner reads a consultation and follows the event feed,
// first the stored events, then live ones.
TEST_F(GrpcFrontTest, APartnerSystemWorksThroughTheFrontAlone) {
  ASSERT_TRUE(OpenConsultation());

  v1::ApplyForMembershipRequest apply;
  apply.mutable_member()->set_email("data@partner.example.org");
  apply.mutable_member()->set_display_name("Partner data team");
  apply.mutable_member()->set_organisation("Partner");
  apply.mutable_member()->set_organisation_type(
      v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
  apply.mutable_member()->set_country("KEN");
  apply.mutable_member()->add_languages("en");
  apply.set_password("correct horse battery staple");
  v1::Member holder;
  ASSERT_THAT(members_->ApplyForMembership(Bounded("").get(), apply, &holder),
              IsOk());
  v1::ApproveMemberRequest approve;
  approve.set_name(holder.name());
  approve.set_role(v1::ROLE_MEMBER);
  ASSERT_THAT(members_->ApproveMember(Bounded(secretariat_token_).get(),
                                      approve, &holder),
              IsOk());
  v1::CreateApiTokenRequest issue;
  issue.set_member(holder.name());
  issue.set_display_name("Partner data portal");
  v1::CreateApiTokenResponse issued;
  ASSERT_THAT(members_->CreateApiToken(Bounded(secretariat_token_).get(), issue,
                                       &issued),
              IsOk());
  const std::string partner = issued.secret();
  ASSERT_FALSE(partner.empty());

  v1::Principal principal;
  ASSERT_THAT(members_->Authenticate(Bounded(partner).get(),
                                     v1::AuthenticateRequest(), &principal),
              IsOk());
  EXPECT_EQ(principal.role(), v1::ROLE_PARTNER);
  EXPECT_EQ(principal.member(), holder.name());

  v1::GetConsultationRequest get;
  get.set_name("consultations/cph");
  v1::Consultation consultation;
  ASSERT_THAT(consultations_->GetConsultation(Bounded(partner).get(), get,
                                              &consultation),
              IsOk());
  EXPECT_EQ(consultation.name(), "consultations/cph");
  EXPECT_EQ(consultation.state(), v1::Consultation::OPEN);

  // The feed from the start: the round opened, then a comment made live.
  v1::WatchEventsRequest watch;
  watch.set_start(v1::WatchEventsRequest::EARLIEST);
  watch.add_consultations("consultations/cph");
  auto context = Bounded(partner);
  auto feed = notifications_->WatchEvents(context.get(), watch);
  auto next_event = [&](v1::WatchEventsResponse* out) {
    while (feed->Read(out)) {
      if (out->has_event()) return true;
    }
    return false;
  };
  v1::WatchEventsResponse item;
  bool round_opened = false;
  while (!round_opened && next_event(&item)) {
    round_opened = item.event().has_round_opened();
  }
  ASSERT_TRUE(round_opened);
  EXPECT_FALSE(item.cursor().empty());

  auto comment = Comment(member_, Section("privacy"), "Consent first.");
  ASSERT_THAT(comment, IsOk());
  bool created = false;
  while (!created && next_event(&item)) {
    created =
        item.event().has_comment_created() &&
        item.event().comment_created().comment().comment() == comment->name();
  }
  EXPECT_TRUE(created);
  context->TryCancel();
  (void)feed->Finish();
  EXPECT_TRUE(WaitFor([&] { return replica_->hub.open_streams() == 0; }));
}

// ---------------------------------------------------------------------------
// An echo backend: what a backend sees of a call through the front.

grpc::ByteBuffer Buffer(const std::string& text) {
  grpc::Slice slice(text);
  return grpc::ByteBuffer(&slice, 1);
}

std::string Text(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return "<undumpable>";
  std::string text;
  for (const grpc::Slice& s : slices) {
    text.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return text;
}

// Answers every method. Its initial metadata reports what it received:
// each caller key as "seen-<key>", the method, and the time left before
// the deadline ("seen-deadline-ms", or "none"). It echoes each message,
// stops early at a message "stop", and finishes with the status the
// caller asks for in "echo-code" / "echo-message" (else OK), with a
// trailer "echo-trailer". Asked for "echo-flood: N", it reads nothing and
// writes N messages of 1 MiB instead, each as soon as the previous one
// was taken, counting them in flooded().
class EchoService final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new Echo(context, this);
  }

  // Calls the echo has not finished yet.
  int open() const { return open_.load(); }
  // Flood messages written so far.
  int flooded() const { return flooded_.load(); }

 private:
  class Echo final : public grpc::ServerGenericBidiReactor {
   public:
    Echo(grpc::GenericCallbackServerContext* context, EchoService* service)
        : service_(service) {
      service_->open_.fetch_add(1);
      int code = 0;
      for (const auto& [key, value] : context->client_metadata()) {
        const std::string k(key.data(), key.size());
        const std::string v(value.data(), value.size());
        context->AddInitialMetadata("seen-" + k, v);
        if (k == "echo-code" && !absl::SimpleAtoi(v, &code)) code = 2;
        if (k == "echo-message") message_ = v;
        if (k == "echo-flood" && !absl::SimpleAtoi(v, &flood_)) flood_ = 0;
      }
      code_ = static_cast<grpc::StatusCode>(code);
      context->AddInitialMetadata("seen-method", context->method());
      const auto deadline = context->deadline();
      context->AddInitialMetadata(
          "seen-deadline-ms",
          deadline == std::chrono::system_clock::time_point::max()
              ? "none"
              : absl::StrCat(absl::ToInt64Milliseconds(
                    absl::FromChrono(deadline) - absl::Now())));
      context->AddTrailingMetadata("echo-trailer", "bye");
      StartSendInitialMetadata();
      if (flood_ > 0) {
        buffer_ = Buffer(std::string(1 << 20, 'f'));
        StartWrite(&buffer_);
        return;
      }
      StartRead(&buffer_);
    }
    void OnReadDone(bool ok) override {
      if (!ok || Text(buffer_) == "stop") {
        Finish(grpc::Status(code_, message_, "details"));
        return;
      }
      StartWrite(&buffer_);
    }
    void OnWriteDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status::CANCELLED);
        return;
      }
      if (flood_ > 0) {
        service_->flooded_.fetch_add(1);
        if (--flood_ > 0) {
          StartWrite(&buffer_);
        } else {
          Finish(grpc::Status::OK);
        }
        return;
      }
      StartRead(&buffer_);
    }
    void OnDone() override {
      service_->open_.fetch_sub(1);
      delete this;
    }

   private:
    EchoService* const service_;
    int flood_ = 0;
    grpc::ByteBuffer buffer_;
    grpc::StatusCode code_ = grpc::StatusCode::OK;
    std::string message_;
  };

  std::atomic<int> open_{0};
  std::atomic<int> flooded_{0};
};

// One generic call: writes `messages` one at a time, then half-closes
// (unless told not to), and reads every answer (from the start, or from
// StartReading on).
class GenericCall final
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  GenericCall(grpc::GenericStub* stub, const std::string& method,
              grpc::ClientContext* context, std::vector<std::string> messages,
              bool half_close = true, bool read_now = true)
      : context_(context),
        messages_(std::move(messages)),
        half_close_(half_close) {
    stub->PrepareBidiStreamingCall(context, method, grpc::StubOptions(), this);
    if (read_now) {
      StartRead(&in_);
    } else {
      AddHold();  // keeps the call for StartReading
    }
    NextWrite();
    StartCall();
  }

  // Starts reading, when the constructor did not.
  void StartReading() {
    StartRead(&in_);
    RemoveHold();
  }

  // Waits for the end (at most 30 s, then cancels) and returns the status.
  grpc::Status Await() {
    if (!done_.WaitForNotificationWithTimeout(absl::Seconds(30))) {
      ADD_FAILURE() << "the call did not end";
      context_->TryCancel();
      done_.WaitForNotification();
    }
    return status_;
  }

  // After Await.
  const std::vector<std::string>& received() const { return received_; }

  void OnWriteDone(bool ok) override {
    if (ok) NextWrite();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    received_.push_back(Text(in_));
    StartRead(&in_);
  }
  void OnDone(const grpc::Status& status) override {
    status_ = status;
    done_.Notify();
  }

 private:
  void NextWrite() {
    if (next_ < messages_.size()) {
      out_ = Buffer(messages_[next_++]);
      StartWrite(&out_);
    } else if (half_close_ && next_++ == messages_.size()) {
      StartWritesDone();
    }
  }

  grpc::ClientContext* const context_;
  const std::vector<std::string> messages_;
  const bool half_close_;
  size_t next_ = 0;
  grpc::ByteBuffer out_;
  grpc::ByteBuffer in_;
  std::vector<std::string> received_;
  grpc::Status status_;
  absl::Notification done_;
};

class GrpcFrontEchoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int echo_port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &echo_port);
    builder.RegisterCallbackGenericService(&echo_);
    echo_server_ = builder.BuildAndStart();
    ASSERT_NE(echo_port, 0);
    front_ = std::make_unique<GrpcFront>(
        std::map<std::string, std::shared_ptr<grpc::Channel>>{
            {"test.Echo",
             grpc::CreateChannel(absl::StrCat("127.0.0.1:", echo_port),
                                 grpc::InsecureChannelCredentials())},
            // Nothing listens there: port 1 is privileged and unused.
            {"test.Down",
             grpc::CreateChannel("127.0.0.1:1",
                                 grpc::InsecureChannelCredentials())},
        });
    int port = 0;
    auto server = StartGrpcFront(front_.get(), "127.0.0.1:0", &port);
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
    stub_ = std::make_unique<grpc::GenericStub>(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    const auto deadline = absl::ToChronoTime(absl::Now() + absl::Seconds(5));
    if (server_ != nullptr) server_->Shutdown(deadline);
    front_.reset();
    if (echo_server_ != nullptr) echo_server_->Shutdown(deadline);
  }

  static std::unique_ptr<grpc::ClientContext> Context(
      absl::Duration timeout = absl::Seconds(20)) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    return context;
  }

  EchoService echo_;
  std::unique_ptr<grpc::Server> echo_server_;
  std::unique_ptr<GrpcFront> front_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::GenericStub> stub_;
};

TEST_F(GrpcFrontEchoTest, StreamsBothWaysInOrderWithTheCallersMetadata) {
  auto context = Context();
  context->AddMetadata("authorization", "Bearer abc");
  context->AddMetadata("x-partner", "unicef");
  context->AddMetadata("trace-bin", std::string("\x00\x01\xff", 3));
  context->AddMetadata("x-request-id", "req-7");
  std::vector<std::string> messages;
  for (int i = 0; i < 40; ++i) {
    // Empty, small and large messages (up to 1 MiB), to fill windows.
    messages.push_back(std::string(i % 4 == 0 ? 0 : (i * 26000) % (1 << 20),
                                   static_cast<char>('a' + i % 26)));
  }
  GenericCall call(stub_.get(), "/test.Echo/Chat", context.get(), messages);
  ASSERT_THAT(call.Await(), IsOk());
  EXPECT_EQ(call.received(), messages);

  const auto& seen = context->GetServerInitialMetadata();
  EXPECT_EQ(Meta(seen, "seen-authorization"), "Bearer abc");
  EXPECT_EQ(Meta(seen, "seen-x-partner"), "unicef");
  EXPECT_EQ(Meta(seen, "seen-trace-bin"), std::string("\x00\x01\xff", 3));
  EXPECT_EQ(Meta(seen, "seen-x-request-id"), "req-7");
  EXPECT_EQ(Meta(seen, "seen-method"), "/test.Echo/Chat");
  EXPECT_EQ(Meta(seen, "x-request-id"), "req-7");
  EXPECT_EQ(seen.count("seen-grpc-timeout"), 0u);
  int64_t left_ms = 0;
  ASSERT_TRUE(absl::SimpleAtoi(Meta(seen, "seen-deadline-ms"), &left_ms));
  // The caller's 20 s, less transit; grpc-timeout travels rounded up.
  EXPECT_GT(left_ms, 10000);
  EXPECT_LE(left_ms, 21000);
  EXPECT_EQ(Meta(context->GetServerTrailingMetadata(), "echo-trailer"), "bye");
  EXPECT_TRUE(WaitFor([&] { return front_->open_calls() == 0; }));
}

TEST_F(GrpcFrontEchoTest, NoDeadlineStaysNone) {
  grpc::ClientContext context;
  GenericCall call(stub_.get(), "/test.Echo/Once", &context, {"x"});
  ASSERT_THAT(call.Await(), IsOk());
  EXPECT_EQ(Meta(context.GetServerInitialMetadata(), "seen-deadline-ms"),
            "none");
  EXPECT_TRUE(
      IsHex32(Meta(context.GetServerInitialMetadata(), "seen-x-request-id")));
}

TEST_F(GrpcFrontEchoTest, TheBackendsStatusAndTrailersPassThrough) {
  auto context = Context();
  context->AddMetadata("echo-code", "9");  // FAILED_PRECONDITION
  context->AddMetadata("echo-message", "round is CLOSED; needs OPEN");
  GenericCall call(stub_.get(), "/test.Echo/Fail", context.get(), {"a", "b"});
  const grpc::Status status = call.Await();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "round is CLOSED; needs OPEN");
  EXPECT_EQ(status.error_details(), "details");
  EXPECT_EQ(call.received(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Meta(context->GetServerTrailingMetadata(), "echo-trailer"), "bye");
}

TEST_F(GrpcFrontEchoTest, ACallerThatDoesNotReadHoldsTheBackendBack) {
  constexpr int kMessages = 150;  // 150 MiB: far beyond any buffer
  auto context = Context();
  context->AddMetadata("echo-flood", absl::StrCat(kMessages));
  GenericCall call(stub_.get(), "/test.Echo/Flood", context.get(), {},
                   /*half_close=*/true, /*read_now=*/false);
  // The backend writes until the windows and buffers on the way are full,
  // then waits: the front takes a message from the backend only once the
  // caller took the previous one.
  int before = -1;
  ASSERT_TRUE(WaitFor([&] {
    const int now = echo_.flooded();
    const bool stalled = now > 0 && now == before;
    before = now;
    if (!stalled) absl::SleepFor(absl::Milliseconds(200));
    return stalled;
  }));
  EXPECT_LT(echo_.flooded(), kMessages / 2);
  call.StartReading();
  ASSERT_THAT(call.Await(), IsOk());
  EXPECT_EQ(call.received().size(), static_cast<size_t>(kMessages));
  EXPECT_EQ(echo_.flooded(), kMessages);
}

TEST_F(GrpcFrontEchoTest, ABackendThatEndsFirstEndsTheCallersStream) {
  // The caller never half-closes: the backend's end alone ends the call.
  auto context = Context();
  GenericCall call(stub_.get(), "/test.Echo/Chat", context.get(), {"a", "stop"},
                   /*half_close=*/false);
  ASSERT_THAT(call.Await(), IsOk());
  EXPECT_EQ(call.received(), std::vector<std::string>{"a"});
  EXPECT_TRUE(WaitFor([&] { return front_->open_calls() == 0; }));
}

TEST_F(GrpcFrontEchoTest, AnUnreachableBackendIsUnavailable) {
  auto context = Context();
  GenericCall call(stub_.get(), "/test.Down/Ping", context.get(), {"a"});
  EXPECT_EQ(call.Await().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(WaitFor([&] { return front_->open_calls() == 0; }));
}

TEST_F(GrpcFrontEchoTest, MalformedMethodsAreUnimplemented) {
  for (const char* method : {"/test.Echo", "/test.Echo/", "//Chat"}) {
    auto context = Context();
    GenericCall call(stub_.get(), method, context.get(), {"a"});
    const grpc::Status status = call.Await();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << method;
    EXPECT_THAT(status.error_message(), HasSubstr("unknown service")) << method;
  }
}

TEST_F(GrpcFrontEchoTest, CancellingMidStreamCancelsTheBackendCall) {
  auto context = Context();
  // Never half-closes; cancelled while the backend call is open.
  GenericCall call(stub_.get(), "/test.Echo/Chat", context.get(), {"a"},
                   /*half_close=*/false);
  ASSERT_TRUE(WaitFor([&] { return echo_.open() == 1; }));
  EXPECT_EQ(front_->open_calls(), 1);
  context->TryCancel();
  EXPECT_EQ(call.Await().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitFor([&] { return echo_.open() == 0; }));
  EXPECT_TRUE(WaitFor([&] { return front_->open_calls() == 0; }));
}

}  // namespace
}  // namespace cdc::gateway
