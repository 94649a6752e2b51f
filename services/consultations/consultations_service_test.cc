// cdc-consultations against a real Redis, a real cdc-members and a real
// gRPC server on loopback, with an injected clock.
#include "services/consultations/consultations_service.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/status_matchers.h"
#include "services/consultations/consultations_test_support.h"

namespace cdc::consultations {
namespace {

using ::cdc::consultations::testing::At;
using ::cdc::consultations::testing::kDraft;
using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Code = absl::StatusCode;
using State = v1::Consultation::State;

constexpr char kRevisedDraft[] = R"md(# Importance of citizen data {#importance}
Citizen data fills gaps.

# Key principles {#principles}
Principles guide all of the work.
They apply in every country.

## Inclusion
Leave no one behind.

# Roadmap {#roadmap}
Steps for a country.
)md";

class ConsultationsServiceTest : public testing::ConsultationsServerTest {};

TEST_F(ConsultationsServiceTest, SecretariatCreatesADraftOnlyItCanSee) {
  auto created = Create("copenhagen");
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->name(), "consultations/copenhagen");
  EXPECT_EQ(created->state(), v1::Consultation::DRAFT);
  EXPECT_EQ(created->current_round(), 0);
  EXPECT_EQ(created->created_by(), secretariat_);
  EXPECT_THAT(Get("copenhagen", secretariat_token_), IsOk());
  EXPECT_THAT(Get("copenhagen", member_), StatusIs(Code::kNotFound));
  EXPECT_THAT(Create("copenhagen"),
              StatusIs(Code::kAlreadyExists, HasSubstr("consultation_id")));
  EXPECT_THAT(Create("other", member_), StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(Create("other", "cdc_bad"), StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(Events("copenhagen"),
              ElementsAre(v1::Event::kConsultationCreated));
}

TEST_F(ConsultationsServiceTest, CreateRefusesEachInvalidFieldByName) {
  struct Case {
    std::function<void(v1::CreateConsultationRequest&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& r) { r.mutable_consultation()->clear_title(); },
       "consultation.title"},
      {[](auto& r) {
         r.mutable_consultation()->set_title(std::string(201, 't'));
       },
       "consultation.title"},
      {[](auto& r) {
         r.mutable_consultation()->set_description(std::string(5001, 'd'));
       },
       "consultation.description"},
      {[](auto& r) {
         r.mutable_consultation()->mutable_audience()->add_countries("XXX");
       },
       "consultation.audience.countries[0]"},
      {[](auto& r) {
         r.mutable_consultation()->mutable_audience()->add_organisation_types(
             v1::ORGANISATION_TYPE_UNSPECIFIED);
       },
       "consultation.audience.organisation_types[0]"},
      {[](auto& r) { r.set_consultation_id("Bad_Id"); }, "consultation_id"},
      {[](auto& r) { r.set_consultation_id("ab"); }, "consultation_id"},
  };
  for (const Case& c : cases) {
    v1::CreateConsultationRequest request;
    request.mutable_consultation()->set_title("T");
    c.spoil(request);
    EXPECT_THAT((Call<v1::CreateConsultationRequest, v1::Consultation>(
                    &v1::ConsultationsService::Stub::CreateConsultation,
                    request, secretariat_token_)),
                StatusIs(Code::kInvalidArgument, HasSubstr(c.field)))
        << c.field;
  }
}

TEST_F(ConsultationsServiceTest,
       CreateRetriedWithTheSameRequestIdReturnsTheFirst) {
  v1::CreateConsultationRequest request;
  request.mutable_consultation()->set_title("Round on the framework");
  request.set_request_id("create-1");
  auto first = Call<v1::CreateConsultationRequest, v1::Consultation>(
      &v1::ConsultationsService::Stub::CreateConsultation, request,
      secretariat_token_);
  ASSERT_THAT(first, IsOk());
  auto again = Call<v1::CreateConsultationRequest, v1::Consultation>(
      &v1::ConsultationsService::Stub::CreateConsultation, request,
      secretariat_token_);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->name(), first->name());
  EXPECT_EQ(Events(first->name().substr(14)).size(), 1u);
}

