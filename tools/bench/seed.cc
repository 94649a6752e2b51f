#include "tools/bench/seed.h"

#include <google/protobuf/util/time_util.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cdc/v1/consultations.grpc.pb.h"
#include "cdc/v1/members.grpc.pb.h"
#include "services/common/status.h"
#include "services/common/status_macros.h"
#include "tools/bench/client.h"

namespace cdc::bench {
namespace {

using google::protobuf::util::TimeUtil;

absl::Status Failed(const std::string& what, const grpc::Status& status) {
  return absl::Status(FromGrpcStatus(status).code(),
                      absl::StrCat(what, ": ", status.error_message()));
}

// Applies (or finds), approves and signs in member `i`.
absl::StatusOr<Account> MakeAccount(v1::MembersService::Stub& members,
                                    const std::string& secretariat, int i) {
  const std::string email = absl::StrCat("bench-", i, "@bench.example.org");
  v1::ApplyForMembershipRequest apply;
  v1::Member* m = apply.mutable_member();
  m->set_email(email);
  m->set_display_name(absl::StrCat("Bench member ", i));
  m->set_organisation(absl::StrCat("Load test organisation ", i % 10));
  m->set_organisation_type(v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
  m->set_country("KEN");
  m->add_languages("en");
  apply.set_password(kAccountPassword);
  apply.set_request_id(absl::StrCat("bench-apply-", i));
  v1::Member applied;
  grpc::Status status =
      members.ApplyForMembership(CallContext("").get(), apply, &applied);
  if (status.ok() && applied.state() == v1::Member::PENDING) {
    v1::ApproveMemberRequest approve;
    approve.set_name(applied.name());
    approve.set_role(v1::ROLE_MEMBER);
    v1::Member approved;
    status = members.ApproveMember(CallContext(secretariat).get(), approve,
                                   &approved);
    if (!status.ok()) return Failed("ApproveMember " + applied.name(), status);
  } else if (!status.ok() &&
             status.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
    return Failed("ApplyForMembership " + email, status);
  }
  v1::SignInRequest sign_in;
  sign_in.set_email(email);
  sign_in.set_password(kAccountPassword);
  v1::SignInResponse session;
  status = members.SignIn(CallContext("").get(), sign_in, &session);
  if (!status.ok()) {
    return Failed(absl::StrCat("SignIn ", email,
                               " (an earlier member with this email that "
                               "cannot sign in? seed a fresh cdc)"),
                  status);
  }
  return Account{session.member().name(), email, session.token()};
}

absl::Status SeedMembers(const SeedOptions& options) {
  auto channels = Channels(options.members_address, 1);
  CDC_RETURN_IF_ERROR(
      WaitConnected(channels, options.members_address, absl::Seconds(10)));
  auto members = v1::MembersService::NewStub(channels[0]);
  std::vector<Account> accounts(options.members);
  std::atomic<int> next{0};
  std::atomic<int> made{0};
  absl::Mutex mu;
  absl::Status first;
  std::vector<std::thread> threads;
  for (int t = 0; t < options.threads; ++t) {
    threads.emplace_back([&] {
      for (int i = next.fetch_add(1); i < options.members;
           i = next.fetch_add(1)) {
        absl::StatusOr<Account> account =
            MakeAccount(*members, options.token, i);
        absl::MutexLock lock(&mu);
        if (!account.ok()) {
          if (first.ok()) first = account.status();
          continue;
        }
        accounts[i] = *std::move(account);
        if (++made % 100 == 0) {
          std::fprintf(stderr, "  seed: %d of %d members\n", made.load(),
                       options.members);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CDC_RETURN_IF_ERROR(first);
  return WriteAccounts(options.accounts_path, accounts);
}

// The draft: sections "s1".."s<n>", each a few sentences.
std::string Draft(int sections) {
  std::string markdown;
  for (int k = 1; k <= sections; ++k) {
    absl::StrAppend(&markdown, "# Section ", k, " {#s", k, "}\n\n");
    for (int p = 0; p < 4; ++p) {
      absl::StrAppend(&markdown,
                      "Citizen data are produced with the participation of "
                      "the people they describe. This paragraph of section ",
                      k, " is here to be read and commented on.\n\n");
    }
  }
  return markdown;
}

absl::Status SeedConsultation(const SeedOptions& options) {
  auto channels = Channels(options.consultations_address, 1);
  CDC_RETURN_IF_ERROR(WaitConnected(channels, options.consultations_address,
                                    absl::Seconds(10)));
  auto consultations = v1::ConsultationsService::NewStub(channels[0]);
  const std::string name =
      absl::StrCat("consultations/", options.consultation_id);
  v1::GetConsultationRequest get;
  get.set_name(name);
  v1::Consultation c;
  grpc::Status status =
      consultations->GetConsultation(CallContext(options.token).get(), get, &c);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    v1::CreateConsultationRequest create;
    create.set_consultation_id(options.consultation_id);
    create.mutable_consultation()->set_title("Benchmark consultation");
    create.mutable_consultation()->set_description(
        "Made by cdc-load seed for the benchmarks.");
    status = consultations->CreateConsultation(CallContext(options.token).get(),
                                               create, &c);
  }
  if (!status.ok()) return Failed(name, status);
  if (c.latest_version() == 0) {
    v1::ImportDraftRequest import;
    import.set_parent(name);
    import.set_markdown(Draft(options.sections));
    v1::DraftVersion version;
    status = consultations->ImportDraft(CallContext(options.token).get(),
                                        import, &version);
    if (!status.ok()) return Failed("ImportDraft " + name, status);
  }
  if (c.state() == v1::Consultation::DRAFT) {
    v1::OpenRoundRequest open;
    open.set_name(name);
    *open.mutable_closes_at() = TimeUtil::MillisecondsToTimestamp(
        absl::ToUnixMillis(absl::Now() + absl::Hours(24 * 30)));
    status =
        consultations->OpenRound(CallContext(options.token).get(), open, &c);
    if (!status.ok()) return Failed("OpenRound " + name, status);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Seed(const SeedOptions& options) {
  if (options.token.empty()) {
    return absl::InvalidArgumentError("--token: a secretariat token");
  }
  if (!options.consultation_id.empty()) {
    CDC_RETURN_IF_ERROR(SeedConsultation(options));
  }
  if (options.members > 0) {
    if (options.accounts_path.empty()) {
      return absl::InvalidArgumentError("--accounts: where to write tokens");
    }
    CDC_RETURN_IF_ERROR(SeedMembers(options));
  }
  return absl::OkStatus();
}

}  // namespace cdc::bench
