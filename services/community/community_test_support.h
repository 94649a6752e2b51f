// Test support for cdc-community: a real cdc-community listening on
// `community_address_` (the Unix socket cdc-comments of CommentsServerTest
// already calls), next to the real cdc-comments, cdc-consultations and
// cdc-members, over the same real Redis and FakeClock; the community event
// consumer running over the 16 event streams; and helpers that call
// cdc-community as a given member.
//
// Tokens: secretariat_token_ (bootstrap secretariat), member_ (MEMBER,
// KEN), other_ (MEMBER, BRA), observer_ (OBSERVER); NewMember makes more,
// NewPartner an API token. NameOf(token) is the token's "members/{id}".
#pragma once

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cdc/v1/community.grpc.pb.h"
#include "cdc/v1/events.pb.h"
#include "cdc/v1/members.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/comments/comments_test_support.h"
#include "services/common/keys.h"
#include "services/common/server.h"
#include "services/common/status.h"
#include "services/common/status_matchers.h"
#include "services/community/community_service.h"
#include "services/community/community_store.h"
#include "services/community/library_store.h"

#if __has_include("services/common/event_consumer.h")
#include "services/common/event_consumer.h"
#define CDC_COMMUNITY_TEST_CONSUMER 1
#endif

namespace cdc::community::testing {

class CommunityServerTest : public comments::testing::CommentsServerTest {
 protected:
  void SetUp() override {
    CommentsServerTest::SetUp();
    if (HasFatalFailure()) return;
    other_ = NewMember("bruno@example.org", "BRA",
                       v1::ORGANISATION_TYPE_NATIONAL_STATISTICAL_OFFICE,
                       v1::ROLE_MEMBER);
    community_store_ =
        std::make_unique<CommunityStore>(&redis(), CommunityStore::Options{});
    library_store_ =
        std::make_unique<LibraryStore>(&redis(), LibraryStore::Options{});
    community_service_ =
        std::make_unique<CommunityService>(CommunityService::Dependencies{
            .store = community_store_.get(),
            .library = library_store_.get(),
            .authenticator = authenticator_.get(),
            .members = channel_,
            .comments = grpc::CreateChannel(host_k_->address(),
                                            grpc::InsecureChannelCredentials()),
            .clock = &clock_,
        });
    host_cm_ = std::make_unique<ServiceHost>(
        ServerOptions{.listen_address = community_address_}, &redis());
    host_cm_->AddService(community_service_.get(),
                         v1::CommunityService::service_full_name());
    ASSERT_THAT(host_cm_->Start(), cdc::testing::IsOk());
    cm_ = v1::CommunityService::NewStub(grpc::CreateChannel(
        host_cm_->address(), grpc::InsecureChannelCredentials()));
#ifdef CDC_COMMUNITY_TEST_CONSUMER
    consumer_ = std::make_unique<EventConsumer>(
        &redis(), redis_options(),
        EventConsumer::Options{.group = "community",
                               .name = "community-test",
                               .block = absl::Milliseconds(50),
                               .claim_interval = absl::Milliseconds(200)},
        CommentActivityHandler(community_store_.get(), library_store_.get()));
    consumer_->Start();
#endif
  }

  void TearDown() override {
#ifdef CDC_COMMUNITY_TEST_CONSUMER
    if (consumer_ != nullptr) consumer_->Stop();
#endif
    if (host_cm_ != nullptr) host_cm_->Shutdown();
    CommentsServerTest::TearDown();
  }

  // "members/{id}" of a token made by this fixture.
  std::string NameOf(const std::string& token) {
    if (token == secretariat_token_) return secretariat_;
    return member_names_[token];
  }

  // An API token (role PARTNER) acting for the member of `token`.
  std::string NewPartner(const std::string& token) {
    v1::CreateApiTokenRequest request;
    request.set_member(NameOf(token));
    request.set_display_name("Partner portal");
    v1::CreateApiTokenResponse response;
    EXPECT_THAT(
        stub_->CreateApiToken(As(secretariat_token_).get(), request, &response),
        cdc::testing::IsOk());
    return response.secret();
  }

