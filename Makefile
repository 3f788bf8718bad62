# navigli — the two commands: `make run` (demo server) and `make test` (everything).
.PHONY: run build test lint check bench fuzz

CONFIG ?= layers.toml

run:
	scripts/deps.sh build
	cargo build --release
	# The demo data; made again when a migration is newer than it (the tables gained columns).
	[ -f data/demo.gpkg ] && [ data/demo.gpkg -nt "$$(ls -t migrations/*.sql | head -1)" ] \
	  || (rm -f data/demo.gpkg data/demo.gpkg-wal data/demo.gpkg-shm && ./target/release/navigli demo --config $(CONFIG) --gpkg data/demo.gpkg --lidar data/lidar \
	  && ./target/release/navigli lidar import --config $(CONFIG) --name "rilievo dimostrativo" data/lidar/*.laz \
	  && ./target/release/navigli roofs compute --config $(CONFIG) && touch data/.search-stale)
	[ -f data/apps.sqlite ] || ./target/release/navigli apps demo --config $(CONFIG)
	[ ! -f data/.search-stale ] || (./target/release/navigli search index --config $(CONFIG) && rm data/.search-stale)
	./target/release/navigli serve --config $(CONFIG)

build:
	cargo build

test:
	scripts/test.sh

lint:
	python3 scripts/module-edges.py
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

check:
	cargo run --quiet -- check --config $(CONFIG)

# Side-by-side benchmarks against peers (not part of `make test`); results in bench/results/.
bench:
	bench/wfs-mapserver.sh
	bench/wms-mapserver.sh
	bench/tiles-martin.sh
	bench/ogcapi-peers.sh
	bench/apps-30.sh
	bench/search.sh
	bench/tetti.sh
	bench/lidar-whitebox.sh

# Coverage-guided fuzzing of the KVP, FES, SLD and WFS-POST parsers (cargo-fuzz, nightly; not part
# of `make test`). FUZZ_ARGS: seconds per target (default 300) or `--runs N`, then target names.
FUZZ_ARGS ?=
fuzz:
	scripts/fuzz.sh $(FUZZ_ARGS)
