#!/usr/bin/env bash
# Ablation on the HARD shapes preset: what BN, Mixup and (iterative) pruning buy.
#
# Rows, each trained with ABL_SEEDS (default 3 seeds) and reported as mean +- sample standard
# deviation over the seeds:
#   plain            narrow FSSD300 without BN
#   BN               the BN variant, trained with the slimming L1 term (--sparsity, the parent of
#                    the pruned rows)
#   BN + Mixup       as BN, plus --mixup
#   BN pruned once   BN pruned 50 % (global |gamma| threshold) and fine-tuned  (prune round 1)
#   BN pruned twice  then sparse-trained again, pruned 50 % of what is left, fine-tuned (round 2)
# Columns: mAP (VOC07 11-point on a held-out HARD shapes set), params, fp32 size in MB, GFLOPs per
# image (2 x multiply-adds), ms/image (FssdDetector.detect on the default oneDNN engine, batch 1, median; this machine) and the
# wall-clock minutes of the row's runs.
#
# Resumable: every step is skipped when its output exists, and an interrupted training resumes
# from its checkpoints. Run it again with the same settings to continue; delete ABL_OUT to start
# over. Writes docs/ablation.md (or ABL_DOC) at the end.
#
# Sizes (environment variables; the defaults take about 35 minutes per seed on a quiet 2-core
# machine, i.e. under two hours for the table):
#   ABL_SEEDS="1 2 3"  ABL_TRAIN_COUNT=1000  ABL_EVAL_COUNT=100  ABL_EPOCHS=6  ABL_BATCH=8
#   ABL_LR=0.015 (BN rows)  ABL_PLAIN_LR=0.002 (plain row)  ABL_WIDTH_DIVISOR=16  ABL_IMAGE_SIZE=300  ABL_SPARSITY=5e-3
#   ABL_FT_EPOCHS=2  ABL_FT_LR=0.0015  ABL_SPARSE2_EPOCHS=1  ABL_PERCENT=0.5  ABL_BN_BATCHES=25
#   ABL_MIXUP_ALPHA=1.5  ABL_MIXUP_PROB=0.5  ABL_MIXUP_OFF_EPOCHS=2  ABL_WORKERS=1
#   ABL_TIMING_RUNS=15  ABL_DATA_SEED=1  ABL_EVAL_SEED=99  ABL_AUGMENT=light
#   ABL_OUT=runs/ablation  ABL_DOC=docs/ablation.md
# Smoke test (seconds per run):
#   ABL_OUT=/tmp/abl ABL_DOC=/tmp/abl/ablation.md ABL_SEEDS="1 2" ABL_TRAIN_COUNT=8 \
#   ABL_EVAL_COUNT=4 ABL_EPOCHS=1 ABL_FT_EPOCHS=1 ABL_SPARSE2_EPOCHS=1 ABL_BATCH=4 \
#   ABL_IMAGE_SIZE=100 ABL_WIDTH_DIVISOR=32 ABL_TIMING_RUNS=1 tools/ablation.sh
# On a machine that is busy with other work, OMP_NUM_THREADS=1 is many times faster than the
# launcher's default of one OpenMP thread per core (the threads of a team wait for each other);
# for the real table run it on an otherwise idle machine with the default.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FSSD="$ROOT/fssd"

