#include "hub/common/csv.h"

#include "absl/strings/str_cat.h"

namespace loyalty {

int CsvReader::Get() {
  int c;
  if (!pending_.empty()) {
    c = static_cast<unsigned char>(pending_.front());
    pending_.erase(0, 1);
  } else {
    c = in_->rdbuf() != nullptr ? in_->rdbuf()->sbumpc() : EOF;
  }
  if (c == EOF) in_->setstate(std::ios::eofbit);
  if (c == '\n') ++next_line_;
  return c;
}

int CsvReader::Peek() {
  if (!pending_.empty()) return static_cast<unsigned char>(pending_.front());
  return in_->rdbuf() != nullptr ? in_->rdbuf()->sgetc() : EOF;
}

void CsvReader::SkipLine() {
  for (int c = Get(); c != EOF && c != '\n'; c = Get()) {
  }
}

CsvReader::Result CsvReader::Next(std::vector<std::string>* fields, std::string* error) {
  if (!started_) {  // a UTF-8 byte order mark; anything else is the first record's
    started_ = true;
    static constexpr unsigned char kBom[] = {0xEF, 0xBB, 0xBF};
    std::string taken;
    while (taken.size() < 3 && in_->rdbuf() != nullptr && Peek() == kBom[taken.size()]) {
      taken.push_back(static_cast<char>(in_->rdbuf()->sbumpc()));
    }
    if (taken.size() != 3) pending_ = taken;
  }
  for (;;) {
    fields->assign(1, "");
    record_line_ = next_line_;
    size_t bytes = 0;
    bool quoted = false;       // inside a quoted field
    bool after_quote = false;  // a quoted field just closed
    int c = Get();
    if (c == EOF) return Result::kEnd;
    if (c == '\n' || (c == '\r' && Peek() == '\n')) {  // an empty line
      if (c == '\r') Get();
      continue;
    }
    for (;; c = Get()) {
      if (c == EOF) {
        if (quoted) {
          *error = "unterminated quote";
          return Result::kError;
        }
        return Result::kRecord;
      }
      if (++bytes > max_record_bytes_) {
        SkipLine();
        *error = absl::StrCat("record longer than ", max_record_bytes_, " bytes");
        return Result::kError;
      }
      if (quoted) {
        if (c == '"') {
          if (Peek() == '"') {
            Get();
            fields->back().push_back('"');
          } else {
            quoted = false;
            after_quote = true;
          }
        } else {
          fields->back().push_back(static_cast<char>(c));
        }
        continue;
      }
      if (c == ',') {
        fields->emplace_back();
        after_quote = false;
      } else if (c == '\n') {
        return Result::kRecord;
      } else if (c == '\r' && Peek() == '\n') {
        Get();
        return Result::kRecord;
      } else if (after_quote) {
        SkipLine();
        *error = absl::StrCat("field ", fields->size(), ": text after its closing quote");
        return Result::kError;
      } else if (c == '"' && fields->back().empty()) {
        quoted = true;
      } else {
        fields->back().push_back(static_cast<char>(c));
      }
    }
  }
}

}  // namespace loyalty
