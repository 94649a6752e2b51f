#include "services/comments/comments_service.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "cdc/v1/community.grpc.pb.h"
#include "cdc/v1/consultations.grpc.pb.h"
#include "cdc/v1/members.grpc.pb.h"
#include "services/comments/anchor.h"
#include "services/common/crypto.h"
#include "services/common/handler.h"
#include "services/common/keys.h"
#include "services/common/page_token.h"
#include "services/common/status.h"
#include "services/common/status_macros.h"
#include "services/common/validation.h"
#include "services/common/word_index.h"

namespace cdc::comments {
namespace {

using google::protobuf::util::TimeUtil;
using Participation = v1::CheckParticipationResponse;
using Access = v1::CheckTargetAccessResponse;

constexpr size_t kMaxBody = 10000;
constexpr size_t kMaxResponse = 5000;
constexpr size_t kMaxReason = 1000;
constexpr int kDefaultSearchLimit = 200;  // SearchComments' hits by default
constexpr int kMaxSearchLimit = 1000;     // and at most (larger: clamped)
// How deep SearchComments reads into one shard's matches, and how many
// candidates it judges in all before it stops looking for more hits.
constexpr int kMaxSearchDepth = 1000;
constexpr size_t kMaxSearchExamined = 4000;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(t));
}
absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMillis(TimeUtil::TimestampToMilliseconds(t));
}
std::string IdOf(absl::string_view name) {
  return std::string(name.substr(name.rfind('/') + 1));
}

bool IsSecretariat(const v1::Principal& p) {
  return p.role() == v1::ROLE_SECRETARIAT;
}

bool IsCommunity(v1::Comment::TargetKind kind) {
  return kind == v1::Comment::TARGET_TOPIC ||
         kind == v1::Comment::TARGET_CONVERSATION ||
         kind == v1::Comment::TARGET_RESOURCE;
}

// Clears what `caller` may not see of a comment they may read: open flags
// (moderators of its target only), the moderation reason (its author and
// moderators), and a withdrawn comment's text and anchor (the secretariat
// only). `moderator`: the caller moderates the comment's target.
void Redact(const v1::Principal& caller, bool moderator, v1::Comment* c) {
  if (IsSecretariat(caller)) return;
  if (!moderator) c->set_flag_count(0);
  if (!moderator && caller.member() != c->author()) {
    c->clear_moderation_reason();
  }
  if (c->state() == v1::Comment::WITHDRAWN) {
    c->clear_body();
    c->clear_proposed_change();
    c->clear_anchor();
  }
}

absl::Status NotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(name, " does not exist"));
}

// What a target's resource name says about it.
struct Target {
  v1::Comment::TargetKind kind = v1::Comment::TARGET_KIND_UNSPECIFIED;
  std::string consultation;  // "consultations/{c}" for sections
};

// A section ("consultations/{c}/sections/{key}"), topic ("spaces/{s}/
// topics/{t}"), conversation ("conversations/{x}") or library resource
// ("resources/{r}"), each id 1..64 characters of [a-z0-9-].
absl::StatusOr<Target> ParseTarget(absl::string_view field,
                                   absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  const auto ids_ok = [&](std::initializer_list<size_t> at) {
    for (size_t i : at) {
      if (!ParseResourceId(field, absl::StrCat("x/", parts[i]), "x").ok()) {
        return false;
      }
    }
    return true;
  };
  if (parts.size() == 4 && parts[0] == "consultations" &&
      parts[2] == "sections" && ids_ok({1, 3})) {
    return Target{v1::Comment::TARGET_SECTION,
                  absl::StrCat("consultations/", parts[1])};
  }
  if (parts.size() == 4 && parts[0] == "spaces" && parts[2] == "topics" &&
      ids_ok({1, 3})) {
    return Target{v1::Comment::TARGET_TOPIC, ""};
  }
  if (parts.size() == 2 && parts[0] == "conversations" && ids_ok({1})) {
    return Target{v1::Comment::TARGET_CONVERSATION, ""};
  }
  if (parts.size() == 2 && parts[0] == "resources" && ids_ok({1})) {
    return Target{v1::Comment::TARGET_RESOURCE, ""};
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field,
      ": must name a section, topic, conversation or resource, like "
      "consultations/{c}/sections/{key}, spaces/{s}/topics/{t}, "
      "conversations/{x} or resources/{r}"));
}

absl::StatusOr<std::string> ParseCommentName(absl::string_view field,
                                             absl::string_view name) {
  CDC_ASSIGN_OR_RETURN(std::string id,
                       ParseResourceId(field, name, "comments"));
  if (ShardOfId(id) < 0) return NotFound(name);
  return id;
}

// Why cdc-consultations refused a write on a section, as the caller should
// hear it.
absl::Status Refusal(const Participation& answer) {
  const std::string why = answer.message().empty()
                              ? Participation::Reason_Name(answer.reason())
                              : answer.message();
  switch (answer.reason()) {
    case Participation::NOT_IN_AUDIENCE:
    case Participation::ROLE_MAY_NOT_COMMENT:
    case Participation::MEMBER_NOT_ACTIVE:
      return absl::PermissionDeniedError(why);
    default:
      return absl::FailedPreconditionError(why);
  }
}

// Why cdc-community refused a post on a topic, conversation or resource:
// who the caller is (not a member, observer, blocked) is PERMISSION_DENIED;
// the state of the target (closed, archived, alone) FAILED_PRECONDITION.
absl::Status Refusal(const Access& answer) {
  const std::string why = answer.message().empty()
                              ? Access::Reason_Name(answer.reason())
                              : answer.message();
  switch (answer.reason()) {
    case Access::NOT_A_SPACE_MEMBER:
    case Access::ROLE_MAY_NOT_POST:
    case Access::BLOCKED:
      return absl::PermissionDeniedError(why);
    default:
      return absl::FailedPreconditionError(why);
  }
}

// A remote call's answer, or its status when it failed.
template <typename T>
absl::StatusOr<T> AnswerOf(const grpc::Status& status, T answer) {
  if (!status.ok()) return FromGrpcStatus(status);
  return answer;
}

// What one call has learned from the owners of targets, so that each
// consultation and each community target is asked about once per call.
struct Answers {
  std::map<std::string, absl::StatusOr<v1::Consultation>> consultations;
  std::map<std::string, absl::StatusOr<Access>> access;  // by target
};

// What a write on a target needs from the target's owner.
struct Permission {
  int round = 0;                          // sections: the open round
  int draft_version = 0;                  // sections: the round's draft
  std::optional<absl::Time> closes_at;    // sections: the round's end
  std::string section_text;               // sections: to resolve anchors
  std::string space;                      // topics: "spaces/{s}"
  std::vector<std::string> participants;  // conversations
};

v1::CommentRef Ref(const v1::Comment& c) {
  v1::CommentRef ref;
  ref.set_comment(c.name());
  ref.set_target(c.target());
  ref.set_target_kind(c.target_kind());
  ref.set_thread(c.thread());
  ref.set_author(c.author());
  ref.set_consultation(c.consultation());
  ref.set_space(c.space());
  return ref;
}

// The store's terse errors, in words for the caller.
absl::Status Explain(const absl::Status& status, absl::string_view name) {
  if (absl::IsNotFound(status)) return NotFound(name);
  if (absl::IsFailedPrecondition(status)) {
    const absl::string_view m = status.message();
    if (m == "round closed") {
      return absl::FailedPreconditionError(
          "the round is closed: comments are no longer taken");
    }
    if (m == "own") {
      return absl::FailedPreconditionError(
          absl::StrCat(name, " is your own comment"));
    }
    if (absl::StartsWith(m, "parent ")) {
      int state = 0;
      (void)absl::SimpleAtoi(m.substr(7), &state);
      return absl::FailedPreconditionError(absl::StrCat(
          "comment.parent: is ",
          v1::Comment::State_Name(static_cast<v1::Comment::State>(state)),
          "; only a VISIBLE comment can be replied to"));
    }
    if (absl::StartsWith(m, "state ")) {
      return absl::FailedPreconditionError(
          absl::StrCat(name, " is ", m.substr(6)));
    }
  }
  if (absl::IsAborted(status)) {
    return absl::AbortedError(
        "etag: the comment was changed since you read it; read it again and "
        "retry");
  }
  return status;
}

// "spaces/{s}" of a topic's name "spaces/{s}/topics/{t}".
std::string SpaceOfTopic(absl::string_view topic) {
  return std::string(topic.substr(0, topic.find("/topics/")));
}

// The shards' search matches for some words, best first across all shards
// (ties by id, as each shard orders them), read only as deep as the walk
// goes: each shard's best `depth` first. When the walk has taken all that
// was read of a shard that holds more, and no other shard's next match is
// known to come before that shard's unread ones (they come after its last
// read match), every shard is read again four times as deep (at most
// kMaxSearchDepth). A shard read to kMaxSearchDepth and walked to its end
// is left out from then on.
class MatchWalk {
 public:
  MatchWalk(CommentsStore* store, std::vector<std::string> words, int depth)
      : store_(store),
        words_(std::move(words)),
        depth_(std::clamp(depth, 1, kMaxSearchDepth)) {}

  // The best match not yet returned; nullopt when none is left.
  absl::StatusOr<std::optional<WordMatch>> Next() {
    if (!read_) CDC_RETURN_IF_ERROR(Read());
    while (true) {
      const WordMatch* unread_after = nullptr;  // the strictest such bound
      Cursor* best = nullptr;
      for (Cursor& shard : shards_) {
        const std::vector<WordMatch>& matches = shard.matches.best;
        while (shard.next < matches.size() &&
               returned_.contains(matches[shard.next].doc)) {
          ++shard.next;
        }
        if (shard.next < matches.size()) {
          if (best == nullptr || Before(shard.head(), best->head())) {
            best = &shard;
          }
        } else if (depth_ < kMaxSearchDepth && !matches.empty() &&
                   shard.matches.total > static_cast<int64_t>(matches.size()) &&
                   (unread_after == nullptr ||
                    Before(matches.back(), *unread_after))) {
          unread_after = &matches.back();
        }
      }
      if (unread_after != nullptr &&
          (best == nullptr || !Before(best->head(), *unread_after))) {
        depth_ = std::min(4 * depth_, kMaxSearchDepth);
        CDC_RETURN_IF_ERROR(Read());
        continue;
      }
      if (best == nullptr) return std::nullopt;
      WordMatch match = best->head();
      ++best->next;
      returned_.insert(match.doc);
      return match;
    }
  }

  // How many posts hold every word, over all shards (as last read).
  int64_t total() const {
    int64_t total = 0;
    for (const Cursor& shard : shards_) total += shard.matches.total;
    return total;
  }

