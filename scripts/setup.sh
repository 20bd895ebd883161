#!/bin/sh
# Installs the Debian 12 packages synth needs to build, test and run against real peers.
# libjs-chart.js is needed at run time (Chart.js, inlined into the HTML report).
# systemd (systemd-analyze verify of deploy/systemd) and python3-yaml (the Kubernetes manifests
# test) for tests/integration/test_deploy.sh.
# python3-ntlm-auth and gss-ntlmssp (python3-gssapi is its acceptor): NTLM implementations
# synth's is checked against.
# RUNTIME is what the synth binary needs on a machine that only runs it (a monitoring host,
# the container image: deploy/Dockerfile installs exactly this list; --runtime installs it).
# Idempotent: it only calls apt-get when a package is missing, and updates the index once.
set -eu

BUILD="build-essential cmake pkg-config clang libclang-rt-14-dev \
  libssl-dev libcurl4-openssl-dev libsrtp2-dev libevent-dev libjansson-dev libyaml-dev \
  libspandsp-dev libsndfile1-dev libc-ares-dev libcmocka-dev libjs-chart.js"
RUNTIME="ca-certificates libc-ares2 libcurl4 libevent-2.1-7 libevent-openssl-2.1-7 \
  libevent-pthreads-2.1-7 libjansson4 libjs-chart.js libsndfile1 libspandsp2 \
  libsrtp2-1 libssl3 libyaml-0-2"
PEERS="kamailio kamailio-tls-modules sip-tester openssl procps iproute2 jq espeak-ng tshark baresip-core \
  dnsmasq-base prometheus libxml2-utils coturn chromium nginx-light python3-ntlm-auth gss-ntlmssp python3-gssapi \
  systemd python3-yaml"

want="$BUILD"
[ "${1:-}" = "--tests" ] && want="$BUILD $PEERS"
[ "${1:-}" = "--runtime" ] && want="$RUNTIME"

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "setup: installing$missing" >&2
$SUDO apt-get update -qq
# The peers' postinst scripts (kamailio, nginx on :80, prometheus: its would listen on :9090,
# coturn's systemd unit, which ignores TURNSERVER_ENABLED in /etc/default/coturn)
# must not start system daemons on the test machine: tests start their own on
# loopback. invoke-rc.d and deb-systemd-invoke both ask policy-rc.d; exit 101
# means "not allowed". One already there (containers ship one) is left alone.
POLICY=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\n# synth setup.sh: no daemons started during its install\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
    $SUDO chmod 755 "$POLICY"
    own_policy=1
fi
rc=0
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing || rc=$?
[ -n "$own_policy" ] && $SUDO rm -f "$POLICY"
# Started or not, the unit is enabled on install: keep it from starting at boot.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    for unit in prometheus kamailio coturn nginx; do
        case " $missing " in *" $unit "*) $SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true;; esac
    done
fi
exit $rc
