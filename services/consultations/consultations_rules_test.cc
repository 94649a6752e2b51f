// cdc-consultations' rules at their edges, against a real Redis, a real
// cdc-members and a real gRPC server on loopback, with an injected clock:
// paging, history of removed sections, what observers and partners see,
// retries with request_id, stale etags, Markdown headings as keys, writers
// racing each other, the schedule keeper on two replicas, and every reason
// CheckParticipation gives.
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/crypto.h"
#include "services/common/status_matchers.h"
#include "services/consultations/consultations_test_support.h"

namespace cdc::consultations {
namespace {

using ::cdc::consultations::testing::At;
using ::cdc::consultations::testing::kDraft;
using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Code = absl::StatusCode;
using Reason = v1::CheckParticipationResponse;
using Stub = v1::ConsultationsService::Stub;

// kDraft without privacy, with roadmap.
constexpr char kRevisedDraft[] = R"md(# Importance of citizen data {#importance}
Citizen data fills gaps.

# Key principles {#principles}
Principles guide all of the work.

## Inclusion
Leave no one behind.

# Roadmap {#roadmap}
Steps for a country.
)md";

constexpr char kSixSections[] = R"md(# Importance of citizen data {#importance}
Why it matters.

# Objectives {#objectives}
What the framework is for.

## Key principles {#principles}
Inclusion, privacy, transparency.

## Types of initiatives {#initiatives}
From community surveys to sensors.

# Levels of participation {#levels}
Informing, consulting, engaging, driving.

# Roadmap {#roadmap}
Steps for a country.
)md";

// Runs fn(0) .. fn(n - 1) on n threads released together, and waits.
void RunTogether(int n, const std::function<void(int)>& fn) {
  std::latch start(n);
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      fn(i);
    });
  }
  for (std::thread& thread : threads) thread.join();
}

int CountOf(const std::vector<v1::Event::PayloadCase>& kinds,
            v1::Event::PayloadCase kind) {
  return static_cast<int>(std::count(kinds.begin(), kinds.end(), kind));
}

class ConsultationsRulesTest : public testing::ConsultationsServerTest {
 protected:
  // Created, drafted with `markdown`, one round opened now for a day.
  void OpenWith(const std::string& id, const std::string& markdown) {
    ASSERT_THAT(Create(id), IsOk());
    ASSERT_THAT(Import(id, markdown), IsOk());
    ASSERT_THAT(Open(id, absl::ZeroDuration(), absl::Hours(24)), IsOk());
  }

  absl::StatusOr<v1::Section> GetSection(const std::string& id,
                                         const std::string& key, int version,
                                         const std::string& token) {
    v1::GetSectionRequest request;
    request.set_name(absl::StrCat("consultations/", id, "/sections/", key));
    request.set_version(version);
    return Call<v1::GetSectionRequest, v1::Section>(&Stub::GetSection, request,
                                                    token);
  }

  absl::StatusOr<v1::ListSectionsResponse> ListSections(
      const v1::ListSectionsRequest& request, const std::string& token) {
    return Call<v1::ListSectionsRequest, v1::ListSectionsResponse>(
        &Stub::ListSections, request, token);
  }

  absl::StatusOr<v1::SectionDiff> Diff(const std::string& id,
                                       const std::string& key, int from, int to,
                                       const std::string& token) {
    v1::GetSectionDiffRequest request;
    request.set_name(absl::StrCat("consultations/", id, "/sections/", key));
    request.set_from_version(from);
    request.set_to_version(to);
    return Call<v1::GetSectionDiffRequest, v1::SectionDiff>(
        &Stub::GetSectionDiff, request, token);
  }

  absl::StatusOr<v1::DraftVersion> ImportAs(
      const v1::ImportDraftRequest& request) {
    return Call<v1::ImportDraftRequest, v1::DraftVersion>(
        &Stub::ImportDraft, request, secretariat_token_);
  }

  absl::StatusOr<v1::Consultation> OpenAs(const v1::OpenRoundRequest& request) {
    return Call<v1::OpenRoundRequest, v1::Consultation>(
        &Stub::OpenRound, request, secretariat_token_);
  }

  absl::StatusOr<v1::Consultation> Extend(const std::string& id,
                                          absl::Time closes_at) {
    v1::ExtendRoundRequest request;
    request.set_name(absl::StrCat("consultations/", id));
    *request.mutable_closes_at() = At(closes_at);
    return Call<v1::ExtendRoundRequest, v1::Consultation>(
        &Stub::ExtendRound, request, secretariat_token_);
  }

  // An API token the secretariat issues for the member signed in with
  // `member_token`: a partner system acting for that member.
  std::string PartnerTokenFor(const std::string& member_token) {
    v1::CreateApiTokenRequest request;
    request.set_member(member_names_[member_token]);
    request.set_display_name("Data portal");
    v1::CreateApiTokenResponse response;
    EXPECT_TRUE(
        stub_->CreateApiToken(As(secretariat_token_).get(), request, &response)
            .ok());
    return response.secret();
  }
};

// ---- ListSections paging ----