 private:
  struct Cursor {
    WordMatches matches;
    size_t next = 0;  // the first match not yet looked at
    const WordMatch& head() const { return matches.best[next]; }
  };

  static bool Before(const WordMatch& a, const WordMatch& b) {
    return a.score != b.score ? a.score > b.score : a.doc < b.doc;
  }

  // Every shard's best depth_, in one round trip. What was returned is
  // skipped by id, so a shard whose matches changed meanwhile repeats
  // nothing.
  absl::Status Read() {
    CDC_ASSIGN_OR_RETURN(std::vector<WordMatches> per_shard,
                         store_->Search(words_, depth_));
    shards_.clear();
    for (WordMatches& matches : per_shard) {
      shards_.push_back(Cursor{std::move(matches)});
    }
    read_ = true;
    return absl::OkStatus();
  }

  CommentsStore* const store_;
  const std::vector<std::string> words_;
  int depth_;
  bool read_ = false;
  std::vector<Cursor> shards_;
  std::set<std::string> returned_;
};

// Answers of other services kept across calls, so that a burst of comments
// does not ask the same questions again at every call (docs/BENCHMARKS.md).
//
// - CheckParticipation (may comment) and GetConsultation answers, by caller
//   (member, role, organisation type, country: all the answer depends on
//   besides the consultation) and target or consultation. Both are pure
//   functions of the consultation's record, the caller and the clock, so
//   one is used only while the record's "version" (which every write of a
//   consultation moves; read by the caller in one Redis round trip) is the
//   one read before it was asked, and only positive answers are kept: a
//   refusal is asked again. A participation answer is used only before the
//   round's closes_at (the write scripts check that again at the write). So
//   a kept answer is exactly as current as a fresh one: CloseRound,
//   OpenRound, PublishRecord or a new draft take effect at the next call.
//   Kept at most kAnswerTtl.
// - The default language of a comment sent without one, by member: the
//   first language of the author's profile, kept kLanguageTtl. A profile
//   change of languages therefore reaches comments sent without a language
//   up to that long afterwards (the language is a hint for readers and
//   translators, not a right).
//
// Bounded: a map that reaches kMaxEntries entries, or kMaxBytes of kept
// answers (a participation answer carries its section's text, up to
// 100 KB), is emptied.
class KeptAnswers {
 public:
  static constexpr absl::Duration kAnswerTtl = absl::Seconds(30);
  static constexpr absl::Duration kLanguageTtl = absl::Seconds(60);
  static constexpr size_t kMaxEntries = 50'000;
  static constexpr size_t kMaxBytes = 32 << 20;

  static std::string Key(const v1::Principal& caller, absl::string_view about) {
    return absl::StrCat(caller.member(), "|", caller.role(), "|",
                        caller.organisation_type(), "|", caller.country(), "|",
                        about);
  }

  std::optional<Participation> FindParticipation(const std::string& key,
                                                 const std::string& version,
                                                 absl::Time now) {
    absl::MutexLock lock(&mu_);
    auto it = participation_.find(key);
    if (it == participation_.end() || !Current(it->second, version, now) ||
        now >= FromProto(it->second.answer.closes_at())) {
      return std::nullopt;
    }
    return it->second.answer;
  }
  void KeepParticipation(const std::string& key, const std::string& version,
                         absl::Time now, const Participation& answer) {
    if (version.empty() || !answer.may_comment() || !answer.has_closes_at()) {
      return;
    }
    absl::MutexLock lock(&mu_);
    Bound(&participation_, answer.ByteSizeLong(), &participation_bytes_);
    participation_[key] = {answer, version, now};
  }

  std::optional<v1::Consultation> FindConsultation(const std::string& key,
                                                   const std::string& version,
                                                   absl::Time now) {
    absl::MutexLock lock(&mu_);
    auto it = consultations_.find(key);
    if (it == consultations_.end() || !Current(it->second, version, now)) {
      return std::nullopt;
    }
    return it->second.answer;
  }
  void KeepConsultation(const std::string& key, const std::string& version,
                        absl::Time now, const v1::Consultation& answer) {
    if (version.empty()) return;
    absl::MutexLock lock(&mu_);
    Bound(&consultations_, answer.ByteSizeLong(), &consultation_bytes_);
    consultations_[key] = {answer, version, now};
  }

  std::optional<std::string> FindLanguage(const std::string& member,
                                          absl::Time now) {
    absl::MutexLock lock(&mu_);
    auto it = languages_.find(member);
    if (it == languages_.end() || now >= it->second.second + kLanguageTtl ||
        now < it->second.second) {
      return std::nullopt;
    }
    return it->second.first;
  }
  void KeepLanguage(const std::string& member, absl::Time now,
                    const std::string& language) {
    absl::MutexLock lock(&mu_);
    Bound(&languages_, 0, nullptr);
    languages_[member] = {language, now};
  }

 private:
  template <typename T>
  struct Entry {
    T answer;
    std::string version;  // the consultation record's, read before asking
    absl::Time asked;
  };

  template <typename T>
  static bool Current(const Entry<T>& entry, const std::string& version,
                      absl::Time now) {
    return !version.empty() && entry.version == version && now >= entry.asked &&
           now < entry.asked + kAnswerTtl;
  }
  // Makes room for one more entry of `size` bytes (counted in `*bytes`
  // when given; replaced entries are counted again, which only empties the
  // map sooner).
  template <typename Map>
  static void Bound(Map* map, size_t size, size_t* bytes) {
    if (map->size() >= kMaxEntries ||
        (bytes != nullptr && *bytes + size > kMaxBytes)) {
      map->clear();
      if (bytes != nullptr) *bytes = 0;
    }
    if (bytes != nullptr) *bytes += size;
  }

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry<v1::CheckParticipationResponse>>
      participation_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Entry<v1::Consultation>> consultations_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::pair<std::string, absl::Time>>
      languages_ ABSL_GUARDED_BY(mu_);
  size_t participation_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  size_t consultation_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

class CommentsService::Impl {
 public:
  Impl(CommentsStore* store, Authenticator* authenticator,
       std::shared_ptr<grpc::Channel> consultations,
       std::shared_ptr<grpc::Channel> community,
       std::shared_ptr<grpc::Channel> members, const Clock& clock)
      : store_(store),
        authenticator_(authenticator),
        consultations_(v1::ConsultationsService::NewStub(consultations)),
        community_(v1::CommunityService::NewStub(community)),
        members_(v1::MembersService::NewStub(members)),
        clock_(clock) {}

  static std::unique_ptr<grpc::ClientContext> Forward(
      const grpc::ServerContext& context) {
    return ForwardCaller(context);
  }

  absl::StatusOr<v1::Principal> Caller(const grpc::ServerContext& context) {
    return AuthenticateCall(context, *authenticator_);
  }

  // cdc-consultations' CheckParticipation answer for the caller and a
  // section, from the kept answers when the consultation's record is still
  // the one it was given for and its round has not reached closes_at
  // (KeptAnswers).
  absl::StatusOr<Participation> Participate(const grpc::ServerContext& context,
                                            const v1::Principal& caller,
                                            absl::string_view target,
                                            const std::string& consultation) {
    const std::string key = KeptAnswers::Key(caller, target);
    CDC_ASSIGN_OR_RETURN(std::string version,
                         store_->ConsultationVersion(IdOf(consultation)));
    const absl::Time now = clock_.Now();
    if (std::optional<Participation> kept =
            kept_.FindParticipation(key, version, now)) {
      return *std::move(kept);
    }
    v1::CheckParticipationRequest request;
    request.set_target(std::string(target));
    request.set_include_section(true);
    Participation answer;
    CDC_RETURN_IF_ERROR(FromGrpcStatus(consultations_->CheckParticipation(
        Forward(context).get(), request, &answer)));
    kept_.KeepParticipation(key, version, now, answer);
    return answer;
  }

  // The language of a comment sent without one: the author's first profile
  // language (asked of cdc-members, then kept for KeptAnswers::kLanguageTtl),
  // "en" when they have none or it cannot be learned now.
  std::string DefaultLanguage(const grpc::ServerContext& context,
                              const v1::Principal& caller) {
    const absl::Time now = clock_.Now();
    if (std::optional<std::string> kept =
            kept_.FindLanguage(caller.member(), now)) {
      return *std::move(kept);
    }
    v1::GetMemberRequest get;
    get.set_name(caller.member());
    v1::Member self;
    if (!members_->GetMember(Forward(context).get(), get, &self).ok()) {
      return "en";
    }
    std::string language = self.languages().empty() ? "en" : self.languages(0);
    kept_.KeepLanguage(caller.member(), now, language);
    return language;
  }

  // cdc-community's answer about the caller and a topic, conversation or
  // resource, asked once per call.
  absl::StatusOr<Access> CommunityAccess(const grpc::ServerContext& context,
                                         const std::string& target,
                                         Answers* answers) {
    auto it = answers->access.find(target);
    if (it != answers->access.end()) return it->second;
    v1::CheckTargetAccessRequest request;
    request.set_target(target);
    Access answer;
    const grpc::Status status =
        community_->CheckTargetAccess(Forward(context).get(), request, &answer);
    return answers->access.emplace(target, AnswerOf(status, std::move(answer)))
        .first->second;
  }

  // Asks cdc-community about every target of `targets` not yet known, many
  // at a time, so that a search over posts on many topics waits for one
  // answer's time per batch rather than for each answer in turn.
  void PrefetchAccess(const grpc::ServerContext& context,
                      const std::set<std::string>& targets, Answers* answers) {
    constexpr size_t kInFlight = 64;
    struct Pending {
      std::string target;
      std::unique_ptr<grpc::ClientContext> context;
      v1::CheckTargetAccessRequest request;
      Access answer;
      grpc::Status status;
      std::unique_ptr<grpc::ClientAsyncResponseReader<Access>> reader;
    };
    std::vector<std::string> unknown;
    for (const std::string& target : targets) {
      if (!answers->access.contains(target)) unknown.push_back(target);
    }
    for (size_t begin = 0; begin < unknown.size(); begin += kInFlight) {
      grpc::CompletionQueue queue;
      std::vector<std::unique_ptr<Pending>> batch;
      for (size_t i = begin; i < std::min(unknown.size(), begin + kInFlight);
           ++i) {
        auto pending = std::make_unique<Pending>();
        pending->target = unknown[i];
        pending->context = Forward(context);
        pending->request.set_target(unknown[i]);
        pending->reader = community_->PrepareAsyncCheckTargetAccess(
            pending->context.get(), pending->request, &queue);
        pending->reader->StartCall();
        pending->reader->Finish(&pending->answer, &pending->status,
                                pending.get());
        batch.push_back(std::move(pending));
      }
      for (size_t done = 0; done < batch.size(); ++done) {
        void* tag = nullptr;
        bool ok = false;
        if (!queue.Next(&tag, &ok)) break;
      }
      queue.Shutdown();
      void* tag = nullptr;
      bool ok = false;
      while (queue.Next(&tag, &ok)) {
      }
      for (const auto& pending : batch) {
        answers->access.emplace(
            pending->target,
            AnswerOf(pending->status, std::move(pending->answer)));
      }
    }
  }

