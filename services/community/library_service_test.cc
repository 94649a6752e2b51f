// The resource library and the initiative map, against a real cdc-community
// (and the real cdc-members, cdc-comments and Redis around it), and the
// SDG regions table.
#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/countries.h"
#include "services/common/word_index.h"
#include "services/community/community_test_support.h"
#include "services/community/library_store.h"
#include "services/community/regions.h"

namespace cdc::community {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Stub = v1::CommunityService::Stub;

MATCHER_P(IsOkAndHolds, inner, "is OK and holds a value that matches") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(inner, *arg, result_listener);
}

// ---- Regions ----

TEST(RegionOfCountryTest, FollowsTheSdgRegionalGroupings) {
  EXPECT_EQ(RegionOfCountry("KEN"), v1::Initiative::SUB_SAHARAN_AFRICA);
  EXPECT_EQ(RegionOfCountry("NGA"), v1::Initiative::SUB_SAHARAN_AFRICA);
  EXPECT_EQ(RegionOfCountry("ZAF"), v1::Initiative::SUB_SAHARAN_AFRICA);
  EXPECT_EQ(RegionOfCountry("SSD"), v1::Initiative::SUB_SAHARAN_AFRICA);
  EXPECT_EQ(RegionOfCountry("EGY"),
            v1::Initiative::NORTHERN_AFRICA_AND_WESTERN_ASIA);
  EXPECT_EQ(RegionOfCountry("SDN"),
            v1::Initiative::NORTHERN_AFRICA_AND_WESTERN_ASIA);
  EXPECT_EQ(RegionOfCountry("TUR"),
            v1::Initiative::NORTHERN_AFRICA_AND_WESTERN_ASIA);
  EXPECT_EQ(RegionOfCountry("PSE"),
            v1::Initiative::NORTHERN_AFRICA_AND_WESTERN_ASIA);
  EXPECT_EQ(RegionOfCountry("IND"), v1::Initiative::CENTRAL_AND_SOUTHERN_ASIA);
  EXPECT_EQ(RegionOfCountry("KAZ"), v1::Initiative::CENTRAL_AND_SOUTHERN_ASIA);
  EXPECT_EQ(RegionOfCountry("IRN"), v1::Initiative::CENTRAL_AND_SOUTHERN_ASIA);
  EXPECT_EQ(RegionOfCountry("CHN"),
            v1::Initiative::EASTERN_AND_SOUTH_EASTERN_ASIA);
  EXPECT_EQ(RegionOfCountry("IDN"),
            v1::Initiative::EASTERN_AND_SOUTH_EASTERN_ASIA);
  EXPECT_EQ(RegionOfCountry("TLS"),
            v1::Initiative::EASTERN_AND_SOUTH_EASTERN_ASIA);
  EXPECT_EQ(RegionOfCountry("BRA"),
            v1::Initiative::LATIN_AMERICA_AND_THE_CARIBBEAN);
  EXPECT_EQ(RegionOfCountry("MEX"),
            v1::Initiative::LATIN_AMERICA_AND_THE_CARIBBEAN);
  EXPECT_EQ(RegionOfCountry("HTI"),
            v1::Initiative::LATIN_AMERICA_AND_THE_CARIBBEAN);
  EXPECT_EQ(RegionOfCountry("FJI"), v1::Initiative::OCEANIA);
  EXPECT_EQ(RegionOfCountry("PNG"), v1::Initiative::OCEANIA);
  EXPECT_EQ(RegionOfCountry("AUS"), v1::Initiative::AUSTRALIA_AND_NEW_ZEALAND);
  EXPECT_EQ(RegionOfCountry("NZL"), v1::Initiative::AUSTRALIA_AND_NEW_ZEALAND);
  EXPECT_EQ(RegionOfCountry("USA"),
            v1::Initiative::EUROPE_AND_NORTHERN_AMERICA);
  EXPECT_EQ(RegionOfCountry("CAN"),
            v1::Initiative::EUROPE_AND_NORTHERN_AMERICA);
  EXPECT_EQ(RegionOfCountry("FRA"),
            v1::Initiative::EUROPE_AND_NORTHERN_AMERICA);
  EXPECT_EQ(RegionOfCountry("RUS"),
            v1::Initiative::EUROPE_AND_NORTHERN_AMERICA);
  EXPECT_EQ(RegionOfCountry("CYP"),
            v1::Initiative::NORTHERN_AFRICA_AND_WESTERN_ASIA);
}

TEST(RegionOfCountryTest, EveryAcceptedCountryButAntarcticaHasARegion) {
  std::vector<std::string> without;
  int accepted = 0;
  for (char a = 'A'; a <= 'Z'; ++a) {
    for (char b = 'A'; b <= 'Z'; ++b) {
      for (char c = 'A'; c <= 'Z'; ++c) {
        const std::string code = {a, b, c};
        if (!IsCountryCode(code)) {
          EXPECT_EQ(RegionOfCountry(code), v1::Initiative::REGION_UNSPECIFIED)
              << code;
          continue;
        }
        ++accepted;
        if (RegionOfCountry(code) == v1::Initiative::REGION_UNSPECIFIED) {
          without.push_back(code);
        }
      }
    }
  }
  EXPECT_EQ(accepted, 249);
  EXPECT_THAT(without, ElementsAre("ATA"));
}

TEST(RegionOfCountryTest, UnknownAndLowerCaseCodesHaveNone) {
  EXPECT_EQ(RegionOfCountry("ken"), v1::Initiative::REGION_UNSPECIFIED);
  EXPECT_EQ(RegionOfCountry(""), v1::Initiative::REGION_UNSPECIFIED);
  EXPECT_EQ(RegionOfCountry("KENYA"), v1::Initiative::REGION_UNSPECIFIED);
}

// ---- The service ----

struct ResourceSpec {
  v1::Resource::Type type;
  std::vector<std::string> countries;
  std::vector<std::string> languages;
  std::vector<int> goals;
  std::vector<std::string> tags;
};

v1::Resource MakeResource(const std::string& title, const ResourceSpec& s) {
  v1::Resource r;
  r.set_title(title);
  r.set_summary(absl::StrCat("About ", title, "."));
  r.set_link("https://example.org/library/guide?id=1#top");
  r.set_type(s.type);
  for (const auto& c : s.countries) r.add_countries(c);
  for (const auto& l : s.languages) r.add_languages(l);
  for (int g : s.goals) r.add_sdg_goals(g);
  for (const auto& t : s.tags) r.add_tags(t);
  return r;
}

struct InitiativeSpec {
  std::string display_name;
  std::vector<std::string> countries;
  v1::OrganisationType type;
  v1::ParticipationLevel level;
  std::vector<int> goals;
  v1::Initiative::Status status;
};

v1::Initiative MakeInitiative(const InitiativeSpec& s) {
  v1::Initiative i;
  i.set_display_name(s.display_name);
  i.set_description(absl::StrCat(s.display_name, " gathers citizen data."));
  i.set_lead_organisation(absl::StrCat(s.display_name, " Trust"));
  i.set_lead_organisation_type(s.type);
  i.add_partners("Open Data Network");
  for (const auto& c : s.countries) i.add_countries(c);
  for (int g : s.goals) i.add_sdg_goals(g);
  i.set_participation_level(s.level);
  i.add_data_topics("water quality");
  i.set_status(s.status);
  i.add_links("https://example.org/initiative");
  return i;
}

class LibraryTest : public testing::CommunityServerTest {
 protected:
  absl::StatusOr<v1::Resource> Share(const std::string& token,
                                     const v1::Resource& resource,
                                     const std::string& request_id = "") {
    v1::CreateResourceRequest request;
    *request.mutable_resource() = resource;
    request.set_request_id(request_id);
    return CallC<v1::CreateResourceRequest, v1::Resource>(&Stub::CreateResource,
                                                          request, token);
  }

  absl::StatusOr<v1::Resource> GetR(const std::string& token,
                                    const std::string& name) {
    v1::GetResourceRequest request;
    request.set_name(name);
    return CallC<v1::GetResourceRequest, v1::Resource>(&Stub::GetResource,
                                                       request, token);
  }

  absl::StatusOr<v1::ListResourcesResponse> ListR(
      const std::string& token, const v1::ListResourcesRequest& request) {
    return CallC<v1::ListResourcesRequest, v1::ListResourcesResponse>(
        &Stub::ListResources, request, token);
  }

