#!/usr/bin/env bash
# Installs the Debian tools the tests drive as real peers. Idempotent; needs root.
set -euo pipefail
PKGS=(
  bind9 bind9-utils bind9-dnsutils dnsperf      # named (reference), dig, named-checkzone, dnsperf
  iproute2 nftables ethtool tcpdump socat curl wrk procps   # namespaces, datapath, traffic
  netsniff-ng                                   # trafgen: packets/s for the LB packet engine bench
  isc-dhcp-client busybox isc-dhcp-relay isc-dhcp-server kea-admin kea-dhcp4-server python3-scapy  # DHCP peers (scapy: BOOTP test)
  haproxy                                        # load-balancer reference
  iputils-arping iputils-ping                    # LB: gratuitous ARP, real-server MACs; PING_CHECK
  openssh-server python3-pytest python3-paramiko python3-netifaces python3-requests python3-pycryptodome  # ISC Forge (test:forge)
)
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts some of these daemons on install; the tests run their own instances.
for svc in named bind9 isc-dhcp-server kea-dhcp4-server haproxy; do
  (systemctl stop "$svc" || service "$svc" stop) >/dev/null 2>&1 || true
done
pkill -x named 2>/dev/null || true
exit 0