TEST_F(ConsultationsServiceTest, ImportMakesSectionsWithStableKeysInOrder) {
  ASSERT_THAT(Create("cph"), IsOk());
  auto draft = Import("cph", kDraft);
  ASSERT_THAT(draft, IsOk());
  EXPECT_EQ(draft->version(), 1);
  EXPECT_EQ(draft->section_count(), 4);
  EXPECT_EQ(draft->added_count(), 4);
  std::vector<std::string> keys;
  for (const auto& s : draft->sections()) keys.push_back(s.key());
  EXPECT_THAT(keys,
              ElementsAre("importance", "principles", "inclusion", "privacy"));
  EXPECT_EQ(draft->sections(2).parent_key(), "principles");
  EXPECT_EQ(draft->sections(2).level(), 2);
  EXPECT_EQ(draft->sections(3).text(), "Protect people.");

  v1::GetSectionRequest get;
  get.set_name("consultations/cph/sections/privacy");
  auto section = Call<v1::GetSectionRequest, v1::Section>(
      &v1::ConsultationsService::Stub::GetSection, get, secretariat_token_);
  ASSERT_THAT(section, IsOk());
  EXPECT_EQ(section->title(), "Privacy");
  EXPECT_EQ(section->version(), 1);

  auto c = Get("cph", secretariat_token_);
  EXPECT_EQ(c->latest_version(), 1);
  EXPECT_EQ(c->current_version(), 1);
}

TEST_F(ConsultationsServiceTest,
       PreviewStoresNothingAndBadMarkdownNamesTheLine) {
  ASSERT_THAT(Create("cph"), IsOk());
  auto preview = Import("cph", kDraft, /*validate_only=*/true);
  ASSERT_THAT(preview, IsOk());
  EXPECT_TRUE(preview->validate_only());
  EXPECT_EQ(preview->section_count(), 4);
  EXPECT_EQ(Get("cph", secretariat_token_)->latest_version(), 0);
  EXPECT_THAT(Import("cph", "# A {#x}\ntext\n# B {#x}\n"),
              StatusIs(Code::kInvalidArgument, HasSubstr("line 3")));
  EXPECT_THAT(Import("cph", "   \n\n"), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(Import("cph", "intro\n# A\n"),
              StatusIs(Code::kInvalidArgument, HasSubstr("line 1")));
  EXPECT_THAT(Import("cph", "# A\ntext\n\n## B\x01 {#b}\n"),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("line 4: title: must not contain control")));
  EXPECT_THAT(Events("cph"), ElementsAre(v1::Event::kConsultationCreated));
}

TEST_F(ConsultationsServiceTest,
       ReimportBeforeAnyRoundReplacesTheUnusedVersion) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", kDraft), IsOk());
  auto again = Import("cph", kRevisedDraft);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->version(), 1);
  EXPECT_EQ(again->added_count(), 4);  // versus nothing: all new
  EXPECT_EQ(Get("cph", secretariat_token_)->latest_version(), 1);
}

