// The cdc tool's community commands, end to end against a real
// cdc-community, cdc-comments, cdc-consultations and cdc-members (over a
// real Redis, on loopback): the built binary runs as a child process, as a
// person would run it; the initiative export is read back by Python's csv
// and json modules; and deploy/demo/seed-community runs twice.
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/community/community_test_support.h"
#include "tools/cdc/cdc_cli.h"
#include "tools/cdc/cdc_runner.h"
#include "tools/cdc/python_readers.h"
#include "tools/cdc/record_export.h"

namespace cdc::cli {
namespace {

using ::cdc::cli::testing::CdcBinary;
using ::cdc::cli::testing::CdcRun;
using ::cdc::cli::testing::ParseCsv;
using ::cdc::cli::testing::ParseJsonLines;
using ::cdc::cli::testing::Python;
using ::cdc::cli::testing::ReadFile;
using ::cdc::cli::testing::RunCdc;
using ::cdc::cli::testing::RunProgram;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kSeed[] = CDC_SOURCE_DIR "/deploy/demo/seed-community";

class CdcCommunityTest : public community::testing::CommunityServerTest {
 protected:
  // The environment that points cdc at the test's services, as `token`.
  std::vector<std::string> Environment(const std::string& token) {
    return {"CDC_TOKEN=" + token,
            "CDC_MEMBERS_ADDRESS=" + MembersServerTest::host_->address(),
            "CDC_CONSULTATIONS_ADDRESS=" + host_c_->address(),
            "CDC_COMMENTS_ADDRESS=" + host_k_->address(),
            "CDC_COMMUNITY_ADDRESS=" + community_address_};
  }

  CdcRun Cdc(const std::string& token, const std::vector<std::string>& args) {
    return RunCdc(args, Environment(token));
  }

  // Runs cdc and expects it to succeed; returns its stdout.
  std::string Ok(const std::string& token,
                 const std::vector<std::string>& args) {
    const CdcRun run = Cdc(token, args);
    EXPECT_EQ(run.exit_code, 0) << absl::StrJoin(args, " ") << ": " << run.err;
    EXPECT_EQ(run.err, "") << absl::StrJoin(args, " ");
    return run.out;
  }

  // `cdc --json <args>` as `token`, its output parsed as a `Message`.
  template <typename Message>
  Message JsonOf(const std::string& token, std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    const std::string json = Ok(token, args);
    Message message;
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(json, &message).ok())
        << json;
    return message;
  }

