// cdc-members' gRPC handlers: validate the request, authorize the caller,
// call the store, map the status. Also the token authenticator of this
// service (it owns the tokens, so it reads them directly) and the bootstrap
// of the first secretariat account.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cdc/v1/members.grpc.pb.h"
#include "services/common/auth.h"
#include "services/common/clock.h"
#include "services/members/members_store.h"
#include "services/members/password.h"
#include "services/members/sign_in_throttle.h"

namespace cdc::members {

struct MembersServiceOptions {
  absl::Duration session_ttl = absl::Hours(24 * 7);  // sign-in tokens
  absl::Duration default_api_token_ttl = absl::Hours(24 * 90);
  absl::Duration max_api_token_ttl = absl::Hours(24 * 366);
  PasswordHashOptions password;
  SignInThrottleOptions sign_in;  // failed sign-ins and password checks
  // Peers whose x-cdc-client-address is believed (the gateway); every other
  // caller is counted under its own address.
  TrustedProxies trusted_proxies = TrustedProxies::Loopback();
};

// What BootstrapSecretariat asks for.
struct BootstrapRequest {
  std::string email;
  std::string display_name = "Secretariat";
  std::string organisation = "Collaborative on Citizen Data secretariat";
  std::string country = "USA";
  std::string password;  // optional: lets the account also sign in
};

class MembersService final : public v1::MembersService::Service,
                             public Authenticator {
 public:
  // `store` and `clock` must outlive the service.
  MembersService(MembersStore* store, const Clock& clock,
                 MembersServiceOptions options);

  // Authenticator: checks a token against the store.
  absl::StatusOr<v1::Principal> Authenticate(absl::string_view token) override;

  // Creates the first secretariat account on a system that has none, or
  // re-issues a session token for that same account on later runs, and
  // returns the token. FAILED_PRECONDITION when another secretariat exists
  // or the email belongs to a non-secretariat member.
  absl::StatusOr<v1::SignInResponse> BootstrapSecretariat(
      const BootstrapRequest& request);

  grpc::Status ApplyForMembership(grpc::ServerContext* context,
                                  const v1::ApplyForMembershipRequest* request,
                                  v1::Member* response) override;
  grpc::Status GetMember(grpc::ServerContext* context,
                         const v1::GetMemberRequest* request,
                         v1::Member* response) override;
  grpc::Status ListMembers(grpc::ServerContext* context,
                           const v1::ListMembersRequest* request,
                           v1::ListMembersResponse* response) override;
  grpc::Status UpdateMember(grpc::ServerContext* context,
                            const v1::UpdateMemberRequest* request,
                            v1::Member* response) override;
  grpc::Status ApproveMember(grpc::ServerContext* context,
                             const v1::ApproveMemberRequest* request,
                             v1::Member* response) override;
  grpc::Status RejectMember(grpc::ServerContext* context,
                            const v1::RejectMemberRequest* request,
                            v1::Member* response) override;
  grpc::Status SuspendMember(grpc::ServerContext* context,
                             const v1::SuspendMemberRequest* request,
                             v1::Member* response) override;
  grpc::Status ReinstateMember(grpc::ServerContext* context,
                               const v1::ReinstateMemberRequest* request,
                               v1::Member* response) override;
  grpc::Status SetMemberRole(grpc::ServerContext* context,
                             const v1::SetMemberRoleRequest* request,
                             v1::Member* response) override;
  grpc::Status ChangePassword(grpc::ServerContext* context,
                              const v1::ChangePasswordRequest* request,
                              v1::SignInResponse* response) override;
  grpc::Status SignIn(grpc::ServerContext* context,
                      const v1::SignInRequest* request,
                      v1::SignInResponse* response) override;
  grpc::Status SignOut(grpc::ServerContext* context,
                       const v1::SignOutRequest* request,
                       google::protobuf::Empty* response) override;
  grpc::Status Authenticate(grpc::ServerContext* context,
                            const v1::AuthenticateRequest* request,
                            v1::Principal* response) override;
  grpc::Status CreateApiToken(grpc::ServerContext* context,
                              const v1::CreateApiTokenRequest* request,
                              v1::CreateApiTokenResponse* response) override;
  grpc::Status ListApiTokens(grpc::ServerContext* context,
                             const v1::ListApiTokensRequest* request,
                             v1::ListApiTokensResponse* response) override;
  grpc::Status RevokeApiToken(grpc::ServerContext* context,
                              const v1::RevokeApiTokenRequest* request,
                              v1::ApiToken* response) override;

 private:
  // The caller, who must hold the SECRETARIAT role.
  absl::StatusOr<v1::Principal> AuthenticateSecretariat(
      const grpc::ServerContext& context);

  // Changes a member's state as `transition` says, on behalf of a
  // secretariat caller.
  absl::Status RunTransition(const v1::Principal& caller,
                             absl::string_view name, Transition transition,
                             const std::function<void(v1::Event&)>& describe,
                             v1::Member* response);

  // Admits one password check for `email` by the caller of `context` (see
  // SignInThrottle); RESOURCE_EXHAUSTED with a "retry-after" trailer (whole
  // seconds) when refused. Returns the address counted.
  absl::StatusOr<std::string> AdmitPasswordCheck(grpc::ServerContext& context,
                                                 absl::string_view email);

  // A new session token for an ACTIVE member.
  absl::StatusOr<v1::SignInResponse> IssueSession(const MemberRecord& record);

  // An event stamped with the time and the actor.
  v1::Event NewEvent(absl::string_view actor,
                     absl::string_view display_name) const;

  MembersStore* const store_;
  const Clock& clock_;
  const MembersServiceOptions options_;
  const PasswordHasher hasher_;
  SignInThrottle throttle_;
};

}  // namespace cdc::members
