// cdc-comments against a real Redis, a real cdc-members, a real
// cdc-consultations and a real gRPC server on loopback, with an injected
// clock.
#include "services/comments/comments_service.h"

#include <algorithm>
#include <functional>
#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/comments/comments_test_support.h"
#include "services/common/status_matchers.h"

namespace cdc::comments {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAreArray;
using Code = absl::StatusCode;
using Kind = v1::Event::PayloadCase;

class CommentsServiceTest : public testing::CommentsServerTest {
 protected:
  // A second MEMBER: academia, FRA.
  std::string Other() {
    return NewMember("basile@example.org", "FRA",
                     v1::ORGANISATION_TYPE_ACADEMIA, v1::ROLE_MEMBER);
  }
  // A third MEMBER: a national statistical office, BRA.
  std::string Third() {
    return NewMember("carla@example.org", "BRA",
                     v1::ORGANISATION_TYPE_NATIONAL_STATISTICAL_OFFICE,
                     v1::ROLE_MEMBER);
  }

  // SearchComments as `token`.
  absl::StatusOr<v1::SearchCommentsResponse> Search(
      const std::string& token, const std::vector<std::string>& words,
      const std::string& space = "", int limit = 0) {
    v1::SearchCommentsRequest request;
    for (const std::string& w : words) request.add_words(w);
    request.set_space(space);
    request.set_limit(limit);
    return CallK<v1::SearchCommentsRequest, v1::SearchCommentsResponse>(
        &v1::CommentsService::Stub::SearchComments, request, token);
  }

  // The comment ids holding every one of `words` in the shards' search
  // indexes, read straight from the store.
  std::vector<std::string> Indexed(const std::vector<std::string>& words) {
    std::vector<std::string> ids;
    auto shards = store_k_->Search(words, 1000);
    EXPECT_THAT(shards, IsOk());
    if (!shards.ok()) return ids;
    for (const WordMatches& shard : *shards) {
      for (const WordMatch& match : shard.best) ids.push_back(match.doc);
    }
    return ids;
  }

  static constexpr char kAuthor[] = "members/0000000000000001";

  WriteContext Write(const std::string& caller = "members/moderator") {
    return WriteContext{clock_.Now(), std::nullopt, caller};
  }

  static std::string IdOf(const std::string& name) {
    return name.substr(name.rfind('/') + 1);
  }

  // A post stored directly (no access check): what CreateComment writes
  // once cdc-community has said yes.
  absl::StatusOr<StoredComment> StorePost(const std::string& target,
                                          v1::Comment::TargetKind kind,
                                          const std::string& body) {
    v1::Comment c;
    c.set_name(absl::StrCat("comments/", CommentsStore::NewId(target)));
    c.set_thread(c.name());
    c.set_target(target);
    c.set_target_kind(kind);
    c.set_author(kAuthor);
    c.set_type(v1::Comment::GENERAL);
    c.set_body(body);
    *c.mutable_create_time() = consultations::testing::At(clock_.Now());
    return store_k_->Create(c, "", Write(kAuthor), v1::Event());
  }

  // Hides or restores `current` as a moderator, store-level.
  absl::StatusOr<StoredComment> Moderate(const v1::Comment& current,
                                         bool hide) {
    v1::ModerationAction action;
    action.set_name(absl::StrCat(current.name(), "/moderationActions/",
                                 hide ? "hide" : "restore"));
    action.set_comment(current.name());
    action.set_kind(hide ? v1::ModerationAction::HIDE
                         : v1::ModerationAction::RESTORE);
    action.set_reason("Test.");
    *action.mutable_create_time() = consultations::testing::At(clock_.Now());
    return store_k_->Moderate(current, hide, action, Write(), v1::Event());
  }

  static std::vector<std::string> Names(const v1::ListCommentsResponse& r) {
    std::vector<std::string> names;
    for (const v1::Comment& c : r.comments()) names.push_back(c.name());
    return names;
  }

  // ListNames with one filter set by `fill`.
  std::vector<std::string> Listed(
      const std::string& token,
      const std::function<void(v1::ListCommentsRequest&)>& fill) {
    v1::ListCommentsRequest request;
    fill(request);
    auto names = ListNames(token, request);
    EXPECT_THAT(names, IsOk());
    return names.ok() ? *names : std::vector<std::string>{};
  }

  absl::StatusOr<v1::ListModerationActionsResponse> Actions(
      const std::string& token, const std::string& comment = "",
      v1::ModerationAction::Kind kind =
          v1::ModerationAction::KIND_UNSPECIFIED) {
    v1::ListModerationActionsRequest request;
    request.set_comment(comment);
    request.set_kind(kind);
    return CallK<v1::ListModerationActionsRequest,
                 v1::ListModerationActionsResponse>(
        &v1::CommentsService::Stub::ListModerationActions, request, token);
  }

  absl::StatusOr<v1::ListCommentRevisionsResponse> Revisions(
      const std::string& token, const std::string& name) {
    v1::ListCommentRevisionsRequest request;
    request.set_parent(name);
    return CallK<v1::ListCommentRevisionsRequest,
                 v1::ListCommentRevisionsResponse>(
        &v1::CommentsService::Stub::ListCommentRevisions, request, token);
  }
};

// ---- CreateComment ----

TEST_F(CommentsServiceTest, MemberCommentsOnASectionOfAnOpenRound) {
  ASSERT_TRUE(OpenConsultation());
  SetProfile(member_, "Kenya Data Alliance", {"sw", "en"});
  auto c = Comment(member_, Section("privacy"), "Consent needs a definition.");
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT(c->name(), HasSubstr("comments/"));
  EXPECT_EQ(c->target(), Section("privacy"));
  EXPECT_EQ(c->target_kind(), v1::Comment::TARGET_SECTION);
  EXPECT_EQ(c->consultation(), "consultations/cph");
  EXPECT_EQ(c->parent(), "");
  EXPECT_EQ(c->thread(), c->name());
  EXPECT_EQ(c->round(), 1);
  EXPECT_EQ(c->draft_version(), 1);
  EXPECT_EQ(c->author(), member_names_[member_]);
  EXPECT_EQ(c->author_display_name(), "amina@example.org");
  EXPECT_EQ(c->author_organisation(), "Kenya Data Alliance");
  EXPECT_EQ(c->author_organisation_type(), v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
  EXPECT_EQ(c->author_country(), "KEN");
  EXPECT_EQ(c->type(), v1::Comment::GENERAL);  // the default
  EXPECT_EQ(c->language(), "sw");              // the profile's first
  EXPECT_EQ(c->state(), v1::Comment::VISIBLE);
  EXPECT_EQ(c->version(), 1);
  EXPECT_FALSE(c->etag().empty());
  EXPECT_EQ(c->endorsement_count(), 0);
  EXPECT_EQ(c->reply_count(), 0);
  EXPECT_FALSE(c->has_anchor());
  EXPECT_EQ(absl::FromUnixSeconds(c->create_time().seconds()),
            absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now())));

  auto read = GetComment(Other(), c->name());
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->body(), "Consent needs a definition.");

  v1::Comment explicit_one;
  explicit_one.set_target(Section("importance"));
  explicit_one.set_body("Typo in the heading.");
  explicit_one.set_type(v1::Comment::EDITORIAL);
  explicit_one.set_language("fr-CA");
  explicit_one.set_proposed_change("Importance of citizen-generated data");
  auto typed = Post(member_, explicit_one);
  ASSERT_THAT(typed, IsOk());
  EXPECT_EQ(typed->type(), v1::Comment::EDITORIAL);
  EXPECT_EQ(typed->language(), "fr-CA");
  EXPECT_EQ(typed->proposed_change(), "Importance of citizen-generated data");

  auto events = CommentEvents(Section("privacy"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].consultation(), "consultations/cph");
  EXPECT_EQ(events[0].actor(), member_names_[member_]);
  const auto& created = events[0].comment_created();
  EXPECT_EQ(created.comment().comment(), c->name());
  EXPECT_EQ(created.comment().author(), c->author());
  EXPECT_EQ(created.comment().thread(), c->name());
  EXPECT_EQ(created.type(), v1::Comment::GENERAL);
  EXPECT_EQ(created.round(), 1);
  EXPECT_FALSE(created.has_anchor());
}