  // Asks cdc-community whether the caller may read the targets of search
  // candidates (VISIBLE posts), many at a time, asking as little as it can.
  // A topic is readable exactly when its space is: CheckTargetAccess's
  // answer for a topic depends on the caller and the space alone (may_read
  // and may_moderate; NOT_FOUND for a topic of a space the caller may not
  // read; a closed or archived topic stays readable), as long as the topic
  // exists — and a post's topic does, since topics are never deleted and a
  // post is only written on a topic that is there. So one topic per space
  // is asked (`asked_for_space`, kept across a search's batches) and its
  // answer, title and may_post cleared, stands for the space's other topics
  // in this call's `answers`. A resource is asked about itself (resources
  // can be deleted).
  void PrefetchReadAccess(const grpc::ServerContext& context,
                          const std::vector<const v1::Comment*>& candidates,
                          std::map<std::string, std::string>* asked_for_space,
                          Answers* answers) {
    std::set<std::string> asking;
    std::set<std::string> stand_ins;  // topics answered for by their space
    for (const v1::Comment* c : candidates) {
      const std::string& target = c->target();
      if (answers->access.contains(target)) continue;
      if (c->target_kind() != v1::Comment::TARGET_TOPIC) {
        asking.insert(target);
        continue;
      }
      auto [asked, first] =
          asked_for_space->try_emplace(SpaceOfTopic(target), target);
      if (first) {
        asking.insert(target);
      } else {
        stand_ins.insert(target);
      }
    }
    PrefetchAccess(context, asking, answers);
    for (const std::string& topic : stand_ins) {
      auto space_answer =
          answers->access.find(asked_for_space->at(SpaceOfTopic(topic)));
      if (space_answer == answers->access.end()) continue;  // asked alone
      absl::StatusOr<Access> stand_in = space_answer->second;
      if (stand_in.ok()) {
        stand_in->clear_title();
        stand_in->set_may_post(false);
      }
      answers->access.emplace(topic, std::move(stand_in));
    }
  }

  // Whether the caller may write on `c`'s target now, and what the write
  // needs to know: cdc-consultations decides for sections, cdc-community
  // for the rest. NOT_FOUND, PERMISSION_DENIED or FAILED_PRECONDITION (the
  // owner's reason) otherwise.
  absl::StatusOr<Permission> MayWrite(const grpc::ServerContext& context,
                                      const v1::Principal& caller,
                                      const v1::Comment& c, Answers* answers) {
    Permission permission;
    if (c.target_kind() == v1::Comment::TARGET_SECTION) {
      CDC_ASSIGN_OR_RETURN(
          Participation answer,
          Participate(context, caller, c.target(), c.consultation()));
      if (!answer.may_comment()) return Refusal(answer);
      permission.round = answer.round();
      permission.draft_version = answer.draft_version();
      permission.closes_at = FromProto(answer.closes_at());
      permission.section_text = answer.section().text();
      return permission;
    }
    absl::StatusOr<Access> answer =
        CommunityAccess(context, c.target(), answers);
    if (absl::IsNotFound(answer.status())) return NotFound(c.target());
    CDC_RETURN_IF_ERROR(answer.status());
    if (!answer->may_post()) return Refusal(*answer);
    permission.space = answer->space();
    permission.participants.assign(answer->participants().begin(),
                                   answer->participants().end());
    return permission;
  }

  // The access answer MayWrite acted on is one CheckTargetAccess round trip
  // old when the message is written: a block or the sender's leaving can
  // land in between. So a private message is checked once more after its
  // write; when the sender is now blocked or no longer in the conversation,
  // the message is withdrawn through the ordinary withdraw script (its
  // PrivateMessageSent has gone out already; CommentWithdrawn follows) and
  // the refusal returned. OK when nothing stands in the way, and when the
  // second answer cannot be had (the message then stands, as it would have
  // a moment earlier).
  absl::Status RecheckMessage(const grpc::ServerContext& context,
                              const v1::Principal& caller,
                              const v1::Comment& written) {
    Answers fresh;
    absl::StatusOr<Access> access =
        CommunityAccess(context, written.target(), &fresh);
    absl::Status refusal;
    if (absl::IsNotFound(access.status())) {
      refusal = NotFound(written.target());
    } else if (access.ok() && !access->may_post() &&
               access->reason() == Access::BLOCKED) {
      refusal = Refusal(*access);
    } else {
      return absl::OkStatus();
    }
    v1::Event event = NewEvent(caller, written);
    *event.mutable_comment_withdrawn()->mutable_comment() = Ref(written);
    absl::StatusOr<StoredComment> withdrawn = store_->Withdraw(
        written, "", WriteContext{clock_.Now(), std::nullopt, caller.member()},
        event);
    // Already withdrawn or hidden (a retry, a quick moderator): not shown.
    if (!withdrawn.ok() && !absl::IsFailedPrecondition(withdrawn.status())) {
      return withdrawn.status();
    }
    return absl::Status(refusal.code(),
                        absl::StrCat(refusal.message(),
                                     "; the message you sent was withdrawn"));
  }

  // Whether the comment's target still takes writes from the caller (for a
  // section: its round must be the open one). Returns what the script
  // checks again.
  absl::StatusOr<WriteContext> OpenFor(const grpc::ServerContext& context,
                                       const v1::Principal& caller,
                                       const v1::Comment& comment,
                                       Answers* answers) {
    CDC_ASSIGN_OR_RETURN(Permission permission,
                         MayWrite(context, caller, comment, answers));
    if (permission.round != comment.round()) {
      return absl::FailedPreconditionError(
          absl::StrCat(comment.name(), " belongs to round ", comment.round(),
                       ", which is over"));
    }
    return WriteContext{clock_.Now(), permission.closes_at, caller.member()};
  }

  // The consultation as the caller may see it, asked once per call, and
  // taken from the kept answers while the consultation's record is still the
  // one it was given for (KeptAnswers).
  absl::StatusOr<v1::Consultation> Consultation(
      const grpc::ServerContext& context, const v1::Principal& caller,
      const std::string& name, Answers* answers) {
    auto it = answers->consultations.find(name);
    if (it != answers->consultations.end()) return it->second;
    const std::string key = KeptAnswers::Key(caller, name);
    absl::StatusOr<std::string> version =
        store_->ConsultationVersion(IdOf(name));
    if (!version.ok()) {
      return answers->consultations.emplace(name, version.status())
          .first->second;
    }
    const absl::Time now = clock_.Now();
    if (std::optional<v1::Consultation> kept =
            kept_.FindConsultation(key, *version, now)) {
      return answers->consultations.emplace(name, *std::move(kept))
          .first->second;
    }
    v1::GetConsultationRequest request;
    request.set_name(name);
    v1::Consultation consultation;
    const grpc::Status status = consultations_->GetConsultation(
        Forward(context).get(), request, &consultation);
    if (status.ok()) kept_.KeepConsultation(key, *version, now, consultation);
    return answers->consultations
        .emplace(name, AnswerOf(status, std::move(consultation)))
        .first->second;
  }

  // NOT_FOUND unless the caller may read the target itself (a section's
  // consultation, or what cdc-community says of the rest).
  absl::Status TargetReadable(const grpc::ServerContext& context,
                              const v1::Principal& caller,
                              const std::string& target, const Target& parsed,
                              Answers* answers) {
    if (parsed.kind == v1::Comment::TARGET_SECTION) {
      return Consultation(context, caller, parsed.consultation, answers)
          .status();
    }
    absl::StatusOr<Access> access = CommunityAccess(context, target, answers);
    if (absl::IsNotFound(access.status()) ||
        (access.ok() && !access->may_read())) {
      return NotFound(target);
    }
    return access.status();
  }

  // Whether the caller moderates `c`: the secretariat everywhere, a space's
  // facilitators on its topics (cdc-community's may_moderate).
  bool Moderates(const grpc::ServerContext& context,
                 const v1::Principal& caller, const v1::Comment& c,
                 Answers* answers) {
    if (IsSecretariat(caller)) return true;
    if (!IsCommunity(c.target_kind())) return false;
    absl::StatusOr<Access> access =
        CommunityAccess(context, c.target(), answers);
    return access.ok() && access->may_moderate();
  }

  // The comment as `caller` may see it, or nullopt when they may not; the
  // one place that decides who reads what. A failure to learn the answer
  // (other than NOT_FOUND) goes to `failure`.
  std::optional<v1::Comment> Visible(const grpc::ServerContext& context,
                                     const v1::Principal& caller,
                                     const StoredComment& stored,
                                     Answers* answers, absl::Status* failure) {
    const v1::Comment& c = stored.comment;
    bool moderator = IsSecretariat(caller);
    if (IsCommunity(c.target_kind())) {
      absl::StatusOr<Access> access =
          CommunityAccess(context, c.target(), answers);
      if (!access.ok() && !absl::IsNotFound(access.status())) {
        *failure = access.status();
        return std::nullopt;
      }
      if (!access.ok() || !access->may_read()) {
        // A private message exists only for its participants; the
        // secretariat sees one only after a participant flagged it (and
        // while it stays hidden after that flag).
        const bool flagged_message =
            c.target_kind() == v1::Comment::TARGET_CONVERSATION &&
            IsSecretariat(caller) &&
            (c.flag_count() > 0 || c.state() == v1::Comment::HIDDEN);
        if (!flagged_message) return std::nullopt;
      } else if (access->may_moderate()) {
        moderator = true;
      }
    } else if (!c.consultation().empty()) {
      absl::StatusOr<v1::Consultation> consultation =
          Consultation(context, caller, c.consultation(), answers);
      if (!consultation.ok()) {
        if (!absl::IsNotFound(consultation.status())) {
          *failure = consultation.status();
        }
        return std::nullopt;
      }
      if (caller.role() == v1::ROLE_OBSERVER) {
        const auto& rounds = consultation->rounds();
        if (c.round() < 1 || c.round() > rounds.size() ||
            !rounds[c.round() - 1].has_publish_time()) {
          return std::nullopt;
        }
      }
    }
    const bool author = caller.member() == c.author();
    if (c.state() == v1::Comment::HIDDEN && !moderator && !author) {
      return std::nullopt;
    }
    v1::Comment out = c;
    out.set_endorsed_by_caller(stored.endorsed_by_caller);
    out.set_flagged_by_caller(stored.flagged_by_caller);
    Redact(caller, moderator, &out);
    return out;
  }

