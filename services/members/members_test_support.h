// Test support: a real cdc-members on loopback over a real Redis, with a
// bootstrapped secretariat, for any test that needs members and tokens
// (this service's tests, and later other services' tests).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/common/redis_test_server.h"
#include "services/common/server.h"
#include "services/common/status_matchers.h"
#include "services/members/members_service.h"

namespace cdc::members::testing {

class MembersServerTest : public cdc::testing::RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    store_ = std::make_unique<MembersStore>(&redis(), MembersStore::Options{});
    MembersServiceOptions options;
    // The cheapest argon2id: these tests are about behaviour, not cost.
    options.password.memory_kib = 64;
    options.password.iterations = 1;
    Configure(options);
    service_ = std::make_unique<MembersService>(store_.get(), clock_, options);
    host_ = std::make_unique<ServiceHost>(
        ServerOptions{.listen_address = "127.0.0.1:0",
                      .health_interval = absl::Milliseconds(50)},
        &redis());
    host_->AddService(service_.get(), v1::MembersService::service_full_name());
    ASSERT_THAT(host_->Start(), cdc::testing::IsOk());
    channel_ = grpc::CreateChannel(host_->address(),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::MembersService::NewStub(channel_);

    BootstrapRequest bootstrap;
    bootstrap.email = "secretariat@unstats.example.org";
    auto session = service_->BootstrapSecretariat(bootstrap);
    ASSERT_THAT(session, cdc::testing::IsOk());
    secretariat_token_ = session->token();
    secretariat_ = session->member().name();
  }

  void TearDown() override { host_->Shutdown(); }

  // Lets a test suite change the service's options before it starts.
  virtual void Configure(MembersServiceOptions&) {}

  // A client context carrying `token` (none when empty).
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) {
      context->AddMetadata("authorization", "Bearer " + token);
    }
    return context;
  }

  FakeClock clock_;
  std::unique_ptr<MembersStore> store_;
  std::unique_ptr<MembersService> service_;
  std::unique_ptr<ServiceHost> host_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MembersService::Stub> stub_;
  std::string secretariat_token_;  // a session of the bootstrap secretariat
  std::string secretariat_;        // its "members/{id}"
};

}  // namespace cdc::members::testing