SEEDS="${ABL_SEEDS:-1 2 3}"
TRAIN_COUNT="${ABL_TRAIN_COUNT:-1000}"
EVAL_COUNT="${ABL_EVAL_COUNT:-100}"
EPOCHS="${ABL_EPOCHS:-6}"
BATCH="${ABL_BATCH:-8}"
LR="${ABL_LR:-0.015}"
# Without BN the same rate diverges within a few iterations (seen: loss Infinity at iteration 5).
PLAIN_LR="${ABL_PLAIN_LR:-0.002}"
DIV="${ABL_WIDTH_DIVISOR:-16}"
SIZE="${ABL_IMAGE_SIZE:-300}"
SPARSITY="${ABL_SPARSITY:-5e-3}"
FT_EPOCHS="${ABL_FT_EPOCHS:-2}"
FT_LR="${ABL_FT_LR:-0.0015}"
SPARSE2="${ABL_SPARSE2_EPOCHS:-1}"
# precise BN before measuring: BN statistics recomputed over this many training batches
BN_BATCHES="${ABL_BN_BATCHES:-25}"
PERCENT="${ABL_PERCENT:-0.5}"
MIX_ALPHA="${ABL_MIXUP_ALPHA:-1.5}"
MIX_PROB="${ABL_MIXUP_PROB:-0.5}"
MIX_OFF="${ABL_MIXUP_OFF_EPOCHS:-2}"
WORKERS="${ABL_WORKERS:-1}"
TIMING="${ABL_TIMING_RUNS:-15}"
DATA_SEED="${ABL_DATA_SEED:-1}"
EVAL_SEED="${ABL_EVAL_SEED:-99}"
AUGMENT="${ABL_AUGMENT:-light}"
OUT="${ABL_OUT:-$ROOT/runs/ablation}"
DOC="${ABL_DOC:-$ROOT/docs/ablation.md}"

D1=$(( EPOCHS * 2 / 3 )); [ "$D1" -ge 1 ] || D1=1
D2=$(( EPOCHS * 11 / 12 )); [ "$D2" -gt "$D1" ] || D2=$(( D1 + 1 ))
# Mixup off for the last MIX_OFF epochs, but never for all of them
[ "$MIX_OFF" -lt "$EPOCHS" ] || MIX_OFF=$(( EPOCHS - 1 ))

mkdir -p "$OUT"
COMMANDS="$OUT/commands.txt"
DATA=(--dataset shapes --shapes-preset HARD --shapes-count "$TRAIN_COUNT" --shapes-seed "$DATA_SEED" --shapes-size "$SIZE")
TRAIN=(--width-divisor "$DIV" --augment "$AUGMENT" --batch "$BATCH" --epochs "$EPOCHS"
       --decay-epochs "$D1,$D2" --workers "$WORKERS" --checkpoint-every 50 --log-every 25)

log() { echo "ablation: $*" >&2; }

# step NAME OUTPUT -- command...: runs the command unless OUTPUT exists; logs to OUTPUT's stem.log,
# records the command and the seconds it took.
step() {
  local name="$1" output="$2"; shift 3
  local stem="${output%.*}"
  if [ -s "$output" ]; then
    log "$name: done ($output)"
    return
  fi
  log "$name: running ($stem.log)"
  printf '%s\n' "$*" | sed "s|$ROOT/||g" >> "$COMMANDS"
  local t0=$SECONDS
  if ! "$@" > "$stem.log" 2>&1; then
    log "$name failed, see $stem.log"; tail -20 "$stem.log" >&2; exit 1
  fi
  echo $(( SECONDS - t0 )) > "$stem.seconds"
}

# train NAME SEED_DIR SEED extra-args...: a resumable training run
train() {
  local name="$1" dir="$2" seed="$3"; shift 3
  local ckpt="$dir/ckpt-$name" resume=()
  if ls "$ckpt"/checkpoint-*.zip > /dev/null 2>&1; then resume=(--resume); fi
  step "seed $seed $name" "$dir/$name.zip" -- "$FSSD" train "${DATA[@]}" "${TRAIN[@]}" --seed "$seed" \
    --checkpoint-dir "$ckpt" "${resume[@]}" "$@" --out "$dir/$name.zip"
}

