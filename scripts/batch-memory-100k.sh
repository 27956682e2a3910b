#!/usr/bin/env bash
# The "100 000 rows, memory" figure of docs/benchmarks-batch.md: builds balcao-cli (debug), writes a Windows-1252 CSV
# of 100 000 rows (50 000 distinct valid CPFs the simulator does not know, each twice, plus a name column with
# accents), and runs `balcao-cli batch` on it in Demonstração under GNU time inside a throw-away D-Bus session with
# an unlocked gnome-keyring (the history key lives there), a temporary HOME and a redirected data folder.
# Prints wall time, peak RSS, API calls (from the simulator's answers: the output's distinct numbers) and rows.
# Usage: scripts/batch-memory-100k.sh [ROWS]   (default 100000; needs dbus, gnome-keyring, time, iconv)
set -euo pipefail
rows=${1:-100000}
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
cargo build -q -p balcao-cli --manifest-path "$root/Cargo.toml"
cli="$target/debug/balcao-cli"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home" "$work/data"

# CPF check digits in awk; bases from 900 000 000 up (no CPF of the simulator's data set starts there).
awk -v rows="$rows" 'BEGIN {
  print "cpf;nome;observação"
  distinct = int(rows / 2)
  for (i = 0; i < rows; i++) {
    base = sprintf("%09d", 900000000 + (i % distinct) * 7)
    s = 0; for (k = 1; k <= 9; k++) s += substr(base, k, 1) * (11 - k)
    d1 = (s * 10) % 11; if (d1 == 10) d1 = 0
    s = 0; for (k = 1; k <= 9; k++) s += substr(base, k, 1) * (12 - k); s += d1 * 2
    d2 = (s * 10) % 11; if (d2 == 10) d2 = 0
    printf "%s%d%d;JOÃO DA CONCEIÇÃO %d;linha %d\n", base, d1, d2, i % distinct, i + 1
  }
}' | iconv -f UTF-8 -t WINDOWS-1252 > "$work/lista.csv"
echo "input: $(wc -c < "$work/lista.csv") bytes, $rows rows, $((rows / 2)) distinct CPFs (Windows-1252)"

session='echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 97; exec "$@"'
HOME="$work/home" BALCAO_DATA_DIR="$work/data" BALCAO_KEYRING_SERVICE="br.gov.balcao.bench-memory.$$" \
  dbus-run-session -- sh -c "$session" sh \
  /usr/bin/time -v -o "$work/time.txt" "$cli" batch "$work/lista.csv" --out "$work/resultado.csv" --quiet \
  > "$work/stdout.txt" 2> "$work/stderr.txt" || { echo "batch exit $?"; cat "$work/stderr.txt"; }

wall=$(grep 'Elapsed (wall clock)' "$work/time.txt" | awk '{print $NF}')
peak=$(grep 'Maximum resident set size' "$work/time.txt" | awk '{print $NF}')
out_rows=$(($(wc -l < "$work/resultado.csv") - 1))
distinct=$(tail -n +2 "$work/resultado.csv" | cut -d';' -f1 | sort -u | wc -l)
echo "wall clock: $wall"
echo "peak RSS: $((peak / 1024)) MB ($peak KiB)"
echo "output rows: $out_rows; distinct numbers in the output: $distinct"
echo "summary: $(cat "$work/stdout.txt")"
