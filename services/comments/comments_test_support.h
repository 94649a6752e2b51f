// Test support for cdc-comments: a real cdc-comments on loopback, next to the
// real cdc-consultations and cdc-members of ConsultationsServerTest, over the
// same real Redis and FakeClock, and helpers that call it as a given member.
#pragma once

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cdc/v1/comments.grpc.pb.h"
#include "cdc/v1/events.pb.h"
#include "cdc/v1/members.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/comments/comments_service.h"
#include "services/comments/comments_store.h"
#include "services/common/keys.h"
#include "services/common/server.h"
#include "services/common/status.h"
#include "services/common/status_matchers.h"
#include "services/consultations/consultations_test_support.h"

namespace cdc::comments::testing {

// The draft every comments test comments on: four sections in this document
// order, with text to quote.
inline constexpr char kDraft[] = R"md(# Importance of citizen data {#importance}
Citizen data fills gaps in official statistics.

# Key principles {#principles}
Principles guide the work. Principles are shared.

## Inclusion
Leave no one behind.

## Privacy {#privacy}
Protect people and their data. Consent comes first.
)md";

class CommentsServerTest
    : public consultations::testing::ConsultationsServerTest {
 protected:
  void SetUp() override {
    ConsultationsServerTest::SetUp();
    if (HasFatalFailure()) return;
    ChooseCommunityAddress();
    if (HasFatalFailure()) return;
    store_k_ =
        std::make_unique<CommentsStore>(&redis(), CommentsStore::Options{});
    service_k_ = std::make_unique<CommentsService>(
        store_k_.get(), authenticator_.get(),
        grpc::CreateChannel(host_c_->address(),
                            grpc::InsecureChannelCredentials()),
        grpc::CreateChannel(community_address_,
                            grpc::InsecureChannelCredentials()),
        channel_, clock_);
    host_k_ = std::make_unique<ServiceHost>(
        ServerOptions{.listen_address = "127.0.0.1:0"}, &redis());
    host_k_->AddService(service_k_.get(),
                        v1::CommentsService::service_full_name());
    ASSERT_THAT(host_k_->Start(), cdc::testing::IsOk());
    k_ = v1::CommentsService::NewStub(grpc::CreateChannel(
        host_k_->address(), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (host_k_ != nullptr) host_k_->Shutdown();
    ConsultationsServerTest::TearDown();
    if (!community_dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(community_dir_, ignored);
    }
  }

  // Sets community_address_ to a Unix socket in a fresh temporary directory
  // (short enough for sun_path's 108 bytes). Nothing listens there unless a
  // subclass (CommunityServerTest) starts cdc-community on it.
  void ChooseCommunityAddress() {
    static std::atomic<int> counter{0};
    const char* tmp = std::getenv("TMPDIR");
    std::string dir =
        absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/cdc-community-XXXXXX");
    ASSERT_NE(mkdtemp(dir.data()), nullptr) << "cannot create " << dir;
    community_dir_ = dir;
    const std::string path = absl::StrCat(dir, "/community-", getpid(), "-",
                                          counter.fetch_add(1), ".sock");
    ASSERT_LT(path.size(), 108u) << path << " is too long for a Unix socket";
    community_address_ = absl::StrCat("unix:", path);
  }

  // "consultations/{id}/sections/{key}".
  static std::string Section(const std::string& key,
                             const std::string& id = "cph") {
    return absl::StrCat("consultations/", id, "/sections/", key);
  }

  // Creates consultation `id` with kDraft and opens its first round now for
  // `lasts`. Returns false (after recording the failure) when a step fails.
  bool OpenConsultation(const std::string& id = "cph",
                        absl::Duration lasts = absl::Hours(24)) {
    EXPECT_THAT(Create(id), cdc::testing::IsOk());
    EXPECT_THAT(Import(id, kDraft), cdc::testing::IsOk());
    auto opened = Open(id, absl::ZeroDuration(), lasts);
    EXPECT_THAT(opened, cdc::testing::IsOk());
    return opened.ok();
  }

  // Changes the caller's own profile: organisation and languages (each only
  // when non-empty). Comments copy the organisation at creation.
  void SetProfile(const std::string& token, const std::string& organisation,
                  const std::vector<std::string>& languages = {}) {
    v1::UpdateMemberRequest update;
    update.mutable_member()->set_name(member_names_[token]);
    if (!organisation.empty()) {
      update.mutable_member()->set_organisation(organisation);
      update.mutable_update_mask()->add_paths("organisation");
    }
    if (!languages.empty()) {
      for (const std::string& l : languages) {
        update.mutable_member()->add_languages(l);
      }
      update.mutable_update_mask()->add_paths("languages");
    }
    v1::Member member;
    EXPECT_THAT(stub_->UpdateMember(As(token).get(), update, &member),
                cdc::testing::IsOk());
  }

  // Calls `method` on the comments stub as `token`. Thread-safe.
  template <typename Request, typename Response, typename Method>
  absl::StatusOr<Response> CallK(Method method, const Request& request,
                                 const std::string& token) {
    Response response;
    grpc::Status status =
        (k_.get()->*method)(As(token).get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  // CreateComment with the comment as given.
  absl::StatusOr<v1::Comment> Post(const std::string& token,
                                   const v1::Comment& comment,
                                   const std::string& request_id = "") {
    v1::CreateCommentRequest request;
    *request.mutable_comment() = comment;
    request.set_request_id(request_id);
    return CallK<v1::CreateCommentRequest, v1::Comment>(
        &v1::CommentsService::Stub::CreateComment, request, token);
  }

  // A top-level comment on `target`.
  absl::StatusOr<v1::Comment> Comment(
      const std::string& token, const std::string& target,
      const std::string& body,
      v1::Comment::Type type = v1::Comment::TYPE_UNSPECIFIED) {
    v1::Comment comment;
    comment.set_target(target);
    comment.set_body(body);
    comment.set_type(type);
    return Post(token, comment);
  }

  // A reply to `parent` ("comments/{c}"), inheriting its target.
  absl::StatusOr<v1::Comment> Reply(const std::string& token,
                                    const std::string& parent,
                                    const std::string& body) {
    v1::Comment comment;
    comment.set_parent(parent);
    comment.set_body(body);
    return Post(token, comment);
  }

  absl::StatusOr<v1::Comment> GetComment(const std::string& token,
                                         const std::string& name) {
    v1::GetCommentRequest request;
    request.set_name(name);
    return CallK<v1::GetCommentRequest, v1::Comment>(
        &v1::CommentsService::Stub::GetComment, request, token);
  }

  absl::StatusOr<v1::ListCommentsResponse> List(
      const std::string& token, const v1::ListCommentsRequest& request) {
    return CallK<v1::ListCommentsRequest, v1::ListCommentsResponse>(
        &v1::CommentsService::Stub::ListComments, request, token);
  }

  // The names of every comment `request` lists for `token`, all pages.
  absl::StatusOr<std::vector<std::string>> ListNames(
      const std::string& token, v1::ListCommentsRequest request) {
    std::vector<std::string> names;
    do {
      absl::StatusOr<v1::ListCommentsResponse> page = List(token, request);
      if (!page.ok()) return page.status();
      for (const v1::Comment& c : page->comments()) names.push_back(c.name());
      request.set_page_token(page->next_page_token());
    } while (!request.page_token().empty());
    return names;
  }

  absl::StatusOr<v1::Comment> Edit(const std::string& token,
                                   const std::string& name,
                                   const std::string& body,
                                   const std::string& etag = "") {
    v1::UpdateCommentRequest request;
    request.mutable_comment()->set_name(name);
    request.mutable_comment()->set_body(body);
    request.mutable_comment()->set_etag(etag);
    request.mutable_update_mask()->add_paths("body");
    return CallK<v1::UpdateCommentRequest, v1::Comment>(
        &v1::CommentsService::Stub::UpdateComment, request, token);
  }

  absl::StatusOr<v1::Comment> Withdraw(const std::string& token,
                                       const std::string& name,
                                       const std::string& etag = "") {
    v1::WithdrawCommentRequest request;
    request.set_name(name);
    request.set_etag(etag);
    return CallK<v1::WithdrawCommentRequest, v1::Comment>(
        &v1::CommentsService::Stub::WithdrawComment, request, token);
  }

  absl::StatusOr<v1::Comment> Endorse(const std::string& token,
                                      const std::string& name) {
    v1::EndorseCommentRequest request;
    request.set_name(name);
    return CallK<v1::EndorseCommentRequest, v1::Comment>(
        &v1::CommentsService::Stub::EndorseComment, request, token);
  }

  absl::StatusOr<v1::Comment> Unendorse(const std::string& token,
                                        const std::string& name) {
    v1::UnendorseCommentRequest request;
    request.set_name(name);
    return CallK<v1::UnendorseCommentRequest, v1::Comment>(
        &v1::CommentsService::Stub::UnendorseComment, request, token);
  }

  absl::StatusOr<v1::Comment> Flag(
      const std::string& token, const std::string& name,
      v1::ModerationAction::FlagReason why = v1::ModerationAction::SPAM,
      const std::string& reason = "") {
    v1::FlagCommentRequest request;
    request.set_name(name);
    request.set_flag_reason(why);
    request.set_reason(reason);
    return CallK<v1::FlagCommentRequest, v1::Comment>(
        &v1::CommentsService::Stub::FlagComment, request, token);
  }

  // HideComment as the secretariat unless `token` says otherwise.
  absl::StatusOr<v1::Comment> Hide(const std::string& name,
                                   const std::string& reason,
                                   const std::string& token = "") {
    v1::HideCommentRequest request;
    request.set_name(name);
    request.set_reason(reason);
    return CallK<v1::HideCommentRequest, v1::Comment>(
        &v1::CommentsService::Stub::HideComment, request,
        token.empty() ? secretariat_token_ : token);
  }

  // RestoreComment as the secretariat unless `token` says otherwise.
  absl::StatusOr<v1::Comment> Restore(const std::string& name,
                                      const std::string& reason,
                                      const std::string& token = "") {
    v1::RestoreCommentRequest request;
    request.set_name(name);
    request.set_reason(reason);
    return CallK<v1::RestoreCommentRequest, v1::Comment>(
        &v1::CommentsService::Stub::RestoreComment, request,
        token.empty() ? secretariat_token_ : token);
  }

  // SetDisposition as the secretariat unless `token` says otherwise.
  absl::StatusOr<v1::Comment> Dispose(const std::string& name,
                                      v1::Disposition::Outcome outcome,
                                      const std::string& response,
                                      const std::string& token = "",
                                      const std::string& etag = "") {
    v1::SetDispositionRequest request;
    request.set_name(name);
    request.mutable_disposition()->set_outcome(outcome);
    request.mutable_disposition()->set_response(response);
    request.set_etag(etag);
    return CallK<v1::SetDispositionRequest, v1::Comment>(
        &v1::CommentsService::Stub::SetDisposition, request,
        token.empty() ? secretariat_token_ : token);
  }

  absl::StatusOr<v1::CommentStatistics> Statistics(
      const std::string& token, const std::string& scope,
      bool include_sections = false, int round = 0) {
    v1::GetCommentStatisticsRequest request;
    request.set_scope(scope);
    request.set_include_sections(include_sections);
    request.set_round(round);
    return CallK<v1::GetCommentStatisticsRequest, v1::CommentStatistics>(
        &v1::CommentsService::Stub::GetCommentStatistics, request, token);
  }

  // Every row ExportRecord streams to `token`, or its final status.
  absl::StatusOr<std::vector<v1::RecordEntry>> Export(
      const std::string& token, const std::string& consultation = "cph",
      int round = 0) {
    v1::ExportRecordRequest request;
    request.set_consultation(absl::StrCat("consultations/", consultation));
    request.set_round(round);
    auto context = As(token);
    auto reader = k_->ExportRecord(context.get(), request);
    std::vector<v1::RecordEntry> rows;
    v1::RecordEntry row;
    while (reader->Read(&row)) rows.push_back(row);
    grpc::Status status = reader->Finish();
    if (!status.ok()) return FromGrpcStatus(status);
    return rows;
  }

  // The comment a comment event is about (empty for other events). A
  // PrivateMessageSent, which has no CommentRef, gives its message, sender
  // and conversation in one.
  static v1::CommentRef RefOf(const v1::Event& event) {
    switch (event.payload_case()) {
      case v1::Event::kPrivateMessageSent: {
        v1::CommentRef ref;
        ref.set_comment(event.private_message_sent().comment());
        ref.set_target(event.private_message_sent().conversation());
        ref.set_target_kind(v1::Comment::TARGET_CONVERSATION);
        ref.set_author(event.private_message_sent().sender());
        return ref;
      }
      case v1::Event::kCommentCreated:
        return event.comment_created().comment();
      case v1::Event::kCommentReplied:
        return event.comment_replied().comment();
      case v1::Event::kCommentEdited:
        return event.comment_edited().comment();
      case v1::Event::kCommentWithdrawn:
        return event.comment_withdrawn().comment();
      case v1::Event::kCommentEndorsed:
        return event.comment_endorsed().comment();
      case v1::Event::kCommentUnendorsed:
        return event.comment_unendorsed().comment();
      case v1::Event::kCommentFlagged:
        return event.comment_flagged().comment();
      case v1::Event::kCommentHidden:
        return event.comment_hidden().comment();
      case v1::Event::kCommentRestored:
        return event.comment_restored().comment();
      case v1::Event::kDispositionSet:
        return event.disposition_set().comment();
      default:
        return v1::CommentRef();
    }
  }

  // The comment events on `target`, in stream order. A comment's events go
  // to the stream of its target's shard (the shard its script writes), which
  // is not the consultation's own shard that EventsOf reads.
  std::vector<v1::Event> CommentEvents(const std::string& target) {
    auto entries = redis().Command(
        {"XRANGE", EventStreamKey(CommentsStore::ShardOfTarget(target)), "-",
         "+"});
    EXPECT_THAT(entries, cdc::testing::IsOk());
    std::vector<v1::Event> events;
    if (!entries.ok()) return events;
    for (const RedisReply& entry : entries->elements) {
      v1::Event event;
      EXPECT_TRUE(event.ParseFromString(entry.elements[1].elements[1].str));
      if (RefOf(event).target() == target) events.push_back(std::move(event));
    }
    return events;
  }

  // The payload kinds of CommentEvents(target).
  std::vector<v1::Event::PayloadCase> CommentEventKinds(
      const std::string& target) {
    std::vector<v1::Event::PayloadCase> kinds;
    for (const v1::Event& event : CommentEvents(target)) {
      kinds.push_back(event.payload_case());
    }
    return kinds;
  }

  // Where cdc-comments looks for cdc-community: "unix:<temp dir>/
  // community-<pid>-<n>.sock", chosen in SetUp before cdc-comments starts.
  std::string community_address_;
  std::string community_dir_;  // the temporary directory holding it
  std::unique_ptr<CommentsStore> store_k_;
  std::unique_ptr<CommentsService> service_k_;
  std::unique_ptr<ServiceHost> host_k_;
  std::unique_ptr<v1::CommentsService::Stub> k_;
};

}  // namespace cdc::comments::testing