# measure NAME SEED_DIR [bn]: metrics line of a model (mAP, params, size, GFLOPs, ms/image); with
# "bn", the BN statistics are first recomputed over BN_BATCHES training batches (precise BN, see
# models/README.md: short schedules leave the running averages behind the weights) and the
# recalibrated copy NAME-pbn.zip is measured. Weights are unchanged by that.
measure() {
  local name="$1" dir="$2" bn="${3:-}"
  local f="$dir/$name.metrics.txt" model="$dir/$name.zip"
  if [ -s "$f" ]; then
    log "measure seed dir $dir $name: done"
    return
  fi
  if [ "$bn" = bn ]; then
    step "recalibrate $dir/$name" "$dir/$name-pbn.zip" -- "$FSSD" recalibrate-bn --model "$model" "${DATA[@]}" \
      --batches "$BN_BATCHES" --batch 16 --augment "$AUGMENT" --out "$dir/$name-pbn.zip"
    model="$dir/$name-pbn.zip"
  fi
  local cmd=("$FSSD" prune --model "$model" --report-only --eval-shapes-seed "$EVAL_SEED"
    --eval-shapes-count "$EVAL_COUNT" --shapes-preset HARD --shapes-size "$SIZE" --timing-runs "$TIMING")
  log "measure $dir/$name.zip"
  printf '%s\n' "${cmd[*]}" | sed "s|$ROOT/||g" >> "$COMMANDS"
  if ! "${cmd[@]}" > "$dir/$name.metrics.log" 2>&1; then
    log "measuring $name failed, see $dir/$name.metrics.log"; tail -20 "$dir/$name.metrics.log" >&2; exit 1
  fi
  grep '^metrics' "$dir/$name.metrics.log" > "$f.tmp" && mv "$f.tmp" "$f"
}

T_START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for seed in $SEEDS; do
  dir="$OUT/seed$seed"
  mkdir -p "$dir"
  train plain "$dir" "$seed" --lr "$PLAIN_LR"
  train bn "$dir" "$seed" --lr "$LR" --bn --sparsity "$SPARSITY"
  train bn-mixup "$dir" "$seed" --lr "$LR" --bn --sparsity "$SPARSITY" --mixup --mixup-alpha "$MIX_ALPHA" \
    --mixup-prob "$MIX_PROB" --mixup-off-epochs "$MIX_OFF"
  # both pruned rows come from one two-round run: round 1 = pruned once, round 2 = pruned twice
  step "seed $seed prune" "$dir/pruned.zip" -- "$FSSD" prune --model "$dir/bn.zip" "${DATA[@]}" \
    --percents "$PERCENT,$PERCENT" --sparse-epochs "0,$SPARSE2" --sparsity "$SPARSITY" \
    --fine-tune-epochs "$FT_EPOCHS" --lr "$FT_LR" --batch "$BATCH" --augment "$AUGMENT" --seed "$seed" \
    --workers "$WORKERS" --timing-runs 0 --out "$dir/pruned.zip"
  measure plain "$dir"
  for m in bn bn-mixup pruned-round1 pruned-round2; do
    measure "$m" "$dir" bn
  done
done

# ---------------------------------------------------------------- the table
value() { # FILE KEY -> value of KEY=... in the metrics line
  sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1"
}
stats() { # values... -> "mean sd" (sample standard deviation; 0 for one value)
  printf '%s\n' "$@" | awk '{ x[NR] = $1; s += $1 } END { m = s / NR; v = 0;
    for (i = 1; i <= NR; i++) v += (x[i] - m) ^ 2; sd = NR > 1 ? sqrt(v / (NR - 1)) : 0;
    printf "%.6f %.6f\n", m, sd }'
}
row() { # LABEL MODEL SECONDS_FILES...
  local label="$1" model="$2"; shift 2
  local maps=() ms=() params=() size=() gflops=() secs=()
  for seed in $SEEDS; do
    local f="$OUT/seed$seed/$model.metrics.txt"
    maps+=("$(value "$f" map)")
    ms+=("$(value "$f" ms_per_image)")
    params+=("$(value "$f" params)"); size+=("$(value "$f" size_mb)"); gflops+=("$(value "$f" gflops)")
    local total=0
    for s in "$@"; do
      [ -f "$OUT/seed$seed/$s.seconds" ] && total=$(( total + $(cat "$OUT/seed$seed/$s.seconds") ))
    done
    secs+=("$total")
  done
  read -r map_m map_sd <<< "$(stats "${maps[@]}")"
  read -r ms_m ms_sd <<< "$(stats "${ms[@]}")"
  read -r s_m _ <<< "$(stats "${secs[@]}")"
  read -r p_m _ <<< "$(stats "${params[@]}")"
  read -r z_m _ <<< "$(stats "${size[@]}")"
  read -r g_m _ <<< "$(stats "${gflops[@]}")"
  printf '| %s | %.3f ± %.3f | %.0f | %.3f | %.4f | %.1f ± %.1f | %.1f |\n' "$label" "$map_m" "$map_sd" \
    "$p_m" "$z_m" "$g_m" "$ms_m" "$ms_sd" \
    "$(awk -v s="$s_m" 'BEGIN { printf "%.1f", s / 60 }')"
}

