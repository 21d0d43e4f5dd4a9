# Set-up and entry points. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Fashion-MNIST for wmoe.classification: Debian's dataset-fashion-mnist package installs it here.
FASHION_MNIST := /usr/share/datasets/fashion-mnist
# Headless Chromium renders the benchmark leaderboard's HTML page in the tests.
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: demo test lint typecheck bench clean-venv sionna-rt

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Torch first, from the constraints, so no dependency pulls a CUDA build.
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -r constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# Installed only when the folder is absent; the package lists are refreshed if apt cannot find it.
$(FASHION_MNIST):
	$(SUDO) apt-get install -y dataset-fashion-mnist || \
		($(SUDO) apt-get update && $(SUDO) apt-get install -y dataset-fashion-mnist)

# Installed only when missing, like the data set.
$(CHROMIUM):
	$(SUDO) apt-get install -y chromium || \
		($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)

# The quick benchmark suite (flagship env, MLP vs MoE vs baselines), then its leaderboard.
demo: $(STAMP) $(FASHION_MNIST)
	$(BIN)/wmoe benchmark run quick --workers 2
	$(BIN)/wmoe benchmark report quick -o build/leaderboard-quick

test: $(STAMP) $(FASHION_MNIST) $(CHROMIUM)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 tests

bench: $(STAMP)
	$(BIN)/python benchmarks/perf/multi_bs_reception.py
	$(BIN)/python benchmarks/perf/moe_layers.py
	$(BIN)/python benchmarks/perf/digital_link.py
	$(BIN)/python benchmarks/perf/satellite_beamforming.py
	$(BIN)/python benchmarks/perf/multi_access.py
	$(BIN)/python benchmarks/perf/channel_aware_envs.py
	$(BIN)/python benchmarks/perf/diffusion_policy.py
	$(BIN)/python benchmarks/perf/rendering.py

# Optional reference ray tracer (wmoe scenario generate --tracer sionna): Sionna RT into the venv,
# pinned, with torch held by the constraints, and Debian's LLVM 19 (Dr.Jit needs LLVM >= 17).
# Without root or sudo the apt command is printed instead. Not needed by `make test`.
sionna-rt: $(STAMP)
	@if dpkg -s libllvm19 >/dev/null 2>&1; then \
		echo "libllvm19 already installed"; \
	elif [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null; then \
		$(SUDO) apt-get install -y libllvm19 || \
			($(SUDO) apt-get update && $(SUDO) apt-get install -y libllvm19); \
	else \
		echo "not root: install LLVM 19 with: sudo apt-get install -y libllvm19"; \
	fi
	$(BIN)/pip install --quiet -c constraints.txt -e ".[sionna-rt]"
	@echo "If Dr.Jit loads an older LLVM: export DRJIT_LIBLLVM_PATH=/usr/lib/x86_64-linux-gnu/libLLVM-19.so"

clean-venv:
	rm -rf $(VENV)
