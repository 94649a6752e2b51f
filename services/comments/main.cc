// cdc-comments: the one messaging engine.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/comments/comments_service.h"
#include "services/comments/comments_store.h"
#include "services/common/clock.h"
#include "services/common/log.h"
#include "services/common/remote_authenticator.h"
#include "services/common/server.h"
#include "services/common/service_flags.h"

ABSL_FLAG(std::string, consultations_address, "127.0.0.1:7702",
          "cdc-consultations, which says who may comment on a section");
ABSL_FLAG(std::string, community_address, "127.0.0.1:7705",
          "cdc-community, which says who may read and write on a topic, "
          "conversation or resource");
ABSL_FLAG(bool, rebuild_search_index, false,
          "rebuild the word index of posts (visible comments on topics and "
          "resources) from the comments, log the count and exit (0, or 1 on "
          "an error) without serving; safe beside running replicas");

int main(int argc, char** argv) {
  const cdc::ServiceSetup setup =
      cdc::SetUpService(argc, argv, "comments", "cdc-comments [flags]");
  cdc::RedisClient redis(setup.redis);
  cdc::comments::CommentsStore store(
      &redis, {.event_stream_maxlen = setup.event_stream_maxlen});
  if (absl::GetFlag(FLAGS_rebuild_search_index)) {
    const absl::Time start = absl::Now();
    absl::StatusOr<int64_t> posts = store.RebuildSearchIndex();
    if (!posts.ok()) return cdc::FailService("comments", posts.status());
    cdc::Log(cdc::LogLevel::kInfo, "search index rebuilt",
             {{"posts", absl::StrCat(*posts)},
              {"seconds", absl::StrFormat("%.3f", absl::ToDoubleSeconds(
                                                      absl::Now() - start))}});
    return 0;
  }
  auto members = cdc::MembersChannelFromFlags();
  auto consultations =
      grpc::CreateChannel(absl::GetFlag(FLAGS_consultations_address),
                          grpc::InsecureChannelCredentials());
  auto community = grpc::CreateChannel(absl::GetFlag(FLAGS_community_address),
                                       grpc::InsecureChannelCredentials());
  cdc::RemoteAuthenticator authenticator(members, cdc::Clock::Real(),
                                         cdc::AuthenticatorOptionsFromFlags());
  cdc::comments::CommentsService service(&store, &authenticator, consultations,
                                         community, members,
                                         cdc::Clock::Real());

  cdc::ServiceHost host(setup.server, &redis);
  host.AddService(&service, cdc::v1::CommentsService::service_full_name());
  return cdc::ServeUntilTerminated("comments", host);
}
