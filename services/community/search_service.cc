// CommunityService.Search: topics, posts, resources and initiatives by
// words, best first, among what the caller may read.
//
// Each collection keeps its own word index, changed by the same script as
// its records (services/common/word_index.h): topics and the library here,
// posts in cdc-comments (SearchComments, asked with the caller's token; it
// keeps only posts on targets the caller may read and never indexes private
// messages). Each source answers its best `offset + page_size + 1` hits; they
// are merged by score, so a page is exact and the total is the sum of the
// sources' counts (an estimate: the sources score separately).
#include <grpcpp/client_context.h>

#include <algorithm>
#include <limits>
#include <set>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/clock.h"
#include "services/common/handler.h"
#include "services/common/page_token.h"
#include "services/common/status.h"
#include "services/common/status_macros.h"
#include "services/common/validation.h"
#include "services/common/word_index.h"
#include "services/community/community_service.h"
#include "services/community/community_store.h"
#include "services/community/library_store.h"

namespace cdc::community {
namespace {

using Kind = v1::SearchHit::Kind;

constexpr size_t kMaxQueryChars = 200;
// The deepest hit a page may reach: pages beyond are refused, because each
// source would have to score and return that many hits.
constexpr int kMaxDepth = 1000;

// What the request asks for, checked.
struct SearchQuery {
  std::vector<std::string> words;
  std::set<Kind> kinds;  // never empty
  std::string space;     // "spaces/{s}" or empty
  int page_size = 0;
  int offset = 0;  // hits before this page
};

// The request fields a page token is bound to.
std::string Filters(const SearchQuery& query) {
  std::vector<int> kinds(query.kinds.begin(), query.kinds.end());
  return absl::StrCat(absl::StrJoin(query.words, " "), "|",
                      absl::StrJoin(kinds, ","), "|", query.space);
}

absl::StatusOr<SearchQuery> CheckSearch(const v1::SearchRequest& request) {
  SearchQuery query;
  CDC_RETURN_IF_ERROR(CheckText("query", request.query(), 1, kMaxQueryChars));
  CDC_ASSIGN_OR_RETURN(query.words, QueryWords("query", request.query()));
  for (int kind : request.kinds()) {
    if (!v1::SearchHit::Kind_IsValid(kind) ||
        kind == v1::SearchHit::KIND_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(
          "kinds: ", kind, " is not one of TOPIC, POST, RESOURCE, INITIATIVE"));
    }
    query.kinds.insert(static_cast<Kind>(kind));
  }
  if (query.kinds.empty()) {
    query.kinds = {v1::SearchHit::TOPIC, v1::SearchHit::POST,
                   v1::SearchHit::RESOURCE, v1::SearchHit::INITIATIVE};
  }
  if (!request.space().empty()) {
    CDC_RETURN_IF_ERROR(
        ParseResourceId("space", request.space(), "spaces").status());
    query.space = request.space();
    // A space holds topics and posts only.
    query.kinds.erase(v1::SearchHit::RESOURCE);
    query.kinds.erase(v1::SearchHit::INITIATIVE);
  }
  CDC_ASSIGN_OR_RETURN(query.page_size, CheckPageSize(request.page_size()));
  if (!request.page_token().empty()) {
    CDC_ASSIGN_OR_RETURN(std::string position,
                         DecodePageToken(request.page_token(), Filters(query)));
    if (!absl::SimpleAtoi(position, &query.offset) || query.offset < 0) {
      return absl::InvalidArgumentError("page_token: is malformed");
    }
  }
  if (query.offset + query.page_size > kMaxDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token: search results are paged to their first ",
                     kMaxDepth, " hits; narrow the query"));
  }
  return query;
}

// The title of topic "spaces/{s}/topics/{t}".
absl::StatusOr<std::string> TopicTitle(CommunityStore& store,
                                       absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4) return absl::NotFoundError(name);
  CDC_ASSIGN_OR_RETURN(TopicRecord record,
                       store.GetTopic(parts[1], parts[3], ""));
  return record.topic.title();
}

bool ByScore(const v1::SearchHit& a, const v1::SearchHit& b) {
  if (a.score() != b.score()) return a.score() > b.score();
  return a.name() < b.name();
}

}  // namespace