TEST_F(ConsultationsServiceTest, RoundLifecycleFollowsTheStateMachine) {
  ASSERT_THAT(Create("cph"), IsOk());
  EXPECT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)),
              StatusIs(Code::kFailedPrecondition, HasSubstr("no draft")));
  ASSERT_THAT(Import("cph", kDraft), IsOk());
  EXPECT_THAT(Close("cph"),
              StatusIs(Code::kFailedPrecondition, HasSubstr("DRAFT")));
  EXPECT_THAT(Publish("cph"),
              StatusIs(Code::kFailedPrecondition, HasSubstr("DRAFT")));

  auto opened = Open("cph", absl::ZeroDuration(), absl::Hours(24 * 30));
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->state(), v1::Consultation::OPEN);
  EXPECT_TRUE(opened->accepting_comments());
  EXPECT_EQ(opened->current_round(), 1);
  EXPECT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(1)),
              StatusIs(Code::kFailedPrecondition, HasSubstr("OPEN")));
  EXPECT_THAT(Import("cph", kRevisedDraft),
              StatusIs(Code::kFailedPrecondition, HasSubstr("OPEN")));
  EXPECT_THAT(Publish("cph"),
              StatusIs(Code::kFailedPrecondition, HasSubstr("OPEN")));
  // Members see it now.
  EXPECT_THAT(Get("cph", member_), IsOk());

  auto closed = Close("cph");
  ASSERT_THAT(closed, IsOk());
  EXPECT_EQ(closed->state(), v1::Consultation::CLOSED);
  EXPECT_TRUE(closed->rounds(0).closed_early());
  EXPECT_THAT(Close("cph"),
              StatusIs(Code::kFailedPrecondition, HasSubstr("CLOSED")));
  // Observers see nothing until a record is published.
  EXPECT_THAT(Get("cph", observer_), StatusIs(Code::kNotFound));
  auto published = Publish("cph");
  ASSERT_THAT(published, IsOk());
  EXPECT_EQ(published->state(), v1::Consultation::PUBLISHED);
  EXPECT_TRUE(published->rounds(0).has_publish_time());
  EXPECT_THAT(Get("cph", observer_), IsOk());
  EXPECT_THAT(Publish("cph"),
              StatusIs(Code::kFailedPrecondition, HasSubstr("PUBLISHED")));
  EXPECT_THAT(
      Events("cph"),
      ElementsAre(v1::Event::kConsultationCreated, v1::Event::kDraftImported,
                  v1::Event::kRoundOpened, v1::Event::kRoundClosed,
                  v1::Event::kRecordPublished));
}

TEST_F(ConsultationsServiceTest, OpenRoundRefusesBadTimes) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", kDraft), IsOk());
  v1::OpenRoundRequest request;
  request.set_name("consultations/cph");
  EXPECT_THAT((Call<v1::OpenRoundRequest, v1::Consultation>(
                  &v1::ConsultationsService::Stub::OpenRound, request,
                  secretariat_token_)),
              StatusIs(Code::kInvalidArgument, HasSubstr("closes_at")));
  *request.mutable_closes_at() = At(clock_.Now() - absl::Hours(1));
  EXPECT_THAT((Call<v1::OpenRoundRequest, v1::Consultation>(
                  &v1::ConsultationsService::Stub::OpenRound, request,
                  secretariat_token_)),
              StatusIs(Code::kInvalidArgument, HasSubstr("closes_at")));
  *request.mutable_opens_at() = At(clock_.Now() + absl::Hours(10));
  *request.mutable_closes_at() = At(clock_.Now() + absl::Hours(5));
  EXPECT_THAT((Call<v1::OpenRoundRequest, v1::Consultation>(
                  &v1::ConsultationsService::Stub::OpenRound, request,
                  secretariat_token_)),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("closes_at: must be after opens_at")));
  EXPECT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24 * 400)),
              StatusIs(Code::kInvalidArgument, HasSubstr("366 days")));
  EXPECT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(1), 7),
              StatusIs(Code::kInvalidArgument, HasSubstr("draft_version")));
  EXPECT_EQ(Get("cph", secretariat_token_)->state(), v1::Consultation::DRAFT);
}

TEST_F(ConsultationsServiceTest, ScheduledRoundOpensAndClosesByTimeAlone) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", kDraft), IsOk());
  auto scheduled = Open("cph", absl::Hours(2), absl::Hours(72));
  ASSERT_THAT(scheduled, IsOk());
  EXPECT_EQ(scheduled->state(), v1::Consultation::OPEN);
  EXPECT_FALSE(scheduled->accepting_comments());
  auto check = Check("consultations/cph/sections/privacy", member_);
  ASSERT_THAT(check, IsOk());
  EXPECT_FALSE(check->may_comment());
  EXPECT_EQ(check->reason(), v1::CheckParticipationResponse::ROUND_NOT_STARTED);

  clock_.Advance(absl::Hours(2));
  EXPECT_TRUE(Get("cph", member_)->accepting_comments());
  check = Check("consultations/cph/sections/privacy", member_);
  EXPECT_TRUE(check->may_comment()) << check->message();

  // Closing soon is announced once, by the schedule keeper.
  clock_.Advance(absl::Hours(30));
  ASSERT_THAT(service_c_->KeepSchedule(), IsOk());
  EXPECT_EQ(*service_c_->KeepSchedule(), 0);

  // Past closes_at the round reads CLOSED before anything writes it...
  clock_.Advance(absl::Hours(42));
  EXPECT_EQ(Get("cph", member_)->state(), v1::Consultation::CLOSED);
  check = Check("consultations/cph/sections/privacy", member_);
  EXPECT_EQ(check->reason(), v1::CheckParticipationResponse::ROUND_ENDED);
  // ...and the keeper then writes it down, once, with its event.
  EXPECT_EQ(*service_c_->KeepSchedule(), 1);
  EXPECT_EQ(*service_c_->KeepSchedule(), 0);
  EXPECT_THAT(
      Events("cph"),
      ElementsAre(v1::Event::kConsultationCreated, v1::Event::kDraftImported,
                  v1::Event::kRoundOpened, v1::Event::kRoundClosingSoon,
                  v1::Event::kRoundClosed));
  EXPECT_THAT(Publish("cph"), IsOk());
}

