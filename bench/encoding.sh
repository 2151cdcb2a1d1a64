#!/usr/bin/env bash
# Stored bytes per byte imported, for each compression codec, on the local store (docs/ENCODING.md "Figures").
# Usage: [FRAME_SIZE=4K] bench/encoding.sh [JAR]   (default: hyperfile-cli/target/hyperfile.jar; build it first;
# FRAME_SIZE: the compressed volumes' --frame-size, default the product's)
# Two 100 MB images: text (the repository's docs, repeated) and random bytes. Prints one line per image and codec:
# the stored bytes of the volume's segments divided by those of the unencoded volume, and the import time.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
jar=${1:-$here/hyperfile-cli/target/hyperfile.jar}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
size=100000000
cat "$here"/docs/*.md > "$work/docs.txt"
: > "$work/text.img"
while [ "$(stat -c %s "$work/text.img")" -lt $size ]; do cat "$work/docs.txt" >> "$work/text.img"; done
truncate -s $size "$work/text.img"
head -c $size /dev/urandom > "$work/random.img"
store="--store=file:$work/store"
segbytes() { find "$work/store/$1/seg" -type f -printf '%s\n' | awk '{s += $1} END {print s}'; }
printf '%-8s %-8s %14s %8s %8s\n' image codec stored_bytes ratio seconds
for img in text random; do
  base=
  for codec in none lz4 zstd:3; do
    vol="$img-${codec/:/-}"
    frame=()
    [ "$codec" != none ] && [ -n "${FRAME_SIZE:-}" ] && frame=(--frame-size "$FRAME_SIZE")
    java -jar "$jar" volume create "$vol" --size 128M --compression "$codec" "${frame[@]}" "$store" > /dev/null
    start=$(date +%s.%N)
    java -jar "$jar" import --quiet "$work/$img.img" "$vol" "$store" > /dev/null
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    bytes=$(segbytes "$vol")
    [ -z "$base" ] && base=$bytes
    printf '%-8s %-8s %14d %8.4f %8.2f\n' "$img" "$codec" "$bytes" "$(echo "$bytes / $base" | bc -l)" "$secs"
  done
done