TEST_F(CommentsServiceTest, CreateIsRefusedOnceTheRoundHasClosedByTime) {
  ASSERT_TRUE(OpenConsultation("cph", absl::Hours(24)));
  ASSERT_THAT(Comment(member_, Section("privacy"), "In time."), IsOk());
  clock_.Advance(absl::Hours(24) + absl::Seconds(1));
  EXPECT_THAT(Comment(member_, Section("privacy"), "Too late."),
              StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(CommentEventKinds(Section("privacy")),
              ElementsAre(Kind::kCommentCreated));
}

TEST_F(CommentsServiceTest, TheWriteScriptRechecksTheClosingTimeItself) {
  // Between the participation check and the write the round may close: the
  // script compares the time with closes_at in the same atomic step.
  ASSERT_TRUE(OpenConsultation());
  v1::Comment c;
  c.set_target(Section("privacy"));
  c.set_name(absl::StrCat("comments/", CommentsStore::NewId(c.target())));
  c.set_thread(c.name());
  c.set_consultation("consultations/cph");
  c.set_author(member_names_[member_]);
  c.set_body("Racing the deadline.");
  c.set_round(1);
  *c.mutable_create_time() = consultations::testing::At(clock_.Now());
  v1::Event event;
  event.set_consultation("consultations/cph");
  *event.mutable_comment_created()->mutable_comment()->mutable_target() =
      c.target();
  const WriteContext at_close{clock_.Now(), clock_.Now(), c.author()};
  EXPECT_THAT(store_k_->Create(c, "", at_close, event),
              StatusIs(Code::kFailedPrecondition, HasSubstr("round closed")));
  EXPECT_THAT(GetComment(secretariat_token_, c.name()),
              StatusIs(Code::kNotFound));
  EXPECT_THAT(CommentEvents(Section("privacy")), IsEmpty());
}

TEST_F(CommentsServiceTest, CommentOnADraftConsultationIsNotFoundForMembers) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", testing::kDraft), IsOk());
  EXPECT_THAT(Comment(member_, Section("privacy"), "Early."),
              StatusIs(Code::kNotFound));
  // The secretariat sees the draft, but no round takes comments yet.
  EXPECT_THAT(Comment(secretariat_token_, Section("privacy"), "Early."),
              StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(CommentEvents(Section("privacy")), IsEmpty());
}

TEST_F(CommentsServiceTest, CommentOutsideTheAudienceIsPermissionDenied) {
  v1::CreateConsultationRequest create;
  create.set_consultation_id("cph");
  create.mutable_consultation()->set_title("For Kenya");
  create.mutable_consultation()->mutable_audience()->add_countries("KEN");
  ASSERT_THAT((Call<v1::CreateConsultationRequest, v1::Consultation>(
                  &v1::ConsultationsService::Stub::CreateConsultation, create,
                  secretariat_token_)),
              IsOk());
  ASSERT_THAT(Import("cph", testing::kDraft), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  const std::string outsider = Other();  // FRA
  EXPECT_THAT(Comment(outsider, Section("privacy"), "From France."),
              StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(Comment(member_, Section("privacy"), "From Kenya."), IsOk());
  // Outsiders may still read.
  EXPECT_THAT(
      Listed(outsider, [&](auto& r) { r.set_target(Section("privacy")); }),
      SizeIs(1));
}

TEST_F(CommentsServiceTest, ObserversMayNotComment) {
  ASSERT_TRUE(OpenConsultation());
  EXPECT_THAT(Comment(observer_, Section("privacy"), "Watching."),
              StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(Comment("cdc_not_a_token", Section("privacy"), "Who?"),
              StatusIs(Code::kUnauthenticated));
}

TEST_F(CommentsServiceTest, CommentOnAMissingSectionOrTargetIsRefused) {
  ASSERT_TRUE(OpenConsultation());
  EXPECT_THAT(Comment(member_, Section("nope"), "Where?"),
              StatusIs(Code::kNotFound));
  EXPECT_THAT(Comment(member_, Section("privacy", "elsewhere"), "Where?"),
              StatusIs(Code::kNotFound));
  EXPECT_THAT(Comment(member_, "consultations/cph", "Whole."),
              StatusIs(Code::kInvalidArgument, HasSubstr("comment.target")));
  EXPECT_THAT(Comment(member_, "", "Nowhere."),
              StatusIs(Code::kInvalidArgument, HasSubstr("comment.target")));
  for (const char* bad :
       {"spaces/s/topics", "spaces/s/threads/t", "conversations/",
        "conversations/Not-Lower", "resources/r/extra", "initiatives/i"}) {
    EXPECT_THAT(Comment(member_, bad, "Where?"),
                StatusIs(Code::kInvalidArgument, HasSubstr("comment.target")))
        << bad;
  }
}

// ---- Community targets without cdc-community ----
// (With cdc-community running: services/comments/community_targets_test.cc.)

TEST_F(CommentsServiceTest,
       CommunityTargetsAreUnavailableWhileCdcCommunityIsDown) {
  for (const char* target :
       {"spaces/gaps/topics/t1", "conversations/x1", "resources/r1"}) {
    EXPECT_THAT(Comment(member_, target, "Hello?"),
                StatusIs(Code::kUnavailable))
        << target;
    v1::ListCommentsRequest list;
    list.set_target(target);
    EXPECT_THAT(List(member_, list), StatusIs(Code::kUnavailable)) << target;
  }
  // A facilitator's moderation queue needs cdc-community to say who
  // facilitates; without a space it is the secretariat's alone.
  v1::ListCommentsRequest queue;
  queue.set_flagged_only(true);
  queue.set_space("spaces/gaps");
  EXPECT_THAT(List(member_, queue), StatusIs(Code::kUnavailable));
  queue.set_space("gaps");
  EXPECT_THAT(List(member_, queue),
              StatusIs(Code::kInvalidArgument, HasSubstr("space")));
}

TEST_F(CommentsServiceTest, OnlyCommentsOnASectionQuoteAPassage) {
  for (const char* target :
       {"spaces/gaps/topics/t1", "conversations/x1", "resources/r1"}) {
    v1::Comment c;
    c.set_target(target);
    c.set_body("As you said:");
    c.mutable_anchor()->set_exact("said");
    // Refused before cdc-community is asked (it is not running here).
    EXPECT_THAT(Post(member_, c),
                StatusIs(Code::kInvalidArgument,
                         HasSubstr("comment.anchor: only comments on a "
                                   "section quote a passage")))
        << target;
  }
}

TEST_F(CommentsServiceTest, StatisticsAndTheRecordAreForSectionsOnly) {
  EXPECT_THAT(Statistics(member_, "spaces/gaps/topics/t1"),
              StatusIs(Code::kInvalidArgument, HasSubstr("scope")));
  EXPECT_THAT(Statistics(member_, "spaces/sections/topics/t1"),
              StatusIs(Code::kInvalidArgument, HasSubstr("scope")));
}

TEST_F(CommentsServiceTest, AnchorIsResolvedAgainstTheSectionText) {
  ASSERT_TRUE(OpenConsultation());
  v1::Comment c;
  c.set_target(Section("privacy"));
  c.set_body("Which consent?");
  c.mutable_anchor()->set_exact("Consent comes first");
  auto anchored = Post(member_, c);
  ASSERT_THAT(anchored, IsOk());
  // "Protect people and their data. " is 31 code points.
  EXPECT_EQ(anchored->anchor().exact(), "Consent comes first");
  EXPECT_EQ(anchored->anchor().start(), 31);
  EXPECT_EQ(anchored->anchor().end(), 50);
  EXPECT_EQ(anchored->anchor().prefix(), "Protect people and their data. ");
  EXPECT_EQ(anchored->anchor().suffix(), ".");
  auto events = CommentEvents(Section("privacy"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].comment_created().has_anchor());

  // An ambiguous quote needs a prefix or suffix to say which.
  c.set_target(Section("principles"));
  c.mutable_anchor()->set_exact("Principles");
  EXPECT_THAT(Post(member_, c),
              StatusIs(Code::kInvalidArgument, HasSubstr("occurs 2 times")));
  c.mutable_anchor()->set_suffix(" are");
  auto second = Post(member_, c);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->anchor().start(), 27);
}

TEST_F(CommentsServiceTest, AnchorNotInTheTextIsInvalidAndNothingIsWritten) {
  ASSERT_TRUE(OpenConsultation());
  v1::Comment c;
  c.set_target(Section("privacy"));
  c.set_body("Quoting something else.");
  c.mutable_anchor()->set_exact("Leave no one behind");  // from Inclusion
  EXPECT_THAT(Post(member_, c),
              StatusIs(Code::kInvalidArgument, HasSubstr("anchor.exact")));
  c.mutable_anchor()->set_exact("Consent");
  c.mutable_anchor()->set_start(0);
  c.mutable_anchor()->set_end(7);  // "Protect" is there
  EXPECT_THAT(Post(member_, c),
              StatusIs(Code::kInvalidArgument, HasSubstr("does not hold")));
  EXPECT_THAT(CommentEvents(Section("privacy")), IsEmpty());
  EXPECT_THAT(Listed(secretariat_token_,
                     [](auto& r) { r.set_consultation("consultations/cph"); }),
              IsEmpty());
}

TEST_F(CommentsServiceTest, BadBodiesAndLanguagesAreRefusedByField) {
  ASSERT_TRUE(OpenConsultation());
  EXPECT_THAT(Comment(member_, Section("privacy"), ""),
              StatusIs(Code::kInvalidArgument, HasSubstr("comment.body")));
  EXPECT_THAT(Comment(member_, Section("privacy"), std::string(10001, 'x')),
              StatusIs(Code::kInvalidArgument, HasSubstr("comment.body")));
  EXPECT_THAT(Comment(member_, Section("privacy"), "a bell \x07 rings"),
              StatusIs(Code::kInvalidArgument, HasSubstr("comment.body")));
  // Invalid UTF-8 never reaches the handler's own check: proto3 strings must
  // be UTF-8, so protobuf refuses the request on the wire (and gRPC answers
  // INTERNAL, not a named field).
  EXPECT_THAT(Comment(member_, Section("privacy"), "bad \xff utf-8"),
              Not(IsOk()));
  v1::Comment c;
  c.set_target(Section("privacy"));
  c.set_body("Fine.");
  c.set_language("not a tag!");
  EXPECT_THAT(Post(member_, c),
              StatusIs(Code::kInvalidArgument, HasSubstr("comment.language")));
  c.set_language("en");
  c.set_proposed_change(std::string(10001, 'y'));
  EXPECT_THAT(Post(member_, c), StatusIs(Code::kInvalidArgument,
                                         HasSubstr("comment.proposed_change")));
  c.set_proposed_change("");
  c.set_type(static_cast<v1::Comment::Type>(9));
  EXPECT_THAT(Post(member_, c),
              StatusIs(Code::kInvalidArgument, HasSubstr("comment.type")));
  EXPECT_THAT(CommentEvents(Section("privacy")), IsEmpty());
  // The limit itself is allowed.
  EXPECT_THAT(Comment(member_, Section("privacy"), std::string(10000, 'x')),
              IsOk());
}

TEST_F(CommentsServiceTest, RetryWithTheSameRequestIdReturnsTheFirstComment) {
  ASSERT_TRUE(OpenConsultation());
  v1::Comment c;
  c.set_target(Section("privacy"));
  c.set_body("Once.");
  auto first = Post(member_, c, "req-1");
  ASSERT_THAT(first, IsOk());
  auto again = Post(member_, c, "req-1");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->name(), first->name());
  EXPECT_EQ(again->body(), "Once.");
  auto other = Post(member_, c, "req-2");
  ASSERT_THAT(other, IsOk());
  EXPECT_NE(other->name(), first->name());
  // A request id is the author's own: another member's is another comment.
  auto someone_else = Post(Other(), c, "req-1");
  ASSERT_THAT(someone_else, IsOk());
  EXPECT_NE(someone_else->name(), first->name());
  EXPECT_THAT(CommentEventKinds(Section("privacy")),
              ElementsAre(Kind::kCommentCreated, Kind::kCommentCreated,
                          Kind::kCommentCreated));
  EXPECT_THAT(Post(member_, c, "has space"),
              StatusIs(Code::kInvalidArgument, HasSubstr("request_id")));
}

TEST_F(CommentsServiceTest, RetryAfterTheRoundClosedStillReturnsTheFirst) {
  ASSERT_TRUE(OpenConsultation());
  v1::Comment c;
  c.set_target(Section("privacy"));
  c.set_body("Sent just in time.");
  auto first = Post(member_, c, "late-1");
  ASSERT_THAT(first, IsOk());
  clock_.Advance(absl::Hours(25));
  auto again = Post(member_, c, "late-1");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->name(), first->name());
  EXPECT_THAT(Post(member_, c, "late-2"), StatusIs(Code::kFailedPrecondition));
}

TEST_F(CommentsServiceTest, RevisionsPageOneAtATimeReadingOnlyThatPage) {
  ASSERT_TRUE(OpenConsultation());
  auto c = Comment(member_, Section("privacy"), "v1");
  ASSERT_THAT(c, IsOk());
  ASSERT_THAT(Edit(member_, c->name(), "v2"), IsOk());
  ASSERT_THAT(Edit(member_, c->name(), "v3"), IsOk());
  v1::ListCommentRevisionsRequest request;
  request.set_parent(c->name());
  request.set_page_size(1);
  std::vector<std::string> bodies;
  int pages = 0;
  do {
    auto page = CallK<v1::ListCommentRevisionsRequest,
                      v1::ListCommentRevisionsResponse>(
        &v1::CommentsService::Stub::ListCommentRevisions, request, member_);
    ASSERT_THAT(page, IsOk());
    ASSERT_EQ(page->revisions_size(), 1);
    EXPECT_EQ(page->revisions(0).version(), pages + 1);
    bodies.push_back(page->revisions(0).body());
    request.set_page_token(page->next_page_token());
    ++pages;
  } while (!request.page_token().empty() && pages < 10);
  EXPECT_THAT(bodies, ElementsAre("v1", "v2", "v3"));
}

TEST_F(CommentsServiceTest, ConcurrentEditsOfDifferentFieldsBothStay) {
  ASSERT_TRUE(OpenConsultation());
  auto root = Comment(member_, Section("privacy"), "Original body.");
  ASSERT_THAT(root, IsOk());
  std::latch start(2);
  std::thread body([&] {
    start.arrive_and_wait();
    EXPECT_THAT(Edit(member_, root->name(), "New body."), IsOk());
  });
  std::thread change([&] {
    v1::UpdateCommentRequest request;
    request.mutable_comment()->set_name(root->name());
    request.mutable_comment()->set_proposed_change("New wording.");
    request.mutable_update_mask()->add_paths("proposed_change");
    start.arrive_and_wait();
    EXPECT_THAT(
        (CallK<v1::UpdateCommentRequest, v1::Comment>(
            &v1::CommentsService::Stub::UpdateComment, request, member_)),
        IsOk());
  });
  body.join();
  change.join();
  auto now = GetComment(member_, root->name());
  ASSERT_THAT(now, IsOk());
  EXPECT_EQ(now->body(), "New body.");
  EXPECT_EQ(now->proposed_change(), "New wording.");
  EXPECT_EQ(now->version(), 3);
}

TEST_F(CommentsServiceTest, ReplyMayRepeatItsParentsAnchorButNotChangeIt) {
  ASSERT_TRUE(OpenConsultation());
  v1::Comment root_in;
  root_in.set_target(Section("privacy"));
  root_in.set_body("On consent.");
  root_in.mutable_anchor()->set_exact("Consent comes first");
  auto root = Post(member_, root_in);
  ASSERT_THAT(root, IsOk());
  v1::Comment reply;
  reply.set_parent(root->name());
  reply.set_body("Same passage.");
  reply.mutable_anchor()->set_exact("Consent comes first");
  const std::string other = Other();
  EXPECT_THAT(Post(other, reply), IsOk());
  reply.mutable_anchor()->set_exact("Protect people");
  EXPECT_THAT(Post(other, reply),
              StatusIs(Code::kInvalidArgument, HasSubstr("comment.anchor")));
}

TEST_F(CommentsServiceTest, ConcurrentCreatesWithOneRequestIdMakeOneComment) {
  ASSERT_TRUE(OpenConsultation());
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::vector<absl::StatusOr<v1::Comment>> results(
      kThreads, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      v1::Comment c;
      c.set_target(Section("privacy"));
      c.set_body("Sent from a flaky network.");
      start.arrive_and_wait();
      results[i] = Post(member_, c, "same-request");
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> names;
  for (const auto& r : results) {
    ASSERT_THAT(r, IsOk());
    names.insert(r->name());
  }
  EXPECT_EQ(names.size(), 1u);
  EXPECT_THAT(
      Listed(member_, [&](auto& r) { r.set_target(Section("privacy")); }),
      ElementsAre(*names.begin()));
  EXPECT_THAT(CommentEventKinds(Section("privacy")),
              ElementsAre(Kind::kCommentCreated));
}

TEST_F(CommentsServiceTest, CommentsOfAnEarlierRoundAreFrozenInTheNext) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  auto old = Comment(member_, Section("privacy"), "Round one.");
  ASSERT_THAT(old, IsOk());
  ASSERT_THAT(Close("cph"), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  EXPECT_THAT(Edit(member_, old->name(), "Rewritten."),
              StatusIs(Code::kFailedPrecondition, HasSubstr("round 1")));
  EXPECT_THAT(Withdraw(member_, old->name()),
              StatusIs(Code::kFailedPrecondition, HasSubstr("round 1")));
  EXPECT_THAT(Endorse(other, old->name()),
              StatusIs(Code::kFailedPrecondition, HasSubstr("round 1")));
  EXPECT_THAT(Reply(other, old->name(), "Late reply."),
              StatusIs(Code::kFailedPrecondition, HasSubstr("round 1")));
  auto fresh = Comment(member_, Section("privacy"), "Round two.");
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->round(), 2);
  EXPECT_THAT(Listed(member_,
                     [](auto& q) {
                       q.set_consultation("consultations/cph");
                       q.set_round(2);
                     }),
              ElementsAre(fresh->name()));
}

TEST_F(CommentsServiceTest, GetCommentRefusesMalformedAndUnknownNames) {
  ASSERT_TRUE(OpenConsultation());
  EXPECT_THAT(GetComment(member_, "comments/0123456789abcdef"),
              StatusIs(Code::kNotFound));
  EXPECT_THAT(GetComment(member_, "comments/zz"), StatusIs(Code::kNotFound));
  EXPECT_THAT(GetComment(member_, "members/0123"),
              StatusIs(Code::kInvalidArgument, HasSubstr("name")));
  EXPECT_THAT(GetComment(member_, ""), StatusIs(Code::kInvalidArgument));
}

// ---- Threads ----

TEST_F(CommentsServiceTest, RepliesInheritTargetAndAnchorAndCountOnTheParent) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  v1::Comment root_in;
  root_in.set_target(Section("privacy"));
  root_in.set_body("Consent is not enough.");
  root_in.set_type(v1::Comment::TECHNICAL);
  root_in.mutable_anchor()->set_exact("Consent comes first");
  auto root = Post(member_, root_in);
  ASSERT_THAT(root, IsOk());

  auto reply = Reply(other, root->name(), "Agreed.");
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->target(), Section("privacy"));
  EXPECT_EQ(reply->parent(), root->name());
  EXPECT_EQ(reply->thread(), root->name());
  EXPECT_EQ(reply->anchor().exact(), "Consent comes first");
  EXPECT_EQ(reply->anchor().start(), root->anchor().start());
  EXPECT_EQ(reply->type(), v1::Comment::GENERAL);  // not the parent's
  EXPECT_EQ(reply->round(), 1);

  auto nested = Reply(member_, reply->name(), "Thanks.");
  ASSERT_THAT(nested, IsOk());
  EXPECT_EQ(nested->parent(), reply->name());
  EXPECT_EQ(nested->thread(), root->name());
  auto second = Reply(secretariat_token_, root->name(), "Noted.");
  ASSERT_THAT(second, IsOk());

  EXPECT_EQ(GetComment(member_, root->name())->reply_count(), 2);
  EXPECT_EQ(GetComment(member_, reply->name())->reply_count(), 1);

  // A reply may repeat its parent's target, but not name another one.
  v1::Comment wrong;
  wrong.set_parent(root->name());
  wrong.set_target(Section("importance"));
  wrong.set_body("Elsewhere.");
  EXPECT_THAT(Post(other, wrong),
              StatusIs(Code::kInvalidArgument, HasSubstr("comment.target")));
  EXPECT_THAT(Reply(other, "comments/0123456789abcdef", "To nothing."),
              StatusIs(Code::kNotFound));

  auto events = CommentEvents(Section("privacy"));
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[1].payload_case(), Kind::kCommentReplied);
  EXPECT_EQ(events[1].comment_replied().parent(), root->name());
  EXPECT_EQ(events[1].comment_replied().parent_author(), root->author());
  EXPECT_EQ(events[1].comment_replied().comment().thread(), root->name());
  EXPECT_EQ(events[1].comment_replied().round(), 1);
}

