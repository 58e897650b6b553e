# Multi-stage build: compile in the Rust image, run from a slim Debian with only what the
# binary needs at runtime (CA certificates for TLS to Twilio and ElevenLabs, tzdata for the
# availability engine's time zones), and sqlite3 to give a business its calendar with SQL in
# the SQLite database of the volume (see the README).

FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY benches ./benches
COPY fixtures ./fixtures
RUN cargo build --release --locked --bin switchboard

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata sqlite3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/switchboard --create-home switchboard
COPY --from=build /src/target/release/switchboard /usr/local/bin/switchboard
COPY --from=build /src/fixtures /usr/share/switchboard/fixtures
USER switchboard
WORKDIR /var/lib/switchboard
ENV SWITCHBOARD_LISTEN=0.0.0.0:8080 \
    SWITCHBOARD_FIXTURES=/usr/share/switchboard/fixtures \
    SWITCHBOARD_DATABASE_URL=sqlite:///var/lib/switchboard/switchboard.db?mode=rwc
EXPOSE 8080
VOLUME ["/var/lib/switchboard"]
# SIGTERM drains: calls in flight finish (up to 10 minutes), the rest hang up into their
# fallback, and the process exits within about a minute more, so give `docker stop` that long
# (`docker run --stop-timeout 660`); its default of 10 s cuts calls off.
STOPSIGNAL SIGTERM
ENTRYPOINT ["switchboard"]
CMD ["serve"]
