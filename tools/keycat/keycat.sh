#!/usr/bin/env bash
# Regenerate the Flink config-key catalog from Flink's own jars.
#   tools/keycat.sh [DLDIR] [OUTDIR]
# DLDIR holds the PyPI archives fetched by tools/fetch.sh (default: dl),
# OUTDIR gets catalog/<major.minor>.txt and catalog/raw/<major.minor>.tsv (default: .).
# Needs: JDK 17 (javac/java/javap), python3, unzip, tar. Runs under nice, one version at a time.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DL=$(cd "${1:-dl}" && pwd)
OUT=$(mkdir -p "${2:-.}" && cd "${2:-.}" && pwd)
WORK=${KEYCAT_WORK:-$OUT/work}
mkdir -p "$OUT/catalog/raw" "$OUT/catalog/excluded" "$WORK/classes"
javac -d "$WORK/classes" "$HERE/KeyCat.java"

for arc in $(ls "$DL" | sort -V); do
  v=$(echo "$arc" | sed -E 's/^apache[-_]flink([-_]libraries)?-([0-9]+\.[0-9]+\.[0-9]+).*/\2/')
  mm=${v%.*}
  d="$WORK/$v"
  if [ ! -d "$d" ]; then
    mkdir -p "$d.tmp"
    case "$arc" in
      *.whl) unzip -q -o "$DL/$arc" '*.jar' -d "$d.tmp" ;;
      *.tar.gz) tar xzf "$DL/$arc" -C "$d.tmp" --wildcards '*.jar' ;;
    esac
    # the planner hides in a jar inside flink-table-planner-loader (1.15+)
    for l in $(find "$d.tmp" -name 'flink-table-planner-loader*.jar'); do
      unzip -q -o "$l" 'flink-table-planner.jar' -d "$(dirname "$l")/nested" || true
    done
    mv "$d.tmp" "$d"
  fi
  # every jar the package ships under lib/, opt/, plugins/ (+ the nested planner)
  jars=$(find "$d" -name '*.jar' \( -path '*/lib/*' -o -path '*/opt/*' -o -path '*/plugins/*' \) | sort)
  echo "== $v ($arc): $(echo "$jars" | wc -l) jars" >&2
  nice java -Xmx2g -cp "$WORK/classes" KeyCat $jars > "$OUT/catalog/raw/$mm.tsv" 2> "$WORK/$mm.log"
  grep '^scanned' "$WORK/$mm.log" >&2
  # classes that could not be loaded: does any of them declare a static ConfigOption field?
  : > "$WORK/$mm.missed"
  for c in $(sed -n 's/^  skipped load \([^:]*\):.*/\1/p' "$WORK/$mm.log"); do
    javap -p -cp "$(echo $jars | tr ' ' ':')" "$c" 2>/dev/null \
      | grep -E '^ *(public |protected |private )?static( final)? org\.apache\.flink\.configuration\.ConfigOption[<; ]' \
      | sed "s|^|$c: |" >> "$WORK/$mm.missed" || true
  done
  echo "$v $arc" > "$WORK/$mm.version"
  python3 "$HERE/catalog.py" "$OUT/catalog/raw/$mm.tsv" "$OUT/catalog/$mm.txt" "$OUT/catalog/excluded/$mm.txt"
  echo "   $(wc -l < "$OUT/catalog/$mm.txt") keys; missed fields in unloadable classes: $(wc -l < "$WORK/$mm.missed")" >&2
done
python3 "$HERE/sanity.py" "$OUT/catalog"
