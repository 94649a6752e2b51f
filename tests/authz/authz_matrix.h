// The authorization matrix: every RPC of every cdc service, called by every
// kind of caller on their own and on someone else's resource, with the
// canonical code the contract (the comments in proto/cdc/v1) promises for
// each cell.
//
// The table (authz_table.cc) has one row per RPC and variant: how to build
// a valid request for a cell, and the expected code for each principal on
// the caller's own resource and on another's. The test
// (authz_matrix_test.cc) implements World over real services on loopback,
// checks that every RPC of the generated descriptors has a row, and runs
// every cell directly against the owning service, through the gateway's gRPC
// front and through its HTTP/JSON side.
#pragma once

#include <google/protobuf/message.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace cdc::authz {

// Who calls. The order is the order of the code columns in the table.
enum class Who {
  kAnonymous,    // no token at all
  kObserver,     // session of an OBSERVER
  kMember,       // session of a MEMBER
  kOther,        // session of a second MEMBER
  kPartner,      // API token (role PARTNER) acting for a MEMBER account
  kSecretariat,  // session of the SECRETARIAT
  kSuspended,    // the session a member had when suspended
  kRevoked,      // a session its member signed out of
  kExpired,      // a session past its time to live (FakeClock)
};
inline constexpr int kWhoCount = 9;
inline constexpr std::array<absl::string_view, kWhoCount> kWhoNames = {
    "anonymous",   "observer",  "member",  "other",  "partner",
    "secretariat", "suspended", "revoked", "expired"};

// Whose resource a cell acts on.
enum class Side { kOwn, kOther };

// A signed-up person (or partner account) the matrix calls as.
struct Account {
  Who who = Who::kAnonymous;
  std::string name;      // "members/{id}"
  std::string email;     // to sign in
  std::string password;  // to sign in
  std::string token;     // what the cell's calls carry (may be refused)
  std::string writer;    // a working token of the same member, for seeding
};

// One cell being built: the caller, and the owner of the resource acted on
// (the caller's account on the own side; on the other side the MEMBER, or
// the second member when the caller is the MEMBER).
struct Cell {
  Who who = Who::kAnonymous;
  Side side = Side::kOwn;
  const Account* caller = nullptr;  // null for anonymous
  const Account* owner = nullptr;   // null when nobody owns one
};

// Consultations by lifecycle stage.
enum class Stage { kDraft, kOpen, kClosed, kPublished };

// What a comment is on. kConversation: on the own side, the owner's
// conversation with a peer; on the other side, a conversation of the
// owner's that the caller is not in. kPeer: the peer's message in the
// caller's own conversation. kFlagged: as kConversation's other side, and
// flagged by the owner's correspondent (so the secretariat may see it).
enum class On { kSection, kResource, kTopic, kConversation, kPeer, kFlagged };

// Spaces: kCommons (OPEN; every signed-up member but observer and partner
// has joined), kInner (INVITE_ONLY; the same members, added), kVault
// (INVITE_ONLY; only a member the matrix never calls as), kPlaza (OPEN;
// nobody joined).
enum class SpaceKind { kCommons, kInner, kVault, kPlaza };

// What the table's request builders may ask for. Seeded objects are made
// once, on first use, and reused; `fresh` ones are made for each call, so
// that a write acting on them (withdraw, close, delete, approve ...) leaves
// the other cells alone. Failures to seed are recorded as test failures
// and give "" names.
class World {
 public:
  virtual ~World() = default;

  virtual const Account* Of(Who who) = 0;     // null for kAnonymous
  virtual std::string NewEmail() = 0;         // an unused email address
  virtual std::string Applicant() = 0;        // a fresh PENDING member
  virtual std::string ActiveMember() = 0;     // a fresh ACTIVE MEMBER
  virtual std::string SuspendedMember() = 0;  // a fresh SUSPENDED member
  virtual std::string ApiToken() = 0;  // "tokens/{id}" of a fresh API token

  // "consultations/{c}" at `stage` (seeded: draft, open, published; fresh:
  // draft with a version, open, closed).
  virtual std::string Consultation(Stage stage, bool fresh) = 0;
  // "consultations/{c}/sections/importance" of Consultation(stage, false).
  virtual std::string Section(Stage stage) = 0;

  // "consultations/{c}/sections/importance" of an open consultation whose
  // audience is members from Brazil only (the second member's country).
  virtual std::string RestrictedSection() = 0;

  // "comments/{c}" by the cell's owner (see On), VISIBLE, or HIDDEN by
  // the secretariat when `hidden`.
  virtual std::string Comment(On on, const Cell& cell, bool fresh,
                              bool hidden = false) = 0;

  // "spaces/{s}" of `kind`; fresh ones (kPlaza or kVault only) have no
  // members but `member` (added by the secretariat) when given.
  virtual std::string Space(SpaceKind kind, bool fresh,
                            const Account* member = nullptr) = 0;
  // "spaces/{s}/topics/{t}" in `kind` by `author` (null: the secretariat,
  // or in the vault its only member), OPEN or CLOSED.
  virtual std::string Topic(SpaceKind kind, const Account* author, bool fresh,
                            bool closed = false) = 0;
  // "conversations/{x}" as kConversation describes for the cell's side.
  virtual std::string Conversation(const Cell& cell, bool fresh) = 0;
  // "members/{m}" of a fresh ACTIVE member who has blocked `blocked` (the
  // secretariat cannot be blocked: then no block), or has blocked nobody
  // when `blocked` is null.
  virtual std::string Blocker(const Account* blocked) = 0;
  // "conversations/{x}" between the caller and a fresh member, who then
  // blocks the caller (as Blocker).
  virtual std::string BlockedConversation(const Cell& cell) = 0;
  // "resources/{r}" shared by `owner`.
  virtual std::string Resource(const Account* owner, bool fresh) = 0;
  // "initiatives/{i}" submitted by `owner`, APPROVED when `approved`.
  virtual std::string Initiative(const Account* owner, bool fresh,
                                 bool approved) = 0;
  // The newest notification in `owner`'s inbox.
  virtual std::string Notification(const Account* owner) = 0;
};

// A request for one cell; null when the cell cannot be built.
using Request = std::unique_ptr<google::protobuf::Message>;
using Builder = Request (*)(World& world, const Cell& cell);

// One row: an RPC (one variant of its requests) and the expected codes.
// Codes are nine space-separated tokens, one per Who in order: OK, UA
// (UNAUTHENTICATED), PD (PERMISSION_DENIED), NF (NOT_FOUND), FP
// (FAILED_PRECONDITION), IA (INVALID_ARGUMENT), or "--" where the cell does
// not exist (nobody to own the resource, or no own/other distinction).
struct Row {
  const char* method;   // "cdc.v1.MembersService/GetMember"
  const char* variant;  // what the requests act on, for messages
  Builder build;
  const char* own;    // codes on the caller's own resource
  const char* other;  // codes on another member's resource
  // Each cell calls as a fresh account of the principal's kind (for
  // SignOut, ChangePassword, self-suspension: calls that end the caller's
  // own tokens).
  bool fresh_caller = false;
};

// The table, in run order (destructive rows act on fresh objects).
absl::Span<const Row> Rows();

}  // namespace cdc::authz