TEST_F(ConsultationsRulesTest, ListSectionsPagesThroughADraftWithoutGaps) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", kSixSections), IsOk());
  v1::ListSectionsRequest request;
  request.set_parent("consultations/cph");
  request.set_page_size(2);
  std::vector<std::string> keys;
  std::vector<int> orders;
  int pages = 0;
  do {
    auto page = ListSections(request, secretariat_token_);
    ASSERT_THAT(page, IsOk());
    EXPECT_EQ(page->sections_size(), 2);
    for (const v1::Section& s : page->sections()) {
      keys.push_back(s.key());
      orders.push_back(s.order());
      EXPECT_FALSE(s.text().empty());
    }
    request.set_page_token(page->next_page_token());
    ++pages;
  } while (!request.page_token().empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(keys, ElementsAre("importance", "objectives", "principles",
                                "initiatives", "levels", "roadmap"));
  EXPECT_THAT(orders, ElementsAre(0, 1, 2, 3, 4, 5));
}

TEST_F(ConsultationsRulesTest, ASectionsPageTokenWorksOnlyWithItsFilters) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", kSixSections), IsOk());
  v1::ListSectionsRequest request;
  request.set_parent("consultations/cph");
  request.set_page_size(2);
  auto first = ListSections(request, secretariat_token_);
  ASSERT_THAT(first, IsOk());
  ASSERT_FALSE(first->next_page_token().empty());

  v1::ListSectionsRequest other = request;
  other.set_page_token(first->next_page_token());
  other.set_headings_only(true);
  EXPECT_THAT(ListSections(other, secretariat_token_),
              StatusIs(Code::kInvalidArgument, HasSubstr("page_token")));
  other.set_headings_only(false);
  other.set_include_removed(true);
  EXPECT_THAT(ListSections(other, secretariat_token_),
              StatusIs(Code::kInvalidArgument, HasSubstr("page_token")));
  other.set_include_removed(false);
  other.set_page_token("not-a-token");
  EXPECT_THAT(ListSections(other, secretariat_token_),
              StatusIs(Code::kInvalidArgument, HasSubstr("page_token")));
  other.set_page_token("");
  other.set_page_size(-1);
  EXPECT_THAT(ListSections(other, secretariat_token_),
              StatusIs(Code::kInvalidArgument, HasSubstr("page_size")));

  // With the same filters (version 0 and 1 are the same version here) the
  // token continues where the first page ended.
  request.set_page_token(first->next_page_token());
  request.set_version(1);
  request.set_headings_only(false);
  auto second = ListSections(request, secretariat_token_);
  ASSERT_THAT(second, IsOk());
  ASSERT_EQ(second->sections_size(), 2);
  EXPECT_EQ(second->sections(0).key(), "principles");
}

TEST_F(ConsultationsRulesTest, RemovedSectionsComeLastWhenPagingWithHistory) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", kDraft), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  ASSERT_THAT(Close("cph"), IsOk());
  ASSERT_THAT(Import("cph", kRevisedDraft), IsOk());
  v1::ListSectionsRequest request;
  request.set_parent("consultations/cph");
  request.set_version(2);
  request.set_include_removed(true);
  request.set_headings_only(true);
  request.set_page_size(2);
  std::vector<std::string> keys;
  do {
    auto page = ListSections(request, secretariat_token_);
    ASSERT_THAT(page, IsOk());
    for (const v1::Section& s : page->sections()) {
      keys.push_back(s.key() + (s.removed() ? "(removed)" : ""));
      EXPECT_THAT(s.text(), IsEmpty());
    }
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty() && keys.size() < 20);
  EXPECT_THAT(keys, ElementsAre("importance", "principles", "inclusion",
                                "roadmap", "privacy(removed)"));
}

// ---- History of removed sections ----

TEST_F(ConsultationsRulesTest, ARemovedSectionKeepsItsLastTextInLaterVersions) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", kDraft), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  ASSERT_THAT(Close("cph"), IsOk());
  ASSERT_THAT(Import("cph", kRevisedDraft), IsOk());  // drops privacy
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  ASSERT_THAT(Close("cph"), IsOk());
  const std::string third =
      absl::StrCat(kRevisedDraft, "\n# Collaborative {#collaborative}\nUs.\n");
  auto v3 = Import("cph", third);
  ASSERT_THAT(v3, IsOk());
  EXPECT_EQ(v3->version(), 3);
  EXPECT_EQ(v3->removed_count(), 0);  // privacy went in version 2
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());

  auto in_one = GetSection("cph", "privacy", 1, member_);
  ASSERT_THAT(in_one, IsOk());
  EXPECT_FALSE(in_one->removed());

  auto in_two = GetSection("cph", "privacy", 2, member_);
  ASSERT_THAT(in_two, IsOk());
  EXPECT_TRUE(in_two->removed());
  EXPECT_EQ(in_two->version(), 2);
  EXPECT_EQ(in_two->change(), v1::SectionDiff::REMOVED);
  EXPECT_EQ(in_two->title(), "Privacy");
  EXPECT_EQ(in_two->text(), "Protect people.");
  EXPECT_EQ(in_two->parent_key(), "principles");

  for (int version : {3, 0}) {  // 0: the current version, 3
    auto later = GetSection("cph", "privacy", version, member_);
    ASSERT_THAT(later, IsOk());
    EXPECT_TRUE(later->removed());
    EXPECT_EQ(later->version(), 3);
    EXPECT_EQ(later->change(), v1::SectionDiff::UNCHANGED);
    EXPECT_EQ(later->title(), "Privacy");
    EXPECT_EQ(later->text(), "Protect people.");
    EXPECT_EQ(later->name(), "consultations/cph/sections/privacy");
  }
  EXPECT_THAT(GetSection("cph", "collaborative", 2, member_),
              StatusIs(Code::kNotFound));
  EXPECT_THAT(GetSection("cph", "privacy", 4, member_),
              StatusIs(Code::kNotFound));

  // A key that comes back is ADDED again, with its new text.
  ASSERT_THAT(Close("cph"), IsOk());
  auto v4 =
      Import("cph", absl::StrCat(third, "\n# Privacy {#privacy}\nNew.\n"));
  ASSERT_THAT(v4, IsOk());
  auto back = GetSection("cph", "privacy", 4, secretariat_token_);
  ASSERT_THAT(back, IsOk());
  EXPECT_FALSE(back->removed());
  EXPECT_EQ(back->change(), v1::SectionDiff::ADDED);
  EXPECT_EQ(back->text(), "New.");
  EXPECT_EQ(back->parent_key(), "");
}

