#!/usr/bin/env bash
# fssd4j against ONNX Runtime (Java) and PyTorch on this machine, in one run:
# same threads, same random-weight FSSD300 (fixed seed), same input.
#
#   tools/bench-compare.sh [--threads N] [--runs N] [--batch N] [--size 300|512] [--graph-runs N] [--keep]
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
#     the published pruned widths (random weights); engines alternate run by run. Then the DL4J
#     graph engine at batch 1 (GRAPH_RUNS runs; it takes seconds per image).
#  4. A table (median and min ms/image, images/s, max |diff| of raw outputs vs ONNX Runtime and vs
#     PyTorch) and the ratio lines (ratios of median times, > 1 = fssd4j faster).
# Needs JDK 17 + Maven; installs Debian's python3-torch/numpy/opencv and libjemalloc2 with apt-get
# when missing. Exit 1 when a step fails.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY=/usr/bin/python3
THREADS=2; RUNS=20; BATCH=1; SIZE=300; GRAPH_RUNS=2; KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --batch) BATCH="$2"; shift 2 ;;
    --size) SIZE="$2"; shift 2 ;;
    --graph-runs) GRAPH_RUNS="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: $0 [--threads N] [--runs N] [--batch N] [--size 300|512] [--graph-runs N] [--keep]" >&2; exit 2 ;;
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
if [ ! -f "$JAR" ] || [ -n "$(find "$ROOT" -maxdepth 5 \( -path '*/src/main/*' -o -name pom.xml \) -newer "$JAR" -print -quit 2>/dev/null)" ]; then
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

torch_time() { # extra args: --bf16
  LD_PRELOAD="$JEMALLOC" MALLOC_CONF="background_thread:true,dirty_decay_ms:-1,muzzy_decay_ms:-1" \
    "$PY" "$ROOT/tools/reference/export_onnx.py" "$DIR" --time --size "$SIZE" --threads "$THREADS" \
    --batch "$BATCH" --runs "$RUNS" "$@"
}
HAS_BF16=0; grep -qw avx512_bf16 /proc/cpuinfo && HAS_BF16=1
{
  torch_time
  [ "$HAS_BF16" = 1 ] && torch_time --bf16
  JAVA_BF16=(); [ "$HAS_BF16" = 1 ] && JAVA_BF16=(--bf16)
  java ${FSSD_JAVA_OPTS:--Xmx8g} -cp "$JAR" org.fssd.bench.OnnxCompare --dir "$DIR" --size "$SIZE" \
    --threads "$THREADS" --batch "$BATCH" --runs "$RUNS" --graph-runs "$GRAPH_RUNS" "${JAVA_BF16[@]}" 2> "$DIR/java.log" \
    || { cat "$DIR/java.log" >&2; exit 1; }
  torch_time
  [ "$HAS_BF16" = 1 ] && torch_time --bf16
  true
} > "$DIR/results.txt"

"$PY" - "$DIR/results.txt" "$HAS_BF16" "$BATCH" <<'PYEOF'
import statistics, sys
lines = open(sys.argv[1]).read().split('\n')
has_bf16 = sys.argv[2] == '1'
batch = int(sys.argv[3])
rows = {}   # name -> (median, min, diff_ort, diff_torch)
torch_samples = {}
for l in lines:
    f = l.split()
    if not f:
        continue
    if f[0] == 'TORCH':
        torch_samples.setdefault(f[1], []).extend(float(x) for x in f[6].split(','))
    elif f[0] == 'RESULT':
        rows[f[1]] = (float(f[2]), float(f[3]), f[4], f[5])
    elif f[0] == 'NOTE':
        print(' '.join(f[1:]))
for prec, s in torch_samples.items():
    rows['pytorch-%s-channels_last' % prec] = (statistics.median(s), min(s), '-', '-')
order = [k for k in rows if k.startswith('pytorch')] + [k for k in rows if not k.startswith('pytorch')]
print('%-34s %12s %12s %9s %15s %15s' % ('engine (batch %d)' % batch, 'ms/img med', 'ms/img min',
                                           'img/s', 'max|d| vs ORT', 'max|d| vs torch'))
print('-' * 102)
for k in order:
    med, mn, dort, dt = rows[k]
    name = k + (' (b1)' if k.startswith('fssd4j-graph') else '')
    print('%-34s %12.1f %12.1f %9.2f %15s %15s' % (name, med, mn, 1000.0 / med, dort, dt))
def get(prefix):
    for k, v in rows.items():
        if k.startswith(prefix):
            return v[0]
    return None
ours = get('fssd4j-onednn-fp32')
ort = get('onnxruntime')
pt = get('pytorch-fp32')
pruned = rows.get('fssd4j-onednn-fp32-pruned', (None,))[0]
r = lambda a, b: '%.2f' % (a / b) if a and b else 'n/a'
def getmin(prefix):
    for k, v in rows.items():
        if k.startswith(prefix):
            return v[1]
    return None
print()
# On a shared machine the medians carry the other processes' load; the minima are the runs that
# were least disturbed. Both are shown; the four ratio lines at the end use the medians.
print('on minimum times: vs onnxruntime %s, vs pytorch %s, pruned speedup %s' % (
    r(getmin('onnxruntime'), getmin('fssd4j-onednn-fp32')),
    r(getmin('pytorch-fp32'), getmin('fssd4j-onednn-fp32')),
    r(getmin('fssd4j-onednn-fp32'), rows.get('fssd4j-onednn-fp32-pruned', (None, None))[1])))
print('load average after the run: %s' % open('/proc/loadavg').read().split()[:3])
print()
print('fp32 ratio vs onnxruntime: %s' % r(ort, ours))
print('fp32 ratio vs pytorch: %s' % r(pt, ours))
if has_bf16:
    print('bf16 ratio vs pytorch-bf16: %s' % r(get('pytorch-bf16'), get('fssd4j-onednn-bf16')))
else:
    print('bf16 ratio vs pytorch-bf16: n/a (no AVX512_BF16 on this CPU)')
print('pruned speedup: %s' % r(ours, pruned))
PYEOF