  // The stored comment `name`, whoever may read it; NOT_FOUND when there is
  // none.
  absl::StatusOr<StoredComment> Load(const v1::Principal& caller,
                                     absl::string_view name) {
    CDC_ASSIGN_OR_RETURN(std::string id, ParseCommentName("name", name));
    absl::StatusOr<StoredComment> stored = store_->Get(id, caller.member());
    if (absl::IsNotFound(stored.status())) return NotFound(name);
    return stored;
  }

  // `stored` and how the caller sees it, when they may; NOT_FOUND otherwise.
  absl::StatusOr<std::pair<StoredComment, v1::Comment>> Shown(
      const grpc::ServerContext& context, const v1::Principal& caller,
      absl::string_view name, StoredComment stored, Answers* answers) {
    absl::Status failure;
    std::optional<v1::Comment> visible =
        Visible(context, caller, stored, answers, &failure);
    CDC_RETURN_IF_ERROR(failure);
    if (!visible.has_value()) return NotFound(name);
    return std::make_pair(std::move(stored), *std::move(visible));
  }

  // One comment the caller may read; NOT_FOUND otherwise.
  absl::StatusOr<std::pair<StoredComment, v1::Comment>> Readable(
      const grpc::ServerContext& context, const v1::Principal& caller,
      absl::string_view name, Answers* answers) {
    CDC_ASSIGN_OR_RETURN(StoredComment stored, Load(caller, name));
    return Shown(context, caller, name, std::move(stored), answers);
  }

  v1::Event NewEvent(const v1::Principal& caller, const v1::Comment& c) {
    v1::Event event;
    *event.mutable_time() = ToProto(clock_.Now());
    event.set_actor(caller.member());
    event.set_actor_display_name(caller.display_name());
    event.set_consultation(c.consultation());
    return event;
  }

  // The answer to a write: the stored comment as the caller sees it.
  v1::Comment Answer(const grpc::ServerContext& context,
                     const v1::Principal& caller, StoredComment stored,
                     Answers* answers) {
    v1::Comment out = std::move(stored.comment);
    out.set_endorsed_by_caller(stored.endorsed_by_caller);
    out.set_flagged_by_caller(stored.flagged_by_caller);
    Redact(caller, Moderates(context, caller, out, answers), &out);
    return out;
  }

  v1::ModerationAction NewAction(const v1::Principal& caller,
                                 const v1::Comment& c,
                                 v1::ModerationAction::Kind kind,
                                 absl::string_view reason) {
    v1::ModerationAction action;
    action.set_name(
        absl::StrCat(c.name(), "/moderationActions/", RandomHex(16)));
    action.set_comment(c.name());
    action.set_kind(kind);
    action.set_actor(caller.member());
    action.set_reason(std::string(reason));
    action.set_consultation(c.consultation());
    action.set_space(c.space());
    *action.mutable_create_time() = ToProto(clock_.Now());
    return action;
  }

  // PERMISSION_DENIED unless the caller facilitates `space` ("spaces/{s}")
  // or is the secretariat: the right to its moderation queue and trail.
  absl::Status RequireFacilitator(const grpc::ServerContext& context,
                                  const v1::Principal& caller,
                                  absl::string_view field,
                                  const std::string& space) {
    CDC_RETURN_IF_ERROR(ParseResourceId(field, space, "spaces").status());
    if (IsSecretariat(caller)) return absl::OkStatus();
    v1::GetSpaceRequest request;
    request.set_name(space);
    v1::Space found;
    absl::Status status = FromGrpcStatus(
        community_->GetSpace(Forward(context).get(), request, &found));
    if (!status.ok() && !absl::IsNotFound(status) &&
        !absl::IsPermissionDenied(status)) {
      return status;
    }
    if (!status.ok() || !found.caller_is_facilitator()) {
      return absl::PermissionDeniedError(
          absl::StrCat(field, ": only the secretariat and the facilitators of ",
                       space, " moderate it"));
    }
    return absl::OkStatus();
  }

  // Every comment of a consultation (all shards), for statistics and the
  // record.
  absl::StatusOr<std::vector<StoredComment>> AllOfConsultation(
      absl::string_view consultation) {
    return store_->AllInIndex(absl::StrCat("k:", consultation));
  }

  // The headings of a consultation's sections in draft `version`, removed
  // ones included (after the others), in document order; as the caller may
  // read them.
  absl::StatusOr<std::vector<v1::Section>> Sections(
      const grpc::ServerContext& context, const std::string& consultation,
      int version) {
    std::vector<v1::Section> sections;
    v1::ListSectionsRequest list;
    list.set_parent(consultation);
    list.set_version(version);
    list.set_include_removed(true);
    list.set_headings_only(true);
    list.set_page_size(1000);
    do {
      v1::ListSectionsResponse page;
      CDC_RETURN_IF_ERROR(FromGrpcStatus(
          consultations_->ListSections(Forward(context).get(), list, &page)));
      for (v1::Section& s : *page.mutable_sections()) {
        sections.push_back(std::move(s));
      }
      list.set_page_token(page.next_page_token());
    } while (!list.page_token().empty());
    return sections;
  }

  // Endorse and its inverse differ only in direction and event.
  absl::Status Endorsement(const grpc::ServerContext& context,
                           absl::string_view name, bool endorse,
                           v1::Comment* response) {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, Caller(context));
    CDC_RETURN_IF_ERROR(RequireRole(
        caller, {v1::ROLE_MEMBER, v1::ROLE_PARTNER, v1::ROLE_SECRETARIAT}));
    Answers answers;
    CDC_ASSIGN_OR_RETURN(auto found, Readable(context, caller, name, &answers));
    const v1::Comment& current = found.first.comment;
    CDC_ASSIGN_OR_RETURN(WriteContext write,
                         OpenFor(context, caller, current, &answers));
    v1::Event event = NewEvent(caller, current);
    if (endorse) {
      *event.mutable_comment_endorsed()->mutable_comment() = Ref(current);
    } else {
      *event.mutable_comment_unendorsed()->mutable_comment() = Ref(current);
    }
    absl::StatusOr<StoredComment> stored =
        store_->Endorse(IdOf(name), endorse, write, event);
    if (!stored.ok()) return Explain(stored.status(), name);
    *response = Answer(context, caller, *std::move(stored), &answers);
    return absl::OkStatus();
  }

  // Hide and restore: the secretariat, or on a topic a facilitator of its
  // space.
  absl::Status Moderation(const grpc::ServerContext& context,
                          absl::string_view name, absl::string_view reason,
                          bool hide, v1::Comment* response) {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, Caller(context));
    CDC_RETURN_IF_ERROR(
        RequireRole(caller, {v1::ROLE_MEMBER, v1::ROLE_SECRETARIAT}));
    CDC_RETURN_IF_ERROR(
        CheckText("reason", reason, 1, kMaxReason, TextKind::kMultiLine));
    Answers answers;
    CDC_ASSIGN_OR_RETURN(auto found, Readable(context, caller, name, &answers));
    const v1::Comment& current = found.first.comment;
    if (!Moderates(context, caller, current, &answers)) {
      return absl::PermissionDeniedError(
          absl::StrCat(name, ": only the secretariat",
                       current.target_kind() == v1::Comment::TARGET_TOPIC
                           ? " and the facilitators of the topic's space"
                           : "",
                       " moderate it"));
    }
    v1::ModerationAction action = NewAction(
        caller, current,
        hide ? v1::ModerationAction::HIDE : v1::ModerationAction::RESTORE,
        reason);
    v1::Event event = NewEvent(caller, current);
    if (hide) {
      auto* hidden = event.mutable_comment_hidden();
      *hidden->mutable_comment() = Ref(current);
      hidden->set_moderation_action(action.name());
      hidden->set_reason(std::string(reason));
    } else {
      auto* restored = event.mutable_comment_restored();
      *restored->mutable_comment() = Ref(current);
      restored->set_moderation_action(action.name());
      restored->set_reason(std::string(reason));
    }
    WriteContext write{clock_.Now(), std::nullopt, caller.member()};
    absl::StatusOr<StoredComment> stored =
        store_->Moderate(current, hide, action, write, event);
    if (!stored.ok()) {
      if (!hide && absl::IsFailedPrecondition(stored.status())) {
        return absl::FailedPreconditionError(absl::StrCat(
            name, " is neither hidden nor flagged: nothing to restore"));
      }
      return Explain(stored.status(), name);
    }
    *response = Answer(context, caller, *std::move(stored), &answers);
    return absl::OkStatus();
  }

  CommentsStore* const store_;
  Authenticator* const authenticator_;
  const std::unique_ptr<v1::ConsultationsService::Stub> consultations_;
  const std::unique_ptr<v1::CommunityService::Stub> community_;
  const std::unique_ptr<v1::MembersService::Stub> members_;
  const Clock& clock_;
  KeptAnswers kept_;
};

CommentsService::CommentsService(CommentsStore* store,
                                 Authenticator* authenticator,
                                 std::shared_ptr<grpc::Channel> consultations,
                                 std::shared_ptr<grpc::Channel> community,
                                 std::shared_ptr<grpc::Channel> members,
                                 const Clock& clock)
    : impl_(std::make_unique<Impl>(
          store, authenticator, std::move(consultations), std::move(community),
          std::move(members), clock)) {}

CommentsService::~CommentsService() = default;