// ---- Observers ----

TEST_F(ConsultationsRulesTest, ObserversReadOnlyTheVersionsOfPublishedRounds) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", kDraft), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  ASSERT_THAT(Close("cph"), IsOk());
  EXPECT_THAT(GetSection("cph", "privacy", 1, observer_),
              StatusIs(Code::kNotFound));
  ASSERT_THAT(Publish("cph"), IsOk());
  EXPECT_THAT(GetSection("cph", "privacy", 1, observer_), IsOk());

  // A revised draft, and a round on it: members read it, observers do not.
  ASSERT_THAT(Import("cph", kRevisedDraft), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  EXPECT_THAT(Get("cph", observer_), IsOk());
  EXPECT_THAT(GetSection("cph", "importance", 1, observer_), IsOk());
  EXPECT_THAT(GetSection("cph", "importance", 2, member_), IsOk());
  EXPECT_THAT(GetSection("cph", "importance", 2, observer_),
              StatusIs(Code::kNotFound));
  EXPECT_THAT(GetSection("cph", "roadmap", 2, observer_),
              StatusIs(Code::kNotFound));
  // Version 0 means the current version, 2, which is hidden from them.
  EXPECT_THAT(GetSection("cph", "importance", 0, observer_),
              StatusIs(Code::kNotFound));
  v1::ListSectionsRequest list;
  list.set_parent("consultations/cph");
  list.set_version(2);
  EXPECT_THAT(ListSections(list, observer_), StatusIs(Code::kNotFound));
  list.set_version(1);
  auto listed = ListSections(list, observer_);
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->sections_size(), 4);
  EXPECT_THAT(Diff("cph", "principles", 1, 2, observer_),
              StatusIs(Code::kNotFound));
  EXPECT_THAT(Diff("cph", "principles", 1, 2, member_), IsOk());

  // Once round 2 is published, version 2 is theirs too.
  ASSERT_THAT(Close("cph"), IsOk());
  ASSERT_THAT(Publish("cph"), IsOk());
  EXPECT_THAT(GetSection("cph", "roadmap", 2, observer_), IsOk());
  auto diff = Diff("cph", "principles", 1, 2, observer_);
  ASSERT_THAT(diff, IsOk());
  EXPECT_EQ(diff->change(), v1::SectionDiff::MODIFIED);
}

// ---- Retries with request_id, and etags ----

TEST_F(ConsultationsRulesTest,
       ImportDraftRetriedWithItsRequestIdMakesOneVersion) {
  auto created = Create("cph");
  ASSERT_THAT(created, IsOk());
  v1::ImportDraftRequest request;
  request.set_parent("consultations/cph");
  request.set_markdown(kDraft);
  request.set_request_id("import-1");
  request.set_etag(created->etag());  // made stale by the first attempt
  auto first = ImportAs(request);
  ASSERT_THAT(first, IsOk());
  auto retry = ImportAs(request);
  ASSERT_THAT(retry, IsOk());
  EXPECT_TRUE(MessageDifferencer::Equals(*first, *retry))
      << first->DebugString() << "\nvs\n"
      << retry->DebugString();
  EXPECT_EQ(Get("cph", secretariat_token_)->latest_version(), 1);

  // Four copies of the next import racing each other make one version too.
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  ASSERT_THAT(Close("cph"), IsOk());
  request.set_markdown(kRevisedDraft);
  request.set_request_id("import-2");
  request.clear_etag();
  std::vector<absl::StatusOr<v1::DraftVersion>> answers(4);
  RunTogether(4, [&](int i) { answers[i] = ImportAs(request); });
  for (const auto& answer : answers) {
    ASSERT_THAT(answer, IsOk());
    EXPECT_EQ(answer->version(), 2);
    EXPECT_TRUE(MessageDifferencer::Equals(*answer, *answers[0]));
  }
  EXPECT_EQ(Get("cph", secretariat_token_)->latest_version(), 2);
  EXPECT_EQ(CountOf(Events("cph"), v1::Event::kDraftImported), 2);
}

