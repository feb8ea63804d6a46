#!/usr/bin/env bash
# Runs the example application (built: target/detect-app.jar) and `./fssd detect` on the same
# generated image with the demo model, and fails unless the application's standard output is
# exactly the CLI's detections: same labels, scores and boxes, in the same order. Needs only bash,
# awk and diff. Used by .ci/run after `mvn -B -f examples/detect-app/pom.xml package`.
set -euo pipefail
APP="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$APP/../.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

"$ROOT/fssd" sample-image --out "$WORK/sample.png" > /dev/null
mkdir -p "$WORK/models"
cp "$ROOT/models/demo-shapes.zip" "$WORK/models/"

# The application as a user runs it: from a folder holding sample.png and models/demo-shapes.zip.
(cd "$WORK" && java -jar "$APP/target/detect-app.jar") > "$WORK/app.txt" 2> "$WORK/app.err" || {
  echo "same-as-cli: detect-app failed:" >&2; cat "$WORK/app.err" >&2; exit 1; }

# The CLI's JSON (one field per line), as the application's lines: label score Box[x1, y1, x2, y2].
"$ROOT/fssd" detect --model "$ROOT/models/demo-shapes.zip" "$WORK/sample.png" > "$WORK/cli.json"
awk '
  /"label" *:/ { l = $0; sub(/^[^:]*: *"/, "", l); sub(/",?[ \t\r]*$/, "", l) }
  /"score" *:/ { s = $0; sub(/^[^:]*: */, "", s); sub(/,?[ \t\r]*$/, "", s) }
  /"box" *:/   { b = $0; sub(/^[^[]*\[ */, "", b); sub(/ *\].*$/, "", b); print l " " s " Box[" b "]" }
' "$WORK/cli.json" > "$WORK/cli.txt"

if [ ! -s "$WORK/cli.txt" ]; then
  echo "same-as-cli: ./fssd detect found nothing in the sample image:" >&2; cat "$WORK/cli.json" >&2; exit 1
fi
if ! diff -u "$WORK/cli.txt" "$WORK/app.txt"; then
  echo "same-as-cli: detect-app's standard output differs from ./fssd detect (above: - CLI, + app)" >&2
  exit 1
fi
if [ -s "$WORK/app.err" ]; then
  echo "same-as-cli: note, detect-app wrote to standard error:" >&2; cat "$WORK/app.err" >&2
fi
echo "same-as-cli: detect-app printed the same $(wc -l < "$WORK/app.txt") detections as ./fssd detect"
