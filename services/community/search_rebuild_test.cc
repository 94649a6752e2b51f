// Rebuilding the search indexes (--rebuild_search_index) from the records
// alone: Search answers exactly as before, what nobody may find stays
// unfound, corrupt entries go, the records are not touched, and a rebuild
// racing live writes ends where a quiet one would.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/comments/comments_store.h"
#include "services/common/keys.h"
#include "services/common/status_matchers.h"
#include "services/community/community_store.h"
#include "services/community/community_test_support.h"
#include "services/community/library_store.h"

namespace cdc::community {
namespace {

using ::cdc::testing::IsOk;
using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

// Every word index key carries a hash tag followed by "ix:"
// ("cm:{sK}:ix:...", "comments:{sK}:ix:...").
bool IsIndexKey(absl::string_view key) {
  return absl::StrContains(key, "}:ix:");
}

// Documents rebuilt, per store.
struct Rebuilt {
  int64_t topics = -1;
  int64_t library = -1;  // resources and approved initiatives
  int64_t posts = -1;
};

class SearchRebuildTest : public testing::CommunityServerTest {
 protected:
  // The corpus. Findable by "consent": topics strong_, edited_ (its new
  // title), closed_ and secret_ (sensitive: member_ only), posts visible_,
  // restored_, reworded_ (its new body), guardians_ (on secret_) and
  // review_ (on the resource), the resource and the approved initiative. Never
  // findable, each by a word of its own: the hidden post ("spam"), the
  // withdrawn one ("regretted"), the private message ("whisper"), the submitted
  // initiative
  // ("awaiting"), the old title and body ("obsolete", "ballot").
  void SetUp() override {
    CommunityServerTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_THAT(MakeSpace("gaps"), IsOk());
    ASSERT_THAT(JoinAs(member_, "gaps"), IsOk());
    ASSERT_THAT(JoinAs(other_, "gaps"), IsOk());
    ASSERT_THAT(MakeSpace("sensitive", v1::Space::INVITE_ONLY), IsOk());
    ASSERT_THAT(AddMember("sensitive", NameOf(member_)), IsOk());

    strong_ = Topic(member_, "gaps", "Consent in citizen data",
                    "How do communities give consent?");
    edited_ =
        Topic(other_, "gaps", "Obsolete wording", "Registers of consent.");
    ASSERT_THAT(Retitle(other_, edited_, "Consent registers"), IsOk());
    closed_ = Topic(member_, "gaps", "Consent forms", "Templates.");
    secret_ = Topic(member_, "sensitive", "Consent of minors", "Cases.");

    visible_ = Post(other_, strong_, "Prior consent is a must.");
    hidden_ = Post(other_, strong_, "Buy consent forms here, spam.");
    ASSERT_THAT(Hide(hidden_, "Spam."), IsOk());
    const std::string withdrawn = Post(member_, strong_, "Consent, regretted.");
    ASSERT_THAT(Withdraw(member_, withdrawn), IsOk());
    restored_ = Post(member_, closed_, "Informed consent in practice.");
    ASSERT_THAT(Hide(restored_, "Checking."), IsOk());
    ASSERT_THAT(Restore(restored_, "Fine."), IsOk());
    v1::CloseTopicRequest close;
    close.set_name(closed_);
    close.set_reason("Concluded.");
    ASSERT_THAT((CallC<v1::CloseTopicRequest, v1::Topic>(
                    &v1::CommunityService::Stub::CloseTopic, close,
                    secretariat_token_)),
                IsOk());
    reworded_ = Post(other_, edited_, "A ballot paper.");
    ASSERT_THAT(Edit(other_, reworded_, "Consent on paper."), IsOk());
    guardians_ = Post(member_, secret_, "Consent of guardians.");

    v1::CreateResourceRequest resource;
    resource.mutable_resource()->set_title("Consent toolkit");
    resource.mutable_resource()->set_link("https://example.org/toolkit");
    resource.mutable_resource()->set_type(v1::Resource::TOOLKIT);
    auto shared = CallC<v1::CreateResourceRequest, v1::Resource>(
        &v1::CommunityService::Stub::CreateResource, resource, member_);
    ASSERT_THAT(shared, IsOk());
    resource_ = shared->name();
    review_ = Post(other_, resource_, "This consent toolkit helps.");

    approved_ = Initiative("Community consent mapping");
    v1::ApproveInitiativeRequest approve;
    approve.set_name(approved_);
    ASSERT_THAT((CallC<v1::ApproveInitiativeRequest, v1::Initiative>(
                    &v1::CommunityService::Stub::ApproveInitiative, approve,
                    secretariat_token_)),
                IsOk());
    submitted_ = Initiative("Consent survey awaiting review");

    auto conversation = StartConversation(member_, {NameOf(other_)});
    ASSERT_THAT(conversation, IsOk());
    Post(member_, conversation->name(), "Consent, whisper it.");
    SettleCommunity();  // post counts are in the topics Search returns

    // The corpus is what the comment above says, before any rebuild.
    EXPECT_THAT(Names(secretariat_token_, "consent"),
                UnorderedElementsAre(strong_, edited_, closed_, secret_,
                                     visible_, restored_, reworded_, guardians_,
                                     review_, resource_, approved_));
    for (const char* unfound :
         {"spam", "regretted", "whisper", "awaiting", "obsolete", "ballot"}) {
      EXPECT_THAT(Names(secretariat_token_, unfound), IsEmpty()) << unfound;
    }
  }