TEST_F(ConsultationsRulesTest, OpenRoundRetriedWithItsRequestIdOpensOneRound) {
  ASSERT_THAT(Create("cph"), IsOk());
  auto imported = Import("cph", kDraft);
  ASSERT_THAT(imported, IsOk());
  const std::string etag = Get("cph", secretariat_token_)->etag();
  v1::OpenRoundRequest request;
  request.set_name("consultations/cph");
  *request.mutable_opens_at() = At(clock_.Now());
  *request.mutable_closes_at() = At(clock_.Now() + absl::Hours(24));
  request.set_request_id("open-1");
  request.set_etag(etag);  // made stale by the first attempt
  auto first = OpenAs(request);
  ASSERT_THAT(first, IsOk());
  auto retry = OpenAs(request);
  ASSERT_THAT(retry, IsOk());
  EXPECT_EQ(retry->current_round(), 1);
  EXPECT_EQ(retry->etag(), first->etag());

  ASSERT_THAT(Close("cph"), IsOk());
  request.set_request_id("open-2");
  request.clear_etag();
  *request.mutable_opens_at() = At(clock_.Now());
  std::vector<absl::StatusOr<v1::Consultation>> answers(4);
  RunTogether(4, [&](int i) { answers[i] = OpenAs(request); });
  for (const auto& answer : answers) {
    ASSERT_THAT(answer, IsOk());
    EXPECT_EQ(answer->current_round(), 2);
    EXPECT_EQ(answer->state(), v1::Consultation::OPEN);
  }
  EXPECT_EQ(CountOf(Events("cph"), v1::Event::kRoundOpened), 2);
}

TEST_F(ConsultationsRulesTest,
       ImportDraftWithAStaleEtagIsAbortedAndWritesNothing) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", kDraft), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  auto closed = Close("cph");
  ASSERT_THAT(closed, IsOk());
  // Someone else changes the consultation after the secretariat read it.
  v1::UpdateConsultationRequest update;
  update.mutable_consultation()->set_name("consultations/cph");
  update.mutable_consultation()->set_title("Renamed");
  update.mutable_update_mask()->add_paths("title");
  ASSERT_THAT((Call<v1::UpdateConsultationRequest, v1::Consultation>(
                  &Stub::UpdateConsultation, update, secretariat_token_)),
              IsOk());
  auto before = store_c_->Get("cph");
  ASSERT_THAT(before, IsOk());
  const size_t events_before = Events("cph").size();

  v1::ImportDraftRequest request;
  request.set_parent("consultations/cph");
  request.set_markdown(kRevisedDraft);
  request.set_etag(closed->etag());
  request.set_request_id("stale");
  EXPECT_THAT(ImportAs(request), StatusIs(Code::kAborted, HasSubstr("etag")));
  request.set_validate_only(true);
  EXPECT_THAT(ImportAs(request), StatusIs(Code::kAborted, HasSubstr("etag")));

  auto after = store_c_->Get("cph");
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(*after, *before);
  EXPECT_THAT(store_c_->GetDraft("cph", 2), StatusIs(Code::kNotFound));
  EXPECT_EQ(Events("cph").size(), events_before);

  // With the etag read now the same import goes through.
  request.set_validate_only(false);
  request.set_etag(Get("cph", secretariat_token_)->etag());
  auto imported = ImportAs(request);
  ASSERT_THAT(imported, IsOk());
  EXPECT_EQ(imported->version(), 2);
}

// ---- Markdown headings through ImportDraft ----

TEST_F(ConsultationsRulesTest, CrlfAndNonAsciiHeadingsMakeStableKeys) {
  ASSERT_THAT(Create("cph"), IsOk());
  const std::string arabic = "مقدمة";  // "Introduction"
  const std::string markdown =
      absl::StrCat("# Principes clés\r\nLes principes.\r\nDeux lignes.\r\n\r\n",
                   "## Vie privée\r\nProtéger.\r\n", "# ", arabic,
                   "\r\nنص.\r\n", "# Straße und Ærø\rLone CR.\r");
  auto draft = Import("cph", markdown);
  ASSERT_THAT(draft, IsOk());
  const std::string hashed =
      absl::StrCat("s-", HexEncode(Sha256(arabic)).substr(0, 12));
  std::vector<std::string> keys, parents, texts;
  for (const v1::Section& s : draft->sections()) {
    keys.push_back(s.key());
    parents.push_back(s.parent_key());
    texts.push_back(s.text());
  }
  EXPECT_THAT(keys, ElementsAre("principes-cles", "vie-privee", hashed,
                                "strasse-und-aero"));
  EXPECT_THAT(parents, ElementsAre("", "principes-cles", "", ""));
  EXPECT_THAT(texts, ElementsAre("Les principes.\nDeux lignes.", "Protéger.",
                                 "نص.", "Lone CR."));

  auto stored = GetSection("cph", hashed, 1, secretariat_token_);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->title(), arabic);
  EXPECT_EQ(stored->line(), 7);
  auto folded = GetSection("cph", "principes-cles", 1, secretariat_token_);
  ASSERT_THAT(folded, IsOk());
  EXPECT_EQ(folded->title(), "Principes clés");

  // The same draft with LF endings is the same version's content: nothing
  // changes, so comments stay on their sections.
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  ASSERT_THAT(Close("cph"), IsOk());
  std::string lf = markdown;
  lf.erase(std::remove(lf.begin(), lf.end(), '\r'), lf.end());
  lf.insert(lf.find("# Straße") + std::string("# Straße und Ærø").size(), "\n");
  auto again = Import("cph", lf);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->version(), 2);
  EXPECT_EQ(again->added_count(), 0);
  EXPECT_EQ(again->modified_count(), 0);
  EXPECT_EQ(again->removed_count(), 0);
}

