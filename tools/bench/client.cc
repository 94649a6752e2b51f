#include "tools/bench/client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/status.h"

namespace cdc::bench {

std::vector<std::shared_ptr<grpc::Channel>> Channels(const std::string& address,
                                                     int count) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    // Without this, channels with equal arguments share one subchannel,
    // hence one connection.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("cdc.bench.channel", i);
    args.SetMaxReceiveMessageSize(16 << 20);
    channels.push_back(grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

absl::Status WaitConnected(
    const std::vector<std::shared_ptr<grpc::Channel>>& channels,
    const std::string& address, absl::Duration timeout) {
  const auto deadline = absl::ToChronoTime(absl::Now() + timeout);
  for (const auto& channel : channels) {
    if (!channel->WaitForConnected(deadline)) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", address, " within ",
                       absl::FormatDuration(timeout)));
    }
  }
  return absl::OkStatus();
}

std::unique_ptr<grpc::ClientContext> CallContext(const std::string& token,
                                                 absl::Duration deadline) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  return context;
}

std::string ErrorLabel(const grpc::Status& status) {
  if (status.ok()) return "";
  return CodeName(static_cast<absl::StatusCode>(status.error_code()));
}

void ErrorSamples::Note(const std::string& label, const std::string& message) {
  absl::MutexLock lock(&mu_);
  first_.emplace(label, message);
}

std::vector<std::string> ErrorSamples::Lines() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> lines;
  for (const auto& [label, message] : first_) {
    lines.push_back(absl::StrCat("first ", label, ": ", message));
  }
  return lines;
}

absl::StatusOr<std::vector<Account>> ReadAccounts(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("--accounts: cannot read ", path));
  }
  std::vector<Account> accounts;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> parts = absl::StrSplit(line, '\t');
    if (parts.size() != 3) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--accounts: ", path, ": expected member, email and token per line"));
    }
    accounts.push_back({parts[0], parts[1], parts[2]});
  }
  if (accounts.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--accounts: ", path, " holds no account"));
  }
  return accounts;
}

absl::Status WriteAccounts(const std::string& path,
                           const std::vector<Account>& accounts) {
  std::ofstream out(path, std::ios::trunc);
  for (const Account& a : accounts) {
    out << a.member << '\t' << a.email << '\t' << a.token << '\n';
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace cdc::bench
