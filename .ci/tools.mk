.PHONY: lock-tools
lock-tools: $(UV) ## Re-pin the shared lint tools (.ci/tools.lock)
	cd $(ROOT) && $(UV) pip compile -q --python-version 3.11 --custom-compile-command "make lock-tools" .ci/tools.in -o .ci/tools.lock
