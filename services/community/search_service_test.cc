// CommunityService.Search on a seeded corpus: ranking, kinds, spaces,
// paging, bad input, and that nobody finds what they may not read.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/status_matchers.h"
#include "services/community/community_test_support.h"

namespace cdc::community {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Code = absl::StatusCode;

class SearchTest : public testing::CommunityServerTest {
 protected:
  // The corpus every test searches. "consent" is in:
  //   gaps (OPEN):       strong (title and body), title_only, body_only
  //   sensitive (INVITE_ONLY, member_ added): secret
  //   a post on `strong`, a resource, an approved initiative,
  //   a submitted (unapproved) initiative, a private message.
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
    title_only_ = Topic(other_, "gaps", "Privacy and consent",
                        "Protections for the records we keep.");
    body_only_ = Topic(member_, "gaps", "Household surveys",
                       "Participants asked about consent forms.");
    secret_ = Topic(member_, "sensitive", "Consent of minors",
                    "Sensitive cases only.");

    auto post = Comment(other_, strong_, "Prior consent is a must.");
    ASSERT_THAT(post, IsOk());
    post_ = post->name();

    v1::CreateResourceRequest resource;
    resource.mutable_resource()->set_title("Consent toolkit");
    resource.mutable_resource()->set_link("https://example.org/toolkit");
    resource.mutable_resource()->set_type(v1::Resource::TOOLKIT);
    auto shared = CallC<v1::CreateResourceRequest, v1::Resource>(
        &v1::CommunityService::Stub::CreateResource, resource, member_);
    ASSERT_THAT(shared, IsOk());
    resource_ = shared->name();

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
    auto message =
        Comment(member_, conversation->name(), "Private: consent details.");
    ASSERT_THAT(message, IsOk());
    message_ = message->name();
  }

