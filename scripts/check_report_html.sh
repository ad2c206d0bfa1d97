#!/usr/bin/env bash
# Renders a citecheck report.html in headless Chromium and checks the DOM the browser built:
# highlighted spans (<mark>) and verdict/status badges are there, and no <script> element is
# (the page has none of its own, so one would be input that escaped escaping).
# Usage: scripts/check_report_html.sh PATH/TO/report.html [SCREENSHOT.png]
set -euo pipefail
html=${1:?usage: $0 report.html [screenshot.png]}
shot=${2:-}
[ -f "$html" ] || { echo "$html: not found"; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "chromium is not installed"; exit 1; }

url="file://$(realpath "$html")"
profile=$(mktemp -d)
dom=$(mktemp)
trap 'rm -rf "$profile" "$dom"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
       --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile")

timeout 120 "$browser" "${flags[@]}" --dump-dom "$url" > "$dom" 2>/dev/null

fail=0
count() { { grep -o -- "$1" "$dom" || true; } | wc -l; }
marks=$(count '<mark>')
badges=$(count 'class="badge k-')
scripts=$(count '<script')
echo "$html: $marks highlighted spans, $badges badges, $scripts script elements"
grep -q '<title>citecheck report</title>' "$dom" || { echo "no page title in the DOM"; fail=1; }
[ "$marks" -ge 1 ] || { echo "no <mark> in the DOM"; fail=1; }
[ "$badges" -ge 1 ] || { echo "no badge in the DOM"; fail=1; }
grep -q 'class="badge k-verified"' "$dom" || { echo "no verified badge in the DOM"; fail=1; }
grep -q 'class="card quote k-' "$dom" || { echo "no quote card in the DOM"; fail=1; }
grep -q '<tr class="link k-' "$dom" || { echo "no link row in the DOM"; fail=1; }
[ "$scripts" -eq 0 ] || { echo "a <script> element in the DOM: escaping failed"; fail=1; }

if [ -n "$shot" ]; then
  profile2=$(mktemp -d)
  timeout 120 "$browser" "${flags[@]/--user-data-dir=$profile/--user-data-dir=$profile2}" \
    --hide-scrollbars --screenshot="$shot" --window-size=1200,1600 "$url" >/dev/null 2>&1
  rm -rf "$profile2"
  echo "screenshot: $shot"
fi
exit $fail
