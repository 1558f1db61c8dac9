# Shared by check-infra.sh and check-metrics.sh: makes sure promtool is there.
# promtool comes from Debian's `prometheus` package; it is installed when missing and apt-get is there.
ensure_promtool() {
  command -v promtool >/dev/null 2>&1 && return 0
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "promtool not found: installing Debian's prometheus package (it provides promtool)"
    # The package would start a Prometheus server; policy-rc.d exit 101 tells dpkg not to.
    local added_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && added_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >/tmp/promtool-apt.log 2>&1 ||
      { apt-get update >>/tmp/promtool-apt.log 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >>/tmp/promtool-apt.log 2>&1; } ||
      { echo "apt-get install prometheus failed; last lines of /tmp/promtool-apt.log:"; tail -n 20 /tmp/promtool-apt.log; }
    [ -n "${added_policy}" ] && rm -f /usr/sbin/policy-rc.d
  fi
  if ! command -v promtool >/dev/null 2>&1; then
    echo "promtool is not installed and could not be installed (needs root and apt-get, or install Prometheus' promtool yourself)"
    return 1
  fi
}
