#!/usr/bin/env bash
# Opens a self-contained HTML report (the settlement report, the analytics report) in
# headless Chromium (Debian `chromium`) and fails unless the page loads without a console
# message (JavaScript error, blocked load: the page's Content-Security-Policy turns any
# external asset into one), its DOM holds an <h2> for every HEADING given and an SVG chart
# with bars, a non-empty PNG screenshot was written, and it prints to an A4 PDF.
#
# Usage: chromium_check.sh REPORT_HTML SCREENSHOT_PNG HEADING...
# Environment: CHROMIUM   the browser binary. Default: `chromium` from PATH.
#              CHROMIUM_TIMEOUT   seconds per browser run. Default: 120.
# The screenshot and the PDF (SCREENSHOT_PNG with .pdf) stay where they were written
# (build artifacts; see tests/settlement/report.cmake, tests/analytics_report).
set -euo pipefail

if [[ $# -lt 3 ]]; then
  echo "usage: $0 REPORT_HTML SCREENSHOT_PNG HEADING..." >&2
  exit 2
fi
if [[ ! -s "$1" ]]; then
  echo "FAIL: report $1 is missing or empty (did the test that writes it run?)" >&2
  exit 1
fi
html=$(realpath "$1")
png=$2
shift 2
headings=("$@")
timeout_s=${CHROMIUM_TIMEOUT:-120}

browser=${CHROMIUM:-}
if [[ -z "$browser" || "$browser" == *NOTFOUND ]]; then
  browser=$(command -v chromium || command -v chromium-browser || true)
fi
if [[ -z "$browser" || ! -x "$browser" ]]; then
  echo "FAIL: chromium not found (apt-get install chromium, or set CHROMIUM)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Self-contained: no script and nothing that names another resource.
if grep -Eiq '<script|<link|<img|<iframe|<object|url\(|src=' "$html"; then
  echo "FAIL: $html references an external asset or script:" >&2
  grep -Eion '<script|<link|<img|<iframe|<object|url\(|src=' "$html" | head -5 >&2
  exit 1
fi

# run_chromium LOG ARGS...: one headless run with its own profile; stdout to $work/out.
run_chromium() {
  local log=$1
  shift
  local profile
  profile=$(mktemp -d -p "$work")
  if ! timeout -k 10 "$timeout_s" "$browser" --headless --no-sandbox --disable-gpu \
      --disable-quic --no-first-run --disable-background-networking \
      --disable-component-update --disable-sync --hide-scrollbars \
      --user-data-dir="$profile" --enable-logging=stderr --v=0 \
      "$@" "file://$html" >"$work/out" 2>"$log"; then
    echo "FAIL: chromium exited with an error or timed out ($*); its log:" >&2
    tail -20 "$log" >&2
    exit 1
  fi
}

# A page without JavaScript writes nothing to the console; anything there is an error
# (Chromium logs console messages, errors included, as "INFO:CONSOLE").
check_console() {
  local log=$1
  if grep -Eq ':CONSOLE|Uncaught|Failed to load resource' "$log"; then
    echo "FAIL: the page wrote to the console:" >&2
    grep -E ':CONSOLE|Uncaught|Failed to load resource' "$log" >&2
    exit 1
  fi
}

run_chromium "$work/dom.log" --dump-dom
check_console "$work/dom.log"
cp "$work/out" "$work/dom.html"
for heading in "${headings[@]}"; do
  if ! grep -q "<h2>$heading</h2>" "$work/dom.html"; then
    echo "FAIL: the rendered DOM has no <h2>$heading</h2>" >&2
    exit 1
  fi
done
if ! grep -q '<svg' "$work/dom.html" || ! grep -q '<rect' "$work/dom.html"; then
  echo "FAIL: the rendered DOM has no SVG chart with bars" >&2
  exit 1
fi

mkdir -p "$(dirname "$png")"
rm -f "$png"
run_chromium "$work/shot.log" --screenshot="$png" --window-size=1280,2400
check_console "$work/shot.log"
if [[ ! -s "$png" ]]; then
  echo "FAIL: no screenshot at $png" >&2
  exit 1
fi
if [[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ]]; then
  echo "FAIL: $png is not a PNG" >&2
  exit 1
fi
# Printed to PDF (the page's print stylesheet): A4 pages, nothing cut off to the right
# (Chromium shrinks nothing when the page declares its @page size, so a too-wide table
# would need a wider page).
pdf=${png%.png}.pdf
rm -f "$pdf"
run_chromium "$work/pdf.log" --print-to-pdf="$pdf" --no-pdf-header-footer
check_console "$work/pdf.log"
if [[ ! -s "$pdf" || "$(head -c 5 "$pdf")" != "%PDF-" ]]; then
  echo "FAIL: no PDF at $pdf" >&2
  exit 1
fi
# A4 is 595.28 x 841.89 PostScript points; every page's MediaBox must say so (within a
# point: Chromium rounds to its own units).
boxes=$(grep -aoE '/MediaBox ?\[[^]]*\]' "$pdf" | sort -u)
if [[ -z "$boxes" ]] || ! awk '{ gsub(/[^0-9. ]/, " "); n = split($0, v, " ");
        if (n != 4 || v[3] < 594.28 || v[3] > 596.28 || v[4] < 840.89 || v[4] > 842.89) bad = 1 }
        END { exit bad }' <<<"$boxes"; then
  echo "FAIL: $pdf pages are not A4: $boxes" >&2
  exit 1
fi
pages=$(grep -ac '/Type /Page\b' "$pdf" || true)
echo "OK: $html renders without console errors; screenshot $png ($(stat -c %s "$png") bytes);" \
  "A4 PDF $pdf (${pages} pages)"
