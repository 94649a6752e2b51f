#include "services/common/page_token.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/status_matchers.h"

namespace cdc {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

TEST(PageTokenTest, DecodesThePositionItWasEncodedWith) {
  const std::string filters = "state=ACTIVE;country=KEN";
  for (const std::string& position :
       {std::string(""), std::string("1767225600000:members/0a1b2c3d"),
        std::string("with spaces and \xE2\x82\xAC"),
        std::string("\0\xff\n", 3)}) {
    const std::string token = EncodePageToken(position, filters);
    absl::StatusOr<std::string> decoded = DecodePageToken(token, filters);
    ASSERT_THAT(decoded, IsOk());
    EXPECT_EQ(*decoded, position);
  }
}

TEST(PageTokenTest, TokenIsUrlSafeText) {
  const std::string token = EncodePageToken("\xff\xfe\xfd position", "f");
  EXPECT_EQ(token.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                "0123456789-_"),
            std::string::npos)
      << token;
}

TEST(PageTokenTest, RefusesATokenMadeForOtherFilters) {
  const std::string token = EncodePageToken("position", "state=ACTIVE");
  EXPECT_THAT(DecodePageToken(token, "state=PENDING"),
              StatusIs(kInvalid, HasSubstr("page_token: was issued for other "
                                           "filters")));
  EXPECT_THAT(DecodePageToken(token, ""),
              StatusIs(kInvalid, HasSubstr("page_token")));
}

TEST(PageTokenTest, RefusesGarbage) {
  std::string wrong_version;
  absl::WebSafeBase64Escape("2abcdefghposition", &wrong_version);
  std::string too_short;
  absl::WebSafeBase64Escape("1abc", &too_short);
  for (const std::string& token :
       {std::string("!!not base64!!"), std::string("a"), std::string(""),
        wrong_version, too_short, std::string(2000, 'A'),
        std::string("abc def")}) {
    EXPECT_THAT(DecodePageToken(token, "filters"),
                StatusIs(kInvalid, HasSubstr("page_token")))
        << "token " << token;
  }
}

TEST(PageTokenTest, RefusesATokenWithATamperedFingerprint) {
  std::string token = EncodePageToken("position", "filters");
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token, &raw));
  raw[1] = static_cast<char>(raw[1] ^ 1);
  absl::WebSafeBase64Escape(raw, &token);
  EXPECT_THAT(DecodePageToken(token, "filters"),
              StatusIs(kInvalid, HasSubstr("page_token")));
}

}  // namespace
}  // namespace cdc