TEST_F(ConsultationsRulesTest, DeeplyNestedHeadingsNameTheirNearestParent) {
  ASSERT_THAT(Create("cph"), IsOk());
  constexpr char kNested[] = R"md(# One {#l1}
## Two {#l2}
### Three {#l3}
#### Four {#l4}
##### Five {#l5}
###### Six {#l6}
####### Seven is text, not a heading
### Back to three {#b3}
# Top again {#top}
### Jump {#jump}
)md";
  auto draft = Import("cph", kNested);
  ASSERT_THAT(draft, IsOk());
  std::vector<std::string> shape;
  for (const v1::Section& s : draft->sections()) {
    shape.push_back(absl::StrCat(s.key(), "<", s.parent_key(), ":", s.level(),
                                 "@", s.line()));
  }
  EXPECT_THAT(shape, ElementsAre("l1<:1@1", "l2<l1:2@2", "l3<l2:3@3",
                                 "l4<l3:4@4", "l5<l4:5@5", "l6<l5:6@6",
                                 "b3<l2:3@8", "top<:1@9", "jump<top:3@10"));
  EXPECT_EQ(draft->sections(5).text(), "####### Seven is text, not a heading");
  EXPECT_THAT(draft->warnings(),
              ElementsAre("line 10: heading level jumps from 1 to 3"));
  auto deepest = GetSection("cph", "l6", 0, secretariat_token_);
  ASSERT_THAT(deepest, IsOk());
  EXPECT_EQ(deepest->parent_key(), "l5");
  EXPECT_EQ(deepest->order(), 5);
}

// ---- Writers racing each other ----

TEST_F(ConsultationsRulesTest, ConcurrentExtensionsEndAtTheLatestDeadline) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", kDraft), IsOk());
  const absl::Time t0 = clock_.Now();
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  constexpr int kWriters = 8;
  // Writer i asks for 48 + ((3 i) mod 8) hours: the later deadlines are not
  // the last to start.
  auto deadline = [&](int i) {
    return t0 + absl::Hours(48 + (3 * i) % kWriters);
  };
  std::vector<absl::StatusOr<v1::Consultation>> answers(kWriters);
  RunTogether(kWriters, [&](int i) {
    // A client retries "kept changing" as the message asks.
    for (int attempt = 0; attempt < 20; ++attempt) {
      answers[i] = Extend("cph", deadline(i));
      if (!absl::IsAborted(answers[i].status())) break;
    }
  });
  int succeeded = 0;
  for (int i = 0; i < kWriters; ++i) {
    if (answers[i].ok()) {
      ++succeeded;
      EXPECT_EQ(answers[i]->closes_at().seconds(),
                absl::ToUnixSeconds(deadline(i)));
    } else {
      EXPECT_THAT(answers[i], StatusIs(Code::kInvalidArgument,
                                       HasSubstr("later than the current")));
    }
  }
  EXPECT_GE(succeeded, 1);
  auto final_state = Get("cph", secretariat_token_);
  ASSERT_THAT(final_state, IsOk());
  EXPECT_EQ(final_state->closes_at().seconds(),
            absl::ToUnixSeconds(t0 + absl::Hours(48 + kWriters - 1)));
  // One event per extension, each starting from the deadline the one
  // before it set: no extension was lost or applied twice.
  int64_t previous = absl::ToUnixSeconds(t0 + absl::Hours(24));
  int extensions = 0;
  for (const v1::Event& event : EventsOf("cph")) {
    if (!event.has_round_extended()) continue;
    ++extensions;
    EXPECT_EQ(event.round_extended().previous_closes_at().seconds(), previous);
    EXPECT_GT(event.round_extended().closes_at().seconds(), previous);
    previous = event.round_extended().closes_at().seconds();
  }
  EXPECT_EQ(extensions, succeeded);
}

TEST_F(ConsultationsRulesTest, OnlyOneOfFourRacingOpenRoundsOpensTheNextRound) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", kDraft), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  ASSERT_THAT(Close("cph"), IsOk());
  std::vector<absl::StatusOr<v1::Consultation>> answers(4);
  RunTogether(4, [&](int i) {
    answers[i] = Open("cph", absl::ZeroDuration(), absl::Hours(24 + i));
  });
  int opened = 0;
  for (const auto& answer : answers) {
    if (answer.ok()) {
      ++opened;
      EXPECT_EQ(answer->current_round(), 2);
    } else {
      EXPECT_THAT(answer, StatusIs(Code::kFailedPrecondition,
                                   HasSubstr("is OPEN; a round is already")));
    }
  }
  EXPECT_EQ(opened, 1);
  EXPECT_EQ(Get("cph", secretariat_token_)->current_round(), 2);
  EXPECT_EQ(CountOf(Events("cph"), v1::Event::kRoundOpened), 2);
}

