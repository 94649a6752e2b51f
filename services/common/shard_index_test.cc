// ListAcrossShards against a real Redis.
#include "services/common/shard_index.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/keys.h"
#include "services/common/redis_test_server.h"
#include "services/common/status_matchers.h"

namespace cdc {
namespace {

using ::cdc::testing::IsOk;

class ShardIndexTest : public cdc::testing::RedisTest {
 protected:
  static std::string Index(int shard) {
    return absl::StrCat("test:", ShardTag(shard), ":index");
  }
  static std::string Prefix(int shard) {
    return absl::StrCat("test:", ShardTag(shard), ":r:");
  }

  // Adds record `n` to shard n % 16 with the given colour.
  void Add(int n, const std::string& colour) {
    const int shard = n % kShardCount;
    const std::string id = absl::StrFormat("id%05d", n);
    ASSERT_THAT(redis().Command({"ZADD", Index(shard), "0",
                                 IndexEntry(absl::StrFormat("%05d", n), id)}),
                IsOk());
    ASSERT_THAT(redis().Command({"HSET", Prefix(shard) + id, "colour", colour}),
                IsOk());
  }

  // Every record with `colour`, page by page; also counts the pages.
  std::vector<std::string> ReadAll(const std::string& colour, int page_size,
                                   int budget, int* pages) {
    std::vector<std::string> seen;
    std::string position;
    *pages = 0;
    do {
      auto page = ListAcrossShards(redis(), position, page_size, Index, Prefix,
                                   {{"colour", colour}}, budget);
      EXPECT_THAT(page, IsOk());
      if (!page.ok()) break;
      EXPECT_LE(page->records.size(), static_cast<size_t>(page_size));
      for (const IndexedRecord& r : page->records) {
        seen.emplace_back(IdOfIndexEntry(r.entry));
      }
      EXPECT_TRUE(page->next_position.empty() || page->next_position > position)
          << "the position must move on";
      position = page->next_position;
      ++*pages;
    } while (!position.empty() && *pages < 1000);
    return seen;
  }
};

TEST_F(ShardIndexTest, PagesInEntryOrderWithoutRepeatsOrGaps) {
  for (int n = 0; n < 100; ++n) Add(n, n % 3 == 0 ? "red" : "blue");
  int pages = 0;
  std::vector<std::string> reds = ReadAll("red", 7, 1000, &pages);
  ASSERT_EQ(reds.size(), 34u);
  EXPECT_TRUE(std::is_sorted(reds.begin(), reds.end()));
  EXPECT_EQ(std::set<std::string>(reds.begin(), reds.end()).size(), 34u);
}

TEST_F(ShardIndexTest, ARareFilterCostsBoundedWorkPerPageAndMissesNothing) {
  // 2,000 records of which 5 match, scattered; each call may examine only
  // 10 entries per shard.
  std::set<std::string> expected;
  for (int n = 0; n < 2000; ++n) {
    const bool rare = n % 397 == 0;
    Add(n, rare ? "green" : "grey");
    if (rare) expected.insert(absl::StrFormat("id%05d", n));
  }
  int pages = 0;
  std::vector<std::string> greens = ReadAll("green", 50, 10, &pages);
  EXPECT_EQ(std::set<std::string>(greens.begin(), greens.end()), expected);
  EXPECT_EQ(greens.size(), expected.size());
  EXPECT_TRUE(std::is_sorted(greens.begin(), greens.end()));
  // 125 entries per shard at 10 a call: the walk took many short pages.
  EXPECT_GE(pages, 12);
}

}  // namespace
}  // namespace cdc
