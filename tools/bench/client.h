// What every cdc-load scenario needs to talk to cdc: channels, call
// contexts with a bearer token, error labels, and the accounts file that
// `cdc-load seed` writes and the scenarios read.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cdc::bench {

// `count` channels to `address`, each on a connection of its own (a
// channel shares no connection with another), so that load spread over
// them is spread over connections, as many clients' would be.
std::vector<std::shared_ptr<grpc::Channel>> Channels(const std::string& address,
                                                     int count);

// Waits until every channel is connected; UNAVAILABLE naming the address
// when one is not within `timeout`.
absl::Status WaitConnected(
    const std::vector<std::shared_ptr<grpc::Channel>>& channels,
    const std::string& address, absl::Duration timeout);

// A context for one call: "authorization: Bearer <token>" (none when
// empty) and a deadline.
std::unique_ptr<grpc::ClientContext> CallContext(
    const std::string& token, absl::Duration deadline = absl::Seconds(30));

// "" for OK, else the code's canonical name ("UNAVAILABLE").
std::string ErrorLabel(const grpc::Status& status);

// The first message seen for each error label, to say why calls failed.
class ErrorSamples final {
 public:
  void Note(const std::string& label, const std::string& message);
  // "LABEL: message" for each label seen.
  std::vector<std::string> Lines() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> first_ ABSL_GUARDED_BY(mu_);
};

// A seeded member who can sign in.
struct Account {
  std::string member;  // "members/{id}"
  std::string email;
  std::string token;  // a session token from SignIn
};

// The accounts file: one account per line, "member<TAB>email<TAB>token".
absl::StatusOr<std::vector<Account>> ReadAccounts(const std::string& path);
absl::Status WriteAccounts(const std::string& path,
                           const std::vector<Account>& accounts);

// The password of every seeded account (it passes cdc-members' rules).
inline constexpr char kAccountPassword[] = "Load-generator passphrase 2024";

}  // namespace cdc::bench