TEST_F(ConsultationsServiceTest, ExtendMovesTheDeadlineLaterOnly) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", kDraft), IsOk());
  auto opened = Open("cph", absl::ZeroDuration(), absl::Hours(24));
  ASSERT_THAT(opened, IsOk());
  v1::ExtendRoundRequest extend;
  extend.set_name("consultations/cph");
  *extend.mutable_closes_at() = At(clock_.Now() + absl::Hours(12));
  EXPECT_THAT((Call<v1::ExtendRoundRequest, v1::Consultation>(
                  &v1::ConsultationsService::Stub::ExtendRound, extend,
                  secretariat_token_)),
              StatusIs(Code::kInvalidArgument, HasSubstr("later")));
  *extend.mutable_closes_at() = At(clock_.Now() + absl::Hours(48));
  auto extended = Call<v1::ExtendRoundRequest, v1::Consultation>(
      &v1::ConsultationsService::Stub::ExtendRound, extend, secretariat_token_);
  ASSERT_THAT(extended, IsOk());
  EXPECT_EQ(extended->closes_at().seconds(), extend.closes_at().seconds());
  // After its closes_at a round is CLOSED and cannot be extended.
  clock_.Advance(absl::Hours(49));
  *extend.mutable_closes_at() = At(clock_.Now() + absl::Hours(48));
  EXPECT_THAT((Call<v1::ExtendRoundRequest, v1::Consultation>(
                  &v1::ConsultationsService::Stub::ExtendRound, extend,
                  secretariat_token_)),
              StatusIs(Code::kFailedPrecondition, HasSubstr("CLOSED")));
}

