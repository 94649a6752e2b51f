// cdc-comments' gRPC handlers: authenticate, ask the target's owner whether
// the caller may read or write there (forwarding the caller's token:
// cdc-consultations' CheckParticipation for sections, cdc-community's
// CheckTargetAccess for topics, conversations and library resources, each
// asked once per call and target; a search asks once per space for its
// topics), validate, write through the store in one script, and show each
// caller only what it may see. Authors withdraw their own community posts
// and messages without asking; a private message is checked again after
// its write (README: "The window between the access answer and the write").
//
// Every target kind goes through the same handlers; only the access
// decision, the event of a private message (PrivateMessageSent) and what is
// searchable (posts on topics and resources, SearchComments) differ.
#pragma once

#include <grpcpp/channel.h>

#include <memory>

#include "cdc/v1/comments.grpc.pb.h"
#include "services/comments/comments_store.h"
#include "services/common/auth.h"
#include "services/common/clock.h"

namespace cdc::comments {

class CommentsService final : public v1::CommentsService::Service {
 public:
  // `store`, `authenticator` and `clock` must outlive the service.
  // `consultations` answers for sections, `community` for topics,
  // conversations and resources; `members` resolves member names.
  CommentsService(CommentsStore* store, Authenticator* authenticator,
                  std::shared_ptr<grpc::Channel> consultations,
                  std::shared_ptr<grpc::Channel> community,
                  std::shared_ptr<grpc::Channel> members, const Clock& clock);
  ~CommentsService() override;

  grpc::Status CreateComment(grpc::ServerContext* context,
                             const v1::CreateCommentRequest* request,
                             v1::Comment* response) override;
  grpc::Status GetComment(grpc::ServerContext* context,
                          const v1::GetCommentRequest* request,
                          v1::Comment* response) override;
  grpc::Status ListComments(grpc::ServerContext* context,
                            const v1::ListCommentsRequest* request,
                            v1::ListCommentsResponse* response) override;
  grpc::Status UpdateComment(grpc::ServerContext* context,
                             const v1::UpdateCommentRequest* request,
                             v1::Comment* response) override;
  grpc::Status ListCommentRevisions(
      grpc::ServerContext* context,
      const v1::ListCommentRevisionsRequest* request,
      v1::ListCommentRevisionsResponse* response) override;
  grpc::Status WithdrawComment(grpc::ServerContext* context,
                               const v1::WithdrawCommentRequest* request,
                               v1::Comment* response) override;
  grpc::Status EndorseComment(grpc::ServerContext* context,
                              const v1::EndorseCommentRequest* request,
                              v1::Comment* response) override;
  grpc::Status UnendorseComment(grpc::ServerContext* context,
                                const v1::UnendorseCommentRequest* request,
                                v1::Comment* response) override;
  grpc::Status FlagComment(grpc::ServerContext* context,
                           const v1::FlagCommentRequest* request,
                           v1::Comment* response) override;
  grpc::Status HideComment(grpc::ServerContext* context,
                           const v1::HideCommentRequest* request,
                           v1::Comment* response) override;
  grpc::Status RestoreComment(grpc::ServerContext* context,
                              const v1::RestoreCommentRequest* request,
                              v1::Comment* response) override;
  grpc::Status ListModerationActions(
      grpc::ServerContext* context,
      const v1::ListModerationActionsRequest* request,
      v1::ListModerationActionsResponse* response) override;
  grpc::Status SetDisposition(grpc::ServerContext* context,
                              const v1::SetDispositionRequest* request,
                              v1::Comment* response) override;
  grpc::Status GetCommentStatistics(
      grpc::ServerContext* context,
      const v1::GetCommentStatisticsRequest* request,
      v1::CommentStatistics* response) override;
  grpc::Status ExportRecord(
      grpc::ServerContext* context, const v1::ExportRecordRequest* request,
      grpc::ServerWriter<v1::RecordEntry>* writer) override;
  grpc::Status SearchComments(grpc::ServerContext* context,
                              const v1::SearchCommentsRequest* request,
                              v1::SearchCommentsResponse* response) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cdc::comments