TEST_F(CommentsServiceTest, RepliesToHiddenOrWithdrawnCommentsAreRefused) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  auto hidden = Comment(member_, Section("privacy"), "Off topic.");
  auto withdrawn = Comment(member_, Section("privacy"), "Second thoughts.");
  ASSERT_THAT(hidden, IsOk());
  ASSERT_THAT(withdrawn, IsOk());
  ASSERT_THAT(Hide(hidden->name(), "Off topic."), IsOk());
  ASSERT_THAT(Withdraw(member_, withdrawn->name()), IsOk());

  // Others cannot even see the hidden one.
  EXPECT_THAT(Reply(other, hidden->name(), "Hm."), StatusIs(Code::kNotFound));
  EXPECT_THAT(Reply(member_, hidden->name(), "Hm."),
              StatusIs(Code::kFailedPrecondition, HasSubstr("HIDDEN")));
  EXPECT_THAT(Reply(secretariat_token_, hidden->name(), "Hm."),
              StatusIs(Code::kFailedPrecondition, HasSubstr("HIDDEN")));
  EXPECT_THAT(Reply(other, withdrawn->name(), "Hm."),
              StatusIs(Code::kFailedPrecondition, HasSubstr("WITHDRAWN")));
  EXPECT_EQ(GetComment(secretariat_token_, withdrawn->name())->reply_count(),
            0);
}

// ---- ListComments ----

TEST_F(CommentsServiceTest, ListsByEveryScopeWithTheirFilters) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  auto a = Comment(member_, Section("privacy"), "A", v1::Comment::GENERAL);
  clock_.Advance(absl::Seconds(1));
  auto b = Comment(other, Section("privacy"), "B", v1::Comment::TECHNICAL);
  clock_.Advance(absl::Seconds(1));
  auto c = Comment(other, Section("principles"), "C", v1::Comment::EDITORIAL);
  clock_.Advance(absl::Seconds(1));
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT(c, IsOk());
  auto r = Reply(other, a->name(), "R");
  ASSERT_THAT(r, IsOk());
  clock_.Advance(absl::Seconds(1));
  auto rr = Reply(member_, r->name(), "RR");
  ASSERT_THAT(rr, IsOk());
  ASSERT_THAT(Dispose(a->name(), v1::Disposition::ACCEPTED, "Done."), IsOk());

  auto list = [&](const std::function<void(v1::ListCommentsRequest&)>& fill) {
    return Listed(member_, fill);
  };
  EXPECT_THAT(list([&](auto& q) { q.set_target(Section("privacy")); }),
              ElementsAre(a->name(), b->name(), r->name(), rr->name()));
  EXPECT_THAT(list([&](auto& q) {
                q.set_target(Section("privacy"));
                q.set_top_level_only(true);
              }),
              ElementsAre(a->name(), b->name()));
  EXPECT_THAT(list([&](auto& q) { q.set_thread(a->name()); }),
              ElementsAre(a->name(), r->name(), rr->name()));
  EXPECT_THAT(list([&](auto& q) { q.set_parent(a->name()); }),
              ElementsAre(r->name()));
  EXPECT_THAT(list([&](auto& q) { q.set_author(c->author()); }),
              ElementsAre(b->name(), c->name(), r->name()));
  EXPECT_THAT(
      list([&](auto& q) { q.set_consultation("consultations/cph"); }),
      ElementsAre(a->name(), b->name(), c->name(), r->name(), rr->name()));
  EXPECT_THAT(list([&](auto& q) {
                q.set_consultation("consultations/cph");
                q.set_type(v1::Comment::TECHNICAL);
              }),
              ElementsAre(b->name()));
  EXPECT_THAT(list([&](auto& q) {
                q.set_consultation("consultations/cph");
                q.set_disposition(v1::Disposition::ACCEPTED);
              }),
              ElementsAre(a->name()));
  EXPECT_THAT(list([&](auto& q) {
                q.set_target(Section("privacy"));
                q.set_awaiting_disposition(true);
              }),
              ElementsAre(b->name(), r->name(), rr->name()));
  EXPECT_THAT(list([&](auto& q) {
                q.set_consultation("consultations/cph");
                q.set_top_level_only(true);
                q.set_awaiting_disposition(true);
              }),
              ElementsAre(b->name(), c->name()));
  EXPECT_THAT(list([&](auto& q) {
                q.set_author(c->author());
                q.set_target(Section("privacy"));
              }),
              ElementsAre(b->name(), r->name()));
  EXPECT_THAT(list([&](auto& q) {
                q.set_consultation("consultations/cph");
                q.set_round(2);
              }),
              IsEmpty());

  v1::ListCommentsRequest none;
  EXPECT_THAT(List(member_, none),
              StatusIs(Code::kInvalidArgument, HasSubstr("target")));
  none.set_target(Section("privacy"));
  none.set_page_token("garbage");
  EXPECT_THAT(List(member_, none),
              StatusIs(Code::kInvalidArgument, HasSubstr("page_token")));
  v1::ListCommentsRequest first;
  first.set_target(Section("privacy"));
  first.set_page_size(1);
  auto page = List(member_, first);
  ASSERT_THAT(page, IsOk());
  ASSERT_FALSE(page->next_page_token().empty());
  first.set_page_token(page->next_page_token());
  first.set_type(v1::Comment::TECHNICAL);  // other filters than the token's
  EXPECT_THAT(List(member_, first), StatusIs(Code::kInvalidArgument));
  none.clear_page_token();
  none.set_page_size(-1);
  EXPECT_THAT(List(member_, none), StatusIs(Code::kInvalidArgument));
}

