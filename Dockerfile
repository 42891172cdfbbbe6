# can-multicast-bridge in a container. Build (README.md, "In a container"):
#   docker build -t can-multicast-bridge .
#   podman build --format docker -t can-multicast-bridge .
# podman/buildah need --format docker (or BUILDAH_FORMAT=docker): their default OCI format has no
# HEALTHCHECK and drops it ("HEALTHCHECK is not supported for OCI image format").
# Behind a TLS-intercepting proxy give the build stage its CA as a build secret (never a layer):
#   docker build --secret id=npm_ca,src=/path/ca.pem ...  (podman build takes the same option)
# Run (README.md, "In a container"): the CAN interface is reached through the host's network
# namespace, so --network host; the config is mounted at /etc/can-multicast-bridge/.
#   docker run -d --name cmb-can0 --network host \
#     -v /etc/can-multicast-bridge:/etc/can-multicast-bridge:ro can-multicast-bridge \
#     run --config /etc/can-multicast-bridge/can0.json

# Build stage: the README's build command, `npm ci` (dependencies, the addon through the package's
# install script, the TypeScript through prepare), then production dependencies only. In two
# steps so that the dependencies are a layer of their own, rebuilt only when package.json or the
# lock change (a source change then costs the compile, not the download).
FROM node:20-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
# npm 10.8.2 can exit 0 after a failed install ("npm error Exit handler never called!", seen with
# SELF_SIGNED_CERT_IN_CHAIN behind a proxy): check what npm ci installs, so that the build fails at
# this step, under npm's own messages, and not later at COPY --from=build.
RUN --mount=type=secret,id=npm_ca \
  if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
  npm ci --ignore-scripts --no-audit --no-fund && test -d node_modules/typescript \
  || { echo 'npm ci failed (see its messages above); behind a TLS-intercepting proxy pass its CA: --secret id=npm_ca,src=FILE' >&2; exit 1; }
COPY . .
# What `npm ci` runs after installing: the package's install script (the addon) and prepare (tsc).
RUN npm run install && npm run build && npm prune --omit=dev --no-audit --no-fund \
  && test -f dist/src/main.js && test -f native/build/Release/can_socket.node

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