grpc::Status CommunityService::Search(grpc::ServerContext* context,
                                      const v1::SearchRequest* request,
                                      v1::SearchResponse* response) {
  return Handle("Search", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller,
                         AuthenticateCall(*context, *authenticator_));
    CDC_ASSIGN_OR_RETURN(SearchQuery query, CheckSearch(*request));
    const int depth = query.offset + query.page_size + 1;
    const bool secretariat = caller.role() == v1::ROLE_SECRETARIAT;
    std::vector<v1::SearchHit> hits;
    int64_t total = 0;

    // Spaces and topics are for members and the secretariat (observers and
    // partners read the library and the map).
    const bool reads_spaces = caller.role() == v1::ROLE_MEMBER || secretariat;
    if (reads_spaces && query.kinds.contains(v1::SearchHit::TOPIC)) {
      CDC_ASSIGN_OR_RETURN(
          auto topics, store_->SearchTopics(query.words, caller.member(),
                                            secretariat, query.space, depth));
      total += topics.second;
      for (const TopicHit& found : topics.first) {
        v1::SearchHit& hit = hits.emplace_back();
        hit.set_kind(v1::SearchHit::TOPIC);
        hit.set_name(found.topic.name());
        hit.set_title(found.topic.title());
        hit.set_snippet(Snippet(found.topic.body(), query.words));
        hit.set_score(found.score);
        hit.set_parent(
            found.topic.name().substr(0, found.topic.name().find("/topics/")));
        *hit.mutable_update_time() = found.topic.has_update_time()
                                         ? found.topic.update_time()
                                         : found.topic.create_time();
      }
    }
    for (Kind kind : {v1::SearchHit::RESOURCE, v1::SearchHit::INITIATIVE}) {
      if (!query.kinds.contains(kind)) continue;
      CDC_ASSIGN_OR_RETURN(
          auto found, kind == v1::SearchHit::RESOURCE
                          ? library_->SearchResources(query.words, depth)
                          : library_->SearchInitiatives(query.words, depth));
      total += found.second;
      for (const LibraryHit& entry : found.first) {
        v1::SearchHit& hit = hits.emplace_back();
        hit.set_kind(kind);
        hit.set_name(entry.name);
        hit.set_title(entry.title);
        hit.set_snippet(Snippet(entry.text, query.words));
        hit.set_score(entry.score);
        *hit.mutable_update_time() = ToProtoTime(entry.update_time);
      }
    }
    if (query.kinds.contains(v1::SearchHit::POST)) {
      v1::SearchCommentsRequest posts_request;
      for (const std::string& word : query.words) {
        posts_request.add_words(word);
      }
      posts_request.set_space(query.space);
      posts_request.set_limit(std::min(depth, kMaxDepth));
      v1::SearchCommentsResponse posts;
      CDC_RETURN_IF_ERROR(FromGrpcStatus(comments_->SearchComments(
          ForwardCaller(*context).get(), posts_request, &posts)));
      total += posts.total_size();
      // A post is shown under its topic's or resource's title.
      absl::flat_hash_map<std::string, std::string> titles;
      for (const v1::SearchCommentsResponse::Hit& post : posts.hits()) {
        auto [title, fresh] = titles.try_emplace(post.target());
        if (fresh) {
          absl::StatusOr<std::string> found =
              absl::StartsWith(post.target(), "resources/")
                  ? library_->ResourceTitle(post.target())
                  : TopicTitle(*store_, post.target());
          if (found.ok()) {
            title->second = *std::move(found);
          } else if (!absl::IsNotFound(found.status())) {
            return found.status();
          }
        }
        v1::SearchHit& hit = hits.emplace_back();
        hit.set_kind(v1::SearchHit::POST);
        hit.set_name(post.comment());
        hit.set_title(title->second);
        hit.set_snippet(post.snippet());
        hit.set_score(post.score());
        hit.set_parent(post.target());
        *hit.mutable_update_time() = post.update_time();
      }
    }

    std::sort(hits.begin(), hits.end(), ByScore);
    const size_t begin =
        std::min(hits.size(), static_cast<size_t>(query.offset));
    const size_t end =
        std::min(hits.size(), begin + static_cast<size_t>(query.page_size));
    for (size_t i = begin; i < end; ++i) {
      *response->add_hits() = std::move(hits[i]);
    }
    if (end < hits.size() && static_cast<int>(end) < kMaxDepth) {
      response->set_next_page_token(
          EncodePageToken(absl::StrCat(end), Filters(query)));
    }
    response->set_total_size(static_cast<int32_t>(
        std::min<int64_t>(total, std::numeric_limits<int32_t>::max())));
    return absl::OkStatus();
  });
}

}  // namespace cdc::community