TEST_F(CommentsServiceTest, PagingNeitherSkipsNorRepeatsWhileCommentsAreAdded) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  std::vector<std::string> existing;
  for (int i = 0; i < 10; ++i) {
    auto c = Comment(i % 2 == 0 ? member_ : other, Section("privacy"),
                     absl::StrCat("Existing ", i));
    ASSERT_THAT(c, IsOk());
    existing.push_back(c->name());
  }

  constexpr int kAdded = 6;
  std::latch start(2);
  std::vector<std::string> added;
  std::thread writer([&] {
    start.arrive_and_wait();
    for (int i = 0; i < kAdded; ++i) {
      auto c = Comment(other, Section("privacy"), absl::StrCat("New ", i));
      EXPECT_THAT(c, IsOk());
      if (c.ok()) added.push_back(c->name());
    }
  });

  std::vector<std::string> seen;
  v1::ListCommentsRequest request;
  request.set_target(Section("privacy"));
  request.set_page_size(3);
  start.arrive_and_wait();
  bool wrote_between_pages = false;
  do {
    auto page = List(member_, request);
    ASSERT_THAT(page, IsOk());
    EXPECT_LE(page->comments_size(), 3);
    for (const v1::Comment& c : page->comments()) seen.push_back(c.name());
    if (!wrote_between_pages) {
      // At least one comment is surely added mid-way.
      auto c = Comment(member_, Section("privacy"), "Between pages.");
      ASSERT_THAT(c, IsOk());
      wrote_between_pages = true;
    }
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  writer.join();

  const std::set<std::string> distinct(seen.begin(), seen.end());
  EXPECT_EQ(distinct.size(), seen.size()) << "a comment came twice";
  // Every comment that existed at the start came once, in creation order.
  std::vector<std::string> originals;
  for (const std::string& name : seen) {
    if (std::find(existing.begin(), existing.end(), name) != existing.end()) {
      originals.push_back(name);
    }
  }
  EXPECT_THAT(originals, ElementsAreArray(existing));
  // Comments added while paging come after them (on later pages).
  ASSERT_GE(seen.size(), 11u);
  EXPECT_THAT(std::vector<std::string>(seen.begin(), seen.begin() + 10),
              ElementsAreArray(existing));
  for (const std::string& name : added) {
    EXPECT_LE(std::count(seen.begin(), seen.end(), name), 1);
  }
}

TEST_F(CommentsServiceTest, CrossShardListsPageInCreationOrder) {
  ASSERT_TRUE(OpenConsultation());
  std::vector<std::string> made;
  const char* keys[] = {"privacy", "importance", "principles", "inclusion"};
  for (int i = 0; i < 8; ++i) {
    auto c = Comment(member_, Section(keys[i % 4]), absl::StrCat("N", i));
    ASSERT_THAT(c, IsOk());
    made.push_back(c->name());
    clock_.Advance(absl::Milliseconds(5));
  }
  for (auto fill : std::vector<std::function<void(v1::ListCommentsRequest&)>>{
           [&](auto& q) { q.set_author(member_names_[member_]); },
           [&](auto& q) { q.set_consultation("consultations/cph"); }}) {
    v1::ListCommentsRequest request;
    fill(request);
    request.set_page_size(3);
    auto names = ListNames(member_, request);
    ASSERT_THAT(names, IsOk());
    EXPECT_THAT(*names, ElementsAreArray(made));
  }
}

TEST_F(CommentsServiceTest, EveryListShowsWhatTheCallerEndorsedAndFlagged) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  auto c = Comment(member_, Section("privacy"), "Mark me.");
  ASSERT_THAT(c, IsOk());
  ASSERT_THAT(Endorse(other, c->name()), IsOk());
  ASSERT_THAT(Flag(other, c->name()), IsOk());
  for (auto fill : std::vector<std::function<void(v1::ListCommentsRequest&)>>{
           [&](auto& q) { q.set_target(Section("privacy")); },
           [&](auto& q) { q.set_thread(c->name()); },
           [&](auto& q) { q.set_author(member_names_[member_]); },
           [&](auto& q) { q.set_consultation("consultations/cph"); }}) {
    v1::ListCommentsRequest request;
    fill(request);
    auto mine = List(other, request);
    ASSERT_THAT(mine, IsOk());
    ASSERT_EQ(mine->comments_size(), 1) << request.DebugString();
    EXPECT_TRUE(mine->comments(0).endorsed_by_caller())
        << request.DebugString();
    EXPECT_TRUE(mine->comments(0).flagged_by_caller()) << request.DebugString();
    EXPECT_EQ(mine->comments(0).endorsement_count(), 1);
    auto theirs = List(member_, request);
    ASSERT_THAT(theirs, IsOk());
    ASSERT_EQ(theirs->comments_size(), 1);
    EXPECT_FALSE(theirs->comments(0).endorsed_by_caller());
    EXPECT_FALSE(theirs->comments(0).flagged_by_caller());
  }
}

TEST_F(CommentsServiceTest, ListingAScopeTheCallerCannotReadIsNotFound) {
  ASSERT_THAT(Create("cph"), IsOk());
  ASSERT_THAT(Import("cph", testing::kDraft), IsOk());
  v1::ListCommentsRequest by_target;
  by_target.set_target(Section("privacy"));
  EXPECT_THAT(List(member_, by_target), StatusIs(Code::kNotFound));
  v1::ListCommentsRequest by_consultation;
  by_consultation.set_consultation("consultations/cph");
  EXPECT_THAT(List(member_, by_consultation), StatusIs(Code::kNotFound));
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  EXPECT_THAT(List(member_, by_target), IsOk());
  EXPECT_THAT(List(observer_, by_target), StatusIs(Code::kNotFound));
  EXPECT_THAT(List(member_, by_consultation), IsOk());
}

// ---- Edits and withdrawal ----

TEST_F(CommentsServiceTest, AuthorEditsKeepEveryRevision) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  auto c = Comment(member_, Section("privacy"), "First words.");
  ASSERT_THAT(c, IsOk());
  clock_.Advance(absl::Minutes(5));
  auto edited = Edit(member_, c->name(), "Better words.", c->etag());
  ASSERT_THAT(edited, IsOk());
  EXPECT_EQ(edited->body(), "Better words.");
  EXPECT_EQ(edited->version(), 2);
  EXPECT_NE(edited->etag(), c->etag());
  EXPECT_GT(edited->update_time().seconds(), edited->create_time().seconds());

  auto revisions = Revisions(other, c->name());
  ASSERT_THAT(revisions, IsOk());
  ASSERT_EQ(revisions->revisions_size(), 2);
  EXPECT_EQ(revisions->revisions(0).version(), 1);
  EXPECT_EQ(revisions->revisions(0).body(), "First words.");
  EXPECT_EQ(revisions->revisions(0).name(),
            absl::StrCat(c->name(), "/revisions/1"));
  EXPECT_EQ(revisions->revisions(1).version(), 2);
  EXPECT_EQ(revisions->revisions(1).body(), "Better words.");
  EXPECT_EQ(revisions->revisions(1).type(), v1::Comment::GENERAL);
  v1::ListCommentRevisionsRequest paged;
  paged.set_parent(c->name());
  paged.set_page_size(1);
  auto page =
      CallK<v1::ListCommentRevisionsRequest, v1::ListCommentRevisionsResponse>(
          &v1::CommentsService::Stub::ListCommentRevisions, paged, other);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->revisions_size(), 1);
  ASSERT_FALSE(page->next_page_token().empty());
  paged.set_page_token(page->next_page_token());
  page =
      CallK<v1::ListCommentRevisionsRequest, v1::ListCommentRevisionsResponse>(
          &v1::CommentsService::Stub::ListCommentRevisions, paged, other);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->revisions_size(), 1);
  EXPECT_EQ(page->revisions(0).version(), 2);
  EXPECT_TRUE(page->next_page_token().empty());

  // Type and proposed change are editable; other paths are not.
  v1::UpdateCommentRequest update;
  update.mutable_comment()->set_name(c->name());
  update.mutable_comment()->set_type(v1::Comment::TECHNICAL);
  update.mutable_comment()->set_proposed_change("Ask first.");
  update.mutable_update_mask()->add_paths("type");
  update.mutable_update_mask()->add_paths("proposed_change");
  auto retyped = CallK<v1::UpdateCommentRequest, v1::Comment>(
      &v1::CommentsService::Stub::UpdateComment, update, member_);
  ASSERT_THAT(retyped, IsOk());
  EXPECT_EQ(retyped->type(), v1::Comment::TECHNICAL);
  EXPECT_EQ(retyped->proposed_change(), "Ask first.");
  EXPECT_EQ(retyped->body(), "Better words.");
  EXPECT_EQ(retyped->version(), 3);
  update.mutable_update_mask()->add_paths("target");
  EXPECT_THAT((CallK<v1::UpdateCommentRequest, v1::Comment>(
                  &v1::CommentsService::Stub::UpdateComment, update, member_)),
              StatusIs(Code::kInvalidArgument, HasSubstr("update_mask")));

  auto events = CommentEvents(Section("privacy"));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].comment_edited().version(), 2);
  EXPECT_THAT(events[1].comment_edited().changed_fields(), ElementsAre("body"));
  EXPECT_EQ(events[2].comment_edited().version(), 3);
}

