// cdc-community's gRPC handlers: authenticate, validate, authorize, call the
// store in one script, and map the status.
//
// The handlers are one class (one gRPC service) written in three files by
// subject: community_service.cc (spaces, topics, conversations, blocks and
// CheckTargetAccess, which cdc-comments asks before every read or write on
// a community target), library_service.cc (the resource library and the
// initiative map) and search_service.cc (Search).
#pragma once

#include <grpcpp/channel.h>

#include <memory>

#include "cdc/v1/comments.grpc.pb.h"
#include "cdc/v1/community.grpc.pb.h"
#include "cdc/v1/members.grpc.pb.h"
#include "services/common/auth.h"
#include "services/common/clock.h"

namespace cdc::community {

class CommunityStore;
class LibraryStore;

class CommunityService final : public v1::CommunityService::Service {
 public:
  // Everything the handlers use; the pointers must outlive the service.
  struct Dependencies {
    CommunityStore* store = nullptr;  // spaces, topics, conversations
    LibraryStore* library = nullptr;  // resources and initiatives
    Authenticator* authenticator = nullptr;
    std::shared_ptr<grpc::Channel> members;   // cdc-members: names, states
    std::shared_ptr<grpc::Channel> comments;  // cdc-comments: post search
    const Clock* clock = nullptr;
  };
  explicit CommunityService(Dependencies dependencies);
  ~CommunityService() override;

  // ---- community_service.cc ----
  grpc::Status CreateSpace(grpc::ServerContext* context,
                           const v1::CreateSpaceRequest* request,
                           v1::Space* response) override;
  grpc::Status GetSpace(grpc::ServerContext* context,
                        const v1::GetSpaceRequest* request,
                        v1::Space* response) override;
  grpc::Status ListSpaces(grpc::ServerContext* context,
                          const v1::ListSpacesRequest* request,
                          v1::ListSpacesResponse* response) override;
  grpc::Status UpdateSpace(grpc::ServerContext* context,
                           const v1::UpdateSpaceRequest* request,
                           v1::Space* response) override;
  grpc::Status JoinSpace(grpc::ServerContext* context,
                         const v1::JoinSpaceRequest* request,
                         v1::Space* response) override;
  grpc::Status LeaveSpace(grpc::ServerContext* context,
                          const v1::LeaveSpaceRequest* request,
                          v1::Space* response) override;
  grpc::Status AddSpaceMember(grpc::ServerContext* context,
                              const v1::AddSpaceMemberRequest* request,
                              v1::SpaceMember* response) override;
  grpc::Status RemoveSpaceMember(grpc::ServerContext* context,
                                 const v1::RemoveSpaceMemberRequest* request,
                                 google::protobuf::Empty* response) override;
  grpc::Status ListSpaceMembers(
      grpc::ServerContext* context, const v1::ListSpaceMembersRequest* request,
      v1::ListSpaceMembersResponse* response) override;
  grpc::Status CreateTopic(grpc::ServerContext* context,
                           const v1::CreateTopicRequest* request,
                           v1::Topic* response) override;
  grpc::Status GetTopic(grpc::ServerContext* context,
                        const v1::GetTopicRequest* request,
                        v1::Topic* response) override;
  grpc::Status ListTopics(grpc::ServerContext* context,
                          const v1::ListTopicsRequest* request,
                          v1::ListTopicsResponse* response) override;
  grpc::Status UpdateTopic(grpc::ServerContext* context,
                           const v1::UpdateTopicRequest* request,
                           v1::Topic* response) override;
  grpc::Status PinTopic(grpc::ServerContext* context,
                        const v1::PinTopicRequest* request,
                        v1::Topic* response) override;
  grpc::Status CloseTopic(grpc::ServerContext* context,
                          const v1::CloseTopicRequest* request,
                          v1::Topic* response) override;
  grpc::Status ReopenTopic(grpc::ServerContext* context,
                           const v1::ReopenTopicRequest* request,
                           v1::Topic* response) override;
  grpc::Status ArchiveTopic(grpc::ServerContext* context,
                            const v1::ArchiveTopicRequest* request,
                            v1::Topic* response) override;
  grpc::Status MarkTopicRead(grpc::ServerContext* context,
                             const v1::MarkTopicReadRequest* request,
                             v1::Topic* response) override;
  grpc::Status CreateConversation(grpc::ServerContext* context,
                                  const v1::CreateConversationRequest* request,
                                  v1::Conversation* response) override;
  grpc::Status GetConversation(grpc::ServerContext* context,
                               const v1::GetConversationRequest* request,
                               v1::Conversation* response) override;
  grpc::Status ListConversations(
      grpc::ServerContext* context, const v1::ListConversationsRequest* request,
      v1::ListConversationsResponse* response) override;
  grpc::Status LeaveConversation(grpc::ServerContext* context,
                                 const v1::LeaveConversationRequest* request,
                                 google::protobuf::Empty* response) override;
  grpc::Status MarkConversationRead(
      grpc::ServerContext* context,
      const v1::MarkConversationReadRequest* request,
      v1::Conversation* response) override;
  grpc::Status BlockMember(grpc::ServerContext* context,
                           const v1::BlockMemberRequest* request,
                           v1::BlockedMember* response) override;
  grpc::Status UnblockMember(grpc::ServerContext* context,
                             const v1::UnblockMemberRequest* request,
                             google::protobuf::Empty* response) override;
  grpc::Status ListBlockedMembers(
      grpc::ServerContext* context,
      const v1::ListBlockedMembersRequest* request,
      v1::ListBlockedMembersResponse* response) override;
  grpc::Status CheckTargetAccess(
      grpc::ServerContext* context, const v1::CheckTargetAccessRequest* request,
      v1::CheckTargetAccessResponse* response) override;

