# Every Parley executable in one image: `parley` (embedded mode) and, for a distributed
# deployment, parley-gateway (which also serves the web client), parley-auth, parley-user,
# parley-chat, parley-message, parley-notification and parley-ws. docker-compose.yml runs
# one container per instance; docs/operations.md has the settings.

FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ cmake ninja-build pkg-config \
      libboost1.81-dev libboost-json1.81-dev libexpected-dev libsodium-dev libsqlite3-dev \
      libcurl4-openssl-dev libhiredis-dev librdkafka-dev libmongoc-dev libbson-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY src src
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARLEY_TESTS=OFF \
 && cmake --build build --target parley parley-gateway parley-auth parley-user parley-chat parley-message \
      parley-notification parley-ws

FROM node:20-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web ./
RUN npm run build

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl libboost-json1.81.0 libsodium23 libsqlite3-0 \
      libcurl4 libhiredis0.14 librdkafka1 libmongoc-1.0-0 libbson-1.0-0 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/parley --create-home parley \
 && install -d -o parley /var/lib/parley/media
COPY --from=build /src/build/bin/parley /src/build/bin/parley-* /usr/local/bin/
COPY --from=web /web/dist /usr/share/parley/web
USER parley
WORKDIR /var/lib/parley
EXPOSE 8080
# Embedded mode by default; docker-compose.yml names the executable of each service.
ENV PARLEY_LISTEN=0.0.0.0:8080 PARLEY_WEB_DIR=/usr/share/parley/web
CMD ["parley"]
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fs http://127.0.0.1:8080/readyz || exit 1
