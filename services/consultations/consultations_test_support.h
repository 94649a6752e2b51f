// Test support for cdc-consultations: a real cdc-consultations on loopback,
// over the real Redis and the real cdc-members of MembersServerTest, with
// the fixture's FakeClock, and helpers that call it as a given member.
#pragma once

#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cdc/v1/consultations.grpc.pb.h"
#include "cdc/v1/events.pb.h"
#include "gtest/gtest.h"
#include "services/common/keys.h"
#include "services/common/remote_authenticator.h"
#include "services/common/status.h"
#include "services/common/status_matchers.h"
#include "services/consultations/consultations_service.h"
#include "services/consultations/consultations_store.h"
#include "services/members/members_test_support.h"

namespace cdc::consultations::testing {

// A small draft: two top-level sections, two under "principles".
inline constexpr char kDraft[] = R"md(# Importance of citizen data {#importance}
Citizen data fills gaps.

# Key principles {#principles}
Principles guide the work.

## Inclusion
Leave no one behind.

## Privacy {#privacy}
Protect people.
)md";

inline google::protobuf::Timestamp At(absl::Time t) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(
      absl::ToUnixMillis(t));
}

class ConsultationsServerTest : public members::testing::MembersServerTest {
 protected:
  void SetUp() override {
    MembersServerTest::SetUp();
    authenticator_ = std::make_unique<RemoteAuthenticator>(
        channel_, clock_,
        RemoteAuthenticator::Options{.cache_ttl = absl::ZeroDuration()});
    store_c_ = std::make_unique<ConsultationsStore>(
        &redis(), ConsultationsStore::Options{});
    service_c_ = std::make_unique<ConsultationsService>(
        store_c_.get(), authenticator_.get(), channel_, clock_,
        ConsultationsServiceOptions{});
    host_c_ = std::make_unique<ServiceHost>(ServerOptions{}, &redis());
    host_c_->AddService(service_c_.get(),
                        v1::ConsultationsService::service_full_name());
    ASSERT_THAT(host_c_->Start(), cdc::testing::IsOk());
    c_ = v1::ConsultationsService::NewStub(grpc::CreateChannel(
        host_c_->address(), grpc::InsecureChannelCredentials()));
    member_ = NewMember("amina@example.org", "KEN",
                        v1::ORGANISATION_TYPE_CIVIL_SOCIETY, v1::ROLE_MEMBER);
    observer_ = NewMember("obs@example.org", "FRA",
                          v1::ORGANISATION_TYPE_ACADEMIA, v1::ROLE_OBSERVER);
  }

  void TearDown() override {
    host_c_->Shutdown();
    MembersServerTest::TearDown();
  }

  // Applies, is approved and signs in; returns the session token.
  std::string NewMember(const std::string& email, const std::string& country,
                        v1::OrganisationType type, v1::Role role) {
    v1::ApplyForMembershipRequest apply;
    apply.mutable_member()->set_email(email);
    apply.mutable_member()->set_display_name(email);
    apply.mutable_member()->set_organisation("Org");
    apply.mutable_member()->set_organisation_type(type);
    apply.mutable_member()->set_country(country);
    apply.mutable_member()->add_languages("en");
    apply.set_password("correct horse battery staple");
    v1::Member member;
    grpc::ClientContext c1;
    EXPECT_TRUE(stub_->ApplyForMembership(&c1, apply, &member).ok());
    v1::ApproveMemberRequest approve;
    approve.set_name(member.name());
    approve.set_role(role);
    EXPECT_TRUE(
        stub_->ApproveMember(As(secretariat_token_).get(), approve, &member)
            .ok());
    v1::SignInRequest sign_in;
    sign_in.set_email(email);
    sign_in.set_password("correct horse battery staple");
    v1::SignInResponse session;
    grpc::ClientContext c2;
    EXPECT_TRUE(stub_->SignIn(&c2, sign_in, &session).ok());
    member_names_[session.token()] = member.name();
    return session.token();
  }

