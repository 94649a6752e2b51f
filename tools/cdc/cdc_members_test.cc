// The cdc tool end to end against a real cdc-members (over a real Redis, on
// loopback): the built binary is run as a child process, as a person or a
// script would run it, and its stdout, stderr and exit status are checked.
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/members/members_test_support.h"
#include "tools/cdc/cdc_runner.h"

namespace cdc::cli {
namespace {

using ::cdc::cli::testing::CdcRun;
using ::cdc::cli::testing::RunCdc;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

constexpr char kPassword[] = "a long enough passphrase 42";

class CdcMembersTest : public members::testing::MembersServerTest {
 protected:
  // Runs cdc against the test's cdc-members, with `token` as CDC_TOKEN.
  CdcRun Cdc(std::vector<std::string> args, const std::string& token,
             std::vector<std::string> env = {}, const std::string& input = "") {
    args.insert(args.begin(),
                absl::StrCat("--members_address=", host_->address()));
    if (!token.empty()) env.push_back("CDC_TOKEN=" + token);
    return RunCdc(args, env, input);
  }

  // `cdc member apply` for a civil society applicant from Kenya; returns
  // the member's id.
  std::string Apply(const std::string& email) {
    const CdcRun run =
        Cdc({"member", "apply", "--email", email, "--name", "Wanjiru Kamau",
             "--organisation", "Data Yetu", "--organisation_type",
             "civil-society", "--country", "ken", "--languages", "en,sw"},
            "", {absl::StrCat("CDC_PASSWORD=", kPassword)});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    for (absl::string_view line : absl::StrSplit(run.out, '\n')) {
      if (absl::ConsumePrefix(&line, "name:")) {
        return std::string(absl::StripAsciiWhitespace(line));
      }
    }
    ADD_FAILURE() << "no name in: " << run.out;
    return "";
  }
};

TEST_F(CdcMembersTest, AnApplicantIsApprovedSignsInAndSeesItsRole) {
  const std::string name = Apply("wanjiru@datayetu.example.org");
  EXPECT_THAT(name, StartsWith("members/"));

  const CdcRun approve =
      Cdc({"member", "approve", name.substr(8), "--role", "member"},
          secretariat_token_);
  ASSERT_EQ(approve.exit_code, 0) << approve.err;
  EXPECT_THAT(approve.out, AllOf(HasSubstr("state:              active\n"),
                                 HasSubstr("role:               member\n"),
                                 HasSubstr("languages:          en, sw\n")));

  // sign-in prints the token alone, the password read from stdin.
  const CdcRun sign_in =
      Cdc({"sign-in", "--email", "wanjiru@datayetu.example.org"}, "", {},
          absl::StrCat(kPassword, "\n"));
  ASSERT_EQ(sign_in.exit_code, 0) << sign_in.err;
  EXPECT_THAT(sign_in.out, MatchesRegex("cdc_[0-9a-f]{24}_[^\n]+\n"));

  const CdcRun whoami = Cdc(
      {"whoami"}, std::string(absl::StripTrailingAsciiWhitespace(sign_in.out)));
  ASSERT_EQ(whoami.exit_code, 0) << whoami.err;
  EXPECT_THAT(whoami.out,
              AllOf(HasSubstr(absl::StrCat("member:             ", name)),
                    HasSubstr("role:               member\n"),
                    HasSubstr("organisation type:  civil-society\n")));
}

TEST_F(CdcMembersTest, JsonOutputIsTheResponseMessageInProto3Json) {
  const CdcRun run = Cdc({"whoami", "--json"}, secretariat_token_);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  v1::Principal principal;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(run.out, &principal).ok())
      << run.out;
  EXPECT_EQ(principal.member(), secretariat_);
  EXPECT_EQ(principal.role(), v1::ROLE_SECRETARIAT);
}

TEST_F(CdcMembersTest, ListReadsEveryPage) {
  // One more than a page of the tool (200), applied through the API.
  for (int i = 0; i < 201; ++i) {
    v1::ApplyForMembershipRequest request;
    v1::Member* member = request.mutable_member();
    member->set_email(absl::StrCat("applicant", i, "@example.org"));
    member->set_display_name(absl::StrCat("Applicant ", 1000 + i));
    member->set_organisation("Open Data Kenya");
    member->set_organisation_type(v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
    member->set_country("KEN");
    member->add_languages("en");
    request.set_password(kPassword);
    v1::Member created;
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->ApplyForMembership(&context, request, &created).ok());
  }
  const CdcRun run = Cdc({"member", "list", "--state", "PENDING", "--json"},
                         secretariat_token_);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  v1::ListMembersResponse response;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(run.out, &response).ok());
  EXPECT_EQ(response.members_size(), 201);
  EXPECT_EQ(response.next_page_token(), "");

  const CdcRun text =
      Cdc({"member", "list", "--state", "pending"}, secretariat_token_);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, StartsWith("ID "));
  EXPECT_EQ(std::count(text.out.begin(), text.out.end(), '\n'), 1 + 201);
}

TEST_F(CdcMembersTest, AFailedCallExitsWithOneAndTheCodeName) {
  const CdcRun run =
      Cdc({"member", "approve", "0123456789abcdef"}, secretariat_token_);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, StartsWith("cdc: NOT_FOUND: "));

  const CdcRun wrong = Cdc({"sign-in", "--email", "nobody@example.org",
                            "--password", "not the password at all"},
                           "");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.err, StartsWith("cdc: UNAUTHENTICATED: "));
}

TEST_F(CdcMembersTest, WithoutATokenTheErrorSaysHowToGiveOne) {
  const CdcRun run = Cdc({"whoami"}, "");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, AllOf(StartsWith("cdc: UNAUTHENTICATED: "),
                             HasSubstr("--token or CDC_TOKEN")));
}

TEST_F(CdcMembersTest, AServiceThatIsDownIsNamedWithItsAddress) {
  const CdcRun run =
      RunCdc({"--members_address=127.0.0.1:1", "--deadline=2s", "whoami"},
             {"CDC_TOKEN=" + secretariat_token_});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err,
              StartsWith("cdc: UNAVAILABLE: cdc-members at 127.0.0.1:1: "));
}

TEST_F(CdcMembersTest, UsageErrorsExitWithTwoBeforeAnyCall) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"member"},
           {"member", "approve"},
           {"member", "apply", "--email", "x@example.org"},
           {"member", "list", "--state", "asleep"},
           {"member", "approve", "x", "--role", "king"},
           {"whoami", "--title", "T"},
           {"whoami", "--bogus"},
           {"--deadline=0s", "whoami"},
       }) {
    const CdcRun run = Cdc(args, secretariat_token_);
    EXPECT_EQ(run.exit_code, 2) << args.back() << ": " << run.err;
    EXPECT_THAT(run.err, StartsWith("cdc: ")) << args.back();
  }
}

TEST_F(CdcMembersTest, ConnectionFlagsComeFromTheEnvironment) {
  const CdcRun run =
      RunCdc({"whoami"}, {"CDC_TOKEN=" + secretariat_token_,
                          "CDC_MEMBERS_ADDRESS=" + host_->address()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("role:               secretariat\n"));
}

}  // namespace
}  // namespace cdc::cli