grpc::Status CommentsService::CreateComment(
    grpc::ServerContext* context, const v1::CreateCommentRequest* request,
    v1::Comment* response) {
  return Handle("CreateComment", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_RETURN_IF_ERROR(RequireRole(
        caller, {v1::ROLE_MEMBER, v1::ROLE_PARTNER, v1::ROLE_SECRETARIAT}));
    const v1::Comment& in = request->comment();
    CDC_RETURN_IF_ERROR(CheckRequestId("request_id", request->request_id()));
    CDC_RETURN_IF_ERROR(CheckText("comment.body", in.body(), 1, kMaxBody,
                                  TextKind::kMultiLine));
    CDC_RETURN_IF_ERROR(CheckText("comment.proposed_change",
                                  in.proposed_change(), 0, kMaxBody,
                                  TextKind::kMultiLine));
    if (!v1::Comment::Type_IsValid(in.type())) {
      return absl::InvalidArgumentError("comment.type: is not a comment type");
    }
    if (!in.language().empty()) {
      CDC_RETURN_IF_ERROR(CheckLanguageTag("comment.language", in.language()));
    }

    // A retry of a create that succeeded answers with that comment, even
    // if the round has closed or the parent was hidden since. The create
    // script answers a retry itself (one round trip for the common case, a
    // first attempt); only when the checks before it refuse is the request
    // looked up here. The request is kept in the target's shard, which a
    // reply shares with its parent.
    Answers answers;
    const auto earlier = [&]() -> absl::StatusOr<std::optional<StoredComment>> {
      if (request->request_id().empty()) return std::nullopt;
      int shard = -1;
      if (!in.parent().empty()) {
        CDC_ASSIGN_OR_RETURN(std::string parent_id,
                             ParseCommentName("comment.parent", in.parent()));
        shard = ShardOfId(parent_id);
      } else if (!in.target().empty()) {
        shard = CommentsStore::ShardOfTarget(in.target());
      }
      if (shard < 0) return std::nullopt;
      return impl_->store_->FindRequest(
          shard, caller.member(),
          in.parent().empty() ? in.target() : in.parent(),
          request->request_id());
    };
    const auto create = [&]() -> absl::Status {
      v1::Comment c;
      std::optional<StoredComment> parent;
      if (!in.parent().empty()) {
        CDC_ASSIGN_OR_RETURN(
            auto found,
            impl_->Readable(*context, caller, in.parent(), &answers));
        parent = std::move(found.first);
        const v1::Comment& p = parent->comment;
        if (!in.target().empty() && in.target() != p.target()) {
          return absl::InvalidArgumentError(
              "comment.target: a reply is on its parent's target; leave it "
              "empty");
        }
        if (in.has_anchor() && p.target_kind() == v1::Comment::TARGET_SECTION &&
            (!p.has_anchor() || in.anchor().exact() != p.anchor().exact() ||
             (in.anchor().end() != 0 &&
              (in.anchor().start() != p.anchor().start() ||
               in.anchor().end() != p.anchor().end())))) {
          return absl::InvalidArgumentError(
              "comment.anchor: a reply inherits its parent's anchor; leave it "
              "empty or give the same one");
        }
        c.set_target(p.target());
        c.set_target_kind(p.target_kind());
        c.set_consultation(p.consultation());
        c.set_space(p.space());
        c.set_parent(p.name());
        c.set_thread(p.thread());
        if (p.has_anchor()) *c.mutable_anchor() = p.anchor();
      } else {
        if (in.target().empty()) {
          return absl::InvalidArgumentError(
              "comment.target: is required (or comment.parent, for a reply)");
        }
        CDC_ASSIGN_OR_RETURN(Target target,
                             ParseTarget("comment.target", in.target()));
        c.set_target(in.target());
        c.set_target_kind(target.kind);
        c.set_consultation(target.consultation);
      }
      if (in.has_anchor() && c.target_kind() != v1::Comment::TARGET_SECTION) {
        return absl::InvalidArgumentError(
            "comment.anchor: only comments on a section quote a passage");
      }

      CDC_ASSIGN_OR_RETURN(Permission permission,
                           impl_->MayWrite(*context, caller, c, &answers));
      if (parent.has_value() && parent->comment.round() != permission.round) {
        return absl::FailedPreconditionError(
            absl::StrCat("comment.parent: belongs to round ",
                         parent->comment.round(), ", which is over"));
      }
      // A reply keeps its parent's anchor as it is (set above); only a new
      // thread's anchor is looked up in the section's text.
      if (!parent.has_value() && in.has_anchor()) {
        CDC_ASSIGN_OR_RETURN(
            v1::TextAnchor anchor,
            ResolveAnchor(in.anchor(), permission.section_text));
        *c.mutable_anchor() = std::move(anchor);
      }
      if (c.target_kind() == v1::Comment::TARGET_TOPIC &&
          !permission.space.empty()) {
        c.set_space(permission.space);
      }

      const std::string language =
          in.language().empty() ? impl_->DefaultLanguage(*context, caller)
                                : in.language();

      const std::string id = CommentsStore::NewId(c.target());
      c.set_name(absl::StrCat("comments/", id));
      if (c.thread().empty()) c.set_thread(c.name());
      c.set_round(permission.round);
      c.set_draft_version(permission.draft_version);
      c.set_author(caller.member());
      c.set_author_display_name(caller.display_name());
      c.set_author_organisation(caller.organisation());
      c.set_author_organisation_type(caller.organisation_type());
      c.set_author_country(caller.country());
      c.set_type(in.type() == v1::Comment::TYPE_UNSPECIFIED
                     ? v1::Comment::GENERAL
                     : in.type());
      c.set_body(in.body());
      c.set_proposed_change(in.proposed_change());
      c.set_language(language);
      *c.mutable_create_time() = ToProto(impl_->clock_.Now());

      v1::Event event = impl_->NewEvent(caller, c);
      if (c.target_kind() == v1::Comment::TARGET_CONVERSATION) {
        // No text, no CommentRef: a private message's event names only who
        // is to be told.
        auto* sent = event.mutable_private_message_sent();
        sent->set_conversation(c.target());
        sent->set_comment(c.name());
        sent->set_parent(c.parent());
        sent->set_sender(caller.member());
        for (const std::string& p : permission.participants) {
          sent->add_participants(p);
        }
      } else if (parent.has_value()) {
        auto* replied = event.mutable_comment_replied();
        *replied->mutable_comment() = Ref(c);
        replied->set_parent(parent->comment.name());
        replied->set_parent_author(parent->comment.author());
        replied->set_type(c.type());
        replied->set_round(c.round());
      } else {
        auto* created = event.mutable_comment_created();
        *created->mutable_comment() = Ref(c);
        created->set_type(c.type());
        created->set_round(c.round());
        created->set_has_anchor(c.has_anchor());
      }
      WriteContext write{impl_->clock_.Now(), permission.closes_at,
                         caller.member()};
      absl::StatusOr<StoredComment> stored =
          impl_->store_->Create(c, request->request_id(), write, event);
      if (!stored.ok()) return Explain(stored.status(), c.parent());
      if (c.target_kind() == v1::Comment::TARGET_CONVERSATION &&
          !stored->repeated) {
        CDC_RETURN_IF_ERROR(
            impl_->RecheckMessage(*context, caller, stored->comment));
      }
      *response = impl_->Answer(*context, caller, *std::move(stored), &answers);
      return absl::OkStatus();
    };
    absl::Status created = create();
    if (created.ok() || request->request_id().empty()) return created;
    absl::StatusOr<std::optional<StoredComment>> prior = earlier();
    if (!prior.ok() || !prior->has_value()) return created;
    *response = impl_->Answer(*context, caller, **std::move(prior), &answers);
    return absl::OkStatus();
  });
}

grpc::Status CommentsService::GetComment(grpc::ServerContext* context,
                                         const v1::GetCommentRequest* request,
                                         v1::Comment* response) {
  return Handle("GetComment", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    Answers answers;
    CDC_ASSIGN_OR_RETURN(
        auto found,
        impl_->Readable(*context, caller, request->name(), &answers));
    *response = std::move(found.second);
    return absl::OkStatus();
  });
}

grpc::Status CommentsService::ListComments(
    grpc::ServerContext* context, const v1::ListCommentsRequest* request,
    v1::ListCommentsResponse* response) {
  return Handle("ListComments", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_ASSIGN_OR_RETURN(int page_size, CheckPageSize(request->page_size()));
    // The moderation queue: the secretariat's whole, or a facilitator's
    // for the space they facilitate.
    if (request->flagged_only() && !IsSecretariat(caller)) {
      if (request->space().empty()) {
        return absl::PermissionDeniedError(
            "flagged_only: the whole moderation queue is the secretariat's; "
            "a facilitator gives space");
      }
      CDC_RETURN_IF_ERROR(impl_->RequireFacilitator(*context, caller, "space",
                                                    request->space()));
    }
    if (!request->space().empty()) {
      CDC_RETURN_IF_ERROR(
          ParseResourceId("space", request->space(), "spaces").status());
    }
    const std::string filters = absl::StrCat(
        request->target(), "|", request->parent(), "|", request->thread(), "|",
        request->author(), "|", request->consultation(), "|",
        request->top_level_only(), request->flagged_only(), "|",
        request->type(), "|", request->disposition(), "|",
        request->awaiting_disposition(), "|", request->round(), "|",
        request->space());
    std::string position;
    if (!request->page_token().empty()) {
      CDC_ASSIGN_OR_RETURN(position,
                           DecodePageToken(request->page_token(), filters));
    }

    // Read one page of candidates from the narrowest index given.
    Answers answers;
    std::vector<StoredComment> candidates;
    std::string next;
    std::string shard_index;
    int shard = -1;
    // A thread's root, listed on its own when the thread has no set yet
    // (it is made with the first reply).
    std::optional<std::pair<std::string, int64_t>> lone_root;
    if (!request->parent().empty() || !request->thread().empty()) {
      const bool by_parent = !request->parent().empty();
      CDC_ASSIGN_OR_RETURN(
          std::string id,
          ParseCommentName(by_parent ? "parent" : "thread",
                           by_parent ? request->parent() : request->thread()));
      // The root must be readable for its replies to be.
      CDC_ASSIGN_OR_RETURN(
          auto root,
          impl_->Readable(*context, caller,
                          by_parent ? request->parent() : request->thread(),
                          &answers));
      if (!by_parent &&
          root.first.comment.thread() == root.first.comment.name()) {
        lone_root = std::make_pair(id, root.first.seq);
      }
      shard = ShardOfId(id);
      shard_index = absl::StrCat(by_parent ? "r:" : "th:", id);
    } else if (!request->target().empty()) {
      CDC_ASSIGN_OR_RETURN(Target target,
                           ParseTarget("target", request->target()));
      CDC_RETURN_IF_ERROR(impl_->TargetReadable(
          *context, caller, request->target(), target, &answers));
      shard = CommentsStore::ShardOfTarget(request->target());
      shard_index = absl::StrCat("t:", request->target());
    }
    if (shard >= 0) {
      int64_t after = 0;
      if (!position.empty() && !absl::SimpleAtoi(position, &after)) {
        return absl::InvalidArgumentError("page_token: is malformed");
      }
      CDC_ASSIGN_OR_RETURN(
          auto ids,
          impl_->store_->Range(shard, shard_index, after, page_size + 1));
      // Were the thread's set there, its root would be in it after `after`.
      if (ids.empty() && lone_root.has_value() && lone_root->second > after) {
        ids.push_back(*lone_root);
      }
      if (static_cast<int>(ids.size()) > page_size) {
        ids.resize(page_size);
        next = absl::StrCat(ids.back().second);
      }
      std::vector<std::string> names;
      for (auto& [id, seq] : ids) names.push_back(id);
      CDC_ASSIGN_OR_RETURN(
          candidates, impl_->store_->GetMany(shard, names, caller.member()));
    } else {
      std::string index;
      if (!request->author().empty()) {
        CDC_ASSIGN_OR_RETURN(
            std::string member,
            ParseResourceId("author", request->author(), "members"));
        index = absl::StrCat("a:", member);
      } else if (!request->consultation().empty()) {
        CDC_RETURN_IF_ERROR(ParseResourceId("consultation",
                                            request->consultation(),
                                            "consultations")
                                .status());
        CDC_RETURN_IF_ERROR(impl_
                                ->Consultation(*context, caller,
                                               request->consultation(),
                                               &answers)
                                .status());
        index = absl::StrCat("k:", request->consultation());
      } else if (request->flagged_only()) {
        index = "flagged";
      } else {
        return absl::InvalidArgumentError(
            "target: give at least one of target, parent, thread, author, "
            "consultation or flagged_only");
      }
      CDC_ASSIGN_OR_RETURN(
          IndexPage page,
          impl_->store_->ListIndex(index, "c:", position, page_size));
      for (IndexedRecord& record : page.records) {
        StoredComment stored;
        stored.comment = ToComment(record.fields);
        stored.seq = IntField(record.fields, "seq");
        candidates.push_back(std::move(stored));
      }
      next = std::move(page.next_position);
      CDC_RETURN_IF_ERROR(
          impl_->store_->MarkForCaller(caller.member(), &candidates));
    }

    // Every community target of the page is asked about at once.
    std::set<std::string> community_targets;
    for (const StoredComment& stored : candidates) {
      if (IsCommunity(stored.comment.target_kind())) {
        community_targets.insert(stored.comment.target());
      }
    }
    impl_->PrefetchAccess(*context, community_targets, &answers);

    for (const StoredComment& stored : candidates) {
      const v1::Comment& c = stored.comment;
      if ((!request->target().empty() && c.target() != request->target()) ||
          (!request->space().empty() && c.space() != request->space()) ||
          (!request->author().empty() && c.author() != request->author()) ||
          (!request->consultation().empty() &&
           c.consultation() != request->consultation()) ||
          (request->top_level_only() && !c.parent().empty()) ||
          (request->flagged_only() && c.flag_count() == 0) ||
          (request->type() != v1::Comment::TYPE_UNSPECIFIED &&
           c.type() != request->type()) ||
          (request->disposition() != v1::Disposition::OUTCOME_UNSPECIFIED &&
           c.disposition().outcome() != request->disposition()) ||
          (request->awaiting_disposition() &&
           (c.has_disposition() || c.state() != v1::Comment::VISIBLE)) ||
          (request->round() != 0 && c.round() != request->round())) {
        continue;
      }
      absl::Status failure;
      std::optional<v1::Comment> visible =
          impl_->Visible(*context, caller, stored, &answers, &failure);
      CDC_RETURN_IF_ERROR(failure);
      if (visible.has_value()) *response->add_comments() = *std::move(visible);
    }
    if (!next.empty()) {
      response->set_next_page_token(EncodePageToken(next, filters));
    }
    return absl::OkStatus();
  });
}