TEST_F(ConsultationsServiceTest, RevisedDraftCarriesKeysOverAndKeepsHistory) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", kDraft), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  ASSERT_THAT(Close("cph"), IsOk());
  auto revised = Import("cph", kRevisedDraft);
  ASSERT_THAT(revised, IsOk());
  EXPECT_EQ(revised->version(), 2);
  EXPECT_EQ(revised->added_count(), 1);     // roadmap
  EXPECT_EQ(revised->modified_count(), 1);  // principles
  EXPECT_EQ(revised->removed_count(), 1);   // privacy
  std::map<std::string, v1::SectionDiff::ChangeKind> change;
  for (const auto& s : revised->sections()) change[s.key()] = s.change();
  EXPECT_EQ(change["importance"], v1::SectionDiff::UNCHANGED);
  EXPECT_EQ(change["principles"], v1::SectionDiff::MODIFIED);
  EXPECT_EQ(change["roadmap"], v1::SectionDiff::ADDED);
  EXPECT_EQ(change["privacy"], v1::SectionDiff::REMOVED);

  // Members keep reading version 1 until a round opens on version 2.
  v1::ListSectionsRequest list;
  list.set_parent("consultations/cph");
  list.set_version(2);
  EXPECT_THAT(
      (Call<v1::ListSectionsRequest, v1::ListSectionsResponse>(
          &v1::ConsultationsService::Stub::ListSections, list, member_)),
      StatusIs(Code::kNotFound));
  EXPECT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24), 1),
              IsOk());  // a new round may stay on the same version
  ASSERT_THAT(Close("cph"), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24), 2), IsOk());
  EXPECT_THAT(Close("cph"), IsOk());
  EXPECT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24), 1),
              StatusIs(Code::kInvalidArgument, HasSubstr("older")));

  list.set_include_removed(true);
  list.set_headings_only(true);
  auto sections = Call<v1::ListSectionsRequest, v1::ListSectionsResponse>(
      &v1::ConsultationsService::Stub::ListSections, list, member_);
  ASSERT_THAT(sections, IsOk());
  std::vector<std::string> keys;
  for (const auto& s : sections->sections()) {
    keys.push_back(s.key() + (s.removed() ? "(removed)" : ""));
    EXPECT_EQ(s.text(), "");
  }
  EXPECT_THAT(keys, ElementsAre("importance", "principles", "inclusion",
                                "roadmap", "privacy(removed)"));

  v1::GetSectionDiffRequest diff;
  diff.set_name("consultations/cph/sections/principles");
  diff.set_to_version(2);
  auto changed = Call<v1::GetSectionDiffRequest, v1::SectionDiff>(
      &v1::ConsultationsService::Stub::GetSectionDiff, diff, member_);
  ASSERT_THAT(changed, IsOk());
  EXPECT_EQ(changed->change(), v1::SectionDiff::MODIFIED);
  std::vector<std::string> ops;
  for (const auto& line : changed->lines()) {
    ops.push_back(
        absl::StrCat(v1::DiffLine::Op_Name(line.op()), " ", line.text()));
  }
  EXPECT_THAT(ops, ElementsAre("DELETE Principles guide the work.",
                               "INSERT Principles guide all of the work.",
                               "INSERT They apply in every country."));
  auto change_of = [&](const std::string& key) {
    diff.set_name("consultations/cph/sections/" + key);
    auto answer = Call<v1::GetSectionDiffRequest, v1::SectionDiff>(
        &v1::ConsultationsService::Stub::GetSectionDiff, diff, member_);
    EXPECT_THAT(answer, IsOk());
    return answer.ok() ? answer->change()
                       : v1::SectionDiff::CHANGE_KIND_UNSPECIFIED;
  };
  EXPECT_EQ(change_of("privacy"), v1::SectionDiff::REMOVED);
  EXPECT_EQ(change_of("roadmap"), v1::SectionDiff::ADDED);
  EXPECT_EQ(change_of("importance"), v1::SectionDiff::UNCHANGED);
}

