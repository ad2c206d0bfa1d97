#!/usr/bin/env bash
# Peak RSS of `citecheck run` and `check` on 256 loopback pages of 10 MiB each, at default
# settings. See bench/README.md.
#   bash bench/memory.sh [--pages N] [--page-mib M] [--runs R] [--commands run,check]
#                        [--citecheck PATH] [--no-build]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
run_bench memory.py "$@"