grpc::Status CommentsService::UpdateComment(
    grpc::ServerContext* context, const v1::UpdateCommentRequest* request,
    v1::Comment* response) {
  return Handle("UpdateComment", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    const v1::Comment& in = request->comment();
    Answers answers;
    CDC_ASSIGN_OR_RETURN(
        auto found, impl_->Readable(*context, caller, in.name(), &answers));
    const v1::Comment& current = found.first.comment;
    if (current.author() != caller.member()) {
      return absl::PermissionDeniedError(
          absl::StrCat(in.name(), ": only its author may edit a comment"));
    }
    CDC_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                         DistinctPaths(request->update_mask()));
    v1::Comment values = current;
    v1::Event event = impl_->NewEvent(caller, current);
    auto* edited = event.mutable_comment_edited();
    *edited->mutable_comment() = Ref(current);
    for (const std::string& path : paths) {
      if (path == "body") {
        CDC_RETURN_IF_ERROR(CheckText("comment.body", in.body(), 1, kMaxBody,
                                      TextKind::kMultiLine));
        values.set_body(in.body());
      } else if (path == "proposed_change") {
        CDC_RETURN_IF_ERROR(CheckText("comment.proposed_change",
                                      in.proposed_change(), 0, kMaxBody,
                                      TextKind::kMultiLine));
        values.set_proposed_change(in.proposed_change());
      } else if (path == "type") {
        if (in.type() == v1::Comment::TYPE_UNSPECIFIED ||
            !v1::Comment::Type_IsValid(in.type())) {
          return absl::InvalidArgumentError(
              "comment.type: must be GENERAL, TECHNICAL or EDITORIAL");
        }
        values.set_type(in.type());
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "update_mask: ", path,
            " cannot be edited; editable: body, proposed_change, type"));
      }
      edited->add_changed_fields(path);
    }
    CDC_ASSIGN_OR_RETURN(WriteContext write,
                         impl_->OpenFor(*context, caller, current, &answers));
    absl::StatusOr<StoredComment> stored = impl_->store_->Edit(
        IdOf(in.name()), values, paths, in.etag(), write, event);
    if (!stored.ok()) return Explain(stored.status(), in.name());
    *response = impl_->Answer(*context, caller, *std::move(stored), &answers);
    return absl::OkStatus();
  });
}

grpc::Status CommentsService::ListCommentRevisions(
    grpc::ServerContext* context,
    const v1::ListCommentRevisionsRequest* request,
    v1::ListCommentRevisionsResponse* response) {
  return Handle("ListCommentRevisions", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_ASSIGN_OR_RETURN(int page_size, CheckPageSize(request->page_size()));
    Answers answers;
    CDC_ASSIGN_OR_RETURN(
        auto found,
        impl_->Readable(*context, caller, request->parent(), &answers));
    if (found.first.comment.state() == v1::Comment::WITHDRAWN &&
        !IsSecretariat(caller)) {
      return NotFound(request->parent());
    }
    size_t start = 0;
    if (!request->page_token().empty()) {
      CDC_ASSIGN_OR_RETURN(
          std::string position,
          DecodePageToken(request->page_token(), request->parent()));
      if (!absl::SimpleAtoi(position, &start)) {
        return absl::InvalidArgumentError("page_token: is malformed");
      }
    }
    CDC_ASSIGN_OR_RETURN(
        CommentsStore::RevisionPage page,
        impl_->store_->Revisions(IdOf(request->parent()), start, page_size));
    const size_t end = start + page.revisions.size();
    for (v1::CommentRevision& revision : page.revisions) {
      *response->add_revisions() = std::move(revision);
    }
    if (page.more) {
      response->set_next_page_token(
          EncodePageToken(absl::StrCat(end), request->parent()));
    }
    return absl::OkStatus();
  });
}

grpc::Status CommentsService::WithdrawComment(
    grpc::ServerContext* context, const v1::WithdrawCommentRequest* request,
    v1::Comment* response) {
  return Handle("WithdrawComment", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    Answers answers;
    CDC_ASSIGN_OR_RETURN(StoredComment stored,
                         impl_->Load(caller, request->name()));
    const v1::Comment current = stored.comment;
    const bool author = current.author() == caller.member();
    // On a topic, conversation or resource the author may always take back
    // what they wrote: after being blocked, removed from an invite-only
    // space, leaving the conversation, or once the topic closed. Anyone
    // else hears what they would of any comment (NOT_FOUND unless they may
    // read it); on a section the round must still be open.
    WriteContext write{impl_->clock_.Now(), std::nullopt, caller.member()};
    if (!author || !IsCommunity(current.target_kind())) {
      CDC_RETURN_IF_ERROR(impl_
                              ->Shown(*context, caller, request->name(),
                                      std::move(stored), &answers)
                              .status());
      if (!author) {
        return absl::PermissionDeniedError(absl::StrCat(
            request->name(), ": only its author may withdraw a comment"));
      }
      CDC_ASSIGN_OR_RETURN(write,
                           impl_->OpenFor(*context, caller, current, &answers));
    }
    v1::Event event = impl_->NewEvent(caller, current);
    *event.mutable_comment_withdrawn()->mutable_comment() = Ref(current);
    absl::StatusOr<StoredComment> withdrawn =
        impl_->store_->Withdraw(current, request->etag(), write, event);
    if (!withdrawn.ok()) return Explain(withdrawn.status(), request->name());
    *response =
        impl_->Answer(*context, caller, *std::move(withdrawn), &answers);
    return absl::OkStatus();
  });
}

grpc::Status CommentsService::EndorseComment(
    grpc::ServerContext* context, const v1::EndorseCommentRequest* request,
    v1::Comment* response) {
  return Handle("EndorseComment", [&] {
    return impl_->Endorsement(*context, request->name(), true, response);
  });
}

grpc::Status CommentsService::UnendorseComment(
    grpc::ServerContext* context, const v1::UnendorseCommentRequest* request,
    v1::Comment* response) {
  return Handle("UnendorseComment", [&] {
    return impl_->Endorsement(*context, request->name(), false, response);
  });
}

grpc::Status CommentsService::FlagComment(grpc::ServerContext* context,
                                          const v1::FlagCommentRequest* request,
                                          v1::Comment* response) {
  return Handle("FlagComment", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_RETURN_IF_ERROR(RequireRole(
        caller, {v1::ROLE_MEMBER, v1::ROLE_PARTNER, v1::ROLE_SECRETARIAT}));
    if (request->flag_reason() ==
            v1::ModerationAction::FLAG_REASON_UNSPECIFIED ||
        !v1::ModerationAction::FlagReason_IsValid(request->flag_reason())) {
      return absl::InvalidArgumentError(
          "flag_reason: say why: SPAM, ABUSIVE, OFF_TOPIC, PERSONAL_DATA or "
          "OTHER");
    }
    const size_t min_reason =
        request->flag_reason() == v1::ModerationAction::OTHER ? 1 : 0;
    CDC_RETURN_IF_ERROR(CheckText("reason", request->reason(), min_reason,
                                  kMaxReason, TextKind::kMultiLine));
    Answers answers;
    CDC_ASSIGN_OR_RETURN(
        auto found,
        impl_->Readable(*context, caller, request->name(), &answers));
    const v1::Comment& current = found.first.comment;
    v1::ModerationAction action = impl_->NewAction(
        caller, current, v1::ModerationAction::FLAG, request->reason());
    action.set_flag_reason(request->flag_reason());
    v1::Event event = impl_->NewEvent(caller, current);
    auto* flagged = event.mutable_comment_flagged();
    *flagged->mutable_comment() = Ref(current);
    flagged->set_moderation_action(action.name());
    flagged->set_flag_reason(request->flag_reason());
    WriteContext write{impl_->clock_.Now(), std::nullopt, caller.member()};
    absl::StatusOr<StoredComment> stored =
        impl_->store_->Flag(IdOf(request->name()), action, write, event);
    if (!stored.ok()) return Explain(stored.status(), request->name());
    *response = impl_->Answer(*context, caller, *std::move(stored), &answers);
    return absl::OkStatus();
  });
}