TEST_F(CommentsServiceTest, EditIsGuardedByEtagAuthorshipAndTheRound) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  auto c = Comment(member_, Section("privacy"), "Original.");
  ASSERT_THAT(c, IsOk());
  ASSERT_THAT(Edit(member_, c->name(), "Edited once."), IsOk());
  EXPECT_THAT(Edit(member_, c->name(), "Lost update.", c->etag()),
              StatusIs(Code::kAborted, HasSubstr("etag")));
  EXPECT_THAT(Edit(other, c->name(), "Not mine."),
              StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(Edit(secretariat_token_, c->name(), "Not mine either."),
              StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(Edit(member_, c->name(), ""),
              StatusIs(Code::kInvalidArgument, HasSubstr("comment.body")));
  ASSERT_THAT(Close("cph"), IsOk());
  EXPECT_THAT(Edit(member_, c->name(), "After the close."),
              StatusIs(Code::kFailedPrecondition));
  auto now = GetComment(member_, c->name());
  ASSERT_THAT(now, IsOk());
  EXPECT_EQ(now->body(), "Edited once.");
  EXPECT_EQ(now->version(), 2);
  EXPECT_THAT(CommentEventKinds(Section("privacy")),
              ElementsAre(Kind::kCommentCreated, Kind::kCommentEdited));
}

TEST_F(CommentsServiceTest, WithdrawnCommentsKeepTheirPlaceButNotTheirText) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  v1::Comment root_in;
  root_in.set_target(Section("privacy"));
  root_in.set_body("Root.");
  root_in.set_proposed_change("Something.");
  root_in.mutable_anchor()->set_exact("Consent");
  auto root = Post(other, root_in);
  ASSERT_THAT(root, IsOk());
  auto reply = Reply(member_, root->name(), "I take this back.");
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(GetComment(other, root->name())->reply_count(), 1);

  EXPECT_THAT(Withdraw(other, reply->name()),
              StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(Withdraw(member_, reply->name(), "stale"),
              StatusIs(Code::kAborted));
  auto withdrawn = Withdraw(member_, reply->name(), reply->etag());
  ASSERT_THAT(withdrawn, IsOk());
  EXPECT_EQ(withdrawn->state(), v1::Comment::WITHDRAWN);
  // Its text is now for the secretariat alone, its author included.
  EXPECT_EQ(withdrawn->body(), "");
  EXPECT_EQ(GetComment(member_, reply->name())->body(), "");
  EXPECT_EQ(GetComment(other, root->name())->reply_count(), 0);

  auto seen_by_other = GetComment(other, reply->name());
  ASSERT_THAT(seen_by_other, IsOk());
  EXPECT_EQ(seen_by_other->state(), v1::Comment::WITHDRAWN);
  EXPECT_EQ(seen_by_other->body(), "");
  EXPECT_FALSE(seen_by_other->has_anchor());
  auto seen_by_secretariat = GetComment(secretariat_token_, reply->name());
  ASSERT_THAT(seen_by_secretariat, IsOk());
  EXPECT_EQ(seen_by_secretariat->body(), "I take this back.");
  EXPECT_TRUE(seen_by_secretariat->has_anchor());
  EXPECT_THAT(Revisions(other, reply->name()), StatusIs(Code::kNotFound));
  EXPECT_THAT(Revisions(secretariat_token_, reply->name()), IsOk());
  // It stays in its thread.
  EXPECT_THAT(Listed(other, [&](auto& q) { q.set_thread(root->name()); }),
              ElementsAre(root->name(), reply->name()));

  EXPECT_THAT(Withdraw(member_, reply->name()),
              StatusIs(Code::kFailedPrecondition, HasSubstr("WITHDRAWN")));
  // A withdrawn root keeps its proposed change from others too.
  ASSERT_THAT(Withdraw(other, root->name()), IsOk());
  EXPECT_EQ(GetComment(member_, root->name())->proposed_change(), "");
  ASSERT_THAT(Close("cph"), IsOk());
  auto late = Comment(member_, Section("importance"), "x");
  EXPECT_THAT(late, StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(CommentEventKinds(Section("privacy")),
              ElementsAre(Kind::kCommentCreated, Kind::kCommentReplied,
                          Kind::kCommentWithdrawn, Kind::kCommentWithdrawn));
}

TEST_F(CommentsServiceTest, WithdrawIsRefusedAfterTheRoundCloses) {
  ASSERT_TRUE(OpenConsultation());
  auto c = Comment(member_, Section("privacy"), "Keep me.");
  ASSERT_THAT(c, IsOk());
  clock_.Advance(absl::Hours(25));
  EXPECT_THAT(Withdraw(member_, c->name()),
              StatusIs(Code::kFailedPrecondition));
  EXPECT_EQ(GetComment(member_, c->name())->state(), v1::Comment::VISIBLE);
}

// ---- Endorsements ----

TEST_F(CommentsServiceTest, EndorsingIsOncePerMemberAndCanBeTakenBack) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  auto c = Comment(member_, Section("privacy"), "Endorse me.");
  ASSERT_THAT(c, IsOk());
  auto endorsed = Endorse(other, c->name());
  ASSERT_THAT(endorsed, IsOk());
  EXPECT_EQ(endorsed->endorsement_count(), 1);
  EXPECT_TRUE(endorsed->endorsed_by_caller());
  auto again = Endorse(other, c->name());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->endorsement_count(), 1);
  EXPECT_TRUE(GetComment(other, c->name())->endorsed_by_caller());
  EXPECT_FALSE(GetComment(member_, c->name())->endorsed_by_caller());

  EXPECT_THAT(Endorse(member_, c->name()),
              StatusIs(Code::kFailedPrecondition, HasSubstr("own")));
  EXPECT_THAT(Endorse(observer_, c->name()), StatusIs(Code::kPermissionDenied));

  auto taken_back = Unendorse(other, c->name());
  ASSERT_THAT(taken_back, IsOk());
  EXPECT_EQ(taken_back->endorsement_count(), 0);
  EXPECT_FALSE(taken_back->endorsed_by_caller());
  ASSERT_THAT(Unendorse(other, c->name()), IsOk());  // changes nothing
  EXPECT_EQ(GetComment(other, c->name())->endorsement_count(), 0);

  ASSERT_THAT(Endorse(other, c->name()), IsOk());
  ASSERT_THAT(Close("cph"), IsOk());
  EXPECT_THAT(Unendorse(other, c->name()), StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(Endorse(secretariat_token_, c->name()),
              StatusIs(Code::kFailedPrecondition));
  EXPECT_EQ(GetComment(other, c->name())->endorsement_count(), 1);

  auto events = CommentEvents(Section("privacy"));
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[1].comment_endorsed().endorsement_count(), 1);
  EXPECT_EQ(events[1].actor(), member_names_[other]);
  EXPECT_EQ(events[2].payload_case(), Kind::kCommentUnendorsed);
  EXPECT_EQ(events[2].comment_unendorsed().endorsement_count(), 0);
  EXPECT_EQ(events[3].comment_endorsed().endorsement_count(), 1);
}

TEST_F(CommentsServiceTest, ConcurrentEndorsementsAreCountedExactly) {
  ASSERT_TRUE(OpenConsultation());
  auto c = Comment(member_, Section("privacy"), "Popular.");
  ASSERT_THAT(c, IsOk());
  constexpr int kMembers = 16;
  constexpr int kRepeats = 8;  // members 0..7 endorse twice
  std::vector<std::string> tokens;
  for (int i = 0; i < kMembers; ++i) {
    tokens.push_back(NewMember(absl::StrCat("e", i, "@example.org"), "KEN",
                               v1::ORGANISATION_TYPE_CIVIL_SOCIETY,
                               v1::ROLE_MEMBER));
  }
  std::latch start(kMembers + kRepeats);
  absl::Mutex mu;
  std::vector<absl::Status> failures;
  std::vector<std::thread> threads;
  for (int i = 0; i < kMembers + kRepeats; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto result = Endorse(tokens[i % kMembers], c->name());
      if (!result.ok()) {
        absl::MutexLock lock(&mu);
        failures.push_back(result.status());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(failures, IsEmpty());
  EXPECT_EQ(GetComment(member_, c->name())->endorsement_count(), kMembers);

  std::vector<int> counts;
  std::set<std::string> endorsers;
  for (const v1::Event& e : CommentEvents(Section("privacy"))) {
    if (e.payload_case() != Kind::kCommentEndorsed) continue;
    counts.push_back(e.comment_endorsed().endorsement_count());
    endorsers.insert(e.actor());
  }
  std::vector<int> expected;
  for (int i = 1; i <= kMembers; ++i) expected.push_back(i);
  EXPECT_THAT(counts, ElementsAreArray(expected));
  EXPECT_EQ(endorsers.size(), static_cast<size_t>(kMembers));

  // Taking back concurrently is exact too.
  std::latch again(4);
  threads.clear();
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      again.arrive_and_wait();
      EXPECT_THAT(Unendorse(tokens[i], c->name()), IsOk());
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(GetComment(member_, c->name())->endorsement_count(), kMembers - 4);
  std::vector<int> after;
  for (const v1::Event& e : CommentEvents(Section("privacy"))) {
    if (e.payload_case() == Kind::kCommentUnendorsed) {
      after.push_back(e.comment_unendorsed().endorsement_count());
    }
  }
  EXPECT_THAT(after, ElementsAre(15, 14, 13, 12));
}

// ---- Moderation ----

TEST_F(CommentsServiceTest, FlagsNeedAReasonAndCountOncePerMember) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  const std::string third = Third();
  auto c = Comment(member_, Section("privacy"), "Buy my product.");
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT(Flag(other, c->name(), v1::ModerationAction::OTHER, ""),
              StatusIs(Code::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(
      Flag(other, c->name(), v1::ModerationAction::FLAG_REASON_UNSPECIFIED),
      StatusIs(Code::kInvalidArgument, HasSubstr("flag_reason")));
  EXPECT_THAT(Flag(member_, c->name()),
              StatusIs(Code::kFailedPrecondition, HasSubstr("own")));
  EXPECT_THAT(Flag(observer_, c->name()), StatusIs(Code::kPermissionDenied));

  auto flagged = Flag(other, c->name(), v1::ModerationAction::SPAM);
  ASSERT_THAT(flagged, IsOk());
  EXPECT_TRUE(flagged->flagged_by_caller());
  EXPECT_EQ(flagged->flag_count(), 0);  // shown to moderators only
  ASSERT_THAT(Flag(other, c->name(), v1::ModerationAction::ABUSIVE), IsOk());
  clock_.Advance(absl::Seconds(3));
  ASSERT_THAT(Flag(third, c->name(), v1::ModerationAction::OTHER, "An ad."),
              IsOk());
  EXPECT_EQ(GetComment(secretariat_token_, c->name())->flag_count(), 2);
  EXPECT_TRUE(GetComment(third, c->name())->flagged_by_caller());
  EXPECT_FALSE(GetComment(member_, c->name())->flagged_by_caller());

  // The queue lists the comment once, however many flagged it.
  auto queue =
      Listed(secretariat_token_, [](auto& q) { q.set_flagged_only(true); });
  EXPECT_THAT(queue, ElementsAre(c->name()));
  v1::ListCommentsRequest as_member;
  as_member.set_flagged_only(true);
  EXPECT_THAT(List(member_, as_member), StatusIs(Code::kPermissionDenied));

  auto events = CommentEvents(Section("privacy"));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].comment_flagged().flag_count(), 1);
  EXPECT_EQ(events[1].comment_flagged().flag_reason(),
            v1::ModerationAction::SPAM);
  EXPECT_EQ(events[2].comment_flagged().flag_count(), 2);
}

TEST_F(CommentsServiceTest, HiddenCommentsAreSeenOnlyByAuthorAndSecretariat) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  auto root = Comment(other, Section("privacy"), "Root.");
  ASSERT_THAT(root, IsOk());
  auto c = Reply(member_, root->name(), "Rude words.");
  ASSERT_THAT(c, IsOk());
  clock_.Advance(absl::Minutes(1));  // flagged later than created
  ASSERT_THAT(Flag(other, c->name(), v1::ModerationAction::ABUSIVE), IsOk());
  EXPECT_THAT(Hide(c->name(), "Rude.", member_),
              StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(Hide(c->name(), ""),
              StatusIs(Code::kInvalidArgument, HasSubstr("reason")));

  auto hidden = Hide(c->name(), "Please keep it civil.");
  ASSERT_THAT(hidden, IsOk());
  EXPECT_EQ(hidden->state(), v1::Comment::HIDDEN);
  EXPECT_EQ(hidden->flag_count(), 0);  // its flags are resolved
  EXPECT_THAT(Hide(c->name(), "Again."),
              StatusIs(Code::kFailedPrecondition, HasSubstr("HIDDEN")));

  EXPECT_THAT(GetComment(other, c->name()), StatusIs(Code::kNotFound));
  EXPECT_THAT(GetComment(observer_, c->name()), StatusIs(Code::kNotFound));
  auto by_author = GetComment(member_, c->name());
  ASSERT_THAT(by_author, IsOk());
  EXPECT_EQ(by_author->state(), v1::Comment::HIDDEN);
  EXPECT_EQ(by_author->moderation_reason(), "Please keep it civil.");
  EXPECT_THAT(GetComment(secretariat_token_, c->name()), IsOk());
  EXPECT_EQ(GetComment(other, root->name())->reply_count(), 0);
  EXPECT_THAT(Listed(other, [&](auto& q) { q.set_thread(root->name()); }),
              ElementsAre(root->name()));
  EXPECT_THAT(
      Listed(other, [](auto& q) { q.set_consultation("consultations/cph"); }),
      ElementsAre(root->name()));
  EXPECT_THAT(Listed(member_, [&](auto& q) { q.set_thread(root->name()); }),
              ElementsAre(root->name(), c->name()));
  EXPECT_THAT(
      Listed(secretariat_token_, [](auto& q) { q.set_flagged_only(true); }),
      IsEmpty());

  auto restored = Restore(c->name(), "Edited offline; fine now.");
  ASSERT_THAT(restored, IsOk());
  EXPECT_EQ(restored->state(), v1::Comment::VISIBLE);
  EXPECT_THAT(GetComment(other, c->name()), IsOk());
  EXPECT_EQ(GetComment(other, c->name())->moderation_reason(), "");
  EXPECT_EQ(GetComment(other, root->name())->reply_count(), 1);

  auto events = CommentEvents(Section("privacy"));
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[3].payload_case(), Kind::kCommentHidden);
  EXPECT_EQ(events[3].comment_hidden().reason(), "Please keep it civil.");
  EXPECT_EQ(events[4].payload_case(), Kind::kCommentRestored);
  EXPECT_TRUE(events[4].comment_restored().was_hidden());
}

