#!/usr/bin/env bash
# Run a pip command without the machine's noise about ignored index locations; pip's own
# exit status is kept.
set -uo pipefail
"$@" 2> >(grep -v "^WARNING: Location '" >&2)
