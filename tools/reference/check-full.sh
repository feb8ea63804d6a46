#!/usr/bin/env bash
# End-to-end check of the Java CLI against the PyTorch reference with
# FULL-width random-weight FSSD300 and FSSD512 models (VOC, 21 classes).
# Run from anywhere; uses the repository root's ./fssd launcher.
# Usage: tools/reference/check-full.sh [300] [512]   (default: both)
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PY=/usr/bin/python3
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(300 512)
STATUS=0
SUMMARY=()
for size in "${SIZES[@]}"; do
  DIR="$(mktemp -d "${TMPDIR:-/tmp}/fssd-full-$size.XXXXXX")"
  echo "== FSSD$size in $DIR"
  if ! "$PY" "$HERE/make_full.py" "$DIR" --size "$size"; then
    SUMMARY+=("FSSD$size: FAILED (make_full.py)"); STATUS=1; continue
  fi
  if ! (cd "$ROOT" && ./fssd detect --weights "$DIR/fssd$size.pth" \
        --config "voc$size" --threshold 0.01 --json "$DIR/out.json" \
        "$DIR/image.png"); then
    SUMMARY+=("FSSD$size: FAILED (./fssd detect) dir $DIR"); STATUS=1; continue
  fi
  if ! (cd "$ROOT" && ./fssd forward --weights "$DIR/fssd$size.pth" --config "voc$size" \
        --out "$DIR/raw" "$DIR/image.png" > /dev/null); then
    SUMMARY+=("FSSD$size: FAILED (./fssd forward) dir $DIR"); STATUS=1; continue
  fi
  if RAW="$("$PY" "$HERE/compare_outputs.py" "$DIR/fssd${size}_loc.npy" "$DIR/fssd${size}_conf.npy" \
        "$DIR/raw/loc.npy" "$DIR/raw/conf.npy")"; then
    SUMMARY+=("FSSD$size raw outputs: $RAW")
  else
    SUMMARY+=("FSSD$size raw outputs: $RAW (dir $DIR)"); STATUS=1
  fi
  echo "$RAW"
  if LINE="$("$PY" "$HERE/compare_detections.py" "$DIR/fssd${size}_detections.json" \
        "$DIR/out.json")"; then
    SUMMARY+=("FSSD$size: $LINE")
    [ "$STATUS" -eq 0 ] && [ -z "${KEEP:-}" ] && rm -rf "$DIR"   # ~140 MB; KEEP=1 keeps it
  else
    SUMMARY+=("FSSD$size: $LINE (dir $DIR)"); STATUS=1
  fi
  echo "$LINE"
done
echo "== summary"
printf '%s\n' "${SUMMARY[@]}"
exit $STATUS