TEST_F(CommentsServiceTest, RestoreOnAVisibleCommentDismissesItsFlags) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  auto c = Comment(member_, Section("privacy"), "Sharp but fair.");
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT(Restore(c->name(), "Nothing to do."),
              StatusIs(Code::kFailedPrecondition, HasSubstr("neither")));
  ASSERT_THAT(Flag(other, c->name(), v1::ModerationAction::ABUSIVE), IsOk());
  auto dismissed = Restore(c->name(), "Within the rules.");
  ASSERT_THAT(dismissed, IsOk());
  EXPECT_EQ(dismissed->state(), v1::Comment::VISIBLE);
  EXPECT_EQ(dismissed->flag_count(), 0);
  EXPECT_THAT(
      Listed(secretariat_token_, [](auto& q) { q.set_flagged_only(true); }),
      IsEmpty());
  auto events = CommentEvents(Section("privacy"));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_FALSE(events[2].comment_restored().was_hidden());
  // Once dismissed, the member may flag it again.
  ASSERT_THAT(Flag(other, c->name(), v1::ModerationAction::ABUSIVE), IsOk());
  EXPECT_EQ(GetComment(secretariat_token_, c->name())->flag_count(), 1);
}

TEST_F(CommentsServiceTest, ModerationActionsFormAnAuditTrailNewestFirst) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  auto c = Comment(member_, Section("privacy"), "Questionable.");
  auto d = Comment(member_, Section("importance"), "Fine.");
  ASSERT_THAT(c, IsOk());
  ASSERT_THAT(d, IsOk());
  ASSERT_THAT(Flag(other, c->name(), v1::ModerationAction::OFF_TOPIC, "Hm."),
              IsOk());
  clock_.Advance(absl::Seconds(1));
  ASSERT_THAT(Hide(c->name(), "Off topic."), IsOk());
  clock_.Advance(absl::Seconds(1));
  ASSERT_THAT(Restore(c->name(), "On second reading, on topic."), IsOk());
  clock_.Advance(absl::Seconds(1));
  ASSERT_THAT(Flag(other, d->name(), v1::ModerationAction::SPAM), IsOk());

  auto trail = Actions(secretariat_token_, c->name());
  ASSERT_THAT(trail, IsOk());
  std::vector<v1::ModerationAction::Kind> kinds;
  for (const auto& a : trail->moderation_actions()) kinds.push_back(a.kind());
  EXPECT_THAT(kinds, ElementsAre(v1::ModerationAction::RESTORE,
                                 v1::ModerationAction::HIDE,
                                 v1::ModerationAction::FLAG));
  const auto& flag = trail->moderation_actions(2);
  EXPECT_EQ(flag.comment(), c->name());
  EXPECT_EQ(flag.actor(), member_names_[other]);
  EXPECT_EQ(flag.flag_reason(), v1::ModerationAction::OFF_TOPIC);
  EXPECT_EQ(flag.reason(), "Hm.");
  EXPECT_EQ(flag.consultation(), "consultations/cph");
  EXPECT_THAT(flag.name(), HasSubstr(c->name() + "/moderationActions/"));
  EXPECT_EQ(trail->moderation_actions(1).actor(), secretariat_);
  EXPECT_EQ(trail->moderation_actions(1).reason(), "Off topic.");

  auto everything = Actions(secretariat_token_);
  ASSERT_THAT(everything, IsOk());
  ASSERT_EQ(everything->moderation_actions_size(), 4);
  EXPECT_EQ(everything->moderation_actions(0).comment(), d->name());
  auto flags = Actions(secretariat_token_, "", v1::ModerationAction::FLAG);
  ASSERT_THAT(flags, IsOk());
  EXPECT_EQ(flags->moderation_actions_size(), 2);
  EXPECT_THAT(Actions(member_), StatusIs(Code::kPermissionDenied));
}

// ---- Dispositions ----

TEST_F(CommentsServiceTest, SecretariatSetsAndReplacesDispositions) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  auto c = Comment(member_, Section("privacy"), "Define consent.");
  ASSERT_THAT(c, IsOk());
  auto reply = Reply(other, c->name(), "Yes, please.");
  ASSERT_THAT(reply, IsOk());

  EXPECT_THAT(Dispose(c->name(), v1::Disposition::ACCEPTED, "Yes.", member_),
              StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(
      Dispose(c->name(), v1::Disposition::OUTCOME_UNSPECIFIED, "?"),
      StatusIs(Code::kInvalidArgument, HasSubstr("disposition.outcome")));
  EXPECT_THAT(
      Dispose(c->name(), v1::Disposition::ACCEPTED, ""),
      StatusIs(Code::kInvalidArgument, HasSubstr("disposition.response")));
  EXPECT_THAT(
      Dispose(c->name(), v1::Disposition::ACCEPTED, std::string(5001, 'r')),
      StatusIs(Code::kInvalidArgument, HasSubstr("disposition.response")));
  EXPECT_THAT(
      Dispose(c->name(), v1::Disposition::ACCEPTED, "Yes.", "", "stale-etag"),
      StatusIs(Code::kAborted));

  auto set = Dispose(c->name(), v1::Disposition::NOTED, "Noted.");
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(set->disposition().outcome(), v1::Disposition::NOTED);
  EXPECT_EQ(set->disposition().response(), "Noted.");
  EXPECT_EQ(set->disposition().responder(), secretariat_);
  EXPECT_TRUE(set->disposition().has_set_time());
  // The round may close: answers continue until the record is published.
  ASSERT_THAT(Close("cph"), IsOk());
  auto replaced = Dispose(c->name(), v1::Disposition::PARTLY_ACCEPTED,
                          "Partly, in 3.2.", "", set->etag());
  ASSERT_THAT(replaced, IsOk());
  EXPECT_EQ(replaced->disposition().outcome(),
            v1::Disposition::PARTLY_ACCEPTED);
  EXPECT_EQ(GetComment(member_, c->name())->disposition().response(),
            "Partly, in 3.2.");
  ASSERT_THAT(Dispose(reply->name(), v1::Disposition::NOT_ACCEPTED, "No."),
              IsOk());

  auto events = CommentEvents(Section("privacy"));
  std::vector<v1::DispositionSet> sets;
  for (const auto& e : events) {
    if (e.payload_case() == Kind::kDispositionSet) {
      sets.push_back(e.disposition_set());
      EXPECT_EQ(e.consultation(), "consultations/cph");
    }
  }
  ASSERT_EQ(sets.size(), 3u);
  EXPECT_EQ(sets[0].outcome(), v1::Disposition::NOTED);
  EXPECT_EQ(sets[0].previous_outcome(), v1::Disposition::OUTCOME_UNSPECIFIED);
  EXPECT_EQ(sets[0].round(), 1);
  EXPECT_EQ(sets[0].comment().author(), member_names_[member_]);
  EXPECT_EQ(sets[1].outcome(), v1::Disposition::PARTLY_ACCEPTED);
  EXPECT_EQ(sets[1].previous_outcome(), v1::Disposition::NOTED);
  EXPECT_EQ(sets[2].comment().comment(), reply->name());

  ASSERT_THAT(Publish("cph"), IsOk());
  EXPECT_THAT(Dispose(c->name(), v1::Disposition::ACCEPTED, "Too late."),
              StatusIs(Code::kFailedPrecondition, HasSubstr("published")));
}

TEST_F(CommentsServiceTest, WithdrawnCommentsTakeNoDisposition) {
  ASSERT_TRUE(OpenConsultation());
  auto c = Comment(member_, Section("privacy"), "Never mind.");
  ASSERT_THAT(c, IsOk());
  ASSERT_THAT(Withdraw(member_, c->name()), IsOk());
  EXPECT_THAT(Dispose(c->name(), v1::Disposition::NOTED, "Noted."),
              StatusIs(Code::kFailedPrecondition, HasSubstr("WITHDRAWN")));
}

// ---- Statistics ----

TEST_F(CommentsServiceTest, StatisticsCountVisibleCommentsBySectionAndKind) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();  // FRA, academia
  const std::string third = Third();  // BRA, national statistical office
  SetProfile(member_, "Kenya Data Alliance");
  SetProfile(other, "Sorbonne");
  SetProfile(third, "IBGE");
  // privacy: 3 visible top-level, 1 visible reply; 1 hidden, 1 withdrawn.
  auto a = Comment(member_, Section("privacy"), "A", v1::Comment::GENERAL);
  auto b = Comment(other, Section("privacy"), "B", v1::Comment::TECHNICAL);
  auto e = Comment(third, Section("privacy"), "E", v1::Comment::EDITORIAL);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT(e, IsOk());
  ASSERT_THAT(Reply(other, a->name(), "R"), IsOk());
  auto hidden = Comment(third, Section("privacy"), "H", v1::Comment::TECHNICAL);
  auto gone = Comment(member_, Section("privacy"), "W", v1::Comment::EDITORIAL);
  ASSERT_THAT(hidden, IsOk());
  ASSERT_THAT(gone, IsOk());
  ASSERT_THAT(Hide(hidden->name(), "Spam."), IsOk());
  ASSERT_THAT(Withdraw(member_, gone->name()), IsOk());
  // principles: 2 visible.
  auto p = Comment(member_, Section("principles"), "P", v1::Comment::TECHNICAL);
  ASSERT_THAT(p, IsOk());
  ASSERT_THAT(Comment(third, Section("principles"), "Q"), IsOk());
  ASSERT_THAT(Dispose(a->name(), v1::Disposition::ACCEPTED, "Yes."), IsOk());
  ASSERT_THAT(Dispose(p->name(), v1::Disposition::NOTED, "Noted."), IsOk());
  ASSERT_THAT(Dispose(hidden->name(), v1::Disposition::NOT_ACCEPTED, "No."),
              IsOk());

  auto type_counts = [](const v1::CommentStatistics& s) {
    std::vector<int64_t> counts;
    for (const auto& t : s.by_type()) counts.push_back(t.count());
    return counts;
  };
  auto outcome_counts = [](const v1::CommentStatistics& s) {
    std::vector<int64_t> counts;
    for (const auto& d : s.by_disposition()) counts.push_back(d.count());
    return counts;
  };
  auto countries = [](const v1::CommentStatistics& s) {
    std::vector<std::string> out;
    for (const auto& c : s.by_country()) {
      out.push_back(absl::StrCat(c.country(), "=", c.count()));
    }
    return out;
  };
  auto organisation_types = [](const v1::CommentStatistics& s) {
    std::vector<std::string> out;
    for (const auto& o : s.by_organisation_type()) {
      out.push_back(absl::StrCat(
          v1::OrganisationType_Name(o.organisation_type()), "=", o.count()));
    }
    return out;
  };

  auto privacy = Statistics(member_, Section("privacy"));
  ASSERT_THAT(privacy, IsOk());
  EXPECT_EQ(privacy->scope(), Section("privacy"));
  EXPECT_EQ(privacy->section_title(), "Privacy");
  EXPECT_EQ(privacy->total_count(), 4);
  EXPECT_EQ(privacy->top_level_count(), 3);
  EXPECT_EQ(privacy->reply_count(), 1);
  EXPECT_EQ(privacy->author_count(), 3);
  EXPECT_EQ(privacy->organisation_count(), 3);
  EXPECT_EQ(privacy->awaiting_disposition(), 3);
  // GENERAL (A, the reply), TECHNICAL (B), EDITORIAL (E).
  EXPECT_THAT(type_counts(*privacy), ElementsAre(2, 1, 1));
  // UNSPECIFIED, ACCEPTED, PARTLY_ACCEPTED, NOTED, NOT_ACCEPTED.
  EXPECT_THAT(outcome_counts(*privacy), ElementsAre(3, 1, 0, 0, 0));
  EXPECT_THAT(countries(*privacy), ElementsAre("BRA=1", "FRA=2", "KEN=1"));
  EXPECT_THAT(organisation_types(*privacy),
              UnorderedElementsAreArray(
                  {"ORGANISATION_TYPE_NATIONAL_STATISTICAL_OFFICE=1",
                   "ORGANISATION_TYPE_ACADEMIA=2",
                   "ORGANISATION_TYPE_CIVIL_SOCIETY=1"}));

  auto all = Statistics(other, "consultations/cph", true);
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->total_count(), 6);
  EXPECT_EQ(all->top_level_count(), 5);
  EXPECT_EQ(all->reply_count(), 1);
  EXPECT_EQ(all->author_count(), 3);
  EXPECT_EQ(all->awaiting_disposition(), 4);
  EXPECT_THAT(type_counts(*all), ElementsAre(3, 2, 1));
  EXPECT_THAT(outcome_counts(*all), ElementsAre(4, 1, 0, 1, 0));
  EXPECT_THAT(countries(*all), ElementsAre("BRA=2", "FRA=2", "KEN=2"));
  // One entry per section, in document order.
  std::vector<std::string> sections;
  for (const auto& s : all->sections()) {
    sections.push_back(
        absl::StrCat(s.scope(), " ", s.section_title(), " ", s.total_count()));
  }
  EXPECT_THAT(sections, ElementsAre(Section("importance") +
                                        " Importance of citizen data 0",
                                    Section("principles") + " Key principles 2",
                                    Section("inclusion") + " Inclusion 0",
                                    Section("privacy") + " Privacy 4"));

  EXPECT_EQ(Statistics(member_, "consultations/cph", false, 2)->total_count(),
            0);
  EXPECT_THAT(Statistics(member_, "members/x"),
              StatusIs(Code::kInvalidArgument, HasSubstr("scope")));
  EXPECT_THAT(Statistics(member_, "consultations/none"),
              StatusIs(Code::kNotFound));
  EXPECT_THAT(Statistics(member_, Section("nope")), StatusIs(Code::kNotFound));
  EXPECT_THAT(Statistics(observer_, "consultations/cph"),
              StatusIs(Code::kNotFound));  // nothing published yet
  ASSERT_THAT(Create("empty"), IsOk());    // no draft yet: nothing to count
  auto empty = Statistics(secretariat_token_, "consultations/empty", true);
  ASSERT_THAT(empty, IsOk());
  EXPECT_EQ(empty->total_count(), 0);
  EXPECT_THAT(empty->sections(), IsEmpty());
}

