# can-multicast-bridge in a container. Build:  docker build -t can-multicast-bridge .
# Run (README.md, "In a container"): the CAN interface is reached through the host's network
# namespace, so --network host; the config is mounted at /etc/can-multicast-bridge/.
#   docker run -d --name cmb-can0 --network host \
#     -v /etc/can-multicast-bridge:/etc/can-multicast-bridge:ro can-multicast-bridge \
#     run --config /etc/can-multicast-bridge/can0.json

# Build stage: the README's build command, `npm ci` (dependencies, the addon through the package's
# install script, the TypeScript through prepare), then production dependencies only.
FROM node:20-bookworm AS build
WORKDIR /src
COPY . .
RUN npm ci && npm prune --omit=dev

# Runtime stage: Node, the compiled JavaScript, the addon and production dependencies; no compiler.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /opt/can-multicast-bridge
COPY --from=build /src/package.json /src/README.md ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/native/build/Release/can_socket.node ./native/build/Release/
COPY --from=build /src/config ./config
COPY --from=build /src/docker/healthcheck.mjs ./docker/
RUN ln -s /opt/can-multicast-bridge/bin/can-multicast-bridge /usr/local/bin/can-multicast-bridge \
  && install -d -m 0755 /etc/can-multicast-bridge
# The image's own unprivileged user (uid 1000): raw CAN sockets and multicast need no capability.
USER node
# docker/healthcheck.mjs: /healthz when metrics are enabled, else the CAN interface is up.
HEALTHCHECK --interval=30s --timeout=30s --start-period=20s --retries=3 \
  CMD ["node", "/opt/can-multicast-bridge/docker/healthcheck.mjs"]
ENTRYPOINT ["can-multicast-bridge"]
CMD ["run", "--config", "/etc/can-multicast-bridge/config.json"]