  // Calls `method` on the community stub as `token`. Thread-safe.
  template <typename Request, typename Response, typename Method>
  absl::StatusOr<Response> CallC(Method method, const Request& request,
                                 const std::string& token) {
    Response response;
    grpc::Status status =
        (cm_.get()->*method)(As(token).get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  static std::string SpaceName(const std::string& id) {
    return absl::StrCat("spaces/", id);
  }

  // CreateSpace as the secretariat: space `id` titled after it, with
  // `facilitators` ("members/{id}").
  absl::StatusOr<v1::Space> MakeSpace(
      const std::string& id, v1::Space::Visibility visibility = v1::Space::OPEN,
      const std::vector<std::string>& facilitators = {}) {
    v1::CreateSpaceRequest request;
    request.set_space_id(id);
    request.mutable_space()->set_title(absl::StrCat("Space ", id));
    request.mutable_space()->set_description("A working group.");
    request.mutable_space()->set_visibility(visibility);
    for (const std::string& f : facilitators) {
      request.mutable_space()->add_facilitators(f);
    }
    return CallC<v1::CreateSpaceRequest, v1::Space>(
        &v1::CommunityService::Stub::CreateSpace, request, secretariat_token_);
  }

  absl::StatusOr<v1::Space> GetSpace(const std::string& token,
                                     const std::string& id) {
    v1::GetSpaceRequest request;
    request.set_name(SpaceName(id));
    return CallC<v1::GetSpaceRequest, v1::Space>(
        &v1::CommunityService::Stub::GetSpace, request, token);
  }

  // JoinSpace as `token`.
  absl::StatusOr<v1::Space> JoinAs(const std::string& token,
                                   const std::string& id) {
    v1::JoinSpaceRequest request;
    request.set_name(SpaceName(id));
    return CallC<v1::JoinSpaceRequest, v1::Space>(
        &v1::CommunityService::Stub::JoinSpace, request, token);
  }

  // AddSpaceMember as `token` (the secretariat by default).
  absl::StatusOr<v1::SpaceMember> AddMember(const std::string& id,
                                            const std::string& member,
                                            const std::string& token = "") {
    v1::AddSpaceMemberRequest request;
    request.set_space(SpaceName(id));
    request.set_member(member);
    return CallC<v1::AddSpaceMemberRequest, v1::SpaceMember>(
        &v1::CommunityService::Stub::AddSpaceMember, request,
        token.empty() ? secretariat_token_ : token);
  }

  // CreateTopic as `token` in space `id`.
  absl::StatusOr<v1::Topic> StartTopic(
      const std::string& token, const std::string& id, const std::string& title,
      const std::string& body = "Let us talk.",
      const std::vector<std::string>& tags = {},
      const std::string& request_id = "") {
    v1::CreateTopicRequest request;
    request.set_parent(SpaceName(id));
    request.mutable_topic()->set_title(title);
    request.mutable_topic()->set_body(body);
    for (const std::string& tag : tags) request.mutable_topic()->add_tags(tag);
    request.set_request_id(request_id);
    return CallC<v1::CreateTopicRequest, v1::Topic>(
        &v1::CommunityService::Stub::CreateTopic, request, token);
  }

  absl::StatusOr<v1::Topic> GetTopic(const std::string& token,
                                     const std::string& name) {
    v1::GetTopicRequest request;
    request.set_name(name);
    return CallC<v1::GetTopicRequest, v1::Topic>(
        &v1::CommunityService::Stub::GetTopic, request, token);
  }

  // CreateConversation as `token` with `others` ("members/{id}").
  absl::StatusOr<v1::Conversation> StartConversation(
      const std::string& token, const std::vector<std::string>& others,
      const std::string& subject = "") {
    v1::CreateConversationRequest request;
    for (const std::string& other : others) {
      request.mutable_conversation()->add_participants(other);
    }
    request.mutable_conversation()->set_subject(subject);
    return CallC<v1::CreateConversationRequest, v1::Conversation>(
        &v1::CommunityService::Stub::CreateConversation, request, token);
  }

  absl::StatusOr<v1::Conversation> GetConversation(const std::string& token,
                                                   const std::string& name) {
    v1::GetConversationRequest request;
    request.set_name(name);
    return CallC<v1::GetConversationRequest, v1::Conversation>(
        &v1::CommunityService::Stub::GetConversation, request, token);
  }

  // BlockMember as `token`.
  absl::StatusOr<v1::BlockedMember> Block(const std::string& token,
                                          const std::string& member) {
    v1::BlockMemberRequest request;
    request.set_member(member);
    return CallC<v1::BlockMemberRequest, v1::BlockedMember>(
        &v1::CommunityService::Stub::BlockMember, request, token);
  }

  // CheckTargetAccess as `token`, about `member` ("" = the caller).
  absl::StatusOr<v1::CheckTargetAccessResponse> Access(
      const std::string& token, const std::string& target,
      const std::string& member = "") {
    v1::CheckTargetAccessRequest request;
    request.set_target(target);
    request.set_member(member);
    return CallC<v1::CheckTargetAccessRequest, v1::CheckTargetAccessResponse>(
        &v1::CommunityService::Stub::CheckTargetAccess, request, token);
  }

  // Waits (up to 10 s) until the community consumer has handled every event
  // appended so far: on every stream, its group has read up to the last
  // entry and has nothing pending. Without a consumer (its header not yet
  // written), applies every comment event directly instead (the handler is
  // idempotent).
  void SettleCommunity() {
#ifdef CDC_COMMUNITY_TEST_CONSUMER
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!CommunitySettled()) {
      if (absl::Now() > deadline) {
        ADD_FAILURE() << "the community consumer did not catch up in 10 s";
        return;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
#else
    auto handler =
        CommentActivityHandler(community_store_.get(), library_store_.get());
    for (int shard = 0; shard < kShardCount; ++shard) {
      auto entries =
          redis().Command({"XRANGE", EventStreamKey(shard), "-", "+"});
      ASSERT_THAT(entries, cdc::testing::IsOk());
      for (const RedisReply& entry : entries->elements) {
        v1::Event event;
        ASSERT_TRUE(event.ParseFromString(entry.elements[1].elements[1].str));
        event.set_id(absl::StrCat("s", shard, "-", entry.elements[0].str));
        ASSERT_THAT(handler(event), cdc::testing::IsOk());
      }
    }
#endif
  }

  // The events in shard `shard`'s stream, in order.
  std::vector<v1::Event> StreamEvents(int shard) {
    auto entries = redis().Command({"XRANGE", EventStreamKey(shard), "-", "+"});
    EXPECT_THAT(entries, cdc::testing::IsOk());
    std::vector<v1::Event> events;
    if (!entries.ok()) return events;
    for (const RedisReply& entry : entries->elements) {
      v1::Event event;
      EXPECT_TRUE(event.ParseFromString(entry.elements[1].elements[1].str));
      events.push_back(std::move(event));
    }
    return events;
  }

  // Every key of the community's keyspace ("cm:*"), sorted: to show that a
  // refused write left nothing behind.
  std::vector<std::string> CommunityKeys() {
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
      auto reply =
          redis().Command({"SCAN", cursor, "MATCH", "cm:*", "COUNT", "1000"});
      EXPECT_THAT(reply, cdc::testing::IsOk());
      if (!reply.ok()) break;
      cursor = reply->elements[0].str;
      for (const RedisReply& key : reply->elements[1].elements) {
        keys.push_back(key.str);
      }
    } while (cursor != "0");
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  std::unique_ptr<CommunityStore> community_store_;
  std::unique_ptr<LibraryStore> library_store_;
  std::unique_ptr<CommunityService> community_service_;
  std::unique_ptr<ServiceHost> host_cm_;
  std::unique_ptr<v1::CommunityService::Stub> cm_;
#ifdef CDC_COMMUNITY_TEST_CONSUMER
  std::unique_ptr<EventConsumer> consumer_;
#endif
  std::string other_;  // a second MEMBER token: national statistical office

 private:
#ifdef CDC_COMMUNITY_TEST_CONSUMER
  // Whether the "community" group has read and acknowledged every entry of
  // every stream that exists.
  bool CommunitySettled() {
    for (int shard = 0; shard < kShardCount; ++shard) {
      auto stream = redis().Command({"XINFO", "STREAM", EventStreamKey(shard)});
      if (!stream.ok()) continue;  // no stream: nothing to read
      std::string last_generated;
      for (size_t i = 0; i + 1 < stream->elements.size(); i += 2) {
        if (stream->elements[i].str == "last-generated-id") {
          last_generated = stream->elements[i + 1].str;
        }
      }
      auto groups = redis().Command({"XINFO", "GROUPS", EventStreamKey(shard)});
      if (!groups.ok()) return false;
      bool settled = false;
      for (const RedisReply& group : groups->elements) {
        std::string name, last_delivered;
        int64_t pending = -1;
        for (size_t i = 0; i + 1 < group.elements.size(); i += 2) {
          const std::string& field = group.elements[i].str;
          if (field == "name") name = group.elements[i + 1].str;
          if (field == "pending") pending = group.elements[i + 1].integer;
          if (field == "last-delivered-id") {
            last_delivered = group.elements[i + 1].str;
          }
        }
        if (name == "community") {
          settled = pending == 0 && last_delivered == last_generated;
        }
      }
      if (!settled) return false;
    }
    return true;
  }
#endif
};

}  // namespace cdc::community::testing