CPU="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || echo unknown)"
JAVA="$(java -version 2>&1 | head -1)"
GIT="$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
mkdir -p "$(dirname "$DOC")"
# Notes written by hand below this marker survive a regeneration of the table.
MARKER='<!-- Hand-written notes below this line; tools/ablation.sh keeps them when it rewrites the table. -->'
NOTES=""
if [ -f "$DOC" ] && grep -qF -- "$MARKER" "$DOC"; then
  NOTES="$(sed -n "/^<!-- Hand-written notes below/,\$p" "$DOC")"
fi
{
  echo "# Ablation: BN, Mixup and iterative pruning on the HARD shapes preset"
  echo
  echo "Produced by \`tools/ablation.sh\` (the table and commands: do not edit by hand, run the script again"
  echo "to update them; notes below the marker at the end are kept)."
  echo "Finished $(date -u +%Y-%m-%dT%H:%M:%SZ) (started $T_START, resumed runs keep their earlier results);"
  echo "commit $GIT; machine: $CPU, $(getconf _NPROCESSORS_ONLN) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1e6 }' /proc/meminfo) RAM,"
  echo "$(uname -sr), $JAVA."
  echo
  echo "Seeds: $SEEDS (mean ± sample standard deviation over the seeds). Training data: HARD shapes,"
  echo "$TRAIN_COUNT images of ${SIZE}x${SIZE} (seed $DATA_SEED); evaluation: VOC07 11-point mAP on $EVAL_COUNT"
  echo "other HARD images (seed $EVAL_SEED). Network: FSSD300 with every width / $DIV, $EPOCHS epochs, batch $BATCH,"
  echo "lr $LR (x0.1 at epochs $D1, $D2), augmentation \`$AUGMENT\`. BN rows use the slimming term s = $SPARSITY."
  echo "Mixup: alpha $MIX_ALPHA, p $MIX_PROB, off for the last $MIX_OFF epochs. Pruning: each round removes $PERCENT of"
  echo "the BN channels still there, then fine-tunes for $FT_EPOCHS epochs (lr $FT_LR); round 2 starts with $SPARSE2"
  echo "sparse-training epoch(s)."
  echo "Every BN model is measured after precise BN (\`recalibrate-bn\` over $BN_BATCHES training batches of 16; weights"
  echo "unchanged); the plain model has no BN statistics to recompute."
  echo
  echo "| model | mAP (VOC07) | params | size MB (fp32) | GFLOPs/image | ms/image | minutes/seed |"
  echo "|---|---|---|---|---|---|---|"
  row "plain (no BN)" plain plain
  row "BN" bn bn
  row "BN + Mixup" bn-mixup bn-mixup
  row "BN pruned once ($PERCENT)" pruned-round1 bn pruned
  row "BN pruned twice ($PERCENT, $PERCENT)" pruned-round2 bn pruned
  echo
  echo "params, size and GFLOPs are means over the seeds (the pruned widths differ from seed to seed)."
  echo "GFLOPs count a multiply-add as 2 operations. ms/image: \`FssdDetector.detect\` (preprocessing, forward on the"
  echo "default oneDNN engine, decoding, NMS) of one random image, batch 1, median of $TIMING runs after a warm-up,"
  echo "one model after the other on this machine, OMP_NUM_THREADS=${OMP_NUM_THREADS:-all cores}"
  echo "(compare ratios within one run). minutes/seed: wall-clock of the runs a row needs (the pruned rows"
  echo "include training their BN parent; both pruned rows come from one two-round prune run, whose time"
  echo "is counted in full for each)."
  echo
  echo "## Commands"
  echo
  echo '```bash'
  sed 's/ --resume//' "$COMMANDS" | awk '!seen[$0]++'
  echo '```'
  if [ -n "$NOTES" ]; then
    echo
    printf '%s\n' "$NOTES"
  fi
} > "$DOC.tmp"
mv "$DOC.tmp" "$DOC"
log "wrote $DOC"