  // Every resource `request` lists, all pages, checking that no name
  // repeats.
  std::vector<std::string> AllR(v1::ListResourcesRequest request,
                                const std::string& token = "") {
    std::vector<std::string> names;
    do {
      auto page = ListR(token.empty() ? member_ : token, request);
      EXPECT_THAT(page, IsOk());
      if (!page.ok()) break;
      for (const v1::Resource& r : page->resources()) names.push_back(r.name());
      request.set_page_token(page->next_page_token());
    } while (!request.page_token().empty());
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(),
              names.size());
    return names;
  }

  absl::StatusOr<v1::Resource> Endorse(const std::string& token,
                                       const std::string& name, bool endorse) {
    if (endorse) {
      v1::EndorseResourceRequest request;
      request.set_name(name);
      return CallC<v1::EndorseResourceRequest, v1::Resource>(
          &Stub::EndorseResource, request, token);
    }
    v1::UnendorseResourceRequest request;
    request.set_name(name);
    return CallC<v1::UnendorseResourceRequest, v1::Resource>(
        &Stub::UnendorseResource, request, token);
  }

  absl::StatusOr<v1::Resource> UpdateR(const std::string& token,
                                       const v1::Resource& resource,
                                       const std::vector<std::string>& paths) {
    v1::UpdateResourceRequest request;
    *request.mutable_resource() = resource;
    for (const auto& p : paths) request.mutable_update_mask()->add_paths(p);
    return CallC<v1::UpdateResourceRequest, v1::Resource>(&Stub::UpdateResource,
                                                          request, token);
  }

  absl::Status DeleteR(const std::string& token, const std::string& name,
                       const std::string& etag = "") {
    v1::DeleteResourceRequest request;
    request.set_name(name);
    request.set_etag(etag);
    return CallC<v1::DeleteResourceRequest, google::protobuf::Empty>(
               &Stub::DeleteResource, request, token)
        .status();
  }

  absl::StatusOr<v1::Initiative> Register(const std::string& token,
                                          const v1::Initiative& initiative,
                                          const std::string& request_id = "") {
    v1::CreateInitiativeRequest request;
    *request.mutable_initiative() = initiative;
    request.set_request_id(request_id);
    return CallC<v1::CreateInitiativeRequest, v1::Initiative>(
        &Stub::CreateInitiative, request, token);
  }

  absl::StatusOr<v1::Initiative> GetI(const std::string& token,
                                      const std::string& name) {
    v1::GetInitiativeRequest request;
    request.set_name(name);
    return CallC<v1::GetInitiativeRequest, v1::Initiative>(&Stub::GetInitiative,
                                                           request, token);
  }

  // Every initiative the filter lists for `token`, all pages.
  std::vector<std::string> AllI(const std::string& token,
                                const v1::InitiativeFilter& filter,
                                int page_size = 0) {
    v1::ListInitiativesRequest request;
    *request.mutable_filter() = filter;
    request.set_page_size(page_size);
    std::vector<std::string> names;
    do {
      auto page =
          CallC<v1::ListInitiativesRequest, v1::ListInitiativesResponse>(
              &Stub::ListInitiatives, request, token);
      EXPECT_THAT(page, IsOk());
      if (!page.ok()) break;
      for (const auto& i : page->initiatives()) names.push_back(i.name());
      request.set_page_token(page->next_page_token());
    } while (!request.page_token().empty());
    return names;
  }

  absl::StatusOr<v1::Initiative> Approve(const std::string& name,
                                         const std::string& note = "",
                                         const std::string& etag = "",
                                         const std::string& token = "") {
    v1::ApproveInitiativeRequest request;
    request.set_name(name);
    request.set_note(note);
    request.set_etag(etag);
    return CallC<v1::ApproveInitiativeRequest, v1::Initiative>(
        &Stub::ApproveInitiative, request,
        token.empty() ? secretariat_token_ : token);
  }

  absl::StatusOr<v1::Initiative> Return(const std::string& name,
                                        const std::string& note,
                                        const std::string& token = "") {
    v1::ReturnInitiativeRequest request;
    request.set_name(name);
    request.set_note(note);
    return CallC<v1::ReturnInitiativeRequest, v1::Initiative>(
        &Stub::ReturnInitiative, request,
        token.empty() ? secretariat_token_ : token);
  }

  absl::StatusOr<v1::Initiative> UpdateI(
      const std::string& token, const v1::Initiative& initiative,
      const std::vector<std::string>& paths) {
    v1::UpdateInitiativeRequest request;
    *request.mutable_initiative() = initiative;
    for (const auto& p : paths) request.mutable_update_mask()->add_paths(p);
    return CallC<v1::UpdateInitiativeRequest, v1::Initiative>(
        &Stub::UpdateInitiative, request, token);
  }

  absl::StatusOr<v1::CountInitiativesByCountryResponse> Count(
      const std::string& token, const v1::InitiativeFilter& filter) {
    v1::CountInitiativesByCountryRequest request;
    *request.mutable_filter() = filter;
    return CallC<v1::CountInitiativesByCountryRequest,
                 v1::CountInitiativesByCountryResponse>(
        &Stub::CountInitiativesByCountry, request, token);
  }

  absl::StatusOr<std::vector<std::string>> Export(
      const std::string& token, const v1::InitiativeFilter& filter) {
    v1::ExportInitiativesRequest request;
    *request.mutable_filter() = filter;
    auto context = As(token);
    auto reader = cm_->ExportInitiatives(context.get(), request);
    std::vector<std::string> names;
    v1::Initiative initiative;
    while (reader->Read(&initiative)) names.push_back(initiative.name());
    grpc::Status status = reader->Finish();
    if (!status.ok()) return FromGrpcStatus(status);
    return names;
  }

  // The events of a payload kind in the stream of `shard`.
  std::vector<v1::Event> EventsOfKind(int shard, v1::Event::PayloadCase kind) {
    std::vector<v1::Event> out;
    for (v1::Event& e : StreamEvents(shard)) {
      if (e.payload_case() == kind) out.push_back(std::move(e));
    }
    return out;
  }

  // The names found by a word search of the library's store.
  std::vector<std::string> Found(const std::string& query, bool resources) {
    auto words = QueryWords("query", query);
    EXPECT_THAT(words, IsOk());
    if (!words.ok()) return {};
    auto hits = resources ? library_store_->SearchResources(*words, 50)
                          : library_store_->SearchInitiatives(*words, 50);
    EXPECT_THAT(hits, IsOk());
    std::vector<std::string> names;
    if (hits.ok()) {
      for (const LibraryHit& hit : hits->first) names.push_back(hit.name);
    }
    return names;
  }

  // The twelve resources of the filter tests, shared one second apart by
  // member_ (A), other_ (B) and the secretariat (S), in index order.
  std::vector<std::string> SeedResources() {
    const std::string& a = member_;
    const std::string& b = other_;
    const std::string& s = secretariat_token_;
    using T = v1::Resource;
    const std::vector<std::pair<std::string, ResourceSpec>> seed = {
        {a, {T::GUIDELINE, {"KEN"}, {"en"}, {5}, {"Gender"}}},
        {a,
         {T::GUIDELINE,
          {"KEN", "UGA"},
          {"en", "sw"},
          {5, 16},
          {"gender", "survey"}}},
        {b, {T::TOOLKIT, {"BRA"}, {"pt"}, {1}, {"survey"}}},
        {b, {T::TOOLKIT, {}, {"en"}, {}, {}}},
        {a, {T::CASE_STUDY, {"KEN"}, {"en"}, {3}, {"health"}}},
        {b,
         {T::CASE_STUDY,
          {"BRA", "ARG"},
          {"es", "pt"},
          {3, 5},
          {"health", "gender"}}},
        {s, {T::DATASET, {"FRA"}, {"fr"}, {16}, {}}},
        {s, {T::DATASET, {"KEN"}, {"en", "fr"}, {1, 16}, {"survey"}}},
        {a, {T::TRAINING, {}, {"en", "fr"}, {17}, {"training"}}},
        {b, {T::TRAINING, {"UGA"}, {"en"}, {17}, {"training", "survey"}}},
        {a, {T::OTHER, {"KEN"}, {"sw"}, {5}, {"gender"}}},
        {s, {T::GUIDELINE, {"FRA", "KEN"}, {"fr-CA"}, {16, 17}, {}}},
    };
    std::vector<std::string> names;
    for (size_t i = 0; i < seed.size(); ++i) {
      clock_.Advance(absl::Seconds(1));
      auto r = Share(seed[i].first, MakeResource(absl::StrCat("Resource ", i),
                                                 seed[i].second));
      EXPECT_THAT(r, IsOk());
      names.push_back(r.ok() ? r->name() : "");
    }
    return names;
  }

  // The names of `seed` at `indexes`, in that order.
  static std::vector<std::string> Pick(const std::vector<std::string>& seed,
                                       const std::vector<int>& indexes) {
    std::vector<std::string> out;
    for (int i : indexes) out.push_back(seed[i]);
    return out;
  }
};

TEST_F(LibraryTest, SharedResourceReadsBackForEveryRole) {
  v1::Resource in =
      MakeResource("Guide to citizen surveys", {v1::Resource::GUIDELINE,
                                                {"KEN", "UGA"},
                                                {"en", "sw"},
                                                {5, 16},
                                                {"Gender", "survey-design"}});
  auto shared = Share(member_, in);
  ASSERT_THAT(shared, IsOk());
  EXPECT_THAT(shared->name(), HasSubstr("resources/"));
  EXPECT_EQ(shared->title(), in.title());
  EXPECT_EQ(shared->summary(), in.summary());
  EXPECT_EQ(shared->link(), in.link());
  EXPECT_EQ(shared->type(), v1::Resource::GUIDELINE);
  EXPECT_THAT(shared->countries(), ElementsAre("KEN", "UGA"));
  EXPECT_THAT(shared->languages(), ElementsAre("en", "sw"));
  EXPECT_THAT(shared->sdg_goals(), ElementsAre(5, 16));
  EXPECT_THAT(shared->tags(), ElementsAre("gender", "survey-design"));
  EXPECT_EQ(shared->shared_by(), NameOf(member_));
  EXPECT_EQ(shared->shared_by_display_name(), "amina@example.org");
  EXPECT_EQ(shared->endorsement_count(), 0);
  EXPECT_EQ(shared->comment_count(), 0);
  EXPECT_FALSE(shared->etag().empty());
  EXPECT_TRUE(shared->has_create_time());

  for (const std::string& token :
       {member_, other_, observer_, secretariat_token_}) {
    auto got = GetR(token, shared->name());
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(got->SerializeAsString(), shared->SerializeAsString());
    EXPECT_THAT(AllR({}, token), ElementsAre(shared->name()));
  }
  EXPECT_THAT(GetR("", shared->name()),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(
      GetR(member_, "resources/nope"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("resources/nope")));

  auto events =
      EventsOfKind(LibraryStore::ResourcesShard(), v1::Event::kResourceShared);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].resource_shared().resource(), shared->name());
  EXPECT_EQ(events[0].resource_shared().shared_by(), NameOf(member_));
  EXPECT_EQ(events[0].resource_shared().type(), v1::Resource::GUIDELINE);
  EXPECT_EQ(events[0].actor(), NameOf(member_));
}

