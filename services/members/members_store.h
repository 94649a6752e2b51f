// cdc-members' keyspace in Redis: members, their email index, the directory,
// session and API tokens. Every write is one Lua script that checks, writes
// and appends its domain event to the shard's event stream in one atomic
// step. Key layout (k = the member's shard, the first hex digit of its id,
// itself derived from the email so that the email index shares the slot):
//
//   members:{sk}:member:<id>        hash   the member (fields below)
//   members:{sk}:email:<email>      string member id (email lower-cased)
//   members:{sk}:directory          zset   "<lower name>\1<id>", lex order
//   members:{sk}:apply:<email>:<request id>  string member id, 24 h
//   members:{sk}:token:<token id>   hash   a session or API token
//   members:{sk}:api_tokens         zset   "<inverted create ms>\1<token id>"
//   events:{sk}                     stream domain events (outbox)
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cdc/v1/events.pb.h"
#include "cdc/v1/members.pb.h"
#include "services/common/redis.h"

namespace cdc::members {

// A member as stored, with what is never shown to anyone.
struct MemberRecord {
  v1::Member member;          // name, etag and times filled in
  std::string password_hash;  // argon2id PHC string; empty: no password
  int64_t token_gen = 0;      // tokens of an older generation are void
};

struct TokenRecord {
  enum class Kind { kSession, kApi };
  std::string token_id;   // "tokens/<token_id>"
  std::string member_id;  // whom it acts for
  Kind kind = Kind::kSession;
  std::string secret_sha256;  // raw SHA-256 of the secret
  absl::Time create_time;
  absl::Time expire_time;
  bool revoked = false;
  std::string display_name;  // API tokens: what the partner system is
  std::string created_by;    // API tokens: "members/<id>" of the issuer
};

// What a token lookup finds: the token and, when it still exists, its member.
struct TokenLookup {
  TokenRecord token;
  bool member_found = false;
  MemberRecord member;
};

// Directory filters; unset fields match everything.
struct MemberFilter {
  v1::OrganisationType organisation_type = v1::ORGANISATION_TYPE_UNSPECIFIED;
  std::string country;
  v1::Member::State state = v1::Member::STATE_UNSPECIFIED;
  v1::Role role = v1::ROLE_UNSPECIFIED;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_position;  // empty on the last page
};

// An allowed state change, checked and applied atomically.
struct Transition {
  std::vector<v1::Member::State> from;  // states it may start from
  v1::Member::State to = v1::Member::STATE_UNSPECIFIED;
  v1::Role role = v1::ROLE_UNSPECIFIED;  // unspecified: keep the role
  std::string reason;                    // kept as state_reason
  bool revoke_tokens = false;            // void every token issued so far
};

class MembersStore final {
 public:
  struct Options {
    // Approximate cap of each event stream (XADD MAXLEN ~).
    int64_t event_stream_maxlen = 1'000'000;
    absl::Duration request_id_ttl = absl::Hours(24);
  };

  // `redis` must outlive the store.
  MembersStore(RedisClient* redis, Options options);

  // The Redis the store writes to (the sign-in throttle counts there too).
  RedisClient* redis() const { return redis_; }

  // A new member id for `email`: 16 hex digits, the first its shard.
  static std::string NewMemberId(absl::string_view canonical_email);

  // Stores a new member (member.name already "members/<id>" from NewMemberId,
  // email canonical). ALREADY_EXISTS when the email is taken, unless
  // `request_id` was already used for this email: then returns that member.
  absl::StatusOr<MemberRecord> CreateMember(const v1::Member& member,
                                            absl::string_view password_hash,
                                            absl::string_view request_id,
                                            const v1::Event& event);

  // NOT_FOUND when there is no such member.
  absl::StatusOr<MemberRecord> GetMember(absl::string_view member_id);
  absl::StatusOr<MemberRecord> FindByEmail(absl::string_view canonical_email);

  // Writes the profile fields named in `paths` from `values`. ABORTED when
  // `etag` is set and stale; NOT_FOUND.
  absl::StatusOr<MemberRecord> UpdateProfile(
      absl::string_view member_id, const v1::Member& values,
      const std::vector<std::string>& paths, absl::string_view etag,
      const v1::Event& event);

  // FAILED_PRECONDITION naming the current state when the member is not in
  // one of `transition.from`; NOT_FOUND.
  absl::StatusOr<MemberRecord> ApplyTransition(absl::string_view member_id,
                                               const Transition& transition,
                                               const v1::Event& event);

  // Replaces the password hash and voids every token issued before now.
  absl::Status SetPassword(absl::string_view member_id,
                           absl::string_view password_hash, absl::Time now);

  // A page of the directory in display-name order after `position`.
  absl::StatusOr<Page<MemberRecord>> ListMembers(const MemberFilter& filter,
                                                 absl::string_view position,
                                                 int page_size);

  // Stores a token for an ACTIVE member (FAILED_PRECONDITION otherwise). API
  // tokens also get their event and a place in the listing. With
  // `expected_generation` >= 0, ABORTED when the member's token generation
  // moved since it was read (a password change or suspension between a
  // sign-in's password check and its token). With `required_role` set,
  // FAILED_PRECONDITION ("role N") when the member's role differs.
  absl::Status CreateToken(const TokenRecord& token, const v1::Event* event,
                           int64_t expected_generation = -1,
                           v1::Role required_role = v1::ROLE_UNSPECIFIED);

  // One round trip: the token and its member. NOT_FOUND: no such token.
  absl::StatusOr<TokenLookup> LookupToken(absl::string_view token_id);

  // Removes a session token (sign-out). Idempotent.
  absl::Status DeleteToken(absl::string_view token_id);

  // Marks an API token revoked. NOT_FOUND; FAILED_PRECONDITION for a session
  // token's id.
  absl::StatusOr<TokenRecord> RevokeApiToken(absl::string_view token_id,
                                             const v1::Event& event);

  // API tokens, newest first.
  absl::StatusOr<Page<TokenRecord>> ListApiTokens(absl::string_view member_id,
                                                  bool show_revoked,
                                                  absl::string_view position,
                                                  int page_size);

 private:
  std::vector<std::string> EventArgs(int shard, const v1::Event& event) const;

  RedisClient* const redis_;
  const Options options_;
};

}  // namespace cdc::members
