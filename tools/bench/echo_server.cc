// echo_server: the benchmarks' baseline, a gRPC server whose one method
// sends its request back. Same machine, same gRPC, no work: what cdc's
// figures are divided by. It uses the callback API (no thread per call), so
// that it measures the ceiling of gRPC on this machine, not of a server
// design.
//
//   echo_server --listen_address=127.0.0.1:7790
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/synchronization/mutex.h"
#include "services/common/flags.h"
#include "services/common/server.h"
#include "tools/bench/bench.grpc.pb.h"

ABSL_FLAG(std::string, listen_address, "127.0.0.1:7790",
          "where the echo service listens");

namespace cdc::bench {
namespace {

class EchoImpl final : public EchoService::CallbackService {
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const EchoMessage* request,
                                 EchoMessage* response) override {
    *response = *request;
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace
}  // namespace cdc::bench

int main(int argc, char** argv) {
  cdc::BlockTerminationSignals();
  // As every cdc service does (services/common/service_flags.cc), so that
  // the baseline runs gRPC exactly as they do.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  cdc::ParseFlagsWithEnvironment(argc, argv,
                                 "echo_server [--listen_address=HOST:PORT]");
  cdc::bench::EchoImpl service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen_address),
                           grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "echo_server: cannot listen on %s\n",
                 absl::GetFlag(FLAGS_listen_address).c_str());
    return 1;
  }
  std::printf("echo_server listening on port %d\n", port);
  std::fflush(stdout);
  cdc::WaitForTerminationSignal();
  server->Shutdown();
  return 0;
}
