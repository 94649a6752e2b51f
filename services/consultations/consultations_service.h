// cdc-consultations' gRPC handlers: authenticate, authorize, validate, read,
// decide with the clock, write through the store, map the status. Also the
// schedule keeper, which closes rounds whose time is up and announces
// rounds closing soon.
#pragma once

#include <grpcpp/channel.h>

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cdc/v1/consultations.grpc.pb.h"
#include "cdc/v1/members.grpc.pb.h"
#include "services/common/auth.h"
#include "services/common/clock.h"
#include "services/consultations/consultations_store.h"

namespace cdc::consultations {

struct ConsultationsServiceOptions {
  // RoundClosingSoon is announced once per round, this long before it ends.
  absl::Duration closing_soon = absl::Hours(48);
  absl::Duration max_round_length = absl::Hours(24 * 366);
};

class ConsultationsService final : public v1::ConsultationsService::Service {
 public:
  // `store`, `authenticator` and `clock` must outlive the service; `members`
  // reaches cdc-members, for CheckParticipation about another member.
  ConsultationsService(ConsultationsStore* store, Authenticator* authenticator,
                       std::shared_ptr<grpc::Channel> members,
                       const Clock& clock, ConsultationsServiceOptions options);
  ~ConsultationsService() override;

  // Closes every round whose closes_at has passed (stored state, with a
  // RoundClosed event) and announces rounds closing within `closing_soon`.
  // Safe to run on every replica at once: each change is compare-and-set.
  // Returns the number of changes made.
  absl::StatusOr<int> KeepSchedule();

  grpc::Status CreateConsultation(grpc::ServerContext* context,
                                  const v1::CreateConsultationRequest* request,
                                  v1::Consultation* response) override;
  grpc::Status GetConsultation(grpc::ServerContext* context,
                               const v1::GetConsultationRequest* request,
                               v1::Consultation* response) override;
  grpc::Status ListConsultations(
      grpc::ServerContext* context, const v1::ListConsultationsRequest* request,
      v1::ListConsultationsResponse* response) override;
  grpc::Status UpdateConsultation(grpc::ServerContext* context,
                                  const v1::UpdateConsultationRequest* request,
                                  v1::Consultation* response) override;
  grpc::Status ImportDraft(grpc::ServerContext* context,
                           const v1::ImportDraftRequest* request,
                           v1::DraftVersion* response) override;
  grpc::Status GetSection(grpc::ServerContext* context,
                          const v1::GetSectionRequest* request,
                          v1::Section* response) override;
  grpc::Status ListSections(grpc::ServerContext* context,
                            const v1::ListSectionsRequest* request,
                            v1::ListSectionsResponse* response) override;
  grpc::Status OpenRound(grpc::ServerContext* context,
                         const v1::OpenRoundRequest* request,
                         v1::Consultation* response) override;
  grpc::Status ExtendRound(grpc::ServerContext* context,
                           const v1::ExtendRoundRequest* request,
                           v1::Consultation* response) override;
  grpc::Status CloseRound(grpc::ServerContext* context,
                          const v1::CloseRoundRequest* request,
                          v1::Consultation* response) override;
  grpc::Status PublishRecord(grpc::ServerContext* context,
                             const v1::PublishRecordRequest* request,
                             v1::Consultation* response) override;
  grpc::Status GetSectionDiff(grpc::ServerContext* context,
                              const v1::GetSectionDiffRequest* request,
                              v1::SectionDiff* response) override;
  grpc::Status CheckParticipation(
      grpc::ServerContext* context,
      const v1::CheckParticipationRequest* request,
      v1::CheckParticipationResponse* response) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cdc::consultations
