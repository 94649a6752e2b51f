// cdc-community: spaces, topics, private conversations, the resource
// library, the initiative map and search; and the consumer that keeps post
// counts and activity from the comment events.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <string>

#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/event_consumer.h"
#include "services/common/log.h"
#include "services/common/remote_authenticator.h"
#include "services/common/server.h"
#include "services/common/service_flags.h"
#include "services/community/community_service.h"
#include "services/community/community_store.h"
#include "services/community/library_store.h"

ABSL_FLAG(std::string, comments_address, "127.0.0.1:7703",
          "cdc-comments, which Search asks for matching posts");
ABSL_FLAG(bool, consume, true,
          "consume the event streams to keep post counts and activity "
          "(replicas share the work); false serves only the API");
ABSL_FLAG(bool, rebuild_search_index, false,
          "rebuild the word indexes of topics, resources and initiatives "
          "from their records, log the counts and exit (0, or 1 on an "
          "error) without serving; safe beside running replicas");

namespace {

// --rebuild_search_index: main's exit code.
int RebuildSearchIndex(cdc::community::CommunityStore& store,
                       cdc::community::LibraryStore& library) {
  const absl::Time start = absl::Now();
  absl::StatusOr<int64_t> topics = store.RebuildSearchIndex();
  if (!topics.ok()) return cdc::FailService("community", topics.status());
  absl::StatusOr<int64_t> documents = library.RebuildSearchIndex();
  if (!documents.ok()) {
    return cdc::FailService("community", documents.status());
  }
  cdc::Log(
      cdc::LogLevel::kInfo, "search index rebuilt",
      {{"topics", absl::StrCat(*topics)},
       {"resources_and_initiatives", absl::StrCat(*documents)},
       {"seconds",
        absl::StrFormat("%.3f", absl::ToDoubleSeconds(absl::Now() - start))}});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const cdc::ServiceSetup setup =
      cdc::SetUpService(argc, argv, "community", "cdc-community [flags]");
  cdc::RedisClient redis(setup.redis);
  cdc::community::CommunityStore store(
      &redis, {.event_stream_maxlen = setup.event_stream_maxlen});
  cdc::community::LibraryStore library(
      &redis, {.event_stream_maxlen = setup.event_stream_maxlen});
  if (absl::GetFlag(FLAGS_rebuild_search_index)) {
    return RebuildSearchIndex(store, library);
  }
  auto members = cdc::MembersChannelFromFlags();
  cdc::RemoteAuthenticator authenticator(members, cdc::Clock::Real(),
                                         cdc::AuthenticatorOptionsFromFlags());
  cdc::community::CommunityService service({
      .store = &store,
      .library = &library,
      .authenticator = &authenticator,
      .members = members,
      .comments = grpc::CreateChannel(absl::GetFlag(FLAGS_comments_address),
                                      grpc::InsecureChannelCredentials()),
      .clock = &cdc::Clock::Real(),
  });
  cdc::EventConsumer::Options consuming;
  consuming.group = "community";
  cdc::EventConsumer consumer(
      &redis, setup.redis, consuming,
      cdc::community::CommentActivityHandler(&store, &library));
  if (absl::GetFlag(FLAGS_consume)) consumer.Start();

  cdc::ServiceHost host(setup.server, &redis);
  host.AddService(&service, cdc::v1::CommunityService::service_full_name());
  return cdc::ServeUntilTerminated("community", host, [&] { consumer.Stop(); });
}