TEST_F(ConsultationsRulesTest, ConcurrentCreatesWithOneRequestIdMakeOne) {
  v1::CreateConsultationRequest request;
  request.mutable_consultation()->set_title("Copenhagen Framework");
  request.set_request_id("create-1");
  std::vector<absl::StatusOr<v1::Consultation>> answers(4);
  RunTogether(4, [&](int i) {
    answers[i] = Call<v1::CreateConsultationRequest, v1::Consultation>(
        &Stub::CreateConsultation, request, secretariat_token_);
  });
  for (const auto& answer : answers) {
    ASSERT_THAT(answer, IsOk());
    EXPECT_EQ(answer->name(), answers[0]->name());
  }
  const std::string id = answers[0]->name().substr(strlen("consultations/"));
  EXPECT_THAT(Events(id), ElementsAre(v1::Event::kConsultationCreated));
}

// ---- The schedule keeper on two replicas ----

TEST_F(ConsultationsRulesTest, TwoReplicasKeepingTheScheduleChangeEachOnce) {
  // A second replica: its own Redis connections and store, the same Redis.
  RedisClient other_redis(redis_options());
  ConsultationsStore other_store(&other_redis, ConsultationsStore::Options{});
  ConsultationsService other(&other_store, authenticator_.get(), channel_,
                             clock_, ConsultationsServiceOptions{});
  ConsultationsService* const replicas[] = {service_c_.get(), &other};
  auto keep_schedule_on_both = [&] {
    absl::StatusOr<int> changes[2];
    RunTogether(2, [&](int i) { changes[i] = replicas[i]->KeepSchedule(); });
    EXPECT_THAT(changes[0], IsOk());
    EXPECT_THAT(changes[1], IsOk());
    return changes[0].value_or(-100) + changes[1].value_or(-100);
  };

  ASSERT_THAT(Create("draft-only"), IsOk());
  ASSERT_THAT(Create("long"), IsOk());
  ASSERT_THAT(Import("long", kDraft), IsOk());
  ASSERT_THAT(Open("long", absl::ZeroDuration(), absl::Hours(200)), IsOk());
  ASSERT_THAT(Create("soon"), IsOk());
  ASSERT_THAT(Import("soon", kDraft), IsOk());
  ASSERT_THAT(Open("soon", absl::ZeroDuration(), absl::Hours(12)), IsOk());
  ASSERT_THAT(Create("scheduled"), IsOk());
  ASSERT_THAT(Import("scheduled", kDraft), IsOk());
  ASSERT_THAT(Open("scheduled", absl::Hours(10), absl::Hours(10)), IsOk());
  ASSERT_THAT(Create("closed-early"), IsOk());
  ASSERT_THAT(Import("closed-early", kDraft), IsOk());
  ASSERT_THAT(Open("closed-early", absl::ZeroDuration(), absl::Hours(1)),
              IsOk());
  ASSERT_THAT(Close("closed-early"), IsOk());
  ASSERT_THAT(Create("published"), IsOk());
  ASSERT_THAT(Import("published", kDraft), IsOk());
  ASSERT_THAT(Open("published", absl::ZeroDuration(), absl::Hours(1)), IsOk());
  ASSERT_THAT(Close("published"), IsOk());
  ASSERT_THAT(Publish("published"), IsOk());
  constexpr int kEnding = 10;  // rounds of an hour, for the replicas to race
  for (int i = 0; i < kEnding; ++i) {
    const std::string id = absl::StrCat("ends-", i);
    ASSERT_THAT(Create(id), IsOk());
    ASSERT_THAT(Import(id, kDraft), IsOk());
    ASSERT_THAT(Open(id, absl::ZeroDuration(), absl::Hours(1)), IsOk());
  }

  // Two hours on: the hour-long rounds end, "soon" has 10 hours left.
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(keep_schedule_on_both(), kEnding + 1);
  EXPECT_EQ(keep_schedule_on_both(), 0);
  for (int i = 0; i < kEnding; ++i) {
    const std::string id = absl::StrCat("ends-", i);
    EXPECT_EQ(CountOf(Events(id), v1::Event::kRoundClosed), 1) << id;
    EXPECT_EQ(CountOf(Events(id), v1::Event::kRoundClosingSoon), 0) << id;
  }
  EXPECT_EQ(CountOf(Events("soon"), v1::Event::kRoundClosingSoon), 1);
  EXPECT_THAT(Events("draft-only"),
              ElementsAre(v1::Event::kConsultationCreated));
  EXPECT_EQ(CountOf(Events("closed-early"), v1::Event::kRoundClosed), 1);
  EXPECT_EQ(Events("published").back(), v1::Event::kRecordPublished);
  EXPECT_EQ(Events("long").back(), v1::Event::kRoundOpened);
  EXPECT_EQ(Events("scheduled").back(), v1::Event::kRoundOpened);

  // Twelve hours on: "soon" ends; "scheduled" opened at 10 h and ends at 20.
  clock_.Advance(absl::Hours(10));
  EXPECT_EQ(keep_schedule_on_both(), 2);
  EXPECT_EQ(keep_schedule_on_both(), 0);
  EXPECT_THAT(
      Events("soon"),
      ElementsAre(v1::Event::kConsultationCreated, v1::Event::kDraftImported,
                  v1::Event::kRoundOpened, v1::Event::kRoundClosingSoon,
                  v1::Event::kRoundClosed));
  EXPECT_THAT(
      Events("scheduled"),
      ElementsAre(v1::Event::kConsultationCreated, v1::Event::kDraftImported,
                  v1::Event::kRoundOpened, v1::Event::kRoundClosingSoon));
  EXPECT_EQ(Events("long").back(), v1::Event::kRoundOpened);
  EXPECT_EQ(Get("soon", secretariat_token_)->state(), v1::Consultation::CLOSED);
}

