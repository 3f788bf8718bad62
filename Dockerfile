# navigli server image. Build: docker build -t navigli .
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends cmake g++ sqlite3 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release

# The web front end (viewer bundle): npm ci + esbuild, no network at run time.
FROM node:20-bookworm AS web
WORKDIR /src
COPY web/ web/
COPY scripts/web.sh scripts/
RUN scripts/web.sh

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/navigli
COPY --from=build /src/target/release/navigli /usr/local/bin/navigli
COPY layers.toml ./
COPY data/comuni.csv data/
COPY styles/ styles/
COPY --from=web /src/web/dist web/dist/
EXPOSE 8080
CMD ["navigli", "serve", "--config", "layers.toml", "--bind", "0.0.0.0:8080"]
