#!/usr/bin/env bash
# Type-checks the declarations of the built package (pkg/ott_client.d.ts):
# ok.ts must compile under `tsc --strict`, and misuse.ts must fail with
# exactly the errors its `// expect TSnnnn` comments name, on those lines.
# Needs pkg/ (scripts/build-client.sh). Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ ! -f ../../pkg/ott_client.d.ts ]]; then
    echo "pkg/ott_client.d.ts is missing: run scripts/build-client.sh first" >&2
    exit 1
fi
if [[ ! -x node_modules/.bin/tsc ]]; then
    echo "[typescript] installing the pinned TypeScript (npm ci)"
    npm ci --no-audit --no-fund
fi

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "not ok - $*"; }

echo "[typescript] $(node_modules/.bin/tsc --version)"

if output=$(node_modules/.bin/tsc -p tsconfig.json 2>&1); then
    pass "ok.ts type-checks"
else
    fail "ok.ts does not type-check:"
    echo "$output"
fi

output=$(node_modules/.bin/tsc -p tsconfig.misuse.json 2>&1)
status=$?
if [[ $status -ne 0 ]]; then
    pass "tsc rejects misuse.ts (exit $status)"
else
    fail "tsc accepted misuse.ts"
fi

# Every expected error must appear on its line...
declare -A expected=()
while IFS=: read -r line code; do
    expected["$line"]="$code"
    if grep -Eq "^misuse\.ts\($line,[0-9]+\): error $code:" <<<"$output"; then
        pass "misuse.ts line $line: $code"
    else
        fail "misuse.ts line $line: expected $code, tsc printed: $(grep -E "^misuse\.ts\($line," <<<"$output" || echo nothing)"
    fi
done < <(grep -nEo '// expect TS[0-9]+' misuse.ts | sed -E 's|^([0-9]+)://? ?expect (TS[0-9]+)$|\1:\2|')

# ...and no other error may appear, in misuse.ts or in the declarations.
while IFS= read -r error_line; do
    [[ -z "$error_line" ]] && continue
    line=$(sed -nE 's/^misuse\.ts\(([0-9]+),.*/\1/p' <<<"$error_line")
    if [[ -z "$line" || -z "${expected[$line]:-}" ]]; then
        fail "unexpected error: $error_line"
    fi
done < <(grep -E 'error TS[0-9]+:' <<<"$output")

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