// ---- The comment–response record ----

TEST_F(CommentsServiceTest, RecordIsExportedInDocumentAndThreadOrder) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  SetProfile(member_, "Kenya Data Alliance");
  SetProfile(other, "Sorbonne");
  // Created out of document order on purpose.
  v1::Comment quoted;
  quoted.set_target(Section("privacy"));
  quoted.set_body("P1");
  quoted.set_type(v1::Comment::TECHNICAL);
  quoted.set_proposed_change("Consent is required.");
  quoted.mutable_anchor()->set_exact("Consent comes first");
  auto p1 = Post(member_, quoted);
  ASSERT_THAT(p1, IsOk());
  clock_.Advance(absl::Seconds(1));
  auto i1 = Comment(other, Section("importance"), "I1");
  ASSERT_THAT(i1, IsOk());
  clock_.Advance(absl::Seconds(1));
  auto i2 = Comment(member_, Section("importance"), "I2");
  ASSERT_THAT(i2, IsOk());
  clock_.Advance(absl::Seconds(1));
  auto i1r = Reply(member_, i1->name(), "I1r");
  ASSERT_THAT(i1r, IsOk());
  clock_.Advance(absl::Seconds(1));
  auto i1rr = Reply(other, i1r->name(), "I1rr");
  ASSERT_THAT(i1rr, IsOk());
  auto hidden = Comment(member_, Section("importance"), "hidden");
  auto gone = Comment(other, Section("principles"), "withdrawn");
  ASSERT_THAT(hidden, IsOk());
  ASSERT_THAT(gone, IsOk());
  ASSERT_THAT(Hide(hidden->name(), "Spam."), IsOk());
  ASSERT_THAT(Withdraw(other, gone->name()), IsOk());
  ASSERT_THAT(Endorse(other, p1->name()), IsOk());
  ASSERT_THAT(
      Dispose(p1->name(), v1::Disposition::PARTLY_ACCEPTED, "Reworded in 4."),
      IsOk());
  ASSERT_THAT(Dispose(i1->name(), v1::Disposition::ACCEPTED, "Agreed."),
              IsOk());

  // Before publication: the secretariat reads a draft of the record; members
  // wait; observers do not see the consultation at all yet.
  auto draft = Export(secretariat_token_);
  ASSERT_THAT(draft, IsOk());
  EXPECT_EQ(draft->size(), 5u);
  EXPECT_THAT(Export(member_, "cph", 1),
              StatusIs(Code::kFailedPrecondition, HasSubstr("not published")));
  EXPECT_THAT(Export(member_), StatusIs(Code::kNotFound));
  EXPECT_THAT(Export(observer_), StatusIs(Code::kNotFound));

  ASSERT_THAT(Close("cph"), IsOk());
  ASSERT_THAT(Publish("cph"), IsOk());
  auto rows = Export(observer_);
  ASSERT_THAT(rows, IsOk());
  std::vector<std::string> order;
  for (const auto& row : *rows) order.push_back(row.comment());
  EXPECT_THAT(order, ElementsAre(i1->name(), i1r->name(), i1rr->name(),
                                 i2->name(), p1->name()));
  const v1::RecordEntry& first = (*rows)[0];
  EXPECT_EQ(first.consultation(), "consultations/cph");
  EXPECT_EQ(first.round(), 1);
  EXPECT_EQ(first.draft_version(), 1);
  EXPECT_EQ(first.section(), Section("importance"));
  EXPECT_EQ(first.section_key(), "importance");
  EXPECT_EQ(first.section_title(), "Importance of citizen data");
  EXPECT_EQ(first.section_order(), 0);
  EXPECT_EQ(first.author_organisation(), "Sorbonne");
  EXPECT_EQ(first.author_organisation_type(), v1::ORGANISATION_TYPE_ACADEMIA);
  EXPECT_EQ(first.author_country(), "FRA");
  EXPECT_EQ(first.disposition(), v1::Disposition::ACCEPTED);
  EXPECT_EQ(first.response(), "Agreed.");
  EXPECT_TRUE(first.has_disposition_time());
  EXPECT_EQ((*rows)[1].parent(), i1->name());
  EXPECT_EQ((*rows)[2].parent(), i1r->name());
  EXPECT_EQ((*rows)[3].disposition(), v1::Disposition::OUTCOME_UNSPECIFIED);
  EXPECT_FALSE((*rows)[3].has_disposition_time());
  const v1::RecordEntry& last = (*rows)[4];
  EXPECT_EQ(last.section_key(), "privacy");
  EXPECT_EQ(last.section_order(), 3);
  EXPECT_EQ(last.author_organisation(), "Kenya Data Alliance");
  EXPECT_EQ(last.type(), v1::Comment::TECHNICAL);
  EXPECT_EQ(last.body(), "P1");
  EXPECT_EQ(last.proposed_change(), "Consent is required.");
  EXPECT_EQ(last.quote(), "Consent comes first");
  EXPECT_EQ(last.language(), "en");
  EXPECT_EQ(last.endorsement_count(), 1);
  EXPECT_EQ(last.response(), "Reworded in 4.");
  // No row names a person.
  for (const auto& row : *rows) {
    EXPECT_EQ(row.DebugString().find("@example.org"), std::string::npos);
  }

  // A second round: observers may export the first, not the new one.
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  ASSERT_THAT(Comment(member_, Section("privacy"), "Round two."), IsOk());
  EXPECT_THAT(Export(observer_, "cph", 2),
              StatusIs(Code::kFailedPrecondition, HasSubstr("not published")));
  auto still = Export(observer_);
  ASSERT_THAT(still, IsOk());
  EXPECT_EQ(still->size(), 5u);
  auto second = Export(secretariat_token_);
  ASSERT_THAT(second, IsOk());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].round(), 2);
  EXPECT_THAT(Export(secretariat_token_, "cph", 3), StatusIs(Code::kNotFound));
}

TEST_F(CommentsServiceTest, ObserversReadCommentsOfPublishedRoundsOnly) {
  ASSERT_TRUE(OpenConsultation());
  auto c = Comment(member_, Section("privacy"), "Public soon.");
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT(GetComment(observer_, c->name()), StatusIs(Code::kNotFound));
  ASSERT_THAT(Close("cph"), IsOk());
  ASSERT_THAT(Publish("cph"), IsOk());
  EXPECT_THAT(GetComment(observer_, c->name()), IsOk());
  EXPECT_THAT(
      Listed(observer_, [&](auto& q) { q.set_target(Section("privacy")); }),
      ElementsAre(c->name()));
  EXPECT_EQ(Statistics(observer_, "consultations/cph")->total_count(), 1);
}

// ---- Answers kept across calls, and compact storage ----

// The default language is the profile's first, kept for a minute: a second
// comment does not ask cdc-members again, so a profile change reaches
// comments sent without a language only after that.
TEST_F(CommentsServiceTest, TheDefaultLanguageIsKeptForAMinute) {
  ASSERT_TRUE(OpenConsultation());
  SetProfile(member_, "", {"sw"});
  auto first = Comment(member_, Section("privacy"), "Lugha ya kwanza.");
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->language(), "sw");
  SetProfile(member_, "", {"fr"});
  auto kept = Comment(member_, Section("privacy"), "Encore en swahili.");
  ASSERT_THAT(kept, IsOk());
  EXPECT_EQ(kept->language(), "sw");  // kept, not asked again
  clock_.Advance(absl::Seconds(61));
  auto fresh = Comment(member_, Section("privacy"), "Maintenant en français.");
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->language(), "fr");
}

// A participation answer is kept only while the consultation's record is
// unchanged and its round has not reached closes_at: closing early and
// reopening take effect at the very next call.
TEST_F(CommentsServiceTest, AKeptParticipationAnswerFollowsEveryChange) {
  ASSERT_TRUE(OpenConsultation("cph", absl::Hours(24)));
  const std::string outsider = Other();  // FRA
  ASSERT_THAT(Comment(member_, Section("privacy"), "One."), IsOk());
  ASSERT_THAT(Comment(member_, Section("privacy"), "Two."), IsOk());
  ASSERT_THAT(Comment(outsider, Section("privacy"), "From France."), IsOk());

  ASSERT_THAT(Close("cph"), IsOk());
  EXPECT_THAT(Comment(member_, Section("privacy"), "After the close."),
              StatusIs(Code::kFailedPrecondition));
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  auto second = Comment(member_, Section("privacy"), "Round two.");
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->round(), 2);
  ASSERT_THAT(Comment(outsider, Section("privacy"), "Still here."), IsOk());
  EXPECT_THAT(Comment(observer_, Section("privacy"), "Watching."),
              StatusIs(Code::kPermissionDenied));  // refusals are not kept

  // At closes_at the kept answer is not used (and the script refuses too).
  ASSERT_THAT(Comment(member_, Section("privacy"), "In time."), IsOk());
  clock_.Advance(absl::Hours(24));
  EXPECT_THAT(Comment(member_, Section("privacy"), "At the deadline."),
              StatusIs(Code::kFailedPrecondition));
}

// GetConsultation's answer is kept the same way: an observer sees a round's
// comments as soon as its record is published, though the consultation was
// already visible (and its answer kept) before.
TEST_F(CommentsServiceTest, AKeptConsultationAnswerFollowsEveryChange) {
  ASSERT_TRUE(OpenConsultation());
  auto first = Comment(member_, Section("privacy"), "Round one.");
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(Close("cph"), IsOk());
  ASSERT_THAT(Publish("cph"), IsOk());
  ASSERT_THAT(Open("cph", absl::ZeroDuration(), absl::Hours(24)), IsOk());
  auto second = Comment(member_, Section("privacy"), "Round two.");
  ASSERT_THAT(second, IsOk());
  const auto listed = [&] {
    return Listed(observer_,
                  [&](auto& q) { q.set_target(Section("privacy")); });
  };
  EXPECT_THAT(listed(), ElementsAre(first->name()));
  EXPECT_THAT(listed(), ElementsAre(first->name()));  // from the kept answer
  EXPECT_THAT(GetComment(observer_, second->name()), StatusIs(Code::kNotFound));
  ASSERT_THAT(Close("cph"), IsOk());
  ASSERT_THAT(Publish("cph"), IsOk());
  EXPECT_THAT(listed(), ElementsAre(first->name(), second->name()));
  EXPECT_THAT(GetComment(observer_, second->name()), IsOk());
}

