#!/usr/bin/env bash
# fssd4j against ONNX Runtime (Java) and PyTorch on this machine, in one run:
# same threads, same random-weight FSSD300 (fixed seed), same input.
#
#   tools/bench-compare.sh [--threads N] [--runs N] [--batch N] [--size 300|512] [--graph-runs N]
#                          [--train-runs N] [--train-batch N] [--no-train-bn] [--train-only] [--keep]
#
# Steps (see docs/performance.md for what the numbers mean):
#  1. tools/reference/export_onnx.py writes a random-weight FSSD (fssd_ref.random_init(seed 1) +
#     calibrate, as make_full.py) to a scratch folder as fssdS.pth and fssdS.onnx (torch.onnx.export,
#     opset 13), plus the preprocessed synthetic reference image (input.npy) and PyTorch's outputs.
#  2. PyTorch 1.13 (Debian /usr/bin/python3), fp32, channels_last, torch.inference_mode,
#     torch.set_num_threads(THREADS), with jemalloc preloaded and memory return to the OS off
#     (MALLOC_CONF dirty/muzzy_decay_ms:-1); timed before AND after the Java run, samples pooled.
#  3. One JVM (org.fssd.bench.OnnxCompare): ONNX Runtime Java (CPU EP, THREADS intra-op threads) on
#     the .onnx; fssd4j's oneDNN plan FP32 on the same weights imported from the .pth; the same on
#     two pruned width sets (random weights): "-pruned" = the published widths of SPEC 2.8, which
#     only give base/conv6/conv7 (23.35 G MACs), "-half" = uniform 50 % of every prunable layer
#     (Widths.half300, 9.88 G MACs); engines alternate run by run. Then the DL4J graph engine at
#     batch 1 (GRAPH_RUNS runs; it takes seconds per image).
#  3b. Int8: tools/reference/torch_int8.py writes the calibration set (calib.npy: 8 preprocessed
#     synthetic images); PyTorch 1.13 FX graph mode static quantisation of the same fssdS.pth with
#     the 'onednn' quantised engine and its default qconfig (per-tensor histogram activations,
#     per-channel symmetric int8 weights), calibrated on calib.npy, timed before AND after the Java
#     run (row pytorch-int8); OnnxCompare --int8 times fssd4j's INT8 plan calibrated (mse ranges)
#     on the same calib.npy (row fssd4j-onednn-int8), alternating with the other engines.
#  4. Training step (FSSD300 only; --train-runs 0 skips it): org.fssd.bench.TrainCompare writes one
#     shapes batch of TRAIN_BATCH images (SPEC 8 augmentation + SPEC 5 matching) as .npy; then
#     tools/reference/train_step_timing.py (PyTorch, same fssd300.pth weights, same batch, same
#     MultiBox loss, SGD momentum 0.9 + weight decay 5e-4; NCHW and channels_last alternating,
#     jemalloc as in 2.), TrainCompare (fssd4j's training step as fssd train makes it: the oneDNN
#     training plan, --engine PLAN, AUTO convolutions; same loss and optimiser; the DL4J fit path
#     with FSSD_TRAIN_ENGINE=GRAPH) and PyTorch again; TRAIN_RUNS timed steps each after one warm-up step. Both print the loss
#     of their first step (same weights and batch: they must agree).
#     Then the same for the BN variant (SPEC 2.7; --no-train-bn skips it): train_step_timing.py --bn
#     --write-weights writes fssd300-bn.pth (fssd_ref.random_init(seed 1) of the BN model), which
#     PyTorch loads and TrainCompare --bn imports; same batch, same steps, first-step losses checked.
#     On a CPU with AVX512_BF16, last the plain network in mixed precision: TrainCompare --precision
#     BF16 against train_step_timing.py --precision bf16 (torch.autocast bfloat16), same weights/batch.
#     --train-only skips steps 2-3b (step 1 still writes fssd300.pth): the training comparison alone.
#  5. A table (median and min ms/image, images/s, max |diff| of raw outputs vs ONNX Runtime and vs
#     PyTorch, peak RSS: VmHWM of a process running only that engine, i.e. OnnxCompare --only
#     onnxruntime (the session) / --only fssd4j (an FssdDetector that imports the .pth itself, as an
#     application would), and PyTorch's timing process), the training table, and the ratio lines (ratios of median times, > 1 = fssd4j
#     faster): fp32 vs onnxruntime, fp32 vs pytorch, bf16 vs pytorch-bf16, pruned speedup (full /
#     uniform 50 %), training step vs pytorch, training step vs pytorch (bn) and (bf16, autocast)
#     (PyTorch's faster memory format each), and last the int8 lines: fssd4j int8 vs onnxruntime fp32 and vs
#     pytorch-int8.
# Needs JDK 17 + Maven; installs Debian's python3-torch/numpy/opencv and libjemalloc2 with apt-get
# when missing. Exit 1 when a step fails.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY=/usr/bin/python3
THREADS=2; RUNS=20; BATCH=1; SIZE=300; GRAPH_RUNS=2; KEEP=0; TRAIN_RUNS=3; TRAIN_BATCH=8
TRAIN_BN=1; TRAIN_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --batch) BATCH="$2"; shift 2 ;;
    --size) SIZE="$2"; shift 2 ;;
    --graph-runs) GRAPH_RUNS="$2"; shift 2 ;;
    --train-runs) TRAIN_RUNS="$2"; shift 2 ;;
    --train-batch) TRAIN_BATCH="$2"; shift 2 ;;
    --no-train-bn) TRAIN_BN=0; shift ;;
    --train-only) TRAIN_ONLY=1; shift ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: $0 [--threads N] [--runs N] [--batch N] [--size 300|512] [--graph-runs N] [--train-runs N] [--train-batch N] [--no-train-bn] [--train-only] [--keep]" >&2; exit 2 ;;
  esac
