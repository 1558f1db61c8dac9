#!/usr/bin/env bash
# Fetches each /metrics URL and checks what it serves:
#   - `promtool check metrics` (Prometheus' own parser and linter): parse errors and lint findings fail,
#     except the three findings on prom-client's default metrics listed in ALLOWED below;
#   - every metric family is named pipevideo_* and every sample carries a `service` label;
#   - the families every service registers through @pipevideo/platform are there.
# promtool comes from Debian's `prometheus` package; it is installed when missing and apt-get is there.
# Exits non-zero when any URL fails and lists which.
#
# Usage: scripts/check-metrics.sh http://127.0.0.1:3001/metrics [http://127.0.0.1:3002/metrics ...]
set -uo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 URL [URL...]   (each URL serves Prometheus metrics, e.g. http://127.0.0.1:3001/metrics)" >&2
  exit 2
fi

# prom-client registers these as gauges with a `_total` suffix; we cannot rename them.
ALLOWED='^pipevideo_nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$'
# Registered by @pipevideo/platform in every service.
REQUIRED=(pipevideo_http_request_duration_seconds pipevideo_nats_handler_duration_seconds pipevideo_events_handled_total
  pipevideo_outbox_pending_events pipevideo_outbox_oldest_pending_age_seconds pipevideo_process_start_time_seconds)

source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/promtool.sh"

fetch() { # url file -> HTTP status on stdout
  if command -v curl >/dev/null 2>&1; then
    curl -sS --max-time 15 -o "$2" -w '%{http_code}' "$1"
  else
    node -e '
      const [url, file] = process.argv.slice(1);
      fetch(url, { signal: AbortSignal.timeout(15000) })
        .then(async (r) => { require("fs").writeFileSync(file, Buffer.from(await r.arrayBuffer())); process.stdout.write(String(r.status)); })
        .catch((e) => { console.error(String(e)); process.stdout.write("000"); });' "$1" "$2"
  fi
}

ensure_promtool || exit 1
work=$(mktemp -d /tmp/check-metrics.XXXXXX)
trap 'rm -rf "${work}"' EXIT

failed=()
n=0
for url in "$@"; do
  n=$((n + 1))
  body="${work}/${n}.txt"
  echo "--- ${url}"
  status=$(fetch "${url}" "${body}" 2>"${work}/${n}.err")
  if [ "${status}" != "200" ]; then
    echo "FAILED: HTTP ${status:-000} $(head -c 300 "${work}/${n}.err" 2>/dev/null)"
    failed+=("${url} (HTTP ${status:-000})")
    continue
  fi

  problems=()
  lint=$(promtool check metrics <"${body}" 2>&1)
  rc=$?
  if [ ${rc} -ne 0 ]; then
    while IFS= read -r line; do
      [ -z "${line}" ] && continue
      if [[ ${rc} -eq 3 && ${line} =~ ${ALLOWED} ]]; then
        echo "  allowed (prom-client default): ${line}"
      else
        problems+=("promtool: ${line}")
      fi
    done <<<"${lint}"
    [ ${rc} -ne 3 ] && [ ${#problems[@]} -eq 0 ] && problems+=("promtool check metrics exited ${rc}")
  fi

  while IFS= read -r name; do
    problems+=("metric family ${name} is not named pipevideo_*")
  done < <(awk '$1 == "#" && $2 == "TYPE" && $3 !~ /^pipevideo_/ { print $3 }' "${body}")
  unlabelled=$(grep -v '^#' "${body}" | grep -v '^[[:space:]]*$' | grep -cv 'service="' || true)
  [ "${unlabelled}" -gt 0 ] && problems+=("${unlabelled} sample(s) without a service label, e.g. $(grep -v '^#' "${body}" | grep -v '^[[:space:]]*$' | grep -v 'service="' | head -n 1)")
  for family in "${REQUIRED[@]}"; do
    grep -q "^# TYPE ${family} " "${body}" || problems+=("missing metric family ${family}")
  done

  families=$(grep -c '^# TYPE ' "${body}" || true)
  services=$(grep -o 'service="[^"]*"' "${body}" | sort -u | tr '\n' ' ')
  if [ ${#problems[@]} -gt 0 ]; then
    printf '  %s\n' "${problems[@]}"
    echo "FAILED: ${url} (${#problems[@]} problem(s))"
    failed+=("${url}")
  else
    echo "ok: ${families} metric families, ${services}"
  fi
done

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "check-metrics: ${#failed[@]} of $# URL(s) failed:"
  printf '  - %s\n' "${failed[@]}"
  exit 1
fi
echo "check-metrics: all $# URL(s) passed"