// ---- Rounds closed by time, written down by the next transition ----

TEST_F(ConsultationsRulesTest, ARoundEndedByTimeIsAnnouncedWhenReopenedFirst) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", kDraft), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  clock_.Advance(absl::Hours(25));
  // No keeper has run; the secretariat opens the next round on what it saw.
  auto seen = Get("cph", secretariat_token_);
  ASSERT_THAT(seen, IsOk());
  EXPECT_EQ(seen->state(), v1::Consultation::CLOSED);
  v1::OpenRoundRequest request;
  request.set_name("consultations/cph");
  *request.mutable_closes_at() = At(clock_.Now() + absl::Hours(100));
  request.set_etag(seen->etag());
  auto reopened = OpenAs(request);
  ASSERT_THAT(reopened, IsOk());
  EXPECT_EQ(reopened->current_round(), 2);
  EXPECT_FALSE(reopened->rounds(0).closed_early());
  std::vector<std::string> rounds;
  for (const v1::Event& event : EventsOf("cph")) {
    if (event.has_round_opened()) {
      rounds.push_back(absl::StrCat("opened ", event.round_opened().round()));
    }
    if (event.has_round_closed()) {
      rounds.push_back(absl::StrCat("closed ", event.round_closed().round()));
      EXPECT_FALSE(event.round_closed().closed_early());
      EXPECT_EQ(event.round_closed().close_time().seconds(),
                reopened->rounds(0).closes_at().seconds());
    }
  }
  EXPECT_THAT(rounds, ElementsAre("opened 1", "closed 1", "opened 2"));
  EXPECT_EQ(*service_c_->KeepSchedule(), 0);
}

TEST_F(ConsultationsRulesTest, PublishingARoundEndedByTimeAnnouncesTheClose) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", kDraft), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  clock_.Advance(absl::Hours(25));
  ASSERT_THAT(Publish("cph"), IsOk());
  EXPECT_THAT(
      Events("cph"),
      ElementsAre(v1::Event::kConsultationCreated, v1::Event::kDraftImported,
                  v1::Event::kRoundOpened, v1::Event::kRoundClosed,
                  v1::Event::kRecordPublished));
  EXPECT_EQ(*service_c_->KeepSchedule(), 0);
}

// ---- CheckParticipation's reasons ----

TEST_F(ConsultationsRulesTest,
       InactiveMembersNamedByTheSecretariatMayNotComment) {
  OpenWith("cph", kDraft);
  // Suspended: their own token stops working, so only the secretariat,
  // naming them, can hear the reason.
  v1::SuspendMemberRequest suspend;
  suspend.set_name(member_names_[member_]);
  suspend.set_reason("Under review");
  v1::Member suspended;
  ASSERT_TRUE(
      stub_->SuspendMember(As(secretariat_token_).get(), suspend, &suspended)
          .ok());
  EXPECT_THAT(Check("consultations/cph", member_),
              StatusIs(Code::kUnauthenticated));
  auto answer = Check("consultations/cph/sections/privacy", secretariat_token_,
                      member_names_[member_]);
  ASSERT_THAT(answer, IsOk());
  EXPECT_FALSE(answer->may_comment());
  EXPECT_EQ(answer->reason(), Reason::MEMBER_NOT_ACTIVE);
  EXPECT_EQ(answer->section().key(), "privacy");

  // An applicant not yet approved is not active either.
  v1::ApplyForMembershipRequest apply;
  apply.mutable_member()->set_email("pending@example.org");
  apply.mutable_member()->set_display_name("Pending");
  apply.mutable_member()->set_organisation("Org");
  apply.mutable_member()->set_organisation_type(
      v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
  apply.mutable_member()->set_country("KEN");
  apply.mutable_member()->add_languages("en");
  apply.set_password("correct horse battery staple");
  v1::Member pending;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->ApplyForMembership(&context, apply, &pending).ok());
  answer = Check("consultations/cph", secretariat_token_, pending.name());
  ASSERT_THAT(answer, IsOk());
  EXPECT_EQ(answer->reason(), Reason::MEMBER_NOT_ACTIVE);
  EXPECT_THAT(Check("consultations/cph", secretariat_token_,
                    "members/0000000000000000"),
              StatusIs(Code::kNotFound));
}

