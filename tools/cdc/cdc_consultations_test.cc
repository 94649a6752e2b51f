// The cdc tool and the demo seed script end to end against a real
// cdc-consultations and a real cdc-members (over a real Redis, on
// loopback): the built binary runs as a child process, as the secretariat
// would run it.
#include <google/protobuf/util/json_util.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/remote_authenticator.h"
#include "services/consultations/consultations_service.h"
#include "services/members/members_test_support.h"
#include "tools/cdc/cdc_runner.h"

namespace cdc::cli {
namespace {

using ::cdc::cli::testing::CdcBinary;
using ::cdc::cli::testing::CdcRun;
using ::cdc::cli::testing::RunCdc;
using ::cdc::cli::testing::RunProgram;
using ::cdc::testing::IsOk;
using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kDraft[] = CDC_SOURCE_DIR "/deploy/demo/copenhagen-framework.md";
constexpr char kSeed[] = CDC_SOURCE_DIR "/deploy/demo/seed";

class CdcConsultationsTest : public members::testing::MembersServerTest {
 protected:
  void SetUp() override {
    MembersServerTest::SetUp();
    authenticator_ = std::make_unique<RemoteAuthenticator>(
        channel_, clock_,
        RemoteAuthenticator::Options{.cache_ttl = absl::ZeroDuration()});
    store_ = std::make_unique<consultations::ConsultationsStore>(
        &redis(), consultations::ConsultationsStore::Options{});
    service_ = std::make_unique<consultations::ConsultationsService>(
        store_.get(), authenticator_.get(), channel_, clock_,
        consultations::ConsultationsServiceOptions{});
    host_ = std::make_unique<ServiceHost>(ServerOptions{}, &redis());
    host_->AddService(service_.get(),
                      v1::ConsultationsService::service_full_name());
    ASSERT_THAT(host_->Start(), IsOk());
  }

  void TearDown() override {
    host_->Shutdown();
    MembersServerTest::TearDown();
  }

  // The environment of a secretariat session talking to both services.
  std::vector<std::string> Environment() const {
    return {"CDC_TOKEN=" + secretariat_token_,
            "CDC_MEMBERS_ADDRESS=" + MembersServerTest::host_->address(),
            "CDC_CONSULTATIONS_ADDRESS=" + host_->address()};
  }

  CdcRun Cdc(const std::vector<std::string>& args,
             const std::string& input = "") {
    return RunCdc(args, Environment(), input);
  }

  // Runs cdc and expects it to succeed; returns its stdout.
  std::string Ok(const std::vector<std::string>& args,
                 const std::string& input = "") {
    const CdcRun run = Cdc(args, input);
    EXPECT_EQ(run.exit_code, 0) << absl::StrJoin(args, " ") << ": " << run.err;
    return run.out;
  }

  // `cdc --json consultation show NAME`, parsed.
  v1::Consultation Show(const std::string& name) {
    v1::Consultation consultation;
    const std::string json = Ok({"--json", "consultation", "show", name});
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(json, &consultation).ok())
        << json;
    return consultation;
  }

  std::unique_ptr<RemoteAuthenticator> authenticator_;
  std::unique_ptr<consultations::ConsultationsStore> store_;
  std::unique_ptr<consultations::ConsultationsService> service_;
  std::unique_ptr<ServiceHost> host_;  // cdc-consultations
};

TEST_F(CdcConsultationsTest, TheSecretariatRunsARoundFromCreateToPublish) {
  EXPECT_THAT(Ok({"consultation", "create", "--id", "east-africa", "--title",
                  "Consultation régionale", "--audience_types",
                  "civil-society,national-statistical-office",
                  "--audience_countries", "ken,UGA"}),
              AllOf(HasSubstr("name:           consultations/east-africa\n"),
                    HasSubstr("state:          draft\n"),
                    HasSubstr("audience:       organisation types "
                              "civil-society, national-statistical-office; "
                              "countries KEN, UGA\n")));

  // A preview from stdin stores nothing.
  EXPECT_THAT(
      Ok({"consultation", "import", "east-africa", "-", "--validate_only"},
         "# Titre {#t}\nTexte.\n\n## Égalité des chances\nTexte.\n"),
      AllOf(HasSubstr("(preview only: nothing was stored)"),
            HasSubstr("sections:  2 (2 added, 0 modified, 0 removed)"),
            ContainsRegex("1 +egalite-des-chances +  Égalité des "
                          "chances +added\n")));
  EXPECT_EQ(Show("east-africa").latest_version(), 0);

  EXPECT_THAT(
      Ok({"consultation", "import", "consultations/east-africa", kDraft}),
      AllOf(HasSubstr("version:      1\n"),
            HasSubstr("sections:     22 (22 added, 0 modified, "
                      "0 removed)\n"),
            HasSubstr("warnings:     none\n")));

  EXPECT_THAT(
      Ok({"consultation", "open", "east-africa", "--closes_at", "+30d"}),
      AllOf(HasSubstr("state:          open (accepting comments)\n"),
            HasSubstr("round:          1\n")));
  const v1::Consultation opened = Show("east-africa");
  EXPECT_NEAR(opened.closes_at().seconds(),
              absl::ToUnixSeconds(absl::Now() + absl::Hours(24 * 30)), 60);

  // An RFC 3339 time with an offset, shown back in UTC.
  const absl::Time later =
      absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now())) +
      absl::Hours(24 * 60);
  const std::string nairobi = absl::FormatTime("%Y-%m-%dT%H:%M:%S+03:00", later,
                                               absl::FixedTimeZone(3 * 3600));
  EXPECT_THAT(
      Ok({"consultation", "extend", "east-africa", "--closes_at", nairobi}),
      HasSubstr(absl::StrCat(
          "closes at:      ",
          absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", later, absl::UTCTimeZone()),
          "\n")));
  EXPECT_THAT(Ok({"consultation", "close", "east-africa"}),
              AllOf(HasSubstr("state:          closed\n"),
                    HasSubstr("(closed early)")));
  EXPECT_THAT(Ok({"consultation", "publish", "east-africa"}),
              HasSubstr("state:          published\n"));
  EXPECT_THAT(Ok({"consultation", "list", "--state", "published"}),
              AllOf(StartsWith("ID "), HasSubstr("east-africa  published")));
  EXPECT_EQ(Ok({"consultation", "list", "--state", "open"}),
            "no consultations\n");
}

