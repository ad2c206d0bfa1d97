# syntax=docker/dockerfile:1
# citecheck in a container: built in the Rust image, shipped as the stripped binary in a small
# Debian image with the CA certificates (TLS) and an unprivileged user.
#
#   docker build -t citecheck .
#   docker run --rm -v "$PWD:/work" citecheck check --sources sources.csv
#
# The working folder is /work: mount the folder holding sources.csv / quotes.csv there (it
# must be writable by uid 10001, or pass --user "$(id -u):$(id -g)").

ARG RUST_VERSION=1.89

FROM rust:${RUST_VERSION}-bookworm AS builder
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
 && install -m 0755 target/release/citecheck /usr/local/bin/citecheck

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin citecheck \
 && mkdir /work && chown citecheck:citecheck /work
COPY --from=builder /usr/local/bin/citecheck /usr/local/bin/citecheck
COPY LICENSE-MIT LICENSE-APACHE /usr/share/doc/citecheck/
USER citecheck
WORKDIR /work
ENTRYPOINT ["citecheck"]
CMD ["--help"]