TEST_F(ConsultationsRulesTest, ObserversMayNotCommentWhenARoundReopens) {
  OpenWith("cph", kDraft);
  ASSERT_THAT(Close("cph"), IsOk());
  ASSERT_THAT(Publish("cph"), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  for (const std::string& target :
       {std::string("consultations/cph"),
        std::string("consultations/cph/sections/privacy")}) {
    auto own = Check(target, observer_);
    ASSERT_THAT(own, IsOk()) << target;
    EXPECT_TRUE(own->may_read());
    EXPECT_FALSE(own->may_comment());
    EXPECT_EQ(own->reason(), Reason::ROLE_MAY_NOT_COMMENT);
    EXPECT_EQ(own->state(), v1::Consultation::OPEN);
    EXPECT_EQ(own->round(), 2);
    auto named = Check(target, secretariat_token_, member_names_[observer_]);
    ASSERT_THAT(named, IsOk());
    EXPECT_EQ(named->reason(), Reason::ROLE_MAY_NOT_COMMENT);
  }
  auto member = Check("consultations/cph", member_);
  ASSERT_THAT(member, IsOk());
  EXPECT_TRUE(member->may_comment());
}

TEST_F(ConsultationsRulesTest, ARemovedSectionTakesNoComments) {
  OpenWith("cph", kDraft);
  ASSERT_THAT(Close("cph"), IsOk());
  ASSERT_THAT(Import("cph", kRevisedDraft), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  auto removed = Check("consultations/cph/sections/privacy", member_);
  ASSERT_THAT(removed, IsOk());
  EXPECT_TRUE(removed->may_read());
  EXPECT_FALSE(removed->may_comment());
  EXPECT_EQ(removed->reason(), Reason::SECTION_REMOVED);
  EXPECT_TRUE(removed->section().removed());
  EXPECT_EQ(removed->section().text(), "Protect people.");
  EXPECT_EQ(removed->draft_version(), 2);
  for (const char* key : {"roadmap", "importance"}) {
    auto present =
        Check(absl::StrCat("consultations/cph/sections/", key), member_);
    ASSERT_THAT(present, IsOk());
    EXPECT_TRUE(present->may_comment()) << key << ": " << present->message();
  }
  // Even the secretariat may not comment on what is no longer in the draft.
  auto secretariat =
      Check("consultations/cph/sections/privacy", secretariat_token_);
  ASSERT_THAT(secretariat, IsOk());
  EXPECT_EQ(secretariat->reason(), Reason::SECTION_REMOVED);
}

// ---- Partners ----

TEST_F(ConsultationsRulesTest,
       PartnerTokensAreJudgedByTheirMembersOrganisation) {
  v1::CreateConsultationRequest create;
  create.set_consultation_id("cph");
  create.mutable_consultation()->set_title("For Kenya's civil society");
  create.mutable_consultation()->mutable_audience()->add_countries("KEN");
  create.mutable_consultation()->mutable_audience()->add_organisation_types(
      v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
  ASSERT_THAT((Call<v1::CreateConsultationRequest, v1::Consultation>(
                  &Stub::CreateConsultation, create, secretariat_token_)),
              IsOk());
  ASSERT_THAT(Import("cph", kDraft), IsOk());
  const std::string kenyan = PartnerTokenFor(member_);
  const std::string french = PartnerTokenFor(
      NewMember("fr@example.org", "FRA", v1::ORGANISATION_TYPE_CIVIL_SOCIETY,
                v1::ROLE_MEMBER));
  const std::string academic = PartnerTokenFor(
      NewMember("ac@example.org", "KEN", v1::ORGANISATION_TYPE_ACADEMIA,
                v1::ROLE_MEMBER));

  // Partners, like members, do not see drafts, nor run consultations.
  EXPECT_THAT(Get("cph", kenyan), StatusIs(Code::kNotFound));
  EXPECT_THAT(Check("consultations/cph", kenyan), StatusIs(Code::kNotFound));
  EXPECT_THAT(Create("theirs", kenyan), StatusIs(Code::kPermissionDenied));

  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  auto in = Check("consultations/cph/sections/privacy", kenyan);
  ASSERT_THAT(in, IsOk());
  EXPECT_TRUE(in->may_comment()) << in->message();
  for (const std::string& outside : {french, academic}) {
    auto out = Check("consultations/cph/sections/privacy", outside);
    ASSERT_THAT(out, IsOk());
    EXPECT_TRUE(out->may_read());
    EXPECT_FALSE(out->may_comment());
    EXPECT_EQ(out->reason(), Reason::NOT_IN_AUDIENCE);
  }
  EXPECT_THAT(GetSection("cph", "privacy", 0, french), IsOk());
  EXPECT_THAT(
      Transition<v1::CloseRoundRequest>(&Stub::CloseRound, "cph", kenyan),
      StatusIs(Code::kPermissionDenied));
}

}  // namespace
}  // namespace cdc::consultations
