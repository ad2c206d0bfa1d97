#!/usr/bin/env bash
# Builds the container image from the Dockerfile and runs it once (`citecheck --version`),
# where a docker engine answers; elsewhere prints a notice and succeeds (`.ci/run` calls this).
#   scripts/docker_build.sh [TAG]        (default tag: citecheck:ci)
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-citecheck:ci}"
if ! command -v docker >/dev/null 2>&1; then
  echo "docker image: skipped (no docker command here); build it with: docker build -t citecheck ."
  exit 0
fi
if ! docker info >/dev/null 2>&1; then
  echo "docker image: skipped (the docker command finds no engine); build it with: docker build -t citecheck ."
  exit 0
fi
docker build -t "$tag" .
docker run --rm "$tag" --version
echo "docker image: built $tag"
