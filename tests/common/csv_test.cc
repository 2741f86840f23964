// The one CSV reader (hub/common/csv.h): RFC 4180 quoting, line breaks, byte order mark,
// and the errors a bad file gets, with the line each record started on.
#include "hub/common/csv.h"

#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace loyalty {
namespace {

struct Read {
  std::vector<std::vector<std::string>> records;
  std::vector<std::pair<int64_t, std::string>> errors;  // (line, message)
  std::vector<int64_t> lines;                           // each record's first line
};

Read ReadAll(const std::string& text, size_t max_bytes = 1 << 20) {
  std::istringstream in(text);
  CsvReader reader(&in, max_bytes);
  Read out;
  std::vector<std::string> fields;
  std::string error;
  for (;;) {
    const CsvReader::Result r = reader.Next(&fields, &error);
    if (r == CsvReader::Result::kEnd) break;
    if (r == CsvReader::Result::kRecord) {
      out.records.push_back(fields);
      out.lines.push_back(reader.line());
    } else {
      out.errors.emplace_back(reader.line(), error);
    }
  }
  return out;
}

using Fields = std::vector<std::string>;

TEST(CsvReader, QuotedFieldsHoldCommasQuotesAndLineBreaks) {
  const Read r = ReadAll(
      "id,merchant,note\r\n"
      "1,\"ACME, INC\",plain\r\n"
      "2,\"say \"\"hi\"\"\",\"two\nlines\"\n"
      "3,,\"\"\n");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_EQ(r.records[1], (Fields{"1", "ACME, INC", "plain"}));
  EXPECT_EQ(r.records[2], (Fields{"2", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ(r.records[3], (Fields{"3", "", ""}));
  EXPECT_EQ(r.lines, (std::vector<int64_t>{1, 2, 3, 5}));  // record 2 spans lines 3-4
}

TEST(CsvReader, SkipsAByteOrderMarkAndEmptyLinesAndReadsALastLineWithoutBreak) {
  const Read r = ReadAll(
      "\xEF\xBB\xBF"
      "a,b\n\n\r\nc,d");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0], (Fields{"a", "b"}));
  EXPECT_EQ(r.records[1], (Fields{"c", "d"}));
  EXPECT_EQ(r.lines, (std::vector<int64_t>{1, 4}));
}

TEST(CsvReader, AFirstByteLikeAByteOrderMarkIsKept) {
  const Read r = ReadAll(
      "\xEF\xBB"
      "x,y\n");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0], (Fields{"\xEF\xBB"
                                  "x",
                                  "y"}));
}

TEST(CsvReader, BadRecordsAreErrorsAndReadingGoesOn) {
  const Read r = ReadAll(
      "1,\"closed\"junk,3\n"     // line 1: text after the closing quote
      "2,ok\n"                   // line 2
      "3,0123456789012345678\n"  // line 3: too long for 16 bytes
      "4,ok\n"                   // line 4
      "5,\"never closed\n",      // line 5: unterminated
      16);
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].first, 1);
  EXPECT_EQ(r.errors[0].second, "field 2: text after its closing quote");
  EXPECT_EQ(r.errors[1].first, 3);
  EXPECT_EQ(r.errors[1].second, "record longer than 16 bytes");
  EXPECT_EQ(r.errors[2].first, 5);
  EXPECT_EQ(r.errors[2].second, "unterminated quote");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0], (Fields{"2", "ok"}));
  EXPECT_EQ(r.records[1], (Fields{"4", "ok"}));
}

TEST(CsvReader, EmptyInputHasNoRecords) {
  EXPECT_TRUE(ReadAll("").records.empty());
  EXPECT_TRUE(ReadAll("\n\n").records.empty());
}

}  // namespace
}  // namespace loyalty