  // ---- library_service.cc ----
  grpc::Status CreateResource(grpc::ServerContext* context,
                              const v1::CreateResourceRequest* request,
                              v1::Resource* response) override;
  grpc::Status GetResource(grpc::ServerContext* context,
                           const v1::GetResourceRequest* request,
                           v1::Resource* response) override;
  grpc::Status ListResources(grpc::ServerContext* context,
                             const v1::ListResourcesRequest* request,
                             v1::ListResourcesResponse* response) override;
  grpc::Status UpdateResource(grpc::ServerContext* context,
                              const v1::UpdateResourceRequest* request,
                              v1::Resource* response) override;
  grpc::Status DeleteResource(grpc::ServerContext* context,
                              const v1::DeleteResourceRequest* request,
                              google::protobuf::Empty* response) override;
  grpc::Status EndorseResource(grpc::ServerContext* context,
                               const v1::EndorseResourceRequest* request,
                               v1::Resource* response) override;
  grpc::Status UnendorseResource(grpc::ServerContext* context,
                                 const v1::UnendorseResourceRequest* request,
                                 v1::Resource* response) override;
  grpc::Status CreateInitiative(grpc::ServerContext* context,
                                const v1::CreateInitiativeRequest* request,
                                v1::Initiative* response) override;
  grpc::Status GetInitiative(grpc::ServerContext* context,
                             const v1::GetInitiativeRequest* request,
                             v1::Initiative* response) override;
  grpc::Status ListInitiatives(grpc::ServerContext* context,
                               const v1::ListInitiativesRequest* request,
                               v1::ListInitiativesResponse* response) override;
  grpc::Status UpdateInitiative(grpc::ServerContext* context,
                                const v1::UpdateInitiativeRequest* request,
                                v1::Initiative* response) override;
  grpc::Status ApproveInitiative(grpc::ServerContext* context,
                                 const v1::ApproveInitiativeRequest* request,
                                 v1::Initiative* response) override;
  grpc::Status ReturnInitiative(grpc::ServerContext* context,
                                const v1::ReturnInitiativeRequest* request,
                                v1::Initiative* response) override;
  grpc::Status CountInitiativesByCountry(
      grpc::ServerContext* context,
      const v1::CountInitiativesByCountryRequest* request,
      v1::CountInitiativesByCountryResponse* response) override;
  grpc::Status ExportInitiatives(
      grpc::ServerContext* context, const v1::ExportInitiativesRequest* request,
      grpc::ServerWriter<v1::Initiative>* writer) override;

  // ---- search_service.cc ----
  grpc::Status Search(grpc::ServerContext* context,
                      const v1::SearchRequest* request,
                      v1::SearchResponse* response) override;

 private:
  CommunityStore* const store_;
  LibraryStore* const library_;
  Authenticator* const authenticator_;
  const std::unique_ptr<v1::MembersService::Stub> members_;
  const std::unique_ptr<v1::CommentsService::Stub> comments_;
  const Clock& clock_;
};

}  // namespace cdc::community
