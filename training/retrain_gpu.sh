#!/usr/bin/env bash
# One GPU round of the reader: three retrains from all-MiniLM-L6-v2 side by side on one GPU, a quick
# held-out gauge of each in torch (eval/ only), and the best one packed for the trip back.
#
#   training/retrain_gpu.sh CARRY OUT
#
# CARRY holds what the GPU machine lacks (made by `python -m training.carry CARRY`): base/ (the
# all-MiniLM-L6-v2 folder, weights in fp16) and datasets/ (train/, eval/ and xquad-en.json, gzipped).
# OUT receives gauge.json, runs.tgz (every run's log, training.json and card) and the chosen
# model folder as model.tar.part-* (join with `cat`). The three runs share everything but their
# negatives: the stage-1 recipe (all questions, 384 tokens, lr 1e-4, batch 64, 2 epochs) plus about
# 15k synthetic unanswerables (swap, neighbour) and, as close negatives, one per answerable question:
#   A: a random other paragraph ("close"), B: the most word-sharing one ("hardclose"), C: half each.
# Which run is packed: the most close negatives abstained at 5% refused positives (pooled), among
# the runs whose span F1 is within 1 point of the best. The keep-or-not decision against the shipped
# model is taken afterwards on int8 exports (`python -m training.gauge`), not here.
set -u
CARRY=${1:?CARRY folder}; OUT=${2:?OUT folder}
PY=${PYTHON:-python3}
MINUTES=${TRAIN_MINUTES:-5.5}  # each run stops and saves after this long, whatever its step
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=true OMP_NUM_THREADS=${OMP_NUM_THREADS:-4}
D=$(mktemp -d); M=$(mktemp -d); mkdir -p "$D/train" "$D/eval" "$OUT"
for f in "$CARRY"/datasets/*.json.gz "$CARRY"/datasets/*/*.json.gz; do
    rel=${f#"$CARRY"/datasets/}; gunzip -c "$f" > "$D/${rel%.gz}"
done
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || echo "no GPU: runs on CPU"
common=(--data "$D" --base "$CARRY/base" --synthetic 20000 --kinds swap,neighbour --log-every 250
        --max-minutes "$MINUTES" ${EXTRA:-})
half=$($PY -c "import sys; sys.path.insert(0, '.'); from training import data
print(sum(r.answerable for f in data.training_files(data.data_dir('$D')) for r in data.load(f)) // 2)")
$PY -m training.train_reader "${common[@]}" --close-kinds close --out "$M/A" > "$M/A.log" 2>&1 &
$PY -m training.train_reader "${common[@]}" --close-kinds hardclose --out "$M/B" > "$M/B.log" 2>&1 &
$PY -m training.train_reader "${common[@]}" --close-kinds close,hardclose --close "$half" --out "$M/C" \
    > "$M/C.log" 2>&1 &
wait
grep -h "^mix" "$M"/[ABC].log; tail -n 3 "$M"/[ABC].log
runs=(); for r in A B C; do [ -f "$M/$r/model.safetensors" ] && runs+=(--model "$M/$r"); done
[ ${#runs[@]} -gt 0 ] || { echo "no run finished"; exit 1; }
$PY -m training.gauge --data "$D" --precision torch ${GAUGE_ARGS:-} "${runs[@]}" --json "$OUT/gauge.json" \
    > "$M/gauge.log" 2>&1
tail -n 30 "$M/gauge.log"
best=$($PY - "$OUT/gauge.json" <<'EOF'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
top = max(r["all"]["F1"] for r in res.values())
print(max((r["all"]["neg@5"], name) for name, r in res.items() if r["all"]["F1"] >= top - 1)[1])
EOF
)
echo "packed: $best"
(cd "$M" && tar czf "$OUT/runs.tgz" *.log */training.json */README.md)
tar cf - -C "$M/$best" model.safetensors config.json training.json README.md | split -b 15m - "$OUT/model.tar.part-"
ls -la "$OUT"
