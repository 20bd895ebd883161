#!/bin/sh
# Installs the Debian 12 packages synth needs to build, test and run against real peers.
# Idempotent: it only calls apt-get when a package is missing, and updates the index once.
set -eu

BUILD="build-essential cmake pkg-config clang libclang-rt-14-dev \
  libssl-dev libcurl4-openssl-dev libsrtp2-dev libevent-dev libjansson-dev libyaml-dev \
  libspandsp-dev libsndfile1-dev libc-ares-dev libcmocka-dev"
PEERS="kamailio kamailio-tls-modules sip-tester openssl procps iproute2 jq espeak-ng tshark baresip-core coturn"

want="$BUILD"
[ "${1:-}" = "--tests" ] && want="$BUILD $PEERS"

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "setup: installing$missing" >&2
$SUDO apt-get update -qq
# kamailio's postinst must not start a system daemon on the test machine.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
# coturn: its sysvinit script starts nothing unless TURNSERVER_ENABLED=1 in
# /etc/default/coturn (commented out as shipped), but its systemd unit ignores
# that file; where systemd runs, keep the system daemon off. Tests start their own.
case " $missing " in *" coturn "*)
    [ -d /run/systemd/system ] && $SUDO systemctl disable --now coturn >/dev/null 2>&1 || true ;;
esac
