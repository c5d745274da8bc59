#!/usr/bin/env bash
# Refreshes the copy of the shared ActivityPub fixtures in src/testing/fixtures/ from a checkout of
# the project's shared material (default: ../shared/fixtures beside the repository). Tests read only
# the copy, so a clone of Herold alone runs `npm test`. Run it after the shared set changes, then
# commit the result; PROVENANCE.md travels with the documents (source, commit, licence per file).
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE="${1:-../shared/fixtures}"
TARGET="src/testing/fixtures"
if [ ! -f "${SOURCE}/PROVENANCE.md" ]; then
  echo "error: ${SOURCE}/PROVENANCE.md not found; pass the fixtures folder as the first argument" >&2
  exit 2
fi
rm -rf "${TARGET}"
mkdir -p "${TARGET}"
cp -R "${SOURCE}/PROVENANCE.md" "${SOURCE}/activitypub" "${TARGET}/"
echo "copied $(find "${TARGET}/activitypub" -name '*.json' | wc -l) documents into ${TARGET}"
git status --short -- "${TARGET}" | head -n 20
