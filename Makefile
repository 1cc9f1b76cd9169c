# Makefile: builds the kernels, the test unikernels and the monitor.
#
#   make            everything: monitor, ukvm and virtio unikernels
#   make ukvm       build/ukvm/NAME.ukvm for every test unikernel and app
#   make virtio     build/virtio/NAME.virtio for every test unikernel and app
#   make monitor    build/bin/ukvm (the Swift monitor, release build),
#                   build/bin/solo5-hvt, a link to it (upstream's name),
#                   build/bin/solo5-elftool and build/bin/ukvm-oci (the OCI
#                   runtime, docs/oci.md)
#   make test       the whole test suite (swift test)
#   make install    the programs into $(PREFIX)/bin (default /usr/local)
#
# Out of tree: everything goes to $(BUILD). The top-level file only sets the
# toolchain and includes one fragment per part of the tree.

TOPDIR := $(CURDIR)
BUILD ?= build
V ?= 0
ifeq ($(V),0)
Q := @
endif

# The kernel is built by the host gcc as a freestanding compiler.
CC := gcc
HOSTCC := cc

# Test unikernels: kernel/tests/NAME/NAME.c (+ optional manifest.json).
TESTS := hello time exception abort status fpu globals quiet spin tls blk blkbench net net2 yield bigwrite memtouch
# ukvm only: they use the hvt ABI directly.
UKVM_ONLY_TESTS := hcbench badcalls wx debug largesend

.PHONY: all ukvm virtio monitor test run setup clean install
all: monitor ukvm virtio

# The main job: set up, build everything, boot hello on our monitor.
run: setup
	$(Q)$(MAKE) -j2 all
	$(BUILD)/bin/ukvm $(BUILD)/ukvm/hello.ukvm Hello from ukvm

setup:
	$(Q)scripts/setup

include kernel/common/Makefile.inc
include kernel/ukvm/Makefile.inc
-include kernel/virtio/Makefile.inc
include kernel/apps/Makefile.inc

# The Swift monitor, a static executable: start-up pays for no dynamic
# linking at all (measured: hello boot-to-exit 4.7 ms with the dynamic
# loader and libstdc++/libm, 3.8 ms static). Its own scratch folder: the
# tests run make while `swift test` holds .build.
# solo5-elftool comes from the same library (one image parser).
# Linked with lld, which lays out the functions a run executes first and
# together (scripts/link-order.txt, made by scripts/link-order), each of our
# functions in a section of its own so that it can be moved: the page cache
# maps the executable 64 KiB at a time, and scattered start-up code made
# 3.8 MB of its text resident in every run (docs/density.md).
# Segments aligned to 64 KiB in the file as in memory (max-page-size): the
# page cache's 64 KiB folios then coincide with the windows a fault maps,
# where a misaligned segment made every fault map two folios.
# Generic types' metadata through accessor functions instead of mangled
# names that the runtime demangles the first time each is used: 27 % fewer
# instructions in a boot (818,000 -> 600,000), a little more code.
SWIFT_LAYOUT := -Xswiftc -use-ld=lld -Xswiftc -Xfrontend -Xswiftc -function-sections \
	-Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors \
	-Xcc -ffunction-sections \
	-Xlinker --symbol-ordering-file=$(CURDIR)/scripts/link-order.txt -Xlinker --no-warn-symbol-ordering \
	-Xlinker -z -Xlinker max-page-size=65536
SWIFT_FLAGS := -c release -Xswiftc -static-executable --scratch-path $(BUILD)/swift $(SWIFT_LAYOUT)
# The tests' own programs (never installed) go to $(BUILD)/test.
SWIFT_PRODUCTS := ukvm solo5-elftool ukvm-oci
TEST_PRODUCTS := ukvm-sandbox-probe
# SwiftPM does not know the link order is an input: a newer list relinks.
monitor:
	$(Q)bin="$$(swift build $(SWIFT_FLAGS) --show-bin-path)" && \
		for p in $(SWIFT_PRODUCTS) $(TEST_PRODUCTS); do \
			if [ scripts/link-order.txt -nt "$$bin/$$p" ]; then rm -f "$$bin/$$p"; fi; done
	$(Q)for p in $(SWIFT_PRODUCTS) $(TEST_PRODUCTS); do swift build $(SWIFT_FLAGS) --product $$p || exit 1; done
	$(Q)mkdir -p $(BUILD)/bin $(BUILD)/test
	$(Q)bin="$$(swift build $(SWIFT_FLAGS) --show-bin-path)" && \
		for p in $(SWIFT_PRODUCTS); do cp "$$bin/$$p" $(BUILD)/bin/$$p; done && \
		for p in $(TEST_PRODUCTS); do cp "$$bin/$$p" $(BUILD)/test/$$p; done
	$(Q)ln -sf ukvm $(BUILD)/bin/solo5-hvt

# The images' manifests need solo5-elftool, built with the monitor.
$(ELFTOOL):
	$(Q)$(MAKE) monitor

# Drivers of upstream's tender (albatross, urunc) find solo5-hvt on PATH;
# invoked by that name, ukvm behaves as upstream's tender does.
PREFIX ?= /usr/local
install: monitor
	$(Q)install -d $(DESTDIR)$(PREFIX)/bin
	$(Q)for p in $(SWIFT_PRODUCTS); do install -m 755 $(BUILD)/bin/$$p $(DESTDIR)$(PREFIX)/bin/$$p; done
	$(Q)ln -sf ukvm $(DESTDIR)$(PREFIX)/bin/solo5-hvt

test:
	$(Q)scripts/test

clean:
	rm -rf $(BUILD)