  std::string Topic(const std::string& token, const std::string& space,
                    const std::string& title, const std::string& body) {
    auto topic = StartTopic(token, space, title, body);
    EXPECT_THAT(topic, IsOk());
    return topic.ok() ? topic->name() : "";
  }

  absl::StatusOr<v1::Topic> Retitle(const std::string& token,
                                    const std::string& name,
                                    const std::string& title) {
    v1::UpdateTopicRequest request;
    request.mutable_topic()->set_name(name);
    request.mutable_topic()->set_title(title);
    request.mutable_update_mask()->add_paths("title");
    return CallC<v1::UpdateTopicRequest, v1::Topic>(
        &v1::CommunityService::Stub::UpdateTopic, request, token);
  }

  std::string Post(const std::string& token, const std::string& target,
                   const std::string& body) {
    auto post = Comment(token, target, body);
    EXPECT_THAT(post, IsOk());
    return post.ok() ? post->name() : "";
  }

  std::string Initiative(const std::string& name) {
    v1::CreateInitiativeRequest request;
    v1::Initiative* i = request.mutable_initiative();
    i->set_display_name(name);
    i->set_lead_organisation("Data Collective");
    i->set_lead_organisation_type(v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
    i->add_countries("KEN");
    i->set_participation_level(v1::PARTICIPATION_LEVEL_ENGAGING);
    i->set_status(v1::Initiative::ACTIVE);
    auto created = CallC<v1::CreateInitiativeRequest, v1::Initiative>(
        &v1::CommunityService::Stub::CreateInitiative, request, other_);
    EXPECT_THAT(created, IsOk());
    return created.ok() ? created->name() : "";
  }

  absl::StatusOr<v1::SearchResponse> Search(const std::string& token,
                                            const std::string& query) {
    v1::SearchRequest request;
    request.set_query(query);
    return CallC<v1::SearchRequest, v1::SearchResponse>(
        &v1::CommunityService::Stub::Search, request, token);
  }

  std::vector<std::string> Names(const std::string& token,
                                 const std::string& query) {
    auto found = Search(token, query);
    EXPECT_THAT(found, IsOk());
    if (!found.ok()) return {found.status().ToString()};
    std::vector<std::string> names;
    for (const v1::SearchHit& hit : found->hits()) names.push_back(hit.name());
    return names;
  }

  // Every answer (hits with their scores and snippets, totals) to the
  // corpus' queries, for several callers: "<caller> <query>" -> answer.
  std::map<std::string, std::string> Answers() {
    std::map<std::string, std::string> answers;
    const std::vector<std::pair<std::string, std::string>> callers = {
        {"member", member_},
        {"other", other_},
        {"observer", observer_},
        {"secretariat", secretariat_token_}};
    for (const auto& [who, token] : callers) {
      for (const char* query :
           {"consent", "consent registers", "toolkit", "guardians", "spam",
            "regretted", "whisper", "awaiting", "obsolete", "ballot"}) {
        auto found = Search(token, query);
        EXPECT_THAT(found, IsOk()) << who << " " << query;
        answers[absl::StrCat(who, " ", query)] =
            found.ok() ? found->DebugString() : found.status().ToString();
      }
    }
    return answers;
  }

  Rebuilt Rebuild() {
    Rebuilt rebuilt;
    auto topics = community_store_->RebuildSearchIndex();
    EXPECT_THAT(topics, IsOk());
    if (topics.ok()) rebuilt.topics = *topics;
    auto library = library_store_->RebuildSearchIndex();
    EXPECT_THAT(library, IsOk());
    if (library.ok()) rebuilt.library = *library;
    auto posts = store_k_->RebuildSearchIndex();
    EXPECT_THAT(posts, IsOk());
    if (posts.ok()) rebuilt.posts = *posts;
    return rebuilt;
  }

  std::vector<std::string> AllKeys() {
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
      auto reply = redis().Command({"SCAN", cursor, "COUNT", "1000"});
      EXPECT_THAT(reply, IsOk());
      if (!reply.ok()) break;
      cursor = reply->elements[0].str;
      for (const RedisReply& key : reply->elements[1].elements) {
        keys.push_back(key.str);
      }
    } while (cursor != "0");
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
  }

