// Text made safe for the formats the project writes reports in: CSV (settlement's files,
// the CLI's --csv) and HTML/SVG (settlement's and analytics' reports).
#ifndef LOYALTY_HUB_COMMON_ESCAPE_H_
#define LOYALTY_HUB_COMMON_ESCAPE_H_

#include <string>

namespace loyalty {

// One CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF, with quotes
// doubled; otherwise as is.
std::string CsvField(const std::string& field);

// Text made safe for HTML/SVG element content and attribute values (& < > " ').
std::string HtmlEscape(const std::string& text);

}  // namespace loyalty

#endif  // LOYALTY_HUB_COMMON_ESCAPE_H_