  std::string Topic(const std::string& token, const std::string& space,
                    const std::string& title, const std::string& body) {
    auto topic = StartTopic(token, space, title, body);
    EXPECT_THAT(topic, IsOk());
    return topic.ok() ? topic->name() : "";
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

  absl::StatusOr<v1::SearchResponse> Search(
      const std::string& token, const std::string& query,
      std::vector<v1::SearchHit::Kind> kinds = {},
      const std::string& space = "", int page_size = 0,
      const std::string& page_token = "") {
    v1::SearchRequest request;
    request.set_query(query);
    for (auto kind : kinds) request.add_kinds(kind);
    request.set_space(space);
    request.set_page_size(page_size);
    request.set_page_token(page_token);
    return CallC<v1::SearchRequest, v1::SearchResponse>(
        &v1::CommunityService::Stub::Search, request, token);
  }

  // The names found, best first, or the error's text.
  std::vector<std::string> Names(const std::string& token,
                                 const std::string& query,
                                 std::vector<v1::SearchHit::Kind> kinds = {},
                                 const std::string& space = "") {
    auto found = Search(token, query, kinds, space);
    EXPECT_THAT(found, IsOk());
    std::vector<std::string> names;
    if (!found.ok()) return {found.status().ToString()};
    for (const v1::SearchHit& hit : found->hits()) names.push_back(hit.name());
    return names;
  }

  std::string strong_, title_only_, body_only_, secret_, post_, resource_,
      approved_, submitted_, message_;
};

TEST_F(SearchTest, TopicsRankByWhereTheWordsAre) {
  EXPECT_THAT(Names(other_, "consent", {v1::SearchHit::TOPIC}),
              ElementsAre(strong_, title_only_, body_only_));
  // Every word must match.
  EXPECT_THAT(Names(other_, "consent privacy", {v1::SearchHit::TOPIC}),
              ElementsAre(title_only_));
  EXPECT_THAT(Names(other_, "CONSENT Communities", {v1::SearchHit::TOPIC}),
              ElementsAre(strong_));
}

TEST_F(SearchTest, EveryKindWithTitleSnippetAndParent) {
  auto found = Search(other_, "consent");
  ASSERT_THAT(found, IsOk());
  std::vector<std::string> names;
  for (const v1::SearchHit& hit : found->hits()) {
    names.push_back(hit.name());
    if (hit.name() == post_) {
      EXPECT_EQ(hit.kind(), v1::SearchHit::POST);
      EXPECT_EQ(hit.title(), "Consent in citizen data");
      EXPECT_EQ(hit.parent(), strong_);
      EXPECT_THAT(hit.snippet(), HasSubstr("Prior consent"));
    } else if (hit.name() == resource_) {
      EXPECT_EQ(hit.kind(), v1::SearchHit::RESOURCE);
      EXPECT_EQ(hit.title(), "Consent toolkit");
    } else if (hit.name() == approved_) {
      EXPECT_EQ(hit.kind(), v1::SearchHit::INITIATIVE);
    } else if (hit.name() == strong_) {
      EXPECT_EQ(hit.kind(), v1::SearchHit::TOPIC);
      EXPECT_EQ(hit.parent(), "spaces/gaps");
      EXPECT_THAT(hit.snippet(), HasSubstr("give consent"));
    }
    EXPECT_TRUE(hit.has_update_time()) << hit.name();
  }
  EXPECT_THAT(names,
              ::testing::UnorderedElementsAre(strong_, title_only_, body_only_,
                                              post_, resource_, approved_));
  EXPECT_EQ(found->total_size(), 6);
}

TEST_F(SearchTest, NobodyFindsWhatTheyMayNotRead) {
  // The invite-only space's topic: its members and the secretariat only.
  EXPECT_THAT(Names(other_, "consent"), Not(Contains(secret_)));
  EXPECT_THAT(Names(observer_, "consent"), Not(Contains(secret_)));
  EXPECT_THAT(Names(member_, "consent"), Contains(secret_));
  EXPECT_THAT(Names(secretariat_token_, "consent"), Contains(secret_));
  // Private messages and unapproved initiatives: nobody, not even the
  // participants, the submitter or the secretariat.
  for (const std::string& token :
       {member_, other_, observer_, secretariat_token_}) {
    const std::vector<std::string> names = Names(token, "consent");
    EXPECT_THAT(names, Not(Contains(message_))) << token;
    EXPECT_THAT(names, Not(Contains(submitted_))) << token;
  }
  EXPECT_THAT(Names(member_, "private details"), IsEmpty());
  // Observers read the library and the map, not the spaces.
  EXPECT_THAT(Names(observer_, "consent"),
              ::testing::UnorderedElementsAre(resource_, approved_));
}

TEST_F(SearchTest, AHiddenPostLeavesTheResults) {
  ASSERT_THAT(Names(member_, "prior"), ElementsAre(post_));
  ASSERT_THAT(Hide(post_, "Off topic"), IsOk());
  EXPECT_THAT(Names(member_, "prior"), IsEmpty());
  ASSERT_THAT(Restore(post_, "Back"), IsOk());
  EXPECT_THAT(Names(member_, "prior"), ElementsAre(post_));
}

TEST_F(SearchTest, ASpaceNarrowsToItsTopicsAndPosts) {
  EXPECT_THAT(Names(member_, "consent", {}, "spaces/sensitive"),
              ElementsAre(secret_));
  EXPECT_THAT(Names(other_, "consent", {}, "spaces/sensitive"), IsEmpty());
  EXPECT_THAT(
      Names(other_, "consent", {}, "spaces/gaps"),
      ::testing::UnorderedElementsAre(strong_, title_only_, body_only_, post_));
}

TEST_F(SearchTest, PagesNeitherSkipNorRepeat) {
  const std::vector<std::string> all = Names(other_, "consent");
  ASSERT_EQ(all.size(), 6u);
  std::vector<std::string> paged;
  std::string token;
  do {
    auto page = Search(other_, "consent", {}, "", 4, token);
    ASSERT_THAT(page, IsOk());
    EXPECT_LE(page->hits_size(), 4);
    for (const v1::SearchHit& hit : page->hits()) paged.push_back(hit.name());
    token = page->next_page_token();
  } while (!token.empty());
  EXPECT_EQ(paged, all);
  // A token belongs to its query.
  auto first = Search(other_, "consent", {}, "", 2);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(Search(other_, "privacy", {}, "", 2, first->next_page_token()),
              StatusIs(Code::kInvalidArgument, HasSubstr("page_token")));
}

TEST_F(SearchTest, BadQueriesNameTheField) {
  EXPECT_THAT(Search(member_, ""),
              StatusIs(Code::kInvalidArgument, HasSubstr("query")));
  EXPECT_THAT(Search(member_, "the of a"),
              StatusIs(Code::kInvalidArgument, HasSubstr("query: holds no")));
  EXPECT_THAT(Search(member_, std::string(201, 'x')),
              StatusIs(Code::kInvalidArgument, HasSubstr("200")));
  std::string many;
  for (int i = 0; i < 21; ++i) absl::StrAppend(&many, "word", i, " ");
  EXPECT_THAT(Search(member_, many),
              StatusIs(Code::kInvalidArgument, HasSubstr("at most 20")));
  EXPECT_THAT(Search(member_, "consent", {static_cast<v1::SearchHit::Kind>(9)}),
              StatusIs(Code::kInvalidArgument, HasSubstr("kinds")));
  EXPECT_THAT(Search(member_, "consent", {}, "teams/x"),
              StatusIs(Code::kInvalidArgument, HasSubstr("space")));
  EXPECT_THAT(Search(member_, "consent", {}, "", 0, "garbage"),
              StatusIs(Code::kInvalidArgument, HasSubstr("page_token")));
}

}  // namespace
}  // namespace cdc::community