  // Every key that is not an index key, as DUMP serializes it (a stream by
  // its entries: its consumer groups note when they last polled).
  std::map<std::string, std::string> Records() {
    std::map<std::string, std::string> records;
    for (const std::string& key : AllKeys()) {
      if (IsIndexKey(key)) continue;
      auto type = redis().Command({"TYPE", key});
      EXPECT_THAT(type, IsOk());
      if (!type.ok()) continue;
      if (type->str == "stream") {
        auto entries = redis().Command({"XRANGE", key, "-", "+"});
        EXPECT_THAT(entries, IsOk());
        std::string text;
        for (const RedisReply& entry : entries->elements) {
          absl::StrAppend(&text, entry.elements[0].str, "=",
                          entry.elements[1].elements[1].str, ";");
        }
        records[key] = text;
      } else {
        auto dump = redis().Command({"DUMP", key});
        EXPECT_THAT(dump, IsOk());
        records[key] = dump.ok() ? dump->str : "";
      }
    }
    return records;
  }

  // Every index key and what it holds, in a canonical form.
  std::map<std::string, std::string> IndexContents() {
    std::map<std::string, std::string> contents;
    for (const std::string& key : AllKeys()) {
      if (!IsIndexKey(key)) continue;
      auto type = redis().Command({"TYPE", key});
      EXPECT_THAT(type, IsOk());
      if (!type.ok()) continue;
      std::vector<std::string> parts;
      if (type->str == "zset") {
        auto all = redis().Command({"ZRANGE", key, "0", "-1", "WITHSCORES"});
        EXPECT_THAT(all, IsOk());
        for (const RedisReply& e : all->elements) parts.push_back(e.str);
      } else if (type->str == "set") {
        auto all = redis().Command({"SMEMBERS", key});
        EXPECT_THAT(all, IsOk());
        for (const RedisReply& e : all->elements) parts.push_back(e.str);
        std::sort(parts.begin(), parts.end());
      } else {
        auto value = redis().Command({"GET", key});
        EXPECT_THAT(value, IsOk());
        parts.push_back(value->str);
      }
      contents[key] = absl::StrJoin(parts, " ");
    }
    return contents;
  }

  void DeleteIndexKeys() {
    for (const std::string& key : AllKeys()) {
      if (!IsIndexKey(key)) continue;
      ASSERT_THAT(redis().Command({"DEL", key}), IsOk());
    }
  }