done

# ---- dependencies -------------------------------------------------------------------------
need_apt=()
"$PY" -c 'import torch, numpy, cv2' 2>/dev/null || need_apt+=(python3-torch python3-numpy python3-opencv)
JEMALLOC="$(ls /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/*/libjemalloc.so.2 2>/dev/null | head -1 || true)"
[ -n "$JEMALLOC" ] || need_apt+=(libjemalloc2)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== apt-get install -y ${need_apt[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq >&2 && $SUDO apt-get install -y -qq "${need_apt[@]}" >&2
  JEMALLOC="$(ls /usr/lib/*/libjemalloc.so.2 | head -1)"
fi

JAR="$ROOT/fssd-benchmarks/target/fssd-benchmarks.jar"
if [ ! -f "$JAR" ] || [ -n "$(find "$ROOT" -maxdepth 12 -type f \( -path '*/src/main/*' -o -name pom.xml \) -newer "$JAR" -print -quit 2>/dev/null)" ]; then
  echo "== building fssd-benchmarks" >&2
  (cd "$ROOT" && mvn -q -B ${MAVEN_ARGS:-} package -pl fssd-benchmarks -am -DskipTests) >&2
fi

DIR="$(mktemp -d "${TMPDIR:-/tmp}/fssd-bench-compare.XXXXXX")"
cleanup() { [ "$KEEP" = 1 ] && echo "kept $DIR" >&2 || rm -rf "$DIR"; }
trap cleanup EXIT

export OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS"
echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') ($(nproc) cores); threads $THREADS, batch $BATCH, FSSD$SIZE, $RUNS runs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== torch $("$PY" -c "import torch; print(torch.__version__)"), onnxruntime (Java) from fssd-benchmarks/target/lib: $(ls "$ROOT"/fssd-benchmarks/target/lib | grep -o "onnxruntime-[0-9.]*[0-9]"), jemalloc $JEMALLOC"
"$PY" "$ROOT/tools/reference/export_onnx.py" "$DIR" --size "$SIZE" --threads "$THREADS" 2> "$DIR/export.log" \
  || { cat "$DIR/export.log" >&2; exit 1; }

torch_int8() {
  LD_PRELOAD="$JEMALLOC" MALLOC_CONF="background_thread:true,dirty_decay_ms:-1,muzzy_decay_ms:-1" \
    "$PY" "$ROOT/tools/reference/torch_int8.py" "$DIR" --size "$SIZE" --threads "$THREADS" \
    --batch "$BATCH" --runs "$RUNS" 2>> "$DIR/torch-int8.log" || { cat "$DIR/torch-int8.log" >&2; exit 1; }
}
[ "$TRAIN_ONLY" = 1 ] || "$PY" "$ROOT/tools/reference/torch_int8.py" "$DIR" --write-calib --size "$SIZE" > /dev/null 2> "$DIR/calib.log" \
  || { cat "$DIR/calib.log" >&2; exit 1; }
torch_time() { # extra args: --bf16
  LD_PRELOAD="$JEMALLOC" MALLOC_CONF="background_thread:true,dirty_decay_ms:-1,muzzy_decay_ms:-1" \
    "$PY" "$ROOT/tools/reference/export_onnx.py" "$DIR" --time --size "$SIZE" --threads "$THREADS" \
    --batch "$BATCH" --runs "$RUNS" "$@"
}
HAS_BF16=0; grep -qw avx512_bf16 /proc/cpuinfo && HAS_BF16=1
if [ "$TRAIN_ONLY" = 1 ]; then
  echo "NOTE --train-only: inference comparison skipped" > "$DIR/results.txt"
else
{
  torch_time
  [ "$HAS_BF16" = 1 ] && torch_time --bf16
  torch_int8
  JAVA_BF16=(); [ "$HAS_BF16" = 1 ] && JAVA_BF16=(--bf16)
  java ${FSSD_JAVA_OPTS:--Xmx8g} -cp "$JAR" org.fssd.bench.OnnxCompare --dir "$DIR" --size "$SIZE" \
    --threads "$THREADS" --batch "$BATCH" --runs "$RUNS" --graph-runs "$GRAPH_RUNS" --int8 "${JAVA_BF16[@]}" 2> "$DIR/java.log" \
    || { cat "$DIR/java.log" >&2; exit 1; }
  torch_time
  [ "$HAS_BF16" = 1 ] && torch_time --bf16
  torch_int8
  # Peak RSS: each engine alone in its own JVM (VmHWM only grows), a few runs after its warm-up.
  # fssd4j twice: the default convolutions (Winograd where it pays) and DIRECT only, the lean choice.
  for engine in onnxruntime fssd4j "fssd4j --algorithm DIRECT"; do
    # shellcheck disable=SC2086
    java ${FSSD_JAVA_OPTS:--Xmx8g} -cp "$JAR" org.fssd.bench.OnnxCompare --dir "$DIR" --size "$SIZE" \
      --threads "$THREADS" --batch "$BATCH" --runs 3 --graph-runs 0 --only $engine 2>> "$DIR/java.log" \
      | grep '^RSS ' || { cat "$DIR/java.log" >&2; exit 1; }
  done
  true
} > "$DIR/results.txt"
fi

# ---- training step: same weights (fssd300.pth), same batch, same loss and optimiser ----------
TRAIN_JAVA_OPTS=${FSSD_TRAIN_JAVA_OPTS:--Xmx4g -Dorg.bytedeco.javacpp.maxbytes=14G -Dorg.bytedeco.javacpp.maxphysicalbytes=18G}
train_java() {
  # shellcheck disable=SC2086
  java $TRAIN_JAVA_OPTS -cp "$JAR" org.fssd.bench.TrainCompare --dir "$DIR" --batch "$TRAIN_BATCH" \
    --engine "${FSSD_TRAIN_ENGINE:-PLAN}" "$@" 2>> "$DIR/train-java.log" \
    || { cat "$DIR/train-java.log" >&2; exit 1; }
}
train_torch() {
  LD_PRELOAD="$JEMALLOC" MALLOC_CONF="background_thread:true,dirty_decay_ms:-1,muzzy_decay_ms:-1" \
    "$PY" "$ROOT/tools/reference/train_step_timing.py" --dir "$DIR" --threads "$THREADS" \
    --warmup 1 --runs "$TRAIN_RUNS" --memory-format both "$@" 2>> "$DIR/train-torch.log" \
    || { cat "$DIR/train-torch.log" >&2; exit 1; }
}
if [ "$TRAIN_RUNS" -gt 0 ] && [ "$SIZE" = 300 ]; then
  echo "== training step: batch $TRAIN_BATCH, $TRAIN_RUNS timed steps per engine and pass (tens of seconds per step)" >&2
  {
    train_java --export-batch
    train_torch
    train_java --runs "$TRAIN_RUNS"
    train_torch
    if [ "$TRAIN_BN" = 1 ]; then
      train_torch --bn --write-weights
      train_torch --bn
      train_java --bn --runs "$TRAIN_RUNS"
      train_torch --bn
    fi
    if [ "$HAS_BF16" = 1 ]; then
      # mixed precision on both sides: fssd4j --precision BF16, PyTorch autocast bfloat16
      train_torch --precision bf16
      train_java --precision BF16 --runs "$TRAIN_RUNS"
      train_torch --precision bf16
    fi
  } >> "$DIR/results.txt"
elif [ "$TRAIN_RUNS" -gt 0 ]; then
  echo "NOTE training step compared for --size 300 only" >> "$DIR/results.txt"
fi

"$PY" - "$DIR/results.txt" "$HAS_BF16" "$BATCH" "$TRAIN_RUNS" "$TRAIN_BN" <<'PYEOF'
import statistics, sys
lines = open(sys.argv[1]).read().split('\n')
has_bf16 = sys.argv[2] == '1'
batch = int(sys.argv[3])
train_runs = int(sys.argv[4])
train_bn = sys.argv[5] == '1'
rows = {}   # name -> (median, min, diff_ort, diff_torch)
rss = {}    # name -> peak RSS MiB of a process running only that engine
torch_samples = {}
train_samples = {}  # name -> ms per step (PyTorch's two passes pooled)
train_batch = {}
train_loss = {}     # name -> (loc, conf, positives) of the first step
torch_int8_diff = '-'  # max |int8 - fp32| of PyTorch's raw outputs
for l in lines:
    f = l.split()
    if not f:
        continue
    if f[0] == 'TORCH':
        torch_samples.setdefault(f[1], []).extend(float(x) for x in f[6].split(','))
    elif f[0] == 'TRAIN':
        train_samples.setdefault(f[1], []).extend(float(x) for x in f[6].split(','))
        train_batch[f[1]] = int(f[3])
    elif f[0] == 'TRAINLOSS':
        train_loss.setdefault(f[1], (float(f[2]), float(f[3]), int(f[4])))
    elif f[0] == 'RESULT':
        rows[f[1]] = (float(f[2]), float(f[3]), f[4], f[5])
    elif f[0] == 'RSS':
        rss[f[1]] = max(rss.get(f[1], 0), float(f[2]))
    elif f[0] == 'TORCHOUT':
        torch_int8_diff = '%.2e' % max(float(f[2]), float(f[3]))
    elif f[0] == 'TORCHRSS':
        k = 'pytorch-int8' if f[1] == 'int8' else 'pytorch-%s-channels_last' % f[1]
        rss[k] = max(rss.get(k, 0), float(f[2]))
    elif f[0] == 'NOTE':
        print(' '.join(f[1:]))
for prec, s in torch_samples.items():
    if prec == 'int8':
        # its diff column: vs PyTorch's own fp32 outputs
        rows['pytorch-int8'] = (statistics.median(s), min(s), '-', torch_int8_diff)
    else:
        rows['pytorch-%s-channels_last' % prec] = (statistics.median(s), min(s), '-', '-')
order = [k for k in rows if k.startswith('pytorch')] + [k for k in rows if not k.startswith('pytorch')]
print('%-34s %12s %12s %9s %15s %15s %13s' % ('engine (batch %d)' % batch, 'ms/img med', 'ms/img min',
                                           'img/s', 'max|d| vs ORT', 'max|d| vs torch', 'peak RSS MiB'))
print('-' * 116)
for k in order:
    med, mn, dort, dt = rows[k]
    name = k + (' (b1)' if k.startswith('fssd4j-graph') else '')
    print('%-34s %12.1f %12.1f %9.2f %15s %15s %13s' % (name, med, mn, 1000.0 / med, dort, dt,
                                                      '%.0f' % rss[k] if k in rss else '-'))
print('  peak RSS: VmHWM of a process running only that engine (model loading included); - = not measured alone')
ort_rss = next((v for k, v in rss.items() if k.startswith('onnxruntime')), None)
if ort_rss and 'fssd4j-onednn-fp32' in rss:
    lean = rss.get('fssd4j-onednn-fp32-direct')
    print('peak RSS ratio vs onnxruntime: %.2f (default convolutions)%s' % (
        rss['fssd4j-onednn-fp32'] / ort_rss,
        ', %.2f (DIRECT convolutions only: %.0f MiB)' % (lean / ort_rss, lean) if lean else ''))
if any(k.endswith('-half') or k.endswith('-pruned') for k in rows):
    print('  -pruned: published pruned widths of SPEC 2.8 (base, conv6, conv7 only; 23.35 G MACs/image)')
    print('  -half:   uniform 50 % of every prunable layer (Widths.half300; 9.88 G MACs/image; full: 38.06 G)')
def get(prefix):
    for k, v in rows.items():
        if k.startswith(prefix):
            return v[0]
    return None
ours = get('fssd4j-onednn-fp32')
ort = get('onnxruntime')
pt = get('pytorch-fp32')
pruned = rows.get('fssd4j-onednn-fp32-pruned', (None,))[0]
half = rows.get('fssd4j-onednn-fp32-half', (None,))[0]
r = lambda a, b: '%.2f' % (a / b) if a and b else 'n/a'
def getmin(prefix):
    for k, v in rows.items():
        if k.startswith(prefix):
            return v[1]
    return None
print()
# On a shared machine the medians carry the other processes' load; the minima are the runs that
# were least disturbed. Both are shown; the ratio lines at the end use the medians.
print('on minimum times: vs onnxruntime %s, vs pytorch %s, pruned speedup %s (uniform 50 %%), %s (published widths, base only)' % (
    r(getmin('onnxruntime'), getmin('fssd4j-onednn-fp32')),
    r(getmin('pytorch-fp32'), getmin('fssd4j-onednn-fp32')),
    r(getmin('fssd4j-onednn-fp32'), rows.get('fssd4j-onednn-fp32-half', (None, None))[1]),
    r(getmin('fssd4j-onednn-fp32'), rows.get('fssd4j-onednn-fp32-pruned', (None, None))[1])))
print('published pruned widths (base only) speedup on medians: %s' % r(ours, pruned))
train_ratio = {}  # '' (plain) or '-bn' -> (fssd4j median, PyTorch's faster median)
if train_samples:
    print()
    tb = max(train_batch.values())
    print('%-34s %12s %12s %9s' % ('training step (batch %d)' % tb, 'ms/step med', 'ms/step min', 'img/s'))
    print('-' * 70)
    meds = {}
    for k in sorted(train_samples, key=lambda k: (not k.startswith('pytorch'), k)):
        s = train_samples[k]
        meds[k] = statistics.median(s)
        print('%-34s %12.1f %12.1f %9.2f   (%d steps)' % (k, meds[k], min(s), 1000.0 * train_batch[k] / meds[k], len(s)))
    for v in ('', '-bn'):
        pts = [m for k, m in meds.items() if k.startswith('pytorch%s-fp32' % v)]
        # PyTorch's faster memory format
        train_ratio[v] = (meds.get('fssd4j%s-fp32' % v), min(pts) if pts else None)
        ours_name, pt_name = 'fssd4j' + v, 'pytorch' + v
        if ours_name in train_loss and pt_name in train_loss:
            a, b = train_loss[ours_name], train_loss[pt_name]
            rel = max(abs(a[0] - b[0]) / max(1e-12, abs(b[0])), abs(a[1] - b[1]) / max(1e-12, abs(b[1])))
            print('first-step loss%s (same weights, same batch): fssd4j loc %.6f conf %.6f (%d positives), '
                  'pytorch loc %.6f conf %.6f (%d positives); max rel. diff %.1e%s' % (
                      ' (bn)' if v else '', a[0], a[1], a[2], b[0], b[1], b[2], rel,
                      '' if rel < 1e-3 else '  <-- MISMATCH'))
    pts = [m for k, m in meds.items() if k.startswith('pytorch-bf16-')]
    train_ratio['-bf16'] = (meds.get('fssd4j-bf16'), min(pts) if pts else None)
print('load average after the run: %s' % open('/proc/loadavg').read().split()[:3])
print()
print('fp32 ratio vs onnxruntime: %s' % r(ort, ours))
print('fp32 ratio vs pytorch: %s' % r(pt, ours))
if has_bf16:
    print('bf16 ratio vs pytorch-bf16: %s' % r(get('pytorch-bf16'), get('fssd4j-onednn-bf16')))
else:
    print('bf16 ratio vs pytorch-bf16: n/a (no AVX512_BF16 on this CPU)')
print('pruned speedup: %s' % r(ours, half))
for v, label in (('', ''), ('-bn', ' (bn)')):
    if train_runs <= 0:
        print('training step ratio vs pytorch%s: n/a (skipped: --train-runs 0)' % label)
    elif not train_samples:
        print('training step ratio vs pytorch%s: n/a (FSSD300 only)' % label)
    elif v == '-bn' and not train_bn:
        print('training step ratio vs pytorch%s: n/a (skipped: --no-train-bn)' % label)
    else:
        ours_ms, pt_ms = train_ratio[v]
        print('training step ratio vs pytorch%s: %s' % (label, r(pt_ms, ours_ms)))
if train_runs > 0 and train_samples:
    if has_bf16:
        ours_ms, pt_ms = train_ratio['-bf16']
        print('training step ratio vs pytorch (bf16, autocast): %s' % r(pt_ms, ours_ms))
    else:
        print('training step ratio vs pytorch (bf16, autocast): n/a (no AVX512_BF16 on this CPU)')
int8 = rows.get('fssd4j-onednn-int8', (None,))[0]
print('int8 ratio vs onnxruntime-fp32: %s' % r(ort, int8))
print('int8 ratio vs pytorch-int8: %s' % r(rows.get('pytorch-int8', (None,))[0], int8))
PYEOF