TEST_F(LibraryTest, PartnersShareAndObserversMayNot) {
  const v1::Resource in =
      MakeResource("Toolkit", {v1::Resource::TOOLKIT, {}, {}, {}, {}});
  auto partner = Share(NewPartner(other_), in);
  ASSERT_THAT(partner, IsOk());
  EXPECT_EQ(partner->shared_by(), NameOf(other_));
  EXPECT_THAT(Share(observer_, in),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(AllR({}), ElementsAre(partner->name()));
}

TEST_F(LibraryTest, ARepeatedRequestIdReturnsTheFirstResource) {
  const v1::Resource in =
      MakeResource("Dataset", {v1::Resource::DATASET, {}, {}, {}, {}});
  auto first = Share(member_, in, "req-1");
  auto again = Share(member_, in, "req-1");
  auto other = Share(other_, in, "req-1");
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(again, IsOk());
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(again->name(), first->name());
  EXPECT_NE(other->name(), first->name());
  EXPECT_EQ(AllR({}).size(), 2u);
  EXPECT_EQ(
      EventsOfKind(LibraryStore::ResourcesShard(), v1::Event::kResourceShared)
          .size(),
      2u);
  EXPECT_THAT(
      Share(member_, in, "bad id with spaces"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request_id")));
}

TEST_F(LibraryTest, BadResourcesAreRefusedNamingTheFieldAndLeaveNothing) {
  const auto base = [] {
    return MakeResource(
        "Fine", {v1::Resource::GUIDELINE, {"KEN"}, {"en"}, {5}, {"ok"}});
  };
  struct Case {
    std::function<void(v1::Resource*)> change;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](v1::Resource* r) { r->set_link("javascript:alert(1)"); },
       "resource.link: must be an absolute http or https URL"},
      {[](v1::Resource* r) { r->set_link("ftp://example.org/file"); },
       "resource.link: must be an absolute http or https URL"},
      {[](v1::Resource* r) { r->set_link("/library/guide"); },
       "resource.link: must be an absolute http or https URL"},
      {[](v1::Resource* r) { r->set_link("https://exa mple.org/"); },
       "resource.link: must not contain spaces"},
      {[](v1::Resource* r) { r->set_link("https:///path"); }, "resource.link"},
      {[](v1::Resource* r) { r->set_link("https://me@example.org/"); },
       "resource.link: must not carry a user name"},
      {[](v1::Resource* r) { r->set_link("http://example.org:99999/"); },
       "resource.link"},
      {[](v1::Resource* r) { r->clear_link(); }, "resource.link: is required"},
      {[](v1::Resource* r) {
         r->set_link("https://example.org/" + std::string(2040, 'a'));
       },
       "resource.link: must be at most 2048 characters"},
      {[](v1::Resource* r) { r->clear_title(); },
       "resource.title: is required"},
      {[](v1::Resource* r) { r->set_title(std::string(201, 'x')); },
       "resource.title: must be at most 200 characters"},
      {[](v1::Resource* r) { r->set_summary(std::string(2001, 'x')); },
       "resource.summary: must be at most 2000 characters"},
      {[](v1::Resource* r) { r->clear_type(); }, "resource.type: is required"},
      {[](v1::Resource* r) {
         r->set_type(static_cast<v1::Resource::Type>(42));
       },
       "resource.type: has no value 42"},
      {[](v1::Resource* r) { r->add_countries("XXX"); },
       "resource.countries[1]: must be an ISO 3166-1 alpha-3"},
      {[](v1::Resource* r) { r->add_countries("KEN"); },
       "resource.countries[1]: repeats"},
      {[](v1::Resource* r) {
         for (int i = 0; i < 50; ++i) r->add_countries("FRA");
       },
       "resource.countries: holds at most 50 countries (got 51)"},
      {[](v1::Resource* r) { r->add_languages("english!"); },
       "resource.languages[1]: must be a BCP 47 language tag"},
      {[](v1::Resource* r) { r->add_sdg_goals(18); },
       "resource.sdg_goals[1]: must be an SDG goal from 1 to 17 (got 18)"},
      {[](v1::Resource* r) { r->add_sdg_goals(0); },
       "resource.sdg_goals[1]: must be an SDG goal"},
      {[](v1::Resource* r) { r->add_sdg_goals(5); },
       "resource.sdg_goals[1]: repeats"},
      {[](v1::Resource* r) { r->add_tags("two words"); },
       "resource.tags[1]: must be 1 to 32 characters"},
      {[](v1::Resource* r) { r->add_tags(std::string(33, 'a')); },
       "resource.tags[1]: must be 1 to 32 characters"},
      {[](v1::Resource* r) { r->add_tags("OK"); }, "resource.tags[1]: repeats"},
      {[](v1::Resource* r) {
         for (int i = 0; i < 10; ++i) r->add_tags(absl::StrCat("t", i));
       },
       "resource.tags: holds at most 10 tags (got 11)"},
  };
  const auto keys_before = CommunityKeys();
  for (const Case& c : cases) {
    v1::Resource r = base();
    c.change(&r);
    EXPECT_THAT(Share(member_, r), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr(c.message)))
        << c.message;
  }
  EXPECT_EQ(CommunityKeys(), keys_before);
  EXPECT_THAT(StreamEvents(LibraryStore::ResourcesShard()), IsEmpty());
  // The shapes that are fine.
  v1::Resource ok = base();
  ok.set_link("HTTP://[2001:db8::1]:8080/a?b=c");
  EXPECT_THAT(Share(member_, ok), IsOk());
  ok.set_link("https://data.example.org./x");
  EXPECT_THAT(Share(member_, ok), IsOk());
}

TEST_F(LibraryTest, FiltersAndTheirCombinationsGiveKnownCounts) {
  const std::vector<std::string> seed = SeedResources();
  const auto list = [&](auto&& set) {
    v1::ListResourcesRequest request;
    set(&request);
    return AllR(request);
  };
  using R = v1::ListResourcesRequest;
  EXPECT_THAT(
      list([](R*) {}),
      ElementsAreArray(Pick(seed, {11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0})));
  // By type.
  EXPECT_THAT(list([](R* r) { r->set_type(v1::Resource::GUIDELINE); }),
              ElementsAreArray(Pick(seed, {11, 1, 0})));
  EXPECT_EQ(list([](R* r) { r->set_type(v1::Resource::TOOLKIT); }).size(), 2u);
  EXPECT_EQ(list([](R* r) { r->set_type(v1::Resource::CASE_STUDY); }).size(),
            2u);
  EXPECT_EQ(list([](R* r) { r->set_type(v1::Resource::DATASET); }).size(), 2u);
  EXPECT_EQ(list([](R* r) { r->set_type(v1::Resource::TRAINING); }).size(), 2u);
  EXPECT_THAT(list([](R* r) { r->set_type(v1::Resource::OTHER); }),
              ElementsAre(seed[10]));
  // By country.
  EXPECT_THAT(list([](R* r) { r->set_country("KEN"); }),
              ElementsAreArray(Pick(seed, {11, 10, 7, 4, 1, 0})));
  EXPECT_THAT(list([](R* r) { r->set_country("UGA"); }),
              ElementsAreArray(Pick(seed, {9, 1})));
  EXPECT_THAT(list([](R* r) { r->set_country("FRA"); }),
              ElementsAreArray(Pick(seed, {11, 6})));
  EXPECT_THAT(list([](R* r) { r->set_country("ARG"); }), ElementsAre(seed[5]));
  EXPECT_THAT(list([](R* r) { r->set_country("USA"); }), IsEmpty());
  // By language: exact tags, without regard to case.
  EXPECT_EQ(list([](R* r) { r->set_language("en"); }).size(), 7u);
  EXPECT_THAT(list([](R* r) { r->set_language("fr"); }),
              ElementsAreArray(Pick(seed, {8, 7, 6})));
  EXPECT_THAT(list([](R* r) { r->set_language("FR-ca"); }),
              ElementsAre(seed[11]));
  EXPECT_THAT(list([](R* r) { r->set_language("sw"); }),
              ElementsAreArray(Pick(seed, {10, 1})));
  // By SDG goal.
  EXPECT_THAT(list([](R* r) { r->set_sdg_goal(5); }),
              ElementsAreArray(Pick(seed, {10, 5, 1, 0})));
  EXPECT_THAT(list([](R* r) { r->set_sdg_goal(16); }),
              ElementsAreArray(Pick(seed, {11, 7, 6, 1})));
  EXPECT_EQ(list([](R* r) { r->set_sdg_goal(17); }).size(), 3u);
  EXPECT_THAT(list([](R* r) { r->set_sdg_goal(2); }), IsEmpty());
  // By tag (the filter is lower-cased too).
  EXPECT_THAT(list([](R* r) { r->set_tag("GENDER"); }),
              ElementsAreArray(Pick(seed, {10, 5, 1, 0})));
  EXPECT_THAT(list([](R* r) { r->set_tag("survey"); }),
              ElementsAreArray(Pick(seed, {9, 7, 2, 1})));
  EXPECT_EQ(list([](R* r) { r->set_tag("health"); }).size(), 2u);
  // By who shared it.
  EXPECT_THAT(list([&](R* r) { r->set_shared_by(NameOf(member_)); }),
              ElementsAreArray(Pick(seed, {10, 8, 4, 1, 0})));
  EXPECT_EQ(list([&](R* r) { r->set_shared_by(NameOf(other_)); }).size(), 4u);
  EXPECT_EQ(list([&](R* r) { r->set_shared_by(secretariat_); }).size(), 3u);
  // Every filter given must hold.
  EXPECT_THAT(list([](R* r) {
                r->set_country("KEN");
                r->set_type(v1::Resource::GUIDELINE);
              }),
              ElementsAreArray(Pick(seed, {11, 1, 0})));
  EXPECT_THAT(list([](R* r) {
                r->set_country("KEN");
                r->set_sdg_goal(16);
              }),
              ElementsAreArray(Pick(seed, {11, 7, 1})));
  EXPECT_THAT(list([&](R* r) {
                r->set_tag("gender");
                r->set_shared_by(NameOf(member_));
              }),
              ElementsAreArray(Pick(seed, {10, 1, 0})));
  EXPECT_THAT(list([](R* r) {
                r->set_language("en");
                r->set_tag("survey");
                r->set_country("KEN");
              }),
              ElementsAreArray(Pick(seed, {7, 1})));
  EXPECT_THAT(list([](R* r) {
                r->set_type(v1::Resource::DATASET);
                r->set_country("BRA");
              }),
              IsEmpty());
}

