# The agent image: one image for every in-cluster role (operator, gateway, route-agent, globalnet,
# lighthouse-agent, lighthouse-dns, nettest), with iperf3 for subctl benchmark and tcpdump, netcat and
# curl for the probe pods of subctl diagnose. The operator tags it
# under upstream's component image names and picks the role with the container's first argument.
# Build after `npm run build`:
#   docker build -t quay.io/submariner/submariner-gateway:0.19.0 .
FROM node:20-bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      iproute2 iptables ipset conntrack iputils-ping wireguard-tools wireguard-go kmod iperf3 \
      tcpdump netcat-openbsd curl procps \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The bundle carries its dependencies; no node_modules needed.
COPY dist/agent.js dist/agent.js.map /app/

# The operator by default, as upstream's operator image; subctl's manifests name each role.
ENTRYPOINT ["node", "/app/agent.js"]
CMD ["operator"]