  // Registers an initiative with cdc as `token`.
  v1::Initiative Register(const std::string& token, const std::string& name,
                          const std::string& countries) {
    return JsonOf<v1::Initiative>(token, {"initiative",
                                          "create",
                                          "--name",
                                          name,
                                          "--lead_organisation",
                                          "Water Watch, \"Kenya\"",
                                          "--organisation_type",
                                          "civil-society",
                                          "--countries",
                                          countries,
                                          "--level",
                                          "engaging",
                                          "--status",
                                          "active",
                                          "--sdg_goals",
                                          "6,5",
                                          "--sdg_indicators",
                                          "6.1.1",
                                          "--data_topics",
                                          "water",
                                          "--links",
                                          "https://example.org/water",
                                          "--description",
                                          "Volunteers report,\nmonthly."});
  }
};

TEST_F(CdcCommunityTest, ASpaceATopicAPostAndAReply) {
  const v1::Space space = JsonOf<v1::Space>(
      secretariat_token_,
      {"space", "create", "--id", "gaps", "--title", "Methodological gaps",
       "--description", "Where guidance is missing."});
  EXPECT_EQ(space.name(), "spaces/gaps");
  EXPECT_THAT(Ok(member_, {"space", "join", "gaps"}),
              HasSubstr("you belong:     member\n"));
  const v1::Topic topic = JsonOf<v1::Topic>(
      member_, {"topic", "create", "spaces/gaps", "--title",
                "Weighting volunteer samples", "--body", "How do you weight?",
                "--tags", "sampling,weighting"});
  EXPECT_THAT(topic.name(), StartsWith("spaces/gaps/topics/"));
  EXPECT_THAT(topic.tags(), ElementsAre("sampling", "weighting"));

  const v1::Comment post = JsonOf<v1::Comment>(
      member_, {"topic", "post", topic.name(), "--body", "We post-stratify."});
  EXPECT_EQ(post.target(), topic.name());
  Ok(other_, {"space", "join", "spaces/gaps"});
  const v1::Comment reply = JsonOf<v1::Comment>(
      other_,
      {"topic", "reply", post.name(), "--body", "Against which totals?"});
  EXPECT_EQ(reply.parent(), post.name());
  EXPECT_THAT(Ok(other_, {"topic", "posts", topic.name()}),
              AllOf(HasSubstr("We post-stratify."),
                    HasSubstr("Against which totals?")));

  SettleCommunity();
  const std::string list = Ok(member_, {"topic", "list", "gaps"});
  EXPECT_THAT(list, AllOf(HasSubstr("Weighting volunteer samples"),
                          HasSubstr(topic.name())));
  EXPECT_THAT(Ok(member_, {"topic", "get", topic.name()}),
              HasSubstr("posts:          2\n"));
  EXPECT_THAT(Ok(member_, {"space", "members", "gaps"}),
              AllOf(HasSubstr(NameOf(member_)), HasSubstr(NameOf(other_))));

  // An update sends exactly the flags given: an empty description clears
  // it, the title stays.
  const v1::Space updated = JsonOf<v1::Space>(
      secretariat_token_, {"space", "update", "gaps", "--description", ""});
  EXPECT_EQ(updated.description(), "");
  EXPECT_EQ(updated.title(), "Methodological gaps");
  const CdcRun nothing = Cdc(secretariat_token_, {"space", "update", "gaps"});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_THAT(nothing.err, HasSubstr("nothing to change"));

  // Facilitators' tools; then a closed topic takes no posts.
  Ok(secretariat_token_, {"topic", "pin", topic.name()});
  EXPECT_THAT(Ok(secretariat_token_,
                 {"topic", "close", topic.name(), "--reason", "Answered."}),
              HasSubstr("state:          closed (Answered.)\n"));
  const CdcRun closed =
      Cdc(member_, {"topic", "post", topic.name(), "--body", "One more."});
  EXPECT_EQ(closed.exit_code, 1);
  EXPECT_THAT(closed.err, StartsWith("cdc: FAILED_PRECONDITION: "));

  const CdcRun bad_topic = Cdc(member_, {"topic", "get", "gaps"});
  EXPECT_EQ(bad_topic.exit_code, 2);
  EXPECT_THAT(bad_topic.err, HasSubstr("spaces/<space>/topics/<topic>"));
}

TEST_F(CdcCommunityTest, PrivateConversationsAndBlocks) {
  const v1::Conversation conversation = JsonOf<v1::Conversation>(
      member_, {"conversation", "create", "--with", NameOf(other_), "--subject",
                "Your survey"});
  EXPECT_THAT(conversation.participants(),
              ::testing::UnorderedElementsAre(NameOf(member_), NameOf(other_)));
  Ok(member_, {"conversation", "write", conversation.name(), "--body",
               "Could we talk on Tuesday?"});
  EXPECT_THAT(Ok(other_, {"conversation", "messages", conversation.name()}),
              HasSubstr("Could we talk on Tuesday?"));
  EXPECT_THAT(Ok(other_, {"conversation", "list"}),
              HasSubstr(std::string(ResourceId(conversation.name()))));

  // Nobody else sees it, the secretariat included.
  const CdcRun secretariat =
      Cdc(secretariat_token_, {"conversation", "get", conversation.name()});
  EXPECT_EQ(secretariat.exit_code, 1);
  EXPECT_THAT(secretariat.err, StartsWith("cdc: NOT_FOUND: "));

  EXPECT_THAT(Ok(other_, {"block", NameOf(member_)}),
              HasSubstr(NameOf(member_)));
  EXPECT_THAT(Ok(other_, {"blocked"}), HasSubstr(NameOf(member_)));
  const CdcRun blocked =
      Cdc(member_, {"conversation", "create", "--with", NameOf(other_)});
  EXPECT_EQ(blocked.exit_code, 1);
  EXPECT_THAT(blocked.err, StartsWith("cdc: PERMISSION_DENIED: "));
  EXPECT_THAT(Ok(other_, {"unblock", NameOf(member_)}),
              HasSubstr("you do not block"));
  EXPECT_EQ(Ok(other_, {"--json", "unblock", NameOf(member_)}), "{}\n");
  Ok(other_, {"conversation", "leave", conversation.name()});
}

TEST_F(CdcCommunityTest, TheLibraryIsFilteredAndSorted) {
  const v1::Resource manual = JsonOf<v1::Resource>(
      member_,
      {"resource", "create", "--title", "Quality manual", "--type", "guideline",
       "--link", "https://example.org/manual", "--countries", "ken",
       "--languages", "en,fr", "--sdg_goals", "17", "--tags", "quality"});
  EXPECT_THAT(manual.countries(), ElementsAre("KEN"));
  JsonOf<v1::Resource>(
      member_, {"resource", "create", "--title", "Consent toolkit", "--type",
                "toolkit", "--link", "https://example.org/consent",
                "--countries", "KEN,UGA", "--sdg_goals", "5,16"});
  JsonOf<v1::Resource>(
      member_, {"resource", "create", "--title", "Survey data", "--type",
                "dataset", "--link", "https://example.org/data"});
  Ok(other_, {"resource", "endorse", manual.name()});

  EXPECT_THAT(Ok(other_, {"resource", "list", "--country", "KEN"}),
              AllOf(HasSubstr("Quality manual"), HasSubstr("Consent toolkit"),
                    Not(HasSubstr("Survey data"))));
  const auto endorsed = JsonOf<v1::ListResourcesResponse>(
      other_, {"resource", "list", "--order", "most-endorsed"});
  ASSERT_EQ(endorsed.resources_size(), 3);
  EXPECT_EQ(endorsed.resources(0).name(), manual.name());

  const CdcRun bad_link =
      Cdc(member_, {"resource", "create", "--title", "X", "--type", "other",
                    "--link", "ftp://example.org/x"});
  EXPECT_EQ(bad_link.exit_code, 1);
  EXPECT_THAT(bad_link.err,
              AllOf(StartsWith("cdc: INVALID_ARGUMENT: "), HasSubstr("link")));
  const CdcRun bad_type = Cdc(member_, {"resource", "list", "--type", "book"});
  EXPECT_EQ(bad_type.exit_code, 2);
  EXPECT_THAT(bad_type.err, HasSubstr("case-study"));

  EXPECT_THAT(Ok(member_, {"resource", "update", manual.name(), "--summary",
                           "The UN manual."}),
              HasSubstr("The UN manual."));
  EXPECT_EQ(Ok(member_, {"resource", "delete", manual.name()}),
            absl::StrCat("deleted ", manual.name(), "\n"));
}

TEST_F(CdcCommunityTest, InitiativesAreReviewedCountedAndExported) {
  const std::string python = Python();
  if (python.empty()) GTEST_SKIP() << "no python3 to read the export with";
  const v1::Initiative water = Register(member_, "Water points", "KEN,UGA");
  EXPECT_EQ(water.review_state(), v1::Initiative::SUBMITTED);
  const v1::Initiative air = Register(other_, "Air quality", "BRA");
  EXPECT_THAT(Ok(secretariat_token_,
                 {"initiative", "list", "--review_state", "submitted"}),
              AllOf(HasSubstr("Water points"), HasSubstr("Air quality")));
  EXPECT_THAT(Ok(secretariat_token_,
                 {"initiative", "approve", water.name(), "--note", "Thanks."}),
              HasSubstr("review:          approved by "));
  Ok(secretariat_token_,
     {"initiative", "return", air.name(), "--note", "Add a link."});
  const CdcRun no_note =
      Cdc(secretariat_token_, {"initiative", "return", air.name()});
  EXPECT_EQ(no_note.exit_code, 2);

  EXPECT_THAT(Ok(other_, {"initiative", "counts"}),
              AllOf(HasSubstr("KEN      1"), HasSubstr("UGA      1"),
                    HasSubstr("initiatives:  1\ncountries:    2\n")));

  // CSV, read back by Python's csv module: the header, then one row.
  const std::string csv = Ok(other_, {"initiative", "export"});
  const std::vector<std::vector<std::string>> rows = ParseCsv(python, csv);
  ASSERT_EQ(rows.size(), 2u) << csv;
  EXPECT_THAT(rows[0], ElementsAreArray(InitiativeColumns()));
  const std::vector<std::string>& row = rows[1];
  ASSERT_EQ(row.size(), InitiativeColumns().size());
  EXPECT_EQ(row[0], water.name());
  EXPECT_EQ(row[1], "Water points");
  EXPECT_EQ(row[2], "Volunteers report,\nmonthly.");
  EXPECT_EQ(row[3], "Water Watch, \"Kenya\"");
  EXPECT_EQ(row[4], "civil-society");
  EXPECT_EQ(row[6], "KEN;UGA");
  EXPECT_EQ(row[7], "sub-saharan-africa");
  EXPECT_EQ(row[10], "engaging");
  EXPECT_EQ(row[14], "approved");

  // JSON Lines to a file, read back by Python's json module.
  const std::string file =
      absl::StrCat(::testing::TempDir(), "initiatives-", getpid(), ".jsonl");
  EXPECT_EQ(Ok(other_, {"initiative", "export", "--format", "jsonl",
                        "--country", "UGA", "--output", file}),
            "");
  const std::vector<v1::Initiative> initiatives =
      ParseJsonLines<v1::Initiative>(python, ReadFile(file));
  ASSERT_EQ(initiatives.size(), 1u);
  EXPECT_EQ(initiatives[0].display_name(), "Water points");
  EXPECT_EQ(initiatives[0].review_note(), "Thanks.");
  unlink(file.c_str());
}

TEST_F(CdcCommunityTest, SearchFindsWhatTheCallerMayRead) {
  ASSERT_THAT(MakeSpace("gaps"), cdc::testing::IsOk());
  Ok(member_, {"space", "join", "gaps"});
  Ok(member_, {"topic", "create", "gaps", "--title", "Weighting volunteers",
               "--body", "Post-stratification of volunteer samples."});
  const std::string found = Ok(member_, {"search", "volunteer weighting"});
  EXPECT_THAT(found,
              AllOf(HasSubstr("topic"), HasSubstr("Weighting volunteers")));
  EXPECT_THAT(Ok(member_, {"search", "nothingmatchesthis"}),
              HasSubstr("nothing found"));
  const CdcRun bad_kind = Cdc(member_, {"search", "x", "--kinds", "comment"});
  EXPECT_EQ(bad_kind.exit_code, 2);
}

TEST_F(CdcCommunityTest, TheDemoSeedRunsTwiceAndChangesNothingTheSecondTime) {
  const std::vector<std::string> env = Environment(secretariat_token_);
  const CdcRun first = RunProgram(kSeed, {CdcBinary()}, env);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_EQ(first.err, "");
  EXPECT_THAT(first.out, AllOf(StartsWith("demo seed: community: "),
                               HasSubstr("space methodological-gaps"),
                               HasSubstr("space sensitive-data"),
                               HasSubstr("a post and a reply")));

  const auto spaces =
      JsonOf<v1::ListSpacesResponse>(secretariat_token_, {"space", "list"});
  ASSERT_EQ(spaces.spaces_size(), 2);
  EXPECT_EQ(spaces.spaces(0).name(), "spaces/methodological-gaps");
  EXPECT_EQ(spaces.spaces(1).visibility(), v1::Space::INVITE_ONLY);
  EXPECT_TRUE(spaces.spaces(1).caller_is_facilitator());
  EXPECT_EQ(JsonOf<v1::ListResourcesResponse>(secretariat_token_,
                                              {"resource", "list"})
                .resources_size(),
            3);
  EXPECT_EQ(JsonOf<v1::ListInitiativesResponse>(secretariat_token_,
                                                {"initiative", "list"})
                .initiatives_size(),
            2);
  EXPECT_EQ(JsonOf<v1::ListInitiativesResponse>(
                secretariat_token_,
                {"initiative", "list", "--review_state", "submitted"})
                .initiatives_size(),
            1);

  const CdcRun second = RunProgram(kSeed, {CdcBinary()}, env);
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_EQ(second.out, "demo seed: community already set up; nothing to do\n");
}

}  // namespace
}  // namespace cdc::cli
