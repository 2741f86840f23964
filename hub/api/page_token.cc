#include "hub/api/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "hub/common/secure_random.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/validate.h"

namespace loyalty {
namespace {

// Record v1: version, list, filter fingerprint (8), int count, ints (8 each, big-endian),
// text length, text, checksum (8): the first 8 bytes of SHA-256 of all that precedes it.
constexpr uint8_t kVersion = 1;
constexpr size_t kDigestBytes = 8;
constexpr size_t kMinRecordBytes = 1 + 1 + kDigestBytes + 1 + 1 + kDigestBytes;
constexpr size_t kMaxTokenChars = 256;  // base64 of the largest record is 240

// The first 8 bytes of SHA-256(domain || data).
std::string Digest(absl::string_view domain, absl::string_view data) {
  return absl::HexStringToBytes(Sha256Hex(absl::StrCat(domain, data))).substr(0, kDigestBytes);
}

void PutU64(uint64_t v, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

uint64_t GetU64(absl::string_view in) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

absl::Status Malformed() { return InvalidField("page_token", "not a page token of this hub"); }

// The fields of a record whose length, version and checksum are sound.
struct Record {
  PageList list;
  uint64_t fingerprint = 0;
  PageCursor cursor;
};

absl::StatusOr<Record> ParseRecord(absl::string_view raw) {
  if (raw.size() < kMinRecordBytes) return Malformed();
  const absl::string_view body = raw.substr(0, raw.size() - kDigestBytes);
  if (Digest("page-token", body) != raw.substr(body.size())) return Malformed();
  if (static_cast<uint8_t>(body[0]) != kVersion) return Malformed();
  Record r;
  r.list = static_cast<PageList>(static_cast<uint8_t>(body[1]));
  r.fingerprint = GetU64(body.substr(2, 8));
  size_t pos = 10;
  const size_t ints = static_cast<uint8_t>(body[pos++]);
  if (ints > PageCursor::kMaxCursorInts || body.size() < pos + ints * 8 + 1) return Malformed();
  for (size_t i = 0; i < ints; ++i, pos += 8) {
    r.cursor.ints.push_back(static_cast<int64_t>(GetU64(body.substr(pos, 8))));
  }
  const size_t text = static_cast<uint8_t>(body[pos++]);
  if (text > PageCursor::kMaxCursorText || body.size() != pos + text) return Malformed();
  r.cursor.text = std::string(body.substr(pos, text));
  return r;
}

}  // namespace

absl::StatusOr<int> ResolvePageSize(int32_t page_size) {
  if (page_size < 0) return InvalidField("page_size", "must not be negative (0 = 100)");
  if (page_size == 0) return kDefaultPageSize;
  return page_size > kMaxPageSize ? kMaxPageSize : static_cast<int>(page_size);
}

PageFilter& PageFilter::Int(int64_t value) {
  bytes_.push_back('i');
  PutU64(static_cast<uint64_t>(value), &bytes_);
  return *this;
}

PageFilter& PageFilter::Text(absl::string_view value) {
  bytes_.push_back('t');
  PutU64(value.size(), &bytes_);
  bytes_.append(value.data(), value.size());
  return *this;
}

uint64_t PageFilter::Fingerprint() const { return GetU64(Digest("page-filter", bytes_)); }

std::string EncodePageToken(PageList list, const PageFilter& filter, const PageCursor& cursor) {
  LOYALTY_CHECK(cursor.ints.size() <= PageCursor::kMaxCursorInts);
  LOYALTY_CHECK(cursor.text.size() <= PageCursor::kMaxCursorText);
  std::string raw;
  raw.push_back(static_cast<char>(kVersion));
  raw.push_back(static_cast<char>(list));
  PutU64(filter.Fingerprint(), &raw);
  raw.push_back(static_cast<char>(cursor.ints.size()));
  for (int64_t v : cursor.ints) PutU64(static_cast<uint64_t>(v), &raw);
  raw.push_back(static_cast<char>(cursor.text.size()));
  raw += cursor.text;
  raw += Digest("page-token", raw);
  std::string token = absl::WebSafeBase64Escape(raw);
  LOYALTY_CHECK(token.size() <= kMaxTokenChars);
  return token;
}

absl::StatusOr<PageCursor> DecodePageToken(absl::string_view token, PageList list,
                                           const PageFilter& filter, size_t ints) {
  LOYALTY_CHECK(!token.empty());
  std::string raw;
  if (token.size() > kMaxTokenChars || !absl::WebSafeBase64Unescape(token, &raw)) {
    return Malformed();
  }
  ASSIGN_OR_RETURN(Record r, ParseRecord(raw));
  if (r.list != list) return InvalidField("page_token", "belongs to another list call");
  if (r.fingerprint != filter.Fingerprint()) {
    return InvalidField("page_token",
                        "was issued for other filters; send the same filters or no token");
  }
  if (r.cursor.ints.size() != ints) return Malformed();
  return std::move(r.cursor);
}

}  // namespace loyalty
