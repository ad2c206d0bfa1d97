#!/usr/bin/env bash
# The whole `citecheck run` (fetch, extract, archive, locate 100 quotes) on N loopback article
# pages: pages/s, peak RSS, stage times, archive size, then `citecheck verify`. Installs nginx
# and GNU time if missing, builds citecheck. See bench/README.md.
#   bash bench/pipeline.sh [--pages 1000,10000,100000] [--concurrency C] [--runs R]
#                          [--big-runs R] [--dir D] [--serve SECONDS] [--no-build]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
run_bench pipeline.py "$@"
