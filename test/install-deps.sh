#!/usr/bin/env bash
# Installs the Debian tools the tests drive as real peers. Idempotent; needs root.
set -euo pipefail
PKGS=(
  bind9 bind9-utils bind9-dnsutils dnsperf      # named (reference), dig, named-checkzone, dnsperf
  iproute2 nftables ethtool tcpdump socat curl wrk procps   # namespaces, datapath, traffic
  netsniff-ng                                   # trafgen: packets/s for the LB packet engine bench
  isc-dhcp-client busybox isc-dhcp-relay isc-dhcp-server kea-admin kea-dhcp4-server python3-scapy  # DHCP peers (scapy: BOOTP test)
  haproxy                                        # load-balancer reference
  postgresql util-linux                          # bench:dhcp: Kea's PostgreSQL lease backend; taskset/setpriv for the benches
  chromium                                       # headless browser for the dashboard test
  keepalived                                     # VRRP peer (its VRRP part runs without IPVS)
  conntrackd conntrack                           # LB: conntrack replication between a pair (nft engine)
  iputils-arping iputils-ping                    # LB: gratuitous ARP, real-server MACs; PING_CHECK
  dhcpcd-base systemd                            # more DHCP clients: dhcpcd, systemd-networkd
  qemu-system-x86 ipxe-qemu                      # iPXE (network boot firmware) as a DHCP client, in qemu
  tftp-hpa tftpd-hpa atftp                       # TFTP clients and the reference server (run by the test on its own port)
  gnuplot-nox                                    # soak test: the RSS plot
  valgrind strace                                # dhcp-instr.js (and dns-instr.js): instructions per exchange; system calls per exchange
  podman runc mmdebstrap                         # container test: builds the image on a Debian root fs made locally, no registry
  prometheus prometheus-bind-exporter            # statistics channel: promtool, a real Prometheus, bind_exporter
  openssh-server python3-pytest python3-paramiko python3-netifaces python3-requests python3-pycryptodome  # ISC Forge (test:forge)
)
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # Installing must not start a daemon the machine did not run before (policy-rc.d 101:
  # "action forbidden"), so a fresh CI machine stays as quiet as one that serves with BIND.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Daemons Debian starts on install are left alone: a machine may already serve with them,
# and the tests run their own instances on their own addresses, ports and namespaces.
exit 0