// A retried create is answered by the create script itself while the round
// is open, and by a look-up of the request when the checks refuse.
TEST_F(CommentsServiceTest, RetriesAreAnsweredWithAndWithoutTheScript) {
  ASSERT_TRUE(OpenConsultation());
  v1::Comment c;
  c.set_target(Section("privacy"));
  c.set_body("Once only.");
  auto made = Post(member_, c, "retry-1");
  ASSERT_THAT(made, IsOk());
  auto again = Post(member_, c, "retry-1");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->name(), made->name());
  ASSERT_THAT(Close("cph"), IsOk());
  auto late = Post(member_, c, "retry-1");
  ASSERT_THAT(late, IsOk());
  EXPECT_EQ(late->name(), made->name());
  EXPECT_THAT(Post(member_, c, "retry-2"), StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(CommentEventKinds(Section("privacy")),
              ElementsAre(Kind::kCommentCreated));
}

// A new comment stores no copy of its text as revision 1, no thread set of
// its own and no field at its default; all of it reads as before.
TEST_F(CommentsServiceTest, ANewCommentIsStoredCompactlyAndReadsTheSame) {
  ASSERT_TRUE(OpenConsultation());
  auto root = Comment(member_, Section("privacy"), "The root.");
  ASSERT_THAT(root, IsOk());
  const std::string id = root->name().substr(std::string("comments/").size());
  const std::string prefix =
      absl::StrCat("comments:", ShardTag(ShardOfId(id)), ":");
  const auto exists = [&](const std::string& key) {
    auto reply = redis().Command({"EXISTS", key});
    return reply.ok() ? reply->integer : -1;
  };
  EXPECT_EQ(exists(absl::StrCat(prefix, "v:", id)), 0);
  EXPECT_EQ(exists(absl::StrCat(prefix, "th:", id)), 0);
  auto endorse_field =
      redis().Command({"HEXISTS", absl::StrCat(prefix, "c:", id), "endorse"});
  ASSERT_THAT(endorse_field, IsOk());
  EXPECT_EQ(endorse_field->integer, 0);
  EXPECT_EQ(root->endorsement_count(), 0);
  EXPECT_EQ(root->reply_count(), 0);
  EXPECT_EQ(root->parent(), "");

  auto revisions = Revisions(member_, root->name());
  ASSERT_THAT(revisions, IsOk());
  ASSERT_EQ(revisions->revisions_size(), 1);
  EXPECT_EQ(revisions->revisions(0).version(), 1);
  EXPECT_EQ(revisions->revisions(0).body(), "The root.");
  EXPECT_EQ(revisions->revisions(0).type(), v1::Comment::GENERAL);
  EXPECT_EQ(revisions->revisions(0).create_time().seconds(),
            root->create_time().seconds());
  EXPECT_TRUE(revisions->next_page_token().empty());

  const auto thread = [&] {
    return Listed(member_, [&](auto& q) { q.set_thread(root->name()); });
  };
  EXPECT_THAT(thread(), ElementsAre(root->name()));
  auto reply = Reply(Other(), root->name(), "A reply.");
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(exists(absl::StrCat(prefix, "th:", id)), 1);
  EXPECT_THAT(thread(), ElementsAre(root->name(), reply->name()));

  auto edited = Edit(member_, root->name(), "The root, edited.", root->etag());
  ASSERT_THAT(edited, IsOk());
  revisions = Revisions(member_, root->name());
  ASSERT_THAT(revisions, IsOk());
  ASSERT_EQ(revisions->revisions_size(), 2);
  EXPECT_EQ(revisions->revisions(0).body(), "The root.");
  EXPECT_EQ(revisions->revisions(1).body(), "The root, edited.");
  auto stored = redis().Command({"LLEN", absl::StrCat(prefix, "v:", id)});
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->integer, 2);
}

// ---- Post search ----

TEST_F(CommentsServiceTest,
       SearchCommentsValidatesWordsAndSpaceAndClampsLimit) {
  EXPECT_THAT(Search(member_, {}),
              StatusIs(Code::kInvalidArgument, HasSubstr("words")));
  EXPECT_THAT(Search(member_, std::vector<std::string>(21, "data")),
              StatusIs(Code::kInvalidArgument, HasSubstr("at most 20")));
  EXPECT_THAT(Search(member_, {"data", ""}),
              StatusIs(Code::kInvalidArgument, HasSubstr("words[1]")));
  EXPECT_THAT(Search(member_, {std::string(65, 'a')}),
              StatusIs(Code::kInvalidArgument, HasSubstr("words[0]")));
  EXPECT_THAT(Search(member_, {"data"}, "gaps"),
              StatusIs(Code::kInvalidArgument, HasSubstr("space")));
  EXPECT_THAT(Search(member_, {"data"}, "", -1),
              StatusIs(Code::kInvalidArgument, HasSubstr("limit")));
  // Above the most, the most (AIP-158), as cdc-community may ask for one
  // more than it shows.
  EXPECT_THAT(Search(member_, {"data"}, "", 1001), IsOk());
  EXPECT_THAT(Search("cdc_not_a_token", {"data"}),
              StatusIs(Code::kUnauthenticated));
  auto nothing = Search(observer_, {std::string(64, 'a')}, "", 1000);
  ASSERT_THAT(nothing, IsOk());
  EXPECT_THAT(nothing->hits(), IsEmpty());
  EXPECT_EQ(nothing->total_size(), 0);
}

TEST_F(CommentsServiceTest, CommentsOnSectionsAreNeverIndexed) {
  ASSERT_TRUE(OpenConsultation());
  auto c = Comment(member_, Section("privacy"), "Consent forms matter.");
  ASSERT_THAT(c, IsOk());
  ASSERT_THAT(Reply(Other(), c->name(), "Consent, yes."), IsOk());
  ASSERT_THAT(Edit(member_, c->name(), "Consent forms matter a lot."), IsOk());
  auto found = Search(secretariat_token_, {"consent"});
  ASSERT_THAT(found, IsOk());
  EXPECT_THAT(found->hits(), IsEmpty());
  EXPECT_EQ(found->total_size(), 0);
  EXPECT_THAT(Indexed({"consent"}), IsEmpty());
}

// The index follows a post through every write in the write's own script:
// store-level, since cdc-community (which the service asks) is not running
// in this suite.
TEST_F(CommentsServiceTest, PostsOnTopicsAndResourcesAreIndexedWhileVisible) {
  auto topic = StorePost("spaces/gaps/topics/t1", v1::Comment::TARGET_TOPIC,
                         "Consent forms in rural surveys");
  ASSERT_THAT(topic, IsOk());
  auto resource = StorePost("resources/r1", v1::Comment::TARGET_RESOURCE,
                            "A consent toolkit");
  ASSERT_THAT(resource, IsOk());
  auto message = StorePost("conversations/x1", v1::Comment::TARGET_CONVERSATION,
                           "Private consent question");
  ASSERT_THAT(message, IsOk());
  const std::string t = IdOf(topic->comment.name());
  const std::string r = IdOf(resource->comment.name());
  EXPECT_THAT(Indexed({"consent"}), UnorderedElementsAreArray({t, r}));
  EXPECT_THAT(Indexed({"consent", "rural"}), ElementsAre(t));

  // A new body replaces the words; an edit of other fields keeps them.
  v1::Comment values = topic->comment;
  values.set_body("Sampling frames");
  ASSERT_THAT(
      store_k_->Edit(t, values, {"body"}, "", Write(kAuthor), v1::Event()),
      IsOk());
  EXPECT_THAT(Indexed({"consent"}), ElementsAre(r));
  EXPECT_THAT(Indexed({"sampling"}), ElementsAre(t));
  values.set_type(v1::Comment::TECHNICAL);
  ASSERT_THAT(
      store_k_->Edit(t, values, {"type"}, "", Write(kAuthor), v1::Event()),
      IsOk());
  EXPECT_THAT(Indexed({"sampling"}), ElementsAre(t));

  // Hidden: out; restored: back, with the text it had.
  auto edited = store_k_->Get(t, "");
  ASSERT_THAT(edited, IsOk());
  ASSERT_THAT(Moderate(edited->comment, true), IsOk());
  EXPECT_THAT(Indexed({"sampling"}), IsEmpty());
  ASSERT_THAT(Moderate(edited->comment, false), IsOk());
  EXPECT_THAT(Indexed({"sampling"}), ElementsAre(t));

  // Withdrawn: out for good.
  ASSERT_THAT(
      store_k_->Withdraw(resource->comment, "", Write(kAuthor), v1::Event()),
      IsOk());
  EXPECT_THAT(Indexed({"consent"}), IsEmpty());
  EXPECT_THAT(Indexed({"toolkit"}), IsEmpty());
}

// ---- Events ----

TEST_F(CommentsServiceTest, EveryWriteAppendsExactlyOneEventOfItsKind) {
  ASSERT_TRUE(OpenConsultation());
  const std::string other = Other();
  auto c = Comment(member_, Section("privacy"), "A");
  ASSERT_THAT(c, IsOk());
  auto r = Reply(other, c->name(), "R");
  ASSERT_THAT(r, IsOk());
  ASSERT_THAT(Edit(member_, c->name(), "A2"), IsOk());
  ASSERT_THAT(Endorse(other, c->name()), IsOk());
  ASSERT_THAT(Endorse(other, c->name()), IsOk());  // no change, no event
  ASSERT_THAT(Unendorse(other, c->name()), IsOk());
  ASSERT_THAT(Unendorse(other, c->name()), IsOk());  // no change, no event
  ASSERT_THAT(Flag(other, c->name()), IsOk());
  ASSERT_THAT(Flag(other, c->name()), IsOk());  // no change, no event
  ASSERT_THAT(Hide(c->name(), "H"), IsOk());
  ASSERT_THAT(Restore(c->name(), "R"), IsOk());
  ASSERT_THAT(Dispose(c->name(), v1::Disposition::NOTED, "N"), IsOk());
  ASSERT_THAT(Withdraw(other, r->name()), IsOk());
  // Refused writes append nothing.
  EXPECT_THAT(Edit(other, c->name(), "X"), StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(Endorse(member_, c->name()), StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(Withdraw(other, r->name()), StatusIs(Code::kFailedPrecondition));

  auto events = CommentEvents(Section("privacy"));
  std::vector<Kind> kinds;
  for (const auto& e : events) kinds.push_back(e.payload_case());
  EXPECT_THAT(kinds,
              ElementsAre(Kind::kCommentCreated, Kind::kCommentReplied,
                          Kind::kCommentEdited, Kind::kCommentEndorsed,
                          Kind::kCommentUnendorsed, Kind::kCommentFlagged,
                          Kind::kCommentHidden, Kind::kCommentRestored,
                          Kind::kDispositionSet, Kind::kCommentWithdrawn));
  std::vector<std::string> consultations;
  for (const auto& e : events) {
    consultations.push_back(e.consultation());
    EXPECT_FALSE(e.actor().empty());
    EXPECT_TRUE(e.has_time());
    EXPECT_EQ(RefOf(e).consultation(), "consultations/cph");
  }
  EXPECT_THAT(consultations, Each(std::string("consultations/cph")));
}

}  // namespace
}  // namespace cdc::comments