TEST_F(LibraryTest, BadFiltersAreRefusedNamingThem) {
  const auto refused = [&](auto&& set, const std::string& field) {
    v1::ListResourcesRequest request;
    set(&request);
    EXPECT_THAT(
        ListR(member_, request),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(field + ":")))
        << field;
  };
  using R = v1::ListResourcesRequest;
  refused([](R* r) { r->set_country("Kenya"); }, "country");
  refused([](R* r) { r->set_language("not a tag"); }, "language");
  refused([](R* r) { r->set_sdg_goal(18); }, "sdg_goal");
  refused([](R* r) { r->set_tag("a tag"); }, "tag");
  refused([](R* r) { r->set_shared_by("someone"); }, "shared_by");
  refused([](R* r) { r->set_type(static_cast<v1::Resource::Type>(9)); },
          "type");
  refused([](R* r) { r->set_page_size(-1); }, "page_size");
  refused([](R* r) { r->set_page_token("garbage"); }, "page_token");
}

TEST_F(LibraryTest,
       MostEndorsedComesFirstThenNewestAndPagesNeitherSkipNorRepeat) {
  const std::vector<std::string> seed = SeedResources();
  const std::string carla =
      NewMember("carla@example.org", "ARG", v1::ORGANISATION_TYPE_ACADEMIA,
                v1::ROLE_MEMBER);
  // r2 (B's) 3, r6 (S's) 2, r0 (A's) 2, r9 (B's) 1.
  for (const std::string& t : {member_, secretariat_token_, carla}) {
    ASSERT_THAT(Endorse(t, seed[2], true), IsOk());
  }
  for (const std::string& t : {member_, other_}) {
    ASSERT_THAT(Endorse(t, seed[6], true), IsOk());
  }
  for (const std::string& t : {other_, carla}) {
    ASSERT_THAT(Endorse(t, seed[0], true), IsOk());
  }
  ASSERT_THAT(Endorse(member_, seed[9], true), IsOk());

  v1::ListResourcesRequest request;
  request.set_order_by(v1::ListResourcesRequest::MOST_ENDORSED);
  const std::vector<std::string> expected =
      Pick(seed, {2, 6, 0, 9, 11, 10, 8, 7, 5, 4, 3, 1});
  EXPECT_THAT(AllR(request), ElementsAreArray(expected));
  for (int size : {1, 3, 5, 11, 12}) {
    request.set_page_size(size);
    EXPECT_THAT(AllR(request), ElementsAreArray(expected)) << size;
  }
  request.set_page_size(0);
  request.set_type(v1::Resource::TRAINING);
  EXPECT_THAT(AllR(request), ElementsAreArray(Pick(seed, {9, 8})));

  // Newest first, paged.
  v1::ListResourcesRequest newest;
  newest.set_page_size(5);
  auto page = ListR(member_, newest);
  ASSERT_THAT(page, IsOk());
  EXPECT_EQ(page->resources_size(), 5);
  EXPECT_EQ(page->resources(0).name(), seed[11]);
  // A resource shared while paging is newer: it neither shifts nor repeats
  // the pages that follow.
  clock_.Advance(absl::Seconds(1));
  ASSERT_THAT(
      Share(member_,
            MakeResource("Late", {v1::Resource::OTHER, {}, {}, {}, {}})),
      IsOk());
  std::vector<std::string> names;
  for (const auto& r : page->resources()) names.push_back(r.name());
  newest.set_page_token(page->next_page_token());
  for (const std::string& n : AllR(newest)) names.push_back(n);
  EXPECT_THAT(names, ElementsAreArray(
                         Pick(seed, {11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0})));
  // A token is bound to its filters.
  v1::ListResourcesRequest other_filter = newest;
  other_filter.set_country("KEN");
  EXPECT_THAT(
      ListR(member_, other_filter),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  request.set_page_token(page->next_page_token());
  EXPECT_THAT(
      ListR(member_, request),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST_F(LibraryTest, EndorsingIsOncePerMemberAndNeverOnesOwn) {
  auto r =
      Share(member_,
            MakeResource("Guide", {v1::Resource::GUIDELINE, {}, {}, {}, {}}));
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(
      Endorse(member_, r->name(), true),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("you shared")));
  EXPECT_THAT(Endorse(observer_, r->name(), true),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Endorse(other_, "resources/missing", true),
              StatusIs(absl::StatusCode::kNotFound));
  auto once = Endorse(other_, r->name(), true);
  ASSERT_THAT(once, IsOk());
  EXPECT_EQ(once->endorsement_count(), 1);
  EXPECT_TRUE(once->endorsed_by_caller());
  auto twice = Endorse(other_, r->name(), true);
  ASSERT_THAT(twice, IsOk());
  EXPECT_EQ(twice->endorsement_count(), 1);
  const std::string carla =
      NewMember("carla@example.org", "ARG", v1::ORGANISATION_TYPE_ACADEMIA,
                v1::ROLE_MEMBER);
  auto partner = Endorse(NewPartner(carla), r->name(), true);
  ASSERT_THAT(partner, IsOk());
  EXPECT_EQ(partner->endorsement_count(), 2);

  auto seen_by_owner = GetR(member_, r->name());
  ASSERT_THAT(seen_by_owner, IsOk());
  EXPECT_EQ(seen_by_owner->endorsement_count(), 2);
  EXPECT_FALSE(seen_by_owner->endorsed_by_caller());
  EXPECT_EQ(seen_by_owner->etag(), r->etag());  // endorsing is not an edit
  auto listed = ListR(other_, {});
  ASSERT_THAT(listed, IsOk());
  EXPECT_TRUE(listed->resources(0).endorsed_by_caller());

  auto taken_back = Endorse(other_, r->name(), false);
  ASSERT_THAT(taken_back, IsOk());
  EXPECT_EQ(taken_back->endorsement_count(), 1);
  EXPECT_FALSE(taken_back->endorsed_by_caller());
  auto again = Endorse(other_, r->name(), false);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->endorsement_count(), 1);
  EXPECT_THAT(Endorse(observer_, r->name(), false), IsOk());
  EXPECT_THAT(Endorse(observer_, "resources/missing", false),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(LibraryTest, UpdatesMoveTheResourceBetweenFiltersAndWords) {
  v1::Resource in =
      MakeResource("Household survey guide",
                   {v1::Resource::GUIDELINE, {"KEN"}, {"en"}, {5}, {"gender"}});
  in.set_summary("How to ask people about their homes.");
  auto r = Share(member_, in);
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(Found("household", true), ElementsAre(r->name()));

  v1::Resource change;
  change.set_name(r->name());
  change.set_title("Village mapping toolkit");
  change.set_type(v1::Resource::TOOLKIT);
  change.add_tags("Mapping");
  change.add_countries("UGA");
  change.set_summary("ignored: not in the mask");
  EXPECT_THAT(UpdateR(other_, change, {"title"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(UpdateR(observer_, change, {"title"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(UpdateR(member_, change, {"title", "colour"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("update_mask: has unknown path \"colour\"")));
  EXPECT_THAT(
      UpdateR(member_, change, {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("update_mask")));
  v1::Resource bad = change;
  bad.set_link("javascript:void(0)");
  EXPECT_THAT(
      UpdateR(member_, bad, {"link"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("resource.link")));
  v1::Resource stale = change;
  stale.set_etag("999");
  EXPECT_THAT(UpdateR(member_, stale, {"title"}),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("etag")));
  EXPECT_THAT(UpdateR(member_,
                      [&] {
                        v1::Resource m = change;
                        m.set_name("resources/missing");
                        return m;
                      }(),
                      {"title"}),
              StatusIs(absl::StatusCode::kNotFound));
  auto unchanged = GetR(member_, r->name());
  ASSERT_THAT(unchanged, IsOk());
  EXPECT_EQ(unchanged->SerializeAsString(), r->SerializeAsString());

  change.set_etag(r->etag());
  clock_.Advance(absl::Minutes(1));
  auto updated =
      UpdateR(member_, change, {"title", "type", "tags", "countries"});
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ(updated->title(), "Village mapping toolkit");
  EXPECT_EQ(updated->type(), v1::Resource::TOOLKIT);
  EXPECT_THAT(updated->tags(), ElementsAre("mapping"));
  EXPECT_THAT(updated->countries(), ElementsAre("UGA"));
  EXPECT_EQ(updated->summary(), r->summary());
  EXPECT_EQ(updated->create_time().seconds(), r->create_time().seconds());
  EXPECT_GT(updated->update_time().seconds(), r->update_time().seconds());
  EXPECT_NE(updated->etag(), r->etag());
  auto got = GetR(other_, r->name());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->SerializeAsString(), updated->SerializeAsString());

  v1::ListResourcesRequest q;
  q.set_tag("gender");
  EXPECT_THAT(AllR(q), IsEmpty());
  q.set_tag("mapping");
  EXPECT_THAT(AllR(q), ElementsAre(r->name()));
  q.Clear();
  q.set_country("KEN");
  EXPECT_THAT(AllR(q), IsEmpty());
  q.set_country("UGA");
  EXPECT_THAT(AllR(q), ElementsAre(r->name()));
  q.Clear();
  q.set_type(v1::Resource::GUIDELINE);
  EXPECT_THAT(AllR(q), IsEmpty());
  q.Clear();
  q.set_language("en");
  EXPECT_THAT(AllR(q), ElementsAre(r->name()));  // not in the mask: kept
  EXPECT_THAT(Found("household", true), IsEmpty());
  EXPECT_THAT(Found("village mapping", true), ElementsAre(r->name()));

  // The secretariat may edit too.
  v1::Resource by_secretariat;
  by_secretariat.set_name(r->name());
  by_secretariat.set_summary("Checked by the secretariat.");
  auto edited = UpdateR(secretariat_token_, by_secretariat, {"summary"});
  ASSERT_THAT(edited, IsOk());
  EXPECT_EQ(edited->summary(), "Checked by the secretariat.");
  EXPECT_EQ(edited->shared_by(), NameOf(member_));
}

TEST_F(LibraryTest, ConcurrentEditsLeaveTheIndexesAsTheLastOne) {
  auto r = Share(
      member_,
      MakeResource("Guide", {v1::Resource::GUIDELINE, {}, {}, {}, {"start"}}));
  ASSERT_THAT(r, IsOk());
  // Three writers retag it at once while others endorse it: each write
  // is applied on the record it read, or retried.
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 3; ++k) {
        v1::Resource change;
        change.set_name(r->name());
        change.add_tags(absl::StrCat("w", t, "-", k));
        EXPECT_THAT(UpdateR(member_, change, {"tags"}), IsOk());
      }
    });
  }
  threads.emplace_back([&] {
    EXPECT_THAT(Endorse(other_, r->name(), true), IsOk());
    EXPECT_THAT(Endorse(secretariat_token_, r->name(), true), IsOk());
  });
  for (std::thread& thread : threads) thread.join();
  auto last = GetR(member_, r->name());
  ASSERT_THAT(last, IsOk());
  EXPECT_EQ(last->etag(), "10");
  EXPECT_EQ(last->endorsement_count(), 2);
  ASSERT_EQ(last->tags_size(), 1);
  for (int t = 0; t < 3; ++t) {
    for (int k = 0; k < 3; ++k) {
      const std::string tag = absl::StrCat("w", t, "-", k);
      v1::ListResourcesRequest q;
      q.set_tag(tag);
      EXPECT_EQ(AllR(q).size(), tag == last->tags(0) ? 1u : 0u) << tag;
    }
  }
  v1::ListResourcesRequest start;
  start.set_tag("start");
  EXPECT_THAT(AllR(start), IsEmpty());
}

TEST_F(LibraryTest, DeletingRemovesTheResourceFromEveryIndex) {
  auto r =
      Share(member_,
            MakeResource(
                "Privacy training",
                {v1::Resource::TRAINING, {"KEN"}, {"en"}, {16}, {"privacy"}}),
            "share-1");
  auto kept = Share(
      other_, MakeResource(
                  "Census dataset",
                  {v1::Resource::DATASET, {"KEN"}, {"en"}, {16}, {"privacy"}}));
  ASSERT_THAT(r, IsOk());
  ASSERT_THAT(kept, IsOk());
  ASSERT_THAT(Endorse(other_, r->name(), true), IsOk());
  const auto keys_with_one = [&] {
    std::vector<std::string> keys;
    for (const std::string& k : CommunityKeys()) {
      if (k.find(r->name().substr(10)) != std::string::npos) keys.push_back(k);
    }
    return keys;
  };
  EXPECT_THAT(keys_with_one(), Not(IsEmpty()));

  EXPECT_THAT(DeleteR(other_, r->name()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(DeleteR(observer_, r->name()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(DeleteR(member_, r->name(), "999"),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_THAT(DeleteR(member_, r->name(), r->etag()), IsOk());

  EXPECT_THAT(GetR(member_, r->name()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(DeleteR(member_, r->name()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Endorse(other_, r->name(), true),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(library_store_->ResourceTitle(r->name()),
              StatusIs(absl::StatusCode::kNotFound));
  for (auto set : std::vector<std::function<void(v1::ListResourcesRequest*)>>{
           [](auto*) {}, [](auto* q) { q->set_country("KEN"); },
           [](auto* q) { q->set_tag("privacy"); },
           [](auto* q) { q->set_sdg_goal(16); },
           [](auto* q) { q->set_language("en"); },
           [&](auto* q) { q->set_shared_by(NameOf(other_)); },
           [](auto* q) {
             q->set_order_by(v1::ListResourcesRequest::MOST_ENDORSED);
           }}) {
    v1::ListResourcesRequest q;
    set(&q);
    EXPECT_THAT(AllR(q), ElementsAre(kept->name()));
  }
  EXPECT_THAT(Found("privacy", true), ElementsAre(kept->name()));
  // Only the request id's marker remembers it, and it leads nowhere: the
  // same request id shares anew.
  EXPECT_THAT(keys_with_one(), IsEmpty());
  auto again = Share(member_,
                     MakeResource("Privacy training",
                                  {v1::Resource::TRAINING, {}, {}, {}, {}}),
                     "share-1");
  ASSERT_THAT(again, IsOk());
  EXPECT_NE(again->name(), r->name());
}

TEST_F(LibraryTest, CommentEventsKeepTheCountOfVisibleComments) {
  auto r =
      Share(member_,
            MakeResource("Guide", {v1::Resource::GUIDELINE, {}, {}, {}, {}}));
  ASSERT_THAT(r, IsOk());
  const auto event = [&](int ms, auto set) {
    v1::Event e;
    e.set_id(absl::StrCat("s1-17000000000", ms, "-0"));
    set(&e);
    return e;
  };
  const auto ref = [&](const std::string& comment, const std::string& target) {
    v1::CommentRef c;
    c.set_comment(comment);
    c.set_target(target);
    c.set_target_kind(v1::Comment::TARGET_RESOURCE);
    return c;
  };
  const auto count = [&] {
    auto got = GetR(member_, r->name());
    EXPECT_THAT(got, IsOk());
    return got.ok() ? got->comment_count() : -1;
  };
  const v1::Event created = event(10, [&](v1::Event* e) {
    *e->mutable_comment_created()->mutable_comment() =
        ref("comments/1a", r->name());
  });
  const v1::Event replied = event(11, [&](v1::Event* e) {
    *e->mutable_comment_replied()->mutable_comment() =
        ref("comments/1b", r->name());
  });
  const v1::Event hidden = event(12, [&](v1::Event* e) {
    *e->mutable_comment_hidden()->mutable_comment() =
        ref("comments/1a", r->name());
  });
  const v1::Event restored = event(13, [&](v1::Event* e) {
    *e->mutable_comment_restored()->mutable_comment() =
        ref("comments/1a", r->name());
  });
  const v1::Event withdrawn = event(14, [&](v1::Event* e) {
    *e->mutable_comment_withdrawn()->mutable_comment() =
        ref("comments/1b", r->name());
  });
  const v1::Event elsewhere = event(15, [&](v1::Event* e) {
    *e->mutable_comment_created()->mutable_comment() =
        ref("comments/1c", "resources/other");
  });
  const v1::Event on_a_topic = event(16, [&](v1::Event* e) {
    *e->mutable_comment_created()->mutable_comment() =
        ref("comments/1d", "spaces/s/topics/t");
  });
  ASSERT_THAT(library_store_->ApplyCommentEvent(created), IsOk());
  ASSERT_THAT(library_store_->ApplyCommentEvent(created), IsOk());
  EXPECT_EQ(count(), 1);
  ASSERT_THAT(library_store_->ApplyCommentEvent(replied), IsOk());
  EXPECT_EQ(count(), 2);
  ASSERT_THAT(library_store_->ApplyCommentEvent(hidden), IsOk());
  EXPECT_EQ(count(), 1);
  // A late redelivery of the creation does not bring the hidden one back.
  ASSERT_THAT(library_store_->ApplyCommentEvent(created), IsOk());
  EXPECT_EQ(count(), 1);
  ASSERT_THAT(library_store_->ApplyCommentEvent(restored), IsOk());
  ASSERT_THAT(library_store_->ApplyCommentEvent(withdrawn), IsOk());
  ASSERT_THAT(library_store_->ApplyCommentEvent(withdrawn), IsOk());
  EXPECT_EQ(count(), 1);
  ASSERT_THAT(library_store_->ApplyCommentEvent(elsewhere), IsOk());
  ASSERT_THAT(library_store_->ApplyCommentEvent(on_a_topic), IsOk());
  EXPECT_EQ(count(), 1);
  // Events about a deleted resource leave nothing behind.
  ASSERT_THAT(DeleteR(member_, r->name()), IsOk());
  ASSERT_THAT(library_store_->ApplyCommentEvent(replied), IsOk());
  EXPECT_THAT(CommunityKeys(), Each(Not(HasSubstr(r->name().substr(10)))));
}

TEST_F(LibraryTest, ResourceTitleNamesTheResourceForAccessChecks) {
  auto r = Share(other_, MakeResource("Toolkit for NSOs",
                                      {v1::Resource::TOOLKIT, {}, {}, {}, {}}));
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(library_store_->ResourceTitle(r->name()),
              IsOkAndHolds("Toolkit for NSOs"));
  EXPECT_THAT(library_store_->ResourceTitle("resources/none"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(library_store_->ResourceTitle("spaces/x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(LibraryTest, CommentsPostedOnAResourceAreCounted) {
  auto r =
      Share(member_,
            MakeResource("Guide", {v1::Resource::GUIDELINE, {}, {}, {}, {}}));
  ASSERT_THAT(r, IsOk());
  auto first = Comment(other_, r->name(), "Very useful guide.");
  if (absl::IsUnimplemented(first.status()) ||
      absl::IsInvalidArgument(first.status())) {
    GTEST_SKIP() << "cdc-comments does not take resource targets yet: "
                 << first.status();
  }
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(Reply(member_, first->name(), "Thank you."), IsOk());
  SettleCommunity();
  auto got = GetR(observer_, r->name());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->comment_count(), 2);
  ASSERT_THAT(Hide(first->name(), "Off topic."), IsOk());
  SettleCommunity();
  got = GetR(observer_, r->name());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->comment_count(), 1);
}

// ---- Initiatives ----

class InitiativeTest : public LibraryTest {
 protected:
  // The ten initiatives of the filter tests, in index order (which is
  // also display-name order without regard to case). 0..7 are approved;
  // 8 (member_'s) waits for review; 9 (other_'s) was returned.
  std::vector<std::string> SeedInitiatives() {
    using I = v1::Initiative;
    const std::string& a = member_;
    const std::string& b = other_;
    const std::string& s = secretariat_token_;
    const std::vector<std::pair<std::string, InitiativeSpec>> seed = {
        {a,
         {"Amani Counts",
          {"KEN", "UGA"},
          v1::ORGANISATION_TYPE_CIVIL_SOCIETY,
          v1::PARTICIPATION_LEVEL_ENGAGING,
          {5},
          I::ACTIVE}},
        {b,
         {"bairro data",
          {"BRA"},
          v1::ORGANISATION_TYPE_CIVIL_SOCIETY,
          v1::PARTICIPATION_LEVEL_DRIVING,
          {11},
          I::ACTIVE}},
        {a,
         {"Census Voices",
          {"KEN"},
          v1::ORGANISATION_TYPE_NATIONAL_STATISTICAL_OFFICE,
          v1::PARTICIPATION_LEVEL_CONSULTING,
          {17},
          I::COMPLETED}},
        {b,
         {"Delta Water Watch",
          {"BGD", "IND"},
          v1::ORGANISATION_TYPE_CITIZEN_SCIENCE_NETWORK,
          v1::PARTICIPATION_LEVEL_DRIVING,
          {6},
          I::ACTIVE}},
        {s,
         {"eco Monitors",
          {"FRA", "DEU"},
          v1::ORGANISATION_TYPE_ACADEMIA,
          v1::PARTICIPATION_LEVEL_ENGAGING,
          {13},
          I::PLANNED}},
        {b,
         {"Favela Mapping",
          {"BRA", "ARG"},
          v1::ORGANISATION_TYPE_CIVIL_SOCIETY,
          v1::PARTICIPATION_LEVEL_ENGAGING,
          {11, 5},
          I::ACTIVE}},
        {s,
         {"Gender Data Hub",
          {"KEN", "NGA", "FRA"},
          v1::ORGANISATION_TYPE_UN_AGENCY,
          v1::PARTICIPATION_LEVEL_INFORMING,
          {5},
          I::ACTIVE}},
        {a,
         {"Health Reporters",
          {"IND"},
          v1::ORGANISATION_TYPE_CIVIL_SOCIETY,
          v1::PARTICIPATION_LEVEL_CONSULTING,
          {3},
          I::COMPLETED}},
        {a,
         {"island stats",
          {"FJI", "AUS"},
          v1::ORGANISATION_TYPE_NATIONAL_STATISTICAL_OFFICE,
          v1::PARTICIPATION_LEVEL_INFORMING,
          {17},
          I::PLANNED}},
        {b,
         {"Jungle Sensors",
          {"BRA"},
          v1::ORGANISATION_TYPE_ACADEMIA,
          v1::PARTICIPATION_LEVEL_DRIVING,
          {15},
          I::ACTIVE}},
    };
    std::vector<std::string> names;
    // Registered in reverse, so that the list order is the name's, not
    // the creation's.
    names.resize(seed.size());
    for (int i = static_cast<int>(seed.size()) - 1; i >= 0; --i) {
      auto created = Register(seed[i].first, MakeInitiative(seed[i].second));
      EXPECT_THAT(created, IsOk());
      names[i] = created.ok() ? created->name() : "";
    }
    for (int i = 0; i < 8; ++i) EXPECT_THAT(Approve(names[i]), IsOk());
    EXPECT_THAT(Return(names[9], "Please add a description of the sensors."),
                IsOk());
    return names;
  }
};

TEST_F(InitiativeTest, RegisteredInitiativeWaitsForReviewWithItsRegions) {
  v1::Initiative in = MakeInitiative({"Amani Counts",
                                      {"KEN", "FRA", "UGA"},
                                      v1::ORGANISATION_TYPE_CIVIL_SOCIETY,
                                      v1::PARTICIPATION_LEVEL_ENGAGING,
                                      {5, 6},
                                      v1::Initiative::ACTIVE});
  in.add_sdg_indicators("5.2.1");
  in.add_sdg_indicators("6.a.1");
  in.add_regions(v1::Initiative::OCEANIA);        // output only: ignored
  in.set_review_state(v1::Initiative::APPROVED);  // output only: ignored
  auto created = Register(member_, in, "reg-1");
  ASSERT_THAT(created, IsOk());
  EXPECT_THAT(created->name(), HasSubstr("initiatives/"));
  EXPECT_EQ(created->display_name(), "Amani Counts");
  EXPECT_EQ(created->lead_organisation(), "Amani Counts Trust");
  EXPECT_THAT(created->partners(), ElementsAre("Open Data Network"));
  EXPECT_THAT(created->countries(), ElementsAre("KEN", "FRA", "UGA"));
  EXPECT_THAT(created->regions(),
              ElementsAre(v1::Initiative::SUB_SAHARAN_AFRICA,
                          v1::Initiative::EUROPE_AND_NORTHERN_AMERICA));
  EXPECT_THAT(created->sdg_indicators(), ElementsAre("5.2.1", "6.a.1"));
  EXPECT_EQ(created->review_state(), v1::Initiative::SUBMITTED);
  EXPECT_EQ(created->submitted_by(), NameOf(member_));
  EXPECT_THAT(created->links(), ElementsAre("https://example.org/initiative"));
  EXPECT_FALSE(created->etag().empty());

  auto again = Register(member_, in, "reg-1");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->name(), created->name());
  auto events = EventsOfKind(LibraryStore::InitiativesShard(),
                             v1::Event::kInitiativeSubmitted);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].initiative_submitted().initiative(), created->name());
  EXPECT_EQ(events[0].initiative_submitted().submitted_by(), NameOf(member_));
  EXPECT_FALSE(events[0].initiative_submitted().resubmission());

  EXPECT_THAT(Register(observer_, in),
              StatusIs(absl::StatusCode::kPermissionDenied));
  auto by_partner = Register(NewPartner(other_), in);
  ASSERT_THAT(by_partner, IsOk());
  EXPECT_EQ(by_partner->submitted_by(), NameOf(other_));
}

TEST_F(InitiativeTest, BadInitiativesAreRefusedNamingTheFieldAndLeaveNothing) {
  const auto base = [] {
    v1::Initiative i = MakeInitiative({"Fine",
                                       {"KEN"},
                                       v1::ORGANISATION_TYPE_ACADEMIA,
                                       v1::PARTICIPATION_LEVEL_DRIVING,
                                       {5},
                                       v1::Initiative::ACTIVE});
    i.add_sdg_indicators("5.2.1");
    return i;
  };
  struct Case {
    std::function<void(v1::Initiative*)> change;
    std::string message;
  };
  using I = v1::Initiative;
  const std::vector<Case> cases = {
      {[](I* i) { i->clear_display_name(); },
       "initiative.display_name: is required"},
      {[](I* i) { i->set_display_name(std::string(201, 'x')); },
       "initiative.display_name: must be at most 200"},
      {[](I* i) { i->set_description(std::string(5001, 'x')); },
       "initiative.description: must be at most 5000"},
      {[](I* i) { i->clear_lead_organisation(); },
       "initiative.lead_organisation: is required"},
      {[](I* i) { i->clear_lead_organisation_type(); },
       "initiative.lead_organisation_type: is required"},
      {[](I* i) { i->add_partners(""); }, "initiative.partners[1]"},
      {[](I* i) {
         for (int k = 0; k < 50; ++k) i->add_partners("P");
       },
       "initiative.partners: holds at most 50"},
      {[](I* i) { i->clear_countries(); },
       "initiative.countries: needs at least 1"},
      {[](I* i) { i->add_countries("XKX"); }, "initiative.countries[1]"},
      {[](I* i) { i->add_countries("KEN"); },
       "initiative.countries[1]: repeats"},
      {[](I* i) {
         for (int k = 0; k < 60; ++k) i->add_countries("FRA");
       },
       "initiative.countries: holds at most 60 countries (got 61)"},
      {[](I* i) { i->add_sdg_goals(18); },
       "initiative.sdg_goals[1]: must be an SDG goal from 1 to 17"},
      {[](I* i) { i->add_sdg_indicators("5.2"); },
       "initiative.sdg_indicators[1]: must be an SDG indicator code"},
      {[](I* i) { i->add_sdg_indicators("18.1.1"); },
       "initiative.sdg_indicators[1]: must be an SDG indicator code"},
      {[](I* i) { i->add_sdg_indicators("5.k.1"); },
       "initiative.sdg_indicators[1]: must be an SDG indicator code"},
      {[](I* i) { i->add_sdg_indicators("5.20.1"); },
       "initiative.sdg_indicators[1]: must be an SDG indicator code"},
      {[](I* i) { i->add_sdg_indicators("5.2.10"); },
       "initiative.sdg_indicators[1]: must be an SDG indicator code"},
      {[](I* i) { i->add_sdg_indicators("05.2.1"); },
       "initiative.sdg_indicators[1]: must be an SDG indicator code"},
      {[](I* i) { i->add_sdg_indicators("6.1.1"); },
       "initiative.sdg_indicators[1]: 6.1.1 belongs to goal 6, which is not "
       "in initiative.sdg_goals"},
      {[](I* i) { i->add_sdg_indicators("5.2.1"); },
       "initiative.sdg_indicators[1]: repeats"},
      {[](I* i) { i->clear_participation_level(); },
       "initiative.participation_level: is required"},
      {[](I* i) {
         i->set_participation_level(static_cast<v1::ParticipationLevel>(7));
       },
       "initiative.participation_level: has no value 7"},
      {[](I* i) { i->clear_status(); }, "initiative.status: is required"},
      {[](I* i) { i->add_data_topics(std::string(65, 't')); },
       "initiative.data_topics[1]: must be at most 64"},
      {[](I* i) { i->add_data_topics("water quality"); },
       "initiative.data_topics[1]: repeats"},
      {[](I* i) { i->add_links("ftp://example.org/data"); },
       "initiative.links[1]: must be an absolute http or https URL"},
      {[](I* i) {
         for (int k = 0; k < 10; ++k) i->add_links("https://example.org/");
       },
       "initiative.links: holds at most 10 links (got 11)"},
  };
  const auto keys_before = CommunityKeys();
  for (const Case& c : cases) {
    v1::Initiative i = base();
    c.change(&i);
    EXPECT_THAT(
        Register(member_, i),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.message;
  }
  EXPECT_EQ(CommunityKeys(), keys_before);
  EXPECT_THAT(StreamEvents(LibraryStore::InitiativesShard()), IsEmpty());
  EXPECT_THAT(Register(member_, base()), IsOk());
}

TEST_F(InitiativeTest, ReviewDecidesWhoSeesAnInitiative) {
  auto i =
      Register(member_, MakeInitiative({"Water Watchers",
                                        {"KEN"},
                                        v1::ORGANISATION_TYPE_CIVIL_SOCIETY,
                                        v1::PARTICIPATION_LEVEL_DRIVING,
                                        {6},
                                        v1::Initiative::ACTIVE}));
  ASSERT_THAT(i, IsOk());
  const std::string& name = i->name();
  const auto visible_to = [&](const std::string& token) {
    return GetI(token, name).ok();
  };
  // Submitted: the submitter and the secretariat only.
  EXPECT_TRUE(visible_to(member_));
  EXPECT_TRUE(visible_to(secretariat_token_));
  EXPECT_THAT(GetI(other_, name),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(name)));
  EXPECT_FALSE(visible_to(observer_));
  EXPECT_THAT(AllI(member_, {}), IsEmpty());
  EXPECT_THAT(Found("water watchers", false), IsEmpty());

  EXPECT_THAT(Approve(name, "", "", member_),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Approve(name, "", "999"),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("etag")));
  EXPECT_THAT(Approve("initiatives/missing"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Approve(name, std::string(2001, 'n')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("note")));
  auto approved = Approve(name, "Welcome to the map.", i->etag());
  ASSERT_THAT(approved, IsOk());
  EXPECT_EQ(approved->review_state(), v1::Initiative::APPROVED);
  EXPECT_EQ(approved->reviewed_by(), secretariat_);
  EXPECT_EQ(approved->review_note(), "Welcome to the map.");
  for (const std::string& t :
       {member_, other_, observer_, secretariat_token_}) {
    EXPECT_TRUE(visible_to(t)) << t;
    EXPECT_THAT(AllI(t, {}), ElementsAre(name));
  }
  EXPECT_THAT(Found("water watchers", false), ElementsAre(name));
  EXPECT_THAT(Approve(name),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("only a SUBMITTED initiative")));

  // Returned: off the map again, with the note for the submitter.
  EXPECT_THAT(Return(name, ""), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("note: is required")));
  EXPECT_THAT(Return(name, "Why?", member_),
              StatusIs(absl::StatusCode::kPermissionDenied));
  auto returned = Return(name, "Please name your partners.");
  ASSERT_THAT(returned, IsOk());
  EXPECT_EQ(returned->review_state(), v1::Initiative::RETURNED);
  EXPECT_EQ(returned->review_note(), "Please name your partners.");
  EXPECT_FALSE(visible_to(other_));
  EXPECT_FALSE(visible_to(observer_));
  EXPECT_THAT(Found("water watchers", false), IsEmpty());
  EXPECT_THAT(Return(name, "Again"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("already RETURNED")));
  EXPECT_THAT(Approve(name), StatusIs(absl::StatusCode::kFailedPrecondition));

  // Only the submitter and the secretariat edit; another member may not
  // even see it.
  v1::Initiative edit;
  edit.set_name(name);
  edit.add_partners("River Trust");
  EXPECT_THAT(UpdateI(other_, edit, {"partners"}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(UpdateI(observer_, edit, {"partners"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // The submitter's edit resubmits it.
  auto resubmitted = UpdateI(member_, edit, {"partners"});
  ASSERT_THAT(resubmitted, IsOk());
  EXPECT_EQ(resubmitted->review_state(), v1::Initiative::SUBMITTED);
  EXPECT_THAT(resubmitted->partners(), ElementsAre("River Trust"));
  EXPECT_EQ(resubmitted->review_note(), "Please name your partners.");
  ASSERT_THAT(Approve(name), IsOk());

  // The secretariat's edit keeps it on the map, and its words follow.
  v1::Initiative renamed;
  renamed.set_name(name);
  renamed.set_display_name("River Watchers");
  auto by_secretariat = UpdateI(secretariat_token_, renamed, {"display_name"});
  ASSERT_THAT(by_secretariat, IsOk());
  EXPECT_EQ(by_secretariat->review_state(), v1::Initiative::APPROVED);
  EXPECT_THAT(Found("river", false), ElementsAre(name));
  // Another member may read an approved initiative but not change it.
  EXPECT_THAT(UpdateI(other_, edit, {"partners"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // The submitter's edit of an approved one takes it off the map.
  v1::Initiative stale = edit;
  stale.set_etag(approved->etag());
  EXPECT_THAT(UpdateI(member_, stale, {"partners"}),
              StatusIs(absl::StatusCode::kAborted));
  auto off_map = UpdateI(member_, edit, {"partners"});
  ASSERT_THAT(off_map, IsOk());
  EXPECT_EQ(off_map->review_state(), v1::Initiative::SUBMITTED);
  EXPECT_FALSE(visible_to(other_));
  EXPECT_THAT(Found("river", false), IsEmpty());
  // Editing while still submitted announces nothing new.
  ASSERT_THAT(UpdateI(member_, edit, {"partners"}), IsOk());

  // Events: submitted, approved, returned, resubmitted, approved,
  // resubmitted.
  std::vector<v1::Event::PayloadCase> kinds;
  for (const v1::Event& e : StreamEvents(LibraryStore::InitiativesShard())) {
    kinds.push_back(e.payload_case());
  }
  EXPECT_THAT(kinds, ElementsAre(v1::Event::kInitiativeSubmitted,
                                 v1::Event::kInitiativeApproved,
                                 v1::Event::kInitiativeReturned,
                                 v1::Event::kInitiativeSubmitted,
                                 v1::Event::kInitiativeApproved,
                                 v1::Event::kInitiativeSubmitted));
  auto returned_events = EventsOfKind(LibraryStore::InitiativesShard(),
                                      v1::Event::kInitiativeReturned);
  ASSERT_EQ(returned_events.size(), 1u);
  EXPECT_EQ(returned_events[0].initiative_returned().note(),
            "Please name your partners.");
  EXPECT_EQ(returned_events[0].initiative_returned().submitted_by(),
            NameOf(member_));
  auto submitted = EventsOfKind(LibraryStore::InitiativesShard(),
                                v1::Event::kInitiativeSubmitted);
  ASSERT_EQ(submitted.size(), 3u);
  EXPECT_TRUE(submitted[1].initiative_submitted().resubmission());
  EXPECT_EQ(submitted[1].actor(), NameOf(member_));
}

TEST_F(InitiativeTest, MapFiltersCountsAndExportGiveKnownResults) {
  const std::vector<std::string> seed = SeedInitiatives();
  const auto list = [&](auto&& set, const std::string& token = "") {
    v1::InitiativeFilter f;
    set(&f);
    return AllI(token.empty() ? observer_ : token, f);
  };
  using F = v1::InitiativeFilter;
  // Approved ones, by display name without regard to case.
  EXPECT_THAT(list([](F*) {}),
              ElementsAreArray(Pick(seed, {0, 1, 2, 3, 4, 5, 6, 7})));
  for (int size : {1, 3, 7}) {
    EXPECT_THAT(AllI(member_, {}, size),
                ElementsAreArray(Pick(seed, {0, 1, 2, 3, 4, 5, 6, 7})));
  }
  EXPECT_THAT(list([](F* f) { f->set_country("KEN"); }),
              ElementsAreArray(Pick(seed, {0, 2, 6})));
  EXPECT_THAT(list([](F* f) { f->set_country("BRA"); }),
              ElementsAreArray(Pick(seed, {1, 5})));
  EXPECT_THAT(list([](F* f) { f->set_country("FJI"); }), IsEmpty());
  EXPECT_THAT(
      list([](F* f) { f->set_region(v1::Initiative::SUB_SAHARAN_AFRICA); }),
      ElementsAreArray(Pick(seed, {0, 2, 6})));
  EXPECT_THAT(list([](F* f) {
                f->set_region(v1::Initiative::LATIN_AMERICA_AND_THE_CARIBBEAN);
              }),
              ElementsAreArray(Pick(seed, {1, 5})));
  EXPECT_THAT(list([](F* f) {
                f->set_region(v1::Initiative::EUROPE_AND_NORTHERN_AMERICA);
              }),
              ElementsAreArray(Pick(seed, {4, 6})));
  EXPECT_THAT(list([](F* f) {
                f->set_region(v1::Initiative::CENTRAL_AND_SOUTHERN_ASIA);
              }),
              ElementsAreArray(Pick(seed, {3, 7})));
  EXPECT_THAT(list([](F* f) { f->set_region(v1::Initiative::OCEANIA); }),
              IsEmpty());
  EXPECT_THAT(
      list([](F* f) {
        f->set_lead_organisation_type(v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
      }),
      ElementsAreArray(Pick(seed, {0, 1, 5, 7})));
  EXPECT_THAT(list([](F* f) {
                f->set_lead_organisation_type(v1::ORGANISATION_TYPE_ACADEMIA);
              }),
              ElementsAre(seed[4]));
  EXPECT_THAT(list([](F* f) {
                f->set_participation_level(v1::PARTICIPATION_LEVEL_ENGAGING);
              }),
              ElementsAreArray(Pick(seed, {0, 4, 5})));
  EXPECT_THAT(list([](F* f) {
                f->set_participation_level(v1::PARTICIPATION_LEVEL_DRIVING);
              }),
              ElementsAreArray(Pick(seed, {1, 3})));
  EXPECT_EQ(list([](F* f) {
              f->set_participation_level(v1::PARTICIPATION_LEVEL_CONSULTING);
            }).size(),
            2u);
  EXPECT_THAT(list([](F* f) {
                f->set_participation_level(v1::PARTICIPATION_LEVEL_INFORMING);
              }),
              ElementsAre(seed[6]));
  EXPECT_THAT(list([](F* f) { f->set_sdg_goal(5); }),
              ElementsAreArray(Pick(seed, {0, 5, 6})));
  EXPECT_THAT(list([](F* f) { f->set_sdg_goal(11); }),
              ElementsAreArray(Pick(seed, {1, 5})));
  EXPECT_EQ(list([](F* f) { f->set_status(v1::Initiative::ACTIVE); }).size(),
            5u);
  EXPECT_THAT(list([](F* f) { f->set_status(v1::Initiative::COMPLETED); }),
              ElementsAreArray(Pick(seed, {2, 7})));
  EXPECT_THAT(list([](F* f) { f->set_status(v1::Initiative::PLANNED); }),
              ElementsAre(seed[4]));
  EXPECT_THAT(list([&](F* f) { f->set_submitted_by(NameOf(member_)); }),
              ElementsAreArray(Pick(seed, {0, 2, 7})));
  EXPECT_THAT(
      list([](F* f) {
        f->set_lead_organisation_type(v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
        f->set_participation_level(v1::PARTICIPATION_LEVEL_ENGAGING);
      }),
      ElementsAreArray(Pick(seed, {0, 5})));
  EXPECT_THAT(list([](F* f) {
                f->set_region(v1::Initiative::SUB_SAHARAN_AFRICA);
                f->set_sdg_goal(5);
              }),
              ElementsAreArray(Pick(seed, {0, 6})));

  // Other review states: the secretariat sees all, others their own.
  const auto in_state = [&](v1::Initiative::ReviewState state,
                            const std::string& token) {
    return list([&](F* f) { f->set_review_state(state); }, token);
  };
  EXPECT_THAT(in_state(v1::Initiative::SUBMITTED, secretariat_token_),
              ElementsAre(seed[8]));
  EXPECT_THAT(in_state(v1::Initiative::SUBMITTED, member_),
              ElementsAre(seed[8]));
  EXPECT_THAT(in_state(v1::Initiative::SUBMITTED, other_), IsEmpty());
  EXPECT_THAT(in_state(v1::Initiative::RETURNED, secretariat_token_),
              ElementsAre(seed[9]));
  EXPECT_THAT(in_state(v1::Initiative::RETURNED, other_), ElementsAre(seed[9]));
  EXPECT_THAT(in_state(v1::Initiative::RETURNED, member_), IsEmpty());
  EXPECT_THAT(in_state(v1::Initiative::RETURNED, observer_), IsEmpty());
  EXPECT_THAT(list(
                  [&](F* f) {
                    f->set_review_state(v1::Initiative::SUBMITTED);
                    f->set_submitted_by(NameOf(member_));
                  },
                  other_),
              IsEmpty());

  // Counts per country.
  auto counts = Count(observer_, {});
  ASSERT_THAT(counts, IsOk());
  std::vector<std::pair<std::string, int>> got;
  for (const auto& c : counts->counts())
    got.emplace_back(c.country(), c.count());
  EXPECT_THAT(got, ElementsAre(std::pair<std::string, int>("ARG", 1),
                               std::pair<std::string, int>("BGD", 1),
                               std::pair<std::string, int>("BRA", 2),
                               std::pair<std::string, int>("DEU", 1),
                               std::pair<std::string, int>("FRA", 2),
                               std::pair<std::string, int>("IND", 2),
                               std::pair<std::string, int>("KEN", 3),
                               std::pair<std::string, int>("NGA", 1),
                               std::pair<std::string, int>("UGA", 1)));
  EXPECT_EQ(counts->initiative_count(), 8);
  v1::InitiativeFilter engaging;
  engaging.set_participation_level(v1::PARTICIPATION_LEVEL_ENGAGING);
  engaging.set_country("KEN");  // ignored: every country is counted
  counts = Count(observer_, engaging);
  ASSERT_THAT(counts, IsOk());
  got.clear();
  for (const auto& c : counts->counts())
    got.emplace_back(c.country(), c.count());
  EXPECT_THAT(got, ElementsAre(std::pair<std::string, int>("ARG", 1),
                               std::pair<std::string, int>("BRA", 1),
                               std::pair<std::string, int>("DEU", 1),
                               std::pair<std::string, int>("FRA", 1),
                               std::pair<std::string, int>("KEN", 1),
                               std::pair<std::string, int>("UGA", 1)));
  EXPECT_EQ(counts->initiative_count(), 3);
  v1::InitiativeFilter submitted;
  submitted.set_review_state(v1::Initiative::SUBMITTED);
  counts = Count(secretariat_token_, submitted);
  ASSERT_THAT(counts, IsOk());
  EXPECT_EQ(counts->initiative_count(), 1);
  ASSERT_EQ(counts->counts_size(), 2);
  EXPECT_EQ(counts->counts(0).country(), "AUS");

  // Export: every match, by display name.
  EXPECT_THAT(
      Export(observer_, {}),
      IsOkAndHolds(ElementsAreArray(Pick(seed, {0, 1, 2, 3, 4, 5, 6, 7}))));
  v1::InitiativeFilter africa;
  africa.set_region(v1::Initiative::SUB_SAHARAN_AFRICA);
  EXPECT_THAT(Export(member_, africa),
              IsOkAndHolds(ElementsAreArray(Pick(seed, {0, 2, 6}))));
  EXPECT_THAT(Export(other_, submitted), IsOkAndHolds(IsEmpty()));
  v1::InitiativeFilter bad;
  bad.set_sdg_goal(18);
  EXPECT_THAT(Export(member_, bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("filter.sdg_goal")));
}

TEST_F(InitiativeTest, RenamingMovesAnInitiativeInTheListAndKeepsItsFilters) {
  const std::vector<std::string> seed = SeedInitiatives();
  v1::Initiative rename;
  rename.set_name(seed[1]);
  rename.set_display_name("Zona bairro data");
  ASSERT_THAT(UpdateI(secretariat_token_, rename, {"display_name"}), IsOk());
  v1::InitiativeFilter all;
  EXPECT_THAT(AllI(observer_, all, 3),
              ElementsAreArray(Pick(seed, {0, 2, 3, 4, 5, 6, 7, 1})));
  v1::InitiativeFilter lac;
  lac.set_region(v1::Initiative::LATIN_AMERICA_AND_THE_CARIBBEAN);
  EXPECT_THAT(AllI(observer_, lac), ElementsAreArray(Pick(seed, {5, 1})));
  // Moving countries moves regions.
  v1::Initiative move;
  move.set_name(seed[1]);
  move.add_countries("AUS");
  auto moved = UpdateI(secretariat_token_, move, {"countries"});
  ASSERT_THAT(moved, IsOk());
  EXPECT_THAT(moved->regions(),
              ElementsAre(v1::Initiative::AUSTRALIA_AND_NEW_ZEALAND));
  EXPECT_THAT(AllI(observer_, lac), ElementsAre(seed[5]));
  lac.set_region(v1::Initiative::AUSTRALIA_AND_NEW_ZEALAND);
  EXPECT_THAT(AllI(observer_, lac), ElementsAre(seed[1]));
  v1::InitiativeFilter filter;
  filter.set_country("BRA");
  EXPECT_THAT(AllI(observer_, filter), ElementsAre(seed[5]));
}

TEST_F(InitiativeTest, BadFiltersAndTokensAreRefusedNamingThem) {
  const auto refused = [&](auto&& set, const std::string& field) {
    v1::ListInitiativesRequest request;
    set(&request);
    EXPECT_THAT(
        (CallC<v1::ListInitiativesRequest, v1::ListInitiativesResponse>(
            &Stub::ListInitiatives, request, member_)),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(field + ":")))
        << field;
  };
  using R = v1::ListInitiativesRequest;
  refused([](R* r) { r->mutable_filter()->set_country("ken"); },
          "filter.country");
  refused(
      [](R* r) {
        r->mutable_filter()->set_region(static_cast<v1::Initiative::Region>(9));
      },
      "filter.region");
  refused([](R* r) { r->mutable_filter()->set_sdg_goal(-1); },
          "filter.sdg_goal");
  refused([](R* r) { r->mutable_filter()->set_submitted_by("me"); },
          "filter.submitted_by");
  refused([](R* r) { r->set_page_token("nope"); }, "page_token");
}

}  // namespace
}  // namespace cdc::community
