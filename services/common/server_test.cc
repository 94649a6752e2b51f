#include "services/common/server.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "cdc/v1/members.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/redis_test_server.h"
#include "services/common/status_matchers.h"
#include "src/proto/grpc/reflection/v1alpha/reflection.grpc.pb.h"

namespace cdc {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::Contains;

constexpr char kMembersService[] = "cdc.v1.MembersService";

// Registrable as is: every method answers UNIMPLEMENTED.
class BareMembersService final : public v1::MembersService::Service {};

std::chrono::system_clock::time_point SoonDeadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(5);
}

class ServiceHostTest : public cdc::testing::RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    if (HasFatalFailure()) return;
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.health_interval = absl::Milliseconds(50);
    options.shutdown_grace = absl::Seconds(1);
    host_ = std::make_unique<ServiceHost>(options, &redis());
    host_->AddService(&service_, kMembersService);
    ASSERT_THAT(host_->Start(), IsOk());
    ASSERT_NE(host_->port(), 0);
    channel_ = grpc::CreateChannel(host_->address(),
                                   grpc::InsecureChannelCredentials());
    health_ = grpc::health::v1::Health::NewStub(channel_);
  }

  void TearDown() override { host_.reset(); }

  // The serving status health reports for `service`, or the call's error.
  absl::StatusOr<HealthCheckResponse::ServingStatus> Health(
      const std::string& service) {
    grpc::ClientContext context;
    context.set_deadline(SoonDeadline());
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    const grpc::Status status = health_->Check(&context, request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response.status();
  }

  // Polls health for `service` until it reports `want`, for at most 10 s.
  bool HealthBecomes(const std::string& service,
                     HealthCheckResponse::ServingStatus want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      absl::StatusOr<HealthCheckResponse::ServingStatus> status =
          Health(service);
      if (status.ok() && *status == want) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  BareMembersService service_;
  std::unique_ptr<ServiceHost> host_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

TEST_F(ServiceHostTest, HealthIsServingForTheServerAndTheRegisteredService) {
  EXPECT_TRUE(host_->serving());
  // Set from a first PING before Start returned: no polling needed.
  absl::StatusOr<HealthCheckResponse::ServingStatus> overall = Health("");
  ASSERT_THAT(overall, IsOk());
  EXPECT_EQ(*overall, HealthCheckResponse::SERVING);
  absl::StatusOr<HealthCheckResponse::ServingStatus> members =
      Health(kMembersService);
  ASSERT_THAT(members, IsOk());
  EXPECT_EQ(*members, HealthCheckResponse::SERVING);
}

TEST_F(ServiceHostTest, HealthDoesNotKnowUnregisteredServices) {
  EXPECT_THAT(Health("cdc.v1.NoSuchService"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ServiceHostTest, HealthFollowsRedisDownAndBackUpWithoutARestart) {
  server().Stop();
  EXPECT_TRUE(HealthBecomes("", HealthCheckResponse::NOT_SERVING));
  EXPECT_TRUE(HealthBecomes(kMembersService, HealthCheckResponse::NOT_SERVING));
  EXPECT_FALSE(host_->serving());

  ASSERT_THAT(server().Restart(), IsOk());
  EXPECT_TRUE(HealthBecomes("", HealthCheckResponse::SERVING));
  EXPECT_TRUE(HealthBecomes(kMembersService, HealthCheckResponse::SERVING));
  EXPECT_TRUE(host_->serving());
}

TEST_F(ServiceHostTest, StartsNotServingWhenRedisIsDown) {
  server().Stop();
  ServerOptions options;
  options.health_interval = absl::Milliseconds(50);
  RedisClient redis(redis_options());
  ServiceHost host(options, &redis);
  BareMembersService service;
  host.AddService(&service, kMembersService);
  ASSERT_THAT(host.Start(), IsOk());
  EXPECT_FALSE(host.serving());

  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(host.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(SoonDeadline());
  HealthCheckRequest request;
  request.set_service(kMembersService);
  HealthCheckResponse response;
  ASSERT_THAT(health->Check(&context, request, &response), IsOk());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
}

TEST_F(ServiceHostTest, ReflectionListsTheRegisteredServices) {
  auto reflection =
      grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(SoonDeadline());
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->WritesDone());
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_THAT(stream->Finish(), IsOk());

  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_THAT(names, Contains(kMembersService));
  EXPECT_THAT(names, Contains("grpc.health.v1.Health"));
}

TEST_F(ServiceHostTest, RegisteredServiceAnswersCalls) {
  auto members = v1::MembersService::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(SoonDeadline());
  v1::Principal principal;
  EXPECT_THAT(
      members->Authenticate(&context, v1::AuthenticateRequest(), &principal),
      StatusIs(absl::StatusCode::kUnimplemented));
}

TEST_F(ServiceHostTest, ShutdownIsIdempotent) {
  host_->Shutdown();
  host_->Shutdown();
  EXPECT_THAT(Health(""), StatusIs(absl::StatusCode::kUnavailable));
  host_.reset();  // the destructor shuts down a third time
}

TEST_F(ServiceHostTest, ShutdownBeforeStartDoesNothing) {
  ServiceHost host(ServerOptions(), &redis());
  host.Shutdown();
  host.Shutdown();
}

TEST_F(ServiceHostTest, StartFailsWhenTheAddressCannotBeBound) {
  ServerOptions options;
  options.listen_address = "192.0.2.1:0";  // TEST-NET-1: not this host
  ServiceHost host(options, &redis());
  EXPECT_THAT(host.Start(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                     ::testing::HasSubstr("192.0.2.1:0")));
}

}  // namespace
}  // namespace cdc