grpc::Status CommentsService::HideComment(grpc::ServerContext* context,
                                          const v1::HideCommentRequest* request,
                                          v1::Comment* response) {
  return Handle("HideComment", [&] {
    return impl_->Moderation(*context, request->name(), request->reason(), true,
                             response);
  });
}

grpc::Status CommentsService::RestoreComment(
    grpc::ServerContext* context, const v1::RestoreCommentRequest* request,
    v1::Comment* response) {
  return Handle("RestoreComment", [&] {
    return impl_->Moderation(*context, request->name(), request->reason(),
                             false, response);
  });
}

grpc::Status CommentsService::ListModerationActions(
    grpc::ServerContext* context,
    const v1::ListModerationActionsRequest* request,
    v1::ListModerationActionsResponse* response) {
  return Handle("ListModerationActions", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_RETURN_IF_ERROR(
        RequireRole(caller, {v1::ROLE_MEMBER, v1::ROLE_SECRETARIAT}));
    // The whole trail is the secretariat's; a facilitator sees their
    // space's, or one comment's that they moderate.
    if (!IsSecretariat(caller)) {
      if (!request->space().empty()) {
        CDC_RETURN_IF_ERROR(impl_->RequireFacilitator(*context, caller, "space",
                                                      request->space()));
      } else if (!request->comment().empty()) {
        Answers answers;
        CDC_ASSIGN_OR_RETURN(
            auto found,
            impl_->Readable(*context, caller, request->comment(), &answers));
        if (!impl_->Moderates(*context, caller, found.first.comment,
                              &answers)) {
          return absl::PermissionDeniedError(absl::StrCat(
              "comment: you do not moderate ", request->comment()));
        }
      } else {
        return absl::PermissionDeniedError(
            "space: the whole moderation trail is the secretariat's; a "
            "facilitator gives their space or a comment in it");
      }
    }
    CDC_ASSIGN_OR_RETURN(int page_size, CheckPageSize(request->page_size()));
    const std::string filters = absl::StrCat(
        request->comment(), "|", request->consultation(), "|", request->space(),
        "|", request->actor(), "|", request->kind());
    std::string position;
    if (!request->page_token().empty()) {
      CDC_ASSIGN_OR_RETURN(position,
                           DecodePageToken(request->page_token(), filters));
    }
    CDC_ASSIGN_OR_RETURN(IndexPage page, impl_->store_->ListIndex(
                                             "mod", "m:", position, page_size));
    for (const IndexedRecord& record : page.records) {
      v1::ModerationAction action = ToModerationAction(record.fields);
      if ((!request->comment().empty() &&
           action.comment() != request->comment()) ||
          (!request->consultation().empty() &&
           action.consultation() != request->consultation()) ||
          (!request->space().empty() && action.space() != request->space()) ||
          (!request->actor().empty() && action.actor() != request->actor()) ||
          (request->kind() != v1::ModerationAction::KIND_UNSPECIFIED &&
           action.kind() != request->kind())) {
        continue;
      }
      *response->add_moderation_actions() = std::move(action);
    }
    if (!page.next_position.empty()) {
      response->set_next_page_token(
          EncodePageToken(page.next_position, filters));
    }
    return absl::OkStatus();
  });
}

grpc::Status CommentsService::SetDisposition(
    grpc::ServerContext* context, const v1::SetDispositionRequest* request,
    v1::Comment* response) {
  return Handle("SetDisposition", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_RETURN_IF_ERROR(RequireRole(caller, {v1::ROLE_SECRETARIAT}));
    const v1::Disposition& d = request->disposition();
    if (d.outcome() == v1::Disposition::OUTCOME_UNSPECIFIED ||
        !v1::Disposition::Outcome_IsValid(d.outcome())) {
      return absl::InvalidArgumentError(
          "disposition.outcome: must be ACCEPTED, PARTLY_ACCEPTED, NOTED or "
          "NOT_ACCEPTED");
    }
    CDC_RETURN_IF_ERROR(CheckText("disposition.response", d.response(), 1,
                                  kMaxResponse, TextKind::kMultiLine));
    Answers answers;
    CDC_ASSIGN_OR_RETURN(
        auto found,
        impl_->Readable(*context, caller, request->name(), &answers));
    const v1::Comment& current = found.first.comment;
    if (current.target_kind() != v1::Comment::TARGET_SECTION) {
      return absl::InvalidArgumentError(
          "name: dispositions answer comments on a draft's sections only");
    }
    CDC_ASSIGN_OR_RETURN(v1::Consultation consultation,
                         impl_->Consultation(*context, caller,
                                             current.consultation(), &answers));
    if (current.round() >= 1 && current.round() <= consultation.rounds_size() &&
        consultation.rounds(current.round() - 1).has_publish_time()) {
      return absl::FailedPreconditionError(
          absl::StrCat("round ", current.round(),
                       "'s record is published; its dispositions are final"));
    }
    v1::Event event = impl_->NewEvent(caller, current);
    auto* set = event.mutable_disposition_set();
    *set->mutable_comment() = Ref(current);
    set->set_outcome(d.outcome());
    set->set_round(current.round());
    WriteContext write{impl_->clock_.Now(), std::nullopt, caller.member()};
    absl::StatusOr<StoredComment> stored = impl_->store_->SetDisposition(
        IdOf(request->name()), d, request->etag(), write, event);
    if (!stored.ok()) return Explain(stored.status(), request->name());
    *response = impl_->Answer(*context, caller, *std::move(stored), &answers);
    return absl::OkStatus();
  });
}

