// One CSV reader for every file the project reads (bank clearing files, partners'
// reconciliation files): RFC 4180. Fields are separated by commas and records by LF or
// CRLF; a field in double quotes may hold commas, line breaks and doubled quotes ("").
// A UTF-8 byte order mark at the very start is skipped (spreadsheets write one), and
// empty lines are skipped.
#ifndef LOYALTY_HUB_COMMON_CSV_H_
#define LOYALTY_HUB_COMMON_CSV_H_

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace loyalty {

class CsvReader {
 public:
  // REQUIRES: `in` outlives the reader. A record longer than `max_record_bytes` is an
  // error (a file that is not CSV does not fill memory).
  explicit CsvReader(std::istream* in, size_t max_record_bytes = size_t{1} << 20)
      : in_(in), max_record_bytes_(max_record_bytes) {}

  enum class Result { kRecord, kEnd, kError };

  // kRecord: `*fields` holds the next record. kError: `*error` says what is wrong with it
  // (an unterminated quote, text after a closing quote, too long); reading goes on at the
  // next line. kEnd: no more records (or the stream failed: see stream_failed()).
  Result Next(std::vector<std::string>* fields, std::string* error);

  // The 1-based line the last record (or error) started on.
  int64_t line() const { return record_line_; }
  // True if reading stopped on an I/O error rather than at the end.
  bool stream_failed() const { return in_->bad(); }

 private:
  int Get();
  int Peek();
  // Skips the rest of the current line (after an error).
  void SkipLine();

  std::istream* const in_;
  const size_t max_record_bytes_;
  int64_t next_line_ = 1;
  int64_t record_line_ = 0;
  bool started_ = false;
  std::string pending_;  // bytes read ahead at the start that were not a byte order mark
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_COMMON_CSV_H_