  std::string strong_, edited_, closed_, secret_, visible_, hidden_, restored_,
      reworded_, guardians_, review_, resource_, approved_, submitted_;
};

TEST_F(SearchRebuildTest, FromNoIndexAtAllTheSameAnswersComeBack) {
  const std::map<std::string, std::string> before = Answers();
  const std::map<std::string, std::string> index = IndexContents();
  const std::map<std::string, std::string> records = Records();
  DeleteIndexKeys();
  ASSERT_THAT(Names(secretariat_token_, "consent"), IsEmpty());

  const Rebuilt rebuilt = Rebuild();
  EXPECT_EQ(rebuilt.topics, 4);   // strong_, edited_, closed_, secret_
  EXPECT_EQ(rebuilt.library, 2);  // the resource, the approved initiative
  EXPECT_EQ(rebuilt.posts, 5);    // visible_, restored_, reworded_,
                                  // guardians_ and review_
  EXPECT_EQ(Records(), records);
  EXPECT_EQ(IndexContents(), index);
  EXPECT_EQ(Answers(), before);
}

TEST_F(SearchRebuildTest, CorruptEntriesGoAndMissingOnesComeBack) {
  const std::map<std::string, std::string> before = Answers();
  const std::map<std::string, std::string> index = IndexContents();
  // The index prefixes, as the stores' headers lay them out.
  const std::string topics =
      absl::StrCat("cm:", ShardTag(CommunityStore::SpacesShard()), ":ix:");
  const std::string initiatives =
      absl::StrCat("cm:", ShardTag(LibraryStore::InitiativesShard()), ":ix:");
  const std::string hidden_id = hidden_.substr(hidden_.rfind('/') + 1);
  const std::string posts =
      comments::CommentsStore::SearchPrefix(ShardOfId(hidden_id));
  // A bogus word on a topic, a real entry lost, a wrong document count, and
  // an unapproved initiative and a hidden post under real words (Search
  // also checks those two at read time, so only the index shows them).
  for (const std::vector<std::string>& command :
       std::vector<std::vector<std::string>>{
           {"ZADD", topics + "w:zebra", "3", strong_},
           {"SADD", topics + "d:" + strong_, "zebra"},
           {"ZREM", topics + "w:consent", edited_},
           {"SET", topics + "n", "40"},
           {"ZADD", initiatives + "w:consent", "3", submitted_},
           {"SADD", initiatives + "d:" + submitted_, "consent"},
           {"ZADD", posts + "w:spam", "1", hidden_id},
       }) {
    ASSERT_THAT(redis().Command(command), IsOk());
  }
  ASSERT_THAT(Names(other_, "zebra"), Contains(strong_));
  ASSERT_THAT(Names(other_, "consent"), Not(Contains(edited_)));
  const std::map<std::string, std::string> records = Records();

  const Rebuilt rebuilt = Rebuild();
  EXPECT_EQ(rebuilt.topics, 4);
  EXPECT_EQ(rebuilt.library, 2);
  EXPECT_EQ(rebuilt.posts, 5);
  EXPECT_EQ(Records(), records);
  EXPECT_EQ(IndexContents(), index);
  EXPECT_EQ(Answers(), before);
  EXPECT_THAT(Names(other_, "zebra"), IsEmpty());
}

TEST_F(SearchRebuildTest, ARebuildRacingWritesEndsWhereAQuietOneWould) {
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 20; ++i) {
      EXPECT_THAT(Retitle(member_, strong_, absl::StrCat("Consent round ", i)),
                  IsOk());
      EXPECT_THAT(Edit(other_, visible_, absl::StrCat("Prior consent ", i)),
                  IsOk());
      if (i % 5 == 0) {
        Topic(other_, "gaps", absl::StrCat("Census ", i), "Consent counts.");
        Post(member_, strong_, absl::StrCat("Enumeration ", i));
      }
    }
    EXPECT_THAT(Hide(visible_, "Enough."), IsOk());
    done = true;
  });
  int rebuilds = 0;
  while (!done || rebuilds < 3) {
    Rebuild();
    ++rebuilds;
  }
  writer.join();
  const std::map<std::string, std::string> raced = IndexContents();
  const std::map<std::string, std::string> answers = Answers();

  DeleteIndexKeys();
  const Rebuilt rebuilt = Rebuild();
  EXPECT_EQ(rebuilt.topics, 8);  // four more
  EXPECT_EQ(rebuilt.posts, 8);   // four more, visible_ hidden
  EXPECT_EQ(IndexContents(), raced);
  EXPECT_EQ(Answers(), answers);
  EXPECT_THAT(Names(other_, "consent round 19"), Contains(strong_));
  EXPECT_THAT(Names(other_, "round 18"), IsEmpty());
}

}  // namespace
}  // namespace cdc::community