  // Calls `method` on the consultations stub as `token`. Thread-safe.
  template <typename Request, typename Response, typename Method>
  absl::StatusOr<Response> Call(Method method, const Request& request,
                                const std::string& token) {
    Response response;
    grpc::Status status =
        (c_.get()->*method)(As(token).get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  absl::StatusOr<v1::Consultation> Create(const std::string& id,
                                          const std::string& token = "") {
    v1::CreateConsultationRequest request;
    request.set_consultation_id(id);
    request.mutable_consultation()->set_title("Copenhagen Framework");
    request.mutable_consultation()->set_description("The draft.");
    return Call<v1::CreateConsultationRequest, v1::Consultation>(
        &v1::ConsultationsService::Stub::CreateConsultation, request,
        token.empty() ? secretariat_token_ : token);
  }

  absl::StatusOr<v1::DraftVersion> Import(const std::string& id,
                                          const std::string& markdown,
                                          bool validate_only = false) {
    v1::ImportDraftRequest request;
    request.set_parent(absl::StrCat("consultations/", id));
    request.set_markdown(markdown);
    request.set_validate_only(validate_only);
    return Call<v1::ImportDraftRequest, v1::DraftVersion>(
        &v1::ConsultationsService::Stub::ImportDraft, request,
        secretariat_token_);
  }

  absl::StatusOr<v1::Consultation> Open(const std::string& id,
                                        absl::Duration opens_in,
                                        absl::Duration lasts,
                                        int draft_version = 0) {
    v1::OpenRoundRequest request;
    request.set_name(absl::StrCat("consultations/", id));
    *request.mutable_opens_at() = At(clock_.Now() + opens_in);
    *request.mutable_closes_at() = At(clock_.Now() + opens_in + lasts);
    request.set_draft_version(draft_version);
    return Call<v1::OpenRoundRequest, v1::Consultation>(
        &v1::ConsultationsService::Stub::OpenRound, request,
        secretariat_token_);
  }

  absl::StatusOr<v1::Consultation> Get(const std::string& id,
                                       const std::string& token) {
    v1::GetConsultationRequest request;
    request.set_name(absl::StrCat("consultations/", id));
    return Call<v1::GetConsultationRequest, v1::Consultation>(
        &v1::ConsultationsService::Stub::GetConsultation, request, token);
  }

  template <typename Request, typename Method>
  absl::StatusOr<v1::Consultation> Transition(Method method,
                                              const std::string& id,
                                              const std::string& token = "") {
    Request request;
    request.set_name(absl::StrCat("consultations/", id));
    return Call<Request, v1::Consultation>(
        method, request, token.empty() ? secretariat_token_ : token);
  }
  absl::StatusOr<v1::Consultation> Close(const std::string& id) {
    return Transition<v1::CloseRoundRequest>(
        &v1::ConsultationsService::Stub::CloseRound, id);
  }
  absl::StatusOr<v1::Consultation> Publish(const std::string& id) {
    return Transition<v1::PublishRecordRequest>(
        &v1::ConsultationsService::Stub::PublishRecord, id);
  }

  absl::StatusOr<v1::CheckParticipationResponse> Check(
      const std::string& target, const std::string& token,
      const std::string& member = "") {
    v1::CheckParticipationRequest request;
    request.set_target(target);
    request.set_member(member);
    request.set_include_section(true);
    return Call<v1::CheckParticipationRequest, v1::CheckParticipationResponse>(
        &v1::ConsultationsService::Stub::CheckParticipation, request, token);
  }

  // The events of the consultation, in the order of its shard's stream.
  std::vector<v1::Event> EventsOf(const std::string& id) {
    auto entries = redis().Command(
        {"XRANGE", EventStreamKey(ConsultationsStore::ShardOf(id)), "-", "+"});
    EXPECT_THAT(entries, cdc::testing::IsOk());
    std::vector<v1::Event> events;
    if (!entries.ok()) return events;
    for (const RedisReply& entry : entries->elements) {
      v1::Event event;
      EXPECT_TRUE(event.ParseFromString(entry.elements[1].elements[1].str));
      if (event.consultation() == absl::StrCat("consultations/", id)) {
        events.push_back(std::move(event));
      }
    }
    return events;
  }

  // The payload kinds of EventsOf(id).
  std::vector<v1::Event::PayloadCase> Events(const std::string& id) {
    std::vector<v1::Event::PayloadCase> kinds;
    for (const v1::Event& event : EventsOf(id)) {
      kinds.push_back(event.payload_case());
    }
    return kinds;
  }

  std::unique_ptr<RemoteAuthenticator> authenticator_;
  std::unique_ptr<ConsultationsStore> store_c_;
  std::unique_ptr<ConsultationsService> service_c_;
  std::unique_ptr<ServiceHost> host_c_;
  std::unique_ptr<v1::ConsultationsService::Stub> c_;
  std::string member_;    // a MEMBER token: civil society, KEN
  std::string observer_;  // an OBSERVER token: academia, FRA
  std::map<std::string, std::string> member_names_;  // token -> name
};

}  // namespace cdc::consultations::testing
