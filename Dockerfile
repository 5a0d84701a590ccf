# Triad in a container. Build: docker build -t triad .
#   (podman/buildah: podman build --format docker -t triad . ; the OCI format has no HEALTHCHECK)
# Run (see README): docker run --network host --cap-drop ALL --cap-add NET_BIND_SERVICE \
#   -v "$PWD/conf:/app/conf:ro" -v "$PWD/zones:/app/zones:ro" triad
# Base image: any Debian bookworm image with Node.js 20 and npm under /usr/local and
# a `node` user (uid 1000), as the official one has; pick another with
# --build-arg NODE_IMAGE=... (a local mirror, or an image made without a registry).
#
# Capabilities: DNS needs only NET_BIND_SERVICE, for port 53 as the non-root user.
# DHCP/relay (AF_PACKET sockets) need NET_RAW and the load balancer (nftables,
# sysctls, ARP) NET_ADMIN and NET_RAW: run those as root inside the container with
# exactly those capabilities (see README). They are not put on node as file
# capabilities because exec fails outright when a file capability is missing from
# the container's bounding set, which would break the DNS-only run.
# Or start those as root with the capabilities the drop uses and let Triad become node
# (`bin/triad run --conf-dir conf -u node`, README "Running with least privilege"):
# afterwards only the network capabilities stay.

# --- build: install everything, compile TypeScript, drop dev dependencies -----
ARG NODE_IMAGE=node:20-bookworm-slim
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY bin ./bin
# `npm ci` runs the prepare script (tsc); tests are not part of the image.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

# --- runtime -------------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    TRIAD_DATA_DIR=/var/lib/triad \
    TRIAD_HEALTHCHECK_ADDR=127.0.0.1 \
    TRIAD_HEALTHCHECK_PORT=5300
# Let the non-root user bind ports below 1024 (53/udp, 53/tcp) through a file
# capability on node; the container must still be granted NET_BIND_SERVICE.
# The load balancer drives nftables (its kernel datapath), iproute2 (VIPs, neighbours,
# routes; it needs libcap2-bin, which also gives setcap), iputils (gratuitous ARP,
# PING_CHECK) and ethtool (packet engine).
# /var/lib/triad (leases, control socket) belongs to node and group root: the root
# run for DHCP and the load balancer drops CAP_DAC_OVERRIDE, so root needs the mode bits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcap2-bin nftables iproute2 iputils-arping iputils-ping ethtool \
 && setcap cap_net_bind_service=+ep "$(readlink -f /usr/local/bin/node)" \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/triad && chown node:root /var/lib/triad && chmod 0775 /var/lib/triad
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY bin ./bin
COPY conf ./conf
COPY zones ./zones
USER node
VOLUME ["/app/conf", "/app/zones", "/var/lib/triad"]
EXPOSE 5300/udp 5300/tcp 53/udp 53/tcp
# Asks the DNS server a question (version.bind CH TXT); any response is healthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["node", "bin/dns-healthcheck"]
# The same command as `npm start`, without npm in between so signals (SIGHUP
# reload, SIGTERM stop) reach Triad directly.
CMD ["bin/triad", "run", "--conf-dir", "conf"]
