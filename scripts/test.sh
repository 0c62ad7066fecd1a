#!/usr/bin/env bash
# Runs every test tier: unit tests (Surefire, *Test), real-broker integration tests (Failsafe,
# *IT) and the reference trainer's smoke run. Prints a summary of all test reports at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-prereqs.sh --browser
status=0
mvn -B -ntp verify || status=$?
if [ -x training/smoke.sh ]; then
  training/smoke.sh || status=$?
fi
scripts/test-summary.sh || true
exit $status
