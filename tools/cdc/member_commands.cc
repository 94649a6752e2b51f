// cdc member apply|approve|list, cdc sign-in, cdc whoami: one function per
// command, and the text form of what cdc-members answers.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/status_macros.h"
#include "tools/cdc/commands.h"
#include "tools/cdc/text_output.h"

ABSL_FLAG(std::string, email, "", "member apply, sign-in: the email address");
ABSL_FLAG(std::string, organisation, "", "member apply: the organisation");
ABSL_FLAG(std::string, biography, "", "member apply: a short biography");
ABSL_FLAG(std::string, password, "",
          "member apply, sign-in: the password; better CDC_PASSWORD or the "
          "prompt, which keep it out of the process list");
ABSL_FLAG(std::string, role, "",
          "member approve: member (default), observer or secretariat");

namespace cdc::cli {
namespace {

using Stub = v1::MembersService::Stub;
using Operands = std::vector<std::string>;

// --- Text output --------------------------------------------------------

std::string MemberText(const v1::Member& member) {
  std::string state = EnumLabel(member.state());
  if (!member.state_reason().empty()) {
    absl::StrAppend(&state, " (", member.state_reason(), ")");
  }
  return Fields()
      .Add("name", member.name())
      .Add("display name", member.display_name())
      .Add("email", member.email())
      .Add("organisation", member.organisation())
      .Add("organisation type", EnumLabel(member.organisation_type()))
      .Add("country", member.country())
      .Add("languages", absl::StrJoin(member.languages(), ", "))
      .Add("state", state)
      .Add("role", EnumLabel(member.role()))
      .Add("created", FormatTime(member.create_time()))
      .Add("updated", FormatTime(member.update_time()))
      .Add("etag", member.etag())
      .Add("biography", member.biography())
      .Format();
}

std::string MemberListText(const v1::ListMembersResponse& response) {
  if (response.members().empty()) return "no members\n";
  Table table(
      {"ID", "STATE", "ROLE", "COUNTRY", "NAME", "ORGANISATION", "EMAIL"});
  for (const v1::Member& member : response.members()) {
    table.AddRow({std::string(ResourceId(member.name())),
                  EnumLabel(member.state()), EnumLabel(member.role()),
                  member.country(), member.display_name(),
                  member.organisation(), member.email()});
  }
  return table.Format();
}

std::string PrincipalText(const v1::Principal& principal) {
  return Fields()
      .Add("member", principal.member())
      .Add("display name", principal.display_name())
      .Add("role", EnumLabel(principal.role()))
      .Add("organisation", principal.organisation())
      .Add("organisation type", EnumLabel(principal.organisation_type()))
      .Add("country", principal.country())
      .Add("token", principal.token())
      .Add("token expires", FormatTime(principal.expire_time()))
      .Format();
}

// Only the token, so that `CDC_TOKEN=$(cdc sign-in ...)` works.
std::string TokenText(const v1::SignInResponse& response) {
  return response.token();
}

// --- Arguments ------------------------------------------------------------

// One line from stdin; without echo when stdin is a terminal, after a
// prompt on stderr.
std::string ReadSecretLine(const char* prompt) {
  const bool terminal = isatty(STDIN_FILENO) == 1;
  termios saved{};
  if (terminal) {
    std::fputs(prompt, stderr);
    std::fflush(stderr);
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (terminal) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fputc('\n', stderr);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// --password (or CDC_PASSWORD), else a line read from stdin.
absl::StatusOr<std::string> Password() {
  std::string password = absl::GetFlag(FLAGS_password);
  if (password.empty()) password = ReadSecretLine("Password: ");
  if (password.empty()) {
    return UsageError(
        "a password is required: --password, CDC_PASSWORD or stdin");
  }
  return password;
}

// --- Commands ---------------------------------------------------------------

absl::Status Apply(Cli& cli, const Operands&) {
  const std::vector<std::string> languages = absl::GetFlag(FLAGS_languages);
  CDC_RETURN_IF_ERROR(RequireFlags({
      {"email", absl::GetFlag(FLAGS_email)},
      {"name", absl::GetFlag(FLAGS_name)},
      {"organisation", absl::GetFlag(FLAGS_organisation)},
      {"organisation_type", absl::GetFlag(FLAGS_organisation_type)},
      {"country", absl::GetFlag(FLAGS_country)},
      {"languages", absl::StrJoin(languages, ",")},
  }));
  v1::ApplyForMembershipRequest request;
  v1::Member& member = *request.mutable_member();
  member.set_email(absl::GetFlag(FLAGS_email));
  member.set_display_name(absl::GetFlag(FLAGS_name));
  member.set_organisation(absl::GetFlag(FLAGS_organisation));
  CDC_ASSIGN_OR_RETURN(
      v1::OrganisationType type,
      ParseEnum<v1::OrganisationType>("organisation_type",
                                      absl::GetFlag(FLAGS_organisation_type)));
  member.set_organisation_type(type);
  member.set_country(absl::AsciiStrToUpper(absl::GetFlag(FLAGS_country)));
  for (const std::string& language : languages) member.add_languages(language);
  member.set_biography(absl::GetFlag(FLAGS_biography));
  CDC_ASSIGN_OR_RETURN(*request.mutable_password(), Password());
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  return cli.CallAndPrint(&Stub::ApplyForMembership, request, MemberText);
}

absl::Status Approve(Cli& cli, const Operands& operands) {
  v1::ApproveMemberRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_name(),
                       ResourceName("members", operands[0]));
  if (const std::string role = absl::GetFlag(FLAGS_role); !role.empty()) {
    CDC_ASSIGN_OR_RETURN(v1::Role value, ParseEnum<v1::Role>("role", role));
    request.set_role(value);
  }
  return cli.CallAndPrint(&Stub::ApproveMember, request, MemberText);
}

absl::Status List(Cli& cli, const Operands&) {
  v1::ListMembersRequest request;
  if (const std::string state = absl::GetFlag(FLAGS_state); !state.empty()) {
    CDC_ASSIGN_OR_RETURN(v1::Member::State value,
                         ParseEnum<v1::Member::State>("state", state));
    request.set_state(value);
  }
  if (const std::string type = absl::GetFlag(FLAGS_organisation_type);
      !type.empty()) {
    CDC_ASSIGN_OR_RETURN(
        v1::OrganisationType value,
        ParseEnum<v1::OrganisationType>("organisation_type", type));
    request.set_organisation_type(value);
  }
  request.set_country(absl::AsciiStrToUpper(absl::GetFlag(FLAGS_country)));
  return cli.ListAndPrint(&Stub::ListMembers, request, MemberListText);
}

absl::Status SignIn(Cli& cli, const Operands&) {
  CDC_RETURN_IF_ERROR(RequireFlag("email", absl::GetFlag(FLAGS_email)));
  v1::SignInRequest request;
  request.set_email(absl::GetFlag(FLAGS_email));
  CDC_ASSIGN_OR_RETURN(*request.mutable_password(), Password());
  return cli.CallAndPrint(&Stub::SignIn, request, TokenText);
}

absl::Status WhoAmI(Cli& cli, const Operands&) {
  return cli.CallAndPrint(&Stub::Authenticate, v1::AuthenticateRequest(),
                          PrincipalText);
}

}  // namespace

std::vector<Command> MemberCommands() {
  return {
      {"member apply",
       {},
       "--email E --name N --organisation O --organisation_type T "
       "--country KEN --languages en,fr [--biography B] [--password P] "
       "[--request_id R]",
       "applies to join (no token needed); the password may also come from "
       "CDC_PASSWORD or stdin",
       Apply},
      {"member approve",
       {"NAME"},
       "[--role member|observer|secretariat]",
       "approves a pending applicant (secretariat)",
       Approve},
      {"member list",
       {},
       "[--state PENDING|ACTIVE|REJECTED|SUSPENDED] [--country KEN] "
       "[--organisation_type T]",
       "lists members, ordered by name",
       List},
      {"sign-in",
       {},
       "--email E [--password P]",
       "signs in and prints only the session token (for CDC_TOKEN)",
       SignIn},
      {"whoami", {}, "", "shows who the token belongs to", WhoAmI},
  };
}

}  // namespace cdc::cli