grpc::Status CommentsService::GetCommentStatistics(
    grpc::ServerContext* context,
    const v1::GetCommentStatisticsRequest* request,
    v1::CommentStatistics* response) {
  return Handle("GetCommentStatistics", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    std::string consultation;
    std::string section;
    if (absl::StrContains(request->scope(), "/sections/")) {
      CDC_ASSIGN_OR_RETURN(Target target,
                           ParseTarget("scope", request->scope()));
      if (target.kind != v1::Comment::TARGET_SECTION) {
        return absl::InvalidArgumentError(
            "scope: statistics count comments on a consultation or a "
            "section");
      }
      consultation = target.consultation;
      section = request->scope();
    } else {
      CDC_RETURN_IF_ERROR(
          ParseResourceId("scope", request->scope(), "consultations").status());
      consultation = request->scope();
    }
    Answers answers;
    CDC_ASSIGN_OR_RETURN(
        v1::Consultation k,
        impl_->Consultation(*context, caller, consultation, &answers));
    // Titles and document order come from the draft version of the round
    // asked for, or else of the newest round the caller may read (an
    // observer: the newest published one).
    int version = k.current_version();
    if (request->round() >= 1 && request->round() <= k.rounds_size()) {
      version = k.rounds(request->round() - 1).draft_version();
    } else if (caller.role() == v1::ROLE_OBSERVER) {
      for (const v1::Round& r : k.rounds()) {
        if (r.has_publish_time()) version = r.draft_version();
      }
    }
    std::vector<v1::Section> sections;  // none before a first import
    if (version > 0) {
      CDC_ASSIGN_OR_RETURN(sections,
                           impl_->Sections(*context, consultation, version));
    }
    if (!section.empty() && std::none_of(sections.begin(), sections.end(),
                                         [&](const v1::Section& s) {
                                           return s.name() == section;
                                         })) {
      return NotFound(section);
    }
    CDC_ASSIGN_OR_RETURN(std::vector<StoredComment> all,
                         impl_->AllOfConsultation(consultation));

    // Counts the VISIBLE comments of one scope into `out`.
    auto count = [&](const std::vector<const v1::Comment*>& comments,
                     v1::CommentStatistics* out) {
      std::map<int, int64_t> by_type, by_outcome, by_org_type;
      std::map<std::string, int64_t> by_country;
      std::set<std::string> authors, organisations;
      for (const v1::Comment* c : comments) {
        out->set_total_count(out->total_count() + 1);
        if (c->parent().empty()) {
          out->set_top_level_count(out->top_level_count() + 1);
        } else {
          out->set_reply_count(out->reply_count() + 1);
        }
        if (!c->has_disposition()) {
          out->set_awaiting_disposition(out->awaiting_disposition() + 1);
        }
        ++by_type[c->type()];
        ++by_outcome[c->disposition().outcome()];
        ++by_org_type[c->author_organisation_type()];
        ++by_country[c->author_country()];
        authors.insert(c->author());
        organisations.insert(c->author_organisation());
      }
      out->set_author_count(static_cast<int64_t>(authors.size()));
      out->set_organisation_count(static_cast<int64_t>(organisations.size()));
      for (int t = v1::Comment::GENERAL; t <= v1::Comment::EDITORIAL; ++t) {
        auto* entry = out->add_by_type();
        entry->set_type(static_cast<v1::Comment::Type>(t));
        entry->set_count(by_type[t]);
      }
      for (int o = v1::Disposition::OUTCOME_UNSPECIFIED;
           o <= v1::Disposition::NOT_ACCEPTED; ++o) {
        auto* entry = out->add_by_disposition();
        entry->set_outcome(static_cast<v1::Disposition::Outcome>(o));
        entry->set_count(by_outcome[o]);
      }
      for (const auto& [type, n] : by_org_type) {
        auto* entry = out->add_by_organisation_type();
        entry->set_organisation_type(static_cast<v1::OrganisationType>(type));
        entry->set_count(n);
      }
      for (const auto& [country, n] : by_country) {
        auto* entry = out->add_by_country();
        entry->set_country(country);
        entry->set_count(n);
      }
    };

    std::vector<const v1::Comment*> in_scope;
    std::map<std::string, std::vector<const v1::Comment*>> by_section;
    for (const StoredComment& stored : all) {
      const v1::Comment& c = stored.comment;
      if (c.state() != v1::Comment::VISIBLE) continue;
      if (request->round() != 0 && c.round() != request->round()) continue;
      if (!section.empty() && c.target() != section) continue;
      if (caller.role() == v1::ROLE_OBSERVER) {
        if (c.round() < 1 || c.round() > k.rounds_size() ||
            !k.rounds(c.round() - 1).has_publish_time()) {
          continue;
        }
      }
      in_scope.push_back(&c);
      by_section[c.target()].push_back(&c);
    }
    response->set_scope(request->scope());
    response->set_round(request->round());
    count(in_scope, response);
    for (const v1::Section& s : sections) {
      if (s.name() == section) response->set_section_title(s.title());
    }
    if (request->include_sections() && section.empty()) {
      // Every section of the version in document order; a removed one only
      // when comments on it are counted.
      for (const v1::Section& s : sections) {
        auto comments = by_section.extract(s.name());
        if (s.removed() && comments.empty()) continue;
        v1::CommentStatistics* entry = response->add_sections();
        entry->set_scope(s.name());
        entry->set_round(request->round());
        entry->set_section_title(s.title());
        count(comments.empty() ? std::vector<const v1::Comment*>{}
                               : comments.mapped(),
              entry);
      }
      for (const auto& [target, comments] : by_section) {
        v1::CommentStatistics* entry = response->add_sections();
        entry->set_scope(target);
        entry->set_round(request->round());
        count(comments, entry);
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status CommentsService::ExportRecord(
    grpc::ServerContext* context, const v1::ExportRecordRequest* request,
    grpc::ServerWriter<v1::RecordEntry>* writer) {
  return Handle("ExportRecord", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_RETURN_IF_ERROR(ParseResourceId("consultation", request->consultation(),
                                        "consultations")
                            .status());
    Answers answers;
    CDC_ASSIGN_OR_RETURN(
        v1::Consultation consultation,
        impl_->Consultation(*context, caller, request->consultation(),
                            &answers));
    int round = request->round();
    if (round == 0) {
      for (const v1::Round& r : consultation.rounds()) {
        if (r.has_publish_time() || IsSecretariat(caller)) round = r.number();
      }
    }
    if (round < 1 || round > consultation.rounds_size()) {
      return absl::NotFoundError(absl::StrCat(
          request->consultation(), " has no ",
          request->round() == 0 ? "published round" : "such round"));
    }
    const v1::Round& chosen = consultation.rounds(round - 1);
    if (!chosen.has_publish_time() && !IsSecretariat(caller)) {
      return absl::FailedPreconditionError(
          absl::StrCat("round ", round, "'s record is not published yet"));
    }

    // The sections of the round's draft, for order and titles.
    std::map<std::string, v1::Section> sections;
    CDC_ASSIGN_OR_RETURN(std::vector<v1::Section> listed,
                         impl_->Sections(*context, request->consultation(),
                                         chosen.draft_version()));
    for (v1::Section& s : listed) sections[s.name()] = std::move(s);

    CDC_ASSIGN_OR_RETURN(std::vector<StoredComment> all,
                         impl_->AllOfConsultation(request->consultation()));
    std::map<std::string, int64_t> root_seq;
    std::vector<const StoredComment*> rows;
    for (const StoredComment& stored : all) {
      const v1::Comment& c = stored.comment;
      if (c.round() != round) continue;
      // Every root orders its thread, even one no longer shown.
      if (c.parent().empty()) root_seq[c.name()] = stored.seq;
      if (c.state() == v1::Comment::VISIBLE) rows.push_back(&stored);
    }
    // Sections in document order; in each, threads oldest first, a
    // thread's replies after its root.
    auto key = [&](const StoredComment* s) {
      const v1::Comment& c = s->comment;
      auto section = sections.find(c.target());
      const int order =
          section == sections.end() ? 1 << 30 : section->second.order();
      auto root = root_seq.find(c.thread());
      return std::make_tuple(order, c.target(),
                             root == root_seq.end() ? s->seq : root->second,
                             c.parent().empty() ? 0 : 1, s->seq);
    };
    std::sort(rows.begin(), rows.end(),
              [&](const StoredComment* a, const StoredComment* b) {
                return key(a) < key(b);
              });
    for (const StoredComment* stored : rows) {
      const v1::Comment& c = stored->comment;
      v1::RecordEntry entry;
      entry.set_consultation(request->consultation());
      entry.set_round(round);
      entry.set_draft_version(chosen.draft_version());
      entry.set_section(c.target());
      auto section = sections.find(c.target());
      if (section != sections.end()) {
        entry.set_section_key(section->second.key());
        entry.set_section_title(section->second.title());
        entry.set_section_order(section->second.order());
      }
      entry.set_comment(c.name());
      entry.set_parent(c.parent());
      entry.set_author_organisation(c.author_organisation());
      entry.set_author_organisation_type(c.author_organisation_type());
      entry.set_author_country(c.author_country());
      entry.set_type(c.type());
      entry.set_body(c.body());
      entry.set_proposed_change(c.proposed_change());
      entry.set_quote(c.anchor().exact());
      entry.set_language(c.language());
      entry.set_endorsement_count(c.endorsement_count());
      entry.set_disposition(c.disposition().outcome());
      entry.set_response(c.disposition().response());
      *entry.mutable_create_time() = c.create_time();
      if (c.has_disposition()) {
        *entry.mutable_disposition_time() = c.disposition().set_time();
      }
      if (!writer->Write(entry)) {
        return absl::CancelledError("the client went away");
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status CommentsService::SearchComments(
    grpc::ServerContext* context, const v1::SearchCommentsRequest* request,
    v1::SearchCommentsResponse* response) {
  return Handle("SearchComments", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    if (request->words().empty()) {
      return absl::InvalidArgumentError("words: give at least one word");
    }
    if (request->words_size() > kMaxQueryWords) {
      return absl::InvalidArgumentError(
          absl::StrCat("words: at most ", kMaxQueryWords, " are searched; got ",
                       request->words_size()));
    }
    std::vector<std::string> words;
    for (int i = 0; i < request->words_size(); ++i) {
      const std::string& word = request->words(i);
      CDC_RETURN_IF_ERROR(
          CheckText(absl::StrCat("words[", i, "]"), word, 1, kMaxWordLength));
      if (std::find(words.begin(), words.end(), word) == words.end()) {
        words.push_back(word);
      }
    }
    if (!request->space().empty()) {
      CDC_RETURN_IF_ERROR(
          ParseResourceId("space", request->space(), "spaces").status());
    }
    if (request->limit() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "limit: must not be negative (0 for ", kDefaultSearchLimit, ")"));
    }
    // Above the most, the most (as page sizes are, AIP-158).
    const size_t limit =
        request->limit() == 0
            ? kDefaultSearchLimit
            : std::min<size_t>(request->limit(), kMaxSearchLimit);

    // Candidates come best first across the shards (MatchWalk) and are
    // judged in batches: each batch's records read in one pipeline, their
    // targets asked about at once (a topic's by its space). The walk stops
    // at `limit` readable hits, when the matches run out, or after
    // kMaxSearchExamined candidates; a batch after the first is twice the
    // size of the one before, for when filtering leaves few.
    const auto candidate = [&](const v1::Comment& c) {
      return CommentsStore::Searchable(c.target_kind()) &&
             c.state() == v1::Comment::VISIBLE &&
             (request->space().empty() || c.space() == request->space());
    };
    MatchWalk walk(impl_->store_, words, static_cast<int>(limit));
    Answers answers;
    std::map<std::string, std::string> asked_for_space;
    std::vector<StoredComment> hits;
    std::map<std::string, double> scores;  // by comment name
    size_t walked = 0;                     // matches taken from the walk
    size_t judged = 0;                     // of them, read and judged
    size_t batch_size = limit;
    bool exhausted = false;
    while (hits.size() < limit && !exhausted && walked < kMaxSearchExamined) {
      std::vector<std::string> ids;
      const size_t want = std::min(std::max(batch_size, limit - hits.size()),
                                   kMaxSearchExamined - walked);
      while (ids.size() < want) {
        CDC_ASSIGN_OR_RETURN(std::optional<WordMatch> next, walk.Next());
        if (!next.has_value()) {
          exhausted = true;
          break;
        }
        scores[absl::StrCat("comments/", next->doc)] = next->score;
        ids.push_back(std::move(next->doc));
      }
      walked += ids.size();
      batch_size = 2 * ids.size();
      CDC_ASSIGN_OR_RETURN(std::vector<StoredComment> batch,
                           impl_->store_->GetFields(
                               ids, {"target", "kind", "space", "consultation",
                                     "state", "author", "flags", "update_ms"}));
      judged += ids.size() - batch.size();  // gone since they matched
      std::vector<const v1::Comment*> asking;
      for (const StoredComment& stored : batch) {
        if (candidate(stored.comment)) asking.push_back(&stored.comment);
      }
      impl_->PrefetchReadAccess(*context, asking, &asked_for_space, &answers);
      for (StoredComment& stored : batch) {
        if (hits.size() == limit) break;
        ++judged;
        if (!candidate(stored.comment)) continue;
        absl::Status failure;
        const bool readable =
            impl_->Visible(*context, caller, stored, &answers, &failure)
                .has_value();
        CDC_RETURN_IF_ERROR(failure);
        if (readable) hits.push_back(std::move(stored));
      }
    }
    // Exact when every match was judged; otherwise the hits found plus the
    // matches not judged, in the proportion readable among those judged.
    int64_t total = static_cast<int64_t>(hits.size());
    const int64_t unjudged = walk.total() - static_cast<int64_t>(judged);
    if (judged > 0 && unjudged > 0) {
      total += unjudged * static_cast<int64_t>(hits.size()) /
               static_cast<int64_t>(judged);
    }
    response->set_total_size(static_cast<int32_t>(
        std::min<int64_t>(total, std::numeric_limits<int32_t>::max())));

    std::vector<std::string> shown;
    for (const StoredComment& hit : hits) {
      shown.push_back(IdOf(hit.comment.name()));
    }
    CDC_ASSIGN_OR_RETURN(std::vector<StoredComment> bodies,
                         impl_->store_->GetFields(shown, {"body"}));
    std::map<std::string, std::string> body_of;
    for (StoredComment& b : bodies) {
      body_of[b.comment.name()] = std::move(*b.comment.mutable_body());
    }
    for (const StoredComment& stored : hits) {
      const v1::Comment& c = stored.comment;
      v1::SearchCommentsResponse::Hit* hit = response->add_hits();
      hit->set_comment(c.name());
      hit->set_target(c.target());
      hit->set_space(c.space());
      hit->set_score(scores[c.name()]);
      hit->set_snippet(Snippet(body_of[c.name()], words));
      *hit->mutable_update_time() = c.update_time();
    }
    return absl::OkStatus();
  });
}

}  // namespace cdc::comments