TEST_F(CdcConsultationsTest, ShowSectionsTellsWhatChangedInARevisedDraft) {
  Ok({"consultation", "create", "--id", "framework", "--title", "Framework"});
  Ok({"consultation", "import", "framework", "-"},
     "# A {#a}\nOne.\n\n## B {#b}\nTwo.\n\n## C {#c}\nThree.\n");
  Ok({"consultation", "open", "framework", "--closes_at", "+1d"});
  Ok({"consultation", "close", "framework"});
  EXPECT_THAT(Ok({"consultation", "import", "framework", "-"},
                 "# A {#a}\nOne.\n\n## B {#b}\nTwo, revised.\n\n## D {#d}\n"),
              HasSubstr("(1 added, 1 modified, 1 removed)"));
  Ok({"consultation", "open", "framework", "--closes_at", "+1d"});

  const std::string shown =
      Ok({"consultation", "show", "framework", "--sections"});
  EXPECT_THAT(shown, AllOf(ContainsRegex("0 +a +A +unchanged\n"),
                           ContainsRegex("1 +b +  B +modified\n"),
                           ContainsRegex("2 +d +  D +added\n")));
  EXPECT_THAT(shown, ContainsRegex("1 +1 .*closed early"));

  const std::string json =
      Ok({"--json", "consultation", "show", "framework", "--sections"});
  EXPECT_THAT(json, AllOf(StartsWith("{\"consultation\": {"),
                          HasSubstr("\"key\": \"d\"")));
}

TEST_F(CdcConsultationsTest, RefusalsExitWithOneAndTheCode) {
  Ok({"consultation", "create", "--id", "framework", "--title", "Framework"});

  CdcRun run = Cdc({"consultation", "open", "framework", "--closes_at", "+1d"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, StartsWith("cdc: FAILED_PRECONDITION: "));

  run = Cdc({"consultation", "create", "--id", "framework", "--title", "X"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, StartsWith("cdc: ALREADY_EXISTS: "));

  run = Cdc({"consultation", "import", "framework", "-"}, "no heading\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, StartsWith("cdc: INVALID_ARGUMENT: "));

  run = Cdc({"consultation", "show", "nowhere"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, StartsWith("cdc: NOT_FOUND: "));

  run = Cdc({"consultation", "open", "framework", "--closes_at", "soon"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, StartsWith("cdc: --closes_at: "));
}

TEST_F(CdcConsultationsTest, TheDemoSeedSetsUpTheConsultationOnce) {
  const std::vector<std::string> env = Environment();
  const CdcRun first = RunProgram(kSeed, {CdcBinary()}, env);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out,
              AllOf(StartsWith("demo seed: consultations/copenhagen-framework: "
                               "created; imported the draft as version 1 ("),
                    HasSubstr("opened round 1, closing ")));
  EXPECT_EQ(first.err, "");

  const v1::Consultation seeded = Show("copenhagen-framework");
  EXPECT_EQ(seeded.state(), v1::Consultation::OPEN);
  EXPECT_EQ(seeded.latest_version(), 1);
  EXPECT_TRUE(seeded.accepting_comments());

  const CdcRun again = RunProgram(kSeed, {CdcBinary()}, env);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("already set up (state OPEN, version 1)"));
  EXPECT_EQ(Show("copenhagen-framework").etag(), seeded.etag());
}

TEST_F(CdcConsultationsTest, TheDemoSeedFinishesWhatAnEarlierRunStarted) {
  Ok({"consultation", "create", "--id", "copenhagen-framework", "--title",
      "Copenhagen Framework on Citizen Data (draft for consultation)"});
  const CdcRun run = RunProgram(kSeed, {CdcBinary()}, Environment());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, AllOf(Not(HasSubstr("created")),
                             HasSubstr("imported the draft as version 1"),
                             HasSubstr("opened round 1")));
}

TEST_F(CdcConsultationsTest, TheDemoSeedFailsWithTheToolsError) {
  std::vector<std::string> env = Environment();
  env[0] = "CDC_TOKEN=";
  const CdcRun run = RunProgram(kSeed, {CdcBinary()}, env);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, StartsWith("cdc: UNAUTHENTICATED: "));
}

}  // namespace
}  // namespace cdc::cli
