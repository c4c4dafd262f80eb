#!/usr/bin/env bash
# Download Flink distributions from PyPI (one at a time). Usage: tools/fetch.sh [DLDIR]
set -u
DL=${1:-dl}
mkdir -p "$DL"
# pip download of an sdist prepares its metadata, which needs the wheel package here
python3 -c "import wheel" 2>/dev/null || { echo "run: pip install wheel" >&2; exit 1; }
# apache-flink-libraries carries the jars from 1.13 on (latest patch per minor)
for v in 1.13.6 1.14.6 1.15.4 1.16.3 1.17.2 1.18.1 1.19.3 1.20.5 2.0.2 2.1.3 2.2.1 2.3.0; do
  ls "$DL"/apache[-_]flink[-_]libraries-$v* >/dev/null 2>&1 && continue
  pip download -q --no-deps --no-build-isolation -d "$DL" "apache-flink-libraries==$v" || echo "FAILED libraries $v"
done
# before 1.13 the jars are inside apache-flink itself
for v in 1.9.3 1.10.3 1.11.4 1.12.5; do
  ls "$DL"/apache[-_]flink-$v* >/dev/null 2>&1 && continue
  pip download -q --no-deps --only-binary :all: --platform manylinux1_x86_64 --python-version 37 -d "$DL" "apache-flink==$v" \
   || pip download -q --no-deps --no-binary :all: --no-build-isolation -d "$DL" "apache-flink==$v" || echo "FAILED apache-flink $v"
done