TEST_F(ConsultationsServiceTest, ParticipationFollowsAudienceRoleAndSection) {
  v1::CreateConsultationRequest create;
  create.set_consultation_id("cph");
  create.mutable_consultation()->set_title("For Africa's civil society");
  create.mutable_consultation()->mutable_audience()->add_countries("KEN");
  create.mutable_consultation()->mutable_audience()->add_organisation_types(
      v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
  ASSERT_THAT((Call<v1::CreateConsultationRequest, v1::Consultation>(
                  &v1::ConsultationsService::Stub::CreateConsultation, create,
                  secretariat_token_)),
              IsOk());
  ASSERT_THAT(Import("cph", kDraft), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());

  auto in = Check("consultations/cph/sections/privacy", member_);
  ASSERT_THAT(in, IsOk());
  EXPECT_TRUE(in->may_comment());
  EXPECT_EQ(in->section().title(), "Privacy");
  EXPECT_EQ(in->round(), 1);

  const std::string outsider =
      NewMember("fr@example.org", "FRA", v1::ORGANISATION_TYPE_CIVIL_SOCIETY,
                v1::ROLE_MEMBER);
  auto out = Check("consultations/cph", outsider);
  ASSERT_THAT(out, IsOk());
  EXPECT_TRUE(out->may_read());
  EXPECT_FALSE(out->may_comment());
  EXPECT_EQ(out->reason(), v1::CheckParticipationResponse::NOT_IN_AUDIENCE);

  auto observer = Check("consultations/cph", observer_);
  EXPECT_THAT(observer, StatusIs(Code::kNotFound));  // nothing published yet

  // The secretariat may ask about another member; members may not.
  auto asked =
      Check("consultations/cph", secretariat_token_, member_names_[outsider]);
  ASSERT_THAT(asked, IsOk());
  EXPECT_EQ(asked->reason(), v1::CheckParticipationResponse::NOT_IN_AUDIENCE);
  EXPECT_THAT(Check("consultations/cph", member_, member_names_[outsider]),
              StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(Check("consultations/cph/sections/nope", member_),
              StatusIs(Code::kNotFound));
  EXPECT_THAT(Check("elsewhere/x", member_),
              StatusIs(Code::kInvalidArgument, HasSubstr("target")));
}

TEST_F(ConsultationsServiceTest, UpdateGuardsAudienceAndEtag) {
  auto created = Create("cph");
  ASSERT_THAT(created, IsOk());
  v1::UpdateConsultationRequest update;
  update.mutable_consultation()->set_name("consultations/cph");
  update.mutable_consultation()->set_title("Renamed");
  update.mutable_consultation()->set_etag(created->etag());
  update.mutable_update_mask()->add_paths("title");
  auto updated = Call<v1::UpdateConsultationRequest, v1::Consultation>(
      &v1::ConsultationsService::Stub::UpdateConsultation, update,
      secretariat_token_);
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ(updated->title(), "Renamed");
  EXPECT_THAT((Call<v1::UpdateConsultationRequest, v1::Consultation>(
                  &v1::ConsultationsService::Stub::UpdateConsultation, update,
                  secretariat_token_)),
              StatusIs(Code::kAborted, HasSubstr("etag")));
  update.mutable_consultation()->clear_etag();
  update.mutable_update_mask()->set_paths(0, "state");
  EXPECT_THAT((Call<v1::UpdateConsultationRequest, v1::Consultation>(
                  &v1::ConsultationsService::Stub::UpdateConsultation, update,
                  secretariat_token_)),
              StatusIs(Code::kInvalidArgument, HasSubstr("update_mask")));

  ASSERT_THAT(Import("cph", kDraft), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  update.mutable_update_mask()->set_paths(0, "audience");
  update.mutable_consultation()->mutable_audience()->add_countries("KEN");
  EXPECT_THAT((Call<v1::UpdateConsultationRequest, v1::Consultation>(
                  &v1::ConsultationsService::Stub::UpdateConsultation, update,
                  secretariat_token_)),
              StatusIs(Code::kFailedPrecondition, HasSubstr("OPEN")));
  EXPECT_THAT((Call<v1::UpdateConsultationRequest, v1::Consultation>(
                  &v1::ConsultationsService::Stub::UpdateConsultation, update,
                  member_)),
              StatusIs(Code::kPermissionDenied));
}

TEST_F(ConsultationsServiceTest, ListShowsWhatEachCallerMaySeeByState) {
  ASSERT_THAT(Create("draft-one"), IsOk());
  clock_.Advance(absl::Seconds(1));
  ASSERT_THAT(Create("open-one"), IsOk());
  ASSERT_THAT(Import("open-one", kDraft), IsOk());
  ASSERT_THAT(Open("open-one", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  auto names = [&](const std::string& token, State state) {
    v1::ListConsultationsRequest request;
    request.set_state(state);
    request.set_page_size(1);
    std::vector<std::string> seen;
    do {
      auto page =
          Call<v1::ListConsultationsRequest, v1::ListConsultationsResponse>(
              &v1::ConsultationsService::Stub::ListConsultations, request,
              token);
      EXPECT_THAT(page, IsOk());
      for (const auto& c : page->consultations()) seen.push_back(c.name());
      request.set_page_token(page->next_page_token());
    } while (!request.page_token().empty());
    return seen;
  };
  EXPECT_THAT(names(secretariat_token_, v1::Consultation::STATE_UNSPECIFIED),
              ElementsAre("consultations/open-one", "consultations/draft-one"));
  EXPECT_THAT(names(member_, v1::Consultation::STATE_UNSPECIFIED),
              ElementsAre("consultations/open-one"));
  EXPECT_THAT(names(secretariat_token_, v1::Consultation::DRAFT),
              ElementsAre("consultations/draft-one"));
  EXPECT_THAT(names(observer_, v1::Consultation::STATE_UNSPECIFIED),
              ElementsAre());
}

}  // namespace
}  // namespace cdc::consultations
