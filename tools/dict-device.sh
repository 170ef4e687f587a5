#!/usr/bin/env bash
# Runs the dictionary steps after the models (activations, SAEs, build) on a bigger machine:
# 16 cores and, when wgpu finds one, a GPU for the SAEs. Used through the `device` tool with a
# folder prepared by hand (see public/data/README.md, "How it was made"):
#   devrun/polytope (release build), devrun/tokenizer.json, devrun/corpus/{train.txt.gz,val.txt,
#   NOTICE,corpus.json}, devrun/model-a/model.bin, devrun/model-b/model.bin
# Results go to $OUT: data.tar.* (the browser files, split in 15 MB parts) and meta.tgz (logs,
# reports): few files, as the device tool brings back at most 8. Every step is the ordinary `polytope dict` command, so the same run works anywhere.
set -u
cd "$(dirname "$0")/../devrun" || exit 1
OUT=${OUT:-/tmp/out}
LOGS=/tmp/dictlogs
mkdir -p "$OUT" "$LOGS"
[ -f corpus/train.txt ] || gunzip -k corpus/train.txt.gz
export MATMUL_NUM_THREADS=4 RAYON_NUM_THREADS=8
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start )) s] $*"; }
./polytope gpu-info > "$LOGS/gpu-info.txt" 2>&1
stamp "gpu-info: $(head -c 300 "$LOGS/gpu-info.txt")"
./polytope dict activations --work . --model A > "$LOGS/acts-a.log" 2>&1 &
./polytope dict activations --work . --model B > "$LOGS/acts-b.log" 2>&1 &
wait
stamp "activations done"; tail -n 1 "$LOGS"/acts-*.log
BACKEND=${BACKEND:-cpu}
if [ "$BACKEND" = gpu ] && ! grep -qiE 'nvidia|h200' "$LOGS/gpu-info.txt"; then BACKEND=cpu; fi
# On CPUs alone the largest dictionary is the long pole: fewer steps keep the run in budget.
[ "$BACKEND" = cpu ] && SAE_STEPS=${SAE_STEPS:-3000}
stamp "SAEs on $BACKEND"
for d in "A 512" "A 2048" "A 4096" "B 2048"; do
  set -- $d
  ./polytope dict train-sae --work . --model "$1" --d-sae "$2" --steps "${SAE_STEPS:-4000}" \
    --batch 512 --backend "$BACKEND" > "$LOGS/sae-$1-$2.log" 2>&1 &
done
wait
stamp "SAEs done"; for f in "$LOGS"/sae-*.log; do tail -n 1 "$f"; done
export MATMUL_NUM_THREADS=4 RAYON_NUM_THREADS=16
./polytope dict build --work . --out data --per-group 4 > "$LOGS/build.log" 2>&1
stamp "build exit $?"; tail -n 12 "$LOGS/build.log"
./polytope dict validate data > "$LOGS/validate.log" 2>&1; tail -n 1 "$LOGS/validate.log"
if [ "$BACKEND" = gpu ]; then
  timeout 90 ./polytope bench sae --backend all --variants topk,l1-2023 \
    --sizes 128x1024,512x2048,512x4096 --batch 512 --seconds 2 > "$LOGS/bench-sae.txt" 2>&1
  stamp "bench"; cat "$LOGS/bench-sae.txt"
fi
tar cf - data | split -b 15m - "$OUT/data.tar."
cp -r "$LOGS" logs; tar czf "$OUT/meta.tgz" sae/*/report.json build.json logs model-*/report.json 2>/dev/null
stamp "packed"; ls -la "$OUT"
